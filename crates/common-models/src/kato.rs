//! KATO code: the classifier of administrative-territorial objects of Kazakhstan.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use utoipa::openapi::{RefOr, schema::Schema};
use utoipa::{PartialSchema, ToSchema};

use crate::schema::digit_string_schema;

/// Number of digits in a KATO code.
const KATO_LENGTH: usize = 9;

/// Byte ranges of the CD, EF and HIJ groups, lowest group last.
const GROUPS: [std::ops::Range<usize>; 3] = [2..4, 4..6, 6..9];

/// KATO territory code of 9 ASCII digits, grouped as AB CD EF HIJ.
///
/// AB is a region or a city of republican significance, CD a district or city,
/// EF a rural district and HIJ a settlement. A group of zeros means the code
/// stops above that level. A settlement may sit directly under a district, with
/// EF equal to 00.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KatoCode(String);

/// Reason a string is not a valid KATO code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KatoError {
    /// The trimmed input does not have 9 characters.
    #[error("KATO code must have 9 digits, found {found}")]
    Length {
        /// Number of characters found after trimming.
        found: usize,
    },
    /// The input contains a character other than an ASCII digit.
    #[error("KATO code must contain only the digits 0 to 9")]
    NotDigits,
    /// The first two digits are 00, which names no region.
    #[error("KATO code must not start with 00 because the first two digits name the region")]
    Root,
}

impl KatoCode {
    /// Parses a KATO code after trimming surrounding whitespace.
    ///
    /// Checks run in this order: digits, length, region.
    pub fn parse(input: &str) -> Result<KatoCode, KatoError> {
        let trimmed = input.trim();
        if !trimmed.chars().all(|c| c.is_ascii_digit()) {
            return Err(KatoError::NotDigits);
        }
        // All characters are ASCII digits, so bytes and characters coincide.
        if trimmed.len() != KATO_LENGTH {
            return Err(KatoError::Length {
                found: trimmed.len(),
            });
        }
        if trimmed.starts_with("00") {
            return Err(KatoError::Root);
        }
        Ok(KatoCode(trimmed.to_owned()))
    }

    /// Returns the 9 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Returns the level of the territory: 1 region or city of republican
    /// significance, 2 district or city, 3 rural district, 4 settlement.
    ///
    /// The level is set by the lowest non-zero group, so a settlement directly
    /// under a district is level 4.
    pub fn level(&self) -> u8 {
        match self.lowest_non_zero_group() {
            None => 1,
            Some(0) => 2,
            Some(1) => 3,
            Some(_) => 4,
        }
    }

    /// Returns the code of the enclosing territory, made by zeroing the lowest
    /// non-zero group, or `None` for a level-1 code.
    pub fn parent(&self) -> Option<KatoCode> {
        let group = &GROUPS[self.lowest_non_zero_group()?];
        let parent = self
            .0
            .char_indices()
            .map(|(index, digit)| if group.contains(&index) { '0' } else { digit })
            .collect();
        Some(KatoCode(parent))
    }

    /// Returns the prefix that this code and all its descendants share: 2
    /// digits for level 1, 4 for level 2, 6 for level 3 and all 9 for level 4.
    pub fn subtree_prefix(&self) -> &str {
        let length = match self.level() {
            1 => 2,
            2 => 4,
            3 => 6,
            _ => KATO_LENGTH,
        };
        &self.0[..length]
    }

    /// Reports whether `other` is this territory or lies inside it.
    pub fn contains(&self, other: &KatoCode) -> bool {
        other.0.starts_with(self.subtree_prefix())
    }

    /// Returns the index into `GROUPS` of the lowest group that is not all zeros.
    fn lowest_non_zero_group(&self) -> Option<usize> {
        GROUPS
            .iter()
            .rposition(|range| self.0[range.clone()].bytes().any(|b| b != b'0'))
    }
}

impl fmt::Display for KatoCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for KatoCode {
    type Err = KatoError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        KatoCode::parse(s)
    }
}

impl AsRef<str> for KatoCode {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Serialize for KatoCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for KatoCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        KatoCode::parse(&raw).map_err(serde::de::Error::custom)
    }
}

impl PartialSchema for KatoCode {
    fn schema() -> RefOr<Schema> {
        digit_string_schema(
            KATO_LENGTH,
            "620000000",
            "KATO code of an administrative-territorial object of Kazakhstan, 9 digits.",
        )
    }
}

impl ToSchema for KatoCode {}

#[cfg(test)]
mod tests {
    use super::*;

    fn kato(code: &str) -> KatoCode {
        KatoCode::parse(code).unwrap_or_else(|error| panic!("{code:?} should parse, got {error}"))
    }

    #[test]
    fn parse_trims_whitespace() {
        assert_eq!(kato(" 620000000\n").as_str(), "620000000");
    }

    #[test]
    fn parse_rejects_bad_input() {
        let cases: &[(&str, KatoError)] = &[
            ("", KatoError::Length { found: 0 }),
            ("62000000", KatoError::Length { found: 8 }),
            ("6200000000", KatoError::Length { found: 10 }),
            ("62000000X", KatoError::NotDigits),
            ("6200 0000", KatoError::NotDigits),
            ("000000000", KatoError::Root),
            ("001800123", KatoError::Root),
        ];
        for (input, expected) in cases {
            assert_eq!(
                KatoCode::parse(input).as_ref(),
                Err(expected),
                "input {input:?}"
            );
        }
    }

    #[test]
    fn level_follows_lowest_group() {
        assert_eq!(kato("620000000").level(), 1);
        assert_eq!(kato("101800000").level(), 2);
        assert_eq!(kato("101810000").level(), 3);
        assert_eq!(kato("101810123").level(), 4);
        assert_eq!(kato("101800123").level(), 4);
        assert_eq!(kato("100010000").level(), 3);
    }

    #[test]
    fn parent_zeroes_lowest_group() {
        assert_eq!(kato("101810123").parent(), Some(kato("101810000")));
        assert_eq!(kato("101810000").parent(), Some(kato("101800000")));
        assert_eq!(kato("101800000").parent(), Some(kato("100000000")));
        assert_eq!(kato("100000000").parent(), None);
    }

    #[test]
    fn parent_of_settlement_under_district() {
        assert_eq!(kato("101800123").parent(), Some(kato("101800000")));
    }

    #[test]
    fn subtree_prefix_by_level() {
        assert_eq!(kato("620000000").subtree_prefix(), "62");
        assert_eq!(kato("101800000").subtree_prefix(), "1018");
        assert_eq!(kato("101810000").subtree_prefix(), "101810");
        assert_eq!(kato("101810123").subtree_prefix(), "101810123");
    }

    #[test]
    fn contains_self_and_descendants() {
        let region = kato("100000000");
        let district = kato("101800000");
        let rural_district = kato("101810000");
        let settlement = kato("101810123");
        let direct_settlement = kato("101800123");

        assert!(region.contains(&region));
        assert!(region.contains(&district));
        assert!(region.contains(&settlement));
        assert!(district.contains(&rural_district));
        assert!(district.contains(&direct_settlement));
        assert!(rural_district.contains(&settlement));
        assert!(settlement.contains(&settlement));
    }

    #[test]
    fn contains_rejects_other_branches() {
        let district = kato("101800000");
        assert!(!district.contains(&kato("100000000")));
        assert!(!district.contains(&kato("101900000")));
        assert!(!district.contains(&kato("111800000")));
        assert!(!kato("101810000").contains(&kato("101800123")));
        assert!(!kato("101810123").contains(&kato("101810124")));
    }

    #[test]
    fn every_ancestor_contains_code() {
        let code = kato("101810123");
        let mut ancestor = code.parent();
        while let Some(current) = ancestor {
            assert!(current.contains(&code), "{current} should contain {code}");
            ancestor = current.parent();
        }
    }

    #[test]
    fn serde_uses_plain_string() {
        let code = kato("620000000");
        let json = serde_json::to_string(&code).unwrap();
        assert_eq!(json, "\"620000000\"");
        let back: KatoCode = serde_json::from_str(&json).unwrap();
        assert_eq!(back, code);
    }

    #[test]
    fn deserialize_reports_parse_error() {
        let error = serde_json::from_str::<KatoCode>("\"000000000\"").unwrap_err();
        assert!(
            error.to_string().contains("must not start with 00"),
            "message was {error}"
        );
    }

    #[test]
    fn display_and_from_str_round_trip() {
        let code: KatoCode = "101800123".parse().unwrap();
        assert_eq!(code.to_string(), "101800123");
        assert_eq!(code.as_ref(), "101800123");
    }

    #[test]
    fn schema_is_digit_string() {
        let json = serde_json::to_value(KatoCode::schema()).unwrap();
        assert_eq!(json["type"], "string");
        assert_eq!(json["pattern"], "^[0-9]{9}$");
        assert_eq!(json["examples"][0], "620000000");
        assert_eq!(KatoCode::name(), "KatoCode");
    }
}
