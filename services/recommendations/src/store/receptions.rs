//! Storage of reception requests.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use service_kit::{AnyConnection, StoreError};

use super::utc;
use crate::domain::Responsible;
use crate::domain::reception::{ReceptionRequest, ReceptionStatus};
use crate::schema::reception_requests as requests;

type Row = (
    String,
    String,
    Option<String>,
    String,
    NaiveDate,
    String,
    Option<NaiveDate>,
    Option<String>,
    NaiveDateTime,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn columns() -> (
    requests::id,
    requests::government_body,
    requests::npo_id,
    requests::topic,
    requests::requested_on,
    requests::status,
    requests::appointed_on,
    requests::place,
    requests::created_at,
    requests::responsible,
    requests::responsible_name,
    requests::npo_bin,
) {
    (
        requests::id,
        requests::government_body,
        requests::npo_id,
        requests::topic,
        requests::requested_on,
        requests::status,
        requests::appointed_on,
        requests::place,
        requests::created_at,
        requests::responsible,
        requests::responsible_name,
        requests::npo_bin,
    )
}

fn into_request(row: Row, today: NaiveDate) -> Result<ReceptionRequest, StoreError> {
    let (
        id,
        government_body,
        npo_id,
        topic,
        requested_on,
        status,
        appointed_on,
        place,
        created_at,
        responsible,
        responsible_name,
        npo_bin,
    ) = row;
    let status = ReceptionStatus::from_code(&status).ok_or_else(|| {
        StoreError::Query(anyhow::anyhow!(
            "stored reception status '{status}' is unknown"
        ))
    })?;
    Ok(ReceptionRequest {
        id,
        government_body,
        npo_id,
        topic,
        requested_on,
        status,
        appointed_on,
        place,
        age_days: (status == ReceptionStatus::Waiting).then(|| (today - requested_on).num_days()),
        responsible: Responsible::from_columns(responsible, responsible_name),
        npo_bin,
        created_at: utc(created_at),
    })
}

/// A reception request about to be stored.
#[derive(Debug, Clone)]
pub struct NewRequest<'a> {
    pub id: &'a str,
    pub government_body: &'a str,
    pub npo_id: Option<&'a str>,
    pub npo_bin: Option<&'a str>,
    pub topic: &'a str,
    pub requested_on: NaiveDate,
    pub responsible: Option<&'a Responsible>,
}

/// Inserts a waiting request.
pub fn insert(
    conn: &mut AnyConnection,
    request: &NewRequest<'_>,
    created_by: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::insert_into(requests::table)
        .values((
            requests::id.eq(request.id),
            requests::government_body.eq(request.government_body),
            requests::npo_id.eq(request.npo_id),
            requests::npo_bin.eq(request.npo_bin),
            requests::topic.eq(request.topic),
            requests::requested_on.eq(request.requested_on),
            requests::status.eq(ReceptionStatus::Waiting.code()),
            requests::responsible.eq(request.responsible.map(|r| r.officer.as_str())),
            requests::responsible_name.eq(request.responsible.and_then(|r| r.name.as_deref())),
            requests::created_at.eq(now.naive_utc()),
            requests::created_by.eq(created_by),
        ))
        .execute(conn)?;
    Ok(())
}

/// Finds a request.
pub fn find(
    conn: &mut AnyConnection,
    id: &str,
    today: NaiveDate,
) -> Result<Option<ReceptionRequest>, StoreError> {
    let row: Option<Row> = requests::table
        .filter(requests::id.eq(id))
        .select(columns())
        .first(conn)
        .optional()?;
    row.map(|row| into_request(row, today)).transpose()
}

/// Records an appointment or an immediate reception of a waiting request; returns
/// whether the request was still waiting.
pub fn appoint(
    conn: &mut AnyConnection,
    id: &str,
    status: ReceptionStatus,
    appointed_on: NaiveDate,
    place: Option<&str>,
    responsible: &Responsible,
) -> Result<bool, StoreError> {
    let changed = diesel::update(
        requests::table
            .filter(requests::id.eq(id))
            .filter(requests::status.eq(ReceptionStatus::Waiting.code())),
    )
    .set((
        requests::status.eq(status.code()),
        requests::appointed_on.eq(appointed_on),
        requests::place.eq(place),
        requests::responsible.eq(&responsible.officer),
        requests::responsible_name.eq(responsible.name.as_deref()),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Lists the requests to `government_body` (every body when `None`), only those
/// waiting when `waiting` is set, oldest first.
pub fn list(
    conn: &mut AnyConnection,
    government_body: Option<&str>,
    npo_bin: Option<&str>,
    waiting: bool,
    today: NaiveDate,
) -> Result<Vec<ReceptionRequest>, StoreError> {
    let mut query = requests::table.into_boxed();
    if let Some(body) = government_body {
        query = query.filter(requests::government_body.eq(body.to_owned()));
    }
    if let Some(bin) = npo_bin {
        query = query.filter(requests::npo_bin.eq(bin.to_owned()));
    }
    if waiting {
        query = query.filter(requests::status.eq(ReceptionStatus::Waiting.code()));
    }
    let rows: Vec<Row> = query
        .order((requests::requested_on.asc(), requests::id.asc()))
        .limit(1000)
        .select(columns())
        .load(conn)?;
    rows.into_iter()
        .map(|row| into_request(row, today))
        .collect()
}

/// Makes `to` responsible for the requests to `body` still waiting or appointed that have
/// no responsible officer or have `from`; returns the ids changed.
pub fn reassign(
    conn: &mut AnyConnection,
    body: &str,
    from: Option<&str>,
    to: &Responsible,
) -> Result<Vec<String>, StoreError> {
    let open = [
        ReceptionStatus::Waiting.code(),
        ReceptionStatus::Appointed.code(),
    ];
    let mut query = requests::table
        .filter(requests::government_body.eq(body.to_owned()))
        .filter(requests::status.eq_any(open))
        .into_boxed();
    query = match from {
        Some(from) => query.filter(
            requests::responsible
                .eq(from.to_owned())
                .or(requests::responsible.is_null()),
        ),
        None => query.filter(requests::responsible.is_null()),
    };
    let ids: Vec<String> = query.select(requests::id).load(conn)?;
    diesel::update(requests::table.filter(requests::id.eq_any(&ids)))
        .set((
            requests::responsible.eq(&to.officer),
            requests::responsible_name.eq(to.name.as_deref()),
        ))
        .execute(conn)?;
    Ok(ids)
}
