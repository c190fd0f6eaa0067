//! `/v1/reception-requests`: NPO representatives asking to be received by the officer.

use actix_web::{HttpResponse, get, post, web};
use common_models::event::recommendations::{RECEPTION_APPOINTED, RECEPTION_REQUESTED};
use serde::Deserialize;
use service_kit::audit::{self, Change};
use service_kit::extract::{IdempotencyKey, ValidJson, ValidQuery};
use service_kit::idempotency::Created;
use service_kit::outbox;
use service_kit::pagination::Page;
use service_kit::problem::Problem;
use service_kit::{ApiError, ApiResult, Caller, Role};
use utoipa::IntoParams;
use uuid::Uuid;

use super::competence::CompetenceMap;
use super::recommendations::acting;
use super::{Recommendations, registry};
use crate::domain::reception::{
    AppointmentInput, ReceptionInput, ReceptionRequest, parse_appointment, parse_request,
};
use crate::domain::{Responsible, text};
use crate::store::officers;
use crate::store::receptions::{self as store, NewRequest};

/// Ask to be received by the officer of a government body, or record such a request.
///
/// An NPO user asks for its NPO, which must be in the registry, and names the body. An
/// officer records a request made in person or by phone for their own body. Publishes
/// `recommendations.reception.requested`.
#[utoipa::path(
    post, path = "/v1/reception-requests", tag = "receptions",
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create return the first response")),
    request_body = ReceptionInput,
    responses(
        (status = 201, body = ReceptionRequest, headers(("Location" = String))), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 422, body = Problem), (status = 503, body = Problem)
    ),
    security(("bearer" = []))
)]
#[post("/v1/reception-requests")]
pub async fn create_request(
    service: web::Data<Recommendations>,
    caller: Caller,
    key: IdempotencyKey,
    body: ValidJson<ReceptionInput>,
) -> ApiResult<HttpResponse> {
    caller.require(&[Role::Npo, Role::Officer])?;
    let today = common_models::time::today();
    let (topic, requested_on) = parse_request(&body.value, today)?;
    let (government_body, npo) = if caller.role == Role::Npo {
        let body_name = text(body.value.government_body.as_deref(), 200)
            .map_err(|message| ApiError::field("/government_body", message))?
            .ok_or_else(|| ApiError::field("/government_body", "name the government body"))?;
        let bin = caller
            .bin()
            .cloned()
            .ok_or_else(|| ApiError::Forbidden("the token of an NPO user carries no BIN".into()))?;
        let npo = registry::npo_by_bin(&service, &bin).await?;
        CompetenceMap::of(&service)
            .check_named_body(&body_name, "/government_body")
            .await?;
        (body_name, Some((npo.id, bin.to_string())))
    } else {
        if body.value.government_body.is_some() {
            return Err(ApiError::field(
                "/government_body",
                "an officer records requests for their own body",
            ));
        }
        (caller.officer_body()?.to_owned(), None)
    };
    let events = service.events_for(Some(&caller));
    let scope = caller.idempotency_scope("POST /v1/reception-requests");

    service
        .create(key, scope, body.raw.clone(), move |conn| {
            let id = Uuid::now_v7().to_string();
            let responsible = match caller.role {
                Role::Officer => Some(acting(&caller)),
                _ => officers::current(conn, &government_body)?,
            };
            let request = NewRequest {
                id: &id,
                government_body: &government_body,
                npo_id: npo.as_ref().map(|(id, _)| id.as_str()),
                npo_bin: npo.as_ref().map(|(_, bin)| bin.as_str()),
                topic: &topic,
                requested_on,
                responsible: responsible.as_ref(),
            };
            store::insert(conn, &request, &caller.subject, service_kit::now())?;
            audit::record(
                conn,
                Change {
                    entity: "reception_request",
                    entity_id: &id,
                    action: "requested",
                    actor: &caller.subject,
                    government_body: Some(&government_body),
                    fields: &["topic".to_owned()],
                },
            )?;
            let mut created = store::find(conn, &id, today)?
                .ok_or_else(|| ApiError::NotFound(format!("reception request {id}")))?;
            outbox::enqueue(conn, &events.event(RECEPTION_REQUESTED, created.payload())?)?;
            if caller.role == Role::Npo {
                Responsible::hide_subject(&mut created.responsible);
            }
            tracing::info!(reception.id = %id, body.id = %government_body, "reception requested");
            Created::new(created, format!("/v1/reception-requests/{id}"), None)
        })
        .await
}

/// Give a reception request an appointment, no later than one month after the
/// request, or record that the representative was received at once.
///
/// The officer of the body only. Both publish `recommendations.reception.appointed`,
/// with status `appointed` or `received`.
#[utoipa::path(
    post, path = "/v1/reception-requests/{id}/appointment", tag = "receptions",
    params(("id" = String, Path, description = "Reception request id")),
    request_body = AppointmentInput,
    responses(
        (status = 200, body = ReceptionRequest), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)
    ),
    security(("bearer" = []))
)]
#[post("/v1/reception-requests/{id}/appointment")]
pub async fn appoint(
    service: web::Data<Recommendations>,
    caller: Caller,
    id: web::Path<String>,
    body: ValidJson<AppointmentInput>,
) -> ApiResult<HttpResponse> {
    let government_body = caller.officer_body()?.to_owned();
    let id = id.into_inner();
    let today = common_models::time::today();
    let events = service.events_for(Some(&caller));

    let updated = service
        .db
        .transaction(move |conn| {
            let current = store::find(conn, &id, today)?
                .filter(|r| r.government_body == government_body)
                .ok_or_else(|| ApiError::NotFound(format!("reception request {id}")))?;
            let (status, day, place) = parse_appointment(&body.value, current.requested_on, today)?;
            if !store::appoint(conn, &id, status, day, place.as_deref(), &acting(&caller))? {
                return Err(ApiError::Conflict(format!(
                    "reception request {id} already has an appointment"
                )));
            }
            audit::record(
                conn,
                Change {
                    entity: "reception_request",
                    entity_id: &id,
                    action: status.code(),
                    actor: &caller.subject,
                    government_body: Some(&government_body),
                    fields: &["appointed_on".to_owned()],
                },
            )?;
            let updated = store::find(conn, &id, today)?
                .ok_or_else(|| ApiError::NotFound(format!("reception request {id}")))?;
            outbox::enqueue(conn, &events.event(RECEPTION_APPOINTED, updated.payload())?)?;
            tracing::info!(reception.id = %id, status = status.code(), "reception appointed");
            Ok(updated)
        })
        .await?;
    service.events_committed();
    Ok(HttpResponse::Ok().json(updated))
}

/// Filters of the reception requests.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReceptionQuery {
    /// Only requests without an appointment, with their age.
    pub waiting: Option<bool>,
}

/// List reception requests, oldest first: an officer's body's, every body's for the
/// ministry, or an NPO user's own.
#[utoipa::path(
    get, path = "/v1/reception-requests", tag = "receptions", params(ReceptionQuery),
    responses((status = 200, body = inline(Page<ReceptionRequest>)), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = []))
)]
#[get("/v1/reception-requests")]
pub async fn list_requests(
    service: web::Data<Recommendations>,
    caller: Caller,
    query: ValidQuery<ReceptionQuery>,
) -> ApiResult<HttpResponse> {
    let (body, bin) = match caller.role {
        Role::Officer => (Some(caller.officer_body()?.to_owned()), None),
        Role::Ministry => (None, None),
        Role::Npo => (
            None,
            Some(caller.bin().map(ToString::to_string).ok_or_else(|| {
                ApiError::Forbidden("the token of an NPO user carries no BIN".into())
            })?),
        ),
        Role::Integrator => {
            return Err(ApiError::Forbidden(
                "integrators do not read reception requests".into(),
            ));
        }
    };
    let waiting = query.waiting.unwrap_or(false);
    let today = common_models::time::today();
    let items = service
        .db
        .run(move |conn| {
            store::list(conn, body.as_deref(), bin.as_deref(), waiting, today)
                .map_err(ApiError::from)
        })
        .await?;
    let mut items = items;
    if caller.role == Role::Npo {
        for item in &mut items {
            Responsible::hide_subject(&mut item.responsible);
        }
    }
    Ok(HttpResponse::Ok().json(Page {
        items,
        next_cursor: None,
    }))
}

/// Read a reception request: the body's officer, the ministry, or the NPO that asked.
#[utoipa::path(
    get, path = "/v1/reception-requests/{id}", tag = "receptions",
    params(("id" = String, Path, description = "Reception request id")),
    responses((status = 200, body = ReceptionRequest), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/v1/reception-requests/{id}")]
pub async fn get_request(
    service: web::Data<Recommendations>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let today = common_models::time::today();
    let found = {
        let id = id.clone();
        service
            .db
            .run(move |conn| store::find(conn, &id, today).map_err(ApiError::from))
            .await?
    };
    let visible = found.filter(|request| match caller.role {
        Role::Ministry => true,
        Role::Officer => caller.body() == Some(request.government_body.as_str()),
        Role::Npo => {
            request.npo_bin.is_some() && caller.bin().map(ToString::to_string) == request.npo_bin
        }
        Role::Integrator => false,
    });
    let mut request =
        visible.ok_or_else(|| ApiError::NotFound(format!("reception request {id}")))?;
    if caller.role == Role::Npo {
        Responsible::hide_subject(&mut request.responsible);
    }
    Ok(HttpResponse::Ok().json(request))
}
