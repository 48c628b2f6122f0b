//! The query endpoint's request and response: one statement, or several run atomically.

use std::fmt;

use serde::de::{MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use crate::Value;

/// Parameters of one statement: positional (`?`, `?NNN`) or named (`:name`, `@name`, `$name`).
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Params {
    #[default]
    None,
    Positional(Vec<Value>),
    /// Names as sent, with or without their sigil (`"id"` matches `:id`, `@id` and `$id`).
    Named(Vec<(String, Value)>),
}

impl Params {
    pub fn is_empty(&self) -> bool {
        match self {
            Params::None => true,
            Params::Positional(v) => v.is_empty(),
            Params::Named(v) => v.is_empty(),
        }
    }
}

impl Serialize for Params {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match self {
            Params::None => s.serialize_unit(),
            Params::Positional(values) => values.serialize(s),
            Params::Named(values) => {
                let mut map = s.serialize_map(Some(values.len()))?;
                for (name, value) in values {
                    map.serialize_entry(name, value)?;
                }
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Params {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ParamsVisitor;
        impl<'de> Visitor<'de> for ParamsVisitor {
            type Value = Params;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of positional values or an object of named values")
            }
            fn visit_unit<E>(self) -> Result<Params, E> {
                Ok(Params::None)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Params, A::Error> {
                let mut values = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(v) = seq.next_element::<Value>()? {
                    values.push(v);
                }
                Ok(Params::Positional(values))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Params, A::Error> {
                let mut values = Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some((k, v)) = map.next_entry::<String, Value>()? {
                    values.push((k, v));
                }
                Ok(Params::Named(values))
            }
        }
        deserializer.deserialize_any(ParamsVisitor)
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Params {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder};
        OneOfBuilder::new()
            .item(
                ArrayBuilder::new()
                    .items(Value::schema())
                    .description(Some("positional: ?, ?NNN")),
            )
            .item(
                ObjectBuilder::new()
                    .additional_properties(Some(Value::schema()))
                    .description(Some(
                        "named: :name, @name, $name (keys with or without the sigil)",
                    )),
            )
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Params {}

/// How rows are shaped in a result.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RowFormat {
    /// Each row is an object keyed by column name (duplicate names: the last one wins).
    #[default]
    Objects,
    /// Each row is an array in column order.
    Arrays,
}

/// One SQL statement with its parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct StatementRequest {
    pub sql: String,
    #[serde(default, skip_serializing_if = "Params::is_empty")]
    pub params: Params,
}

/// Output options shared by every query.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueryOptions {
    #[serde(default)]
    pub row_format: RowFormat,
    /// Emit integers beyond ±(2^53-1) as `{"integer": "<decimal>"}` so JavaScript keeps them exact.
    #[serde(default)]
    pub lossless: bool,
}

/// Body of `POST /api/db/{name}/query`: either `sql` (+ `params`) or `statements`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct QueryRequest {
    /// One statement (a trailing `;` is fine). Several statements separated by `;` run as a
    /// batch, like `statements`, when no `params` are given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sql: Option<String>,
    #[serde(default, skip_serializing_if = "Params::is_empty")]
    pub params: Params,
    /// Several statements run atomically in one transaction: all succeed or none is applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statements: Option<Vec<StatementRequest>>,
    #[serde(default, skip_serializing_if = "RowFormat::is_default")]
    pub row_format: RowFormat,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub lossless: bool,
}

impl RowFormat {
    fn is_default(&self) -> bool {
        *self == RowFormat::Objects
    }
}

impl QueryRequest {
    pub fn options(&self) -> QueryOptions {
        QueryOptions {
            row_format: self.row_format,
            lossless: self.lossless,
        }
    }
}

/// The result of one statement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatementResult {
    pub columns: Vec<String>,
    /// Declared types of the result columns (`null` for expressions).
    pub column_types: Vec<Option<String>>,
    /// Objects keyed by column name, or arrays when `row_format` is `arrays`; values as in
    /// [`Value`].
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Value>))]
    pub rows: Vec<serde_json::Value>,
    pub rows_affected: u64,
    /// The rowid of the last row this statement inserted, if it inserted one.
    pub last_insert_rowid: Option<i64>,
    /// True when the result was cut at the row or byte limit; the statement itself ran fully.
    pub truncated: bool,
}

/// The result of a batch: one entry per statement, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatchResult {
    pub results: Vec<StatementResult>,
}

/// The answer of the query endpoint: one result for a single statement, a batch otherwise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum QueryResponse {
    Batch(BatchResult),
    Single(StatementResult),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_parse_positional_and_named() {
        let req: QueryRequest =
            serde_json::from_str(r#"{"sql":"select ?","params":[1,"a",null]}"#).expect("parse");
        assert_eq!(
            req.params,
            Params::Positional(vec![
                Value::Integer(1),
                Value::Text("a".into()),
                Value::Null
            ])
        );
        let req: QueryRequest =
            serde_json::from_str(r#"{"sql":"select :a","params":{":a":1,"b":{"base64":"AA=="}}}"#)
                .expect("parse");
        assert_eq!(
            req.params,
            Params::Named(vec![
                (":a".into(), Value::Integer(1)),
                ("b".into(), Value::Blob(vec![0]))
            ])
        );
    }

    #[test]
    fn params_serialize_back_to_the_same_json() {
        for json in [r#"[1,"a",null]"#, r#"{":a":1,"b":{"base64":"AA=="}}"#] {
            let params: Params = serde_json::from_str(json).expect("parse");
            assert_eq!(serde_json::to_string(&params).ok().as_deref(), Some(json));
        }
    }

    #[test]
    fn unknown_fields_are_rejected_so_typos_are_seen() {
        assert!(serde_json::from_str::<QueryRequest>(r#"{"sq1":"select 1"}"#).is_err());
    }
}
