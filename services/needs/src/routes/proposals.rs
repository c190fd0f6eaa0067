//! Proposals of a needs assessment: proposals for joint action drawn from the report
//! (`/joint-action-proposals`), and proposals about needs sent by NPOs
//! (`/npo-proposals`).

use actix_web::{HttpResponse, get, post, web};
use common_models::AssessmentStatus;
use common_models::event::needs::{PROPOSAL_AGREED, ProposalAgreed};
use service_kit::audit::{self, Change};
use service_kit::extract::{IdempotencyKey, ValidJson, ValidQuery};
use service_kit::idempotency::Created;
use service_kit::outbox;
use service_kit::pagination::{Page, PageParams};
use service_kit::problem::Problem;
use service_kit::{ApiError, ApiResult, Caller, Role};
use uuid::Uuid;

use super::{Needs, existing, owned, readable, registry};
use crate::domain::proposal::{
    ApprovalInput, JointActionProposal, JointActionProposalInput, NpoProposal, NpoProposalInput,
};
use crate::domain::{Reader, Viewer};
use crate::store::{priorities, proposals};

/// Draft a proposal for joint action from the analysis of a needs assessment.
///
/// The officer of the body only, once the assessment is analysed. Linked priorities
/// must belong to the same assessment.
#[utoipa::path(
    post, path = "/v1/needs-assessments/{id}/joint-action-proposals", tag = "proposals",
    params(("id" = String, Path, description = "Assessment id"), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create return the first response")),
    request_body = JointActionProposalInput,
    responses(
        (status = 201, body = JointActionProposal, headers(("Location" = String))),
        (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)
    ),
    security(("bearer" = []))
)]
#[post("/v1/needs-assessments/{id}/joint-action-proposals")]
pub async fn create_joint_proposal(
    needs: web::Data<Needs>,
    caller: Caller,
    key: IdempotencyKey,
    assessment_id: web::Path<String>,
    body: ValidJson<JointActionProposalInput>,
) -> ApiResult<HttpResponse> {
    let government_body = caller.officer_body()?.to_owned();
    let facts = body.value.parse()?;
    let assessment_id = assessment_id.into_inner();
    let scope = caller.idempotency_scope(&format!(
        "POST /v1/needs-assessments/{assessment_id}/joint-action-proposals"
    ));

    needs
        .create(key, scope, body.raw.clone(), move |conn| {
            let assessment = owned(conn, &assessment_id, &caller)?;
            if !matches!(
                assessment.status,
                AssessmentStatus::Analysed | AssessmentStatus::Published
            ) {
                return Err(ApiError::Conflict(format!(
                    "assessment {assessment_id} is {}; proposals for joint action come from a finished analysis",
                    assessment.status
                )));
            }
            let foreign = priorities::foreign_ids(conn, &assessment_id, &facts.priority_ids)?;
            if !foreign.is_empty() {
                let errors = facts
                    .priority_ids
                    .iter()
                    .enumerate()
                    .filter(|(_, id)| foreign.contains(id))
                    .map(|(index, id)| {
                        service_kit::FieldError::new(
                            format!("/priority_ids/{index}"),
                            format!("{id} is not a priority of assessment {assessment_id}"),
                        )
                    })
                    .collect();
                return Err(ApiError::invalid(errors));
            }
            let id = Uuid::now_v7().to_string();
            proposals::insert_joint(conn, &id, &assessment_id, &facts, &caller.subject, service_kit::now())?;
            audit::record(
                conn,
                Change {
                    entity: "needs_joint_action_proposal",
                    entity_id: &id,
                    action: "created",
                    actor: &caller.subject,
                    government_body: Some(&government_body),
                    fields: &["title".to_owned()],
                },
            )?;
            let proposal = proposals::find_joint(conn, &assessment_id, &id)?
                .ok_or_else(|| ApiError::NotFound(format!("proposal {id}")))?;
            tracing::info!(assessment.id = %assessment_id, proposal.id = %id, "joint action proposal drafted");
            Created::new(
                proposal,
                format!("/v1/needs-assessments/{assessment_id}/joint-action-proposals/{id}"),
                None,
            )
        })
        .await
}

/// List the proposals for joint action of a needs assessment.
///
/// The officer of the body and the ministry.
#[utoipa::path(
    get, path = "/v1/needs-assessments/{id}/joint-action-proposals", tag = "proposals",
    params(("id" = String, Path, description = "Assessment id"), PageParams),
    responses(
        (status = 200, body = inline(Page<JointActionProposal>)), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem)
    ),
    security(("bearer" = []))
)]
#[get("/v1/needs-assessments/{id}/joint-action-proposals")]
pub async fn list_joint_proposals(
    needs: web::Data<Needs>,
    caller: Caller,
    assessment_id: web::Path<String>,
    page: ValidQuery<PageParams>,
) -> ApiResult<HttpResponse> {
    let limit = page.limit()?;
    let after = page.after()?;
    let viewer = Viewer::of(Some(&caller));
    let assessment_id = assessment_id.into_inner();

    let items = needs
        .db
        .run(move |conn| {
            let (record, reader) = readable(conn, &assessment_id, &viewer)?;
            if reader != Reader::Owner {
                return Err(ApiError::Forbidden(format!(
                    "proposals for joint action of {assessment_id} are for the officer of {} and the ministry",
                    record.government_body
                )));
            }
            proposals::list_joint(conn, &record.id, after.as_deref(), limit + 1).map_err(ApiError::from)
        })
        .await?;

    Ok(HttpResponse::Ok().json(Page::from_overfetch(items, limit, |p| p.id.clone())))
}

/// Record that the body's management agreed a proposal for joint action.
///
/// The officer of the body only. A proposal is agreed once.
#[utoipa::path(
    post, path = "/v1/needs-assessments/{id}/joint-action-proposals/{proposal_id}/approval", tag = "proposals",
    params(("id" = String, Path, description = "Assessment id"), ("proposal_id" = String, Path, description = "Proposal id")),
    request_body = ApprovalInput,
    responses(
        (status = 200, body = JointActionProposal), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)
    ),
    security(("bearer" = []))
)]
#[post("/v1/needs-assessments/{id}/joint-action-proposals/{proposal_id}/approval")]
pub async fn approve_joint_proposal(
    needs: web::Data<Needs>,
    caller: Caller,
    path: web::Path<(String, String)>,
    body: ValidJson<ApprovalInput>,
) -> ApiResult<HttpResponse> {
    let government_body = caller.officer_body()?.to_owned();
    let (assessment_id, proposal_id) = path.into_inner();
    let events = needs.events_for(Some(&caller));

    let proposal = needs
        .db
        .transaction(move |conn| {
            let assessment = owned(conn, &assessment_id, &caller)?;
            let current = proposals::find_joint(conn, &assessment_id, &proposal_id)?
                .ok_or_else(|| ApiError::NotFound(format!("proposal {proposal_id}")))?;
            let approval = body
                .value
                .parse(assessment.facts.period_start, common_models::time::today())?;
            if !proposals::agree(conn, &proposal_id, &approval)? {
                return Err(ApiError::Conflict(format!(
                    "proposal {proposal_id} is already {}",
                    current.status
                )));
            }
            audit::record(
                conn,
                Change {
                    entity: "needs_joint_action_proposal",
                    entity_id: &proposal_id,
                    action: "agreed",
                    actor: &caller.subject,
                    government_body: Some(&government_body),
                    fields: &["status".to_owned()],
                },
            )?;
            let payload = ProposalAgreed {
                proposal_id: proposal_id.clone(),
                assessment_id: assessment_id.clone(),
                government_body: government_body.clone(),
                priority_ids: current.priority_ids.clone(),
                agreed_on: approval.approved_on,
            };
            outbox::enqueue(conn, &events.event(PROPOSAL_AGREED, payload)?)?;
            tracing::info!(assessment.id = %assessment_id, proposal.id = %proposal_id, "joint action proposal agreed");
            proposals::find_joint(conn, &assessment_id, &proposal_id)?
                .ok_or_else(|| ApiError::NotFound(format!("proposal {proposal_id}")))
        })
        .await?;
    needs.events_committed();

    Ok(HttpResponse::Ok().json(proposal))
}

/// Send a proposal about society's needs to an assessment that is collecting
/// information.
///
/// NPO users only. The NPO is the one whose BIN the token carries, and it must be in
/// the registry. When the registry cannot be reached, the response is 503 and nothing
/// is stored.
#[utoipa::path(
    post, path = "/v1/needs-assessments/{id}/npo-proposals", tag = "proposals",
    params(("id" = String, Path, description = "Assessment id"), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create return the first response")),
    request_body = NpoProposalInput,
    responses(
        (status = 201, body = NpoProposal), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem),
        (status = 503, body = Problem, headers(("Retry-After" = u32)))
    ),
    security(("bearer" = []))
)]
#[post("/v1/needs-assessments/{id}/npo-proposals")]
pub async fn create_npo_proposal(
    needs: web::Data<Needs>,
    caller: Caller,
    key: IdempotencyKey,
    assessment_id: web::Path<String>,
    body: ValidJson<NpoProposalInput>,
) -> ApiResult<HttpResponse> {
    caller.require(&[Role::Npo])?;
    let bin = caller
        .bin()
        .cloned()
        .ok_or_else(|| ApiError::Forbidden("the token of an NPO user carries no BIN".into()))?;
    let facts = body.value.parse()?;
    if let Some(territory) = &facts.territory {
        registry::territory_name(&needs, territory, "/territory").await?;
    }
    let assessment_id = assessment_id.into_inner();
    let proposer = registry::npo_by_bin(&needs, &bin).await?.ok_or_else(|| {
        ApiError::field(
            "#/token/bin",
            format!("no NPO with BIN {bin} is in the registry; an officer registers it first"),
        )
    })?;
    let scope = caller.idempotency_scope(&format!(
        "POST /v1/needs-assessments/{assessment_id}/npo-proposals"
    ));

    needs
        .create(key, scope, body.raw.clone(), move |conn| {
            let assessment = existing(conn, &assessment_id)?;
            if assessment.status == AssessmentStatus::Draft {
                return Err(ApiError::NotFound(format!("needs assessment {assessment_id}")));
            }
            if assessment.status != AssessmentStatus::Collecting {
                return Err(ApiError::Conflict(format!(
                    "assessment {assessment_id} is {}; it takes NPO proposals only while collecting information",
                    assessment.status
                )));
            }
            let id = Uuid::now_v7().to_string();
            let proposal = proposals::insert_npo(
                conn,
                &id,
                &assessment_id,
                &proposer,
                &facts,
                &caller.subject,
                service_kit::now(),
            )?;
            audit::record(
                conn,
                Change {
                    entity: "needs_npo_proposal",
                    entity_id: &id,
                    action: "created",
                    actor: &caller.subject,
                    government_body: None,
                    fields: &["text".to_owned()],
                },
            )?;
            tracing::info!(assessment.id = %assessment_id, proposal.id = %id, npo.id = %proposer.id, "NPO proposal received");
            Created::new(
                proposal,
                format!("/v1/needs-assessments/{assessment_id}/npo-proposals"),
                None,
            )
        })
        .await
}

/// List the NPO proposals of a needs assessment in arrival order.
///
/// The officer of the body and the ministry see every proposal; an NPO user sees the
/// proposals of its own NPO.
#[utoipa::path(
    get, path = "/v1/needs-assessments/{id}/npo-proposals", tag = "proposals",
    params(("id" = String, Path, description = "Assessment id"), PageParams),
    responses(
        (status = 200, body = inline(Page<NpoProposal>)), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem)
    ),
    security(("bearer" = []))
)]
#[get("/v1/needs-assessments/{id}/npo-proposals")]
pub async fn list_npo_proposals(
    needs: web::Data<Needs>,
    caller: Caller,
    assessment_id: web::Path<String>,
    page: ValidQuery<PageParams>,
) -> ApiResult<HttpResponse> {
    let limit = page.limit()?;
    let after = page.after()?;
    let viewer = Viewer::of(Some(&caller));
    let assessment_id = assessment_id.into_inner();

    let items = needs
        .db
        .run(move |conn| {
            let bin = match &viewer {
                Viewer::Npo(bin) => Some(bin.to_string()),
                _ => None,
            };
            // An NPO reads its own proposals at any later stage of an assessment. A draft
            // never took proposals, so it stays hidden.
            let record = existing(conn, &assessment_id)?;
            let hidden = match &bin {
                Some(_) => record.status == AssessmentStatus::Draft,
                None => readable(conn, &assessment_id, &viewer).is_err(),
            };
            if hidden {
                return Err(ApiError::NotFound(format!("needs assessment {assessment_id}")));
            }
            if bin.is_none() && viewer.reader_of(&record.government_body) != Reader::Owner {
                return Err(ApiError::Forbidden(format!(
                    "NPO proposals of {assessment_id} are for the officer of {}, the ministry and the NPOs that sent them",
                    record.government_body
                )));
            }
            proposals::list_npo(conn, &record.id, bin.as_deref(), after.as_deref(), limit + 1)
                .map_err(ApiError::from)
        })
        .await?;

    Ok(HttpResponse::Ok().json(Page::from_overfetch(items, limit, |p| p.id.clone())))
}
