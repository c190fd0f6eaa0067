//! Input checks every service shares: a collector of invalid fields, catalogue codes,
//! strict dates, one-line and multi-line text, e-mail addresses, phone numbers and web
//! addresses.

use std::fmt::Display;

use crate::FieldError;
use chrono::NaiveDate;
use common_models::Catalogue;

/// Invalid fields listed in one problem at most.
const MAX_ERRORS: usize = 100;

/// Maximum number of catalogue codes a list field accepts.
pub const MAX_CODES: usize = 100;

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

    /// Returns whether an error was recorded for `pointer`.
    pub fn has(&self, pointer: &str) -> bool {
        self.0.iter().any(|e| e.pointer == pointer)
    }

    /// Turns the collected errors into a 422 problem, or `Ok` when there are none. At
    /// most `MAX_ERRORS` are listed, so a large invalid body cannot produce a larger response.
    pub fn into_result(mut self) -> Result<(), crate::ApiError> {
        if self.0.is_empty() {
            return Ok(());
        }
        if self.0.len() > MAX_ERRORS {
            let more = self.0.len() - MAX_ERRORS;
            self.0.truncate(MAX_ERRORS);
            self.0.push(FieldError::new(
                "/",
                format!("{more} more invalid fields are not listed"),
            ));
        }
        Err(crate::ApiError::invalid(self.0))
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
    if codes.len() > MAX_CODES {
        errors.add(pointer, format!("at most {MAX_CODES} codes"));
        return Vec::new();
    }
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

/// Records that the field at `pointer` is required when `raw` is blank, as when the
/// request left it out; returns the trimmed value otherwise.
pub fn present<'a>(errors: &mut Errors, pointer: &str, raw: &'a str) -> Option<&'a str> {
    let value = raw.trim();
    if value.is_empty() {
        errors.add(pointer, "is required");
        return None;
    }
    Some(value)
}

/// Earliest and latest years a date of the platform may have.
pub const YEARS: std::ops::RangeInclusive<i32> = 1900..=2100;

/// Parses an ISO 8601 calendar date written exactly as `YYYY-MM-DD`, in the years the
/// platform deals with.
pub fn parse_date(raw: &str) -> Result<NaiveDate, String> {
    let invalid = || format!("'{raw}' is not a date in the form YYYY-MM-DD");
    let value = raw.trim();
    let shaped = value.len() == 10
        && value.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    if !shaped {
        return Err(invalid());
    }
    let date = NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| invalid())?;
    if !YEARS.contains(&chrono::Datelike::year(&date)) {
        return Err(format!(
            "'{raw}' is outside the years {} to {}",
            YEARS.start(),
            YEARS.end()
        ));
    }
    Ok(date)
}

/// Trims a free-text value and checks its length in characters; empty becomes `None`.
pub fn text(raw: Option<&str>, max: usize) -> Result<Option<String>, String> {
    let value = multiline_text(raw, max)?;
    if value.as_deref().is_some_and(|v| v.contains(['\n', '\t'])) {
        return Err("must be one line, without tabs".into());
    }
    Ok(value)
}

/// Like [`text`], but line breaks and tabs are allowed, as in notes.
pub fn multiline_text(raw: Option<&str>, max: usize) -> Result<Option<String>, String> {
    let Some(value) = raw.map(str::trim).filter(|v| v.chars().any(is_visible)) else {
        return Ok(None);
    };
    if value.chars().any(is_bidi_control) {
        return Err("must not contain bidirectional override characters".into());
    }
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

/// Returns whether a character shows: not whitespace, not a Unicode default-ignorable code
/// point (zero-width, joiners, variation selectors, invisible operators), and not a
/// blank filler such as the Hangul filler or the blank Braille pattern. Text made only
/// of invisible characters counts as empty.
fn is_visible(c: char) -> bool {
    !c.is_whitespace()
        && !matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{061C}'
                | '\u{115F}'..='\u{1160}'
                | '\u{17B4}'..='\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}'
                | '\u{2800}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{FFF0}'..='\u{FFF8}'
                | '\u{1BCA0}'..='\u{1BCA3}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0000}'..='\u{E0FFF}'
        )
}

/// Characters that reorder the display of text and can disguise a name.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Checks that a value is an absolute http or https URL.
pub fn web_url(raw: &str) -> Result<String, String> {
    let value = text(Some(raw), 500)?.ok_or("must not be empty")?;
    let lower = value.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .ok_or("must be an http:// or https:// address")?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.contains('@') {
        return Err("must not contain a user name or password".into());
    }
    if host.is_empty() || host.starts_with(':') || value.contains(char::is_whitespace) {
        return Err("must be an http:// or https:// address with a host".into());
    }
    Ok(value)
}

/// Checks an optional e-mail address of at most 254 characters, the limit of RFC 5321:
/// a local part, `@`, and a domain of two or more dot-separated labels, with no spaces.
pub fn email(raw: Option<&str>) -> Result<Option<String>, String> {
    let Some(value) = text(raw, 254)? else {
        return Ok(None);
    };
    let valid = value.split_once('@').is_some_and(|(local, domain)| {
        let labels: Vec<&str> = domain.split('.').collect();
        !local.is_empty()
            && labels.len() >= 2
            && labels
                .iter()
                .all(|label| !label.is_empty() && !label.contains('@'))
    }) && !value.contains(char::is_whitespace);
    if valid {
        Ok(Some(value))
    } else {
        Err(format!(
            "'{value}' is not an e-mail address such as name@example.kz"
        ))
    }
}

/// Minimum and maximum number of digits of a phone number. ITU-T E.164 allows at most 15.
const PHONE_DIGITS: std::ops::RangeInclusive<usize> = 5..=15;

/// Checks an optional phone number of at most 50 characters: digits, with an optional
/// leading `+` and spaces, hyphens and brackets between them, 5 to 15 digits in all.
pub fn phone(raw: Option<&str>) -> Result<Option<String>, String> {
    let Some(value) = text(raw, 50)? else {
        return Ok(None);
    };
    let digits = value.chars().filter(char::is_ascii_digit).count();
    let shaped = value
        .strip_prefix('+')
        .unwrap_or(&value)
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '(' | ')'));
    if shaped && PHONE_DIGITS.contains(&digits) {
        Ok(Some(value))
    } else {
        Err(format!(
            "'{value}' is not a phone number: use {} to {} digits with an optional leading '+', \
             spaces, hyphens and brackets, such as +7 7102 12-34-56",
            PHONE_DIGITS.start(),
            PHONE_DIGITS.end()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_strict() {
        assert!(parse_date("2003-12-15").is_ok());
        assert!(parse_date("2020-1-1").is_err());
        assert!(parse_date("2023-02-30").is_err());
        assert!(parse_date("-4714-01-01").is_err());
        assert!(parse_date("0001-01-01").is_err());
    }

    #[test]
    fn names_are_one_line() {
        assert!(text(Some("Фонд\nпомощи"), 50).is_err());
        assert_eq!(
            multiline_text(Some("строка\nстрока"), 50),
            Ok(Some("строка\nстрока".into()))
        );
    }

    #[test]
    fn invisible_text_is_empty() {
        for blank in [
            "\u{200E}\u{200F}",
            "\u{3164}",
            "\u{2800}",
            "\u{FE0F}\u{034F}",
            "\u{1D173}",
        ] {
            assert_eq!(text(Some(blank), 10), Ok(None), "{blank:?}");
        }
        assert_eq!(text(Some("\u{200B}\u{FEFF} "), 10), Ok(None));
        assert!(text(Some("abc\u{202E}def"), 10).is_err());
        assert_eq!(text(Some(" Қор "), 10), Ok(Some("Қор".into())));
    }

    #[test]
    fn emails_need_domain() {
        assert_eq!(
            email(Some(" info@example.kz ")),
            Ok(Some("info@example.kz".into()))
        );
        assert_eq!(email(Some(" ")), Ok(None));
        for invalid in [
            "info",
            "@example.kz",
            "info@kz",
            "info@example..kz",
            "a b@example.kz",
        ] {
            assert!(email(Some(invalid)).is_err(), "{invalid}");
        }
    }

    #[test]
    fn phones_are_digits() {
        assert!(phone(Some("+77102123456")).is_ok());
        assert!(phone(Some("8 (7102) 12-34-56")).is_ok());
        for invalid in [
            "1234",
            "+7 710 212 34 56 78 901",
            "7102-ext-12",
            "++77102123456",
        ] {
            assert!(phone(Some(invalid)).is_err(), "{invalid}");
        }
    }

    #[test]
    fn urls_need_host() {
        assert!(web_url("https://example.kz/a").is_ok());
        assert!(web_url("https://@").is_err());
        assert!(web_url("https://user:secret@example.kz/").is_err());
        assert!(web_url("https://?x").is_err());
        assert!(web_url("ftp://example.kz").is_err());
    }
}
