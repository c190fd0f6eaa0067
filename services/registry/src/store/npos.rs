//! Storage of NPOs and the link tables used to filter them.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use common_models::{Bin, Catalogue, FormOfWork, KatoCode, Sphere, TargetGroup};
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

fn replace_links(conn: &mut AnyConnection, id: &str, facts: &NpoFacts) -> Result<(), StoreError> {
    diesel::delete(npo_territories::table.filter(npo_territories::npo_id.eq(id))).execute(conn)?;
    diesel::delete(npo_spheres::table.filter(npo_spheres::npo_id.eq(id))).execute(conn)?;
    diesel::delete(npo_target_groups::table.filter(npo_target_groups::npo_id.eq(id)))
        .execute(conn)?;
    let territory_rows: Vec<_> = facts
        .territories
        .iter()
        .map(|code| {
            (
                npo_territories::npo_id.eq(id),
                npo_territories::kato_code.eq(code.as_str()),
            )
        })
        .collect();
    if !territory_rows.is_empty() {
        let insert = diesel::insert_into(npo_territories::table).values(territory_rows);
        with_backend!(conn, |c| insert.execute(c))?;
    }
    let sphere_rows: Vec<_> = facts
        .spheres
        .iter()
        .map(|sphere| {
            (
                npo_spheres::npo_id.eq(id),
                npo_spheres::sphere.eq(sphere.code()),
            )
        })
        .collect();
    if !sphere_rows.is_empty() {
        let insert = diesel::insert_into(npo_spheres::table).values(sphere_rows);
        with_backend!(conn, |c| insert.execute(c))?;
    }
    let target_group_rows: Vec<_> = facts
        .target_groups
        .iter()
        .map(|group| {
            (
                npo_target_groups::npo_id.eq(id),
                npo_target_groups::target_group.eq(group.code()),
            )
        })
        .collect();
    if !target_group_rows.is_empty() {
        let insert = diesel::insert_into(npo_target_groups::table).values(target_group_rows);
        with_backend!(conn, |c| insert.execute(c))?;
    }
    Ok(())
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
