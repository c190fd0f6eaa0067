//! Officers of government bodies: appointment, replacement by a successor, dismissal
//! without one, the history of appointments and the list of vacant bodies. Ministry
//! only. Appointments and replacements are announced as events, which other services
//! follow to hand a body's open items to its officer.

use actix_web::{HttpResponse, get, post, web};
use chrono::NaiveDate;
use common_models::event::aggregation::{
    OFFICER_APPOINTED, OFFICER_DISMISSED, OFFICER_REPLACED, OfficerAppointed, OfficerDismissed,
    OfficerReplaced,
};
use serde::Deserialize;
use service_kit::audit::{self, Change};
use service_kit::extract::{IdempotencyKey, IfMatch, ValidJson, ValidQuery, etag};
use service_kit::idempotency::Created;
use service_kit::pagination::{Page, PageParams};
use service_kit::problem::Problem;
use service_kit::{AnyConnection, ApiError, ApiResult, Caller, Role, outbox};
use utoipa::IntoParams;
use uuid::Uuid;

use super::Aggregation;
use super::bodies::find_card;
use crate::domain::bodies::{GovernmentBody, is_body_id};
use crate::domain::officers::{
    Appointment, AppointmentInput, DismissalInput, ReplacementInput, Vacancy,
};
use crate::store::{bodies, officers, profiles};

/// Reads the card of body `id` inside a transaction, or 404.
fn body_card(conn: &mut AnyConnection, id: &str) -> Result<GovernmentBody, ApiError> {
    if !is_body_id(id) {
        return Err(ApiError::NotFound(format!("government body {id}")));
    }
    bodies::find(conn, id)?.ok_or_else(|| ApiError::NotFound(format!("government body {id}")))
}

/// Returns the current appointment of body `id`, or 409 naming `action`.
fn current_officer(
    conn: &mut AnyConnection,
    id: &str,
    action: &str,
) -> Result<Appointment, ApiError> {
    officers::current(conn, id)?.ok_or_else(|| {
        ApiError::Conflict(format!(
            "government body {id} has no officer to {action}; appoint one instead"
        ))
    })
}

/// Builds the 201 response of an officer change: the body's new card.
fn changed_card(conn: &mut AnyConnection, id: &str) -> Result<Created, ApiError> {
    let card = body_card(conn, id)?;
    let version = card.version;
    Created::new(
        card,
        format!("/v1/government-bodies/{id}"),
        Some(etag(version)),
    )
}

/// Appoint the officer of a body that has none.
///
/// Ministry only. The position must be in the catalogue of the body's level and not
/// below its minimum. 409 when the body already has an officer: replace them instead.
/// Publishes `aggregation.officer.appointed`.
#[utoipa::path(
    post, path = "/v1/government-bodies/{id}/officer", tag = "officers",
    params(
        ("id" = String, Path, description = "Government body id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create return the first response")
    ),
    request_body = AppointmentInput,
    responses(
        (status = 201, body = GovernmentBody, headers(("Location" = String), ("ETag" = String))),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)
    ),
    security(("bearer" = []))
)]
#[post("/v1/government-bodies/{id}/officer")]
pub async fn appoint(
    service: web::Data<Aggregation>,
    caller: Caller,
    key: IdempotencyKey,
    id: web::Path<String>,
    body: ValidJson<AppointmentInput>,
) -> ApiResult<HttpResponse> {
    caller.require(&[Role::Ministry])?;
    let id = id.into_inner();
    let today = common_models::time::today();
    let events = service.events_for(Some(&caller));
    let scope = caller.idempotency_scope(&format!("POST /v1/government-bodies/{id}/officer"));
    let ValidJson { value: input, raw } = body;

    service
        .create(key, scope, raw, move |conn| {
            let card = body_card(conn, &id)?;
            if card.officer.is_some() {
                return Err(ApiError::Conflict(format!(
                    "government body {id} already has an officer; replace them instead"
                )));
            }
            let left_on = officers::last_left_on(conn, &id)?;
            let facts = input.parse(card.level, left_on, today)?;
            let appointment_id = Uuid::now_v7().to_string();
            let now = service_kit::now();
            officers::insert(conn, &appointment_id, &id, &facts, &caller.subject, now)?;
            bodies::set_vacant_since(conn, &id, None, now)?;
            audit::record(
                conn,
                Change {
                    entity: "government_body",
                    entity_id: &id,
                    action: "officer_appointed",
                    actor: &caller.subject,
                    government_body: Some(&id),
                    fields: &["officer".to_owned()],
                },
            )?;
            let payload = OfficerAppointed {
                government_body: id.clone(),
                officer: facts.officer.clone(),
                full_name: facts.full_name.clone(),
                appointed_on: facts.appointed_on,
            };
            outbox::enqueue(conn, &events.event(OFFICER_APPOINTED, payload)?)?;
            tracing::info!(body.id = %id, appointment.id = %appointment_id, "officer appointed");
            changed_card(conn, &id)
        })
        .await
}

/// Replace a body's officer, dismissed or transferred, with a successor who takes over
/// their work.
///
/// Ministry only, with `If-Match` carrying the body's ETag. 409 when the body has no
/// officer. The leaving officer's appointment ends on `replaced_on` and stays in the
/// history. Publishes `aggregation.officer.replaced`.
#[utoipa::path(
    post, path = "/v1/government-bodies/{id}/officer/replacement", tag = "officers",
    params(
        ("id" = String, Path, description = "Government body id"),
        ("If-Match" = String, Header, description = "ETag of the body's card from the last read"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create return the first response")
    ),
    request_body = ReplacementInput,
    responses(
        (status = 201, body = GovernmentBody, headers(("Location" = String), ("ETag" = String))),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem),
        (status = 428, body = Problem)
    ),
    security(("bearer" = []))
)]
#[post("/v1/government-bodies/{id}/officer/replacement")]
pub async fn replace(
    service: web::Data<Aggregation>,
    caller: Caller,
    key: IdempotencyKey,
    if_match: IfMatch,
    id: web::Path<String>,
    body: ValidJson<ReplacementInput>,
) -> ApiResult<HttpResponse> {
    caller.require(&[Role::Ministry])?;
    let id = id.into_inner();
    let today = common_models::time::today();
    let events = service.events_for(Some(&caller));
    let scope = caller.idempotency_scope(&format!(
        "POST /v1/government-bodies/{id}/officer/replacement"
    ));
    let ValidJson { value: input, raw } = body;

    service
        .create(key, scope, raw, move |conn| {
            let card = body_card(conn, &id)?;
            if_match.check(&etag(card.version))?;
            let leaving = current_officer(conn, &id, "replace")?;
            let facts = input.parse(card.level, leaving.appointed_on, today)?;
            if facts.successor.officer == leaving.officer {
                return Err(ApiError::field(
                    "/successor/officer",
                    "is the current officer; name the officer who takes over",
                ));
            }
            if !officers::end(
                conn,
                &leaving.id,
                facts.replaced_on,
                facts.reason,
                &caller.subject,
            )? {
                return Err(ApiError::Conflict(format!(
                    "the officer of government body {id} changed meanwhile; read the body again"
                )));
            }
            profiles::delete_photo(conn, &leaving.id)?;
            let appointment_id = Uuid::now_v7().to_string();
            let now = service_kit::now();
            officers::insert(
                conn,
                &appointment_id,
                &id,
                &facts.successor,
                &caller.subject,
                now,
            )?;
            bodies::set_vacant_since(conn, &id, None, now)?;
            audit::record(
                conn,
                Change {
                    entity: "government_body",
                    entity_id: &id,
                    action: "officer_replaced",
                    actor: &caller.subject,
                    government_body: Some(&id),
                    fields: &["officer".to_owned()],
                },
            )?;
            let payload = OfficerReplaced {
                government_body: id.clone(),
                officer: leaving.officer.clone(),
                successor: facts.successor.officer.clone(),
                successor_name: facts.successor.full_name.clone(),
                replaced_on: facts.replaced_on,
            };
            outbox::enqueue(conn, &events.event(OFFICER_REPLACED, payload)?)?;
            tracing::info!(
                body.id = %id,
                ended.id = %leaving.id,
                appointment.id = %appointment_id,
                "officer replaced"
            );
            changed_card(conn, &id)
        })
        .await
}

/// Dismiss a body's officer without a successor; the body is vacant from that day.
///
/// Ministry only, with `If-Match` carrying the body's ETag. 409 when the body has no
/// officer. The appointment ends on `dismissed_on` and stays in the history.
/// Publishes `aggregation.officer.dismissed`.
#[utoipa::path(
    post, path = "/v1/government-bodies/{id}/officer/dismissal", tag = "officers",
    params(
        ("id" = String, Path, description = "Government body id"),
        ("If-Match" = String, Header, description = "ETag of the body's card from the last read")
    ),
    request_body = DismissalInput,
    responses(
        (status = 200, body = GovernmentBody, headers(("ETag" = String))),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem),
        (status = 428, body = Problem)
    ),
    security(("bearer" = []))
)]
#[post("/v1/government-bodies/{id}/officer/dismissal")]
pub async fn dismiss(
    service: web::Data<Aggregation>,
    caller: Caller,
    if_match: IfMatch,
    id: web::Path<String>,
    body: ValidJson<DismissalInput>,
) -> ApiResult<HttpResponse> {
    caller.require(&[Role::Ministry])?;
    let id = id.into_inner();
    let today = common_models::time::today();
    let events = service.events_for(Some(&caller));
    let input = body.value;

    let card = service
        .db
        .transaction(move |conn| {
            let card = body_card(conn, &id)?;
            if_match.check(&etag(card.version))?;
            let leaving = current_officer(conn, &id, "dismiss")?;
            let (reason, dismissed_on) = input.parse(leaving.appointed_on, today)?;
            if !officers::end(conn, &leaving.id, dismissed_on, reason, &caller.subject)? {
                return Err(ApiError::Conflict(format!(
                    "the officer of government body {id} changed meanwhile; read the body again"
                )));
            }
            profiles::delete_photo(conn, &leaving.id)?;
            bodies::set_vacant_since(conn, &id, Some(dismissed_on), service_kit::now())?;
            audit::record(
                conn,
                Change {
                    entity: "government_body",
                    entity_id: &id,
                    action: "officer_dismissed",
                    actor: &caller.subject,
                    government_body: Some(&id),
                    fields: &["officer".to_owned(), "vacant_since".to_owned()],
                },
            )?;
            let payload = OfficerDismissed {
                government_body: id.clone(),
                officer: leaving.officer.clone(),
                dismissed_on,
            };
            outbox::enqueue(conn, &events.event(OFFICER_DISMISSED, payload)?)?;
            tracing::info!(body.id = %id, ended.id = %leaving.id, "officer dismissed; body vacant");
            body_card(conn, &id)
        })
        .await?;
    service.events_committed();
    Ok(HttpResponse::Ok()
        .insert_header(("ETag", etag(card.version)))
        .json(card))
}

/// List every appointment of a body's officers, newest first, with the day and reason
/// each ended. Ministry only.
#[utoipa::path(
    get, path = "/v1/government-bodies/{id}/officers", tag = "officers",
    params(("id" = String, Path, description = "Government body id")),
    responses(
        (status = 200, body = inline(Page<Appointment>)), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem)
    ),
    security(("bearer" = []))
)]
#[get("/v1/government-bodies/{id}/officers")]
pub async fn officer_history(
    service: web::Data<Aggregation>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    caller.require(&[Role::Ministry])?;
    let id = id.into_inner();
    find_card(&service, id.clone()).await?;
    // NOTE: the history is one page; a body has an appointment per officer change,
    // a few per decade.
    let items = service
        .db
        .run(move |conn| officers::history(conn, &id).map_err(ApiError::from))
        .await?;
    Ok(HttpResponse::Ok().json(Page {
        items,
        next_cursor: None,
    }))
}

/// Paging of the vacancy list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct VacancyQuery {
    /// Items per page, 1 to 200 (default 50).
    pub limit: Option<i64>,
    /// Cursor from the previous page.
    pub cursor: Option<String>,
}

/// Splits a vacancy cursor key, `<vacant_since>/<body id>`.
fn vacancy_key(key: &str) -> Result<(NaiveDate, String), ApiError> {
    key.split_once('/')
        .and_then(|(day, id)| Some((day.parse().ok()?, id.to_owned())))
        .ok_or_else(|| ApiError::field("#/query/cursor", "is not a cursor returned by this API"))
}

/// List the bodies without an officer, vacant longest first. Ministry only.
#[utoipa::path(
    get, path = "/v1/vacancies", tag = "officers", params(VacancyQuery),
    responses(
        (status = 200, body = inline(Page<Vacancy>)), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 422, body = Problem)
    ),
    security(("bearer" = []))
)]
#[get("/v1/vacancies")]
pub async fn list_vacancies(
    service: web::Data<Aggregation>,
    caller: Caller,
    query: ValidQuery<VacancyQuery>,
) -> ApiResult<HttpResponse> {
    caller.require(&[Role::Ministry])?;
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor.clone(),
    };
    let limit = page.limit()?;
    let after = page.after()?.as_deref().map(vacancy_key).transpose()?;
    let items = service
        .db
        .run(move |conn| bodies::vacancies(conn, after, limit + 1).map_err(ApiError::from))
        .await?;
    Ok(
        HttpResponse::Ok().json(Page::from_overfetch(items, limit, |v| {
            format!("{}/{}", v.vacant_since, v.government_body)
        })),
    )
}
