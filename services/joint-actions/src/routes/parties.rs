//! `/v1/joint-actions/{id}/parties` and `/steps`: who takes part in an action, on
//! which terms, and the agreed sequence of steps.

use actix_web::{HttpResponse, delete, patch, post, web};
use service_kit::audit::{self, Change};
use service_kit::extract::{IdempotencyKey, IfMatch, ValidJson, etag};
use service_kit::idempotency::Created;
use service_kit::problem::Problem;
use service_kit::{ApiError, ApiResult, Caller};
use uuid::Uuid;

use super::actions::{ENTITY, owned};
use super::{JointActions, registry};
use crate::domain::action::{
    Party, PartyInput, PartyKind, PartyPatch, PartyTerms, Step, StepInput, is_open,
};
use crate::store::actions;

fn check_open(action: &crate::domain::action::Action) -> Result<(), ApiError> {
    if !is_open(action.status) {
        return Err(ApiError::Conflict(format!(
            "action {} is {}; parties and steps are fixed once the work starts",
            action.id, action.status
        )));
    }
    Ok(())
}

/// Add a party to a joint action: an NPO of the registry, a government body or another
/// participant, with its zone of responsibility, representative and consent.
///
/// The officer of the body only, while the action is a draft or agreed.
#[utoipa::path(
    post, path = "/v1/joint-actions/{id}/parties", tag = "actions",
    params(("id" = String, Path, description = "Action id"), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create return the first response")),
    request_body = PartyInput,
    responses(
        (status = 201, body = Party), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem),
        (status = 503, body = Problem, headers(("Retry-After" = u32)))
    ),
    security(("bearer" = []))
)]
#[post("/v1/joint-actions/{id}/parties")]
pub async fn add_party(
    service: web::Data<JointActions>,
    caller: Caller,
    key: IdempotencyKey,
    action_id: web::Path<String>,
    body: ValidJson<PartyInput>,
) -> ApiResult<HttpResponse> {
    caller.officer_body()?;
    let facts = body.value.parse(common_models::time::today())?;
    let action_id = action_id.into_inner();
    let registered = match (&facts.kind, &facts.npo_id) {
        (PartyKind::Npo, Some(npo_id)) => Some(registry::npo(&service, npo_id, "/npo_id").await?),
        _ => None,
    };
    let scope = caller.idempotency_scope(&format!("POST /v1/joint-actions/{action_id}/parties"));

    service
        .create(key, scope, body.raw.clone(), move |conn| {
            let action = owned(conn, &action_id, &caller)?;
            check_open(&action)?;
            let mut facts = facts;
            let name = match &registered {
                Some(npo) => {
                    // A merged id resolves to the kept NPO, whose id is stored.
                    facts.npo_id = Some(npo.id.clone());
                    npo.display_name()
                }
                None => facts.name.clone().unwrap_or_default(),
            };
            let same_name = facts.kind != PartyKind::Npo
                && action
                    .parties
                    .iter()
                    .any(|p| p.kind == facts.kind && p.name.to_lowercase() == name.to_lowercase());
            if same_name {
                return Err(ApiError::Conflict(format!(
                    "{name} is already a party to action {action_id}"
                )));
            }
            if let Some(npo_id) = &facts.npo_id
                && action
                    .parties
                    .iter()
                    .any(|p| p.npo_id.as_ref() == Some(npo_id))
            {
                return Err(ApiError::Conflict(format!(
                    "NPO {npo_id} is already a party to action {action_id}"
                )));
            }
            let id = Uuid::now_v7().to_string();
            let now = service_kit::now();
            actions::insert_party(conn, &id, &action_id, &facts, &name, now)?;
            actions::touch(conn, &action_id, now)?;
            audit::record(
                conn,
                Change {
                    entity: ENTITY,
                    entity_id: &action_id,
                    action: "party_added",
                    actor: &caller.subject,
                    government_body: Some(&action.government_body),
                    fields: &["parties".to_owned()],
                },
            )?;
            let party = super::actions::load(conn, &action_id)?
                .parties
                .into_iter()
                .find(|p| p.id == id)
                .ok_or_else(|| ApiError::NotFound(format!("party {id}")))?;
            tracing::info!(action.id = %action_id, party.id = %id, "party added to joint action");
            Created::new(
                party,
                format!("/v1/joint-actions/{action_id}/parties/{id}"),
                None,
            )
        })
        .await
}

/// Change a party's zone of responsibility, representative or consent.
///
/// The officer of the body only, while the action is a draft or agreed, with
/// `If-Match` carrying the action's ETag. Fields left out stay as they are, and `null`
/// clears one. The response's ETag is the action's new one.
#[utoipa::path(
    patch, path = "/v1/joint-actions/{id}/parties/{party_id}", tag = "actions",
    params(("id" = String, Path, description = "Action id"), ("party_id" = String, Path, description = "Party id"), ("If-Match" = String, Header, description = "ETag of the action from the last read")),
    request_body = PartyPatch,
    responses(
        (status = 200, body = Party, headers(("ETag" = String))), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 412, body = Problem),
        (status = 422, body = Problem), (status = 428, body = Problem)
    ),
    security(("bearer" = []))
)]
#[patch("/v1/joint-actions/{id}/parties/{party_id}")]
pub async fn update_party(
    service: web::Data<JointActions>,
    caller: Caller,
    path: web::Path<(String, String)>,
    if_match: IfMatch,
    body: ValidJson<PartyPatch>,
) -> ApiResult<HttpResponse> {
    caller.officer_body()?;
    let (action_id, party_id) = path.into_inner();

    let (party, version) = service
        .db
        .transaction(move |conn| {
            let action = owned(conn, &action_id, &caller)?;
            if_match.check(&etag(action.version))?;
            check_open(&action)?;
            let current = action
                .parties
                .iter()
                .find(|p| p.id == party_id)
                .ok_or_else(|| ApiError::NotFound(format!("party {party_id}")))?;
            let terms = PartyTerms {
                zone_of_responsibility: current.zone_of_responsibility.clone(),
                representative: current.representative.clone(),
                consent_on: current.consent_on,
                consent_document: current.consent_document.clone(),
            };
            let changed = body.value.apply(&terms, common_models::time::today())?;
            if changed == terms {
                return Ok((current.clone(), action.version));
            }
            let terms = changed;
            actions::update_party(conn, &action_id, &party_id, &terms)?;
            actions::touch(conn, &action_id, service_kit::now())?;
            audit::record(
                conn,
                Change {
                    entity: ENTITY,
                    entity_id: &action_id,
                    action: "party_changed",
                    actor: &caller.subject,
                    government_body: Some(&action.government_body),
                    fields: &["parties".to_owned()],
                },
            )?;
            tracing::info!(action.id = %action_id, party.id = %party_id, "party terms changed");
            let action = super::actions::load(conn, &action_id)?;
            let party = action
                .parties
                .into_iter()
                .find(|p| p.id == party_id)
                .ok_or_else(|| ApiError::NotFound(format!("party {party_id}")))?;
            Ok::<_, ApiError>((party, action.version))
        })
        .await?;

    Ok(HttpResponse::Ok()
        .insert_header(("ETag", etag(version)))
        .json(party))
}

/// Add a step to a joint action: its place in the sequence, deadline and expected
/// result.
///
/// The officer of the body only, while the action is a draft or agreed.
#[utoipa::path(
    post, path = "/v1/joint-actions/{id}/steps", tag = "actions",
    params(("id" = String, Path, description = "Action id"), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create return the first response")),
    request_body = StepInput,
    responses(
        (status = 201, body = Step), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)
    ),
    security(("bearer" = []))
)]
#[post("/v1/joint-actions/{id}/steps")]
pub async fn add_step(
    service: web::Data<JointActions>,
    caller: Caller,
    key: IdempotencyKey,
    action_id: web::Path<String>,
    body: ValidJson<StepInput>,
) -> ApiResult<HttpResponse> {
    caller.officer_body()?;
    let step = body.value.parse(Uuid::now_v7().to_string())?;
    let action_id = action_id.into_inner();
    let scope = caller.idempotency_scope(&format!("POST /v1/joint-actions/{action_id}/steps"));

    service
        .create(key, scope, body.raw.clone(), move |conn| {
            let action = owned(conn, &action_id, &caller)?;
            check_open(&action)?;
            if action.steps.iter().any(|s| s.order == step.order) {
                return Err(ApiError::Conflict(format!(
                    "action {action_id} already has a step {}",
                    step.order
                )));
            }
            let now = service_kit::now();
            actions::insert_step(conn, &action_id, &step, now)?;
            actions::touch(conn, &action_id, now)?;
            audit::record(
                conn,
                Change {
                    entity: ENTITY,
                    entity_id: &action_id,
                    action: "step_added",
                    actor: &caller.subject,
                    government_body: Some(&action.government_body),
                    fields: &["steps".to_owned()],
                },
            )?;
            tracing::info!(action.id = %action_id, step.id = %step.id, "step added to joint action");
            let location = format!("/v1/joint-actions/{action_id}/steps/{}", step.id);
            Created::new(step, location, None)
        })
        .await
}

/// Part of an action that a removal concerns.
#[derive(Debug, Clone, Copy)]
enum Part {
    Party,
    Step,
}

impl Part {
    fn name(self) -> &'static str {
        match self {
            Self::Party => "party",
            Self::Step => "step",
        }
    }
}

/// Removes a party or a step of an open action, with `If-Match` on the action.
async fn remove(
    service: &JointActions,
    caller: Caller,
    action_id: String,
    part_id: String,
    if_match: IfMatch,
    part: Part,
) -> ApiResult<HttpResponse> {
    caller.officer_body()?;
    let version = service
        .db
        .transaction(move |conn| {
            let action = owned(conn, &action_id, &caller)?;
            if_match.check(&etag(action.version))?;
            check_open(&action)?;
            let removed = match part {
                Part::Party => actions::delete_party(conn, &action_id, &part_id)?,
                Part::Step => actions::delete_step(conn, &action_id, &part_id)?,
            };
            if !removed {
                return Err(ApiError::NotFound(format!("{} {part_id}", part.name())));
            }
            actions::touch(conn, &action_id, service_kit::now())?;
            audit::record(
                conn,
                Change {
                    entity: ENTITY,
                    entity_id: &action_id,
                    action: match part {
                        Part::Party => "party_removed",
                        Part::Step => "step_removed",
                    },
                    actor: &caller.subject,
                    government_body: Some(&action.government_body),
                    fields: &[format!("{}s", part.name())],
                },
            )?;
            tracing::info!(action.id = %action_id, part = part.name(), part.id = %part_id, "removed from joint action");
            Ok::<_, ApiError>(action.version + 1)
        })
        .await?;
    Ok(HttpResponse::NoContent()
        .insert_header(("ETag", etag(version)))
        .finish())
}

/// Remove a party from a joint action that is a draft or agreed.
///
/// The officer of the body only, with `If-Match` carrying the action's ETag. The
/// response's ETag is the action's new one.
#[utoipa::path(
    delete, path = "/v1/joint-actions/{id}/parties/{party_id}", tag = "actions",
    params(("id" = String, Path, description = "Action id"), ("party_id" = String, Path, description = "Party id"), ("If-Match" = String, Header, description = "ETag of the action from the last read")),
    responses(
        (status = 204, description = "Removed", headers(("ETag" = String))), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 412, body = Problem),
        (status = 428, body = Problem)
    ),
    security(("bearer" = []))
)]
#[delete("/v1/joint-actions/{id}/parties/{party_id}")]
pub async fn remove_party(
    service: web::Data<JointActions>,
    caller: Caller,
    path: web::Path<(String, String)>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let (action_id, party_id) = path.into_inner();
    remove(&service, caller, action_id, party_id, if_match, Part::Party).await
}

/// Remove a step from a joint action that is a draft or agreed.
///
/// The officer of the body only, with `If-Match` carrying the action's ETag. The
/// response's ETag is the action's new one.
#[utoipa::path(
    delete, path = "/v1/joint-actions/{id}/steps/{step_id}", tag = "actions",
    params(("id" = String, Path, description = "Action id"), ("step_id" = String, Path, description = "Step id"), ("If-Match" = String, Header, description = "ETag of the action from the last read")),
    responses(
        (status = 204, description = "Removed", headers(("ETag" = String))), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 412, body = Problem),
        (status = 428, body = Problem)
    ),
    security(("bearer" = []))
)]
#[delete("/v1/joint-actions/{id}/steps/{step_id}")]
pub async fn remove_step(
    service: web::Data<JointActions>,
    caller: Caller,
    path: web::Path<(String, String)>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let (action_id, step_id) = path.into_inner();
    remove(&service, caller, action_id, step_id, if_match, Part::Step).await
}
