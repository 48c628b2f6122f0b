//! Tables and rows as resources: describe tables, create one from a column list, insert rows
//! given as column/value pairs, read a page of rows. The SQL is built here from quoted
//! identifiers and bound values (no user string is spliced into it) and runs through
//! [`Database::execute`], so these operations get the same sandbox, limits and write path as
//! SQL sent by a client.

use std::sync::Arc;

use dbforge_api::{
    CreateTableRequest, ErrorCode, InsertRowsResponse, Params, TableInfo, TableKind, Value,
};

use crate::schema::{create_table_sql, describe_tables, quote_identifier};
use crate::{Database, Deadline, Encoding, EngineError, Statement, StatementOutput};

/// One row to insert: column names (matched case-insensitively, as SQLite does) and their
/// values, each as the front could read it: a value, or why what was sent is not one (reported
/// only once the column is known to exist, so a wrong column is named before a wrong value).
pub type NewRow = Vec<(String, Result<Value, String>)>;

/// Which rows to read, and in which order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowsQuery {
    /// Rows per page (1 to the result row limit).
    pub limit: u64,
    /// Rows to skip (offset paging).
    pub offset: u64,
    /// Keyset paging: rows after this rowid in the chosen order.
    pub after: Option<i64>,
    /// Column to order by (default: rowid, when the table has one).
    pub order_by: Option<String>,
    pub descending: bool,
    /// Include the rowid as a `_rowid_` column.
    pub with_rowid: bool,
    /// Equality filters: column, value (compared as text, as a query string sends them).
    pub filters: Vec<(String, String)>,
}

impl Default for RowsQuery {
    fn default() -> Self {
        Self {
            limit: 100,
            offset: 0,
            after: None,
            order_by: None,
            descending: false,
            with_rowid: false,
            filters: Vec::new(),
        }
    }
}

/// A page of rows and where the next page starts.
#[derive(Debug)]
pub struct RowsRead {
    pub output: StatementOutput,
    pub limit: u64,
    pub offset: u64,
    /// The rowid to send as `after` for the next page (keyset paging), if there is one.
    pub next_after: Option<i64>,
    /// The offset of the next page, if there is one.
    pub next_offset: Option<u64>,
}

fn invalid(message: impl Into<String>) -> EngineError {
    EngineError::new(ErrorCode::InvalidRequest, message)
}

impl Database {
    /// Tables and views with their columns, indexes and foreign keys (all, or just `only`).
    pub async fn describe_tables(
        self: &Arc<Self>,
        only: Option<String>,
        deadline: &Deadline,
    ) -> Result<Vec<TableInfo>, EngineError> {
        self.read(deadline, move |conn| describe_tables(conn, only.as_deref()))
            .await
    }

    /// One table's or view's schema (`table_not_found` if there is none of that name).
    pub async fn describe_table(
        self: &Arc<Self>,
        name: &str,
        deadline: &Deadline,
    ) -> Result<TableInfo, EngineError> {
        self.describe_tables(Some(name.to_owned()), deadline)
            .await?
            .pop()
            .ok_or_else(|| {
                EngineError::new(
                    ErrorCode::TableNotFound,
                    format!("no table or view named {name:?}"),
                )
            })
    }

    /// Creates a table from a column list and answers its schema.
    pub async fn create_table(
        self: &Arc<Self>,
        request: &CreateTableRequest,
        deadline: &Deadline,
    ) -> Result<TableInfo, EngineError> {
        let sql = create_table_sql(request)?;
        self.execute(vec![Statement::new(sql)], deadline).await?;
        self.describe_table(&request.name, deadline).await
    }

    /// Inserts `rows` into `table` in one transaction. An error names the row (from 1).
    pub async fn insert_rows(
        self: &Arc<Self>,
        table: &str,
        rows: Vec<NewRow>,
        deadline: &Deadline,
    ) -> Result<InsertRowsResponse, EngineError> {
        if rows.is_empty() {
            return Err(invalid("`rows` is empty"));
        }
        let info = self.describe_table(table, deadline).await?;
        if info.kind != TableKind::Table {
            return Err(invalid(format!("{table:?} is a view, not a table")));
        }
        let quoted_table = quote_identifier(table)?;
        let mut statements = Vec::with_capacity(rows.len());
        for (i, row) in rows.into_iter().enumerate() {
            let mut columns = Vec::with_capacity(row.len());
            let mut values = Vec::with_capacity(row.len());
            for (column, value) in row {
                if !info
                    .columns
                    .iter()
                    .any(|c| c.name.eq_ignore_ascii_case(&column))
                {
                    return Err(EngineError::new(
                        ErrorCode::ColumnNotFound,
                        format!("row {}: table {table:?} has no column {column:?}", i + 1),
                    ));
                }
                let value = value.map_err(|why| {
                    EngineError::new(
                        ErrorCode::InvalidJson,
                        format!("row {}, column {column:?}: {why}", i + 1),
                    )
                })?;
                columns.push(quote_identifier(&column)?);
                values.push(value);
            }
            let sql = if columns.is_empty() {
                format!("INSERT INTO {quoted_table} DEFAULT VALUES")
            } else {
                let marks = vec!["?"; columns.len()].join(", ");
                format!(
                    "INSERT INTO {quoted_table} ({}) VALUES ({marks})",
                    columns.join(", ")
                )
            };
            statements.push(Statement::with_params(sql, Params::Positional(values)));
        }
        let outputs = self.execute(statements, deadline).await.map_err(|e| {
            // Each statement is one row: say which row, not which statement.
            let message = match e.statement {
                Some(i) => format!("row {}: {}", i + 1, e.message),
                None => e.message,
            };
            EngineError {
                statement: None,
                message,
                ..e
            }
        })?;
        let rowids = outputs
            .iter()
            .map(|o| {
                if info.without_rowid {
                    None
                } else {
                    o.last_insert_rowid
                }
            })
            .collect();
        Ok(InsertRowsResponse {
            inserted: outputs.len() as u64,
            rowids,
        })
    }

    /// Reads a page of `table`'s rows: limit/offset or keyset (`after`) paging, ordering and
    /// equality filters. `encoding` is how the front will send the rows (what the result
    /// limits count).
    pub async fn read_rows(
        self: &Arc<Self>,
        table: &str,
        query: &RowsQuery,
        encoding: Encoding,
        deadline: &Deadline,
    ) -> Result<RowsRead, EngineError> {
        let q = query;
        let max_limit = self.limits().max_result_rows as u64;
        if q.limit == 0 || q.limit > max_limit {
            return Err(invalid(format!("limit must be between 1 and {max_limit}")));
        }
        if q.after.is_some() && (q.offset > 0 || q.order_by.is_some()) {
            return Err(invalid(
                "after (keyset paging by rowid) cannot be combined with offset or order_by",
            ));
        }
        let info = self.describe_table(table, deadline).await?;
        let has_rowid = info.kind == TableKind::Table && !info.without_rowid;
        let column = |name: &str| -> Result<String, EngineError> {
            info.columns
                .iter()
                .find(|c| c.name.eq_ignore_ascii_case(name))
                .map(|c| quote_identifier(&c.name))
                .transpose()?
                .ok_or_else(|| {
                    EngineError::new(
                        ErrorCode::ColumnNotFound,
                        format!("table {table:?} has no column {name:?}"),
                    )
                })
        };
        if (q.after.is_some() || q.with_rowid) && !has_rowid {
            return Err(invalid(format!(
                "{table:?} has no rowid: use offset paging"
            )));
        }
        let mut sql = String::from("SELECT ");
        // The rowid rides along (first column) whenever keyset paging may need it.
        let keyset = has_rowid && q.order_by.is_none() && q.offset == 0;
        if keyset || q.with_rowid {
            sql.push_str("rowid AS \"_rowid_\", ");
        }
        sql.push_str("* FROM ");
        sql.push_str(&quote_identifier(table)?);
        let mut params = Vec::new();
        let mut conditions = Vec::new();
        for (name, value) in &q.filters {
            conditions.push(format!("{} = ?", column(name)?));
            params.push(Value::Text(value.clone()));
        }
        if let Some(after) = q.after {
            conditions.push(
                if q.descending {
                    "rowid < ?"
                } else {
                    "rowid > ?"
                }
                .to_owned(),
            );
            params.push(Value::Integer(after));
        }
        if !conditions.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&conditions.join(" AND "));
        }
        let direction = if q.descending { "DESC" } else { "ASC" };
        match &q.order_by {
            Some(name) => sql.push_str(&format!(" ORDER BY {} {direction}", column(name)?)),
            None if has_rowid => sql.push_str(&format!(" ORDER BY rowid {direction}")),
            None => {}
        }
        // One row past the page tells whether there is a next page.
        sql.push_str(" LIMIT ? OFFSET ?");
        params.push(Value::Integer(
            i64::try_from(q.limit + 1).unwrap_or(i64::MAX),
        ));
        params.push(Value::Integer(i64::try_from(q.offset).unwrap_or(i64::MAX)));
        let statement = Statement::with_params(sql, Params::Positional(params)).encoded(encoding);
        let mut output = self
            .execute(vec![statement], deadline)
            .await?
            .pop()
            .unwrap_or_default();
        let more = output.rows.len() as u64 > q.limit;
        output
            .rows
            .truncate(usize::try_from(q.limit).unwrap_or(usize::MAX));
        let last_rowid = match output.rows.last().and_then(|r| r.first()) {
            Some(Value::Integer(id)) if keyset || q.with_rowid => Some(*id),
            _ => None,
        };
        if keyset && !q.with_rowid {
            output.columns.remove(0);
            output.column_types.remove(0);
            for row in &mut output.rows {
                row.remove(0);
            }
        }
        Ok(RowsRead {
            output,
            limit: q.limit,
            offset: q.offset,
            next_after: if more && keyset { last_rowid } else { None },
            next_offset: more.then_some(q.offset + q.limit),
        })
    }
}
