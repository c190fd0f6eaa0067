//! `/v1/npos`: register, read, search and change NPOs.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, get, patch, post, web};
use common_models::event::registry::{
    NPO_REGISTERED, NPO_STATUS_CHANGED, NPO_UPDATED, NpoRegistered, NpoStatusChanged, NpoUpdated,
};
use common_models::{Catalogue, KatoCode, LegalForm, NpoStatus, Sphere, TargetGroup};
use serde::Deserialize;
use service_kit::app::EventFactory;
use service_kit::audit::{self, AuditEntry, Change};
use service_kit::extract::{IdempotencyKey, IfMatch, ValidJson, ValidQuery, etag};
use service_kit::idempotency::Created;
use service_kit::outbox::{self, OutgoingEvent};
use service_kit::pagination::{Page, PageParams};
use service_kit::{AnyConnection, ApiError, ApiResult, Caller, MaybeCaller, Role};
use utoipa::IntoParams;
use uuid::Uuid;

use super::Registry;
use super::search::{
    NpoFilterQuery, NpoSortCode, cursor_text, invalid_parameters, parse_cursor, parse_sort,
};
use crate::domain::npo::{
    NpoCard, NpoFacts, NpoInput, NpoPatch, NpoRecord, Visibility, confirm_fields,
};
use crate::store::npos::{self, Author};
use crate::store::search;
use crate::store::territories;

/// Entity name of NPOs in the audit trail.
pub(crate) const ENTITY: &str = "npo";

fn visibility(caller: Option<&Caller>, record: &NpoRecord) -> Visibility {
    match caller {
        Some(caller) if matches!(caller.role, Role::Officer | Role::Ministry) => Visibility::Full,
        Some(caller)
            if caller.role == Role::Npo
                && caller.bin().is_some()
                && caller.bin() == record.facts.bin.as_ref() =>
        {
            Visibility::Full
        }
        _ => Visibility::Public,
    }
}

/// Fails with 422 when a territory is not in the classifier. Pointers index `requested`,
/// the list as the client sent it (repeats included); without one, the field is named.
fn check_territories_exist(
    conn: &mut AnyConnection,
    facts: &NpoFacts,
    requested: Option<&[String]>,
) -> Result<(), ApiError> {
    let unknown = territories::unknown(conn, &facts.territories)?;
    if unknown.is_empty() {
        return Ok(());
    }
    let mut errors = Vec::new();
    for code in &unknown {
        let message = format!("{code} is not in the KATO classifier");
        let positions: Vec<usize> = requested
            .unwrap_or_default()
            .iter()
            .enumerate()
            .filter(|(_, raw)| KatoCode::parse(raw).is_ok_and(|parsed| parsed == *code))
            .map(|(index, _)| index)
            .collect();
        if positions.is_empty() {
            errors.push(service_kit::FieldError::new("/territories", message));
        } else {
            for index in positions {
                errors.push(service_kit::FieldError::new(
                    format!("/territories/{index}"),
                    message.clone(),
                ));
            }
        }
    }
    Err(ApiError::invalid(errors))
}

fn check_bin_free(
    conn: &mut AnyConnection,
    facts: &NpoFacts,
    own_id: Option<&str>,
) -> Result<(), ApiError> {
    let Some(bin) = &facts.bin else {
        return Ok(());
    };
    match npos::find_by_bin(conn, bin)? {
        Some(existing) if Some(existing.id.as_str()) != own_id => Err(ApiError::Conflict(format!(
            "an NPO with BIN {bin} is already registered as {}",
            existing.id
        ))),
        _ => Ok(()),
    }
}

pub(crate) fn registered_payload(id: &str, facts: &NpoFacts) -> NpoRegistered {
    NpoRegistered {
        npo_id: id.to_owned(),
        bin: facts.bin.as_ref().map(|b| b.as_str().to_owned()),
        name_ru: facts.name_ru.clone(),
        name_kk: facts.name_kk.clone(),
        legal_form: facts.legal_form.code().to_owned(),
        status: facts.status.code().to_owned(),
        territories: facts
            .territories
            .iter()
            .map(|c| c.as_str().to_owned())
            .collect(),
        spheres: facts.spheres.iter().map(|s| s.code().to_owned()).collect(),
        card: Some(facts.report_card()),
    }
}

/// Builds the events of a change from `before` to `after`: `npo.updated` when
/// `changed` names a field, and `npo.status_changed` when the status moved.
pub(crate) fn update_events(
    events: &EventFactory,
    id: &str,
    before: &NpoFacts,
    after: &NpoFacts,
    changed: &[String],
) -> Vec<Result<OutgoingEvent, ApiError>> {
    let mut made = Vec::new();
    if !changed.is_empty() {
        let payload = NpoUpdated {
            npo_id: id.to_owned(),
            fields: changed.to_vec(),
            territories: after
                .territories
                .iter()
                .map(|c| c.as_str().to_owned())
                .collect(),
            spheres: after.spheres.iter().map(|s| s.code().to_owned()).collect(),
            card: Some(after.report_card()),
        };
        made.push(events.event(NPO_UPDATED, payload));
    }
    if before.status != after.status {
        let payload = NpoStatusChanged {
            npo_id: id.to_owned(),
            from: before.status.code().to_owned(),
            to: after.status.code().to_owned(),
        };
        made.push(events.event(NPO_STATUS_CHANGED, payload));
    }
    made
}

/// Register an NPO.
///
/// Officers only. `Idempotency-Key` makes a retry return the first response.
#[utoipa::path(
    post, path = "/v1/npos", tag = "npos",
    request_body = NpoInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create return the first response")),
    responses(
        (status = 201, description = "Registered", body = NpoCard, headers(("Location" = String), ("ETag" = String))),
        (status = 401, body = service_kit::problem::Problem), (status = 403, body = service_kit::problem::Problem),
        (status = 409, description = "BIN already registered", body = service_kit::problem::Problem),
        (status = 422, description = "Invalid fields", body = service_kit::problem::Problem)
    ),
    security(("bearer" = []))
)]
#[post("/v1/npos")]
pub async fn create_npo(
    registry: web::Data<Registry>,
    caller: Caller,
    key: IdempotencyKey,
    body: ValidJson<NpoInput>,
) -> ApiResult<HttpResponse> {
    let body_name = caller.officer_body()?.to_owned();
    let (facts, source) = body.value.parse()?;
    let events = registry.events_for(Some(&caller));
    let scope = caller.idempotency_scope("POST /v1/npos");

    registry
        .create(key, scope, body.raw.clone(), move |conn| {
            check_territories_exist(conn, &facts, Some(&body.value.territories))?;
            check_bin_free(conn, &facts, None)?;
            let id = Uuid::now_v7().to_string();
            let now = service_kit::now();
            let mut provenance = BTreeMap::new();
            confirm_fields(&mut provenance, &facts.present_fields(), source, now);
            let author = Author {
                subject: &caller.subject,
                body: Some(&body_name),
            };
            npos::insert(conn, &id, &facts, &provenance, author, now)?;
            audit::record(
                conn,
                Change {
                    entity: ENTITY,
                    entity_id: &id,
                    action: "created",
                    actor: &caller.subject,
                    government_body: Some(&body_name),
                    fields: &facts.present_fields(),
                },
            )?;
            let event = events.event(NPO_REGISTERED, registered_payload(&id, &facts))?;
            outbox::enqueue(conn, &event)?;
            let record =
                npos::find(conn, &id)?.ok_or_else(|| ApiError::NotFound(format!("NPO {id}")))?;
            tracing::info!(npo.id = %id, "NPO registered");
            Created::new(
                record.card(Visibility::Full),
                format!("/v1/npos/{id}"),
                Some(etag(record.version)),
            )
        })
        .await
}

/// Filters, order and page of the NPO list. The filter fields repeat
/// [`NpoFilterQuery`] because serde does not support `deny_unknown_fields` together
/// with `flatten`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NpoQuery {
    /// Text found in the Russian or Kazakh name, ignoring letter case.
    pub q: Option<String>,
    /// KATO code; NPOs in this territory or any territory inside it.
    pub territory: Option<String>,
    #[param(value_type = Option<Sphere>)]
    pub sphere: Option<String>,
    #[param(value_type = Option<TargetGroup>)]
    pub target_group: Option<String>,
    #[param(value_type = Option<NpoStatus>)]
    pub status: Option<String>,
    #[param(value_type = Option<LegalForm>)]
    pub legal_form: Option<String>,
    /// Exact BIN.
    pub bin: Option<String>,
    /// NPOs registered on this date (YYYY-MM-DD) or later; NPOs without a registration
    /// date do not match.
    #[param(value_type = Option<String>, format = Date)]
    pub registered_from: Option<String>,
    /// NPOs registered on this date (YYYY-MM-DD) or earlier; NPOs without a
    /// registration date do not match.
    #[param(value_type = Option<String>, format = Date)]
    pub registered_to: Option<String>,
    /// Order of the items; without it, creation order.
    #[param(value_type = Option<NpoSortCode>)]
    pub sort: Option<String>,
    /// Items per page, 1 to 200 (default 50).
    pub limit: Option<i64>,
    /// Cursor from the previous page, valid only with the same `sort`.
    pub cursor: Option<String>,
}

impl NpoQuery {
    /// Returns the filters, which the facets and the export share.
    fn filters(&self) -> NpoFilterQuery {
        NpoFilterQuery {
            q: self.q.clone(),
            territory: self.territory.clone(),
            sphere: self.sphere.clone(),
            target_group: self.target_group.clone(),
            status: self.status.clone(),
            legal_form: self.legal_form.clone(),
            bin: self.bin.clone(),
            registered_from: self.registered_from.clone(),
            registered_to: self.registered_to.clone(),
        }
    }
}

/// Search and list NPOs.
///
/// Open to everyone; items are public cards, without key staff or contacts.
#[utoipa::path(
    get, path = "/v1/npos", tag = "npos", params(NpoQuery),
    responses((status = 200, body = inline(Page<NpoCard>)), (status = 422, body = service_kit::problem::Problem))
)]
#[get("/v1/npos")]
pub async fn list_npos(
    registry: web::Data<Registry>,
    _caller: MaybeCaller,
    query: ValidQuery<NpoQuery>,
) -> ApiResult<HttpResponse> {
    let query = query.into_inner();
    let filter = query.filters().filter();
    let sort = parse_sort(query.sort.as_deref());
    let page = PageParams {
        limit: query.limit,
        cursor: None,
    };
    let limit = page.limit();
    let after = match &sort {
        Ok(sort) => parse_cursor(*sort, query.cursor.clone()),
        Err(_) => Ok(None),
    };
    let (filter, sort, limit, after) = match (filter, sort, limit, after) {
        (Ok(filter), Ok(sort), Ok(limit), Ok(after)) => (filter, sort, limit, after),
        (filter, sort, limit, after) => {
            return Err(invalid_parameters([
                filter.err(),
                sort.err(),
                limit.err(),
                after.err(),
            ]));
        }
    };

    let rows = registry
        .db
        .run(move |conn| match search::resolve(conn, filter)? {
            Some(filter) => {
                search::list(conn, &filter, sort, after.as_ref(), limit + 1).map_err(ApiError::from)
            }
            None => Ok(Vec::new()),
        })
        .await?;

    let page = Page::from_overfetch(rows, limit, |(_, position)| cursor_text(sort, position));
    Ok(HttpResponse::Ok().json(Page {
        items: page
            .items
            .iter()
            .map(|(record, _)| record.card(Visibility::Public))
            .collect::<Vec<NpoCard>>(),
        next_cursor: page.next_cursor,
    }))
}

/// Returns the NPO that `id` was merged into, if it was.
async fn merged_target(registry: &Registry, id: &str) -> ApiResult<Option<String>> {
    let lookup = id.to_owned();
    registry
        .db
        .run(move |conn| npos::merged_into(conn, &lookup).map_err(ApiError::from))
        .await
}

async fn load(registry: &Registry, id: String) -> ApiResult<NpoRecord> {
    let lookup = id.clone();
    registry
        .db
        .run(move |conn| npos::find(conn, &lookup).map_err(ApiError::from))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("NPO {id}")))
}

/// Read an NPO card.
///
/// Officers, the ministry and the NPO itself get the full card; everyone else the
/// public card. The id of an NPO merged into another redirects (308) to that one.
#[utoipa::path(
    get, path = "/v1/npos/{id}", tag = "npos",
    params(("id" = String, Path, description = "NPO id")),
    responses((status = 200, body = NpoCard, headers(("ETag" = String))), (status = 308, description = "Merged into the NPO in Location", headers(("Location" = String))), (status = 404, body = service_kit::problem::Problem))
)]
#[get("/v1/npos/{id}")]
pub async fn get_npo(
    registry: web::Data<Registry>,
    caller: MaybeCaller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    if let Some(target) = merged_target(&registry, &id).await? {
        return Ok(HttpResponse::PermanentRedirect()
            .insert_header(("Location", format!("/v1/npos/{target}")))
            .finish());
    }
    let record = load(&registry, id).await?;
    let card = record.card(visibility(caller.0.as_ref(), &record));
    Ok(HttpResponse::Ok()
        .insert_header(("ETag", etag(record.version)))
        .json(card))
}

/// Change an NPO.
///
/// Officers only. Needs `If-Match` with the ETag of the last read.
#[utoipa::path(
    patch, path = "/v1/npos/{id}", tag = "npos",
    params(("id" = String, Path, description = "NPO id"), ("If-Match" = String, Header, description = "ETag from the last read")),
    request_body = NpoPatch,
    responses(
        (status = 200, body = NpoCard, headers(("ETag" = String))),
        (status = 403, description = "Only officers change NPO records", body = service_kit::problem::Problem),
        (status = 404, body = service_kit::problem::Problem), (status = 409, body = service_kit::problem::Problem),
        (status = 412, body = service_kit::problem::Problem), (status = 422, body = service_kit::problem::Problem),
        (status = 428, body = service_kit::problem::Problem)
    ),
    security(("bearer" = []))
)]
#[patch("/v1/npos/{id}")]
pub async fn update_npo(
    registry: web::Data<Registry>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ValidJson<NpoPatch>,
) -> ApiResult<HttpResponse> {
    let body_name = caller.officer_body()?.to_owned();
    let id = id.into_inner();
    let events = registry.events_for(Some(&caller));

    let record = registry
        .db
        .transaction(move |conn| {
            let current =
                npos::find(conn, &id)?.ok_or_else(|| ApiError::NotFound(format!("NPO {id}")))?;
            if let Some(target) = npos::merged_into(conn, &id)? {
                return Err(ApiError::Conflict(format!(
                    "NPO {id} was merged into {target}; change that one"
                )));
            }
            if_match.check(&etag(current.version))?;
            let (facts, named, source) = body.value.apply(&current.facts)?;
            let requested = body.value.territories.clone().flatten();
            check_territories_exist(conn, &facts, requested.as_deref())?;
            check_bin_free(conn, &facts, Some(&id))?;

            let changed = current.facts.changed_fields(&facts);
            let now = service_kit::now();
            let mut provenance = current.provenance.clone();
            confirm_fields(&mut provenance, &named, source, now);
            if !npos::update(conn, &id, current.version, &facts, &provenance, now)? {
                return Err(ApiError::PreconditionFailed);
            }
            let action = if changed.is_empty() {
                "confirmed"
            } else {
                "updated"
            };
            audit::record(
                conn,
                Change {
                    entity: ENTITY,
                    entity_id: &id,
                    action,
                    actor: &caller.subject,
                    government_body: Some(&body_name),
                    fields: if changed.is_empty() { &named } else { &changed },
                },
            )?;
            for event in update_events(&events, &id, &current.facts, &facts, &changed) {
                outbox::enqueue(conn, &event?)?;
            }
            tracing::info!(npo.id = %id, fields = changed.len(), "NPO changed");
            npos::find(conn, &id)?.ok_or_else(|| ApiError::NotFound(format!("NPO {id}")))
        })
        .await?;
    registry.events_committed();
    Ok(HttpResponse::Ok()
        .insert_header(("ETag", etag(record.version)))
        .json(record.card(Visibility::Full)))
}

/// List the changes of an NPO: who changed which fields, and when.
///
/// Officers and the ministry. The changes of NPOs merged into this one are listed
/// too, each with its own `entity_id`.
#[utoipa::path(
    get, path = "/v1/npos/{id}/history", tag = "npos",
    params(("id" = String, Path, description = "NPO id")),
    responses((status = 200, body = Vec<AuditEntry>), (status = 403, body = service_kit::problem::Problem), (status = 404, body = service_kit::problem::Problem)),
    security(("bearer" = []))
)]
#[get("/v1/npos/{id}/history")]
pub async fn npo_history(
    registry: web::Data<Registry>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    caller.require(&[Role::Officer, Role::Ministry])?;
    let record = load(&registry, id.into_inner()).await?;
    let entries = registry
        .db
        .run(move |conn| {
            let mut entries = audit::history(conn, ENTITY, &record.id)?;
            for merged in npos::merged_ids(conn, &record.id)? {
                entries.extend(audit::history(conn, ENTITY, &merged)?);
            }
            entries.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.id.cmp(&b.id)));
            Ok::<_, ApiError>(entries)
        })
        .await?;
    Ok(HttpResponse::Ok().json(entries))
}
