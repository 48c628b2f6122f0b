//! HTTP plumbing every front and ops share: the accept loop (`listener`), the credential
//! step (`credential`: the key a request presents, checked once by the core), what every
//! request passes (`guard`: body time and memory, the deadline, security headers), the JSON
//! error envelope of the REST API and ops with the body extractors (`error`; other protocols
//! map its failures to their own shape), and bodies that hold result memory (`body`).

pub mod body;
pub mod credential;
pub mod error;
pub mod guard;
pub mod listener;
pub mod throttle;

/// Marks a response as one of the dashboard's pages or files: it keeps its own cache policy,
/// gets the page security headers, and is not API traffic for the activity log.
#[derive(Debug, Clone, Copy)]
pub struct UiResponse;

/// The method as a metric label or log field: the standard methods by name, anything else
/// (a client may send any token, of any length) as `OTHER`, so label values stay few.
pub fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    const KNOWN: [(Method, &str); 9] = [
        (Method::GET, "GET"),
        (Method::POST, "POST"),
        (Method::PUT, "PUT"),
        (Method::DELETE, "DELETE"),
        (Method::PATCH, "PATCH"),
        (Method::HEAD, "HEAD"),
        (Method::OPTIONS, "OPTIONS"),
        (Method::CONNECT, "CONNECT"),
        (Method::TRACE, "TRACE"),
    ];
    KNOWN
        .iter()
        .find(|(known, _)| known == method)
        .map_or("OTHER", |(_, label)| label)
}
