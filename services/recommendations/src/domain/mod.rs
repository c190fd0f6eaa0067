//! Types and rules of recommendations, receptions, exchanges between officers and the
//! register of experts. Nothing here touches the database or HTTP.

pub mod exchange;
pub mod experts;
pub mod reception;
pub mod recommendation;

pub use service_kit::validate::{Errors, multiline_text, parse_code, parse_date, present, text};
