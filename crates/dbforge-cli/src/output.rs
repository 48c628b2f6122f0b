//! Printing results as a table, JSON or CSV.

use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use serde_json::Value as Json;

use crate::commands::{Failure, Format};

fn cell(value: Option<&Json>) -> String {
    match value {
        None | Some(Json::Null) => String::new(),
        Some(Json::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// A row's values in column order (rows are objects keyed by column, or arrays).
fn cells(columns: &[String], row: &Json) -> Vec<String> {
    match row {
        Json::Array(values) => values.iter().map(|v| cell(Some(v))).collect(),
        object => columns.iter().map(|c| cell(object.get(c))).collect(),
    }
}

pub fn print_rows(columns: &[String], rows: &[Json], format: Format) -> Result<(), Failure> {
    match format {
        Format::Json => print_json(&rows),
        Format::Csv => {
            let mut writer = csv::Writer::from_writer(std::io::stdout());
            let fail = |e: csv::Error| Failure {
                message: format!("writing CSV: {e}"),
                code: 3,
            };
            writer.write_record(columns).map_err(fail)?;
            for row in rows {
                writer.write_record(cells(columns, row)).map_err(fail)?;
            }
            writer.flush().map_err(|e| Failure {
                message: format!("writing CSV: {e}"),
                code: 3,
            })
        }
        Format::Table => {
            let mut table = Table::new();
            table
                .load_preset(UTF8_FULL_CONDENSED)
                .set_content_arrangement(ContentArrangement::Dynamic);
            table.set_header(columns);
            for row in rows {
                table.add_row(cells(columns, row));
            }
            println!("{table}");
            println!("{} row(s)", rows.len());
            Ok(())
        }
    }
}

pub fn print_json(value: &impl serde::Serialize) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(value).map_err(|e| Failure {
        message: format!("encoding JSON: {e}"),
        code: 3,
    })?;
    println!("{text}");
    Ok(())
}
