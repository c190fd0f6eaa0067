//! `/v1/joint-plans`: joint work plans, their approval, their versions and the
//! changes between them, and the plan as the regulation's form.

use actix_web::{HttpResponse, get, post, put, web};
use common_models::event::joint_actions::{PLAN_APPROVED, PLAN_CHANGED};
use common_models::time::local_date;
use serde::Deserialize;
use service_kit::audit::{self, Change};
use service_kit::export;
use service_kit::extract::{IdempotencyKey, IfMatch, ValidJson, ValidQuery, etag};
use service_kit::idempotency::Created;
use service_kit::outbox;
use service_kit::pagination::{Page, PageParams};
use service_kit::problem::Problem;
use service_kit::{AnyConnection, ApiError, ApiResult, Caller};
use utoipa::IntoParams;
use uuid::Uuid;

use super::{JointActions, check_read, check_write, reading_scope};
use crate::domain::planning::{
    Plan, PlanChanges, PlanInput, PlanRowsInput, PlanStatus, PlanVersion, changes, parse_rows,
    plan_form,
};
use crate::domain::{Errors, text};
use crate::store::planning;

const ENTITY: &str = "joint_plan";

fn load(conn: &mut AnyConnection, id: &str) -> Result<Plan, ApiError> {
    planning::find_plan(conn, id)?.ok_or_else(|| ApiError::NotFound(format!("joint plan {id}")))
}

fn respond(plan: &Plan) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("ETag", etag(plan.revision)))
        .json(plan)
}

/// Draw up a joint work plan, one row per activity.
///
/// Officers only. The plan is a draft until approved; the working group, when named,
/// must be one of the body's.
#[utoipa::path(
    post, path = "/v1/joint-plans", tag = "planning",
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create return the first response")),
    request_body = PlanInput,
    responses(
        (status = 201, body = Plan, headers(("Location" = String), ("ETag" = String))),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)
    ),
    security(("bearer" = []))
)]
#[post("/v1/joint-plans")]
pub async fn create_plan(
    service: web::Data<JointActions>,
    caller: Caller,
    key: IdempotencyKey,
    body: ValidJson<PlanInput>,
) -> ApiResult<HttpResponse> {
    let government_body = caller.officer_body()?.to_owned();
    let mut errors = Errors::default();
    let title = errors
        .check("/title", text(Some(&body.value.title), 300))
        .flatten();
    if title.is_none() && !errors.has("/title") {
        errors.add("/title", "is required");
    }
    let working_group_id = errors
        .check(
            "/working_group_id",
            text(body.value.working_group_id.as_deref(), 64),
        )
        .flatten();
    let rows = parse_rows(&mut errors, &body.value.rows);
    errors.into_result()?;
    let scope = caller.idempotency_scope("POST /v1/joint-plans");

    service
        .create(key, scope, body.raw.clone(), move |conn| {
            if let Some(group_id) = &working_group_id {
                let owned = planning::find_group(conn, group_id)?
                    .is_some_and(|group| group.government_body == government_body);
                if !owned {
                    return Err(ApiError::field(
                        "/working_group_id",
                        format!("{group_id} is not a working group of {government_body}"),
                    ));
                }
            }
            let id = Uuid::now_v7().to_string();
            let now = service_kit::now();
            let plan = planning::NewPlan {
                id: &id,
                government_body: &government_body,
                working_group_id: working_group_id.as_deref(),
                title: title.as_deref().unwrap_or_default(),
                rows: &rows,
            };
            planning::insert_plan(conn, &plan, &caller.subject, now)?;
            let mut fields = vec!["title", "rows"];
            if working_group_id.is_some() {
                fields.push("working_group_id");
            }
            record(conn, &caller, &government_body, &id, "created", &fields)?;
            let plan = load(conn, &id)?;
            tracing::info!(plan.id = %id, body.id = %government_body, "joint plan drafted");
            Created::new(
                &plan,
                format!("/v1/joint-plans/{id}"),
                Some(etag(plan.revision)),
            )
        })
        .await
}

fn record(
    conn: &mut AnyConnection,
    caller: &Caller,
    government_body: &str,
    id: &str,
    action: &str,
    fields: &[&str],
) -> Result<(), ApiError> {
    let fields: Vec<String> = fields.iter().map(|f| (*f).to_owned()).collect();
    audit::record(
        conn,
        Change {
            entity: ENTITY,
            entity_id: id,
            action,
            actor: &caller.subject,
            government_body: Some(government_body),
            fields: &fields,
        },
    )?;
    Ok(())
}

/// List joint plans, oldest first: an officer's body's, or every body's for the
/// ministry.
#[utoipa::path(
    get, path = "/v1/joint-plans", tag = "planning", params(PageParams),
    responses((status = 200, body = inline(Page<Plan>)), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = []))
)]
#[get("/v1/joint-plans")]
pub async fn list_plans(
    service: web::Data<JointActions>,
    caller: Caller,
    page: ValidQuery<PageParams>,
) -> ApiResult<HttpResponse> {
    let body = reading_scope(&caller)?;
    let limit = page.limit()?;
    let after = page.after()?;
    let items = service
        .db
        .run(move |conn| {
            planning::list_plans(conn, body.as_deref(), after.as_deref(), limit + 1)
                .map_err(ApiError::from)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_overfetch(items, limit, |p| p.id.clone())))
}

/// Read a joint plan with the rows of its current version.
#[utoipa::path(
    get, path = "/v1/joint-plans/{id}", tag = "planning",
    params(("id" = String, Path, description = "Plan id")),
    responses((status = 200, body = Plan, headers(("ETag" = String))), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/v1/joint-plans/{id}")]
pub async fn get_plan(
    service: web::Data<JointActions>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let plan = service
        .db
        .run(move |conn| readable(conn, &id, &caller))
        .await?;
    Ok(respond(&plan))
}

fn readable(conn: &mut AnyConnection, id: &str, caller: &Caller) -> Result<Plan, ApiError> {
    let plan = load(conn, id)?;
    check_read(caller, &plan.government_body, || format!("joint plan {id}"))?;
    Ok(plan)
}

/// Replace the rows of a joint plan.
///
/// The officer of the body only, with `If-Match`. A draft changes in place; every
/// change to an approved plan is kept as a new version.
#[utoipa::path(
    put, path = "/v1/joint-plans/{id}/rows", tag = "planning",
    params(("id" = String, Path, description = "Plan id"), ("If-Match" = String, Header, description = "ETag from the last read")),
    request_body = PlanRowsInput,
    responses(
        (status = 200, body = Plan, headers(("ETag" = String))), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem),
        (status = 428, body = Problem)
    ),
    security(("bearer" = []))
)]
#[put("/v1/joint-plans/{id}/rows")]
pub async fn replace_rows(
    service: web::Data<JointActions>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ValidJson<PlanRowsInput>,
) -> ApiResult<HttpResponse> {
    caller.officer_body()?;
    let mut errors = Errors::default();
    let rows = parse_rows(&mut errors, &body.value.rows);
    errors.into_result()?;
    let id = id.into_inner();
    let events = service.events_for(Some(&caller));

    let plan = service
        .db
        .transaction(move |conn| {
            let plan = load(conn, &id)?;
            check_write(&caller, &plan.government_body, || {
                format!("joint plan {id}")
            })?;
            if_match.check(&etag(plan.revision))?;
            if rows == plan.rows {
                return Ok(plan);
            }
            if plan.status == PlanStatus::Approved && rows.is_empty() {
                return Err(ApiError::NotReady {
                    reason: format!("joint plan {id} is approved and keeps at least one activity"),
                    missing: vec![service_kit::FieldError::new(
                        "/rows",
                        "plan at least one activity",
                    )],
                });
            }
            let now = service_kit::now();
            let number = match plan.status {
                PlanStatus::Draft => {
                    planning::replace_version(conn, &id, plan.version, &rows)?;
                    plan.version
                }
                PlanStatus::Approved => {
                    let next = plan.version + 1;
                    planning::insert_version(conn, &id, next, &rows, &caller.subject, now)?;
                    let payload = plan.versioned_event(next, &rows, local_date(now));
                    outbox::enqueue(conn, &events.event(PLAN_CHANGED, payload)?)?;
                    next
                }
            };
            if !planning::update_plan(conn, &id, plan.revision, plan.status, number, now)? {
                return Err(ApiError::PreconditionFailed);
            }
            record(
                conn,
                &caller,
                &plan.government_body,
                &id,
                "rows_changed",
                &["rows"],
            )?;
            tracing::info!(plan.id = %id, plan.version = number, "joint plan rows changed");
            load(conn, &id)
        })
        .await?;
    service.events_committed();

    Ok(respond(&plan))
}

/// Approve a joint plan; later changes make new versions.
///
/// The officer of the body only, with `If-Match`.
#[utoipa::path(
    post, path = "/v1/joint-plans/{id}/approval", tag = "planning",
    params(("id" = String, Path, description = "Plan id"), ("If-Match" = String, Header, description = "ETag from the last read")),
    responses(
        (status = 200, body = Plan, headers(("ETag" = String))), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 412, body = Problem),
        (status = 428, body = Problem)
    ),
    security(("bearer" = []))
)]
#[post("/v1/joint-plans/{id}/approval")]
pub async fn approve_plan(
    service: web::Data<JointActions>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    caller.officer_body()?;
    let id = id.into_inner();
    let events = service.events_for(Some(&caller));

    let plan = service
        .db
        .transaction(move |conn| {
            let plan = load(conn, &id)?;
            check_write(&caller, &plan.government_body, || {
                format!("joint plan {id}")
            })?;
            if_match.check(&etag(plan.revision))?;
            if plan.status == PlanStatus::Approved {
                return Err(ApiError::Conflict(format!(
                    "joint plan {id} is already approved"
                )));
            }
            if plan.rows.is_empty() {
                return Err(ApiError::NotReady {
                    reason: format!("joint plan {id} cannot be approved yet"),
                    missing: vec![service_kit::FieldError::new(
                        "/rows",
                        "plan at least one activity",
                    )],
                });
            }
            let now = service_kit::now();
            if !planning::update_plan(
                conn,
                &id,
                plan.revision,
                PlanStatus::Approved,
                plan.version,
                now,
            )? {
                return Err(ApiError::PreconditionFailed);
            }
            let payload = plan.versioned_event(plan.version, &plan.rows, local_date(now));
            outbox::enqueue(conn, &events.event(PLAN_APPROVED, payload)?)?;
            record(
                conn,
                &caller,
                &plan.government_body,
                &id,
                "approved",
                &["status"],
            )?;
            tracing::info!(plan.id = %id, "joint plan approved");
            load(conn, &id)
        })
        .await?;
    service.events_committed();

    Ok(respond(&plan))
}

/// List the versions of a joint plan, oldest first.
#[utoipa::path(
    get, path = "/v1/joint-plans/{id}/versions", tag = "planning",
    params(("id" = String, Path, description = "Plan id")),
    responses((status = 200, body = inline(Page<PlanVersion>)), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/v1/joint-plans/{id}/versions")]
pub async fn list_versions(
    service: web::Data<JointActions>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let versions = service
        .db
        .run(move |conn| {
            readable(conn, &id, &caller)?;
            planning::plan_versions(conn, &id).map_err(ApiError::from)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page {
        items: versions,
        next_cursor: None,
    }))
}

/// The two versions to compare.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChangesQuery {
    /// Earlier version number.
    pub from: i32,
    /// Later version number.
    pub to: i32,
}

/// List the changes between two versions of a joint plan: activities added, removed
/// and changed, with each changed field's values.
#[utoipa::path(
    get, path = "/v1/joint-plans/{id}/changes", tag = "planning",
    params(("id" = String, Path, description = "Plan id"), ChangesQuery),
    responses((status = 200, body = PlanChanges), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []))
)]
#[get("/v1/joint-plans/{id}/changes")]
pub async fn plan_changes(
    service: web::Data<JointActions>,
    caller: Caller,
    id: web::Path<String>,
    query: ValidQuery<ChangesQuery>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let (from, to) = (query.from, query.to);
    let found = service
        .db
        .run(move |conn| {
            readable(conn, &id, &caller)?;
            let version = |conn: &mut AnyConnection, number: i32, name: &str| {
                planning::plan_version(conn, &id, number)?.ok_or_else(|| {
                    ApiError::field(
                        format!("#/query/{name}"),
                        format!("joint plan {id} has no version {number}"),
                    )
                })
            };
            let before = version(conn, from, "from")?;
            let after = version(conn, to, "to")?;
            Ok::<_, ApiError>(changes(from, &before.rows, to, &after.rows))
        })
        .await?;
    Ok(HttpResponse::Ok().json(found))
}

async fn form_of(
    service: &JointActions,
    caller: Caller,
    id: String,
) -> Result<export::Table, ApiError> {
    let plan = service
        .db
        .run(move |conn| readable(conn, &id, &caller))
        .await?;
    Ok(plan_form(&plan.rows))
}

/// Download the current version of a joint plan as the regulation's form, in CSV.
#[utoipa::path(
    get, path = "/v1/joint-plans/{id}/plan.csv", tag = "planning",
    params(("id" = String, Path, description = "Plan id")),
    responses((status = 200, description = "The form in UTF-8 CSV with a byte order mark", content_type = "text/csv"), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/v1/joint-plans/{id}/plan.csv")]
pub async fn export_plan_csv(
    service: web::Data<JointActions>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let table = form_of(&service, caller, id.into_inner()).await?;
    Ok(export::attachment(
        export::CSV,
        "joint-plan.csv",
        table.to_csv()?,
    ))
}

/// Download the current version of a joint plan as the regulation's form, in XLSX.
#[utoipa::path(
    get, path = "/v1/joint-plans/{id}/plan.xlsx", tag = "planning",
    params(("id" = String, Path, description = "Plan id")),
    responses((status = 200, description = "The form as an Excel workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/v1/joint-plans/{id}/plan.xlsx")]
pub async fn export_plan_xlsx(
    service: web::Data<JointActions>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let table = form_of(&service, caller, id.into_inner()).await?;
    Ok(export::attachment(
        export::XLSX,
        "joint-plan.xlsx",
        table.to_xlsx()?,
    ))
}
