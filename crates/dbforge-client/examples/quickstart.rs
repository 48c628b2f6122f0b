//! Creates a database, a table and a few rows on a running DB-Forge, reads them back, and
//! deletes the database.
//!
//! `cargo run -p dbforge-client --example quickstart -- http://127.0.0.1:8081 <api-key>`

use dbforge_client::{Client, params};

#[tokio::main]
async fn main() -> Result<(), dbforge_client::Error> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .unwrap_or_else(|| "http://127.0.0.1:8081".into());
    let key = args
        .next()
        .unwrap_or_else(|| "development-api-key-12345".into());
    let client = Client::builder(url).api_key(key).build()?;

    client.create_database("quickstart", None).await?;
    client
        .execute(
            "quickstart",
            "CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT)",
            params![],
        )
        .await?;
    client
        .batch(
            "quickstart",
            [
                ("INSERT INTO notes(body) VALUES (?)", params!["first"]),
                ("INSERT INTO notes(body) VALUES (?)", params!["second"]),
            ],
        )
        .await?;
    let notes = client
        .execute("quickstart", "SELECT id, body FROM notes", params![])
        .await?;
    for row in &notes.rows {
        println!("{} {}", row["id"], row["body"]);
    }
    client.delete_database("quickstart").await?;
    Ok(())
}
