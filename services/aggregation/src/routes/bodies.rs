//! `/v1/government-bodies`: the ministry's register of government bodies. The ministry
//! adds bodies; anyone reads the cards, which show the officer's public profile.

use actix_web::{HttpResponse, get, post, web};
use common_models::Sphere;
use serde::Deserialize;
use service_kit::audit::{self, Change};
use service_kit::extract::{IdempotencyKey, ValidJson, ValidQuery, etag};
use service_kit::idempotency::Created;
use service_kit::pagination::{Page, PageParams};
use service_kit::problem::Problem;
use service_kit::{ApiError, ApiResult, Caller, MaybeCaller, Role};
use utoipa::IntoParams;

use super::{Aggregation, registry};
use crate::domain::bodies::{BodyLevel, GovernmentBody, GovernmentBodyInput, is_body_id};
use crate::domain::{Errors, parse_code};
use crate::store::bodies::{self as store, Filter};

/// Add a government body to the register.
///
/// Ministry only. The body starts vacant; appoint its officer next. The id must not be
/// taken (409), and the territory must be in the registry's KATO classifier.
#[utoipa::path(
    post, path = "/v1/government-bodies", tag = "government-bodies",
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create return the first response")),
    request_body = GovernmentBodyInput,
    responses(
        (status = 201, body = GovernmentBody, headers(("Location" = String), ("ETag" = String))),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem), (status = 503, body = Problem)
    ),
    security(("bearer" = []))
)]
#[post("/v1/government-bodies")]
pub async fn create_body(
    service: web::Data<Aggregation>,
    caller: Caller,
    key: IdempotencyKey,
    body: ValidJson<GovernmentBodyInput>,
) -> ApiResult<HttpResponse> {
    caller.require(&[Role::Ministry])?;
    let facts = body.value.parse()?;
    if let Some(territory) = &facts.territory {
        registry::check_territory(&service, territory, "/territory").await?;
    }
    let today = common_models::time::today();
    let scope = caller.idempotency_scope("POST /v1/government-bodies");

    service
        .create(key, scope, body.raw.clone(), move |conn| {
            let id = facts.id.clone();
            if store::exists(conn, &id)? {
                return Err(ApiError::Conflict(format!(
                    "government body '{id}' is already in the register"
                )));
            }
            store::insert(conn, &facts, &caller.subject, today, service_kit::now())?;
            let mut fields: Vec<String> = ["id", "name_ru", "name_kk", "level", "spheres"]
                .map(str::to_owned)
                .to_vec();
            if facts.territory.is_some() {
                fields.push("territory".to_owned());
            }
            audit::record(
                conn,
                Change {
                    entity: "government_body",
                    entity_id: &id,
                    action: "registered",
                    actor: &caller.subject,
                    government_body: Some(&id),
                    fields: &fields,
                },
            )?;
            let card = store::find(conn, &id)?
                .ok_or_else(|| ApiError::NotFound(format!("government body {id}")))?;
            tracing::info!(body.id = %id, body.level = card.level.label(), "government body registered");
            let version = card.version;
            Created::new(
                card,
                format!("/v1/government-bodies/{id}"),
                Some(etag(version)),
            )
        })
        .await
}

/// Filters and paging of the body list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BodyQuery {
    #[param(value_type = Option<BodyLevel>)]
    pub level: Option<String>,
    /// Only bodies competent in this sphere.
    #[param(value_type = Option<Sphere>)]
    pub sphere: Option<String>,
    /// Items per page, 1 to 200 (default 50).
    pub limit: Option<i64>,
    /// Cursor from the previous page.
    pub cursor: Option<String>,
}

impl BodyQuery {
    fn parse(&self) -> Result<(Filter, i64, Option<String>), ApiError> {
        let mut errors = Errors::default();
        let level = self
            .level
            .as_deref()
            .and_then(|raw| errors.check("#/query/level", parse_code::<BodyLevel>(raw)));
        let sphere = self
            .sphere
            .as_deref()
            .and_then(|raw| errors.check("#/query/sphere", parse_code::<Sphere>(raw)));
        errors.into_result()?;
        let page = PageParams {
            limit: self.limit,
            cursor: self.cursor.clone(),
        };
        Ok((Filter { level, sphere }, page.limit()?, page.after()?))
    }
}

/// List government bodies in the order of their ids, with their officers' public
/// profiles. Public: no token needed.
#[utoipa::path(
    get, path = "/v1/government-bodies", tag = "government-bodies", params(BodyQuery),
    responses((status = 200, body = inline(Page<GovernmentBody>)), (status = 422, body = Problem))
)]
#[get("/v1/government-bodies")]
pub async fn list_bodies(
    service: web::Data<Aggregation>,
    _caller: MaybeCaller,
    query: ValidQuery<BodyQuery>,
) -> ApiResult<HttpResponse> {
    let (filter, limit, after) = query.parse()?;
    let items = service
        .db
        .run(move |conn| {
            store::list(conn, &filter, after.as_deref(), limit + 1).map_err(ApiError::from)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_overfetch(items, limit, |b| b.id.clone())))
}

/// Read a government body's card with its officer's public profile. Public: no token
/// needed.
#[utoipa::path(
    get, path = "/v1/government-bodies/{id}", tag = "government-bodies",
    params(("id" = String, Path, description = "Government body id")),
    responses(
        (status = 200, body = GovernmentBody, headers(("ETag" = String))),
        (status = 404, body = Problem)
    )
)]
#[get("/v1/government-bodies/{id}")]
pub async fn get_body(
    service: web::Data<Aggregation>,
    _caller: MaybeCaller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let card = find_card(&service, id).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("ETag", etag(card.version)))
        .json(card))
}

/// Reads the card of body `id`, or 404.
pub async fn find_card(service: &Aggregation, id: String) -> Result<GovernmentBody, ApiError> {
    if !is_body_id(&id) {
        return Err(ApiError::NotFound(format!("government body {id}")));
    }
    service
        .db
        .run(move |conn| {
            store::find(conn, &id)?
                .ok_or_else(|| ApiError::NotFound(format!("government body {id}")))
        })
        .await
}
