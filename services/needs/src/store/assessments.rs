//! Storage of needs assessments and their spheres.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use common_models::{AssessmentStatus, Catalogue, KatoCode, Sphere};
use diesel::prelude::*;
use service_kit::{AnyConnection, StoreError};

use super::{Scope, from_code, from_json, like_prefix, to_json, utc};
use crate::domain::assessment::{AssessmentFacts, AssessmentRecord, Report};
use crate::schema::{needs_assessment_spheres, needs_assessments};

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = needs_assessments)]
struct AssessmentRow {
    id: String,
    government_body: String,
    title: String,
    status: String,
    territory: Option<String>,
    territory_name: Option<String>,
    period_start: Option<NaiveDate>,
    period_end: Option<NaiveDate>,
    target_groups: String,
    methods: Option<String>,
    instruments: String,
    information_sources: String,
    report_course: Option<String>,
    report_conclusions: Option<String>,
    report_recommendations: Option<String>,
    completed_on: Option<NaiveDate>,
    version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    published_at: Option<NaiveDateTime>,
}

impl AssessmentRow {
    fn into_record(self, spheres: Vec<Sphere>) -> Result<AssessmentRecord, StoreError> {
        let territory = self
            .territory
            .as_deref()
            .map(KatoCode::parse)
            .transpose()
            .map_err(|e| StoreError::Query(anyhow::anyhow!("stored KATO code is invalid: {e}")))?;
        Ok(AssessmentRecord {
            id: self.id,
            government_body: self.government_body,
            status: from_code(&self.status)?,
            facts: AssessmentFacts {
                title: self.title,
                spheres,
                territory,
                period_start: self.period_start,
                period_end: self.period_end,
                target_groups: from_json("target_groups", &self.target_groups)?,
                methods: self.methods,
                instruments: from_json("instruments", &self.instruments)?,
                information_sources: from_json("information_sources", &self.information_sources)?,
                report: Report {
                    course: self.report_course,
                    conclusions: self.report_conclusions,
                    recommendations: self.report_recommendations,
                },
            },
            territory_name: self.territory_name,
            completed_on: self.completed_on,
            version: self.version,
            created_at: utc(self.created_at),
            updated_at: utc(self.updated_at),
            published_at: self.published_at.map(utc),
        })
    }
}

/// Inserts a new draft assessment of `government_body`.
pub fn insert(
    conn: &mut AnyConnection,
    id: &str,
    government_body: &str,
    facts: &AssessmentFacts,
    territory_name: Option<&str>,
    created_by: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::insert_into(needs_assessments::table)
        .values((
            needs_assessments::id.eq(id),
            needs_assessments::government_body.eq(government_body),
            needs_assessments::status.eq(AssessmentStatus::Draft.code()),
            needs_assessments::target_groups.eq(to_json(&facts.target_groups)?),
            needs_assessments::instruments.eq(to_json(&facts.instruments)?),
            needs_assessments::information_sources.eq(to_json(&facts.information_sources)?),
            needs_assessments::version.eq(1),
            needs_assessments::created_at.eq(now.naive_utc()),
            needs_assessments::created_by.eq(created_by),
            needs_assessments::updated_at.eq(now.naive_utc()),
            needs_assessments::title.eq(&facts.title),
            needs_assessments::territory.eq(facts.territory.as_ref().map(KatoCode::as_str)),
            needs_assessments::territory_name.eq(territory_name),
            needs_assessments::period_start.eq(facts.period_start),
            needs_assessments::period_end.eq(facts.period_end),
            needs_assessments::methods.eq(&facts.methods),
            needs_assessments::report_course.eq(&facts.report.course),
            needs_assessments::report_conclusions.eq(&facts.report.conclusions),
            needs_assessments::report_recommendations.eq(&facts.report.recommendations),
        ))
        .execute(conn)?;
    insert_spheres(conn, id, &facts.spheres)
}

fn insert_spheres(
    conn: &mut AnyConnection,
    id: &str,
    spheres: &[Sphere],
) -> Result<(), StoreError> {
    for sphere in spheres {
        diesel::insert_into(needs_assessment_spheres::table)
            .values((
                needs_assessment_spheres::assessment_id.eq(id),
                needs_assessment_spheres::sphere.eq(sphere.code()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Replaces the facts of an assessment if it is still at `version`; returns whether it
/// was.
pub fn update(
    conn: &mut AnyConnection,
    id: &str,
    version: i32,
    facts: &AssessmentFacts,
    territory_name: Option<&str>,
    completed_on: Option<NaiveDate>,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let changed = diesel::update(
        needs_assessments::table
            .filter(needs_assessments::id.eq(id))
            .filter(needs_assessments::version.eq(version)),
    )
    .set((
        needs_assessments::title.eq(&facts.title),
        needs_assessments::territory.eq(facts.territory.as_ref().map(KatoCode::as_str)),
        needs_assessments::territory_name.eq(territory_name),
        needs_assessments::period_start.eq(facts.period_start),
        needs_assessments::period_end.eq(facts.period_end),
        needs_assessments::target_groups.eq(to_json(&facts.target_groups)?),
        needs_assessments::methods.eq(&facts.methods),
        needs_assessments::instruments.eq(to_json(&facts.instruments)?),
        needs_assessments::information_sources.eq(to_json(&facts.information_sources)?),
        needs_assessments::report_course.eq(&facts.report.course),
        needs_assessments::report_conclusions.eq(&facts.report.conclusions),
        needs_assessments::report_recommendations.eq(&facts.report.recommendations),
        needs_assessments::completed_on.eq(completed_on),
        needs_assessments::version.eq(version + 1),
        needs_assessments::updated_at.eq(now.naive_utc()),
    ))
    .execute(conn)?;
    if changed == 0 {
        return Ok(false);
    }
    diesel::delete(
        needs_assessment_spheres::table.filter(needs_assessment_spheres::assessment_id.eq(id)),
    )
    .execute(conn)?;
    insert_spheres(conn, id, &facts.spheres)?;
    Ok(true)
}

/// Moves an assessment to `status` if it is still at `version`; returns whether it was.
pub fn set_status(
    conn: &mut AnyConnection,
    id: &str,
    version: i32,
    status: AssessmentStatus,
    completed_on: Option<NaiveDate>,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let published_at = (status == AssessmentStatus::Published).then(|| now.naive_utc());
    let changed = diesel::update(
        needs_assessments::table
            .filter(needs_assessments::id.eq(id))
            .filter(needs_assessments::version.eq(version)),
    )
    .set((
        needs_assessments::status.eq(status.code()),
        needs_assessments::completed_on.eq(completed_on),
        needs_assessments::published_at.eq(published_at),
        needs_assessments::version.eq(version + 1),
        needs_assessments::updated_at.eq(now.naive_utc()),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Finds one assessment.
pub fn find(conn: &mut AnyConnection, id: &str) -> Result<Option<AssessmentRecord>, StoreError> {
    let Some(row) = needs_assessments::table
        .filter(needs_assessments::id.eq(id))
        .select(AssessmentRow::as_select())
        .first::<AssessmentRow>(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let spheres = spheres_of(conn, &row.id)?;
    row.into_record(spheres).map(Some)
}

fn spheres_of(conn: &mut AnyConnection, id: &str) -> Result<Vec<Sphere>, StoreError> {
    let codes: Vec<String> = needs_assessment_spheres::table
        .filter(needs_assessment_spheres::assessment_id.eq(id))
        .select(needs_assessment_spheres::sphere)
        .load(conn)?;
    let mut spheres: Vec<Sphere> = codes
        .iter()
        .map(|c| from_code(c))
        .collect::<Result<_, _>>()?;
    // Catalogue order, so a record reads the same whatever order it was written in.
    spheres.sort_by_key(|s| Sphere::all().iter().position(|x| x == s));
    Ok(spheres)
}

/// Filters of the assessment list; every filter present must match.
#[derive(Debug, Clone)]
pub struct AssessmentFilter {
    pub scope: Scope,
    pub government_body: Option<String>,
    pub status: Option<AssessmentStatus>,
    pub sphere: Option<Sphere>,
    pub territory: Option<KatoCode>,
}

/// Lists assessments in id order (creation order), after the id `after`.
pub fn list(
    conn: &mut AnyConnection,
    filter: &AssessmentFilter,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<AssessmentRecord>, StoreError> {
    let published = AssessmentStatus::Published.code();
    let mut query = needs_assessments::table.into_boxed();
    query = match &filter.scope {
        Scope::Everything => query,
        Scope::PublishedOnly => query.filter(needs_assessments::status.eq(published)),
        Scope::OpenCalls => query.filter(
            needs_assessments::status.eq_any([published, AssessmentStatus::Collecting.code()]),
        ),
        Scope::AlsoBody(body) => query.filter(
            needs_assessments::status
                .eq(published)
                .or(needs_assessments::government_body.eq(body.clone())),
        ),
    };
    if let Some(body) = &filter.government_body {
        query = query.filter(needs_assessments::government_body.eq(body.clone()));
    }
    if let Some(status) = filter.status {
        query = query.filter(needs_assessments::status.eq(status.code()));
    }
    if let Some(sphere) = filter.sphere {
        let with_sphere = needs_assessment_spheres::table
            .filter(needs_assessment_spheres::sphere.eq(sphere.code()))
            .select(needs_assessment_spheres::assessment_id);
        query = query.filter(needs_assessments::id.eq_any(with_sphere));
    }
    if let Some(territory) = &filter.territory {
        query = query
            .filter(needs_assessments::territory.like(like_prefix(territory.subtree_prefix())));
    }
    if let Some(after) = after {
        query = query.filter(needs_assessments::id.gt(after.to_owned()));
    }
    let rows = query
        .order(needs_assessments::id.asc())
        .limit(limit)
        .select(AssessmentRow::as_select())
        .load::<AssessmentRow>(conn)?;
    rows.into_iter()
        .map(|row| {
            let spheres = spheres_of(conn, &row.id)?;
            row.into_record(spheres)
        })
        .collect()
}
