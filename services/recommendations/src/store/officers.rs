//! The current officer of each government body, as the ministry's events announce it.

use chrono::NaiveDate;
use diesel::prelude::*;
use service_kit::{AnyConnection, StoreError};

use crate::domain::Responsible;
use crate::schema::body_officers;

/// Returns the officer of `body`, when one was announced.
pub fn current(conn: &mut AnyConnection, body: &str) -> Result<Option<Responsible>, StoreError> {
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
