//! `/v1/experts` and `/v1/expert-groups`: the register of experts a body engages
//! individually or in expert groups. An officer keeps their own body's register, and the
//! ministry reads every body's. A read of another body's expert or group returns 404.

use actix_web::{HttpResponse, get, post, web};
use common_models::Sphere;
use serde::Deserialize;
use service_kit::audit::{self, Change};
use service_kit::extract::{IdempotencyKey, ValidJson, ValidQuery};
use service_kit::idempotency::Created;
use service_kit::pagination::{Page, PageParams};
use service_kit::problem::Problem;
use service_kit::{ApiError, ApiResult, Caller};
use utoipa::IntoParams;
use uuid::Uuid;

use super::{Recommendations, registry};
use crate::domain::experts::{Expert, ExpertGroup, ExpertGroupInput, ExpertInput};
use crate::domain::{Errors, parse_code};
use crate::store::experts::{self as store, Filter};

/// Filters and paging of the expert and group lists.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RegisterQuery {
    /// Only the register of this government body. An officer reads only their own
    /// body's register, so another body gives an empty list.
    pub government_body: Option<String>,
    /// Only experts competent in this sphere, or groups formed for it.
    #[param(value_type = Option<Sphere>)]
    pub sphere: Option<String>,
    /// Items per page, 1 to 200 (default 50).
    pub limit: Option<i64>,
    /// Cursor from the previous page.
    pub cursor: Option<String>,
}

impl RegisterQuery {
    /// Checks the filters and paging, and returns the filter, the page size and the id
    /// the page starts after.
    fn parse(&self, caller: &Caller) -> Result<(Filter, i64, Option<String>), ApiError> {
        let scope = caller.reading_scope()?.map(str::to_owned);
        let mut errors = Errors::default();
        let sphere = self
            .sphere
            .as_deref()
            .and_then(|raw| errors.check("#/query/sphere", parse_code::<Sphere>(raw)));
        errors.into_result()?;
        let page = PageParams {
            limit: self.limit,
            cursor: self.cursor.clone(),
        };
        let limit = page.limit()?;
        let after = page.after()?;
        let filter = Filter {
            scope,
            government_body: self.government_body.clone(),
            sphere,
        };
        Ok((filter, limit, after))
    }
}

/// Add an expert to the register of the officer's body.
///
/// Officers only. An NPO named by registry id must be in the registry and not
/// liquidated. The contacts are personal data, read only by the body's officer and the
/// ministry.
#[utoipa::path(
    post, path = "/v1/experts", tag = "experts",
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create return the first response")),
    request_body = ExpertInput,
    responses(
        (status = 201, body = Expert, headers(("Location" = String))), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 422, body = Problem),
        (status = 503, body = Problem, headers(("Retry-After" = u32)))
    ),
    security(("bearer" = []))
)]
#[post("/v1/experts")]
pub async fn create_expert(
    service: web::Data<Recommendations>,
    caller: Caller,
    key: IdempotencyKey,
    body: ValidJson<ExpertInput>,
) -> ApiResult<HttpResponse> {
    let government_body = caller.officer_body()?.to_owned();
    let mut facts = body.value.parse()?;
    if let Some(npo_id) = &facts.npo_id {
        let npo = registry::npo_by_id(&service, npo_id, "/npo_id").await?;
        facts.npo_id = Some(npo.id);
    }
    let scope = caller.idempotency_scope("POST /v1/experts");

    service
        .create(key, scope, body.raw.clone(), move |conn| {
            let id = Uuid::now_v7().to_string();
            store::insert_expert(conn, &id, &government_body, &facts, &caller.subject, service_kit::now())?;
            let mut fields = vec!["full_name".to_owned(), "spheres".to_owned(), "expertise".to_owned()];
            for (name, given) in [
                ("organisation", facts.organisation.is_some()),
                ("npo_id", facts.npo_id.is_some()),
                ("contacts", facts.contacts.is_some()),
            ] {
                if given {
                    fields.push(name.to_owned());
                }
            }
            audit::record(
                conn,
                Change {
                    entity: "expert",
                    entity_id: &id,
                    action: "added",
                    actor: &caller.subject,
                    government_body: Some(&government_body),
                    fields: &fields,
                },
            )?;
            let expert = store::find_expert(conn, &id)?
                .ok_or_else(|| ApiError::NotFound(format!("expert {id}")))?;
            tracing::info!(expert.id = %id, body.id = %government_body, "expert added to the register");
            Created::new(expert, format!("/v1/experts/{id}"), None)
        })
        .await
}

/// List experts in the order they were added: an officer's body's register, or every
/// body's for the ministry.
#[utoipa::path(
    get, path = "/v1/experts", tag = "experts", params(RegisterQuery),
    responses(
        (status = 200, body = inline(Page<Expert>)), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 422, body = Problem)
    ),
    security(("bearer" = []))
)]
#[get("/v1/experts")]
pub async fn list_experts(
    service: web::Data<Recommendations>,
    caller: Caller,
    query: ValidQuery<RegisterQuery>,
) -> ApiResult<HttpResponse> {
    let (filter, limit, after) = query.parse(&caller)?;
    let items = service
        .db
        .run(move |conn| {
            store::list_experts(conn, &filter, after.as_deref(), limit + 1).map_err(ApiError::from)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_overfetch(items, limit, |e| e.id.clone())))
}

/// Read an expert: the officer of the expert's body or the ministry.
#[utoipa::path(
    get, path = "/v1/experts/{id}", tag = "experts",
    params(("id" = String, Path, description = "Expert id")),
    responses(
        (status = 200, body = Expert), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem)
    ),
    security(("bearer" = []))
)]
#[get("/v1/experts/{id}")]
pub async fn get_expert(
    service: web::Data<Recommendations>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let own_body = caller.reading_scope()?.map(str::to_owned);
    let id = id.into_inner();
    let expert = service
        .db
        .run(move |conn| {
            store::find_expert(conn, &id)?
                .filter(|e| {
                    own_body
                        .as_ref()
                        .is_none_or(|body| *body == e.government_body)
                })
                .ok_or_else(|| ApiError::NotFound(format!("expert {id}")))
        })
        .await?;
    Ok(HttpResponse::Ok().json(expert))
}

/// Form an expert group of the officer's body from experts of its register.
///
/// Officers only. Each member must be an expert of the same body, listed once.
#[utoipa::path(
    post, path = "/v1/expert-groups", tag = "experts",
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create return the first response")),
    request_body = ExpertGroupInput,
    responses(
        (status = 201, body = ExpertGroup, headers(("Location" = String))), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 422, body = Problem)
    ),
    security(("bearer" = []))
)]
#[post("/v1/expert-groups")]
pub async fn create_group(
    service: web::Data<Recommendations>,
    caller: Caller,
    key: IdempotencyKey,
    body: ValidJson<ExpertGroupInput>,
) -> ApiResult<HttpResponse> {
    let government_body = caller.officer_body()?.to_owned();
    let facts = body.value.parse(common_models::time::today())?;
    let scope = caller.idempotency_scope("POST /v1/expert-groups");

    service
        .create(key, scope, body.raw.clone(), move |conn| {
            let known = store::experts_of_body(conn, &government_body, &facts.members)?;
            let mut errors = Errors::default();
            for (index, member) in facts.members.iter().enumerate() {
                if !known.contains(member) {
                    errors.add(
                        format!("/members/{index}"),
                        format!("no expert {member} is in the register of {government_body}"),
                    );
                }
            }
            errors.into_result()?;

            let id = Uuid::now_v7().to_string();
            store::insert_group(conn, &id, &government_body, &facts, &caller.subject, service_kit::now())?;
            audit::record(
                conn,
                Change {
                    entity: "expert_group",
                    entity_id: &id,
                    action: "formed",
                    actor: &caller.subject,
                    government_body: Some(&government_body),
                    fields: &["name".to_owned(), "purpose".to_owned(), "members".to_owned()],
                },
            )?;
            let group = store::find_group(conn, &id)?
                .ok_or_else(|| ApiError::NotFound(format!("expert group {id}")))?;
            tracing::info!(group.id = %id, body.id = %government_body, members = facts.members.len(), "expert group formed");
            Created::new(group, format!("/v1/expert-groups/{id}"), None)
        })
        .await
}

/// List expert groups in the order they were added, with their members: an officer's
/// body's, or every body's for the ministry.
#[utoipa::path(
    get, path = "/v1/expert-groups", tag = "experts", params(RegisterQuery),
    responses(
        (status = 200, body = inline(Page<ExpertGroup>)), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 422, body = Problem)
    ),
    security(("bearer" = []))
)]
#[get("/v1/expert-groups")]
pub async fn list_groups(
    service: web::Data<Recommendations>,
    caller: Caller,
    query: ValidQuery<RegisterQuery>,
) -> ApiResult<HttpResponse> {
    let (filter, limit, after) = query.parse(&caller)?;
    let items = service
        .db
        .run(move |conn| {
            store::list_groups(conn, &filter, after.as_deref(), limit + 1).map_err(ApiError::from)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_overfetch(items, limit, |g| g.id.clone())))
}

/// Read an expert group with its members: the officer of the group's body or the
/// ministry.
#[utoipa::path(
    get, path = "/v1/expert-groups/{id}", tag = "experts",
    params(("id" = String, Path, description = "Expert group id")),
    responses(
        (status = 200, body = ExpertGroup), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem)
    ),
    security(("bearer" = []))
)]
#[get("/v1/expert-groups/{id}")]
pub async fn get_group(
    service: web::Data<Recommendations>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let own_body = caller.reading_scope()?.map(str::to_owned);
    let id = id.into_inner();
    let group = service
        .db
        .run(move |conn| {
            store::find_group(conn, &id)?
                .filter(|g| {
                    own_body
                        .as_ref()
                        .is_none_or(|body| *body == g.government_body)
                })
                .ok_or_else(|| ApiError::NotFound(format!("expert group {id}")))
        })
        .await?;
    Ok(HttpResponse::Ok().json(group))
}
