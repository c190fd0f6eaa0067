//! Diesel queries of the registry, returning domain types.

pub mod campaigns;
pub mod imports;
pub mod npos;
pub mod projects;
pub mod search;
pub mod territories;

use chrono::{DateTime, NaiveDateTime, Utc};
use common_models::Catalogue;
use serde::Serialize;
use serde::de::DeserializeOwned;
use service_kit::StoreError;

pub(crate) fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Query(e.into()))
}

pub(crate) fn from_json<T: DeserializeOwned>(column: &str, raw: &str) -> Result<T, StoreError> {
    serde_json::from_str(raw)
        .map_err(|e| StoreError::Query(anyhow::anyhow!("stored {column} is not valid: {e}")))
}

pub(crate) fn from_code<C: Catalogue>(raw: &str) -> Result<C, StoreError> {
    C::from_code(raw).ok_or_else(|| {
        StoreError::Query(anyhow::anyhow!(
            "stored {} code '{raw}' is unknown",
            C::NAME
        ))
    })
}

pub(crate) fn utc(at: NaiveDateTime) -> DateTime<Utc> {
    DateTime::from_naive_utc_and_offset(at, Utc)
}

/// Escapes `%`, `_` and `\` so user text matches literally inside a LIKE pattern.
pub(crate) fn like_contains(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}
