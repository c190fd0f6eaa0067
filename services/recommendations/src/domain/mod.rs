//! Types and rules of recommendations and receptions; nothing here touches the
//! database or HTTP.

pub mod calls;
pub mod exchange;
pub mod reception;
pub mod recommendation;

pub use service_kit::validate::{Errors, multiline_text, parse_code, parse_date, present, text};
