//! The smaller findings: refusals in the right shape, weak keys, and files others could read.

use std::os::unix::fs::PermissionsExt as _;

use reqwest::StatusCode;
use serde_json::Value;

use super::Siege;
use crate::support::{ADMIN_KEY, Launch};

/// Announces a POST of `length` bytes to `path` with the key and `Expect: 100-continue`, as
/// curl does for large bodies, sends the body only if the server asks for it (`100 Continue`),
/// and returns the status, content type and body of the final answer. A client that sent the
/// whole body at once could find its upload reset before it read an early refusal.
async fn post_oversized(siege: &Siege, path: &str, length: usize) -> (StatusCode, String, Value) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let address = siege.url().trim_start_matches("http://").to_owned();
    let stream = tokio::net::TcpStream::connect(&address)
        .await
        .expect("connected");
    let (mut reading, mut writing) = stream.into_split();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {ADMIN_KEY}\r\n\
         Content-Type: application/json\r\nContent-Length: {length}\r\n\
         Expect: 100-continue\r\nConnection: close\r\n\r\n"
    );
    writing.write_all(head.as_bytes()).await.expect("head sent");
    let (go, asked) = tokio::sync::oneshot::channel::<()>();
    // The body, if asked for; a refusal may close the connection under it (ignored).
    let sender = tokio::spawn(async move {
        if asked.await.is_ok() {
            let _ = writing.write_all(&vec![b' '; length]).await;
        }
    });
    let mut go = Some(go);
    let mut answer: Vec<u8> = Vec::new();
    let read_answer = async {
        let mut chunk = [0u8; 4096];
        loop {
            let text = String::from_utf8_lossy(&answer).into_owned();
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                if head.starts_with("HTTP/1.1 100") {
                    // The interim answer: send the body, then read on for the final one.
                    answer.drain(..head.len() + 4);
                    if let Some(go) = go.take() {
                        let _ = go.send(());
                    }
                    continue;
                }
                let length = head
                    .lines()
                    .find_map(|line| {
                        let (name, value) = line.split_once(':')?;
                        name.eq_ignore_ascii_case("content-length")
                            .then(|| value.trim().parse::<usize>().ok())?
                    })
                    .unwrap_or(0);
                if body.len() >= length {
                    return;
                }
            }
            match reading.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => answer.extend_from_slice(&chunk[..n]),
            }
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(10), read_answer)
        .await
        .expect("answered in time");
    sender.abort();
    let text = String::from_utf8_lossy(&answer);
    let (head, body) = text.split_once("\r\n\r\n").expect("a complete answer");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse::<u16>().ok())
        .and_then(|code| StatusCode::from_u16(code).ok())
        .expect("a status line");
    let kind = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-type")
                .then(|| value.trim().to_owned())
        })
        .unwrap_or_default();
    (
        status,
        kind,
        serde_json::from_str(body).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn oversized_bodies_are_refused_in_the_protocols_own_error_shape() {
    let siege = Siege::start(&["--max-body-bytes", "1MiB"]).await;
    let big = 2 << 20;
    let (status, kind, body) = post_oversized(&siege, "/admin/databases/spawn/big", big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(kind.starts_with("application/json"), "{kind}");
    assert_eq!(body["error"]["code"], "payload_too_large", "{body}");
    let path = format!("/hrana/{}/v2/pipeline", super::BYSTANDER);
    let (status, kind, body) = post_oversized(&siege, &path, big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(kind.starts_with("application/json"), "{kind}");
    assert_eq!(body["code"], "PAYLOAD_TOO_LARGE", "libSQL's shape: {body}");
}

#[tokio::test]
async fn a_weak_admin_key_is_refused_outside_development_mode() {
    let data = tempfile::tempdir().expect("data dir");
    let refused = Launch::serve_in(data.path())
        .args(["--admin-key", "a"])
        .run_to_exit();
    assert!(!refused.status.success());
    assert!(refused.stderr.contains("at least 16"), "{}", refused.stderr);
    let dev = Launch::serve_in(data.path())
        .args(["--admin-key", "a", "--dev"])
        .start();
    crate::support::Api::new(dev.url(), Some("a")).list().await;
}

#[tokio::test]
async fn the_data_is_readable_by_the_servers_user_only() {
    let parent = tempfile::tempdir().expect("parent");
    let data = parent.path().join("data");
    let siege = Siege::adopt(
        Launch::serve_with_key(&data)
            .args(["--log", "warn"])
            .start(),
        parent,
    )
    .await;
    siege
        .api
        .query(
            super::BYSTANDER,
            "CREATE TABLE t(a); INSERT INTO t VALUES (1)",
            serde_json::json!([]),
        )
        .await;
    let mode = |path: &std::path::Path| {
        std::fs::metadata(path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(&data), 0o700, "the data directory");
    for file in [
        data.join("bystander.db"),
        data.join("bystander.db-wal"),
        data.join("_forge").join("catalog.db"),
    ] {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
}
