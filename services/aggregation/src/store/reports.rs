//! Storage of annual reports and their submitted versions, and the loading of the
//! read-model records a report is assembled from.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use common_models::{Catalogue, KatoCode};
use diesel::prelude::*;
use service_kit::{AnyConnection, StoreError};

use super::{from_code, from_json, records, to_json, utc};
use crate::domain::reports::{Narrative, ReportBody, ReportStatus, Sources};
use crate::readmodel::{Dimension, GONE, Kind, NpoState};
use crate::schema::{annual_report_versions as versions, annual_reports as reports};

/// An annual report without its content.
#[derive(Debug, Clone)]
pub struct Report {
    pub id: String,
    pub government_body: String,
    pub year: i32,
    pub status: ReportStatus,
    pub due_on: NaiveDate,
    pub narrative: Narrative,
    pub submitted_on: Option<NaiveDate>,
    pub accepted_on: Option<NaiveDate>,
    pub current_version: i32,
    pub version: i32,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = reports)]
struct ReportRow {
    id: String,
    government_body: String,
    year: i32,
    status: String,
    due_on: NaiveDate,
    narrative: String,
    submitted_on: Option<NaiveDate>,
    accepted_on: Option<NaiveDate>,
    current_version: i32,
    version: i32,
    created_at: NaiveDateTime,
}

impl ReportRow {
    fn into_report(self) -> Result<Report, StoreError> {
        Ok(Report {
            status: from_code(&self.status)?,
            narrative: from_json("narrative", &self.narrative)?,
            id: self.id,
            government_body: self.government_body,
            year: self.year,
            due_on: self.due_on,
            submitted_on: self.submitted_on,
            accepted_on: self.accepted_on,
            current_version: self.current_version,
            version: self.version,
            created_at: utc(self.created_at),
        })
    }
}

/// One submitted version of a report.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = versions)]
pub struct VersionRow {
    pub number: i32,
    pub content: String,
    pub submitted_on: NaiveDate,
    pub submitted_by: String,
    pub review: Option<String>,
    pub comments: Option<String>,
    pub reviewed_on: Option<NaiveDate>,
    pub reviewed_by: Option<String>,
}

/// Filters of the report list.
#[derive(Debug, Default)]
pub struct Filter {
    pub government_body: Option<String>,
    pub year: Option<i32>,
    pub status: Option<ReportStatus>,
}

/// Opens the draft report of `body` for `year`.
pub fn insert(
    conn: &mut AnyConnection,
    id: &str,
    body: &str,
    year: i32,
    due_on: NaiveDate,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let at = now.naive_utc();
    diesel::insert_into(reports::table)
        .values((
            reports::id.eq(id),
            reports::government_body.eq(body),
            reports::year.eq(year),
            reports::status.eq(ReportStatus::Draft.code()),
            reports::due_on.eq(due_on),
            reports::narrative.eq(to_json(&Narrative::default())?),
            reports::current_version.eq(0),
            reports::version.eq(1),
            reports::created_at.eq(at),
            reports::created_by.eq(actor),
            reports::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Returns the report of `body` for `year`, if one is open.
pub fn find_for(
    conn: &mut AnyConnection,
    body: &str,
    year: i32,
) -> Result<Option<Report>, StoreError> {
    reports::table
        .filter(reports::government_body.eq(body))
        .filter(reports::year.eq(year))
        .select(ReportRow::as_select())
        .first(conn)
        .optional()?
        .map(ReportRow::into_report)
        .transpose()
}

/// Returns report `id`.
pub fn find(conn: &mut AnyConnection, id: &str) -> Result<Option<Report>, StoreError> {
    reports::table
        .find(id)
        .select(ReportRow::as_select())
        .first(conn)
        .optional()?
        .map(ReportRow::into_report)
        .transpose()
}

/// Lists reports in the order of their ids, after `after`.
pub fn list(
    conn: &mut AnyConnection,
    filter: &Filter,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Report>, StoreError> {
    let mut query = reports::table.into_boxed();
    if let Some(body) = &filter.government_body {
        query = query.filter(reports::government_body.eq(body.clone()));
    }
    if let Some(year) = filter.year {
        query = query.filter(reports::year.eq(year));
    }
    if let Some(status) = filter.status {
        query = query.filter(reports::status.eq(status.code()));
    }
    if let Some(after) = after {
        query = query.filter(reports::id.gt(after.to_owned()));
    }
    query
        .order(reports::id.asc())
        .limit(limit)
        .select(ReportRow::as_select())
        .load::<ReportRow>(conn)?
        .into_iter()
        .map(ReportRow::into_report)
        .collect()
}

/// A report's body, year, deadline and first submission.
pub type Deadline = (String, i32, NaiveDate, Option<NaiveDate>);

/// Returns every report's deadline and first submission.
pub fn deadlines(conn: &mut AnyConnection) -> Result<Vec<Deadline>, StoreError> {
    Ok(reports::table
        .order((reports::government_body.asc(), reports::year.asc()))
        .select((
            reports::government_body,
            reports::year,
            reports::due_on,
            reports::submitted_on,
        ))
        .load(conn)?)
}

/// Saves the narrative when the report still has `version`; returns whether it did.
pub fn set_narrative(
    conn: &mut AnyConnection,
    id: &str,
    version: i32,
    narrative: &Narrative,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let changed = diesel::update(
        reports::table
            .filter(reports::id.eq(id))
            .filter(reports::version.eq(version)),
    )
    .set((
        reports::narrative.eq(to_json(narrative)?),
        reports::version.eq(version + 1),
        reports::updated_at.eq(now.naive_utc()),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Freezes `content` as the next version, submitted on `today`; returns whether the
/// report still had `version`.
pub fn submit(
    conn: &mut AnyConnection,
    report: &Report,
    content: &str,
    today: NaiveDate,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let number = report.current_version + 1;
    let changed = diesel::update(
        reports::table
            .filter(reports::id.eq(&report.id))
            .filter(reports::version.eq(report.version)),
    )
    .set((
        reports::status.eq(ReportStatus::Submitted.code()),
        reports::submitted_on.eq(report.submitted_on.unwrap_or(today)),
        reports::current_version.eq(number),
        reports::version.eq(report.version + 1),
        reports::updated_at.eq(now.naive_utc()),
    ))
    .execute(conn)?;
    if changed != 1 {
        return Ok(false);
    }
    diesel::insert_into(versions::table)
        .values((
            versions::report_id.eq(&report.id),
            versions::number.eq(number),
            versions::content.eq(content),
            versions::submitted_on.eq(today),
            versions::submitted_by.eq(actor),
        ))
        .execute(conn)?;
    Ok(true)
}

/// Records the ministry's review of the current version; returns whether the report
/// still had its version.
pub fn review(
    conn: &mut AnyConnection,
    report: &Report,
    outcome: ReportStatus,
    comments: Option<&str>,
    today: NaiveDate,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let accepted_on = (outcome == ReportStatus::Accepted).then_some(today);
    let changed = diesel::update(
        reports::table
            .filter(reports::id.eq(&report.id))
            .filter(reports::version.eq(report.version)),
    )
    .set((
        reports::status.eq(outcome.code()),
        reports::accepted_on.eq(accepted_on),
        reports::version.eq(report.version + 1),
        reports::updated_at.eq(now.naive_utc()),
    ))
    .execute(conn)?;
    if changed != 1 {
        return Ok(false);
    }
    diesel::update(
        versions::table
            .filter(versions::report_id.eq(&report.id))
            .filter(versions::number.eq(report.current_version)),
    )
    .set((
        versions::review.eq(outcome.code()),
        versions::comments.eq(comments),
        versions::reviewed_on.eq(today),
        versions::reviewed_by.eq(actor),
    ))
    .execute(conn)?;
    Ok(true)
}

/// Lists the versions of report `id`, oldest first.
pub fn versions_of(conn: &mut AnyConnection, id: &str) -> Result<Vec<VersionRow>, StoreError> {
    Ok(versions::table
        .filter(versions::report_id.eq(id))
        .order(versions::number.asc())
        .select(VersionRow::as_select())
        .load(conn)?)
}

/// Returns version `number` of report `id`.
pub fn version(
    conn: &mut AnyConnection,
    id: &str,
    number: i32,
) -> Result<Option<VersionRow>, StoreError> {
    Ok(versions::table
        .filter(versions::report_id.eq(id))
        .filter(versions::number.eq(number))
        .select(VersionRow::as_select())
        .first(conn)
        .optional()?)
}

fn decode<T: serde::de::DeserializeOwned>(
    rows: Vec<records::StoredRecord>,
) -> Result<Vec<T>, StoreError> {
    rows.iter().map(records::StoredRecord::data).collect()
}

/// Loads the read-model records the report of `body` draws on.
pub fn sources(conn: &mut AnyConnection, body: &ReportBody) -> Result<Sources, StoreError> {
    let npos: Vec<NpoState> = decode(records::tagged(
        conn,
        Kind::Npo,
        Dimension::Sphere,
        &body.spheres,
        GONE,
    )?)?;
    let projects = decode(records::all(conn, Kind::Project, GONE)?)?;
    Ok(Sources {
        npos,
        projects,
        assessments: decode(records::of_body(conn, Kind::Assessment, &body.id, GONE)?)?,
        meetings: decode(records::of_body(conn, Kind::Meeting, &body.id, GONE)?)?,
        plans: decode(records::of_body(conn, Kind::Plan, &body.id, GONE)?)?,
        actions: decode(records::of_body(conn, Kind::Action, &body.id, GONE)?)?,
        monitoring: decode(records::of_body(conn, Kind::Monitoring, &body.id, GONE)?)?,
        recommendations: decode(records::of_body(
            conn,
            Kind::Recommendation,
            &body.id,
            GONE,
        )?)?,
        consultations: decode(records::of_body(conn, Kind::Consultation, &body.id, GONE)?)?,
        officer_requests: decode(records::of_body(
            conn,
            Kind::OfficerRequest,
            &body.id,
            GONE,
        )?)?,
    })
}

/// Reads the body's register entry as the report needs it.
pub fn report_body(conn: &mut AnyConnection, id: &str) -> Result<Option<ReportBody>, StoreError> {
    let Some(card) = super::bodies::find(conn, id)? else {
        return Ok(None);
    };
    Ok(Some(ReportBody {
        id: card.id,
        name_ru: card.name_ru,
        territory: card
            .territory
            .as_deref()
            .and_then(|t| KatoCode::parse(t).ok()),
        spheres: card.spheres.iter().map(|s| s.code().to_owned()).collect(),
    }))
}

/// Russian names of every registered body, for table 7.
pub fn body_names(
    conn: &mut AnyConnection,
) -> Result<std::collections::HashMap<String, String>, StoreError> {
    use crate::schema::government_bodies as bodies;
    Ok(bodies::table
        .select((bodies::id, bodies::name_ru))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect())
}
