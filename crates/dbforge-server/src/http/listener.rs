//! Accepting connections, with bounds a client cannot lift: at most `--max-connections` at
//! once (past it, new connections wait in the kernel's backlog), each closed when it does not
//! deliver a request head within `--header-read-timeout` (which is also how long an idle
//! keep-alive connection may wait for its next request), accept errors such as running out of
//! descriptors met with a short pause instead of a spin, and a stop that drains open
//! requests for at most the drain timeout. HTTP/1.1 only: HTTP/2 has no header or idle
//! timeout to hold a client to.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::{Pin, pin};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tower::ServiceExt as _;

use super::tls::Tls;

/// How connections are bounded.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Connections open at once.
    pub max_connections: usize,
    /// Time to deliver a complete request head, and the longest a keep-alive connection may
    /// idle before its next request.
    pub header_read_timeout: Duration,
    /// Largest request head (request line and headers) read into memory.
    pub max_head_bytes: usize,
    /// Connections one client address may hold at once; more are closed as they come, so
    /// one client cannot take every place under `max_connections`.
    pub max_connections_per_ip: usize,
}

/// Descriptors kept free for the server's own files (database files and their logs, the
/// catalog, readers opened for transactions) when the connection limit is derived from the
/// process's descriptor limit.
pub const RESERVED_DESCRIPTORS: u64 = 256;

/// Raises the soft limit on open descriptors to the hard limit (as far as the process may)
/// and returns the soft limit now in force.
pub fn raise_descriptor_limit() -> u64 {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let mut limit = getrlimit(Resource::Nofile);
    if let (Some(current), hard) = (limit.current, limit.maximum)
        && hard.is_none_or(|hard| current < hard)
    {
        // An unlimited hard limit is not a count the kernel takes for descriptors.
        limit.current = Some(hard.unwrap_or(1 << 20));
        if let Err(e) = setrlimit(Resource::Nofile, limit) {
            tracing::warn!(error = %e, current, "could not raise the descriptor limit");
        }
    }
    getrlimit(Resource::Nofile).current.unwrap_or(u64::MAX)
}

/// The connection limit that fits under a descriptor limit of `descriptors`: each connection
/// takes one, and [`RESERVED_DESCRIPTORS`] stay for the server's own files.
pub fn connections_that_fit(descriptors: u64, wanted: usize) -> usize {
    let room = descriptors.saturating_sub(RESERVED_DESCRIPTORS).max(1);
    wanted
        .min(usize::try_from(room).unwrap_or(usize::MAX))
        .max(1)
}

/// Serves `router` on `listener` (over TLS when `tls` is given) until `shutdown` completes,
/// then lets open requests finish for at most `drain_timeout`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    tls: Option<Arc<Tls>>,
    shutdown: impl Future<Output = ()>,
    drain_timeout: Duration,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let per_ip = Arc::new(PerAddress::default());
    let (stopping, stop_signal) = watch::channel(false);
    let mut shutdown = pin!(shutdown);
    loop {
        // While every permit is taken, stop accepting: new connections wait in the backlog.
        let permit = tokio::select! {
            permit = Arc::clone(&permits).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) if is_per_connection(&e) => continue,
                Err(e) => {
                    // Out of descriptors (or buffers): the connection stays queued and the
                    // listener readable, so retrying at once would spin.
                    tracing::warn!(error = %e, "accept failed; retrying in 100 ms");
                    tokio::select! {
                        () = tokio::time::sleep(Duration::from_millis(100)) => continue,
                        () = &mut shutdown => break,
                    }
                }
            },
            () = &mut shutdown => break,
        };
        let Some(place) = per_ip.take(remote.ip(), limits.max_connections_per_ip) else {
            // Closed at once: its permit is back for someone else.
            continue;
        };
        let _ = stream.set_nodelay(true);
        let counted = Counted {
            stream,
            _permit: permit,
            _place: place,
        };
        // Each request carries its client's address (rate limits, logs), as axum's
        // `ConnectInfo` so its extractor works.
        let service = TowerToHyperService::new(router.clone().map_request(
            move |mut request: axum::http::Request<hyper::body::Incoming>| {
                request
                    .extensions_mut()
                    .insert(axum::extract::ConnectInfo(remote));
                request
            },
        ));
        let stopped = stopped(stop_signal.clone());
        let acceptor = tls.as_ref().map(|tls| tls.acceptor());
        tokio::spawn(async move {
            let Some(acceptor) = acceptor else {
                return serve_connection(TokioIo::new(counted), service, limits, stopped, remote)
                    .await;
            };
            // The handshake has the header read time: a client that stalls in it holds a
            // connection no longer than one that stalls in its request head.
            match tokio::time::timeout(limits.header_read_timeout, acceptor.accept(counted)).await {
                Ok(Ok(secured)) => {
                    serve_connection(TokioIo::new(secured), service, limits, stopped, remote).await;
                }
                Ok(Err(e)) => tracing::debug!(%remote, error = %e, "TLS handshake failed"),
                Err(_) => tracing::debug!(%remote, "TLS handshake timed out"),
            }
        });
    }
    drop(listener);
    let _ = stopping.send(true);
    // Every connection holds a permit: all of them back means every connection closed.
    let all = u32::try_from(limits.max_connections.max(1)).unwrap_or(u32::MAX);
    tokio::select! {
        _ = permits.acquire_many(all) => {}
        () = tokio::time::sleep(drain_timeout) => {
            tracing::warn!(?drain_timeout, "requests still open after the drain timeout; closing anyway");
        }
    }
}

/// Serves one connection's HTTP/1.1 requests until it closes, or finishes the request in
/// flight and closes once the server stops.
async fn serve_connection<I, S>(
    io: I,
    service: S,
    limits: ConnectionLimits,
    stopped: impl Future<Output = ()>,
    remote: SocketAddr,
) where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    S: hyper::service::HttpService<hyper::body::Incoming> + Send,
    S::Future: Send + 'static,
    S::ResBody: Send + 'static,
    <S::ResBody as http_body::Body>::Data: Send,
    <S::ResBody as http_body::Body>::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let connection = http1::Builder::new()
        // Without a timer hyper silently drops its header timeout.
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true)
        .max_buf_size(limits.max_head_bytes)
        .serve_connection(io, service)
        .with_upgrades();
    let mut connection = pin!(connection);
    let stopped = pin!(stopped);
    tokio::select! {
        result = connection.as_mut() => log_end(remote, result),
        () = stopped => {
            // Finish the request in flight (if any), then close.
            connection.as_mut().graceful_shutdown();
            log_end(remote, connection.await);
        }
    }
}

/// Completes once the server stops accepting.
async fn stopped(mut signal: watch::Receiver<bool>) {
    let _ = signal.wait_for(|stop| *stop).await.is_ok();
}

fn log_end(remote: SocketAddr, result: Result<(), hyper::Error>) {
    if let Err(e) = result {
        tracing::debug!(%remote, error = %e, "connection ended");
    }
}

/// Errors that concern the one connection being accepted, not the listener.
fn is_per_connection(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// An accepted connection with its place under the connection limit, freed when the socket
/// closes (also after an upgrade to another protocol, which keeps the socket).
struct Counted {
    stream: TcpStream,
    _permit: OwnedSemaphorePermit,
    _place: AddressPlace,
}

/// Connections open per client address.
#[derive(Default)]
struct PerAddress(Mutex<HashMap<IpAddr, usize>>);

impl PerAddress {
    /// A place for one more connection from `ip`, if it holds fewer than `max`.
    fn take(self: &Arc<Self>, ip: IpAddr, max: usize) -> Option<AddressPlace> {
        let mut open = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let count = open.entry(ip).or_insert(0);
        if *count >= max.max(1) {
            return None;
        }
        *count += 1;
        Some(AddressPlace {
            table: Arc::clone(self),
            ip,
        })
    }
}

/// One connection's place in [`PerAddress`], given back when the connection closes.
struct AddressPlace {
    table: Arc<PerAddress>,
    ip: IpAddr,
}

impl Drop for AddressPlace {
    fn drop(&mut self) {
        let mut open = self
            .table
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(count) = open.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

impl AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_address_holds_at_most_its_share_of_connections() {
        let table = Arc::new(PerAddress::default());
        let a: IpAddr = [127, 0, 0, 1].into();
        let b: IpAddr = [127, 0, 0, 2].into();
        let first = table.take(a, 2).expect("one");
        let _second = table.take(a, 2).expect("two");
        assert!(table.take(a, 2).is_none(), "a third from the same address");
        assert!(
            table.take(b, 2).is_some(),
            "another address has its own share"
        );
        drop(first);
        assert!(
            table.take(a, 2).is_some(),
            "a closed connection frees its place"
        );
    }

    #[test]
    fn the_connection_limit_leaves_room_for_the_servers_own_files() {
        assert_eq!(connections_that_fit(1024, 4096), 768);
        assert_eq!(connections_that_fit(100_000, 4096), 4096);
        assert_eq!(connections_that_fit(100, 4096), 1);
    }
}
