//! The register of experts and expert groups a government body engages. An expert is
//! engaged individually or as a member of an expert group, and a record of consultation
//! support may name the expert or group that gave or received it.

use chrono::{DateTime, NaiveDate, Utc};
use common_models::Sphere;
use serde::{Deserialize, Serialize};
use service_kit::ApiError;
use service_kit::validate::MAX_CODES;
use utoipa::ToSchema;

use super::recommendation::Contacts;
use super::{Errors, multiline_text, parse_code, parse_date, text};

/// Maximum number of members of one expert group.
pub const MAX_MEMBERS: usize = 100;

/// Maximum length of a record id given in a request, such as an expert id.
const MAX_ID: usize = 64;

/// Body of a request that adds an expert to the calling officer's register.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpertInput {
    /// Full name of the expert.
    #[serde(default)]
    #[schema(required = true)]
    pub full_name: String,
    /// Organisation the expert works for or represents.
    pub organisation: Option<String>,
    /// Registry id, when the expert represents an NPO of the registry.
    pub npo_id: Option<String>,
    /// Spheres of the expert's competence, at least one, each once.
    #[serde(default)]
    #[schema(value_type = Vec<Sphere>, required = true, min_items = 1)]
    pub spheres: Vec<String>,
    /// Questions the expert can advise on.
    #[serde(default)]
    #[schema(required = true)]
    pub expertise: String,
    pub contacts: Option<Contacts>,
}

/// A valid expert.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpertFacts {
    pub full_name: String,
    pub organisation: Option<String>,
    pub npo_id: Option<String>,
    pub spheres: Vec<Sphere>,
    pub expertise: String,
    pub contacts: Option<Contacts>,
}

/// Checks a required one-line text at `pointer`, recording "is required" when blank.
fn required_line(errors: &mut Errors, pointer: &str, raw: &str, max: usize) -> Option<String> {
    let value = errors.check(pointer, text(Some(raw), max)).flatten();
    if value.is_none() && !errors.has(pointer) {
        errors.add(pointer, "is required");
    }
    value
}

/// Checks a required multi-line text at `pointer`, recording "is required" when blank.
fn required_multiline(errors: &mut Errors, pointer: &str, raw: &str, max: usize) -> Option<String> {
    let value = errors
        .check(pointer, multiline_text(Some(raw), max))
        .flatten();
    if value.is_none() && !errors.has(pointer) {
        errors.add(pointer, "is required");
    }
    value
}

/// Checks the contact details. Contacts with every field blank become `None`.
fn parse_contacts(errors: &mut Errors, contacts: Option<&Contacts>) -> Option<Contacts> {
    let contacts = contacts.map(|c| Contacts {
        name: errors
            .check("/contacts/name", text(c.name.as_deref(), 200))
            .flatten(),
        phone: errors
            .check("/contacts/phone", text(c.phone.as_deref(), 50))
            .flatten(),
        email: errors
            .check("/contacts/email", text(c.email.as_deref(), 254))
            .flatten(),
    });
    contacts.filter(|c| c.name.is_some() || c.phone.is_some() || c.email.is_some())
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

/// Checks an optional record id given at `pointer`.
pub fn parse_id(errors: &mut Errors, pointer: &str, raw: Option<&str>) -> Option<String> {
    errors.check(pointer, text(raw, MAX_ID)).flatten()
}

impl ExpertInput {
    /// Parses the expert. Whether `npo_id` is in the registry is checked by the caller.
    pub fn parse(&self) -> Result<ExpertFacts, ApiError> {
        let mut errors = Errors::default();
        let full_name = required_line(&mut errors, "/full_name", &self.full_name, 200);
        let organisation = errors
            .check("/organisation", text(self.organisation.as_deref(), 500))
            .flatten();
        let npo_id = parse_id(&mut errors, "/npo_id", self.npo_id.as_deref());
        let spheres = parse_spheres(&mut errors, &self.spheres);
        let expertise = required_multiline(&mut errors, "/expertise", &self.expertise, 5000);
        let contacts = parse_contacts(&mut errors, self.contacts.as_ref());

        errors.into_result()?;
        match (full_name, expertise) {
            (Some(full_name), Some(expertise)) if !spheres.is_empty() => Ok(ExpertFacts {
                full_name,
                organisation,
                npo_id,
                spheres,
                expertise,
                contacts,
            }),
            _ => Err(ApiError::internal(anyhow::anyhow!(
                "an expert passed its checks with a field missing"
            ))),
        }
    }
}

/// An expert of a body's register.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Expert {
    pub id: String,
    /// Government body whose register lists the expert.
    pub government_body: String,
    pub full_name: String,
    pub organisation: Option<String>,
    /// Registry id of the NPO the expert represents.
    pub npo_id: Option<String>,
    /// Spheres of competence, in the order they were given.
    pub spheres: Vec<Sphere>,
    /// Questions the expert can advise on.
    pub expertise: String,
    /// Personal data. Only the body's officer and the ministry read experts, and the
    /// field is left out when no contacts were given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contacts: Option<Contacts>,
    pub created_at: DateTime<Utc>,
}

/// Body of a request that forms an expert group of the calling officer's body.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpertGroupInput {
    #[serde(default)]
    #[schema(required = true)]
    pub name: String,
    /// Task the group was formed for.
    #[serde(default)]
    #[schema(required = true)]
    pub purpose: String,
    #[schema(value_type = Option<Sphere>)]
    pub sphere: Option<String>,
    /// Day the group was formed (default today), not after today.
    #[schema(value_type = Option<NaiveDate>)]
    pub formed_on: Option<String>,
    /// Ids of the experts in the group, at least one, each an expert of the same body
    /// and listed once.
    #[serde(default)]
    #[schema(required = true, min_items = 1)]
    pub members: Vec<String>,
}

/// A valid expert group. Whether its members are experts of the body is checked
/// against the store.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpertGroupFacts {
    pub name: String,
    pub purpose: String,
    pub sphere: Option<Sphere>,
    pub formed_on: NaiveDate,
    /// Expert ids in the order they were given.
    pub members: Vec<String>,
}

impl ExpertGroupInput {
    /// Parses the group formed by `today`.
    pub fn parse(&self, today: NaiveDate) -> Result<ExpertGroupFacts, ApiError> {
        let mut errors = Errors::default();
        let name = required_line(&mut errors, "/name", &self.name, 500);
        let purpose = required_multiline(&mut errors, "/purpose", &self.purpose, 5000);
        let sphere = self
            .sphere
            .as_deref()
            .and_then(|raw| errors.check("/sphere", parse_code::<Sphere>(raw.trim())));
        let formed_on = match self.formed_on.as_deref() {
            Some(raw) => errors.check("/formed_on", parse_date(raw)),
            None => Some(today),
        };
        if let Some(date) = formed_on
            && date > today
        {
            errors.add("/formed_on", format!("{date} is after today ({today})"));
        }
        let members = parse_members(&mut errors, &self.members);

        errors.into_result()?;
        match (name, purpose, formed_on) {
            (Some(name), Some(purpose), Some(formed_on)) if !members.is_empty() => {
                Ok(ExpertGroupFacts {
                    name,
                    purpose,
                    sphere,
                    formed_on,
                    members,
                })
            }
            _ => Err(ApiError::internal(anyhow::anyhow!(
                "an expert group passed its checks with a field missing"
            ))),
        }
    }
}

/// Parses the member ids at `/members`: at least one, at most `MAX_MEMBERS`, and none
/// repeated.
fn parse_members(errors: &mut Errors, ids: &[String]) -> Vec<String> {
    if ids.is_empty() {
        errors.add("/members", "is required; name at least one expert id");
        return Vec::new();
    }
    if ids.len() > MAX_MEMBERS {
        errors.add(
            "/members",
            format!("at most {MAX_MEMBERS} members, found {}", ids.len()),
        );
        return Vec::new();
    }
    let mut members: Vec<String> = Vec::new();
    for (index, raw) in ids.iter().enumerate() {
        let pointer = format!("/members/{index}");
        let Some(id) = parse_id(errors, &pointer, Some(raw)) else {
            if !errors.has(&pointer) {
                errors.add(pointer, "is empty; give an expert id");
            }
            continue;
        };
        match members.iter().position(|known| *known == id) {
            Some(first) => errors.add(
                pointer,
                format!("expert {id} is already listed at /members/{first}"),
            ),
            None => members.push(id),
        }
    }
    members
}

/// A member of an expert group.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GroupMember {
    pub expert_id: String,
    pub full_name: String,
}

/// An expert group of a body.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExpertGroup {
    pub id: String,
    /// Government body that formed the group.
    pub government_body: String,
    pub name: String,
    /// Task the group was formed for.
    pub purpose: String,
    pub sphere: Option<Sphere>,
    pub formed_on: NaiveDate,
    /// Members in the order they were given.
    pub members: Vec<GroupMember>,
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expert(spheres: &[&str]) -> ExpertInput {
        ExpertInput {
            full_name: "Айгүл Сейітова".into(),
            organisation: None,
            npo_id: None,
            spheres: spheres.iter().map(|s| (*s).to_owned()).collect(),
            expertise: "Гранты".into(),
            contacts: None,
        }
    }

    fn pointers(error: ApiError) -> Vec<String> {
        match error {
            ApiError::Validation { errors, .. } => errors.into_iter().map(|e| e.pointer).collect(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn repeated_sphere_rejected() {
        let error = expert(&["youth", "education", "youth"])
            .parse()
            .unwrap_err();

        assert_eq!(pointers(error), vec!["/spheres/2"]);
    }

    #[test]
    fn spheres_keep_order() {
        let facts = expert(&["youth", "education"]).parse().unwrap();

        assert_eq!(facts.spheres, vec![Sphere::Youth, Sphere::Education]);
    }

    #[test]
    fn repeated_member_rejected() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let group = ExpertGroupInput {
            name: "Совет".into(),
            purpose: "Экспертиза".into(),
            sphere: None,
            formed_on: Some("2026-12-02".into()),
            members: vec!["a".into(), " ".into(), "a".into()],
        };

        let error = group.parse(today).unwrap_err();

        assert_eq!(
            pointers(error),
            vec!["/formed_on", "/members/1", "/members/2"]
        );
    }
}
