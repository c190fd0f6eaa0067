//! Rebuilding the read models from the other services' event logs, and the digest that
//! shows two read models hold the same records.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use common_models::event::EventEnvelope;
use diesel::Connection;
use serde::{Deserialize, Serialize};
use service_kit::audit::{self, Change};
use service_kit::auth::{Caller, Role};
use service_kit::inbox;
use service_kit::problem::Problem;
use service_kit::{ApiError, StoreError};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::Aggregation;
use crate::readmodel::{self, CONSUMER, SOURCES};
use crate::store::records;

/// Events read per event log page. The logs allow 1000, but NPO events carry whole
/// cards, so smaller pages stay well under the 1 MiB response cap of peer calls.
const PAGE: &str = "200";

#[derive(Debug, Deserialize)]
struct LogPage {
    items: Vec<LogItem>,
    next_after: i64,
}

#[derive(Debug, Deserialize)]
struct LogItem {
    event: EventEnvelope,
}

/// Outcome of a rebuild: the events read and applied.
#[derive(Debug, Serialize, ToSchema)]
pub struct RebuildReport {
    /// Events read from each service's log.
    pub sources: Vec<SourceCount>,
    /// Events the read models took in.
    pub applied: usize,
    /// Ids of events that could not be applied, such as an update of an NPO whose
    /// registration is not in the log. The incremental consumer dead-letters them.
    pub skipped: Vec<String>,
    /// Digest of the read models after the rebuild.
    pub digest: ReadModelDigest,
}

/// Number of events read from one service's log.
#[derive(Debug, Serialize, ToSchema)]
pub struct SourceCount {
    pub service: String,
    pub events: usize,
}

/// Size and SHA-256 of the read models' contents: equal digests mean equal read models.
/// The digest leaves out which event last wrote each record, except in NPO records,
/// whose data keeps the event that set each part.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReadModelDigest {
    pub records: usize,
    pub sha256: String,
}

/// Rebuild the read models from every service's event log.
///
/// Ministry only. Reads the event logs of the registry, needs, joint-actions and
/// recommendations services from the beginning with the caller's token, then, in one
/// transaction, empties the read models and applies every event in the order the
/// changes happened. Events the consumer takes while the transaction runs wait for it
/// and are then applied once. A service that cannot be read fails the rebuild with 503
/// and changes nothing.
#[utoipa::path(
    post, path = "/v1/read-models/rebuild", tag = "read models",
    responses(
        (status = 200, body = RebuildReport),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 503, body = Problem)
    ),
    security(("bearer" = []))
)]
#[post("/v1/read-models/rebuild")]
pub async fn rebuild(
    state: web::Data<Aggregation>,
    caller: Caller,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Ministry])?;
    let bearer = bearer(&request)?;

    let mut events = Vec::new();
    let mut sources = Vec::new();
    for service in SOURCES {
        let read = read_log(&state, service, &bearer).await?;
        sources.push(SourceCount {
            service: (*service).to_owned(),
            events: read.len(),
        });
        events.extend(read);
    }
    events.sort_by_key(readmodel::Stamp::of);
    let relevant: Vec<EventEnvelope> = events
        .into_iter()
        .filter(|e| readmodel::EVENT_TYPES.contains(&e.event_type.as_str()))
        .collect();

    // NOTE: an event logged after its service's log was read, and applied by the
    // consumer before this transaction begins, is erased with the rest and stays
    // missing until the next rebuild.
    let actor = caller.subject.clone();
    let (applied, skipped, digest) = state
        .db
        .transaction(move |conn| {
            records::clear(conn)?;
            inbox::forget(conn, CONSUMER)?;
            let handler: inbox::Handler = std::sync::Arc::new(readmodel::apply);
            let mut applied = 0;
            let mut skipped = Vec::new();
            for event in &relevant {
                let outcome = conn
                    .transaction(|conn| inbox::apply_once_within(conn, CONSUMER, event, &handler));
                match outcome {
                    Ok(_) => applied += 1,
                    Err(StoreError::Unavailable(reason)) => {
                        return Err(ApiError::dependency(service_kit::problem::DATABASE, reason));
                    }
                    Err(error) => {
                        tracing::warn!(
                            event.id = %event.id,
                            event.r#type = %event.event_type,
                            error = %error,
                            "event skipped in the read model rebuild"
                        );
                        skipped.push(event.id.to_string());
                    }
                }
            }
            let digest = digest_of(conn)?;
            audit::record(
                conn,
                Change {
                    entity: "read_models",
                    entity_id: CONSUMER,
                    action: "rebuilt",
                    actor: &actor,
                    government_body: None,
                    fields: &["records".to_owned()],
                },
            )?;
            Ok::<_, ApiError>((applied, skipped, digest))
        })
        .await?;
    tracing::info!(
        events.applied = applied,
        events.skipped = skipped.len(),
        records = digest.records,
        "read models rebuilt from the event logs"
    );
    Ok(HttpResponse::Ok().json(RebuildReport {
        sources,
        applied,
        skipped,
        digest,
    }))
}

/// Read the digest of the read models.
///
/// Ministry only. Compare it before and after a rebuild, or between two instances.
#[utoipa::path(
    get, path = "/v1/read-models/digest", tag = "read models",
    responses(
        (status = 200, body = ReadModelDigest),
        (status = 401, body = Problem), (status = 403, body = Problem)
    ),
    security(("bearer" = []))
)]
#[get("/v1/read-models/digest")]
pub async fn read_digest(
    state: web::Data<Aggregation>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Ministry])?;
    let digest = state
        .db
        .run(|conn| digest_of(conn).map_err(ApiError::from))
        .await?;
    Ok(HttpResponse::Ok().json(digest))
}

fn digest_of(conn: &mut service_kit::AnyConnection) -> Result<ReadModelDigest, StoreError> {
    let dump = records::dump(conn)?;
    let mut hasher = Sha256::new();
    for (record, tags) in &dump {
        let line = serde_json::json!([
            record.kind,
            record.id,
            record.government_body,
            record.status,
            record.day,
            record.day_end,
            record.data,
            tags,
        ]);
        hasher.update(line.to_string().as_bytes());
        hasher.update(b"\n");
    }
    let sha256 = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(ReadModelDigest {
        records: dump.len(),
        sha256,
    })
}

fn bearer(request: &HttpRequest) -> Result<String, ApiError> {
    request
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::to_owned)
        .ok_or_else(|| ApiError::Unauthorized("a bearer token is required".into()))
}

async fn read_log(
    state: &Aggregation,
    service: &str,
    bearer: &str,
) -> Result<Vec<EventEnvelope>, ApiError> {
    let peer = state.peer(service)?;
    let path = format!("/v1/events/{service}");
    let mut after = 0_i64;
    let mut events = Vec::new();
    loop {
        let after_text = after.to_string();
        let page: Option<LogPage> = peer
            .get_json_as(
                &path,
                &[("after", &after_text), ("limit", PAGE)],
                Some(bearer),
            )
            .await?;
        let Some(page) = page else {
            return Err(ApiError::dependency(
                service,
                format!("the {service} service serves no event log at {path}"),
            ));
        };
        if page.items.is_empty() || page.next_after <= after {
            return Ok(events);
        }
        after = page.next_after;
        events.extend(page.items.into_iter().map(|item| item.event));
    }
}
