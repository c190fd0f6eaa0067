//! Requests of NPO representatives to be received by the officer. A representative
//! who requests a reception is received at once or given an appointment no later than
//! one month after the request.

use chrono::{DateTime, Months, NaiveDate, Utc};
use common_models::event::recommendations::ReceptionChanged;
use serde::{Deserialize, Serialize};
use service_kit::ApiError;
use utoipa::ToSchema;

use super::{Errors, parse_date, text};

/// Stage of a reception request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReceptionStatus {
    /// No appointment yet.
    Waiting,
    Appointed,
    /// Received at once.
    Received,
}

impl ReceptionStatus {
    /// Returns the stable code of the status.
    pub fn code(self) -> &'static str {
        match self {
            Self::Waiting => "waiting",
            Self::Appointed => "appointed",
            Self::Received => "received",
        }
    }

    /// Reads a stored code.
    pub fn from_code(code: &str) -> Option<Self> {
        [Self::Waiting, Self::Appointed, Self::Received]
            .into_iter()
            .find(|s| s.code() == code)
    }
}

/// Body of a request to be received.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceptionInput {
    /// Government body whose officer is to receive; an officer records for their own.
    pub government_body: Option<String>,
    #[serde(default)]
    #[schema(required = true)]
    pub topic: String,
    /// Day of the request (default today).
    #[schema(value_type = Option<NaiveDate>)]
    pub requested_on: Option<String>,
}

/// Body of an appointment, or of an immediate reception.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppointmentInput {
    #[schema(value_type = Option<NaiveDate>)]
    pub appointed_on: Option<String>,
    pub place: Option<String>,
    /// The representative was received at once.
    #[serde(default)]
    pub received_now: bool,
}

/// A reception request.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReceptionRequest {
    pub id: String,
    pub government_body: String,
    pub npo_id: Option<String>,
    pub topic: String,
    pub requested_on: NaiveDate,
    pub status: ReceptionStatus,
    pub appointed_on: Option<NaiveDate>,
    pub place: Option<String>,
    /// Days since the request, for requests still waiting.
    pub age_days: Option<i64>,
    /// Officer who receives the representative; null while the body has no known
    /// officer.
    pub responsible: Option<super::Responsible>,
    pub created_at: DateTime<Utc>,
    #[serde(skip)]
    pub npo_bin: Option<String>,
}

impl ReceptionRequest {
    /// Builds the payload of the reception events, which leaves out the topic.
    pub fn payload(&self) -> ReceptionChanged {
        ReceptionChanged {
            request_id: self.id.clone(),
            government_body: self.government_body.clone(),
            requested_on: self.requested_on,
            status: self.status.code().to_owned(),
            appointed_on: self.appointed_on,
            npo_id: self.npo_id.clone(),
            place: self.place.clone(),
        }
    }
}

/// Returns the last day an appointment may fall on: one calendar month after the
/// request (31 January gives 28 or 29 February).
pub fn latest_appointment(requested_on: NaiveDate) -> NaiveDate {
    requested_on
        .checked_add_months(Months::new(1))
        .unwrap_or(NaiveDate::MAX)
}

/// Parses the topic and the request date, which may not lie after `today`.
pub fn parse_request(
    input: &ReceptionInput,
    today: NaiveDate,
) -> Result<(String, NaiveDate), ApiError> {
    let mut errors = Errors::default();
    let topic = errors
        .check("/topic", text(Some(&input.topic), 1000))
        .flatten();
    if topic.is_none() && !errors.has("/topic") {
        errors.add("/topic", "is required");
    }
    let requested_on = match input.requested_on.as_deref() {
        Some(raw) => errors.check("/requested_on", parse_date(raw)),
        None => Some(today),
    };
    if let Some(date) = requested_on
        && date > today
    {
        errors.add("/requested_on", format!("{date} is after today ({today})"));
    }

    errors.into_result()?;
    match (topic, requested_on) {
        (Some(topic), Some(requested_on)) => Ok((topic, requested_on)),
        _ => Err(ApiError::internal(anyhow::anyhow!(
            "a reception request passed its checks with a field missing"
        ))),
    }
}

/// Parses an appointment for a request made on `requested_on`: the day lies from the
/// request to one month after it.
pub fn parse_appointment(
    input: &AppointmentInput,
    requested_on: NaiveDate,
    today: NaiveDate,
) -> Result<(ReceptionStatus, NaiveDate, Option<String>), ApiError> {
    let mut errors = Errors::default();
    let place = errors
        .check("/place", text(input.place.as_deref(), 300))
        .flatten();
    if input.received_now {
        if input.appointed_on.is_some() {
            errors.add(
                "/appointed_on",
                "a reception held at once has no appointment",
            );
        }
        errors.into_result()?;
        return Ok((ReceptionStatus::Received, today, place));
    }
    let appointed_on = match input.appointed_on.as_deref() {
        Some(raw) => errors.check("/appointed_on", parse_date(raw)),
        None => {
            errors.add(
                "/appointed_on",
                "give the day, or received_now for a reception held at once",
            );
            None
        }
    };
    if let Some(date) = appointed_on {
        let latest = latest_appointment(requested_on);
        if date < requested_on {
            errors.add(
                "/appointed_on",
                format!("{date} is before the request ({requested_on})"),
            );
        } else if date > latest {
            errors.add(
                "/appointed_on",
                format!(
                    "{date} is more than one month after the request; the latest day is {latest}"
                ),
            );
        }
    }

    errors.into_result()?;
    let appointed_on = appointed_on.ok_or_else(|| {
        ApiError::internal(anyhow::anyhow!(
            "an appointment passed its checks without a day"
        ))
    })?;
    Ok((ReceptionStatus::Appointed, appointed_on, place))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn month_ends_are_clamped() {
        assert_eq!(latest_appointment(date(2027, 1, 31)), date(2027, 2, 28));
        assert_eq!(latest_appointment(date(2026, 12, 4)), date(2027, 1, 4));
    }
}
