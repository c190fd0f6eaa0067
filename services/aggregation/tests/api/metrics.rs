//! The consumer figures of `/metrics`: queue depths and dead letters not applied since.

use std::time::{Duration, Instant};

use common_models::event::EventEnvelope;
use serde_json::json;
use service_kit::backend_tests;
use service_kit::testing::{TestApp, TestBackend, sample};

use crate::SERVICES;

const CONSUMER: &str = "aggregation.read-models";

/// Scrapes `/metrics` until `metric{labels}` is at least `minimum`, for up to 30 s, and
/// returns the last scrape.
async fn scrape_until_at_least(
    app: &TestApp,
    metric: &str,
    labels: &[(&str, &str)],
    minimum: f64,
) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let metrics = app.metrics().await;
        let reached = sample(&metrics, metric, labels).is_some_and(|value| value >= minimum);
        if reached || Instant::now() > deadline {
            return metrics;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

backend_tests! {
    services: SERVICES;

    async fn consumer_queue_figures(app) {
        let metrics = app.metrics().await;

        let consumer = [("consumer", CONSUMER)];
        let unapplied = [("service", "aggregation"), ("consumer", CONSUMER)];
        let queue = [("probe", "queue"), ("target", CONSUMER)];
        assert_eq!(sample(&metrics, "metrics_probe_success", &queue), Some(1.0), "{metrics}");
        assert!(sample(&metrics, "consumer_queue_messages", &consumer).is_some(), "{metrics}");
        assert_eq!(sample(&metrics, "dead_letters_unapplied", &unapplied), Some(0.0), "{metrics}");
        let dead_letter_queue = sample(&metrics, "consumer_dead_letter_queue_messages", &consumer);
        if app.backend == TestBackend::Postgres {
            assert_eq!(dead_letter_queue, Some(0.0), "{metrics}");
        } else {
            assert_eq!(dead_letter_queue, None, "the in-process bus has no dead-letter queue");
        }
    }

    async fn dead_letter_counted(app) {
        // The payload lacks every field of a registration, so the read models reject it.
        let broken = EventEnvelope::new("registry.npo.registered", 1, "registry", json!({"npo_id": 1}));

        app.publish(&broken).await;
        let unapplied = [("service", "aggregation"), ("consumer", CONSUMER)];
        let metrics = scrape_until_at_least(&app, "dead_letters_unapplied", &unapplied, 1.0).await;

        assert_eq!(sample(&metrics, "dead_letters_unapplied", &unapplied), Some(1.0), "{metrics}");
        if app.backend == TestBackend::Postgres {
            let consumer = [("consumer", CONSUMER)];
            let metrics = scrape_until_at_least(&app, "consumer_dead_letter_queue_messages", &consumer, 1.0).await;
            assert_eq!(sample(&metrics, "consumer_dead_letter_queue_messages", &consumer), Some(1.0), "{metrics}");
        }
    }
}
