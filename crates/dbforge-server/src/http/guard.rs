//! What every request passes on its way to a handler, so that no client can hold the server's
//! time or memory: a valid key before any body is read (on every route that needs one), a
//! body that must arrive within `--body-read-timeout` and draws on a server-wide body memory
//! budget (`--max-body-memory`), and a deadline (`--request-timeout`) that stops the request's
//! statements, also when the client goes away. On the way out, every answer gets the headers
//! that keep browsers from framing, sniffing or caching what they should not.

use std::future::Future as _;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use dbforge_api::ErrorCode;
use dbforge_core::AuthFailure;
use dbforge_engine::Deadline;
use http_body::{Frame, SizeHint};
use tokio::time::Sleep;

use super::UiResponse;
use super::credential::Authentication;
use super::error::{ApiError, BodyFailure};
use super::throttle::{Limit, LimitedBeforeAuth, Refusal, Throttle, client_address};

/// What the guard enforces, and how the routes it guards are told apart (given by whoever
/// composes the fronts, so the guard knows no protocol).
pub struct Guard {
    pub request_timeout: Duration,
    pub body_read_timeout: Duration,
    pub body_memory: Arc<BodyMemory>,
    /// Whether a matched route pattern answers without a key.
    pub is_public: Box<dyn Fn(&str) -> bool + Send + Sync>,
    /// Whether a matched route pattern takes uploads: its body goes to disk as it arrives
    /// (it is not counted against the body memory), and it has `upload_timeout` (for the body
    /// and the request) instead of the usual timeouts.
    pub is_upload: fn(&str) -> bool,
    pub upload_timeout: Duration,
    /// The 401 for a route whose request has no valid key, in that route's protocol.
    pub refuse: fn(&str, AuthFailure) -> Response,
    /// The 429 for a route whose request a rate limit refused, in that route's protocol.
    pub refuse_limited: fn(&str, Refusal) -> Response,
    pub throttle: Arc<Throttle>,
}

/// Routes of the server itself anyone may call: health, readiness, the API documentation,
/// and whatever no route matched (dashboard pages and files, or a 404). Every other route
/// needs a valid key before its body is read, unless its front (or `--metrics-public`) says
/// otherwise.
pub fn is_open_route(route: &str) -> bool {
    const PUBLIC: &[&str] = &["/health", "/ready", "/openapi.json", "/", "unmatched"];
    PUBLIC.contains(&route) || route == "/docs" || route.starts_with("/docs/")
}

/// A grace after the request deadline for the handler to answer on its own (its statements
/// stop at the deadline); past it the request is answered `request_timeout` and dropped.
const ANSWER_GRACE: Duration = Duration::from_secs(5);

/// The request middleware (see the module's documentation).
pub async fn guard_request(
    State(guard): State<Arc<Guard>>,
    mut request: Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str);
    let public = (guard.is_public)(route);
    if let Some(LimitedBeforeAuth(refusal)) = request.extensions().get().copied() {
        // An address blocked for wrong credentials still gets what needs none (a load
        // balancer sharing it keeps its health checks); its request rate counts everywhere.
        if !(public && refusal.limit == Limit::FailedAuth) {
            return with_security_headers((guard.refuse_limited)(route, refusal));
        }
    }
    // Open routes run no SQL and read no body: they only get the headers.
    if public {
        return with_security_headers(next.run(request).await);
    }
    // The credential step checked the key already (once per request).
    let authentication = request
        .extensions()
        .get::<Authentication>()
        .map_or(Err(AuthFailure::Missing), |a| a.0.as_ref().map_err(|f| *f));
    let limited = match authentication {
        Err(AuthFailure::Missing) => Ok(()),
        Err(_) => guard.throttle.after_failed_auth(client_address(&request)),
        Ok(principal) => guard.throttle.after_auth(principal),
    };
    if let Err(refusal) = limited {
        return with_security_headers((guard.refuse_limited)(route, refusal));
    }
    if let Err(failure) = authentication {
        return with_security_headers((guard.refuse)(route, failure));
    }
    let config = &*guard;
    let upload = (config.is_upload)(route);
    let request_timeout = if upload {
        config.upload_timeout
    } else {
        config.request_timeout
    };
    let deadline = Deadline::after(request_timeout);
    request.extensions_mut().insert(deadline.clone());
    // A request without a body (most GETs) needs neither a timer nor an account for it.
    let account = if request.body().is_end_stream() {
        None
    } else {
        let account = Arc::new(BodyAccount {
            charged: AtomicUsize::new(0),
            memory: Arc::clone(&guard.body_memory),
            counted: !upload,
        });
        let held = Arc::clone(&account);
        let read_timeout = if upload {
            config.upload_timeout
        } else {
            config.body_read_timeout
        };
        let deadline = tokio::time::Instant::now() + read_timeout;
        request = request.map(|body| {
            Body::new(GuardedBody {
                inner: body,
                deadline,
                timer: None,
                account: held,
            })
        });
        Some(account)
    };
    // Dropped with this future when the client goes away: the request's statements stop.
    let cancel = deadline.cancel_on_drop();
    let answered = tokio::time::timeout(request_timeout + ANSWER_GRACE, next.run(request)).await;
    drop(account);
    let response = match answered {
        Ok(response) => {
            cancel.disarm();
            response
        }
        Err(_) => {
            drop(cancel);
            ApiError::new(
                ErrorCode::RequestTimeout,
                format!(
                    "the request took longer than {} ({}); its statements were stopped, and a \
                     write it made may or may not have been committed",
                    humantime::format_duration(request_timeout),
                    if upload {
                        "--import-timeout"
                    } else {
                        "--request-timeout"
                    }
                ),
            )
            .into_response()
        }
    };
    with_security_headers(response)
}

/// The request's deadline, set by the guard (`--request-timeout`): every statement the
/// request runs stops by then, and at once if the client goes away.
pub struct RequestDeadline(pub Deadline);

impl<S: Send + Sync> FromRequestParts<S> for RequestDeadline {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<Deadline>()
            .cloned()
            .map(RequestDeadline)
            .ok_or_else(|| ApiError::internal("the request has no deadline (guard missing)"))
    }
}

/// The page policy: the dashboard and the API explorer load only their own scripts, styles,
/// images and fonts, talk only to this server, and may not be framed.
const PAGE_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; \
     connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

/// The policy of everything that is not a page (JSON, scripts, styles): nothing loads from
/// it, nothing frames it.
const DATA_SECURITY_POLICY: &str = "default-src 'none'; frame-ancestors 'none'";

/// Headers every answer carries: a content security policy that forbids framing, and no
/// content sniffing. Pages also get `X-Frame-Options` (for browsers without
/// `frame-ancestors`) and no referrer; API answers (all but the dashboard's own files, which
/// set their own cache policy) are never cached: they hold data and are only valid once.
/// (Data answers carry three headers, not five: a response map of more than six headers
/// grows into an allocation that costs every small answer measurably.)
fn with_security_headers(mut response: Response) -> Response {
    let is_dashboard = response.extensions().get::<UiResponse>().is_some();
    let headers = response.headers_mut();
    // The dashboard's answers all count as pages: a `304 Not Modified` of a page has no
    // content type, and browsers update the cached page's policy from it.
    let is_page = is_dashboard
        || headers
            .get(header::CONTENT_TYPE)
            .is_some_and(|t| t.as_bytes().starts_with(b"text/html"));
    if is_page {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(PAGE_SECURITY_POLICY),
        );
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
    } else {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(DATA_SECURITY_POLICY),
        );
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if !is_dashboard && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// Request bodies held in memory at once, over all requests (`--max-body-memory`).
pub type BodyMemory = dbforge_engine::MemoryBudget;

/// What one request's body has taken from [`BodyMemory`]; given back when the request is
/// answered (the body's bytes live on in the handler until then).
struct BodyAccount {
    charged: AtomicUsize,
    memory: Arc<BodyMemory>,
    /// Whether the body is held in memory (an upload goes to disk instead).
    counted: bool,
}

impl Drop for BodyAccount {
    fn drop(&mut self) {
        self.memory.give_back(self.charged.load(Ordering::Relaxed));
    }
}

/// A request body bounded in time and counted against the server's body memory.
struct GuardedBody {
    inner: Body,
    deadline: tokio::time::Instant,
    /// Armed the first time the body is not all there: most bodies arrive with their head
    /// and never need a timer.
    timer: Option<Pin<Box<Sleep>>>,
    account: Arc<BodyAccount>,
}

impl HttpBody for GuardedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = &mut *self;
        let timed_out = || Poll::Ready(Some(Err(axum::Error::new(BodyFailure::TimedOut))));
        if tokio::time::Instant::now() >= this.deadline {
            return timed_out();
        }
        let frame = Pin::new(&mut this.inner).poll_frame(cx);
        if frame.is_pending() {
            // Wake at the deadline if no data comes before it.
            let deadline = this.deadline;
            let timer = this
                .timer
                .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
            if timer.as_mut().poll(cx).is_ready() {
                return timed_out();
            }
            return Poll::Pending;
        }
        if let Poll::Ready(Some(Ok(frame))) = &frame
            && let Some(data) = frame.data_ref()
            && this.account.counted
        {
            if !this.account.memory.try_take(data.len()) {
                return Poll::Ready(Some(Err(axum::Error::new(BodyFailure::MemoryFull))));
            }
            this.account
                .charged
                .fetch_add(data.len(), Ordering::Relaxed);
        }
        frame
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_memory_is_charged_up_to_its_limit_and_given_back() {
        let memory = BodyMemory::new(100);
        assert!(memory.try_take(60));
        assert!(!memory.try_take(41));
        assert!(memory.try_take(40));
        memory.give_back(60);
        assert_eq!(memory.used(), 40);
        assert!(!memory.try_take(usize::MAX));
        assert!(!memory.try_take_below(1, 40), "a lower ceiling holds");
    }

    #[test]
    fn only_the_servers_open_routes_skip_the_key() {
        for public in ["/health", "/docs/", "/docs/swagger-ui.css", "unmatched"] {
            assert!(is_open_route(public), "{public}");
        }
        for protected in [
            "/admin/databases",
            "/api/db/{name}/query",
            "/hrana/{name}/v3/pipeline",
            "/v2/pipeline",
            "/documents",
            "/metrics",
        ] {
            assert!(!is_open_route(protected), "{protected}");
        }
    }
}
