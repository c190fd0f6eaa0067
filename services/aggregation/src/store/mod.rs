//! Diesel queries of the register of government bodies, officer appointments and
//! profiles, the ministry's requests for express information and the schedule of
//! meetings of the bodies' heads with NPOs, returning domain types.

pub mod analytics;
pub mod bodies;
pub mod changes;
pub mod head_meetings;
pub mod information_requests;
pub mod officers;
pub mod profiles;
pub mod records;
pub mod reports;

pub(crate) use service_kit::columns::{from_code, from_json, to_json, utc};
