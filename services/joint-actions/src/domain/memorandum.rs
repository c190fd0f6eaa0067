//! A memorandum of cooperation between a government body and NPOs: what it covers,
//! its term, the signatories of every party, and the rules of its lifecycle.

use chrono::{DateTime, Days, NaiveDate, Utc};
use common_models::event::joint_actions::MemorandumChanged;
use common_models::{Catalogue, Sphere};
use serde::{Deserialize, Serialize};
use service_kit::{ApiError, FieldError};
use utoipa::ToSchema;

use super::{Errors, multiline_text, parse_codes, parse_date, text};

/// Maximum number of NPO parties or spheres of one memorandum.
const MAX_ITEMS: usize = 50;

/// Maximum length, in characters, of the document reference.
const MAX_DOCUMENT_REF: usize = 500;

/// Days ahead, from today inclusive, in which a signed memorandum's term ending counts
/// as expiring.
pub const EXPIRING_WITHIN_DAYS: u64 = 30;

/// Stage of a memorandum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MemorandumStatus {
    /// Being prepared, so its text may still change.
    Draft,
    /// Signed by every party and in force.
    Signed,
    /// The term ended.
    Expired,
    /// Ended before the end of its term.
    Terminated,
}

impl MemorandumStatus {
    /// Returns the stable code of the status.
    pub fn code(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Signed => "signed",
            Self::Expired => "expired",
            Self::Terminated => "terminated",
        }
    }

    /// Parses a stable code.
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "draft" => Some(Self::Draft),
            "signed" => Some(Self::Signed),
            "expired" => Some(Self::Expired),
            "terminated" => Some(Self::Terminated),
            _ => None,
        }
    }
}

impl std::fmt::Display for MemorandumStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// Full name and position of a person who signs for a party.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Signatory {
    /// Full name, which is personal data.
    #[schema(example = "Айгерим Сейтова")]
    pub full_name: String,
    #[schema(example = "Руководитель управления внутренней политики")]
    pub position: String,
}

/// An NPO party of a memorandum in a request.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartyInput {
    /// Registry id of the NPO.
    #[serde(default)]
    #[schema(required = true, example = "0190c1c8-5d2e-7a41-9a3b-2f6d1e0c4b71")]
    pub npo_id: String,
    /// Person who signs for the NPO, required before signing.
    pub signatory: Option<Signatory>,
}

/// Body of a request that drafts a memorandum.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemorandumInput {
    /// Directions of cooperation of mutual interest.
    #[serde(default)]
    #[schema(
        required = true,
        example = "Сотрудничество в организации летнего отдыха подростков"
    )]
    pub subject: String,
    /// Spheres of cooperation, when the memorandum names any.
    #[serde(default)]
    #[schema(value_type = Vec<Sphere>, example = json!(["youth"]))]
    pub spheres: Vec<String>,
    /// Day of signing, planned while a draft.
    #[schema(value_type = Option<NaiveDate>, example = "2026-12-10")]
    pub signed_on: Option<String>,
    /// Last day of the term, left out for a memorandum without an end date.
    #[schema(value_type = Option<NaiveDate>, example = "2028-12-31")]
    pub valid_until: Option<String>,
    /// The NPOs that are parties, one or more.
    #[serde(default)]
    #[schema(required = true)]
    pub parties: Vec<PartyInput>,
    /// Person who signs for the government body, required before signing.
    pub body_signatory: Option<Signatory>,
    /// Reference of the signed document, such as a document-management number or a URL.
    #[schema(example = "ЕСЭДО 01-12/3456")]
    pub document_ref: Option<String>,
}

/// A valid NPO party before the registry confirms it.
#[derive(Debug, Clone, PartialEq)]
pub struct PartyFacts {
    pub npo_id: String,
    pub signatory: Option<Signatory>,
}

/// A valid memorandum request.
#[derive(Debug, Clone, PartialEq)]
pub struct MemorandumFacts {
    pub subject: String,
    pub spheres: Vec<Sphere>,
    pub signed_on: Option<NaiveDate>,
    pub valid_until: Option<NaiveDate>,
    pub parties: Vec<PartyFacts>,
    pub body_signatory: Option<Signatory>,
    pub document_ref: Option<String>,
}

impl MemorandumInput {
    /// Parses the request, listing every invalid field. The term may not end before
    /// the day of signing.
    pub fn parse(&self) -> Result<MemorandumFacts, ApiError> {
        let mut errors = Errors::default();
        let subject = errors
            .check("/subject", multiline_text(Some(&self.subject), 2000))
            .flatten();
        if subject.is_none() && !errors.has("/subject") {
            errors.add("/subject", "is required");
        }
        let spheres = parse_codes::<Sphere>(&mut errors, "/spheres", &self.spheres);
        let signed_on = self
            .signed_on
            .as_deref()
            .and_then(|raw| errors.check("/signed_on", parse_date(raw)));
        let valid_until = self
            .valid_until
            .as_deref()
            .and_then(|raw| errors.check("/valid_until", parse_date(raw)));
        if let (Some(signed_on), Some(valid_until)) = (signed_on, valid_until)
            && valid_until < signed_on
        {
            errors.add(
                "/valid_until",
                format!("{valid_until} is before the day of signing ({signed_on})"),
            );
        }
        let parties = parse_parties(&mut errors, &self.parties);
        let body_signatory = self
            .body_signatory
            .as_ref()
            .and_then(|s| parse_signatory(&mut errors, "/body_signatory", s));
        let document_ref = errors
            .check(
                "/document_ref",
                text(self.document_ref.as_deref(), MAX_DOCUMENT_REF),
            )
            .flatten();

        errors.into_result()?;
        Ok(MemorandumFacts {
            subject: subject.unwrap_or_default(),
            spheres,
            signed_on,
            valid_until,
            parties,
            body_signatory,
            document_ref,
        })
    }
}

fn parse_parties(errors: &mut Errors, raw: &[PartyInput]) -> Vec<PartyFacts> {
    if raw.is_empty() {
        errors.add("/parties", "name at least one NPO");
        return Vec::new();
    }
    if raw.len() > MAX_ITEMS {
        errors.add("/parties", format!("at most {MAX_ITEMS} NPOs"));
        return Vec::new();
    }
    let mut parties: Vec<PartyFacts> = Vec::new();
    for (index, party) in raw.iter().enumerate() {
        let pointer = format!("/parties/{index}/npo_id");
        let npo_id = match errors.check(&pointer, text(Some(&party.npo_id), 64)) {
            Some(Some(id)) => Some(id),
            Some(None) => {
                errors.add(&pointer, "is required");
                None
            }
            None => None,
        };
        if let Some(id) = &npo_id
            && parties.iter().any(|p| &p.npo_id == id)
        {
            errors.add(&pointer, format!("NPO {id} is already a party"));
            continue;
        }
        let signatory = party
            .signatory
            .as_ref()
            .and_then(|s| parse_signatory(errors, &format!("/parties/{index}/signatory"), s));
        if let Some(npo_id) = npo_id {
            parties.push(PartyFacts { npo_id, signatory });
        }
    }
    parties
}

fn parse_signatory(errors: &mut Errors, pointer: &str, raw: &Signatory) -> Option<Signatory> {
    let mut required = |field: &str, value: &str| {
        let field_pointer = format!("{pointer}/{field}");
        let parsed = errors
            .check(&field_pointer, text(Some(value), 300))
            .flatten();
        if parsed.is_none() && !errors.has(&field_pointer) {
            errors.add(&field_pointer, "is required");
        }
        parsed
    };
    let full_name = required("full_name", &raw.full_name);
    let position = required("position", &raw.position);
    Some(Signatory {
        full_name: full_name?,
        position: position?,
    })
}

/// Body of a request that changes a draft memorandum: fields left out stay as they are,
/// and `null` clears an optional one. `parties` replaces the whole list.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemorandumPatch {
    pub subject: Option<String>,
    #[schema(value_type = Option<Vec<Sphere>>)]
    pub spheres: Option<Vec<String>>,
    #[serde(default, deserialize_with = "service_kit::extract::nullable")]
    #[schema(value_type = Option<NaiveDate>)]
    pub signed_on: Option<Option<String>>,
    #[serde(default, deserialize_with = "service_kit::extract::nullable")]
    #[schema(value_type = Option<NaiveDate>)]
    pub valid_until: Option<Option<String>>,
    pub parties: Option<Vec<PartyInput>>,
    #[serde(default, deserialize_with = "service_kit::extract::nullable")]
    #[schema(value_type = Option<Signatory>)]
    pub body_signatory: Option<Option<Signatory>>,
    #[serde(default, deserialize_with = "service_kit::extract::nullable")]
    #[schema(value_type = Option<String>)]
    pub document_ref: Option<Option<String>>,
}

impl MemorandumPatch {
    /// Lays the patch over `current` and parses the result with the checks of a create.
    pub fn apply(&self, current: &Memorandum) -> Result<MemorandumFacts, ApiError> {
        let pick = |patched: &Option<Option<String>>, current: Option<String>| match patched {
            Some(value) => value.clone(),
            None => current,
        };
        let input = MemorandumInput {
            subject: self
                .subject
                .clone()
                .unwrap_or_else(|| current.subject.clone()),
            spheres: self
                .spheres
                .clone()
                .unwrap_or_else(|| current.spheres.iter().map(ToString::to_string).collect()),
            signed_on: pick(&self.signed_on, current.signed_on.map(|d| d.to_string())),
            valid_until: pick(
                &self.valid_until,
                current.valid_until.map(|d| d.to_string()),
            ),
            parties: self.parties.clone().unwrap_or_else(|| {
                current
                    .parties
                    .iter()
                    .map(|p| PartyInput {
                        npo_id: p.npo_id.clone(),
                        signatory: p.signatory.clone(),
                    })
                    .collect()
            }),
            body_signatory: match &self.body_signatory {
                Some(value) => value.clone(),
                None => current.body_signatory.clone(),
            },
            document_ref: pick(&self.document_ref, current.document_ref.clone()),
        };
        input.parse()
    }
}

/// Body of a request that records the signing of a memorandum.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SigningInput {
    /// Day every party signed. The planned day of the draft, or today, when left out.
    #[schema(value_type = Option<NaiveDate>, example = "2026-12-10")]
    pub signed_on: Option<String>,
    /// Reference of the signed document, which replaces the draft's when given.
    #[schema(example = "ЕСЭДО 01-12/3456")]
    pub document_ref: Option<String>,
}

/// Body of a request that terminates a signed memorandum early.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TerminationInput {
    /// Day the memorandum ended, today when left out.
    #[schema(value_type = Option<NaiveDate>, example = "2027-03-01")]
    pub terminated_on: Option<String>,
    #[serde(default)]
    #[schema(
        required = true,
        example = "НПО прекратило деятельность в сфере молодёжной политики"
    )]
    pub reason: String,
}

/// A valid termination.
#[derive(Debug, Clone, PartialEq)]
pub struct Termination {
    pub terminated_on: NaiveDate,
    pub reason: String,
}

impl TerminationInput {
    /// Parses the request against the memorandum's signing day and `today`, listing
    /// every invalid field.
    pub fn parse(
        &self,
        signed_on: Option<NaiveDate>,
        today: NaiveDate,
    ) -> Result<Termination, ApiError> {
        let mut errors = Errors::default();
        let terminated_on = match self.terminated_on.as_deref() {
            Some(raw) => errors.check("/terminated_on", parse_date(raw)),
            None => Some(today),
        };
        if let Some(date) = terminated_on {
            if date > today {
                errors.add("/terminated_on", format!("{date} is after today ({today})"));
            }
            if let Some(signed_on) = signed_on
                && date < signed_on
            {
                errors.add(
                    "/terminated_on",
                    format!("{date} is before the day of signing ({signed_on})"),
                );
            }
        }
        let reason = errors
            .check("/reason", multiline_text(Some(&self.reason), 5000))
            .flatten();
        if reason.is_none() && !errors.has("/reason") {
            errors.add(
                "/reason",
                "is required: record why the memorandum ends early",
            );
        }

        errors.into_result()?;
        Ok(Termination {
            terminated_on: terminated_on.unwrap_or(today),
            reason: reason.unwrap_or_default(),
        })
    }
}

/// Body of a request that links a joint action to a memorandum.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkInput {
    /// Id of a joint action of the same government body.
    #[serde(default)]
    #[schema(required = true, example = "0190c1c8-7a10-7bd2-8c55-1e2f3a4b5c6d")]
    pub action_id: String,
}

/// An NPO party of a memorandum.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MemorandumParty {
    /// Registry id of the NPO.
    pub npo_id: String,
    pub npo_bin: Option<String>,
    /// Name of the NPO as the registry had it when it became a party.
    pub npo_name: String,
    pub signatory: Option<Signatory>,
}

/// A memorandum of cooperation.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Memorandum {
    pub id: String,
    pub government_body: String,
    pub subject: String,
    pub spheres: Vec<Sphere>,
    pub signed_on: Option<NaiveDate>,
    /// Last day of the term, null for a memorandum without an end date.
    pub valid_until: Option<NaiveDate>,
    pub parties: Vec<MemorandumParty>,
    /// Person who signs for the government body. Like the NPO signatories, this is
    /// personal data, read only by the body's officer, the ministry and the parties.
    pub body_signatory: Option<Signatory>,
    pub document_ref: Option<String>,
    pub status: MemorandumStatus,
    pub terminated_on: Option<NaiveDate>,
    pub termination_reason: Option<String>,
    /// Ids of the joint actions carried out under the memorandum. Empty for NPO users,
    /// who do not read the body's joint actions.
    pub action_ids: Vec<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Memorandum {
    /// Builds the payload of the memorandum events for the memorandum as it is.
    pub fn changed_event(&self) -> MemorandumChanged {
        MemorandumChanged {
            memorandum_id: self.id.clone(),
            government_body: self.government_body.clone(),
            npo_ids: self.parties.iter().map(|p| p.npo_id.clone()).collect(),
            spheres: self.spheres.iter().map(|s| s.code().to_owned()).collect(),
            subject: self.subject.clone(),
            status: self.status.code().to_owned(),
            signed_on: self.signed_on,
            valid_until: self.valid_until,
            terminated_on: self.terminated_on,
        }
    }
}

/// Checks what a draft needs before it is signed on `signed_on`, failing with 409 and
/// every missing item: each party's signatory and the body's, and a term that has not
/// ended by `today`.
pub fn check_signable(
    memorandum: &Memorandum,
    signed_on: NaiveDate,
    today: NaiveDate,
) -> Result<(), ApiError> {
    let mut missing = Vec::new();
    if memorandum.body_signatory.is_none() {
        missing.push(FieldError::new(
            "/body_signatory",
            "name the person who signs for the government body",
        ));
    }
    for (index, party) in memorandum.parties.iter().enumerate() {
        if party.signatory.is_none() {
            missing.push(FieldError::new(
                format!("/parties/{index}/signatory"),
                format!("name the person who signs for {}", party.npo_name),
            ));
        }
    }
    if let Some(valid_until) = memorandum.valid_until {
        if valid_until < signed_on {
            missing.push(FieldError::new(
                "/valid_until",
                format!("{valid_until} is before the day of signing ({signed_on})"),
            ));
        } else if valid_until < today {
            missing.push(FieldError::new(
                "/valid_until",
                format!("the term ended on {valid_until}; extend it before signing"),
            ));
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    Err(ApiError::NotReady {
        reason: format!("memorandum {} cannot be signed yet", memorandum.id),
        missing,
    })
}

/// Returns the last day, inclusive, of the window in which a term ending counts as
/// expiring, seen from `today`.
pub fn expiring_until(today: NaiveDate) -> NaiveDate {
    today
        .checked_add_days(Days::new(EXPIRING_WITHIN_DAYS))
        .unwrap_or(NaiveDate::MAX)
}
