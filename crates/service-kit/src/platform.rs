//! Routes every process serves whatever services it runs: health, readiness,
//! metrics and the services' event logs, plus the request guards and fallbacks.

use std::sync::Arc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{Caller, Role};
use crate::bus::EventBus;
use crate::db::Database;
use crate::extract::ValidQuery;
use crate::outbox::{self, LoggedEvent};
use crate::problem::{ApiError, FieldError, Problem};

/// The databases of the services in this process, by service name, and the bus.
#[derive(Debug, Clone)]
pub struct Databases {
    pub services: Vec<(&'static str, Database)>,
    pub bus: Arc<dyn EventBus>,
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
#[openapi(paths(healthz, readyz, metrics, event_log))]
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
pub async fn metrics() -> HttpResponse {
    crate::metrics::serve().await
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
