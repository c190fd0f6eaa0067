//! Storage of the read models: one row per record with its latest state as JSON, and
//! the spheres, territories and bodies it concerns as tags.
//!
//! A write applies only when its event is newer than the row's. Events are ordered by
//! the time the change happened and then by event id (UUIDv7), so the rows do not
//! depend on the order in which events arrive. NPO records, whose events carry parts,
//! are ordered part by part in the read model and replaced here.

use chrono::{NaiveDate, NaiveDateTime};
use common_models::event::EventEnvelope;
use diesel::prelude::*;
use service_kit::{AnyConnection, StoreError};

use crate::readmodel::{Kind, Record, Stamp};
use crate::schema::{
    read_model_changes as changes, read_record_tags as tags, read_records as records,
};

/// One stored record as the report and the analytics read it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = records)]
pub struct StoredRecord {
    pub kind: String,
    pub id: String,
    pub government_body: Option<String>,
    pub status: String,
    pub day: Option<NaiveDate>,
    pub day_end: Option<NaiveDate>,
    pub data: String,
}

impl StoredRecord {
    /// Reads the record's data as `T`.
    pub fn data<T: serde::de::DeserializeOwned>(&self) -> Result<T, StoreError> {
        super::from_json(&self.kind, &self.data)
    }
}

fn event_time(event: &EventEnvelope) -> NaiveDateTime {
    common_models::time::truncate_to_micros(event.occurred_at).naive_utc()
}

/// Returns the time and id of the event whose state the row of `kind` and `id` holds,
/// or `None` when no row exists.
fn held_event(
    conn: &mut AnyConnection,
    kind: Kind,
    id: &str,
) -> Result<Option<(NaiveDateTime, String)>, StoreError> {
    Ok(records::table
        .filter(records::kind.eq(kind.code()))
        .filter(records::id.eq(id))
        .select((records::event_at, records::event_id))
        .first(conn)
        .optional()?)
}

/// Stores `record` as the state `event` carries, unless the row is newer.
/// Returns whether it was stored.
pub fn put(
    conn: &mut AnyConnection,
    event: &EventEnvelope,
    record: &Record,
) -> Result<bool, StoreError> {
    let held = held_event(conn, record.kind, &record.id)?;
    let event_id = event.id.to_string();
    if held
        .as_ref()
        .is_some_and(|(at, held_id)| (*at, held_id) >= (event_time(event), &event_id))
    {
        return Ok(false);
    }
    write(conn, &Stamp::of(event), record, held.is_some())?;
    Ok(true)
}

/// Stores `record` as written by the event of `stamp`, whatever the row holds, for a
/// record whose parts the caller orders one by one, such as an NPO.
pub fn replace(conn: &mut AnyConnection, stamp: &Stamp, record: &Record) -> Result<(), StoreError> {
    let held = held_event(conn, record.kind, &record.id)?;
    write(conn, stamp, record, held.is_some())
}

/// Updates the row of `record` when it `exists`, or inserts it, and replaces its tags,
/// stamping it with the next change stamp.
///
/// NOTE: the caller must run it inside a transaction, as the inbox and the rebuild do.
/// Outside one, the stamp would commit before the record, and a reader in between
/// would take the stamp as read without the record.
fn write(
    conn: &mut AnyConnection,
    stamp: &Stamp,
    record: &Record,
    exists: bool,
) -> Result<(), StoreError> {
    let kind = record.kind.code();
    let data = super::to_json(&record.data)?;
    let change = next_change(conn)?;
    let values = (
        records::government_body.eq(record.government_body.as_deref()),
        records::status.eq(&record.status),
        records::day.eq(record.day),
        records::day_end.eq(record.day_end),
        records::event_at.eq(stamp.at.naive_utc()),
        records::event_id.eq(stamp.event_id.to_string()),
        records::data.eq(&data),
        records::change_seq.eq(change),
    );
    if exists {
        let updated = diesel::update(
            records::table
                .filter(records::kind.eq(kind))
                .filter(records::id.eq(&record.id)),
        )
        .set(values)
        .execute(conn)?;
        // On PostgreSQL, a rebuild that commits while this update waits for the row
        // leaves no row to update. Failing makes the consumer retry on the rebuilt row,
        // so the change is not lost.
        if updated == 0 {
            return Err(StoreError::Conflict(format!(
                "read-model record {kind} {} was removed while it was written",
                record.id
            )));
        }
    } else {
        diesel::insert_into(records::table)
            .values((records::kind.eq(kind), records::id.eq(&record.id), values))
            .execute(conn)?;
    }
    diesel::delete(
        tags::table
            .filter(tags::kind.eq(kind))
            .filter(tags::id.eq(&record.id)),
    )
    .execute(conn)?;
    let mut pairs: Vec<(&str, &str)> = record
        .tags
        .iter()
        .map(|(dimension, value)| (dimension.code(), value.as_str()))
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    for (dimension, value) in pairs {
        diesel::insert_into(tags::table)
            .values((
                tags::kind.eq(kind),
                tags::id.eq(&record.id),
                tags::dimension.eq(dimension),
                tags::value.eq(value),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Reads the record of `kind` and `id`.
pub fn get(
    conn: &mut AnyConnection,
    kind: Kind,
    id: &str,
) -> Result<Option<StoredRecord>, StoreError> {
    Ok(records::table
        .filter(records::kind.eq(kind.code()))
        .filter(records::id.eq(id))
        .select(StoredRecord::as_select())
        .first(conn)
        .optional()?)
}

/// Reads the records of `kind` of `body`, or tagged with `body`, in the order of their
/// day and id, leaving out those with a status in `excluded`.
pub fn of_body(
    conn: &mut AnyConnection,
    kind: Kind,
    body: &str,
    excluded: &[&str],
) -> Result<Vec<StoredRecord>, StoreError> {
    let tagged = tags::table
        .filter(tags::kind.eq(kind.code()))
        .filter(tags::dimension.eq(crate::readmodel::Dimension::Body.code()))
        .filter(tags::value.eq(body))
        .select(tags::id);
    Ok(records::table
        .filter(records::kind.eq(kind.code()))
        .filter(
            records::government_body
                .eq(body)
                .or(records::id.eq_any(tagged)),
        )
        .filter(records::status.ne_all(excluded))
        .order((records::day.asc(), records::id.asc()))
        .select(StoredRecord::as_select())
        .load(conn)?)
}

/// Reads the records of `kind` tagged with one of `values` in `dimension`.
pub fn tagged(
    conn: &mut AnyConnection,
    kind: Kind,
    dimension: crate::readmodel::Dimension,
    values: &[String],
    excluded: &[&str],
) -> Result<Vec<StoredRecord>, StoreError> {
    let ids = tags::table
        .filter(tags::kind.eq(kind.code()))
        .filter(tags::dimension.eq(dimension.code()))
        .filter(tags::value.eq_any(values))
        .select(tags::id);
    Ok(records::table
        .filter(records::kind.eq(kind.code()))
        .filter(records::id.eq_any(ids))
        .filter(records::status.ne_all(excluded))
        .order(records::id.asc())
        .select(StoredRecord::as_select())
        .load(conn)?)
}

/// Reads every record of `kind`, leaving out those with a status in `excluded`.
pub fn all(
    conn: &mut AnyConnection,
    kind: Kind,
    excluded: &[&str],
) -> Result<Vec<StoredRecord>, StoreError> {
    Ok(records::table
        .filter(records::kind.eq(kind.code()))
        .filter(records::status.ne_all(excluded))
        .order(records::id.asc())
        .select(StoredRecord::as_select())
        .load(conn)?)
}

/// Reads the tags of every record of `kind` in `dimension`, as (record id, value).
pub fn tags_of(
    conn: &mut AnyConnection,
    kind: Kind,
    dimension: crate::readmodel::Dimension,
) -> Result<Vec<(String, String)>, StoreError> {
    Ok(tags::table
        .filter(tags::kind.eq(kind.code()))
        .filter(tags::dimension.eq(dimension.code()))
        .order((tags::id.asc(), tags::value.asc()))
        .select((tags::id, tags::value))
        .load(conn)?)
}

/// Reads the tags of one record in `dimension`.
pub fn tags_of_record(
    conn: &mut AnyConnection,
    kind: Kind,
    id: &str,
    dimension: crate::readmodel::Dimension,
) -> Result<Vec<String>, StoreError> {
    Ok(tags::table
        .filter(tags::kind.eq(kind.code()))
        .filter(tags::id.eq(id))
        .filter(tags::dimension.eq(dimension.code()))
        .order(tags::value.asc())
        .select(tags::value)
        .load(conn)?)
}

/// Takes the next change stamp for a record written in the caller's transaction.
///
/// The update locks the counter row until the transaction ends, so transactions that
/// write records take their stamps one after another and commit in stamp order. A
/// reader that reads the counter at N therefore finds every record stamped up to N.
fn next_change(conn: &mut AnyConnection) -> Result<i64, StoreError> {
    Ok(diesel::update(changes::table.filter(changes::id.eq(1)))
        .set(changes::seq.eq(changes::seq + 1))
        .returning(changes::seq)
        .get_result(conn)?)
}

/// Removes every record and tag, before a rebuild. It starts a new generation of
/// change stamps, so readers that keep records in memory reload them all.
pub fn clear(conn: &mut AnyConnection) -> Result<(), StoreError> {
    diesel::update(changes::table.filter(changes::id.eq(1)))
        .set((
            changes::generation.eq(changes::generation + 1),
            changes::seq.eq(changes::seq + 1),
        ))
        .execute(conn)?;
    diesel::delete(tags::table).execute(conn)?;
    diesel::delete(records::table).execute(conn)?;
    Ok(())
}

/// Returns every record with its tags in a stable order, without the event that wrote
/// it, so two read models with equal contents give equal dumps.
pub fn dump(conn: &mut AnyConnection) -> Result<Vec<(StoredRecord, Vec<String>)>, StoreError> {
    let rows: Vec<StoredRecord> = records::table
        .order((records::kind.asc(), records::id.asc()))
        .select(StoredRecord::as_select())
        .load(conn)?;
    let all_tags: Vec<(String, String, String, String)> = tags::table
        .order((
            tags::kind.asc(),
            tags::id.asc(),
            tags::dimension.asc(),
            tags::value.asc(),
        ))
        .select((tags::kind, tags::id, tags::dimension, tags::value))
        .load(conn)?;
    let mut by_record: std::collections::HashMap<(String, String), Vec<String>> =
        std::collections::HashMap::new();
    for (kind, id, dimension, value) in all_tags {
        by_record
            .entry((kind, id))
            .or_default()
            .push(format!("{dimension}={value}"));
    }
    Ok(rows
        .into_iter()
        .map(|row| {
            let record_tags = by_record
                .remove(&(row.kind.clone(), row.id.clone()))
                .unwrap_or_default();
            (row, record_tags)
        })
        .collect())
}
