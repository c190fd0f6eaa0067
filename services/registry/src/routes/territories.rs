//! `/v1/territories`: the KATO classifier.

use actix_web::{HttpResponse, get, web};
use common_models::KatoCode;
use serde::Deserialize;
use service_kit::extract::ValidQuery;
use service_kit::pagination::{Page, PageParams};
use service_kit::{ApiError, ApiResult};
use utoipa::IntoParams;

use super::Registry;
use crate::domain::territory::Territory;
use crate::store::territories;

/// Filters of the territory search.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TerritoryQuery {
    /// Text found in the name, ignoring letter case (Kazakh letters included).
    pub q: Option<String>,
    /// KATO code; only territories inside it.
    pub within: Option<String>,
    /// Items per page, 1 to 200 (default 50).
    pub limit: Option<i64>,
    /// Cursor from the previous page.
    pub cursor: Option<String>,
}

/// Search territories by name.
#[utoipa::path(
    get, path = "/v1/territories", tag = "territories", params(TerritoryQuery),
    responses((status = 200, body = inline(Page<Territory>)), (status = 422, body = service_kit::problem::Problem))
)]
#[get("/v1/territories")]
pub async fn search_territories(
    registry: web::Data<Registry>,
    query: ValidQuery<TerritoryQuery>,
) -> ApiResult<HttpResponse> {
    let query = query.into_inner();
    let text = common_models::text::fold(query.q.as_deref().unwrap_or_default());
    if text.chars().count() > 200 {
        return Err(ApiError::field(
            "#/query/q",
            "must be at most 200 characters",
        ));
    }
    let within = query
        .within
        .as_deref()
        .map(KatoCode::parse)
        .transpose()
        .map_err(|e| ApiError::field("#/query/within", e.to_string()))?;
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor,
    };
    let limit = page.limit()?;
    let after = page.after()?;

    let items = registry
        .db
        .run(move |conn| {
            territories::search(conn, &text, within.as_ref(), after.as_deref(), limit + 1)
                .map_err(ApiError::from)
        })
        .await?;

    Ok(HttpResponse::Ok().json(Page::from_overfetch(items, limit, |t| t.code.clone())))
}

fn parse_code(raw: &str) -> Result<KatoCode, ApiError> {
    KatoCode::parse(raw).map_err(|e| ApiError::NotFound(format!("territory '{raw}' ({e})")))
}

/// Read one territory.
#[utoipa::path(
    get, path = "/v1/territories/{code}", tag = "territories",
    params(("code" = String, Path, description = "9-digit KATO code")),
    responses((status = 200, body = Territory), (status = 404, body = service_kit::problem::Problem))
)]
#[get("/v1/territories/{code}")]
pub async fn get_territory(
    registry: web::Data<Registry>,
    code: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let code = parse_code(&code)?;
    let lookup = code.clone();
    let territory = registry
        .db
        .run(move |conn| territories::find(conn, lookup.as_str()).map_err(ApiError::from))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("territory {code}")))?;
    Ok(HttpResponse::Ok().json(territory))
}

/// List the territories directly under one territory.
#[utoipa::path(
    get, path = "/v1/territories/{code}/children", tag = "territories",
    params(("code" = String, Path, description = "9-digit KATO code")),
    responses((status = 200, body = Vec<Territory>), (status = 404, body = service_kit::problem::Problem))
)]
#[get("/v1/territories/{code}/children")]
pub async fn territory_children(
    registry: web::Data<Registry>,
    code: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let code = parse_code(&code)?;
    let lookup = code.clone();
    let children = registry
        .db
        .run(move |conn| {
            territories::find(conn, lookup.as_str())?
                .ok_or_else(|| ApiError::NotFound(format!("territory {lookup}")))?;
            territories::children(conn, lookup.as_str()).map_err(ApiError::from)
        })
        .await?;
    Ok(HttpResponse::Ok().json(children))
}

/// List a territory and its ancestors, from the region down.
#[utoipa::path(
    get, path = "/v1/territories/{code}/path", tag = "territories",
    params(("code" = String, Path, description = "9-digit KATO code")),
    responses((status = 200, body = Vec<Territory>), (status = 404, body = service_kit::problem::Problem))
)]
#[get("/v1/territories/{code}/path")]
pub async fn territory_path(
    registry: web::Data<Registry>,
    code: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let code = parse_code(&code)?;
    let lookup = code.clone();
    let path = registry
        .db
        .run(move |conn| territories::path(conn, lookup.as_str()).map_err(ApiError::from))
        .await?;
    if path.is_empty() {
        return Err(ApiError::NotFound(format!("territory {code}")));
    }
    Ok(HttpResponse::Ok().json(path))
}
