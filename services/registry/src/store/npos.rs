//! Storage of NPOs and the link tables used to filter them.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use common_models::{Bin, Catalogue, FormOfWork, KatoCode, Oked, Sphere, TargetGroup};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use service_kit::{AnyConnection, StoreError, with_backend};

use super::{from_code, from_json, to_json, utc};
use crate::domain::npo::{Contacts, FieldSource, KeyStaff, NpoFacts, NpoRecord, WorkProduct};
use crate::schema::{npo_spheres, npo_target_groups, npo_territories, npos};

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = npos)]
pub(super) struct NpoRow {
    id: String,
    bin: Option<String>,
    name_ru: Option<String>,
    name_kk: Option<String>,
    legal_form: String,
    status: String,
    registered_on: Option<NaiveDate>,
    founded_on: Option<NaiveDate>,
    profile: String,
    personal: String,
    provenance: String,
    version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    oked: Option<String>,
    legal_address: Option<String>,
}

/// The public lists of an NPO, stored as one JSON column.
#[derive(Debug, Serialize, Deserialize)]
struct Profile {
    territories: Vec<KatoCode>,
    spheres: Vec<Sphere>,
    target_groups: Vec<TargetGroup>,
    forms_of_work: Vec<FormOfWork>,
    web_resources: Vec<String>,
    work_products: Vec<WorkProduct>,
}

/// The personal data of an NPO, stored as one JSON column apart from the profile.
#[derive(Debug, Serialize, Deserialize)]
struct Personal {
    key_staff: Vec<KeyStaff>,
    contacts: Contacts,
}

fn profile_json(facts: &NpoFacts) -> Result<String, StoreError> {
    to_json(&Profile {
        territories: facts.territories.clone(),
        spheres: facts.spheres.clone(),
        target_groups: facts.target_groups.clone(),
        forms_of_work: facts.forms_of_work.clone(),
        web_resources: facts.web_resources.clone(),
        work_products: facts.work_products.clone(),
    })
}

fn personal_json(facts: &NpoFacts) -> Result<String, StoreError> {
    to_json(&Personal {
        key_staff: facts.key_staff.clone(),
        contacts: facts.contacts.clone(),
    })
}

impl NpoRow {
    pub(super) fn into_record(self) -> Result<NpoRecord, StoreError> {
        let bin = self
            .bin
            .map(|raw| Bin::parse(&raw))
            .transpose()
            .map_err(|e| StoreError::Query(anyhow::anyhow!("stored BIN is invalid: {e}")))?;
        let profile: Profile = from_json("profile", &self.profile)?;
        let personal: Personal = from_json("personal", &self.personal)?;
        let facts = NpoFacts {
            bin,
            name_ru: self.name_ru,
            name_kk: self.name_kk,
            legal_form: from_code(&self.legal_form)?,
            status: from_code(&self.status)?,
            registered_on: self.registered_on,
            founded_on: self.founded_on,
            oked: self
                .oked
                .map(|raw| Oked::parse(&raw))
                .transpose()
                .map_err(|e| StoreError::Query(anyhow::anyhow!("stored OKED is invalid: {e}")))?,
            legal_address: self.legal_address,
            territories: profile.territories,
            spheres: profile.spheres,
            target_groups: profile.target_groups,
            forms_of_work: profile.forms_of_work,
            key_staff: personal.key_staff,
            contacts: personal.contacts,
            web_resources: profile.web_resources,
            work_products: profile.work_products,
        };
        Ok(NpoRecord {
            id: self.id,
            facts,
            provenance: from_json("provenance", &self.provenance)?,
            version: self.version,
            created_at: utc(self.created_at),
            updated_at: utc(self.updated_at),
        })
    }
}

/// Author of a change.
#[derive(Debug, Clone, Copy)]
pub struct Author<'a> {
    pub subject: &'a str,
    pub body: Option<&'a str>,
}

/// Deletes the link rows of NPO `id`.
fn delete_links(conn: &mut AnyConnection, id: &str) -> Result<(), StoreError> {
    diesel::delete(npo_territories::table.filter(npo_territories::npo_id.eq(id))).execute(conn)?;
    diesel::delete(npo_spheres::table.filter(npo_spheres::npo_id.eq(id))).execute(conn)?;
    diesel::delete(npo_target_groups::table.filter(npo_target_groups::npo_id.eq(id)))
        .execute(conn)?;
    Ok(())
}

/// Link rows written by one INSERT; two columns each.
const LINK_ROWS: usize = 2_000;

/// Inserts the territory, sphere and target group link rows of `npos`, given as id
/// and facts.
fn insert_links(conn: &mut AnyConnection, npos: &[(&str, &NpoFacts)]) -> Result<(), StoreError> {
    let territory_rows: Vec<_> = npos
        .iter()
        .flat_map(|(id, facts)| {
            facts.territories.iter().map(move |code| {
                (
                    npo_territories::npo_id.eq(*id),
                    npo_territories::kato_code.eq(code.as_str()),
                )
            })
        })
        .collect();
    for part in territory_rows.chunks(LINK_ROWS) {
        let insert = diesel::insert_into(npo_territories::table).values(part);
        with_backend!(conn, |c| insert.execute(c))?;
    }
    let sphere_rows: Vec<_> = npos
        .iter()
        .flat_map(|(id, facts)| {
            facts.spheres.iter().map(move |sphere| {
                (
                    npo_spheres::npo_id.eq(*id),
                    npo_spheres::sphere.eq(sphere.code()),
                )
            })
        })
        .collect();
    for part in sphere_rows.chunks(LINK_ROWS) {
        let insert = diesel::insert_into(npo_spheres::table).values(part);
        with_backend!(conn, |c| insert.execute(c))?;
    }
    let target_group_rows: Vec<_> = npos
        .iter()
        .flat_map(|(id, facts)| {
            facts.target_groups.iter().map(move |group| {
                (
                    npo_target_groups::npo_id.eq(*id),
                    npo_target_groups::target_group.eq(group.code()),
                )
            })
        })
        .collect();
    for part in target_group_rows.chunks(LINK_ROWS) {
        let insert = diesel::insert_into(npo_target_groups::table).values(part);
        with_backend!(conn, |c| insert.execute(c))?;
    }
    Ok(())
}

fn replace_links(conn: &mut AnyConnection, id: &str, facts: &NpoFacts) -> Result<(), StoreError> {
    delete_links(conn, id)?;
    insert_links(conn, &[(id, facts)])
}

/// The columns that hold an NPO's facts, written alike by an insert and an update.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = npos, treat_none_as_null = true)]
struct FactColumns<'a> {
    bin: Option<&'a str>,
    name_ru: Option<&'a str>,
    name_kk: Option<&'a str>,
    search_text: String,
    legal_form: &'static str,
    status: &'static str,
    registered_on: Option<NaiveDate>,
    founded_on: Option<NaiveDate>,
    profile: String,
    personal: String,
    provenance: String,
    oked: Option<&'a str>,
    legal_address: Option<&'a str>,
    dedup_key: Option<String>,
    sort_ru: String,
    sort_kk: String,
}

impl<'a> FactColumns<'a> {
    fn new(
        facts: &'a NpoFacts,
        provenance: &BTreeMap<String, FieldSource>,
    ) -> Result<Self, StoreError> {
        Ok(Self {
            bin: facts.bin.as_ref().map(Bin::as_str),
            name_ru: facts.name_ru.as_deref(),
            name_kk: facts.name_kk.as_deref(),
            search_text: NpoRecord::search_text(facts),
            legal_form: facts.legal_form.code(),
            status: facts.status.code(),
            registered_on: facts.registered_on,
            founded_on: facts.founded_on,
            profile: profile_json(facts)?,
            personal: personal_json(facts)?,
            provenance: to_json(provenance)?,
            oked: facts.oked.as_ref().map(Oked::as_str),
            legal_address: facts.legal_address.as_deref(),
            dedup_key: facts.dedup_key(),
            sort_ru: super::search::sort_key(facts.name_ru.as_deref()),
            sort_kk: super::search::sort_key(facts.name_kk.as_deref()),
        })
    }
}

/// Inserts a new NPO with version 1.
pub fn insert(
    conn: &mut AnyConnection,
    id: &str,
    facts: &NpoFacts,
    provenance: &BTreeMap<String, FieldSource>,
    author: Author<'_>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let now = now.naive_utc();
    diesel::insert_into(npos::table)
        .values((
            npos::id.eq(id),
            FactColumns::new(facts, provenance)?,
            npos::version.eq(1),
            npos::created_at.eq(now),
            npos::updated_at.eq(now),
            npos::created_by.eq(author.subject),
        ))
        .execute(conn)?;
    replace_links(conn, id, facts)
}

/// A new NPO of a batch insert.
#[derive(Debug, Clone, Copy)]
pub struct NewNpo<'a> {
    pub id: &'a str,
    pub facts: &'a NpoFacts,
    pub provenance: &'a BTreeMap<String, FieldSource>,
}

/// NPOs written by one INSERT: about 20 columns each stays well below SQLite's limit
/// of 32,766 bound parameters.
const INSERT_ROWS: usize = 500;

/// Inserts new NPOs with version 1 and their link rows, with few statements.
pub fn insert_many(
    conn: &mut AnyConnection,
    npos_to_insert: &[NewNpo<'_>],
    author: Author<'_>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let now = now.naive_utc();
    for chunk in npos_to_insert.chunks(INSERT_ROWS) {
        let mut rows = Vec::with_capacity(chunk.len());
        for npo in chunk {
            rows.push((
                npos::id.eq(npo.id),
                FactColumns::new(npo.facts, npo.provenance)?,
                npos::version.eq(1),
                npos::created_at.eq(now),
                npos::updated_at.eq(now),
                npos::created_by.eq(author.subject),
            ));
        }
        let insert = diesel::insert_into(npos::table).values(rows);
        with_backend!(conn, |c| insert.execute(c))?;

        let links: Vec<(&str, &NpoFacts)> = chunk.iter().map(|npo| (npo.id, npo.facts)).collect();
        insert_links(conn, &links)?;
    }
    Ok(())
}

/// Returns a condition that is always true and keeps diesel from caching the statement.
///
/// A batch starts on a database that may be empty, and PostgreSQL plans a cached
/// statement once for the table as it was then. A sequential scan chosen for an empty
/// table makes every later lookup of a 100,000-row batch read the whole table.
fn uncached() -> diesel::expression::SqlLiteral<diesel::sql_types::Bool> {
    diesel::dsl::sql::<diesel::sql_types::Bool>("TRUE")
}

/// Finds the NPOs, not merged into another, that hold any of `bins`.
pub fn find_by_bins(conn: &mut AnyConnection, bins: &[&str]) -> Result<Vec<NpoRecord>, StoreError> {
    if bins.is_empty() {
        return Ok(Vec::new());
    }
    npos::table
        .filter(npos::bin.eq_any(bins))
        .filter(npos::merged_into.is_null())
        .filter(uncached())
        .select(NpoRow::as_select())
        .load(conn)?
        .into_iter()
        .map(NpoRow::into_record)
        .collect()
}

/// Finds the NPOs without a BIN, not merged into another, whose dedup key is any of
/// `keys`, with their keys.
pub fn find_by_dedup_keys(
    conn: &mut AnyConnection,
    keys: &[&str],
) -> Result<Vec<(String, NpoRecord)>, StoreError> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(Option<String>, NpoRow)> = npos::table
        .filter(npos::dedup_key.eq_any(keys))
        .filter(npos::merged_into.is_null())
        .filter(uncached())
        .order(npos::id.asc())
        .select((npos::dedup_key, NpoRow::as_select()))
        .load(conn)?;
    rows.into_iter()
        .filter_map(|(key, row)| key.map(|key| (key, row)))
        .map(|(key, row)| Ok((key, row.into_record()?)))
        .collect()
}

/// Replaces the facts of an NPO if it is still at `expected_version`; returns whether
/// it was.
pub fn update(
    conn: &mut AnyConnection,
    id: &str,
    expected_version: i32,
    facts: &NpoFacts,
    provenance: &BTreeMap<String, FieldSource>,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let updated = diesel::update(
        npos::table
            .filter(npos::id.eq(id))
            .filter(npos::version.eq(expected_version)),
    )
    .set((
        FactColumns::new(facts, provenance)?,
        npos::version.eq(expected_version + 1),
        npos::updated_at.eq(now.naive_utc()),
    ))
    .execute(conn)?;
    if updated == 0 {
        return Ok(false);
    }
    replace_links(conn, id, facts)?;
    Ok(true)
}

/// Finds an NPO by its id.
pub fn find(conn: &mut AnyConnection, id: &str) -> Result<Option<NpoRecord>, StoreError> {
    npos::table
        .filter(npos::id.eq(id))
        .select(NpoRow::as_select())
        .first(conn)
        .optional()?
        .map(NpoRow::into_record)
        .transpose()
}

/// Finds an NPO by its BIN.
pub fn find_by_bin(conn: &mut AnyConnection, bin: &Bin) -> Result<Option<NpoRecord>, StoreError> {
    npos::table
        .filter(npos::bin.eq(bin.as_str()))
        .select(NpoRow::as_select())
        .first(conn)
        .optional()?
        .map(NpoRow::into_record)
        .transpose()
}

/// Returns the id of the NPO that `id` was merged into, if it was.
pub fn merged_into(conn: &mut AnyConnection, id: &str) -> Result<Option<String>, StoreError> {
    Ok(npos::table
        .filter(npos::id.eq(id))
        .select(npos::merged_into)
        .first::<Option<String>>(conn)
        .optional()?
        .flatten())
}

/// Lists the ids of the NPOs merged into `id`.
pub fn merged_ids(conn: &mut AnyConnection, id: &str) -> Result<Vec<String>, StoreError> {
    Ok(npos::table
        .filter(npos::merged_into.eq(id))
        .order(npos::id.asc())
        .select(npos::id)
        .load(conn)?)
}

/// Marks `id`, at `expected_version`, as merged into `keep`. It gives up its BIN and
/// dedup key so that batches match only the NPO it was merged into, and its link rows
/// so that filters and facets count only that one. Returns whether the version still
/// matched.
pub fn mark_merged(
    conn: &mut AnyConnection,
    id: &str,
    expected_version: i32,
    keep: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let updated = diesel::update(
        npos::table
            .filter(npos::id.eq(id))
            .filter(npos::version.eq(expected_version)),
    )
    .set((
        npos::merged_into.eq(keep),
        npos::bin.eq(None::<String>),
        npos::dedup_key.eq(None::<String>),
        npos::version.eq(expected_version + 1),
        npos::updated_at.eq(now.naive_utc()),
    ))
    .execute(conn)?;
    if updated == 0 {
        return Ok(false);
    }
    delete_links(conn, id)?;
    Ok(true)
}

/// Lists groups of NPOs without a BIN that share a dedup key (the same normalised
/// name and first territory), after the key `after`, up to `limit` groups.
pub fn duplicate_groups(
    conn: &mut AnyConnection,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<(String, Vec<NpoRecord>)>, StoreError> {
    let mut keys = npos::table
        .filter(npos::dedup_key.is_not_null())
        .filter(npos::merged_into.is_null())
        .group_by(npos::dedup_key)
        .having(diesel::dsl::count_star().gt(1))
        .select(npos::dedup_key)
        .order(npos::dedup_key.asc())
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        keys = keys.filter(npos::dedup_key.gt(after.to_owned()));
    }
    let keys: Vec<String> = keys
        .load::<Option<String>>(conn)?
        .into_iter()
        .flatten()
        .collect();
    let key_refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let mut members = find_by_dedup_keys(conn, &key_refs)?;
    Ok(keys
        .into_iter()
        .map(|key| {
            let group: Vec<NpoRecord> = members
                .extract_if(.., |(member_key, _)| *member_key == key)
                .map(|(_, record)| record)
                .collect();
            (key, group)
        })
        .collect())
}
