//! Results made far larger than the result limit counted (long column names repeated in every
//! row), and many large results at once.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use super::Siege;

/// A query of 10,000 rows whose one column has a 100,000-character name: in the default row
/// format every row repeats it, a gigabyte from a 100 KB request.
fn wide_names_sql() -> String {
    let name = "n".repeat(100_000);
    format!(
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 10000) \
         SELECT x AS \"{name}\" FROM c"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_column_names_count_against_the_result_limit() {
    let siege = Siege::start(&["--max-result-bytes", "8MiB"]).await;
    siege.api.spawn("attacker").await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let sql = wide_names_sql();
    let attack = async {
        client
            .post(format!("{}/api/db/attacker/query", siege.url()))
            .header("x-api-key", crate::support::ADMIN_KEY)
            .json(&json!({ "sql": sql }))
            .send()
            .await
            .expect("answered")
            .bytes()
            .await
            .expect("a body")
    };
    let (body, watch) = siege.during(attack).await;
    assert!(body.len() < 9 << 20, "the answer is {} bytes", body.len());
    let answer: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(answer["truncated"], true, "cut at the limit, and saying so");
    watch.assert_unharmed("wide names");
    watch.assert_memory_below(200 << 20, "wide names");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_large_results_at_once_stay_within_the_result_memory() {
    let siege = Siege::start(&[
        "--max-result-bytes",
        "16MiB",
        "--max-result-memory",
        "48MiB",
    ])
    .await;
    siege.api.spawn("attacker").await;
    // 16 MB per answer (each row a 100 KB string), 20 at once: 320 MB if each were held.
    let sql = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 160) \
               SELECT printf('%.100000c', 'x') AS v FROM c";
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("client");
    let one = || async {
        let response = client
            .post(format!("{}/api/db/attacker/query", siege.url()))
            .header("x-api-key", crate::support::ADMIN_KEY)
            .json(&json!({ "sql": sql }))
            .send()
            .await
            .expect("answered");
        let status = response.status();
        // Read slowly: the server holds what it has not sent yet.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let mut response = response;
        let mut length = 0;
        while let Some(chunk) = response.chunk().await.expect("a body") {
            length += chunk.len();
        }
        (status, length)
    };
    let attack = futures::future::join_all((0..20).map(|_| one()));
    let (answers, watch) = siege.during(attack).await;
    let served = answers.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    let busy = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::SERVICE_UNAVAILABLE)
        .count();
    assert!(served >= 1, "{answers:?}");
    assert!(
        busy >= 1,
        "some were refused while the memory was taken: {answers:?}"
    );
    assert_eq!(served + busy, 20, "{answers:?}");
    watch.assert_unharmed("large results");
    watch.assert_memory_below(300 << 20, "large results");
}
