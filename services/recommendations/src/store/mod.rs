//! Diesel queries of recommendations, receptions, exchanges between officers, the
//! register of experts and the correspondence register, returning domain types.

pub mod calls;
pub mod correspondence;
pub mod exchanges;
pub mod experts;
pub mod officers;
pub mod receptions;
pub mod recommendations;

pub(crate) use service_kit::columns::{from_code, from_json, to_json, utc};
