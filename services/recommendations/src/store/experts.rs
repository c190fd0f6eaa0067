//! Storage of the register of experts and expert groups.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use common_models::{Catalogue, Sphere};
use diesel::prelude::*;
use service_kit::{AnyConnection, StoreError};

use super::{from_code, from_json, to_json, utc};
use crate::domain::experts::{Expert, ExpertFacts, ExpertGroup, ExpertGroupFacts, GroupMember};
use crate::domain::recommendation::Contacts;
use crate::schema::{
    expert_group_members as members, expert_groups as groups, expert_spheres, experts,
};

/// Filters of the expert and group lists. A listed item matches every filter present.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Government body whose register the caller reads, or every body when `None`.
    pub scope: Option<String>,
    /// Government body the request names.
    pub government_body: Option<String>,
    pub sphere: Option<Sphere>,
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = experts)]
struct ExpertRow {
    id: String,
    government_body: String,
    full_name: String,
    organisation: Option<String>,
    npo_id: Option<String>,
    expertise: String,
    contacts: Option<String>,
    created_at: NaiveDateTime,
}

impl ExpertRow {
    fn into_expert(self, spheres: Vec<Sphere>) -> Result<Expert, StoreError> {
        Ok(Expert {
            contacts: self
                .contacts
                .as_deref()
                .map(|raw| from_json::<Contacts>("contacts", raw))
                .transpose()?,
            id: self.id,
            government_body: self.government_body,
            full_name: self.full_name,
            organisation: self.organisation,
            npo_id: self.npo_id,
            spheres,
            expertise: self.expertise,
            created_at: utc(self.created_at),
        })
    }
}

/// Inserts an expert into the register of `government_body`.
pub fn insert_expert(
    conn: &mut AnyConnection,
    id: &str,
    government_body: &str,
    facts: &ExpertFacts,
    created_by: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::insert_into(experts::table)
        .values((
            experts::id.eq(id),
            experts::government_body.eq(government_body),
            experts::full_name.eq(&facts.full_name),
            experts::organisation.eq(&facts.organisation),
            experts::npo_id.eq(&facts.npo_id),
            experts::expertise.eq(&facts.expertise),
            experts::contacts.eq(facts.contacts.as_ref().map(to_json).transpose()?),
            experts::created_at.eq(now.naive_utc()),
            experts::created_by.eq(created_by),
        ))
        .execute(conn)?;
    for (position, sphere) in (0..).zip(&facts.spheres) {
        diesel::insert_into(expert_spheres::table)
            .values((
                expert_spheres::expert_id.eq(id),
                expert_spheres::sphere.eq(sphere.code()),
                expert_spheres::position.eq(position),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Loads the spheres of the experts `ids`, each list in the order it was given.
fn spheres_of(
    conn: &mut AnyConnection,
    ids: &[String],
) -> Result<HashMap<String, Vec<Sphere>>, StoreError> {
    let rows: Vec<(String, String)> = expert_spheres::table
        .filter(expert_spheres::expert_id.eq_any(ids))
        .order((
            expert_spheres::expert_id.asc(),
            expert_spheres::position.asc(),
        ))
        .select((expert_spheres::expert_id, expert_spheres::sphere))
        .load(conn)?;
    let mut spheres: HashMap<String, Vec<Sphere>> = HashMap::new();
    for (expert_id, code) in rows {
        spheres
            .entry(expert_id)
            .or_default()
            .push(from_code(&code)?);
    }
    Ok(spheres)
}

fn with_spheres(conn: &mut AnyConnection, rows: Vec<ExpertRow>) -> Result<Vec<Expert>, StoreError> {
    let ids: Vec<String> = rows.iter().map(|row| row.id.clone()).collect();
    let mut spheres = spheres_of(conn, &ids)?;
    rows.into_iter()
        .map(|row| {
            let of_row = spheres.remove(&row.id).unwrap_or_default();
            row.into_expert(of_row)
        })
        .collect()
}

/// Finds an expert.
pub fn find_expert(conn: &mut AnyConnection, id: &str) -> Result<Option<Expert>, StoreError> {
    let rows = experts::table
        .filter(experts::id.eq(id))
        .select(ExpertRow::as_select())
        .load::<ExpertRow>(conn)?;
    Ok(with_spheres(conn, rows)?.into_iter().next())
}

/// Lists experts in the order they were added, after the id `after`.
pub fn list_experts(
    conn: &mut AnyConnection,
    filter: &Filter,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Expert>, StoreError> {
    let mut query = experts::table.into_boxed();
    for body in [&filter.scope, &filter.government_body]
        .into_iter()
        .flatten()
    {
        query = query.filter(experts::government_body.eq(body.clone()));
    }
    if let Some(sphere) = filter.sphere {
        let with_sphere = expert_spheres::table
            .filter(expert_spheres::sphere.eq(sphere.code()))
            .select(expert_spheres::expert_id);
        query = query.filter(experts::id.eq_any(with_sphere));
    }
    if let Some(after) = after {
        query = query.filter(experts::id.gt(after.to_owned()));
    }
    let rows = query
        .order(experts::id.asc())
        .limit(limit)
        .select(ExpertRow::as_select())
        .load::<ExpertRow>(conn)?;
    with_spheres(conn, rows)
}

/// Returns those of `ids` that are experts of `government_body`.
pub fn experts_of_body(
    conn: &mut AnyConnection,
    government_body: &str,
    ids: &[String],
) -> Result<Vec<String>, StoreError> {
    Ok(experts::table
        .filter(experts::government_body.eq(government_body))
        .filter(experts::id.eq_any(ids))
        .select(experts::id)
        .load(conn)?)
}

/// Returns whether `id` is an expert group of `government_body`.
pub fn is_group_of_body(
    conn: &mut AnyConnection,
    government_body: &str,
    id: &str,
) -> Result<bool, StoreError> {
    let found = groups::table
        .filter(groups::government_body.eq(government_body))
        .filter(groups::id.eq(id))
        .select(groups::id)
        .first::<String>(conn)
        .optional()?;
    Ok(found.is_some())
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = groups)]
struct GroupRow {
    id: String,
    government_body: String,
    name: String,
    purpose: String,
    sphere: Option<String>,
    formed_on: NaiveDate,
    created_at: NaiveDateTime,
}

impl GroupRow {
    fn into_group(self, members: Vec<GroupMember>) -> Result<ExpertGroup, StoreError> {
        Ok(ExpertGroup {
            sphere: self.sphere.as_deref().map(from_code).transpose()?,
            id: self.id,
            government_body: self.government_body,
            name: self.name,
            purpose: self.purpose,
            formed_on: self.formed_on,
            members,
            created_at: utc(self.created_at),
        })
    }
}

/// Inserts an expert group of `government_body` with its members, which must be
/// experts of the same body.
pub fn insert_group(
    conn: &mut AnyConnection,
    id: &str,
    government_body: &str,
    facts: &ExpertGroupFacts,
    created_by: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::insert_into(groups::table)
        .values((
            groups::id.eq(id),
            groups::government_body.eq(government_body),
            groups::name.eq(&facts.name),
            groups::purpose.eq(&facts.purpose),
            groups::sphere.eq(facts.sphere.map(Catalogue::code)),
            groups::formed_on.eq(facts.formed_on),
            groups::created_at.eq(now.naive_utc()),
            groups::created_by.eq(created_by),
        ))
        .execute(conn)?;
    for (position, expert_id) in (0..).zip(&facts.members) {
        diesel::insert_into(members::table)
            .values((
                members::group_id.eq(id),
                members::expert_id.eq(expert_id),
                members::position.eq(position),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Loads the members of the groups `ids` with the experts' names, each list in the
/// order it was given.
fn members_of(
    conn: &mut AnyConnection,
    ids: &[String],
) -> Result<HashMap<String, Vec<GroupMember>>, StoreError> {
    let rows: Vec<(String, String, String)> = members::table
        .inner_join(experts::table)
        .filter(members::group_id.eq_any(ids))
        .order((members::group_id.asc(), members::position.asc()))
        .select((members::group_id, members::expert_id, experts::full_name))
        .load(conn)?;
    let mut found: HashMap<String, Vec<GroupMember>> = HashMap::new();
    for (group_id, expert_id, full_name) in rows {
        found.entry(group_id).or_default().push(GroupMember {
            expert_id,
            full_name,
        });
    }
    Ok(found)
}

fn with_members(
    conn: &mut AnyConnection,
    rows: Vec<GroupRow>,
) -> Result<Vec<ExpertGroup>, StoreError> {
    let ids: Vec<String> = rows.iter().map(|row| row.id.clone()).collect();
    let mut found = members_of(conn, &ids)?;
    rows.into_iter()
        .map(|row| {
            let of_row = found.remove(&row.id).unwrap_or_default();
            row.into_group(of_row)
        })
        .collect()
}

/// Finds an expert group with its members.
pub fn find_group(conn: &mut AnyConnection, id: &str) -> Result<Option<ExpertGroup>, StoreError> {
    let rows = groups::table
        .filter(groups::id.eq(id))
        .select(GroupRow::as_select())
        .load::<GroupRow>(conn)?;
    Ok(with_members(conn, rows)?.into_iter().next())
}

/// Lists expert groups in the order they were added, after the id `after`.
pub fn list_groups(
    conn: &mut AnyConnection,
    filter: &Filter,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<ExpertGroup>, StoreError> {
    let mut query = groups::table.into_boxed();
    for body in [&filter.scope, &filter.government_body]
        .into_iter()
        .flatten()
    {
        query = query.filter(groups::government_body.eq(body.clone()));
    }
    if let Some(sphere) = filter.sphere {
        query = query.filter(groups::sphere.eq(sphere.code()));
    }
    if let Some(after) = after {
        query = query.filter(groups::id.gt(after.to_owned()));
    }
    let rows = query
        .order(groups::id.asc())
        .limit(limit)
        .select(GroupRow::as_select())
        .load::<GroupRow>(conn)?;
    with_members(conn, rows)
}
