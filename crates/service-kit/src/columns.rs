//! Conversions between stored columns and domain values that every service's store
//! needs: JSON in TEXT columns, catalogue codes and UTC timestamps.

use chrono::{DateTime, NaiveDateTime, Utc};
use common_models::Catalogue;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::db::StoreError;

/// Serialises a value for a JSON TEXT column.
pub fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Query(e.into()))
}

/// Reads a JSON TEXT column, naming the column when the stored value is invalid.
pub fn from_json<T: DeserializeOwned>(column: &str, raw: &str) -> Result<T, StoreError> {
    serde_json::from_str(raw).map_err(|e| {
        StoreError::Query(anyhow::anyhow!(
            "stored {column} is not valid: {}",
            crate::telemetry::describe_json_error(&e)
        ))
    })
}

/// Reads a stored catalogue code.
pub fn from_code<C: Catalogue>(raw: &str) -> Result<C, StoreError> {
    C::from_code(raw).ok_or_else(|| {
        StoreError::Query(anyhow::anyhow!(
            "stored {} code '{raw}' is unknown",
            C::NAME
        ))
    })
}

/// Reads a TIMESTAMP column, which stores UTC.
pub fn utc(at: NaiveDateTime) -> DateTime<Utc> {
    DateTime::from_naive_utc_and_offset(at, Utc)
}
