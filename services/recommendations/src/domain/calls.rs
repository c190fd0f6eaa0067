//! Requests of an officer for recommendations of NPOs (calls for recommendations): a
//! topic, a format and a deadline, sent to invited NPOs or, when none is invited, to
//! every NPO. NPOs send recommendations in answer to such a request or on their own
//! initiative.

use chrono::{DateTime, NaiveDate, Utc};
use common_models::Sphere;
use serde::{Deserialize, Serialize};
use service_kit::ApiError;
use utoipa::ToSchema;

use super::{Errors, multiline_text, parse_code, parse_date, present};

/// Maximum number of NPOs one request invites.
pub const MAX_INVITED: usize = 500;

/// Maximum length of the topic, in characters.
pub const MAX_TOPIC: usize = 5000;

/// Way in which the NPOs give their recommendations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RequestFormat {
    /// Written recommendations.
    Written,
    /// Answers through an online form.
    OnlineForm,
    /// A meeting with the body's officer.
    Meeting,
    /// Public hearings.
    PublicHearing,
}

impl RequestFormat {
    /// Every format, in declaration order.
    pub const ALL: [Self; 4] = [
        Self::Written,
        Self::OnlineForm,
        Self::Meeting,
        Self::PublicHearing,
    ];

    /// Returns the stable code of the format, equal to its serde name.
    pub fn code(self) -> &'static str {
        match self {
            Self::Written => "written",
            Self::OnlineForm => "online_form",
            Self::Meeting => "meeting",
            Self::PublicHearing => "public_hearing",
        }
    }

    /// Reads a code, with an error that lists the valid codes.
    pub fn parse(code: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|format| format.code() == code)
            .ok_or_else(|| {
                let known: Vec<&str> = Self::ALL.iter().map(|f| f.code()).collect();
                format!(
                    "unknown code '{code}'; expected one of {}",
                    known.join(", ")
                )
            })
    }
}

/// Status of a request for recommendations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    /// NPOs may answer until the deadline.
    Open,
    /// Closed by the officer, so NPOs no longer answer it.
    Closed,
}

impl RequestStatus {
    /// Returns the stable code of the status, equal to its serde name.
    pub fn code(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Closed => "closed",
        }
    }

    /// Reads a code, with an error that lists the valid codes.
    pub fn parse(code: &str) -> Result<Self, String> {
        match code {
            "open" => Ok(Self::Open),
            "closed" => Ok(Self::Closed),
            other => Err(format!(
                "unknown code '{other}'; expected one of open, closed"
            )),
        }
    }
}

/// Body of a request for recommendations.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecommendationRequestInput {
    /// Question or subject on which recommendations are requested, up to 5000 characters.
    #[serde(default)]
    #[schema(required = true)]
    pub topic: String,
    #[schema(value_type = Option<Sphere>)]
    pub sphere: Option<String>,
    #[serde(default)]
    #[schema(value_type = RequestFormat, required = true)]
    pub format: String,
    /// Last day on which recommendations are accepted, `YYYY-MM-DD`, after today.
    #[serde(default)]
    #[schema(value_type = NaiveDate, required = true)]
    pub deadline: String,
    /// Registry ids of the invited NPOs, at most 500 and each once. Empty or absent
    /// invites every NPO.
    #[serde(default)]
    pub invited_npos: Vec<String>,
}

/// A valid request for recommendations, before the registry confirmed the invited NPOs.
#[derive(Debug, Clone, PartialEq)]
pub struct RecommendationRequestFacts {
    pub topic: String,
    pub sphere: Option<Sphere>,
    pub format: RequestFormat,
    pub deadline: NaiveDate,
    /// Registry ids as the request wrote them, trimmed.
    pub invited_npos: Vec<String>,
}

impl RecommendationRequestInput {
    /// Parses the request sent on `today`. The deadline is after today, and the invited
    /// NPOs are at most `MAX_INVITED` distinct ids; the registry checks each id later.
    pub fn parse(&self, today: NaiveDate) -> Result<RecommendationRequestFacts, ApiError> {
        let mut errors = Errors::default();
        let topic = errors
            .check("/topic", multiline_text(Some(&self.topic), MAX_TOPIC))
            .flatten();
        if topic.is_none() && !errors.has("/topic") {
            errors.add("/topic", "is required");
        }
        let sphere = self
            .sphere
            .as_deref()
            .and_then(|raw| errors.check("/sphere", parse_code::<Sphere>(raw)));
        let format = present(&mut errors, "/format", &self.format)
            .and_then(|raw| errors.check("/format", RequestFormat::parse(raw)));
        let deadline = present(&mut errors, "/deadline", &self.deadline)
            .and_then(|raw| errors.check("/deadline", parse_date(raw)));
        if let Some(date) = deadline
            && date <= today
        {
            errors.add(
                "/deadline",
                format!("{date} is not after today ({today}); give a later day"),
            );
        }
        let invited_npos = parse_invited(&mut errors, &self.invited_npos);

        errors.into_result()?;
        match (topic, format, deadline) {
            (Some(topic), Some(format), Some(deadline)) => Ok(RecommendationRequestFacts {
                topic,
                sphere,
                format,
                deadline,
                invited_npos,
            }),
            _ => Err(ApiError::internal(anyhow::anyhow!(
                "a recommendation request passed its checks with a field missing"
            ))),
        }
    }
}

/// Trims the invited ids, recording a list longer than `MAX_INVITED` and each id that
/// repeats an earlier one.
fn parse_invited(errors: &mut Errors, raw: &[String]) -> Vec<String> {
    if raw.len() > MAX_INVITED {
        errors.add(
            "/invited_npos",
            format!(
                "at most {MAX_INVITED} NPOs, found {}; leave the list empty to invite every NPO",
                raw.len()
            ),
        );
        return Vec::new();
    }
    let ids: Vec<String> = raw.iter().map(|id| id.trim().to_owned()).collect();
    for (index, id) in ids.iter().enumerate() {
        if let Some(first) = ids[..index].iter().position(|earlier| earlier == id) {
            errors.add(
                format!("/invited_npos/{index}"),
                format!("NPO '{id}' is already invited at /invited_npos/{first}"),
            );
        }
    }
    ids
}

/// An invited NPO as the registry lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitedNpo {
    /// Registry id.
    pub id: String,
    /// BIN on the registry card, matched against the BIN in an NPO user's token to find
    /// the requests that invite the user's organisation. `None` when the card has none.
    pub bin: Option<String>,
}

/// A request of a body's officer for recommendations of NPOs.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecommendationRequest {
    pub id: String,
    /// Body of the officer who sent the request, which receives the recommendations.
    pub government_body: String,
    pub topic: String,
    pub sphere: Option<Sphere>,
    pub format: RequestFormat,
    /// Day the request was sent.
    pub sent_on: NaiveDate,
    /// Last day on which recommendations are accepted.
    pub deadline: NaiveDate,
    pub status: RequestStatus,
    /// Whether NPOs may still answer: the request is open and its deadline has not
    /// passed.
    pub accepting: bool,
    /// Registry ids of the invited NPOs, sorted. Empty when every NPO is invited.
    pub invited_npos: Vec<String>,
    /// Day the officer closed the request.
    pub closed_on: Option<NaiveDate>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Officer who follows the request up.
    pub responsible: Option<super::Responsible>,
}

impl RecommendationRequest {
    /// Returns whether the NPO with registry id `npo_id` may answer the request: every
    /// NPO may when the request invites none.
    pub fn invites(&self, npo_id: &str) -> bool {
        self.invited_npos.is_empty() || self.invited_npos.iter().any(|id| id == npo_id)
    }
}

/// Returns whether a request with `status` and `deadline` accepts answers on `today`.
pub fn is_accepting(status: RequestStatus, deadline: NaiveDate, today: NaiveDate) -> bool {
    status == RequestStatus::Open && today <= deadline
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn input(deadline: &str, invited: &[&str]) -> RecommendationRequestInput {
        RecommendationRequestInput {
            topic: "Меры поддержки молодёжных НПО".into(),
            sphere: Some("youth".into()),
            format: "public_hearing".into(),
            deadline: deadline.into(),
            invited_npos: invited.iter().map(|id| (*id).to_owned()).collect(),
        }
    }

    fn pointers(error: ApiError) -> Vec<String> {
        match error {
            ApiError::Validation { errors, .. } => errors.into_iter().map(|e| e.pointer).collect(),
            other => panic!("expected a validation problem, found {other:?}"),
        }
    }

    #[test]
    fn valid_request_parsed() {
        let facts = input("2026-12-10", &[" a-1 ", "b-2"])
            .parse(date(2026, 12, 9))
            .unwrap();

        assert_eq!(facts.format, RequestFormat::PublicHearing);
        assert_eq!(facts.sphere, Some(Sphere::Youth));
        assert_eq!(facts.deadline, date(2026, 12, 10));
        assert_eq!(facts.invited_npos, vec!["a-1", "b-2"]);
    }

    #[test]
    fn deadline_today_rejected() {
        let error = input("2026-12-09", &[])
            .parse(date(2026, 12, 9))
            .unwrap_err();

        assert_eq!(pointers(error), vec!["/deadline"]);
    }

    #[test]
    fn repeated_npo_rejected() {
        let error = input("2026-12-10", &["a-1", "b-2", "a-1 "])
            .parse(date(2026, 12, 9))
            .unwrap_err();

        assert_eq!(pointers(error), vec!["/invited_npos/2"]);
    }

    #[test]
    fn too_many_npos_rejected() {
        let ids: Vec<String> = (0..=MAX_INVITED).map(|i| format!("npo-{i}")).collect();
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();

        let error = input("2026-12-10", &refs)
            .parse(date(2026, 12, 9))
            .unwrap_err();

        assert_eq!(pointers(error), vec!["/invited_npos"]);
    }

    #[test]
    fn unknown_format_lists_codes() {
        let error = RequestFormat::parse("letter").unwrap_err();

        assert!(
            error.contains("written, online_form, meeting, public_hearing"),
            "{error}"
        );
    }

    #[test]
    fn accepting_until_deadline() {
        let deadline = date(2026, 12, 10);

        assert!(is_accepting(RequestStatus::Open, deadline, deadline));
        assert!(!is_accepting(
            RequestStatus::Open,
            deadline,
            date(2026, 12, 11)
        ));
        assert!(!is_accepting(
            RequestStatus::Closed,
            deadline,
            date(2026, 12, 9)
        ));
    }
}
