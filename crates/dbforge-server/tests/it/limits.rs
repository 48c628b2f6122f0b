//! Abuse limits over HTTP: a scoped credential over its rate, an address over its rate, a run
//! of wrong credentials, and a flood on one database each get `429 rate_limited` with
//! `Retry-After` (libSQL: `RATE_LIMITED`), while admins, other credentials and other databases
//! go on.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{KEY, TestServer, assert_error};

fn retry_after(srv_answer: &reqwest::Response) -> u64 {
    srv_answer
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("a Retry-After header in seconds")
}

#[tokio::test]
async fn a_scoped_credential_over_its_rate_is_refused_and_others_go_on() {
    let srv = TestServer::with(&["--rate-limit", "5/m", "--rate-limit-burst", "5"]).await;
    srv.spawn_db("app").await;
    let (_, first) = srv
        .create_key(json!({"name": "one", "role": "read_only", "databases": ["app"]}))
        .await;
    let (_, second) = srv
        .create_key(json!({"name": "two", "role": "read_only", "databases": ["app"]}))
        .await;
    for _ in 0..5 {
        let answer = srv
            .with_key(&first, Method::GET, "/api/db/app/tables", None)
            .await;
        assert_eq!(answer.0, StatusCode::OK, "{answer:?}");
    }
    let refused = srv
        .client
        .get(srv.url("/api/db/app/tables"))
        .header("x-api-key", &first)
        .send()
        .await
        .expect("sent");
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait = retry_after(&refused);
    assert!((1..=60).contains(&wait), "{wait}");
    let body: serde_json::Value = refused.json().await.expect("json");
    assert_eq!(body["error"]["code"], "rate_limited", "{body}");
    // libSQL's front answers in its own shape.
    let (status, hrana) = srv
        .send(
            srv.client
                .post(srv.url("/hrana/app/v3/pipeline"))
                .bearer_auth(&first)
                .json(&json!({"requests": [{"type": "close"}]})),
        )
        .await;
    assert_eq!(
        (status, &hrana["code"]),
        (StatusCode::TOO_MANY_REQUESTS, &json!("RATE_LIMITED"))
    );
    // A token the key mints spends the key's rate, not a fresh one.
    let (status, minted) = srv
        .with_key(
            &second,
            Method::POST,
            "/admin/databases/app/tokens",
            Some(json!({"access": "read_only"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{minted}");
    let token = minted["token"].as_str().expect("a token").to_owned();
    // Minting took one of the key's five; the token's four reads take the rest.
    for _ in 0..4 {
        let answer = srv
            .with_key(&token, Method::GET, "/api/db/app/tables", None)
            .await;
        assert_eq!(answer.0, StatusCode::OK, "{answer:?}");
    }
    let spent = srv
        .with_key(&second, Method::GET, "/api/db/app/tables", None)
        .await;
    assert_error(&spent, 429, "rate_limited");
    // Another key has its own bucket; the admin is not limited.
    let (_, third) = srv
        .create_key(json!({"name": "three", "role": "read_only", "databases": ["app"]}))
        .await;
    let other = srv
        .with_key(&third, Method::GET, "/api/db/app/tables", None)
        .await;
    assert_eq!(other.0, StatusCode::OK);
    for _ in 0..10 {
        assert_eq!(srv.get("/api/db/app/tables").await.0, StatusCode::OK);
    }
    let text = srv.metrics_text().await;
    // The recorder is the process's: other tests may add to it, never take away.
    let refused: u64 = text
        .lines()
        .find_map(|line| line.strip_prefix("dbforge_rate_limited_total{limit=\"credential\"} "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    assert!(refused >= 2, "{text}");
}

#[tokio::test]
async fn a_run_of_wrong_credentials_blocks_the_address_before_any_check() {
    let srv = TestServer::with(&["--failed-auth-limit", "1/h", "--failed-auth-burst", "10"]).await;
    srv.spawn_db("app").await;
    let wrong = |n: usize| {
        srv.client
            .get(srv.url("/admin/databases"))
            .header("x-api-key", format!("wrong-key-{n}"))
            .send()
    };
    for n in 0..10 {
        assert_eq!(
            wrong(n).await.expect("sent").status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let refused = wrong(10).await.expect("sent");
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_after(&refused) > 60, "refilled at one an hour");
    // Now even a valid key from that address is refused before it is checked, and forged
    // tokens cost no signature check.
    assert_error(&srv.get("/admin/databases").await, 429, "rate_limited");
    let forged = srv
        .client
        .get(srv.url("/admin/databases"))
        .bearer_auth("eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJhcHAifQ.c2ln")
        .send()
        .await
        .expect("sent");
    assert_eq!(forged.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn an_address_over_its_rate_is_refused_on_every_route() {
    let srv = TestServer::with(&["--rate-limit-per-address", "20/m"]).await;
    for _ in 0..20 {
        assert_eq!(srv.get_public("/health").await.0, StatusCode::OK);
    }
    let (status, body) = srv.get_public("/health").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_error(&srv.get("/admin/databases").await, 429, "rate_limited");
}

#[tokio::test]
async fn a_flood_on_one_database_is_capped_and_others_stay_fast() {
    let srv = TestServer::with(&[
        "--max-requests-per-database",
        "2",
        "--statement-timeout",
        "3s",
    ])
    .await;
    srv.spawn_db("flooded").await;
    srv.spawn_db("calm").await;
    // Two statements that run until their time limit hold both places on `flooded`.
    let endless = json!({"sql": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"});
    // A holder that finds the places taken (by a probe below) tries again: both get in.
    let holders: Vec<_> = (0..2)
        .map(|_| {
            let client = srv.client.clone();
            let url = srv.url("/api/db/flooded/query");
            let endless = endless.clone();
            tokio::spawn(async move {
                loop {
                    let answer = client
                        .post(&url)
                        .header("x-api-key", KEY)
                        .json(&endless)
                        .send()
                        .await
                        .expect("answered");
                    if answer.status() != StatusCode::TOO_MANY_REQUESTS {
                        return answer;
                    }
                }
            })
        })
        .collect();
    // Waits for the outcome (bounded): once both holders are in, a third is refused.
    let refused = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let answer = srv.query("flooded", json!({"sql": "SELECT 1"})).await;
            if answer.0 == StatusCode::TOO_MANY_REQUESTS {
                return answer;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the third request is refused while two are in flight");
    assert_error(&refused, 429, "rate_limited");
    assert!(
        refused
            .1
            .to_string()
            .contains("--max-requests-per-database"),
        "{}",
        refused.1
    );
    // Another database is not held back meanwhile.
    let calm = srv.query("calm", json!({"sql": "SELECT 1"})).await;
    assert_eq!(calm.0, StatusCode::OK, "{calm:?}");
    for holder in holders {
        let answer = holder.await.expect("joined");
        assert_eq!(
            answer.status(),
            StatusCode::BAD_REQUEST,
            "stopped at its time limit"
        );
    }
    let after = srv.query("flooded", json!({"sql": "SELECT 1"})).await;
    assert_eq!(
        after.0,
        StatusCode::OK,
        "the places are given back: {after:?}"
    );
}
