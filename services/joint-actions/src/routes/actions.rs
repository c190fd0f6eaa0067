//! `/v1/joint-actions`: joint actions, their lifecycle and their final evaluation.

use actix_web::{HttpResponse, get, patch, post, web};
use common_models::event::joint_actions::{
    ACTION_STATE_CHANGED, EVALUATION_COMPLETED, EvaluationCompleted,
};
use common_models::{ActionStatus, Catalogue};
use serde::Deserialize;
use service_kit::app::EventFactory;
use service_kit::audit::{self, Change};
use service_kit::extract::{IdempotencyKey, IfMatch, ValidJson, ValidQuery, etag};
use service_kit::idempotency::Created;
use service_kit::outbox;
use service_kit::pagination::{Page, PageParams};
use service_kit::problem::Problem;
use service_kit::{AnyConnection, ApiError, ApiResult, Caller};
use utoipa::IntoParams;
use uuid::Uuid;

use super::{JointActions, check_read, check_write, reading_scope, registry};
use crate::domain::action::{
    Action, ActionInput, ActionPatch, EvaluationInput, StatusChange, allowed, check_ready, is_open,
};
use crate::domain::parse_code;
use crate::store::{actions, monitoring};

/// Audit trail entity name of actions.
pub(crate) const ENTITY: &str = "joint_action";

/// Start a joint action of the caller's government body, as a draft.
///
/// Officers only. An action an NPO initiated names the NPO, which must be in the
/// registry, and the officer's assessment of how its goals fit the body's spheres.
#[utoipa::path(
    post, path = "/v1/joint-actions", tag = "actions",
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create return the first response")),
    request_body = ActionInput,
    responses(
        (status = 201, body = Action, headers(("Location" = String), ("ETag" = String))),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem), (status = 503, body = Problem, headers(("Retry-After" = u32)))
    ),
    security(("bearer" = []))
)]
#[post("/v1/joint-actions")]
pub async fn create_action(
    service: web::Data<JointActions>,
    caller: Caller,
    key: IdempotencyKey,
    body: ValidJson<ActionInput>,
) -> ApiResult<HttpResponse> {
    let government_body = caller.officer_body()?.to_owned();
    let facts = body.value.parse()?;
    if let Some(npo_id) = &facts.initiating_npo_id {
        registry::npo(&service, npo_id, "/initiating_npo_id").await?;
    }
    if let Some(territory) = &facts.territory {
        registry::check_territory(&service, territory, "/territory").await?;
    }
    let scope = caller.idempotency_scope("POST /v1/joint-actions");

    service
        .create(key, scope, body.raw.clone(), move |conn| {
            let id = Uuid::now_v7().to_string();
            actions::insert(
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
                    entity: ENTITY,
                    entity_id: &id,
                    action: "created",
                    actor: &caller.subject,
                    government_body: Some(&government_body),
                    fields: &["title".to_owned()],
                },
            )?;
            let action = load(conn, &id)?;
            tracing::info!(action.id = %id, body.id = %government_body, "joint action drafted");
            Created::new(
                &action,
                format!("/v1/joint-actions/{id}"),
                Some(etag(action.version)),
            )
        })
        .await
}

/// Loads an action or fails with 404.
pub(crate) fn load(conn: &mut AnyConnection, id: &str) -> Result<Action, ApiError> {
    actions::find(conn, id)?.ok_or_else(|| ApiError::NotFound(format!("joint action {id}")))
}

/// Loads an action that the caller's body carries out, for a change.
pub(crate) fn owned(
    conn: &mut AnyConnection,
    id: &str,
    caller: &Caller,
) -> Result<Action, ApiError> {
    let action = load(conn, id)?;
    check_write(caller, &action.government_body, || {
        format!("joint action {id}")
    })?;
    Ok(action)
}

/// Loads an action the caller may read.
pub(crate) fn readable(
    conn: &mut AnyConnection,
    id: &str,
    caller: &Caller,
) -> Result<Action, ApiError> {
    let action = load(conn, id)?;
    check_read(caller, &action.government_body, || {
        format!("joint action {id}")
    })?;
    Ok(action)
}

/// Filters of the action list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ActionQuery {
    #[param(value_type = Option<ActionStatus>)]
    pub status: Option<String>,
    /// Items per page, 1 to 200 (default 50).
    pub limit: Option<i64>,
    /// Cursor from the previous page.
    pub cursor: Option<String>,
}

/// List joint actions, oldest first.
///
/// An officer lists the actions of their body, the ministry those of every body.
#[utoipa::path(
    get, path = "/v1/joint-actions", tag = "actions", params(ActionQuery),
    responses(
        (status = 200, body = inline(Page<Action>)), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 422, body = Problem)
    ),
    security(("bearer" = []))
)]
#[get("/v1/joint-actions")]
pub async fn list_actions(
    service: web::Data<JointActions>,
    caller: Caller,
    query: ValidQuery<ActionQuery>,
) -> ApiResult<HttpResponse> {
    let body = reading_scope(&caller)?;
    let query = query.into_inner();
    let status = query
        .status
        .as_deref()
        .map(|raw| {
            parse_code::<ActionStatus>(raw).map_err(|m| ApiError::field("#/query/status", m))
        })
        .transpose()?;
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor,
    };
    let limit = page.limit()?;
    let after = page.after()?;

    let items = service
        .db
        .run(move |conn| {
            actions::list(conn, body.as_deref(), status, after.as_deref(), limit + 1)
                .map_err(ApiError::from)
        })
        .await?;

    Ok(HttpResponse::Ok().json(Page::from_overfetch(items, limit, |a| a.id.clone())))
}

/// Read a joint action with its parties and steps.
///
/// The officer of the body and the ministry.
#[utoipa::path(
    get, path = "/v1/joint-actions/{id}", tag = "actions",
    params(("id" = String, Path, description = "Action id")),
    responses(
        (status = 200, body = Action, headers(("ETag" = String))), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem)
    ),
    security(("bearer" = []))
)]
#[get("/v1/joint-actions/{id}")]
pub async fn get_action(
    service: web::Data<JointActions>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let action = service
        .db
        .run(move |conn| readable(conn, &id, &caller))
        .await?;
    Ok(respond(&action))
}

fn respond(action: &Action) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("ETag", etag(action.version)))
        .json(action)
}

/// Change what a joint action is about: title, goals, tasks, spheres, territory, and
/// the fit assessment of an NPO-initiated action.
///
/// The officer of the body only, with `If-Match`, while the action is a draft or
/// agreed. Fields left out stay as they are.
#[utoipa::path(
    patch, path = "/v1/joint-actions/{id}", tag = "actions",
    params(("id" = String, Path, description = "Action id"), ("If-Match" = String, Header, description = "ETag from the last read")),
    request_body = ActionPatch,
    responses(
        (status = 200, body = Action, headers(("ETag" = String))),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 412, body = Problem), (status = 422, body = Problem), (status = 428, body = Problem),
        (status = 503, body = Problem)
    ),
    security(("bearer" = []))
)]
#[patch("/v1/joint-actions/{id}")]
pub async fn update_action(
    service: web::Data<JointActions>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ValidJson<ActionPatch>,
) -> ApiResult<HttpResponse> {
    caller.officer_body()?;
    let id = id.into_inner();
    if let Some(Some(raw)) = &body.value.territory
        && let Ok(territory) = common_models::KatoCode::parse(raw)
    {
        registry::check_territory(&service, &territory, "/territory").await?;
    }

    let action = service
        .db
        .transaction(move |conn| {
            let current = owned(conn, &id, &caller)?;
            if_match.check(&etag(current.version))?;
            if !is_open(current.status) {
                return Err(ApiError::Conflict(format!(
                    "action {id} is {}; what it is about is fixed once the work starts",
                    current.status
                )));
            }
            let facts = body.value.apply(&current)?;
            let territory = facts.territory.as_ref().map(ToString::to_string);
            let changed: Vec<String> = [
                ("title", facts.title != current.title),
                (
                    "fit_assessment",
                    facts.fit_assessment != current.fit_assessment,
                ),
                ("spheres", facts.spheres != current.spheres),
                ("territory", territory != current.territory),
                ("goals", facts.goals != current.goals),
                ("tasks", facts.tasks != current.tasks),
            ]
            .into_iter()
            .filter(|(_, differs)| *differs)
            .map(|(name, _)| name.to_owned())
            .collect();
            if changed.is_empty() {
                return Ok(current);
            }
            let now = service_kit::now();
            if !actions::update_facts(conn, &id, current.version, &facts, now)? {
                return Err(ApiError::PreconditionFailed);
            }
            audit::record(
                conn,
                Change {
                    entity: ENTITY,
                    entity_id: &id,
                    action: "updated",
                    actor: &caller.subject,
                    government_body: Some(&current.government_body),
                    fields: &changed,
                },
            )?;
            tracing::info!(action.id = %id, "joint action changed");
            load(conn, &id)
        })
        .await?;

    Ok(respond(&action))
}

/// Move a joint action to its next stage.
///
/// The officer of the body only, with `If-Match`. The stages are draft, agreed,
/// in_progress, completed and evaluated, and an action can be cancelled before it
/// completes. Agreeing needs goals, tasks, NPOs that consented and steps. Starting the
/// work needs a zone of responsibility and a responsible representative for every
/// party. A 409 lists each missing item.
#[utoipa::path(
    post, path = "/v1/joint-actions/{id}/status", tag = "actions",
    params(("id" = String, Path, description = "Action id"), ("If-Match" = String, Header, description = "ETag from the last read")),
    request_body = StatusChange,
    responses(
        (status = 200, body = Action, headers(("ETag" = String))),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 412, body = Problem), (status = 422, body = Problem), (status = 428, body = Problem)
    ),
    security(("bearer" = []))
)]
#[post("/v1/joint-actions/{id}/status")]
pub async fn change_status(
    service: web::Data<JointActions>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ValidJson<StatusChange>,
) -> ApiResult<HttpResponse> {
    caller.officer_body()?;
    let target = parse_code::<ActionStatus>(body.value.status.trim())
        .map_err(|message| ApiError::field("/status", message))?;
    let id = id.into_inner();
    let events = service.events_for(Some(&caller));

    let action = service
        .db
        .transaction(move |conn| {
            let current = owned(conn, &id, &caller)?;
            if_match.check(&etag(current.version))?;
            if target == ActionStatus::Evaluated && current.status == ActionStatus::Completed {
                return Err(ApiError::Conflict(format!(
                    "action {id} is completed; it becomes evaluated when its evaluation is recorded at /v1/joint-actions/{id}/evaluation"
                )));
            }
            if !allowed(current.status, target) {
                return Err(ApiError::Conflict(format!(
                    "action {id} is {}; it cannot become {target}",
                    current.status
                )));
            }
            check_ready(&current, target)?;
            move_to(conn, &events, &caller, &current, target, None)
        })
        .await?;
    service.events_committed();

    Ok(respond(&action))
}

/// Stores a status change with its audit entry and event, and returns the action as
/// it is after the change.
fn move_to(
    conn: &mut AnyConnection,
    events: &EventFactory,
    caller: &Caller,
    current: &Action,
    target: ActionStatus,
    evaluation: Option<&crate::domain::action::Evaluation>,
) -> Result<Action, ApiError> {
    let today = common_models::time::today();
    if !actions::set_status(conn, current, target, evaluation, today, service_kit::now())? {
        return Err(ApiError::PreconditionFailed);
    }
    let mut fields = vec!["status".to_owned()];
    if evaluation.is_some() {
        fields.push("evaluation".to_owned());
    }
    audit::record(
        conn,
        Change {
            entity: ENTITY,
            entity_id: &current.id,
            action: target.code(),
            actor: &caller.subject,
            government_body: Some(&current.government_body),
            fields: &fields,
        },
    )?;
    let moved = load(conn, &current.id)?;
    let payload = moved.state_changed_event(current.status);
    outbox::enqueue(conn, &events.event(ACTION_STATE_CHANGED, payload)?)?;
    tracing::info!(action.id = %current.id, from = %current.status, to = %target, "joint action moved on");
    Ok(moved)
}

/// Record the final evaluation of a completed joint action, which makes it evaluated.
///
/// The officer of the body only, with `If-Match`.
#[utoipa::path(
    post, path = "/v1/joint-actions/{id}/evaluation", tag = "actions",
    params(("id" = String, Path, description = "Action id"), ("If-Match" = String, Header, description = "ETag from the last read")),
    request_body = EvaluationInput,
    responses(
        (status = 200, body = Action, headers(("ETag" = String))),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 412, body = Problem), (status = 422, body = Problem), (status = 428, body = Problem)
    ),
    security(("bearer" = []))
)]
#[post("/v1/joint-actions/{id}/evaluation")]
pub async fn evaluate_action(
    service: web::Data<JointActions>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ValidJson<EvaluationInput>,
) -> ApiResult<HttpResponse> {
    caller.officer_body()?;
    let evaluation = body.value.parse(common_models::time::today())?;
    let id = id.into_inner();
    let events = service.events_for(Some(&caller));

    let action = service
        .db
        .transaction(move |conn| {
            let current = owned(conn, &id, &caller)?;
            if_match.check(&etag(current.version))?;
            if current.status != ActionStatus::Completed {
                return Err(ApiError::Conflict(format!(
                    "action {id} is {}; it is evaluated once completed",
                    current.status
                )));
            }
            let report = monitoring::rows(conn, &id)?;
            let until = current
                .completed_on
                .unwrap_or_else(common_models::time::today);
            let progress: Vec<_> = report
                .iter()
                .map(|row| row.progress(current.started_on, until))
                .collect();
            let indicators_total = progress.iter().map(|r| r.indicators.len() as i64).sum();
            let indicators_met = progress
                .iter()
                .flat_map(|r| r.indicators.iter())
                .filter(|i| i.met == Some(true))
                .count() as i64;
            let evaluated = move_to(
                conn,
                &events,
                &caller,
                &current,
                ActionStatus::Evaluated,
                Some(&evaluation),
            )?;
            let payload = EvaluationCompleted {
                action_id: id.clone(),
                government_body: current.government_body.clone(),
                indicators_met,
                indicators_total,
            };
            outbox::enqueue(conn, &events.event(EVALUATION_COMPLETED, payload)?)?;
            Ok::<_, ApiError>(evaluated)
        })
        .await?;
    service.events_committed();

    Ok(respond(&action))
}
