//! Storage of the ministry's requests for express information: one row per request, and
//! one per body asked that stores the body's answer once given.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use service_kit::{AnyConnection, StoreError};

use super::utc;
use crate::domain::information_requests::{
    AddressedBody, Addressees, AnswerStatus, InformationAnswer, InformationRequest,
    InformationRequestFacts,
};
use crate::schema::{
    government_bodies as bodies, information_request_bodies as addressed,
    information_requests as requests,
};

/// Rows written by one INSERT, well below SQLite's limit of 32,766 bound parameters.
const INSERT_ROWS: usize = 1_000;

/// Filters of the request list. A listed request matches every filter present.
#[derive(Debug, Clone, Copy, Default)]
pub struct Filter {
    /// Whether an answer is still missing: for an officer their body's, for the
    /// ministry any body's.
    pub open: Option<bool>,
    /// Whether an answer is missing past the deadline.
    pub overdue: Option<bool>,
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = requests)]
struct RequestRow {
    id: String,
    subject: String,
    text: String,
    sent_on: NaiveDate,
    deadline: NaiveDate,
    all_bodies: bool,
    created_at: NaiveDateTime,
}

impl RequestRow {
    fn into_request(self) -> InformationRequest {
        InformationRequest {
            id: self.id,
            subject: self.subject,
            text: self.text,
            sent_on: self.sent_on,
            deadline: self.deadline,
            all_bodies: self.all_bodies,
            created_at: utc(self.created_at),
            counts: None,
            government_bodies: None,
            status: None,
            answer: None,
        }
    }
}

/// Inserts request `id`, sent on `sent_on` to `bodies`.
pub fn insert(
    conn: &mut AnyConnection,
    id: &str,
    facts: &InformationRequestFacts,
    bodies: &[String],
    sent_on: NaiveDate,
    created_by: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let all_bodies = facts.addressees == Addressees::All;
    diesel::insert_into(requests::table)
        .values((
            requests::id.eq(id),
            requests::subject.eq(&facts.subject),
            requests::text.eq(&facts.text),
            requests::sent_on.eq(sent_on),
            requests::deadline.eq(facts.deadline),
            requests::all_bodies.eq(all_bodies),
            requests::created_at.eq(now.naive_utc()),
            requests::created_by.eq(created_by),
        ))
        .execute(conn)?;
    for chunk in bodies.chunks(INSERT_ROWS) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|body| {
                (
                    addressed::request_id.eq(id),
                    addressed::government_body.eq(body),
                )
            })
            .collect();
        // diesel 2.4 builds a multi-row INSERT only for a concrete backend, not for
        // MultiConnection.
        let insert = diesel::insert_into(addressed::table).values(rows);
        service_kit::with_backend!(&mut *conn, |c| insert.execute(c))?;
    }
    Ok(())
}

/// Finds request `id`, without the answers.
pub fn find(conn: &mut AnyConnection, id: &str) -> Result<Option<InformationRequest>, StoreError> {
    let row = requests::table
        .filter(requests::id.eq(id))
        .select(RequestRow::as_select())
        .first::<RequestRow>(conn)
        .optional()?;
    Ok(row.map(RequestRow::into_request))
}

/// Lists the bodies asked by request `id` with their answer status on `today`, in the
/// order of their ids.
pub fn addressed_bodies(
    conn: &mut AnyConnection,
    id: &str,
    deadline: NaiveDate,
    today: NaiveDate,
) -> Result<Vec<AddressedBody>, StoreError> {
    let rows: Vec<(String, String, Option<NaiveDate>)> = addressed::table
        .inner_join(bodies::table)
        .filter(addressed::request_id.eq(id))
        .order(addressed::government_body.asc())
        .select((
            addressed::government_body,
            bodies::name_ru,
            addressed::answered_on,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(government_body, name_ru, answered_on)| AddressedBody {
            government_body,
            name_ru,
            status: AnswerStatus::of(deadline, answered_on, today),
            answered_on,
        })
        .collect())
}

/// Returns the days the bodies asked by each of `ids` answered, one entry per body
/// (`None` while it has not), as `(request id, day)` pairs.
pub fn answer_days_of(
    conn: &mut AnyConnection,
    ids: &[String],
) -> Result<Vec<(String, Option<NaiveDate>)>, StoreError> {
    Ok(addressed::table
        .filter(addressed::request_id.eq_any(ids))
        .select((addressed::request_id, addressed::answered_on))
        .load(conn)?)
}

/// Returns `None` unless request `id` is addressed to `body`, and otherwise the day
/// `body` answered it, if it did.
pub fn addressed_to(
    conn: &mut AnyConnection,
    id: &str,
    body: &str,
) -> Result<Option<Option<NaiveDate>>, StoreError> {
    Ok(addressed::table
        .filter(addressed::request_id.eq(id))
        .filter(addressed::government_body.eq(body))
        .select(addressed::answered_on)
        .first::<Option<NaiveDate>>(conn)
        .optional()?)
}

/// Lists every request matching `filter` on `today`, in the order they were sent,
/// after the id `after`.
pub fn list_all(
    conn: &mut AnyConnection,
    filter: Filter,
    today: NaiveDate,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<InformationRequest>, StoreError> {
    let unanswered = addressed::table
        .filter(addressed::answered_on.is_null())
        .select(addressed::request_id);
    let mut query = requests::table.into_boxed();
    match filter.open {
        Some(true) => query = query.filter(requests::id.eq_any(unanswered)),
        Some(false) => query = query.filter(diesel::dsl::not(requests::id.eq_any(unanswered))),
        None => {}
    }
    match filter.overdue {
        Some(true) => {
            query = query
                .filter(requests::deadline.lt(today))
                .filter(requests::id.eq_any(unanswered));
        }
        Some(false) => {
            query = query.filter(
                requests::deadline
                    .ge(today)
                    .or(diesel::dsl::not(requests::id.eq_any(unanswered))),
            );
        }
        None => {}
    }
    if let Some(after) = after {
        query = query.filter(requests::id.gt(after.to_owned()));
    }
    let rows = query
        .order(requests::id.asc())
        .limit(limit)
        .select(RequestRow::as_select())
        .load::<RequestRow>(conn)?;
    Ok(rows.into_iter().map(RequestRow::into_request).collect())
}

/// Lists the requests that ask `body` and match `filter` on `today`, in the order they
/// were sent, after the id `after`, each with the day `body` answered it, if it did.
pub fn list_for_body(
    conn: &mut AnyConnection,
    body: &str,
    filter: Filter,
    today: NaiveDate,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<(InformationRequest, Option<NaiveDate>)>, StoreError> {
    let mut query = addressed::table
        .inner_join(requests::table)
        .filter(addressed::government_body.eq(body.to_owned()))
        .into_boxed();
    match filter.open {
        Some(true) => query = query.filter(addressed::answered_on.is_null()),
        Some(false) => query = query.filter(addressed::answered_on.is_not_null()),
        None => {}
    }
    match filter.overdue {
        Some(true) => {
            query = query
                .filter(addressed::answered_on.is_null())
                .filter(requests::deadline.lt(today));
        }
        Some(false) => {
            query = query.filter(
                addressed::answered_on
                    .is_not_null()
                    .or(requests::deadline.ge(today)),
            );
        }
        None => {}
    }
    if let Some(after) = after {
        query = query.filter(requests::id.gt(after.to_owned()));
    }
    let rows = query
        .order(requests::id.asc())
        .limit(limit)
        .select((RequestRow::as_select(), addressed::answered_on))
        .load::<(RequestRow, Option<NaiveDate>)>(conn)?;
    Ok(rows
        .into_iter()
        .map(|(row, answered_on)| (row.into_request(), answered_on))
        .collect())
}

/// Stores the answer of `body` to request `id`, unless the body has answered already.
/// Returns whether it was stored.
pub fn answer(
    conn: &mut AnyConnection,
    id: &str,
    body: &str,
    text: &str,
    answered_on: NaiveDate,
    answered_by: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let changed = diesel::update(
        addressed::table
            .filter(addressed::request_id.eq(id))
            .filter(addressed::government_body.eq(body))
            .filter(addressed::answered_on.is_null()),
    )
    .set((
        addressed::answer.eq(text),
        addressed::answered_on.eq(answered_on),
        addressed::answered_at.eq(now.naive_utc()),
        addressed::answered_by.eq(answered_by),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

type AnswerRow = (
    String,
    String,
    Option<String>,
    Option<NaiveDate>,
    Option<String>,
    Option<NaiveDateTime>,
);

fn into_answer(row: AnswerRow, deadline: NaiveDate) -> Result<InformationAnswer, StoreError> {
    let (request_id, government_body, text, answered_on, answered_by, answered_at) = row;
    match (text, answered_on, answered_by, answered_at) {
        (Some(text), Some(answered_on), Some(answered_by), Some(answered_at)) => {
            Ok(InformationAnswer {
                request_id,
                government_body,
                text,
                late: answered_on > deadline,
                answered_on,
                answered_by,
                answered_at: utc(answered_at),
            })
        }
        _ => Err(StoreError::Query(anyhow::anyhow!(
            "the answer of body {government_body} to information request {request_id} \
             is stored incomplete"
        ))),
    }
}

fn answer_columns() -> (
    addressed::request_id,
    addressed::government_body,
    addressed::answer,
    addressed::answered_on,
    addressed::answered_by,
    addressed::answered_at,
) {
    (
        addressed::request_id,
        addressed::government_body,
        addressed::answer,
        addressed::answered_on,
        addressed::answered_by,
        addressed::answered_at,
    )
}

/// Returns the answer of `body` to request `id` due by `deadline`, once given.
pub fn answer_of(
    conn: &mut AnyConnection,
    id: &str,
    body: &str,
    deadline: NaiveDate,
) -> Result<Option<InformationAnswer>, StoreError> {
    let row: Option<AnswerRow> = addressed::table
        .filter(addressed::request_id.eq(id))
        .filter(addressed::government_body.eq(body))
        .filter(addressed::answered_on.is_not_null())
        .select(answer_columns())
        .first(conn)
        .optional()?;
    row.map(|row| into_answer(row, deadline)).transpose()
}

/// Lists the answers to request `id` due by `deadline`, in the order of the bodies'
/// ids, after the body `after`.
pub fn answers(
    conn: &mut AnyConnection,
    id: &str,
    deadline: NaiveDate,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<InformationAnswer>, StoreError> {
    let mut query = addressed::table
        .filter(addressed::request_id.eq(id.to_owned()))
        .filter(addressed::answered_on.is_not_null())
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(addressed::government_body.gt(after.to_owned()));
    }
    let rows: Vec<AnswerRow> = query
        .order(addressed::government_body.asc())
        .limit(limit)
        .select(answer_columns())
        .load(conn)?;
    rows.into_iter()
        .map(|row| into_answer(row, deadline))
        .collect()
}
