//! Storage of the correspondence register and of its numbering sequences.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use common_models::Catalogue;
use diesel::prelude::*;
use service_kit::{AnyConnection, StoreError, with_backend};

use super::{from_code, utc};
use crate::domain::correspondence::{
    CorrespondenceDirection, CorrespondenceEntry, CorrespondenceKind, CorrespondenceStatus,
    Counterpart, CounterpartKind, Editable, EntryFacts,
};
use crate::schema::{
    correspondence as entries, correspondence_sequences as sequences, officer_requests,
    recommendation_forwardings as forwardings, recommendations,
};

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = entries)]
struct Row {
    id: String,
    government_body: String,
    direction: String,
    kind: String,
    number: String,
    registered_on: NaiveDate,
    counterpart_kind: String,
    counterpart_npo_id: Option<String>,
    counterpart_body: Option<String>,
    counterpart_name: Option<String>,
    subject: String,
    channel: String,
    form: String,
    answers_id: Option<String>,
    answer_due_on: Option<NaiveDate>,
    status: Option<String>,
    answered_on: Option<NaiveDate>,
    answered_by_id: Option<String>,
    recommendation_id: Option<String>,
    officer_request_id: Option<String>,
    file_ref: Option<String>,
    version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// Reads a stored code of one of the register's own enums.
fn stored<T>(column: &str, raw: &str, parse: fn(&str) -> Option<T>) -> Result<T, StoreError> {
    parse(raw)
        .ok_or_else(|| StoreError::Query(anyhow::anyhow!("stored {column} '{raw}' is unknown")))
}

impl Row {
    fn into_entry(self, today: NaiveDate) -> Result<CorrespondenceEntry, StoreError> {
        let status = self
            .status
            .as_deref()
            .map(|raw| stored("status", raw, CorrespondenceStatus::from_code))
            .transpose()?;
        Ok(CorrespondenceEntry {
            direction: stored(
                "direction",
                &self.direction,
                CorrespondenceDirection::from_code,
            )?,
            kind: stored("kind", &self.kind, CorrespondenceKind::from_code)?,
            counterpart: Counterpart {
                kind: stored(
                    "counterpart_kind",
                    &self.counterpart_kind,
                    CounterpartKind::from_code,
                )?,
                npo_id: self.counterpart_npo_id,
                government_body: self.counterpart_body,
                name: self.counterpart_name,
            },
            channel: from_code(&self.channel)?,
            form: from_code(&self.form)?,
            days_overdue: CorrespondenceEntry::days_overdue(status, self.answer_due_on, today),
            status,
            id: self.id,
            government_body: self.government_body,
            number: self.number,
            registered_on: self.registered_on,
            subject: self.subject,
            answers_id: self.answers_id,
            answer_due_on: self.answer_due_on,
            answered_on: self.answered_on,
            answered_by_id: self.answered_by_id,
            recommendation_id: self.recommendation_id,
            officer_request_id: self.officer_request_id,
            file_ref: self.file_ref,
            version: self.version,
            created_at: utc(self.created_at),
            updated_at: utc(self.updated_at),
        })
    }
}

/// Takes the next number of `body`'s sequence for `direction` in `year`. The row
/// update holds the sequence's lock until the transaction ends, so concurrent
/// registrations get distinct numbers.
pub fn next_sequence(
    conn: &mut AnyConnection,
    body: &str,
    direction: CorrespondenceDirection,
    year: i32,
) -> Result<i32, StoreError> {
    let key = (
        sequences::government_body.eq(body),
        sequences::direction.eq(direction.code()),
        sequences::year.eq(year),
    );
    let insert = diesel::insert_into(sequences::table)
        .values((key.0, key.1, key.2, sequences::last_number.eq(0)))
        .on_conflict_do_nothing();
    with_backend!(&mut *conn, |c| insert.execute(c))?;
    let row = sequences::table
        .filter(sequences::government_body.eq(body))
        .filter(sequences::direction.eq(direction.code()))
        .filter(sequences::year.eq(year));
    diesel::update(row)
        .set(sequences::last_number.eq(sequences::last_number + 1))
        .execute(conn)?;
    Ok(row.select(sequences::last_number).first(conn)?)
}

/// Returns the id of the entry of `body` with registration `number`, if any.
pub fn number_holder(
    conn: &mut AnyConnection,
    body: &str,
    number: &str,
) -> Result<Option<String>, StoreError> {
    Ok(entries::table
        .filter(entries::government_body.eq(body))
        .filter(entries::number.eq(number))
        .select(entries::id)
        .first(conn)
        .optional()?)
}

/// Inserts an entry of `body` with registration `number`, at version 1.
pub fn insert(
    conn: &mut AnyConnection,
    id: &str,
    body: &str,
    number: &str,
    facts: &EntryFacts,
    created_by: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let editable = &facts.editable;
    let counterpart = &editable.counterpart;
    diesel::insert_into(entries::table)
        .values((
            (
                entries::id.eq(id),
                entries::government_body.eq(body),
                entries::direction.eq(facts.direction.code()),
                entries::number.eq(number),
                entries::registered_on.eq(facts.registered_on),
                entries::answers_id.eq(&facts.answers_id),
                entries::version.eq(1),
                entries::created_at.eq(now.naive_utc()),
                entries::created_by.eq(created_by),
                entries::updated_at.eq(now.naive_utc()),
            ),
            (
                entries::kind.eq(editable.kind.code()),
                entries::counterpart_kind.eq(counterpart.kind.code()),
                entries::counterpart_npo_id.eq(&counterpart.npo_id),
                entries::counterpart_body.eq(&counterpart.government_body),
                entries::counterpart_name.eq(&counterpart.name),
                entries::subject.eq(&editable.subject),
                entries::channel.eq(editable.channel.code()),
                entries::form.eq(editable.form.code()),
                entries::answer_due_on.eq(editable.answer_due_on),
                entries::status.eq(editable.status.map(CorrespondenceStatus::code)),
                entries::recommendation_id.eq(&editable.recommendation_id),
                entries::officer_request_id.eq(&editable.officer_request_id),
                entries::file_ref.eq(&editable.file_ref),
            ),
        ))
        .execute(conn)?;
    Ok(())
}

/// Finds an entry, counting its days overdue up to `today`.
pub fn find(
    conn: &mut AnyConnection,
    id: &str,
    today: NaiveDate,
) -> Result<Option<CorrespondenceEntry>, StoreError> {
    entries::table
        .filter(entries::id.eq(id))
        .select(Row::as_select())
        .first::<Row>(conn)
        .optional()?
        .map(|row| row.into_entry(today))
        .transpose()
}

/// Stores the editable fields if the entry is still at `version`, and returns whether
/// it was.
pub fn update(
    conn: &mut AnyConnection,
    id: &str,
    version: i32,
    next: &Editable,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let counterpart = &next.counterpart;
    let changed = diesel::update(
        entries::table
            .filter(entries::id.eq(id))
            .filter(entries::version.eq(version)),
    )
    .set((
        (
            entries::kind.eq(next.kind.code()),
            entries::counterpart_kind.eq(counterpart.kind.code()),
            entries::counterpart_npo_id.eq(&counterpart.npo_id),
            entries::counterpart_body.eq(&counterpart.government_body),
            entries::counterpart_name.eq(&counterpart.name),
            entries::subject.eq(&next.subject),
            entries::channel.eq(next.channel.code()),
            entries::form.eq(next.form.code()),
        ),
        (
            entries::answer_due_on.eq(next.answer_due_on),
            entries::status.eq(next.status.map(CorrespondenceStatus::code)),
            entries::recommendation_id.eq(&next.recommendation_id),
            entries::officer_request_id.eq(&next.officer_request_id),
            entries::file_ref.eq(&next.file_ref),
            entries::version.eq(version + 1),
            entries::updated_at.eq(now.naive_utc()),
        ),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Marks the incoming entry `id` answered by entry `answer_id` on `answered_on`. An
/// entry already answered keeps its first answer.
pub fn mark_answered(
    conn: &mut AnyConnection,
    id: &str,
    answer_id: &str,
    answered_on: NaiveDate,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let changed = diesel::update(
        entries::table
            .filter(entries::id.eq(id))
            .filter(entries::answered_by_id.is_null()),
    )
    .set((
        entries::status.eq(CorrespondenceStatus::Answered.code()),
        entries::answered_on.eq(answered_on),
        entries::answered_by_id.eq(answer_id),
        entries::version.eq(entries::version + 1),
        entries::updated_at.eq(now.naive_utc()),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Returns whether `body` handles the recommendation `id` now or forwarded it.
pub fn is_recommendation_of_body(
    conn: &mut AnyConnection,
    id: &str,
    body: &str,
) -> Result<bool, StoreError> {
    let handled = recommendations::table
        .filter(recommendations::id.eq(id))
        .filter(recommendations::government_body.eq(body))
        .count()
        .get_result::<i64>(conn)?;
    let forwarded = forwardings::table
        .filter(forwardings::recommendation_id.eq(id))
        .filter(forwardings::from_body.eq(body))
        .count()
        .get_result::<i64>(conn)?;
    Ok(handled + forwarded > 0)
}

/// Returns whether `body` sent or received the request between officers `id`.
pub fn is_officer_request_of_body(
    conn: &mut AnyConnection,
    id: &str,
    body: &str,
) -> Result<bool, StoreError> {
    let count = officer_requests::table
        .filter(officer_requests::id.eq(id))
        .filter(
            officer_requests::from_body
                .eq(body)
                .or(officer_requests::to_body.eq(body)),
        )
        .count()
        .get_result::<i64>(conn)?;
    Ok(count > 0)
}

/// Filters of the register.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Owner of the register, or every body when `None`.
    pub government_body: Option<String>,
    pub direction: Option<CorrespondenceDirection>,
    pub kind: Option<CorrespondenceKind>,
    pub status: Option<CorrespondenceStatus>,
    pub counterpart_kind: Option<CounterpartKind>,
    pub counterpart_npo_id: Option<String>,
    pub counterpart_body: Option<String>,
    /// First day of registration, inclusive.
    pub from: Option<NaiveDate>,
    /// Last day of registration, inclusive.
    pub to: Option<NaiveDate>,
}

/// Lists entries matching `filter` in registration order of their ids, after the
/// cursor `after`, at most `limit`.
pub fn list(
    conn: &mut AnyConnection,
    filter: &Filter,
    after: Option<&str>,
    limit: i64,
    today: NaiveDate,
) -> Result<Vec<CorrespondenceEntry>, StoreError> {
    let mut query = entries::table.into_boxed();
    if let Some(body) = &filter.government_body {
        query = query.filter(entries::government_body.eq(body.clone()));
    }
    if let Some(direction) = filter.direction {
        query = query.filter(entries::direction.eq(direction.code()));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(entries::kind.eq(kind.code()));
    }
    if let Some(status) = filter.status {
        query = query.filter(entries::status.eq(status.code()));
    }
    if let Some(kind) = filter.counterpart_kind {
        query = query.filter(entries::counterpart_kind.eq(kind.code()));
    }
    if let Some(npo_id) = &filter.counterpart_npo_id {
        query = query.filter(entries::counterpart_npo_id.eq(npo_id.clone()));
    }
    if let Some(body) = &filter.counterpart_body {
        query = query.filter(entries::counterpart_body.eq(body.clone()));
    }
    if let Some(from) = filter.from {
        query = query.filter(entries::registered_on.ge(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(entries::registered_on.le(to));
    }
    if let Some(after) = after {
        query = query.filter(entries::id.gt(after.to_owned()));
    }
    query
        .order(entries::id.asc())
        .limit(limit)
        .select(Row::as_select())
        .load::<Row>(conn)?
        .into_iter()
        .map(|row| row.into_entry(today))
        .collect()
}

/// Lists the incoming entries of `body` (every body when `None`) that await an answer
/// past their deadline on `today`, oldest deadline first.
pub fn overdue(
    conn: &mut AnyConnection,
    body: Option<&str>,
    today: NaiveDate,
) -> Result<Vec<CorrespondenceEntry>, StoreError> {
    let mut query = entries::table
        .filter(entries::status.eq(CorrespondenceStatus::AwaitingAnswer.code()))
        .filter(entries::answer_due_on.lt(today))
        .into_boxed();
    if let Some(body) = body {
        query = query.filter(entries::government_body.eq(body.to_owned()));
    }
    query
        .order((entries::answer_due_on.asc(), entries::id.asc()))
        .limit(1000)
        .select(Row::as_select())
        .load::<Row>(conn)?
        .into_iter()
        .map(|row| row.into_entry(today))
        .collect()
}
