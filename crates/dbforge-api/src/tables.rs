//! Table resources: schema inspection, table creation from a column list, and row access.

use serde::{Deserialize, Serialize};

use crate::Value;

/// One column of `POST /api/db/{name}/tables`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ColumnDefinition {
    pub name: String,
    /// A type name such as `INTEGER`, `TEXT`, `REAL`, `BLOB`, `NUMERIC`, `VARCHAR(20)`;
    /// omitted means no declared type.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub column_type: Option<String>,
    #[serde(default)]
    pub primary_key: bool,
    /// Only with a single `INTEGER` primary key.
    #[serde(default)]
    pub autoincrement: bool,
    #[serde(default)]
    pub not_null: bool,
    #[serde(default)]
    pub unique: bool,
    /// A literal default value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<ColumnDefault>,
}

/// A column default: a literal value, or one of SQLite's time keywords.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum ColumnDefault {
    /// `{"expression": "CURRENT_TIMESTAMP" | "CURRENT_DATE" | "CURRENT_TIME"}`.
    Expression {
        expression: String,
    },
    Literal(Value),
}

/// Body of `POST /api/db/{name}/tables`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateTableRequest {
    pub name: String,
    pub columns: Vec<ColumnDefinition>,
    #[serde(default)]
    pub if_not_exists: bool,
    /// Create a STRICT table (types enforced by SQLite).
    #[serde(default)]
    pub strict: bool,
}

/// One column as SQLite reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ColumnInfo {
    pub name: String,
    #[serde(rename = "type")]
    pub column_type: String,
    pub not_null: bool,
    /// The default as SQL text.
    pub default: Option<String>,
    /// Position in the primary key, from 1; 0 when not part of it.
    pub primary_key: u32,
    /// Generated and hidden columns are reported with this flag.
    pub hidden: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IndexInfo {
    pub name: String,
    pub unique: bool,
    pub columns: Vec<String>,
    /// `c` (CREATE INDEX), `u` (UNIQUE constraint) or `pk` (primary key).
    pub origin: String,
    pub partial: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ForeignKeyInfo {
    pub columns: Vec<String>,
    pub table: String,
    pub to_columns: Vec<Option<String>>,
    pub on_update: String,
    pub on_delete: String,
}

/// A table or view with its schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TableInfo {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: TableKind,
    pub sql: Option<String>,
    pub without_rowid: bool,
    pub strict: bool,
    pub columns: Vec<ColumnInfo>,
    pub indexes: Vec<IndexInfo>,
    pub foreign_keys: Vec<ForeignKeyInfo>,
    /// Why the columns, indexes and foreign keys could not be read (a view whose definition
    /// fails, say); they are empty then. Absent when all is well.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What a schema object is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum TableKind {
    Table,
    View,
}

impl TableKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Table => "table",
            Self::View => "view",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TableList {
    pub tables: Vec<TableInfo>,
}

/// Answer of `POST /api/db/{name}/tables/{table}/rows`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InsertRowsResponse {
    pub inserted: u64,
    /// The rowid of each inserted row, in order (absent values for WITHOUT ROWID tables).
    pub rowids: Vec<Option<i64>>,
}

/// A page of rows from `GET /api/db/{name}/tables/{table}/rows`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RowsPage {
    pub columns: Vec<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub rows: Vec<serde_json::Value>,
    pub limit: u64,
    pub offset: u64,
    /// For keyset paging by rowid: pass as `after` to continue; null on the last page.
    pub next_after: Option<i64>,
    /// For offset paging: the next offset; null on the last page.
    pub next_offset: Option<u64>,
}
