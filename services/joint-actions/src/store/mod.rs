//! Diesel queries of joint planning and joint actions, returning domain types.

pub mod actions;
pub mod memoranda;
pub mod monitoring;
pub mod planning;

pub(crate) use service_kit::columns::{from_code, from_json, to_json, utc};
