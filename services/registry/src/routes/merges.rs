//! Candidate duplicates among NPOs without a BIN, and merging two records of one NPO.

use actix_web::{HttpResponse, get, post, web};
use common_models::event::registry::{NPO_MERGED, NpoMerged};
use serde::{Deserialize, Serialize};
use service_kit::audit::{self, Change};
use service_kit::extract::{ValidJson, ValidQuery, etag};
use service_kit::outbox;
use service_kit::pagination::{Page, PageParams};
use service_kit::{ApiError, ApiResult, Caller, Role};
use utoipa::ToSchema;

use super::Registry;
use super::npos::{ENTITY, update_events};
use crate::domain::npo::{Contacts, NpoCard, NpoFacts, Visibility};
use crate::store::npos;

/// NPOs without a BIN that have the same normalised name and first territory.
#[derive(Debug, Serialize, ToSchema)]
pub struct DuplicateGroup {
    /// The shared key: normalised name, `|`, KATO code of the first territory.
    pub key: String,
    /// Public cards of the NPOs, oldest first.
    pub npos: Vec<NpoCard>,
}

/// List candidate duplicates.
///
/// Officers and the ministry. Groups come in key order.
#[utoipa::path(
    get, path = "/v1/npo-duplicates", tag = "npos", params(PageParams),
    responses((status = 200, body = inline(Page<DuplicateGroup>)), (status = 403, body = service_kit::problem::Problem), (status = 422, body = service_kit::problem::Problem)),
    security(("bearer" = []))
)]
#[get("/v1/npo-duplicates")]
pub async fn list_duplicates(
    registry: web::Data<Registry>,
    caller: Caller,
    page: ValidQuery<PageParams>,
) -> ApiResult<HttpResponse> {
    caller.require(&[Role::Officer, Role::Ministry])?;
    let limit = page.limit()?;
    let after = page.after()?;
    let groups = registry
        .db
        .run(move |conn| {
            npos::duplicate_groups(conn, after.as_deref(), limit + 1).map_err(ApiError::from)
        })
        .await?;
    let groups: Vec<DuplicateGroup> = groups
        .into_iter()
        .map(|(key, records)| DuplicateGroup {
            key,
            npos: records.iter().map(|r| r.card(Visibility::Public)).collect(),
        })
        .collect();
    Ok(HttpResponse::Ok().json(Page::from_overfetch(groups, limit, |g| g.key.clone())))
}

/// Body of a merge request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeInput {
    /// The NPO that stays.
    pub keep: String,
    /// The NPO merged into `keep`; its id redirects to `keep` afterwards.
    pub merge: String,
}

/// Fills the empty fields of `keep` from `merged`.
fn combine(keep: &NpoFacts, merged: &NpoFacts) -> NpoFacts {
    let mut next = keep.clone();
    next.bin = next.bin.or_else(|| merged.bin.clone());
    next.name_ru = next.name_ru.or_else(|| merged.name_ru.clone());
    next.name_kk = next.name_kk.or_else(|| merged.name_kk.clone());
    next.registered_on = next.registered_on.or(merged.registered_on);
    next.founded_on = next.founded_on.or(merged.founded_on);
    next.oked = next.oked.or_else(|| merged.oked.clone());
    next.legal_address = next.legal_address.or_else(|| merged.legal_address.clone());
    if next.web_resources.is_empty() {
        next.web_resources.clone_from(&merged.web_resources);
    }
    if next.territories.is_empty() {
        next.territories.clone_from(&merged.territories);
    }
    if next.spheres.is_empty() {
        next.spheres.clone_from(&merged.spheres);
    }
    if next.target_groups.is_empty() {
        next.target_groups.clone_from(&merged.target_groups);
    }
    if next.forms_of_work.is_empty() {
        next.forms_of_work.clone_from(&merged.forms_of_work);
    }
    if next.key_staff.is_empty() {
        next.key_staff.clone_from(&merged.key_staff);
    }
    // Contacts are replaced whole, like on a change, so they are taken only when the
    // kept NPO has none at all.
    if next.contacts == Contacts::default() {
        next.contacts.clone_from(&merged.contacts);
    }
    if next.work_products.is_empty() {
        next.work_products.clone_from(&merged.work_products);
    }
    next
}

/// Merge two records of one NPO.
///
/// Officers only. The kept NPO takes the values it lacks from the merged one, and
/// the BIN when it has none. Both histories are kept: the kept NPO's history lists
/// the merged one's changes too, and the merged id redirects to the kept one.
/// Two NPOs with different BINs are different legal entities and cannot be merged.
#[utoipa::path(
    post, path = "/v1/npo-merges", tag = "npos", request_body = MergeInput,
    responses(
        (status = 200, description = "Merged; the kept NPO", body = NpoCard, headers(("ETag" = String))),
        (status = 403, body = service_kit::problem::Problem), (status = 404, body = service_kit::problem::Problem),
        (status = 409, description = "Different BINs, or already merged", body = service_kit::problem::Problem),
        (status = 422, body = service_kit::problem::Problem)
    ),
    security(("bearer" = []))
)]
#[post("/v1/npo-merges")]
pub async fn merge_npos(
    registry: web::Data<Registry>,
    caller: Caller,
    body: ValidJson<MergeInput>,
) -> ApiResult<HttpResponse> {
    let body_name = caller.officer_body()?.to_owned();
    let MergeInput { keep, merge } = body.value;
    if keep == merge {
        return Err(ApiError::field("/merge", "must differ from keep"));
    }
    let events = registry.events_for(Some(&caller));

    let record = registry
        .db
        .transaction(move |conn| {
            let load = |conn: &mut _, id: &str, pointer: &str| {
                let record = npos::find(conn, id)?
                    .ok_or_else(|| ApiError::NotFound(format!("NPO {id}")))?;
                if let Some(target) = npos::merged_into(conn, id)? {
                    return Err(ApiError::Conflict(format!(
                        "{pointer}: NPO {id} was already merged into {target}"
                    )));
                }
                Ok::<_, ApiError>(record)
            };
            let kept = load(conn, &keep, "keep")?;
            let merged = load(conn, &merge, "merge")?;
            if let (Some(a), Some(b)) = (&kept.facts.bin, &merged.facts.bin)
                && a != b
            {
                return Err(ApiError::Conflict(format!(
                    "the NPOs have different BINs ({a} and {b}), so they are different legal entities"
                )));
            }
            let now = service_kit::now();
            if !npos::mark_merged(conn, &merged.id, merged.version, &kept.id, now)? {
                return Err(ApiError::PreconditionFailed);
            }
            let facts = combine(&kept.facts, &merged.facts);
            let changed = kept.facts.changed_fields(&facts);
            let mut provenance = kept.provenance.clone();
            for field in &changed {
                if let Some(source) = merged.provenance.get(field) {
                    provenance.insert(field.clone(), source.clone());
                }
            }
            if !npos::update(conn, &kept.id, kept.version, &facts, &provenance, now)? {
                return Err(ApiError::PreconditionFailed);
            }
            let merged_fields = vec![format!("merged:{}", merged.id)];
            let into_fields = vec![format!("merged_into:{}", kept.id)];
            audit::record_many(
                conn,
                &[
                    Change {
                        entity: ENTITY,
                        entity_id: &kept.id,
                        action: "merged",
                        actor: &caller.subject,
                        government_body: Some(&body_name),
                        fields: &merged_fields,
                    },
                    Change {
                        entity: ENTITY,
                        entity_id: &merged.id,
                        action: "merged_into",
                        actor: &caller.subject,
                        government_body: Some(&body_name),
                        fields: &into_fields,
                    },
                ],
            )?;
            let payload = NpoMerged {
                npo_id: kept.id.clone(),
                merged_id: merged.id.clone(),
            };
            outbox::enqueue(conn, &events.event(NPO_MERGED, payload)?)?;
            for event in update_events(&events, &kept.id, &kept.facts, &facts, &changed) {
                outbox::enqueue(conn, &event?)?;
            }
            tracing::info!(npo.id = %kept.id, merged.id = %merged.id, "NPOs merged");
            npos::find(conn, &kept.id)?.ok_or_else(|| ApiError::NotFound(format!("NPO {}", kept.id)))
        })
        .await?;
    registry.events_committed();
    Ok(HttpResponse::Ok()
        .insert_header(("ETag", etag(record.version)))
        .json(record.card(Visibility::Full)))
}
