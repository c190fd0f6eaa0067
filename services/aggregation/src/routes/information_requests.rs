//! `/v1/information-requests`: express information the ministry requests from officers
//! at any time. The ministry sends requests and reads every answer; an officer reads the
//! requests addressed to their body and answers each once.

use std::collections::HashMap;

use actix_web::{HttpResponse, get, post, web};
use chrono::NaiveDate;
use serde::Deserialize;
use service_kit::audit::{self, Change};
use service_kit::extract::{IdempotencyKey, ValidJson, ValidQuery};
use service_kit::idempotency::Created;
use service_kit::pagination::{Page, PageParams};
use service_kit::problem::Problem;
use service_kit::{AnyConnection, ApiError, ApiResult, Caller, Role};
use utoipa::IntoParams;
use uuid::Uuid;

use super::Aggregation;
use crate::domain::information_requests::{
    Addressees, AnswerCounts, AnswerInput, AnswerStatus, InformationAnswer, InformationRequest,
    InformationRequestInput,
};
use crate::store::bodies;
use crate::store::information_requests::{self as store, Filter};

/// Entity name of requests in the audit trail.
const ENTITY: &str = "information_request";

/// Reads request `id`, or 404.
fn find(conn: &mut AnyConnection, id: &str) -> Result<InformationRequest, ApiError> {
    store::find(conn, id)?.ok_or_else(|| ApiError::NotFound(format!("information request {id}")))
}

/// Adds what the ministry reads to `request`: the counts and every body asked.
fn ministry_view(
    conn: &mut AnyConnection,
    mut request: InformationRequest,
    today: NaiveDate,
) -> Result<InformationRequest, ApiError> {
    let addressed = store::addressed_bodies(conn, &request.id, request.deadline, today)?;
    let answers: Vec<Option<NaiveDate>> = addressed.iter().map(|b| b.answered_on).collect();
    request.counts = Some(AnswerCounts::count(request.deadline, &answers, today));
    request.government_bodies = Some(addressed);
    Ok(request)
}

/// Send a request for express information to chosen bodies or to every body.
///
/// Ministry only. The deadline is not before today. Listed bodies must be in the
/// register (422 at each unknown one). With `all_bodies`, every body registered today is
/// asked, vacant ones included.
#[utoipa::path(
    post, path = "/v1/information-requests", tag = "information-requests",
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create return the first response")),
    request_body = InformationRequestInput,
    responses(
        (status = 201, body = InformationRequest, headers(("Location" = String))),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)
    ),
    security(("bearer" = []))
)]
#[post("/v1/information-requests")]
pub async fn create_request(
    service: web::Data<Aggregation>,
    caller: Caller,
    key: IdempotencyKey,
    body: ValidJson<InformationRequestInput>,
) -> ApiResult<HttpResponse> {
    caller.require(&[Role::Ministry])?;
    let today = common_models::time::today();
    let scope = caller.idempotency_scope("POST /v1/information-requests");
    let ValidJson { value: input, raw } = body;

    service
        .create(key, scope, raw, move |conn| {
            let listed: Vec<String> = input
                .government_bodies
                .iter()
                .map(|id| id.trim().to_owned())
                .collect();
            let registered = bodies::registered_among(conn, &listed)?;
            let facts = input.parse(today, |id| registered.contains(id))?;
            let addressed = match &facts.addressees {
                Addressees::All => bodies::all_ids(conn)?,
                Addressees::Listed(ids) => ids.clone(),
            };
            if addressed.is_empty() {
                return Err(ApiError::field(
                    "/all_bodies",
                    "the register has no government bodies to ask",
                ));
            }
            let id = Uuid::now_v7().to_string();
            let now = service_kit::now();
            store::insert(conn, &id, &facts, &addressed, today, &caller.subject, now)?;
            audit::record(
                conn,
                Change {
                    entity: ENTITY,
                    entity_id: &id,
                    action: "sent",
                    actor: &caller.subject,
                    government_body: None,
                    fields: &["subject", "text", "deadline", "government_bodies"]
                        .map(str::to_owned),
                },
            )?;
            tracing::info!(
                information_request.id = %id,
                bodies = addressed.len(),
                "information request sent"
            );
            let request = find(conn, &id)?;
            let request = ministry_view(conn, request, today)?;
            Created::new(request, format!("/v1/information-requests/{id}"), None)
        })
        .await
}

/// Filters and paging of the request list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RequestQuery {
    /// `true`: only requests still waiting for an answer (of the officer's body, or
    /// for the ministry of any body asked); `false`: only those answered.
    pub open: Option<bool>,
    /// `true`: only requests past their deadline and still waiting for an answer;
    /// `false`: only the others.
    pub overdue: Option<bool>,
    /// Items per page, 1 to 200 (default 50).
    pub limit: Option<i64>,
    /// Cursor from the previous page.
    pub cursor: Option<String>,
}

/// List requests for express information in the order they were sent.
///
/// The ministry reads every request with the number of bodies at each answer status.
/// An officer reads the requests addressed to their body, each with that body's status.
#[utoipa::path(
    get, path = "/v1/information-requests", tag = "information-requests", params(RequestQuery),
    responses(
        (status = 200, body = inline(Page<InformationRequest>)), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 422, body = Problem)
    ),
    security(("bearer" = []))
)]
#[get("/v1/information-requests")]
pub async fn list_requests(
    service: web::Data<Aggregation>,
    caller: Caller,
    query: ValidQuery<RequestQuery>,
) -> ApiResult<HttpResponse> {
    let body = caller.reading_scope()?.map(str::to_owned);
    let filter = Filter {
        open: query.open,
        overdue: query.overdue,
    };
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor.clone(),
    };
    let limit = page.limit()?;
    let after = page.after()?;
    let today = common_models::time::today();

    let items = service
        .db
        .run(move |conn| match body {
            Some(body) => list_for_body(conn, &body, filter, today, after.as_deref(), limit + 1),
            None => list_all(conn, filter, today, after.as_deref(), limit + 1),
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_overfetch(items, limit, |r| r.id.clone())))
}

/// Lists the requests of the ministry's list with their counts.
fn list_all(
    conn: &mut AnyConnection,
    filter: Filter,
    today: NaiveDate,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<InformationRequest>, ApiError> {
    let mut requests = store::list_all(conn, filter, today, after, limit)?;
    let ids: Vec<String> = requests.iter().map(|r| r.id.clone()).collect();
    let mut days: HashMap<String, Vec<Option<NaiveDate>>> = HashMap::new();
    for (id, answered_on) in store::answer_days_of(conn, &ids)? {
        days.entry(id).or_default().push(answered_on);
    }
    for request in &mut requests {
        let answers = days.remove(&request.id).unwrap_or_default();
        request.counts = Some(AnswerCounts::count(request.deadline, &answers, today));
    }
    Ok(requests)
}

/// Lists the requests addressed to `body` with its answer status.
fn list_for_body(
    conn: &mut AnyConnection,
    body: &str,
    filter: Filter,
    today: NaiveDate,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<InformationRequest>, ApiError> {
    Ok(
        store::list_for_body(conn, body, filter, today, after, limit)?
            .into_iter()
            .map(|(mut request, answered_on)| {
                request.status = Some(AnswerStatus::of(request.deadline, answered_on, today));
                request
            })
            .collect(),
    )
}

/// Read a request for express information.
///
/// The ministry reads the answer status of every body asked: answered on time, answered
/// late, overdue or pending. An officer reads the status and the answer of their own
/// body; a request not addressed to it answers 404.
#[utoipa::path(
    get, path = "/v1/information-requests/{id}", tag = "information-requests",
    params(("id" = String, Path, description = "Request id")),
    responses(
        (status = 200, body = InformationRequest), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem)
    ),
    security(("bearer" = []))
)]
#[get("/v1/information-requests/{id}")]
pub async fn get_request(
    service: web::Data<Aggregation>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let body = caller.reading_scope()?.map(str::to_owned);
    let id = id.into_inner();
    let today = common_models::time::today();

    let request = service
        .db
        .run(move |conn| {
            let request = find(conn, &id)?;
            let Some(body) = body else {
                return ministry_view(conn, request, today);
            };
            officer_view(conn, request, &body, today)
        })
        .await?;
    Ok(HttpResponse::Ok().json(request))
}

/// Adds the status and the answer of `body` to `request`, or 404 when the request does
/// not ask `body`.
fn officer_view(
    conn: &mut AnyConnection,
    mut request: InformationRequest,
    body: &str,
    today: NaiveDate,
) -> Result<InformationRequest, ApiError> {
    let answered_on = store::addressed_to(conn, &request.id, body)?
        .ok_or_else(|| ApiError::NotFound(format!("information request {}", request.id)))?;
    request.status = Some(AnswerStatus::of(request.deadline, answered_on, today));
    request.answer = store::answer_of(conn, &request.id, body, request.deadline)?;
    Ok(request)
}

/// Answer a request for express information for the officer's body.
///
/// An officer of a body the request is addressed to; each body answers once (409 for a
/// second answer). The server sets `answered_on` to today in Kazakhstan. An answer after the
/// deadline is accepted and marked late.
#[utoipa::path(
    post, path = "/v1/information-requests/{id}/answers", tag = "information-requests",
    params(
        ("id" = String, Path, description = "Request id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create return the first response")
    ),
    request_body = AnswerInput,
    responses(
        (status = 201, body = InformationAnswer, headers(("Location" = String))),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)
    ),
    security(("bearer" = []))
)]
#[post("/v1/information-requests/{id}/answers")]
pub async fn answer_request(
    service: web::Data<Aggregation>,
    caller: Caller,
    key: IdempotencyKey,
    id: web::Path<String>,
    body: ValidJson<AnswerInput>,
) -> ApiResult<HttpResponse> {
    let own_body = caller.officer_body()?.to_owned();
    let id = id.into_inner();
    let today = common_models::time::today();
    let scope = caller.idempotency_scope(&format!("POST /v1/information-requests/{id}/answers"));
    let ValidJson { value: input, raw } = body;

    service
        .create(key, scope, raw, move |conn| {
            let request = find(conn, &id)?;
            let answered_on = store::addressed_to(conn, &id, &own_body)?
                .ok_or_else(|| ApiError::NotFound(format!("information request {id}")))?;
            if let Some(day) = answered_on {
                return Err(ApiError::Conflict(format!(
                    "government body {own_body} answered information request {id} on {day}; \
                     a body answers once"
                )));
            }
            let text = input.parse()?;
            let now = service_kit::now();
            if !store::answer(conn, &id, &own_body, &text, today, &caller.subject, now)? {
                return Err(ApiError::Conflict(format!(
                    "government body {own_body} answered information request {id} meanwhile"
                )));
            }
            audit::record(
                conn,
                Change {
                    entity: ENTITY,
                    entity_id: &id,
                    action: "answered",
                    actor: &caller.subject,
                    government_body: Some(&own_body),
                    fields: &["answer".to_owned()],
                },
            )?;
            let answer = store::answer_of(conn, &id, &own_body, request.deadline)?
                .ok_or_else(|| ApiError::NotFound(format!("information request {id}")))?;
            tracing::info!(
                information_request.id = %id,
                body.id = %own_body,
                late = answer.late,
                "information request answered"
            );
            Created::new(answer, format!("/v1/information-requests/{id}"), None)
        })
        .await
}

/// Paging of the answers.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AnswerQuery {
    /// Items per page, 1 to 200 (default 50).
    pub limit: Option<i64>,
    /// Cursor from the previous page.
    pub cursor: Option<String>,
}

/// List the answers to a request in the order of the bodies' ids, each marked late
/// when it arrived after the deadline. Ministry only.
#[utoipa::path(
    get, path = "/v1/information-requests/{id}/answers", tag = "information-requests",
    params(("id" = String, Path, description = "Request id"), AnswerQuery),
    responses(
        (status = 200, body = inline(Page<InformationAnswer>)), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)
    ),
    security(("bearer" = []))
)]
#[get("/v1/information-requests/{id}/answers")]
pub async fn list_answers(
    service: web::Data<Aggregation>,
    caller: Caller,
    id: web::Path<String>,
    query: ValidQuery<AnswerQuery>,
) -> ApiResult<HttpResponse> {
    caller.require(&[Role::Ministry])?;
    let id = id.into_inner();
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor.clone(),
    };
    let limit = page.limit()?;
    let after = page.after()?;

    let items = service
        .db
        .run(move |conn| {
            let request = find(conn, &id)?;
            Ok::<_, ApiError>(store::answers(
                conn,
                &id,
                request.deadline,
                after.as_deref(),
                limit + 1,
            )?)
        })
        .await?;
    Ok(
        HttpResponse::Ok().json(Page::from_overfetch(items, limit, |a| {
            a.government_body.clone()
        })),
    )
}
