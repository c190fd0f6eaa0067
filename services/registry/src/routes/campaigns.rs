//! `/v1/collection-campaigns`: the yearly collection of NPO data by each body.

use actix_web::{HttpResponse, get, post, web};
use common_models::event::registry::{CAMPAIGN_RECORDED, CampaignRecorded};
use serde::Deserialize;
use service_kit::audit::{self, Change};
use service_kit::extract::{IdempotencyKey, ValidJson, ValidQuery};
use service_kit::idempotency::Created;
use service_kit::outbox;
use service_kit::pagination::{Page, PageParams};
use service_kit::{ApiError, ApiResult, Caller, Role};
use utoipa::IntoParams;
use uuid::Uuid;

use super::Registry;
use crate::domain::campaign::{Campaign, CampaignInput, WindowCheck};
use crate::store::campaigns;
use crate::store::npos::Author;

/// Record a collection campaign of the caller's government body.
///
/// Officers only; the campaign belongs to the body named in the token.
#[utoipa::path(
    post, path = "/v1/collection-campaigns", tag = "collection-campaigns",
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create return the first response")),
    request_body = CampaignInput,
    responses((status = 201, body = Campaign, headers(("Location" = String))), (status = 403, body = service_kit::problem::Problem), (status = 422, body = service_kit::problem::Problem)),
    security(("bearer" = []))
)]
#[post("/v1/collection-campaigns")]
pub async fn create_campaign(
    registry: web::Data<Registry>,
    caller: Caller,
    key: IdempotencyKey,
    body: ValidJson<CampaignInput>,
) -> ApiResult<HttpResponse> {
    let body_name = caller.officer_body()?.to_owned();
    let facts = body.value.parse()?;
    let events = registry.events_for(Some(&caller));
    let scope = caller.idempotency_scope("POST /v1/collection-campaigns");

    registry
        .create(key, scope, body.raw.clone(), move |conn| {
            let id = Uuid::now_v7().to_string();
            let now = service_kit::now();
            let author = Author {
                subject: &caller.subject,
                body: Some(&body_name),
            };
            let campaign = campaigns::insert(conn, &id, &body_name, &facts, author, now)?;
            audit::record(
                conn,
                Change {
                    entity: "collection_campaign",
                    entity_id: &id,
                    action: "created",
                    actor: &caller.subject,
                    government_body: Some(&body_name),
                    fields: &["started_at".to_owned(), "finished_at".to_owned()],
                },
            )?;
            let payload = CampaignRecorded {
                campaign_id: id.clone(),
                government_body: body_name.clone(),
                year: campaign.year,
                inside_window: campaign.inside_window,
                npos_added: campaign.npos_added,
                npos_updated: campaign.npos_updated,
            };
            outbox::enqueue(conn, &events.event(CAMPAIGN_RECORDED, payload)?)?;
            tracing::info!(
                campaign.id = %id,
                body.id = %body_name,
                inside_window = campaign.inside_window,
                "collection campaign recorded"
            );
            Created::new(campaign, format!("/v1/collection-campaigns/{id}"), None)
        })
        .await
}

/// Filters of the campaign list and the window check.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CampaignQuery {
    /// Government body; officers may only name their own, which is also the default.
    pub government_body: Option<String>,
    /// Year of the collection (local dates).
    pub year: Option<i32>,
    /// Items per page, 1 to 200 (default 50).
    pub limit: Option<i64>,
    /// Cursor from the previous page.
    pub cursor: Option<String>,
}

/// Returns the body whose campaigns a caller may read: officers their own, the ministry any.
fn readable_body(caller: &Caller, requested: Option<&str>) -> Result<Option<String>, ApiError> {
    caller.require(&[Role::Officer, Role::Ministry])?;
    let requested = requested.map(str::trim).filter(|body| !body.is_empty());
    match (caller.role, requested) {
        (Role::Officer, Some(body)) if Some(body) != caller.body() => Err(ApiError::Forbidden(
            "officers read the campaigns of their own government body only".into(),
        )),
        (Role::Officer, _) => Ok(caller.body().map(str::to_owned)),
        (_, requested) => Ok(requested.map(str::to_owned)),
    }
}

/// List collection campaigns.
#[utoipa::path(
    get, path = "/v1/collection-campaigns", tag = "collection-campaigns", params(CampaignQuery),
    responses((status = 200, body = inline(Page<Campaign>)), (status = 403, body = service_kit::problem::Problem)),
    security(("bearer" = []))
)]
#[get("/v1/collection-campaigns")]
pub async fn list_campaigns(
    registry: web::Data<Registry>,
    caller: Caller,
    query: ValidQuery<CampaignQuery>,
) -> ApiResult<HttpResponse> {
    let query = query.into_inner();
    let body = readable_body(&caller, query.government_body.as_deref())?;
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor,
    };
    let limit = page.limit()?;
    let after = page.after()?;
    let year = query.year;

    let items = registry
        .db
        .run(move |conn| {
            campaigns::list(conn, body.as_deref(), year, after.as_deref(), limit + 1)
                .map_err(ApiError::from)
        })
        .await?;

    Ok(HttpResponse::Ok().json(Page::from_overfetch(items, limit, |c| c.id.clone())))
}

/// Parameters of the window check.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct WindowQuery {
    /// Government body; officers may only name their own, which is also the default.
    pub government_body: Option<String>,
    /// Year of the collection (local dates), 2000 to 2100.
    pub year: Option<i32>,
}

/// Tell whether a body collected NPO data inside 15 April – 31 May of a year.
#[utoipa::path(
    get, path = "/v1/collection-campaigns/window-check", tag = "collection-campaigns", params(WindowQuery),
    responses((status = 200, body = WindowCheck), (status = 403, body = service_kit::problem::Problem), (status = 422, body = service_kit::problem::Problem)),
    security(("bearer" = []))
)]
#[get("/v1/collection-campaigns/window-check")]
pub async fn window_check(
    registry: web::Data<Registry>,
    caller: Caller,
    query: ValidQuery<WindowQuery>,
) -> ApiResult<HttpResponse> {
    let query = query.into_inner();
    let Some(body) = readable_body(&caller, query.government_body.as_deref())? else {
        return Err(ApiError::field("#/query/government_body", "is required"));
    };
    let Some(year) = query.year.filter(|y| (2000..=2100).contains(y)) else {
        return Err(ApiError::field(
            "#/query/year",
            "is required, between 2000 and 2100",
        ));
    };

    let lookup = body.clone();
    let items = registry
        .db
        .run(move |conn| {
            campaigns::list(conn, Some(&lookup), Some(year), None, 1000).map_err(ApiError::from)
        })
        .await?;

    let check = WindowCheck::new(body, year, items)
        .ok_or_else(|| ApiError::field("#/query/year", "is not a valid year"))?;
    Ok(HttpResponse::Ok().json(check))
}

/// Read one collection campaign.
///
/// Officers of the campaign's body and the ministry.
#[utoipa::path(
    get, path = "/v1/collection-campaigns/{id}", tag = "collection-campaigns",
    params(("id" = String, Path, description = "Campaign id")),
    responses((status = 200, body = Campaign), (status = 403, body = service_kit::problem::Problem), (status = 404, body = service_kit::problem::Problem)),
    security(("bearer" = []))
)]
#[get("/v1/collection-campaigns/{id}")]
pub async fn get_campaign(
    registry: web::Data<Registry>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    caller.require(&[Role::Officer, Role::Ministry])?;
    let id = id.into_inner();
    let lookup = id.clone();
    let campaign = registry
        .db
        .run(move |conn| campaigns::find(conn, &lookup).map_err(ApiError::from))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("collection campaign {id}")))?;
    if caller.role == Role::Officer && caller.body() != Some(campaign.government_body.as_str()) {
        // Another body's campaign is reported as missing, so its existence leaks nothing.
        return Err(ApiError::NotFound(format!("collection campaign {id}")));
    }
    Ok(HttpResponse::Ok().json(campaign))
}
