//! SQLite values on the wire. JSON numbers, strings, booleans and null map to SQLite directly;
//! blobs travel as `{"base64": "..."}`; `{"integer": "<decimal>"}` carries 64-bit integers that a
//! JavaScript number would round (the lossless mode emits them that way).

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use serde::de::{self, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Largest integer a IEEE-754 double (a JavaScript number) represents exactly.
pub const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

/// One SQLite value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl Value {
    /// This value as JSON, as the API sends it; `lossless` protects unsafe integers.
    pub fn to_json(&self, lossless: bool) -> serde_json::Value {
        use serde_json::{Value as J, json};
        match self {
            Value::Null => J::Null,
            Value::Integer(i)
                if lossless && !(-MAX_SAFE_INTEGER..=MAX_SAFE_INTEGER).contains(i) =>
            {
                json!({ "integer": i.to_string() })
            }
            Value::Integer(i) => J::from(*i),
            Value::Real(f) if f.is_finite() => J::from(*f),
            Value::Real(f) => json!({ "real": if *f > 0.0 { "Infinity" } else { "-Infinity" } }),
            Value::Text(t) => J::String(t.clone()),
            Value::Blob(b) => json!({ "base64": STANDARD.encode(b) }),
        }
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Integer(v)
    }
}

impl From<i32> for Value {
    fn from(v: i32) -> Self {
        Value::Integer(i64::from(v))
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Integer(i64::from(v))
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}

impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::Blob(v)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_owned())
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Real(v)
    }
}

fn serialize_value<S: Serializer>(value: &Value, lossless: bool, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Value::Null => s.serialize_unit(),
        Value::Integer(i) if lossless && !(-MAX_SAFE_INTEGER..=MAX_SAFE_INTEGER).contains(i) => {
            let mut map = s.serialize_map(Some(1))?;
            map.serialize_entry("integer", &i.to_string())?;
            map.end()
        }
        Value::Integer(i) => s.serialize_i64(*i),
        Value::Real(f) if f.is_finite() => s.serialize_f64(*f),
        // JSON has no infinities; SQLite stores them (NaN becomes NULL inside SQLite).
        Value::Real(f) => {
            let mut map = s.serialize_map(Some(1))?;
            map.serialize_entry("real", if *f > 0.0 { "Infinity" } else { "-Infinity" })?;
            map.end()
        }
        Value::Text(t) => s.serialize_str(t),
        Value::Blob(b) => {
            let mut map = s.serialize_map(Some(1))?;
            map.serialize_entry("base64", &STANDARD.encode(b))?;
            map.end()
        }
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize_value(self, false, s)
    }
}

/// Serializes a value in lossless mode: integers outside ±(2^53-1) become
/// `{"integer": "<decimal>"}` so that JavaScript clients do not round them.
#[derive(Debug, Clone, Copy)]
pub struct Lossless<'a>(pub &'a Value);

impl Serialize for Lossless<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize_value(self.0, true, s)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "a JSON number, string, boolean, null, {\"base64\": \"...\"}, {\"integer\": \"<decimal>\"} or {\"real\": <number>}",
        )
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Integer(i64::from(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Integer(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        i64::try_from(v)
            .map(Value::Integer)
            .map_err(|_| E::custom(format!("integer {v} does not fit in 64 signed bits")))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Real(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Text(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::Text(v))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let Some(key) = map.next_key::<String>()? else {
            return Err(de::Error::custom(
                "an empty object is not a value; use {\"base64\": ...}, {\"integer\": ...} or {\"real\": ...}",
            ));
        };
        let value = match key.as_str() {
            "base64" => {
                let text: String = map.next_value()?;
                let bytes = STANDARD
                    .decode(text.as_bytes())
                    .or_else(|_| STANDARD_NO_PAD.decode(text.as_bytes()))
                    .map_err(|e| de::Error::custom(format!("invalid base64 in blob: {e}")))?;
                Value::Blob(bytes)
            }
            "integer" => {
                let text: IntegerText = map.next_value()?;
                Value::Integer(text.0)
            }
            "real" => {
                let real: RealText = map.next_value()?;
                Value::Real(real.0)
            }
            other => {
                return Err(de::Error::custom(format!(
                    "unknown value object key {other:?}; expected \"base64\", \"integer\" or \"real\""
                )));
            }
        };
        if map.next_key::<String>()?.is_some() {
            return Err(de::Error::custom("a value object has exactly one key"));
        }
        Ok(value)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, _seq: A) -> Result<Value, A::Error> {
        Err(de::Error::custom(
            "arrays are not SQLite values; encode them as JSON text or a blob",
        ))
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

/// `"123"` or `123` inside `{"integer": ...}`.
struct IntegerText(i64);

impl<'de> Deserialize<'de> for IntegerText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(deserializer)? {
            serde_json::Value::String(s) => s
                .trim()
                .parse()
                .map(IntegerText)
                .map_err(|_| de::Error::custom(format!("{s:?} is not a 64-bit signed integer"))),
            serde_json::Value::Number(n) => n
                .as_i64()
                .map(IntegerText)
                .ok_or_else(|| de::Error::custom(format!("{n} is not a 64-bit signed integer"))),
            other => Err(de::Error::custom(format!(
                "{{\"integer\": ...}} takes a decimal string, not {other}"
            ))),
        }
    }
}

/// A number, or "Infinity" / "-Infinity", inside `{"real": ...}`.
struct RealText(f64);

impl<'de> Deserialize<'de> for RealText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(deserializer)? {
            serde_json::Value::Number(n) => n
                .as_f64()
                .map(RealText)
                .ok_or_else(|| de::Error::custom("not a number")),
            serde_json::Value::String(s) => match s.as_str() {
                "Infinity" | "inf" => Ok(RealText(f64::INFINITY)),
                "-Infinity" | "-inf" => Ok(RealText(f64::NEG_INFINITY)),
                _ => s
                    .parse()
                    .map(RealText)
                    .map_err(|_| de::Error::custom(format!("{s:?} is not a real number"))),
            },
            other => Err(de::Error::custom(format!(
                "{{\"real\": ...}} takes a number, not {other}"
            ))),
        }
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Value {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
        let tagged = |key: &str, ty: Type, doc: &str| {
            ObjectBuilder::new()
                .property(key, ObjectBuilder::new().schema_type(ty))
                .required(key)
                .description(Some(doc))
        };
        OneOfBuilder::new()
            .item(ObjectBuilder::new().schema_type(Type::Null))
            .item(ObjectBuilder::new().schema_type(Type::Integer).format(Some(
                utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::Int64),
            )))
            .item(ObjectBuilder::new().schema_type(Type::Number))
            .item(ObjectBuilder::new().schema_type(Type::String))
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Boolean)
                    .description(Some("stored as 0 or 1")),
            )
            .item(tagged(
                "base64",
                Type::String,
                "a blob, base64 with or without padding",
            ))
            .item(tagged(
                "integer",
                Type::String,
                "a 64-bit integer as a decimal string (lossless)",
            ))
            .item(tagged(
                "real",
                Type::String,
                "\"Infinity\" or \"-Infinity\"",
            ))
            .description(Some("An SQLite value"))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Value {}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Value {
        serde_json::from_str(json).expect("valid value")
    }

    #[test]
    fn plain_json_maps_to_sqlite_classes() {
        assert_eq!(parse("null"), Value::Null);
        assert_eq!(parse("true"), Value::Integer(1));
        assert_eq!(parse("-7"), Value::Integer(-7));
        assert_eq!(parse("9223372036854775807"), Value::Integer(i64::MAX));
        assert_eq!(parse("1.5"), Value::Real(1.5));
        assert_eq!(parse("\"hi\""), Value::Text("hi".into()));
    }

    #[test]
    fn tagged_objects_decode_blobs_big_integers_and_infinities() {
        assert_eq!(parse(r#"{"base64":"AAEC"}"#), Value::Blob(vec![0, 1, 2]));
        assert_eq!(parse(r#"{"base64":"AAE"}"#), Value::Blob(vec![0, 1]));
        assert_eq!(
            parse(r#"{"integer":"9007199254740993"}"#),
            Value::Integer(9_007_199_254_740_993)
        );
        assert_eq!(
            parse(r#"{"real":"-Infinity"}"#),
            Value::Real(f64::NEG_INFINITY)
        );
    }

    #[test]
    fn rejects_what_is_not_a_value() {
        for bad in [
            "[1]",
            "{}",
            r#"{"base64":"!!"}"#,
            r#"{"integer":"1e3"}"#,
            r#"{"x":1}"#,
            "18446744073709551615",
        ] {
            assert!(
                serde_json::from_str::<Value>(bad).is_err(),
                "{bad} should be rejected"
            );
        }
    }

    #[test]
    fn lossless_mode_protects_only_unsafe_integers() {
        let big = Value::Integer(9_007_199_254_740_993);
        let small = Value::Integer(42);
        assert_eq!(
            serde_json::to_string(&Lossless(&big)).unwrap_or_default(),
            r#"{"integer":"9007199254740993"}"#
        );
        assert_eq!(
            serde_json::to_string(&Lossless(&small)).unwrap_or_default(),
            "42"
        );
        assert_eq!(
            serde_json::to_string(&big).unwrap_or_default(),
            "9007199254740993"
        );
    }

    #[test]
    fn to_json_matches_serialization() {
        for v in [
            Value::Null,
            Value::Integer(i64::MAX),
            Value::Real(2.5),
            Value::Real(f64::NEG_INFINITY),
            Value::Text("t".into()),
            Value::Blob(vec![1, 2]),
        ] {
            for lossless in [false, true] {
                let direct = v.to_json(lossless);
                let serialized = if lossless {
                    serde_json::to_value(Lossless(&v))
                } else {
                    serde_json::to_value(&v)
                };
                assert_eq!(Some(direct), serialized.ok());
            }
        }
    }

    #[test]
    fn every_value_round_trips() {
        for v in [
            Value::Null,
            Value::Integer(i64::MIN),
            Value::Integer(i64::MAX),
            Value::Real(0.1),
            Value::Real(f64::INFINITY),
            Value::Text("ünïcode ✓".into()),
            Value::Blob((0..=255).collect()),
        ] {
            for json in [
                serde_json::to_string(&v).unwrap_or_default(),
                serde_json::to_string(&Lossless(&v)).unwrap_or_default(),
            ] {
                assert_eq!(parse(&json), v, "round trip of {json}");
            }
        }
    }
}
