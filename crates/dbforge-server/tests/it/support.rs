//! A test gateway on a random port with its own data directory, and typed request helpers.

use clap::Parser;
use dbforge_server::{Gateway, ServeConfig};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::sync::oneshot;

pub const KEY: &str = "test-admin-key-0123456789";

#[derive(Parser)]
struct Args {
    #[command(flatten)]
    serve: ServeConfig,
}

pub struct TestServer {
    pub url: String,
    pub client: reqwest::Client,
    pub dir: TempDir,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl TestServer {
    pub async fn start() -> Self {
        Self::with(&[]).await
    }

    /// Starts a gateway with extra `serve` flags, e.g. `&["--max-result-rows", "5"]`.
    pub async fn with(flags: &[&str]) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        Self::in_dir(dir, flags).await
    }

    pub async fn in_dir(dir: TempDir, flags: &[&str]) -> Self {
        let data_dir = dir.path().to_str().expect("utf-8 temp path").to_owned();
        let mut argv = vec![
            "dbforge",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            &data_dir,
            "--admin-key",
            KEY,
        ];
        argv.extend_from_slice(flags);
        let config = Args::try_parse_from(argv).expect("valid flags").serve;
        let gateway = tokio::task::spawn_blocking(move || Gateway::open(&config))
            .await
            .expect("open task")
            .expect("gateway opens");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let (stop, stopped) = oneshot::channel::<()>();
        let stop_signal = async {
            let _ = stopped.await;
        };
        let drain = std::time::Duration::from_secs(5);
        let task = tokio::spawn(dbforge_server::serve_with(
            listener,
            gateway.state,
            stop_signal,
            drain,
        ));
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .expect("client");
        Self {
            url,
            client,
            dir,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Stops the server (drain, checkpoint, close) and hands back its data directory.
    pub async fn stop(mut self) -> TempDir {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await
                .expect("server task")
                .expect("server stops cleanly");
        }
        let dir = tempfile::tempdir().expect("temp dir");
        std::mem::replace(&mut self.dir, dir)
    }

    /// Waits for a server that failed to start serving to end; its error.
    pub async fn stopped_with_error(mut self) -> String {
        let task = self.task.take().expect("a server task");
        match tokio::time::timeout(std::time::Duration::from_secs(10), task).await {
            Ok(Ok(Err(e))) => e.to_string(),
            other => panic!("the server should have stopped with an error: {other:?}"),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// Sends `request` and returns its status and JSON body.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let response = request.send().await.expect("request sent");
        let status = response.status();
        let text = response.text().await.expect("body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text)
                .unwrap_or_else(|_| panic!("JSON body expected, got: {text}"))
        };
        (status, body)
    }

    /// GET without a key (public routes), expecting a JSON body.
    pub async fn get_public(&self, path: &str) -> (StatusCode, Value) {
        self.send(self.client.get(self.url(path))).await
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(self.client.get(self.url(path)).header("x-api-key", KEY))
            .await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(
            self.client
                .post(self.url(path))
                .header("x-api-key", KEY)
                .json(&body),
        )
        .await
    }

    pub async fn post_empty(&self, path: &str) -> (StatusCode, Value) {
        self.send(self.client.post(self.url(path)).header("x-api-key", KEY))
            .await
    }

    pub async fn spawn_db(&self, name: &str) {
        let (status, body) = self
            .post_empty(&format!("/admin/databases/spawn/{name}"))
            .await;
        assert_eq!(status, StatusCode::CREATED, "spawn {name}: {body}");
    }

    /// `POST /api/db/{db}/query` with a JSON body.
    pub async fn query(&self, db: &str, body: Value) -> (StatusCode, Value) {
        self.post(&format!("/api/db/{db}/query"), body).await
    }

    /// Creates an API key as the admin (`POST /admin/keys`); answers its id and secret.
    pub async fn create_key(&self, body: Value) -> (String, String) {
        let (status, created) = self.post("/admin/keys", body).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let id = created["key"]["id"].as_str().expect("an id").to_owned();
        let secret = created["secret"].as_str().expect("a secret").to_owned();
        (id, secret)
    }

    /// Sends a request with `key` instead of the admin key.
    pub async fn with_key(
        &self,
        key: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .client
            .request(method, self.url(path))
            .header("x-api-key", key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        self.send(request).await
    }

    /// `GET /metrics` with the admin key: the Prometheus text.
    pub async fn metrics_text(&self) -> String {
        self.client
            .get(self.url("/metrics"))
            .header("x-api-key", KEY)
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text")
    }

    /// Runs one statement that must succeed and returns its result.
    pub async fn sql(&self, db: &str, sql: &str, params: Value) -> Value {
        let (status, body) = self
            .query(db, json!({ "sql": sql, "params": params }))
            .await;
        assert_eq!(status, StatusCode::OK, "{sql}: {body}");
        body
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Asserts the error envelope: status, code, and that the message is not empty.
#[track_caller]
pub fn assert_error(response: &(StatusCode, Value), status: u16, code: &str) {
    let (actual, body) = response;
    assert_eq!(actual.as_u16(), status, "status of {body}");
    assert_eq!(body["error"]["code"], code, "code of {body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "message of {body}"
    );
}
