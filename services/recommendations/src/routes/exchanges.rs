//! `/v1/officer-requests`: requests for information between officers of different
//! bodies; `/v1/consultations`: expert and consultation support given to NPOs or
//! received from them.

use actix_web::{HttpResponse, get, post, web};
use common_models::event::recommendations::{
    CONSULTATION_RECORDED, OFFICER_REQUEST_ANSWERED, OFFICER_REQUEST_SENT,
};
use serde::Deserialize;
use service_kit::audit::{self, Change};
use service_kit::extract::{IdempotencyKey, ValidJson, ValidQuery};
use service_kit::idempotency::Created;
use service_kit::outbox;
use service_kit::pagination::Page;
use service_kit::problem::Problem;
use service_kit::{ApiError, ApiResult, Caller};
use utoipa::IntoParams;
use uuid::Uuid;

use super::competence::CompetenceMap;
use super::recommendations::acting;
use super::{Recommendations, registry};
use crate::domain::exchange::{
    Consultation, ConsultationInput, Direction, OfficerAnswerInput, OfficerRequest,
    OfficerRequestInput,
};
use crate::store::exchanges as store;
use crate::store::experts as register;
use crate::store::officers;

/// Ask another body's officer for information, with a deadline for the answer.
///
/// Officers only. Publishes `recommendations.officer_request.sent`.
#[utoipa::path(
    post, path = "/v1/officer-requests", tag = "officer requests",
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create return the first response")),
    request_body = OfficerRequestInput,
    responses(
        (status = 201, body = OfficerRequest, headers(("Location" = String))), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 422, body = Problem)
    ),
    security(("bearer" = []))
)]
#[post("/v1/officer-requests")]
pub async fn create_request(
    service: web::Data<Recommendations>,
    caller: Caller,
    key: IdempotencyKey,
    body: ValidJson<OfficerRequestInput>,
) -> ApiResult<HttpResponse> {
    let from_body = caller.officer_body()?.to_owned();
    let today = common_models::time::today();
    let facts = body.value.parse(&from_body, today)?;
    CompetenceMap::of(&service)
        .check_named_body(&facts.to_body, "/to_body")
        .await?;
    let events = service.events_for(Some(&caller));
    let scope = caller.idempotency_scope("POST /v1/officer-requests");

    service
        .create(key, scope, body.raw.clone(), move |conn| {
            let id = Uuid::now_v7().to_string();
            let asked_officer = officers::current(conn, &facts.to_body)?;
            let officers = (&acting(&caller), asked_officer.as_ref());
            store::insert_request(conn, &id, &from_body, &facts, officers, &caller.subject, service_kit::now())?;
            audit::record(
                conn,
                Change {
                    entity: "officer_request",
                    entity_id: &id,
                    action: "sent",
                    actor: &caller.subject,
                    government_body: Some(&from_body),
                    fields: &["question".to_owned()],
                },
            )?;
            let request = store::find_request(conn, &id, today)?
                .ok_or_else(|| ApiError::NotFound(format!("officer request {id}")))?;
            outbox::enqueue(conn, &events.event(OFFICER_REQUEST_SENT, request.payload())?)?;
            tracing::info!(request.id = %id, body.id = %from_body, to = %facts.to_body, "request sent to another officer");
            Created::new(request, format!("/v1/officer-requests/{id}"), None)
        })
        .await
}

/// Answer a request for information, as the officer of the requested body.
///
/// Publishes `recommendations.officer_request.answered`, one event for both bodies.
#[utoipa::path(
    post, path = "/v1/officer-requests/{id}/answer", tag = "officer requests",
    params(("id" = String, Path, description = "Request id")),
    request_body = OfficerAnswerInput,
    responses(
        (status = 200, body = OfficerRequest), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)
    ),
    security(("bearer" = []))
)]
#[post("/v1/officer-requests/{id}/answer")]
pub async fn answer_request(
    service: web::Data<Recommendations>,
    caller: Caller,
    id: web::Path<String>,
    body: ValidJson<OfficerAnswerInput>,
) -> ApiResult<HttpResponse> {
    let own_body = caller.officer_body()?.to_owned();
    let (answer, result) = body.value.parse()?;
    let id = id.into_inner();
    let today = common_models::time::today();
    let events = service.events_for(Some(&caller));

    let answered = service
        .db
        .transaction(move |conn| {
            let request = store::find_request(conn, &id, today)?
                .filter(|r| r.from_body == own_body || r.to_body == own_body)
                .ok_or_else(|| ApiError::NotFound(format!("officer request {id}")))?;
            if request.to_body != own_body {
                return Err(ApiError::Forbidden(format!(
                    "request {id} is answered by the officer of {}",
                    request.to_body
                )));
            }
            if !store::answer_request(
                conn,
                &id,
                &answer,
                result.as_deref(),
                today,
                &acting(&caller),
            )? {
                return Err(ApiError::Conflict(format!(
                    "request {id} is already answered"
                )));
            }
            audit::record(
                conn,
                Change {
                    entity: "officer_request",
                    entity_id: &id,
                    action: "answered",
                    actor: &caller.subject,
                    government_body: Some(&own_body),
                    fields: &["answer".to_owned()],
                },
            )?;
            let answered = store::find_request(conn, &id, today)?
                .ok_or_else(|| ApiError::NotFound(format!("officer request {id}")))?;
            outbox::enqueue(
                conn,
                &events.event(OFFICER_REQUEST_ANSWERED, answered.payload())?,
            )?;
            tracing::info!(request.id = %id, body.id = %own_body, "officer request answered");
            Ok(answered)
        })
        .await?;
    service.events_committed();
    Ok(HttpResponse::Ok().json(answered))
}

/// Filters of the requests between officers.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RequestQuery {
    /// Only requests past their deadline without an answer.
    pub overdue: Option<bool>,
}

/// List requests between officers, oldest first: those an officer's body sent or
/// received, or every request for the ministry.
#[utoipa::path(
    get, path = "/v1/officer-requests", tag = "officer requests", params(RequestQuery),
    responses((status = 200, body = inline(Page<OfficerRequest>)), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = []))
)]
#[get("/v1/officer-requests")]
pub async fn list_requests(
    service: web::Data<Recommendations>,
    caller: Caller,
    query: ValidQuery<RequestQuery>,
) -> ApiResult<HttpResponse> {
    let body = caller.reading_scope()?.map(str::to_owned);
    let overdue = query.overdue.unwrap_or(false);
    let today = common_models::time::today();
    let items = service
        .db
        .run(move |conn| {
            store::list_requests(conn, body.as_deref(), overdue, today).map_err(ApiError::from)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page {
        items,
        next_cursor: None,
    }))
}

/// Read a request for information: the officers of the asking and the asked body, or
/// the ministry.
#[utoipa::path(
    get, path = "/v1/officer-requests/{id}", tag = "officer requests",
    params(("id" = String, Path, description = "Request id")),
    responses((status = 200, body = OfficerRequest), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/v1/officer-requests/{id}")]
pub async fn get_request(
    service: web::Data<Recommendations>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let body = caller.reading_scope()?.map(str::to_owned);
    let id = id.into_inner();
    let today = common_models::time::today();
    let found = {
        let id = id.clone();
        service
            .db
            .run(move |conn| store::find_request(conn, &id, today).map_err(ApiError::from))
            .await?
    };
    let visible = found.filter(|request| {
        body.as_deref()
            .is_none_or(|own| request.from_body == own || request.to_body == own)
    });
    let request = visible.ok_or_else(|| ApiError::NotFound(format!("officer request {id}")))?;
    Ok(HttpResponse::Ok().json(request))
}

/// Record expert or consultation support the body gave to an NPO or received from one.
///
/// Officers only. An NPO named by registry id must be in the registry. The expert or
/// the expert group that gave or received the support, when named, must be of the
/// officer's body. Publishes `recommendations.consultation.recorded`.
#[utoipa::path(
    post, path = "/v1/consultations", tag = "consultations",
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create return the first response")),
    request_body = ConsultationInput,
    responses(
        (status = 201, body = Consultation, headers(("Location" = String))), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 422, body = Problem), (status = 503, body = Problem)
    ),
    security(("bearer" = []))
)]
#[post("/v1/consultations")]
pub async fn create_consultation(
    service: web::Data<Recommendations>,
    caller: Caller,
    key: IdempotencyKey,
    body: ValidJson<ConsultationInput>,
) -> ApiResult<HttpResponse> {
    let government_body = caller.officer_body()?.to_owned();
    let mut facts = body.value.parse(common_models::time::today())?;
    if let Some(npo_id) = &facts.npo_id {
        let npo = registry::npo_by_id(&service, npo_id, "/npo_id").await?;
        facts.npo_id = Some(npo.id);
    }
    let events = service.events_for(Some(&caller));
    let scope = caller.idempotency_scope("POST /v1/consultations");

    service
        .create(key, scope, body.raw.clone(), move |conn| {
            if let Some(expert_id) = &facts.expert_id
                && register::experts_of_body(
                    conn,
                    &government_body,
                    std::slice::from_ref(expert_id),
                )?
                .is_empty()
            {
                return Err(ApiError::field(
                    "/expert_id",
                    format!("no expert {expert_id} is in the register of {government_body}"),
                ));
            }
            if let Some(group_id) = &facts.expert_group_id
                && !register::is_group_of_body(conn, &government_body, group_id)?
            {
                return Err(ApiError::field(
                    "/expert_group_id",
                    format!("no expert group {group_id} is in the register of {government_body}"),
                ));
            }
            let id = Uuid::now_v7().to_string();
            store::insert_consultation(
                conn,
                &id,
                &government_body,
                &facts,
                &caller.subject,
                service_kit::now(),
            )?;
            audit::record(
                conn,
                Change {
                    entity: "consultation",
                    entity_id: &id,
                    action: "recorded",
                    actor: &caller.subject,
                    government_body: Some(&government_body),
                    fields: &["question".to_owned(), "form".to_owned()],
                },
            )?;
            let record = store::find_consultation(conn, &id)?
                .ok_or_else(|| ApiError::NotFound(format!("consultation {id}")))?;
            outbox::enqueue(
                conn,
                &events.event(CONSULTATION_RECORDED, record.payload())?,
            )?;
            tracing::info!(
                consultation.id = %id,
                body.id = %government_body,
                expert.id = facts.expert_id.as_deref(),
                group.id = facts.expert_group_id.as_deref(),
                "consultation recorded"
            );
            Created::new(record, format!("/v1/consultations/{id}"), None)
        })
        .await
}

/// Filters of the consultations.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ConsultationQuery {
    /// `given` or `received`.
    #[param(value_type = Option<Direction>)]
    pub direction: Option<String>,
}

/// List expert and consultation support by date: an officer's body's, or every body's
/// for the ministry.
#[utoipa::path(
    get, path = "/v1/consultations", tag = "consultations", params(ConsultationQuery),
    responses((status = 200, body = inline(Page<Consultation>)), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []))
)]
#[get("/v1/consultations")]
pub async fn list_consultations(
    service: web::Data<Recommendations>,
    caller: Caller,
    query: ValidQuery<ConsultationQuery>,
) -> ApiResult<HttpResponse> {
    let body = caller.reading_scope()?.map(str::to_owned);
    let direction = match query.direction.as_deref() {
        None => None,
        Some("given") => Some(Direction::Given),
        Some("received") => Some(Direction::Received),
        Some(other) => {
            return Err(ApiError::field(
                "#/query/direction",
                format!("unknown code '{other}'; expected given or received"),
            ));
        }
    };
    let items = service
        .db
        .run(move |conn| {
            store::list_consultations(conn, body.as_deref(), direction).map_err(ApiError::from)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page {
        items,
        next_cursor: None,
    }))
}
