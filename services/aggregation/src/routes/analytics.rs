//! `/v1/analytics/…`: the figures of the national dashboard, computed from the read
//! models. The ministry reads the national figures or one body's; an officer reads
//! only their own body's. Each endpoint filters by year, region and sphere.

use actix_web::{HttpResponse, get, web};
use common_models::{KatoCode, Sphere};
use serde::Deserialize;
use service_kit::extract::ValidQuery;
use service_kit::problem::Problem;
use service_kit::{ApiError, ApiResult, Caller, StoreError};
use utoipa::IntoParams;

use super::{Aggregation, registry};
use crate::domain::analytics::{
    self, Filter, JointActionFigures, NpoFigures, PUBLISHED, PriorityFigures,
    RecommendationFigures, RegisteredBody, YEARS,
};
use crate::domain::{Errors, parse_code};
use crate::readmodel::GONE;
use crate::snapshot::{Entry, Snapshot, select};
use crate::store::analytics as store;

/// Filters of a dashboard endpoint.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AnalyticsQuery {
    /// Calendar year, 2000 to 2100, of the day each endpoint counts its records by.
    #[param(value_type = Option<i32>)]
    pub year: Option<String>,
    /// KATO code in the registry's classifier: records of this territory and of the
    /// territories inside it.
    #[param(value_type = Option<KatoCode>)]
    pub region: Option<String>,
    #[param(value_type = Option<Sphere>)]
    pub sphere: Option<String>,
    /// Government body whose figures to read. The ministry may name any body of the
    /// register, and without one it reads the national figures. An officer may name
    /// only their own body, which is also their default.
    pub body: Option<String>,
}

/// Parses `raw` as a year of `YEARS`, recording an error at `#/query/year`.
fn parse_year(errors: &mut Errors, raw: &str) -> Option<i32> {
    let year = raw.trim().parse::<i32>().ok().filter(|y| YEARS.contains(y));
    if year.is_none() {
        errors.add(
            "#/query/year",
            format!(
                "'{raw}' is not a year from {} to {}",
                YEARS.start(),
                YEARS.end()
            ),
        );
    }
    year
}

/// Parses `raw` as a KATO code, recording an error at `#/query/region`.
pub(crate) fn parse_region(errors: &mut Errors, raw: Option<&str>) -> Option<KatoCode> {
    raw.and_then(|raw| errors.check("#/query/region", KatoCode::parse(raw)))
}

/// Returns the body whose data `caller` reads, after checking that they may. The
/// ministry reads the body it names (422 unless it is in the register) or, naming
/// none, every body (`None`). An officer reads only their own body (403 for another
/// one, or when their own is not in the register). Other roles get 403.
pub(crate) async fn scoped_body(
    state: &Aggregation,
    caller: &Caller,
    requested: Option<String>,
) -> Result<Option<RegisteredBody>, ApiError> {
    let own = caller.reading_scope()?;
    let id = match (own, requested) {
        (Some(own), Some(requested)) if requested != own => {
            return Err(ApiError::Forbidden(format!(
                "an officer reads only the data of their own body {own}, not of {requested}"
            )));
        }
        (Some(own), _) => own.to_owned(),
        (None, Some(requested)) => requested,
        (None, None) => return Ok(None),
    };
    let officer = own.is_some();
    let lookup = id.clone();
    let found = state
        .db
        .run(move |conn| store::registered_bodies(conn, Some(&lookup)).map_err(ApiError::from))
        .await?;
    match found.into_iter().next() {
        Some(body) => Ok(Some(body)),
        None if officer => Err(ApiError::Forbidden(format!(
            "government body {id} of the token is not in the register"
        ))),
        None => Err(ApiError::field(
            "#/query/body",
            format!("government body '{id}' is not in the register"),
        )),
    }
}

/// Checks that `region` is in the registry's KATO classifier, failing with 422 at
/// `#/query/region` when it is not.
pub(crate) async fn check_region(
    state: &Aggregation,
    region: Option<&KatoCode>,
) -> Result<(), ApiError> {
    match region {
        Some(code) => registry::check_territory(state, code, "#/query/region").await,
        None => Ok(()),
    }
}

/// Checks the caller and the query, and returns the filter with the body it names.
async fn resolve(
    state: &Aggregation,
    caller: &Caller,
    query: AnalyticsQuery,
) -> Result<(Filter, Option<RegisteredBody>), ApiError> {
    caller.reading_scope()?;
    let mut errors = Errors::default();
    let year = query
        .year
        .as_deref()
        .and_then(|raw| parse_year(&mut errors, raw));
    let region = parse_region(&mut errors, query.region.as_deref());
    let sphere = query
        .sphere
        .as_deref()
        .and_then(|raw| errors.check("#/query/sphere", parse_code::<Sphere>(raw)));
    errors.into_result()?;

    let body = scoped_body(state, caller, query.body).await?;
    check_region(state, region.as_ref()).await?;
    let filter = Filter {
        year,
        region,
        sphere,
        body: body.as_ref().map(|body| body.id.clone()),
    };
    Ok((filter, body))
}

/// Brings the snapshot of the read models up to date and runs `figures` on it on the
/// blocking thread pool, because counting 100,000 NPOs takes milliseconds of CPU.
pub(crate) async fn from_snapshot<T: Send + 'static>(
    state: &Aggregation,
    figures: impl FnOnce(&Snapshot) -> T + Send + 'static,
) -> Result<T, ApiError> {
    let snapshot = state.snapshots.current(&state.db).await?;
    tokio::task::spawn_blocking(move || figures(&snapshot))
        .await
        .map_err(|e| {
            ApiError::from(StoreError::Query(anyhow::anyhow!(
                "computing figures from the read models failed: {e}"
            )))
        })
}

/// Count active NPOs by region and by sphere.
///
/// The ministry or an officer (their own body only). An NPO counts in the year it was
/// registered in the registry: the record's day is the local day (Asia/Almaty) of its
/// registration event. NPOs that are merged or not `active` are left out. With a
/// body, the NPOs are those working in the body's territory (their territory contains
/// the body's or lies inside it, any territory for a central body) in one of its
/// spheres, and only those territories and spheres count.
#[utoipa::path(
    get, path = "/v1/analytics/npos", tag = "analytics", params(AnalyticsQuery),
    responses(
        (status = 200, body = NpoFigures),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem), (status = 503, body = Problem)
    ),
    security(("bearer" = []))
)]
#[get("/v1/analytics/npos")]
pub async fn npos(
    state: web::Data<Aggregation>,
    caller: Caller,
    query: ValidQuery<AnalyticsQuery>,
) -> ApiResult<HttpResponse> {
    let (filter, body) = resolve(&state, &caller, query.into_inner()).await?;

    let figures = from_snapshot(&state, move |snapshot| {
        analytics::npo_figures(&filter, snapshot.npos_in(filter.year), body.as_ref())
    })
    .await?;
    Ok(HttpResponse::Ok().json(figures))
}

/// Count published priorities by region and by sphere, per risk level.
///
/// The ministry or an officer (their own body only). A priority counts in the year
/// its assessment's report was published: the record's day is the report's
/// completion day, or the local day (Asia/Almaty) of the publication event when the
/// event lacks it. Priorities withdrawn or not yet published are left out.
#[utoipa::path(
    get, path = "/v1/analytics/priorities", tag = "analytics", params(AnalyticsQuery),
    responses(
        (status = 200, body = PriorityFigures),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem), (status = 503, body = Problem)
    ),
    security(("bearer" = []))
)]
#[get("/v1/analytics/priorities")]
pub async fn priorities(
    state: web::Data<Aggregation>,
    caller: Caller,
    query: ValidQuery<AnalyticsQuery>,
) -> ApiResult<HttpResponse> {
    let (filter, _) = resolve(&state, &caller, query.into_inner()).await?;

    let figures = from_snapshot(&state, move |snapshot| {
        let published: Vec<_> = select(
            &snapshot.priorities,
            filter.year,
            filter.body.as_deref(),
            GONE,
        )
        .filter(|entry| entry.status == PUBLISHED)
        .map(Entry::counted)
        .collect();
        analytics::priority_figures(&filter, &published)
    })
    .await?;
    Ok(HttpResponse::Ok().json(figures))
}

/// Count joint actions per status, with the planned and actual indicators of their
/// monitoring plans, in total, by region and by sphere.
///
/// The ministry or an officer (their own body only). An action counts in the year it
/// started: the record's day is its start day, or, when the event lacks that, the
/// local day (Asia/Almaty) of its latest change of stage. Its indicators count with
/// it. The monitoring plan of an action whose stage changes have not arrived counts
/// in the total only, by the local day of its latest change, and only without a
/// region or sphere filter. An indicator is met when its latest measurement reached
/// the target: at or above it when higher is better, at or below it otherwise.
#[utoipa::path(
    get, path = "/v1/analytics/joint-actions", tag = "analytics", params(AnalyticsQuery),
    responses(
        (status = 200, body = JointActionFigures),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem), (status = 503, body = Problem)
    ),
    security(("bearer" = []))
)]
#[get("/v1/analytics/joint-actions")]
pub async fn joint_actions(
    state: web::Data<Aggregation>,
    caller: Caller,
    query: ValidQuery<AnalyticsQuery>,
) -> ApiResult<HttpResponse> {
    let (filter, _) = resolve(&state, &caller, query.into_inner()).await?;

    let figures = from_snapshot(&state, move |snapshot| {
        let body = filter.body.as_deref();
        let actions: Vec<_> = select(&snapshot.actions, filter.year, body, &[])
            .map(Entry::counted)
            .collect();
        let monitoring: Vec<_> = select(&snapshot.monitoring, None, body, &[])
            .map(|entry| (entry.day, &entry.data))
            .collect();
        analytics::joint_action_figures(&filter, &actions, &monitoring)
    })
    .await?;
    Ok(HttpResponse::Ok().json(figures))
}

/// Read the recommendations funnel: received, forwarded, decided and answered, with
/// the median days from receipt to decision and to feedback.
///
/// The ministry or an officer (their own body only). A recommendation counts in the
/// year it was received: the record's day is its `received_on`. The region filter
/// keeps recommendations with a territory inside the region. With a body, the funnel
/// counts the recommendations the body held at any stage. Of those, the ones it passed
/// on count as forwarded, and the ones it decided or answered itself as decided or
/// answered.
#[utoipa::path(
    get, path = "/v1/analytics/recommendations", tag = "analytics", params(AnalyticsQuery),
    responses(
        (status = 200, body = RecommendationFigures),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem), (status = 503, body = Problem)
    ),
    security(("bearer" = []))
)]
#[get("/v1/analytics/recommendations")]
pub async fn recommendations(
    state: web::Data<Aggregation>,
    caller: Caller,
    query: ValidQuery<AnalyticsQuery>,
) -> ApiResult<HttpResponse> {
    let (filter, _) = resolve(&state, &caller, query.into_inner()).await?;

    let figures = from_snapshot(&state, move |snapshot| {
        let found: Vec<_> = select(
            &snapshot.recommendations,
            filter.year,
            filter.body.as_deref(),
            &[],
        )
        .map(Entry::counted)
        .collect();
        analytics::recommendation_figures(&filter, &found)
    })
    .await?;
    Ok(HttpResponse::Ok().json(figures))
}
