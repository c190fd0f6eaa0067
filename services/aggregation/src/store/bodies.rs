//! Storage of the register of government bodies and their spheres.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use common_models::{Catalogue, KatoCode, Sphere};
use diesel::prelude::*;
use service_kit::{AnyConnection, StoreError};

use super::profiles::{self, ProfileExtras};
use super::{from_code, officers, utc};
use crate::domain::bodies::{
    BodyFacts, BodyLevel, Candidate, CompetentBody, GovernmentBody, PublicProfile,
};
use crate::domain::officers::{Appointment, Vacancy};
use crate::domain::positions;
use crate::schema::{government_bodies as bodies, government_body_spheres as spheres};

/// Filters of the body list. A listed body matches every filter present.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub level: Option<BodyLevel>,
    pub sphere: Option<Sphere>,
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = bodies)]
struct BodyRow {
    id: String,
    name_ru: String,
    name_kk: String,
    level: String,
    territory: Option<String>,
    vacant_since: Option<NaiveDate>,
    version: i32,
    created_at: NaiveDateTime,
}

/// Returns the public profile of the officer of a body of `level`.
fn profile(level: BodyLevel, appointment: Appointment, extras: ProfileExtras) -> PublicProfile {
    let position_name_ru = positions::positions(level)
        .iter()
        .find(|p| p.code == appointment.position)
        .map_or_else(|| appointment.position.clone(), |p| p.name_ru.to_owned());
    let photo_url = extras.has_photo.then(|| {
        format!(
            "/v1/government-bodies/{}/officer/photo",
            appointment.government_body
        )
    });
    PublicProfile {
        full_name: appointment.full_name,
        position: appointment.position,
        position_name_ru,
        appointed_on: appointment.appointed_on,
        contacts: appointment.contacts,
        reception_schedule: appointment.reception_schedule,
        work_plan: extras.work_plan,
        appeal_forms: extras.appeal_forms,
        photo_url,
    }
}

/// Returns whether the register contains body `id`.
pub fn exists(conn: &mut AnyConnection, id: &str) -> Result<bool, StoreError> {
    let count: i64 = bodies::table
        .filter(bodies::id.eq(id))
        .count()
        .get_result(conn)?;
    Ok(count > 0)
}

/// Returns which of `ids` are in the register.
pub fn registered_among(
    conn: &mut AnyConnection,
    ids: &[String],
) -> Result<HashSet<String>, StoreError> {
    Ok(bodies::table
        .filter(bodies::id.eq_any(ids))
        .select(bodies::id)
        .load::<String>(conn)?
        .into_iter()
        .collect())
}

/// Lists the ids of every body in the register, in order.
pub fn all_ids(conn: &mut AnyConnection) -> Result<Vec<String>, StoreError> {
    Ok(bodies::table
        .order(bodies::id.asc())
        .select(bodies::id)
        .load(conn)?)
}

/// Inserts a body registered on `today`, vacant from that day.
pub fn insert(
    conn: &mut AnyConnection,
    facts: &BodyFacts,
    created_by: &str,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::insert_into(bodies::table)
        .values((
            bodies::id.eq(&facts.id),
            bodies::name_ru.eq(&facts.name_ru),
            bodies::name_kk.eq(&facts.name_kk),
            bodies::level.eq(facts.level.code()),
            bodies::territory.eq(facts.territory.as_ref().map(KatoCode::as_str)),
            bodies::vacant_since.eq(Some(today)),
            bodies::version.eq(1),
            bodies::created_at.eq(now.naive_utc()),
            bodies::created_by.eq(created_by),
            bodies::updated_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    for (position, sphere) in (0..).zip(&facts.spheres) {
        diesel::insert_into(spheres::table)
            .values((
                spheres::body_id.eq(&facts.id),
                spheres::sphere.eq(sphere.code()),
                spheres::position.eq::<i32>(position),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Sets the day since which body `id` is vacant (`None` once it has an officer) and
/// counts the change in its version.
pub fn set_vacant_since(
    conn: &mut AnyConnection,
    id: &str,
    vacant_since: Option<NaiveDate>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::update(bodies::table.filter(bodies::id.eq(id)))
        .set((
            bodies::vacant_since.eq(vacant_since),
            bodies::version.eq(bodies::version + 1),
            bodies::updated_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Counts a change of body `id` in its version, unless another request changed the body
/// since it was read at `version`. Returns whether the version was counted.
pub fn bump_version(
    conn: &mut AnyConnection,
    id: &str,
    version: i32,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let changed = diesel::update(
        bodies::table
            .filter(bodies::id.eq(id))
            .filter(bodies::version.eq(version)),
    )
    .set((
        bodies::version.eq(bodies::version + 1),
        bodies::updated_at.eq(now.naive_utc()),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Loads the spheres of `ids`, each list in the order it was given.
fn spheres_of(
    conn: &mut AnyConnection,
    ids: &[String],
) -> Result<HashMap<String, Vec<Sphere>>, StoreError> {
    let rows: Vec<(String, String)> = spheres::table
        .filter(spheres::body_id.eq_any(ids))
        .order((spheres::body_id.asc(), spheres::position.asc()))
        .select((spheres::body_id, spheres::sphere))
        .load(conn)?;
    let mut found: HashMap<String, Vec<Sphere>> = HashMap::new();
    for (id, code) in rows {
        found
            .entry(id)
            .or_default()
            .push(from_code::<Sphere>(&code)?);
    }
    Ok(found)
}

/// Builds the cards of `rows` with their spheres and current officers.
fn cards(conn: &mut AnyConnection, rows: Vec<BodyRow>) -> Result<Vec<GovernmentBody>, StoreError> {
    let ids: Vec<String> = rows.iter().map(|row| row.id.clone()).collect();
    let mut found_spheres = spheres_of(conn, &ids)?;
    let mut found_officers: HashMap<String, Appointment> = officers::current_of(conn, &ids)?
        .into_iter()
        .map(|appointment| (appointment.government_body.clone(), appointment))
        .collect();
    let appointment_ids: Vec<String> = found_officers.values().map(|a| a.id.clone()).collect();
    let mut found_extras = profiles::extras_of(conn, &appointment_ids)?;
    rows.into_iter()
        .map(|row| {
            let level = from_code::<BodyLevel>(&row.level)?;
            Ok(GovernmentBody {
                spheres: found_spheres.remove(&row.id).unwrap_or_default(),
                officer: found_officers.remove(&row.id).map(|appointment| {
                    let extras = found_extras.remove(&appointment.id).unwrap_or_default();
                    profile(level, appointment, extras)
                }),
                id: row.id,
                name_ru: row.name_ru,
                name_kk: row.name_kk,
                level,
                territory: row.territory,
                vacant_since: row.vacant_since,
                version: row.version,
                created_at: utc(row.created_at),
            })
        })
        .collect()
}

/// Finds body `id` with its spheres and current officer.
pub fn find(conn: &mut AnyConnection, id: &str) -> Result<Option<GovernmentBody>, StoreError> {
    let rows = bodies::table
        .filter(bodies::id.eq(id))
        .select(BodyRow::as_select())
        .load::<BodyRow>(conn)?;
    Ok(cards(conn, rows)?.into_iter().next())
}

/// Lists bodies in the order of their ids, after the id `after`.
pub fn list(
    conn: &mut AnyConnection,
    filter: &Filter,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<GovernmentBody>, StoreError> {
    let mut query = bodies::table.into_boxed();
    if let Some(level) = filter.level {
        query = query.filter(bodies::level.eq(level.code()));
    }
    if let Some(sphere) = filter.sphere {
        query = query.filter(
            bodies::id.eq_any(
                spheres::table
                    .filter(spheres::sphere.eq(sphere.code()))
                    .select(spheres::body_id),
            ),
        );
    }
    if let Some(after) = after {
        query = query.filter(bodies::id.gt(after.to_owned()));
    }
    let rows = query
        .order(bodies::id.asc())
        .limit(limit)
        .select(BodyRow::as_select())
        .load::<BodyRow>(conn)?;
    cards(conn, rows)
}

/// Lists the bodies competent in `sphere`, for the competence map to choose from.
pub fn candidates(conn: &mut AnyConnection, sphere: Sphere) -> Result<Vec<Candidate>, StoreError> {
    let rows: Vec<(String, String, String, Option<String>, NaiveDateTime)> = bodies::table
        .inner_join(spheres::table)
        .filter(spheres::sphere.eq(sphere.code()))
        .select((
            bodies::id,
            bodies::name_ru,
            bodies::name_kk,
            bodies::territory,
            bodies::created_at,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(id, name_ru, name_kk, territory, created_at)| {
            let territory = territory
                .as_deref()
                .map(KatoCode::parse)
                .transpose()
                .map_err(|e| {
                    StoreError::Query(anyhow::anyhow!(
                        "stored territory of body {id} is invalid: {e}"
                    ))
                })?;
            Ok(Candidate {
                body: CompetentBody {
                    government_body: id,
                    name_ru,
                    name_kk,
                },
                territory,
                created_at: utc(created_at),
            })
        })
        .collect()
}

/// Lists vacant bodies, longest vacant first, after the key `(vacant_since, id)`.
pub fn vacancies(
    conn: &mut AnyConnection,
    after: Option<(NaiveDate, String)>,
    limit: i64,
) -> Result<Vec<Vacancy>, StoreError> {
    let mut query = bodies::table
        .filter(bodies::vacant_since.is_not_null())
        .into_boxed();
    if let Some((day, id)) = after {
        query = query.filter(
            bodies::vacant_since
                .gt(day)
                .or(bodies::vacant_since.eq(day).and(bodies::id.gt(id))),
        );
    }
    let rows = query
        .order((bodies::vacant_since.asc(), bodies::id.asc()))
        .limit(limit)
        .select(BodyRow::as_select())
        .load::<BodyRow>(conn)?;
    cards(conn, rows)?
        .into_iter()
        .map(|card| {
            let vacant_since = card.vacant_since.ok_or_else(|| {
                StoreError::Query(anyhow::anyhow!(
                    "vacant body {} has no vacancy day",
                    card.id
                ))
            })?;
            Ok(Vacancy {
                government_body: card.id,
                name_ru: card.name_ru,
                name_kk: card.name_kk,
                level: card.level,
                territory: card.territory,
                spheres: card.spheres,
                vacant_since,
            })
        })
        .collect()
}
