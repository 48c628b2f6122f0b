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

/// Marks a response as one of the dashboard's pages or files: it keeps its own cache policy,
/// gets the page security headers, and is not API traffic for the activity log.
#[derive(Debug, Clone, Copy)]
pub struct UiResponse;
