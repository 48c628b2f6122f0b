//! Shared helpers: launching the real `dbforge` binary, reading its start-up banner, stopping
//! it with signals, talking to its HTTP API and inspecting database files directly.

use std::ffi::OsString;
use std::io::{BufRead as _, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

/// How long the server may take to print its banner.
pub const START_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a stopping server (or a command expected to fail fast) may take to exit.
pub const EXIT_TIMEOUT: Duration = Duration::from_secs(10);

/// A key given with `--admin-key` by tests that do not test key handling.
pub const ADMIN_KEY: &str = "e2e-admin-key-0123456789";

/// The well-known key accepted with `--dev`.
pub const DEV_KEY: &str = "development-api-key-12345";

/// The `dbforge` binary under test: this build's, or the one `DBFORGE_E2E_BIN` names (to run
/// the suite against another build, e.g. to show an attack test fails on an older one).
pub fn binary() -> std::path::PathBuf {
    std::env::var_os("DBFORGE_E2E_BIN")
        .map_or_else(|| env!("CARGO_BIN_EXE_dbforge").into(), Into::into)
}

/// A `dbforge` command line to run, with an environment free of the caller's `DBFORGE_*`
/// variables so that a developer's shell cannot change what a test sees.
pub struct Launch {
    args: Vec<OsString>,
    envs: Vec<(String, OsString)>,
    /// `(soft, hard)` limits on open descriptors to start the server under.
    descriptors: Option<(u64, u64)>,
}

impl Launch {
    /// `dbforge <args>`.
    pub fn new<I, S>(args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        Self {
            args: args.into_iter().map(Into::into).collect(),
            envs: Vec::new(),
            descriptors: None,
        }
    }

    /// `dbforge serve --listen 127.0.0.1:0 --data-dir <dir>`.
    pub fn serve_in(data_dir: &Path) -> Self {
        Self::serve_on(data_dir, "127.0.0.1:0")
    }

    /// `dbforge serve --listen <listen> --data-dir <dir>`.
    pub fn serve_on(data_dir: &Path, listen: &str) -> Self {
        Self::new([
            OsString::from("serve"),
            "--listen".into(),
            listen.into(),
            "--data-dir".into(),
            data_dir.into(),
        ])
    }

    /// `serve_in` with the fixed test admin key.
    pub fn serve_with_key(data_dir: &Path) -> Self {
        Self::serve_in(data_dir).args(["--admin-key", ADMIN_KEY])
    }

    /// More arguments at the end of the command line.
    pub fn args<I, S>(mut self, more: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(more.into_iter().map(Into::into));
        self
    }

    pub fn env(mut self, key: &str, value: impl Into<OsString>) -> Self {
        self.envs.push((key.to_owned(), value.into()));
        self
    }

    /// Starts the process with these limits on open descriptors (through the shell's
    /// `ulimit`: the workspace forbids the unsafe code setrlimit(2) would need here).
    pub fn descriptor_limits(mut self, soft: u64, hard: u64) -> Self {
        self.descriptors = Some((soft, hard));
        self
    }

    fn command(&self) -> Command {
        let mut command = match self.descriptors {
            Some((soft, hard)) => {
                let mut shell = Command::new("sh");
                shell
                    .arg("-c")
                    .arg(format!(
                        "ulimit -Sn {soft} && ulimit -Hn {hard} && exec \"$0\" \"$@\""
                    ))
                    .arg(binary());
                shell
            }
            None => Command::new(binary()),
        };
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("DBFORGE_") {
                command.env_remove(&key);
            }
        }
        command
            .args(&self.args)
            .envs(self.envs.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }

    /// Starts a server and waits for its banner.
    pub fn start(self) -> Server {
        self.try_start().unwrap_or_else(|exited| {
            panic!(
                "dbforge exited before serving ({}); stdout:\n{}\nstderr:\n{}",
                exited.status, exited.stdout, exited.stderr
            )
        })
    }

    /// Starts a server and waits for its banner, or for its exit if it fails to start.
    pub fn try_start(self) -> Result<Server, Finished> {
        let mut child = self.command().spawn().expect("spawn the dbforge binary");
        let stdout_pipe = child.stdout.take().expect("child stdout is piped");
        let stderr_pipe = child.stderr.take().expect("child stderr is piped");
        let stdout = Captured::default();
        let stderr = Captured::default();
        let (lines_tx, lines) = mpsc::channel();
        let stdout_reader = {
            let stdout = stdout.clone();
            thread::spawn(move || {
                for line in BufReader::new(stdout_pipe).lines() {
                    let Ok(line) = line else { break };
                    stdout.push_line(&line);
                    // The receiver is gone once the banner is read; keep draining regardless.
                    let _ = lines_tx.send(line);
                }
            })
        };
        let stderr_reader = drain_into(stderr_pipe, stderr.clone());
        let mut server = Server {
            child,
            stdout,
            stderr,
            banner: Banner::default(),
        };
        match read_banner(&lines) {
            Some(banner) => {
                server.banner = banner;
                Ok(server)
            }
            None => {
                let status = server.wait_exit(EXIT_TIMEOUT);
                stdout_reader.join().expect("stdout reader");
                stderr_reader.join().expect("stderr reader");
                Err(Finished {
                    status,
                    stdout: server.stdout(),
                    stderr: server.stderr(),
                })
            }
        }
    }

    /// Runs a command expected to exit on its own (bad configuration, `--help`) and returns
    /// its exit status and output.
    pub fn run_to_exit(self) -> Finished {
        let mut child = self.command().spawn().expect("spawn the dbforge binary");
        let stdout = Captured::default();
        let stderr = Captured::default();
        let out = drain_into(child.stdout.take().expect("piped"), stdout.clone());
        let err = drain_into(child.stderr.take().expect("piped"), stderr.clone());
        let status = wait_with_timeout(&mut child, EXIT_TIMEOUT).unwrap_or_else(|| {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "dbforge did not exit within {EXIT_TIMEOUT:?}; stderr:\n{}",
                stderr.text()
            )
        });
        out.join().expect("stdout reader");
        err.join().expect("stderr reader");
        Finished {
            status,
            stdout: stdout.text(),
            stderr: stderr.text(),
        }
    }
}

/// What a command that ran to its end left.
#[derive(Debug)]
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

/// Output of a child process collected by a reader thread.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<String>>);

impl Captured {
    fn push_line(&self, line: &str) {
        let mut text = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        text.push_str(line);
        text.push('\n');
    }

    fn text(&self) -> String {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

/// Reads `pipe` to its end on a thread, so that a chatty child never blocks on a full pipe.
fn drain_into(
    mut pipe: impl std::io::Read + Send + 'static,
    into: Captured,
) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let mut buffer = [0u8; 8192];
        loop {
            match pipe.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let chunk = String::from_utf8_lossy(&buffer[..n]);
                    into.0
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .push_str(&chunk);
                }
            }
        }
    })
}

fn wait_with_timeout(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().expect("poll the child process") {
            return Some(status);
        }
        if Instant::now() >= deadline {
            return None;
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// Reads the banner from the server's stdout lines; `None` if stdout closed first (the
/// server exited). Panics if the server neither serves nor exits in time.
fn read_banner(lines: &mpsc::Receiver<String>) -> Option<Banner> {
    let deadline = Instant::now() + START_TIMEOUT;
    let mut banner = Banner::default();
    let mut key_follows = false;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = match lines.recv_timeout(left) {
            Ok(line) => line,
            Err(mpsc::RecvTimeoutError::Disconnected) => return None,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                panic!("no complete banner within {START_TIMEOUT:?}; so far: {banner:?}")
            }
        };
        banner.lines.push(line.clone());
        if key_follows {
            banner.generated_key = Some(line.trim().to_owned());
            return Some(banner);
        }
        if let Some((_, url)) = line.split_once(" listening on ") {
            banner.url = url.trim().to_owned();
        } else if line.starts_with("  admin API key") {
            banner.key_line = line.clone();
            key_follows = line.starts_with("  admin API key (generated now");
            if !key_follows {
                return Some(banner);
            }
        }
    }
}

/// The start-up banner printed on stdout.
#[derive(Debug, Default, Clone)]
pub struct Banner {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    /// The line saying where the admin key comes from.
    pub key_line: String,
    /// The key, when it was generated by this start.
    pub generated_key: Option<String>,
    /// Every banner line as printed.
    pub lines: Vec<String>,
}

impl Banner {
    pub fn port(&self) -> u16 {
        self.url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in the URL {:?}", self.url))
    }
}

/// A running `dbforge serve`; killed (SIGKILL) when dropped, so a failing test leaves no
/// process behind.
pub struct Server {
    child: Child,
    stdout: Captured,
    stderr: Captured,
    pub banner: Banner,
}

impl Server {
    pub fn url(&self) -> &str {
        &self.banner.url
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything the server wrote on stderr so far (its logs).
    pub fn stderr(&self) -> String {
        self.stderr.text()
    }

    /// Everything the server wrote on stdout so far.
    pub fn stdout(&self) -> String {
        self.stdout.text()
    }

    /// Sends a signal by name (`TERM`, `INT`) with kill(1): the workspace forbids the unsafe
    /// code calling kill(2) directly would need.
    pub fn send_signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([format!("-{signal}"), self.pid().to_string()])
            .status()
            .expect("run kill(1)");
        assert!(status.success(), "kill -{signal} failed: {status}");
    }

    /// Sends SIGTERM, as a service manager stopping the server would.
    pub fn send_sigterm(&self) {
        self.send_signal("TERM");
    }

    /// Waits for the server to exit on its own.
    pub fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        // The guard's drop prints the server's output when this panics.
        wait_with_timeout(&mut self.child, timeout)
            .unwrap_or_else(|| panic!("dbforge did not exit within {timeout:?}"))
    }

    /// SIGTERM, then the exit status once it has drained and closed everything.
    pub fn terminate(&mut self) -> ExitStatus {
        self.send_sigterm();
        self.wait_exit(EXIT_TIMEOUT)
    }

    /// SIGKILL: the process dies at once, whatever it was doing.
    pub fn kill_9(&mut self) {
        self.child.kill().expect("SIGKILL the server");
        self.child.wait().expect("reap the killed server");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        if thread::panicking() {
            eprintln!(
                "--- dbforge (pid {}) stdout ---\n{}--- dbforge stderr ---\n{}",
                self.child.id(),
                self.stdout(),
                self.stderr()
            );
        }
    }
}

/// A port that was free a moment ago (bound and released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind a probe socket")
        .port()
}

/// The HTTP client of one server, with a key (or none).
#[derive(Clone)]
pub struct Api {
    client: reqwest::Client,
    base: String,
    key: Option<String>,
    /// Send the key as `Authorization: Bearer` instead of `X-API-Key`.
    bearer: bool,
}

impl Api {
    pub fn new(base: &str, key: Option<&str>) -> Self {
        Self::connecting_from(base, key, None)
    }

    /// A client whose connections come from `local` (another loopback address, say), so
    /// that a server's per-address limits treat it as a different client.
    pub fn connecting_from(base: &str, key: Option<&str>, local: Option<std::net::IpAddr>) -> Self {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(15))
            .local_address(local)
            .build()
            .expect("build the HTTP client");
        Self {
            client,
            base: base.trim_end_matches('/').to_owned(),
            key: key.map(str::to_owned),
            bearer: false,
        }
    }

    pub fn with_key(&self, key: Option<&str>) -> Self {
        Self {
            key: key.map(str::to_owned),
            ..self.clone()
        }
    }

    /// The same client sending its key as `Authorization: Bearer <key>`.
    pub fn bearer(&self) -> Self {
        Self {
            bearer: true,
            ..self.clone()
        }
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let request = self.client.request(method, format!("{}{path}", self.base));
        match &self.key {
            Some(key) if self.bearer => request.bearer_auth(key),
            Some(key) => request.header("X-API-Key", key),
            None => request,
        }
    }

    /// Sends a request and returns its status and JSON body (`Null` when the body is empty or
    /// not JSON), or the transport error.
    pub async fn try_send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> reqwest::Result<(StatusCode, Value)> {
        let mut request = self.request(method, path);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await?;
        let status = response.status();
        let bytes = response.bytes().await?;
        Ok((
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        ))
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> (StatusCode, Value) {
        self.try_send(method.clone(), path, body)
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(reqwest::Method::GET, path, None).await
    }

    /// `GET /health`, 200 expected.
    pub async fn health(&self) -> Value {
        let (status, body) = self.get("/health").await;
        assert_eq!(status, StatusCode::OK, "health: {body}");
        body
    }

    /// `POST /admin/databases/spawn/{name}`, 201 expected.
    pub async fn spawn(&self, name: &str) -> Value {
        let path = format!("/admin/databases/spawn/{name}");
        let (status, body) = self.send(reqwest::Method::POST, &path, None).await;
        assert_eq!(status, StatusCode::CREATED, "spawn {name}: {body}");
        body
    }

    /// `GET /admin/databases`, 200 expected.
    pub async fn list(&self) -> Value {
        let (status, body) = self.get("/admin/databases?limit=1000").await;
        assert_eq!(status, StatusCode::OK, "list databases: {body}");
        body
    }

    /// The names in `GET /admin/databases`, in order.
    pub async fn names(&self) -> Vec<String> {
        self.list().await["databases"]
            .as_array()
            .expect("`databases` is an array")
            .iter()
            .map(|d| d["name"].as_str().expect("a name").to_owned())
            .collect()
    }

    /// `POST /api/db/{db}/query` without checking the answer.
    pub async fn try_query(
        &self,
        db: &str,
        sql: &str,
        params: Value,
    ) -> reqwest::Result<(StatusCode, Value)> {
        let body = json!({ "sql": sql, "params": params });
        self.try_send(
            reqwest::Method::POST,
            &format!("/api/db/{db}/query"),
            Some(&body),
        )
        .await
    }

    /// `POST /api/db/{db}/query`, 200 expected.
    pub async fn query(&self, db: &str, sql: &str, params: Value) -> Value {
        let (status, body) = self
            .try_query(db, sql, params)
            .await
            .unwrap_or_else(|e| panic!("query {db}: {sql}: {e}"));
        assert_eq!(status, StatusCode::OK, "query {db}: {sql}: {body}");
        body
    }

    /// The single integer a one-row, one-column query returns.
    pub async fn query_int(&self, db: &str, sql: &str) -> i64 {
        let body = self.query(db, sql, json!([])).await;
        let row = body["rows"][0]
            .as_object()
            .unwrap_or_else(|| panic!("{sql}: no row in {body}"));
        row.values()
            .next()
            .and_then(Value::as_i64)
            .unwrap_or_else(|| panic!("{sql}: not an integer in {body}"))
    }
}

/// The `.db` files of the databases in a data directory (not the gateway's own `_forge/`).
pub fn database_files(data_dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(data_dir)
        .expect("read the data directory")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "db"))
        .collect();
    files.sort();
    files
}

/// `<path><suffix>`, e.g. the `-wal` next to a database.
pub fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Opens a database file directly, as any SQLite tool would (recovering its WAL).
pub fn open_sqlite(path: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path)
        .unwrap_or_else(|e| panic!("open {} with SQLite: {e}", path.display()))
}

/// Asserts `PRAGMA integrity_check` says "ok".
pub fn assert_integrity(conn: &rusqlite::Connection, what: &str) {
    let result: Vec<String> = conn
        .prepare("PRAGMA integrity_check")
        .and_then(|mut s| {
            s.query_map([], |r| r.get::<_, String>(0))?
                .collect::<Result<_, _>>()
        })
        .unwrap_or_else(|e| panic!("integrity_check of {what}: {e}"));
    assert_eq!(result, ["ok"], "integrity_check of {what}");
}

/// Runs `dbforge <args>` as a client of `url` with the admin key, feeding `stdin`.
pub fn run_client(url: &str, args: &[&str], stdin: Option<&str>) -> std::process::Output {
    run_client_with_key(url, ADMIN_KEY, args, stdin)
}

/// Runs `dbforge <args>` as a client of `url` with `key` (a scoped key's secret or a token) in
/// `DBFORGE_API_KEY`, feeding `stdin`.
pub fn run_client_with_key(
    url: &str,
    key: &str,
    args: &[&str],
    stdin: Option<&str>,
) -> std::process::Output {
    use std::io::Write as _;
    let mut child = Command::new(env!("CARGO_BIN_EXE_dbforge"))
        .args(args)
        .env("DBFORGE_URL", url)
        .env("DBFORGE_API_KEY", key)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn dbforge");
    let mut input = child.stdin.take().expect("stdin");
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).expect("write stdin");
    }
    drop(input);
    child.wait_with_output().expect("dbforge finishes")
}

/// The standard output of a client run that must have succeeded.
pub fn client_stdout(output: &std::process::Output) -> String {
    assert!(
        output.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The exit code and standard error of a client run that must have failed.
pub fn client_failure(output: &std::process::Output) -> (Option<i32>, String) {
    assert!(
        !output.status.success(),
        "succeeded: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A program running in a real terminal (a detached tmux session, 120x30), driven with keys
/// and read from the screen, as a person would. The session is killed on drop.
pub struct Terminal {
    session: String,
}

impl Terminal {
    /// Starts `command` (a shell command line) in a new session named after `name`.
    pub fn start(name: &str, command: &str) -> Self {
        assert!(
            Command::new("tmux").arg("-V").output().is_ok(),
            "tmux is required for this test (.ci/run installs it)"
        );
        let terminal = Terminal {
            session: format!("dbforge-e2e-{name}-{}", std::process::id()),
        };
        terminal.tmux(&[
            "new-session",
            "-d",
            "-s",
            &terminal.session,
            "-x",
            "120",
            "-y",
            "30",
            command,
        ]);
        terminal
    }

    fn tmux(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux").args(args).output().expect("run tmux")
    }

    /// Sends named keys (`Enter`, `F5`, `C-c`, `Home`, ...).
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", self.session.as_str()];
        args.extend_from_slice(keys);
        self.tmux(&args);
    }

    /// Types `text` literally.
    pub fn type_text(&self, text: &str) {
        // tmux reads a trailing ';' of an argument as its own command separator.
        let escaped = text.replace(';', "\\;");
        self.keys(&["-l", &escaped]);
    }

    /// What the screen shows now (tmux trims trailing spaces of each line).
    pub fn screen(&self) -> String {
        String::from_utf8_lossy(
            &self
                .tmux(&["capture-pane", "-p", "-t", &self.session])
                .stdout,
        )
        .into_owned()
    }

    /// Waits until the screen shows `needle` and returns the screen.
    pub fn wait_for(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let text = self.screen();
            if text.contains(needle) {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "{needle:?} never appeared:\n{text}"
            );
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until the program has exited (tmux then closes the session).
    pub fn wait_exit(&self) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while self
            .tmux(&["has-session", "-t", &self.session])
            .status
            .success()
        {
            assert!(
                Instant::now() < deadline,
                "the program did not exit:\n{}",
                self.screen()
            );
            thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-session", "-t", &self.session]);
    }
}
