//! Where backups are kept: a local directory or an S3-compatible bucket, behind one
//! `object_store` interface. Objects are `{database}/{id}.sqlite.zst` (the compressed
//! snapshot) and `{database}/{id}.json` (its manifest), under the URL's prefix.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use dbforge_api::ErrorCode;
use futures::StreamExt;
use futures::stream::BoxStream;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::error::{CoreError, CoreResult};

/// Parts of a multipart upload (S3 wants at least 5 MiB for all but the last).
const PART_BYTES: usize = 8 << 20;
/// Parts uploaded at once.
const PARTS_IN_FLIGHT: usize = 4;

/// A backup destination.
pub(crate) struct BackupStore {
    store: Arc<dyn ObjectStore>,
    prefix: Option<ObjectPath>,
    /// `local` or `s3`, as manifests name it.
    pub(crate) kind: &'static str,
    /// For messages and the log: the directory or the URL.
    pub(crate) label: String,
    /// The directory of a local destination (its files are synced after each upload).
    local_dir: Option<PathBuf>,
}

/// The destination failed: the detail (its address, the object, the cause) goes to the log;
/// the caller, who may be a tenant, learns that it failed, not where.
fn unavailable(label: &str, e: impl std::fmt::Display) -> CoreError {
    tracing::warn!(destination = label, error = %e, "the backup destination failed");
    CoreError::new(
        ErrorCode::StorageUnavailable,
        "the backup destination could not be reached or refused the request; the server's log \
         has the detail",
    )
}

impl BackupStore {
    /// A local directory (created if missing).
    pub(crate) fn local(dir: &Path) -> CoreResult<Self> {
        std::fs::create_dir_all(dir).map_err(|e| {
            CoreError::internal(format!(
                "creating the backup directory {}: {e}",
                dir.display()
            ))
        })?;
        let store = LocalFileSystem::new_with_prefix(dir)
            .map_err(|e| unavailable(&dir.display().to_string(), e))?;
        Ok(Self {
            store: Arc::new(store),
            prefix: None,
            kind: "local",
            label: dir.display().to_string(),
            local_dir: Some(dir.to_path_buf()),
        })
    }

    /// `s3://bucket/prefix`, with the endpoint, region and credentials from the usual `AWS_*`
    /// variables (`AWS_ENDPOINT_URL` for an S3-compatible server; `http://` endpoints are
    /// allowed for local servers).
    pub(crate) fn s3(url: &str) -> CoreResult<Self> {
        let rest = url.strip_prefix("s3://").ok_or_else(|| {
            CoreError::invalid_request(format!(
                "--backup-url {url}: use s3://bucket or s3://bucket/prefix"
            ))
        })?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(CoreError::invalid_request(format!(
                "--backup-url {url}: the bucket is missing"
            )));
        }
        let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
        let endpoint = std::env::var("AWS_ENDPOINT_URL_S3")
            .or_else(|_| std::env::var("AWS_ENDPOINT_URL"))
            .or_else(|_| std::env::var("AWS_ENDPOINT"))
            .ok();
        if let Some(endpoint) = &endpoint {
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"))
                // An S3-compatible server on one host has no bucket subdomains.
                .with_virtual_hosted_style_request(false);
        }
        let store = builder.build().map_err(|e| unavailable(url, e))?;
        let prefix = prefix.trim_matches('/');
        Ok(Self {
            store: Arc::new(store),
            prefix: (!prefix.is_empty())
                .then(|| ObjectPath::parse(prefix))
                .transpose()
                .map_err(|e| CoreError::invalid_request(format!("--backup-url {url}: {e}")))?,
            kind: "s3",
            label: url.to_owned(),
            local_dir: None,
        })
    }

    /// The object path of `key` (`{database}/{file}`) under the prefix.
    fn path(&self, database: &str, file: &str) -> ObjectPath {
        let base = match &self.prefix {
            Some(prefix) => prefix.clone(),
            None => ObjectPath::default(),
        };
        base.join(database).join(file)
    }

    /// Where `{database}/{file}` lies, for a local destination: read in place, never copied.
    pub(crate) fn local_path(&self, database: &str, file: &str) -> Option<PathBuf> {
        self.local_dir
            .as_ref()
            .map(|dir| dir.join(database).join(file))
    }

    /// Stores the file at `source` (a private file, which this may move) as `{database}/{file}`:
    /// on a local destination on the same file system it is moved into place (one rename),
    /// else uploaded: in one request when small, else in parts (a few in flight), aborted on
    /// failure.
    pub(crate) async fn put_file(
        &self,
        database: &str,
        file: &str,
        source: &Path,
    ) -> CoreResult<()> {
        if let Some(target) = self.local_path(database, file) {
            let moved = target
                .parent()
                .map_or(Ok(()), std::fs::create_dir_all)
                .and_then(|()| std::fs::rename(source, &target));
            match moved {
                Ok(()) => {
                    self.sync_local(database, file);
                    return Ok(());
                }
                // Another file system (`--backup-dir` elsewhere): copied through the store.
                Err(e) => {
                    tracing::debug!(error = %e, "moving a backup into place failed; copying it")
                }
            }
        }
        let location = self.path(database, file);
        let fail = |e: &dyn std::fmt::Display| unavailable(&self.label, e);
        let mut input = tokio::fs::File::open(source)
            .await
            .map_err(|e| CoreError::internal(format!("reading {}: {e}", source.display())))?;
        let size = input
            .metadata()
            .await
            .map_err(|e| CoreError::internal(format!("reading {}: {e}", source.display())))?
            .len();
        if size <= PART_BYTES as u64 {
            let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
            input
                .read_to_end(&mut bytes)
                .await
                .map_err(|e| CoreError::internal(format!("reading {}: {e}", source.display())))?;
            self.store
                .put(&location, PutPayload::from(bytes))
                .await
                .map_err(|e| fail(&e))?;
        } else {
            let upload = self
                .store
                .put_multipart(&location)
                .await
                .map_err(|e| fail(&e))?;
            let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_BYTES);
            let mut buffer = vec![0u8; PART_BYTES];
            let copied: CoreResult<()> = async {
                loop {
                    let n = input.read(&mut buffer).await.map_err(|e| {
                        CoreError::internal(format!("reading {}: {e}", source.display()))
                    })?;
                    if n == 0 {
                        return Ok(());
                    }
                    writer
                        .wait_for_capacity(PARTS_IN_FLIGHT)
                        .await
                        .map_err(|e| fail(&e))?;
                    writer.write(&buffer[..n]);
                }
            }
            .await;
            match copied {
                Ok(()) => {
                    writer.finish().await.map_err(|e| fail(&e))?;
                }
                Err(e) => {
                    let _ = writer.abort().await;
                    return Err(e);
                }
            }
        }
        self.sync_local(database, file);
        Ok(())
    }

    /// Stores small `bytes` (a manifest) as `{database}/{file}`.
    pub(crate) async fn put_bytes(
        &self,
        database: &str,
        file: &str,
        bytes: Vec<u8>,
    ) -> CoreResult<()> {
        self.store
            .put(&self.path(database, file), PutPayload::from(bytes))
            .await
            .map_err(|e| unavailable(&self.label, e))?;
        self.sync_local(database, file);
        Ok(())
    }

    /// A local destination's new file is synced (with its directory) before a backup is
    /// called stored: the object store itself does not.
    fn sync_local(&self, database: &str, file: &str) {
        let Some(dir) = &self.local_dir else { return };
        let folder = dir.join(database);
        for path in [folder.join(file), folder] {
            if let Err(e) = std::fs::File::open(&path).and_then(|f| f.sync_all()) {
                tracing::warn!(path = %path.display(), error = %e, "could not sync a backup file");
            }
        }
    }

    /// The object `{database}/{file}` as a stream of bytes; `backup_not_found` if missing.
    pub(crate) async fn get_stream(
        &self,
        database: &str,
        file: &str,
    ) -> CoreResult<BoxStream<'static, Result<Bytes, std::io::Error>>> {
        let got = self
            .store
            .get(&self.path(database, file))
            .await
            .map_err(|e| match e {
                object_store::Error::NotFound { .. } => CoreError::new(
                    ErrorCode::BackupNotFound,
                    format!(
                        "the backup's object {database}/{file} is missing from its destination"
                    ),
                ),
                e => unavailable(&self.label, e),
            })?;
        Ok(got
            .into_stream()
            .map(|chunk| chunk.map_err(std::io::Error::other))
            .boxed())
    }

    /// Downloads `{database}/{file}` into the new file `dest`, refusing more than `max_bytes`
    /// (a manifest says how large the object is: more is not that backup).
    pub(crate) async fn get_to_file(
        &self,
        database: &str,
        file: &str,
        dest: &Path,
        max_bytes: u64,
    ) -> CoreResult<u64> {
        let mut stream = self.get_stream(database, file).await?;
        let mut out = tokio::fs::File::create(dest)
            .await
            .map_err(|e| CoreError::internal(format!("creating {}: {e}", dest.display())))?;
        let mut written = 0u64;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| unavailable(&self.label, e))?;
            written += chunk.len() as u64;
            if written > max_bytes {
                return Err(CoreError::new(
                    ErrorCode::BackupCorrupt,
                    format!(
                        "the backup's object {database}/{file} is larger than its manifest says \
                         ({max_bytes} bytes): it was not used"
                    ),
                ));
            }
            out.write_all(&chunk)
                .await
                .map_err(|e| CoreError::internal(format!("writing {}: {e}", dest.display())))?;
        }
        out.flush()
            .await
            .map_err(|e| CoreError::internal(format!("writing {}: {e}", dest.display())))?;
        Ok(written)
    }

    /// The small object `{database}/{file}` (a manifest), whole.
    pub(crate) async fn get_bytes(&self, location: &ObjectPath) -> CoreResult<Bytes> {
        let got = self
            .store
            .get(location)
            .await
            .map_err(|e| unavailable(&self.label, e))?;
        got.bytes().await.map_err(|e| unavailable(&self.label, e))
    }

    /// Deletes `{database}/{file}`; one already gone is not an error.
    pub(crate) async fn delete(&self, database: &str, file: &str) -> CoreResult<()> {
        match self.store.delete(&self.path(database, file)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(unavailable(&self.label, e)),
        }
    }

    /// Every manifest (`*.json`) in the destination, by location.
    pub(crate) async fn manifests(&self) -> CoreResult<Vec<ObjectPath>> {
        let mut listing = self.store.list(self.prefix.as_ref());
        let mut found = Vec::new();
        while let Some(meta) = listing.next().await {
            let meta = meta.map_err(|e| unavailable(&self.label, e))?;
            if meta.location.as_ref().ends_with(".json") {
                found.push(meta.location);
            }
        }
        Ok(found)
    }
}
