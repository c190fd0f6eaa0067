//! Recommendations of NPOs to a government body: what they propose, who wrote them,
//! how the body handled them, the clarifications asked, and the feedback that must
//! reach the author before a recommendation is closed.

use chrono::{DateTime, NaiveDate, Utc};
use common_models::event::recommendations::RecommendationChanged;
use common_models::{Catalogue, KatoCode, Sphere};
use serde::{Deserialize, Serialize};
use service_kit::{ApiError, FieldError};
use utoipa::ToSchema;

use super::{Errors, Responsible, multiline_text, parse_code, parse_date, present, text};

/// Kind of the author of a recommendation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuthorKind {
    /// An NPO of the registry.
    Npo,
    /// A person writing in their own name.
    Person,
}

impl AuthorKind {
    /// Returns the stable code of the kind.
    pub fn code(self) -> &'static str {
        match self {
            Self::Npo => "npo",
            Self::Person => "person",
        }
    }
}

/// Party that started the exchange: the NPO on its own initiative, or the body that
/// asked for recommendations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Initiator {
    Npo,
    GovernmentBody,
}

impl Initiator {
    /// Returns the stable code of the initiator.
    pub fn code(self) -> &'static str {
        match self {
            Self::Npo => "npo",
            Self::GovernmentBody => "government_body",
        }
    }
}

/// Stage of a recommendation. Every recommendation is accepted into work on arrival.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    InWork,
    Forwarded,
    Rejected,
    IncludedInPlans,
    Implemented,
    Closed,
}

impl Status {
    /// Returns the stable code of the status.
    pub fn code(self) -> &'static str {
        match self {
            Self::InWork => "in_work",
            Self::Forwarded => "forwarded",
            Self::Rejected => "rejected",
            Self::IncludedInPlans => "included_in_plans",
            Self::Implemented => "implemented",
            Self::Closed => "closed",
        }
    }

    /// Reads a stored code.
    pub fn from_code(code: &str) -> Option<Self> {
        [
            Self::InWork,
            Self::Forwarded,
            Self::Rejected,
            Self::IncludedInPlans,
            Self::Implemented,
            Self::Closed,
        ]
        .into_iter()
        .find(|s| s.code() == code)
    }
}

/// Contact person for a recommendation: personal data, shown only to the body's
/// officer, the ministry and the NPO that wrote it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Contacts {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// Writes the name, phone and e-mail that are given, separated by commas, as the
/// annual report lists contacts in one column.
impl std::fmt::Display for Contacts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts = [&self.name, &self.phone, &self.email];
        let given: Vec<&str> = parts.into_iter().filter_map(|p| p.as_deref()).collect();
        f.write_str(&given.join(", "))
    }
}

/// Body of a request that submits or records a recommendation.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecommendationInput {
    /// Government body the recommendation is for; an NPO names it, an officer records
    /// for their own body.
    pub government_body: Option<String>,
    #[serde(default)]
    #[schema(value_type = Sphere, required = true)]
    pub sphere: String,
    #[serde(default)]
    #[schema(required = true)]
    pub text: String,
    /// KATO code of the territory the recommendation concerns; the competence map uses
    /// it with the sphere to find the competent body.
    pub territory: Option<String>,
    pub contacts: Option<Contacts>,
    /// `npo` or `person`, for a recommendation an officer records.
    #[schema(value_type = Option<AuthorKind>)]
    pub author_kind: Option<String>,
    /// Name of the author, for a recommendation an officer records.
    pub author_name: Option<String>,
    /// Registry id of the NPO, for a recommendation an officer records from an NPO.
    pub npo_id: Option<String>,
    /// Request for recommendations this submission replies to. The recommendation goes
    /// to the body that sent the request.
    pub request_id: Option<String>,
    /// Day the body received it, for a recommendation an officer records.
    #[schema(value_type = Option<NaiveDate>)]
    pub received_on: Option<String>,
    /// `npo` or `government_body`, for a recommendation an officer records.
    #[schema(value_type = Option<Initiator>)]
    pub initiator: Option<String>,
}

/// The checked fields every recommendation has.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    pub sphere: Sphere,
    pub text: String,
    pub territory: Option<KatoCode>,
    pub contacts: Option<Contacts>,
}

/// A checked submission of an NPO user: the body it names, the request it replies to,
/// at least one of the two, and the recommendation.
#[derive(Debug, Clone, PartialEq)]
pub struct Submission {
    pub government_body: Option<String>,
    pub request_id: Option<String>,
    pub proposal: Proposal,
}

/// The author as an officer records it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedAuthor {
    pub kind: AuthorKind,
    pub name: Option<String>,
    pub npo_id: Option<String>,
    pub received_on: NaiveDate,
    pub initiator: Initiator,
}

impl RecommendationInput {
    /// Parses what every recommendation has, adding to `errors`.
    fn proposal(&self, errors: &mut Errors) -> Option<Proposal> {
        let sphere = present(errors, "/sphere", &self.sphere)
            .and_then(|raw| errors.check("/sphere", parse_code::<Sphere>(raw)));
        let text = errors
            .check("/text", multiline_text(Some(&self.text), 10_000))
            .flatten();
        if text.is_none() && !errors.has("/text") {
            errors.add("/text", "is required");
        }
        let territory = match self.territory.as_deref().map(str::trim) {
            Some(raw) => errors.check("/territory", KatoCode::parse(raw)),
            None => None,
        };
        let contacts = self.contacts.as_ref().map(|c| Contacts {
            name: errors
                .check("/contacts/name", super::text(c.name.as_deref(), 200))
                .flatten(),
            phone: errors
                .check("/contacts/phone", super::text(c.phone.as_deref(), 50))
                .flatten(),
            email: errors
                .check("/contacts/email", super::text(c.email.as_deref(), 254))
                .flatten(),
        });
        Some(Proposal {
            sphere: sphere?,
            text: text?,
            territory,
            contacts: contacts
                .filter(|c| c.name.is_some() || c.phone.is_some() || c.email.is_some()),
        })
    }

    /// Parses a submission by an NPO user, who names the body and nothing about the
    /// author, which comes from the token and the registry.
    pub fn parse_submission(&self) -> Result<Submission, ApiError> {
        let mut errors = Errors::default();
        let body = errors
            .check(
                "/government_body",
                text(self.government_body.as_deref(), 200),
            )
            .flatten();
        let request_id = errors
            .check("/request_id", text(self.request_id.as_deref(), 64))
            .flatten();
        let unnamed = body.is_none() && request_id.is_none();
        if unnamed && !errors.has("/government_body") && !errors.has("/request_id") {
            errors.add(
                "/government_body",
                "name the government body the recommendation is for, or the request_id it answers",
            );
        }
        for (name, present) in [
            ("author_kind", self.author_kind.is_some()),
            ("author_name", self.author_name.is_some()),
            ("npo_id", self.npo_id.is_some()),
            ("received_on", self.received_on.is_some()),
            ("initiator", self.initiator.is_some()),
        ] {
            if present {
                errors.add(
                    format!("/{name}"),
                    "an NPO's own submission takes this from its token",
                );
            }
        }
        let proposal = self.proposal(&mut errors);
        errors.into_result()?;
        let proposal = proposal.ok_or_else(|| missing("recommendation"))?;
        Ok(Submission {
            government_body: body,
            request_id,
            proposal,
        })
    }

    /// Parses a recommendation an officer records, received by `today` at the latest.
    pub fn parse_recorded(&self, today: NaiveDate) -> Result<(Proposal, RecordedAuthor), ApiError> {
        let mut errors = Errors::default();
        if self.request_id.is_some() {
            errors.add(
                "/request_id",
                "only an NPO answers a request for recommendations; an officer records the initiator",
            );
        }
        if self.government_body.is_some() {
            errors.add(
                "/government_body",
                "an officer records recommendations for their own body",
            );
        }
        let kind = match self.author_kind.as_deref().map(str::trim) {
            Some("npo") => Some(AuthorKind::Npo),
            Some("person") => Some(AuthorKind::Person),
            Some(other) => {
                errors.add(
                    "/author_kind",
                    format!("unknown code '{other}'; expected npo or person"),
                );
                None
            }
            None => {
                errors.add("/author_kind", "is required");
                None
            }
        };
        let name = errors
            .check("/author_name", text(self.author_name.as_deref(), 500))
            .flatten();
        let npo_id = errors
            .check("/npo_id", text(self.npo_id.as_deref(), 64))
            .flatten();
        match kind {
            Some(AuthorKind::Npo) if npo_id.is_none() && !errors.has("/npo_id") => errors.add(
                "/npo_id",
                "a recommendation of an NPO names its registry id",
            ),
            Some(AuthorKind::Person) if name.is_none() && !errors.has("/author_name") => {
                errors.add("/author_name", "is required for a person")
            }
            Some(AuthorKind::Person) if npo_id.is_some() => {
                errors.add("/npo_id", "only an NPO has a registry id")
            }
            _ => {}
        }
        let received_on = match self.received_on.as_deref() {
            Some(raw) => errors.check("/received_on", parse_date(raw)),
            None => Some(today),
        };
        if let Some(date) = received_on
            && date > today
        {
            errors.add("/received_on", format!("{date} is after today ({today})"));
        }
        let initiator = match self.initiator.as_deref().map(str::trim) {
            None | Some("npo") => Some(Initiator::Npo),
            Some("government_body") => Some(Initiator::GovernmentBody),
            Some(other) => {
                errors.add(
                    "/initiator",
                    format!("unknown code '{other}'; expected npo or government_body"),
                );
                None
            }
        };
        let proposal = self.proposal(&mut errors);

        errors.into_result()?;
        match (proposal, kind, received_on, initiator) {
            (Some(proposal), Some(kind), Some(received_on), Some(initiator)) => Ok((
                proposal,
                RecordedAuthor {
                    kind,
                    name,
                    npo_id,
                    received_on,
                    initiator,
                },
            )),
            _ => Err(missing("recommendation")),
        }
    }
}

fn missing(what: &str) -> ApiError {
    ApiError::internal(anyhow::anyhow!(
        "a {what} passed its checks with a field missing"
    ))
}

/// A clarification the officer asked of the author, with the answer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Clarification {
    /// Number of the clarification, from 1.
    pub number: i32,
    pub question: String,
    pub asked_on: NaiveDate,
    pub answer: Option<String>,
    pub answered_on: Option<NaiveDate>,
}

/// Source of the choice of the receiving body of a forwarding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoutedBy {
    /// The competence map named the body competent for the sphere and territory.
    CompetenceMap,
    /// The officer named the body.
    Officer,
}

impl RoutedBy {
    /// Returns the stable code.
    pub fn code(self) -> &'static str {
        match self {
            Self::CompetenceMap => "competence_map",
            Self::Officer => "officer",
        }
    }

    /// Reads a stored code.
    pub fn from_code(code: &str) -> Option<Self> {
        [Self::CompetenceMap, Self::Officer]
            .into_iter()
            .find(|r| r.code() == code)
    }
}

/// One step of a recommendation's way from body to body.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Forwarding {
    /// Number of the step, from 1.
    pub number: i32,
    pub from_body: String,
    pub to_body: String,
    /// Reason for sending it on, required when it had been forwarded before.
    pub reason: Option<String>,
    pub routed_by: RoutedBy,
    pub forwarded_on: NaiveDate,
}

/// Next step the body handling a recommendation owes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Deciding how it is handled.
    Decision,
    /// Telling the author what was decided.
    Feedback,
}

/// A recommendation.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Recommendation {
    pub id: String,
    /// Body handling the recommendation now.
    pub government_body: String,
    /// Body that first received it.
    pub received_by: String,
    pub sphere: Sphere,
    #[schema(value_type = Option<String>, example = "620000000")]
    pub territory: Option<KatoCode>,
    pub text: String,
    pub author_kind: AuthorKind,
    pub author_name: String,
    pub npo_id: Option<String>,
    /// Left out for readers other than the body's officer, the ministry and the author.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contacts: Option<Contacts>,
    pub received_on: NaiveDate,
    pub initiator: Initiator,
    pub status: Status,
    /// Reason of a rejection, or note of another handling.
    pub reason: Option<String>,
    /// Handling of the latest decision: rejected, included_in_plans or implemented,
    /// kept after closing. Null until decided, and for recommendations closed before
    /// the service stored it.
    pub handling: Option<Status>,
    /// Day of the latest decision.
    pub decided_on: Option<NaiveDate>,
    /// Answer given to the author.
    pub feedback: Option<String>,
    /// Day the feedback was given.
    pub answered_on: Option<NaiveDate>,
    pub clarifications: Vec<Clarification>,
    /// Steps from body to body, oldest first.
    pub forwarding: Vec<Forwarding>,
    /// Officer responsible for it (table 5's person responsible); null while the
    /// body has no known officer.
    pub responsible: Option<Responsible>,
    /// Next step due, while the recommendation is open.
    pub stage: Option<Stage>,
    /// Day the current stage is due, counted in working days.
    pub due_on: Option<NaiveDate>,
    /// Whether the current stage is past its due day.
    pub overdue: bool,
    /// Request for recommendations this one replies to.
    pub request_id: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(skip)]
    pub npo_bin: Option<String>,
    /// Version the last decision produced.
    #[serde(skip)]
    pub decided_version: Option<i32>,
    /// Version the last feedback produced.
    #[serde(skip)]
    pub feedback_version: Option<i32>,
}

impl Recommendation {
    /// Returns whether the author got feedback after the last decision.
    pub fn feedback_follows_decision(&self) -> bool {
        feedback_follows(self.decided_version, self.feedback_version)
    }

    /// Builds the payload of the recommendation events: a row of annual report table 5
    /// with the stage and the latest forwarding. It carries the author's contacts, so
    /// build it from the recommendation as the body's officer reads it.
    pub fn payload(&self) -> RecommendationChanged {
        let latest_forwarding = self.forwarding.last();
        RecommendationChanged {
            recommendation_id: self.id.clone(),
            government_body: self.government_body.clone(),
            sphere: self.sphere.code().to_owned(),
            npo_id: self.npo_id.clone(),
            status: self.status.code().to_owned(),
            received_on: self.received_on,
            answered_on: self.answered_on,
            territory: self.territory.as_ref().map(|t| t.as_str().to_owned()),
            author_kind: Some(self.author_kind.code().to_owned()),
            author_name: Some(self.author_name.clone()).filter(|name| !name.is_empty()),
            contacts: self
                .contacts
                .as_ref()
                .map(ToString::to_string)
                .filter(|contacts| !contacts.is_empty()),
            initiator: Some(self.initiator.code().to_owned()),
            received_by: Some(self.received_by.clone()).filter(|body| !body.is_empty()),
            responsible_name: self.responsible.as_ref().and_then(|r| r.name.clone()),
            handling: self.handling.map(|handling| handling.code().to_owned()),
            decided_on: self.decided_on,
            forwarded_on: latest_forwarding.map(|f| f.forwarded_on),
            forwarded_from: latest_forwarding.map(|f| f.from_body.clone()),
            due_on: self.due_on,
            author_email: self.contacts.as_ref().and_then(|c| c.email.clone()),
        }
    }
}

/// Returns whether feedback given at `feedback_version` came after the decision made at
/// `decided_version`.
pub fn feedback_follows(decided_version: Option<i32>, feedback_version: Option<i32>) -> bool {
    match (decided_version, feedback_version) {
        (Some(decided), Some(feedback)) => feedback > decided,
        _ => false,
    }
}

/// Body of a decision on a recommendation.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionInput {
    /// rejected, included_in_plans or implemented; forwarding has its own route.
    #[serde(default)]
    #[schema(required = true)]
    pub handling: String,
    /// Required for a rejection.
    pub reason: Option<String>,
}

impl DecisionInput {
    /// Parses the decision: a handling other than in work or closed, and a reason for a
    /// rejection.
    pub fn parse(&self) -> Result<(Status, Option<String>), ApiError> {
        let mut errors = Errors::default();
        let handling = present(&mut errors, "/handling", &self.handling).and_then(|raw| {
            let status = Status::from_code(raw)
                .filter(|s| !matches!(s, Status::InWork | Status::Closed | Status::Forwarded));
            if raw == Status::Forwarded.code() {
                errors.add(
                    "/handling",
                    "forward a recommendation with POST /v1/recommendations/{id}/forwarding, which names the receiving body",
                );
            } else if status.is_none() {
                errors.add(
                    "/handling",
                    format!("unknown handling '{raw}'; expected rejected, included_in_plans or implemented"),
                );
            }
            status
        });
        let reason = errors
            .check("/reason", multiline_text(self.reason.as_deref(), 5000))
            .flatten();
        if handling == Some(Status::Rejected) && reason.is_none() && !errors.has("/reason") {
            errors.add("/reason", "a rejection gives its reason");
        }

        errors.into_result()?;
        let handling = handling.ok_or_else(|| missing("decision"))?;
        Ok((handling, reason))
    }
}

/// Body with one required text, such as a question, an answer or the feedback.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuestionInput {
    #[serde(default)]
    #[schema(required = true)]
    pub question: String,
}

/// Body of the author's answer to a clarification.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerInput {
    #[serde(default)]
    #[schema(required = true)]
    pub answer: String,
}

/// Body of the feedback given to the author.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackInput {
    #[serde(default)]
    #[schema(required = true)]
    pub feedback: String,
}

/// Checks one required free text at `pointer`.
pub fn required_text(pointer: &str, raw: &str) -> Result<String, ApiError> {
    let mut errors = Errors::default();
    let value = errors
        .check(pointer, multiline_text(Some(raw), 10_000))
        .flatten();
    if value.is_none() && !errors.has(pointer) {
        errors.add(pointer, "is required");
    }
    errors.into_result()?;
    value.ok_or_else(|| missing("text"))
}

/// Checks that a recommendation may be closed: it was decided and its author got
/// feedback.
pub fn check_closable(recommendation: &Recommendation) -> Result<(), ApiError> {
    let mut missing = Vec::new();
    if matches!(recommendation.status, Status::InWork | Status::Forwarded) {
        missing.push(FieldError::new(
            "/handling",
            "decide how the recommendation is handled first",
        ));
    }
    if recommendation.feedback.is_none() {
        missing.push(FieldError::new(
            "/feedback",
            "give the author feedback before closing",
        ));
    } else if !recommendation.feedback_follows_decision() {
        missing.push(FieldError::new(
            "/feedback",
            "the last feedback came before the decision; tell the author what was decided",
        ));
    }
    if missing.is_empty() {
        return Ok(());
    }
    Err(ApiError::NotReady {
        reason: format!("recommendation {} cannot be closed yet", recommendation.id),
        missing,
    })
}

/// Body of a forwarding to another government body.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForwardingInput {
    /// Receiving body; without it the competence map names the body competent for
    /// the recommendation's sphere and territory.
    pub to_body: Option<String>,
    /// Reason for sending the recommendation on, required when it was forwarded before.
    pub reason: Option<String>,
}

impl ForwardingInput {
    /// Parses the receiving body, when named, and the reason, which a re-routing of a
    /// recommendation forwarded before must give.
    pub fn parse(
        &self,
        forwarded_before: bool,
    ) -> Result<(Option<String>, Option<String>), ApiError> {
        let mut errors = Errors::default();
        let to_body = errors
            .check("/to_body", text(self.to_body.as_deref(), 200))
            .flatten();
        let reason = errors
            .check("/reason", multiline_text(self.reason.as_deref(), 5000))
            .flatten();
        if forwarded_before && reason.is_none() && !errors.has("/reason") {
            errors.add(
                "/reason",
                "the recommendation was forwarded before; re-routing gives its reason",
            );
        }
        errors.into_result()?;
        Ok((to_body, reason))
    }
}

/// Checks that a recommendation at `current_body` may go to `to_body`: it is not yet
/// decided and the target is another body.
pub fn check_forwardable(recommendation: &Recommendation, to_body: &str) -> Result<(), ApiError> {
    check_undecided(recommendation)?;
    if to_body == recommendation.government_body {
        return Err(ApiError::field(
            "/to_body",
            format!("the recommendation is already at {to_body}"),
        ));
    }
    Ok(())
}

/// Checks that a recommendation is still undecided, so it may be forwarded.
pub fn check_undecided(recommendation: &Recommendation) -> Result<(), ApiError> {
    if !matches!(recommendation.status, Status::InWork | Status::Forwarded) {
        return Err(ApiError::Conflict(format!(
            "recommendation {} is already {}; only one in work or forwarded can be sent on",
            recommendation.id,
            recommendation.status.code()
        )));
    }
    Ok(())
}

/// Returns the stage a recommendation in `status` is at, with or without feedback after
/// its decision.
pub fn stage_of(status: Status, feedback_after_decision: bool) -> Option<Stage> {
    match status {
        Status::InWork | Status::Forwarded => Some(Stage::Decision),
        Status::Closed => None,
        _ if feedback_after_decision => None,
        _ => Some(Stage::Feedback),
    }
}
