//! The monitoring and evaluation plan of a joint action: its rows, measurements, the
//! monitoring report, the measurements overdue across actions, and the plan as the
//! regulation's form.

use actix_web::{HttpResponse, get, post, web};
use chrono::NaiveDate;
use common_models::ActionStatus;
use common_models::event::joint_actions::{
    MEASUREMENT_RECORDED, MONITORING_CHANGED, MeasurementRecorded,
};
use serde::Serialize;
use service_kit::app::EventFactory;
use service_kit::audit::{self, Change};
use service_kit::export;
use service_kit::extract::{IdempotencyKey, ValidJson, ValidQuery};
use service_kit::idempotency::Created;
use service_kit::outbox;
use service_kit::pagination::Page;
use service_kit::problem::Problem;
use service_kit::{AnyConnection, ApiError, ApiResult, Caller};
use utoipa::ToSchema;
use uuid::Uuid;

use super::actions::{ENTITY, owned, readable};
use super::{JointActions, NoParams, reading_scope};
use crate::domain::action::Action;
use crate::domain::monitoring::{
    Measurement, MeasurementInput, MonitoringReport, MonitoringRow, RowInput, form,
    monitoring_changed,
};
use crate::store::{actions, monitoring};

/// Add a row to the monitoring and evaluation plan of a joint action.
///
/// The officer of the body only, until the action completes. Publishes
/// `joint_actions.monitoring.changed` with the whole plan.
#[utoipa::path(
    post, path = "/v1/joint-actions/{id}/monitoring-rows", tag = "monitoring",
    params(("id" = String, Path, description = "Action id"), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create return the first response")),
    request_body = RowInput,
    responses(
        (status = 201, body = MonitoringRow), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)
    ),
    security(("bearer" = []))
)]
#[post("/v1/joint-actions/{id}/monitoring-rows")]
pub async fn add_row(
    service: web::Data<JointActions>,
    caller: Caller,
    key: IdempotencyKey,
    action_id: web::Path<String>,
    body: ValidJson<RowInput>,
) -> ApiResult<HttpResponse> {
    caller.officer_body()?;
    let facts = body.value.parse()?;
    let action_id = action_id.into_inner();
    let events = service.events_for(Some(&caller));
    let scope = caller.idempotency_scope(&format!(
        "POST /v1/joint-actions/{action_id}/monitoring-rows"
    ));

    service
        .create(key, scope, body.raw.clone(), move |conn| {
            let action = owned(conn, &action_id, &caller)?;
            if matches!(
                action.status,
                ActionStatus::Completed | ActionStatus::Evaluated | ActionStatus::Cancelled
            ) {
                return Err(ApiError::Conflict(format!(
                    "action {action_id} is {}; its monitoring plan is closed",
                    action.status
                )));
            }
            let id = Uuid::now_v7().to_string();
            let now = service_kit::now();
            monitoring::insert_row(conn, &id, &action_id, &facts, now)?;
            actions::touch(conn, &action_id, now)?;
            audit::record(
                conn,
                Change {
                    entity: ENTITY,
                    entity_id: &action_id,
                    action: "monitoring_row_added",
                    actor: &caller.subject,
                    government_body: Some(&action.government_body),
                    fields: &["monitoring".to_owned()],
                },
            )?;
            let rows = report(conn, &action)?.rows;
            publish_plan(conn, &events, &action, &rows)?;
            let row = rows
                .into_iter()
                .find(|r| r.id == id)
                .ok_or_else(|| ApiError::NotFound(format!("monitoring row {id}")))?;
            tracing::info!(action.id = %action_id, row.id = %id, "monitoring row added");
            Created::new(
                row,
                format!("/v1/joint-actions/{action_id}/monitoring-rows/{id}"),
                None,
            )
        })
        .await
}

/// Builds the monitoring report of an action.
fn report(conn: &mut AnyConnection, action: &Action) -> Result<MonitoringReport, ApiError> {
    let until = match action.status {
        ActionStatus::InProgress => common_models::time::today(),
        _ => action
            .completed_on
            .unwrap_or_else(common_models::time::today),
    };
    let started_on = match action.status {
        ActionStatus::Draft | ActionStatus::Agreed | ActionStatus::Cancelled => None,
        _ => action.started_on,
    };
    let rows: Vec<MonitoringRow> = monitoring::rows(conn, &action.id)?
        .iter()
        .map(|row| row.progress(started_on, until))
        .collect();
    let indicators_total = rows.iter().map(|r| r.indicators.len() as i64).sum();
    let indicators_met = rows
        .iter()
        .flat_map(|r| r.indicators.iter())
        .filter(|i| i.met == Some(true))
        .count() as i64;
    Ok(MonitoringReport {
        rows,
        indicators_met,
        indicators_total,
    })
}

/// Enqueues `joint_actions.monitoring.changed` with `rows`, the whole monitoring plan of
/// `action` as the monitoring report builds it.
fn publish_plan(
    conn: &mut AnyConnection,
    events: &EventFactory,
    action: &Action,
    rows: &[MonitoringRow],
) -> Result<(), ApiError> {
    let payload = monitoring_changed(&action.id, &action.government_body, rows);
    outbox::enqueue(conn, &events.event(MONITORING_CHANGED, payload)?)?;
    Ok(())
}

/// Record a measurement of an indicator of a monitoring row.
///
/// The officer of the body only, while the action is in progress. Publishes
/// `joint_actions.measurement.recorded` and `joint_actions.monitoring.changed` with the
/// whole plan.
#[utoipa::path(
    post, path = "/v1/joint-actions/{id}/monitoring-rows/{row_id}/measurements", tag = "monitoring",
    params(("id" = String, Path, description = "Action id"), ("row_id" = String, Path, description = "Monitoring row id"), ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create return the first response")),
    request_body = MeasurementInput,
    responses(
        (status = 201, body = Measurement), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)
    ),
    security(("bearer" = []))
)]
#[post("/v1/joint-actions/{id}/monitoring-rows/{row_id}/measurements")]
pub async fn record_measurement(
    service: web::Data<JointActions>,
    caller: Caller,
    key: IdempotencyKey,
    path: web::Path<(String, String)>,
    body: ValidJson<MeasurementInput>,
) -> ApiResult<HttpResponse> {
    caller.officer_body()?;
    let (action_id, row_id) = path.into_inner();
    let events = service.events_for(Some(&caller));
    let scope = caller.idempotency_scope(&format!(
        "POST /v1/joint-actions/{action_id}/monitoring-rows/{row_id}/measurements"
    ));

    let response = service
        .create(key, scope, body.raw.clone(), move |conn| {
            let action = owned(conn, &action_id, &caller)?;
            let row = monitoring::rows(conn, &action_id)?
                .into_iter()
                .find(|r| r.id == row_id)
                .ok_or_else(|| ApiError::NotFound(format!("monitoring row {row_id}")))?;
            if action.status != ActionStatus::InProgress {
                return Err(ApiError::Conflict(format!(
                    "action {action_id} is {}; measurements are recorded while it is in progress",
                    action.status
                )));
            }
            let measurement = body.value.parse(
                &row.facts.indicators,
                action.started_on,
                common_models::time::today(),
            )?;
            let id = Uuid::now_v7().to_string();
            let now = service_kit::now();
            monitoring::insert_measurement(
                conn,
                &id,
                &action_id,
                &row_id,
                &measurement,
                &caller.subject,
                now,
            )?;
            audit::record(
                conn,
                Change {
                    entity: ENTITY,
                    entity_id: &action_id,
                    action: "measurement_recorded",
                    actor: &caller.subject,
                    government_body: Some(&action.government_body),
                    fields: &["measurements".to_owned()],
                },
            )?;
            let payload = MeasurementRecorded {
                action_id: action_id.clone(),
                government_body: action.government_body.clone(),
                row_id: row_id.clone(),
                indicator: measurement.indicator.clone(),
                measured_on: measurement.measured_on,
                value: measurement.value,
            };
            outbox::enqueue(conn, &events.event(MEASUREMENT_RECORDED, payload)?)?;
            let rows = report(conn, &action)?.rows;
            publish_plan(conn, &events, &action, &rows)?;
            tracing::info!(action.id = %action_id, row.id = %row_id, "measurement recorded");
            Created::new(
                measurement,
                format!("/v1/joint-actions/{action_id}/monitoring"),
                None,
            )
        })
        .await?;
    service.events_committed();
    Ok(response)
}

/// Read the monitoring report of a joint action: every row with its planned and actual
/// indicators, whether each target is met, and the measurements overdue.
#[utoipa::path(
    get, path = "/v1/joint-actions/{id}/monitoring", tag = "monitoring",
    params(("id" = String, Path, description = "Action id")),
    responses((status = 200, body = MonitoringReport), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/v1/joint-actions/{id}/monitoring")]
pub async fn monitoring_report(
    service: web::Data<JointActions>,
    caller: Caller,
    action_id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let action_id = action_id.into_inner();
    let report = service
        .db
        .run(move |conn| {
            let action = readable(conn, &action_id, &caller)?;
            report(conn, &action)
        })
        .await?;
    Ok(HttpResponse::Ok().json(report))
}

async fn plan_form(
    service: &JointActions,
    caller: Caller,
    action_id: String,
) -> Result<export::Table, ApiError> {
    service
        .db
        .run(move |conn| {
            let action = readable(conn, &action_id, &caller)?;
            Ok::<_, ApiError>(form(&report(conn, &action)?.rows))
        })
        .await
}

/// Download the monitoring and evaluation plan of a joint action as the regulation's
/// form, in CSV.
#[utoipa::path(
    get, path = "/v1/joint-actions/{id}/monitoring-plan.csv", tag = "monitoring",
    params(("id" = String, Path, description = "Action id")),
    responses((status = 200, description = "The form in UTF-8 CSV with a byte order mark", content_type = "text/csv"), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/v1/joint-actions/{id}/monitoring-plan.csv")]
pub async fn export_plan_csv(
    service: web::Data<JointActions>,
    caller: Caller,
    action_id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let table = plan_form(&service, caller, action_id.into_inner()).await?;
    Ok(export::attachment(
        export::CSV,
        "monitoring-plan.csv",
        table.to_csv()?,
    ))
}

/// Download the monitoring and evaluation plan of a joint action as the regulation's
/// form, in XLSX.
#[utoipa::path(
    get, path = "/v1/joint-actions/{id}/monitoring-plan.xlsx", tag = "monitoring",
    params(("id" = String, Path, description = "Action id")),
    responses((status = 200, description = "The form as an Excel workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (status = 404, body = Problem)),
    security(("bearer" = []))
)]
#[get("/v1/joint-actions/{id}/monitoring-plan.xlsx")]
pub async fn export_plan_xlsx(
    service: web::Data<JointActions>,
    caller: Caller,
    action_id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let table = plan_form(&service, caller, action_id.into_inner()).await?;
    Ok(export::attachment(
        export::XLSX,
        "monitoring-plan.xlsx",
        table.to_xlsx()?,
    ))
}

/// A measurement that fell due without being recorded.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OverdueMeasurement {
    pub action_id: String,
    pub government_body: String,
    pub row_id: String,
    pub activity: String,
    pub due_on: NaiveDate,
}

/// List the measurements overdue in running joint actions, oldest due date first.
///
/// An officer reads the actions of their body, the ministry those of every body.
#[utoipa::path(
    get, path = "/v1/joint-actions-overdue-measurements", tag = "monitoring",
    responses((status = 200, body = inline(Page<OverdueMeasurement>)), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = []))
)]
#[get("/v1/joint-actions-overdue-measurements")]
pub async fn overdue_measurements(
    service: web::Data<JointActions>,
    caller: Caller,
    _query: ValidQuery<NoParams>,
) -> ApiResult<HttpResponse> {
    let body = reading_scope(&caller)?;
    let items = service
        .db
        .run(move |conn| {
            // NOTE: the list covers at most 10,000 running actions of the caller's scope,
            // which one body or even the national total is not expected to reach.
            let running = actions::list(
                conn,
                body.as_deref(),
                Some(ActionStatus::InProgress),
                None,
                10_000,
            )?;
            let mut items = Vec::new();
            for action in running {
                for row in report(conn, &action)?.rows {
                    items.extend(row.overdue.iter().map(|due_on| OverdueMeasurement {
                        action_id: action.id.clone(),
                        government_body: action.government_body.clone(),
                        row_id: row.id.clone(),
                        activity: row.activity.clone(),
                        due_on: *due_on,
                    }));
                }
            }
            items.sort_by(|a, b| {
                a.due_on
                    .cmp(&b.due_on)
                    .then_with(|| a.action_id.cmp(&b.action_id))
            });
            Ok::<_, ApiError>(items)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page {
        items,
        next_cursor: None,
    }))
}
