//! `/v1/recommendations`: recommendations of NPOs, their handling, clarifications and
//! the feedback to their authors.

use actix_web::{HttpResponse, get, post, web};
use common_models::Catalogue;
use common_models::event::recommendations::{
    RECOMMENDATION_CLOSED, RECOMMENDATION_DECIDED, RECOMMENDATION_RECEIVED, RecommendationChanged,
};
use service_kit::audit::{self, Change};
use service_kit::extract::{IdempotencyKey, IfMatch, ValidJson, ValidQuery, etag};
use service_kit::idempotency::Created;
use service_kit::outbox;
use service_kit::pagination::{Page, PageParams};
use service_kit::problem::Problem;
use service_kit::{AnyConnection, ApiError, ApiResult, Caller, Role};
use uuid::Uuid;

use super::{Recommendations, registry};
use crate::domain::recommendation::{
    AnswerInput, AuthorKind, DecisionInput, FeedbackInput, Initiator, QuestionInput,
    Recommendation, RecommendationInput, Status, check_closable, required_text,
};
use crate::store::recommendations::{self as store, Author, Scope};

const ENTITY: &str = "recommendation";
/// Maximum number of clarifications of one recommendation.
const MAX_CLARIFICATIONS: usize = 20;

/// Relation of a caller to a recommendation, which decides what it reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reader {
    /// The body's officer or the ministry.
    Body,
    /// The NPO that wrote it.
    Author,
}

/// Loads a recommendation the caller may read; anyone else gets 404.
fn readable(
    conn: &mut AnyConnection,
    id: &str,
    caller: &Caller,
) -> Result<(Recommendation, Reader), ApiError> {
    let found = store::find(conn, id)?;
    let reader = found.as_ref().and_then(|r| match caller.role {
        Role::Ministry => Some(Reader::Body),
        Role::Officer if caller.body() == Some(r.government_body.as_str()) => Some(Reader::Body),
        Role::Npo if r.npo_bin.is_some() && caller.bin().map(ToString::to_string) == r.npo_bin => {
            Some(Reader::Author)
        }
        _ => None,
    });
    match (found, reader) {
        (Some(recommendation), Some(reader)) => Ok((recommendation, reader)),
        _ => Err(ApiError::NotFound(format!("recommendation {id}"))),
    }
}

/// Loads a recommendation of the calling officer's body, for a change.
fn owned(conn: &mut AnyConnection, id: &str, caller: &Caller) -> Result<Recommendation, ApiError> {
    caller.officer_body()?;
    match readable(conn, id, caller)? {
        (recommendation, Reader::Body) => Ok(recommendation),
        _ => Err(ApiError::NotFound(format!("recommendation {id}"))),
    }
}

fn changed(recommendation: &Recommendation) -> RecommendationChanged {
    RecommendationChanged {
        recommendation_id: recommendation.id.clone(),
        government_body: recommendation.government_body.clone(),
        sphere: recommendation.sphere.code().to_owned(),
        npo_id: recommendation.npo_id.clone(),
        status: recommendation.status.code().to_owned(),
        received_on: recommendation.received_on,
        answered_on: recommendation.answered_on,
    }
}

fn respond(recommendation: &Recommendation) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("ETag", etag(recommendation.version)))
        .json(recommendation)
}

/// Submit a recommendation, or record one the body received.
///
/// An NPO user submits for a government body it names. The NPO is the one whose BIN
/// the token carries, and it must be in the registry. An officer records a
/// recommendation received on paper or at a meeting for their own body. Every
/// recommendation is accepted into work at once.
#[utoipa::path(
    post, path = "/v1/recommendations", tag = "recommendations",
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create return the first response")),
    request_body = RecommendationInput,
    responses(
        (status = 201, body = Recommendation, headers(("Location" = String), ("ETag" = String))),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem),
        (status = 503, body = Problem, headers(("Retry-After" = u32)))
    ),
    security(("bearer" = []))
)]
#[post("/v1/recommendations")]
pub async fn create_recommendation(
    service: web::Data<Recommendations>,
    caller: Caller,
    key: IdempotencyKey,
    body: ValidJson<RecommendationInput>,
) -> ApiResult<HttpResponse> {
    caller.require(&[Role::Npo, Role::Officer])?;
    let today = common_models::time::today();
    let (government_body, proposal, author) = if caller.role == Role::Npo {
        let (government_body, proposal) = body.value.parse_submission()?;
        let bin = caller
            .bin()
            .cloned()
            .ok_or_else(|| ApiError::Forbidden("the token of an NPO user carries no BIN".into()))?;
        let npo = registry::npo_by_bin(&service, &bin).await?;
        (
            government_body,
            proposal,
            (
                AuthorKind::Npo,
                npo.display_name(),
                Some(npo.id),
                Some(bin.to_string()),
                Initiator::Npo,
                today,
            ),
        )
    } else {
        let government_body = caller.officer_body()?.to_owned();
        let (proposal, recorded) = body.value.parse_recorded(today)?;
        let (name, npo_id, npo_bin) = match &recorded.npo_id {
            Some(id) => {
                let npo = registry::npo_by_id(&service, id, "/npo_id").await?;
                (
                    recorded.name.clone().unwrap_or_else(|| npo.display_name()),
                    Some(npo.id),
                    npo.bin,
                )
            }
            None => (recorded.name.clone().unwrap_or_default(), None, None),
        };
        (
            government_body,
            proposal,
            (
                recorded.kind,
                name,
                npo_id,
                npo_bin,
                recorded.initiator,
                recorded.received_on,
            ),
        )
    };
    let events = service.events_for(Some(&caller));
    let scope = caller.idempotency_scope("POST /v1/recommendations");

    let response = service
        .create(key, scope, body.raw.clone(), move |conn| {
            let (kind, name, npo_id, npo_bin, initiator, received_on) = &author;
            let id = Uuid::now_v7().to_string();
            let author = Author {
                kind: *kind,
                name,
                npo_id: npo_id.as_deref(),
                npo_bin: npo_bin.as_deref(),
                initiator: *initiator,
                received_on: *received_on,
            };
            store::insert(conn, &id, &government_body, &proposal, &author, &caller.subject, service_kit::now())?;
            audit::record(
                conn,
                Change {
                    entity: ENTITY,
                    entity_id: &id,
                    action: "received",
                    actor: &caller.subject,
                    government_body: Some(&government_body),
                    fields: &["text".to_owned()],
                },
            )?;
            let recommendation = store::find(conn, &id)?
                .ok_or_else(|| ApiError::NotFound(format!("recommendation {id}")))?;
            outbox::enqueue(conn, &events.event(RECOMMENDATION_RECEIVED, changed(&recommendation))?)?;
            tracing::info!(recommendation.id = %id, body.id = %government_body, "recommendation accepted into work");
            Created::new(
                &recommendation,
                format!("/v1/recommendations/{id}"),
                Some(etag(recommendation.version)),
            )
        })
        .await?;
    service.events_committed();
    Ok(response)
}

/// List recommendations in arrival order.
///
/// An officer lists those of their body, the ministry all, and an NPO user those of
/// its own NPO.
#[utoipa::path(
    get, path = "/v1/recommendations", tag = "recommendations", params(PageParams),
    responses((status = 200, body = inline(Page<Recommendation>)), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = []))
)]
#[get("/v1/recommendations")]
pub async fn list_recommendations(
    service: web::Data<Recommendations>,
    caller: Caller,
    page: ValidQuery<PageParams>,
) -> ApiResult<HttpResponse> {
    let scope = match caller.role {
        Role::Officer => Scope::Body(caller.officer_body()?.to_owned()),
        Role::Ministry => Scope::Everything,
        Role::Npo => Scope::Bin(caller.bin().map(ToString::to_string).ok_or_else(|| {
            ApiError::Forbidden("the token of an NPO user carries no BIN".into())
        })?),
        Role::Integrator => {
            return Err(ApiError::Forbidden(
                "integrators do not read recommendations".into(),
            ));
        }
    };
    let limit = page.limit()?;
    let after = page.after()?;
    let items = service
        .db
        .run(move |conn| {
            store::list(conn, &scope, after.as_deref(), limit + 1).map_err(ApiError::from)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_overfetch(items, limit, |r| r.id.clone())))
}

/// Read a recommendation: the body's officer, the ministry, or the NPO that wrote it.
#[utoipa::path(
    get, path = "/v1/recommendations/{id}", tag = "recommendations",
    params(("id" = String, Path, description = "Recommendation id")),
    responses((status = 200, body = Recommendation, headers(("ETag" = String))), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/v1/recommendations/{id}")]
pub async fn get_recommendation(
    service: web::Data<Recommendations>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let (recommendation, _) = service
        .db
        .run(move |conn| readable(conn, &id, &caller))
        .await?;
    Ok(respond(&recommendation))
}

/// Stores a change of status, reason or feedback with its audit entry and event.
fn store_change(
    conn: &mut AnyConnection,
    caller: &Caller,
    events: &service_kit::app::EventFactory,
    current: &Recommendation,
    next: (
        Status,
        Option<&str>,
        Option<&str>,
        Option<chrono::NaiveDate>,
    ),
    event_type: Option<&str>,
    action: &str,
) -> Result<Recommendation, ApiError> {
    let (status, reason, feedback, answered_on) = next;
    if !store::update(
        conn,
        current,
        status,
        reason,
        feedback,
        answered_on,
        service_kit::now(),
    )? {
        return Err(ApiError::PreconditionFailed);
    }
    audit::record(
        conn,
        Change {
            entity: ENTITY,
            entity_id: &current.id,
            action,
            actor: &caller.subject,
            government_body: Some(&current.government_body),
            fields: &["status".to_owned()],
        },
    )?;
    let updated = store::find(conn, &current.id)?
        .ok_or_else(|| ApiError::NotFound(format!("recommendation {}", current.id)))?;
    if let Some(event_type) = event_type {
        outbox::enqueue(conn, &events.event(event_type, changed(&updated))?)?;
    }
    tracing::info!(recommendation.id = %current.id, status = status.code(), "recommendation changed");
    Ok(updated)
}

fn check_open(recommendation: &Recommendation) -> Result<(), ApiError> {
    if recommendation.status == Status::Closed {
        return Err(ApiError::Conflict(format!(
            "recommendation {} is closed",
            recommendation.id
        )));
    }
    Ok(())
}

/// Record how the body handles a recommendation: forwarded, rejected with a reason,
/// included in plans or implemented.
///
/// The body's officer only, with `If-Match`.
#[utoipa::path(
    post, path = "/v1/recommendations/{id}/decision", tag = "recommendations",
    params(("id" = String, Path, description = "Recommendation id"), ("If-Match" = String, Header, description = "ETag from the last read")),
    request_body = DecisionInput,
    responses(
        (status = 200, body = Recommendation, headers(("ETag" = String))), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem), (status = 428, body = Problem)
    ),
    security(("bearer" = []))
)]
#[post("/v1/recommendations/{id}/decision")]
pub async fn decide(
    service: web::Data<Recommendations>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ValidJson<DecisionInput>,
) -> ApiResult<HttpResponse> {
    caller.officer_body()?;
    let (handling, reason) = body.value.parse()?;
    let id = id.into_inner();
    let events = service.events_for(Some(&caller));
    let updated = service
        .db
        .transaction(move |conn| {
            let current = owned(conn, &id, &caller)?;
            if_match.check(&etag(current.version))?;
            check_open(&current)?;
            store_change(
                conn,
                &caller,
                &events,
                &current,
                (
                    handling,
                    reason.as_deref(),
                    current.feedback.as_deref(),
                    current.answered_on,
                ),
                Some(RECOMMENDATION_DECIDED),
                "decided",
            )
        })
        .await?;
    service.events_committed();
    Ok(respond(&updated))
}

/// Give the author feedback on a recommendation.
///
/// The body's officer only, with `If-Match`.
#[utoipa::path(
    post, path = "/v1/recommendations/{id}/feedback", tag = "recommendations",
    params(("id" = String, Path, description = "Recommendation id"), ("If-Match" = String, Header, description = "ETag from the last read")),
    request_body = FeedbackInput,
    responses(
        (status = 200, body = Recommendation, headers(("ETag" = String))), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem), (status = 428, body = Problem)
    ),
    security(("bearer" = []))
)]
#[post("/v1/recommendations/{id}/feedback")]
pub async fn give_feedback(
    service: web::Data<Recommendations>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ValidJson<FeedbackInput>,
) -> ApiResult<HttpResponse> {
    caller.officer_body()?;
    let feedback = required_text("/feedback", &body.value.feedback)?;
    let id = id.into_inner();
    let events = service.events_for(Some(&caller));
    let updated = service
        .db
        .transaction(move |conn| {
            let current = owned(conn, &id, &caller)?;
            if_match.check(&etag(current.version))?;
            check_open(&current)?;
            let today = common_models::time::today();
            store_change(
                conn,
                &caller,
                &events,
                &current,
                (
                    current.status,
                    current.reason.as_deref(),
                    Some(&feedback),
                    Some(today),
                ),
                None,
                "answered",
            )
        })
        .await?;
    Ok(respond(&updated))
}

/// Close a recommendation once it is decided and its author got feedback.
///
/// The body's officer only, with `If-Match`. A 409 lists what is missing.
#[utoipa::path(
    post, path = "/v1/recommendations/{id}/close", tag = "recommendations",
    params(("id" = String, Path, description = "Recommendation id"), ("If-Match" = String, Header, description = "ETag from the last read")),
    responses(
        (status = 200, body = Recommendation, headers(("ETag" = String))), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 412, body = Problem), (status = 428, body = Problem)
    ),
    security(("bearer" = []))
)]
#[post("/v1/recommendations/{id}/close")]
pub async fn close(
    service: web::Data<Recommendations>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    caller.officer_body()?;
    let id = id.into_inner();
    let events = service.events_for(Some(&caller));
    let updated = service
        .db
        .transaction(move |conn| {
            let current = owned(conn, &id, &caller)?;
            if_match.check(&etag(current.version))?;
            check_open(&current)?;
            check_closable(&current)?;
            store_change(
                conn,
                &caller,
                &events,
                &current,
                (
                    Status::Closed,
                    current.reason.as_deref(),
                    current.feedback.as_deref(),
                    current.answered_on,
                ),
                Some(RECOMMENDATION_CLOSED),
                "closed",
            )
        })
        .await?;
    service.events_committed();
    Ok(respond(&updated))
}

/// Ask the author of a recommendation for a clarification.
///
/// The body's officer only, while the recommendation is open.
#[utoipa::path(
    post, path = "/v1/recommendations/{id}/clarification-requests", tag = "recommendations",
    params(("id" = String, Path, description = "Recommendation id")),
    request_body = QuestionInput,
    responses(
        (status = 201, body = Recommendation), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)
    ),
    security(("bearer" = []))
)]
#[post("/v1/recommendations/{id}/clarification-requests")]
pub async fn ask_clarification(
    service: web::Data<Recommendations>,
    caller: Caller,
    id: web::Path<String>,
    body: ValidJson<QuestionInput>,
) -> ApiResult<HttpResponse> {
    caller.officer_body()?;
    let question = required_text("/question", &body.value.question)?;
    let id = id.into_inner();
    let updated = service
        .db
        .transaction(move |conn| {
            let current = owned(conn, &id, &caller)?;
            check_open(&current)?;
            if current.clarifications.len() >= MAX_CLARIFICATIONS {
                return Err(ApiError::Conflict(format!(
                    "recommendation {id} already has {MAX_CLARIFICATIONS} clarifications"
                )));
            }
            let number = current.clarifications.len() as i32 + 1;
            store::ask(conn, &id, number, &question, common_models::time::today())?;
            audit::record(
                conn,
                Change {
                    entity: ENTITY,
                    entity_id: &id,
                    action: "clarification_asked",
                    actor: &caller.subject,
                    government_body: Some(&current.government_body),
                    fields: &["clarifications".to_owned()],
                },
            )?;
            tracing::info!(recommendation.id = %id, clarification = number, "clarification asked");
            store::find(conn, &id)?
                .ok_or_else(|| ApiError::NotFound(format!("recommendation {id}")))
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(("ETag", etag(updated.version)))
        .json(updated))
}

/// Answer a clarification, as the NPO that wrote the recommendation.
#[utoipa::path(
    post, path = "/v1/recommendations/{id}/clarifications/{number}/answer", tag = "recommendations",
    params(("id" = String, Path, description = "Recommendation id"), ("number" = i32, Path, description = "Clarification number, from 1")),
    request_body = AnswerInput,
    responses(
        (status = 200, body = Recommendation), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)
    ),
    security(("bearer" = []))
)]
#[post("/v1/recommendations/{id}/clarifications/{number}/answer")]
pub async fn answer_clarification(
    service: web::Data<Recommendations>,
    caller: Caller,
    path: web::Path<(String, i32)>,
    body: ValidJson<AnswerInput>,
) -> ApiResult<HttpResponse> {
    caller.require(&[Role::Npo])?;
    let answer = required_text("/answer", &body.value.answer)?;
    let (id, number) = path.into_inner();
    let updated = service
        .db
        .transaction(move |conn| {
            let (current, reader) = readable(conn, &id, &caller)?;
            if reader != Reader::Author {
                return Err(ApiError::NotFound(format!("recommendation {id}")));
            }
            check_open(&current)?;
            if !current.clarifications.iter().any(|c| c.number == number) {
                return Err(ApiError::NotFound(format!("clarification {number} of recommendation {id}")));
            }
            if !store::answer(conn, &id, number, &answer, common_models::time::today())? {
                return Err(ApiError::Conflict(format!("clarification {number} is already answered")));
            }
            audit::record(
                conn,
                Change {
                    entity: ENTITY,
                    entity_id: &id,
                    action: "clarification_answered",
                    actor: &caller.subject,
                    government_body: Some(&current.government_body),
                    fields: &["clarifications".to_owned()],
                },
            )?;
            tracing::info!(recommendation.id = %id, clarification = number, "clarification answered");
            store::find(conn, &id)?.ok_or_else(|| ApiError::NotFound(format!("recommendation {id}")))
        })
        .await?;
    Ok(HttpResponse::Ok().json(updated))
}
