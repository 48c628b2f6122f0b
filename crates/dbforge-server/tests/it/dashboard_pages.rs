//! Deep links into the dashboard: any path of the app reloads to the app, whatever its
//! segments contain, while missing files stay a JSON 404.

use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;

use crate::support::{TestServer, assert_error};

#[tokio::test]
async fn pages_whose_names_hold_dots_reload_to_the_app() {
    let srv = TestServer::start().await;
    for path in [
        "/databases/shop",
        "/databases/shop/tables/orders.2024",
        "/databases/shop/tables/v1.2.3?tab=schema",
    ] {
        let response = srv.client.get(srv.url(path)).send().await.expect(path);
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let html = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("text/html"));
        assert!(html, "{path} is the app's page");
    }
    for missing in ["/assets/gone-1234.js", "/favicon-gone.png"] {
        assert_error(&srv.get_public(missing).await, 404, "route_not_found");
    }
}
