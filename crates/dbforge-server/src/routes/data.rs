//! `POST /api/db/{name}/query`: SQL over HTTP.

use std::time::Instant;

use axum::extract::State;
use dbforge_api::{
    BatchResult, ErrorEnvelope, QueryOptions, QueryRequest, QueryResponse, RowFormat,
    StatementResult,
};
use dbforge_engine::{Statement, StatementOutput};

use super::{DbHandle, RequestDeadline};
use crate::error::{ApiError, ApiJson, ApiResult};
use crate::state::AppState;

/// Shapes an engine result as the API's JSON.
pub fn statement_result(output: StatementOutput, options: QueryOptions) -> StatementResult {
    let lossless = options.lossless;
    let rows = match options.row_format {
        RowFormat::Arrays => output
            .rows
            .into_iter()
            .map(|row| serde_json::Value::Array(row.iter().map(|v| v.to_json(lossless)).collect()))
            .collect(),
        RowFormat::Objects => output
            .rows
            .into_iter()
            .map(|row| {
                let object = output
                    .columns
                    .iter()
                    .zip(&row)
                    .map(|(c, v)| (c.clone(), v.to_json(lossless)))
                    .collect::<serde_json::Map<_, _>>();
                serde_json::Value::Object(object)
            })
            .collect(),
    };
    StatementResult {
        columns: output.columns,
        column_types: output.column_types,
        rows,
        rows_affected: output.rows_affected,
        last_insert_rowid: output.last_insert_rowid,
        truncated: output.truncated,
    }
}

/// Run SQL: one statement (`sql` + `params`), or several atomically (`statements`).
///
/// A single `sql` answers with one result; `statements`, or a `sql` text holding several
/// statements, answers with `{"results": [...]}`. Read-only requests run concurrently;
/// writes are committed durably before the answer.
#[utoipa::path(post, path = "/api/db/{name}/query", tag = "data",
    params(("name" = String, Path, description = "database name")),
    request_body = QueryRequest,
    responses(
        (status = 200, description = "one result for a single `sql`, else `{\"results\": [...]}`", body = QueryResponse),
        (status = 400, body = ErrorEnvelope), (status = 401, body = ErrorEnvelope),
        (status = 403, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope),
        (status = 409, body = ErrorEnvelope), (status = 413, body = ErrorEnvelope),
        (status = 507, body = ErrorEnvelope)),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn run_query(
    State(state): State<AppState>,
    DbHandle(db): DbHandle,
    RequestDeadline(deadline): RequestDeadline,
    ApiJson(request): ApiJson<QueryRequest>,
) -> ApiResult<ApiJson<QueryResponse>> {
    let options = request.options();
    let (statements, single) = match (request.sql, request.statements) {
        (Some(sql), None) => (vec![Statement::with_params(sql, request.params)], true),
        (None, Some(list)) => {
            if !request.params.is_empty() {
                return Err(ApiError::invalid_request(
                    "with `statements`, give each statement its own `params`",
                ));
            }
            if list.is_empty() {
                return Err(ApiError::invalid_request("`statements` is empty"));
            }
            (
                list.into_iter()
                    .map(|s| Statement::with_params(s.sql, s.params))
                    .collect(),
                false,
            )
        }
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid_request(
                "send either `sql` or `statements`, not both",
            ));
        }
        (None, None) => {
            return Err(ApiError::invalid_request(
                "the body needs `sql` (one statement) or `statements` (a list run atomically)",
            ));
        }
    };
    let started = Instant::now();
    let result = db.execute(statements, &deadline).await;
    state.stats.record_query(started.elapsed(), result.is_ok());
    state.note_schema_change(&db).await;
    let mut outputs = result?;
    if single && outputs.len() == 1 {
        let output = outputs.pop().unwrap_or_default();
        return Ok(ApiJson(QueryResponse::Single(statement_result(
            output, options,
        ))));
    }
    let results = outputs
        .into_iter()
        .map(|o| statement_result(o, options))
        .collect();
    Ok(ApiJson(QueryResponse::Batch(BatchResult { results })))
}
