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
    pub government_body: Option<String>,
    /// Names of the fields that changed; values are not copied here because some are
    /// personal data.
    pub fields: Vec<String>,
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

/// Lists the changes of one record, oldest first.
pub fn history(
    conn: &mut AnyConnection,
    entity: &str,
    entity_id: &str,
) -> Result<Vec<AuditEntry>, StoreError> {
    type Row = (
        String,
        String,
        String,
        String,
        String,
        Option<String>,
        String,
        NaiveDateTime,
    );
    let rows: Vec<Row> = audit_entries::table
        .filter(audit_entries::entity.eq(entity))
        .filter(audit_entries::entity_id.eq(entity_id))
        .order((audit_entries::at.asc(), audit_entries::id.asc()))
        .select((
            audit_entries::id,
            audit_entries::entity,
            audit_entries::entity_id,
            audit_entries::action,
            audit_entries::actor,
            audit_entries::government_body,
            audit_entries::fields,
            audit_entries::at,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(
            |(id, entity, entity_id, action, actor, government_body, fields, at)| {
                Ok(AuditEntry {
                    id,
                    entity,
                    entity_id,
                    action,
                    actor,
                    government_body,
                    fields: serde_json::from_str(&fields)
                        .map_err(|e| StoreError::Query(e.into()))?,
                    at: DateTime::from_naive_utc_and_offset(at, Utc),
                })
            },
        )
        .collect()
}
