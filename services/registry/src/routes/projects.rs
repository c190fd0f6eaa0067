//! `/v1/npos/{id}/projects`: projects of an NPO.

use actix_web::{HttpResponse, get, post, web};
use common_models::Catalogue;
use common_models::event::registry::{PROJECT_RECORDED, ProjectRecorded};
use service_kit::audit::{self, Change};
use service_kit::extract::{IdempotencyKey, ValidJson, ValidQuery};
use service_kit::idempotency::Created;
use service_kit::outbox;
use service_kit::pagination::{Page, PageParams};
use service_kit::{ApiError, ApiResult, Caller};
use uuid::Uuid;

use super::Registry;
use crate::domain::project::{Project, ProjectInput};
use crate::store::npos::{self, Author};
use crate::store::{projects, territories};

/// Record a project of an NPO.
///
/// Officers only.
#[utoipa::path(
    post, path = "/v1/npos/{id}/projects", tag = "projects",
    params(("id" = String, Path, description = "NPO id"), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create return the first response")),
    request_body = ProjectInput,
    responses(
        (status = 201, body = Project, headers(("Location" = String))),
        (status = 403, description = "Only officers record projects", body = service_kit::problem::Problem),
        (status = 404, body = service_kit::problem::Problem), (status = 422, body = service_kit::problem::Problem)
    ),
    security(("bearer" = []))
)]
#[post("/v1/npos/{id}/projects")]
pub async fn create_project(
    registry: web::Data<Registry>,
    caller: Caller,
    key: IdempotencyKey,
    npo_id: web::Path<String>,
    body: ValidJson<ProjectInput>,
) -> ApiResult<HttpResponse> {
    let body_name = caller.officer_body()?.to_owned();
    let facts = body.value.parse()?;
    let npo_id = npo_id.into_inner();
    let events = registry.events_for(Some(&caller));
    let scope = caller.idempotency_scope(&format!("POST /v1/npos/{npo_id}/projects"));

    registry
        .create(key, scope, body.raw.clone(), move |conn| {
            npos::find(conn, &npo_id)?
                .ok_or_else(|| ApiError::NotFound(format!("NPO {npo_id}")))?;
            if let Some(territory) = &facts.territory
                && !territories::unknown(conn, std::slice::from_ref(territory))?.is_empty()
            {
                return Err(ApiError::field(
                    "/territory",
                    format!("{territory} is not in the KATO classifier"),
                ));
            }
            let id = Uuid::now_v7().to_string();
            let now = service_kit::now();
            let author = Author {
                subject: &caller.subject,
                body: Some(&body_name),
            };
            let project = projects::insert(conn, &id, &npo_id, &facts, author, now)?;
            audit::record(
                conn,
                Change {
                    entity: "npo_project",
                    entity_id: &id,
                    action: "created",
                    actor: &caller.subject,
                    government_body: Some(&body_name),
                    fields: &["name".to_owned()],
                },
            )?;
            let payload = ProjectRecorded {
                project_id: id.clone(),
                npo_id: npo_id.clone(),
                sphere: facts.sphere.map(|s| s.code().to_owned()),
                territory: facts.territory.as_ref().map(|t| t.as_str().to_owned()),
                starts_on: facts.starts_on,
                ends_on: facts.ends_on,
                name: Some(facts.name.clone()),
                funding_source: facts.funding_source.clone(),
            };
            outbox::enqueue(conn, &events.event(PROJECT_RECORDED, payload)?)?;
            tracing::info!(npo.id = %npo_id, project.id = %id, "project recorded");
            Created::new(project, format!("/v1/npos/{npo_id}/projects/{id}"), None)
        })
        .await
}

/// List the projects of an NPO.
///
/// Open to everyone: projects hold no personal data.
#[utoipa::path(
    get, path = "/v1/npos/{id}/projects", tag = "projects",
    params(("id" = String, Path, description = "NPO id"), PageParams),
    responses((status = 200, body = inline(Page<Project>)), (status = 404, body = service_kit::problem::Problem))
)]
#[get("/v1/npos/{id}/projects")]
pub async fn list_projects(
    registry: web::Data<Registry>,
    npo_id: web::Path<String>,
    page: ValidQuery<PageParams>,
) -> ApiResult<HttpResponse> {
    let limit = page.limit()?;
    let after = page.after()?;
    let npo_id = npo_id.into_inner();

    let items = registry
        .db
        .run(move |conn| {
            npos::find(conn, &npo_id)?
                .ok_or_else(|| ApiError::NotFound(format!("NPO {npo_id}")))?;
            projects::list_for_npo(conn, &npo_id, after.as_deref(), limit + 1)
                .map_err(ApiError::from)
        })
        .await?;

    Ok(HttpResponse::Ok().json(Page::from_overfetch(items, limit, |p| p.id.clone())))
}

/// Read one project of an NPO.
#[utoipa::path(
    get, path = "/v1/npos/{id}/projects/{project_id}", tag = "projects",
    params(("id" = String, Path, description = "NPO id"), ("project_id" = String, Path, description = "Project id")),
    responses((status = 200, body = Project), (status = 404, body = service_kit::problem::Problem))
)]
#[get("/v1/npos/{id}/projects/{project_id}")]
pub async fn get_project(
    registry: web::Data<Registry>,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (npo_id, project_id) = path.into_inner();
    let lookup = project_id.clone();
    let project = registry
        .db
        .run(move |conn| projects::find(conn, &npo_id, &lookup).map_err(ApiError::from))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("project {project_id}")))?;
    Ok(HttpResponse::Ok().json(project))
}
