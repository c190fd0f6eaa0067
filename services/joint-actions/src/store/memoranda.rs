//! Storage of memoranda of cooperation, their NPO parties and linked joint actions.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use common_models::{Catalogue, Sphere};
use diesel::prelude::*;
use service_kit::{AnyConnection, StoreError};

use super::{from_code, from_json, to_json, utc};
use crate::domain::memorandum::{
    Memorandum, MemorandumFacts, MemorandumParty, MemorandumStatus, Signatory, Termination,
};
use crate::schema::{
    joint_actions, memoranda, memorandum_actions as links, memorandum_parties as parties,
};

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = memoranda)]
struct MemorandumRow {
    id: String,
    government_body: String,
    subject: String,
    spheres: String,
    signed_on: Option<NaiveDate>,
    valid_until: Option<NaiveDate>,
    body_signatory_name: Option<String>,
    body_signatory_position: Option<String>,
    document_ref: Option<String>,
    status: String,
    terminated_on: Option<NaiveDate>,
    termination_reason: Option<String>,
    version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = parties)]
struct PartyRow {
    npo_id: String,
    npo_bin: Option<String>,
    npo_name: String,
    signatory_name: Option<String>,
    signatory_position: Option<String>,
}

/// Builds a signatory from its stored columns, which are set together or not at all.
fn signatory(full_name: Option<String>, position: Option<String>) -> Option<Signatory> {
    Some(Signatory {
        full_name: full_name?,
        position: position?,
    })
}

impl MemorandumRow {
    fn into_memorandum(
        self,
        parties: Vec<MemorandumParty>,
        action_ids: Vec<String>,
    ) -> Result<Memorandum, StoreError> {
        let spheres: Vec<String> = from_json("spheres", &self.spheres)?;
        let status = MemorandumStatus::from_code(&self.status).ok_or_else(|| {
            StoreError::Query(anyhow::anyhow!(
                "stored memorandum status '{}' is unknown",
                self.status
            ))
        })?;
        Ok(Memorandum {
            id: self.id,
            government_body: self.government_body,
            subject: self.subject,
            spheres: spheres
                .iter()
                .map(|s| from_code::<Sphere>(s))
                .collect::<Result<_, _>>()?,
            signed_on: self.signed_on,
            valid_until: self.valid_until,
            parties,
            body_signatory: signatory(self.body_signatory_name, self.body_signatory_position),
            document_ref: self.document_ref,
            status,
            terminated_on: self.terminated_on,
            termination_reason: self.termination_reason,
            action_ids,
            version: self.version,
            created_at: utc(self.created_at),
            updated_at: utc(self.updated_at),
        })
    }
}

/// Set of memoranda a list may return, by the caller's role.
#[derive(Debug, Clone)]
pub enum Scope {
    /// Every body's memoranda, as the ministry reads them.
    All,
    /// The memoranda of one government body.
    Body(String),
    /// The memoranda to which the NPO with this BIN is a party.
    NpoBin(String),
}

/// Filters of a memorandum list.
#[derive(Debug, Clone)]
pub struct Filter {
    pub scope: Scope,
    pub status: Option<MemorandumStatus>,
    pub npo_id: Option<String>,
    pub sphere: Option<Sphere>,
    /// Only signed memoranda whose term ends between the two days, inclusive.
    pub ending_between: Option<(NaiveDate, NaiveDate)>,
}

/// Inserts a draft memorandum of `government_body` with its parties.
pub fn insert(
    conn: &mut AnyConnection,
    id: &str,
    government_body: &str,
    facts: &MemorandumFacts,
    npo_parties: &[MemorandumParty],
    created_by: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let spheres: Vec<&str> = facts.spheres.iter().map(|s| s.code()).collect();
    diesel::insert_into(memoranda::table)
        .values((
            memoranda::id.eq(id),
            memoranda::government_body.eq(government_body),
            memoranda::subject.eq(&facts.subject),
            memoranda::spheres.eq(to_json(&spheres)?),
            memoranda::signed_on.eq(facts.signed_on),
            memoranda::valid_until.eq(facts.valid_until),
            memoranda::body_signatory_name.eq(facts.body_signatory.as_ref().map(|s| &s.full_name)),
            memoranda::body_signatory_position
                .eq(facts.body_signatory.as_ref().map(|s| &s.position)),
            memoranda::document_ref.eq(&facts.document_ref),
            memoranda::status.eq(MemorandumStatus::Draft.code()),
            memoranda::version.eq(1),
            memoranda::created_at.eq(now.naive_utc()),
            memoranda::created_by.eq(created_by),
            memoranda::updated_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    insert_parties(conn, id, npo_parties)
}

fn insert_parties(
    conn: &mut AnyConnection,
    id: &str,
    npo_parties: &[MemorandumParty],
) -> Result<(), StoreError> {
    for (position, party) in (1..).zip(npo_parties) {
        diesel::insert_into(parties::table)
            .values((
                parties::memorandum_id.eq(id),
                parties::npo_id.eq(&party.npo_id),
                parties::position.eq(position),
                parties::npo_bin.eq(&party.npo_bin),
                parties::npo_name.eq(&party.npo_name),
                parties::signatory_name.eq(party.signatory.as_ref().map(|s| &s.full_name)),
                parties::signatory_position.eq(party.signatory.as_ref().map(|s| &s.position)),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Finds a memorandum with its parties and linked actions.
pub fn find(conn: &mut AnyConnection, id: &str) -> Result<Option<Memorandum>, StoreError> {
    let Some(row) = memoranda::table
        .filter(memoranda::id.eq(id))
        .select(MemorandumRow::as_select())
        .first::<MemorandumRow>(conn)
        .optional()?
    else {
        return Ok(None);
    };
    complete(conn, row).map(Some)
}

fn complete(conn: &mut AnyConnection, row: MemorandumRow) -> Result<Memorandum, StoreError> {
    let npo_parties = parties::table
        .filter(parties::memorandum_id.eq(&row.id))
        .order(parties::position.asc())
        .select(PartyRow::as_select())
        .load::<PartyRow>(conn)?
        .into_iter()
        .map(|p| MemorandumParty {
            npo_id: p.npo_id,
            npo_bin: p.npo_bin,
            npo_name: p.npo_name,
            signatory: signatory(p.signatory_name, p.signatory_position),
        })
        .collect();
    let action_ids = links::table
        .filter(links::memorandum_id.eq(&row.id))
        .order(links::action_id.asc())
        .select(links::action_id)
        .load::<String>(conn)?;
    row.into_memorandum(npo_parties, action_ids)
}

/// Lists memoranda that match `filter` in creation order, after the id `after`.
pub fn list(
    conn: &mut AnyConnection,
    filter: &Filter,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Memorandum>, StoreError> {
    let mut query = memoranda::table.into_boxed();
    match &filter.scope {
        Scope::All => {}
        Scope::Body(body) => {
            query = query.filter(memoranda::government_body.eq(body.clone()));
        }
        Scope::NpoBin(bin) => {
            let party_of = parties::table
                .filter(parties::npo_bin.eq(bin.clone()))
                .select(parties::memorandum_id);
            query = query.filter(memoranda::id.eq_any(party_of));
        }
    }
    if let Some(status) = filter.status {
        query = query.filter(memoranda::status.eq(status.code()));
    }
    if let Some(npo_id) = &filter.npo_id {
        let with_npo = parties::table
            .filter(parties::npo_id.eq(npo_id.clone()))
            .select(parties::memorandum_id);
        query = query.filter(memoranda::id.eq_any(with_npo));
    }
    if let Some(sphere) = filter.sphere {
        // Spheres are a JSON list of codes, and a code contains only [a-z_], so the
        // quoted code matches exactly one element.
        query = query.filter(memoranda::spheres.like(format!("%\"{}\"%", sphere.code())));
    }
    if let Some((from, until)) = filter.ending_between {
        query = query
            .filter(memoranda::status.eq(MemorandumStatus::Signed.code()))
            .filter(memoranda::valid_until.ge(from))
            .filter(memoranda::valid_until.le(until));
    }
    if let Some(after) = after {
        query = query.filter(memoranda::id.gt(after.to_owned()));
    }
    let rows = query
        .order(memoranda::id.asc())
        .limit(limit)
        .select(MemorandumRow::as_select())
        .load::<MemorandumRow>(conn)?;
    rows.into_iter().map(|row| complete(conn, row)).collect()
}

/// Lists the signed memoranda, of `government_body` when given, whose term ends between
/// `from` and `until` inclusive, soonest first.
pub fn ending_between(
    conn: &mut AnyConnection,
    government_body: Option<&str>,
    from: NaiveDate,
    until: NaiveDate,
) -> Result<Vec<Memorandum>, StoreError> {
    let mut query = memoranda::table
        .filter(memoranda::status.eq(MemorandumStatus::Signed.code()))
        .filter(memoranda::valid_until.ge(from))
        .filter(memoranda::valid_until.le(until))
        .into_boxed();
    if let Some(body) = government_body {
        query = query.filter(memoranda::government_body.eq(body.to_owned()));
    }
    let rows = query
        .order((memoranda::valid_until.asc(), memoranda::id.asc()))
        .select(MemorandumRow::as_select())
        .load::<MemorandumRow>(conn)?;
    rows.into_iter().map(|row| complete(conn, row)).collect()
}

/// Returns the ids of the signed memoranda whose last day lies before `today`.
pub fn run_out(conn: &mut AnyConnection, today: NaiveDate) -> Result<Vec<String>, StoreError> {
    Ok(memoranda::table
        .filter(memoranda::status.eq(MemorandumStatus::Signed.code()))
        .filter(memoranda::valid_until.lt(today))
        .order(memoranda::id.asc())
        .select(memoranda::id)
        .load(conn)?)
}

/// Replaces what a draft memorandum says and its parties if it is still at `version`;
/// returns whether it was.
pub fn update_facts(
    conn: &mut AnyConnection,
    id: &str,
    version: i32,
    facts: &MemorandumFacts,
    npo_parties: &[MemorandumParty],
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let spheres: Vec<&str> = facts.spheres.iter().map(|s| s.code()).collect();
    let changed = diesel::update(
        memoranda::table
            .filter(memoranda::id.eq(id))
            .filter(memoranda::version.eq(version)),
    )
    .set((
        memoranda::subject.eq(&facts.subject),
        memoranda::spheres.eq(to_json(&spheres)?),
        memoranda::signed_on.eq(facts.signed_on),
        memoranda::valid_until.eq(facts.valid_until),
        memoranda::body_signatory_name.eq(facts.body_signatory.as_ref().map(|s| &s.full_name)),
        memoranda::body_signatory_position.eq(facts.body_signatory.as_ref().map(|s| &s.position)),
        memoranda::document_ref.eq(&facts.document_ref),
        memoranda::version.eq(version + 1),
        memoranda::updated_at.eq(now.naive_utc()),
    ))
    .execute(conn)?;
    if changed != 1 {
        return Ok(false);
    }
    diesel::delete(parties::table.filter(parties::memorandum_id.eq(id))).execute(conn)?;
    insert_parties(conn, id, npo_parties)?;
    Ok(true)
}

/// Moves a memorandum at `version` to `status` with the given dates, reason and
/// document reference; returns whether it was still at `version`.
pub fn set_status(
    conn: &mut AnyConnection,
    memorandum: &Memorandum,
    status: MemorandumStatus,
    termination: Option<&Termination>,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let changed = diesel::update(
        memoranda::table
            .filter(memoranda::id.eq(&memorandum.id))
            .filter(memoranda::version.eq(memorandum.version)),
    )
    .set((
        memoranda::status.eq(status.code()),
        memoranda::signed_on.eq(memorandum.signed_on),
        memoranda::document_ref.eq(&memorandum.document_ref),
        memoranda::terminated_on.eq(termination.map(|t| t.terminated_on)),
        memoranda::termination_reason.eq(termination.map(|t| &t.reason)),
        memoranda::version.eq(memorandum.version + 1),
        memoranda::updated_at.eq(now.naive_utc()),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Marks a signed memorandum expired; returns false when it is no longer signed, so
/// that a memorandum expires once however many sweeps see it.
pub fn expire(conn: &mut AnyConnection, id: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
    let changed = diesel::update(
        memoranda::table
            .filter(memoranda::id.eq(id))
            .filter(memoranda::status.eq(MemorandumStatus::Signed.code())),
    )
    .set((
        memoranda::status.eq(MemorandumStatus::Expired.code()),
        memoranda::version.eq(memoranda::version + 1),
        memoranda::updated_at.eq(now.naive_utc()),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Returns the government body of the joint action `id`, or `None` when there is none.
pub fn action_body(conn: &mut AnyConnection, id: &str) -> Result<Option<String>, StoreError> {
    Ok(joint_actions::table
        .filter(joint_actions::id.eq(id))
        .select(joint_actions::government_body)
        .first(conn)
        .optional()?)
}

/// Links a joint action to a memorandum; returns false when it already was.
pub fn link(
    conn: &mut AnyConnection,
    memorandum_id: &str,
    action_id: &str,
    linked_by: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let linked = links::table
        .filter(links::memorandum_id.eq(memorandum_id))
        .filter(links::action_id.eq(action_id))
        .count()
        .get_result::<i64>(conn)?;
    if linked > 0 {
        return Ok(false);
    }
    diesel::insert_into(links::table)
        .values((
            links::memorandum_id.eq(memorandum_id),
            links::action_id.eq(action_id),
            links::linked_at.eq(now.naive_utc()),
            links::linked_by.eq(linked_by),
        ))
        .execute(conn)?;
    Ok(true)
}

/// Removes the link of a joint action to a memorandum; returns whether it existed.
pub fn unlink(
    conn: &mut AnyConnection,
    memorandum_id: &str,
    action_id: &str,
) -> Result<bool, StoreError> {
    let deleted = diesel::delete(
        links::table
            .filter(links::memorandum_id.eq(memorandum_id))
            .filter(links::action_id.eq(action_id)),
    )
    .execute(conn)?;
    Ok(deleted == 1)
}

/// Raises the revision of a memorandum whose linked actions changed.
pub fn touch(conn: &mut AnyConnection, id: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
    diesel::update(memoranda::table.filter(memoranda::id.eq(id)))
        .set((
            memoranda::version.eq(memoranda::version + 1),
            memoranda::updated_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    Ok(())
}
