//! What anonymous clients could do to the server's own records: metric labels without bound,
//! an activity log flushed by refused requests; and the headers browsers need.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use super::Siege;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn made_up_methods_cannot_blow_up_the_metrics() {
    let siege = Siege::start(&[]).await;
    let client = reqwest::Client::new();
    let attack = async {
        // 2,000 requests, each with a different 1,000-letter method: each was a label value.
        for i in 0..2_000 {
            let method = format!("{:A>1000}", i);
            let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a token");
            let _ = client
                .request(method, format!("{}/health", siege.url()))
                .send()
                .await;
        }
    };
    let ((), watch) = siege.during(attack).await;
    watch.assert_unharmed("methods");
    let metrics = client
        .get(format!("{}/metrics", siege.url()))
        .header("x-api-key", crate::support::ADMIN_KEY)
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.len() < 256 * 1024,
        "/metrics is {} bytes",
        metrics.len()
    );
    assert!(
        metrics.contains("method=\"OTHER\""),
        "made-up methods count as OTHER"
    );
    assert!(
        !metrics.contains("AAAAAAAAAA"),
        "a made-up method became a label"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_keys_cannot_flush_the_activity_log() {
    let siege = Siege::start(&[]).await;
    siege
        .api
        .query(super::BYSTANDER, "SELECT 42", json!([]))
        .await;
    let anonymous = siege.api.with_key(Some("not-the-key-0123456789"));
    let attack = async {
        let mut limited = 0;
        for _ in 0..3_000 {
            let answer = anonymous
                .try_send(reqwest::Method::GET, "/admin/databases", None)
                .await;
            if answer.is_ok_and(|(status, _)| status == StatusCode::TOO_MANY_REQUESTS) {
                limited += 1;
            }
        }
        limited
    };
    let (limited, watch) = siege.during(attack).await;
    watch.assert_unharmed("refused keys");
    assert!(
        limited > 2_000,
        "past the failed-credential burst the address is refused: {limited} of 3,000"
    );
    // The attacking address is blocked now: the operator looks from another one.
    let operator = crate::support::Api::connecting_from(
        siege.url(),
        Some(crate::support::ADMIN_KEY),
        Some(super::PROBE_ADDRESS.into()),
    );
    let (status, body) = operator
        .get("/admin/activity?route=/api/db/&limit=2000")
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let entries = body["entries"].as_array().expect("entries");
    assert!(
        entries.iter().any(|e| e["database"] == super::BYSTANDER),
        "the real traffic is still in the log"
    );
    for status in [401, 429] {
        let (_, refused) = operator
            .get(&format!("/admin/activity?status={status}"))
            .await;
        assert_eq!(
            refused["entries"].as_array().map(Vec::len),
            Some(0),
            "{refused}"
        );
    }
}

#[tokio::test]
async fn answers_carry_the_headers_that_keep_browsers_safe() {
    let siege = Siege::start(&[]).await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let page = client
        .get(format!("{}/", siege.url()))
        .send()
        .await
        .expect("the dashboard");
    let api = client
        .get(format!("{}/admin/databases", siege.url()))
        .header("x-api-key", crate::support::ADMIN_KEY)
        .send()
        .await
        .expect("the API");
    let policy = |response: &reqwest::Response| {
        response
            .headers()
            .get("content-security-policy")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let page_policy = policy(&page);
    assert!(
        page_policy.contains("frame-ancestors 'none'") && page_policy.contains("script-src 'self'"),
        "{page_policy}"
    );
    // A revalidated page (304, no content type) keeps the page policy: browsers update the
    // cached page's headers from it.
    let etag = page
        .headers()
        .get("etag")
        .cloned()
        .expect("the dashboard's pages carry an entity tag");
    let revalidated = client
        .get(format!("{}/", siege.url()))
        .header("if-none-match", etag)
        .send()
        .await
        .expect("the dashboard again");
    assert_eq!(revalidated.status(), reqwest::StatusCode::NOT_MODIFIED);
    assert_eq!(policy(&revalidated), page_policy);
    let headers = page.headers();
    assert_eq!(
        headers.get("x-frame-options").map(|v| v.as_bytes()),
        Some(b"DENY".as_slice())
    );
    assert_eq!(
        headers.get("referrer-policy").map(|v| v.as_bytes()),
        Some(b"no-referrer".as_slice())
    );
    // Data loads nothing and may not be framed either.
    assert_eq!(policy(&api), "default-src 'none'; frame-ancestors 'none'");
    for response in [&page, &api] {
        assert_eq!(
            response
                .headers()
                .get("x-content-type-options")
                .map(|v| v.as_bytes()),
            Some(b"nosniff".as_slice())
        );
    }
    assert_eq!(
        api.headers().get("cache-control").map(|v| v.as_bytes()),
        Some(b"no-store".as_slice())
    );
}
