//! Government bodies of the ministry's register: their level, territory and spheres,
//! and the public card with the officer's public profile.

use chrono::{DateTime, NaiveDate, Utc};
use common_models::{KatoCode, Sphere};
use serde::{Deserialize, Serialize};
use service_kit::ApiError;
use service_kit::validate::MAX_CODES;
use utoipa::ToSchema;

use super::officers::Contacts;
use super::profiles::AppealForm;
use super::{Errors, codes, parse_code, required_line};

/// Minimum and maximum length of a government body id.
const ID_LENGTH: std::ops::RangeInclusive<usize> = 2..=100;

/// Maximum length of the Russian or Kazakh name of a body.
const MAX_NAME: usize = 500;

/// Level of a government body, which sets the minimum position of its officer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BodyLevel {
    /// A ministry or agency.
    Central,
    /// An oblast akimat or the akimat of a city of republican significance.
    Regional,
    /// A department (управление) of a regional akimat.
    RegionalDepartment,
    /// A district or city akimat.
    District,
}

codes!(BodyLevel as "government_body_level" {
    Central = "central" { "Центральный государственный орган", "Орталық мемлекеттік орган", "Central body" },
    Regional = "regional" { "Местный исполнительный орган области", "Облыстың жергілікті атқарушы органы", "Regional body" },
    RegionalDepartment = "regional_department" { "Управление области", "Облыс басқармасы", "Regional department" },
    District = "district" { "Акимат района (города)", "Аудан (қала) әкімдігі", "District or city body" },
});

impl BodyLevel {
    /// Every level, from the top down.
    pub const ALL: &'static [BodyLevel] = &[
        BodyLevel::Central,
        BodyLevel::Regional,
        BodyLevel::RegionalDepartment,
        BodyLevel::District,
    ];

    /// Returns the level in words for messages, such as "regional department".
    pub fn label(self) -> String {
        common_models::Catalogue::code(self).replace('_', " ")
    }
}

/// Body of a request that adds a government body to the register.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GovernmentBodyInput {
    /// Id of the body: 2 to 100 lower-case Latin letters, digits, `-` and `_`. It is the
    /// `body` claim of its officer's tokens.
    #[serde(default)]
    #[schema(required = true)]
    pub id: String,
    #[serde(default)]
    #[schema(required = true)]
    pub name_ru: String,
    #[serde(default)]
    #[schema(required = true)]
    pub name_kk: String,
    #[serde(default)]
    #[schema(value_type = BodyLevel, required = true)]
    pub level: String,
    /// KATO code of the body's territory, which must be in the registry's classifier.
    /// Required for every level except `central`, where it must be absent.
    #[schema(value_type = Option<KatoCode>)]
    pub territory: Option<String>,
    /// Spheres the body is competent in, at least one, each once.
    #[serde(default)]
    #[schema(value_type = Vec<Sphere>, required = true, min_items = 1)]
    pub spheres: Vec<String>,
}

/// A valid government body. Whether its territory is in the classifier is checked by
/// the caller.
#[derive(Debug, Clone, PartialEq)]
pub struct BodyFacts {
    pub id: String,
    pub name_ru: String,
    pub name_kk: String,
    pub level: BodyLevel,
    pub territory: Option<KatoCode>,
    pub spheres: Vec<Sphere>,
}

/// Returns whether `id` has the form of a government body id.
pub fn is_body_id(id: &str) -> bool {
    ID_LENGTH.contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_'))
}

impl GovernmentBodyInput {
    /// Parses the body, listing every invalid field.
    pub fn parse(&self) -> Result<BodyFacts, ApiError> {
        let mut errors = Errors::default();
        let id = self.id.trim();
        if id.is_empty() {
            errors.add("/id", "is required");
        } else if !is_body_id(id) {
            errors.add(
                "/id",
                format!(
                    "'{id}' is not a body id: use {} to {} lower-case Latin letters, digits, '-' and '_'",
                    ID_LENGTH.start(),
                    ID_LENGTH.end()
                ),
            );
        }
        let name_ru = required_line(&mut errors, "/name_ru", &self.name_ru, MAX_NAME);
        let name_kk = required_line(&mut errors, "/name_kk", &self.name_kk, MAX_NAME);
        let level = if self.level.trim().is_empty() {
            errors.add("/level", "is required");
            None
        } else {
            errors.check("/level", parse_code::<BodyLevel>(self.level.trim()))
        };
        let territory = self
            .territory
            .as_deref()
            .and_then(|raw| errors.check("/territory", KatoCode::parse(raw)));
        match (level, &self.territory) {
            (Some(BodyLevel::Central), Some(_)) => {
                errors.add(
                    "/territory",
                    "a central body has no territory; leave it out",
                );
            }
            (Some(level), None) if level != BodyLevel::Central => errors.add(
                "/territory",
                format!("is required for a {} body", level.label()),
            ),
            _ => {}
        }
        let spheres = parse_spheres(&mut errors, &self.spheres);

        errors.into_result()?;
        match (name_ru, name_kk, level) {
            (Some(name_ru), Some(name_kk), Some(level)) if !spheres.is_empty() => Ok(BodyFacts {
                id: id.to_owned(),
                name_ru,
                name_kk,
                level,
                territory,
                spheres,
            }),
            _ => Err(ApiError::internal(anyhow::anyhow!(
                "a government body passed its checks with a field missing"
            ))),
        }
    }
}

/// Parses the sphere codes at `/spheres`: at least one, each a Sphere catalogue code,
/// and none repeated.
fn parse_spheres(errors: &mut Errors, codes: &[String]) -> Vec<Sphere> {
    if codes.is_empty() {
        errors.add("/spheres", "is required; name at least one sphere");
        return Vec::new();
    }
    if codes.len() > MAX_CODES {
        errors.add("/spheres", format!("at most {MAX_CODES} codes"));
        return Vec::new();
    }
    let mut parsed: Vec<Sphere> = Vec::new();
    for (index, code) in codes.iter().enumerate() {
        let pointer = format!("/spheres/{index}");
        let Some(sphere) = errors.check(pointer.as_str(), parse_code::<Sphere>(code.trim())) else {
            continue;
        };
        match parsed.iter().position(|known| *known == sphere) {
            Some(first) => errors.add(
                pointer,
                format!(
                    "sphere '{}' is already listed at /spheres/{first}",
                    code.trim()
                ),
            ),
            None => parsed.push(sphere),
        }
    }
    parsed
}

/// The public profile of a body's officer: what the body publishes on its web site.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicProfile {
    pub full_name: String,
    /// Position code from the catalogue of the body's level.
    pub position: String,
    /// Russian name of the position.
    pub position_name_ru: String,
    pub appointed_on: NaiveDate,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contacts: Option<Contacts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reception_schedule: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub work_plan: Option<String>,
    /// Forms of appeal to the officer; empty until the officer or the ministry lists them.
    pub appeal_forms: Vec<AppealForm>,
    /// Path of the officer's photo; absent while there is none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub photo_url: Option<String>,
}

/// A government body's public card.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GovernmentBody {
    pub id: String,
    pub name_ru: String,
    pub name_kk: String,
    pub level: BodyLevel,
    /// KATO code of the body's territory; absent for a central body.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<KatoCode>)]
    pub territory: Option<String>,
    /// Spheres in the order the ministry gave them.
    pub spheres: Vec<Sphere>,
    /// The current officer; absent while the body is vacant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub officer: Option<PublicProfile>,
    /// Day since which the body has no officer; absent while it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vacant_since: Option<NaiveDate>,
    /// Number of changes of the card, starting at 1; the ETag is this number in quotes.
    pub version: i32,
    pub created_at: DateTime<Utc>,
}

/// The body competent for a sphere and territory, as the competence map returns it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CompetentBody {
    /// Id of the competent body.
    pub government_body: String,
    pub name_ru: String,
    pub name_kk: String,
}

/// A body the competence map may choose: its territory and the order it was created in.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub body: CompetentBody,
    pub territory: Option<KatoCode>,
    pub created_at: DateTime<Utc>,
}

/// Chooses the competent body for `territory` among `candidates`, which all cover the
/// sphere. A body matches when its territory contains `territory`, and a central body
/// (no territory) matches any. The deepest matching territory wins, and among bodies of
/// the same depth the one created first. Without a territory only central bodies match.
pub fn choose_competent(
    candidates: Vec<Candidate>,
    territory: Option<&KatoCode>,
) -> Option<CompetentBody> {
    let depth = |candidate: &Candidate| candidate.territory.as_ref().map_or(0, KatoCode::level);
    candidates
        .into_iter()
        .filter(|candidate| match (&candidate.territory, territory) {
            (None, _) => true,
            (Some(own), Some(asked)) => own.contains(asked),
            (Some(_), None) => false,
        })
        .min_by(|a, b| {
            depth(b)
                .cmp(&depth(a))
                .then(a.created_at.cmp(&b.created_at))
                .then(a.body.government_body.cmp(&b.body.government_body))
        })
        .map(|candidate| candidate.body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(id: &str, territory: Option<&str>, second: i64) -> Candidate {
        Candidate {
            body: CompetentBody {
                government_body: id.into(),
                name_ru: id.into(),
                name_kk: id.into(),
            },
            territory: territory.map(|code| KatoCode::parse(code).unwrap()),
            created_at: DateTime::from_timestamp(second, 0).unwrap(),
        }
    }

    fn chosen(candidates: Vec<Candidate>, territory: Option<&str>) -> Option<String> {
        let territory = territory.map(|code| KatoCode::parse(code).unwrap());
        choose_competent(candidates, territory.as_ref()).map(|body| body.government_body)
    }

    #[test]
    fn deepest_territory_wins() {
        let candidates = vec![
            candidate("ministry", None, 1),
            candidate("region", Some("620000000"), 2),
            candidate("district", Some("623800000"), 3),
        ];

        assert_eq!(
            chosen(candidates, Some("623830100")).as_deref(),
            Some("district")
        );
    }

    #[test]
    fn earliest_wins_tie() {
        let candidates = vec![
            candidate("later", Some("620000000"), 5),
            candidate("earlier", Some("620000000"), 4),
        ];

        assert_eq!(
            chosen(candidates, Some("623830100")).as_deref(),
            Some("earlier")
        );
    }

    #[test]
    fn no_territory_only_central() {
        let candidates = vec![candidate("region", Some("620000000"), 1)];

        assert_eq!(chosen(candidates, None), None);
    }

    #[test]
    fn central_territory_rules() {
        let input = GovernmentBodyInput {
            id: "minculture".into(),
            name_ru: "Министерство".into(),
            name_kk: "Министрлік".into(),
            level: "central".into(),
            territory: Some("620000000".into()),
            spheres: vec!["culture".into()],
        };
        let error = input.parse().unwrap_err();

        assert_eq!(error.problem().errors[0].pointer, "/territory");
    }
}
