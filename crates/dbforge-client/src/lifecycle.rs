//! The data-lifecycle endpoints: backups, restore, branches, a database's time to live and
//! backup schedule.

use dbforge_api::{BackupInfo, BackupList, DatabaseInfo, RestoreRequest, UpdateDatabaseRequest};
use reqwest::Method;
use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::{Client, Error};

/// The longest a transfer (a download, a backup, a restore, a branch, an export, an import)
/// may take: these move a whole database, far more than an answer.
pub(crate) const TRANSFER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

impl Client {
    /// `POST /admin/databases/{name}/backups`: backs the database up now; answers once the
    /// backup is stored and checked.
    ///
    /// ```no_run
    /// # async fn demo(client: dbforge_client::Client) -> Result<(), dbforge_client::Error> {
    /// let backup = client.create_backup("shop").await?;
    /// println!("{} ({} bytes stored)", backup.id, backup.stored_bytes);
    /// # Ok(()) }
    /// ```
    pub async fn create_backup(&self, db: &str) -> Result<BackupInfo, Error> {
        let url = self.url(&["admin", "databases", db, "backups"])?;
        self.send(false, || {
            self.request(Method::POST, url.clone())
                .timeout(TRANSFER_TIMEOUT)
        })
        .await
    }

    /// `GET /admin/databases/{name}/backups`: its backups, newest first.
    ///
    /// ```no_run
    /// # async fn demo(client: dbforge_client::Client) -> Result<(), dbforge_client::Error> {
    /// for backup in client.backups("shop").await?.backups {
    ///     println!("{} {}", backup.id, backup.created_at);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn backups(&self, db: &str) -> Result<BackupList, Error> {
        let url = self.url(&["admin", "databases", db, "backups"])?;
        self.send(true, || self.request(Method::GET, url.clone()))
            .await
    }

    /// `GET /admin/databases/{name}/backups/{id}`: writes the stored backup (a
    /// zstd-compressed SQLite file) to `out` as it arrives; answers the bytes written.
    ///
    /// ```no_run
    /// # async fn demo(client: dbforge_client::Client) -> Result<(), dbforge_client::Error> {
    /// let mut file = tokio::fs::File::create("shop.sqlite.zst").await.expect("file");
    /// client.download_backup("shop", "20261201T100203123Z-9f3a1c", &mut file).await?;
    /// # Ok(()) }
    /// ```
    pub async fn download_backup(
        &self,
        db: &str,
        id: &str,
        out: &mut (impl AsyncWrite + Unpin),
    ) -> Result<u64, Error> {
        let url = self.url(&["admin", "databases", db, "backups", id])?;
        // A backup may be large: the client's timeout is for answers, not for this transfer.
        let mut response = self
            .request(Method::GET, url)
            .timeout(TRANSFER_TIMEOUT)
            .send()
            .await?;
        let status = response.status();
        if !status.is_success() {
            let body = response.bytes().await?;
            return Err(Self::error_of(status, &body));
        }
        let mut written = 0u64;
        while let Some(chunk) = response.chunk().await? {
            out.write_all(&chunk)
                .await
                .map_err(|e| Error::Decode(format!("writing the backup: {e}")))?;
            written += chunk.len() as u64;
        }
        out.flush()
            .await
            .map_err(|e| Error::Decode(format!("writing the backup: {e}")))?;
        Ok(written)
    }

    /// `DELETE /admin/databases/{name}/backups/{id}`.
    pub async fn delete_backup(&self, db: &str, id: &str) -> Result<BackupInfo, Error> {
        let url = self.url(&["admin", "databases", db, "backups", id])?;
        self.send(false, || self.request(Method::DELETE, url.clone()))
            .await
    }

    /// `POST /admin/databases/{name}/restore`: into a new database (`as_name`) or in place
    /// (`confirm` set to the database's name).
    ///
    /// ```no_run
    /// # async fn demo(client: dbforge_client::Client) -> Result<(), dbforge_client::Error> {
    /// use dbforge_client::api::RestoreRequest;
    /// let request = RestoreRequest {
    ///     backup: "20261201T100203123Z-9f3a1c".into(),
    ///     as_name: Some("shop-yesterday".into()),
    ///     confirm: None,
    /// };
    /// client.restore("shop", &request).await?;
    /// # Ok(()) }
    /// ```
    pub async fn restore(&self, db: &str, request: &RestoreRequest) -> Result<DatabaseInfo, Error> {
        let url = self.url(&["admin", "databases", db, "restore"])?;
        self.send(false, || {
            self.request(Method::POST, url.clone())
                .timeout(TRANSFER_TIMEOUT)
                .json(request)
        })
        .await
    }

    /// `POST /admin/databases/{name}/branch/{new}`: an independent copy of one point in time.
    ///
    /// ```no_run
    /// # async fn demo(client: dbforge_client::Client) -> Result<(), dbforge_client::Error> {
    /// let branch = client.branch("shop", "shop-feature-x").await?;
    /// assert_eq!(branch.branched_from.map(|l| l.parent).as_deref(), Some("shop"));
    /// # Ok(()) }
    /// ```
    pub async fn branch(&self, db: &str, new: &str) -> Result<DatabaseInfo, Error> {
        let url = self.url(&["admin", "databases", db, "branch", new])?;
        self.send(false, || {
            self.request(Method::POST, url.clone())
                .timeout(TRANSFER_TIMEOUT)
        })
        .await
    }

    /// `PATCH /admin/databases/{name}`: its time to live and backup schedule.
    ///
    /// ```no_run
    /// # async fn demo(client: dbforge_client::Client) -> Result<(), dbforge_client::Error> {
    /// use dbforge_client::api::UpdateDatabaseRequest;
    /// let keep_for_a_day = UpdateDatabaseRequest { ttl: Some(Some("1d".into())), ..Default::default() };
    /// client.update_database("preview-42", &keep_for_a_day).await?;
    /// # Ok(()) }
    /// ```
    pub async fn update_database(
        &self,
        db: &str,
        update: &UpdateDatabaseRequest,
    ) -> Result<DatabaseInfo, Error> {
        let url = self.url(&["admin", "databases", db])?;
        self.send(false, || {
            self.request(Method::PATCH, url.clone()).json(update)
        })
        .await
    }
}
