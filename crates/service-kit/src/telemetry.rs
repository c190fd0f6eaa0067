//! Logging setup, OTLP span export and the per-request span: request id, trace
//! context, latency.
//!
//! Every span gets W3C ids from the OpenTelemetry layer, whether or not spans are
//! exported, so the `traceparent` sent downstream names the span that sent it.

use std::time::{Duration, Instant};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use opentelemetry::trace::{
    SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState, TracerProvider as _,
};
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::trace::span_processor_with_async_runtime::BatchSpanProcessor;
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

use crate::metrics;
use crate::settings::LogFormat;

/// Response header carrying the request id.
pub const REQUEST_ID: &str = "x-request-id";

/// Time one OTLP export request may take.
const EXPORT_TIMEOUT: Duration = Duration::from_secs(10);

tokio::task_local! {
    /// The `traceparent` naming the span of the request being handled, for when that
    /// span has no OpenTelemetry ids because `RUST_LOG` filters it out.
    static TRACEPARENT: String;
}

/// Destination and service name of the span export over OTLP/HTTP.
#[derive(Debug, Clone)]
pub struct OtlpExport {
    /// Base URL of the OTLP/HTTP receiver, such as `http://collector:4318`. Spans are
    /// sent to its path `/v1/traces`.
    pub endpoint: String,
    /// The `service.name` resource attribute, such as `liaison-registry`.
    pub service_name: String,
}

/// The span exporter of the process. Call [`SpanExporter::shutdown`] before the Tokio
/// runtime stops, so the spans still queued are sent.
#[derive(Debug)]
pub struct SpanExporter {
    provider: SdkTracerProvider,
}

impl SpanExporter {
    /// Sends the queued spans and stops the exporter. It blocks the calling thread, so
    /// call it outside the runtime's tasks, such as after `Runtime::block_on` returns.
    pub fn shutdown(self) {
        if let Err(error) = self.provider.shutdown() {
            tracing::warn!(error = %error, "sending the last spans failed");
        }
    }
}

/// Installs the global subscriber. `RUST_LOG` overrides the default level `info`.
///
/// With `export`, spans are also sent in batches over OTLP/HTTP. That needs a Tokio
/// runtime, because the batch processor runs as one of its tasks, so call it inside
/// `Runtime::enter` then. Without `export` no exporter is built, and spans only get
/// their ids. Returns the exporter when this call installed one.
pub fn init(format: LogFormat, export: Option<&OtlpExport>) -> Option<SpanExporter> {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,lapin=warn,actix_server=warn"));
    let fmt = tracing_subscriber::fmt::layer().with_target(false);
    let fmt: Box<dyn Layer<Registry> + Send + Sync> = match format {
        LogFormat::Json => fmt
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .boxed(),
        LogFormat::Pretty => fmt.compact().boxed(),
    };

    let mut provider = SdkTracerProvider::builder();
    let mut exporting = false;
    if let Some(export) = export {
        // NOTE: failed exports are not logged, because the OpenTelemetry crates are
        // built without their `internal-logs` feature. A receiver that is down shows
        // only as missing spans.
        match build_exporter(export) {
            Ok(exporter) => {
                let processor =
                    BatchSpanProcessor::builder(exporter, opentelemetry_sdk::runtime::Tokio)
                        .build();
                provider = provider.with_span_processor(processor).with_resource(
                    opentelemetry_sdk::Resource::builder()
                        .with_service_name(export.service_name.clone())
                        .build(),
                );
                exporting = true;
            }
            Err(error) => eprintln!(
                "error: building the OTLP span exporter for {} failed, so no spans are exported: {error}",
                export.endpoint
            ),
        }
    }
    let provider = provider.build();
    let otel = tracing_opentelemetry::layer()
        .with_tracer(provider.tracer("liaison"))
        .with_threads(false);

    let installed = tracing_subscriber::registry()
        .with(fmt)
        .with(otel)
        .with(filter)
        .try_init()
        .is_ok();
    // A second call, as in tests, keeps the first subscriber and its exporter.
    (installed && exporting).then_some(SpanExporter { provider })
}

/// Builds the OTLP/HTTP exporter of `export`, sending protobuf with reqwest.
fn build_exporter(
    export: &OtlpExport,
) -> Result<opentelemetry_otlp::SpanExporter, opentelemetry_otlp::ExporterBuildError> {
    use opentelemetry_otlp::{WithExportConfig, WithHttpConfig};

    let client = reqwest::Client::builder()
        .timeout(EXPORT_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| opentelemetry_otlp::ExporterBuildError::InternalFailure(e.to_string()))?;
    opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_http_client(client)
        .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
        .with_endpoint(format!(
            "{}/v1/traces",
            export.endpoint.trim_end_matches('/')
        ))
        .with_timeout(EXPORT_TIMEOUT)
        .build()
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

/// Returns the W3C `traceparent` naming the current span, for the peer calls and
/// events it causes. Outside a span with ids, it names the span of the request being
/// handled, and outside a request it is `None`.
pub fn current_traceparent() -> Option<String> {
    let context = tracing::Span::current().context();
    let span = context.span();
    let span_context = span.span_context();
    if span_context.is_valid() {
        return Some(format_traceparent(span_context));
    }
    TRACEPARENT.try_with(Clone::clone).ok()
}

/// Makes `span` a child of the span that `parent` names, a W3C `traceparent`, or the
/// root of a new trace when `parent` is missing or malformed. Records the trace id in
/// the span's `trace_id` field and returns the `traceparent` naming `span` itself.
pub fn continue_trace(span: &tracing::Span, parent: Option<&str>) -> String {
    let parent = parent.and_then(parse_traceparent);
    if let Some(parent) = &parent {
        let context = opentelemetry::Context::new().with_remote_span_context(parent.clone());
        // Fails only for a disabled span, whose ids are made up below.
        let _ = span.set_parent(context);
    }
    let context = span.context();
    let own = context.span().span_context().clone();
    let traceparent = if own.is_valid() {
        format_traceparent(&own)
    } else {
        // `RUST_LOG` filters the span out, so it has no ids of its own.
        match &parent {
            Some(parent) => format!(
                "00-{}-{}-{:02x}",
                parent.trace_id(),
                &new_traceparent()[36..52],
                parent.trace_flags().to_u8()
            ),
            None => new_traceparent(),
        }
    };
    span.record("trace_id", tracing::field::display(&traceparent[3..35]));
    traceparent
}

fn format_traceparent(context: &SpanContext) -> String {
    format!(
        "00-{}-{}-{:02x}",
        context.trace_id(),
        context.span_id(),
        context.trace_flags().to_u8()
    )
}

/// Parses a valid W3C `traceparent` into the remote span context it names.
fn parse_traceparent(value: &str) -> Option<SpanContext> {
    if !valid_traceparent(value) {
        return None;
    }
    let trace_id = TraceId::from_hex(&value[3..35]).ok()?;
    let span_id = SpanId::from_hex(&value[36..52]).ok()?;
    let flags = u8::from_str_radix(&value[53..55], 16).ok()?;
    Some(SpanContext::new(
        trace_id,
        span_id,
        TraceFlags::new(flags) & TraceFlags::SAMPLED,
        true,
        TraceState::default(),
    ))
}

/// Checks the W3C Trace Context form: version 00 to fe, then non-zero trace and
/// parent ids and the flags, all in lowercase hex. Later versions may append fields.
fn valid_traceparent(value: &str) -> bool {
    let parts: Vec<&str> = value.split('-').collect();
    let lowercase_hex = |part: &str| part.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f'));
    parts.len() >= 4
        && parts[0].len() == 2
        && parts[1].len() == 32
        && parts[2].len() == 16
        && parts[3].len() == 2
        && parts[..4].iter().all(|part| lowercase_hex(part))
        && parts[0] != "ff"
        && (parts[0] != "00" || parts.len() == 4)
        && parts[1] != "00000000000000000000000000000000"
        && parts[2] != "0000000000000000"
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
    // Only standard methods become label values, so clients cannot grow the metrics.
    let method = match req.method().as_str() {
        known @ ("GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS") => known,
        _ => "other",
    }
    .to_owned();
    let span = tracing::info_span!(
        "http.request",
        otel.kind = "server",
        http.method = %method,
        http.route = tracing::field::Empty,
        http.status = tracing::field::Empty,
        request_id = %request_id,
        trace_id = tracing::field::Empty,
        actor = tracing::field::Empty,
        body.id = tracing::field::Empty,
    );
    let traceparent = continue_trace(&span, header("traceparent").as_deref());

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
    span.record("http.status", status);
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
        assert!(valid_traceparent(
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-later"
        ));
        assert!(!valid_traceparent(
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01"
        ));
        assert!(!valid_traceparent(
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"
        ));
        assert!(!valid_traceparent(
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"
        ));
        assert!(!valid_traceparent(
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        ));
        assert!(!valid_traceparent(
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra"
        ));
        assert!(!valid_traceparent("garbage"));
        assert!(valid_traceparent(&new_traceparent()));
    }

    async fn downstream_traceparent() -> String {
        current_traceparent().unwrap_or_default()
    }

    /// Sends a request through [`request_span`] and returns the `traceparent` that the
    /// handler would send downstream.
    async fn traceparent_in_handler(incoming: Option<&str>) -> String {
        use actix_web::{App, test, web};

        init(LogFormat::Pretty, None);
        let app = test::init_service(
            App::new()
                .wrap(actix_web::middleware::from_fn(request_span))
                .route("/", web::get().to(downstream_traceparent)),
        )
        .await;
        let mut request = test::TestRequest::get().uri("/");
        if let Some(incoming) = incoming {
            request = request.insert_header(("traceparent", incoming));
        }
        let body = test::call_and_read_body(&app, request.to_request()).await;
        String::from_utf8(body.to_vec()).expect("the traceparent is text")
    }

    #[actix_web::test]
    async fn downstream_traceparent_names_request_span() {
        let incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let sent = traceparent_in_handler(Some(incoming)).await;

        assert!(valid_traceparent(&sent), "{sent}");
        assert_eq!(&sent[3..35], "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_ne!(&sent[36..52], "00f067aa0ba902b7");
        assert_eq!(&sent[53..55], "01");
    }

    #[actix_web::test]
    async fn malformed_traceparent_starts_new_trace() {
        let incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-XX";
        let sent = traceparent_in_handler(Some(incoming)).await;

        assert!(valid_traceparent(&sent), "{sent}");
        assert_ne!(&sent[3..35], "4bf92f3577b34da6a3ce929d0e0e4736");

        let without = traceparent_in_handler(None).await;
        assert!(valid_traceparent(&without), "{without}");
    }

    #[test]
    fn child_span_continues_parent_trace() {
        init(LogFormat::Pretty, None);
        let parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00";
        let span = tracing::info_span!("event.consume", trace_id = tracing::field::Empty);
        let own = continue_trace(&span, Some(parent));

        assert_eq!(&own[3..35], "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_ne!(&own[36..52], "00f067aa0ba902b7");
        assert_eq!(&own[53..55], "00", "an unsampled parent keeps its flag");
        let current = span.in_scope(current_traceparent);
        assert_eq!(current.as_deref(), Some(own.as_str()));
    }
}
