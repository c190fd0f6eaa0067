//! `/v1/memoranda`: memoranda of cooperation between a government body and NPOs, their
//! signing, early termination and expiry, and the joint actions carried out under them.

use std::time::Duration;

use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::NaiveDate;
use common_models::Sphere;
use common_models::event::joint_actions::{
    MEMORANDUM_EXPIRED, MEMORANDUM_SIGNED, MEMORANDUM_TERMINATED,
};
use serde::{Deserialize, Serialize};
use service_kit::app::EventFactory;
use service_kit::audit::{self, Change};
use service_kit::extract::{IdempotencyKey, IfMatch, ValidJson, ValidQuery, etag};
use service_kit::idempotency::Created;
use service_kit::outbox;
use service_kit::pagination::{Page, PageParams};
use service_kit::problem::Problem;
use service_kit::{AnyConnection, ApiError, ApiResult, Caller, Role, ServiceContext};
use tokio_util::sync::CancellationToken;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{JointActions, check_read, check_write, registry};
use crate::domain::memorandum::{
    LinkInput, Memorandum, MemorandumFacts, MemorandumInput, MemorandumParty, MemorandumPatch,
    MemorandumStatus, SigningInput, TerminationInput, check_signable, expiring_until,
};
use crate::domain::{parse_code, parse_date, text};
use crate::store::memoranda::{self, Filter, Scope};

/// Audit trail entity name of memoranda.
pub(crate) const ENTITY: &str = "memorandum";

/// How often the background sweep looks for memoranda whose term ended.
const SWEEP_INTERVAL: Duration = Duration::from_secs(3600);
/// Actor of the audit entries and events of the background sweep.
const SWEEP_ACTOR: &str = "memoranda-expiry";

/// Reads every NPO party from the registry, failing with 422 at the party's `npo_id`
/// when the registry does not have it or it is liquidated. A merged id becomes the id of
/// the NPO it was merged into.
async fn confirm_parties(
    service: &JointActions,
    facts: &MemorandumFacts,
) -> Result<Vec<MemorandumParty>, ApiError> {
    let mut confirmed: Vec<MemorandumParty> = Vec::new();
    for (index, party) in facts.parties.iter().enumerate() {
        let pointer = format!("/parties/{index}/npo_id");
        let npo = registry::npo(service, &party.npo_id, &pointer).await?;
        if confirmed.iter().any(|p| p.npo_id == npo.id) {
            return Err(ApiError::field(
                pointer,
                format!(
                    "NPO {} is already a party under the id {}",
                    party.npo_id, npo.id
                ),
            ));
        }
        confirmed.push(MemorandumParty {
            npo_name: npo.display_name(),
            npo_id: npo.id,
            npo_bin: npo.bin,
            signatory: party.signatory.clone(),
        });
    }
    Ok(confirmed)
}

/// Draft a memorandum of cooperation of the caller's government body with one or more
/// NPOs.
///
/// Officers only. Every NPO must be in the registry and not liquidated. The term may
/// not end before the day of signing; leave `valid_until` out for a memorandum without
/// an end date.
#[utoipa::path(
    post, path = "/v1/memoranda", tag = "memoranda",
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create return the first response")),
    request_body = MemorandumInput,
    responses(
        (status = 201, body = Memorandum, headers(("Location" = String), ("ETag" = String))),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem), (status = 503, body = Problem, headers(("Retry-After" = u32)))
    ),
    security(("bearer" = []))
)]
#[post("/v1/memoranda")]
pub async fn create_memorandum(
    service: web::Data<JointActions>,
    caller: Caller,
    key: IdempotencyKey,
    body: ValidJson<MemorandumInput>,
) -> ApiResult<HttpResponse> {
    let government_body = caller.officer_body()?.to_owned();
    let facts = body.value.parse()?;
    let parties = confirm_parties(&service, &facts).await?;
    let scope = caller.idempotency_scope("POST /v1/memoranda");

    service
        .create(key, scope, body.raw.clone(), move |conn| {
            let id = Uuid::now_v7().to_string();
            memoranda::insert(
                conn,
                &id,
                &government_body,
                &facts,
                &parties,
                &caller.subject,
                service_kit::now(),
            )?;
            audit::record(
                conn,
                Change {
                    entity: ENTITY,
                    entity_id: &id,
                    action: "created",
                    actor: &caller.subject,
                    government_body: Some(&government_body),
                    fields: &["subject".to_owned(), "parties".to_owned()],
                },
            )?;
            let memorandum = load(conn, &id)?;
            tracing::info!(memorandum.id = %id, body.id = %government_body, "memorandum drafted");
            Created::new(
                &memorandum,
                format!("/v1/memoranda/{id}"),
                Some(etag(memorandum.version)),
            )
        })
        .await
}

/// Loads a memorandum or fails with 404.
fn load(conn: &mut AnyConnection, id: &str) -> Result<Memorandum, ApiError> {
    memoranda::find(conn, id)?.ok_or_else(|| ApiError::NotFound(format!("memorandum {id}")))
}

/// Loads a memorandum of the caller's body, for a change.
fn owned(conn: &mut AnyConnection, id: &str, caller: &Caller) -> Result<Memorandum, ApiError> {
    let memorandum = load(conn, id)?;
    check_write(caller, &memorandum.government_body, || {
        format!("memorandum {id}")
    })?;
    Ok(memorandum)
}

/// Loads a memorandum the caller may read: the body's officer and the ministry read it,
/// and an NPO user reads it when their organisation is a party.
fn readable(conn: &mut AnyConnection, id: &str, caller: &Caller) -> Result<Memorandum, ApiError> {
    if caller.role == Role::Npo {
        let bin = caller.bin().map(ToString::to_string);
        let mut memorandum = load(conn, id)?;
        let party = bin.is_some() && memorandum.parties.iter().any(|p| p.npo_bin == bin);
        if !party {
            return Err(ApiError::NotFound(format!("memorandum {id}")));
        }
        memorandum.action_ids.clear();
        return Ok(memorandum);
    }
    caller.require(&[Role::Officer, Role::Ministry])?;
    let memorandum = load(conn, id)?;
    check_read(caller, &memorandum.government_body, || {
        format!("memorandum {id}")
    })?;
    Ok(memorandum)
}

fn respond(memorandum: &Memorandum) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("ETag", etag(memorandum.version)))
        .json(memorandum)
}

/// Returns the memoranda the caller may list.
fn list_scope(caller: &Caller) -> Result<Scope, ApiError> {
    match caller.role {
        Role::Npo => caller
            .bin()
            .map(|bin| Scope::NpoBin(bin.to_string()))
            .ok_or_else(|| ApiError::Forbidden("the token of an NPO user names no BIN".into())),
        Role::Officer => Ok(Scope::Body(caller.officer_body()?.to_owned())),
        _ => {
            caller.require(&[Role::Ministry])?;
            Ok(Scope::All)
        }
    }
}

/// Filters of the memorandum list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MemorandumQuery {
    #[param(value_type = Option<MemorandumStatus>)]
    pub status: Option<String>,
    /// Only memoranda to which the NPO with this registry id is a party.
    pub npo: Option<String>,
    /// Only memoranda that cover this sphere.
    #[param(value_type = Option<Sphere>)]
    pub sphere: Option<String>,
    /// `true`: only signed memoranda whose term ends within the next 30 days.
    pub expiring: Option<bool>,
    /// Items per page, 1 to 200 (default 50).
    pub limit: Option<i64>,
    /// Cursor from the previous page.
    pub cursor: Option<String>,
}

/// List memoranda of cooperation, oldest first.
///
/// An officer lists the memoranda of their body, the ministry those of every body, and
/// an NPO user those to which their organisation is a party.
#[utoipa::path(
    get, path = "/v1/memoranda", tag = "memoranda", params(MemorandumQuery),
    responses(
        (status = 200, body = inline(Page<Memorandum>)), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 422, body = Problem)
    ),
    security(("bearer" = []))
)]
#[get("/v1/memoranda")]
pub async fn list_memoranda(
    service: web::Data<JointActions>,
    caller: Caller,
    query: ValidQuery<MemorandumQuery>,
) -> ApiResult<HttpResponse> {
    let scope = list_scope(&caller)?;
    let for_npo = matches!(scope, Scope::NpoBin(_));
    let query = query.into_inner();
    let status = query
        .status
        .as_deref()
        .map(|raw| {
            MemorandumStatus::from_code(raw.trim()).ok_or_else(|| {
                ApiError::field(
                    "#/query/status",
                    format!("unknown code '{raw}'; expected draft, signed, expired or terminated"),
                )
            })
        })
        .transpose()?;
    let sphere = query
        .sphere
        .as_deref()
        .map(|raw| parse_code::<Sphere>(raw).map_err(|m| ApiError::field("#/query/sphere", m)))
        .transpose()?;
    let npo_id = query
        .npo
        .as_deref()
        .map(|raw| text(Some(raw), 64).map_err(|m| ApiError::field("#/query/npo", m)))
        .transpose()?
        .flatten();
    let today = common_models::time::today();
    let ending_between = (query.expiring == Some(true)).then(|| (today, expiring_until(today)));
    let filter = Filter {
        scope,
        status,
        npo_id,
        sphere,
        ending_between,
    };
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor,
    };
    let limit = page.limit()?;
    let after = page.after()?;

    let mut items = service
        .db
        .run(move |conn| {
            memoranda::list(conn, &filter, after.as_deref(), limit + 1).map_err(ApiError::from)
        })
        .await?;
    if for_npo {
        for memorandum in &mut items {
            memorandum.action_ids.clear();
        }
    }

    Ok(HttpResponse::Ok().json(Page::from_overfetch(items, limit, |m| m.id.clone())))
}

/// Signed memoranda whose term ends soon.
#[derive(Debug, Serialize, ToSchema)]
pub struct Expiring {
    /// Local date (Asia/Almaty) the list is computed for.
    pub today: NaiveDate,
    /// Last day of the window, 30 days after `today`.
    pub until: NaiveDate,
    /// Soonest end of term first.
    pub items: Vec<Memorandum>,
}

/// List the signed memoranda whose term ends within the next 30 days, soonest first.
///
/// The window runs from today to 30 days later, both included, in the local calendar
/// of Kazakhstan. Officers see their own body, the ministry every body.
#[utoipa::path(
    get, path = "/v1/memoranda/expiring", tag = "memoranda",
    responses(
        (status = 200, body = Expiring), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 422, body = Problem)
    ),
    security(("bearer" = []))
)]
#[get("/v1/memoranda/expiring")]
pub async fn expiring_memoranda(
    service: web::Data<JointActions>,
    caller: Caller,
    _query: ValidQuery<super::NoParams>,
) -> ApiResult<HttpResponse> {
    let body = super::reading_scope(&caller)?;
    let today = common_models::time::today();
    let until = expiring_until(today);

    let items = service
        .db
        .run(move |conn| {
            memoranda::ending_between(conn, body.as_deref(), today, until).map_err(ApiError::from)
        })
        .await?;

    Ok(HttpResponse::Ok().json(Expiring {
        today,
        until,
        items,
    }))
}

/// Read a memorandum with its parties, signatories and linked joint actions.
///
/// The officer of the body, the ministry, and the users of an NPO that is a party.
#[utoipa::path(
    get, path = "/v1/memoranda/{id}", tag = "memoranda",
    params(("id" = String, Path, description = "Memorandum id")),
    responses(
        (status = 200, body = Memorandum, headers(("ETag" = String))), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem)
    ),
    security(("bearer" = []))
)]
#[get("/v1/memoranda/{id}")]
pub async fn get_memorandum(
    service: web::Data<JointActions>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let memorandum = service
        .db
        .run(move |conn| readable(conn, &id, &caller))
        .await?;
    Ok(respond(&memorandum))
}

/// Change a draft memorandum: subject, spheres, dates, parties, signatories and the
/// document reference.
///
/// The officer of the body only, with `If-Match`, while the memorandum is a draft.
/// Fields left out stay as they are; `parties` replaces the whole list, and every NPO
/// in it is checked in the registry again.
#[utoipa::path(
    patch, path = "/v1/memoranda/{id}", tag = "memoranda",
    params(("id" = String, Path, description = "Memorandum id"), ("If-Match" = String, Header, description = "ETag from the last read")),
    request_body = MemorandumPatch,
    responses(
        (status = 200, body = Memorandum, headers(("ETag" = String))),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 412, body = Problem), (status = 422, body = Problem), (status = 428, body = Problem),
        (status = 503, body = Problem)
    ),
    security(("bearer" = []))
)]
#[patch("/v1/memoranda/{id}")]
pub async fn update_memorandum(
    service: web::Data<JointActions>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ValidJson<MemorandumPatch>,
) -> ApiResult<HttpResponse> {
    caller.officer_body()?;
    let id = id.into_inner();
    let patch = body.value.clone();

    let read_caller = caller.clone();
    let read_id = id.clone();
    let current = service
        .db
        .run(move |conn| owned(conn, &read_id, &read_caller))
        .await?;
    if_match.check(&etag(current.version))?;
    check_draft(&current)?;
    let facts = patch.apply(&current)?;
    let parties = confirm_parties(&service, &facts).await?;

    let memorandum = service
        .db
        .transaction(move |conn| {
            let current = owned(conn, &id, &caller)?;
            if_match.check(&etag(current.version))?;
            check_draft(&current)?;
            let now = service_kit::now();
            if !memoranda::update_facts(conn, &id, current.version, &facts, &parties, now)? {
                return Err(ApiError::PreconditionFailed);
            }
            let changed = changed_fields(&patch);
            audit::record(
                conn,
                Change {
                    entity: ENTITY,
                    entity_id: &id,
                    action: "updated",
                    actor: &caller.subject,
                    government_body: Some(&current.government_body),
                    fields: &changed,
                },
            )?;
            tracing::info!(memorandum.id = %id, "memorandum draft changed");
            load(conn, &id)
        })
        .await?;

    Ok(respond(&memorandum))
}

fn check_draft(memorandum: &Memorandum) -> Result<(), ApiError> {
    if memorandum.status != MemorandumStatus::Draft {
        return Err(ApiError::Conflict(format!(
            "memorandum {} is {}; only a draft can be changed",
            memorandum.id, memorandum.status
        )));
    }
    Ok(())
}

/// Names the fields a patch sets, for the audit trail.
fn changed_fields(patch: &MemorandumPatch) -> Vec<String> {
    [
        ("subject", patch.subject.is_some()),
        ("spheres", patch.spheres.is_some()),
        ("signed_on", patch.signed_on.is_some()),
        ("valid_until", patch.valid_until.is_some()),
        ("parties", patch.parties.is_some()),
        ("body_signatory", patch.body_signatory.is_some()),
        ("document_ref", patch.document_ref.is_some()),
    ]
    .into_iter()
    .filter(|(_, set)| *set)
    .map(|(name, _)| name.to_owned())
    .collect()
}

/// Record that every party signed a draft memorandum, which puts it in force.
///
/// The officer of the body only, with `If-Match`. Signing needs the signatory of the
/// body and of every NPO, a day of signing no later than today, and a term that has not
/// ended; a 409 lists each missing item. Publishes `joint_actions.memorandum.signed`.
#[utoipa::path(
    post, path = "/v1/memoranda/{id}/signing", tag = "memoranda",
    params(("id" = String, Path, description = "Memorandum id"), ("If-Match" = String, Header, description = "ETag from the last read")),
    request_body = SigningInput,
    responses(
        (status = 200, body = Memorandum, headers(("ETag" = String))),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 412, body = Problem), (status = 422, body = Problem), (status = 428, body = Problem)
    ),
    security(("bearer" = []))
)]
#[post("/v1/memoranda/{id}/signing")]
pub async fn sign_memorandum(
    service: web::Data<JointActions>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ValidJson<SigningInput>,
) -> ApiResult<HttpResponse> {
    caller.officer_body()?;
    let today = common_models::time::today();
    let signed_on = body
        .value
        .signed_on
        .as_deref()
        .map(|raw| parse_date(raw).map_err(|m| ApiError::field("/signed_on", m)))
        .transpose()?;
    if let Some(date) = signed_on
        && date > today
    {
        return Err(ApiError::field(
            "/signed_on",
            format!("{date} is after today ({today})"),
        ));
    }
    let document_ref = text(body.value.document_ref.as_deref(), 500)
        .map_err(|m| ApiError::field("/document_ref", m))?;
    let id = id.into_inner();
    let events = service.events_for(Some(&caller));

    let memorandum = service
        .db
        .transaction(move |conn| {
            let mut current = owned(conn, &id, &caller)?;
            if_match.check(&etag(current.version))?;
            if current.status != MemorandumStatus::Draft {
                return Err(ApiError::Conflict(format!(
                    "memorandum {id} is {}; only a draft can be signed",
                    current.status
                )));
            }
            let signed_on = signed_on.or(current.signed_on).unwrap_or(today);
            if signed_on > today {
                return Err(ApiError::field(
                    "/signed_on",
                    format!("the planned day {signed_on} is after today ({today}); give the day of signing"),
                ));
            }
            check_signable(&current, signed_on, today)?;
            current.signed_on = Some(signed_on);
            if document_ref.is_some() {
                current.document_ref = document_ref;
            }
            let fields = ["status".to_owned(), "signed_on".to_owned()];
            move_to(conn, &events, &caller.subject, &current, MemorandumStatus::Signed, None, &fields)
        })
        .await?;
    service.events_committed();

    Ok(respond(&memorandum))
}

/// Terminate a signed memorandum before the end of its term.
///
/// The officer of the body only, with `If-Match`. The reason is required; the day of
/// termination defaults to today and may not lie before the day of signing. Publishes
/// `joint_actions.memorandum.terminated`.
#[utoipa::path(
    post, path = "/v1/memoranda/{id}/termination", tag = "memoranda",
    params(("id" = String, Path, description = "Memorandum id"), ("If-Match" = String, Header, description = "ETag from the last read")),
    request_body = TerminationInput,
    responses(
        (status = 200, body = Memorandum, headers(("ETag" = String))),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 412, body = Problem), (status = 422, body = Problem), (status = 428, body = Problem)
    ),
    security(("bearer" = []))
)]
#[post("/v1/memoranda/{id}/termination")]
pub async fn terminate_memorandum(
    service: web::Data<JointActions>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ValidJson<TerminationInput>,
) -> ApiResult<HttpResponse> {
    caller.officer_body()?;
    let today = common_models::time::today();
    // This parse rejects a missing reason or a malformed date before the database is
    // read. The day of signing is checked against the stored memorandum below.
    body.value.parse(None, today)?;
    let input = body.value.clone();
    let id = id.into_inner();
    let events = service.events_for(Some(&caller));

    let memorandum = service
        .db
        .transaction(move |conn| {
            let mut current = owned(conn, &id, &caller)?;
            if_match.check(&etag(current.version))?;
            if current.status != MemorandumStatus::Signed {
                return Err(ApiError::Conflict(format!(
                    "memorandum {id} is {}; only a signed memorandum can be terminated",
                    current.status
                )));
            }
            let termination = input.parse(current.signed_on, today)?;
            current.terminated_on = Some(termination.terminated_on);
            let fields = [
                "status".to_owned(),
                "terminated_on".to_owned(),
                "termination_reason".to_owned(),
            ];
            move_to(
                conn,
                &events,
                &caller.subject,
                &current,
                MemorandumStatus::Terminated,
                Some(&termination),
                &fields,
            )
        })
        .await?;
    service.events_committed();

    Ok(respond(&memorandum))
}

/// Stores a status change with its audit entry and event, and returns the memorandum
/// as it is after the change.
fn move_to(
    conn: &mut AnyConnection,
    events: &EventFactory,
    actor: &str,
    current: &Memorandum,
    target: MemorandumStatus,
    termination: Option<&crate::domain::memorandum::Termination>,
    fields: &[String],
) -> Result<Memorandum, ApiError> {
    if !memoranda::set_status(conn, current, target, termination, service_kit::now())? {
        return Err(ApiError::PreconditionFailed);
    }
    audit::record(
        conn,
        Change {
            entity: ENTITY,
            entity_id: &current.id,
            action: target.code(),
            actor,
            government_body: Some(&current.government_body),
            fields,
        },
    )?;
    let moved = load(conn, &current.id)?;
    let event_type = match target {
        MemorandumStatus::Signed => MEMORANDUM_SIGNED,
        MemorandumStatus::Terminated => MEMORANDUM_TERMINATED,
        MemorandumStatus::Expired => MEMORANDUM_EXPIRED,
        MemorandumStatus::Draft => {
            return Err(ApiError::internal(anyhow::anyhow!(
                "memorandum {} cannot return to draft",
                current.id
            )));
        }
    };
    outbox::enqueue(conn, &events.event(event_type, moved.changed_event())?)?;
    tracing::info!(memorandum.id = %current.id, from = %current.status, to = %target, "memorandum moved on");
    Ok(moved)
}

/// Link a joint action of the same government body to a memorandum, as carried out
/// under it.
///
/// The officer of the body only, while the memorandum is a draft or signed. An action
/// of another body, or one that does not exist, is rejected with 422 at `/action_id`.
/// Linking an action that is already linked changes nothing.
#[utoipa::path(
    post, path = "/v1/memoranda/{id}/actions", tag = "memoranda",
    params(("id" = String, Path, description = "Memorandum id")),
    request_body = LinkInput,
    responses(
        (status = 200, body = Memorandum, headers(("ETag" = String))),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)
    ),
    security(("bearer" = []))
)]
#[post("/v1/memoranda/{id}/actions")]
pub async fn link_action(
    service: web::Data<JointActions>,
    caller: Caller,
    id: web::Path<String>,
    body: ValidJson<LinkInput>,
) -> ApiResult<HttpResponse> {
    caller.officer_body()?;
    let action_id = match text(Some(&body.value.action_id), 64) {
        Ok(Some(action_id)) => action_id,
        Ok(None) => return Err(ApiError::field("/action_id", "is required")),
        Err(message) => return Err(ApiError::field("/action_id", message)),
    };
    let id = id.into_inner();

    let memorandum = service
        .db
        .transaction(move |conn| {
            let current = owned(conn, &id, &caller)?;
            check_linkable(&current)?;
            let action_body = memoranda::action_body(conn, &action_id)?;
            if action_body.as_deref() != Some(current.government_body.as_str()) {
                return Err(ApiError::field(
                    "/action_id",
                    format!(
                        "{} has no joint action {action_id}; link an action of the memorandum's own body",
                        current.government_body
                    ),
                ));
            }
            let now = service_kit::now();
            if !memoranda::link(conn, &id, &action_id, &caller.subject, now)? {
                return Ok(current);
            }
            memoranda::touch(conn, &id, now)?;
            audit::record(
                conn,
                Change {
                    entity: ENTITY,
                    entity_id: &id,
                    action: "action_linked",
                    actor: &caller.subject,
                    government_body: Some(&current.government_body),
                    fields: &["action_ids".to_owned()],
                },
            )?;
            tracing::info!(memorandum.id = %id, action.id = %action_id, "joint action linked to memorandum");
            load(conn, &id)
        })
        .await?;

    Ok(respond(&memorandum))
}

fn check_linkable(memorandum: &Memorandum) -> Result<(), ApiError> {
    if !matches!(
        memorandum.status,
        MemorandumStatus::Draft | MemorandumStatus::Signed
    ) {
        return Err(ApiError::Conflict(format!(
            "memorandum {} is {}; its joint actions are fixed once it ends",
            memorandum.id, memorandum.status
        )));
    }
    Ok(())
}

/// Remove the link of a joint action to a memorandum.
///
/// The officer of the body only, with `If-Match`, while the memorandum is a draft or
/// signed. The response's ETag is the memorandum's new one.
#[utoipa::path(
    delete, path = "/v1/memoranda/{id}/actions/{action_id}", tag = "memoranda",
    params(("id" = String, Path, description = "Memorandum id"), ("action_id" = String, Path, description = "Joint action id"), ("If-Match" = String, Header, description = "ETag of the memorandum from the last read")),
    responses(
        (status = 204, description = "Unlinked", headers(("ETag" = String))), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 412, body = Problem),
        (status = 428, body = Problem)
    ),
    security(("bearer" = []))
)]
#[delete("/v1/memoranda/{id}/actions/{action_id}")]
pub async fn unlink_action(
    service: web::Data<JointActions>,
    caller: Caller,
    path: web::Path<(String, String)>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    caller.officer_body()?;
    let (id, action_id) = path.into_inner();

    let version = service
        .db
        .transaction(move |conn| {
            let current = owned(conn, &id, &caller)?;
            if_match.check(&etag(current.version))?;
            check_linkable(&current)?;
            if !memoranda::unlink(conn, &id, &action_id)? {
                return Err(ApiError::NotFound(format!(
                    "link of joint action {action_id} to memorandum {id}"
                )));
            }
            memoranda::touch(conn, &id, service_kit::now())?;
            audit::record(
                conn,
                Change {
                    entity: ENTITY,
                    entity_id: &id,
                    action: "action_unlinked",
                    actor: &caller.subject,
                    government_body: Some(&current.government_body),
                    fields: &["action_ids".to_owned()],
                },
            )?;
            tracing::info!(memorandum.id = %id, action.id = %action_id, "joint action unlinked from memorandum");
            Ok::<_, ApiError>(current.version + 1)
        })
        .await?;

    Ok(HttpResponse::NoContent()
        .insert_header(("ETag", etag(version)))
        .finish())
}

/// Marks expired every signed memorandum whose last day lies before `today`, with an
/// audit entry and a `joint_actions.memorandum.expired` event each, and returns how many
/// it marked. Runs inside the caller's transaction, and a memorandum that is no longer
/// signed is skipped, so each memorandum expires and is announced once.
pub fn expire_run_out(
    conn: &mut AnyConnection,
    context: &ServiceContext,
    today: NaiveDate,
) -> Result<usize, ApiError> {
    let mut expired = 0;
    for id in memoranda::run_out(conn, today)? {
        if !memoranda::expire(conn, &id, service_kit::now())? {
            continue;
        }
        let memorandum = load(conn, &id)?;
        audit::record(
            conn,
            Change {
                entity: ENTITY,
                entity_id: &id,
                action: MemorandumStatus::Expired.code(),
                actor: SWEEP_ACTOR,
                government_body: Some(&memorandum.government_body),
                fields: &["status".to_owned()],
            },
        )?;
        let events = context.events_as(SWEEP_ACTOR, Some(&memorandum.government_body), None);
        outbox::enqueue(
            conn,
            &events.event(MEMORANDUM_EXPIRED, memorandum.changed_event())?,
        )?;
        tracing::info!(memorandum.id = %id, body.id = %memorandum.government_body, "memorandum expired");
        expired += 1;
    }
    Ok(expired)
}

/// Expires memoranda whose term ended, at start-up and then hourly, until `stop` is
/// cancelled. A failed sweep is logged and tried again at the next interval.
pub async fn run_expiry_sweeps(context: ServiceContext, stop: CancellationToken) {
    loop {
        let today = common_models::time::today();
        let sweep_context = context.clone();
        let outcome = context
            .db
            .transaction(move |conn| expire_run_out(conn, &sweep_context, today))
            .await;
        match outcome {
            Ok(0) => {}
            Ok(expired) => {
                tracing::info!(memoranda = expired, "memoranda past their term expired");
                context.events_committed();
            }
            Err(error) => {
                tracing::warn!(error = %error, "memorandum expiry sweep failed; retrying in an hour")
            }
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(SWEEP_INTERVAL) => {}
        }
    }
}
