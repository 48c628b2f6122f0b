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
pub mod tls;

/// Marks a response as one of the dashboard's pages or files: it keeps its own cache policy,
/// gets the page security headers, and is not API traffic for the activity log.
#[derive(Debug, Clone, Copy)]
pub struct UiResponse;

/// On a response: the kinds of the statements that wrote (see `dbforge_engine::statement_kind`),
/// noted by the fronts for the audit log.
#[derive(Debug, Clone, Default)]
pub struct Writes(pub Vec<String>);

/// Kinds of written statements one response notes at most (a batch may hold thousands).
const MAX_NOTED_KINDS: usize = 16;

impl Writes {
    /// Notes a statement that wrote, by its kind (each kind once).
    pub fn note(&mut self, kind: &str) {
        if self.0.len() < MAX_NOTED_KINDS && !self.0.iter().any(|k| k == kind) {
            self.0.push(kind.to_owned());
        }
    }

    /// The writes among a request's results.
    pub fn of(outputs: &[dbforge_engine::StatementOutput]) -> Self {
        let mut writes = Self::default();
        for kind in outputs.iter().filter_map(|o| o.wrote.as_deref()) {
            writes.note(kind);
        }
        writes
    }

    /// Puts the kinds on `response`, if any statement wrote.
    pub fn attach(self, mut response: axum::response::Response) -> axum::response::Response {
        if !self.0.is_empty() {
            response.extensions_mut().insert(self);
        }
        response
    }
}

/// On a response: the key an admin action was about, when the path does not name it (a key
/// just created), for the audit log.
#[derive(Debug, Clone)]
pub struct AuditTarget(pub String);

/// On a response: the database the request addressed, for routes whose path does not name it
/// (libSQL's root routes, by `x-namespace` or Host), for the audit log.
#[derive(Debug, Clone)]
pub struct AddressedDatabase(pub String);

/// On an error response: its code, for the audit log.
#[derive(Debug, Clone, Copy)]
pub struct AnsweredError(pub dbforge_api::ErrorCode);

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
