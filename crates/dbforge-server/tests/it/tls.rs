//! TLS: the server speaks HTTPS with the configured certificate, refuses plain HTTP on that
//! port, and on SIGHUP serves a renewed certificate to new connections while open ones carry
//! on; a reload of a broken file keeps the old certificate.

use std::path::Path;
use std::time::Duration;

use reqwest::StatusCode;

use crate::support::TestServer;

/// A self-signed certificate for `localhost`, written to `{dir}/cert.pem` and `key.pem`; its
/// PEM, for a client to trust.
fn issue(dir: &Path) -> String {
    let issued =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("a certificate");
    let cert = issued.cert.pem();
    std::fs::write(dir.join("cert.pem"), &cert).expect("cert written");
    std::fs::write(dir.join("key.pem"), issued.signing_key.serialize_pem()).expect("key written");
    cert
}

/// A client that trusts only `cert`.
fn trusting(cert: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert.as_bytes()).expect("PEM"))
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

fn hang_up() {
    rustix::process::kill_process(rustix::process::getpid(), rustix::process::Signal::HUP)
        .expect("SIGHUP sent to this process");
}

#[tokio::test]
async fn https_with_a_certificate_renewed_on_sighup_without_dropping_connections() {
    let certs = tempfile::tempdir().expect("temp dir");
    let first = issue(certs.path());
    let cert = certs.path().join("cert.pem");
    let key = certs.path().join("key.pem");
    let srv = TestServer::with(&[
        "--tls-cert",
        cert.to_str().expect("utf-8"),
        "--tls-key",
        key.to_str().expect("utf-8"),
    ])
    .await;
    let https = srv.url.replace("http://127.0.0.1", "https://localhost");
    let health = format!("{https}/health");

    let old_client = trusting(&first);
    let answer = old_client.get(&health).send().await.expect("HTTPS");
    assert_eq!(answer.status(), StatusCode::OK);
    // Plain HTTP on the TLS port gets no answer, and does not hold the server.
    assert!(srv.client.get(srv.url("/health")).send().await.is_err());

    let second = issue(certs.path());
    hang_up();
    let new_client = trusting(&second);
    // Waits for the outcome (bounded): the reload runs on the signal's own task.
    tokio::time::timeout(Duration::from_secs(10), async {
        while new_client.get(&health).send().await.is_err() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("new connections get the renewed certificate");
    // The connection opened before the renewal is still open and still serves.
    let kept = old_client
        .get(&health)
        .send()
        .await
        .expect("the open connection");
    assert_eq!(kept.status(), StatusCode::OK);
    // A new connection that trusts only the old certificate is refused.
    assert!(trusting(&first).get(&health).send().await.is_err());

    // A broken file on the next reload keeps the certificate in use.
    std::fs::write(&cert, "not a certificate").expect("broken");
    hang_up();
    let answer = trusting(&second)
        .get(&health)
        .send()
        .await
        .expect("still served");
    assert_eq!(answer.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_certificate_without_its_key_is_refused_at_start() {
    let certs = tempfile::tempdir().expect("temp dir");
    issue(certs.path());
    std::fs::write(certs.path().join("key.pem"), "not a key").expect("broken key");
    let flags = [
        "--tls-cert".to_owned(),
        certs.path().join("cert.pem").display().to_string(),
        "--tls-key".to_owned(),
        certs.path().join("key.pem").display().to_string(),
    ];
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let srv = TestServer::with(&flags).await;
    // The server task ends with the error (the in-process server cannot report it earlier).
    let stopped = srv.stopped_with_error().await;
    assert!(stopped.contains("--tls-key"), "{stopped}");
}
