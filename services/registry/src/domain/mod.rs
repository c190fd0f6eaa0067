//! Types and rules of the registry; nothing here touches the database or HTTP.

pub mod campaign;
pub mod npo;
pub mod project;
pub mod territory;

use std::fmt::Display;

use chrono::NaiveDate;
use common_models::Catalogue;
use service_kit::FieldError;

/// Collects every invalid field of a request, so one response lists them all.
#[derive(Debug, Default)]
pub struct Errors(Vec<FieldError>);

impl Errors {
    /// Records `message` for the field at `pointer`.
    pub fn add(&mut self, pointer: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(pointer, message));
    }

    /// Keeps the value of `result`, or records its error for `pointer`.
    pub fn check<T, E: Display>(
        &mut self,
        pointer: impl Into<String>,
        result: Result<T, E>,
    ) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.add(pointer, error.to_string());
                None
            }
        }
    }

    /// Returns whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Turns the collected errors into a 422 problem, or `Ok` when there are none.
    pub fn into_result(self) -> Result<(), service_kit::ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(service_kit::ApiError::invalid(self.0))
        }
    }
}

/// Parses a catalogue code, naming the catalogue in the error.
pub fn parse_code<C: Catalogue>(code: &str) -> Result<C, String> {
    C::from_code(code).ok_or_else(|| {
        let known: Vec<&str> = C::all().iter().map(|c| c.code()).collect();
        if known.len() <= 12 {
            format!(
                "unknown code '{code}'; expected one of {}",
                known.join(", ")
            )
        } else {
            format!(
                "unknown code '{code}'; the {} catalogue lists the valid codes",
                C::NAME
            )
        }
    })
}

/// Parses a list of catalogue codes, recording each invalid one and dropping repeats.
pub fn parse_codes<C: Catalogue + PartialEq>(
    errors: &mut Errors,
    pointer: &str,
    codes: &[String],
) -> Vec<C> {
    let mut parsed = Vec::new();
    for (index, code) in codes.iter().enumerate() {
        if let Some(value) = errors.check(format!("{pointer}/{index}"), parse_code::<C>(code))
            && !parsed.contains(&value)
        {
            parsed.push(value);
        }
    }
    parsed
}

/// Parses an ISO 8601 calendar date (`YYYY-MM-DD`).
pub fn parse_date(raw: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| format!("'{raw}' is not a date in the form YYYY-MM-DD"))
}

/// Trims a free-text value and checks its length in characters; empty becomes `None`.
pub fn text(raw: Option<&str>, max: usize) -> Result<Option<String>, String> {
    let Some(value) = raw.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let length = value.chars().count();
    if length > max {
        return Err(format!("must be at most {max} characters, found {length}"));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err("must not contain control characters".into());
    }
    Ok(Some(value.to_owned()))
}

/// Checks that a value is an absolute http or https URL.
pub fn web_url(raw: &str) -> Result<String, String> {
    let value = text(Some(raw), 500)?.ok_or("must not be empty")?;
    let lower = value.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .ok_or("must be an http:// or https:// address")?;
    if rest.is_empty() || rest.starts_with('/') || value.contains(char::is_whitespace) {
        return Err("must be an http:// or https:// address with a host".into());
    }
    Ok(value)
}
