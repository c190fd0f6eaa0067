//! The audit trail: who changed which fields of which record, and when.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db::{AnyConnection, StoreError};
use crate::schema::audit_entries;

/// One change to one record.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditEntry {
    pub id: String,
    pub entity: String,
    pub entity_id: String,
    /// `created`, `updated`, `status_changed` or another verb of the resource.
    pub action: String,
    /// Subject of the token that made the change.
    pub actor: String,
    /// Government body the change was made for. It is absent for changes made for no
    /// body, such as an integrator's import, an NPO user's proposal or a ministry request.
    pub government_body: Option<String>,
    /// Names of the fields that changed; values are not copied here because some are
    /// personal data.
    pub fields: Vec<String>,
    /// Time of the transaction that made the change.
    pub at: DateTime<Utc>,
}

/// Record of one change, as written to the audit trail.
#[derive(Debug, Clone, Copy)]
pub struct Change<'a> {
    pub entity: &'a str,
    pub entity_id: &'a str,
    pub action: &'a str,
    pub actor: &'a str,
    pub government_body: Option<&'a str>,
    pub fields: &'a [String],
}

/// Records a change; call it inside the transaction of the change.
pub fn record(conn: &mut AnyConnection, change: Change<'_>) -> Result<(), StoreError> {
    record_many(conn, &[change])
}

/// Rows written by one INSERT, well below SQLite's limit of 32,766 bound parameters.
const INSERT_ROWS: usize = 1_000;

/// Records several changes with few statements, for batch writes.
pub fn record_many(conn: &mut AnyConnection, changes: &[Change<'_>]) -> Result<(), StoreError> {
    let at = crate::now().naive_utc();
    for chunk in changes.chunks(INSERT_ROWS) {
        let mut rows = Vec::with_capacity(chunk.len());
        for change in chunk {
            let fields =
                serde_json::to_string(change.fields).map_err(|e| StoreError::Query(e.into()))?;
            rows.push((
                audit_entries::id.eq(Uuid::now_v7().to_string()),
                audit_entries::entity.eq(change.entity),
                audit_entries::entity_id.eq(change.entity_id),
                audit_entries::action.eq(change.action),
                audit_entries::actor.eq(change.actor),
                audit_entries::government_body.eq(change.government_body),
                audit_entries::fields.eq(fields),
                audit_entries::at.eq(at),
            ));
        }
        let insert = diesel::insert_into(audit_entries::table).values(rows);
        crate::with_backend!(conn, |c| insert.execute(c))?;
    }
    Ok(())
}

/// Filters of an audit trail read. Every filter that is set must match.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub actor: Option<String>,
    pub government_body: Option<String>,
    /// Only entries recorded at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Only entries recorded before this time.
    pub to: Option<DateTime<Utc>>,
}

/// Sort key of an entry in the newest-first order of [`list`]: the time it was
/// recorded, then its id for entries of the same transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    pub at: DateTime<Utc>,
    pub id: String,
}

impl Position {
    /// Returns the position of `entry`.
    pub fn of(entry: &AuditEntry) -> Self {
        Self {
            at: entry.at,
            id: entry.id.clone(),
        }
    }

    /// Encodes the position as the text of a page cursor.
    pub fn encode(&self) -> String {
        format!(
            "{}|{}",
            self.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            self.id
        )
    }

    /// Decodes the text of a page cursor; `None` when it is not one.
    pub fn decode(text: &str) -> Option<Self> {
        let (at, id) = text.split_once('|')?;
        let at = DateTime::parse_from_rfc3339(at).ok()?.with_timezone(&Utc);
        (!id.is_empty()).then(|| Self {
            at,
            id: id.to_owned(),
        })
    }
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = audit_entries)]
struct EntryRow {
    id: String,
    entity: String,
    entity_id: String,
    action: String,
    actor: String,
    government_body: Option<String>,
    fields: String,
    at: NaiveDateTime,
}

impl EntryRow {
    fn into_entry(self) -> Result<AuditEntry, StoreError> {
        Ok(AuditEntry {
            id: self.id,
            entity: self.entity,
            entity_id: self.entity_id,
            action: self.action,
            actor: self.actor,
            government_body: self.government_body,
            fields: serde_json::from_str(&self.fields).map_err(|e| StoreError::Query(e.into()))?,
            at: DateTime::from_naive_utc_and_offset(self.at, Utc),
        })
    }
}

/// Lists up to `limit` entries that match `filter`, newest first, starting after
/// `after`.
pub fn list(
    conn: &mut AnyConnection,
    filter: &Filter,
    after: Option<&Position>,
    limit: i64,
) -> Result<Vec<AuditEntry>, StoreError> {
    let mut query = audit_entries::table.into_boxed();
    if let Some(entity) = &filter.entity {
        query = query.filter(audit_entries::entity.eq(entity.clone()));
    }
    if let Some(entity_id) = &filter.entity_id {
        query = query.filter(audit_entries::entity_id.eq(entity_id.clone()));
    }
    if let Some(actor) = &filter.actor {
        query = query.filter(audit_entries::actor.eq(actor.clone()));
    }
    if let Some(body) = &filter.government_body {
        query = query.filter(audit_entries::government_body.eq(body.clone()));
    }
    if let Some(from) = filter.from {
        query = query.filter(audit_entries::at.ge(from.naive_utc()));
    }
    if let Some(to) = filter.to {
        query = query.filter(audit_entries::at.lt(to.naive_utc()));
    }
    if let Some(after) = after {
        let at = after.at.naive_utc();
        query = query.filter(
            audit_entries::at.lt(at).or(audit_entries::at
                .eq(at)
                .and(audit_entries::id.lt(after.id.clone()))),
        );
    }
    let rows: Vec<EntryRow> = query
        .order((audit_entries::at.desc(), audit_entries::id.desc()))
        .limit(limit)
        .select(EntryRow::as_select())
        .load(conn)?;
    rows.into_iter().map(EntryRow::into_entry).collect()
}

/// Lists the changes of one record, oldest first.
pub fn history(
    conn: &mut AnyConnection,
    entity: &str,
    entity_id: &str,
) -> Result<Vec<AuditEntry>, StoreError> {
    let rows: Vec<EntryRow> = audit_entries::table
        .filter(audit_entries::entity.eq(entity))
        .filter(audit_entries::entity_id.eq(entity_id))
        .order((audit_entries::at.asc(), audit_entries::id.asc()))
        .select(EntryRow::as_select())
        .load(conn)?;
    rows.into_iter().map(EntryRow::into_entry).collect()
}
