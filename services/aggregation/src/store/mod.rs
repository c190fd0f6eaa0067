//! Diesel queries of the register of government bodies and officer appointments,
//! returning domain types.

pub mod analytics;
pub mod bodies;
pub mod officers;
pub mod records;

pub(crate) use service_kit::columns::{from_code, from_json, to_json, utc};
