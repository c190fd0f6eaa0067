//! `/v1/needs-assessment-schedule`: spheres and territories due for their next
//! assessment, and the overdue notices sent as events.

use std::time::Duration;

use actix_web::{HttpResponse, get, web};
use chrono::NaiveDate;
use common_models::Catalogue;
use common_models::event::needs::{ASSESSMENT_OVERDUE, AssessmentOverdue};
use serde::{Deserialize, Serialize};
use service_kit::app::EventFactory;
use service_kit::extract::ValidQuery;
use service_kit::problem::Problem;
use service_kit::{AnyConnection, ApiError, ApiResult, Caller, Role, ServiceContext};
use tokio_util::sync::CancellationToken;
use utoipa::{IntoParams, ToSchema};

use super::Needs;
use crate::domain::schedule::{DEFAULT_WITHIN_DAYS, DueAssessment, DueState, due_state, next_due};
use crate::store::overdue;

/// How often the background check looks for assessments that fell overdue.
const CHECK_INTERVAL: Duration = Duration::from_secs(3600);
/// Actor of the events the background check publishes.
const CHECK_ACTOR: &str = "needs-schedule";

/// Query of the schedule.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ScheduleQuery {
    /// Also list what falls due within this many days, 1 to 366 (default 90).
    pub within_days: Option<i64>,
    /// Government body; the ministry may name any, an officer only their own.
    pub government_body: Option<String>,
}

/// The schedule: overdue first, then by due date.
#[derive(Debug, Serialize, ToSchema)]
pub struct Schedule {
    /// Local date (Asia/Almaty) the states are computed for.
    pub today: NaiveDate,
    pub items: Vec<DueAssessment>,
}

/// List the spheres and territories whose next needs assessment is overdue or falls
/// due soon.
///
/// Every sphere and territory of a body is due two years after the last day of its
/// last completed (analysed) assessment. Officers see their own body, the ministry
/// every body.
#[utoipa::path(
    get, path = "/v1/needs-assessment-schedule", tag = "schedule", params(ScheduleQuery),
    responses(
        (status = 200, body = Schedule), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 422, body = Problem)
    ),
    security(("bearer" = []))
)]
#[get("/v1/needs-assessment-schedule")]
pub async fn due_assessments(
    needs: web::Data<Needs>,
    caller: Caller,
    query: ValidQuery<ScheduleQuery>,
) -> ApiResult<HttpResponse> {
    caller.require(&[Role::Officer, Role::Ministry])?;
    let query = query.into_inner();
    let within_days = query.within_days.unwrap_or(DEFAULT_WITHIN_DAYS);
    if !(1..=366).contains(&within_days) {
        return Err(ApiError::field(
            "#/query/within_days",
            "must be between 1 and 366",
        ));
    }
    let government_body = match (caller.role, query.government_body) {
        (Role::Officer, Some(asked)) if Some(asked.as_str()) != caller.body() => {
            return Err(ApiError::Forbidden(format!(
                "the schedule of {asked} is for its own officer and the ministry"
            )));
        }
        (Role::Officer, _) => Some(caller.officer_body()?.to_owned()),
        (_, asked) => asked,
    };
    let today = common_models::time::today();

    let items = needs
        .db
        .run(move |conn| {
            let latest = overdue::last_completed(conn, government_body.as_deref())?;
            Ok::<_, ApiError>(due_list(latest, today, within_days))
        })
        .await?;

    Ok(HttpResponse::Ok().json(Schedule { today, items }))
}

fn due_list(
    latest: Vec<crate::domain::schedule::LastCompleted>,
    today: NaiveDate,
    within_days: i64,
) -> Vec<DueAssessment> {
    let mut items: Vec<DueAssessment> = latest
        .into_iter()
        .filter_map(|last| {
            let next_due_on = next_due(last.completed_on);
            let state = due_state(next_due_on, today, within_days)?;
            Some(DueAssessment {
                government_body: last.government_body,
                sphere: last.sphere,
                territory: last.territory,
                territory_name: last.territory_name,
                last_assessment_id: last.assessment_id,
                last_completed_on: last.completed_on,
                next_due_on,
                state,
            })
        })
        .collect();
    items.sort_by(|a, b| {
        a.next_due_on
            .cmp(&b.next_due_on)
            .then_with(|| a.government_body.cmp(&b.government_body))
            .then_with(|| a.sphere.code().cmp(b.sphere.code()))
            .then_with(|| a.territory.cmp(&b.territory))
    });
    items
}

/// Publishes `needs.assessment.overdue` for every overdue sphere and territory, of
/// `government_body` when given, that has not had its notice for the current due date.
/// Returns the number of notices. Runs inside the caller's transaction, so a notice is
/// recorded exactly when its event is.
pub fn notify_overdue(
    conn: &mut AnyConnection,
    events: &EventFactory,
    government_body: Option<&str>,
    today: NaiveDate,
) -> Result<usize, ApiError> {
    let mut sent = 0;
    for last in overdue::last_completed(conn, government_body)? {
        let next_due_on = next_due(last.completed_on);
        if due_state(next_due_on, today, 0) != Some(DueState::Overdue) {
            continue;
        }
        if !overdue::record_notice(conn, &last, next_due_on, service_kit::now())? {
            continue;
        }
        let payload = AssessmentOverdue {
            government_body: last.government_body.clone(),
            sphere: last.sphere.code().to_owned(),
            territory: last.territory.clone(),
            last_assessment_id: last.assessment_id.clone(),
            last_completed_on: last.completed_on,
            next_due_on,
        };
        service_kit::outbox::enqueue(conn, &events.event(ASSESSMENT_OVERDUE, payload)?)?;
        tracing::info!(
            body.id = %last.government_body,
            sphere = %last.sphere,
            territory = %last.territory,
            %next_due_on,
            "needs assessment overdue"
        );
        sent += 1;
    }
    Ok(sent)
}

/// Checks every body for overdue assessments at start-up and then hourly, until `stop`
/// is cancelled. A failed check is logged and tried again at the next interval.
pub async fn run_overdue_checks(context: ServiceContext, stop: CancellationToken) {
    loop {
        let events = context.events_as(CHECK_ACTOR, None, None);
        let today = common_models::time::today();
        let outcome = context
            .db
            .transaction(move |conn| notify_overdue(conn, &events, None, today))
            .await;
        match outcome {
            Ok(0) => {}
            Ok(sent) => {
                tracing::info!(notices = sent, "overdue needs assessments reported");
                context.events_committed();
            }
            Err(error) => {
                tracing::warn!(error = %error, "overdue check failed; retrying in an hour")
            }
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(CHECK_INTERVAL) => {}
        }
    }
}
