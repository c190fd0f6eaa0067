//! Annual reports of the officers to the ministry: opened by the officer, assembled
//! from the read models, completed with the narrative, submitted, and accepted or
//! returned by the ministry. Every submission is kept as a version.

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{Datelike, NaiveDate};
use common_models::Catalogue;
use serde::{Deserialize, Serialize};
use service_kit::audit::{self, Change};
use service_kit::export::{self, XLSX};
use service_kit::extract::{IdempotencyKey, IfMatch, ValidJson, ValidQuery, etag};
use service_kit::idempotency::Created;
use service_kit::pagination::{Page, PageParams};
use service_kit::problem::Problem;
use service_kit::{AnyConnection, ApiError, ApiResult, Caller, Role};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::Aggregation;
use crate::domain::compliance::ComplianceSettings;
use crate::domain::reports::{self, Narrative, ReportContent, ReportStatus};
use crate::domain::{Errors, multiline_text, parse_code};
use crate::store::reports::{self as store, Filter, Report};

/// Maximum length of the ministry's comments on a returned report.
const MAX_COMMENTS: usize = 10_000;

/// Returns the deadline of the report on `year`, from the settings checked at start.
fn due_on(settings: &ComplianceSettings, year: i32) -> Result<NaiveDate, ApiError> {
    reports::due_on(settings.report_due, year)
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("no deadline for year {year}")))
}

/// Body of a request that opens the annual report of a body for a year.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportInput {
    /// Reporting year, from 2020 to the current year.
    pub year: i32,
}

/// Body of a request that saves the narrative of a report.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NarrativeInput {
    pub narrative: Narrative,
}

/// Body of the ministry's review of a submitted report.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    /// `accepted` or `returned`.
    #[schema(value_type = String)]
    pub decision: String,
    /// Corrections the officer must make; required when the report is returned.
    pub comments: Option<String>,
}

/// An annual report with its content: assembled now while the officer prepares it,
/// as submitted afterwards.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnnualReport {
    pub id: String,
    pub government_body: String,
    pub year: i32,
    pub status: ReportStatus,
    /// Last day of submission, in Asia/Almaty.
    pub due_on: NaiveDate,
    /// Day of the first submission.
    pub submitted_on: Option<NaiveDate>,
    /// Whether the first submission came after the deadline, or the deadline passed
    /// without one.
    pub late: bool,
    pub accepted_on: Option<NaiveDate>,
    /// Number of the latest submitted version; 0 before the first submission.
    pub current_version: i32,
    /// Number of changes, starting at 1; the ETag is this number in quotes.
    pub version: i32,
    pub content: ReportContent,
}

/// An annual report in a list, without its content.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportSummary {
    pub id: String,
    pub government_body: String,
    pub year: i32,
    pub status: ReportStatus,
    pub due_on: NaiveDate,
    pub submitted_on: Option<NaiveDate>,
    pub late: bool,
    pub accepted_on: Option<NaiveDate>,
    pub current_version: i32,
}

/// One submitted version of a report and the ministry's review of it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportVersion {
    pub number: i32,
    pub submitted_on: NaiveDate,
    /// `accepted` or `returned`, once reviewed.
    pub review: Option<String>,
    pub comments: Option<String>,
    pub reviewed_on: Option<NaiveDate>,
    /// The content as submitted; absent in the list of versions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<ReportContent>,
}

/// Query of the report list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// Only the reports of this body. Officers see only their own body's reports.
    pub government_body: Option<String>,
    pub year: Option<i32>,
    #[param(value_type = Option<ReportStatus>)]
    pub status: Option<String>,
    /// Items per page, 1 to 200 (default 50).
    pub limit: Option<i64>,
    /// Cursor from the previous page.
    pub cursor: Option<String>,
}

/// Query of an export.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// Version to export; the current content when absent.
    pub version: Option<i32>,
}

fn late(report: &Report, today: NaiveDate) -> bool {
    match report.submitted_on {
        Some(submitted) => submitted > report.due_on,
        None => today > report.due_on,
    }
}

/// Fails unless the caller may read `report`: 403 for roles that read no reports, and
/// 404 for the officer of another body, to whom another body's report does not exist.
fn may_read(caller: &Caller, report: &Report) -> Result<(), ApiError> {
    caller.require(&[Role::Officer, Role::Ministry])?;
    if caller.role == Role::Officer && caller.body() != Some(report.government_body.as_str()) {
        return Err(ApiError::NotFound(format!("annual report {}", report.id)));
    }
    Ok(())
}

/// Fails unless the caller is the officer of the body of `report`: 403 for other roles,
/// 404 for the officer of another body.
fn may_write(caller: &Caller, report: &Report) -> Result<(), ApiError> {
    caller.require(&[Role::Officer])?;
    if caller.body() != Some(report.government_body.as_str()) {
        return Err(ApiError::NotFound(format!("annual report {}", report.id)));
    }
    Ok(())
}

/// Fails with 403 unless the caller is the current officer of `body`: a replaced
/// officer keeps a token naming the body until it expires.
fn check_current_officer(
    conn: &mut AnyConnection,
    caller: &Caller,
    body: &str,
) -> Result<(), ApiError> {
    match crate::store::officers::current(conn, body)? {
        Some(current) if current.officer == caller.subject => Ok(()),
        Some(_) => Err(ApiError::Forbidden(format!(
            "only the current officer of government body {body} prepares its annual report"
        ))),
        None => Err(ApiError::Forbidden(format!(
            "government body {body} has no officer; the ministry appoints one first"
        ))),
    }
}

/// Reads report `id` for a change by its body's current officer: 403 for anyone else,
/// 412 when `if_match` is stale, and 409 naming `what` ("changes", "is submitted")
/// unless the report is a draft or returned.
fn open_for_change(
    conn: &mut AnyConnection,
    caller: &Caller,
    if_match: &IfMatch,
    id: &str,
    what: &str,
) -> Result<Report, ApiError> {
    let report = find_report(conn, id)?;
    may_write(caller, &report)?;
    check_current_officer(conn, caller, &report.government_body)?;
    if_match.check(&etag(report.version))?;
    if !report.status.is_open() {
        return Err(ApiError::Conflict(format!(
            "annual report {id} is {}; only a draft or returned report {what}",
            report.status.code()
        )));
    }
    Ok(report)
}

fn find_report(conn: &mut AnyConnection, id: &str) -> Result<Report, ApiError> {
    if id.len() > 100 {
        return Err(ApiError::NotFound(format!("annual report {id}")));
    }
    store::find(conn, id)?.ok_or_else(|| ApiError::NotFound(format!("annual report {id}")))
}

/// Assembles the content of `report` from the read models as of today.
fn assemble(conn: &mut AnyConnection, report: &Report) -> Result<ReportContent, ApiError> {
    let body = store::report_body(conn, &report.government_body)?
        .ok_or_else(|| ApiError::NotFound(format!("government body {}", report.government_body)))?;
    let names = store::body_names(conn)?;
    let sources = store::sources(conn, &body)?;
    Ok(reports::assemble(
        &body,
        &names,
        report.year,
        common_models::time::today(),
        sources,
        report.narrative.clone(),
    ))
}

/// The content of `report`: the latest submitted version once submitted, otherwise
/// assembled now.
fn content(conn: &mut AnyConnection, report: &Report) -> Result<ReportContent, ApiError> {
    if report.status.is_open() {
        return assemble(conn, report);
    }
    let version = store::version(conn, &report.id, report.current_version)?.ok_or_else(|| {
        ApiError::internal(anyhow::anyhow!(
            "annual report {} lacks its version {}",
            report.id,
            report.current_version
        ))
    })?;
    Ok(service_kit::columns::from_json(
        "content",
        &version.content,
    )?)
}

fn view(
    conn: &mut AnyConnection,
    report: Report,
    today: NaiveDate,
) -> Result<AnnualReport, ApiError> {
    let content = content(conn, &report)?;
    Ok(AnnualReport {
        late: late(&report, today),
        id: report.id,
        government_body: report.government_body,
        year: report.year,
        status: report.status,
        due_on: report.due_on,
        submitted_on: report.submitted_on,
        accepted_on: report.accepted_on,
        current_version: report.current_version,
        version: report.version,
        content,
    })
}

fn respond(report: AnnualReport) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("ETag", etag(report.version)))
        .json(report)
}

fn record(
    conn: &mut AnyConnection,
    caller: &Caller,
    report: &Report,
    action: &str,
    fields: &[String],
) -> Result<(), ApiError> {
    audit::record(
        conn,
        Change {
            entity: "annual_report",
            entity_id: &report.id,
            action,
            actor: &caller.subject,
            government_body: Some(&report.government_body),
            fields,
        },
    )?;
    Ok(())
}

/// Open the annual report of the caller's body for a year.
///
/// Officers only, for their own body, which must be in the register. Its tables are
/// assembled from the services' events about the body. Its deadline comes from the
/// setting `LIAISON_ANNUAL_REPORT_DUE` (`MM-DD` of the following year, default
/// `01-15`). 409 when the body already has a report for that year.
#[utoipa::path(
    post, path = "/v1/annual-reports", tag = "annual reports",
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create return the first response")),
    request_body = ReportInput,
    responses(
        (status = 201, body = AnnualReport, headers(("Location" = String), ("ETag" = String))),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)
    ),
    security(("bearer" = []))
)]
#[post("/v1/annual-reports")]
pub async fn open_report(
    service: web::Data<Aggregation>,
    settings: web::Data<ComplianceSettings>,
    caller: Caller,
    key: IdempotencyKey,
    body: ValidJson<ReportInput>,
) -> ApiResult<HttpResponse> {
    caller.require(&[Role::Officer])?;
    let government_body = caller
        .body()
        .ok_or_else(|| ApiError::Forbidden("the token names no government body".into()))?
        .to_owned();
    let today = common_models::time::today();
    let ValidJson { value: input, raw } = body;
    if !(2020..=today.year()).contains(&input.year) {
        return Err(ApiError::field(
            "/year",
            format!("must be a year from 2020 to {}", today.year()),
        ));
    }
    let due = due_on(&settings, input.year)?;
    let scope = caller.idempotency_scope("POST /v1/annual-reports");

    service
        .create(key, scope, raw, move |conn| {
            if store::report_body(conn, &government_body)?.is_none() {
                return Err(ApiError::field(
                    "/government_body",
                    format!("government body {government_body} of the token is not in the register"),
                ));
            }
            check_current_officer(conn, &caller, &government_body)?;
            let since = crate::store::analytics::registered_bodies(conn, Some(&government_body))?
                .first()
                .map(|body| body.in_register_since.year());
            if since.is_some_and(|since| input.year < since) {
                return Err(ApiError::field(
                    "/year",
                    format!(
                        "government body {government_body} is in the register since {}; open a report on that year or later",
                        since.unwrap_or_default()
                    ),
                ));
            }
            if let Some(existing) = store::find_for(conn, &government_body, input.year)? {
                return Err(ApiError::Conflict(format!(
                    "government body {government_body} already has annual report {} for {}",
                    existing.id, input.year
                )));
            }
            let id = Uuid::now_v7().to_string();
            store::insert(
                conn,
                &id,
                &government_body,
                input.year,
                due,
                &caller.subject,
                service_kit::now(),
            )?;
            let report = find_report(conn, &id)?;
            record(conn, &caller, &report, "opened", &["year".to_owned()])?;
            tracing::info!(report.id = %id, body.id = %government_body, report.year = input.year, "annual report opened");
            let view = view(conn, report, today)?;
            let version = view.version;
            Created::new(view, format!("/v1/annual-reports/{id}"), Some(etag(version)))
        })
        .await
}

/// List annual reports, without their content, in the order of their ids.
///
/// The ministry reads every report, an officer only their own body's.
#[utoipa::path(
    get, path = "/v1/annual-reports", tag = "annual reports", params(ReportQuery),
    responses(
        (status = 200, body = inline(Page<ReportSummary>)),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)
    ),
    security(("bearer" = []))
)]
#[get("/v1/annual-reports")]
pub async fn list_reports(
    service: web::Data<Aggregation>,
    caller: Caller,
    query: ValidQuery<ReportQuery>,
) -> ApiResult<HttpResponse> {
    caller.require(&[Role::Officer, Role::Ministry])?;
    let mut errors = Errors::default();
    let status = query
        .status
        .as_deref()
        .and_then(|raw| errors.check("#/query/status", parse_code::<ReportStatus>(raw)));
    errors.into_result()?;
    let government_body = if caller.role == Role::Officer {
        let own = caller.body().unwrap_or_default().to_owned();
        if query.government_body.as_ref().is_some_and(|b| b != &own) {
            return Err(ApiError::Forbidden(
                "officers read only their own body's annual reports".into(),
            ));
        }
        Some(own)
    } else {
        query.government_body.clone()
    };
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor.clone(),
    };
    let (limit, after) = (page.limit()?, page.after()?);
    let filter = Filter {
        government_body,
        year: query.year,
        status,
    };
    let today = common_models::time::today();
    let items = service
        .db
        .run(move |conn| {
            store::list(conn, &filter, after.as_deref(), limit + 1).map_err(ApiError::from)
        })
        .await?
        .into_iter()
        .map(|r| ReportSummary {
            late: late(&r, today),
            id: r.id,
            government_body: r.government_body,
            year: r.year,
            status: r.status,
            due_on: r.due_on,
            submitted_on: r.submitted_on,
            accepted_on: r.accepted_on,
            current_version: r.current_version,
        })
        .collect();
    Ok(HttpResponse::Ok().json(Page::from_overfetch(items, limit, |r| r.id.clone())))
}

/// Read an annual report with its tables and attachments.
///
/// The body's officer and the ministry. While the officer prepares it (draft or
/// returned), each read assembles the tables anew. Once submitted, the content is that
/// of the latest submitted version.
#[utoipa::path(
    get, path = "/v1/annual-reports/{id}", tag = "annual reports",
    params(("id" = String, Path, description = "Annual report id")),
    responses(
        (status = 200, body = AnnualReport, headers(("ETag" = String))),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)
    ),
    security(("bearer" = []))
)]
#[get("/v1/annual-reports/{id}")]
pub async fn get_report(
    service: web::Data<Aggregation>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let today = common_models::time::today();
    let report = service
        .db
        .run(move |conn| {
            let report = find_report(conn, &id)?;
            may_read(&caller, &report)?;
            view(conn, report, today)
        })
        .await?;
    Ok(respond(report))
}

/// Save the narrative parts of a report the officer prepares.
///
/// The body's officer, with `If-Match`, while the report is a draft or returned. The
/// narrative given replaces the saved one.
#[utoipa::path(
    patch, path = "/v1/annual-reports/{id}", tag = "annual reports",
    params(
        ("id" = String, Path, description = "Annual report id"),
        ("If-Match" = String, Header, description = "ETag of the report from the last read")
    ),
    request_body = NarrativeInput,
    responses(
        (status = 200, body = AnnualReport, headers(("ETag" = String))),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem),
        (status = 428, body = Problem)
    ),
    security(("bearer" = []))
)]
#[patch("/v1/annual-reports/{id}")]
pub async fn save_narrative(
    service: web::Data<Aggregation>,
    caller: Caller,
    if_match: IfMatch,
    id: web::Path<String>,
    body: ValidJson<NarrativeInput>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let today = common_models::time::today();
    let narrative = body.value.narrative.parse()?;
    let report = service
        .db
        .transaction(move |conn| {
            let report = open_for_change(conn, &caller, &if_match, &id, "changes")?;
            if !store::set_narrative(conn, &id, report.version, &narrative, service_kit::now())? {
                return Err(ApiError::PreconditionFailed);
            }
            record(
                conn,
                &caller,
                &report,
                "narrative_saved",
                &["narrative".to_owned()],
            )?;
            let report = find_report(conn, &id)?;
            view(conn, report, today)
        })
        .await?;
    Ok(respond(report))
}

/// Submit a report to the ministry.
///
/// The body's officer, with `If-Match`, while the report is a draft or returned. The
/// tables are assembled once more and frozen with the narrative as the next version.
/// A submission after the deadline is accepted and marked late.
#[utoipa::path(
    post, path = "/v1/annual-reports/{id}/submission", tag = "annual reports",
    params(
        ("id" = String, Path, description = "Annual report id"),
        ("If-Match" = String, Header, description = "ETag of the report from the last read")
    ),
    responses(
        (status = 200, body = AnnualReport, headers(("ETag" = String))),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 412, body = Problem), (status = 428, body = Problem)
    ),
    security(("bearer" = []))
)]
#[post("/v1/annual-reports/{id}/submission")]
pub async fn submit_report(
    service: web::Data<Aggregation>,
    caller: Caller,
    if_match: IfMatch,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let today = common_models::time::today();
    let report = service
        .db
        .transaction(move |conn| {
            let report = open_for_change(conn, &caller, &if_match, &id, "is submitted")?;
            let content = assemble(conn, &report)?;
            let frozen = service_kit::columns::to_json(&content)?;
            if !store::submit(
                conn,
                &report,
                &frozen,
                today,
                &caller.subject,
                service_kit::now(),
            )? {
                return Err(ApiError::PreconditionFailed);
            }
            record(conn, &caller, &report, "submitted", &["status".to_owned()])?;
            tracing::info!(
                report.id = %id,
                body.id = %report.government_body,
                report.version = report.current_version + 1,
                late = today > report.due_on,
                "annual report submitted"
            );
            let report = find_report(conn, &id)?;
            view(conn, report, today)
        })
        .await?;
    Ok(respond(report))
}

/// Accept a submitted report, or return it to the officer with comments.
///
/// Ministry only, with `If-Match`, while the report is submitted. The review is kept
/// with the version it concerns.
#[utoipa::path(
    post, path = "/v1/annual-reports/{id}/review", tag = "annual reports",
    params(
        ("id" = String, Path, description = "Annual report id"),
        ("If-Match" = String, Header, description = "ETag of the report from the last read")
    ),
    request_body = ReviewInput,
    responses(
        (status = 200, body = AnnualReport, headers(("ETag" = String))),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem),
        (status = 428, body = Problem)
    ),
    security(("bearer" = []))
)]
#[post("/v1/annual-reports/{id}/review")]
pub async fn review_report(
    service: web::Data<Aggregation>,
    caller: Caller,
    if_match: IfMatch,
    id: web::Path<String>,
    body: ValidJson<ReviewInput>,
) -> ApiResult<HttpResponse> {
    caller.require(&[Role::Ministry])?;
    let id = id.into_inner();
    let today = common_models::time::today();
    let input = body.value;
    let mut errors = Errors::default();
    let outcome = match input.decision.as_str() {
        "accepted" => Some(ReportStatus::Accepted),
        "returned" => Some(ReportStatus::Returned),
        _ => {
            errors.add("/decision", "must be accepted or returned");
            None
        }
    };
    let comments = errors
        .check(
            "/comments",
            multiline_text(input.comments.as_deref(), MAX_COMMENTS),
        )
        .flatten();
    if outcome == Some(ReportStatus::Returned) && comments.is_none() && !errors.has("/comments") {
        errors.add("/comments", "is required to return a report");
    }
    errors.into_result()?;
    let outcome = outcome.unwrap_or(ReportStatus::Accepted);

    let report = service
        .db
        .transaction(move |conn| {
            let report = find_report(conn, &id)?;
            if_match.check(&etag(report.version))?;
            if report.status != ReportStatus::Submitted {
                return Err(ApiError::Conflict(format!(
                    "annual report {id} is {}; only a submitted report is reviewed",
                    report.status.code()
                )));
            }
            let now = service_kit::now();
            if !store::review(
                conn,
                &report,
                outcome,
                comments.as_deref(),
                today,
                &caller.subject,
                now,
            )? {
                return Err(ApiError::PreconditionFailed);
            }
            record(
                conn,
                &caller,
                &report,
                outcome.code(),
                &["status".to_owned()],
            )?;
            tracing::info!(report.id = %id, decision = outcome.code(), "annual report reviewed");
            let report = find_report(conn, &id)?;
            view(conn, report, today)
        })
        .await?;
    Ok(respond(report))
}

/// List the submitted versions of a report with the ministry's reviews.
#[utoipa::path(
    get, path = "/v1/annual-reports/{id}/versions", tag = "annual reports",
    params(("id" = String, Path, description = "Annual report id")),
    responses(
        (status = 200, body = Vec<ReportVersion>),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)
    ),
    security(("bearer" = []))
)]
#[get("/v1/annual-reports/{id}/versions")]
pub async fn list_versions(
    service: web::Data<Aggregation>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let versions = service
        .db
        .run(move |conn| {
            let report = find_report(conn, &id)?;
            may_read(&caller, &report)?;
            Ok::<_, ApiError>(
                store::versions_of(conn, &id)?
                    .into_iter()
                    .map(|v| ReportVersion {
                        number: v.number,
                        submitted_on: v.submitted_on,
                        review: v.review,
                        comments: v.comments,
                        reviewed_on: v.reviewed_on,
                        content: None,
                    })
                    .collect::<Vec<_>>(),
            )
        })
        .await?;
    Ok(HttpResponse::Ok().json(versions))
}

/// Read one submitted version of a report with its content.
#[utoipa::path(
    get, path = "/v1/annual-reports/{id}/versions/{number}", tag = "annual reports",
    params(
        ("id" = String, Path, description = "Annual report id"),
        ("number" = i32, Path, description = "Version number, from 1")
    ),
    responses(
        (status = 200, body = ReportVersion),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)
    ),
    security(("bearer" = []))
)]
#[get("/v1/annual-reports/{id}/versions/{number}")]
pub async fn get_version(
    service: web::Data<Aggregation>,
    caller: Caller,
    path: web::Path<(String, i32)>,
) -> ApiResult<HttpResponse> {
    let (id, number) = path.into_inner();
    let version = service
        .db
        .run(move |conn| {
            let report = find_report(conn, &id)?;
            may_read(&caller, &report)?;
            let v = store::version(conn, &id, number)?.ok_or_else(|| {
                ApiError::NotFound(format!("version {number} of annual report {id}"))
            })?;
            Ok::<_, ApiError>(ReportVersion {
                content: Some(service_kit::columns::from_json("content", &v.content)?),
                number: v.number,
                submitted_on: v.submitted_on,
                review: v.review,
                comments: v.comments,
                reviewed_on: v.reviewed_on,
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(version))
}

/// Download a report as an XLSX workbook: the narrative, one sheet per table with the
/// Russian headings of appendix 4, and one per attached form.
#[utoipa::path(
    get, path = "/v1/annual-reports/{id}/report.xlsx", tag = "annual reports",
    params(("id" = String, Path, description = "Annual report id"), ExportQuery),
    responses(
        (status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)
    ),
    security(("bearer" = []))
)]
#[get("/v1/annual-reports/{id}/report.xlsx")]
pub async fn export_report(
    service: web::Data<Aggregation>,
    caller: Caller,
    id: web::Path<String>,
    query: ValidQuery<ExportQuery>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let number = query.version;
    let (content, file_name) = service
        .db
        .run(move |conn| {
            let report = find_report(conn, &id)?;
            may_read(&caller, &report)?;
            let content = match number {
                Some(number) => {
                    let v = store::version(conn, &id, number)?.ok_or_else(|| {
                        ApiError::NotFound(format!("version {number} of annual report {id}"))
                    })?;
                    service_kit::columns::from_json("content", &v.content)?
                }
                None => content(conn, &report)?,
            };
            let file_name = format!(
                "annual-report-{}-{}.xlsx",
                report.government_body, report.year
            );
            Ok::<_, ApiError>((content, file_name))
        })
        .await?;
    let bytes = export::workbook(&content.sheets())?;
    Ok(export::attachment(XLSX, &file_name, bytes))
}

/// Query of the on-time rate of annual reports.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TimelinessQuery {
    /// Reporting year; the previous year when absent.
    pub year: Option<i32>,
    /// KATO code: only bodies whose territory lies in it, its sub-territories included.
    /// Central bodies have no territory and count only without this filter.
    pub region: Option<String>,
    /// Only bodies competent in this sphere.
    #[param(value_type = Option<common_models::Sphere>)]
    pub sphere: Option<String>,
}

/// Annual reports of one region on a year, by timeliness.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct RegionTimeliness {
    /// KATO code of the top-level region; absent for central bodies.
    pub region: Option<String>,
    /// Registered bodies whose report was due by today or has been submitted.
    pub due: u32,
    /// Submitted by the deadline.
    pub on_time: u32,
    /// Submitted after the deadline.
    pub late: u32,
    /// Due and not submitted, including bodies that never opened the report.
    pub missing: u32,
    /// Share of `due` submitted on time, from 0 to 1; absent when nothing was due.
    pub on_time_rate: Option<f64>,
}

/// On-time rate of annual reports per region.
#[derive(Debug, Serialize, ToSchema)]
pub struct Timeliness {
    pub year: i32,
    pub regions: Vec<RegionTimeliness>,
}

/// Read the on-time rate of the annual reports on a year, per region.
///
/// Ministry only. Every registered body counts once the report is due (the deadline of
/// `LIAISON_ANNUAL_REPORT_DUE` has passed) or submitted, so a body that never opened
/// its report counts as missing.
#[utoipa::path(
    get, path = "/v1/analytics/annual-reports", tag = "annual reports", params(TimelinessQuery),
    responses(
        (status = 200, body = Timeliness),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)
    ),
    security(("bearer" = []))
)]
#[get("/v1/analytics/annual-reports")]
pub async fn timeliness(
    service: web::Data<Aggregation>,
    settings: web::Data<ComplianceSettings>,
    caller: Caller,
    query: ValidQuery<TimelinessQuery>,
) -> ApiResult<HttpResponse> {
    caller.require(&[Role::Ministry])?;
    let report_due = settings.report_due;
    let today = common_models::time::today();
    let mut errors = Errors::default();
    let region = query.region.as_deref().and_then(|raw| {
        errors.check(
            "#/query/region",
            common_models::KatoCode::parse(raw).map_err(|e| e.to_string()),
        )
    });
    let sphere = query
        .sphere
        .as_deref()
        .and_then(|raw| errors.check("#/query/sphere", parse_code::<common_models::Sphere>(raw)));
    let year = query.year.unwrap_or(today.year() - 1);
    if !(2020..=today.year()).contains(&year) {
        errors.add(
            "#/query/year",
            format!("must be a year from 2020 to {}", today.year()),
        );
    }
    errors.into_result()?;

    let regions = service
        .db
        .run(move |conn| {
            let bodies = crate::store::analytics::registered_bodies(conn, None)?;
            let bodies: Vec<_> = bodies
                .into_iter()
                .filter(|body| sphere.is_none_or(|s| body.spheres.contains(&s)))
                .filter(|body| {
                    region
                        .as_ref()
                        .is_none_or(|r| body.territory.as_ref().is_some_and(|t| r.contains(t)))
                })
                .collect();
            let due =
                crate::store::analytics::annual_reports_due(conn, &bodies, report_due, today)?;
            let mut by_region: std::collections::BTreeMap<Option<String>, RegionTimeliness> =
                std::collections::BTreeMap::new();
            for report in due.iter().filter(|report| report.year == year) {
                let territory = bodies
                    .iter()
                    .find(|body| body.id == report.government_body)
                    .and_then(|body| body.territory.as_ref());
                let key = territory.map(|t| format!("{}0000000", &t.as_str()[..2]));
                let entry = by_region.entry(key.clone()).or_default();
                entry.region = key;
                entry.due += 1;
                match report.submitted_on {
                    Some(on) if on <= report.due_on => entry.on_time += 1,
                    Some(_) => entry.late += 1,
                    None => entry.missing += 1,
                }
            }
            let regions: Vec<RegionTimeliness> = by_region
                .into_values()
                .map(|mut r| {
                    r.on_time_rate = (r.due > 0).then(|| f64::from(r.on_time) / f64::from(r.due));
                    r
                })
                .collect();
            Ok::<_, ApiError>(regions)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Timeliness { year, regions }))
}
