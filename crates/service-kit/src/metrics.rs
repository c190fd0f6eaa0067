//! Prometheus metrics of the process, served as text at `/metrics`.

use std::sync::LazyLock;
use std::time::Duration;

use actix_web::HttpResponse;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry, TextEncoder,
};

struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    published: IntCounterVec,
    publish_failures: IntCounterVec,
    consumed: IntCounterVec,
    dead_lettered: IntCounterVec,
    rate_limited: IntCounterVec,
}

fn counter(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let counter =
        IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric definition");
    registry
        .register(Box::new(counter.clone()))
        .expect("metric names are unique");
    counter
}

static METRICS: LazyLock<Metrics> = LazyLock::new(|| {
    let registry = Registry::new();
    let latency = HistogramVec::new(
        HistogramOpts::new(
            "http_request_duration_seconds",
            "HTTP request latency in seconds",
        )
        .buckets(vec![
            0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
        ]),
        &["method", "route"],
    )
    .expect("valid metric definition");
    registry
        .register(Box::new(latency.clone()))
        .expect("metric names are unique");
    Metrics {
        requests: counter(
            &registry,
            "http_requests_total",
            "HTTP requests by route and status",
            &["method", "route", "status"],
        ),
        published: counter(
            &registry,
            "outbox_events_published_total",
            "Events confirmed by the bus",
            &["service"],
        ),
        publish_failures: counter(
            &registry,
            "outbox_publish_failures_total",
            "Failed outbox publish rounds",
            &["service"],
        ),
        consumed: counter(
            &registry,
            "events_consumed_total",
            "Events taken from a queue, by outcome",
            &["consumer", "outcome"],
        ),
        dead_lettered: counter(
            &registry,
            "events_dead_lettered_total",
            "Events moved to a dead-letter queue",
            &["consumer"],
        ),
        rate_limited: counter(
            &registry,
            "http_requests_rate_limited_total",
            "Requests rejected with 429 by the per-caller rate limit, by the caller's role, \
             or `address` for callers without a valid token",
            &["caller"],
        ),
        latency,
        registry,
    }
});

/// Records one finished HTTP request.
pub fn observe_request(method: &str, route: &str, status: u16, elapsed: Duration) {
    let metrics = &*METRICS;
    metrics
        .requests
        .with_label_values(&[method, route, &status.to_string()])
        .inc();
    metrics
        .latency
        .with_label_values(&[method, route])
        .observe(elapsed.as_secs_f64());
}

pub(crate) fn outbox_published(service: &str, count: usize) {
    METRICS
        .published
        .with_label_values(&[service])
        .inc_by(count as u64);
}

pub(crate) fn outbox_failures(service: &str) {
    METRICS.publish_failures.with_label_values(&[service]).inc();
}

pub(crate) fn consumed(consumer: &str, applied: bool) {
    let outcome = if applied { "applied" } else { "duplicate" };
    METRICS
        .consumed
        .with_label_values(&[consumer, outcome])
        .inc();
}

pub(crate) fn dead_lettered(consumer: &str) {
    METRICS.dead_lettered.with_label_values(&[consumer]).inc();
}

pub(crate) fn rate_limited(caller: &str) {
    METRICS.rate_limited.with_label_values(&[caller]).inc();
}

/// `GET /metrics` in the Prometheus text format.
pub async fn serve() -> HttpResponse {
    let mut buffer = Vec::new();
    let encoder = TextEncoder::new();
    if let Err(error) = encoder.encode(&METRICS.registry.gather(), &mut buffer) {
        tracing::error!(error = %error, "metrics encoding failed");
        return HttpResponse::InternalServerError().finish();
    }
    HttpResponse::Ok()
        .content_type(encoder.format_type())
        .body(buffer)
}
