//! Types and rules of joint planning and joint actions; nothing here touches the
//! database or HTTP.

pub mod action;
pub mod memorandum;
pub mod monitoring;
pub mod planning;

pub use service_kit::validate::{
    Errors, multiline_text, parse_code, parse_codes, parse_date, present, text,
};
