//! Proposals for joint action that the officer draws from the analysis report and
//! agrees with the body's management, and proposals about needs sent by NPOs.

use chrono::{DateTime, NaiveDate, Utc};
use common_models::{KatoCode, ProposalStatus, Sphere, TargetGroup};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Errors, multiline_text, parse_code, parse_date, present, text};

/// Maximum number of addressees or linked priorities of one proposal.
const MAX_LINKS: usize = 50;

/// Body of a request that drafts a proposal for joint action.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JointActionProposalInput {
    #[serde(default)]
    #[schema(required = true)]
    pub title: String,
    pub description: Option<String>,
    /// Parties the proposal is for, such as other government bodies or NPOs.
    #[serde(default)]
    pub addressees: Vec<String>,
    /// Priorities of the same assessment that the proposal addresses.
    #[serde(default)]
    pub priority_ids: Vec<String>,
}

/// A valid proposal for joint action.
#[derive(Debug, Clone, PartialEq)]
pub struct JointActionProposalFacts {
    pub title: String,
    pub description: Option<String>,
    pub addressees: Vec<String>,
    pub priority_ids: Vec<String>,
}

impl JointActionProposalInput {
    /// Parses the request, listing every invalid field. Whether the priorities belong to
    /// the assessment is checked against the database.
    pub fn parse(&self) -> Result<JointActionProposalFacts, service_kit::ApiError> {
        let mut errors = Errors::default();
        let title = errors
            .check("/title", text(Some(&self.title), 300))
            .flatten();
        if title.is_none() && !errors.has("/title") {
            errors.add("/title", "must not be empty");
        }
        let description = errors
            .check(
                "/description",
                multiline_text(self.description.as_deref(), 10_000),
            )
            .flatten();
        let mut addressees = Vec::new();
        if self.addressees.len() > MAX_LINKS {
            errors.add("/addressees", format!("at most {MAX_LINKS} addressees"));
        }
        for (index, raw) in self.addressees.iter().take(MAX_LINKS).enumerate() {
            let pointer = format!("/addressees/{index}");
            match errors.check(&pointer, text(Some(raw), 300)) {
                Some(Some(name)) => addressees.push(name),
                Some(None) => errors.add(pointer, "must not be empty"),
                None => {}
            }
        }
        let mut priority_ids: Vec<String> = Vec::new();
        if self.priority_ids.len() > MAX_LINKS {
            errors.add("/priority_ids", format!("at most {MAX_LINKS} priorities"));
        }
        for (index, id) in self.priority_ids.iter().take(MAX_LINKS).enumerate() {
            let id = id.trim();
            if id.is_empty() || id.len() > 64 {
                errors.add(format!("/priority_ids/{index}"), "is not a priority id");
            } else if !priority_ids.iter().any(|known| known == id) {
                priority_ids.push(id.to_owned());
            }
        }

        errors.into_result()?;
        Ok(JointActionProposalFacts {
            title: title.unwrap_or_default(),
            description,
            addressees,
            priority_ids,
        })
    }
}

/// Body of a request that records the management's agreement to a proposal.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApprovalInput {
    /// Day the management agreed, `YYYY-MM-DD`.
    #[serde(default)]
    #[schema(value_type = NaiveDate, required = true)]
    pub approved_on: String,
    /// Position of the head who agreed, such as "Заместитель акима области".
    #[serde(default)]
    #[schema(required = true)]
    pub approved_by: String,
    /// Reference of the document that records the agreement, such as a protocol number.
    pub document: Option<String>,
}

/// A valid agreement.
#[derive(Debug, Clone, PartialEq)]
pub struct Approval {
    pub approved_on: NaiveDate,
    pub approved_by: String,
    pub document: Option<String>,
}

impl ApprovalInput {
    /// Parses the request. The date lies between `started_on`, the first day of the
    /// assessment the proposal comes from, and `today`. Proposals may be recorded after
    /// the fact, so the day a proposal was entered is no bound.
    pub fn parse(
        &self,
        started_on: Option<NaiveDate>,
        today: NaiveDate,
    ) -> Result<Approval, service_kit::ApiError> {
        let mut errors = Errors::default();
        let approved_on = present(&mut errors, "/approved_on", &self.approved_on)
            .and_then(|raw| errors.check("/approved_on", parse_date(raw)));
        if let Some(date) = approved_on
            && date > today
        {
            errors.add("/approved_on", format!("{date} is after today ({today})"));
        }
        if let (Some(date), Some(start)) = (approved_on, started_on)
            && date < start
        {
            errors.add(
                "/approved_on",
                format!("{date} is before the assessment began ({start})"),
            );
        }
        let approved_by = errors
            .check("/approved_by", text(Some(&self.approved_by), 300))
            .flatten();
        if approved_by.is_none() && !errors.has("/approved_by") {
            errors.add("/approved_by", "must not be empty");
        }
        let document = errors
            .check("/document", text(self.document.as_deref(), 300))
            .flatten();

        errors.into_result()?;
        match (approved_on, approved_by) {
            (Some(approved_on), Some(approved_by)) => Ok(Approval {
                approved_on,
                approved_by,
                document,
            }),
            _ => Err(service_kit::ApiError::internal(anyhow::anyhow!(
                "an approval passed its checks with a field missing"
            ))),
        }
    }
}

/// A proposal for joint action.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JointActionProposal {
    pub id: String,
    pub assessment_id: String,
    pub title: String,
    pub description: Option<String>,
    pub addressees: Vec<String>,
    pub priority_ids: Vec<String>,
    pub status: ProposalStatus,
    pub approved_on: Option<NaiveDate>,
    pub approved_by: Option<String>,
    pub document: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Contact person of an NPO for one proposal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// Body of a request in which an NPO proposes a need for an assessment.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NpoProposalInput {
    /// The problem, task or need the NPO has found.
    #[serde(default)]
    #[schema(required = true)]
    pub text: String,
    #[schema(value_type = Option<Sphere>)]
    pub sphere: Option<String>,
    #[schema(value_type = Option<TargetGroup>)]
    pub target_group: Option<String>,
    /// KATO code of the territory concerned.
    #[schema(value_type = Option<String>)]
    pub territory: Option<String>,
    /// Contact person for the proposal. Personal data: shown only to the body's officer,
    /// the ministry and the NPO itself.
    pub contact: Option<Contact>,
}

/// A valid NPO proposal.
#[derive(Debug, Clone, PartialEq)]
pub struct NpoProposalFacts {
    pub text: String,
    pub sphere: Option<Sphere>,
    pub target_group: Option<TargetGroup>,
    pub territory: Option<KatoCode>,
    pub contact: Option<Contact>,
}

impl NpoProposalInput {
    /// Parses the request, listing every invalid field.
    pub fn parse(&self) -> Result<NpoProposalFacts, service_kit::ApiError> {
        let mut errors = Errors::default();
        let proposal = errors
            .check("/text", multiline_text(Some(&self.text), 5000))
            .flatten();
        if proposal.is_none() && !errors.has("/text") {
            errors.add("/text", "must not be empty");
        }
        let sphere = self
            .sphere
            .as_deref()
            .and_then(|raw| errors.check("/sphere", parse_code::<Sphere>(raw)));
        let target_group = self
            .target_group
            .as_deref()
            .and_then(|raw| errors.check("/target_group", parse_code::<TargetGroup>(raw)));
        let territory = self
            .territory
            .as_deref()
            .and_then(|raw| errors.check("/territory", KatoCode::parse(raw)));
        let contact = self.contact.as_ref().map(|contact| Contact {
            name: errors
                .check("/contact/name", text(contact.name.as_deref(), 200))
                .flatten(),
            phone: errors
                .check("/contact/phone", text(contact.phone.as_deref(), 50))
                .flatten(),
            email: errors
                .check("/contact/email", email(contact.email.as_deref()))
                .flatten(),
        });

        errors.into_result()?;
        Ok(NpoProposalFacts {
            text: proposal.unwrap_or_default(),
            sphere,
            target_group,
            territory,
            contact: contact.filter(|c| c.name.is_some() || c.phone.is_some() || c.email.is_some()),
        })
    }
}

fn email(raw: Option<&str>) -> Result<Option<String>, String> {
    let Some(value) = text(raw, 254)? else {
        return Ok(None);
    };
    let valid = value.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty() && domain.contains('.') && !domain.contains('@')
    });
    if valid {
        Ok(Some(value))
    } else {
        Err(format!("'{value}' is not an e-mail address"))
    }
}

/// A proposal of an NPO.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NpoProposal {
    pub id: String,
    pub assessment_id: String,
    /// Registry id of the NPO.
    pub npo_id: String,
    pub npo_bin: String,
    /// Russian name of the NPO in the registry when the proposal arrived.
    pub npo_name: Option<String>,
    pub text: String,
    pub sphere: Option<Sphere>,
    pub target_group: Option<TargetGroup>,
    pub territory: Option<String>,
    pub contact: Option<Contact>,
    pub submitted_at: DateTime<Utc>,
}
