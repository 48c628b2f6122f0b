//! The validated database name: the only way a user string may become part of a file path.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

/// Longest accepted database name, in bytes (all accepted characters are ASCII).
pub const MAX_NAME_LEN: usize = 64;

/// A database name: 1-64 characters of `a-z`, `0-9`, `-` and `_`, starting with a letter or
/// a digit. Constructing one is the validation, so a `DatabaseName` is always safe to use as a
/// file stem inside the data directory.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct DatabaseName(String);

/// Why a string is not a valid database name; the message says what to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidDatabaseName(pub String);

impl fmt::Display for InvalidDatabaseName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InvalidDatabaseName {}

impl DatabaseName {
    pub fn parse(raw: &str) -> Result<Self, InvalidDatabaseName> {
        let rule = "database names are 1-64 characters of a-z, 0-9, '-' and '_', starting with a letter or digit";
        if raw.is_empty() {
            return Err(InvalidDatabaseName(format!(
                "the database name is empty; {rule}"
            )));
        }
        if raw.len() > MAX_NAME_LEN {
            return Err(InvalidDatabaseName(format!(
                "the database name is {} bytes long; {rule}",
                raw.len()
            )));
        }
        if let Some(bad) = raw
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-' || *c == '_'))
        {
            return Err(InvalidDatabaseName(format!(
                "the database name contains {bad:?}; {rule}"
            )));
        }
        if !raw.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return Err(InvalidDatabaseName(format!(
                "the database name starts with {:?}; {rule}",
                &raw[..1]
            )));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DatabaseName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for DatabaseName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl TryFrom<&str> for DatabaseName {
    type Error = InvalidDatabaseName;
    fn try_from(raw: &str) -> Result<Self, Self::Error> {
        Self::parse(raw)
    }
}

impl<'de> Deserialize<'de> for DatabaseName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for DatabaseName {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some("^[a-z0-9][a-z0-9_-]{0,63}$"))
            .examples([serde_json::json!("orders-test")])
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for DatabaseName {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_documented_alphabet() {
        for ok in ["a", "0", "orders", "my-db_2", "9lives", &"x".repeat(64)] {
            assert!(DatabaseName::parse(ok).is_ok(), "{ok} should be valid");
        }
    }

    #[test]
    fn rejects_paths_case_unicode_and_length() {
        let too_long = "x".repeat(65);
        for bad in [
            "", "..", ".", "a/b", "a\\b", "%2F", "a\0b", "Upper", "-lead", "_lead", "a.db",
            "а", // Cyrillic a
            "ｏrders", "a b", &too_long,
        ] {
            assert!(
                DatabaseName::parse(bad).is_err(),
                "{bad:?} should be rejected"
            );
        }
    }

    #[test]
    fn deserializing_validates() {
        assert!(serde_json::from_str::<DatabaseName>("\"ok-name\"").is_ok());
        assert!(serde_json::from_str::<DatabaseName>("\"../etc\"").is_err());
    }
}
