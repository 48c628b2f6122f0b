//! The smaller findings: refusals in the right shape, weak keys, and files others could read.

use std::os::unix::fs::PermissionsExt as _;

use reqwest::StatusCode;
use serde_json::Value;

use super::Siege;
use crate::support::{ADMIN_KEY, Launch};

/// Posts `body` (raw) to `path` with the key and returns the status, content type and body.
async fn post_raw(siege: &Siege, path: &str, body: Vec<u8>) -> (StatusCode, String, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}{path}", siege.url()))
        .bearer_auth(ADMIN_KEY)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("answered");
    let status = response.status();
    let kind = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, kind, body)
}

#[tokio::test]
async fn oversized_bodies_are_refused_in_the_protocols_own_error_shape() {
    let siege = Siege::start(&["--max-body-bytes", "1MiB"]).await;
    let big = vec![b' '; 2 << 20];
    let (status, kind, body) = post_raw(&siege, "/admin/databases/spawn/big", big.clone()).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(kind.starts_with("application/json"), "{kind}");
    assert_eq!(body["error"]["code"], "payload_too_large", "{body}");
    let path = format!("/hrana/{}/v2/pipeline", super::BYSTANDER);
    let (status, kind, body) = post_raw(&siege, &path, big).await;
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
