//! Diesel queries of recommendations and receptions, returning domain types.

pub mod calls;
pub mod exchanges;
pub mod receptions;
pub mod recommendations;

pub(crate) use service_kit::columns::{from_code, from_json, to_json, utc};
