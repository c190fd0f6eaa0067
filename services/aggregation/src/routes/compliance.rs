//! `/v1/compliance`: the deadlines of the regulation that government bodies have
//! missed, computed as of today in Asia/Almaty from the register and the read models,
//! and `/v1/analytics/compliance`: their counts by rule and region. The ministry reads
//! every body's findings; an officer only their own body's.

use actix_web::{HttpResponse, get, web};
use chrono::NaiveDate;
use common_models::KatoCode;
use serde::{Deserialize, Serialize};
use service_kit::extract::ValidQuery;
use service_kit::pagination::{Page, PageParams};
use service_kit::problem::Problem;
use service_kit::{ApiError, ApiResult, Caller};
use utoipa::{IntoParams, ToSchema};

use super::Aggregation;
use super::analytics::{check_region, from_snapshot, parse_region, scoped_body};
use crate::domain::Errors;
use crate::domain::compliance::{
    self, ComplianceSettings, Finding, FindingCounts, FindingFilter, Rule,
};
use crate::store::analytics as store;

/// Filters of the findings.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ComplianceQuery {
    /// Government body whose findings to read. The ministry may name any body of the
    /// register, and without one it reads every body's findings. An officer may name
    /// only their own body, which is also their default.
    pub body: Option<String>,
    #[param(value_type = Option<Rule>)]
    pub rule: Option<String>,
    /// KATO code in the registry's classifier: findings of the bodies whose territory
    /// is this one or lies inside it.
    #[param(value_type = Option<KatoCode>)]
    pub region: Option<String>,
    /// Items per page, 1 to 200 (default 50).
    pub limit: Option<i64>,
    /// Cursor from the previous page.
    pub cursor: Option<String>,
}

/// Filters of the finding counts.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ComplianceCountQuery {
    /// Government body whose findings to count, as for `GET /v1/compliance`.
    pub body: Option<String>,
    #[param(value_type = Option<Rule>)]
    pub rule: Option<String>,
    /// KATO code in the registry's classifier: findings of the bodies whose territory
    /// is this one or lies inside it.
    #[param(value_type = Option<KatoCode>)]
    pub region: Option<String>,
}

/// One page of findings.
#[derive(Debug, Serialize, ToSchema)]
pub struct FindingPage {
    /// Day the findings were computed for, in Asia/Almaty.
    pub as_of: NaiveDate,
    pub items: Vec<Finding>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Checks the caller and the filters, and returns the selected findings as of today.
async fn selected_findings(
    state: &Aggregation,
    caller: &Caller,
    settings: ComplianceSettings,
    body: Option<String>,
    rule: Option<&str>,
    region: Option<&str>,
) -> Result<(FindingFilter, Vec<Finding>, NaiveDate), ApiError> {
    caller.reading_scope()?;
    let mut errors = Errors::default();
    let rule = rule.and_then(|raw| errors.check("#/query/rule", Rule::parse(raw)));
    let region = parse_region(&mut errors, region);
    errors.into_result()?;

    let body = scoped_body(state, caller, body).await?.map(|body| body.id);
    check_region(state, region.as_ref()).await?;
    let selection = FindingFilter { body, rule, region };
    let today = common_models::time::today();

    let only = selection.body.clone();
    let (bodies, annual_reports) = state
        .db
        .run(move |conn| {
            let bodies = store::registered_bodies(conn, only.as_deref())?;
            let due = store::annual_reports_due(conn, &bodies, settings.report_due, today)?;
            Ok::<_, ApiError>((bodies, due))
        })
        .await?;
    let chosen = selection.clone();
    let found = from_snapshot(state, move |snapshot| {
        let inputs = snapshot.compliance_inputs(chosen.body.as_deref(), bodies, annual_reports);
        compliance::selected(&inputs, &settings, today, &chosen)
    })
    .await?;
    Ok((selection, found, today))
}

/// List the missed deadlines of government bodies, as of today in Asia/Almaty.
///
/// The ministry reads every body's findings; an officer only their own body's. Each
/// finding names its rule, the body that is behind, the records concerned and the
/// dates behind it. Findings are listed by due day, then rule and body. The rules:
/// `npo_data_collection` (no collection inside 15 April – 31 May of a year whose
/// window the body was in the register for, due on 31 May); `needs_assessment` (a
/// sphere of the body without a published assessment for two years, counted from the
/// body's start in the register when that is later); `reception` (a request not
/// appointed within a month, or appointed for a later day); `recommendation_feedback`
/// (a recommendation past its `due_on`, not closed and without feedback);
/// `officer_request` (an information request past its deadline without an answer,
/// found against the asked body); `vacancy` (a body without an officer for more than
/// `LIAISON_VACANCY_DAYS`, default 30); `annual_report` (an annual report missing
/// after its due day, or submitted after it).
#[utoipa::path(
    get, path = "/v1/compliance", tag = "compliance", params(ComplianceQuery),
    responses(
        (status = 200, body = FindingPage),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem), (status = 503, body = Problem)
    ),
    security(("bearer" = []))
)]
#[get("/v1/compliance")]
pub async fn list_findings(
    state: web::Data<Aggregation>,
    settings: web::Data<ComplianceSettings>,
    caller: Caller,
    query: ValidQuery<ComplianceQuery>,
) -> ApiResult<HttpResponse> {
    caller.reading_scope()?;
    let query = query.into_inner();
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor,
    };
    // The filters are checked first, so a request with several invalid parameters
    // learns about the filters before the page size.
    let paging = page.limit().and_then(|limit| Ok((limit, page.after()?)));

    let (_, found, as_of) = selected_findings(
        &state,
        &caller,
        **settings,
        query.body,
        query.rule.as_deref(),
        query.region.as_deref(),
    )
    .await?;
    let (limit, after) = paging?;
    let overfetch = usize::try_from(limit + 1).unwrap_or(usize::MAX);
    let items: Vec<Finding> = found
        .into_iter()
        .filter(|finding| after.as_ref().is_none_or(|after| finding.key() > *after))
        .take(overfetch)
        .collect();
    let Page { items, next_cursor } = Page::from_overfetch(items, limit, Finding::key);
    Ok(HttpResponse::Ok().json(FindingPage {
        as_of,
        items,
        next_cursor,
    }))
}

/// Count the missed deadlines of government bodies by rule and by region, as of today
/// in Asia/Almaty.
///
/// The same findings, filters and access as `GET /v1/compliance`. A finding's region
/// is the top-level KATO region of its body's territory; central bodies and bodies not
/// in the register count under a null region.
#[utoipa::path(
    get, path = "/v1/analytics/compliance", tag = "analytics", params(ComplianceCountQuery),
    responses(
        (status = 200, body = FindingCounts),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem), (status = 503, body = Problem)
    ),
    security(("bearer" = []))
)]
#[get("/v1/analytics/compliance")]
pub async fn count_findings(
    state: web::Data<Aggregation>,
    settings: web::Data<ComplianceSettings>,
    caller: Caller,
    query: ValidQuery<ComplianceCountQuery>,
) -> ApiResult<HttpResponse> {
    let query = query.into_inner();

    let (selection, found, as_of) = selected_findings(
        &state,
        &caller,
        **settings,
        query.body,
        query.rule.as_deref(),
        query.region.as_deref(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(compliance::count(&found, selection, as_of)))
}
