//! Clients that hold the server's connections, descriptors and memory without finishing a
//! request: anonymous bodies, slow bodies, half-open and idle connections.

use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use super::{Siege, rss_bytes};
use crate::support::{ADMIN_KEY, Launch};

fn address(siege: &Siege) -> String {
    siege.url().trim_start_matches("http://").to_owned()
}

/// Sends a request head announcing a `length`-byte body, then as much of the body as the
/// server takes within `for_at_most`, and returns the status line of the answer (empty if
/// none came).
async fn post_big_body(address: &str, path: &str, key: Option<&str>, length: usize) -> String {
    let mut socket = TcpStream::connect(address).await.expect("connect");
    let key = key.map_or(String::new(), |k| format!("Authorization: Bearer {k}\r\n"));
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\n{key}Content-Type: application/json\r\n\
         Content-Length: {length}\r\n\r\n"
    );
    socket
        .write_all(head.as_bytes())
        .await
        .expect("send the head");
    let chunk = vec![b' '; 1 << 20];
    let mut sent = 0;
    let mut answer = Vec::new();
    let mut buffer = [0u8; 1024];
    let (mut reader, mut writer) = socket.split();
    while sent < length {
        // The server may answer (and stop reading) before the body is all sent.
        tokio::select! {
            written = writer.write(&chunk[..chunk.len().min(length - sent)]) => match written {
                Ok(n) if n > 0 => sent += n,
                _ => break,
            },
            read = reader.read(&mut buffer) => match read {
                Ok(n) if n > 0 => {
                    answer.extend_from_slice(&buffer[..n]);
                    break;
                }
                _ => break,
            },
        }
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while !answer.windows(2).any(|w| w == b"\r\n") && Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_secs(10), reader.read(&mut buffer)).await {
            Ok(Ok(n)) if n > 0 => answer.extend_from_slice(&buffer[..n]),
            _ => break,
        }
    }
    let text = String::from_utf8_lossy(&answer);
    text.lines().next().unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_clients_cannot_make_the_server_hold_their_bodies() {
    let siege = Siege::start(&[]).await;
    let address = address(&siege);
    // 40 anonymous libSQL requests of 30 MB each: read before the key was checked, they
    // held over a gigabyte.
    let attack = async {
        let sends = (0..40).map(|_| post_big_body(&address, "/v2/pipeline", None, 30 << 20));
        futures::future::join_all(sends).await
    };
    let (answers, watch) = siege.during(attack).await;
    for answer in &answers {
        assert!(answer.contains(" 401 "), "refused at once: {answer:?}");
    }
    watch.assert_unharmed("anonymous bodies");
    watch.assert_memory_below(200 << 20, "anonymous bodies");
    // The same with a wrong key, and the refusal is libSQL's error shape.
    let (status, body) = siege
        .api
        .with_key(Some("wrong-key-0123456789"))
        .bearer()
        .try_send(
            reqwest::Method::POST,
            "/hrana/bystander/v2/pipeline",
            Some(&json!("not a pipeline")),
        )
        .await
        .expect("answered");
    assert_eq!(status, reqwest::StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["code"], "UNAUTHORIZED", "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_sent_too_slowly_is_refused_at_the_body_timeout() {
    let siege = Siege::start(&["--body-read-timeout", "1s"]).await;
    let address = address(&siege);
    let attack = async {
        let mut socket = TcpStream::connect(&address).await.expect("connect");
        let head = format!(
            "POST /api/db/bystander/query HTTP/1.1\r\nHost: {address}\r\nX-API-Key: {ADMIN_KEY}\r\n\
             Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{"
        );
        socket
            .write_all(head.as_bytes())
            .await
            .expect("send the head");
        let started = Instant::now();
        let mut answer = Vec::new();
        let mut buffer = [0u8; 4096];
        let (mut reader, mut writer) = socket.split();
        // One byte every 200 ms: never done in time.
        while started.elapsed() < Duration::from_secs(8) {
            tokio::select! {
                read = reader.read(&mut buffer) => match read {
                    Ok(n) if n > 0 => { answer.extend_from_slice(&buffer[..n]); break; }
                    _ => break,
                },
                () = tokio::time::sleep(Duration::from_millis(200)) => {
                    if writer.write_all(b" ").await.is_err() { break; }
                }
            }
        }
        (
            String::from_utf8_lossy(&answer).into_owned(),
            started.elapsed(),
        )
    };
    let ((answer, took), watch) = siege.during(attack).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"body_timeout\""), "{answer}");
    assert!(took < Duration::from_secs(3), "answered after {took:?}");
    watch.assert_unharmed("slow body");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_half_open_connections_cannot_exhaust_the_descriptors() {
    let data = tempfile::tempdir().expect("data dir");
    // The usual limit of 1,024 descriptors, soft and hard: the server cannot raise it.
    let server = Launch::serve_with_key(data.path())
        .args(["--log", "warn", "--header-read-timeout", "1s"])
        .descriptor_limits(1024, 1024)
        .start();
    let siege = Siege::adopt(server, data).await;
    let address = address(&siege);
    let attack = async {
        let mut held = Vec::new();
        // Far more connections than descriptors; half of them send part of a head.
        for i in 0..1_500 {
            match TcpStream::connect(&address).await {
                Ok(mut socket) => {
                    if i % 2 == 0 {
                        let _ = socket.write_all(b"GET /health HTTP/1.1\r\nHost: x").await;
                    }
                    held.push(socket);
                }
                Err(_) => break,
            }
        }
        // Keep them a while, then see whether the server let them go.
        tokio::time::sleep(Duration::from_secs(2)).await;
        let mut closed = 0;
        for socket in &mut held {
            let mut byte = [0u8; 1];
            let read = tokio::time::timeout(Duration::from_millis(100), socket.read(&mut byte));
            if matches!(read.await, Ok(Ok(0) | Err(_))) {
                closed += 1;
            }
        }
        (held.len(), closed)
    };
    let ((opened, closed), watch) = siege.during(attack).await;
    assert!(opened >= 1_000, "only {opened} connections could be opened");
    // Those accepted were closed at the header timeout; the rest never got a place.
    assert!(closed > 0, "no idle connection was ever closed");
    watch.assert_unharmed("idle connections");
    let stderr = siege.server.stderr();
    assert!(!stderr.contains("Too many open files"), "{stderr}");
    // Once the attack is over, new clients are served again.
    siege
        .api
        .query(super::BYSTANDER, "SELECT 1", json!([]))
        .await;
}

#[tokio::test]
async fn the_descriptor_limit_is_raised_to_what_the_process_may_use() {
    let data = tempfile::tempdir().expect("data dir");
    let server = Launch::serve_with_key(data.path())
        .descriptor_limits(1024, 4096)
        .start();
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", server.pid()))
        .expect("read the server's limits");
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .expect("a descriptor limit");
    let soft: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(soft.get(3), Some(&"4096"), "{line}");
    assert!(rss_bytes(server.pid()) > 0);
}
