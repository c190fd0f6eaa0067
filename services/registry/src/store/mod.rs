//! Diesel queries of the registry, returning domain types.

pub mod campaigns;
pub mod imports;
pub mod npos;
pub mod projects;
pub mod search;
pub mod territories;

pub(crate) use service_kit::columns::{from_code, from_json, to_json, utc};

/// Escapes `%`, `_` and `\` so user text matches literally inside a LIKE pattern.
pub(crate) fn like_contains(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}
