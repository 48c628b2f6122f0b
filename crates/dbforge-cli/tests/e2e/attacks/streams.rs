//! libSQL streams as a resource to exhaust: stored SQL, the stream table, and batons that
//! outlive their database.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::Siege;

/// Sends a Hrana pipeline to `db` and returns the status and the answer.
async fn pipeline(siege: &Siege, db: &str, body: &Value) -> (StatusCode, Value) {
    siege
        .api
        .bearer()
        .try_send(
            reqwest::Method::POST,
            &format!("/hrana/{db}/v2/pipeline"),
            Some(body),
        )
        .await
        .expect("answered")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_sql_cannot_pin_the_servers_memory() {
    let siege = Siege::start(&[]).await;
    siege.api.spawn("attacker").await;
    let text = format!("SELECT '{}'", "x".repeat(1_000_000));
    let attack = async {
        let mut refused = 0;
        // 60 streams, each trying to keep 16 texts of a megabyte: a gigabyte before.
        for _ in 0..60 {
            let requests: Vec<Value> = (0..16)
                .map(|id| json!({"type": "store_sql", "sql_id": id, "sql": text}))
                .collect();
            let (status, answer) =
                pipeline(&siege, "attacker", &json!({"requests": requests})).await;
            assert_eq!(status, StatusCode::OK, "{:.300}", answer.to_string());
            refused += answer["results"].as_array().map_or(0, |r| {
                r.iter()
                    .filter(|r| r["error"]["code"] == "SQL_STORE_FULL")
                    .count()
            });
        }
        refused
    };
    let (refused, watch) = siege.during(attack).await;
    assert!(refused > 0, "nothing was refused");
    watch.assert_unharmed("stored SQL");
    watch.assert_memory_below(250 << 20, "stored SQL");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_database_cannot_take_every_stream() {
    let siege = Siege::start(&["--max-streams", "40", "--max-streams-per-database", "10"]).await;
    siege.api.spawn("attacker").await;
    let open = json!({"requests": [{"type": "get_autocommit"}]});
    let mut kept = Vec::new();
    for _ in 0..10 {
        let (status, answer) = pipeline(&siege, "attacker", &open).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        kept.push(answer["baton"].clone());
    }
    let (status, answer) = pipeline(&siege, "attacker", &open).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{answer}");
    assert_eq!(answer["code"], "STREAMS_EXHAUSTED");
    // Another tenant still opens streams.
    let (status, answer) = pipeline(&siege, super::BYSTANDER, &open).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(kept.len(), 10);
}

#[tokio::test]
async fn a_baton_does_not_reach_a_new_database_of_the_same_name() {
    let siege = Siege::start(&[]).await;
    siege.api.spawn("reborn").await;
    let (status, answer) = pipeline(
        &siege,
        "reborn",
        &json!({"requests": [{"type": "execute", "stmt": {"sql": "SELECT 1"}}]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let baton = answer["baton"].as_str().expect("a baton").to_owned();
    let (status, _) = siege
        .api
        .send(reqwest::Method::POST, "/admin/databases/prune/reborn", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    siege.api.spawn("reborn").await;
    siege
        .api
        .query(
            "reborn",
            "CREATE TABLE secret(s); INSERT INTO secret VALUES ('new')",
            json!([]),
        )
        .await;
    let (status, answer) = pipeline(
        &siege,
        "reborn",
        &json!({"baton": baton, "requests": [{"type": "execute", "stmt": {"sql": "SELECT s FROM secret"}}]}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(answer["code"], "STREAM_EXPIRED", "{answer}");
}
