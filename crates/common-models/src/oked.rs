//! Codes of the general classifier of economic activities (OKED, ОКЭД), the
//! Kazakh edition of NACE: two digits for a division, up to five for a subclass.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An OKED activity code as digits only: `94.99.0` and `94990` are the same code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Oked(String);

/// Failure to parse an OKED code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OkedError {
    #[error("must contain only digits, dots and spaces")]
    NotDigits,
    #[error("must have 2 to 5 digits, found {0}")]
    Length(usize),
}

impl Oked {
    /// Parses a code written with or without the dots of the printed classifier.
    pub fn parse(input: &str) -> Result<Self, OkedError> {
        let mut digits = String::with_capacity(5);
        for c in input.trim().chars() {
            match c {
                '0'..='9' => digits.push(c),
                '.' | ' ' => {}
                _ => return Err(OkedError::NotDigits),
            }
        }
        if !(2..=5).contains(&digits.len()) {
            return Err(OkedError::Length(digits.len()));
        }
        Ok(Self(digits))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Oked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Oked {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Oked {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Oked::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dots_ignored() {
        assert_eq!(Oked::parse("94.99.0").unwrap().as_str(), "94990");
        assert_eq!(Oked::parse(" 88990 ").unwrap().as_str(), "88990");
    }

    #[test]
    fn division_accepted() {
        assert_eq!(Oked::parse("94").unwrap().as_str(), "94");
    }

    #[test]
    fn bad_codes_rejected() {
        assert_eq!(Oked::parse("9"), Err(OkedError::Length(1)));
        assert_eq!(Oked::parse("949901"), Err(OkedError::Length(6)));
        assert_eq!(Oked::parse("94-99"), Err(OkedError::NotDigits));
    }
}
