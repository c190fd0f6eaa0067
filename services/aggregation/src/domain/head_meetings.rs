//! Meetings of the heads of government bodies with NPOs on the national schedule that
//! the ministry keeps. The body's officer informs the NPOs of the body's spheres and
//! territories about each meeting and organises it. A meeting is scheduled, then
//! either cancelled or held with its outcome, and after that it cannot change.

use chrono::{DateTime, Datelike, Utc};
use common_models::event::aggregation::HeadMeetingChanged;
use common_models::{Catalogue, KatoCode, Sphere};
use serde::{Deserialize, Serialize};
use service_kit::ApiError;
use service_kit::validate::{MAX_CODES, YEARS, parse_codes, web_url};
use utoipa::ToSchema;

use super::bodies::is_body_id;
use super::{Errors, codes, multiline_text, required_line, text};

/// Maximum length of the head's position and of the head's full name.
const MAX_HEAD_TEXT: usize = 300;

/// Maximum length of the place of a meeting.
const MAX_PLACE: usize = 500;

/// Maximum length of the agenda.
const MAX_AGENDA: usize = 10_000;

/// Maximum length of the outcome of a held meeting.
const MAX_OUTCOME: usize = 20_000;

/// Maximum length of the reason of a cancellation.
const MAX_REASON: usize = 2_000;

/// Maximum number of territories a meeting invites NPOs from. Each one is looked up in
/// the registry's KATO classifier when the meeting is scheduled or changed.
pub const MAX_TERRITORIES: usize = 50;

/// Status of a meeting on the schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MeetingStatus {
    /// On the schedule and not yet held.
    Scheduled,
    /// Taken off the schedule, so it will not take place.
    Cancelled,
    /// It took place, and its outcome is recorded.
    Held,
}

codes!(MeetingStatus as "head_meeting_status" {
    Scheduled = "scheduled" { "Запланирована", "Жоспарланған", "Scheduled" },
    Cancelled = "cancelled" { "Отменена", "Күші жойылды", "Cancelled" },
    Held = "held" { "Проведена", "Өткізілді", "Held" },
});

/// Body of a request that puts a meeting on the national schedule.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HeadMeetingInput {
    /// Id of the government body whose head meets the NPOs, which must be in the register.
    /// An officer schedules meetings of their own body only.
    #[serde(default)]
    #[schema(required = true, example = "akimat-ulytau")]
    pub government_body: String,
    /// Position of the head, one line of up to 300 characters.
    #[serde(default)]
    #[schema(required = true, example = "Аким области Ұлытау")]
    pub head_position: String,
    /// Full name of the head, one line of up to 300 characters. It is published on the
    /// schedule.
    #[serde(default)]
    #[schema(required = true, example = "Бердибек Сапарбаев")]
    pub head_full_name: String,
    /// Start of the meeting, RFC 3339 with an offset. It is stored in UTC.
    #[serde(default)]
    #[schema(value_type = String, format = DateTime, required = true, example = "2026-12-18T15:00:00+05:00")]
    pub starts_at: String,
    /// Address of the meeting, up to 500 characters. Give a place, an online link or both.
    #[schema(example = "г. Жезказган, ул. Алашахана, 1, актовый зал")]
    pub place: Option<String>,
    /// http or https link to join the meeting online.
    #[schema(example = "https://meet.example.kz/ulytau-npo")]
    pub online_url: Option<String>,
    /// Questions to discuss, up to 10,000 characters.
    #[serde(default)]
    #[schema(
        required = true,
        example = "Поддержка молодёжных инициатив в 2027 году"
    )]
    pub agenda: String,
    /// Spheres of the NPOs invited. Leave it empty to invite NPOs of every sphere.
    #[serde(default)]
    #[schema(value_type = Vec<Sphere>, example = json!(["youth"]))]
    pub spheres: Vec<String>,
    /// KATO codes of the territories whose NPOs are invited, 1 to 50, each in the
    /// registry's classifier. A territory includes the territories under it.
    #[serde(default)]
    #[schema(value_type = Vec<KatoCode>, required = true, min_items = 1, example = json!(["620000000"]))]
    pub territories: Vec<String>,
}

/// Body of a change of a scheduled meeting, a JSON merge patch: a field left out stays,
/// and `null` clears `place` or `online_url`. The body of a meeting does not change.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HeadMeetingPatch {
    #[schema(example = "Аким области Ұлытау")]
    pub head_position: Option<String>,
    #[schema(example = "Бердибек Сапарбаев")]
    pub head_full_name: Option<String>,
    /// New start, RFC 3339 with an offset.
    #[schema(value_type = Option<String>, format = DateTime, example = "2026-12-19T11:00:00+05:00")]
    pub starts_at: Option<String>,
    #[serde(default, deserialize_with = "service_kit::extract::nullable")]
    #[schema(value_type = Option<String>, example = "г. Жезказган, ул. Алашахана, 1, малый зал")]
    pub place: Option<Option<String>>,
    #[serde(default, deserialize_with = "service_kit::extract::nullable")]
    #[schema(value_type = Option<String>, example = "https://meet.example.kz/ulytau-npo")]
    pub online_url: Option<Option<String>>,
    pub agenda: Option<String>,
    /// Replaces the spheres. An empty list invites NPOs of every sphere.
    #[schema(value_type = Option<Vec<Sphere>>)]
    pub spheres: Option<Vec<String>>,
    /// Replaces the territories, 1 to 50 KATO codes.
    #[schema(value_type = Option<Vec<KatoCode>>)]
    pub territories: Option<Vec<String>>,
}

/// Body of a cancellation.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancellationInput {
    /// Why the meeting will not take place, up to 2,000 characters; shown on the
    /// schedule.
    #[schema(example = "Перенос по решению акима; новая дата будет объявлена")]
    pub reason: Option<String>,
}

/// Body of the outcome of a held meeting.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutcomeInput {
    /// What the meeting decided, up to 20,000 characters.
    #[serde(default)]
    #[schema(
        required = true,
        example = "Решено открыть три молодёжных центра в 2027 году"
    )]
    pub outcome: String,
}

/// A valid meeting, before its territories are looked up in the classifier.
#[derive(Debug, Clone, PartialEq)]
pub struct MeetingFacts {
    pub head_position: String,
    pub head_full_name: String,
    /// Start in UTC, at the microsecond precision both databases keep.
    pub starts_at: DateTime<Utc>,
    pub place: Option<String>,
    pub online_url: Option<String>,
    pub agenda: String,
    /// Empty when NPOs of every sphere are invited.
    pub spheres: Vec<Sphere>,
    pub territories: Vec<KatoCode>,
}

impl MeetingFacts {
    /// Names the fields whose values differ from `current`, for the audit trail.
    pub fn changed_fields(&self, current: &HeadMeeting) -> Vec<String> {
        let territories: Vec<&str> = self.territories.iter().map(KatoCode::as_str).collect();
        [
            ("head_position", self.head_position != current.head_position),
            (
                "head_full_name",
                self.head_full_name != current.head_full_name,
            ),
            ("starts_at", self.starts_at != current.starts_at),
            ("place", self.place != current.place),
            ("online_url", self.online_url != current.online_url),
            ("agenda", self.agenda != current.agenda),
            ("spheres", self.spheres != current.spheres),
            ("territories", territories != current.territories),
        ]
        .into_iter()
        .filter(|(_, differs)| *differs)
        .map(|(name, _)| name.to_owned())
        .collect()
    }
}

/// A meeting of a body's head with NPOs, as the schedule shows it to anyone. It names
/// no person other than the head, whose name and position are public.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HeadMeeting {
    #[schema(example = "0193b0a4-6f1e-7c2a-9d3b-5e8f7a6b4c21")]
    pub id: String,
    #[schema(example = "akimat-ulytau")]
    pub government_body: String,
    #[schema(example = "Аким области Ұлытау")]
    pub head_position: String,
    #[schema(example = "Бердибек Сапарбаев")]
    pub head_full_name: String,
    /// Start of the meeting in UTC.
    #[schema(example = "2026-12-18T10:00:00Z")]
    pub starts_at: DateTime<Utc>,
    /// Address of the meeting, or null for a meeting held only online.
    pub place: Option<String>,
    /// Link to join online, or null for a meeting held only in person.
    pub online_url: Option<String>,
    pub agenda: String,
    /// Spheres of the NPOs invited, or empty when NPOs of every sphere are.
    pub spheres: Vec<Sphere>,
    /// KATO codes of the territories whose NPOs are invited.
    #[schema(value_type = Vec<KatoCode>, example = json!(["620000000"]))]
    pub territories: Vec<String>,
    pub status: MeetingStatus,
    /// What the meeting decided, or null until it is held.
    pub outcome: Option<String>,
    /// Why the meeting was cancelled, when a reason was given.
    pub cancellation_reason: Option<String>,
    /// Number of NPOs invited.
    pub invited_count: i64,
    /// Registry ids of the active NPOs invited, in order: those working in one of the
    /// territories or under it, and in one of the spheres. Chosen from the ministry's
    /// read model of the registry when the meeting was scheduled or last changed.
    /// Only when one meeting is read, created or changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invited_npo_ids: Option<Vec<String>>,
    /// Number of changes of the meeting, starting at 1; the ETag is this number in quotes.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl HeadMeeting {
    /// Fails with 409 unless the meeting is still scheduled, naming `action`.
    pub fn ensure_scheduled(&self, action: &str) -> Result<(), ApiError> {
        match self.status {
            MeetingStatus::Scheduled => Ok(()),
            MeetingStatus::Cancelled | MeetingStatus::Held => Err(ApiError::Conflict(format!(
                "meeting {} is {}, so it cannot be {action}; a cancelled or held meeting \
                 cannot change",
                self.id,
                self.status.code()
            ))),
        }
    }

    /// Fails with 409 when the meeting has not started at `now`, since only a meeting
    /// that took place can be held.
    pub fn ensure_started(&self, now: DateTime<Utc>) -> Result<(), ApiError> {
        if now < self.starts_at {
            return Err(ApiError::Conflict(format!(
                "meeting {} starts at {}; record its outcome once it has started",
                self.id,
                self.starts_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            )));
        }
        Ok(())
    }

    /// Builds the payload of the meeting's events from the meeting as it is now, with
    /// the ids of the NPOs it invites.
    pub fn event(&self) -> HeadMeetingChanged {
        HeadMeetingChanged {
            meeting_id: self.id.clone(),
            government_body: self.government_body.clone(),
            head: format!("{} {}", self.head_position, self.head_full_name),
            starts_at: self.starts_at,
            place: self.place.clone(),
            online_url: self.online_url.clone(),
            agenda: self.agenda.clone(),
            spheres: self.spheres.iter().map(|s| s.code().to_owned()).collect(),
            territories: self.territories.clone(),
            invited_npo_ids: self.invited_npo_ids.clone().unwrap_or_default(),
            status: self.status.code().to_owned(),
            outcome: self.outcome.clone(),
        }
    }

    /// Returns the meeting's current values as facts, on which a change is laid.
    fn facts(&self) -> Result<MeetingFacts, ApiError> {
        let territories = self
            .territories
            .iter()
            .map(|code| KatoCode::parse(code))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| {
                ApiError::internal(anyhow::anyhow!(
                    "meeting {} has a stored territory that is not a KATO code: {e}",
                    self.id
                ))
            })?;
        Ok(MeetingFacts {
            head_position: self.head_position.clone(),
            head_full_name: self.head_full_name.clone(),
            starts_at: self.starts_at,
            place: self.place.clone(),
            online_url: self.online_url.clone(),
            agenda: self.agenda.clone(),
            spheres: self.spheres.clone(),
            territories,
        })
    }
}

impl HeadMeetingInput {
    /// Parses the meeting, listing every invalid field. Whether the body is registered
    /// and the territories are in the classifier is checked by the caller.
    pub fn parse(&self) -> Result<(String, MeetingFacts), ApiError> {
        let mut errors = Errors::default();
        let body = self.government_body.trim();
        if body.is_empty() {
            errors.add("/government_body", "is required");
        } else if !is_body_id(body) {
            errors.add(
                "/government_body",
                format!("government body '{body}' is not in the register"),
            );
        }
        let head_position = required_line(
            &mut errors,
            "/head_position",
            &self.head_position,
            MAX_HEAD_TEXT,
        );
        let head_full_name = required_line(
            &mut errors,
            "/head_full_name",
            &self.head_full_name,
            MAX_HEAD_TEXT,
        );
        let starts_at = parse_starts_at(&mut errors, &self.starts_at);
        let place = parse_place(&mut errors, self.place.as_deref());
        let online_url = parse_online_url(&mut errors, self.online_url.as_deref());
        if !errors.has("/place") && !errors.has("/online_url") {
            check_venue(&mut errors, place.as_ref(), online_url.as_ref());
        }
        let agenda = parse_agenda(&mut errors, &self.agenda);
        let spheres = parse_codes::<Sphere>(&mut errors, "/spheres", &self.spheres);
        let territories = parse_territories(&mut errors, &self.territories);

        errors.into_result()?;
        match (head_position, head_full_name, starts_at, agenda) {
            (Some(head_position), Some(head_full_name), Some(starts_at), Some(agenda)) => Ok((
                body.to_owned(),
                MeetingFacts {
                    head_position,
                    head_full_name,
                    starts_at,
                    place,
                    online_url,
                    agenda,
                    spheres,
                    territories,
                },
            )),
            _ => Err(ApiError::internal(anyhow::anyhow!(
                "a meeting passed its checks with a field missing"
            ))),
        }
    }
}

impl HeadMeetingPatch {
    /// Parses the territories the patch sets, if it sets them, so that the caller can
    /// look them up in the classifier before the change is applied.
    pub fn parse_territories(&self) -> Result<Option<Vec<KatoCode>>, ApiError> {
        let Some(raw) = &self.territories else {
            return Ok(None);
        };
        let mut errors = Errors::default();
        let territories = parse_territories(&mut errors, raw);
        errors.into_result()?;
        Ok(Some(territories))
    }

    /// Lays the patch over `current`, checking every value it sets and listing each
    /// invalid one.
    pub fn apply(&self, current: &HeadMeeting) -> Result<MeetingFacts, ApiError> {
        let mut facts = current.facts()?;
        let mut errors = Errors::default();
        if let Some(raw) = &self.head_position
            && let Some(value) = required_line(&mut errors, "/head_position", raw, MAX_HEAD_TEXT)
        {
            facts.head_position = value;
        }
        if let Some(raw) = &self.head_full_name
            && let Some(value) = required_line(&mut errors, "/head_full_name", raw, MAX_HEAD_TEXT)
        {
            facts.head_full_name = value;
        }
        if let Some(raw) = &self.starts_at
            && let Some(value) = parse_starts_at(&mut errors, raw)
        {
            facts.starts_at = value;
        }
        if let Some(raw) = &self.place {
            facts.place = parse_place(&mut errors, raw.as_deref());
        }
        if let Some(raw) = &self.online_url {
            facts.online_url = parse_online_url(&mut errors, raw.as_deref());
        }
        if !errors.has("/place") && !errors.has("/online_url") {
            check_venue(&mut errors, facts.place.as_ref(), facts.online_url.as_ref());
        }
        if let Some(raw) = &self.agenda
            && let Some(value) = parse_agenda(&mut errors, raw)
        {
            facts.agenda = value;
        }
        if let Some(raw) = &self.spheres {
            facts.spheres = parse_codes::<Sphere>(&mut errors, "/spheres", raw);
        }
        if let Some(raw) = &self.territories {
            facts.territories = parse_territories(&mut errors, raw);
        }

        errors.into_result()?;
        Ok(facts)
    }
}

impl CancellationInput {
    /// Parses the reason of a cancellation, which may be left out.
    pub fn parse(&self) -> Result<Option<String>, ApiError> {
        let mut errors = Errors::default();
        let reason = errors
            .check(
                "/reason",
                multiline_text(self.reason.as_deref(), MAX_REASON),
            )
            .flatten();
        errors.into_result()?;
        Ok(reason)
    }
}

impl OutcomeInput {
    /// Parses the outcome, which a held meeting requires.
    pub fn parse(&self) -> Result<String, ApiError> {
        let mut errors = Errors::default();
        let outcome = errors
            .check("/outcome", multiline_text(Some(&self.outcome), MAX_OUTCOME))
            .flatten();
        if outcome.is_none() && !errors.has("/outcome") {
            errors.add("/outcome", "is required to record a meeting as held");
        }
        errors.into_result()?;
        outcome.ok_or_else(|| ApiError::internal(anyhow::anyhow!("an outcome passed empty")))
    }
}

/// Parses the start at `/starts_at`: RFC 3339 with an offset, in the platform's years,
/// truncated to microseconds.
fn parse_starts_at(errors: &mut Errors, raw: &str) -> Option<DateTime<Utc>> {
    const POINTER: &str = "/starts_at";
    let value = raw.trim();
    if value.is_empty() {
        errors.add(POINTER, "is required");
        return None;
    }
    let Ok(instant) = common_models::time::parse_instant(value) else {
        errors.add(
            POINTER,
            format!(
                "'{value}' is not an RFC 3339 date-time with an offset, such as \
                 2026-12-18T15:00:00+05:00"
            ),
        );
        return None;
    };
    if !YEARS.contains(&instant.year()) {
        errors.add(
            POINTER,
            format!(
                "'{value}' is outside the years {} to {}",
                YEARS.start(),
                YEARS.end()
            ),
        );
        return None;
    }
    Some(common_models::time::truncate_to_micros(instant))
}

fn parse_place(errors: &mut Errors, raw: Option<&str>) -> Option<String> {
    errors.check("/place", text(raw, MAX_PLACE)).flatten()
}

fn parse_online_url(errors: &mut Errors, raw: Option<&str>) -> Option<String> {
    let value = raw.map(str::trim).filter(|v| !v.is_empty())?;
    errors.check("/online_url", web_url(value))
}

/// Records that a meeting needs a place, an online link or both.
fn check_venue(errors: &mut Errors, place: Option<&String>, online_url: Option<&String>) {
    if place.is_none() && online_url.is_none() {
        errors.add("/place", "is required when online_url is absent");
        errors.add("/online_url", "is required when place is absent");
    }
}

fn parse_agenda(errors: &mut Errors, raw: &str) -> Option<String> {
    let agenda = errors
        .check("/agenda", multiline_text(Some(raw), MAX_AGENDA))
        .flatten();
    if agenda.is_none() && !errors.has("/agenda") {
        errors.add("/agenda", "is required");
    }
    agenda
}

/// Parses the KATO codes at `/territories`: 1 to 50, none repeated.
fn parse_territories(errors: &mut Errors, raw: &[String]) -> Vec<KatoCode> {
    const POINTER: &str = "/territories";
    if raw.is_empty() {
        errors.add(
            POINTER,
            "is required; name at least one territory whose NPOs are invited",
        );
        return Vec::new();
    }
    if raw.len() > MAX_TERRITORIES.min(MAX_CODES) {
        errors.add(
            POINTER,
            format!("at most {MAX_TERRITORIES} territories, found {}", raw.len()),
        );
        return Vec::new();
    }
    let mut parsed: Vec<KatoCode> = Vec::new();
    for (index, code) in raw.iter().enumerate() {
        let pointer = format!("{POINTER}/{index}");
        let Some(territory) = errors.check(pointer.as_str(), KatoCode::parse(code)) else {
            continue;
        };
        match parsed.iter().position(|known| *known == territory) {
            Some(first) => errors.add(
                pointer,
                format!("territory {territory} is already listed at {POINTER}/{first}"),
            ),
            None => parsed.push(territory),
        }
    }
    parsed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> HeadMeetingInput {
        HeadMeetingInput {
            government_body: "akimat-ulytau".into(),
            head_position: "Аким области Ұлытау".into(),
            head_full_name: "Бердибек Сапарбаев".into(),
            starts_at: "2026-12-18T15:00:00+05:00".into(),
            place: Some("Жезказган, актовый зал".into()),
            online_url: None,
            agenda: "Молодёжная политика".into(),
            spheres: vec!["youth".into()],
            territories: vec!["620000000".into()],
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
    fn start_stored_in_utc() {
        let (_, facts) = input().parse().unwrap();

        assert_eq!(facts.starts_at.to_rfc3339(), "2026-12-18T10:00:00+00:00");
    }

    #[test]
    fn start_needs_offset() {
        let mut meeting = input();
        meeting.starts_at = "2026-12-18T15:00:00".into();

        assert_eq!(pointers(meeting.parse().unwrap_err()), vec!["/starts_at"]);
    }

    #[test]
    fn venue_required() {
        let mut meeting = input();
        meeting.place = Some("  ".into());

        assert_eq!(
            pointers(meeting.parse().unwrap_err()),
            vec!["/place", "/online_url"]
        );
    }

    #[test]
    fn repeated_territory_rejected() {
        let mut meeting = input();
        meeting.territories = vec!["620000000".into(), "620000000".into()];

        assert_eq!(
            pointers(meeting.parse().unwrap_err()),
            vec!["/territories/1"]
        );
    }
}
