//! Requests for express information that the ministry may send to officers at any time,
//! addressed to chosen bodies or to every body of the register, each answered once per
//! body. An answer after the deadline is accepted and counts as late.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use service_kit::ApiError;
use utoipa::ToSchema;

use super::bodies::is_body_id;
use super::{Errors, codes, multiline_text, parse_date, present, required_line};

/// Maximum length of the subject of a request.
const MAX_SUBJECT: usize = 300;

/// Maximum length of the text of a request and of an answer.
const MAX_TEXT: usize = 20_000;

/// Maximum number of bodies a request lists; `all_bodies` addresses more.
pub const MAX_ADDRESSED: usize = 2000;

/// Body of a request for express information.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InformationRequestInput {
    /// One line of up to 300 characters.
    #[serde(default)]
    #[schema(required = true)]
    pub subject: String,
    /// The information requested, up to 20,000 characters.
    #[serde(default)]
    #[schema(required = true)]
    pub text: String,
    /// Last day of an answer on time, not before today. Later answers are accepted and
    /// count as late.
    #[serde(default)]
    #[schema(value_type = NaiveDate, required = true)]
    pub deadline: String,
    /// Ids of the registered bodies asked, each once, at most 2,000. Leave it out when
    /// `all_bodies` is true.
    #[serde(default)]
    pub government_bodies: Vec<String>,
    /// Asks every body of the register on the day the request is sent; bodies
    /// registered later are not asked.
    #[serde(default)]
    pub all_bodies: bool,
}

/// The bodies a request is addressed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Addressees {
    /// Every body of the register on the day the request is sent.
    All,
    /// The listed bodies, in the order given.
    Listed(Vec<String>),
}

/// A valid request for express information.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InformationRequestFacts {
    pub subject: String,
    pub text: String,
    pub deadline: NaiveDate,
    pub addressees: Addressees,
}

impl InformationRequestInput {
    /// Parses a request sent on `today`, listing every invalid field. `is_registered`
    /// tells whether a listed body is in the register.
    pub fn parse(
        &self,
        today: NaiveDate,
        is_registered: impl Fn(&str) -> bool,
    ) -> Result<InformationRequestFacts, ApiError> {
        let mut errors = Errors::default();
        let subject = required_line(&mut errors, "/subject", &self.subject, MAX_SUBJECT);
        let text = errors
            .check("/text", multiline_text(Some(&self.text), MAX_TEXT))
            .flatten();
        if text.is_none() && !errors.has("/text") {
            errors.add("/text", "is required");
        }
        let deadline = present(&mut errors, "/deadline", &self.deadline)
            .and_then(|raw| errors.check("/deadline", parse_date(raw)));
        if let Some(day) = deadline
            && day < today
        {
            errors.add("/deadline", format!("{day} is before today ({today})"));
        }
        let addressees = self.parse_addressees(&mut errors, is_registered);

        errors.into_result()?;
        match (subject, text, deadline, addressees) {
            (Some(subject), Some(text), Some(deadline), Some(addressees)) => {
                Ok(InformationRequestFacts {
                    subject,
                    text,
                    deadline,
                    addressees,
                })
            }
            _ => Err(ApiError::internal(anyhow::anyhow!(
                "an information request passed its checks with a field missing"
            ))),
        }
    }

    /// Parses `all_bodies` and `government_bodies`: exactly one of them names the
    /// bodies, and each listed body is registered and listed once.
    fn parse_addressees(
        &self,
        errors: &mut Errors,
        is_registered: impl Fn(&str) -> bool,
    ) -> Option<Addressees> {
        const POINTER: &str = "/government_bodies";
        if self.all_bodies {
            if self.government_bodies.is_empty() {
                return Some(Addressees::All);
            }
            errors.add(POINTER, "must be left out when all_bodies is true");
            return None;
        }
        if self.government_bodies.is_empty() {
            errors.add(
                POINTER,
                "is required; list the bodies asked, or set all_bodies to true",
            );
            return None;
        }
        if self.government_bodies.len() > MAX_ADDRESSED {
            errors.add(
                POINTER,
                format!("at most {MAX_ADDRESSED} bodies; set all_bodies to true to ask every body"),
            );
            return None;
        }
        let mut listed: Vec<String> = Vec::new();
        for (index, raw) in self.government_bodies.iter().enumerate() {
            let pointer = format!("{POINTER}/{index}");
            let id = raw.trim();
            if !is_body_id(id) || !is_registered(id) {
                errors.add(
                    pointer,
                    format!("government body '{id}' is not in the register"),
                );
            } else if let Some(first) = listed.iter().position(|known| known == id) {
                errors.add(
                    pointer,
                    format!("government body '{id}' is already listed at {POINTER}/{first}"),
                );
            } else {
                listed.push(id.to_owned());
            }
        }
        Some(Addressees::Listed(listed))
    }
}

/// Body of a body's answer to a request.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerInput {
    /// The information asked for, up to 20,000 characters.
    #[serde(default)]
    #[schema(required = true)]
    pub text: String,
}

impl AnswerInput {
    /// Parses the answer's text.
    pub fn parse(&self) -> Result<String, ApiError> {
        let mut errors = Errors::default();
        let text = errors
            .check("/text", multiline_text(Some(&self.text), MAX_TEXT))
            .flatten();
        if text.is_none() && !errors.has("/text") {
            errors.add("/text", "is required");
        }
        errors.into_result()?;
        text.ok_or_else(|| ApiError::internal(anyhow::anyhow!("an answer passed its checks empty")))
    }
}

/// Status of a body's answer to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AnswerStatus {
    /// Answered on or before the deadline.
    AnsweredOnTime,
    /// Answered after the deadline.
    AnsweredLate,
    /// Not answered, and the deadline has passed.
    Overdue,
    /// Not answered yet, and the deadline has not passed.
    Pending,
}

codes!(AnswerStatus as "information_answer_status" {
    AnsweredOnTime = "answered_on_time" { "Ответ в срок", "Мерзімінде жауап берілді", "Answered on time" },
    AnsweredLate = "answered_late" { "Ответ с опозданием", "Кешігіп жауап берілді", "Answered late" },
    Overdue = "overdue" { "Срок ответа истек", "Жауап беру мерзімі өтті", "Overdue" },
    Pending = "pending" { "Ожидает ответа", "Жауап күтілуде", "Pending" },
});

impl AnswerStatus {
    /// Returns the status on `today` of an answer due by `deadline` and given on
    /// `answered_on`, if it was given.
    pub fn of(deadline: NaiveDate, answered_on: Option<NaiveDate>, today: NaiveDate) -> Self {
        match answered_on {
            Some(day) if day <= deadline => Self::AnsweredOnTime,
            Some(_) => Self::AnsweredLate,
            None if today > deadline => Self::Overdue,
            None => Self::Pending,
        }
    }
}

/// How many of the bodies asked are at each answer status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct AnswerCounts {
    /// Bodies the request is addressed to.
    pub addressed: i64,
    pub answered_on_time: i64,
    pub answered_late: i64,
    pub overdue: i64,
    pub pending: i64,
}

impl AnswerCounts {
    /// Counts the statuses on `today` of answers due by `deadline` and given on the
    /// days in `answers`, one entry per body asked.
    pub fn count(deadline: NaiveDate, answers: &[Option<NaiveDate>], today: NaiveDate) -> Self {
        let mut counts = Self::default();
        for answered_on in answers {
            counts.addressed += 1;
            match AnswerStatus::of(deadline, *answered_on, today) {
                AnswerStatus::AnsweredOnTime => counts.answered_on_time += 1,
                AnswerStatus::AnsweredLate => counts.answered_late += 1,
                AnswerStatus::Overdue => counts.overdue += 1,
                AnswerStatus::Pending => counts.pending += 1,
            }
        }
        counts
    }
}

/// A body asked by a request, with the status of its answer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AddressedBody {
    pub government_body: String,
    pub name_ru: String,
    pub status: AnswerStatus,
    /// Day the body answered; absent until it does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answered_on: Option<NaiveDate>,
}

/// A body's answer to a request.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InformationAnswer {
    pub request_id: String,
    pub government_body: String,
    pub text: String,
    /// Day the answer arrived in Kazakhstan, set by the server.
    pub answered_on: NaiveDate,
    /// Whether the answer arrived after the deadline.
    pub late: bool,
    /// Subject of the tokens of the officer who answered.
    pub answered_by: String,
    pub answered_at: DateTime<Utc>,
}

/// A request for express information. The ministry's view contains the answer status of
/// every body asked, and an officer's view the status and answer of their own body.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InformationRequest {
    pub id: String,
    pub subject: String,
    pub text: String,
    pub sent_on: NaiveDate,
    /// Last day of an answer on time.
    pub deadline: NaiveDate,
    /// Whether the request went to every body of the register on the day it was sent.
    pub all_bodies: bool,
    pub created_at: DateTime<Utc>,
    /// Bodies asked, by answer status. Ministry only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counts: Option<AnswerCounts>,
    /// Every body asked, in the order of their ids. Ministry only, and only when one
    /// request is read or created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub government_bodies: Option<Vec<AddressedBody>>,
    /// Status of the answer of the officer's body. Officers only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<AnswerStatus>,
    /// The answer of the officer's body, once given. Officers only, and only when one
    /// request is read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer: Option<InformationAnswer>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        parse_date(text).unwrap()
    }

    fn input(bodies: &[&str], all_bodies: bool) -> InformationRequestInput {
        InformationRequestInput {
            subject: "Сведения о грантах".into(),
            text: "Сообщите число НПО, получивших гранты в 2026 году".into(),
            deadline: "2026-12-20".into(),
            government_bodies: bodies.iter().map(|id| (*id).to_owned()).collect(),
            all_bodies,
        }
    }

    fn pointers(error: ApiError) -> Vec<String> {
        error
            .problem()
            .errors
            .into_iter()
            .map(|e| e.pointer)
            .collect()
    }

    #[test]
    fn statuses_follow_deadline() {
        let deadline = day("2026-12-10");

        assert_eq!(
            AnswerStatus::of(deadline, Some(deadline), day("2026-12-15")),
            AnswerStatus::AnsweredOnTime
        );
        assert_eq!(
            AnswerStatus::of(deadline, Some(day("2026-12-11")), day("2026-12-15")),
            AnswerStatus::AnsweredLate
        );
        assert_eq!(
            AnswerStatus::of(deadline, None, deadline),
            AnswerStatus::Pending
        );
        assert_eq!(
            AnswerStatus::of(deadline, None, day("2026-12-11")),
            AnswerStatus::Overdue
        );
    }

    #[test]
    fn unknown_and_repeated_bodies_listed() {
        let registered = |id: &str| id != "nowhere";

        let error = input(&["akimat", "nowhere", "akimat"], false)
            .parse(day("2026-12-01"), registered)
            .unwrap_err();

        assert_eq!(
            pointers(error),
            vec!["/government_bodies/1", "/government_bodies/2"]
        );
    }

    #[test]
    fn addressees_named_once() {
        let today = day("2026-12-01");

        let both = input(&["akimat"], true).parse(today, |_| true).unwrap_err();
        let neither = input(&[], false).parse(today, |_| true).unwrap_err();
        let all = input(&[], true).parse(today, |_| true).unwrap();

        assert_eq!(pointers(both), vec!["/government_bodies"]);
        assert_eq!(pointers(neither), vec!["/government_bodies"]);
        assert_eq!(all.addressees, Addressees::All);
    }
}
