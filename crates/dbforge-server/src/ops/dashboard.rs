//! The web dashboard (the `web/` app), served at `/` by the same router as the API.
//!
//! With the default-on `dashboard` feature the built assets are embedded in the binary (the
//! build script builds them, or embeds a page explaining how when it cannot). Any GET for a
//! path outside the API that is not an asset gets `index.html`, so the app's own routes
//! (`/databases/shop`) survive a reload; API paths never do, and keep their JSON 404.
//! Without the feature, `/` is the small landing page and every unknown path is the JSON 404.
//!
//! The dashboard's responses (and only those: the JSON API is never compressed, so the
//! benchmarks measure the API itself) are gzip-compressed for a browser that accepts it, by
//! [`compression`] around the two handlers here.

use axum::http::{Extensions, HeaderMap, Method, StatusCode, Uri, Version};
use axum::response::{IntoResponse, Response};
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};

use crate::http::UiResponse;
use crate::http::error::ApiError;

/// Gzip for the dashboard's pages and assets when the request's `Accept-Encoding` allows it.
///
/// Wraps [`index`] and [`fallback`] only, and compresses only responses marked
/// [`UiResponse`]: the fallback's JSON 404 for an unknown API path stays uncompressed like
/// every other API answer. Fonts (woff2, compressed already), images and bodies under 32
/// bytes are sent as they are.
pub fn compression() -> CompressionLayer<impl Predicate> {
    fn is_dashboard(_: StatusCode, _: Version, _: &HeaderMap, extensions: &Extensions) -> bool {
        extensions.get::<UiResponse>().is_some()
    }
    let only_dashboard = is_dashboard as fn(StatusCode, Version, &HeaderMap, &Extensions) -> bool;
    CompressionLayer::new()
        .gzip(true)
        .no_br()
        .no_deflate()
        .no_zstd()
        .compress_when(
            DefaultPredicate::new()
                .and(NotForContentType::const_new("font/"))
                .and(only_dashboard),
        )
}

/// Path prefixes that belong to the API. The dashboard never answers under them, so an
/// unknown API path stays a JSON `route_not_found` instead of an HTML page. `/v1`-`/v3` (and
/// `/v3-protobuf`) are where libSQL clients speak Hrana over HTTP without a database prefix.
const API_PREFIXES: &[&str] = &[
    "/admin",
    "/api",
    "/hrana",
    "/v1",
    "/v2",
    "/v3",
    "/v3-protobuf",
    "/docs",
    "/openapi.json",
    "/health",
    "/ready",
    "/metrics",
];

/// Whether `path` is in the API's part of the URL space.
pub fn is_api_path(path: &str) -> bool {
    API_PREFIXES.iter().any(|prefix| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

/// Whether a request path can name an embedded file: no `.`/`..` segments, no backslashes.
/// Debug builds read the assets from disk, so nothing may climb out of the folder.
#[cfg(feature = "dashboard")]
fn is_plain_relative_path(path: &str) -> bool {
    // Percent-encoded dots and separators count as what they encode: such a path is never a
    // page of the app nor a file, whatever a later decoding step would make of it.
    let lower = path.to_ascii_lowercase();
    !lower.contains('\\')
        && !lower.contains("%2f")
        && !lower.contains("%5c")
        && lower.split('/').all(|segment| {
            let segment = segment.replace("%2e", ".");
            segment != ".." && segment != "."
        })
}

/// `GET /`.
pub async fn index(headers: HeaderMap) -> Response {
    page(&Method::GET, "/", &headers)
}

/// Every request no route matched: a dashboard asset or page, or the JSON 404.
pub async fn fallback(method: Method, uri: Uri, headers: HeaderMap) -> Response {
    page(&method, uri.path(), &headers)
}

#[cfg(not(feature = "dashboard"))]
fn page(method: &Method, path: &str, _headers: &HeaderMap) -> Response {
    if path == "/" && (method == Method::GET || method == Method::HEAD) {
        let landing = axum::response::Html(include_str!("landing.html"));
        let mut response = landing.into_response();
        response.extensions_mut().insert(UiResponse);
        return response;
    }
    ApiError::no_route_at(path).into_response()
}

#[cfg(feature = "dashboard")]
fn page(method: &Method, path: &str, headers: &HeaderMap) -> Response {
    if is_api_path(path) || !(method == Method::GET || method == Method::HEAD) {
        return ApiError::no_route_at(path).into_response();
    }
    let relative = path.trim_start_matches('/');
    if !is_plain_relative_path(relative) {
        return ApiError::no_route_at(path).into_response();
    }
    let (name, file) = match embedded::Assets::get(relative) {
        Some(file) if !relative.is_empty() => (relative, file),
        // A missing file is a 404, not the app: a broken asset link should fail visibly
        // rather than receive HTML. Files live under `assets/` or at the root; any other path
        // is a page of the app, dots and all (`/databases/shop/tables/orders.2024`).
        _ if relative.starts_with("assets/")
            || (!relative.contains('/') && relative.contains('.')) =>
        {
            return ApiError::no_route_at(path).into_response();
        }
        _ => match embedded::Assets::get("index.html") {
            Some(file) => ("index.html", file),
            None => return ApiError::no_route_at(path).into_response(),
        },
    };
    let mut response = asset_response(
        name,
        &file.data,
        file.metadata.mimetype(),
        &file.metadata.sha256_hash(),
        headers,
    );
    response.extensions_mut().insert(UiResponse);
    response
}

/// Cache policy: Vite puts a content hash in every name under `assets/`, so those never
/// change and may be cached for a year; anything else (`index.html`) must be revalidated so
/// a new build is picked up at once. The ETag makes revalidation a 304.
#[cfg(feature = "dashboard")]
fn asset_response(
    name: &str,
    data: &[u8],
    content_type: &str,
    sha256: &[u8; 32],
    headers: &HeaderMap,
) -> Response {
    use axum::http::{HeaderValue, StatusCode, header};
    // Weak: the same file may go out gzip-compressed or not (see [`compression`]), and a
    // strong tag would claim the two bodies are byte for byte the same.
    let etag: String = std::iter::once("W/\"".to_owned())
        .chain(sha256[..16].iter().map(|b| format!("{b:02x}")))
        .chain(std::iter::once("\"".to_owned()))
        .collect();
    let cache = if name.starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| {
            tags.split(',')
                .any(|t| t.trim() == "*" || weak_tag(t) == weak_tag(&etag))
        });
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            [(header::CONTENT_TYPE, content_type.to_owned())],
            data.to_vec(),
        )
            .into_response()
    };
    let response_headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&etag) {
        response_headers.insert(header::ETAG, value);
    }
    response_headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response_headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// An entity tag without its weakness marker: `If-None-Match` compares tags weakly.
#[cfg(feature = "dashboard")]
fn weak_tag(tag: &str) -> &str {
    let tag = tag.trim();
    tag.strip_prefix("W/").unwrap_or(tag)
}

/// The assets: `web/dist` when the build script could build it, else a placeholder page.
/// The generated file holds `#[folder = "<absolute path>"]`, which must be a literal.
#[cfg(feature = "dashboard")]
mod embedded {
    include!(concat!(env!("OUT_DIR"), "/dashboard_assets.rs"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "dashboard")]
    #[test]
    fn paths_cannot_climb_out_of_the_assets() {
        assert!(is_plain_relative_path("assets/index-abc.js"));
        assert!(is_plain_relative_path(""));
        for climbing in [
            "../Cargo.toml",
            "assets/../../x",
            "./index.html",
            "a\\..\\b",
        ] {
            assert!(!is_plain_relative_path(climbing), "{climbing}");
        }
    }

    #[test]
    fn api_prefixes_match_whole_segments_only() {
        for api in [
            "/admin",
            "/admin/x",
            "/api/db/a/query",
            "/docs/",
            "/openapi.json",
            "/v2/pipeline",
            "/metrics",
        ] {
            assert!(is_api_path(api), "{api}");
        }
        for ui in [
            "/",
            "/databases/shop",
            "/administrator",
            "/apiary",
            "/console",
            "/activity",
        ] {
            assert!(!is_api_path(ui), "{ui}");
        }
    }
}
