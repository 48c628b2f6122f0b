//! Tables as resources: SQL built from JSON (identifiers always quoted, values always bound,
//! never spliced) and schema inspection through SQLite's own pragma functions.

use std::fmt::Write as _;

use dbforge_api::{
    ColumnDefault, ColumnDefinition, ColumnInfo, CreateTableRequest, ErrorCode, ForeignKeyInfo,
    IndexInfo, TableInfo, TableKind, Value,
};
use rusqlite::Connection;

use crate::EngineError;

fn invalid(message: impl Into<String>) -> EngineError {
    EngineError::new(ErrorCode::InvalidRequest, message)
}

/// Quotes an identifier for SQLite: wrapped in double quotes, inner quotes doubled.
pub fn quote_identifier(name: &str) -> Result<String, EngineError> {
    if name.is_empty() {
        return Err(invalid("an identifier (table or column name) is empty"));
    }
    if name.contains('\0') {
        return Err(invalid("an identifier contains a NUL character"));
    }
    Ok(format!("\"{}\"", name.replace('"', "\"\"")))
}

/// A type name as SQLite accepts it: words, optionally followed by `(n)` or `(n, m)`.
fn check_type_name(ty: &str) -> Result<(), EngineError> {
    let bad = || {
        invalid(format!(
            "column type {ty:?} is not a type name; use words such as INTEGER, TEXT, REAL, BLOB, \
             NUMERIC or VARCHAR(20)"
        ))
    };
    let (words, size) = match ty.split_once('(') {
        Some((words, rest)) => (words, Some(rest.strip_suffix(')').ok_or_else(bad)?)),
        None => (ty, None),
    };
    let words_ok = !words.trim().is_empty()
        && words
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ' ')
        && words
            .trim_start()
            .starts_with(|c: char| c.is_ascii_alphabetic());
    let size_ok = size.is_none_or(|s| {
        let parts: Vec<&str> = s.split(',').map(str::trim).collect();
        parts.len() <= 2
            && parts.iter().all(|p| {
                !p.is_empty()
                    && p.chars()
                        .all(|c| c.is_ascii_digit() || c == '-' || c == '+')
            })
    });
    // Words that would start a constraint rather than name a type.
    const CLAUSES: &[&str] = &[
        "PRIMARY",
        "KEY",
        "NOT",
        "NULL",
        "UNIQUE",
        "CHECK",
        "DEFAULT",
        "COLLATE",
        "REFERENCES",
        "CONSTRAINT",
        "GENERATED",
        "AS",
        "ON",
        "CONFLICT",
    ];
    let clause = words
        .split_whitespace()
        .any(|w| CLAUSES.contains(&w.to_ascii_uppercase().as_str()));
    if words_ok && size_ok && !clause {
        Ok(())
    } else {
        Err(bad())
    }
}

/// A literal for a DEFAULT clause.
fn literal(value: &Value) -> Result<String, EngineError> {
    Ok(match value {
        Value::Null => "NULL".to_owned(),
        Value::Integer(i) => i.to_string(),
        Value::Real(f) if f.is_finite() => format!("{f:?}"),
        Value::Real(_) => return Err(invalid("a default cannot be an infinite number")),
        Value::Text(t) => format!("'{}'", t.replace('\'', "''")),
        Value::Blob(b) => {
            let mut hex = String::with_capacity(b.len() * 2 + 3);
            hex.push_str("X'");
            for byte in b {
                let _ = write!(hex, "{byte:02X}");
            }
            hex.push('\'');
            hex
        }
    })
}

/// `CREATE TABLE` for a column list.
pub fn create_table_sql(request: &CreateTableRequest) -> Result<String, EngineError> {
    if request.columns.is_empty() {
        return Err(invalid("a table needs at least one column"));
    }
    let mut seen = std::collections::HashSet::new();
    for column in &request.columns {
        if !seen.insert(column.name.to_ascii_lowercase()) {
            return Err(invalid(format!(
                "column {:?} is defined twice",
                column.name
            )));
        }
    }
    let keys: Vec<&ColumnDefinition> = request.columns.iter().filter(|c| c.primary_key).collect();
    let mut sql = String::from("CREATE TABLE ");
    if request.if_not_exists {
        sql.push_str("IF NOT EXISTS ");
    }
    sql.push_str(&quote_identifier(&request.name)?);
    sql.push_str(" (");
    for (i, column) in request.columns.iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&quote_identifier(&column.name)?);
        if let Some(ty) = &column.column_type {
            check_type_name(ty)?;
            sql.push(' ');
            sql.push_str(ty.trim());
        }
        if column.primary_key && keys.len() == 1 {
            sql.push_str(" PRIMARY KEY");
        }
        if column.autoincrement {
            let is_integer = column
                .column_type
                .as_deref()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("integer"));
            if !(column.primary_key && keys.len() == 1 && is_integer) {
                return Err(invalid(format!(
                    "column {:?}: autoincrement needs a single INTEGER primary key",
                    column.name
                )));
            }
            sql.push_str(" AUTOINCREMENT");
        }
        if column.not_null {
            sql.push_str(" NOT NULL");
        }
        if column.unique {
            sql.push_str(" UNIQUE");
        }
        match &column.default {
            None => {}
            Some(ColumnDefault::Literal(v)) => {
                sql.push_str(" DEFAULT ");
                sql.push_str(&literal(v)?);
            }
            Some(ColumnDefault::Expression { expression }) => {
                let keyword = expression.trim().to_ascii_uppercase();
                if !["CURRENT_TIMESTAMP", "CURRENT_DATE", "CURRENT_TIME"]
                    .contains(&keyword.as_str())
                {
                    return Err(invalid(format!(
                        "column {:?}: default expression must be CURRENT_TIMESTAMP, CURRENT_DATE or CURRENT_TIME",
                        column.name
                    )));
                }
                sql.push_str(" DEFAULT ");
                sql.push_str(&keyword);
            }
        }
    }
    if keys.len() > 1 {
        let names: Result<Vec<String>, _> =
            keys.iter().map(|c| quote_identifier(&c.name)).collect();
        let _ = write!(sql, ", PRIMARY KEY ({})", names?.join(", "));
    }
    sql.push(')');
    if request.strict {
        sql.push_str(" STRICT");
    }
    Ok(sql)
}

/// Tables and views (SQLite's internal tables excluded), or just `only` when given.
pub fn describe_tables(
    conn: &Connection,
    only: Option<&str>,
) -> Result<Vec<TableInfo>, EngineError> {
    let fail = |e: rusqlite::Error| EngineError::from_sqlite(e, None);
    let mut stmt = conn
        .prepare_cached(
            "SELECT s.name, s.type, s.sql, coalesce(l.wr, 0), coalesce(l.strict, 0)
             FROM sqlite_schema AS s
             LEFT JOIN pragma_table_list AS l ON l.schema = 'main' AND l.name = s.name
             WHERE s.type IN ('table', 'view') AND s.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
               AND (?1 IS NULL OR s.name = ?1)
             ORDER BY s.name",
        )
        .map_err(fail)?;
    let heads = stmt
        .query_map([only], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, bool>(3)?,
                r.get::<_, bool>(4)?,
            ))
        })
        .map_err(fail)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(fail)?;
    Ok(heads
        .into_iter()
        .map(|(name, kind, sql, without_rowid, strict)| {
            // One object that cannot be described (a view whose definition fails) is listed
            // with its error; the others are described as usual.
            let details = columns(conn, &name).and_then(|columns| {
                Ok((columns, indexes(conn, &name)?, foreign_keys(conn, &name)?))
            });
            let (columns, indexes, foreign_keys, error) = match details {
                Ok((columns, indexes, foreign_keys)) => (columns, indexes, foreign_keys, None),
                Err(e) => (Vec::new(), Vec::new(), Vec::new(), Some(fail(e).message)),
            };
            TableInfo {
                columns,
                indexes,
                foreign_keys,
                error,
                name,
                kind: if kind == "view" {
                    TableKind::View
                } else {
                    TableKind::Table
                },
                sql,
                without_rowid,
                strict,
            }
        })
        .collect())
}

fn columns(conn: &Connection, table: &str) -> rusqlite::Result<Vec<ColumnInfo>> {
    let mut stmt = conn.prepare_cached(
        "SELECT name, type, \"notnull\", dflt_value, pk, hidden FROM pragma_table_xinfo(?1) ORDER BY cid",
    )?;
    stmt.query_map([table], |r| {
        Ok(ColumnInfo {
            name: r.get(0)?,
            column_type: r.get(1)?,
            not_null: r.get(2)?,
            default: r.get(3)?,
            primary_key: r.get(4)?,
            hidden: r.get::<_, i64>(5)? != 0,
        })
    })?
    .collect()
}

fn indexes(conn: &Connection, table: &str) -> rusqlite::Result<Vec<IndexInfo>> {
    let mut list = conn.prepare_cached(
        "SELECT name, \"unique\", origin, partial FROM pragma_index_list(?1) ORDER BY name",
    )?;
    let heads = list
        .query_map([table], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, bool>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, bool>(3)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut info = conn.prepare_cached("SELECT name FROM pragma_index_info(?1) ORDER BY seqno")?;
    heads
        .into_iter()
        .map(|(name, unique, origin, partial)| {
            let columns = info
                .query_map([&name], |r| r.get::<_, Option<String>>(0))?
                .map(|c| c.map(|c| c.unwrap_or_else(|| "<expression>".to_owned())))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(IndexInfo {
                name,
                unique,
                columns,
                origin,
                partial,
            })
        })
        .collect()
}

fn foreign_keys(conn: &Connection, table: &str) -> rusqlite::Result<Vec<ForeignKeyInfo>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, \"table\", \"from\", \"to\", on_update, on_delete
         FROM pragma_foreign_key_list(?1) ORDER BY id, seq",
    )?;
    let rows = stmt
        .query_map([table], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut keys: Vec<(i64, ForeignKeyInfo)> = Vec::new();
    for (id, target, from, to, on_update, on_delete) in rows {
        match keys.last_mut() {
            Some((last, fk)) if *last == id => {
                fk.columns.push(from);
                fk.to_columns.push(to);
            }
            _ => keys.push((
                id,
                ForeignKeyInfo {
                    columns: vec![from],
                    table: target,
                    to_columns: vec![to],
                    on_update,
                    on_delete,
                },
            )),
        }
    }
    Ok(keys.into_iter().map(|(_, fk)| fk).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(name: &str, ty: Option<&str>) -> ColumnDefinition {
        ColumnDefinition {
            name: name.into(),
            column_type: ty.map(Into::into),
            primary_key: false,
            autoincrement: false,
            not_null: false,
            unique: false,
            default: None,
        }
    }

    #[test]
    fn identifiers_are_quoted_so_nothing_is_spliced() {
        assert_eq!(quote_identifier("a\"b").ok().as_deref(), Some("\"a\"\"b\""));
        assert!(quote_identifier("").is_err());
    }

    #[test]
    fn create_table_builds_constraints_and_defaults() {
        let mut id = column("id", Some("INTEGER"));
        id.primary_key = true;
        id.autoincrement = true;
        let mut name = column("name", Some("TEXT"));
        name.not_null = true;
        name.unique = true;
        name.default = Some(ColumnDefault::Literal(Value::Text("it's".into())));
        let mut at = column("at", None);
        at.default = Some(ColumnDefault::Expression {
            expression: "current_timestamp".into(),
        });
        let request = CreateTableRequest {
            name: "my table".into(),
            columns: vec![id, name, at],
            if_not_exists: true,
            strict: false,
        };
        assert_eq!(
            create_table_sql(&request).ok().as_deref(),
            Some(
                "CREATE TABLE IF NOT EXISTS \"my table\" (\"id\" INTEGER PRIMARY KEY AUTOINCREMENT, \"name\" TEXT NOT NULL UNIQUE DEFAULT 'it''s', \"at\" DEFAULT CURRENT_TIMESTAMP)"
            )
        );
    }

    #[test]
    fn type_names_cannot_smuggle_sql() {
        for bad in [
            "TEXT); DROP TABLE x; --",
            "INT(",
            "1NT",
            "TEXT DEFAULT 'x'",
            "TEXT NOT NULL",
            "",
        ] {
            let request = CreateTableRequest {
                name: "t".into(),
                columns: vec![column("a", Some(bad))],
                if_not_exists: false,
                strict: false,
            };
            assert!(
                create_table_sql(&request).is_err(),
                "{bad:?} should be refused"
            );
        }
        assert!(check_type_name("VARCHAR(20)").is_ok());
        assert!(check_type_name("DECIMAL(10, 2)").is_ok());
        assert!(check_type_name("UNSIGNED BIG INT").is_ok());
    }
}
