//! Joint planning: cross-sector working groups with their members, reports to the
//! body's management and meetings, participation in consultative bodies, and joint
//! work plans whose approved versions are kept.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use common_models::event::joint_actions::{JointPlanRow, MeetingRecorded, PlanVersioned};
use common_models::{Catalogue, ParticipantCategory, Sphere};
use serde::{Deserialize, Serialize};
use service_kit::ApiError;
use service_kit::export::{Cell, Table};
use utoipa::ToSchema;

use super::{Errors, multiline_text, parse_code, parse_codes, parse_date, present, text};

/// Maximum number of members of a group or rows of a plan.
const MAX_ENTRIES: usize = 200;
/// Maximum number of responsible staff members of one meeting.
const MAX_STAFF: usize = 20;

/// Headings of the "joint work plan" form, in the regulation's order.
pub const PLAN_HEADINGS: [&str; 7] = [
    "№",
    "Мероприятие",
    "Форма завершения",
    "Срок реализации",
    "Ответственный",
    "Участники",
    "Форма участия",
];
/// Title of the form, used as the sheet name.
pub const PLAN_TITLE: &str = "План совместных работ";

/// Way the body takes part in a working group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// The officer created the group.
    Created,
    /// The officer joined a group that another party started.
    Joined,
}

/// A member of a working group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Member {
    /// `officer` (of another body), `npo` or `other`.
    pub kind: String,
    pub government_body: Option<String>,
    /// Registry id, for an NPO member.
    pub npo_id: Option<String>,
    pub name: Option<String>,
    pub role: Option<String>,
    pub responsibilities: Option<String>,
}

/// Body of a request that creates or records a working group.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupInput {
    #[serde(default)]
    #[schema(required = true)]
    pub name: String,
    #[serde(default)]
    #[schema(value_type = Origin, required = true)]
    pub origin: String,
    /// How far the group's goals match the body's, required for a joined group.
    pub goal_match: Option<String>,
    pub format: Option<String>,
    #[serde(default)]
    #[schema(value_type = Vec<Sphere>)]
    pub spheres: Vec<String>,
    #[serde(default)]
    pub members: Vec<Member>,
}

/// A valid working group.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupFacts {
    pub name: String,
    pub origin: Origin,
    pub goal_match: Option<String>,
    pub format: Option<String>,
    pub spheres: Vec<Sphere>,
    pub members: Vec<Member>,
}

impl GroupFacts {
    /// Returns the names of the fields that have a value, for the audit trail.
    pub fn present_fields(&self) -> Vec<&'static str> {
        let mut fields = vec!["name", "origin"];
        if self.goal_match.is_some() {
            fields.push("goal_match");
        }
        if self.format.is_some() {
            fields.push("format");
        }
        if !self.spheres.is_empty() {
            fields.push("spheres");
        }
        if !self.members.is_empty() {
            fields.push("members");
        }
        fields
    }
}

impl GroupInput {
    /// Parses the request, listing every invalid field.
    pub fn parse(&self) -> Result<GroupFacts, ApiError> {
        let mut errors = Errors::default();
        let name = required_text(&mut errors, "/name", &self.name, 300);
        let origin = present(&mut errors, "/origin", &self.origin).and_then(|raw| match raw {
            "created" => Some(Origin::Created),
            "joined" => Some(Origin::Joined),
            other => {
                errors.add(
                    "/origin",
                    format!("unknown code '{other}'; expected created or joined"),
                );
                None
            }
        });
        let goal_match = errors
            .check(
                "/goal_match",
                multiline_text(self.goal_match.as_deref(), 5000),
            )
            .flatten();
        if origin == Some(Origin::Joined) && goal_match.is_none() && !errors.has("/goal_match") {
            errors.add(
                "/goal_match",
                "record how far the group's goals match the body's before joining",
            );
        }
        let format = errors
            .check("/format", text(self.format.as_deref(), 300))
            .flatten();
        let spheres = parse_codes::<Sphere>(&mut errors, "/spheres", &self.spheres);
        if self.members.len() > MAX_ENTRIES {
            errors.add("/members", format!("at most {MAX_ENTRIES} members"));
        }
        let mut members: Vec<Member> = Vec::new();
        for (index, member) in self.members.iter().take(MAX_ENTRIES).enumerate() {
            let pointer = format!("/members/{index}");
            let Some(member) = parse_member(&mut errors, &pointer, member) else {
                continue;
            };
            let repeated = members.iter().any(|m| {
                m.kind == member.kind
                    && m.npo_id == member.npo_id
                    && m.government_body == member.government_body
                    && m.name == member.name
            });
            if repeated {
                errors.add(pointer, "the same member is listed twice");
                continue;
            }
            members.push(member);
        }

        errors.into_result()?;
        Ok(GroupFacts {
            name: name.unwrap_or_default(),
            origin: origin.unwrap_or(Origin::Created),
            goal_match,
            format,
            spheres,
            members,
        })
    }
}

fn parse_member(errors: &mut Errors, pointer: &str, member: &Member) -> Option<Member> {
    let mut field = |name: &str, raw: &Option<String>, max: usize| {
        errors
            .check(format!("{pointer}/{name}"), text(raw.as_deref(), max))
            .flatten()
    };
    let parsed = Member {
        kind: member.kind.trim().to_owned(),
        government_body: field("government_body", &member.government_body, 300),
        npo_id: field("npo_id", &member.npo_id, 64),
        name: field("name", &member.name, 300),
        role: field("role", &member.role, 300),
        responsibilities: field("responsibilities", &member.responsibilities, 2000),
    };
    let kind_pointer = format!("{pointer}/kind");
    match parsed.kind.as_str() {
        "npo" if parsed.npo_id.is_none() => errors.add(
            format!("{pointer}/npo_id"),
            "an NPO member names its registry id",
        ),
        "officer" if parsed.government_body.is_none() => errors.add(
            format!("{pointer}/government_body"),
            "an officer member names the government body",
        ),
        "officer" | "other" if parsed.npo_id.is_some() => errors.add(
            format!("{pointer}/npo_id"),
            "only an NPO member has a registry id",
        ),
        "other" if parsed.name.is_none() => errors.add(format!("{pointer}/name"), "is required"),
        "npo" | "officer" | "other" => {}
        "" => errors.add(kind_pointer, "is required"),
        other => errors.add(
            kind_pointer,
            format!("unknown code '{other}'; expected officer, npo or other"),
        ),
    }
    Some(parsed)
}

fn required_text(errors: &mut Errors, pointer: &str, raw: &str, max: usize) -> Option<String> {
    let value = errors
        .check(pointer, multiline_text(Some(raw), max))
        .flatten();
    if value.is_none() && !errors.has(pointer) {
        errors.add(pointer, "is required");
    }
    value
}

/// A working group.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Group {
    pub id: String,
    pub government_body: String,
    pub name: String,
    pub origin: Origin,
    pub goal_match: Option<String>,
    pub format: Option<String>,
    pub spheres: Vec<Sphere>,
    pub members: Vec<Member>,
    /// Set by the final report to management.
    pub closed: bool,
    pub reports: Vec<GroupReport>,
    pub created_at: DateTime<Utc>,
}

/// Kind of a report to the body's management.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    Intermediate,
    Final,
}

/// A report on a working group's results to the body's management.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GroupReport {
    pub id: String,
    pub kind: ReportKind,
    pub reported_on: NaiveDate,
    pub summary: String,
}

/// Body of a request that records a report to management.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportInput {
    #[serde(default)]
    #[schema(value_type = ReportKind, required = true)]
    pub kind: String,
    #[serde(default)]
    #[schema(value_type = NaiveDate, required = true)]
    pub reported_on: String,
    #[serde(default)]
    #[schema(required = true)]
    pub summary: String,
}

impl ReportInput {
    /// Parses the request into a report with id `id`, dated no later than `today`.
    pub fn parse(&self, id: String, today: NaiveDate) -> Result<GroupReport, ApiError> {
        let mut errors = Errors::default();
        let kind = present(&mut errors, "/kind", &self.kind).and_then(|raw| match raw {
            "intermediate" => Some(ReportKind::Intermediate),
            "final" => Some(ReportKind::Final),
            other => {
                errors.add(
                    "/kind",
                    format!("unknown code '{other}'; expected intermediate or final"),
                );
                None
            }
        });
        let reported_on = present(&mut errors, "/reported_on", &self.reported_on)
            .and_then(|raw| errors.check("/reported_on", parse_date(raw)));
        not_after(&mut errors, "/reported_on", reported_on, today);
        let summary = required_text(&mut errors, "/summary", &self.summary, 20_000);

        errors.into_result()?;
        match (kind, reported_on, summary) {
            (Some(kind), Some(reported_on), Some(summary)) => Ok(GroupReport {
                id,
                kind,
                reported_on,
                summary,
            }),
            _ => Err(missing_after_checks("report")),
        }
    }
}

/// A meeting of a working group: a row of the annual report's table on joint planning.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Meeting {
    pub id: String,
    pub group_id: String,
    pub held_on: NaiveDate,
    pub form: String,
    pub participant_categories: Vec<ParticipantCategory>,
    pub participants: Option<i32>,
    pub responsible_staff: Vec<String>,
    pub minutes: Option<String>,
    /// The result, such as the changes made to the joint plan.
    pub result: Option<String>,
}

/// Body of a request that records a meeting.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeetingInput {
    #[serde(default)]
    #[schema(value_type = NaiveDate, required = true)]
    pub held_on: String,
    /// Form of the meeting, such as a round table or an online session.
    #[serde(default)]
    #[schema(required = true)]
    pub form: String,
    #[serde(default)]
    #[schema(value_type = Vec<ParticipantCategory>)]
    pub participant_categories: Vec<String>,
    pub participants: Option<i32>,
    #[serde(default)]
    pub responsible_staff: Vec<String>,
    pub minutes: Option<String>,
    pub result: Option<String>,
}

impl MeetingInput {
    /// Parses the request into a meeting of `group_id` with id `id`.
    pub fn parse(
        &self,
        id: String,
        group_id: String,
        today: NaiveDate,
    ) -> Result<Meeting, ApiError> {
        let mut errors = Errors::default();
        let held_on = present(&mut errors, "/held_on", &self.held_on)
            .and_then(|raw| errors.check("/held_on", parse_date(raw)));
        if let Some(date) = held_on
            && date > today
        {
            errors.add("/held_on", format!("{date} is after today ({today})"));
        }
        let form = required_text(&mut errors, "/form", &self.form, 200);
        if self.participant_categories.is_empty() {
            errors.add("/participant_categories", "name at least one category");
        }
        let participant_categories = parse_codes::<ParticipantCategory>(
            &mut errors,
            "/participant_categories",
            &self.participant_categories,
        );
        if self
            .participants
            .is_some_and(|n| !(0..=1_000_000).contains(&n))
        {
            errors.add("/participants", "must be between 0 and 1000000");
        }
        if self.responsible_staff.is_empty() {
            errors.add(
                "/responsible_staff",
                "name at least one responsible staff member",
            );
        }
        if self.responsible_staff.len() > MAX_STAFF {
            errors.add("/responsible_staff", format!("at most {MAX_STAFF} names"));
        }
        let mut responsible_staff = Vec::new();
        for (index, name) in self.responsible_staff.iter().take(MAX_STAFF).enumerate() {
            let pointer = format!("/responsible_staff/{index}");
            match errors.check(&pointer, text(Some(name), 200)) {
                Some(Some(name)) => responsible_staff.push(name),
                Some(None) => errors.add(pointer, "must not be empty"),
                None => {}
            }
        }
        let minutes = errors
            .check("/minutes", multiline_text(self.minutes.as_deref(), 50_000))
            .flatten();
        let result = errors
            .check("/result", multiline_text(self.result.as_deref(), 20_000))
            .flatten();

        errors.into_result()?;
        match (held_on, form) {
            (Some(held_on), Some(form)) => Ok(Meeting {
                id,
                group_id,
                held_on,
                form,
                participant_categories,
                participants: self.participants,
                responsible_staff,
                minutes,
                result,
            }),
            _ => Err(missing_after_checks("meeting")),
        }
    }
}

impl Meeting {
    /// Builds the payload of `joint_actions.meeting.recorded` for a meeting of a group
    /// of `government_body`. The responsible staff are joined by ", " because the
    /// payload carries them as one text, as the annual report's column does.
    pub fn recorded_event(&self, government_body: &str) -> MeetingRecorded {
        MeetingRecorded {
            meeting_id: self.id.clone(),
            working_group_id: self.group_id.clone(),
            government_body: government_body.to_owned(),
            held_on: self.held_on,
            form: self.form.clone(),
            participant_categories: self
                .participant_categories
                .iter()
                .map(|category| category.code().to_owned())
                .collect(),
            participants: self.participants.map(i64::from),
            responsible_staff: self.responsible_staff.join(", "),
            result: self.result.clone(),
        }
    }
}

/// Participation of the body in a consultative body, such as a public council.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConsultativeBody {
    pub id: String,
    pub government_body: String,
    pub name: String,
    pub sphere: Option<Sphere>,
    /// Role of the officer in it.
    pub role: Option<String>,
    pub joined_on: Option<NaiveDate>,
    /// Progress notes, oldest first.
    pub progress: Vec<ProgressNote>,
}

/// A note on the progress of a consultative body's work.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProgressNote {
    pub id: String,
    pub on: NaiveDate,
    pub note: String,
}

/// Body of a request that records participation in a consultative body.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsultativeInput {
    #[serde(default)]
    #[schema(required = true)]
    pub name: String,
    #[schema(value_type = Option<Sphere>)]
    pub sphere: Option<String>,
    pub role: Option<String>,
    #[schema(value_type = Option<NaiveDate>)]
    pub joined_on: Option<String>,
}

/// A valid participation in a consultative body.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsultativeFacts {
    pub name: String,
    pub sphere: Option<Sphere>,
    pub role: Option<String>,
    pub joined_on: Option<NaiveDate>,
}

impl ConsultativeFacts {
    /// Returns the names of the fields that have a value, for the audit trail.
    pub fn present_fields(&self) -> Vec<&'static str> {
        let mut fields = vec!["name"];
        if self.sphere.is_some() {
            fields.push("sphere");
        }
        if self.role.is_some() {
            fields.push("role");
        }
        if self.joined_on.is_some() {
            fields.push("joined_on");
        }
        fields
    }
}

impl ConsultativeInput {
    /// Parses the request, listing every invalid field; the date may not lie after `today`.
    pub fn parse(&self, today: NaiveDate) -> Result<ConsultativeFacts, ApiError> {
        let mut errors = Errors::default();
        let name = required_text(&mut errors, "/name", &self.name, 300);
        let sphere = self
            .sphere
            .as_deref()
            .and_then(|raw| errors.check("/sphere", parse_code::<Sphere>(raw)));
        let role = errors
            .check("/role", text(self.role.as_deref(), 300))
            .flatten();
        let joined_on = self
            .joined_on
            .as_deref()
            .and_then(|raw| errors.check("/joined_on", parse_date(raw)));
        not_after(&mut errors, "/joined_on", joined_on, today);

        errors.into_result()?;
        Ok(ConsultativeFacts {
            name: name.unwrap_or_default(),
            sphere,
            role,
            joined_on,
        })
    }
}

/// Body of a request that records progress of a consultative body.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgressInput {
    #[serde(default)]
    #[schema(value_type = NaiveDate, required = true)]
    pub on: String,
    #[serde(default)]
    #[schema(required = true)]
    pub note: String,
}

impl ProgressInput {
    /// Parses the request into a note with id `id`, dated between `joined_on` and
    /// `today`.
    pub fn parse(
        &self,
        id: String,
        joined_on: Option<NaiveDate>,
        today: NaiveDate,
    ) -> Result<ProgressNote, ApiError> {
        let mut errors = Errors::default();
        let on = present(&mut errors, "/on", &self.on)
            .and_then(|raw| errors.check("/on", parse_date(raw)));
        not_after(&mut errors, "/on", on, today);
        if let (Some(date), Some(joined)) = (on, joined_on)
            && date < joined
        {
            errors.add(
                "/on",
                format!("{date} is before the body joined ({joined})"),
            );
        }
        let note = required_text(&mut errors, "/note", &self.note, 10_000);

        errors.into_result()?;
        match (on, note) {
            (Some(on), Some(note)) => Ok(ProgressNote { id, on, note }),
            _ => Err(missing_after_checks("progress note")),
        }
    }
}

/// A row of a joint work plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanRow {
    pub activity: String,
    /// Form in which the activity ends, such as a report or an event.
    pub completion_form: Option<String>,
    #[schema(value_type = Option<NaiveDate>)]
    pub deadline: Option<String>,
    pub responsible: Option<String>,
    pub participants: Option<String>,
    pub participation_form: Option<String>,
}

impl PlanRow {
    /// Returns the deadline as a date. Deadlines that passed `parse_rows` are in the
    /// form YYYY-MM-DD, and any other text is read as no deadline.
    pub fn deadline_date(&self) -> Option<NaiveDate> {
        self.deadline
            .as_deref()
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
    }

    /// Converts the row to a row of the "Joint work plan" form as events carry it.
    pub fn report_row(&self) -> JointPlanRow {
        JointPlanRow {
            activity: self.activity.clone(),
            completion_form: self.completion_form.clone(),
            deadline: self.deadline_date(),
            responsible: self.responsible.clone(),
            participants: self.participants.clone(),
            participation_form: self.participation_form.clone(),
        }
    }
}

/// Checks the rows of a plan, listing every invalid field, and returns them trimmed.
pub fn parse_rows(errors: &mut Errors, rows: &[PlanRow]) -> Vec<PlanRow> {
    if rows.len() > MAX_ENTRIES {
        errors.add("/rows", format!("at most {MAX_ENTRIES} rows"));
        return Vec::new();
    }
    let mut parsed: Vec<PlanRow> = Vec::new();
    for (index, row) in rows.iter().enumerate() {
        let pointer = format!("/rows/{index}");
        let activity = required_text(errors, &format!("{pointer}/activity"), &row.activity, 1000);
        if let Some(activity) = &activity
            && parsed.iter().any(|r| &r.activity == activity)
        {
            errors.add(format!("{pointer}/activity"), "is listed twice in the plan");
        }
        let mut field = |name: &str, raw: &Option<String>| {
            errors
                .check(
                    format!("{pointer}/{name}"),
                    multiline_text(raw.as_deref(), 1000),
                )
                .flatten()
        };
        let completion_form = field("completion_form", &row.completion_form);
        let responsible = field("responsible", &row.responsible);
        let participants = field("participants", &row.participants);
        let participation_form = field("participation_form", &row.participation_form);
        let deadline = row.deadline.as_deref().and_then(|raw| {
            errors
                .check(format!("{pointer}/deadline"), parse_date(raw))
                .map(|d| d.to_string())
        });
        if let Some(activity) = activity {
            parsed.push(PlanRow {
                activity,
                completion_form,
                deadline,
                responsible,
                participants,
                participation_form,
            });
        }
    }
    parsed
}

/// Body of a request that creates a joint plan.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanInput {
    #[serde(default)]
    #[schema(required = true)]
    pub title: String,
    /// The working group that drew up the plan.
    pub working_group_id: Option<String>,
    #[serde(default)]
    pub rows: Vec<PlanRow>,
}

/// Body of a request that replaces the rows of a plan.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanRowsInput {
    #[serde(default)]
    pub rows: Vec<PlanRow>,
}

/// Stage of a joint plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlanStatus {
    /// Rows change in place.
    Draft,
    /// Every change makes a new version.
    Approved,
}

/// A joint work plan with the rows of its current version.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Plan {
    pub id: String,
    pub government_body: String,
    pub working_group_id: Option<String>,
    pub title: String,
    pub status: PlanStatus,
    /// Number of the current version of the rows, from 1. A draft keeps version 1;
    /// every change after approval adds one.
    pub version: i32,
    pub rows: Vec<PlanRow>,
    /// Revision for `If-Match` (the ETag), raised by every change.
    pub revision: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Plan {
    /// Builds the payload of `joint_actions.plan.approved` or `.changed` for version
    /// `version` of the plan with `rows`, approved or made on the local date
    /// `approved_on`.
    pub fn versioned_event(
        &self,
        version: i32,
        rows: &[PlanRow],
        approved_on: NaiveDate,
    ) -> PlanVersioned {
        PlanVersioned {
            plan_id: self.id.clone(),
            government_body: self.government_body.clone(),
            version,
            activities: rows.len() as i64,
            title: Some(self.title.clone()),
            working_group_id: self.working_group_id.clone(),
            approved_on: Some(approved_on),
            rows: rows.iter().map(PlanRow::report_row).collect(),
        }
    }
}

/// One version of a plan's rows.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlanVersion {
    /// Version number, from 1.
    #[serde(rename = "version")]
    pub number: i32,
    pub rows: Vec<PlanRow>,
    pub created_at: DateTime<Utc>,
}

/// Changes of one activity between two versions.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RowChange {
    pub activity: String,
    /// Changed fields with their values before and after.
    pub fields: BTreeMap<String, FieldChange>,
}

/// The value of a field before and after.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FieldChange {
    pub from: Option<String>,
    pub to: Option<String>,
}

/// The differences between two versions of a plan, matching rows by activity.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PlanChanges {
    pub from: i32,
    pub to: i32,
    pub added: Vec<PlanRow>,
    pub removed: Vec<PlanRow>,
    pub changed: Vec<RowChange>,
}

/// Lists what changed from the rows `before` to the rows `after`.
pub fn changes(from: i32, before: &[PlanRow], to: i32, after: &[PlanRow]) -> PlanChanges {
    let find =
        |rows: &[PlanRow], activity: &str| rows.iter().find(|r| r.activity == activity).cloned();
    let added = after
        .iter()
        .filter(|r| find(before, &r.activity).is_none())
        .cloned()
        .collect();
    let removed = before
        .iter()
        .filter(|r| find(after, &r.activity).is_none())
        .cloned()
        .collect();
    let changed = after
        .iter()
        .filter_map(|new| {
            let old = find(before, &new.activity)?;
            let mut fields = BTreeMap::new();
            let pairs = [
                (
                    "completion_form",
                    &old.completion_form,
                    &new.completion_form,
                ),
                ("deadline", &old.deadline, &new.deadline),
                ("responsible", &old.responsible, &new.responsible),
                ("participants", &old.participants, &new.participants),
                (
                    "participation_form",
                    &old.participation_form,
                    &new.participation_form,
                ),
            ];
            for (name, was, is) in pairs {
                if was != is {
                    fields.insert(
                        name.to_owned(),
                        FieldChange {
                            from: was.clone(),
                            to: is.clone(),
                        },
                    );
                }
            }
            (!fields.is_empty()).then(|| RowChange {
                activity: new.activity.clone(),
                fields,
            })
        })
        .collect();
    PlanChanges {
        from,
        to,
        added,
        removed,
        changed,
    }
}

/// Builds the "joint work plan" form.
pub fn plan_form(rows: &[PlanRow]) -> Table {
    let table_rows = rows
        .iter()
        .enumerate()
        .map(|(index, row)| {
            let deadline = row.deadline_date();
            vec![
                Cell::from(index as i64 + 1),
                row.activity.clone().into(),
                row.completion_form.clone().into(),
                deadline.map(|d| d.format("%d.%m.%Y").to_string()).into(),
                row.responsible.clone().into(),
                row.participants.clone().into(),
                row.participation_form.clone().into(),
            ]
        })
        .collect();
    Table {
        title: PLAN_TITLE.to_owned(),
        headings: PLAN_HEADINGS.iter().map(|h| (*h).to_owned()).collect(),
        rows: table_rows,
    }
}

fn not_after(errors: &mut Errors, pointer: &str, date: Option<NaiveDate>, today: NaiveDate) {
    if let Some(date) = date
        && date > today
    {
        errors.add(pointer, format!("{date} is after today ({today})"));
    }
}

fn missing_after_checks(what: &str) -> ApiError {
    ApiError::internal(anyhow::anyhow!(
        "a {what} passed its checks with a field missing"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(activity: &str, deadline: &str) -> PlanRow {
        PlanRow {
            activity: activity.into(),
            completion_form: None,
            deadline: Some(deadline.into()),
            responsible: None,
            participants: None,
            participation_form: None,
        }
    }

    #[test]
    fn changes_match_rows_by_activity() {
        let before = [row("Форум", "2027-03-01"), row("Обучение", "2027-04-01")];
        let after = [row("Форум", "2027-05-01"), row("Конкурс", "2027-06-01")];

        let found = changes(1, &before, 2, &after);

        assert_eq!(found.added, [row("Конкурс", "2027-06-01")]);
        assert_eq!(found.removed, [row("Обучение", "2027-04-01")]);
        assert_eq!(found.changed.len(), 1);
        assert_eq!(
            found.changed[0].fields["deadline"].to.as_deref(),
            Some("2027-05-01")
        );
    }
}
