//! Prometheus metrics of the process, served as text at `/metrics`.
//!
//! Counters and the latency histogram are updated as requests and events go by. The
//! gauges of [`probes`] are read from the databases and the bus at each scrape.

mod probes;

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
        // The status class (2xx, 4xx, 5xx) rather than the status code, so each route
        // has at most five histograms of 14 series each. The exact code is counted in
        // `http_requests_total`.
        &["method", "route", "status_class"],
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
        .with_label_values(&[method, route, status_class(status)])
        .observe(elapsed.as_secs_f64());
}

/// Returns the class of an HTTP status code, such as `4xx` for 404.
fn status_class(status: u16) -> &'static str {
    match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
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

/// `GET /metrics` in the Prometheus text format: the process's counters and histogram,
/// and the gauges that [`probes`] reads from `sources` now.
pub async fn serve(sources: &crate::platform::Databases) -> HttpResponse {
    let mut families = METRICS.registry.gather();
    families.extend(probes::gather(sources).await);
    let mut buffer = Vec::new();
    let encoder = TextEncoder::new();
    if let Err(error) = encoder.encode(&families, &mut buffer) {
        tracing::error!(error = %error, "metrics encoding failed");
        return HttpResponse::InternalServerError().finish();
    }
    HttpResponse::Ok()
        .content_type(encoder.format_type())
        .body(buffer)
}

#[cfg(test)]
mod tests {
    use super::status_class;

    #[test]
    fn status_classes() {
        assert_eq!(status_class(200), "2xx");
        assert_eq!(status_class(201), "2xx");
        assert_eq!(status_class(304), "3xx");
        assert_eq!(status_class(404), "4xx");
        assert_eq!(status_class(429), "4xx");
        assert_eq!(status_class(503), "5xx");
        assert_eq!(status_class(101), "1xx");
    }
}
