//! A joint action of a government body with NPOs: its goals and tasks, the parties
//! with their zones of responsibility, the steps, and the rules of its lifecycle.

use chrono::{DateTime, NaiveDate, Utc};
use common_models::event::joint_actions::ActionStateChanged;
use common_models::{ActionStatus, Catalogue, KatoCode, Sphere};
use serde::{Deserialize, Serialize};
use service_kit::{ApiError, FieldError};
use utoipa::ToSchema;

use super::{Errors, multiline_text, parse_codes, parse_date, present, text};

/// Maximum number of goals, tasks or spheres of one action.
const MAX_ITEMS: usize = 50;

/// Starter of an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Initiator {
    /// The officer of the government body.
    Officer,
    /// An NPO, whose goals the officer found to fit the body's spheres.
    Npo,
}

/// Body of a request that starts a joint action.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionInput {
    #[serde(default)]
    #[schema(required = true)]
    pub title: String,
    #[serde(default)]
    #[schema(value_type = Initiator, required = true)]
    pub initiator: String,
    /// Registry id of the NPO that proposed the action, when an NPO did.
    pub initiating_npo_id: Option<String>,
    /// Officer's assessment of how the initiating NPO's goals fit the body's spheres,
    /// when an NPO proposed the action.
    pub fit_assessment: Option<String>,
    #[serde(default)]
    #[schema(value_type = Vec<Sphere>)]
    pub spheres: Vec<String>,
    /// KATO code of the territory.
    pub territory: Option<String>,
    #[serde(default)]
    pub goals: Vec<String>,
    #[serde(default)]
    pub tasks: Vec<String>,
}

/// A valid request to start a joint action.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionFacts {
    pub title: String,
    pub initiator: Initiator,
    pub initiating_npo_id: Option<String>,
    pub fit_assessment: Option<String>,
    pub spheres: Vec<Sphere>,
    pub territory: Option<KatoCode>,
    pub goals: Vec<String>,
    pub tasks: Vec<String>,
}

impl ActionInput {
    /// Parses the request, listing every invalid field. An NPO-initiated action needs
    /// the NPO and the officer's assessment of how its goals fit.
    pub fn parse(&self) -> Result<ActionFacts, ApiError> {
        let mut errors = Errors::default();
        let title = errors
            .check("/title", text(Some(&self.title), 300))
            .flatten();
        if title.is_none() && !errors.has("/title") {
            errors.add("/title", "is required");
        }
        let initiator = present(&mut errors, "/initiator", &self.initiator).and_then(|raw| {
            let parsed = match raw {
                "officer" => Some(Initiator::Officer),
                "npo" => Some(Initiator::Npo),
                _ => None,
            };
            if parsed.is_none() {
                errors.add(
                    "/initiator",
                    format!("unknown code '{raw}'; expected officer or npo"),
                );
            }
            parsed
        });
        let initiating_npo_id = errors
            .check(
                "/initiating_npo_id",
                text(self.initiating_npo_id.as_deref(), 64),
            )
            .flatten();
        let fit_assessment = errors
            .check(
                "/fit_assessment",
                multiline_text(self.fit_assessment.as_deref(), 5000),
            )
            .flatten();
        if initiator == Some(Initiator::Npo) {
            if initiating_npo_id.is_none() && !errors.has("/initiating_npo_id") {
                errors.add(
                    "/initiating_npo_id",
                    "an NPO-initiated action names the NPO",
                );
            }
            if fit_assessment.is_none() && !errors.has("/fit_assessment") {
                errors.add(
                    "/fit_assessment",
                    "record how the NPO's goals fit the body's spheres",
                );
            }
        }
        if initiator == Some(Initiator::Officer) && initiating_npo_id.is_some() {
            errors.add(
                "/initiating_npo_id",
                "only an NPO-initiated action names one",
            );
        }
        if self.spheres.len() > MAX_ITEMS {
            errors.add("/spheres", format!("at most {MAX_ITEMS} spheres"));
        }
        let spheres = parse_codes::<Sphere>(&mut errors, "/spheres", &self.spheres);
        let territory = self
            .territory
            .as_deref()
            .and_then(|raw| errors.check("/territory", KatoCode::parse(raw)));
        let goals = lines(&mut errors, "/goals", &self.goals);
        let tasks = lines(&mut errors, "/tasks", &self.tasks);

        errors.into_result()?;
        Ok(ActionFacts {
            title: title.unwrap_or_default(),
            initiator: initiator.unwrap_or(Initiator::Officer),
            initiating_npo_id,
            fit_assessment,
            spheres,
            territory,
            goals,
            tasks,
        })
    }
}

/// Body of a request that changes an action while it is a draft or agreed: fields
/// left out stay as they are. The initiator and the initiating NPO never change.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionPatch {
    pub title: Option<String>,
    #[serde(default, deserialize_with = "service_kit::extract::nullable")]
    #[schema(value_type = Option<String>)]
    pub fit_assessment: Option<Option<String>>,
    #[schema(value_type = Option<Vec<Sphere>>)]
    pub spheres: Option<Vec<String>>,
    #[serde(default, deserialize_with = "service_kit::extract::nullable")]
    #[schema(value_type = Option<String>)]
    pub territory: Option<Option<String>>,
    pub goals: Option<Vec<String>>,
    pub tasks: Option<Vec<String>>,
}

impl ActionPatch {
    /// Lays the patch over `current` and parses the result with the checks of a create.
    pub fn apply(&self, current: &Action) -> Result<ActionFacts, ApiError> {
        let input = ActionInput {
            title: self.title.clone().unwrap_or_else(|| current.title.clone()),
            initiator: match current.initiator {
                Initiator::Officer => "officer".to_owned(),
                Initiator::Npo => "npo".to_owned(),
            },
            initiating_npo_id: current.initiating_npo_id.clone(),
            fit_assessment: match &self.fit_assessment {
                Some(value) => value.clone(),
                None => current.fit_assessment.clone(),
            },
            spheres: self
                .spheres
                .clone()
                .unwrap_or_else(|| current.spheres.iter().map(ToString::to_string).collect()),
            territory: match &self.territory {
                Some(value) => value.clone(),
                None => current.territory.clone(),
            },
            goals: self.goals.clone().unwrap_or_else(|| current.goals.clone()),
            tasks: self.tasks.clone().unwrap_or_else(|| current.tasks.clone()),
        };
        input.parse()
    }
}

/// Parses a list of short texts, each required.
fn lines(errors: &mut Errors, pointer: &str, raw: &[String]) -> Vec<String> {
    if raw.len() > MAX_ITEMS {
        errors.add(pointer, format!("at most {MAX_ITEMS} entries"));
        return Vec::new();
    }
    let mut parsed = Vec::new();
    for (index, item) in raw.iter().enumerate() {
        let item_pointer = format!("{pointer}/{index}");
        match errors.check(&item_pointer, multiline_text(Some(item), 2000)) {
            Some(Some(value)) => parsed.push(value),
            Some(None) => errors.add(item_pointer, "must not be empty"),
            None => {}
        }
    }
    parsed
}

/// Kind of a party to a joint action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PartyKind {
    /// An NPO of the registry.
    Npo,
    /// The officer's own body, or another government body whose work the officer
    /// organises.
    GovernmentBody,
    /// Anyone else, such as a business or a university.
    Other,
}

/// Body of a request that adds a party.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartyInput {
    #[serde(default)]
    #[schema(value_type = PartyKind, required = true)]
    pub kind: String,
    /// Registry id of the NPO, for an NPO party.
    pub npo_id: Option<String>,
    /// Name of the party; an NPO party takes its name from the registry.
    pub name: Option<String>,
    pub zone_of_responsibility: Option<String>,
    /// Full name of the party's responsible representative.
    pub representative: Option<String>,
    /// Day the NPO consented to take part.
    #[schema(value_type = Option<NaiveDate>)]
    pub consent_on: Option<String>,
    /// Document that records the consent, such as a letter number.
    pub consent_document: Option<String>,
}

/// A valid party, before an NPO party's name is read from the registry.
#[derive(Debug, Clone, PartialEq)]
pub struct PartyFacts {
    pub kind: PartyKind,
    pub npo_id: Option<String>,
    pub name: Option<String>,
    pub terms: PartyTerms,
}

/// Terms a party agreed to: its zone, its representative and its consent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PartyTerms {
    pub zone_of_responsibility: Option<String>,
    pub representative: Option<String>,
    pub consent_on: Option<NaiveDate>,
    pub consent_document: Option<String>,
}

impl PartyInput {
    /// Parses the request, listing every invalid field; consent may not lie after
    /// `today`.
    pub fn parse(&self, today: NaiveDate) -> Result<PartyFacts, ApiError> {
        let mut errors = Errors::default();
        let kind = present(&mut errors, "/kind", &self.kind).and_then(|raw| {
            let parsed = match raw {
                "npo" => Some(PartyKind::Npo),
                "government_body" => Some(PartyKind::GovernmentBody),
                "other" => Some(PartyKind::Other),
                _ => None,
            };
            if parsed.is_none() {
                errors.add(
                    "/kind",
                    format!("unknown code '{raw}'; expected npo, government_body or other"),
                );
            }
            parsed
        });
        let npo_id = errors
            .check("/npo_id", text(self.npo_id.as_deref(), 64))
            .flatten();
        let name = errors
            .check("/name", text(self.name.as_deref(), 500))
            .flatten();
        match kind {
            Some(PartyKind::Npo) if npo_id.is_none() && !errors.has("/npo_id") => {
                errors.add("/npo_id", "an NPO party names the NPO's registry id");
            }
            Some(PartyKind::GovernmentBody | PartyKind::Other) if npo_id.is_some() => {
                errors.add("/npo_id", "only an NPO party has a registry id");
            }
            Some(PartyKind::GovernmentBody | PartyKind::Other)
                if name.is_none() && !errors.has("/name") =>
            {
                errors.add("/name", "is required for this kind of party");
            }
            _ => {}
        }
        let terms = PartyPatch {
            zone_of_responsibility: Some(self.zone_of_responsibility.clone()),
            representative: Some(self.representative.clone()),
            consent_on: Some(self.consent_on.clone()),
            consent_document: Some(self.consent_document.clone()),
        }
        .collect(&mut errors, &PartyTerms::default(), today);

        errors.into_result()?;
        Ok(PartyFacts {
            kind: kind.unwrap_or(PartyKind::Other),
            npo_id,
            name,
            terms,
        })
    }
}

/// Body of a request that changes a party's terms: fields left out stay as they are,
/// and `null` clears one.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartyPatch {
    #[serde(default, deserialize_with = "service_kit::extract::nullable")]
    #[schema(value_type = Option<String>)]
    pub zone_of_responsibility: Option<Option<String>>,
    #[serde(default, deserialize_with = "service_kit::extract::nullable")]
    #[schema(value_type = Option<String>)]
    pub representative: Option<Option<String>>,
    #[serde(default, deserialize_with = "service_kit::extract::nullable")]
    #[schema(value_type = Option<NaiveDate>)]
    pub consent_on: Option<Option<String>>,
    #[serde(default, deserialize_with = "service_kit::extract::nullable")]
    #[schema(value_type = Option<String>)]
    pub consent_document: Option<Option<String>>,
}

impl PartyPatch {
    /// Lays the patch over `current`, listing every invalid field.
    pub fn apply(&self, current: &PartyTerms, today: NaiveDate) -> Result<PartyTerms, ApiError> {
        let mut errors = Errors::default();
        let terms = self.collect(&mut errors, current, today);

        errors.into_result()?;
        Ok(terms)
    }

    fn collect(&self, errors: &mut Errors, current: &PartyTerms, today: NaiveDate) -> PartyTerms {
        let mut terms = current.clone();
        if let Some(zone) = &self.zone_of_responsibility {
            terms.zone_of_responsibility = errors
                .check(
                    "/zone_of_responsibility",
                    multiline_text(zone.as_deref(), 5000),
                )
                .flatten();
        }
        if let Some(representative) = &self.representative {
            terms.representative = errors
                .check("/representative", text(representative.as_deref(), 200))
                .flatten();
        }
        if let Some(consent_on) = &self.consent_on {
            terms.consent_on = consent_on
                .as_deref()
                .and_then(|raw| errors.check("/consent_on", parse_date(raw)));
            if let Some(date) = terms.consent_on
                && date > today
            {
                errors.add("/consent_on", format!("{date} is after today ({today})"));
            }
        }
        if let Some(document) = &self.consent_document {
            terms.consent_document = errors
                .check("/consent_document", text(document.as_deref(), 300))
                .flatten();
        }
        terms
    }
}

/// A party to a joint action.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Party {
    pub id: String,
    pub kind: PartyKind,
    pub npo_id: Option<String>,
    pub name: String,
    pub zone_of_responsibility: Option<String>,
    /// Personal data: actions are read only by the body's officer and the ministry.
    pub representative: Option<String>,
    pub consent_on: Option<NaiveDate>,
    pub consent_document: Option<String>,
}

/// Body of a request that adds a step.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepInput {
    /// Position of the step in the sequence, from 1.
    pub order: Option<i32>,
    #[serde(default)]
    #[schema(required = true)]
    pub title: String,
    #[schema(value_type = Option<NaiveDate>)]
    pub deadline: Option<String>,
    pub expected_result: Option<String>,
}

/// A step of a joint action.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Step {
    pub id: String,
    pub order: i32,
    pub title: String,
    pub deadline: Option<NaiveDate>,
    pub expected_result: Option<String>,
}

impl StepInput {
    /// Parses the request into a step with id `id`, listing every invalid field.
    pub fn parse(&self, id: String) -> Result<Step, ApiError> {
        let mut errors = Errors::default();
        let order = match self.order {
            Some(order) if (1..=1000).contains(&order) => Some(order),
            Some(_) => {
                errors.add("/order", "must be between 1 and 1000");
                None
            }
            None => {
                errors.add("/order", "is required");
                None
            }
        };
        let title = errors
            .check("/title", text(Some(&self.title), 500))
            .flatten();
        if title.is_none() && !errors.has("/title") {
            errors.add("/title", "is required");
        }
        let deadline = self
            .deadline
            .as_deref()
            .and_then(|raw| errors.check("/deadline", parse_date(raw)));
        let expected_result = errors
            .check(
                "/expected_result",
                multiline_text(self.expected_result.as_deref(), 2000),
            )
            .flatten();

        errors.into_result()?;
        Ok(Step {
            id,
            order: order.unwrap_or(1),
            title: title.unwrap_or_default(),
            deadline,
            expected_result,
        })
    }
}

/// The final evaluation of an action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Evaluation {
    pub effectiveness: String,
    pub results: String,
    pub conclusions: Option<String>,
    pub recommendations: Option<String>,
    pub evaluated_on: NaiveDate,
}

/// Body of a request that records the final evaluation.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvaluationInput {
    /// Effectiveness of the action against its goals.
    #[serde(default)]
    #[schema(required = true)]
    pub effectiveness: String,
    /// Results the action achieved.
    #[serde(default)]
    #[schema(required = true)]
    pub results: String,
    pub conclusions: Option<String>,
    pub recommendations: Option<String>,
}

impl EvaluationInput {
    /// Parses the request, listing every invalid field.
    pub fn parse(&self, today: NaiveDate) -> Result<Evaluation, ApiError> {
        let mut errors = Errors::default();
        let mut required = |pointer: &str, raw: &str| {
            let value = errors
                .check(pointer, multiline_text(Some(raw), 20_000))
                .flatten();
            if value.is_none() && !errors.has(pointer) {
                errors.add(pointer, "is required");
            }
            value
        };
        let effectiveness = required("/effectiveness", &self.effectiveness);
        let results = required("/results", &self.results);
        let conclusions = errors
            .check(
                "/conclusions",
                multiline_text(self.conclusions.as_deref(), 20_000),
            )
            .flatten();
        let recommendations = errors
            .check(
                "/recommendations",
                multiline_text(self.recommendations.as_deref(), 20_000),
            )
            .flatten();

        errors.into_result()?;
        Ok(Evaluation {
            effectiveness: effectiveness.unwrap_or_default(),
            results: results.unwrap_or_default(),
            conclusions,
            recommendations,
            evaluated_on: today,
        })
    }
}

/// A joint action with its parties and steps.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Action {
    pub id: String,
    pub government_body: String,
    pub title: String,
    pub initiator: Initiator,
    pub initiating_npo_id: Option<String>,
    pub fit_assessment: Option<String>,
    pub spheres: Vec<Sphere>,
    /// KATO code.
    pub territory: Option<String>,
    pub goals: Vec<String>,
    pub tasks: Vec<String>,
    pub status: ActionStatus,
    pub parties: Vec<Party>,
    /// Steps in their order.
    pub steps: Vec<Step>,
    pub started_on: Option<NaiveDate>,
    pub completed_on: Option<NaiveDate>,
    pub evaluation: Option<Evaluation>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Action {
    /// Builds the payload of `joint_actions.action.state_changed` for the action as it
    /// is after moving on from the status `from`.
    pub fn state_changed_event(&self, from: ActionStatus) -> ActionStateChanged {
        ActionStateChanged {
            action_id: self.id.clone(),
            government_body: self.government_body.clone(),
            from: from.code().to_owned(),
            to: self.status.code().to_owned(),
            npo_ids: self
                .parties
                .iter()
                .filter(|p| p.kind == PartyKind::Npo)
                .filter_map(|p| p.npo_id.clone())
                .collect(),
            title: Some(self.title.clone()),
            spheres: self.spheres.iter().map(|s| s.code().to_owned()).collect(),
            territory: self.territory.clone(),
            started_on: self.started_on,
            completed_on: self.completed_on,
        }
    }
}

/// Body of a status change.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    /// agreed, in_progress, completed or cancelled; evaluated is reached by recording
    /// the evaluation.
    #[serde(default)]
    #[schema(value_type = ActionStatus, required = true)]
    pub status: String,
}

/// Returns whether an action may move from `from` to `to` by a status change.
pub fn allowed(from: ActionStatus, to: ActionStatus) -> bool {
    use ActionStatus::{Agreed, Cancelled, Completed, Draft, InProgress};
    matches!(
        (from, to),
        (Draft, Agreed)
            | (Agreed, InProgress)
            | (InProgress, Completed)
            | (Draft | Agreed | InProgress, Cancelled)
    )
}

/// Returns whether parties and steps may still be added or changed.
pub fn is_open(status: ActionStatus) -> bool {
    matches!(status, ActionStatus::Draft | ActionStatus::Agreed)
}

/// Checks what an action needs before entering `to`, failing with 409 and every
/// missing item.
pub fn check_ready(action: &Action, to: ActionStatus) -> Result<(), ApiError> {
    let mut missing = Vec::new();
    match to {
        ActionStatus::Agreed => {
            if action.goals.is_empty() {
                missing.push(FieldError::new("/goals", "set at least one goal"));
            }
            if action.tasks.is_empty() {
                missing.push(FieldError::new("/tasks", "set at least one task"));
            }
            if !action.parties.iter().any(|p| p.kind == PartyKind::Npo) {
                missing.push(FieldError::new("/parties", "choose at least one NPO"));
            }
            for party in action.parties.iter().filter(|p| p.kind == PartyKind::Npo) {
                if party.consent_on.is_none() {
                    missing.push(FieldError::new(
                        format!("/parties/{}/consent_on", party.id),
                        format!("{} has not consented yet", party.name),
                    ));
                }
            }
            if action.steps.is_empty() {
                missing.push(FieldError::new("/steps", "agree at least one step"));
            }
        }
        // Practical work starts only once every party has a zone of responsibility and
        // a named responsible representative.
        ActionStatus::InProgress => {
            for party in action.parties.iter().filter(|p| p.kind == PartyKind::Npo) {
                if party.consent_on.is_none() {
                    missing.push(FieldError::new(
                        format!("/parties/{}/consent_on", party.id),
                        format!("{} has not consented", party.name),
                    ));
                }
            }
            for party in &action.parties {
                if party.zone_of_responsibility.is_none() {
                    missing.push(FieldError::new(
                        format!("/parties/{}/zone_of_responsibility", party.id),
                        format!("{} has no zone of responsibility", party.name),
                    ));
                }
                if party.representative.is_none() {
                    missing.push(FieldError::new(
                        format!("/parties/{}/representative", party.id),
                        format!("{} has no responsible representative", party.name),
                    ));
                }
            }
        }
        _ => {}
    }
    if missing.is_empty() {
        return Ok(());
    }
    Err(ApiError::NotReady {
        reason: format!("action {} cannot become {to} yet", action.id),
        missing,
    })
}
