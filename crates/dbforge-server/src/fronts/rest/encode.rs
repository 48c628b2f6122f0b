//! Query results written as JSON straight from the engine's rows, a chunk at a time: no tree of
//! JSON values is built, and a large result is sent as it is written, so the server holds the
//! rows once (their memory charged to `--max-result-memory` until sent) and never a second
//! copy of the whole answer. The shapes are those of `dbforge_api`'s `QueryResponse` and
//! `RowsPage`; the tests check them against those types.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes, HttpBody};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use dbforge_api::{Lossless, QueryOptions, RowFormat, Value};
use dbforge_engine::{Encoding, ResultCharge, StatementOutput};
use http_body::{Frame, SizeHint};
use serde::Serialize;

/// How much of a large answer is written before it is handed to the connection.
const CHUNK_BYTES: usize = 64 * 1024;

/// What the result limits count for a result sent in this format (see [`Encoding`]).
pub fn encoding(options: QueryOptions) -> Encoding {
    match options.row_format {
        // `"name":` and a comma per value are counted with the column names.
        RowFormat::Objects => Encoding {
            per_value: 0,
            names_per_row: true,
        },
        RowFormat::Arrays => Encoding::default(),
    }
}

/// A JSON document of literal pieces and rows, written in chunks.
pub struct JsonAnswer {
    parts: VecDeque<Part>,
    options: QueryOptions,
    /// The memory the rows were charged, held until the answer is sent.
    _charges: Vec<ResultCharge>,
}

enum Part {
    Literal(Vec<u8>),
    Rows {
        columns: Vec<String>,
        rows: std::vec::IntoIter<Vec<Value>>,
        first: bool,
    },
}

impl JsonAnswer {
    /// `{"columns": ..., "column_types": ..., "rows": [...], "rows_affected": ...,
    /// "last_insert_rowid": ..., "truncated": ...}`: one statement's result.
    pub fn statement(output: StatementOutput, options: QueryOptions) -> Self {
        let mut answer = Self::empty(options);
        answer.push_statement(output);
        answer
    }

    /// `{"results": [...]}`: each statement's result in order.
    pub fn batch(outputs: Vec<StatementOutput>, options: QueryOptions) -> Self {
        let mut answer = Self::empty(options);
        answer.literal(b"{\"results\":[");
        for (i, output) in outputs.into_iter().enumerate() {
            if i > 0 {
                answer.literal(b",");
            }
            answer.push_statement(output);
        }
        answer.literal(b"]}");
        answer
    }

    /// A page of rows: `{"columns": ..., "rows": [...]` then `tail`, the fields that follow
    /// (serialized as an object, whose braces are dropped).
    pub fn page(output: StatementOutput, tail: &impl Serialize) -> Self {
        let mut answer = Self::empty(QueryOptions::default());
        answer.literal(b"{\"columns\":");
        answer.json(&output.columns);
        answer.literal(b",\"rows\":");
        answer.rows(output);
        let tail = serde_json::to_vec(tail).unwrap_or_else(|_| b"{}".to_vec());
        if tail.len() > 2 {
            answer.literal(b",");
            answer.literal(&tail[1..]);
        } else {
            answer.literal(b"}");
        }
        answer
    }

    fn empty(options: QueryOptions) -> Self {
        Self {
            parts: VecDeque::new(),
            options,
            _charges: Vec::new(),
        }
    }

    fn push_statement(&mut self, output: StatementOutput) {
        self.literal(b"{\"columns\":");
        self.json(&output.columns);
        self.literal(b",\"column_types\":");
        self.json(&output.column_types);
        self.literal(b",\"rows\":");
        let tail = format!(
            ",\"rows_affected\":{},\"last_insert_rowid\":{},\"truncated\":{}}}",
            output.rows_affected,
            output
                .last_insert_rowid
                .map_or_else(|| "null".to_owned(), |id| id.to_string()),
            output.truncated
        );
        self.rows(output);
        self.literal(tail.as_bytes());
    }

    fn rows(&mut self, mut output: StatementOutput) {
        self._charges.push(std::mem::take(&mut output.memory));
        self.literal(b"[");
        self.parts.push_back(Part::Rows {
            columns: output.columns,
            rows: output.rows.into_iter(),
            first: true,
        });
        self.literal(b"]");
    }

    fn literal(&mut self, bytes: &[u8]) {
        if let Some(Part::Literal(last)) = self.parts.back_mut() {
            last.extend_from_slice(bytes);
        } else {
            self.parts.push_back(Part::Literal(bytes.to_vec()));
        }
    }

    fn json(&mut self, value: &impl Serialize) {
        let mut bytes = Vec::new();
        // Strings and options of strings: writing them into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut bytes, value);
        self.literal(&bytes);
    }

    /// The next chunk of at least [`CHUNK_BYTES`] (less at the end); `None` when done.
    fn next_chunk(&mut self) -> Option<Bytes> {
        let mut chunk = Vec::new();
        while chunk.len() < CHUNK_BYTES {
            let Some(part) = self.parts.front_mut() else {
                break;
            };
            match part {
                Part::Literal(bytes) => {
                    chunk.append(bytes);
                    self.parts.pop_front();
                }
                Part::Rows {
                    columns,
                    rows,
                    first,
                } => {
                    let mut done = true;
                    for row in rows.by_ref() {
                        if !*first {
                            chunk.push(b',');
                        }
                        *first = false;
                        write_row(&mut chunk, columns, &row, self.options);
                        if chunk.len() >= CHUNK_BYTES {
                            done = false;
                            break;
                        }
                    }
                    if done {
                        self.parts.pop_front();
                    }
                }
            }
        }
        (!chunk.is_empty()).then(|| Bytes::from(chunk))
    }
}

fn write_row(out: &mut Vec<u8>, columns: &[String], row: &[Value], options: QueryOptions) {
    let value = |out: &mut Vec<u8>, v: &Value| {
        // A value writes into a Vec without fail (non-finite reals have their own form).
        let _ = if options.lossless {
            serde_json::to_writer(&mut *out, &Lossless(v))
        } else {
            serde_json::to_writer(&mut *out, v)
        };
    };
    match options.row_format {
        RowFormat::Arrays => {
            out.push(b'[');
            for (i, v) in row.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                value(out, v);
            }
            out.push(b']');
        }
        RowFormat::Objects => {
            out.push(b'{');
            for (i, (name, v)) in columns.iter().zip(row).enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                let _ = serde_json::to_writer(&mut *out, name);
                out.push(b':');
                value(out, v);
            }
            out.push(b'}');
        }
    }
}

impl IntoResponse for JsonAnswer {
    fn into_response(mut self) -> Response {
        // Most answers fit one chunk: send those as a plain body with its length.
        let first = self.next_chunk().unwrap_or_default();
        let body = if self.parts.is_empty() {
            Body::from(first)
        } else {
            Body::new(Streamed {
                first: Some(first),
                rest: self,
                since_yield: 0,
            })
        };
        let mut response = body.into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response
    }
}

/// A large answer, written as the connection takes it.
struct Streamed {
    first: Option<Bytes>,
    rest: JsonAnswer,
    /// Bytes written since this body last let other tasks run.
    since_yield: usize,
}

/// How much a large answer writes before it lets the executor run other tasks: writing is
/// work on an executor thread, and a fast reader would otherwise keep one busy with a whole
/// answer of tens of megabytes while `/health` and everyone else wait.
const YIELD_EVERY_BYTES: usize = CHUNK_BYTES;

impl HttpBody for Streamed {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if self.since_yield >= YIELD_EVERY_BYTES {
            self.since_yield = 0;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let next = match self.first.take() {
            Some(first) => Some(first),
            None => self.rest.next_chunk(),
        };
        if let Some(chunk) = &next {
            self.since_yield += chunk.len();
        }
        Poll::Ready(next.map(|chunk| Ok(Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.first.is_none() && self.rest.parts.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dbforge_api::{QueryResponse, RowsPage};

    fn output(rows: usize) -> StatementOutput {
        StatementOutput {
            columns: vec!["id".into(), "name \"q\"".into()],
            column_types: vec![Some("INTEGER".into()), None],
            rows: (0..rows)
                .map(|i| {
                    vec![
                        Value::Integer(i64::try_from(i).unwrap_or(0) + (1 << 60)),
                        Value::Blob(vec![1, 2, 3]),
                    ]
                })
                .collect(),
            rows_affected: 3,
            last_insert_rowid: Some(7),
            truncated: true,
            wrote: None,
            memory: ResultCharge::default(),
        }
    }

    fn written(mut answer: JsonAnswer) -> (serde_json::Value, usize) {
        let mut bytes = Vec::new();
        let mut chunks = 0;
        while let Some(chunk) = answer.next_chunk() {
            bytes.extend_from_slice(&chunk);
            chunks += 1;
        }
        (serde_json::from_slice(&bytes).expect("valid JSON"), chunks)
    }

    #[test]
    fn results_have_the_api_shapes_in_every_format() {
        for (row_format, lossless) in [(RowFormat::Objects, false), (RowFormat::Arrays, true)] {
            let options = QueryOptions {
                row_format,
                lossless,
            };
            let (single, _) = written(JsonAnswer::statement(output(2), options));
            let single: QueryResponse = serde_json::from_value(single).expect("a result");
            let QueryResponse::Single(result) = single else {
                panic!("one result expected")
            };
            assert_eq!(result.rows.len(), 2);
            assert_eq!(
                (result.rows_affected, result.last_insert_rowid),
                (3, Some(7))
            );
            assert!(result.truncated);
            let first = &result.rows[0];
            let id = match row_format {
                RowFormat::Objects => &first["id"],
                RowFormat::Arrays => &first[0],
            };
            if lossless {
                assert_eq!(id["integer"], (1_i64 << 60).to_string());
            } else {
                assert_eq!(id, &serde_json::json!(1_i64 << 60));
            }
            let (batch, _) = written(JsonAnswer::batch(vec![output(1), output(0)], options));
            let QueryResponse::Batch(batch) = serde_json::from_value(batch).expect("results")
            else {
                panic!("a batch expected")
            };
            assert_eq!(batch.results.len(), 2);
            assert!(batch.results[1].rows.is_empty());
        }
    }

    #[test]
    fn large_results_are_written_in_chunks() {
        let (value, chunks) = written(JsonAnswer::statement(
            output(20_000),
            QueryOptions::default(),
        ));
        assert!(chunks > 4, "{chunks} chunks");
        assert_eq!(value["rows"].as_array().map(Vec::len), Some(20_000));
    }

    #[test]
    fn pages_carry_their_paging_fields() {
        #[derive(Serialize)]
        struct Tail {
            limit: u64,
            offset: u64,
            next_after: Option<i64>,
            next_offset: Option<u64>,
        }
        let tail = Tail {
            limit: 2,
            offset: 0,
            next_after: Some(9),
            next_offset: None,
        };
        let (page, _) = written(JsonAnswer::page(output(2), &tail));
        let page: RowsPage = serde_json::from_value(page).expect("a page");
        assert_eq!(page.rows.len(), 2);
        assert_eq!(
            (page.limit, page.next_after, page.next_offset),
            (2, Some(9), None)
        );
    }
}
