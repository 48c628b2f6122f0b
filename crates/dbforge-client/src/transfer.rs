//! Export and import: `GET /api/db/{name}/export` streamed into a writer, and
//! `POST /admin/databases/{name}/import` streamed from a reader.

use std::path::Path;

use dbforge_api::ImportResult;
use reqwest::Method;
use reqwest::header::CONTENT_TYPE;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};

use crate::lifecycle::TRANSFER_TIMEOUT;
use crate::{Client, Error};

/// What an export writes, or what an imported file holds.
///
/// ```
/// use dbforge_client::DataFormat;
/// assert_eq!("ndjson".parse::<DataFormat>(), Ok(DataFormat::Ndjson));
/// assert_eq!(DataFormat::from_path("items.jsonl".as_ref()), Some(DataFormat::Ndjson));
/// assert_eq!(DataFormat::Csv.as_str(), "csv");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DataFormat {
    /// A SQL dump (as `sqlite3 .dump` writes one): loads into an identical database. The
    /// server's default for exports.
    #[default]
    Sql,
    /// A header row, then one line per row (RFC 4180).
    Csv,
    /// One JSON array of row objects.
    Json,
    /// One JSON row object per line.
    Ndjson,
    /// The SQLite database file itself.
    Sqlite,
}

impl DataFormat {
    /// Every format, in the order the API lists them.
    pub const ALL: [DataFormat; 5] = [
        DataFormat::Sql,
        DataFormat::Csv,
        DataFormat::Json,
        DataFormat::Ndjson,
        DataFormat::Sqlite,
    ];

    /// The name the API uses (`format=`).
    pub fn as_str(self) -> &'static str {
        match self {
            DataFormat::Sql => "sql",
            DataFormat::Csv => "csv",
            DataFormat::Json => "json",
            DataFormat::Ndjson => "ndjson",
            DataFormat::Sqlite => "sqlite",
        }
    }

    /// The media type the server gives (export) and takes (import) for this format.
    pub fn content_type(self) -> &'static str {
        match self {
            DataFormat::Sql => "application/sql",
            DataFormat::Csv => "text/csv",
            DataFormat::Json => "application/json",
            DataFormat::Ndjson => "application/x-ndjson",
            DataFormat::Sqlite => "application/vnd.sqlite3",
        }
    }

    /// The format a file name's extension stands for (any case): `.sql`, `.csv`, `.json`,
    /// `.ndjson` and `.jsonl`, `.sqlite`, `.sqlite3` and `.db`; `None` for anything else.
    pub fn from_path(path: &Path) -> Option<Self> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        Some(match extension.as_str() {
            "sql" => DataFormat::Sql,
            "csv" => DataFormat::Csv,
            "json" => DataFormat::Json,
            "ndjson" | "jsonl" => DataFormat::Ndjson,
            "sqlite" | "sqlite3" | "db" => DataFormat::Sqlite,
            _ => return None,
        })
    }
}

impl std::fmt::Display for DataFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for DataFormat {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, String> {
        DataFormat::ALL
            .into_iter()
            .find(|format| format.as_str().eq_ignore_ascii_case(name))
            .ok_or_else(|| format!("{name:?} is not a format (sql, csv, json, ndjson, sqlite)"))
    }
}

/// What [`Client::export`] exports: the whole database (neither `table` nor `sql`), one table,
/// or the rows of a read-only query.
///
/// ```
/// use dbforge_client::{DataFormat, ExportOptions};
/// let items_as_csv = ExportOptions {
///     format: DataFormat::Csv,
///     table: Some("items".into()),
///     null: Some("\\N".into()),
///     ..Default::default()
/// };
/// ```
#[derive(Debug, Clone, Default)]
pub struct ExportOptions {
    /// What to write (default: a SQL dump).
    pub format: DataFormat,
    /// One table: a dump of it with its indexes and triggers, or its rows.
    pub table: Option<String>,
    /// A read-only query whose rows to export (CSV, JSON, NDJSON).
    pub sql: Option<String>,
    /// How CSV writes NULL (the server's default: an empty field, empty text then being `""`).
    pub null: Option<String>,
}

impl ExportOptions {
    fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = vec![("format", self.format.as_str().to_owned())];
        let optional = [
            ("table", &self.table),
            ("sql", &self.sql),
            ("null", &self.null),
        ];
        pairs.extend(
            optional
                .into_iter()
                .filter_map(|(name, value)| value.clone().map(|v| (name, v))),
        );
        pairs
    }
}

/// How [`Client::import`] reads the file: its format, and for rows the table they go to.
///
/// ```
/// use dbforge_client::{DataFormat, ImportOptions};
/// let rows = ImportOptions { table: Some("items".into()), ..ImportOptions::new(DataFormat::Csv) };
/// ```
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// What the file holds.
    pub format: DataFormat,
    /// The table rows go to (CSV, JSON, NDJSON: needed), created when missing.
    pub table: Option<String>,
    /// What NULL looks like in CSV (the server's default: an empty field).
    pub null: Option<String>,
}

impl ImportOptions {
    /// A file of `format`, without a table or a NULL marker.
    pub fn new(format: DataFormat) -> Self {
        ImportOptions {
            format,
            table: None,
            null: None,
        }
    }

    fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = vec![("format", self.format.as_str().to_owned())];
        let optional = [("table", &self.table), ("null", &self.null)];
        pairs.extend(
            optional
                .into_iter()
                .filter_map(|(name, value)| value.clone().map(|v| (name, v))),
        );
        pairs
    }
}

impl Client {
    /// `GET /api/db/{name}/export`: writes the export to `out` as it arrives and answers the
    /// bytes written. There is no row limit, and it may take as long as the database is large
    /// (up to the server's `--export-timeout`).
    ///
    /// The server cuts the answer short when the export fails after it began (the body never
    /// ends cleanly): that is an error here ([`Error::Transport`]), never a shorter success, so
    /// `out` then holds a partial export the caller should discard. A failure to write to
    /// `out` is an [`Error::Decode`] that says so. Not retried.
    ///
    /// ```no_run
    /// # async fn demo(client: dbforge_client::Client) -> Result<(), dbforge_client::Error> {
    /// use dbforge_client::{DataFormat, ExportOptions};
    /// let mut file = tokio::fs::File::create("shop.sql").await.expect("file");
    /// let bytes = client.export("shop", &ExportOptions::default(), &mut file).await?;
    ///
    /// let query = ExportOptions {
    ///     format: DataFormat::Ndjson,
    ///     sql: Some("SELECT * FROM items WHERE price > 10".into()),
    ///     ..Default::default()
    /// };
    /// let mut stdout = tokio::io::stdout();
    /// client.export("shop", &query, &mut stdout).await?;
    /// # Ok(()) }
    /// ```
    pub async fn export(
        &self,
        db: &str,
        options: &ExportOptions,
        out: &mut (impl AsyncWrite + Unpin),
    ) -> Result<u64, Error> {
        let mut url = self.url(&["api", "db", db, "export"])?;
        url.query_pairs_mut().extend_pairs(options.pairs());
        // An export may be large: the client's timeout is for answers, not for this transfer.
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
        let expected = response.content_length();
        let mut written = 0u64;
        // A chunked body cut short (no last chunk), or one shorter than its Content-Length,
        // is an error from `chunk`: it never looks like the end of the body.
        while let Some(chunk) = response.chunk().await? {
            out.write_all(&chunk)
                .await
                .map_err(|e| Error::Decode(format!("writing the export: {e}")))?;
            written += chunk.len() as u64;
        }
        if let Some(expected) = expected
            && written != expected
        {
            return Err(Error::Decode(format!(
                "the export ended after {written} of its {expected} bytes"
            )));
        }
        out.flush()
            .await
            .map_err(|e| Error::Decode(format!("writing the export: {e}")))?;
        Ok(written)
    }

    /// `POST /admin/databases/{name}/import`: uploads `body` as it is read (a file, standard
    /// input, ...) and answers what the server did. The import is all or nothing: a failure
    /// (its message names the line or row) leaves nothing behind, a database the import
    /// created included. A SQLite file becomes a new database; a SQL dump, CSV, JSON or NDJSON
    /// loads into `db`, created when missing. Not retried: the body is read once.
    ///
    /// A failure to read `body` fails the upload ([`Error::Transport`], whose source is the
    /// read error); the server then imports nothing.
    ///
    /// ```no_run
    /// # async fn demo(client: dbforge_client::Client) -> Result<(), dbforge_client::Error> {
    /// use dbforge_client::{DataFormat, ImportOptions};
    /// let file = tokio::fs::File::open("items.csv").await.expect("file");
    /// let options = ImportOptions {
    ///     table: Some("items".into()),
    ///     null: Some("\\N".into()),
    ///     ..ImportOptions::new(DataFormat::Csv)
    /// };
    /// let result = client.import("shop", &options, file).await?;
    /// println!("{} rows into {:?} (table created: {})", result.count, result.table, result.created_table);
    ///
    /// let snapshot = tokio::fs::File::open("shop.sqlite").await.expect("file");
    /// client.import("shop-copy", &ImportOptions::new(DataFormat::Sqlite), snapshot).await?;
    /// # Ok(()) }
    /// ```
    pub async fn import(
        &self,
        db: &str,
        options: &ImportOptions,
        body: impl AsyncRead + Send + 'static,
    ) -> Result<ImportResult, Error> {
        let mut url = self.url(&["admin", "databases", db, "import"])?;
        url.query_pairs_mut().extend_pairs(options.pairs());
        let body = reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::new(body));
        let response = self
            .request(Method::POST, url)
            .timeout(TRANSFER_TIMEOUT)
            .header(CONTENT_TYPE, options.format.content_type())
            .body(body)
            .send()
            .await?;
        let status = response.status();
        let answer = response.bytes().await?;
        if !status.is_success() {
            return Err(Self::error_of(status, &answer));
        }
        serde_json::from_slice(&answer).map_err(|e| Error::Decode(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    use super::*;

    #[test]
    fn formats_come_from_names_and_extensions() {
        for format in DataFormat::ALL {
            assert_eq!(format.as_str().parse::<DataFormat>(), Ok(format));
            assert_eq!(format.to_string(), format.as_str());
        }
        assert_eq!("CSV".parse::<DataFormat>(), Ok(DataFormat::Csv));
        assert!("xml".parse::<DataFormat>().is_err());
        let cases = [
            ("dump.SQL", Some(DataFormat::Sql)),
            ("a/b.csv", Some(DataFormat::Csv)),
            ("rows.json", Some(DataFormat::Json)),
            ("rows.ndjson", Some(DataFormat::Ndjson)),
            ("rows.jsonl", Some(DataFormat::Ndjson)),
            ("shop.sqlite", Some(DataFormat::Sqlite)),
            ("shop.sqlite3", Some(DataFormat::Sqlite)),
            ("shop.db", Some(DataFormat::Sqlite)),
            ("shop.sqlite.zst", None),
            ("README", None),
        ];
        for (path, format) in cases {
            assert_eq!(DataFormat::from_path(Path::new(path)), format, "{path}");
        }
    }

    #[test]
    fn options_become_query_parameters() {
        let export = ExportOptions {
            format: DataFormat::Csv,
            sql: Some("SELECT 1".into()),
            null: Some("\\N".into()),
            ..Default::default()
        };
        assert_eq!(
            export.pairs(),
            [
                ("format", "csv".to_owned()),
                ("sql", "SELECT 1".to_owned()),
                ("null", "\\N".to_owned())
            ]
        );
        let import = ImportOptions {
            table: Some("t".into()),
            ..ImportOptions::new(DataFormat::Ndjson)
        };
        assert_eq!(
            import.pairs(),
            [("format", "ndjson".to_owned()), ("table", "t".to_owned())]
        );
    }

    /// A server that answers one request with `head` and `body`, then closes the connection.
    async fn one_answer(head: &'static str, body: &'static [u8]) -> Client {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.expect("accept");
            let mut request = Vec::new();
            let mut buffer = [0u8; 4096];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = socket.read(&mut buffer).await.expect("read");
                if n == 0 {
                    return;
                }
                request.extend_from_slice(&buffer[..n]);
            }
            socket.write_all(head.as_bytes()).await.expect("write");
            socket.write_all(body).await.expect("write");
            socket.flush().await.expect("flush");
            // Dropped: the connection closes here.
        });
        Client::builder(url).retries(0).build().expect("client")
    }

    #[tokio::test]
    async fn a_chunked_export_cut_short_is_an_error() {
        let client = one_answer(
            "HTTP/1.1 200 OK\r\nContent-Type: application/sql\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"6\r\nBEGIN;\r\n",
        )
        .await;
        let mut out = Vec::new();
        let error = client
            .export("shop", &ExportOptions::default(), &mut out)
            .await
            .expect_err("an export without its last chunk is not whole");
        assert!(matches!(error, Error::Transport(_)), "{error:?}");
        assert_eq!(out, b"BEGIN;", "what arrived was written");
    }

    #[tokio::test]
    async fn an_export_shorter_than_its_length_is_an_error() {
        let client = one_answer(
            "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.sqlite3\r\nContent-Length: 100\r\n\r\n",
            b"SQLite format 3\0",
        )
        .await;
        let mut out = Vec::new();
        client
            .export("shop", &ExportOptions::default(), &mut out)
            .await
            .expect_err("16 of 100 bytes is not the file");
    }

    #[tokio::test]
    async fn a_whole_chunked_export_is_written() {
        let client = one_answer(
            "HTTP/1.1 200 OK\r\nContent-Type: application/sql\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"6\r\nBEGIN;\r\n7\r\nCOMMIT;\r\n0\r\n\r\n",
        )
        .await;
        let mut out = Vec::new();
        let written = client
            .export("shop", &ExportOptions::default(), &mut out)
            .await
            .expect("a whole export");
        assert_eq!((written, out.as_slice()), (13, &b"BEGIN;COMMIT;"[..]));
    }
}
