//! Business identification number (BIN) of a legal entity in Kazakhstan.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use utoipa::openapi::{RefOr, schema::Schema};
use utoipa::{PartialSchema, ToSchema};

use crate::schema::digit_string_schema;

/// Number of digits in a BIN.
const BIN_LENGTH: usize = 12;

/// Weights of the first check-digit pass over digits 1 to 11.
const FIRST_WEIGHTS: [u32; 11] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];

/// Weights of the second pass, used when the first pass gives 10.
const SECOND_WEIGHTS: [u32; 11] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2];

/// Kazakhstan business identification number: 12 ASCII digits with a valid
/// structure and check digit.
///
/// Digit layout, 1-based:
/// - 1-2: year of registration, not checked;
/// - 3-4: month of registration, 01 to 12;
/// - 5: legal entity type, 4 resident, 5 non-resident or 6 individual
///   entrepreneurs in joint business;
/// - 6: unit kind, 0 head office, 1 branch, 2 representative office or
///   3 peasant farm;
/// - 7-11: serial number;
/// - 12: check digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Bin(String);

/// Reason a string is not a valid BIN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BinError {
    /// The input is empty or contains only whitespace.
    #[error("BIN is empty, enter the 12-digit business identification number")]
    Empty,
    /// The input does not have 12 digits once whitespace is removed.
    #[error("BIN must have 12 digits, found {found}")]
    Length {
        /// Number of characters found after removing whitespace.
        found: usize,
    },
    /// The input contains a character other than an ASCII digit or whitespace.
    #[error("BIN must contain only the digits 0 to 9")]
    NotDigits,
    /// Digits 3 and 4 are not a month from 01 to 12.
    #[error("BIN digits 3 and 4 must be a registration month from 01 to 12, found {month}")]
    Month {
        /// Digits 3 and 4 as found.
        month: String,
    },
    /// The fifth digit is not a legal entity type.
    #[error("fifth digit of the BIN (legal entity type) must be 4, 5 or 6, found {digit}")]
    EntityType {
        /// The fifth digit as found.
        digit: char,
    },
    /// The sixth digit is not a unit kind.
    #[error("sixth digit of the BIN must be 0 to 3, found {digit}")]
    EntityKind {
        /// The sixth digit as found.
        digit: char,
    },
    /// No check digit exists for the first 11 digits, so no BIN starts with them.
    #[error(
        "BIN is invalid because no check digit exists for this prefix: both weight sets give 10"
    )]
    NoCheckDigit,
    /// The twelfth digit does not match the check digit of the first 11.
    #[error(
        "BIN check digit does not match, expected {expected}, found {found}. Check the number for typing errors"
    )]
    CheckDigit {
        /// Check digit computed from the first 11 digits.
        expected: u8,
        /// Twelfth digit of the input.
        found: u8,
    },
}

/// Computes the BIN check digit of the first 11 digits, each a value from 0 to 9.
///
/// Returns `None` when both weight sets give a remainder of 10, because then no
/// BIN starts with these digits.
pub fn check_digit(first11: &[u8; 11]) -> Option<u8> {
    for weights in [FIRST_WEIGHTS, SECOND_WEIGHTS] {
        let sum: u32 = first11
            .iter()
            .zip(weights)
            .map(|(&digit, weight)| u32::from(digit) * weight)
            .sum();
        let remainder = sum % 11;
        if remainder != 10 {
            // The remainder is below 10 here, so it fits in a u8.
            return Some(remainder as u8);
        }
    }
    None
}

impl Bin {
    /// Parses a BIN after trimming it and removing every whitespace character
    /// inside it, so "9401 4000 0385" gives "940140000385".
    ///
    /// Checks run in this order: empty, digits, length, month, legal entity
    /// type, unit kind, check digit.
    pub fn parse(input: &str) -> Result<Bin, BinError> {
        let compact: String = input.chars().filter(|c| !c.is_whitespace()).collect();
        if compact.is_empty() {
            return Err(BinError::Empty);
        }
        if !compact.chars().all(|c| c.is_ascii_digit()) {
            return Err(BinError::NotDigits);
        }
        // All characters are ASCII digits, so bytes and characters coincide.
        if compact.len() != BIN_LENGTH {
            return Err(BinError::Length {
                found: compact.len(),
            });
        }

        let digits: Vec<u8> = compact.bytes().map(|b| b - b'0').collect();

        let month = digits[2] * 10 + digits[3];
        if !(1..=12).contains(&month) {
            return Err(BinError::Month {
                month: compact[2..4].to_owned(),
            });
        }
        if !(4..=6).contains(&digits[4]) {
            return Err(BinError::EntityType {
                digit: char::from(compact.as_bytes()[4]),
            });
        }
        if digits[5] > 3 {
            return Err(BinError::EntityKind {
                digit: char::from(compact.as_bytes()[5]),
            });
        }

        let mut first11 = [0u8; 11];
        first11.copy_from_slice(&digits[..11]);
        let expected = check_digit(&first11).ok_or(BinError::NoCheckDigit)?;
        let found = digits[11];
        if expected != found {
            return Err(BinError::CheckDigit { expected, found });
        }

        Ok(Bin(compact))
    }

    /// Returns the 12 digits without whitespace.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Bin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Bin {
    type Err = BinError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Bin::parse(s)
    }
}

impl AsRef<str> for Bin {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Serialize for Bin {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Bin {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Bin::parse(&raw).map_err(serde::de::Error::custom)
    }
}

impl PartialSchema for Bin {
    fn schema() -> RefOr<Schema> {
        digit_string_schema(
            BIN_LENGTH,
            "940140000385",
            "Business identification number (BIN) of a legal entity in Kazakhstan, 12 digits.",
        )
    }
}

impl ToSchema for Bin {}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &[(&str, &str)] = &[
        ("940140000385", "940140000385"),
        ("171140900016", "171140900016"),
        // The first weight set gives 10, so the second one decides.
        ("011140001654", "011140001654"),
        ("960240007379", "960240007379"),
        (" 940140000385 ", "940140000385"),
        ("9401 4000 0385", "940140000385"),
    ];

    #[test]
    fn parse_accepts_valid_bins() {
        for &(input, expected) in VALID {
            let bin = Bin::parse(input)
                .unwrap_or_else(|error| panic!("{input:?} should parse, got {error}"));
            assert_eq!(bin.as_str(), expected, "input {input:?}");
        }
    }

    #[test]
    fn parse_rejects_invalid_bins() {
        let cases: &[(&str, BinError)] = &[
            (
                "940140000386",
                BinError::CheckDigit {
                    expected: 5,
                    found: 6,
                },
            ),
            (
                "011140001650",
                BinError::CheckDigit {
                    expected: 4,
                    found: 0,
                },
            ),
            ("94014000038", BinError::Length { found: 11 }),
            ("9401400003850", BinError::Length { found: 13 }),
            ("12345678901X", BinError::NotDigits),
            (
                "000000000000",
                BinError::Month {
                    month: "00".to_owned(),
                },
            ),
            (
                "991340000017",
                BinError::Month {
                    month: "13".to_owned(),
                },
            ),
            ("990170000010", BinError::EntityType { digit: '7' }),
            ("990149000016", BinError::EntityKind { digit: '9' }),
            ("230140000010", BinError::NoCheckDigit),
        ];
        for (input, expected) in cases {
            assert_eq!(Bin::parse(input).as_ref(), Err(expected), "input {input:?}");
        }
    }

    #[test]
    fn parse_rejects_empty_input() {
        assert_eq!(Bin::parse(""), Err(BinError::Empty));
        assert_eq!(Bin::parse(" \t\n"), Err(BinError::Empty));
    }

    #[test]
    fn parse_rejects_non_ascii_digits() {
        // Arabic-Indic digits are Unicode digits but not ASCII digits.
        assert_eq!(Bin::parse("٩٤٠١٤٠٠٠٠٣٨٥"), Err(BinError::NotDigits));
        assert_eq!(Bin::parse("94014000038-5"), Err(BinError::NotDigits));
    }

    #[test]
    fn parse_checks_digits_before_length() {
        assert_eq!(Bin::parse("12X"), Err(BinError::NotDigits));
    }

    #[test]
    fn parse_checks_month_before_entity_type() {
        assert_eq!(
            Bin::parse("991370000010"),
            Err(BinError::Month {
                month: "13".to_owned()
            })
        );
    }

    #[test]
    fn check_digit_uses_second_weights() {
        let first11 = [0, 1, 1, 1, 4, 0, 0, 0, 1, 6, 5];
        assert_eq!(check_digit(&first11), Some(4));
    }

    #[test]
    fn check_digit_none_when_both_give_ten() {
        let first11 = [2, 3, 0, 1, 4, 0, 0, 0, 0, 0, 1];
        assert_eq!(check_digit(&first11), None);
    }

    #[test]
    fn error_messages_name_the_problem() {
        assert_eq!(
            BinError::Length { found: 11 }.to_string(),
            "BIN must have 12 digits, found 11"
        );
        assert!(
            BinError::EntityType { digit: '7' }
                .to_string()
                .contains("must be 4, 5 or 6")
        );
        assert!(
            BinError::EntityKind { digit: '9' }
                .to_string()
                .contains("sixth digit of the BIN must be 0 to 3")
        );
        assert!(
            BinError::NoCheckDigit
                .to_string()
                .contains("both weight sets give 10")
        );
    }

    #[test]
    fn display_and_from_str_round_trip() {
        let bin: Bin = "9401 4000 0385".parse().unwrap();
        assert_eq!(bin.to_string(), "940140000385");
        assert_eq!(bin.as_ref(), "940140000385");
    }

    #[test]
    fn serde_uses_plain_string() {
        let bin = Bin::parse("940140000385").unwrap();
        let json = serde_json::to_string(&bin).unwrap();
        assert_eq!(json, "\"940140000385\"");
        let back: Bin = serde_json::from_str(&json).unwrap();
        assert_eq!(back, bin);
    }

    #[test]
    fn deserialize_normalises_whitespace() {
        let bin: Bin = serde_json::from_str("\"9401 4000 0385\"").unwrap();
        assert_eq!(bin.as_str(), "940140000385");
    }

    #[test]
    fn deserialize_reports_parse_error() {
        let error = serde_json::from_str::<Bin>("\"940140000386\"").unwrap_err();
        assert!(
            error.to_string().contains("BIN check digit does not match"),
            "message was {error}"
        );
    }

    #[test]
    fn schema_is_digit_string() {
        let json = serde_json::to_value(Bin::schema()).unwrap();
        assert_eq!(json["type"], "string");
        assert_eq!(json["pattern"], "^[0-9]{12}$");
        assert_eq!(json["examples"][0], "940140000385");
        assert_eq!(Bin::name(), "Bin");
    }
}
