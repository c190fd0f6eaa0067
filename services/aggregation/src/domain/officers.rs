//! Appointments of officers to government bodies, their replacement and dismissal, and
//! the vacancies that a dismissal without a successor leaves.

use chrono::{DateTime, NaiveDate, Utc};
use common_models::{KatoCode, Sphere};
use serde::{Deserialize, Serialize};
use service_kit::ApiError;
use utoipa::ToSchema;

use super::bodies::BodyLevel;
use super::positions::{self, Position};
use super::{
    Errors, codes, email, multiline_text, parse_code, parse_date, phone, required_line, text,
};

/// Maximum length of the subject of an officer's tokens.
const MAX_SUBJECT: usize = 200;

/// Maximum length of the room of an officer's contacts.
pub(super) const MAX_ROOM: usize = 100;

/// Maximum length of the reception schedule.
pub(super) const MAX_RECEPTION_SCHEDULE: usize = 2000;

/// Public contacts of an officer, as the body publishes them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Contacts {
    /// Room where the officer receives visitors.
    pub room: Option<String>,
    /// Phone number: digits with an optional leading `+`, spaces, hyphens and brackets.
    pub phone: Option<String>,
    pub email: Option<String>,
}

impl Contacts {
    /// Returns whether every field is absent.
    pub fn is_empty(&self) -> bool {
        self.room.is_none() && self.phone.is_none() && self.email.is_none()
    }
}

/// Reason an officer's appointment ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    /// The officer was dismissed from the position.
    Dismissal,
    /// The officer was transferred to other work.
    Transfer,
}

codes!(EndReason as "officer_end_reason" {
    Dismissal = "dismissal" { "Освобождение от должности", "Лауазымнан босату", "Dismissal" },
    Transfer = "transfer" { "Перевод", "Ауыстыру", "Transfer" },
});

/// Body of a request that appoints an officer, and the successor of a replacement.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppointmentInput {
    /// Subject (`sub` claim) of the officer's tokens.
    #[serde(default)]
    #[schema(required = true)]
    pub officer: String,
    /// Full name, published in the officer's public profile.
    #[serde(default)]
    #[schema(required = true)]
    pub full_name: String,
    /// Position code from the catalogue of the body's level, not below its minimum.
    #[serde(default)]
    #[schema(required = true)]
    pub position: String,
    /// Day the appointment takes effect, not after today. An appointment defaults to
    /// today, and a successor to the day of the replacement.
    #[schema(value_type = Option<NaiveDate>)]
    pub appointed_on: Option<String>,
    pub contacts: Option<Contacts>,
    /// When the officer receives visitors, as free text.
    pub reception_schedule: Option<String>,
}

/// A valid appointment.
#[derive(Debug, Clone, PartialEq)]
pub struct AppointmentFacts {
    pub officer: String,
    pub full_name: String,
    pub position: Position,
    pub appointed_on: NaiveDate,
    pub contacts: Option<Contacts>,
    pub reception_schedule: Option<String>,
}

impl AppointmentInput {
    /// Checks the fields into `errors`, with pointers under `prefix` (empty for an
    /// appointment, `/successor` for a replacement). `appointed_on` defaults to
    /// `default_day` and must fall between `earliest` and `today`.
    fn check(
        &self,
        errors: &mut Errors,
        prefix: &str,
        level: BodyLevel,
        default_day: NaiveDate,
        earliest: Option<Earliest>,
        today: NaiveDate,
    ) -> Option<AppointmentFacts> {
        let at = |field: &str| format!("{prefix}/{field}");
        let officer = required_line(errors, &at("officer"), &self.officer, MAX_SUBJECT);
        let full_name = required_line(errors, &at("full_name"), &self.full_name, 200);
        let position = if self.position.trim().is_empty() {
            errors.add(at("position"), "is required");
            None
        } else {
            errors.check(
                at("position"),
                positions::check(level, self.position.trim()),
            )
        };
        let appointed_on = match self.appointed_on.as_deref() {
            Some(raw) => errors.check(at("appointed_on"), parse_date(raw)),
            None => Some(default_day),
        };
        if let Some(day) = appointed_on {
            check_day(errors, &at("appointed_on"), day, earliest, today);
        }
        let contacts = parse_contacts(errors, prefix, self.contacts.as_ref());
        let reception_schedule = errors
            .check(
                at("reception_schedule"),
                multiline_text(self.reception_schedule.as_deref(), MAX_RECEPTION_SCHEDULE),
            )
            .flatten();
        Some(AppointmentFacts {
            officer: officer?,
            full_name: full_name?,
            position: position?,
            appointed_on: appointed_on?,
            contacts,
            reception_schedule,
        })
    }

    /// Parses an appointment to a body of `level` whose previous officer, if any, left
    /// on `earliest`.
    pub fn parse(
        &self,
        level: BodyLevel,
        earliest: Option<NaiveDate>,
        today: NaiveDate,
    ) -> Result<AppointmentFacts, ApiError> {
        let mut errors = Errors::default();
        let earliest = earliest.map(|day| (day, "the day the previous officer left"));
        let facts = self.check(&mut errors, "", level, today, earliest, today);
        errors.into_result()?;
        facts.ok_or_else(missing_field)
    }
}

/// Records an error at `pointer` unless `day` falls between `earliest` and `today`.
fn check_day(
    errors: &mut Errors,
    pointer: &str,
    day: NaiveDate,
    earliest: Option<Earliest>,
    today: NaiveDate,
) {
    if day > today {
        errors.add(pointer, format!("{day} is after today ({today})"));
    } else if let Some((earliest, what)) = earliest
        && day < earliest
    {
        errors.add(pointer, format!("{day} is before {earliest}, {what}"));
    }
}

/// The earliest valid day of a date field, and what that day is, for the message.
type Earliest = (NaiveDate, &'static str);

fn missing_field() -> ApiError {
    ApiError::internal(anyhow::anyhow!(
        "an officer change passed its checks with a field missing"
    ))
}

/// Checks the public contacts under `prefix`. Contacts with every field blank become
/// `None`.
fn parse_contacts(
    errors: &mut Errors,
    prefix: &str,
    contacts: Option<&Contacts>,
) -> Option<Contacts> {
    let contacts = contacts.map(|c| Contacts {
        room: errors
            .check(
                format!("{prefix}/contacts/room"),
                text(c.room.as_deref(), MAX_ROOM),
            )
            .flatten(),
        phone: errors
            .check(
                format!("{prefix}/contacts/phone"),
                phone(c.phone.as_deref()),
            )
            .flatten(),
        email: errors
            .check(
                format!("{prefix}/contacts/email"),
                email(c.email.as_deref()),
            )
            .flatten(),
    });
    contacts.filter(|c| !c.is_empty())
}

/// Parses the required reason code at `/reason`.
fn parse_reason(errors: &mut Errors, raw: &str) -> Option<EndReason> {
    if raw.trim().is_empty() {
        errors.add("/reason", "is required");
        return None;
    }
    errors.check("/reason", parse_code::<EndReason>(raw.trim()))
}

/// Parses a required date at `pointer` that falls between `current_since` and `today`.
fn parse_required_day(
    errors: &mut Errors,
    pointer: &str,
    raw: Option<&str>,
    current_since: NaiveDate,
    today: NaiveDate,
) -> Option<NaiveDate> {
    let Some(raw) = raw else {
        errors.add(pointer, "is required");
        return None;
    };
    let day = errors.check(pointer, parse_date(raw))?;
    let earliest = (current_since, "the day the current officer was appointed");
    check_day(errors, pointer, day, Some(earliest), today);
    Some(day)
}

/// Body of a request that replaces a body's officer with a successor.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplacementInput {
    /// Reason the current officer leaves.
    #[serde(default)]
    #[schema(value_type = EndReason, required = true)]
    pub reason: String,
    /// Day the current officer leaves and the successor takes over their work: not
    /// before the current appointment and not after today.
    #[schema(value_type = NaiveDate, required = true)]
    pub replaced_on: Option<String>,
    /// The officer who takes over. Their `appointed_on` defaults to `replaced_on` and
    /// must not be before it.
    pub successor: AppointmentInput,
}

/// A valid replacement.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplacementFacts {
    pub reason: EndReason,
    pub replaced_on: NaiveDate,
    pub successor: AppointmentFacts,
}

impl ReplacementInput {
    /// Parses a replacement of the officer of a body of `level` appointed on `current_since`.
    pub fn parse(
        &self,
        level: BodyLevel,
        current_since: NaiveDate,
        today: NaiveDate,
    ) -> Result<ReplacementFacts, ApiError> {
        let mut errors = Errors::default();
        let reason = parse_reason(&mut errors, &self.reason);
        let replaced_on = parse_required_day(
            &mut errors,
            "/replaced_on",
            self.replaced_on.as_deref(),
            current_since,
            today,
        );
        // The successor is checked even when the day is invalid, so one response lists
        // every invalid field.
        let successor = self.successor.check(
            &mut errors,
            "/successor",
            level,
            replaced_on.unwrap_or(today),
            replaced_on.map(|day| (day, "the day of the replacement")),
            today,
        );
        errors.into_result()?;
        match (reason, replaced_on, successor) {
            (Some(reason), Some(replaced_on), Some(successor)) => Ok(ReplacementFacts {
                reason,
                replaced_on,
                successor,
            }),
            _ => Err(missing_field()),
        }
    }
}

/// Body of a request that dismisses a body's officer without a successor.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DismissalInput {
    #[serde(default)]
    #[schema(value_type = EndReason, required = true)]
    pub reason: String,
    /// Day the officer leaves, from which the body is vacant: not before the current
    /// appointment and not after today.
    #[schema(value_type = NaiveDate, required = true)]
    pub dismissed_on: Option<String>,
}

impl DismissalInput {
    /// Parses a dismissal of the officer appointed on `current_since`.
    pub fn parse(
        &self,
        current_since: NaiveDate,
        today: NaiveDate,
    ) -> Result<(EndReason, NaiveDate), ApiError> {
        let mut errors = Errors::default();
        let reason = parse_reason(&mut errors, &self.reason);
        let dismissed_on = parse_required_day(
            &mut errors,
            "/dismissed_on",
            self.dismissed_on.as_deref(),
            current_since,
            today,
        );
        errors.into_result()?;
        reason.zip(dismissed_on).ok_or_else(missing_field)
    }
}

/// One appointment of a body's officer, current or ended, as the ministry reads it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Appointment {
    pub id: String,
    pub government_body: String,
    /// Subject of the officer's tokens.
    pub officer: String,
    pub full_name: String,
    /// Position code from the catalogue of the body's level.
    pub position: String,
    pub appointed_on: NaiveDate,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contacts: Option<Contacts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reception_schedule: Option<String>,
    /// Day the appointment ended; absent for the current officer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended_on: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_reason: Option<EndReason>,
    pub created_at: DateTime<Utc>,
}

/// A body without an officer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Vacancy {
    pub government_body: String,
    pub name_ru: String,
    pub name_kk: String,
    pub level: BodyLevel,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<KatoCode>)]
    pub territory: Option<String>,
    pub spheres: Vec<Sphere>,
    /// Day the last officer left, or the day the body was registered when it never had one.
    pub vacant_since: NaiveDate,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        parse_date(text).unwrap()
    }

    fn appointment(position: &str) -> AppointmentInput {
        AppointmentInput {
            officer: "officer-1".into(),
            full_name: "Айгүл Сейітова".into(),
            position: position.into(),
            appointed_on: None,
            contacts: None,
            reception_schedule: None,
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
    fn appointment_defaults_today() {
        let today = day("2026-12-01");
        let facts = appointment("deputy_akim")
            .parse(BodyLevel::District, None, today)
            .unwrap();

        assert_eq!(facts.appointed_on, today);
    }

    #[test]
    fn successor_pointers_prefixed() {
        let replacement = ReplacementInput {
            reason: "transfer".into(),
            replaced_on: Some("2026-11-20".into()),
            successor: appointment("chief_specialist"),
        };

        let error = replacement
            .parse(
                BodyLevel::RegionalDepartment,
                day("2026-01-01"),
                day("2026-12-01"),
            )
            .unwrap_err();

        assert_eq!(pointers(error), vec!["/successor/position"]);
    }

    #[test]
    fn dismissal_before_appointment_rejected() {
        let dismissal = DismissalInput {
            reason: "dismissal".into(),
            dismissed_on: Some("2025-12-31".into()),
        };

        let error = dismissal
            .parse(day("2026-01-01"), day("2026-12-01"))
            .unwrap_err();

        assert_eq!(pointers(error), vec!["/dismissed_on"]);
    }
}
