//! `/v1/head-meetings`: the national schedule of meetings of government bodies' heads
//! with NPOs. Anyone reads the schedule, without a token, because the regulation makes
//! these meetings public information. The ministry keeps the schedule and schedules,
//! changes, cancels and records the outcome of any meeting. A body's officer, who
//! organises its head's meetings, schedules and changes them and records their
//! outcome; only the ministry cancels one.

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use common_models::event::aggregation::{
    MEETING_CANCELLED, MEETING_HELD, MEETING_RESCHEDULED, MEETING_SCHEDULED,
};
use common_models::time::start_of_local_day;
use common_models::{KatoCode, Sphere};
use serde::Deserialize;
use service_kit::audit::{self, Change};
use service_kit::extract::{IdempotencyKey, IfMatch, ValidJson, ValidQuery, etag};
use service_kit::idempotency::Created;
use service_kit::pagination::{Page, PageParams};
use service_kit::problem::Problem;
use service_kit::validate::YEARS;
use service_kit::{AnyConnection, ApiError, ApiResult, Caller, MaybeCaller, Role, outbox};
use utoipa::IntoParams;
use uuid::Uuid;

use super::{Aggregation, registry};
use crate::domain::head_meetings::{
    CancellationInput, HeadMeeting, HeadMeetingInput, HeadMeetingPatch, MeetingStatus, OutcomeInput,
};
use crate::domain::{Errors, parse_code, parse_date};
use crate::store::bodies;
use crate::store::head_meetings::{self as store, Closing, Filter, SchedulePosition};

/// Entity name of meetings in the audit trail.
const ENTITY: &str = "head_meeting";

/// Reads meeting `id`, or 404.
fn find(conn: &mut AnyConnection, id: &str) -> Result<HeadMeeting, ApiError> {
    store::find(conn, id)?.ok_or_else(|| ApiError::NotFound(format!("head meeting {id}")))
}

/// Reads meeting `id` outside a transaction, or 404.
async fn find_meeting(service: &Aggregation, id: String) -> Result<HeadMeeting, ApiError> {
    service.db.run(move |conn| find(conn, &id)).await
}

/// Fails with 403 when an officer acts on a meeting of another body than their own.
fn require_own_body(caller: &Caller, government_body: &str) -> Result<(), ApiError> {
    if caller.role == Role::Officer && caller.body() != Some(government_body) {
        return Err(ApiError::Forbidden(format!(
            "an officer acts only on the meetings of their own body, not on those of \
             government body {government_body}"
        )));
    }
    Ok(())
}

/// Looks up each of `territories` in the registry's KATO classifier, failing with 422
/// at the first unknown one.
async fn check_territories(
    service: &Aggregation,
    territories: &[KatoCode],
) -> Result<(), ApiError> {
    for (index, territory) in territories.iter().enumerate() {
        let pointer = format!("/territories/{index}");
        registry::check_territory(service, territory, &pointer).await?;
    }
    Ok(())
}

/// Responds 200 with `meeting` and its ETag.
fn respond(meeting: &HeadMeeting) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("ETag", etag(meeting.version)))
        .json(meeting)
}

/// Put a meeting of a body's head with NPOs on the national schedule.
///
/// The ministry for any body, or the officer of the meeting's body. The body must be
/// in the register and each territory in the registry's KATO classifier. The meeting
/// needs a place, an online link or both. The invited NPOs are chosen from the ministry's
/// read model of the registry: active NPOs working in one of the territories or under
/// one, and in one of the spheres (any sphere when none is given). Publishes
/// `aggregation.meeting.scheduled`.
#[utoipa::path(
    post, path = "/v1/head-meetings", tag = "head-meetings",
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create return the first response")),
    request_body = HeadMeetingInput,
    responses(
        (status = 201, body = HeadMeeting, headers(("Location" = String), ("ETag" = String))),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem),
        (status = 503, body = Problem)
    ),
    security(("bearer" = []))
)]
#[post("/v1/head-meetings")]
pub async fn create_meeting(
    service: web::Data<Aggregation>,
    caller: Caller,
    key: IdempotencyKey,
    body: ValidJson<HeadMeetingInput>,
) -> ApiResult<HttpResponse> {
    caller.require(&[Role::Officer, Role::Ministry])?;
    let ValidJson { value: input, raw } = body;
    let (government_body, facts) = input.parse()?;
    require_own_body(&caller, &government_body)?;
    check_territories(&service, &facts.territories).await?;
    let events = service.events_for(Some(&caller));
    let scope = caller.idempotency_scope("POST /v1/head-meetings");

    service
        .create(key, scope, raw, move |conn| {
            if !bodies::exists(conn, &government_body)? {
                return Err(ApiError::field(
                    "/government_body",
                    format!("government body '{government_body}' is not in the register"),
                ));
            }
            let invited = store::invited_npos(conn, &facts)?;
            let id = Uuid::now_v7().to_string();
            let now = service_kit::now();
            store::insert(
                conn,
                &id,
                &government_body,
                &facts,
                &invited,
                &caller.subject,
                now,
            )?;
            audit::record(
                conn,
                Change {
                    entity: ENTITY,
                    entity_id: &id,
                    action: "scheduled",
                    actor: &caller.subject,
                    government_body: Some(&government_body),
                    fields: &[
                        "head_position",
                        "head_full_name",
                        "starts_at",
                        "place",
                        "online_url",
                        "agenda",
                        "spheres",
                        "territories",
                        "invited_npo_ids",
                    ]
                    .map(str::to_owned),
                },
            )?;
            let meeting = find(conn, &id)?;
            outbox::enqueue(conn, &events.event(MEETING_SCHEDULED, meeting.event())?)?;
            tracing::info!(
                head_meeting.id = %id,
                body.id = %government_body,
                invited = invited.len(),
                "head meeting scheduled"
            );
            let version = meeting.version;
            Created::new(
                meeting,
                format!("/v1/head-meetings/{id}"),
                Some(etag(version)),
            )
        })
        .await
}

/// Filters and paging of the schedule. Periods are local dates in Kazakhstan
/// (Asia/Almaty), and a meeting matches every filter present.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HeadMeetingQuery {
    /// Only meetings starting in this year.
    pub year: Option<i32>,
    /// Only meetings starting in this month (1 to 12) of `year`, which it requires.
    pub month: Option<u32>,
    /// Only meetings starting on or after this day, YYYY-MM-DD.
    #[param(value_type = Option<NaiveDate>)]
    pub from: Option<String>,
    /// Only meetings starting on or before this day, YYYY-MM-DD.
    #[param(value_type = Option<NaiveDate>)]
    pub to: Option<String>,
    /// Only meetings of this government body.
    pub government_body: Option<String>,
    /// Only meetings inviting NPOs of this territory, such as a region: one of their
    /// territories lies inside it or contains it.
    #[param(value_type = Option<KatoCode>)]
    pub territory: Option<String>,
    /// Only meetings inviting NPOs of this sphere, those open to every sphere included.
    #[param(value_type = Option<Sphere>)]
    pub sphere: Option<String>,
    #[param(value_type = Option<MeetingStatus>)]
    pub status: Option<String>,
    /// Items per page, 1 to 200 (default 50).
    pub limit: Option<i64>,
    /// Cursor from the previous page.
    pub cursor: Option<String>,
}

/// Instants between which the listed meetings start, as the period filters set them.
#[derive(Debug, Default)]
struct Period {
    from: Option<DateTime<Utc>>,
    before: Option<DateTime<Utc>>,
}

impl Period {
    /// Leaves out meetings that start before the local day `first`.
    fn starting_on(&mut self, first: NaiveDate) {
        let from = start_of_local_day(first);
        self.from = Some(self.from.map_or(from, |held| held.max(from)));
    }

    /// Leaves out meetings that start on the local day `next` or later.
    fn ending_before(&mut self, next: NaiveDate) {
        let before = start_of_local_day(next);
        self.before = Some(self.before.map_or(before, |held| held.min(before)));
    }

    /// Keeps the meetings that start from the local day `first` to the day before
    /// `next`.
    fn narrow(&mut self, first: NaiveDate, next: NaiveDate) {
        self.starting_on(first);
        self.ending_before(next);
    }
}

impl HeadMeetingQuery {
    fn parse(&self) -> Result<(Filter, i64, Option<SchedulePosition>), ApiError> {
        let mut errors = Errors::default();
        let mut period = Period::default();
        self.parse_period(&mut errors, &mut period);
        let territory = self
            .territory
            .as_deref()
            .and_then(|raw| errors.check("#/query/territory", KatoCode::parse(raw)));
        let sphere = self
            .sphere
            .as_deref()
            .and_then(|raw| errors.check("#/query/sphere", parse_code::<Sphere>(raw.trim())));
        let status = self.status.as_deref().and_then(|raw| {
            errors.check("#/query/status", parse_code::<MeetingStatus>(raw.trim()))
        });
        errors.into_result()?;

        let page = PageParams {
            limit: self.limit,
            cursor: self.cursor.clone(),
        };
        let after = page.after()?.as_deref().map(cursor_key).transpose()?;
        let filter = Filter {
            starts_from: period.from,
            starts_before: period.before,
            government_body: self.government_body.as_deref().map(|b| b.trim().to_owned()),
            territory,
            sphere,
            status,
        };
        Ok((filter, page.limit()?, after))
    }

    /// Parses `year`, `month`, `from` and `to` into `period`.
    fn parse_period(&self, errors: &mut Errors, period: &mut Period) {
        if let Some(year) = self.year {
            if !YEARS.contains(&year) {
                errors.add(
                    "#/query/year",
                    format!("must be between {} and {}", YEARS.start(), YEARS.end()),
                );
            } else if let Some(month) = self.month {
                match first_of_month(year, month) {
                    Some((first, next)) => period.narrow(first, next),
                    None => errors.add("#/query/month", "must be between 1 and 12"),
                }
            } else if let (Some(first), Some(next)) = (
                NaiveDate::from_ymd_opt(year, 1, 1),
                NaiveDate::from_ymd_opt(year + 1, 1, 1),
            ) {
                period.narrow(first, next);
            }
        } else if self.month.is_some() {
            errors.add("#/query/month", "needs year; give the year of the month");
        }
        let from = self
            .from
            .as_deref()
            .and_then(|raw| errors.check("#/query/from", parse_date(raw)));
        let to = self
            .to
            .as_deref()
            .and_then(|raw| errors.check("#/query/to", parse_date(raw)));
        if let (Some(from), Some(to)) = (from, to)
            && to < from
        {
            errors.add("#/query/to", format!("{to} is before from ({from})"));
            return;
        }
        if let Some(from) = from {
            period.starting_on(from);
        }
        if let Some(next) = to.and_then(|to| to.succ_opt()) {
            period.ending_before(next);
        }
    }
}

/// Returns the first day of `month` of `year` and of the month after it, or `None` for
/// a month outside 1 to 12.
fn first_of_month(year: i32, month: u32) -> Option<(NaiveDate, NaiveDate)> {
    let first = NaiveDate::from_ymd_opt(year, month, 1)?;
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)?
    };
    Some((first, next))
}

/// Formats the cursor key of a meeting, `<starts_at>/<id>`.
fn key_of(meeting: &HeadMeeting) -> String {
    format!(
        "{}/{}",
        meeting
            .starts_at
            .to_rfc3339_opts(SecondsFormat::Micros, true),
        meeting.id
    )
}

/// Splits a cursor key, `<starts_at>/<id>`.
fn cursor_key(key: &str) -> Result<SchedulePosition, ApiError> {
    key.split_once('/')
        .and_then(|(at, id)| {
            let at = common_models::time::parse_instant(at).ok()?;
            Some((at, id.to_owned()))
        })
        .ok_or_else(|| ApiError::field("#/query/cursor", "is not a cursor returned by this API"))
}

/// List the national schedule of meetings of bodies' heads with NPOs, in the order of
/// their start. Public: no token needed.
///
/// Each meeting shows the number of NPOs it invites; read one meeting for their ids.
#[utoipa::path(
    get, path = "/v1/head-meetings", tag = "head-meetings", params(HeadMeetingQuery),
    responses((status = 200, body = inline(Page<HeadMeeting>)), (status = 422, body = Problem))
)]
#[get("/v1/head-meetings")]
pub async fn list_meetings(
    service: web::Data<Aggregation>,
    _caller: MaybeCaller,
    query: ValidQuery<HeadMeetingQuery>,
) -> ApiResult<HttpResponse> {
    let (filter, limit, after) = query.parse()?;
    let items = service
        .db
        .run(move |conn| store::list(conn, &filter, after, limit + 1).map_err(ApiError::from))
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_overfetch(items, limit, key_of)))
}

/// Read a meeting of the national schedule with the ids of the NPOs it invites. Public:
/// no token needed.
#[utoipa::path(
    get, path = "/v1/head-meetings/{id}", tag = "head-meetings",
    params(("id" = String, Path, description = "Meeting id")),
    responses(
        (status = 200, body = HeadMeeting, headers(("ETag" = String))),
        (status = 404, body = Problem)
    )
)]
#[get("/v1/head-meetings/{id}")]
pub async fn get_meeting(
    service: web::Data<Aggregation>,
    _caller: MaybeCaller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let meeting = find_meeting(&service, id.into_inner()).await?;
    Ok(respond(&meeting))
}

/// Change a scheduled meeting: its head, time, place, online link, agenda, spheres or
/// territories.
///
/// The ministry, or the officer of the meeting's body, with `If-Match` carrying the
/// meeting's ETag. The body is a JSON merge patch. The invited NPOs are chosen again
/// from the read model. 409 for a cancelled or held meeting. Publishes
/// `aggregation.meeting.rescheduled` when anything changed, the invited NPOs included;
/// a change that changes nothing publishes nothing.
#[utoipa::path(
    patch, path = "/v1/head-meetings/{id}", tag = "head-meetings",
    params(
        ("id" = String, Path, description = "Meeting id"),
        ("If-Match" = String, Header, description = "ETag of the meeting from the last read")
    ),
    request_body = HeadMeetingPatch,
    responses(
        (status = 200, body = HeadMeeting, headers(("ETag" = String))),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem),
        (status = 428, body = Problem), (status = 503, body = Problem)
    ),
    security(("bearer" = []))
)]
#[patch("/v1/head-meetings/{id}")]
pub async fn update_meeting(
    service: web::Data<Aggregation>,
    caller: Caller,
    if_match: IfMatch,
    id: web::Path<String>,
    body: ValidJson<HeadMeetingPatch>,
) -> ApiResult<HttpResponse> {
    caller.require(&[Role::Officer, Role::Ministry])?;
    let id = id.into_inner();
    let before = find_meeting(&service, id.clone()).await?;
    require_own_body(&caller, &before.government_body)?;
    let patch = body.value;
    if let Some(territories) = patch.parse_territories()? {
        check_territories(&service, &territories).await?;
    }
    let events = service.events_for(Some(&caller));

    let meeting = service
        .db
        .transaction(move |conn| {
            let current = find(conn, &id)?;
            if_match.check(&etag(current.version))?;
            current.ensure_scheduled("changed")?;
            let facts = patch.apply(&current)?;
            let invited = store::invited_npos(conn, &facts)?;
            let mut changed = facts.changed_fields(&current);
            if current.invited_npo_ids.as_ref() != Some(&invited) {
                changed.push("invited_npo_ids".to_owned());
            }
            if changed.is_empty() {
                return Ok(current);
            }
            let now = service_kit::now();
            if !store::update(
                conn,
                &id,
                current.version,
                &facts,
                &invited,
                &caller.subject,
                now,
            )? {
                return Err(ApiError::PreconditionFailed);
            }
            audit::record(
                conn,
                Change {
                    entity: ENTITY,
                    entity_id: &id,
                    action: "rescheduled",
                    actor: &caller.subject,
                    government_body: Some(&current.government_body),
                    fields: &changed,
                },
            )?;
            let meeting = find(conn, &id)?;
            outbox::enqueue(conn, &events.event(MEETING_RESCHEDULED, meeting.event())?)?;
            tracing::info!(
                head_meeting.id = %id,
                body.id = %meeting.government_body,
                invited = invited.len(),
                "head meeting rescheduled"
            );
            Ok::<_, ApiError>(meeting)
        })
        .await?;
    service.events_committed();
    Ok(respond(&meeting))
}

/// Cancel a scheduled meeting, with an optional reason shown on the schedule.
///
/// Ministry only, with `If-Match` carrying the meeting's ETag. 409 for a meeting
/// already cancelled or held. Publishes `aggregation.meeting.cancelled` with the NPOs
/// the meeting invited.
#[utoipa::path(
    post, path = "/v1/head-meetings/{id}/cancellation", tag = "head-meetings",
    params(
        ("id" = String, Path, description = "Meeting id"),
        ("If-Match" = String, Header, description = "ETag of the meeting from the last read")
    ),
    request_body = CancellationInput,
    responses(
        (status = 200, body = HeadMeeting, headers(("ETag" = String))),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem),
        (status = 428, body = Problem)
    ),
    security(("bearer" = []))
)]
#[post("/v1/head-meetings/{id}/cancellation")]
pub async fn cancel_meeting(
    service: web::Data<Aggregation>,
    caller: Caller,
    if_match: IfMatch,
    id: web::Path<String>,
    body: ValidJson<CancellationInput>,
) -> ApiResult<HttpResponse> {
    caller.require(&[Role::Ministry])?;
    let reason = body.value.parse()?;
    let meeting = close_meeting(
        &service,
        caller,
        if_match,
        id.into_inner(),
        Closing::Cancelled { reason },
    )
    .await?;
    Ok(respond(&meeting))
}

/// Record that a meeting took place, with its outcome.
///
/// The ministry, or the officer of the meeting's body, with `If-Match` carrying the
/// meeting's ETag. The outcome is required. 409 for a meeting that has not started yet,
/// or that is already cancelled or held. Publishes `aggregation.meeting.held`.
#[utoipa::path(
    post, path = "/v1/head-meetings/{id}/outcome", tag = "head-meetings",
    params(
        ("id" = String, Path, description = "Meeting id"),
        ("If-Match" = String, Header, description = "ETag of the meeting from the last read")
    ),
    request_body = OutcomeInput,
    responses(
        (status = 200, body = HeadMeeting, headers(("ETag" = String))),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem),
        (status = 428, body = Problem)
    ),
    security(("bearer" = []))
)]
#[post("/v1/head-meetings/{id}/outcome")]
pub async fn record_outcome(
    service: web::Data<Aggregation>,
    caller: Caller,
    if_match: IfMatch,
    id: web::Path<String>,
    body: ValidJson<OutcomeInput>,
) -> ApiResult<HttpResponse> {
    caller.require(&[Role::Officer, Role::Ministry])?;
    let id = id.into_inner();
    let before = find_meeting(&service, id.clone()).await?;
    require_own_body(&caller, &before.government_body)?;
    let outcome = body.value.parse()?;
    let meeting = close_meeting(&service, caller, if_match, id, Closing::Held { outcome }).await?;
    Ok(respond(&meeting))
}

/// Cancels or holds meeting `id` as `caller`, who may do it, and publishes the event
/// of the change.
async fn close_meeting(
    service: &Aggregation,
    caller: Caller,
    if_match: IfMatch,
    id: String,
    closing: Closing,
) -> Result<HeadMeeting, ApiError> {
    let events = service.events_for(Some(&caller));
    let (action, event_type, field) = match closing {
        Closing::Cancelled { .. } => ("cancelled", MEETING_CANCELLED, "cancellation_reason"),
        Closing::Held { .. } => ("held", MEETING_HELD, "outcome"),
    };

    let meeting = service
        .db
        .transaction(move |conn| {
            let current = find(conn, &id)?;
            if_match.check(&etag(current.version))?;
            current.ensure_scheduled(action)?;
            let now = service_kit::now();
            if matches!(closing, Closing::Held { .. }) {
                current.ensure_started(now)?;
            }
            if !store::close(conn, &id, current.version, &closing, &caller.subject, now)? {
                return Err(ApiError::PreconditionFailed);
            }
            audit::record(
                conn,
                Change {
                    entity: ENTITY,
                    entity_id: &id,
                    action,
                    actor: &caller.subject,
                    government_body: Some(&current.government_body),
                    fields: &["status".to_owned(), field.to_owned()],
                },
            )?;
            let meeting = find(conn, &id)?;
            outbox::enqueue(conn, &events.event(event_type, meeting.event())?)?;
            tracing::info!(
                head_meeting.id = %id,
                body.id = %meeting.government_body,
                "head meeting {action}"
            );
            Ok::<_, ApiError>(meeting)
        })
        .await?;
    service.events_committed();
    Ok(meeting)
}
