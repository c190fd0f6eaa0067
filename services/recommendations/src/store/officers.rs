//! The current officer of each government body, as the ministry's events announce it.

use chrono::NaiveDate;
use diesel::prelude::*;
use service_kit::{AnyConnection, StoreError};

use crate::domain::Responsible;
use crate::schema::body_officers;

/// Makes the other transactions that read or change the officer of `body` wait until
/// this one ends. On PostgreSQL an item created while a handover runs would otherwise
/// read "no officer" and stay unassigned, because the handover cannot see it. SQLite
/// transactions already run one at a time.
pub fn lock(conn: &mut AnyConnection, body: &str) -> Result<(), StoreError> {
    if let AnyConnection::Postgresql(pg) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext($1))")
            .bind::<diesel::sql_types::Text, _>(format!("body_officer:{body}"))
            .execute(pg)?;
    }
    Ok(())
}

/// Returns the officer of `body`, when one was announced, and holds the body's officer
/// lock until the transaction ends, so that a handover waits for the item being
/// created.
pub fn current(conn: &mut AnyConnection, body: &str) -> Result<Option<Responsible>, StoreError> {
    lock(conn, body)?;
    let found: Option<(String, String)> = body_officers::table
        .filter(body_officers::government_body.eq(body))
        .select((body_officers::officer, body_officers::full_name))
        .first(conn)
        .optional()?;
    Ok(found.map(|(officer, full_name)| Responsible {
        officer,
        name: Some(full_name),
    }))
}

/// Returns the day the current officer of `body` took office, when one was announced.
pub fn since(conn: &mut AnyConnection, body: &str) -> Result<Option<NaiveDate>, StoreError> {
    Ok(body_officers::table
        .filter(body_officers::government_body.eq(body))
        .select(body_officers::since)
        .first(conn)
        .optional()?)
}

/// Records `officer` as the officer of `body` since `since`, replacing the one before.
pub fn set(
    conn: &mut AnyConnection,
    body: &str,
    officer: &Responsible,
    since: NaiveDate,
) -> Result<(), StoreError> {
    diesel::delete(body_officers::table.filter(body_officers::government_body.eq(body)))
        .execute(conn)?;
    diesel::insert_into(body_officers::table)
        .values((
            body_officers::government_body.eq(body),
            body_officers::officer.eq(&officer.officer),
            body_officers::full_name.eq(officer.name.as_deref().unwrap_or_default()),
            body_officers::since.eq(since),
        ))
        .execute(conn)?;
    Ok(())
}
