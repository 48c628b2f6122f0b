//! The client: one method per endpoint of the DB-Forge API.

use std::time::Duration;

use dbforge_api::{
    AuditPage, BatchResult, CreateKeyRequest, CreateTableRequest, CreatedKey, CredentialKind,
    DatabaseInfo, DatabaseLimits, DatabaseList, Deleted, ErrorEnvelope, GatewayStats, HealthStatus,
    InsertRowsResponse, Jwks, KeyList, MintTokenRequest, MintedToken, Params, QueryRequest,
    QueryResponse, RowsPage, SpawnRequest, StatementRequest, StatementResult, TableInfo, TableList,
    TokenAccess, TokensRevoked,
};
use reqwest::{Method, RequestBuilder, Url};
use serde::de::DeserializeOwned;

use crate::Error;

/// Settings of a [`Client`]; made by [`Client::builder`].
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    url: String,
    api_key: Option<String>,
    timeout: Duration,
    connect_timeout: Duration,
    retries: u32,
    /// Certificates (PEM) to trust for `https://` besides the system's.
    ca_certificates: Vec<Vec<u8>>,
}

impl ClientBuilder {
    /// Trusts the certificate(s) in this PEM text for `https://` as well as the system's: a
    /// server with a private or self-signed certificate (`dbforge serve --tls-cert`).
    ///
    /// ```no_run
    /// let pem = std::fs::read("ca.pem")?;
    /// let client = dbforge_client::Client::builder("https://db.internal:8081")
    ///     .ca_certificate(pem)
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn ca_certificate(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.ca_certificates.push(pem.into());
        self
    }

    /// The API key, sent as `Authorization: Bearer <key>`: the admin key, a scoped key, or a
    /// per-database token from [`Client::mint_token`] (a token works wherever a key does).
    ///
    /// ```no_run
    /// let client = dbforge_client::Client::builder("http://127.0.0.1:8081").api_key("k").build();
    /// ```
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// Longest a whole request may take (default 30 s).
    ///
    /// ```no_run
    /// # use std::time::Duration;
    /// let builder = dbforge_client::Client::builder("http://127.0.0.1:8081").timeout(Duration::from_secs(5));
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Longest connecting may take (default 5 s).
    ///
    /// ```no_run
    /// # use std::time::Duration;
    /// let builder = dbforge_client::Client::builder("http://127.0.0.1:8081").connect_timeout(Duration::from_secs(1));
    /// ```
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How often an idempotent request (GET, and DELETE of a database) is retried when the
    /// server is unreachable or answers `database_busy`/`not_ready` (default 2, with backoff).
    /// Writes are never retried: the client cannot know whether they were applied.
    ///
    /// ```no_run
    /// let builder = dbforge_client::Client::builder("http://127.0.0.1:8081").retries(0);
    /// ```
    pub fn retries(mut self, retries: u32) -> Self {
        self.retries = retries;
        self
    }

    /// Builds the client.
    ///
    /// ```no_run
    /// let client = dbforge_client::Client::builder("http://127.0.0.1:8081").build()?;
    /// # Ok::<(), dbforge_client::Error>(())
    /// ```
    pub fn build(self) -> Result<Client, Error> {
        let mut base =
            Url::parse(&self.url).map_err(|e| Error::Url(format!("{}: {e}", self.url)))?;
        if base.cannot_be_a_base() {
            return Err(Error::Url(format!("{} cannot be a base URL", self.url)));
        }
        // Paths are appended segment by segment below the base path.
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let mut http = reqwest::Client::builder()
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout);
        for pem in &self.ca_certificates {
            let certificates = reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| Error::Url(format!("the CA certificate is not PEM: {e}")))?;
            if certificates.is_empty() {
                return Err(Error::Url(
                    "the CA certificate file holds no certificate".into(),
                ));
            }
            for certificate in certificates {
                http = http.add_root_certificate(certificate);
            }
        }
        let http = http.build()?;
        Ok(Client {
            http,
            base,
            api_key: self.api_key,
            retries: self.retries,
        })
    }
}

/// Paging, ordering and filters of [`Client::read_rows`].
///
/// ```
/// let query = dbforge_client::RowsQuery { limit: Some(50), order_by: Some("name".into()), ..Default::default() };
/// ```
#[derive(Debug, Clone, Default)]
pub struct RowsQuery {
    /// Rows per page (server default 100).
    pub limit: Option<u64>,
    /// Rows to skip (offset paging).
    pub offset: Option<u64>,
    /// Keyset paging: the previous page's `next_after`.
    pub after: Option<i64>,
    /// Column to order by (default: rowid).
    pub order_by: Option<String>,
    /// Order descending instead of ascending.
    pub descending: bool,
    /// Include the rowid as `_rowid_`.
    pub with_rowid: bool,
    /// Equality filters: (column, value).
    pub filters: Vec<(String, String)>,
}

impl RowsQuery {
    fn pairs(&self) -> Vec<(String, String)> {
        let mut pairs = Vec::new();
        let mut push = |k: &str, v: String| pairs.push((k.to_owned(), v));
        if let Some(limit) = self.limit {
            push("limit", limit.to_string());
        }
        if let Some(offset) = self.offset {
            push("offset", offset.to_string());
        }
        if let Some(after) = self.after {
            push("after", after.to_string());
        }
        if let Some(order_by) = &self.order_by {
            push("order_by", order_by.clone());
        }
        if self.descending {
            push("order", "desc".into());
        }
        if self.with_rowid {
            push("rowid", "true".into());
        }
        for (column, value) in &self.filters {
            pairs.push((format!("where.{column}"), value.clone()));
        }
        pairs
    }
}

/// Which entries [`Client::audit`] answers: those of one outcome of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditOutcome {
    /// Answers under 400.
    Ok,
    /// Answers of 400 and above (refusals and failures).
    Error,
}

impl AuditOutcome {
    /// The wire name: `ok` or `error`.
    ///
    /// ```
    /// assert_eq!(dbforge_client::AuditOutcome::Error.as_str(), "error");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            AuditOutcome::Ok => "ok",
            AuditOutcome::Error => "error",
        }
    }
}

/// Filters and paging of [`Client::audit`]; every filter left `None` keeps every entry.
///
/// ```
/// use dbforge_client::{AuditFilter, AuditOutcome};
/// let failed_writes = AuditFilter {
///     database: Some("shop".into()),
///     outcome: Some(AuditOutcome::Error),
///     since: Some("2026-01-01T00:00:00Z".into()),
///     ..Default::default()
/// };
/// ```
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only requests made with this key or token id (`key_...`, `tok_...`).
    pub key: Option<String>,
    /// Only requests made with this kind of credential (the bootstrap key has no id).
    pub credential: Option<CredentialKind>,
    /// Only actions about this key (created, revoked or rotated).
    pub target: Option<String>,
    /// Only requests on this database.
    pub database: Option<String>,
    /// Only this action: the method and route, e.g. `POST /admin/keys` or
    /// `POST /api/db/{name}/query`.
    pub action: Option<String>,
    /// Only answers of this outcome.
    pub outcome: Option<AuditOutcome>,
    /// From this time on (RFC 3339, e.g. `2026-12-01T00:00:00Z`).
    pub since: Option<String>,
    /// Before this time (RFC 3339).
    pub until: Option<String>,
    /// Entries older than this one: the previous page's `next_cursor`.
    pub before: Option<i64>,
    /// Entries per page, 1-1000 (server default 100).
    pub limit: Option<u32>,
}

impl AuditFilter {
    fn pairs(&self) -> Vec<(&'static str, String)> {
        let texts = [
            ("key", &self.key),
            ("target", &self.target),
            ("database", &self.database),
            ("action", &self.action),
            ("since", &self.since),
            ("until", &self.until),
        ];
        let mut pairs: Vec<(&'static str, String)> = texts
            .into_iter()
            .filter_map(|(name, value)| value.clone().map(|v| (name, v)))
            .collect();
        if let Some(outcome) = self.outcome {
            pairs.push(("outcome", outcome.as_str().to_owned()));
        }
        if let Some(kind) = self.credential {
            let name = match kind {
                CredentialKind::BootstrapAdmin => "bootstrap_admin",
                CredentialKind::Key => "key",
                CredentialKind::Token => "token",
            };
            pairs.push(("credential", name.to_owned()));
        }
        if let Some(before) = self.before {
            pairs.push(("before", before.to_string()));
        }
        if let Some(limit) = self.limit {
            pairs.push(("limit", limit.to_string()));
        }
        pairs
    }
}

/// A DB-Forge client. Cheap to clone; clones share one connection pool.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base: Url,
    api_key: Option<String>,
    retries: u32,
}

impl Client {
    /// Starts building a client for the server at `url` (e.g. `http://127.0.0.1:8081`).
    ///
    /// ```no_run
    /// let client = dbforge_client::Client::builder("http://127.0.0.1:8081").api_key("k").build()?;
    /// # Ok::<(), dbforge_client::Error>(())
    /// ```
    pub fn builder(url: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            url: url.into(),
            api_key: None,
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(5),
            retries: 2,
            ca_certificates: Vec::new(),
        }
    }

    pub(crate) fn url(&self, segments: &[&str]) -> Result<Url, Error> {
        let mut url = self.base.clone();
        {
            let mut path = url
                .path_segments_mut()
                .map_err(|()| Error::Url(format!("{} cannot be a base URL", self.base)))?;
            path.pop_if_empty();
            // Each segment is percent-encoded: a table named "a/b" stays one segment.
            path.extend(segments);
        }
        Ok(url)
    }

    pub(crate) fn request(&self, method: Method, url: Url) -> RequestBuilder {
        let request = self.http.request(method, url);
        match &self.api_key {
            Some(key) => request.bearer_auth(key),
            None => request,
        }
    }

    /// Sends a request built by `build`; idempotent ones are retried per [`ClientBuilder::retries`].
    pub(crate) async fn send<T: DeserializeOwned>(
        &self,
        idempotent: bool,
        build: impl Fn() -> RequestBuilder,
    ) -> Result<T, Error> {
        let attempts = if idempotent { self.retries + 1 } else { 1 };
        let mut attempt = 0;
        loop {
            attempt += 1;
            match Self::answer(build()).await {
                Err(e) if attempt < attempts && e.is_retryable() => {
                    tokio::time::sleep(Duration::from_millis(50 << attempt.min(6))).await;
                }
                result => return result,
            }
        }
    }

    /// Sends a request whose success has no body (`204 No Content`); never retried.
    async fn send_for_no_content(&self, request: RequestBuilder) -> Result<(), Error> {
        let response = request.send().await?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let body = response.bytes().await?;
        Err(Self::error_of(status, &body))
    }

    async fn answer<T: DeserializeOwned>(request: RequestBuilder) -> Result<T, Error> {
        let response = request.send().await?;
        let status = response.status();
        let body = response.bytes().await?;
        if status.is_success() {
            return serde_json::from_slice(&body).map_err(|e| Error::Decode(e.to_string()));
        }
        Err(Self::error_of(status, &body))
    }

    /// The error an unsuccessful answer stands for: the server's envelope, else a decoding
    /// failure quoting the body.
    pub(crate) fn error_of(status: reqwest::StatusCode, body: &[u8]) -> Error {
        match serde_json::from_slice::<ErrorEnvelope>(body) {
            Ok(envelope) => Error::Api {
                status: status.as_u16(),
                code: envelope.error.code,
                message: envelope.error.message,
            },
            Err(_) => Error::Decode(format!(
                "HTTP {status} without an error envelope: {}",
                String::from_utf8_lossy(body)
            )),
        }
    }

    /// `GET /health`: is the server up?
    ///
    /// ```no_run
    /// # async fn demo(client: dbforge_client::Client) -> Result<(), dbforge_client::Error> {
    /// assert_eq!(client.health().await?.status, "ok");
    /// # Ok(()) }
    /// ```
    pub async fn health(&self) -> Result<HealthStatus, Error> {
        let url = self.url(&["health"])?;
        self.send(true, || self.request(Method::GET, url.clone()))
            .await
    }

    /// `GET /ready`: can the server take requests?
    ///
    /// ```no_run
    /// # async fn demo(client: dbforge_client::Client) -> Result<(), dbforge_client::Error> {
    /// client.ready().await?;
    /// # Ok(()) }
    /// ```
    pub async fn ready(&self) -> Result<HealthStatus, Error> {
        let url = self.url(&["ready"])?;
        self.send(true, || self.request(Method::GET, url.clone()))
            .await
    }

    /// `GET /metrics`: the Prometheus text.
    ///
    /// ```no_run
    /// # async fn demo(client: dbforge_client::Client) -> Result<(), dbforge_client::Error> {
    /// assert!(client.metrics().await?.contains("http_requests_total"));
    /// # Ok(()) }
    /// ```
    pub async fn metrics(&self) -> Result<String, Error> {
        let url = self.url(&["metrics"])?;
        let response = self
            .request(Method::GET, url)
            .send()
            .await?
            .error_for_status()?;
        Ok(response.text().await?)
    }

    /// `GET /admin/databases`: one page of databases ordered by name; pass the page's
    /// `next_cursor` as `after` for the next one.
    ///
    /// ```no_run
    /// # async fn demo(client: dbforge_client::Client) -> Result<(), dbforge_client::Error> {
    /// let page = client.list_databases(Some(100), None, Some("test-")).await?;
    /// println!("{} of {}", page.databases.len(), page.total);
    /// # Ok(()) }
    /// ```
    pub async fn list_databases(
        &self,
        limit: Option<u32>,
        after: Option<&str>,
        prefix: Option<&str>,
    ) -> Result<DatabaseList, Error> {
        let mut url = self.url(&["admin", "databases"])?;
        {
            let mut query = url.query_pairs_mut();
            if let Some(limit) = limit {
                query.append_pair("limit", &limit.to_string());
            }
            if let Some(after) = after {
                query.append_pair("after", after);
            }
            if let Some(prefix) = prefix {
                query.append_pair("prefix", prefix);
            }
        }
        self.send(true, || self.request(Method::GET, url.clone()))
            .await
    }

    /// `POST /admin/databases/spawn/{name}`: creates a database, optionally with limits.
    ///
    /// ```no_run
    /// # async fn demo(client: dbforge_client::Client) -> Result<(), dbforge_client::Error> {
    /// use dbforge_client::api::DatabaseLimits;
    /// let info = client.create_database("ci-run-42", Some(DatabaseLimits { max_size_bytes: Some(1 << 20) })).await?;
    /// assert_eq!(info.max_size_bytes, 1 << 20);
    /// # Ok(()) }
    /// ```
    pub async fn create_database(
        &self,
        name: &str,
        limits: Option<DatabaseLimits>,
    ) -> Result<DatabaseInfo, Error> {
        let url = self.url(&["admin", "databases", "spawn", name])?;
        let body = SpawnRequest {
            limits: limits.unwrap_or_default(),
            ttl: None,
        };
        self.send(false, || {
            self.request(Method::POST, url.clone()).json(&body)
        })
        .await
    }

    /// `POST /admin/databases/spawn/{name}` with every option: limits and a time to live.
    ///
    /// ```no_run
    /// # async fn demo(client: dbforge_client::Client) -> Result<(), dbforge_client::Error> {
    /// use dbforge_client::api::SpawnRequest;
    /// let request = SpawnRequest { ttl: Some("1h".into()), ..SpawnRequest::default() };
    /// let info = client.spawn("preview-42", &request).await?;
    /// assert!(info.expires_at.is_some());
    /// # Ok(()) }
    /// ```
    pub async fn spawn(&self, name: &str, request: &SpawnRequest) -> Result<DatabaseInfo, Error> {
        let url = self.url(&["admin", "databases", "spawn", name])?;
        self.send(false, || {
            self.request(Method::POST, url.clone()).json(request)
        })
        .await
    }

    /// `GET /admin/databases/{name}`: one database's details.
    ///
    /// ```no_run
    /// # async fn demo(client: dbforge_client::Client) -> Result<(), dbforge_client::Error> {
    /// let info = client.database("shop").await?;
    /// println!("{} bytes, {} tables", info.size_bytes, info.table_count);
    /// # Ok(()) }
    /// ```
    pub async fn database(&self, name: &str) -> Result<DatabaseInfo, Error> {
        let url = self.url(&["admin", "databases", name])?;
        self.send(true, || self.request(Method::GET, url.clone()))
            .await
    }

    /// `DELETE /admin/databases/{name}`: deletes a database and its files.
    ///
    /// ```no_run
    /// # async fn demo(client: dbforge_client::Client) -> Result<(), dbforge_client::Error> {
    /// client.delete_database("ci-run-42").await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete_database(&self, name: &str) -> Result<Deleted, Error> {
        let url = self.url(&["admin", "databases", name])?;
        self.send(true, || self.request(Method::DELETE, url.clone()))
            .await
    }

    /// `GET /admin/gateway/stats`.
    ///
    /// ```no_run
    /// # async fn demo(client: dbforge_client::Client) -> Result<(), dbforge_client::Error> {
    /// let stats = client.stats().await?;
    /// println!("{} databases, p99 {} ms", stats.database_count, stats.query_latency.p99_ms);
    /// # Ok(()) }
    /// ```
    pub async fn stats(&self) -> Result<GatewayStats, Error> {
        let url = self.url(&["admin", "gateway", "stats"])?;
        self.send(true, || self.request(Method::GET, url.clone()))
            .await
    }

    /// `POST /api/db/{name}/query` with a full request (options such as `lossless`).
    ///
    /// ```no_run
    /// # async fn demo(client: dbforge_client::Client) -> Result<(), dbforge_client::Error> {
    /// use dbforge_client::api::{QueryRequest, QueryResponse};
    /// let request = QueryRequest { sql: Some("SELECT 1 AS one".into()), lossless: true, ..Default::default() };
    /// let QueryResponse::Single(result) = client.query("shop", &request).await? else { unreachable!() };
    /// # Ok(()) }
    /// ```
    pub async fn query(&self, db: &str, request: &QueryRequest) -> Result<QueryResponse, Error> {
        let url = self.url(&["api", "db", db, "query"])?;
        self.send(false, || {
            self.request(Method::POST, url.clone()).json(request)
        })
        .await
    }

    /// Runs one statement and returns its result.
    ///
    /// ```no_run
    /// # async fn demo(client: dbforge_client::Client) -> Result<(), dbforge_client::Error> {
    /// use dbforge_client::params;
    /// let result = client.execute("shop", "SELECT * FROM items WHERE id = ?", params![1]).await?;
    /// # Ok(()) }
    /// ```
    pub async fn execute(
        &self,
        db: &str,
        sql: &str,
        params: Params,
    ) -> Result<StatementResult, Error> {
        let request = QueryRequest {
            sql: Some(sql.to_owned()),
            params,
            ..QueryRequest::default()
        };
        match self.query(db, &request).await? {
            QueryResponse::Single(result) => Ok(result),
            QueryResponse::Batch(_) => Err(Error::Decode(
                "the SQL holds several statements; use `batch` to get every result".into(),
            )),
        }
    }

    /// Runs several statements atomically: all commit, or none does.
    ///
    /// ```no_run
    /// # async fn demo(client: dbforge_client::Client) -> Result<(), dbforge_client::Error> {
    /// use dbforge_client::params;
    /// let results = client.batch("shop", [
    ///     ("INSERT INTO items(name) VALUES (?)", params!["a"]),
    ///     ("INSERT INTO items(name) VALUES (?)", params!["b"]),
    /// ]).await?;
    /// assert_eq!(results.results.len(), 2);
    /// # Ok(()) }
    /// ```
    pub async fn batch<'a>(
        &self,
        db: &str,
        statements: impl IntoIterator<Item = (&'a str, Params)>,
    ) -> Result<BatchResult, Error> {
        let statements = statements
            .into_iter()
            .map(|(sql, params)| StatementRequest {
                sql: sql.to_owned(),
                params,
            })
            .collect();
        let request = QueryRequest {
            statements: Some(statements),
            ..QueryRequest::default()
        };
        match self.query(db, &request).await? {
            QueryResponse::Batch(results) => Ok(results),
            QueryResponse::Single(result) => Ok(BatchResult {
                results: vec![result],
            }),
        }
    }

    /// `GET /api/db/{name}/tables`: tables and views with their schema.
    ///
    /// ```no_run
    /// # async fn demo(client: dbforge_client::Client) -> Result<(), dbforge_client::Error> {
    /// for table in client.tables("shop").await?.tables { println!("{}", table.name); }
    /// # Ok(()) }
    /// ```
    pub async fn tables(&self, db: &str) -> Result<TableList, Error> {
        let url = self.url(&["api", "db", db, "tables"])?;
        self.send(true, || self.request(Method::GET, url.clone()))
            .await
    }

    /// `GET /api/db/{name}/tables/{table}`: one table's schema.
    ///
    /// ```no_run
    /// # async fn demo(client: dbforge_client::Client) -> Result<(), dbforge_client::Error> {
    /// let items = client.table("shop", "items").await?;
    /// # Ok(()) }
    /// ```
    pub async fn table(&self, db: &str, table: &str) -> Result<TableInfo, Error> {
        let url = self.url(&["api", "db", db, "tables", table])?;
        self.send(true, || self.request(Method::GET, url.clone()))
            .await
    }

    /// `POST /api/db/{name}/tables`: creates a table from a column list.
    ///
    /// ```no_run
    /// # async fn demo(client: dbforge_client::Client) -> Result<(), dbforge_client::Error> {
    /// let request = serde_json::from_value(serde_json::json!({
    ///     "name": "users", "columns": [{"name": "id", "type": "INTEGER", "primary_key": true}]
    /// })).expect("valid request");
    /// client.create_table("shop", &request).await?;
    /// # Ok(()) }
    /// ```
    pub async fn create_table(
        &self,
        db: &str,
        request: &CreateTableRequest,
    ) -> Result<TableInfo, Error> {
        let url = self.url(&["api", "db", db, "tables"])?;
        self.send(false, || {
            self.request(Method::POST, url.clone()).json(request)
        })
        .await
    }

    /// `POST /api/db/{name}/tables/{table}/rows`: inserts rows (JSON objects of column: value)
    /// in one transaction.
    ///
    /// ```no_run
    /// # async fn demo(client: dbforge_client::Client) -> Result<(), dbforge_client::Error> {
    /// let rows = vec![serde_json::json!({"name": "tea"}), serde_json::json!({"name": "milk"})];
    /// let inserted = client.insert_rows("shop", "items", rows).await?;
    /// assert_eq!(inserted.inserted, 2);
    /// # Ok(()) }
    /// ```
    pub async fn insert_rows(
        &self,
        db: &str,
        table: &str,
        rows: Vec<serde_json::Value>,
    ) -> Result<InsertRowsResponse, Error> {
        let url = self.url(&["api", "db", db, "tables", table, "rows"])?;
        let body = serde_json::json!({ "rows": rows });
        self.send(false, || {
            self.request(Method::POST, url.clone()).json(&body)
        })
        .await
    }

    /// `GET /api/db/{name}/tables/{table}/rows`: a page of rows.
    ///
    /// ```no_run
    /// # async fn demo(client: dbforge_client::Client) -> Result<(), dbforge_client::Error> {
    /// use dbforge_client::RowsQuery;
    /// let query = RowsQuery { limit: Some(10), filters: vec![("name".into(), "tea".into())], ..Default::default() };
    /// let page = client.read_rows("shop", "items", &query).await?;
    /// # Ok(()) }
    /// ```
    pub async fn read_rows(
        &self,
        db: &str,
        table: &str,
        query: &RowsQuery,
    ) -> Result<RowsPage, Error> {
        let mut url = self.url(&["api", "db", db, "tables", table, "rows"])?;
        url.query_pairs_mut().extend_pairs(query.pairs());
        self.send(true, || self.request(Method::GET, url.clone()))
            .await
    }

    /// `POST /admin/keys`: creates a scoped API key (admins only). The answer holds its
    /// secret, which the server never shows again.
    ///
    /// ```no_run
    /// # async fn demo(client: dbforge_client::Client) -> Result<(), dbforge_client::Error> {
    /// use dbforge_client::api::{CreateKeyRequest, Role};
    /// let request = CreateKeyRequest {
    ///     name: "ci runner".into(),
    ///     role: Role::ReadWrite,
    ///     databases: vec!["ci-*".into()],
    ///     can_create: true,
    ///     expires_at: Some("2027-01-31T00:00:00Z".into()),
    /// };
    /// let created = client.create_key(&request).await?;
    /// println!("{} = {}", created.key.id, created.secret);
    /// # Ok(()) }
    /// ```
    pub async fn create_key(&self, request: &CreateKeyRequest) -> Result<CreatedKey, Error> {
        let url = self.url(&["admin", "keys"])?;
        self.send(false, || {
            self.request(Method::POST, url.clone()).json(request)
        })
        .await
    }

    /// `GET /admin/keys`: every scoped key, by name (admins only; never a secret).
    ///
    /// ```no_run
    /// # async fn demo(client: dbforge_client::Client) -> Result<(), dbforge_client::Error> {
    /// for key in client.list_keys().await?.keys {
    ///     println!("{} {} {:?} last used {:?}", key.id, key.name, key.role, key.last_used_at);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn list_keys(&self) -> Result<KeyList, Error> {
        let url = self.url(&["admin", "keys"])?;
        self.send(true, || self.request(Method::GET, url.clone()))
            .await
    }

    /// `DELETE /admin/keys/{id}`: revokes a key at once (admins only); an unknown id is
    /// `key_not_found`. Not retried: a retry of a revocation that did arrive would report
    /// `key_not_found`.
    ///
    /// ```no_run
    /// # async fn demo(client: dbforge_client::Client) -> Result<(), dbforge_client::Error> {
    /// client.revoke_key("key_0123456789abcdef").await?;
    /// # Ok(()) }
    /// ```
    pub async fn revoke_key(&self, id: &str) -> Result<(), Error> {
        let url = self.url(&["admin", "keys", id])?;
        self.send_for_no_content(self.request(Method::DELETE, url))
            .await
    }

    /// `POST /admin/keys/{id}/rotate`: gives a key a new secret with the same grants (admins
    /// only); the old secret stops working at once.
    ///
    /// ```no_run
    /// # async fn demo(client: dbforge_client::Client) -> Result<(), dbforge_client::Error> {
    /// let rotated = client.rotate_key("key_0123456789abcdef").await?;
    /// println!("new secret {}", rotated.secret);
    /// # Ok(()) }
    /// ```
    pub async fn rotate_key(&self, id: &str) -> Result<CreatedKey, Error> {
        let url = self.url(&["admin", "keys", id, "rotate"])?;
        self.send(false, || self.request(Method::POST, url.clone()))
            .await
    }

    /// `GET /admin/audit`: one page of the audit log, newest first (admins only): every admin
    /// action and every request that wrote or was refused as a write, with who, when, from
    /// where and how it ended (never SQL, parameters or secrets). Pass the page's
    /// `next_cursor` as [`AuditFilter::before`] for the next, older page; it is `None` on the
    /// last one.
    ///
    /// ```no_run
    /// # async fn demo(client: dbforge_client::Client) -> Result<(), dbforge_client::Error> {
    /// use dbforge_client::{AuditFilter, AuditOutcome};
    /// let mut filter = AuditFilter { outcome: Some(AuditOutcome::Error), ..Default::default() };
    /// loop {
    ///     let page = client.audit(&filter).await?;
    ///     for entry in &page.entries {
    ///         println!("{} {:?} {} {}", entry.at, entry.credential_id, entry.action, entry.status);
    ///     }
    ///     match page.next_cursor {
    ///         Some(cursor) => filter.before = Some(cursor),
    ///         None => break,
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn audit(&self, filter: &AuditFilter) -> Result<AuditPage, Error> {
        let mut url = self.url(&["admin", "audit"])?;
        url.query_pairs_mut().extend_pairs(filter.pairs());
        self.send(true, || self.request(Method::GET, url.clone()))
            .await
    }

    /// `POST /admin/databases/{name}/tokens`: mints a token (a JWT) for one database, with
    /// `access` for `expires_in` (`"90s"`, `"15m"`, `"1h"`, `"7d"`; the server's default,
    /// one hour, when `None`). The token works wherever a key does, this client's
    /// [`ClientBuilder::api_key`] included.
    ///
    /// ```no_run
    /// # async fn demo(client: dbforge_client::Client) -> Result<(), dbforge_client::Error> {
    /// use dbforge_client::api::TokenAccess;
    /// let minted = client.mint_token("shop", TokenAccess::ReadOnly, Some("15m")).await?;
    /// let reader = dbforge_client::Client::builder("http://127.0.0.1:8081").api_key(minted.token).build()?;
    /// # Ok(()) }
    /// ```
    pub async fn mint_token(
        &self,
        db: &str,
        access: TokenAccess,
        expires_in: Option<&str>,
    ) -> Result<MintedToken, Error> {
        let url = self.url(&["admin", "databases", db, "tokens"])?;
        let body = MintTokenRequest {
            access,
            expires_in: expires_in.map(str::to_owned),
        };
        self.send(false, || {
            self.request(Method::POST, url.clone()).json(&body)
        })
        .await
    }

    /// `POST /admin/databases/{name}/tokens/revoke`: every token of the database minted so
    /// far is refused from now on (admins, and keys that may delete the database).
    ///
    /// ```no_run
    /// # async fn demo(client: dbforge_client::Client) -> Result<(), dbforge_client::Error> {
    /// let revoked = client.revoke_database_tokens("shop").await?;
    /// println!("tokens of shop revoked (epoch {})", revoked.epoch);
    /// # Ok(()) }
    /// ```
    pub async fn revoke_database_tokens(&self, db: &str) -> Result<TokensRevoked, Error> {
        let url = self.url(&["admin", "databases", db, "tokens", "revoke"])?;
        self.send(false, || self.request(Method::POST, url.clone()))
            .await
    }

    /// `POST /admin/tokens/revoke`: every token of the server minted so far is refused from
    /// now on (admins only).
    ///
    /// ```no_run
    /// # async fn demo(client: dbforge_client::Client) -> Result<(), dbforge_client::Error> {
    /// assert_eq!(client.revoke_all_tokens().await?.database, None);
    /// # Ok(()) }
    /// ```
    pub async fn revoke_all_tokens(&self) -> Result<TokensRevoked, Error> {
        let url = self.url(&["admin", "tokens", "revoke"])?;
        self.send(false, || self.request(Method::POST, url.clone()))
            .await
    }

    /// `GET /.well-known/jwks.json`: the public keys that verify the server's tokens (no key
    /// needed), for services that check tokens themselves.
    ///
    /// ```no_run
    /// # async fn demo(client: dbforge_client::Client) -> Result<(), dbforge_client::Error> {
    /// let jwks = client.jwks().await?;
    /// assert_eq!(jwks.keys[0].crv, "Ed25519");
    /// # Ok(()) }
    /// ```
    pub async fn jwks(&self) -> Result<Jwks, Error> {
        let url = self.url(&[".well-known", "jwks.json"])?;
        self.send(true, || self.request(Method::GET, url.clone()))
            .await
    }
}
