//! `/v1/recommendations`: recommendations of NPOs, their handling, clarifications and
//! the feedback to their authors.

use actix_web::{HttpResponse, get, post, web};
use common_models::Catalogue;
use common_models::event::recommendations::{
    RECOMMENDATION_ANSWERED, RECOMMENDATION_CLOSED, RECOMMENDATION_DECIDED,
    RECOMMENDATION_FORWARDED, RECOMMENDATION_RECEIVED,
};
use serde::{Deserialize, Serialize};
use service_kit::audit::{self, Change};
use service_kit::extract::{IdempotencyKey, IfMatch, ValidJson, ValidQuery, etag};
use service_kit::idempotency::Created;
use service_kit::outbox;
use service_kit::pagination::{Page, PageParams};
use service_kit::problem::Problem;
use service_kit::{AnyConnection, ApiError, ApiResult, Caller, Role};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::competence::CompetenceMap;
use super::{Recommendations, registry};
use crate::domain::Responsible;
use crate::domain::recommendation::{
    AnswerInput, AuthorKind, DecisionInput, FeedbackInput, ForwardingInput, Initiator,
    QuestionInput, Recommendation, RecommendationInput, RoutedBy, Stage, Status, check_closable,
    check_forwardable, check_undecided, required_text,
};
use crate::store::recommendations::{
    self as store, Author, Filter, Intake, Next, OverdueCount, Scope, Step,
};
use crate::store::{calls, officers};

const ENTITY: &str = "recommendation";
/// Maximum number of clarifications of one recommendation.
const MAX_CLARIFICATIONS: usize = 20;

/// Relation of a caller to a recommendation, which decides what it reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reader {
    /// The officer of the body handling it now, or the ministry.
    Body,
    /// The officer of a body that handled it before forwarding it, who reads it
    /// without the author's contacts.
    Previous,
    /// The NPO that wrote it.
    Author,
}

/// Returns how `caller` relates to `recommendation`, if it may read it at all.
fn reader_of(recommendation: &Recommendation, caller: &Caller) -> Option<Reader> {
    match caller.role {
        Role::Ministry => Some(Reader::Body),
        Role::Officer => {
            let body = caller.body()?;
            if body == recommendation.government_body {
                Some(Reader::Body)
            } else if recommendation
                .forwarding
                .iter()
                .any(|f| f.from_body == body)
            {
                Some(Reader::Previous)
            } else {
                None
            }
        }
        Role::Npo
            if recommendation.npo_bin.is_some()
                && caller.bin().map(ToString::to_string) == recommendation.npo_bin =>
        {
            Some(Reader::Author)
        }
        _ => None,
    }
}

/// Returns the recommendation as `reader` may read it.
fn shown_to(mut recommendation: Recommendation, reader: Reader) -> Recommendation {
    match reader {
        Reader::Previous => recommendation.contacts = None,
        Reader::Author => Responsible::hide_subject(&mut recommendation.responsible),
        Reader::Body => {}
    }
    recommendation
}

/// Returns who is responsible after `caller` acts on `current`: the officer already
/// responsible, or the caller when no officer was.
fn responsible_after(current: &Recommendation, caller: &Caller) -> Option<Responsible> {
    current.responsible.clone().or_else(|| Some(acting(caller)))
}

/// Returns the calling officer as the one responsible.
pub fn acting(caller: &Caller) -> Responsible {
    Responsible {
        officer: caller.subject.clone(),
        name: caller.name().map(str::to_owned),
    }
}

/// Loads a recommendation the caller may read; anyone else gets 404.
fn readable(
    conn: &mut AnyConnection,
    id: &str,
    caller: &Caller,
) -> Result<(Recommendation, Reader), ApiError> {
    let found = store::find(conn, id)?;
    let reader = found.as_ref().and_then(|r| reader_of(r, caller));
    match (found, reader) {
        (Some(recommendation), Some(reader)) => Ok((recommendation, reader)),
        _ => Err(ApiError::NotFound(format!("recommendation {id}"))),
    }
}

/// Loads a recommendation the calling officer's body handles, for a change. A body
/// that forwarded it gets 403, and other callers 404.
fn owned(conn: &mut AnyConnection, id: &str, caller: &Caller) -> Result<Recommendation, ApiError> {
    caller.officer_body()?;
    match readable(conn, id, caller)? {
        (recommendation, Reader::Body) => Ok(recommendation),
        (recommendation, Reader::Previous) => Err(ApiError::Forbidden(format!(
            "recommendation {id} was forwarded and {} handles it now",
            recommendation.government_body
        ))),
        _ => Err(ApiError::NotFound(format!("recommendation {id}"))),
    }
}

/// Publishes `event_type` about `recommendation` with the caller's events factory.
fn publish(
    conn: &mut AnyConnection,
    events: &service_kit::app::EventFactory,
    event_type: &str,
    recommendation: &Recommendation,
) -> Result<(), ApiError> {
    outbox::enqueue(conn, &events.event(event_type, recommendation.payload())?)?;
    Ok(())
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
    let deadlines = service.deadlines.clone();
    let (named_body, request_id, proposal, author) = if caller.role == Role::Npo {
        let submission = body.value.parse_submission()?;
        let bin = caller
            .bin()
            .cloned()
            .ok_or_else(|| ApiError::Forbidden("the token of an NPO user carries no BIN".into()))?;
        let npo = registry::npo_by_bin(&service, &bin).await?;
        (
            submission.government_body,
            submission.request_id,
            submission.proposal,
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
            Some(government_body),
            None,
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
    if let Some(territory) = &proposal.territory {
        registry::check_territory(&service, territory, "/territory").await?;
    }
    if caller.role == Role::Npo
        && let Some(named) = &named_body
    {
        CompetenceMap::of(&service)
            .check_named_body(named, "/government_body")
            .await?;
    }
    let events = service.events_for(Some(&caller));
    let scope = caller.idempotency_scope("POST /v1/recommendations");

    let response = service
        .create(key, scope, body.raw.clone(), move |conn| {
            let (kind, name, npo_id, npo_bin, initiator, received_on) = &author;
            let (government_body, initiator) = match (&request_id, npo_id) {
                (Some(request_id), Some(npo_id)) => {
                    let (requesting_body, sphere) =
                        calls::answerable(conn, request_id, npo_id, today)?;
                    if let Some(sphere) = sphere
                        && sphere != proposal.sphere
                    {
                        return Err(ApiError::field(
                            "/sphere",
                            format!("request {request_id} asks for recommendations in sphere {}", sphere.code()),
                        ));
                    }
                    if named_body.as_ref().is_some_and(|named| *named != requesting_body) {
                        return Err(ApiError::field(
                            "/government_body",
                            format!("request {request_id} was sent by {requesting_body}; leave government_body out or name that body"),
                        ));
                    }
                    (requesting_body, Initiator::GovernmentBody)
                }
                _ => (
                    named_body.clone().ok_or_else(|| {
                        ApiError::internal(anyhow::anyhow!("a recommendation passed its checks without a body"))
                    })?,
                    *initiator,
                ),
            };
            let id = Uuid::now_v7().to_string();
            let author = Author {
                kind: *kind,
                name,
                npo_id: npo_id.as_deref(),
                npo_bin: npo_bin.as_deref(),
                initiator,
                received_on: *received_on,
            };
            let responsible = match caller.role {
                Role::Officer => Some(acting(&caller)),
                _ => officers::current(conn, &government_body)?,
            };
            let intake = Intake {
                responsible: responsible.as_ref(),
                due_on: deadlines.due(Stage::Decision, *received_on),
                request_id: request_id.as_deref(),
                created_by: &caller.subject,
            };
            store::insert(conn, &id, &government_body, &proposal, &author, &intake, service_kit::now())?;
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
            publish(conn, &events, RECOMMENDATION_RECEIVED, &recommendation)?;
            tracing::info!(recommendation.id = %id, body.id = %government_body, "recommendation accepted into work");
            Created::new(
                shown_to(recommendation.clone(), if caller.role == Role::Npo { Reader::Author } else { Reader::Body }),
                format!("/v1/recommendations/{id}"),
                Some(etag(recommendation.version)),
            )
        })
        .await?;
    service.events_committed();
    Ok(response)
}

/// Filters of the list of recommendations.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RecommendationQuery {
    /// Only those with this status.
    #[param(value_type = Option<Status>)]
    pub status: Option<String>,
    /// Only those whose current stage is past its due day (`true`; for an officer, at
    /// their own body), or only the others (`false`).
    pub overdue: Option<bool>,
    /// Only those this officer (the subject of their tokens) is responsible for.
    pub responsible: Option<String>,
    /// Only those the body handles now; for the ministry.
    pub government_body: Option<String>,
    /// Items per page, 1 to 200 (default 50).
    pub limit: Option<i64>,
    /// Cursor from the previous page.
    pub cursor: Option<String>,
}

impl RecommendationQuery {
    fn filter(&self, today: chrono::NaiveDate) -> Result<Filter, ApiError> {
        let status = match self.status.as_deref() {
            Some(raw) => Some(Status::from_code(raw).ok_or_else(|| {
                ApiError::field(
                    "#/query/status",
                    format!("unknown status '{raw}'; expected in_work, forwarded, rejected, included_in_plans, implemented or closed"),
                )
            })?),
            None => None,
        };
        Ok(Filter {
            status,
            overdue: self.overdue.map(|overdue| (overdue, today)),
            responsible: self.responsible.clone(),
            government_body: self.government_body.clone(),
        })
    }
}

/// List recommendations in arrival order.
///
/// An officer lists those their body handles now or forwarded, the ministry all, and
/// an NPO user those of its own NPO.
#[utoipa::path(
    get, path = "/v1/recommendations", tag = "recommendations", params(RecommendationQuery),
    responses((status = 200, body = inline(Page<Recommendation>)), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []))
)]
#[get("/v1/recommendations")]
pub async fn list_recommendations(
    service: web::Data<Recommendations>,
    caller: Caller,
    query: ValidQuery<RecommendationQuery>,
) -> ApiResult<HttpResponse> {
    let mut filter = query.filter(common_models::time::today())?;
    // A recommendation the body forwarded is late at the body handling it now, so an
    // officer's overdue list contains their own body's only.
    if caller.role == Role::Officer && query.overdue == Some(true) {
        filter
            .government_body
            .get_or_insert_with(|| caller.body().unwrap_or_default().to_owned());
    }
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor.clone(),
    };
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
            store::list(conn, &scope, &filter, after.as_deref(), limit + 1).map_err(ApiError::from)
        })
        .await?;
    let items = items
        .into_iter()
        .filter_map(|r| reader_of(&r, &caller).map(|reader| shown_to(r, reader)))
        .collect();
    Ok(HttpResponse::Ok().json(Page::from_overfetch(items, limit, |r| r.id.clone())))
}

/// Filter of the overdue counts.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OverdueQuery {
    /// Only this body; an officer may name only their own.
    pub government_body: Option<String>,
}

/// Overdue recommendations per body.
#[derive(Debug, Serialize, ToSchema)]
pub struct OverdueByBody {
    pub items: Vec<OverdueCount>,
}

/// Count the recommendations whose current stage is past its due day, per body.
///
/// An officer gets their own body's count, the ministry every body with one.
#[utoipa::path(
    get, path = "/v1/recommendations/overdue-by-body", tag = "recommendations", params(OverdueQuery),
    responses((status = 200, body = OverdueByBody), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = []))
)]
#[get("/v1/recommendations/overdue-by-body")]
pub async fn overdue_by_body(
    service: web::Data<Recommendations>,
    caller: Caller,
    query: ValidQuery<OverdueQuery>,
) -> ApiResult<HttpResponse> {
    let body = match (caller.reading_scope()?, &query.government_body) {
        (Some(own), Some(asked)) if own != asked => {
            return Err(ApiError::Forbidden(
                "an officer counts the overdue recommendations of their own body".into(),
            ));
        }
        (Some(own), _) => Some(own.to_owned()),
        (None, asked) => asked.clone(),
    };
    let today = common_models::time::today();
    let items = service
        .db
        .run(move |conn| {
            store::overdue_by_body(conn, body.as_deref(), today).map_err(ApiError::from)
        })
        .await?;
    Ok(HttpResponse::Ok().json(OverdueByBody { items }))
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
    let (recommendation, reader) = service
        .db
        .run(move |conn| readable(conn, &id, &caller))
        .await?;
    Ok(respond(&shown_to(recommendation, reader)))
}

/// Stores a change of status, reason or feedback with its audit entry and event.
fn store_change(
    conn: &mut AnyConnection,
    caller: &Caller,
    events: &service_kit::app::EventFactory,
    current: &Recommendation,
    next: &Next<'_>,
    event_type: &str,
    action: &str,
) -> Result<Recommendation, ApiError> {
    let status = next.status;
    let fields = next.changed_fields(current);
    if !store::update(conn, current, next, service_kit::now())? {
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
            fields: &fields,
        },
    )?;
    let updated = store::find(conn, &current.id)?
        .ok_or_else(|| ApiError::NotFound(format!("recommendation {}", current.id)))?;
    publish(conn, events, event_type, &updated)?;
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
        (status = 200, body = Recommendation, headers(("ETag" = String))), (status = 403, description = "Not an officer, or the officer's body forwarded the recommendation to another", body = Problem), (status = 404, body = Problem),
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
    let deadlines = service.deadlines.clone();
    let updated = service
        .db
        .transaction(move |conn| {
            let current = owned(conn, &id, &caller)?;
            if_match.check(&etag(current.version))?;
            check_open(&current)?;
            let today = common_models::time::today();
            let responsible = responsible_after(&current, &caller);
            let next = Next {
                status: handling,
                reason: reason.as_deref(),
                feedback: current.feedback.as_deref(),
                answered_on: current.answered_on,
                // A new decision needs new feedback; feedback already owed keeps its day.
                due_on: match current.stage {
                    Some(Stage::Feedback) => current.due_on,
                    _ => Some(deadlines.due(Stage::Feedback, today)),
                },
                responsible: responsible.as_ref(),
                decided_version: Some(current.version + 1),
                feedback_version: current.feedback_version,
                handling: Some(handling),
                decided_on: Some(today),
            };
            store_change(
                conn,
                &caller,
                &events,
                &current,
                &next,
                RECOMMENDATION_DECIDED,
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
        (status = 200, body = Recommendation, headers(("ETag" = String))), (status = 403, description = "Not an officer, or the officer's body forwarded the recommendation to another", body = Problem), (status = 404, body = Problem),
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
            let responsible = responsible_after(&current, &caller);
            let next = Next {
                status: current.status,
                reason: current.reason.as_deref(),
                feedback: Some(&feedback),
                answered_on: Some(today),
                // An undecided recommendation still owes its decision.
                due_on: current
                    .due_on
                    .filter(|_| current.stage == Some(Stage::Decision)),
                responsible: responsible.as_ref(),
                decided_version: current.decided_version,
                feedback_version: Some(current.version + 1),
                handling: current.handling,
                decided_on: current.decided_on,
            };
            store_change(
                conn,
                &caller,
                &events,
                &current,
                &next,
                RECOMMENDATION_ANSWERED,
                "answered",
            )
        })
        .await?;
    service.events_committed();
    Ok(respond(&updated))
}

/// Close a recommendation once it is decided and its author got feedback.
///
/// The body's officer only, with `If-Match`. A 409 lists what is missing.
#[utoipa::path(
    post, path = "/v1/recommendations/{id}/close", tag = "recommendations",
    params(("id" = String, Path, description = "Recommendation id"), ("If-Match" = String, Header, description = "ETag from the last read")),
    responses(
        (status = 200, body = Recommendation, headers(("ETag" = String))), (status = 403, description = "Not an officer, or the officer's body forwarded the recommendation to another", body = Problem), (status = 404, body = Problem),
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
            let responsible = responsible_after(&current, &caller);
            let next = Next {
                status: Status::Closed,
                reason: current.reason.as_deref(),
                feedback: current.feedback.as_deref(),
                answered_on: current.answered_on,
                due_on: None,
                responsible: responsible.as_ref(),
                decided_version: current.decided_version,
                feedback_version: current.feedback_version,
                handling: current.handling,
                decided_on: current.decided_on,
            };
            store_change(
                conn,
                &caller,
                &events,
                &current,
                &next,
                RECOMMENDATION_CLOSED,
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
        (status = 201, body = Recommendation), (status = 403, description = "Not an officer, or the officer's body forwarded the recommendation to another", body = Problem), (status = 404, body = Problem),
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
    path: web::Path<(String, String)>,
    body: ValidJson<AnswerInput>,
) -> ApiResult<HttpResponse> {
    caller.require(&[Role::Npo])?;
    let answer = required_text("/answer", &body.value.answer)?;
    let (id, raw_number) = path.into_inner();
    let number = raw_number.parse::<i32>().map_err(|_| {
        ApiError::NotFound(format!("clarification {raw_number} of recommendation {id}"))
    })?;
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

/// Forward a recommendation to the competent body, or re-route it.
///
/// The officer of the body handling it, with `If-Match`, while it is undecided.
/// Without `to_body` the competence map of the aggregation service names the body
/// competent for the recommendation's sphere and territory. A recommendation forwarded
/// before is re-routed only with a reason. The receiving body handles it from then on,
/// with a new decision deadline; every step is kept in `forwarding`.
#[utoipa::path(
    post, path = "/v1/recommendations/{id}/forwarding", tag = "recommendations",
    params(("id" = String, Path, description = "Recommendation id"), ("If-Match" = String, Header, description = "ETag from the last read")),
    request_body = ForwardingInput,
    responses(
        (status = 200, body = Recommendation, headers(("ETag" = String))), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 412, body = Problem),
        (status = 422, body = Problem), (status = 428, body = Problem),
        (status = 503, body = Problem, headers(("Retry-After" = u32)))
    ),
    security(("bearer" = []))
)]
#[post("/v1/recommendations/{id}/forwarding")]
pub async fn forward(
    service: web::Data<Recommendations>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ValidJson<ForwardingInput>,
) -> ApiResult<HttpResponse> {
    caller.officer_body()?;
    let id = id.into_inner();
    let current = {
        let (id, caller) = (id.clone(), caller.clone());
        service
            .db
            .run(move |conn| owned(conn, &id, &caller))
            .await?
    };
    if_match.check(&etag(current.version))?;
    check_undecided(&current)?;
    let (named, reason) = body.value.parse(!current.forwarding.is_empty())?;
    let map = CompetenceMap::of(&service);
    let (to_body, routed_by) = match named {
        Some(to_body) => {
            check_forwardable(&current, &to_body)?;
            if !map.has_body(&to_body).await? {
                return Err(ApiError::field(
                    "/to_body",
                    format!("the ministry's register has no government body '{to_body}'"),
                ));
            }
            (to_body, RoutedBy::Officer)
        }
        None => {
            let found = map
                .competent_body(current.sphere, current.territory.as_ref())
                .await?;
            let to_body = found.ok_or_else(|| {
                let territory = current
                    .territory
                    .as_ref()
                    .map_or_else(|| "the whole country".to_owned(), |t| format!("territory {t}"));
                ApiError::field(
                    "/to_body",
                    format!(
                        "the competence map has no body for sphere {} in {territory}; name the receiving body",
                        current.sphere.code()
                    ),
                )
            })?;
            if to_body == current.government_body {
                return Err(ApiError::field(
                    "/to_body",
                    format!(
                        "the competence map names {to_body}, which handles the recommendation already; name the receiving body"
                    ),
                ));
            }
            (to_body, RoutedBy::CompetenceMap)
        }
    };
    check_forwardable(&current, &to_body)?;

    let events = service.events_for(Some(&caller));
    let deadlines = service.deadlines.clone();
    let updated = service
        .db
        .transaction(move |conn| {
            let current = owned(conn, &id, &caller)?;
            if_match.check(&etag(current.version))?;
            check_forwardable(&current, &to_body)?;
            let today = common_models::time::today();
            let responsible = officers::current(conn, &to_body)?;
            let step = Step {
                to_body: &to_body,
                reason: reason.as_deref(),
                routed_by,
                forwarded_on: today,
                forwarded_by: &caller.subject,
            };
            let next = Next {
                status: Status::Forwarded,
                reason: current.reason.as_deref(),
                feedback: current.feedback.as_deref(),
                answered_on: current.answered_on,
                due_on: Some(deadlines.due(Stage::Decision, today)),
                responsible: responsible.as_ref(),
                decided_version: current.decided_version,
                feedback_version: current.feedback_version,
                handling: current.handling,
                decided_on: current.decided_on,
            };
            if !store::forward(conn, &current, &step, &next, service_kit::now())? {
                return Err(ApiError::PreconditionFailed);
            }
            audit::record(
                conn,
                Change {
                    entity: ENTITY,
                    entity_id: &id,
                    action: "forwarded",
                    actor: &caller.subject,
                    government_body: Some(&current.government_body),
                    fields: &["government_body".to_owned(), "forwarding".to_owned()],
                },
            )?;
            let updated = store::find(conn, &id)?
                .ok_or_else(|| ApiError::NotFound(format!("recommendation {id}")))?;
            publish(conn, &events, RECOMMENDATION_FORWARDED, &updated)?;
            tracing::info!(
                recommendation.id = %id,
                from_body = %current.government_body,
                to_body = %to_body,
                routed_by = routed_by.code(),
                "recommendation forwarded"
            );
            Ok(updated)
        })
        .await?;
    service.events_committed();
    // The forwarding body reads it now as a body that handled it before.
    Ok(respond(&shown_to(updated, Reader::Previous)))
}
