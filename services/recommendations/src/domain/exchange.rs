//! Requests for information between officers of different bodies, which the requested
//! officer must answer by a deadline, and the expert and consultation support a body
//! gives to NPOs or receives from them.

use chrono::{DateTime, NaiveDate, Utc};
use common_models::event::recommendations::{ConsultationRecorded, OfficerRequestChanged};
use common_models::{Catalogue, Sphere};
use serde::{Deserialize, Serialize};
use service_kit::ApiError;
use utoipa::ToSchema;

use super::experts::parse_id;
use super::recommendation::Contacts;
use super::{Errors, multiline_text, parse_code, parse_date, present, text};

/// Body of a request for information to another body's officer.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfficerRequestInput {
    /// Government body whose officer is asked.
    #[serde(default)]
    #[schema(required = true)]
    pub to_body: String,
    #[serde(default)]
    #[schema(required = true)]
    pub question: String,
    #[schema(value_type = Option<Sphere>)]
    pub sphere: Option<String>,
    /// Format of the exchange, such as a letter or a meeting.
    pub format: Option<String>,
    pub contacts: Option<Contacts>,
    /// Day by which the answer is due, `YYYY-MM-DD`, not before `sent_on`.
    #[serde(default)]
    #[schema(value_type = NaiveDate, required = true)]
    pub deadline: String,
    /// Day the request was sent (default today), for a request recorded afterwards.
    #[schema(value_type = Option<NaiveDate>)]
    pub sent_on: Option<String>,
}

/// A valid request for information.
#[derive(Debug, Clone, PartialEq)]
pub struct OfficerRequestFacts {
    pub to_body: String,
    pub question: String,
    pub sphere: Option<Sphere>,
    pub format: Option<String>,
    pub contacts: Option<Contacts>,
    pub sent_on: NaiveDate,
    pub deadline: NaiveDate,
}

impl OfficerRequestInput {
    /// Parses the request of the officer of `from_body`. It was sent by `today`, its
    /// deadline is not before it was sent, and the asked body is another one.
    pub fn parse(
        &self,
        from_body: &str,
        today: NaiveDate,
    ) -> Result<OfficerRequestFacts, ApiError> {
        let mut errors = Errors::default();
        let to_body = errors
            .check("/to_body", text(Some(&self.to_body), 200))
            .flatten();
        match &to_body {
            None if !errors.has("/to_body") => errors.add("/to_body", "is required"),
            Some(body) if body == from_body => {
                errors.add("/to_body", "a request goes to another body's officer")
            }
            _ => {}
        }
        let question = errors
            .check("/question", multiline_text(Some(&self.question), 10_000))
            .flatten();
        if question.is_none() && !errors.has("/question") {
            errors.add("/question", "is required");
        }
        let sphere = self
            .sphere
            .as_deref()
            .and_then(|raw| errors.check("/sphere", parse_code::<Sphere>(raw)));
        let format = errors
            .check("/format", text(self.format.as_deref(), 200))
            .flatten();
        let contacts = self.contacts.as_ref().map(|c| Contacts {
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
        let sent_on = match self.sent_on.as_deref() {
            Some(raw) => errors.check("/sent_on", parse_date(raw)),
            None => Some(today),
        };
        if let Some(date) = sent_on
            && date > today
        {
            errors.add("/sent_on", format!("{date} is after today ({today})"));
        }
        let deadline = present(&mut errors, "/deadline", &self.deadline)
            .and_then(|raw| errors.check("/deadline", parse_date(raw)));
        if let (Some(date), Some(sent)) = (deadline, sent_on)
            && date < sent
        {
            errors.add(
                "/deadline",
                format!("{date} is before the request was sent ({sent})"),
            );
        }

        errors.into_result()?;
        match (to_body, question, sent_on, deadline) {
            (Some(to_body), Some(question), Some(sent_on), Some(deadline)) => {
                Ok(OfficerRequestFacts {
                    sent_on,
                    to_body,
                    question,
                    sphere,
                    format,
                    contacts: contacts
                        .filter(|c| c.name.is_some() || c.phone.is_some() || c.email.is_some()),
                    deadline,
                })
            }
            _ => Err(ApiError::internal(anyhow::anyhow!(
                "an officer request passed its checks with a field missing"
            ))),
        }
    }
}

/// Body of the requested officer's answer.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfficerAnswerInput {
    #[serde(default)]
    #[schema(required = true)]
    pub answer: String,
    /// Outcome of the exchange, such as a joint meeting agreed.
    pub result: Option<String>,
}

impl OfficerAnswerInput {
    /// Parses the answer and the result.
    pub fn parse(&self) -> Result<(String, Option<String>), ApiError> {
        let mut errors = Errors::default();
        let answer = errors
            .check("/answer", multiline_text(Some(&self.answer), 20_000))
            .flatten();
        if answer.is_none() && !errors.has("/answer") {
            errors.add("/answer", "is required");
        }
        let result = errors
            .check("/result", multiline_text(self.result.as_deref(), 5000))
            .flatten();

        errors.into_result()?;
        let answer = answer.ok_or_else(|| {
            ApiError::internal(anyhow::anyhow!("an answer passed its checks empty"))
        })?;
        Ok((answer, result))
    }
}

/// A request for information between officers.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OfficerRequest {
    pub id: String,
    /// Body of the asking officer, the initiator.
    pub from_body: String,
    /// Body of the officer who must answer.
    pub to_body: String,
    pub question: String,
    pub sphere: Option<Sphere>,
    pub format: Option<String>,
    pub contacts: Option<Contacts>,
    pub sent_on: NaiveDate,
    pub deadline: NaiveDate,
    pub answer: Option<String>,
    pub result: Option<String>,
    pub answered_on: Option<NaiveDate>,
    /// Whether the deadline passed without an answer.
    pub overdue: bool,
    pub created_at: DateTime<Utc>,
    /// Officer of the asking body who follows the request up.
    pub responsible: Option<super::Responsible>,
    /// Officer of the requested body who replies; null while that body has no known
    /// officer.
    pub asked_officer: Option<super::Responsible>,
}

impl OfficerRequest {
    /// Builds the payload of the officer request events: a row of annual report table 7
    /// for the asking and the asked body.
    pub fn payload(&self) -> OfficerRequestChanged {
        OfficerRequestChanged {
            request_id: self.id.clone(),
            from_body: self.from_body.clone(),
            to_body: self.to_body.clone(),
            question: self.question.clone(),
            sphere: self.sphere.map(|sphere| sphere.code().to_owned()),
            format: self.format.clone(),
            contacts: self.contacts.as_ref().map(ToString::to_string),
            sent_on: self.sent_on,
            deadline: self.deadline,
            answered_on: self.answered_on,
            result: self.result.clone(),
        }
    }
}

/// Direction of expert or consultation support.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// The body supported an NPO.
    Given,
    /// An NPO supported the body, such as with an expert opinion.
    Received,
}

impl Direction {
    /// Returns the stable code of the direction.
    pub fn code(self) -> &'static str {
        match self {
            Self::Given => "given",
            Self::Received => "received",
        }
    }
}

/// Body of a record of expert or consultation support.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsultationInput {
    #[serde(default)]
    #[schema(value_type = Direction, required = true)]
    pub direction: String,
    #[serde(default)]
    #[schema(value_type = NaiveDate, required = true)]
    pub held_on: String,
    /// Person or organisation supported or supporting.
    #[serde(default)]
    #[schema(required = true)]
    pub counterpart: String,
    /// Registry id, when the counterpart is an NPO of the registry.
    pub npo_id: Option<String>,
    pub contacts: Option<Contacts>,
    #[schema(value_type = Option<Sphere>)]
    pub sphere: Option<String>,
    /// Question or subject of the support.
    #[serde(default)]
    #[schema(required = true)]
    pub question: String,
    /// Form of the support, such as a consultation, an expert opinion or a training.
    #[serde(default)]
    #[schema(required = true)]
    pub form: String,
    /// Expert of the body's register who gave or received the support. Leave it out
    /// when `expert_group_id` is given.
    pub expert_id: Option<String>,
    /// Expert group of the body that gave or received the support. Leave it out when
    /// `expert_id` is given.
    pub expert_group_id: Option<String>,
}

/// A valid record of support.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsultationFacts {
    pub direction: Direction,
    pub held_on: NaiveDate,
    pub counterpart: String,
    pub npo_id: Option<String>,
    pub contacts: Option<Contacts>,
    pub sphere: Option<Sphere>,
    pub question: String,
    pub form: String,
    pub expert_id: Option<String>,
    pub expert_group_id: Option<String>,
}

impl ConsultationInput {
    /// Parses the record; the support was given by `today`. Whether the expert or group
    /// belongs to the body is checked against the store.
    pub fn parse(&self, today: NaiveDate) -> Result<ConsultationFacts, ApiError> {
        let mut errors = Errors::default();
        let direction =
            present(&mut errors, "/direction", &self.direction).and_then(|raw| match raw {
                "given" => Some(Direction::Given),
                "received" => Some(Direction::Received),
                other => {
                    errors.add(
                        "/direction",
                        format!("unknown code '{other}'; expected given or received"),
                    );
                    None
                }
            });
        let held_on = present(&mut errors, "/held_on", &self.held_on)
            .and_then(|raw| errors.check("/held_on", parse_date(raw)));
        if let Some(date) = held_on
            && date > today
        {
            errors.add("/held_on", format!("{date} is after today ({today})"));
        }
        let mut required = |pointer: &str, raw: &str, max: usize| {
            let value = errors.check(pointer, text(Some(raw), max)).flatten();
            if value.is_none() && !errors.has(pointer) {
                errors.add(pointer, "is required");
            }
            value
        };
        let counterpart = required("/counterpart", &self.counterpart, 500);
        let form = required("/form", &self.form, 200);
        let question = errors
            .check("/question", multiline_text(Some(&self.question), 5000))
            .flatten();
        if question.is_none() && !errors.has("/question") {
            errors.add("/question", "is required");
        }
        let npo_id = errors
            .check("/npo_id", text(self.npo_id.as_deref(), 64))
            .flatten();
        let sphere = self
            .sphere
            .as_deref()
            .and_then(|raw| errors.check("/sphere", parse_code::<Sphere>(raw)));
        let contacts = self.contacts.as_ref().map(|c| Contacts {
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
        let expert_id = parse_id(&mut errors, "/expert_id", self.expert_id.as_deref());
        let expert_group_id = parse_id(
            &mut errors,
            "/expert_group_id",
            self.expert_group_id.as_deref(),
        );
        if expert_id.is_some() && expert_group_id.is_some() {
            errors.add(
                "/expert_group_id",
                "a record names an expert or an expert group, not both; expert_id is also given",
            );
        }

        errors.into_result()?;
        match (direction, held_on, counterpart, question, form) {
            (Some(direction), Some(held_on), Some(counterpart), Some(question), Some(form)) => {
                Ok(ConsultationFacts {
                    direction,
                    held_on,
                    counterpart,
                    npo_id,
                    contacts: contacts
                        .filter(|c| c.name.is_some() || c.phone.is_some() || c.email.is_some()),
                    sphere,
                    question,
                    form,
                    expert_id,
                    expert_group_id,
                })
            }
            _ => Err(ApiError::internal(anyhow::anyhow!(
                "a consultation passed its checks with a field missing"
            ))),
        }
    }
}

/// A record of expert or consultation support.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Consultation {
    pub id: String,
    pub government_body: String,
    pub direction: Direction,
    pub held_on: NaiveDate,
    pub counterpart: String,
    pub npo_id: Option<String>,
    pub contacts: Option<Contacts>,
    pub sphere: Option<Sphere>,
    pub question: String,
    pub form: String,
    /// Expert of the body's register who gave or received the support.
    pub expert_id: Option<String>,
    /// Expert group of the body that gave or received the support.
    pub expert_group_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl Consultation {
    /// Builds the payload of `recommendations.consultation.recorded`: a row of annual
    /// report table 6.
    pub fn payload(&self) -> ConsultationRecorded {
        ConsultationRecorded {
            consultation_id: self.id.clone(),
            government_body: self.government_body.clone(),
            direction: self.direction.code().to_owned(),
            held_on: self.held_on,
            counterpart: self.counterpart.clone(),
            contacts: self.contacts.as_ref().map(ToString::to_string),
            sphere: self.sphere.map(|sphere| sphere.code().to_owned()),
            question: self.question.clone(),
            form: self.form.clone(),
        }
    }
}
