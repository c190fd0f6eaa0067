//! Storage of requests for recommendations and of the NPOs each request invites.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use common_models::{Catalogue, Sphere};
use diesel::prelude::*;
use service_kit::{AnyConnection, ApiError, StoreError, with_backend};

use super::{from_code, utc};
use crate::domain::Responsible;
use crate::domain::calls::{
    InvitedNpo, RecommendationRequest, RecommendationRequestFacts, RequestFormat, RequestStatus,
    is_accepting,
};
use crate::schema::{recommendation_request_npos as invited, recommendation_requests as requests};

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = requests)]
struct Row {
    id: String,
    government_body: String,
    topic: String,
    sphere: Option<String>,
    format: String,
    sent_on: NaiveDate,
    deadline: NaiveDate,
    status: String,
    closed_on: Option<NaiveDate>,
    version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    responsible: Option<String>,
    responsible_name: Option<String>,
}

fn unknown(what: &str, raw: &str) -> StoreError {
    StoreError::Query(anyhow::anyhow!("stored {what} '{raw}' is unknown"))
}

impl Row {
    fn into_request(
        self,
        invited_npos: Vec<String>,
        today: NaiveDate,
    ) -> Result<RecommendationRequest, StoreError> {
        let status =
            RequestStatus::parse(&self.status).map_err(|_| unknown("status", &self.status))?;
        let format =
            RequestFormat::parse(&self.format).map_err(|_| unknown("format", &self.format))?;
        Ok(RecommendationRequest {
            accepting: is_accepting(status, self.deadline, today),
            sphere: self.sphere.as_deref().map(from_code).transpose()?,
            status,
            format,
            id: self.id,
            government_body: self.government_body,
            topic: self.topic,
            sent_on: self.sent_on,
            deadline: self.deadline,
            invited_npos,
            closed_on: self.closed_on,
            version: self.version,
            created_at: utc(self.created_at),
            updated_at: utc(self.updated_at),
            responsible: Responsible::from_columns(self.responsible, self.responsible_name),
        })
    }
}

/// Inserts an open request of the officer of `government_body`, sent on `today`, with
/// its invited NPOs. With no NPO invited, every NPO may answer it.
#[allow(clippy::too_many_arguments)]
pub fn insert(
    conn: &mut AnyConnection,
    id: &str,
    government_body: &str,
    facts: &RecommendationRequestFacts,
    invited_npos: &[InvitedNpo],
    officer: &Responsible,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::insert_into(requests::table)
        .values((
            requests::id.eq(id),
            requests::government_body.eq(government_body),
            requests::topic.eq(&facts.topic),
            requests::sphere.eq(facts.sphere.map(Catalogue::code)),
            requests::format.eq(facts.format.code()),
            requests::sent_on.eq(today),
            requests::deadline.eq(facts.deadline),
            requests::open_to_all.eq(invited_npos.is_empty()),
            requests::status.eq(RequestStatus::Open.code()),
            requests::version.eq(1),
            requests::created_at.eq(now.naive_utc()),
            requests::created_by.eq(&officer.officer),
            requests::responsible.eq(&officer.officer),
            requests::responsible_name.eq(officer.name.as_deref()),
            requests::updated_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    if invited_npos.is_empty() {
        return Ok(());
    }
    let rows: Vec<_> = invited_npos
        .iter()
        .map(|npo| {
            (
                invited::request_id.eq(id),
                invited::npo_id.eq(npo.id.as_str()),
                invited::npo_bin.eq(npo.bin.as_deref()),
            )
        })
        .collect();
    // A multi-row insert does not compile for `AnyConnection`, so it runs on the concrete
    // connection. At most `MAX_INVITED` rows of three values stay within either backend's
    // limit of bound parameters.
    let insert = diesel::insert_into(invited::table).values(rows);
    with_backend!(conn, |c| insert.execute(c))?;
    Ok(())
}

/// Loads the invited NPO ids of each request in `ids`, sorted by NPO id.
fn invited_of(
    conn: &mut AnyConnection,
    ids: &[String],
) -> Result<BTreeMap<String, Vec<String>>, StoreError> {
    let rows: Vec<(String, String)> = invited::table
        .filter(invited::request_id.eq_any(ids))
        .order((invited::request_id.asc(), invited::npo_id.asc()))
        .select((invited::request_id, invited::npo_id))
        .load(conn)?;
    let mut by_request: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (request_id, npo_id) in rows {
        by_request.entry(request_id).or_default().push(npo_id);
    }
    Ok(by_request)
}

fn with_invited(
    conn: &mut AnyConnection,
    rows: Vec<Row>,
    today: NaiveDate,
) -> Result<Vec<RecommendationRequest>, StoreError> {
    let ids: Vec<String> = rows.iter().map(|row| row.id.clone()).collect();
    let mut invited_npos = invited_of(conn, &ids)?;
    rows.into_iter()
        .map(|row| {
            let npos = invited_npos.remove(&row.id).unwrap_or_default();
            row.into_request(npos, today)
        })
        .collect()
}

/// Finds a request with its invited NPOs. `today` decides whether it is accepting.
pub fn find(
    conn: &mut AnyConnection,
    id: &str,
    today: NaiveDate,
) -> Result<Option<RecommendationRequest>, StoreError> {
    let rows = requests::table
        .filter(requests::id.eq(id))
        .select(Row::as_select())
        .load::<Row>(conn)?;
    Ok(with_invited(conn, rows, today)?.pop())
}

/// Returns whether request `id` invites the NPO whose registry card had `bin` when it
/// was invited.
// NOTE: the BIN is copied from the registry card at invitation. An NPO whose card had no
// BIN then, or whose BIN changed since, does not see the request, although `answerable`,
// which matches the registry id, accepts its recommendation.
pub fn invites_bin(conn: &mut AnyConnection, id: &str, bin: &str) -> Result<bool, StoreError> {
    let found: i64 = invited::table
        .filter(invited::request_id.eq(id))
        .filter(invited::npo_bin.eq(bin))
        .count()
        .get_result(conn)?;
    Ok(found > 0)
}

/// Requests a list shows.
#[derive(Debug, Clone)]
pub enum Scope {
    /// Every request, for the ministry.
    Everything,
    /// The requests of one body, for its officer.
    Body(String),
    /// The requests open to every NPO and those inviting the NPO with this BIN, for
    /// an NPO user.
    NpoBin(String),
}

/// Filters of the request list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub government_body: Option<String>,
    pub status: Option<RequestStatus>,
}

/// Lists requests in the order they were sent, after the id `after`.
pub fn list(
    conn: &mut AnyConnection,
    scope: &Scope,
    filter: &Filter,
    after: Option<&str>,
    limit: i64,
    today: NaiveDate,
) -> Result<Vec<RecommendationRequest>, StoreError> {
    let mut query = requests::table.into_boxed();
    query = match scope {
        Scope::Everything => query,
        Scope::Body(body) => query.filter(requests::government_body.eq(body.clone())),
        Scope::NpoBin(bin) => query.filter(
            requests::open_to_all.eq(true).or(requests::id.eq_any(
                invited::table
                    .filter(invited::npo_bin.eq(bin.clone()))
                    .select(invited::request_id),
            )),
        ),
    };
    if let Some(body) = &filter.government_body {
        query = query.filter(requests::government_body.eq(body.clone()));
    }
    if let Some(status) = filter.status {
        query = query.filter(requests::status.eq(status.code()));
    }
    if let Some(after) = after {
        query = query.filter(requests::id.gt(after.to_owned()));
    }
    let rows = query
        .order(requests::id.asc())
        .limit(limit)
        .select(Row::as_select())
        .load::<Row>(conn)?;
    with_invited(conn, rows, today)
}

/// Closes `current` on `today` if it is open and still at its version. Returns whether
/// it was closed.
pub fn close(
    conn: &mut AnyConnection,
    current: &RecommendationRequest,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let changed = diesel::update(
        requests::table
            .filter(requests::id.eq(&current.id))
            .filter(requests::version.eq(current.version))
            .filter(requests::status.eq(RequestStatus::Open.code())),
    )
    .set((
        requests::status.eq(RequestStatus::Closed.code()),
        requests::closed_on.eq(today),
        requests::version.eq(current.version + 1),
        requests::updated_at.eq(now.naive_utc()),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Checks that the NPO with registry id `npo_id` may answer request `request_id` on
/// `today`, for a recommendation stored in the same transaction. Returns the
/// government body that sent the request, which receives the recommendation, and
/// the request's sphere, if it has one.
///
/// Fails with 422 at `/request_id` when no such request exists or it invites other
/// NPOs only (the same message, so the NPO learns nothing of requests it cannot see),
/// and with 409 when the request is closed or its deadline has passed.
pub fn answerable(
    conn: &mut AnyConnection,
    request_id: &str,
    npo_id: &str,
    today: NaiveDate,
) -> Result<(String, Option<Sphere>), ApiError> {
    let request = find(conn, request_id, today)?
        .filter(|request| request.invites(npo_id))
        .ok_or_else(|| {
            ApiError::field(
                "/request_id",
                format!("no recommendation request {request_id} is addressed to NPO {npo_id}"),
            )
        })?;
    if request.status == RequestStatus::Closed {
        return Err(ApiError::Conflict(format!(
            "recommendation request {request_id} is closed"
        )));
    }
    if !request.accepting {
        return Err(ApiError::Conflict(format!(
            "the deadline of recommendation request {request_id} was {}",
            request.deadline
        )));
    }
    Ok((request.government_body, request.sphere))
}

/// Makes `to` responsible for the open requests of `body` that have no responsible
/// officer or have `from`; returns the ids changed.
pub fn reassign(
    conn: &mut AnyConnection,
    body: &str,
    from: Option<&str>,
    to: &Responsible,
) -> Result<Vec<String>, StoreError> {
    let mut query = requests::table
        .filter(requests::government_body.eq(body.to_owned()))
        .filter(requests::status.eq(RequestStatus::Open.code()))
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
            requests::version.eq(requests::version + 1),
            requests::updated_at.eq(service_kit::now().naive_utc()),
        ))
        .execute(conn)?;
    Ok(ids)
}
