//! The embedded dashboard: UI paths fall back to `index.html`, hashed assets are cached
//! for a year and revalidated by ETag, API paths are never shadowed by the UI, and the
//! dashboard (never the API) is gzip-compressed for a browser that accepts it.

use reqwest::StatusCode;
use reqwest::header::{ACCEPT_ENCODING, CONTENT_ENCODING};

use crate::support::{KEY, TestServer, assert_error};

/// GET `path` exactly as written: an HTTP client library would resolve `%2e%2e` segments
/// before sending, and the point is what the server does with them. Status, content type
/// and body.
async fn raw_get(srv: &TestServer, path: &str) -> (u16, String, String) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let address = srv.url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("request sent");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("response read");
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").expect("a complete response");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let kind = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-type")
                .then(|| value.trim().to_owned())
        })
        .unwrap_or_default();
    (status, kind, body.to_owned())
}

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
    // The libSQL (Hrana) and docs prefixes, and encoded `..` segments: whatever the API says
    // (a 404, a 405 for a POST-only route, the `/v3` version probe), never the app's HTML.
    for (path, status, code) in [
        ("/v1", 404, Some("route_not_found")),
        ("/v1/nope", 404, Some("route_not_found")),
        ("/v3", 200, None),
        ("/v3/nope", 404, Some("route_not_found")),
        // `/v3-protobuf/{*rest}` is a POST route: GET is refused, as on every API route.
        ("/v3-protobuf/x", 405, Some("method_not_allowed")),
        ("/docs/x", 404, None),
        ("/ready/x", 404, Some("route_not_found")),
        ("/%2e%2e/Cargo.toml", 404, Some("route_not_found")),
        ("/%2E%2E/%2e%2e/Cargo.toml", 404, Some("route_not_found")),
        (
            "/assets/%2e%2e/%2e%2e/Cargo.toml",
            404,
            Some("route_not_found"),
        ),
        ("/assets/..%2f..%2fCargo.toml", 404, Some("route_not_found")),
        (
            "/%2e%2e/%2e%2e/web/index.html",
            404,
            Some("route_not_found"),
        ),
    ] {
        let (got, kind, body) = raw_get(&srv, path).await;
        assert!(
            !kind.starts_with("text/html") && !body.contains("<div id=\"root\">"),
            "{path} answered with the app: {got} {kind} {body}"
        );
        assert_eq!(got, status, "{path}: {body}");
        if let Some(code) = code {
            let json: serde_json::Value = serde_json::from_str(&body)
                .unwrap_or_else(|e| panic!("{path}: JSON expected ({e}): {body}"));
            assert_eq!(json["error"]["code"], code, "{path}: {body}");
        }
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

    /// Whether the build was skipped on purpose (`DBFORGE_SKIP_DASHBOARD_BUILD`, when this
    /// test binary was built or now): then the placeholder page is embedded instead.
    fn build_skipped() -> bool {
        option_env!("DBFORGE_SKIP_DASHBOARD_BUILD").is_some()
            || std::env::var_os("DBFORGE_SKIP_DASHBOARD_BUILD").is_some()
    }

    /// `index.html` of the real app, which must be embedded: the build script builds it
    /// whenever Node.js is there, as in CI. `None` (with the placeholder checked) only when
    /// the build was skipped on purpose.
    async fn built_index(srv: &TestServer) -> Option<String> {
        let index = get_page(srv, "/").await.text().await.expect("body");
        if build_skipped() {
            assert!(
                index.contains("DBFORGE_SKIP_DASHBOARD_BUILD") && index.contains("npm"),
                "the placeholder says why and how to build: {index}"
            );
            eprintln!("skipped: DBFORGE_SKIP_DASHBOARD_BUILD is set, the placeholder is embedded");
            return None;
        }
        assert!(
            index.contains("<div id=\"root\">") && !entry_script(&index).is_empty(),
            "the built app is embedded, not the placeholder (is Node.js missing? set \
             DBFORGE_SKIP_DASHBOARD_BUILD to skip on purpose): {index}"
        );
        Some(index)
    }

    /// Files under `/assets/` that `index` references.
    fn referenced_assets(index: &str) -> Vec<&str> {
        index
            .split(['"', '\''])
            .filter(|s| s.starts_with("/assets/"))
            .collect()
    }

    /// The hashed entry script, `/assets/index-<hash>.js`.
    fn entry_script(index: &str) -> String {
        referenced_assets(index)
            .into_iter()
            .find(|a| {
                a.strip_prefix("/assets/index-")
                    .and_then(|rest| rest.strip_suffix(".js"))
                    .is_some_and(|hash| hash.len() >= 6)
            })
            .unwrap_or_default()
            .to_owned()
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
        // The app, or (build skipped on purpose) the placeholder: deep links serve either.
        built_index(&srv).await;
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
        let Some(index) = built_index(&srv).await else {
            return;
        };
        let assets: Vec<&str> = index
            .split(['"', '\''])
            .filter(|s| s.starts_with("/assets/") || s.starts_with("/favicon"))
            .collect();
        assert!(
            assets.iter().any(|a| a.ends_with(".js")) && assets.iter().any(|a| a.ends_with(".css")),
            "a script and a stylesheet: {assets:?}"
        );
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
        let mut paths = vec!["/".to_owned(), "/databases/shop".to_owned()];
        if let Some(index) = built_index(&srv).await {
            let scripts_and_styles: Vec<String> = referenced_assets(&index)
                .into_iter()
                .filter(|s| s.ends_with(".js") || s.ends_with(".css"))
                .map(str::to_owned)
                .collect();
            assert!(
                scripts_and_styles.contains(&entry_script(&index))
                    && scripts_and_styles.iter().any(|s| s.ends_with(".css")),
                "the entry script and a stylesheet: {scripts_and_styles:?}"
            );
            paths.extend(scripts_and_styles);
        }
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

    /// Revalidation still works on a compressed asset (the hashed entry script) and on the
    /// compressed page: the (weak) ETag matches whichever encoding the browser cached.
    #[tokio::test]
    async fn a_compressed_asset_revalidates_as_304() {
        let srv = TestServer::start().await;
        let mut paths = vec!["/".to_owned()];
        if let Some(index) = built_index(&srv).await {
            paths.push(entry_script(&index));
        }
        for path in &paths {
            let response = srv
                .client
                .get(srv.url(path))
                .header(ACCEPT_ENCODING, "gzip")
                .send()
                .await
                .expect("sent");
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            assert_eq!(response.headers()[CONTENT_ENCODING], "gzip", "{path}");
            let etag = response.headers()[ETAG].clone();
            let again = srv
                .client
                .get(srv.url(path))
                .header(ACCEPT_ENCODING, "gzip")
                .header(IF_NONE_MATCH, etag.clone())
                .send()
                .await
                .expect("sent");
            assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
            // The tag of the compressed answer also matches the uncompressed one.
            let plain = srv
                .client
                .get(srv.url(path))
                .header(IF_NONE_MATCH, etag)
                .send()
                .await
                .expect("sent");
            assert_eq!(
                plain.status(),
                StatusCode::NOT_MODIFIED,
                "{path} without gzip"
            );
        }
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
