//! `POST /api/db/{name}/query`: SQL over HTTP.

use axum::extract::State;
use axum::response::{IntoResponse as _, Response};
use dbforge_api::{ErrorEnvelope, QueryRequest, QueryResponse};
use dbforge_core::Core;
use dbforge_engine::Statement;

use super::CallerDb;
use super::encode::{JsonAnswer, encoding};
use crate::http::Writes;
use crate::http::error::{ApiError, ApiJson, ApiResult};
use crate::http::guard::RequestDeadline;

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
        (status = 507, body = ErrorEnvelope),
        (status = 415, body = ErrorEnvelope)),
    security(("api_key" = []), ("bearer" = [])))]
pub async fn run_query(
    State(core): State<Core>,
    CallerDb(db): CallerDb,
    RequestDeadline(deadline): RequestDeadline,
    ApiJson(request): ApiJson<QueryRequest>,
) -> ApiResult<Response> {
    let options = request.options();
    let sent_as = encoding(options);
    let (statements, single) = match (request.sql, request.statements) {
        (Some(sql), None) => (
            vec![Statement::with_params(sql, request.params).encoded(sent_as)],
            true,
        ),
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
                    .map(|s| Statement::with_params(s.sql, s.params).encoded(sent_as))
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
    let mut outputs = core.execute(&db, statements, &deadline).await?;
    let writes = Writes::of(&outputs);
    let answer = if single && outputs.len() == 1 {
        let output = outputs.pop().unwrap_or_default();
        JsonAnswer::statement(output, options)
    } else {
        JsonAnswer::batch(outputs, options)
    };
    Ok(writes.attach(answer.into_response()))
}
