//! `/v1/needs-assessments/{id}/activities`: events held to identify needs.

use actix_web::{HttpResponse, get, post, web};
use service_kit::audit::{self, Change};
use service_kit::extract::{IdempotencyKey, ValidJson, ValidQuery};
use service_kit::idempotency::Created;
use service_kit::pagination::{Page, PageParams};
use service_kit::problem::Problem;
use service_kit::{ApiError, ApiResult, Caller, MaybeCaller};
use uuid::Uuid;

use super::{Needs, owned, readable_report};
use crate::domain::activity::{Activity, ActivityInput};
use crate::domain::{Reader, Viewer};
use crate::store::activities;

/// Record an activity of a needs assessment, such as a round table or a survey.
///
/// The officer of the body only, until the assessment is published.
#[utoipa::path(
    post, path = "/v1/needs-assessments/{id}/activities", tag = "activities",
    params(("id" = String, Path, description = "Assessment id"), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create return the first response")),
    request_body = ActivityInput,
    responses(
        (status = 201, body = Activity), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)
    ),
    security(("bearer" = []))
)]
#[post("/v1/needs-assessments/{id}/activities")]
pub async fn create_activity(
    needs: web::Data<Needs>,
    caller: Caller,
    key: IdempotencyKey,
    assessment_id: web::Path<String>,
    body: ValidJson<ActivityInput>,
) -> ApiResult<HttpResponse> {
    let government_body = caller.officer_body()?.to_owned();
    let facts = body.value.parse(common_models::time::today())?;
    let assessment_id = assessment_id.into_inner();
    let scope = caller.idempotency_scope(&format!(
        "POST /v1/needs-assessments/{assessment_id}/activities"
    ));

    needs
        .create(key, scope, body.raw.clone(), move |conn| {
            let assessment = owned(conn, &assessment_id, &caller)?;
            assessment.check_editable()?;
            let id = Uuid::now_v7().to_string();
            let activity =
                activities::insert(conn, &id, &assessment_id, &facts, &caller.subject, service_kit::now())?;
            audit::record(
                conn,
                Change {
                    entity: "needs_activity",
                    entity_id: &id,
                    action: "created",
                    actor: &caller.subject,
                    government_body: Some(&government_body),
                    fields: &["held_on".to_owned(), "form".to_owned()],
                },
            )?;
            tracing::info!(assessment.id = %assessment_id, activity.id = %id, "assessment activity recorded");
            Created::new(
                activity,
                format!("/v1/needs-assessments/{assessment_id}/activities"),
                None,
            )
        })
        .await
}

/// List the activities of a needs assessment in the order they were recorded.
///
/// Open to everyone for published assessments, without the names of the responsible
/// staff; the officer of the body and the ministry see the names.
#[utoipa::path(
    get, path = "/v1/needs-assessments/{id}/activities", tag = "activities",
    params(("id" = String, Path, description = "Assessment id"), PageParams),
    responses((status = 200, body = inline(Page<Activity>)), (status = 404, body = Problem))
)]
#[get("/v1/needs-assessments/{id}/activities")]
pub async fn list_activities(
    needs: web::Data<Needs>,
    caller: MaybeCaller,
    assessment_id: web::Path<String>,
    page: ValidQuery<PageParams>,
) -> ApiResult<HttpResponse> {
    let limit = page.limit()?;
    let after = page.after()?;
    let viewer = Viewer::of(caller.0.as_ref());
    let assessment_id = assessment_id.into_inner();

    let (items, reader) = needs
        .db
        .run(move |conn| {
            let (record, reader) = readable_report(conn, &assessment_id, &viewer)?;
            let items = activities::list(conn, &record.id, after.as_deref(), limit + 1)?;
            Ok::<_, ApiError>((items, reader))
        })
        .await?;

    let items = match reader {
        Reader::Owner => items,
        Reader::Public => items.into_iter().map(Activity::public).collect(),
    };
    Ok(HttpResponse::Ok().json(Page::from_overfetch(items, limit, |a| a.id.clone())))
}
