//! `/v1/working-groups` with their reports and meetings, and
//! `/v1/consultative-bodies` with their progress.

use actix_web::{HttpResponse, get, post, web};
use common_models::event::joint_actions::MEETING_RECORDED;
use service_kit::audit::{self, Change};
use service_kit::extract::{IdempotencyKey, ValidJson, ValidQuery};
use service_kit::idempotency::Created;
use service_kit::outbox;
use service_kit::pagination::{Page, PageParams};
use service_kit::problem::Problem;
use service_kit::{AnyConnection, ApiError, ApiResult, Caller};
use uuid::Uuid;

use super::{JointActions, NoParams, check_read, check_write, reading_scope, registry};
use crate::domain::planning::{
    ConsultativeBody, ConsultativeInput, Group, GroupInput, GroupReport, Meeting, MeetingInput,
    ProgressInput, ProgressNote, ReportInput,
};
use crate::store::planning;

/// Entity name of consultative bodies in the audit trail.
const CONSULTATIVE_ENTITY: &str = "consultative_body";

fn load_group(conn: &mut AnyConnection, id: &str) -> Result<Group, ApiError> {
    planning::find_group(conn, id)?.ok_or_else(|| ApiError::NotFound(format!("working group {id}")))
}

fn audit_group(
    conn: &mut AnyConnection,
    caller: &Caller,
    group: &Group,
    action: &str,
    fields: &[&str],
) -> Result<(), ApiError> {
    record_change(
        conn,
        caller,
        "working_group",
        &group.id,
        &group.government_body,
        action,
        fields,
    )
}

/// Records a change of record `id` of kind `entity`, kept for `government_body`, in
/// the audit trail.
fn record_change(
    conn: &mut AnyConnection,
    caller: &Caller,
    entity: &str,
    id: &str,
    government_body: &str,
    action: &str,
    fields: &[&str],
) -> Result<(), ApiError> {
    let fields: Vec<String> = fields.iter().map(|f| (*f).to_owned()).collect();
    audit::record(
        conn,
        Change {
            entity,
            entity_id: id,
            action,
            actor: &caller.subject,
            government_body: Some(government_body),
            fields: &fields,
        },
    )?;
    Ok(())
}

/// Record a cross-sector working group that the officer created or joined.
///
/// Officers only. A joined group needs the assessment of how its goals match the
/// body's; NPO members must be in the registry.
#[utoipa::path(
    post, path = "/v1/working-groups", tag = "planning",
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create return the first response")),
    request_body = GroupInput,
    responses(
        (status = 201, body = Group, headers(("Location" = String))), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 422, body = Problem), (status = 503, body = Problem)
    ),
    security(("bearer" = []))
)]
#[post("/v1/working-groups")]
pub async fn create_group(
    service: web::Data<JointActions>,
    caller: Caller,
    key: IdempotencyKey,
    body: ValidJson<GroupInput>,
) -> ApiResult<HttpResponse> {
    let government_body = caller.officer_body()?.to_owned();
    let mut facts = body.value.parse()?;
    for (index, member) in facts.members.iter_mut().enumerate() {
        if let Some(npo_id) = &member.npo_id {
            let npo = registry::npo(&service, npo_id, &format!("/members/{index}/npo_id")).await?;
            member.npo_id = Some(npo.id.clone());
            member.name = member.name.clone().or_else(|| Some(npo.display_name()));
        }
    }
    let scope = caller.idempotency_scope("POST /v1/working-groups");

    service
        .create(key, scope, body.raw.clone(), move |conn| {
            let id = Uuid::now_v7().to_string();
            planning::insert_group(
                conn,
                &id,
                &government_body,
                &facts,
                &caller.subject,
                service_kit::now(),
            )?;
            let group = load_group(conn, &id)?;
            audit_group(conn, &caller, &group, "created", &facts.present_fields())?;
            tracing::info!(group.id = %id, body.id = %government_body, "working group recorded");
            Created::new(group, format!("/v1/working-groups/{id}"), None)
        })
        .await
}

/// List working groups, oldest first: an officer's body's, or every body's for the
/// ministry.
#[utoipa::path(
    get, path = "/v1/working-groups", tag = "planning", params(PageParams),
    responses((status = 200, body = inline(Page<Group>)), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = []))
)]
#[get("/v1/working-groups")]
pub async fn list_groups(
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
            planning::list_groups(conn, body.as_deref(), after.as_deref(), limit + 1)
                .map_err(ApiError::from)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_overfetch(items, limit, |g| g.id.clone())))
}

/// Read a working group with its reports.
#[utoipa::path(
    get, path = "/v1/working-groups/{id}", tag = "planning",
    params(("id" = String, Path, description = "Working group id")),
    responses((status = 200, body = Group), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/v1/working-groups/{id}")]
pub async fn get_group(
    service: web::Data<JointActions>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let group = service
        .db
        .run(move |conn| {
            let group = load_group(conn, &id)?;
            check_read(&caller, &group.government_body, || {
                format!("working group {id}")
            })?;
            Ok::<_, ApiError>(group)
        })
        .await?;
    Ok(HttpResponse::Ok().json(group))
}

/// Record a report on a working group's results to the body's management; a final
/// report closes the group.
#[utoipa::path(
    post, path = "/v1/working-groups/{id}/reports", tag = "planning",
    params(("id" = String, Path, description = "Working group id"), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create return the first response")),
    request_body = ReportInput,
    responses(
        (status = 201, body = GroupReport), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)
    ),
    security(("bearer" = []))
)]
#[post("/v1/working-groups/{id}/reports")]
pub async fn add_report(
    service: web::Data<JointActions>,
    caller: Caller,
    key: IdempotencyKey,
    group_id: web::Path<String>,
    body: ValidJson<ReportInput>,
) -> ApiResult<HttpResponse> {
    caller.officer_body()?;
    let report = body
        .value
        .parse(Uuid::now_v7().to_string(), common_models::time::today())?;
    let group_id = group_id.into_inner();
    let scope = caller.idempotency_scope(&format!("POST /v1/working-groups/{group_id}/reports"));

    service
        .create(key, scope, body.raw.clone(), move |conn| {
            let group = load_group(conn, &group_id)?;
            check_write(&caller, &group.government_body, || format!("working group {group_id}"))?;
            if group.closed {
                return Err(ApiError::Conflict(format!(
                    "working group {group_id} is closed by its final report"
                )));
            }
            planning::insert_report(conn, &group_id, &report, service_kit::now())?;
            audit_group(conn, &caller, &group, "reported", &["reports"])?;
            tracing::info!(group.id = %group_id, report.id = %report.id, "working group report recorded");
            let location = format!("/v1/working-groups/{group_id}/reports/{}", report.id);
            Created::new(report, location, None)
        })
        .await
}

/// Record a meeting of a working group: date, form, participants, responsible staff,
/// minutes and result.
///
/// Publishes `joint_actions.meeting.recorded`.
#[utoipa::path(
    post, path = "/v1/working-groups/{id}/meetings", tag = "planning",
    params(("id" = String, Path, description = "Working group id"), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create return the first response")),
    request_body = MeetingInput,
    responses(
        (status = 201, body = Meeting), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)
    ),
    security(("bearer" = []))
)]
#[post("/v1/working-groups/{id}/meetings")]
pub async fn add_meeting(
    service: web::Data<JointActions>,
    caller: Caller,
    key: IdempotencyKey,
    group_id: web::Path<String>,
    body: ValidJson<MeetingInput>,
) -> ApiResult<HttpResponse> {
    caller.officer_body()?;
    let group_id = group_id.into_inner();
    let meeting = body.value.parse(
        Uuid::now_v7().to_string(),
        group_id.clone(),
        common_models::time::today(),
    )?;
    let events = service.events_for(Some(&caller));
    let scope = caller.idempotency_scope(&format!("POST /v1/working-groups/{group_id}/meetings"));

    service
        .create(key, scope, body.raw.clone(), move |conn| {
            let group = load_group(conn, &group_id)?;
            check_write(&caller, &group.government_body, || format!("working group {group_id}"))?;
            if group.closed {
                return Err(ApiError::Conflict(format!(
                    "working group {group_id} is closed by its final report"
                )));
            }
            planning::insert_meeting(conn, &meeting, service_kit::now())?;
            audit_group(conn, &caller, &group, "meeting_recorded", &["meetings"])?;
            let payload = meeting.recorded_event(&group.government_body);
            outbox::enqueue(conn, &events.event(MEETING_RECORDED, payload)?)?;
            tracing::info!(group.id = %group_id, meeting.id = %meeting.id, "working group meeting recorded");
            let location = format!("/v1/working-groups/{group_id}/meetings");
            Created::new(meeting, location, None)
        })
        .await
}

/// List the meetings of a working group in the order they were recorded.
#[utoipa::path(
    get, path = "/v1/working-groups/{id}/meetings", tag = "planning",
    params(("id" = String, Path, description = "Working group id")),
    responses((status = 200, body = inline(Page<Meeting>)), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/v1/working-groups/{id}/meetings")]
pub async fn list_meetings(
    service: web::Data<JointActions>,
    caller: Caller,
    group_id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let group_id = group_id.into_inner();
    let items = service
        .db
        .run(move |conn| {
            let group = load_group(conn, &group_id)?;
            check_read(&caller, &group.government_body, || {
                format!("working group {group_id}")
            })?;
            planning::meetings(conn, &group_id).map_err(ApiError::from)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page {
        items,
        next_cursor: None,
    }))
}

/// Record the body's participation in a consultative body, such as a public council.
#[utoipa::path(
    post, path = "/v1/consultative-bodies", tag = "planning",
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create return the first response")),
    request_body = ConsultativeInput,
    responses((status = 201, body = ConsultativeBody), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []))
)]
#[post("/v1/consultative-bodies")]
pub async fn create_consultative(
    service: web::Data<JointActions>,
    caller: Caller,
    key: IdempotencyKey,
    body: ValidJson<ConsultativeInput>,
) -> ApiResult<HttpResponse> {
    let government_body = caller.officer_body()?.to_owned();
    let facts = body.value.parse(common_models::time::today())?;
    let scope = caller.idempotency_scope("POST /v1/consultative-bodies");

    service
        .create(key, scope, body.raw.clone(), move |conn| {
            let id = Uuid::now_v7().to_string();
            planning::insert_consultative(conn, &id, &government_body, &facts, service_kit::now())?;
            record_change(
                conn,
                &caller,
                CONSULTATIVE_ENTITY,
                &id,
                &government_body,
                "created",
                &facts.present_fields(),
            )?;
            let record = load_consultative(conn, &id)?;
            tracing::info!(consultative_body.id = %id, body.id = %government_body, "consultative body recorded");
            Created::new(record, format!("/v1/consultative-bodies/{id}"), None)
        })
        .await
}

fn load_consultative(conn: &mut AnyConnection, id: &str) -> Result<ConsultativeBody, ApiError> {
    planning::consultative(conn, None, Some(id))?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::NotFound(format!("consultative body {id}")))
}

/// List the consultative bodies the body takes part in, with their progress.
#[utoipa::path(
    get, path = "/v1/consultative-bodies", tag = "planning",
    responses((status = 200, body = inline(Page<ConsultativeBody>)), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = []))
)]
#[get("/v1/consultative-bodies")]
pub async fn list_consultative(
    service: web::Data<JointActions>,
    caller: Caller,
    _query: ValidQuery<NoParams>,
) -> ApiResult<HttpResponse> {
    let body = reading_scope(&caller)?;
    let items = service
        .db
        .run(move |conn| {
            planning::consultative(conn, body.as_deref(), None).map_err(ApiError::from)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page {
        items,
        next_cursor: None,
    }))
}

/// Read a consultative body with its progress.
#[utoipa::path(
    get, path = "/v1/consultative-bodies/{id}", tag = "planning",
    params(("id" = String, Path, description = "Consultative body id")),
    responses((status = 200, body = ConsultativeBody), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/v1/consultative-bodies/{id}")]
pub async fn get_consultative(
    service: web::Data<JointActions>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let record = service
        .db
        .run(move |conn| {
            let record = load_consultative(conn, &id)?;
            check_read(&caller, &record.government_body, || {
                format!("consultative body {id}")
            })?;
            Ok::<_, ApiError>(record)
        })
        .await?;
    Ok(HttpResponse::Ok().json(record))
}

/// Record progress of a consultative body's work.
#[utoipa::path(
    post, path = "/v1/consultative-bodies/{id}/progress", tag = "planning",
    params(("id" = String, Path, description = "Consultative body id"), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create return the first response")),
    request_body = ProgressInput,
    responses((status = 201, body = ProgressNote), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = []))
)]
#[post("/v1/consultative-bodies/{id}/progress")]
pub async fn add_progress(
    service: web::Data<JointActions>,
    caller: Caller,
    key: IdempotencyKey,
    id: web::Path<String>,
    body: ValidJson<ProgressInput>,
) -> ApiResult<HttpResponse> {
    caller.officer_body()?;
    let id = id.into_inner();
    let scope = caller.idempotency_scope(&format!("POST /v1/consultative-bodies/{id}/progress"));

    service
        .create(key, scope, body.raw.clone(), move |conn| {
            let record = load_consultative(conn, &id)?;
            check_write(&caller, &record.government_body, || {
                format!("consultative body {id}")
            })?;
            let note = body.value.parse(
                Uuid::now_v7().to_string(),
                record.joined_on,
                common_models::time::today(),
            )?;
            planning::insert_progress(conn, &id, &note, service_kit::now())?;
            record_change(
                conn,
                &caller,
                CONSULTATIVE_ENTITY,
                &id,
                &record.government_body,
                "progress_recorded",
                &["progress"],
            )?;
            tracing::info!(consultative_body.id = %id, "consultative body progress recorded");
            Created::new(note, format!("/v1/consultative-bodies/{id}"), None)
        })
        .await
}
