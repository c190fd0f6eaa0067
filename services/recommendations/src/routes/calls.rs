//! `/v1/recommendation-requests`: an officer's requests for recommendations of NPOs on
//! a topic, by a deadline, to invited NPOs or to every NPO.

use actix_web::{HttpResponse, get, post, web};
use common_models::Catalogue;
use common_models::event::recommendations::{REQUEST_PUBLISHED, RequestPublished};
use futures_util::StreamExt;
use serde::Deserialize;
use service_kit::audit::{self, Change};
use service_kit::extract::{IdempotencyKey, IfMatch, ValidJson, ValidQuery, etag};
use service_kit::idempotency::Created;
use service_kit::outbox;
use service_kit::pagination::{Page, PageParams};
use service_kit::problem::Problem;
use service_kit::{AnyConnection, ApiError, ApiResult, Caller, Role, ServiceContext};
use utoipa::IntoParams;
use uuid::Uuid;

use super::recommendations::acting;
use super::{Recommendations, registry};
use crate::domain::calls::{
    InvitedNpo, RecommendationRequest, RecommendationRequestInput, RequestStatus,
};
use crate::domain::{Errors, Responsible};
use crate::store::calls::{self as store, Filter, Scope};

const ENTITY: &str = "recommendation_request";

/// Registry lookups of invited NPOs in flight at once, which bounds the load one
/// request puts on the registry.
const CONCURRENT_LOOKUPS: usize = 8;

/// Loads a request the caller may read: the ministry reads every request, an officer
/// those of their body, and an NPO user those open to every NPO or inviting its
/// organisation. Anyone else gets 404.
fn readable(
    conn: &mut AnyConnection,
    id: &str,
    caller: &Caller,
    today: chrono::NaiveDate,
) -> Result<RecommendationRequest, ApiError> {
    let not_found = || ApiError::NotFound(format!("recommendation request {id}"));
    let request = store::find(conn, id, today)?.ok_or_else(not_found)?;
    let visible = match caller.role {
        Role::Ministry => true,
        Role::Officer => caller.body() == Some(request.government_body.as_str()),
        Role::Npo if request.invited_npos.is_empty() => true,
        Role::Npo => match caller.bin() {
            Some(bin) => store::invites_bin(conn, id, bin.as_str())?,
            None => false,
        },
        Role::Integrator => false,
    };
    if visible {
        Ok(request)
    } else {
        Err(not_found())
    }
}

fn respond(request: &RecommendationRequest) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("ETag", etag(request.version)))
        .json(request)
}

fn published(request: &RecommendationRequest) -> RequestPublished {
    RequestPublished {
        request_id: request.id.clone(),
        government_body: request.government_body.clone(),
        sphere: request.sphere.map(|sphere| sphere.code().to_owned()),
        deadline: request.deadline,
        invited_npo_ids: request.invited_npos.clone(),
    }
}

/// Reads each invited NPO from the registry. Every id the registry does not have, or
/// lists as liquidated, is a 422 at `/invited_npos/N`, and so is a second id of an NPO
/// already invited. Any other error, such as a 503 for an unreachable registry, stops
/// the lookups.
async fn confirm_invited(
    context: &ServiceContext,
    ids: &[String],
) -> Result<Vec<InvitedNpo>, ApiError> {
    let mut lookups = futures_util::stream::iter(ids.iter().enumerate())
        .map(|(index, id)| async move {
            let pointer = format!("/invited_npos/{index}");
            (index, registry::npo_by_id(context, id, &pointer).await)
        })
        .buffered(CONCURRENT_LOOKUPS);
    let mut errors = Errors::default();
    let mut found: Vec<(usize, InvitedNpo)> = Vec::with_capacity(ids.len());
    while let Some((index, result)) = lookups.next().await {
        match result {
            Ok(npo) => {
                if let Some((first, _)) = found.iter().find(|(_, known)| known.id == npo.id) {
                    errors.add(
                        format!("/invited_npos/{index}"),
                        format!("NPO {} is already invited at /invited_npos/{first}", npo.id),
                    );
                } else {
                    found.push((
                        index,
                        InvitedNpo {
                            id: npo.id,
                            bin: npo.bin,
                        },
                    ));
                }
            }
            Err(ApiError::Validation {
                errors: invalid, ..
            }) => {
                for error in invalid {
                    errors.add(error.pointer, error.message);
                }
            }
            Err(other) => return Err(other),
        }
    }
    errors.into_result()?;
    Ok(found.into_iter().map(|(_, npo)| npo).collect())
}

/// Request recommendations from NPOs on a topic, by a deadline after today.
///
/// Officers only, and the request belongs to the officer's body. Each invited NPO must
/// be in the registry and not liquidated. Without invited NPOs every NPO may answer.
/// Publishes `recommendations.request.published`.
#[utoipa::path(
    post, path = "/v1/recommendation-requests", tag = "recommendation requests",
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create return the first response")),
    request_body = RecommendationRequestInput,
    responses(
        (status = 201, body = RecommendationRequest, headers(("Location" = String), ("ETag" = String))),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem),
        (status = 503, body = Problem, headers(("Retry-After" = u32)))
    ),
    security(("bearer" = []))
)]
#[post("/v1/recommendation-requests")]
pub async fn create_recommendation_request(
    service: web::Data<Recommendations>,
    caller: Caller,
    key: IdempotencyKey,
    body: ValidJson<RecommendationRequestInput>,
) -> ApiResult<HttpResponse> {
    let government_body = caller.officer_body()?.to_owned();
    let today = common_models::time::today();
    let facts = body.value.parse(today)?;
    let invited_npos = confirm_invited(&service, &facts.invited_npos).await?;
    let events = service.events_for(Some(&caller));
    let scope = caller.idempotency_scope("POST /v1/recommendation-requests");

    service
        .create(key, scope, body.raw.clone(), move |conn| {
            let id = Uuid::now_v7().to_string();
            store::insert(
                conn,
                &id,
                &government_body,
                &facts,
                &invited_npos,
                &acting(&caller),
                today,
                service_kit::now(),
            )?;
            audit::record(
                conn,
                Change {
                    entity: ENTITY,
                    entity_id: &id,
                    action: "published",
                    actor: &caller.subject,
                    government_body: Some(&government_body),
                    fields: &[
                        "topic".to_owned(),
                        "sphere".to_owned(),
                        "format".to_owned(),
                        "deadline".to_owned(),
                        "invited_npos".to_owned(),
                    ],
                },
            )?;
            let request = store::find(conn, &id, today)?
                .ok_or_else(|| ApiError::NotFound(format!("recommendation request {id}")))?;
            outbox::enqueue(conn, &events.event(REQUEST_PUBLISHED, published(&request))?)?;
            tracing::info!(
                recommendation_request.id = %id,
                body.id = %government_body,
                invited = invited_npos.len(),
                "recommendation request published"
            );
            Created::new(
                &request,
                format!("/v1/recommendation-requests/{id}"),
                Some(etag(request.version)),
            )
        })
        .await
}

/// Filters of the request list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RecommendationRequestQuery {
    /// Body that sent the requests. An officer may name only their own.
    pub government_body: Option<String>,
    /// `open` or `closed`. An open request past its deadline stays `open`, with
    /// `accepting` false.
    #[param(value_type = Option<RequestStatus>)]
    pub status: Option<String>,
    /// Items per page, 1 to 200 (default 50).
    pub limit: Option<i64>,
    /// Cursor from the previous page.
    pub cursor: Option<String>,
}

/// List requests for recommendations in the order they were sent.
///
/// An officer lists those of their body, the ministry every body's, and an NPO user
/// those open to every NPO and those inviting its organisation.
#[utoipa::path(
    get, path = "/v1/recommendation-requests", tag = "recommendation requests",
    params(RecommendationRequestQuery),
    responses(
        (status = 200, body = inline(Page<RecommendationRequest>)), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 422, body = Problem)
    ),
    security(("bearer" = []))
)]
#[get("/v1/recommendation-requests")]
pub async fn list_recommendation_requests(
    service: web::Data<Recommendations>,
    caller: Caller,
    query: ValidQuery<RecommendationRequestQuery>,
) -> ApiResult<HttpResponse> {
    let query = query.into_inner();
    let hide = caller.role == Role::Npo;
    let scope = match caller.role {
        Role::Officer => {
            let own = caller.officer_body()?;
            if let Some(asked) = query.government_body.as_deref()
                && asked != own
            {
                return Err(ApiError::Forbidden(format!(
                    "only the officer of {asked} and the ministry list its requests; leave out government_body to list your own body's"
                )));
            }
            Scope::Body(own.to_owned())
        }
        Role::Ministry => Scope::Everything,
        Role::Npo => Scope::NpoBin(caller.bin().map(ToString::to_string).ok_or_else(|| {
            ApiError::Forbidden("the token of an NPO user carries no BIN".into())
        })?),
        Role::Integrator => {
            return Err(ApiError::Forbidden(
                "integrators do not read recommendation requests".into(),
            ));
        }
    };
    let status = query
        .status
        .as_deref()
        .map(|raw| RequestStatus::parse(raw).map_err(|m| ApiError::field("#/query/status", m)))
        .transpose()?;
    let filter = Filter {
        government_body: query.government_body,
        status,
    };
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor,
    };
    let limit = page.limit()?;
    let after = page.after()?;
    let today = common_models::time::today();

    let items = service
        .db
        .run(move |conn| {
            store::list(conn, &scope, &filter, after.as_deref(), limit + 1, today)
                .map_err(ApiError::from)
        })
        .await?;
    let mut items = items;
    if hide {
        for item in &mut items {
            Responsible::hide_subject(&mut item.responsible);
        }
    }
    Ok(HttpResponse::Ok().json(Page::from_overfetch(items, limit, |r| r.id.clone())))
}

/// Read a request for recommendations: its body's officer, the ministry, or an NPO
/// user whose organisation it is open to.
#[utoipa::path(
    get, path = "/v1/recommendation-requests/{id}", tag = "recommendation requests",
    params(("id" = String, Path, description = "Request id")),
    responses(
        (status = 200, body = RecommendationRequest, headers(("ETag" = String))), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem)
    ),
    security(("bearer" = []))
)]
#[get("/v1/recommendation-requests/{id}")]
pub async fn get_recommendation_request(
    service: web::Data<Recommendations>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    caller.require(&[Role::Officer, Role::Ministry, Role::Npo])?;
    let id = id.into_inner();
    let today = common_models::time::today();
    let hide = caller.role == Role::Npo;
    let mut request = service
        .db
        .run(move |conn| readable(conn, &id, &caller, today))
        .await?;
    if hide {
        Responsible::hide_subject(&mut request.responsible);
    }
    Ok(respond(&request))
}

/// Close a request for recommendations, so NPOs no longer answer it.
///
/// The officer of the body that sent it, with `If-Match`. A closed request is a 409.
#[utoipa::path(
    post, path = "/v1/recommendation-requests/{id}/close", tag = "recommendation requests",
    params(("id" = String, Path, description = "Request id"), ("If-Match" = String, Header, description = "ETag from the last read")),
    responses(
        (status = 200, body = RecommendationRequest, headers(("ETag" = String))), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 412, body = Problem), (status = 428, body = Problem)
    ),
    security(("bearer" = []))
)]
#[post("/v1/recommendation-requests/{id}/close")]
pub async fn close_recommendation_request(
    service: web::Data<Recommendations>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let government_body = caller.officer_body()?.to_owned();
    let id = id.into_inner();
    let today = common_models::time::today();
    let closed = service
        .db
        .transaction(move |conn| {
            let current = readable(conn, &id, &caller, today)?;
            if_match.check(&etag(current.version))?;
            if current.status == RequestStatus::Closed {
                return Err(ApiError::Conflict(format!(
                    "recommendation request {id} is already closed"
                )));
            }
            if !store::close(conn, &current, today, service_kit::now())? {
                return Err(ApiError::PreconditionFailed);
            }
            audit::record(
                conn,
                Change {
                    entity: ENTITY,
                    entity_id: &id,
                    action: "closed",
                    actor: &caller.subject,
                    government_body: Some(&government_body),
                    fields: &["status".to_owned(), "closed_on".to_owned()],
                },
            )?;
            tracing::info!(recommendation_request.id = %id, body.id = %government_body, "recommendation request closed");
            store::find(conn, &id, today)?
                .ok_or_else(|| ApiError::NotFound(format!("recommendation request {id}")))
        })
        .await?;
    Ok(respond(&closed))
}
