//! HTTP integration tests: each test starts its own gateway in-process on port 0 with a temp
//! data directory and talks to it over real HTTP.

mod admin;
mod audit;
mod dashboard;
mod dashboard_pages;
mod hrana;
mod keys;
mod lifecycle;
mod limits;
mod observe;
mod ops;
mod query;
mod roles;
mod sandbox;
mod support;
mod tables;
mod tenants;
mod tls;
mod tokens;
mod transfer;
