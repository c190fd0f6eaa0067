//! Routes every process serves whatever services it runs: health, readiness,
//! metrics, the services' event logs and audit trails, plus the request guards and
//! fallbacks.

use std::sync::Arc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, Resource, get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::audit::{self, AuditEntry};
use crate::auth::{Caller, Role};
use crate::bus::EventBus;
use crate::db::Database;
use crate::extract::ValidQuery;
use crate::outbox::{self, LoggedEvent};
use crate::pagination::{Page, PageParams};
use crate::problem::{ApiError, FieldError, Problem};
use crate::validate::Errors;

/// The databases of the services in this process, by service name, and the bus.
#[derive(Debug, Clone)]
pub struct Databases {
    pub services: Vec<(&'static str, Database)>,
    pub bus: Arc<dyn EventBus>,
    /// The consumers this process runs, as (service, consumer name) pairs.
    pub consumers: Vec<(&'static str, String)>,
}

impl Databases {
    fn of(&self, service: &str) -> Option<&Database> {
        self.services
            .iter()
            .find(|(name, _)| *name == service)
            .map(|(_, db)| db)
    }
}

/// Routes every service document includes.
#[derive(Debug, utoipa::OpenApi)]
#[openapi(paths(healthz, readyz, metrics, event_log, audit_trail))]
pub struct PlatformApi;

/// Rejects a URL whose path or query encodes a control character such as `%00`: no
/// identifier or filter contains one, and PostgreSQL rejects NUL in text.
pub async fn reject_control_characters(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let uri = req.uri();
    let encoded = [uri.path(), uri.query().unwrap_or_default()];
    if encoded.iter().any(|part| encodes_control_character(part)) {
        let error = ApiError::BadRequest("the URL contains an encoded control character".into());
        let response = actix_web::ResponseError::error_response(&error);
        return Ok(req.into_response(response).map_into_right_body());
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

fn encodes_control_character(text: &str) -> bool {
    text.as_bytes().windows(3).any(|window| {
        window[0] == b'%'
            && std::str::from_utf8(&window[1..])
                .ok()
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
                .is_some_and(|byte| byte < 0x20 || byte == 0x7f)
    })
}

/// Maps a failed `web::Query` extraction to a 422 problem.
pub fn query_error(error: &actix_web::error::QueryPayloadError) -> ApiError {
    ApiError::invalid(vec![FieldError::new("#/query", error.to_string())])
}

/// Returns a 404 problem for every unknown route.
pub async fn not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound(format!(
        "route {} {}",
        req.method(),
        req.path()
    )))
}

/// Report that the process is alive.
#[utoipa::path(get, path = "/healthz", tag = "platform", responses((status = 200, description = "Alive")))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

/// Report whether every database and the broker can be reached.
#[utoipa::path(
    get, path = "/readyz", tag = "platform",
    responses((status = 200, description = "Ready"), (status = 503, description = "A database or the broker is unreachable"))
)]
#[get("/readyz")]
pub async fn readyz(databases: web::Data<Databases>) -> HttpResponse {
    let mut checks = serde_json::Map::new();
    let mut ready = true;
    for (name, db) in &databases.services {
        let outcome = match db.ping().await {
            Ok(()) => "ok",
            Err(error) => {
                ready = false;
                tracing::warn!(service = name, error = %error, "database not ready");
                "unavailable"
            }
        };
        checks.insert(format!("database.{name}"), outcome.into());
    }
    let bus_ready = databases.bus.is_ready().await;
    ready &= bus_ready;
    checks.insert(
        format!("bus.{}", databases.bus.kind()),
        if bus_ready { "ok" } else { "unavailable" }.into(),
    );
    let body = serde_json::json!({
        "status": if ready { "ready" } else { "not_ready" },
        "checks": checks,
    });
    if ready {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

/// Export the process's metrics in the Prometheus text format.
#[utoipa::path(get, path = "/metrics", tag = "platform", responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
#[get("/metrics")]
pub async fn metrics(databases: web::Data<Databases>) -> HttpResponse {
    crate::metrics::serve(&databases).await
}

/// Query of an event log read.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LogQuery {
    /// Return events after this position (default 0, the beginning).
    pub after: Option<i64>,
    /// Events per page, 1 to 1000 (default 100).
    pub limit: Option<i64>,
}

/// One page of an event log.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventLogPage {
    pub items: Vec<LoggedEvent>,
    /// Pass as `after` to read on; equal to the request's `after` when no events followed.
    pub next_after: i64,
}

/// Read a service's event log: every event it published, oldest first.
///
/// Ministry only. Consumers use it to catch up after an outage or to rebuild a read
/// model from the beginning.
#[utoipa::path(
    get, path = "/v1/events/{service}", tag = "platform",
    params(("service" = String, Path, description = "Service name, such as registry"), LogQuery),
    responses(
        (status = 200, body = EventLogPage),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)
    ),
    security(("bearer" = []))
)]
#[get("/v1/events/{service}")]
pub async fn event_log(
    databases: web::Data<Databases>,
    caller: Caller,
    service: web::Path<String>,
    query: ValidQuery<LogQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Ministry])?;
    let db = databases
        .of(&service)
        .ok_or_else(|| ApiError::NotFound(format!("event log of service '{service}'")))?
        .clone();
    let after = query.after.unwrap_or(0);
    if after < 0 {
        return Err(ApiError::field("#/query/after", "must be 0 or greater"));
    }
    let limit = query.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::field(
            "#/query/limit",
            "must be between 1 and 1000",
        ));
    }

    let items = db
        .run(move |conn| outbox::read_log(conn, after, limit).map_err(ApiError::from))
        .await?;

    let next_after = items.last().map_or(after, |e| e.seq);
    Ok(HttpResponse::Ok().json(EventLogPage { items, next_after }))
}

/// Maximum length, in characters, of a text filter of the audit trail.
const MAX_AUDIT_FILTER: usize = 200;

/// Filters and page of an audit trail read.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only entries about this kind of record, such as `npo` or `joint_action`.
    pub entity: Option<String>,
    /// Only entries about the record with this id.
    pub entity_id: Option<String>,
    /// Only changes made by this token subject.
    pub actor: Option<String>,
    /// Only changes made for this government body. An officer may name only their own.
    pub government_body: Option<String>,
    /// Only entries recorded at or after this time, in RFC 3339 such as
    /// `2026-04-15T00:00:00+05:00`.
    pub from: Option<String>,
    /// Only entries recorded before this time, in RFC 3339.
    pub to: Option<String>,
    /// Entries per page, 1 to 200 (default 50).
    pub limit: Option<i64>,
    /// Opaque cursor from the previous page's `next_cursor`.
    pub cursor: Option<String>,
}

impl AuditQuery {
    /// Checks every parameter and returns the filter, the page size and the position
    /// to continue after, or a 422 listing each invalid parameter.
    fn parse(&self) -> Result<(audit::Filter, i64, Option<audit::Position>), ApiError> {
        let mut errors = Errors::default();

        let mut text = |name: &str, raw: &Option<String>| {
            let value = raw.as_deref()?;
            let pointer = format!("#/query/{name}");
            if value.trim().is_empty() {
                errors.add(pointer, "must not be empty");
                None
            } else if value.chars().count() > MAX_AUDIT_FILTER {
                errors.add(
                    pointer,
                    format!("must be at most {MAX_AUDIT_FILTER} characters"),
                );
                None
            } else {
                Some(value.to_owned())
            }
        };
        let entity = text("entity", &self.entity);
        let entity_id = text("entity_id", &self.entity_id);
        let actor = text("actor", &self.actor);
        let government_body = text("government_body", &self.government_body);

        let from = self
            .from
            .as_deref()
            .and_then(|raw| errors.check("#/query/from", parse_instant(raw)));
        let to = self
            .to
            .as_deref()
            .and_then(|raw| errors.check("#/query/to", parse_instant(raw)));
        if let (Some(from), Some(to)) = (from, to)
            && to <= from
        {
            errors.add("#/query/to", "must be later than from");
        }

        let page = PageParams {
            limit: self.limit,
            cursor: self.cursor.clone(),
        };
        let limit = page.limit().map_err(|e| add_problem(&mut errors, &e)).ok();
        let after = match page.after() {
            Ok(Some(text)) => audit::Position::decode(&text).or_else(|| {
                errors.add("#/query/cursor", "is not a cursor returned by this API");
                None
            }),
            Ok(None) => None,
            Err(error) => {
                add_problem(&mut errors, &error);
                None
            }
        };
        errors.into_result()?;

        let filter = audit::Filter {
            entity,
            entity_id,
            actor,
            government_body,
            from,
            to,
        };
        Ok((
            filter,
            limit.unwrap_or(crate::pagination::DEFAULT_LIMIT),
            after,
        ))
    }
}

/// Adds the invalid fields of a validation problem to `errors`.
fn add_problem(errors: &mut Errors, error: &ApiError) {
    for field in error.problem().errors {
        errors.add(field.pointer, field.message);
    }
}

/// Parses an RFC 3339 date and time, such as `2026-04-15T09:30:00+05:00`.
fn parse_instant(raw: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(raw.trim())
        .map(|at| at.with_timezone(&Utc))
        .map_err(|e| {
            format!("must be an RFC 3339 date and time such as 2026-04-15T09:30:00+05:00 ({e})")
        })
}

/// Read a service's audit trail: who changed which fields of which record, and when.
///
/// Newest first: by the time of the change, then by entry id for the entries of one
/// transaction. The ministry reads every entry. An officer reads only the entries
/// recorded for their own government body, and a `government_body` filter naming
/// another body gets 403. Every other role gets 403. Entries contain the names of the
/// changed fields, never their values. The trail is read-only, so every method other
/// than GET is rejected with 405.
#[utoipa::path(
    get, path = "/v1/audit/{service}", tag = "platform",
    params(("service" = String, Path, description = "Service name, such as registry"), AuditQuery),
    responses(
        (status = 200, body = inline(Page<AuditEntry>)),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)
    ),
    security(("bearer" = []))
)]
pub async fn audit_trail(
    databases: web::Data<Databases>,
    caller: Caller,
    service: web::Path<String>,
    query: ValidQuery<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    let own_body = caller.reading_scope()?.map(str::to_owned);
    if let Some(own) = &own_body
        && query.government_body.as_ref().is_some_and(|b| b != own)
    {
        return Err(ApiError::Forbidden(
            "officers read only the audit entries of their own government body".into(),
        ));
    }
    let db = databases
        .of(&service)
        .ok_or_else(|| ApiError::NotFound(format!("audit trail of service '{service}'")))?
        .clone();
    let (mut filter, limit, after) = query.parse()?;
    if own_body.is_some() {
        filter.government_body = own_body;
    }

    let items = db
        .run(move |conn| {
            audit::list(conn, &filter, after.as_ref(), limit + 1).map_err(ApiError::from)
        })
        .await?;
    let page = Page::from_overfetch(items, limit, |entry| audit::Position::of(entry).encode());
    Ok(HttpResponse::Ok().json(page))
}

/// Returns the resource of the audit trail route. GET reads the trail, and every other
/// method is rejected with a 405 problem, because the trail cannot be changed through
/// the API.
pub fn audit_trail_route() -> Resource {
    web::resource("/v1/audit/{service}")
        .route(web::get().to(audit_trail))
        .default_service(web::to(|req: HttpRequest| async move {
            Err::<HttpResponse, _>(ApiError::MethodNotAllowed {
                method: req.method().to_string(),
                allowed: "GET".into(),
            })
        }))
}

#[cfg(test)]
mod tests {
    use super::encodes_control_character;

    #[test]
    fn control_characters_detected() {
        assert!(encodes_control_character("q=%00"));
        assert!(encodes_control_character("/v1/npos/a%0Ab"));
        assert!(!encodes_control_character("q=%D2%B1%D0%BB"));
        assert!(!encodes_control_character("q=100%25"));
    }
}
