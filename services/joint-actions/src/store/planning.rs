//! Storage of working groups, their reports and meetings, consultative bodies, and
//! joint plans with their versions.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use common_models::{Catalogue, Sphere};
use diesel::prelude::*;
use service_kit::{AnyConnection, StoreError};

use super::{from_code, from_json, to_json, utc};
use crate::domain::planning::{
    ConsultativeBody, ConsultativeFacts, Group, GroupFacts, GroupReport, Meeting, Origin, Plan,
    PlanRow, PlanStatus, PlanVersion, ProgressNote, ReportKind,
};
use crate::schema::{
    consultative_bodies, consultative_progress, joint_plan_versions, joint_plans,
    working_group_meetings, working_group_reports, working_groups,
};

type GroupRow = (
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    String,
    bool,
    NaiveDateTime,
);

/// Inserts a working group of `government_body`.
pub fn insert_group(
    conn: &mut AnyConnection,
    id: &str,
    government_body: &str,
    facts: &GroupFacts,
    created_by: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let spheres: Vec<&str> = facts.spheres.iter().map(|s| s.code()).collect();
    diesel::insert_into(working_groups::table)
        .values((
            working_groups::id.eq(id),
            working_groups::government_body.eq(government_body),
            working_groups::name.eq(&facts.name),
            working_groups::origin.eq(match facts.origin {
                Origin::Created => "created",
                Origin::Joined => "joined",
            }),
            working_groups::goal_match.eq(&facts.goal_match),
            working_groups::format.eq(&facts.format),
            working_groups::spheres.eq(to_json(&spheres)?),
            working_groups::members.eq(to_json(&facts.members)?),
            working_groups::closed.eq(false),
            working_groups::created_at.eq(now.naive_utc()),
            working_groups::created_by.eq(created_by),
        ))
        .execute(conn)?;
    Ok(())
}

fn group_of(conn: &mut AnyConnection, row: GroupRow) -> Result<Group, StoreError> {
    let (
        id,
        government_body,
        name,
        origin,
        goal_match,
        format,
        spheres,
        members,
        closed,
        created_at,
    ) = row;
    let origin = match origin.as_str() {
        "created" => Origin::Created,
        "joined" => Origin::Joined,
        other => {
            return Err(StoreError::Query(anyhow::anyhow!(
                "stored origin '{other}' is unknown"
            )));
        }
    };
    let spheres: Vec<String> = from_json("spheres", &spheres)?;
    let reports = reports_of(conn, &id)?;
    Ok(Group {
        id,
        government_body,
        name,
        origin,
        goal_match,
        format,
        spheres: spheres
            .iter()
            .map(|s| from_code::<Sphere>(s))
            .collect::<Result<_, _>>()?,
        members: from_json("members", &members)?,
        closed,
        reports,
        created_at: utc(created_at),
    })
}

fn group_columns() -> (
    working_groups::id,
    working_groups::government_body,
    working_groups::name,
    working_groups::origin,
    working_groups::goal_match,
    working_groups::format,
    working_groups::spheres,
    working_groups::members,
    working_groups::closed,
    working_groups::created_at,
) {
    (
        working_groups::id,
        working_groups::government_body,
        working_groups::name,
        working_groups::origin,
        working_groups::goal_match,
        working_groups::format,
        working_groups::spheres,
        working_groups::members,
        working_groups::closed,
        working_groups::created_at,
    )
}

/// Finds a working group with its reports.
pub fn find_group(conn: &mut AnyConnection, id: &str) -> Result<Option<Group>, StoreError> {
    let row: Option<GroupRow> = working_groups::table
        .filter(working_groups::id.eq(id))
        .select(group_columns())
        .first(conn)
        .optional()?;
    row.map(|row| group_of(conn, row)).transpose()
}

/// Lists the working groups of `government_body` (every body when `None`).
pub fn list_groups(
    conn: &mut AnyConnection,
    government_body: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Group>, StoreError> {
    let mut query = working_groups::table.into_boxed();
    if let Some(body) = government_body {
        query = query.filter(working_groups::government_body.eq(body.to_owned()));
    }
    if let Some(after) = after {
        query = query.filter(working_groups::id.gt(after.to_owned()));
    }
    let rows: Vec<GroupRow> = query
        .order(working_groups::id.asc())
        .limit(limit)
        .select(group_columns())
        .load(conn)?;
    rows.into_iter().map(|row| group_of(conn, row)).collect()
}

fn reports_of(conn: &mut AnyConnection, group_id: &str) -> Result<Vec<GroupReport>, StoreError> {
    let rows: Vec<(String, String, NaiveDate, String)> = working_group_reports::table
        .filter(working_group_reports::group_id.eq(group_id))
        .order(working_group_reports::id.asc())
        .select((
            working_group_reports::id,
            working_group_reports::kind,
            working_group_reports::reported_on,
            working_group_reports::summary,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(id, kind, reported_on, summary)| {
            let kind = match kind.as_str() {
                "intermediate" => ReportKind::Intermediate,
                "final" => ReportKind::Final,
                other => {
                    return Err(StoreError::Query(anyhow::anyhow!(
                        "stored report kind '{other}' is unknown"
                    )));
                }
            };
            Ok(GroupReport {
                id,
                kind,
                reported_on,
                summary,
            })
        })
        .collect()
}

/// Inserts a report; a final one closes the group.
pub fn insert_report(
    conn: &mut AnyConnection,
    group_id: &str,
    report: &GroupReport,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::insert_into(working_group_reports::table)
        .values((
            working_group_reports::id.eq(&report.id),
            working_group_reports::group_id.eq(group_id),
            working_group_reports::kind.eq(match report.kind {
                ReportKind::Intermediate => "intermediate",
                ReportKind::Final => "final",
            }),
            working_group_reports::reported_on.eq(report.reported_on),
            working_group_reports::summary.eq(&report.summary),
            working_group_reports::created_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    if report.kind == ReportKind::Final {
        diesel::update(working_groups::table.filter(working_groups::id.eq(group_id)))
            .set(working_groups::closed.eq(true))
            .execute(conn)?;
    }
    Ok(())
}

/// Inserts a meeting of a working group.
pub fn insert_meeting(
    conn: &mut AnyConnection,
    meeting: &Meeting,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::insert_into(working_group_meetings::table)
        .values((
            working_group_meetings::id.eq(&meeting.id),
            working_group_meetings::group_id.eq(&meeting.group_id),
            working_group_meetings::held_on.eq(meeting.held_on),
            working_group_meetings::form.eq(&meeting.form),
            working_group_meetings::participant_categories
                .eq(to_json(&meeting.participant_categories)?),
            working_group_meetings::participants.eq(meeting.participants),
            working_group_meetings::responsible_staff.eq(to_json(&meeting.responsible_staff)?),
            working_group_meetings::minutes.eq(&meeting.minutes),
            working_group_meetings::result.eq(&meeting.result),
            working_group_meetings::created_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

type MeetingRow = (
    String,
    String,
    NaiveDate,
    String,
    String,
    Option<i32>,
    String,
    Option<String>,
    Option<String>,
);

/// Lists the meetings of a working group in the order they were recorded.
pub fn meetings(conn: &mut AnyConnection, group_id: &str) -> Result<Vec<Meeting>, StoreError> {
    let rows: Vec<MeetingRow> = working_group_meetings::table
        .filter(working_group_meetings::group_id.eq(group_id))
        .order(working_group_meetings::id.asc())
        .select((
            working_group_meetings::id,
            working_group_meetings::group_id,
            working_group_meetings::held_on,
            working_group_meetings::form,
            working_group_meetings::participant_categories,
            working_group_meetings::participants,
            working_group_meetings::responsible_staff,
            working_group_meetings::minutes,
            working_group_meetings::result,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(
            |(id, group_id, held_on, form, categories, participants, staff, minutes, result)| {
                Ok(Meeting {
                    id,
                    group_id,
                    held_on,
                    form,
                    participant_categories: from_json("participant_categories", &categories)?,
                    participants,
                    responsible_staff: from_json("responsible_staff", &staff)?,
                    minutes,
                    result,
                })
            },
        )
        .collect()
}

/// Inserts a participation in a consultative body.
pub fn insert_consultative(
    conn: &mut AnyConnection,
    id: &str,
    government_body: &str,
    facts: &ConsultativeFacts,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::insert_into(consultative_bodies::table)
        .values((
            consultative_bodies::id.eq(id),
            consultative_bodies::government_body.eq(government_body),
            consultative_bodies::name.eq(&facts.name),
            consultative_bodies::sphere.eq(facts.sphere.map(Catalogue::code)),
            consultative_bodies::role.eq(&facts.role),
            consultative_bodies::joined_on.eq(facts.joined_on),
            consultative_bodies::created_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

type ConsultativeRow = (
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<NaiveDate>,
);

/// Lists consultative bodies of `government_body` (every body when `None`), or the one
/// with `id`.
pub fn consultative(
    conn: &mut AnyConnection,
    government_body: Option<&str>,
    id: Option<&str>,
) -> Result<Vec<ConsultativeBody>, StoreError> {
    let mut query = consultative_bodies::table.into_boxed();
    if let Some(body) = government_body {
        query = query.filter(consultative_bodies::government_body.eq(body.to_owned()));
    }
    if let Some(id) = id {
        query = query.filter(consultative_bodies::id.eq(id.to_owned()));
    }
    let rows: Vec<ConsultativeRow> = query
        .order(consultative_bodies::id.asc())
        .limit(1000)
        .select((
            consultative_bodies::id,
            consultative_bodies::government_body,
            consultative_bodies::name,
            consultative_bodies::sphere,
            consultative_bodies::role,
            consultative_bodies::joined_on,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(id, government_body, name, sphere, role, joined_on)| {
            let notes: Vec<(String, NaiveDate, String)> = consultative_progress::table
                .filter(consultative_progress::consultative_body_id.eq(&id))
                .order((
                    consultative_progress::noted_on.asc(),
                    consultative_progress::id.asc(),
                ))
                .select((
                    consultative_progress::id,
                    consultative_progress::noted_on,
                    consultative_progress::note,
                ))
                .load(conn)?;
            Ok(ConsultativeBody {
                id,
                government_body,
                name,
                sphere: sphere.as_deref().map(from_code).transpose()?,
                role,
                joined_on,
                progress: notes
                    .into_iter()
                    .map(|(id, on, note)| ProgressNote { id, on, note })
                    .collect(),
            })
        })
        .collect()
}

/// Inserts a progress note of a consultative body.
pub fn insert_progress(
    conn: &mut AnyConnection,
    consultative_body_id: &str,
    note: &ProgressNote,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::insert_into(consultative_progress::table)
        .values((
            consultative_progress::id.eq(&note.id),
            consultative_progress::consultative_body_id.eq(consultative_body_id),
            consultative_progress::noted_on.eq(note.on),
            consultative_progress::note.eq(&note.note),
            consultative_progress::created_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

/// A plan about to be stored.
#[derive(Debug, Clone)]
pub struct NewPlan<'a> {
    pub id: &'a str,
    pub government_body: &'a str,
    pub working_group_id: Option<&'a str>,
    pub title: &'a str,
    pub rows: &'a [PlanRow],
}

/// Inserts a draft plan with its first version of rows.
pub fn insert_plan(
    conn: &mut AnyConnection,
    plan: &NewPlan<'_>,
    created_by: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::insert_into(joint_plans::table)
        .values((
            joint_plans::id.eq(plan.id),
            joint_plans::government_body.eq(plan.government_body),
            joint_plans::working_group_id.eq(plan.working_group_id),
            joint_plans::title.eq(plan.title),
            joint_plans::status.eq("draft"),
            joint_plans::current_version.eq(1),
            joint_plans::version.eq(1),
            joint_plans::created_at.eq(now.naive_utc()),
            joint_plans::updated_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    insert_version(conn, plan.id, 1, plan.rows, created_by, now)
}

/// Stores version `number` of a plan's rows.
pub fn insert_version(
    conn: &mut AnyConnection,
    plan_id: &str,
    number: i32,
    rows: &[PlanRow],
    created_by: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::insert_into(joint_plan_versions::table)
        .values((
            joint_plan_versions::plan_id.eq(plan_id),
            joint_plan_versions::number.eq(number),
            joint_plan_versions::rows.eq(to_json(rows)?),
            joint_plan_versions::created_at.eq(now.naive_utc()),
            joint_plan_versions::created_by.eq(created_by),
        ))
        .execute(conn)?;
    Ok(())
}

/// Replaces the rows of version `number` in place, as a draft allows.
pub fn replace_version(
    conn: &mut AnyConnection,
    plan_id: &str,
    number: i32,
    rows: &[PlanRow],
) -> Result<(), StoreError> {
    diesel::update(
        joint_plan_versions::table
            .filter(joint_plan_versions::plan_id.eq(plan_id))
            .filter(joint_plan_versions::number.eq(number)),
    )
    .set(joint_plan_versions::rows.eq(to_json(rows)?))
    .execute(conn)?;
    Ok(())
}

/// Sets a plan's status and current version if its revision is still `revision`;
/// returns whether it was.
pub fn update_plan(
    conn: &mut AnyConnection,
    id: &str,
    revision: i32,
    status: PlanStatus,
    current_version: i32,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let changed = diesel::update(
        joint_plans::table
            .filter(joint_plans::id.eq(id))
            .filter(joint_plans::version.eq(revision)),
    )
    .set((
        joint_plans::status.eq(match status {
            PlanStatus::Draft => "draft",
            PlanStatus::Approved => "approved",
        }),
        joint_plans::current_version.eq(current_version),
        joint_plans::version.eq(revision + 1),
        joint_plans::updated_at.eq(now.naive_utc()),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

type PlanRowTuple = (
    String,
    String,
    Option<String>,
    String,
    String,
    i32,
    i32,
    NaiveDateTime,
    NaiveDateTime,
);

/// Finds a plan with the rows of its current version.
pub fn find_plan(conn: &mut AnyConnection, id: &str) -> Result<Option<Plan>, StoreError> {
    let row: Option<PlanRowTuple> = joint_plans::table
        .filter(joint_plans::id.eq(id))
        .select((
            joint_plans::id,
            joint_plans::government_body,
            joint_plans::working_group_id,
            joint_plans::title,
            joint_plans::status,
            joint_plans::current_version,
            joint_plans::version,
            joint_plans::created_at,
            joint_plans::updated_at,
        ))
        .first(conn)
        .optional()?;
    let Some((
        id,
        government_body,
        working_group_id,
        title,
        status,
        current_version,
        revision,
        created_at,
        updated_at,
    )) = row
    else {
        return Ok(None);
    };
    let status = match status.as_str() {
        "draft" => PlanStatus::Draft,
        "approved" => PlanStatus::Approved,
        other => {
            return Err(StoreError::Query(anyhow::anyhow!(
                "stored plan status '{other}' is unknown"
            )));
        }
    };
    let rows = plan_version(conn, &id, current_version)?
        .map(|v| v.rows)
        .unwrap_or_default();
    Ok(Some(Plan {
        id,
        government_body,
        working_group_id,
        title,
        status,
        version: current_version,
        rows,
        revision,
        created_at: utc(created_at),
        updated_at: utc(updated_at),
    }))
}

/// Finds version `number` of a plan.
pub fn plan_version(
    conn: &mut AnyConnection,
    plan_id: &str,
    number: i32,
) -> Result<Option<PlanVersion>, StoreError> {
    let row: Option<(i32, String, NaiveDateTime)> = joint_plan_versions::table
        .filter(joint_plan_versions::plan_id.eq(plan_id))
        .filter(joint_plan_versions::number.eq(number))
        .select((
            joint_plan_versions::number,
            joint_plan_versions::rows,
            joint_plan_versions::created_at,
        ))
        .first(conn)
        .optional()?;
    row.map(|(number, rows, created_at)| {
        Ok(PlanVersion {
            number,
            rows: from_json("rows", &rows)?,
            created_at: utc(created_at),
        })
    })
    .transpose()
}

/// Lists every version of a plan, oldest first.
pub fn plan_versions(
    conn: &mut AnyConnection,
    plan_id: &str,
) -> Result<Vec<PlanVersion>, StoreError> {
    let rows: Vec<(i32, String, NaiveDateTime)> = joint_plan_versions::table
        .filter(joint_plan_versions::plan_id.eq(plan_id))
        .order(joint_plan_versions::number.asc())
        .select((
            joint_plan_versions::number,
            joint_plan_versions::rows,
            joint_plan_versions::created_at,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(number, rows, created_at)| {
            Ok(PlanVersion {
                number,
                rows: from_json("rows", &rows)?,
                created_at: utc(created_at),
            })
        })
        .collect()
}

/// Lists the plans of `government_body` (every body when `None`).
pub fn list_plans(
    conn: &mut AnyConnection,
    government_body: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Plan>, StoreError> {
    let mut query = joint_plans::table.select(joint_plans::id).into_boxed();
    if let Some(body) = government_body {
        query = query.filter(joint_plans::government_body.eq(body.to_owned()));
    }
    if let Some(after) = after {
        query = query.filter(joint_plans::id.gt(after.to_owned()));
    }
    let ids: Vec<String> = query.order(joint_plans::id.asc()).limit(limit).load(conn)?;
    let mut plans = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(plan) = find_plan(conn, &id)? {
            plans.push(plan);
        }
    }
    Ok(plans)
}
