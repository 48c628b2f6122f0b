//! The embedded dashboard: UI paths fall back to `index.html`, hashed assets are cached
//! for a year and revalidated by ETag, API paths are never shadowed by the UI, and the
//! dashboard (never the API) is gzip-compressed for a browser that accepts it.

use reqwest::StatusCode;
use reqwest::header::{ACCEPT_ENCODING, CONTENT_ENCODING};

use crate::support::{KEY, TestServer, assert_error};

#[tokio::test]
async fn api_paths_are_never_shadowed_by_the_app() {
    let srv = TestServer::start().await;
    for path in [
        "/admin/nope",
        "/api/nope",
        "/api/db/x/nope/deeper",
        "/hrana/nope",
        "/v2/nope",
        "/health/nope",
        "/metrics/extra",
        "/openapi.json/x",
    ] {
        assert_error(&srv.get_public(path).await, 404, "route_not_found");
    }
    // A missing file is a 404 too, not HTML where a script or image was expected.
    assert_error(
        &srv.get_public("/assets/missing-abc123.js").await,
        404,
        "route_not_found",
    );
    // Only GET (and HEAD) reach the app.
    let post = srv.send(srv.client.post(srv.url("/databases"))).await;
    assert_error(&post, 404, "route_not_found");
    // Real API routes still answer as before.
    let (status, _) = srv.get_public("/health").await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = srv.get("/admin/databases").await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// Compression is the dashboard's alone: API answers (a route, a JSON 404 from the fallback,
/// the OpenAPI document) go out as they are even to a client that accepts gzip, so the
/// benchmarks measure the API and not zlib.
#[tokio::test]
async fn api_responses_are_never_compressed() {
    let srv = TestServer::start().await;
    srv.spawn_db("shop").await;
    for (path, status) in [
        ("/admin/databases", StatusCode::OK),
        ("/admin/gateway/stats", StatusCode::OK),
        ("/api/db/shop/tables", StatusCode::OK),
        ("/openapi.json", StatusCode::OK),
        ("/health", StatusCode::OK),
        ("/admin/nope", StatusCode::NOT_FOUND),
    ] {
        let response = srv
            .client
            .get(srv.url(path))
            .header("x-api-key", KEY)
            .header(ACCEPT_ENCODING, "gzip, deflate, br, zstd")
            .send()
            .await
            .expect("request sent");
        assert_eq!(response.status(), status, "{path}");
        assert!(
            response.headers().get(CONTENT_ENCODING).is_none(),
            "{path} was compressed"
        );
        let body = response.text().await.expect("body");
        assert!(
            serde_json::from_str::<serde_json::Value>(&body).is_ok(),
            "{path}: plain JSON expected, got {body}"
        );
    }
}

/// The app itself exists only with the `dashboard` feature (the default).
#[cfg(feature = "dashboard")]
mod app {
    use reqwest::StatusCode;
    use reqwest::header::{
        ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, ETAG, IF_NONE_MATCH,
    };

    use crate::support::TestServer;

    async fn get_page(srv: &TestServer, path: &str) -> reqwest::Response {
        srv.client
            .get(srv.url(path))
            .send()
            .await
            .expect("request sent")
    }

    fn content_type(response: &reqwest::Response) -> &str {
        response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    #[tokio::test]
    async fn ui_paths_fall_back_to_the_app_and_are_not_cached() {
        let srv = TestServer::start().await;
        let root = get_page(&srv, "/").await;
        assert_eq!(root.status(), StatusCode::OK);
        assert!(content_type(&root).starts_with("text/html"));
        assert_eq!(root.headers()[CACHE_CONTROL], "no-cache");
        let index = root.text().await.expect("body");
        assert!(
            index.contains("<div id=\"root\">") || index.contains("DB-Forge"),
            "{index}"
        );
        for deep_link in [
            "/databases",
            "/databases/shop",
            "/databases/shop/tables/items",
            "/activity",
            "/server",
            "/console",
        ] {
            let page = get_page(&srv, deep_link).await;
            assert_eq!(page.status(), StatusCode::OK, "{deep_link}");
            assert!(content_type(&page).starts_with("text/html"), "{deep_link}");
            assert_eq!(
                page.text().await.expect("body"),
                index,
                "{deep_link} serves index.html"
            );
        }
    }

    /// Every file `index.html` references is served with its type and a year-long cache; an
    /// unchanged file revalidates as 304.
    #[tokio::test]
    async fn every_asset_the_index_references_is_served_and_cached() {
        let srv = TestServer::start().await;
        let index = get_page(&srv, "/").await.text().await.expect("body");
        let assets: Vec<&str> = index
            .split(['"', '\''])
            .filter(|s| s.starts_with("/assets/") || s.starts_with("/favicon"))
            .collect();
        let built = index.contains("/assets/");
        if !built {
            // The build script embedded the placeholder (no Node.js here): it says how to fix it.
            assert!(
                index.contains("npm"),
                "the placeholder explains how to build: {index}"
            );
            return;
        }
        for asset in assets {
            let response = get_page(&srv, asset).await;
            assert_eq!(response.status(), StatusCode::OK, "{asset}");
            let expected_type = if asset.ends_with(".js") {
                "text/javascript"
            } else if asset.ends_with(".css") {
                "text/css"
            } else {
                "image/"
            };
            assert!(
                content_type(&response).starts_with(expected_type),
                "{asset}: {}",
                content_type(&response)
            );
            if asset.starts_with("/assets/") {
                assert_eq!(
                    response.headers()[CACHE_CONTROL],
                    "public, max-age=31536000, immutable",
                    "{asset}"
                );
            }
            let etag = response.headers()[ETAG].clone();
            let again = srv
                .client
                .get(srv.url(asset))
                .header(IF_NONE_MATCH, etag)
                .send()
                .await
                .expect("sent");
            assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{asset}");
        }
    }

    async fn get_encoded(
        srv: &TestServer,
        path: &str,
        accept: Option<&str>,
    ) -> (Option<String>, Vec<u8>) {
        let mut request = srv.client.get(srv.url(path));
        if let Some(accept) = accept {
            request = request.header(ACCEPT_ENCODING, accept);
        }
        let response = request.send().await.expect("request sent");
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let encoding = response
            .headers()
            .get(CONTENT_ENCODING)
            .map(|v| v.to_str().unwrap_or_default().to_owned());
        let vary = response
            .headers()
            .get(reqwest::header::VARY)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        assert!(vary.contains("accept-encoding"), "{path}: Vary is {vary:?}");
        (encoding, response.bytes().await.expect("body").to_vec())
    }

    fn gunzip(data: &[u8]) -> Vec<u8> {
        use std::io::Read;
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(data)
            .read_to_end(&mut out)
            .expect("a valid gzip stream");
        out
    }

    /// A browser that sends `Accept-Encoding: gzip` gets the page and its scripts and styles
    /// gzip-compressed (smaller, and the same bytes once decompressed); one that does not
    /// gets them as they are.
    #[tokio::test]
    async fn pages_and_assets_are_gzipped_when_the_browser_accepts_it() {
        let srv = TestServer::start().await;
        let index = get_page(&srv, "/").await.text().await.expect("body");
        let mut paths = vec!["/".to_owned(), "/databases/shop".to_owned()];
        paths.extend(
            index
                .split(['"', '\''])
                .filter(|s| {
                    s.starts_with("/assets/") && (s.ends_with(".js") || s.ends_with(".css"))
                })
                .map(str::to_owned),
        );
        // With the placeholder (no Node.js at build time) only the page itself is there.
        assert!(!index.contains("/assets/") || paths.len() > 2, "{index}");
        for path in &paths {
            let (plain_encoding, plain) = get_encoded(&srv, path, None).await;
            assert_eq!(plain_encoding, None, "{path} without Accept-Encoding");
            let (encoding, gzipped) =
                get_encoded(&srv, path, Some("gzip, deflate, br, zstd")).await;
            assert_eq!(encoding.as_deref(), Some("gzip"), "{path}");
            assert!(
                gzipped.len() < plain.len(),
                "{path}: {} ≥ {}",
                gzipped.len(),
                plain.len()
            );
            assert_eq!(gunzip(&gzipped), plain, "{path} decompresses to the file");
        }
    }

    /// Revalidation still works on a compressed asset: the (weak) ETag matches whichever
    /// encoding the browser cached.
    #[tokio::test]
    async fn a_compressed_asset_revalidates_as_304() {
        let srv = TestServer::start().await;
        let response = srv
            .client
            .get(srv.url("/"))
            .header(ACCEPT_ENCODING, "gzip")
            .send()
            .await
            .expect("sent");
        assert_eq!(response.headers()[CONTENT_ENCODING], "gzip");
        let etag = response.headers()[ETAG].clone();
        let again = srv
            .client
            .get(srv.url("/"))
            .header(ACCEPT_ENCODING, "gzip")
            .header(IF_NONE_MATCH, etag)
            .send()
            .await
            .expect("sent");
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    }

    #[tokio::test]
    async fn dashboard_pages_are_not_api_traffic_in_the_activity_log() {
        let srv = TestServer::start().await;
        get_page(&srv, "/databases/shop").await;
        srv.get("/admin/databases").await;
        let (status, body) = srv.get("/admin/activity").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let routes: Vec<&str> = body["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .filter_map(|e| e["route"].as_str())
            .collect();
        assert_eq!(routes, ["/admin/databases"]);
    }
}
