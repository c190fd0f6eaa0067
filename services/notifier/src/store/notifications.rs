//! Notifications and their delivery state.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use service_kit::{AnyConnection, StoreError};

use crate::domain::notification::{Notification, Status};
use crate::schema::notifications;

/// A notification to store.
#[derive(Debug, Clone)]
pub struct NewNotification {
    pub id: String,
    pub recipient: String,
    pub npo_id: Option<String>,
    pub template: &'static str,
    pub subject: String,
    pub body: String,
    pub event_id: String,
    pub event_type: String,
    pub topic: String,
    pub status: Status,
    pub skip_reason: Option<&'static str>,
}

/// A notification whose attempt is due, with what the delivery loop sends.
#[derive(Debug, Clone)]
pub struct Due {
    pub id: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
}

/// Filters of the notification list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub statuses: Vec<Status>,
    pub template: Option<String>,
    pub recipient: Option<String>,
}

type Row = (
    String,
    String,
    Option<String>,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    i32,
    NaiveDateTime,
    Option<String>,
    NaiveDateTime,
    Option<NaiveDateTime>,
);

/// Columns of a [`Row`].
type Columns = (
    notifications::id,
    notifications::recipient,
    notifications::npo_id,
    notifications::template,
    notifications::subject,
    notifications::event_id,
    notifications::event_type,
    notifications::status,
    notifications::skip_reason,
    notifications::attempts,
    notifications::next_attempt_at,
    notifications::last_error,
    notifications::created_at,
    notifications::sent_at,
);

const COLUMNS: Columns = (
    notifications::id,
    notifications::recipient,
    notifications::npo_id,
    notifications::template,
    notifications::subject,
    notifications::event_id,
    notifications::event_type,
    notifications::status,
    notifications::skip_reason,
    notifications::attempts,
    notifications::next_attempt_at,
    notifications::last_error,
    notifications::created_at,
    notifications::sent_at,
);

fn utc(at: NaiveDateTime) -> DateTime<Utc> {
    at.and_utc()
}

fn from_row(row: Row) -> Result<Notification, StoreError> {
    let (
        id,
        recipient,
        npo_id,
        template,
        subject,
        event_id,
        event_type,
        status,
        skip_reason,
        attempts,
        next_attempt_at,
        last_error,
        created_at,
        sent_at,
    ) = row;
    let status = Status::from_code(&status).ok_or_else(|| {
        StoreError::Query(anyhow::anyhow!(
            "notification {id} has unknown status {status}"
        ))
    })?;
    let waiting = matches!(status, Status::Pending | Status::FailedRetrying);
    Ok(Notification {
        id,
        recipient,
        npo_id,
        template,
        subject,
        event_id,
        event_type,
        status,
        skip_reason,
        attempts,
        next_attempt_at: waiting.then(|| utc(next_attempt_at)),
        last_error,
        created_at: utc(created_at),
        sent_at: sent_at.map(utc),
    })
}

/// Stores `new`, due at once unless it is skipped.
pub fn insert(conn: &mut AnyConnection, new: &NewNotification) -> Result<(), StoreError> {
    let now = service_kit::now().naive_utc();
    diesel::insert_into(notifications::table)
        .values((
            notifications::id.eq(&new.id),
            notifications::recipient.eq(&new.recipient),
            notifications::npo_id.eq(&new.npo_id),
            notifications::template.eq(new.template),
            notifications::subject.eq(&new.subject),
            notifications::body.eq(&new.body),
            notifications::event_id.eq(&new.event_id),
            notifications::event_type.eq(&new.event_type),
            notifications::topic.eq(&new.topic),
            notifications::status.eq(new.status.code()),
            notifications::skip_reason.eq(new.skip_reason),
            notifications::attempts.eq(0),
            notifications::next_attempt_at.eq(now),
            notifications::created_at.eq(now),
            notifications::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Reads notification `id`.
pub fn get(conn: &mut AnyConnection, id: &str) -> Result<Option<Notification>, StoreError> {
    let row: Option<Row> = notifications::table
        .find(id)
        .select(COLUMNS)
        .first(conn)
        .optional()?;
    row.map(from_row).transpose()
}

/// Lists up to `limit` notifications matching `filter`, newest first, after the one
/// with id `after`. Ids are UUIDv7, so their order is the order of creation.
pub fn list(
    conn: &mut AnyConnection,
    filter: &Filter,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Notification>, StoreError> {
    let mut query = notifications::table.select(COLUMNS).into_boxed();
    if !filter.statuses.is_empty() {
        let codes: Vec<&str> = filter.statuses.iter().map(|s| s.code()).collect();
        query = query.filter(notifications::status.eq_any(codes));
    }
    if let Some(template) = &filter.template {
        query = query.filter(notifications::template.eq(template.clone()));
    }
    if let Some(recipient) = &filter.recipient {
        query = query.filter(notifications::recipient.eq(recipient.clone()));
    }
    if let Some(after) = after {
        query = query.filter(notifications::id.lt(after.to_owned()));
    }
    let rows: Vec<Row> = query
        .order(notifications::id.desc())
        .limit(limit)
        .load(conn)?;
    rows.into_iter().map(from_row).collect()
}

/// Lists up to `limit` notifications whose attempt is due at `now`, the longest-waiting
/// first.
pub fn due(
    conn: &mut AnyConnection,
    now: NaiveDateTime,
    limit: i64,
) -> Result<Vec<Due>, StoreError> {
    let rows: Vec<(String, String, String, String, i32, NaiveDateTime)> = notifications::table
        .filter(
            notifications::status.eq_any([Status::Pending.code(), Status::FailedRetrying.code()]),
        )
        .filter(notifications::next_attempt_at.le(now))
        .order(notifications::next_attempt_at)
        .limit(limit)
        .select((
            notifications::id,
            notifications::recipient,
            notifications::subject,
            notifications::body,
            notifications::attempts,
            notifications::next_attempt_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, recipient, subject, body, attempts, next_attempt_at)| Due {
                id,
                recipient,
                subject,
                body,
                attempts,
                next_attempt_at,
            },
        )
        .collect())
}

/// Takes `due` for one attempt by moving its next attempt to `lease_until`, so another
/// process polling the same database skips it. Returns `false` when another process
/// took it first.
pub fn claim(
    conn: &mut AnyConnection,
    due: &Due,
    lease_until: NaiveDateTime,
) -> Result<bool, StoreError> {
    let updated = diesel::update(
        notifications::table
            .filter(notifications::id.eq(&due.id))
            .filter(notifications::attempts.eq(due.attempts))
            .filter(notifications::next_attempt_at.eq(due.next_attempt_at))
            .filter(
                notifications::status
                    .eq_any([Status::Pending.code(), Status::FailedRetrying.code()]),
            ),
    )
    .set(notifications::next_attempt_at.eq(lease_until))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Records the outcome of an attempt: the new status, attempts, next attempt and error.
pub fn record_attempt(
    conn: &mut AnyConnection,
    id: &str,
    status: Status,
    attempts: i32,
    next_attempt_at: NaiveDateTime,
    last_error: Option<&str>,
) -> Result<(), StoreError> {
    let now = service_kit::now().naive_utc();
    let sent_at = (status == Status::Sent).then_some(now);
    diesel::update(notifications::table.find(id))
        .set((
            notifications::status.eq(status.code()),
            notifications::attempts.eq(attempts),
            notifications::next_attempt_at.eq(next_attempt_at),
            notifications::last_error.eq(last_error),
            notifications::sent_at.eq(sent_at),
            notifications::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Marks notification `id` skipped for `reason`.
pub fn skip(conn: &mut AnyConnection, id: &str, reason: &str) -> Result<(), StoreError> {
    diesel::update(notifications::table.find(id))
        .set((
            notifications::status.eq(Status::Skipped.code()),
            notifications::skip_reason.eq(reason),
            notifications::updated_at.eq(service_kit::now().naive_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Puts dead notification `id` back in the queue with a fresh count of attempts.
/// Returns `false` unless it was dead.
pub fn requeue(conn: &mut AnyConnection, id: &str) -> Result<bool, StoreError> {
    let now = service_kit::now().naive_utc();
    let updated = diesel::update(
        notifications::table
            .filter(notifications::id.eq(id))
            .filter(notifications::status.eq(Status::Dead.code())),
    )
    .set((
        notifications::status.eq(Status::Pending.code()),
        notifications::attempts.eq(0),
        notifications::next_attempt_at.eq(now),
        notifications::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Returns whether `recipient` was notified about `topic` before.
pub fn notified_about(
    conn: &mut AnyConnection,
    topic: &str,
    recipient: &str,
) -> Result<bool, StoreError> {
    let found: i64 = notifications::table
        .filter(notifications::topic.eq(topic))
        .filter(notifications::recipient.eq(recipient))
        .count()
        .get_result(conn)?;
    Ok(found > 0)
}
