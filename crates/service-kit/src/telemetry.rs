//! Logging setup and the per-request span: request id, trace context, latency.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use tracing::Instrument;
use tracing_subscriber::EnvFilter;

use crate::metrics;
use crate::settings::LogFormat;

/// Response header carrying the request id.
pub const REQUEST_ID: &str = "x-request-id";

tokio::task_local! {
    static TRACEPARENT: String;
}

/// Installs the global subscriber. `RUST_LOG` overrides the default level `info`.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,lapin=warn,actix_server=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    let result = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
        LogFormat::Pretty => builder.compact().try_init(),
    };
    // A second call, as in tests, keeps the first subscriber.
    drop(result);
}

/// Describes a JSON decoding error for a log line, without the input that serde quotes.
///
/// serde's messages for a value of the wrong type or an unknown variant or field quote
/// the input, as in `invalid type: string "…", expected a sequence`, and that input may
/// be personal data. The description keeps the kind of error, what was expected and
/// where. Messages of custom `Deserialize` implementations may quote anything, so only
/// their location is kept. Syntax errors never quote the input and are kept whole.
pub fn describe_json_error(error: &serde_json::Error) -> String {
    use serde_json::error::Category;

    if !matches!(error.classify(), Category::Data) {
        return error.to_string();
    }
    let message = error.to_string();
    let message = message
        .rsplit_once(" at line ")
        .map_or(message.as_str(), |(text, _)| text);
    let described =
        if message.starts_with("missing field `") || message.starts_with("duplicate field `") {
            // The field is one the type declares, not one the input made up.
            message.to_owned()
        } else if let Some((found, expected)) = message.split_once(", expected ") {
            let kind = found
                .split([':', '`'])
                .next()
                .unwrap_or_default()
                .trim_end();
            format!("{kind}, expected {expected}")
        } else {
            "a value does not match the expected type".to_owned()
        };
    if error.line() == 0 {
        described
    } else {
        format!(
            "{described} at line {} column {}",
            error.line(),
            error.column()
        )
    }
}

/// Returns the W3C `traceparent` of the request being handled, for the events it produces.
pub fn current_traceparent() -> Option<String> {
    TRACEPARENT.try_with(Clone::clone).ok()
}

fn valid_traceparent(value: &str) -> bool {
    let parts: Vec<&str> = value.split('-').collect();
    parts.len() == 4
        && parts[0].len() == 2
        && parts[1].len() == 32
        && parts[2].len() == 16
        && parts[3].len() == 2
        && value.chars().all(|c| c == '-' || c.is_ascii_hexdigit())
        && parts[1] != "00000000000000000000000000000000"
}

fn new_traceparent() -> String {
    let mut bytes = [0u8; 24];
    if getrandom::fill(&mut bytes).is_err() {
        // Without randomness, a time-ordered id still identifies the trace.
        bytes[..16].copy_from_slice(uuid::Uuid::now_v7().as_bytes());
        bytes[16..].copy_from_slice(&uuid::Uuid::now_v7().as_bytes()[8..]);
    }
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("00-{}-{}-01", &hex[..32], &hex[32..])
}

fn valid_request_id(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 64
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Middleware: one span per request with its id, trace id, route and outcome.
pub async fn request_span(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let request_id = header(REQUEST_ID)
        .filter(|id| valid_request_id(id))
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    let traceparent = header("traceparent")
        .filter(|t| valid_traceparent(t))
        .unwrap_or_else(new_traceparent);
    let trace_id = traceparent[3..35].to_owned();
    // Only standard methods become label values, so clients cannot grow the metrics.
    let method = match req.method().as_str() {
        known @ ("GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS") => known,
        _ => "other",
    }
    .to_owned();
    let span = tracing::info_span!(
        "http.request",
        http.method = %method,
        http.route = tracing::field::Empty,
        request_id = %request_id,
        trace_id = %trace_id,
        actor = tracing::field::Empty,
        body.id = tracing::field::Empty,
    );

    let started = Instant::now();
    let mut response = TRACEPARENT
        .scope(traceparent, next.call(req))
        .instrument(span.clone())
        .await?;

    let route = response
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let status = response.status().as_u16();
    let elapsed = started.elapsed();
    span.record("http.route", route.as_str());
    metrics::observe_request(&method, &route, status, elapsed);
    let latency_ms = elapsed.as_secs_f64() * 1000.0;
    span.in_scope(|| {
        if status >= 500 {
            tracing::error!(http.status = status, latency_ms, "request failed");
        } else {
            tracing::info!(http.status = status, latency_ms, "request completed");
        }
    });
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(REQUEST_ID), value);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A type whose `Deserialize` quotes the input in its error, as custom ones may.
    #[derive(Debug)]
    struct Quoting;

    impl<'de> serde::Deserialize<'de> for Quoting {
        fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            let text = String::deserialize(deserializer)?;
            Err(serde::de::Error::custom(format!(
                "'{text}' is not accepted"
            )))
        }
    }

    #[test]
    fn json_errors_described_without_input() {
        let name = r#""Аружан Құпиятова""#;
        let wrong_type = serde_json::from_str::<Vec<String>>(name).unwrap_err();
        let wrong_variant = serde_json::from_str::<crate::auth::Role>(name).unwrap_err();
        let from_value =
            serde_json::from_value::<Vec<String>>(serde_json::json!("Аружан Құпиятова"))
                .unwrap_err();
        let custom = serde_json::from_str::<Quoting>(name).unwrap_err();
        let syntax = serde_json::from_str::<Vec<String>>(r#"["Аружан""#).unwrap_err();

        for error in [&wrong_type, &wrong_variant, &from_value, &custom] {
            assert!(error.to_string().contains("Аружан"), "{error}");
            let described = describe_json_error(error);
            assert!(!described.contains("Аружан"), "{described}");
        }
        assert_eq!(
            describe_json_error(&wrong_type),
            "invalid type, expected a sequence at line 1 column 33"
        );
        let variant = describe_json_error(&wrong_variant);
        assert!(
            variant.starts_with("unknown variant, expected one of `officer`"),
            "{variant}"
        );
        assert_eq!(
            describe_json_error(&from_value),
            "invalid type, expected a sequence"
        );
        assert_eq!(
            describe_json_error(&custom),
            "a value does not match the expected type"
        );
        assert_eq!(describe_json_error(&syntax), syntax.to_string());
    }

    #[test]
    fn traceparent_validation() {
        assert!(valid_traceparent(
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        ));
        assert!(!valid_traceparent(
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01"
        ));
        assert!(!valid_traceparent("garbage"));
        assert!(valid_traceparent(&new_traceparent()));
    }
}
