//! `/v1/needs-assessments`: assessments, their changes and their lifecycle.

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::NaiveDate;
use common_models::event::needs::{ASSESSMENT_PUBLISHED, AssessmentPublished};
use common_models::{AssessmentStatus, Catalogue, KatoCode, Sphere};
use serde::Deserialize;
use service_kit::audit::{self, Change};
use service_kit::extract::{IdempotencyKey, IfMatch, ValidJson, ValidQuery, etag};
use service_kit::idempotency::Created;
use service_kit::outbox;
use service_kit::pagination::{Page, PageParams};
use service_kit::problem::Problem;
use service_kit::{ApiError, ApiResult, Caller, MaybeCaller};
use utoipa::IntoParams;
use uuid::Uuid;

use super::{Needs, owned, readable, registry, schedule};
use crate::domain::activity::Activity;
use crate::domain::assessment::{
    Assessment, AssessmentFacts, AssessmentInput, AssessmentPatch, AssessmentRecord, StatusChange,
    check_transition, next_status,
};
use crate::domain::priority::{self, Priority};
use crate::domain::{Errors, Reader, Viewer, parse_code};
use crate::store::assessments::{self, AssessmentFilter};
use crate::store::{Scope, activities, priorities};

/// Audit trail entity name of assessments.
const ENTITY: &str = "needs_assessment";

/// Start a needs assessment of the caller's government body, as a draft.
///
/// Officers only. Only the title is required now; the lifecycle checks the rest. The
/// territory is checked against the registry's KATO classifier.
#[utoipa::path(
    post, path = "/v1/needs-assessments", tag = "assessments",
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create return the first response")),
    request_body = AssessmentInput,
    responses(
        (status = 201, body = Assessment, headers(("Location" = String), ("ETag" = String))),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem), (status = 503, body = Problem, headers(("Retry-After" = u32)))
    ),
    security(("bearer" = []))
)]
#[post("/v1/needs-assessments")]
pub async fn create_assessment(
    needs: web::Data<Needs>,
    caller: Caller,
    key: IdempotencyKey,
    body: ValidJson<AssessmentInput>,
) -> ApiResult<HttpResponse> {
    let government_body = caller.officer_body()?.to_owned();
    let facts = body.value.parse()?;
    let territory_name = territory_name(&needs, facts.territory.as_ref()).await?;
    let scope = caller.idempotency_scope("POST /v1/needs-assessments");

    needs
        .create(key, scope, body.raw.clone(), move |conn| {
            let id = Uuid::now_v7().to_string();
            let now = service_kit::now();
            assessments::insert(
                conn,
                &id,
                &government_body,
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
                    fields: &["title".to_owned()],
                },
            )?;
            let record = assessments::find(conn, &id)?
                .ok_or_else(|| ApiError::NotFound(format!("needs assessment {id}")))?;
            tracing::info!(assessment.id = %id, body.id = %government_body, "needs assessment started");
            Created::new(
                record.view(Vec::new()),
                format!("/v1/needs-assessments/{id}"),
                Some(etag(record.version)),
            )
        })
        .await
}

/// Looks up the KATO name of the territory, if there is one.
async fn territory_name(
    needs: &Needs,
    territory: Option<&KatoCode>,
) -> Result<Option<String>, ApiError> {
    match territory {
        Some(code) => registry::territory_name(needs, code, "/territory")
            .await
            .map(Some),
        None => Ok(None),
    }
}

/// Filters of the assessment list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AssessmentQuery {
    /// Government body carrying out the assessment.
    pub government_body: Option<String>,
    #[param(value_type = Option<AssessmentStatus>)]
    pub status: Option<String>,
    #[param(value_type = Option<Sphere>)]
    pub sphere: Option<String>,
    /// KATO code; assessments of this territory or any territory inside it.
    pub territory: Option<String>,
    /// Items per page, 1 to 200 (default 50).
    pub limit: Option<i64>,
    /// Cursor from the previous page.
    pub cursor: Option<String>,
}

/// List needs assessments, oldest first.
///
/// Open to everyone. Published assessments are listed for every caller, and NPO users
/// also read those collecting information, which take their proposals. An officer also
/// reads the unpublished ones of their body, and the ministry reads all.
#[utoipa::path(
    get, path = "/v1/needs-assessments", tag = "assessments", params(AssessmentQuery),
    responses((status = 200, body = inline(Page<Assessment>)), (status = 422, body = Problem))
)]
#[get("/v1/needs-assessments")]
pub async fn list_assessments(
    needs: web::Data<Needs>,
    caller: MaybeCaller,
    query: ValidQuery<AssessmentQuery>,
) -> ApiResult<HttpResponse> {
    let query = query.into_inner();
    let mut errors = Errors::default();
    let status = query
        .status
        .as_deref()
        .and_then(|raw| errors.check("#/query/status", parse_code::<AssessmentStatus>(raw)));
    let sphere = query
        .sphere
        .as_deref()
        .and_then(|raw| errors.check("#/query/sphere", parse_code::<Sphere>(raw)));
    let territory = query
        .territory
        .as_deref()
        .and_then(|raw| errors.check("#/query/territory", KatoCode::parse(raw)));
    errors.into_result()?;
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor,
    };
    let limit = page.limit()?;
    let after = page.after()?;
    let viewer = Viewer::of(caller.0.as_ref());
    let filter = AssessmentFilter {
        scope: Scope::from_viewer(&viewer),
        government_body: query.government_body,
        status,
        sphere,
        territory,
    };

    let items = needs
        .db
        .run(move |conn| {
            assessments::list(conn, &filter, after.as_deref(), limit + 1).map_err(ApiError::from)
        })
        .await?;

    let views: Vec<Assessment> = items
        .into_iter()
        .map(|record| {
            let owner = viewer.reader_of(&record.government_body) == Reader::Owner;
            if owner || record.status == AssessmentStatus::Published {
                record.view(Vec::new())
            } else {
                record.without_report().view(Vec::new())
            }
        })
        .collect();
    Ok(HttpResponse::Ok().json(Page::from_overfetch(views, limit, |a| a.id.clone())))
}

/// Read a needs assessment with its priorities, highest risk first.
///
/// Open to everyone for published assessments; unpublished ones only for the
/// officer of the body and the ministry.
#[utoipa::path(
    get, path = "/v1/needs-assessments/{id}", tag = "assessments",
    params(("id" = String, Path, description = "Assessment id")),
    responses((status = 200, body = Assessment, headers(("ETag" = String))), (status = 404, body = Problem))
)]
#[get("/v1/needs-assessments/{id}")]
pub async fn get_assessment(
    needs: web::Data<Needs>,
    caller: MaybeCaller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let viewer = Viewer::of(caller.0.as_ref());
    let id = id.into_inner();

    let (record, priorities) = needs
        .db
        .run(move |conn| {
            let (record, reader) = readable(conn, &id, &viewer)?;
            // Priorities are part of the report, which public readers see once published.
            let report_visible =
                reader == Reader::Owner || record.status == AssessmentStatus::Published;
            let priorities = if report_visible {
                priorities::for_assessment(conn, &record.id)?
            } else {
                Vec::new()
            };
            let record = if report_visible {
                record
            } else {
                record.without_report()
            };
            Ok::<_, ApiError>((record, priorities))
        })
        .await?;

    Ok(HttpResponse::Ok()
        .insert_header(("ETag", etag(record.version)))
        .json(record.view(priorities)))
}

/// Change a needs assessment that is not yet published.
///
/// The officer of the body only. Fields left out stay as they are and `null` clears
/// one. Needs `If-Match` with the ETag of the last read.
#[utoipa::path(
    patch, path = "/v1/needs-assessments/{id}", tag = "assessments",
    params(("id" = String, Path, description = "Assessment id"), ("If-Match" = String, Header, description = "ETag from the last read")),
    request_body = AssessmentPatch,
    responses(
        (status = 200, body = Assessment, headers(("ETag" = String))),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 412, body = Problem), (status = 422, body = Problem), (status = 428, body = Problem),
        (status = 503, body = Problem)
    ),
    security(("bearer" = []))
)]
#[patch("/v1/needs-assessments/{id}")]
pub async fn update_assessment(
    needs: web::Data<Needs>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ValidJson<AssessmentPatch>,
) -> ApiResult<HttpResponse> {
    let government_body = caller.officer_body()?.to_owned();
    let id = id.into_inner();
    // The territory is looked up before the transaction, so no database connection
    // waits on the registry.
    let territory = match body.value.territory.clone().flatten() {
        Some(raw) => KatoCode::parse(&raw).ok(),
        None => None,
    };
    let territory_name = territory_name(&needs, territory.as_ref()).await?;

    let record = needs
        .db
        .transaction(move |conn| {
            let current = owned(conn, &id, &caller)?;
            current.check_editable()?;
            if_match.check(&etag(current.version))?;
            let facts = body.value.apply(&current.facts)?;
            if facts == current.facts {
                return load_with_priorities(conn, &id);
            }
            priority::check_fit(&facts, &priorities::for_assessment(conn, &id)?)?;
            // A change may not undo what the current stage required.
            if current.status != AssessmentStatus::Draft {
                let priority_count = priorities::count(conn, &id)?;
                let today = common_models::time::today();
                check_transition(&facts, current.status, priority_count, today)?;
            }
            let completed_on = match current.status {
                AssessmentStatus::Analysed => facts.period_end,
                _ => None,
            };
            let name = if facts.territory == current.facts.territory {
                current.territory_name.clone()
            } else {
                territory_name
            };
            let now = service_kit::now();
            let stored = assessments::update(
                conn,
                &id,
                current.version,
                &facts,
                name.as_deref(),
                completed_on,
                now,
            )?;
            if !stored {
                return Err(ApiError::PreconditionFailed);
            }
            audit::record(
                conn,
                Change {
                    entity: ENTITY,
                    entity_id: &id,
                    action: "updated",
                    actor: &caller.subject,
                    government_body: Some(&government_body),
                    fields: &changed_fields(&current.facts, &facts),
                },
            )?;
            tracing::info!(assessment.id = %id, "needs assessment changed");
            load_with_priorities(conn, &id)
        })
        .await?;

    Ok(assessment_response(&record.0, record.1))
}

fn changed_fields(before: &AssessmentFacts, after: &AssessmentFacts) -> Vec<String> {
    let mut fields = Vec::new();
    let mut compare = |name: &str, changed: bool| {
        if changed {
            fields.push(name.to_owned());
        }
    };
    compare("title", before.title != after.title);
    compare("spheres", before.spheres != after.spheres);
    compare("territory", before.territory != after.territory);
    compare("period_start", before.period_start != after.period_start);
    compare("period_end", before.period_end != after.period_end);
    compare("target_groups", before.target_groups != after.target_groups);
    compare("methods", before.methods != after.methods);
    compare("instruments", before.instruments != after.instruments);
    compare(
        "information_sources",
        before.information_sources != after.information_sources,
    );
    compare("report", before.report != after.report);
    fields
}

fn load_with_priorities(
    conn: &mut service_kit::AnyConnection,
    id: &str,
) -> Result<(AssessmentRecord, Vec<Priority>), ApiError> {
    let record = assessments::find(conn, id)?
        .ok_or_else(|| ApiError::NotFound(format!("needs assessment {id}")))?;
    let priorities = priorities::for_assessment(conn, id)?;
    Ok((record, priorities))
}

fn assessment_response(record: &AssessmentRecord, priorities: Vec<Priority>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("ETag", etag(record.version)))
        .json(record.view(priorities))
}

/// Move a needs assessment to its next stage: draft, collecting, analysed, published.
///
/// The officer of the body only, with `If-Match`. Collecting needs the spheres and the
/// territory. Analysed needs the dates, an ended period and the report's conclusions.
/// Published needs every item a public report must contain. A 422 lists every item
/// that is missing.
#[utoipa::path(
    post, path = "/v1/needs-assessments/{id}/status", tag = "assessments",
    params(("id" = String, Path, description = "Assessment id"), ("If-Match" = String, Header, description = "ETag from the last read")),
    request_body = StatusChange,
    responses(
        (status = 200, body = Assessment, headers(("ETag" = String))),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 412, body = Problem), (status = 422, body = Problem), (status = 428, body = Problem)
    ),
    security(("bearer" = []))
)]
#[post("/v1/needs-assessments/{id}/status")]
pub async fn change_status(
    needs: web::Data<Needs>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ValidJson<StatusChange>,
) -> ApiResult<HttpResponse> {
    let government_body = caller.officer_body()?.to_owned();
    let target = parse_code::<AssessmentStatus>(&body.value.status)
        .map_err(|message| ApiError::field("/status", message))?;
    let id = id.into_inner();
    let events = needs.events_for(Some(&caller));

    let record = needs
        .db
        .transaction(move |conn| {
            let current = owned(conn, &id, &caller)?;
            if_match.check(&etag(current.version))?;
            if next_status(current.status) != Some(target) {
                return Err(ApiError::Conflict(match next_status(current.status) {
                    Some(next) => format!(
                        "assessment {id} is {}; it can only move to {next}",
                        current.status
                    ),
                    None => format!("assessment {id} is published; its lifecycle is complete"),
                }));
            }
            let listed = priorities::for_assessment(conn, &id)?;
            let today = common_models::time::today();
            check_transition(&current.facts, target, listed.len() as i64, today)?;
            priority::check_fit(&current.facts, &listed)?;

            let completed_on = match target {
                AssessmentStatus::Analysed | AssessmentStatus::Published => {
                    current.facts.period_end
                }
                _ => None,
            };
            let now = service_kit::now();
            if !assessments::set_status(conn, &id, current.version, target, completed_on, now)? {
                return Err(ApiError::PreconditionFailed);
            }
            audit::record(
                conn,
                Change {
                    entity: ENTITY,
                    entity_id: &id,
                    action: target.code(),
                    actor: &caller.subject,
                    government_body: Some(&government_body),
                    fields: &["status".to_owned()],
                },
            )?;
            if target == AssessmentStatus::Published {
                // NOTE: on PostgreSQL, recording an activity or a priority does not lock
                // the assessment, so one committed after these reads is stored but
                // missing from the event.
                let held_activities = activities::for_assessment(conn, &id)?;
                let payload = published(&current, completed_on, &listed, &held_activities);
                outbox::enqueue(conn, &events.event(ASSESSMENT_PUBLISHED, payload)?)?;
            }
            if target == AssessmentStatus::Analysed {
                schedule::notify_overdue(conn, &events, Some(&government_body), today)?;
            }
            tracing::info!(assessment.id = %id, status = %target, "needs assessment moved on");
            load_with_priorities(conn, &id)
        })
        .await?;
    needs.events_committed();

    Ok(assessment_response(&record.0, record.1))
}

/// Builds the payload of `needs.assessment.published` from the assessment as it was
/// before publishing, its completion day and the rows of its report.
fn published(
    record: &AssessmentRecord,
    completed_on: Option<NaiveDate>,
    priorities: &[Priority],
    activities: &[Activity],
) -> AssessmentPublished {
    let facts = &record.facts;
    AssessmentPublished {
        assessment_id: record.id.clone(),
        government_body: record.government_body.clone(),
        spheres: facts.spheres.iter().map(|s| s.code().to_owned()).collect(),
        territory: facts
            .territory
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        period_start: facts.period_start.unwrap_or_default(),
        period_end: facts.period_end.unwrap_or_default(),
        priorities: priorities.iter().map(Priority::identified).collect(),
        participants: facts.target_groups.iter().map(|g| g.participants).sum(),
        title: Some(facts.title.clone()),
        completed_on,
        activities: activities.iter().map(Activity::report_row).collect(),
    }
}
