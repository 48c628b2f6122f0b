//! Operating the gateway: logs and Prometheus metrics (`telemetry`), the activity log and the
//! traffic timeline the dashboard draws (`activity`, `timeline`), health, readiness and
//! metrics routes (`health`), what the gateway tells about itself (`observe`), and the
//! embedded dashboard (`dashboard`). Ops never imports a front.

pub mod activity;
pub mod audit;
pub mod dashboard;
pub mod health;
pub mod observe;
pub mod telemetry;
pub mod timeline;

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use axum::extract::FromRef;
use dbforge_core::Core;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::config::ServeConfig;

/// What the ops routes and middleware work with.
pub struct Ops {
    pub core: Core,
    /// The settings the gateway runs with, for `GET /admin/config`.
    pub config: Arc<ServeConfig>,
    /// The most recent requests, for `GET /admin/activity`.
    pub activity: activity::ActivityLog,
    /// Traffic per interval, for `GET /admin/gateway/timeseries` (also a query observer of
    /// the core).
    pub timeline: Arc<timeline::Timeline>,
    /// The address actually listened on (`--listen` may say port 0), once serving.
    pub bound: OnceLock<SocketAddr>,
}

/// The ops routes, documented in the OpenAPI document.
pub fn routes<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    Arc<Ops>: FromRef<S>,
    Core: FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(observe::gateway_timeseries))
        .routes(routes!(observe::list_activity))
        .routes(routes!(observe::server_config))
        .routes(routes!(health::health))
        .routes(routes!(health::ready))
        .routes(routes!(health::metrics))
}
