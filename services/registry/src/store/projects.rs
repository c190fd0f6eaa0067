//! Storage of NPO projects.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use common_models::{Catalogue, KatoCode, Sphere};
use diesel::prelude::*;
use service_kit::{AnyConnection, StoreError};

use super::npos::Author;
use super::{from_code, utc};
use crate::domain::project::{Project, ProjectFacts};
use crate::schema::npo_projects;

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = npo_projects)]
struct ProjectRow {
    id: String,
    npo_id: String,
    name: String,
    starts_on: Option<NaiveDate>,
    ends_on: Option<NaiveDate>,
    funding_source: Option<String>,
    sphere: Option<String>,
    territory: Option<String>,
    created_at: NaiveDateTime,
}

impl ProjectRow {
    fn into_project(self) -> Result<Project, StoreError> {
        Ok(Project {
            id: self.id,
            npo_id: self.npo_id,
            name: self.name,
            starts_on: self.starts_on,
            ends_on: self.ends_on,
            funding_source: self.funding_source,
            sphere: self
                .sphere
                .as_deref()
                .map(from_code::<Sphere>)
                .transpose()?,
            territory: self
                .territory
                .as_deref()
                .map(KatoCode::parse)
                .transpose()
                .map_err(|e| {
                    StoreError::Query(anyhow::anyhow!("stored KATO code is invalid: {e}"))
                })?,
            created_at: utc(self.created_at),
        })
    }
}

/// Inserts a project of `npo_id`.
pub fn insert(
    conn: &mut AnyConnection,
    id: &str,
    npo_id: &str,
    facts: &ProjectFacts,
    author: Author<'_>,
    now: DateTime<Utc>,
) -> Result<Project, StoreError> {
    diesel::insert_into(npo_projects::table)
        .values((
            npo_projects::id.eq(id),
            npo_projects::npo_id.eq(npo_id),
            npo_projects::name.eq(&facts.name),
            npo_projects::starts_on.eq(facts.starts_on),
            npo_projects::ends_on.eq(facts.ends_on),
            npo_projects::funding_source.eq(&facts.funding_source),
            npo_projects::sphere.eq(facts.sphere.map(Catalogue::code)),
            npo_projects::territory.eq(facts.territory.as_ref().map(KatoCode::as_str)),
            npo_projects::created_at.eq(now.naive_utc()),
            npo_projects::created_by.eq(author.subject),
            npo_projects::created_by_body.eq(author.body),
        ))
        .execute(conn)?;
    Ok(Project {
        id: id.to_owned(),
        npo_id: npo_id.to_owned(),
        name: facts.name.clone(),
        starts_on: facts.starts_on,
        ends_on: facts.ends_on,
        funding_source: facts.funding_source.clone(),
        sphere: facts.sphere,
        territory: facts.territory.clone(),
        created_at: now,
    })
}

/// Lists the projects of one NPO in creation order.
pub fn list_for_npo(
    conn: &mut AnyConnection,
    npo_id: &str,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Project>, StoreError> {
    let mut query = npo_projects::table
        .filter(npo_projects::npo_id.eq(npo_id.to_owned()))
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(npo_projects::id.gt(after.to_owned()));
    }
    query
        .order(npo_projects::id.asc())
        .limit(limit)
        .select(ProjectRow::as_select())
        .load::<ProjectRow>(conn)?
        .into_iter()
        .map(ProjectRow::into_project)
        .collect()
}

/// Finds one project of one NPO.
pub fn find(
    conn: &mut AnyConnection,
    npo_id: &str,
    id: &str,
) -> Result<Option<Project>, StoreError> {
    npo_projects::table
        .filter(npo_projects::npo_id.eq(npo_id))
        .filter(npo_projects::id.eq(id))
        .select(ProjectRow::as_select())
        .first::<ProjectRow>(conn)
        .optional()?
        .map(ProjectRow::into_project)
        .transpose()
}
