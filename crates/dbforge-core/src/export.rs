//! Exports as core operations: a database's rows and schema streamed out of a blocking
//! thread through a small channel (back-pressure: a slow reader slows the export, memory
//! stays a few chunks), or its consistent snapshot as a SQLite file. Bounded in time
//! (`--export-timeout`, which imports share) and in number at once (`--max-exports`).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use dbforge_api::ErrorCode;
use dbforge_engine::ExportRequest;
use futures::StreamExt;
use futures::stream::BoxStream;
use tokio::sync::{Semaphore, mpsc, oneshot};

use crate::error::{CoreError, CoreResult};
use crate::service::{Core, DatabaseHandle};

/// Chunks (of 64 KiB) an export may have sent ahead of its reader.
const CHUNKS_AHEAD: usize = 4;
/// Bytes read from a snapshot file at once.
const FILE_CHUNK: usize = 256 * 1024;

/// The export limits (flags `--export-timeout`, `--max-exports`).
#[derive(Debug, Clone, Copy)]
pub struct ExportLimits {
    /// The longest one export may take (it holds a read transaction all along).
    pub timeout: Duration,
    /// Exports running at once, over all databases.
    pub max_concurrent: usize,
    /// The most one import may upload (`--max-import-bytes`).
    pub max_import_bytes: u64,
    /// The longest one import may take (`--import-timeout`).
    pub import_timeout: Duration,
}

impl Default for ExportLimits {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(3600),
            max_concurrent: 8,
            max_import_bytes: 1 << 30,
            import_timeout: Duration::from_secs(1800),
        }
    }
}

/// An export's bytes as they are produced; an error in the middle ends the stream with it
/// (the HTTP answer is then cut short, never silently complete).
pub type ExportBody = BoxStream<'static, Result<Bytes, std::io::Error>>;

pub(crate) struct Exports {
    pub(crate) limits: ExportLimits,
    permits: Arc<Semaphore>,
}

impl Exports {
    pub(crate) fn new(limits: ExportLimits) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(limits.max_concurrent.max(1))),
            limits,
        }
    }
}

/// The receiving end of an export's channel as a stream.
fn body(receiver: mpsc::Receiver<Result<Bytes, std::io::Error>>) -> ExportBody {
    futures::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|item| (item, receiver))
    })
    .boxed()
}

impl Core {
    fn export_permit(&self) -> CoreResult<tokio::sync::OwnedSemaphorePermit> {
        let exports = &self.0.exports;
        Arc::clone(&exports.permits)
            .try_acquire_owned()
            .map_err(|_| {
                CoreError::new(
                    ErrorCode::ServerBusy,
                    format!(
                        "{} exports are running, the server's limit (--max-exports); retry shortly",
                        exports.limits.max_concurrent
                    ),
                )
            })
    }

    /// Streams `request` out of `db`: answers once the export is known to be good (a bad
    /// table or query is an error here, before any byte), then produces it as it is read.
    pub async fn export(
        &self,
        db: DatabaseHandle,
        request: ExportRequest,
    ) -> CoreResult<ExportBody> {
        let permit = self.export_permit()?;
        let limit = self.0.exports.limits.timeout;
        let (sender, receiver) = mpsc::channel(CHUNKS_AHEAD);
        let (ready, answer) = oneshot::channel::<CoreResult<()>>();
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || {
            let _in_scope = span.enter();
            let _permit = permit;
            let mut ready = Some(ready);
            let result = db.database().export(
                &request,
                limit,
                || {
                    if let Some(ready) = ready.take() {
                        let _ = ready.send(Ok(()));
                    }
                },
                &mut |chunk| sender.blocking_send(Ok(Bytes::from(chunk))).is_ok(),
            );
            match result {
                Ok(rows) => tracing::info!(database = %db.name(), rows, "export finished"),
                Err(e) => match ready.take() {
                    Some(ready) => {
                        let _ = ready.send(Err(e.into()));
                    }
                    None => {
                        tracing::warn!(database = %db.name(), code = ?e.code, error = %e.message, "export stopped");
                        let _ = sender.blocking_send(Err(std::io::Error::other(e.message)));
                    }
                },
            }
        });
        answer
            .await
            .map_err(|_| CoreError::internal("the export's task ended before it started"))??;
        Ok(body(receiver))
    }

    /// Streams a consistent snapshot of `db` as a SQLite file (the database's own format:
    /// open it with any SQLite).
    pub async fn export_snapshot(&self, db: DatabaseHandle) -> CoreResult<(u64, ExportBody)> {
        let permit = self.export_permit()?;
        let file = self.0.backups.temp("export")?;
        let (sender, receiver) = mpsc::channel(CHUNKS_AHEAD);
        let (ready, answer) = oneshot::channel::<CoreResult<u64>>();
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || {
            let _in_scope = span.enter();
            let _permit = permit;
            let snapshot = match db.database().snapshot(&file.0) {
                Ok(facts) => facts,
                Err(e) => {
                    let _ = ready.send(Err(e.into()));
                    return;
                }
            };
            let _ = ready.send(Ok(snapshot.bytes));
            let copied = (|| {
                use std::io::Read;
                let mut input = std::fs::File::open(&file.0)?;
                loop {
                    let mut chunk = vec![0u8; FILE_CHUNK];
                    let n = input.read(&mut chunk)?;
                    if n == 0 {
                        return Ok(());
                    }
                    chunk.truncate(n);
                    if sender.blocking_send(Ok(Bytes::from(chunk))).is_err() {
                        return Ok(());
                    }
                }
            })();
            if let Err(e) = copied {
                let _ = sender.blocking_send(Err(e));
            }
            drop(file);
        });
        let bytes = answer
            .await
            .map_err(|_| CoreError::internal("the export's task ended before it started"))??;
        Ok((bytes, body(receiver)))
    }
}
