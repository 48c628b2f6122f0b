//! Hrana's JSON wire types (HTTP variant, versions 2 and 3), as the libSQL specification
//! writes them. Unknown fields are ignored, as the spec asks, so newer clients still work.

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use dbforge_api::Value;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Blobs arrive with or without `=` padding (clients differ) and leave without it, as
/// libSQL's own server writes them.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

#[derive(Debug, Deserialize)]
pub struct PipelineRequest {
    #[serde(default)]
    pub baton: Option<String>,
    #[serde(default)]
    pub requests: Vec<StreamRequest>,
}

#[derive(Debug, Serialize)]
pub struct PipelineResponse {
    pub baton: Option<String>,
    pub base_url: Option<String>,
    pub results: Vec<StreamResult>,
}

#[derive(Debug, Deserialize)]
pub struct CursorRequest {
    #[serde(default)]
    pub baton: Option<String>,
    pub batch: Batch,
}

/// The first line of a `v3/cursor` response.
#[derive(Debug, Serialize)]
pub struct CursorResponse {
    pub baton: Option<String>,
    pub base_url: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StreamRequest {
    Close,
    Execute {
        stmt: Stmt,
    },
    Batch {
        batch: Batch,
    },
    Sequence {
        #[serde(default)]
        sql: Option<String>,
        #[serde(default)]
        sql_id: Option<i32>,
    },
    Describe {
        #[serde(default)]
        sql: Option<String>,
        #[serde(default)]
        sql_id: Option<i32>,
    },
    StoreSql {
        sql_id: i32,
        sql: String,
    },
    CloseSql {
        sql_id: i32,
    },
    GetAutocommit,
    /// A request type from a newer protocol version: answered with an error, not a failure of
    /// the whole pipeline.
    #[serde(other)]
    Unknown,
}

#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StreamResult {
    Ok { response: StreamResponse },
    Error { error: Error },
}

#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StreamResponse {
    Close,
    Execute { result: StmtResult },
    Batch { result: BatchResult },
    Sequence,
    Describe { result: DescribeResult },
    StoreSql,
    CloseSql,
    GetAutocommit { is_autocommit: bool },
}

/// Hrana's error: a message for people and a code for programs.
#[derive(Debug, Clone, Serialize)]
pub struct Error {
    pub message: String,
    pub code: String,
}

impl Error {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Stmt {
    #[serde(default)]
    pub sql: Option<String>,
    #[serde(default)]
    pub sql_id: Option<i32>,
    #[serde(default)]
    pub args: Vec<HranaValue>,
    #[serde(default)]
    pub named_args: Vec<NamedArg>,
    #[serde(default)]
    pub want_rows: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct NamedArg {
    pub name: String,
    pub value: HranaValue,
}

#[derive(Debug, Clone, Serialize)]
pub struct StmtResult {
    pub cols: Vec<Col>,
    pub rows: Vec<Vec<HranaValue>>,
    pub affected_row_count: u64,
    #[serde(serialize_with = "integer_as_string")]
    pub last_insert_rowid: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Col {
    pub name: Option<String>,
    pub decltype: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Batch {
    pub steps: Vec<BatchStep>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct BatchStep {
    #[serde(default)]
    pub condition: Option<BatchCond>,
    pub stmt: Stmt,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BatchCond {
    Ok { step: u32 },
    Error { step: u32 },
    Not { cond: Box<BatchCond> },
    And { conds: Vec<BatchCond> },
    Or { conds: Vec<BatchCond> },
    IsAutocommit,
}

#[derive(Debug, Clone, Serialize)]
pub struct BatchResult {
    pub step_results: Vec<Option<StmtResult>>,
    pub step_errors: Vec<Option<Error>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DescribeResult {
    pub params: Vec<DescribeParam>,
    pub cols: Vec<DescribeCol>,
    pub is_explain: bool,
    pub is_readonly: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct DescribeParam {
    pub name: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DescribeCol {
    pub name: String,
    pub decltype: Option<String>,
}

/// One entry of a `v3/cursor` response, after its first line.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CursorEntry {
    StepBegin {
        step: u32,
        cols: Vec<Col>,
    },
    StepEnd {
        affected_row_count: u64,
        #[serde(serialize_with = "integer_as_string")]
        last_insert_rowid: Option<i64>,
    },
    StepError {
        step: u32,
        error: Error,
    },
    Row {
        row: Vec<HranaValue>,
    },
    Error {
        error: Error,
    },
}

/// A SQLite value in Hrana's encoding: `{"type": "integer", "value": "42"}` and so on.
#[derive(Debug, Clone, PartialEq)]
pub struct HranaValue(pub Value);

impl Serialize for HranaValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(2))?;
        match &self.0 {
            Value::Null => map.serialize_entry("type", "null")?,
            Value::Integer(i) => {
                map.serialize_entry("type", "integer")?;
                map.serialize_entry("value", &i.to_string())?;
            }
            Value::Real(f) => {
                map.serialize_entry("type", "float")?;
                map.serialize_entry("value", f)?;
            }
            Value::Text(t) => {
                map.serialize_entry("type", "text")?;
                map.serialize_entry("value", t)?;
            }
            Value::Blob(b) => {
                map.serialize_entry("type", "blob")?;
                map.serialize_entry("base64", &BASE64.encode(b))?;
            }
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for HranaValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(tag = "type", rename_all = "snake_case")]
        enum Wire {
            Null,
            Integer { value: IntegerText },
            Float { value: f64 },
            Text { value: String },
            Blob { base64: String },
        }
        /// The spec sends integers as strings; a bare JSON integer is taken too.
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum IntegerText {
            Text(String),
            Number(i64),
        }
        Ok(HranaValue(match Wire::deserialize(deserializer)? {
            Wire::Null => Value::Null,
            Wire::Integer {
                value: IntegerText::Number(i),
            } => Value::Integer(i),
            Wire::Integer {
                value: IntegerText::Text(text),
            } => Value::Integer(text.trim().parse().map_err(|_| {
                D::Error::custom(format!("integer value {text:?} is not a 64-bit integer"))
            })?),
            Wire::Float { value } => Value::Real(value),
            Wire::Text { value } => Value::Text(value),
            Wire::Blob { base64 } => Value::Blob(
                BASE64
                    .decode(base64.trim())
                    .map_err(|e| D::Error::custom(format!("blob is not valid base64: {e}")))?,
            ),
        }))
    }
}

fn integer_as_string<S: Serializer>(value: &Option<i64>, serializer: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(i) => serializer.serialize_str(&i.to_string()),
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(json: &str) -> String {
        let value: HranaValue = serde_json::from_str(json).expect("parses");
        serde_json::to_string(&value).expect("serializes")
    }

    #[test]
    fn values_use_the_specs_encoding() {
        assert_eq!(round_trip(r#"{"type":"null"}"#), r#"{"type":"null"}"#);
        assert_eq!(
            round_trip(r#"{"type":"integer","value":"-9223372036854775808"}"#),
            r#"{"type":"integer","value":"-9223372036854775808"}"#
        );
        assert_eq!(
            round_trip(r#"{"type":"integer","value":7}"#),
            r#"{"type":"integer","value":"7"}"#
        );
        assert_eq!(
            round_trip(r#"{"type":"float","value":1.5}"#),
            r#"{"type":"float","value":1.5}"#
        );
        assert_eq!(
            round_trip(r#"{"type":"text","value":"é"}"#),
            r#"{"type":"text","value":"é"}"#
        );
    }

    #[test]
    fn blobs_decode_with_or_without_padding() {
        for json in [
            r#"{"type":"blob","base64":"AAEC"}"#,
            r#"{"type":"blob","base64":"AAE="}"#,
            r#"{"type":"blob","base64":"AAE"}"#,
        ] {
            let value: HranaValue = serde_json::from_str(json).expect(json);
            assert!(matches!(value.0, Value::Blob(_)), "{json}");
        }
        assert_eq!(
            round_trip(r#"{"type":"blob","base64":"AAE="}"#),
            r#"{"type":"blob","base64":"AAE"}"#
        );
    }

    #[test]
    fn bad_values_are_rejected_with_a_reason() {
        for json in [
            r#"{"type":"integer","value":"12x"}"#,
            r#"{"type":"integer","value":"99999999999999999999"}"#,
            r#"{"type":"blob","base64":"!!"}"#,
            r#"{"type":"date","value":"x"}"#,
        ] {
            assert!(serde_json::from_str::<HranaValue>(json).is_err(), "{json}");
        }
    }

    #[test]
    fn unknown_request_types_parse_as_unknown() {
        let request: StreamRequest =
            serde_json::from_str(r#"{"type":"open_the_pod_bay_doors"}"#).expect("parses");
        assert!(matches!(request, StreamRequest::Unknown));
    }
}
