//! Types and rules of the registry; nothing here touches the database or HTTP.

pub mod campaign;
pub mod npo;
pub mod open_data;
pub mod project;
pub mod territory;

pub use service_kit::validate::{
    Errors, MAX_CODES, YEARS, multiline_text, parse_code, parse_codes, parse_date, text, web_url,
};
