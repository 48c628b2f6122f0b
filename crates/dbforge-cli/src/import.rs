//! `dbforge insert`: bulk-inserts rows from a JSON-lines or CSV file in batches, with a
//! progress bar. Each batch is one transaction; on a failure the batches before it stay
//! committed, and the message says how many rows went in.

use std::io::BufRead as _;
use std::path::PathBuf;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value as Json;

use crate::commands::{Connection, Failure};

#[derive(Debug, Args)]
pub struct InsertArgs {
    pub database: String,
    pub table: String,
    /// Rows to insert: `.jsonl`/`.ndjson` (one JSON object per line) or `.csv` (a header row
    /// of column names; empty fields become NULL).
    #[arg(long, short = 'f')]
    pub file: PathBuf,
    /// Rows per request (each request is one transaction).
    #[arg(long, default_value_t = 1000)]
    pub batch: usize,
}

fn bad_input(message: String) -> Failure {
    Failure { message, code: 2 }
}

fn read_rows(path: &PathBuf) -> Result<Vec<Json>, Failure> {
    let is_csv = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let file = std::fs::File::open(path)
        .map_err(|e| bad_input(format!("cannot read {}: {e}", path.display())))?;
    if is_csv {
        let mut reader = csv::Reader::from_reader(file);
        let headers = reader
            .headers()
            .map_err(|e| bad_input(format!("{}: {e}", path.display())))?
            .clone();
        return reader
            .records()
            .enumerate()
            .map(|(i, record)| {
                let record = record
                    .map_err(|e| bad_input(format!("{} row {}: {e}", path.display(), i + 1)))?;
                let object = headers
                    .iter()
                    .zip(record.iter())
                    .map(|(h, v)| {
                        (
                            h.to_owned(),
                            if v.is_empty() {
                                Json::Null
                            } else {
                                Json::String(v.to_owned())
                            },
                        )
                    })
                    .collect();
                Ok(Json::Object(object))
            })
            .collect();
    }
    std::io::BufReader::new(file)
        .lines()
        .enumerate()
        .filter(|(_, line)| line.as_ref().map_or(true, |l| !l.trim().is_empty()))
        .map(|(i, line)| {
            let line = line.map_err(|e| bad_input(format!("{}: {e}", path.display())))?;
            match serde_json::from_str(&line) {
                Ok(object @ Json::Object(_)) => Ok(object),
                Ok(_) => Err(bad_input(format!(
                    "{} line {}: not a JSON object",
                    path.display(),
                    i + 1
                ))),
                Err(e) => Err(bad_input(format!("{} line {}: {e}", path.display(), i + 1))),
            }
        })
        .collect()
}

pub async fn insert(connection: &Connection, args: InsertArgs) -> Result<(), Failure> {
    if args.batch == 0 {
        return Err(bad_input("--batch must be at least 1".into()));
    }
    let rows = read_rows(&args.file)?;
    let client = connection.client()?;
    // Drawn on stderr, and only when it is a terminal: scripts see just the summary.
    let progress = ProgressBar::new(rows.len() as u64);
    progress.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} rows ({per_sec}, eta {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut inserted = 0_u64;
    for batch in rows.chunks(args.batch) {
        match client
            .insert_rows(&args.database, &args.table, batch.to_vec())
            .await
        {
            Ok(answer) => {
                inserted += answer.inserted;
                progress.inc(answer.inserted);
            }
            Err(e) => {
                progress.abandon();
                let mut failure = Failure::from(e);
                failure.message = format!(
                    "{} (rows {}-{} of the file; the {inserted} rows before them are inserted)",
                    failure.message,
                    inserted + 1,
                    inserted + batch.len() as u64
                );
                return Err(failure);
            }
        }
    }
    progress.finish_and_clear();
    println!("inserted {inserted} rows into {}", args.table);
    Ok(())
}
