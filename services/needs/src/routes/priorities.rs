//! Identified priorities: `/v1/needs-assessments/{id}/priorities` for one assessment,
//! `/v1/needs-priorities` ranked across assessments, and both as the "identified
//! priorities" form in CSV and XLSX.

use actix_web::{HttpResponse, delete, get, post, web};
use common_models::event::needs::{PRIORITY_IDENTIFIED, PRIORITY_WITHDRAWN, PriorityWithdrawn};
use common_models::{KatoCode, RiskLevel, Sphere, TargetGroup};
use serde::Deserialize;
use service_kit::audit::{self, Change};
use service_kit::export::{self, Table};
use service_kit::extract::{IdempotencyKey, ValidJson, ValidQuery};
use service_kit::idempotency::Created;
use service_kit::outbox;
use service_kit::pagination::{Page, PageParams};
use service_kit::problem::Problem;
use service_kit::{ApiError, ApiResult, Caller, MaybeCaller};
use utoipa::IntoParams;
use uuid::Uuid;

use super::{Needs, owned, readable_report, registry};
use crate::domain::priority::{MAX_PER_ASSESSMENT, Priority, PriorityInput, form};
use crate::domain::{Errors, Viewer, parse_code};
use crate::store::priorities::{self, PriorityFilter, RankPosition};
use crate::store::{Scope, proposals};

/// Audit trail entity name of priorities.
const ENTITY: &str = "needs_priority";
/// Maximum number of rows of one export across assessments.
const MAX_EXPORT_ROWS: i64 = 50_000;

/// Add an identified priority to a needs assessment.
///
/// The officer of the body only, until the assessment is published. The sphere must
/// be one of the assessment's spheres and the territory inside its territory.
#[utoipa::path(
    post, path = "/v1/needs-assessments/{id}/priorities", tag = "priorities",
    params(("id" = String, Path, description = "Assessment id"), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create return the first response")),
    request_body = PriorityInput,
    responses(
        (status = 201, body = Priority, headers(("Location" = String))),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem), (status = 503, body = Problem)
    ),
    security(("bearer" = []))
)]
#[post("/v1/needs-assessments/{id}/priorities")]
pub async fn create_priority(
    needs: web::Data<Needs>,
    caller: Caller,
    key: IdempotencyKey,
    assessment_id: web::Path<String>,
    body: ValidJson<PriorityInput>,
) -> ApiResult<HttpResponse> {
    let government_body = caller.officer_body()?.to_owned();
    let assessment_id = assessment_id.into_inner();
    let territory_name = match KatoCode::parse(&body.value.territory) {
        Ok(code) => Some(registry::territory_name(&needs, &code, "/territory").await?),
        Err(_) => None,
    };
    let events = needs.events_for(Some(&caller));
    let scope = caller.idempotency_scope(&format!(
        "POST /v1/needs-assessments/{assessment_id}/priorities"
    ));

    needs
        .create(key, scope, body.raw.clone(), move |conn| {
            let assessment = owned(conn, &assessment_id, &caller)?;
            assessment.check_editable()?;
            let facts = body.value.parse(&assessment.facts)?;
            if priorities::count(conn, &assessment_id)? >= MAX_PER_ASSESSMENT {
                return Err(ApiError::Conflict(format!(
                    "assessment {assessment_id} already has {MAX_PER_ASSESSMENT} priorities"
                )));
            }
            let id = Uuid::now_v7().to_string();
            let now = service_kit::now();
            priorities::insert(
                conn,
                &id,
                &assessment_id,
                &facts,
                territory_name.as_deref(),
                &caller.subject,
                now,
            )?;
            audit::record(
                conn,
                Change {
                    entity: ENTITY,
                    entity_id: &id,
                    action: "created",
                    actor: &caller.subject,
                    government_body: Some(&government_body),
                    fields: &["problem".to_owned()],
                },
            )?;
            let priority = priorities::for_assessment(conn, &assessment_id)?
                .into_iter()
                .find(|p| p.id == id)
                .ok_or_else(|| ApiError::NotFound(format!("priority {id}")))?;
            outbox::enqueue(conn, &events.event(PRIORITY_IDENTIFIED, priority.identified())?)?;
            tracing::info!(assessment.id = %assessment_id, priority.id = %id, "priority identified");
            Created::new(
                priority,
                format!("/v1/needs-assessments/{assessment_id}/priorities/{id}"),
                None,
            )
        })
        .await
}

/// List the priorities of a needs assessment, highest risk first.
#[utoipa::path(
    get, path = "/v1/needs-assessments/{id}/priorities", tag = "priorities",
    params(("id" = String, Path, description = "Assessment id")),
    responses((status = 200, body = inline(Page<Priority>)), (status = 404, body = Problem))
)]
#[get("/v1/needs-assessments/{id}/priorities")]
pub async fn list_priorities(
    needs: web::Data<Needs>,
    caller: MaybeCaller,
    assessment_id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let items = assessment_priorities(&needs, &caller, assessment_id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(Page {
        items,
        next_cursor: None,
    }))
}

async fn assessment_priorities(
    needs: &Needs,
    caller: &MaybeCaller,
    assessment_id: String,
) -> Result<Vec<Priority>, ApiError> {
    let viewer = Viewer::of(caller.0.as_ref());
    needs
        .db
        .run(move |conn| {
            let (record, _) = readable_report(conn, &assessment_id, &viewer)?;
            priorities::for_assessment(conn, &record.id).map_err(ApiError::from)
        })
        .await
}

/// Read one priority of a needs assessment.
#[utoipa::path(
    get, path = "/v1/needs-assessments/{id}/priorities/{priority_id}", tag = "priorities",
    params(("id" = String, Path, description = "Assessment id"), ("priority_id" = String, Path, description = "Priority id")),
    responses((status = 200, body = Priority), (status = 404, body = Problem))
)]
#[get("/v1/needs-assessments/{id}/priorities/{priority_id}")]
pub async fn get_priority(
    needs: web::Data<Needs>,
    caller: MaybeCaller,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (assessment_id, priority_id) = path.into_inner();
    let priority = assessment_priorities(&needs, &caller, assessment_id)
        .await?
        .into_iter()
        .find(|p| p.id == priority_id)
        .ok_or_else(|| ApiError::NotFound(format!("priority {priority_id}")))?;
    Ok(HttpResponse::Ok().json(priority))
}

/// Remove a priority from a needs assessment that is not yet published.
///
/// The officer of the body only.
#[utoipa::path(
    delete, path = "/v1/needs-assessments/{id}/priorities/{priority_id}", tag = "priorities",
    params(("id" = String, Path, description = "Assessment id"), ("priority_id" = String, Path, description = "Priority id")),
    responses(
        (status = 204, description = "Removed"), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem)
    ),
    security(("bearer" = []))
)]
#[delete("/v1/needs-assessments/{id}/priorities/{priority_id}")]
pub async fn delete_priority(
    needs: web::Data<Needs>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let government_body = caller.officer_body()?.to_owned();
    let (assessment_id, priority_id) = path.into_inner();
    let events = needs.events_for(Some(&caller));

    needs
        .db
        .transaction(move |conn| {
            let assessment = owned(conn, &assessment_id, &caller)?;
            assessment.check_editable()?;
            let linked: Vec<String> = proposals::list_joint(conn, &assessment_id, None, i64::MAX)?
                .into_iter()
                .filter(|p| p.priority_ids.contains(&priority_id))
                .map(|p| p.id)
                .collect();
            if !linked.is_empty() {
                return Err(ApiError::Conflict(format!(
                    "priority {priority_id} is linked from proposals for joint action {}",
                    linked.join(", ")
                )));
            }
            if !priorities::delete(conn, &assessment_id, &priority_id)? {
                return Err(ApiError::NotFound(format!("priority {priority_id}")));
            }
            audit::record(
                conn,
                Change {
                    entity: ENTITY,
                    entity_id: &priority_id,
                    action: "deleted",
                    actor: &caller.subject,
                    government_body: Some(&government_body),
                    fields: &[],
                },
            )?;
            let payload = PriorityWithdrawn {
                priority_id: priority_id.clone(),
                assessment_id: assessment_id.clone(),
                government_body: government_body.clone(),
            };
            outbox::enqueue(conn, &events.event(PRIORITY_WITHDRAWN, payload)?)?;
            tracing::info!(assessment.id = %assessment_id, priority.id = %priority_id, "priority removed");
            Ok::<_, ApiError>(())
        })
        .await?;
    needs.events_committed();

    Ok(HttpResponse::NoContent().finish())
}

/// Download the "identified priorities" form of a needs assessment as CSV.
#[utoipa::path(
    get, path = "/v1/needs-assessments/{id}/priorities.csv", tag = "priorities",
    params(("id" = String, Path, description = "Assessment id")),
    responses((status = 200, description = "The form in UTF-8 CSV with a byte order mark", content_type = "text/csv"), (status = 404, body = Problem))
)]
#[get("/v1/needs-assessments/{id}/priorities.csv")]
pub async fn export_assessment_csv(
    needs: web::Data<Needs>,
    caller: MaybeCaller,
    assessment_id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let items = assessment_priorities(&needs, &caller, assessment_id.into_inner()).await?;
    send(Format::Csv, &form(&items))
}

/// Download the "identified priorities" form of a needs assessment as XLSX.
#[utoipa::path(
    get, path = "/v1/needs-assessments/{id}/priorities.xlsx", tag = "priorities",
    params(("id" = String, Path, description = "Assessment id")),
    responses((status = 200, description = "The form as an Excel workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (status = 404, body = Problem))
)]
#[get("/v1/needs-assessments/{id}/priorities.xlsx")]
pub async fn export_assessment_xlsx(
    needs: web::Data<Needs>,
    caller: MaybeCaller,
    assessment_id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let items = assessment_priorities(&needs, &caller, assessment_id.into_inner()).await?;
    send(Format::Xlsx, &form(&items))
}

#[derive(Debug, Clone, Copy)]
enum Format {
    Csv,
    Xlsx,
}

fn send(format: Format, table: &Table) -> ApiResult<HttpResponse> {
    Ok(match format {
        Format::Csv => export::attachment(export::CSV, "priorities.csv", table.to_csv()?),
        Format::Xlsx => export::attachment(export::XLSX, "priorities.xlsx", table.to_xlsx()?),
    })
}

/// Filters of the ranked priorities.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PriorityQuery {
    /// KATO code; priorities of this territory or any territory inside it.
    pub territory: Option<String>,
    #[param(value_type = Option<Sphere>)]
    pub sphere: Option<String>,
    #[param(value_type = Option<TargetGroup>)]
    pub target_group: Option<String>,
    #[param(value_type = Option<RiskLevel>)]
    pub risk_level: Option<String>,
    /// Government body whose assessments identified the priorities.
    pub government_body: Option<String>,
    /// Items per page, 1 to 200 (default 50); the exports check the bounds and return
    /// every match.
    pub limit: Option<i64>,
    /// Cursor from the previous page; not used by the exports.
    pub cursor: Option<String>,
}

impl PriorityQuery {
    fn filter(&self, viewer: &Viewer) -> Result<PriorityFilter, ApiError> {
        let mut errors = Errors::default();
        let filter = PriorityFilter {
            scope: Scope::from_viewer(viewer),
            government_body: self.government_body.clone(),
            territory: self
                .territory
                .as_deref()
                .and_then(|raw| errors.check("#/query/territory", KatoCode::parse(raw))),
            sphere: self
                .sphere
                .as_deref()
                .and_then(|raw| errors.check("#/query/sphere", parse_code::<Sphere>(raw))),
            target_group: self.target_group.as_deref().and_then(|raw| {
                errors.check("#/query/target_group", parse_code::<TargetGroup>(raw))
            }),
            risk_level: self
                .risk_level
                .as_deref()
                .and_then(|raw| errors.check("#/query/risk_level", parse_code::<RiskLevel>(raw))),
        };
        errors.into_result()?;
        Ok(filter)
    }
}

/// List priorities across needs assessments, ranked: risk level first (high, medium,
/// low), then the number of people affected (largest first, unknown last).
///
/// Open to everyone for published assessments. An officer also reads the unpublished
/// ones of their body, and the ministry reads all.
#[utoipa::path(
    get, path = "/v1/needs-priorities", tag = "priorities", params(PriorityQuery),
    responses((status = 200, body = inline(Page<Priority>)), (status = 422, body = Problem))
)]
#[get("/v1/needs-priorities")]
pub async fn ranked_priorities(
    needs: web::Data<Needs>,
    caller: MaybeCaller,
    query: ValidQuery<PriorityQuery>,
) -> ApiResult<HttpResponse> {
    let filter = query.filter(&Viewer::of(caller.0.as_ref()))?;
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor.clone(),
    };
    let limit = page.limit()?;
    let after = match page.after()? {
        Some(key) => Some(RankPosition::decode(&key).ok_or_else(|| {
            ApiError::field("#/query/cursor", "is not a cursor returned by this API")
        })?),
        None => None,
    };

    let items = needs
        .db
        .run(move |conn| {
            priorities::ranked(conn, &filter, after.as_ref(), limit + 1).map_err(ApiError::from)
        })
        .await?;

    Ok(
        HttpResponse::Ok().json(Page::from_overfetch(items, limit, |p| {
            RankPosition::of(p).encode()
        })),
    )
}

async fn ranked_form(
    needs: &Needs,
    caller: &MaybeCaller,
    query: &PriorityQuery,
) -> Result<Table, ApiError> {
    let filter = query.filter(&Viewer::of(caller.0.as_ref()))?;
    // The exports return every match, but a page size out of bounds is still invalid,
    // as on the list.
    PageParams {
        limit: query.limit,
        cursor: None,
    }
    .limit()?;
    let items = needs
        .db
        .run(move |conn| {
            priorities::ranked(conn, &filter, None, MAX_EXPORT_ROWS + 1).map_err(ApiError::from)
        })
        .await?;
    if items.len() as i64 > MAX_EXPORT_ROWS {
        return Err(ApiError::field(
            "#/query",
            format!("more than {MAX_EXPORT_ROWS} priorities match; narrow the filters"),
        ));
    }
    Ok(form(&items))
}

/// Download ranked priorities across assessments as the "identified priorities" form
/// in CSV, with the same filters as `/v1/needs-priorities`.
#[utoipa::path(
    get, path = "/v1/needs-priorities.csv", tag = "priorities", params(PriorityQuery),
    responses((status = 200, description = "The form in UTF-8 CSV with a byte order mark", content_type = "text/csv"), (status = 422, body = Problem))
)]
#[get("/v1/needs-priorities.csv")]
pub async fn export_ranked_csv(
    needs: web::Data<Needs>,
    caller: MaybeCaller,
    query: ValidQuery<PriorityQuery>,
) -> ApiResult<HttpResponse> {
    send(Format::Csv, &ranked_form(&needs, &caller, &query).await?)
}

/// Download ranked priorities across assessments as the "identified priorities" form
/// in XLSX, with the same filters as `/v1/needs-priorities`.
#[utoipa::path(
    get, path = "/v1/needs-priorities.xlsx", tag = "priorities", params(PriorityQuery),
    responses((status = 200, description = "The form as an Excel workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (status = 422, body = Problem))
)]
#[get("/v1/needs-priorities.xlsx")]
pub async fn export_ranked_xlsx(
    needs: web::Data<Needs>,
    caller: MaybeCaller,
    query: ValidQuery<PriorityQuery>,
) -> ApiResult<HttpResponse> {
    send(Format::Xlsx, &ranked_form(&needs, &caller, &query).await?)
}
