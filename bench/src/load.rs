//! The load generator: hyper's low-level HTTP/1.1 client over plain `TcpStream`s, one
//! keep-alive connection per worker task, no pooling layer, no retries. The client shares the
//! machine with the server, so every cycle it saves is one the server can use.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::header::{CONTENT_TYPE, HOST, HeaderValue};
use hyper::{Method, Request, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

use crate::error::{Context, Error, Result, bail};

/// Largest latency the histograms hold, in microseconds (longer ones are clamped to it).
const MAX_LATENCY_US: u64 = 120_000_000;

/// A histogram of latencies in microseconds, 3 significant digits.
pub fn new_histogram() -> Result<Histogram<u64>> {
    Histogram::new_with_bounds(1, MAX_LATENCY_US, 3).context("creating a histogram")
}

/// Records one latency; saturating, because a clamped outlier is still worth counting.
pub fn record(histogram: &mut Histogram<u64>, latency: Duration) {
    let us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
    histogram.saturating_record(us.max(1));
}

/// A small, fast pseudo-random generator (SplitMix64): the benchmark needs spread-out keys,
/// not unpredictability, and this keeps a dependency out.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `1..=n` (the tiny modulo bias is irrelevant here).
    pub fn one_to(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1) + 1
    }
}

/// One request of a workload.
pub struct Job {
    pub method: Method,
    pub uri: Uri,
    /// A JSON body, or none.
    pub body: Option<Bytes>,
}

/// Makes the next request of a worker from its own random generator.
pub type Workload = Arc<dyn Fn(&mut Rng) -> Job + Send + Sync>;

/// One keep-alive HTTP/1.1 connection to the server.
pub struct Conn {
    sender: SendRequest<Full<Bytes>>,
    driver: JoinHandle<()>,
    addr: SocketAddr,
    host: HeaderValue,
    key: HeaderValue,
}

impl Drop for Conn {
    fn drop(&mut self) {
        // The driver task owns the socket; ending it closes the connection.
        self.driver.abort();
    }
}

impl Conn {
    pub async fn connect(addr: SocketAddr, key: &str) -> Result<Conn> {
        let stream = TcpStream::connect(addr)
            .await
            .context(format_args!("connecting to {addr}"))?;
        // Requests are small and answered one at a time: Nagle would only add delay.
        stream.set_nodelay(true).context("setting TCP_NODELAY")?;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .context("HTTP/1.1 handshake")?;
        // The connection future does the actual I/O; a failure surfaces in `send_request`.
        let driver = tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(Conn {
            sender,
            driver,
            addr,
            host: HeaderValue::from_str(&addr.to_string()).context("Host header")?,
            key: HeaderValue::from_str(key).context("the admin key is not a valid header")?,
        })
    }

    /// Sends one request and reads the whole answer (which keeps the connection reusable).
    pub async fn send(&mut self, job: &Job) -> Result<(StatusCode, Bytes)> {
        let mut builder = Request::builder()
            .method(job.method.clone())
            .uri(job.uri.clone())
            .header(HOST, self.host.clone())
            .header("x-api-key", self.key.clone());
        let body = match &job.body {
            Some(body) => {
                builder =
                    builder.header(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                Full::new(body.clone())
            }
            None => Full::new(Bytes::new()),
        };
        let request = builder.body(body).context("building a request")?;
        self.sender.ready().await.context("the connection closed")?;
        let response = self
            .sender
            .send_request(request)
            .await
            .context(format_args!("{} {}", job.method, job.uri))?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .context("reading a response body")?
            .to_bytes();
        Ok((status, body))
    }

    /// Sends a request and returns its JSON answer; any status but 2xx is an error.
    pub async fn json(
        &mut self,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<serde_json::Value> {
        let job = Job {
            method,
            uri: path.parse().context(format_args!("URI {path}"))?,
            body: body.map(|b| Bytes::from(b.to_string())),
        };
        let (status, bytes) = self.send(&job).await?;
        if !status.is_success() {
            bail!(
                "{} {path} answered {status}: {}",
                job.method,
                String::from_utf8_lossy(&bytes)
            );
        }
        serde_json::from_slice(&bytes).context(format_args!("{} {path}: invalid JSON", job.method))
    }

    pub async fn get(&mut self, path: &str) -> Result<serde_json::Value> {
        self.json(Method::GET, path, None).await
    }

    pub async fn post(
        &mut self,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<serde_json::Value> {
        self.json(Method::POST, path, Some(body)).await
    }

    /// Runs SQL on a database: `{"sql": ..., "params": [...]}`.
    pub async fn query(
        &mut self,
        db: &str,
        sql: &str,
        params: serde_json::Value,
    ) -> Result<serde_json::Value> {
        let body = serde_json::json!({ "sql": sql, "params": params });
        self.post(&format!("/api/db/{db}/query"), &body)
            .await
            .context(format_args!("running {sql:?}"))
    }

    /// Creates a database (`201 Created`).
    pub async fn spawn_database(&mut self, name: &str) -> Result<()> {
        let job = Job {
            method: Method::POST,
            uri: spawn_uri(name)?,
            body: None,
        };
        let (status, body) = self.send(&job).await?;
        if status != StatusCode::CREATED {
            bail!(
                "spawning {name} answered {status}: {}",
                String::from_utf8_lossy(&body)
            );
        }
        Ok(())
    }

    /// A new connection to the same server with the same key (after this one broke).
    async fn reconnect(&self) -> Result<Conn> {
        let key = self.key.to_str().context("the admin key")?.to_owned();
        Conn::connect(self.addr, &key).await
    }
}

/// The URI of `POST /admin/databases/spawn/{name}`.
pub fn spawn_uri(name: &str) -> Result<Uri> {
    format!("/admin/databases/spawn/{name}")
        .parse()
        .context(format_args!("database name {name:?}"))
}

/// What one timed phase of load produced.
pub struct Phase {
    /// Requests answered with 2xx.
    pub ok: u64,
    /// Requests answered with another status or that failed in transport.
    pub errors: u64,
    /// The first error seen, to show what went wrong.
    pub first_error: Option<String>,
    /// From the start until the last worker finished its last request.
    pub elapsed: Duration,
    /// Latencies of the successful requests, in microseconds.
    pub latency: Histogram<u64>,
}

impl Phase {
    /// Successful requests per second.
    pub fn rate(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.ok as f64 / secs
        } else {
            0.0
        }
    }

    pub fn p50_ms(&self) -> f64 {
        quantile_ms(&self.latency, 0.50)
    }

    pub fn p99_ms(&self) -> f64 {
        quantile_ms(&self.latency, 0.99)
    }
}

/// A quantile of a microsecond histogram, in milliseconds (0 when empty).
pub fn quantile_ms(histogram: &Histogram<u64>, q: f64) -> f64 {
    if histogram.is_empty() {
        return 0.0;
    }
    histogram.value_at_quantile(q) as f64 / 1000.0
}

/// Keep-alive connections that stay open across phases, so warm-up and measurement run on
/// the same sockets and no phase pays for connecting.
pub struct Pool {
    conns: Vec<Conn>,
    seed: u64,
}

impl Pool {
    pub async fn connect(addr: SocketAddr, key: &str, size: usize) -> Result<Pool> {
        let mut conns = Vec::with_capacity(size);
        for _ in 0..size {
            conns.push(Conn::connect(addr, key).await?);
        }
        Ok(Pool { conns, seed: 1 })
    }

    /// Runs `workload` on every connection at once, each as fast as the server answers, for
    /// `duration`; a request in flight at the deadline is completed and counted.
    pub async fn run(&mut self, duration: Duration, workload: &Workload) -> Result<Phase> {
        if self.conns.is_empty() {
            bail!("every connection of the pool broke");
        }
        let started = Instant::now();
        let deadline = started + duration;
        let mut workers = Vec::with_capacity(self.conns.len());
        for conn in self.conns.drain(..) {
            // A different stream of keys per worker and per phase.
            self.seed = self.seed.wrapping_add(0x2545_F491_4F6C_DD1D);
            let rng = Rng::new(self.seed);
            let workload = Arc::clone(workload);
            workers.push(tokio::spawn(worker(conn, rng, workload, deadline)));
        }
        let mut phase = Phase {
            ok: 0,
            errors: 0,
            first_error: None,
            elapsed: Duration::ZERO,
            latency: new_histogram()?,
        };
        let mut finished = started;
        for handle in workers {
            let outcome = handle.await.context("a load worker panicked")??;
            phase.ok += outcome.ok;
            phase.errors += outcome.errors;
            if phase.first_error.is_none() {
                phase.first_error = outcome.first_error;
            }
            phase
                .latency
                .add(&outcome.latency)
                .context("merging histograms")?;
            finished = finished.max(outcome.finished);
            if let Some(conn) = outcome.conn {
                self.conns.push(conn);
            }
        }
        phase.elapsed = finished - started;
        Ok(phase)
    }
}

struct WorkerOutcome {
    ok: u64,
    errors: u64,
    first_error: Option<String>,
    latency: Histogram<u64>,
    finished: Instant,
    /// The connection, unless it broke and could not be replaced.
    conn: Option<Conn>,
}

async fn worker(
    mut conn: Conn,
    mut rng: Rng,
    workload: Workload,
    deadline: Instant,
) -> Result<WorkerOutcome, Error> {
    let mut outcome = WorkerOutcome {
        ok: 0,
        errors: 0,
        first_error: None,
        latency: new_histogram()?,
        finished: Instant::now(),
        conn: None,
    };
    loop {
        let start = Instant::now();
        if start >= deadline {
            break;
        }
        let job = workload(&mut rng);
        match conn.send(&job).await {
            Ok((status, _)) if status.is_success() => {
                record(&mut outcome.latency, start.elapsed());
                outcome.ok += 1;
            }
            Ok((status, body)) => {
                outcome.errors += 1;
                outcome
                    .first_error
                    .get_or_insert_with(|| format!("{status}: {}", String::from_utf8_lossy(&body)));
            }
            Err(e) => {
                // The connection is unusable after a transport error: count it, replace the
                // connection once, and give up on this worker if even that fails.
                outcome.errors += 1;
                outcome.first_error.get_or_insert_with(|| e.to_string());
                match conn.reconnect().await {
                    Ok(fresh) => conn = fresh,
                    Err(e) => {
                        outcome.first_error.get_or_insert_with(|| e.to_string());
                        outcome.finished = Instant::now();
                        return Ok(outcome);
                    }
                }
            }
        }
    }
    outcome.finished = Instant::now();
    outcome.conn = Some(conn);
    Ok(outcome)
}
