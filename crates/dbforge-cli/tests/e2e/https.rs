//! HTTPS against the real binary: `dbforge serve --tls-cert --tls-key` answers curl and the
//! CLI (`--ca-cert`) over `https://`, a client that does not trust the certificate is refused,
//! and `kill -HUP` serves a renewed certificate.

use std::path::Path;
use std::process::Command;

use crate::support::{ADMIN_KEY, Launch, client_failure, client_stdout, run_client};

/// A self-signed certificate for `localhost` in `{dir}/{name}.pem` and `{name}.key`.
fn issue(dir: &Path, name: &str) {
    let issued =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("a certificate");
    std::fs::write(dir.join(format!("{name}.pem")), issued.cert.pem()).expect("cert");
    std::fs::write(
        dir.join(format!("{name}.key")),
        issued.signing_key.serialize_pem(),
    )
    .expect("key");
}

fn curl_health(url: &str, ca: &Path) -> std::process::Output {
    Command::new("curl")
        .args([
            "--silent",
            "--show-error",
            "--fail",
            "--max-time",
            "10",
            "--cacert",
        ])
        .arg(ca)
        .arg(format!("{url}/health"))
        .output()
        .expect("curl runs")
}

#[test]
fn curl_and_the_cli_speak_https_and_a_renewed_certificate_is_served_after_sighup() {
    let data = tempfile::tempdir().expect("data dir");
    let certs = tempfile::tempdir().expect("cert dir");
    issue(certs.path(), "first");
    issue(certs.path(), "second");
    let (cert, key) = (certs.path().join("cert.pem"), certs.path().join("key.pem"));
    std::fs::copy(certs.path().join("first.pem"), &cert).expect("copy");
    std::fs::copy(certs.path().join("first.key"), &key).expect("copy");
    let server = Launch::serve_with_key(data.path())
        .args([
            "--tls-cert".as_ref(),
            cert.as_os_str(),
            "--tls-key".as_ref(),
            key.as_os_str(),
        ])
        .start();
    assert!(server.url().starts_with("https://"), "{}", server.url());
    let url = server.url().replace("127.0.0.1", "localhost");
    let first = certs.path().join("first.pem");
    let second = certs.path().join("second.pem");

    let answer = curl_health(&url, &first);
    assert!(
        answer.status.success(),
        "{}",
        String::from_utf8_lossy(&answer.stderr)
    );
    assert!(String::from_utf8_lossy(&answer.stdout).contains("\"ok\""));
    let ca = first.to_str().expect("utf-8");
    let listed = run_client(
        &url,
        &["--ca-cert", ca, "db", "list", "--format", "json"],
        None,
    );
    let _ = client_stdout(&listed);
    // Without trusting the certificate the CLI refuses the server (and never sends the key).
    let (_, stderr) = client_failure(&run_client(&url, &["db", "list"], None));
    assert!(!stderr.contains(ADMIN_KEY), "{stderr}");

    // Renewal: the new certificate's files in place, then SIGHUP.
    std::fs::copy(&second, &cert).expect("copy");
    std::fs::copy(certs.path().join("second.key"), &key).expect("copy");
    server.send_signal("HUP");
    // Waits for the outcome (bounded): the reload runs on the signal's own task.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !curl_health(&url, &second).status.success() {
        assert!(
            std::time::Instant::now() < deadline,
            "the renewed certificate was not served"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(
        !curl_health(&url, &first).status.success(),
        "the old certificate is gone"
    );
    assert!(
        server.stderr().contains("reloaded the TLS certificate"),
        "{}",
        server.stderr()
    );
}
