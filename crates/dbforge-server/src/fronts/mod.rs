//! The protocol fronts: each translates its wire protocol onto the core's operations and its
//! errors from `CoreError`, in one place. A front never imports another front; a new
//! protocol (WebSocket, MCP, ...) is a new folder here.

pub mod hrana;
pub mod rest;
