//! The admin key: generated and printed once on first start, kept private in the data
//! directory and reused; the well-known development key only with `--dev`.

use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt as _;

use reqwest::StatusCode;

use crate::support::{Api, DEV_KEY, Launch};

/// Asserts that `api` (with a bad or missing key) is refused with `unauthorized`.
async fn assert_unauthorized(api: &Api, why: &str) {
    let (status, body) = api.get("/admin/databases").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{why}: {body}");
    assert_eq!(body["error"]["code"], "unauthorized", "{why}: {body}");
}

#[tokio::test]
async fn generated_key_is_printed_once_stored_private_and_reused() {
    let data = tempfile::tempdir().expect("data dir");
    let key_path = data.path().join("_forge").join("admin.key");

    let mut first = Launch::serve_in(data.path()).start();
    let key = first
        .banner
        .generated_key
        .clone()
        .unwrap_or_else(|| panic!("no generated key in {:?}", first.banner.lines));
    let random = key.strip_prefix("dbf_").expect("the key starts with dbf_");
    // 256 bits in base64url.
    assert!(
        random.len() == 43
            && random
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
        "key {key:?}"
    );
    assert!(
        first
            .banner
            .key_line
            .contains(&key_path.display().to_string()),
        "the banner says where the key is stored: {:?}",
        first.banner.key_line
    );
    let stored = std::fs::read_to_string(&key_path).expect("read the stored key");
    assert_eq!(stored.trim(), key);
    let mode = std::fs::metadata(&key_path)
        .expect("key file metadata")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "key file mode {mode:o}");

    let api = Api::new(first.url(), Some(&key));
    api.list().await;
    api.bearer().list().await;
    assert_unauthorized(&api.with_key(Some("dbf_wrong")), "a wrong key").await;
    assert_unauthorized(&api.with_key(None), "no key").await;
    assert!(first.terminate().success());
    drop(first);

    let second = Launch::serve_in(data.path()).start();
    assert_eq!(second.banner.generated_key, None);
    assert_eq!(
        second.banner.key_line,
        format!("  admin API key: in {}", key_path.display())
    );
    let api = Api::new(second.url(), Some(&key));
    api.list().await;
    assert!(
        !second.stdout().contains(&key),
        "the stored key is printed again:\n{}",
        second.stdout()
    );
}

#[tokio::test]
async fn dev_key_is_accepted_with_dev_only() {
    let dev_dir = tempfile::tempdir().expect("data dir");
    let dev = Launch::serve_in(dev_dir.path()).args(["--dev"]).start();
    assert_eq!(dev.banner.key_line, format!("  admin API key: {DEV_KEY}"));
    Api::new(dev.url(), Some(DEV_KEY)).list().await;

    let plain_dir = tempfile::tempdir().expect("data dir");
    let plain = Launch::serve_in(plain_dir.path()).start();
    assert_unauthorized(
        &Api::new(plain.url(), Some(DEV_KEY)),
        "the dev key without --dev",
    )
    .await;
    let configured_dir = tempfile::tempdir().expect("data dir");
    let configured = Launch::serve_in(configured_dir.path())
        .args(["--admin-key", "configured-key-0123"])
        .start();
    assert_eq!(configured.banner.key_line, "  admin API key: as configured");
    let api = Api::new(configured.url(), Some("configured-key-0123"));
    api.list().await;
    assert_unauthorized(
        &api.with_key(Some(DEV_KEY)),
        "the dev key with --admin-key only",
    )
    .await;
}

/// Either the server refuses to start, or it starts and refuses an empty key.
async fn assert_empty_key_refused(launch: Launch, why: &str) {
    match launch.try_start() {
        Err(exited) => assert!(!exited.status.success(), "{why}: {exited:?}"),
        Ok(server) => assert_unauthorized(&Api::new(server.url(), Some("")), why).await,
    }
}

#[tokio::test]
async fn empty_configured_admin_key_does_not_open_the_server() {
    let data = tempfile::tempdir().expect("data dir");
    let launch = Launch::serve_in(data.path()).env("DBFORGE_ADMIN_KEY", "");
    assert_empty_key_refused(launch, "an empty key with DBFORGE_ADMIN_KEY=").await;
}

#[tokio::test]
async fn empty_stored_key_file_does_not_open_the_server() {
    let data = tempfile::tempdir().expect("data dir");
    let forge = data.path().join("_forge");
    std::fs::create_dir_all(&forge).expect("create _forge");
    std::fs::write(forge.join("admin.key"), "").expect("write an empty key file");
    let launch = Launch::serve_in(data.path());
    assert_empty_key_refused(launch, "an empty key with an empty admin.key").await;
}

#[test]
fn generated_key_is_shown_even_when_the_first_start_fails() {
    let data = tempfile::tempdir().expect("data dir");
    let taken = TcpListener::bind("127.0.0.1:0").expect("hold a port");
    let address = taken.local_addr().expect("held address").to_string();
    let failed = Launch::serve_on(data.path(), &address).run_to_exit();
    assert_eq!(failed.status.code(), Some(1), "stderr: {}", failed.stderr);
    drop(taken);

    let next = Launch::serve_in(data.path()).start();
    let key_path = data.path().join("_forge").join("admin.key");
    let key = std::fs::read_to_string(&key_path).expect("the key is stored");
    let key = key.trim();
    assert!(
        failed.stdout.contains(key) || next.banner.generated_key.as_deref() == Some(key),
        "the stored key was never shown; failed start printed {:?}, next start {:?}",
        failed.stdout,
        next.banner.lines
    );
}
