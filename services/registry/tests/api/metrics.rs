//! The figures of `/metrics` after writes: the latency histogram by status class, the
//! outbox backlog, the pool gauges, and a scrape that still succeeds when the figures
//! of a database cannot be read.

use std::time::{Duration, Instant};

use diesel::{Connection, PgConnection, RunQueryDsl};
use service_kit::backend_tests;
use service_kit::testing::{TestApp, TestBackend, postgres_admin_url, sample};

use crate::{SERVICES, create_npo, minimal_npo};

const REGISTRY: &[(&str, &str)] = &[("service", "registry")];

/// Scrapes `/metrics` until `accept` returns true for the value of `metric{labels}`, for up to
/// 10 s, and returns the last scrape.
async fn scrape_until(
    app: &TestApp,
    metric: &str,
    labels: &[(&str, &str)],
    accept: impl Fn(f64) -> bool,
) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let metrics = app.metrics().await;
        let value = sample(&metrics, metric, labels);
        if value.is_some_and(&accept) || Instant::now() > deadline {
            return metrics;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

backend_tests! {
    services: SERVICES;

    async fn latency_histogram_by_status_class(app) {
        app.client.get(app.url("/v1/npos")).send().await.unwrap();
        app.client.get(app.url("/v1/npos/not-a-uuid")).send().await.unwrap();

        let metrics = app.metrics().await;

        let ok = [("method", "GET"), ("route", "/v1/npos"), ("status_class", "2xx")];
        let not_found = [("method", "GET"), ("route", "/v1/npos/{id}"), ("status_class", "4xx")];
        assert!(sample(&metrics, "http_request_duration_seconds_count", &ok).unwrap() >= 1.0, "{metrics}");
        assert!(sample(&metrics, "http_request_duration_seconds_count", &not_found).unwrap() >= 1.0, "{metrics}");
        let ok_bucket = [("route", "/v1/npos"), ("status_class", "2xx"), ("le", "+Inf")];
        assert!(sample(&metrics, "http_request_duration_seconds_bucket", &ok_bucket).unwrap() >= 1.0);
    }

    async fn outbox_backlog_empty_after_relay(app) {
        create_npo(&app, &minimal_npo("Фонд метрик")).await;

        let metrics = scrape_until(&app, "outbox_pending_events", REGISTRY, |pending| pending == 0.0).await;

        assert_eq!(sample(&metrics, "outbox_pending_events", REGISTRY), Some(0.0), "{metrics}");
        assert_eq!(sample(&metrics, "outbox_oldest_pending_age_seconds", REGISTRY), Some(0.0));
        assert_eq!(sample(&metrics, "metrics_probe_success", &[("probe", "database"), ("target", "registry")]), Some(1.0));
        assert!(sample(&metrics, "outbox_events_published_total", REGISTRY).unwrap() >= 1.0);
    }

    async fn pool_gauges_present(app) {
        let metrics = app.metrics().await;

        let max = if app.backend == TestBackend::Postgres { 10.0 } else { 4.0 };
        assert_eq!(sample(&metrics, "db_pool_max_connections", REGISTRY), Some(max), "{metrics}");
        let connections = sample(&metrics, "db_pool_connections", REGISTRY).unwrap();
        let idle = sample(&metrics, "db_pool_idle_connections", REGISTRY).unwrap();
        assert!(connections >= 1.0, "{metrics}");
        assert!(connections <= max);
        assert!(idle <= connections);
    }
}

/// With the broker unreachable the relay publishes nothing, so the backlog grows and
/// ages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outbox_backlog_grows_without_broker() {
    let broker = [("LIAISON_BROKER_URL", "amqp://guest:guest@127.0.0.1:1/%2f")];
    let app = TestApp::spawn_with(SERVICES, TestBackend::Sqlite, &broker)
        .await
        .unwrap();
    create_npo(&app, &minimal_npo("Первый фонд")).await;
    create_npo(&app, &minimal_npo("Второй фонд")).await;

    let metrics = scrape_until(&app, "outbox_oldest_pending_age_seconds", REGISTRY, |age| {
        age >= 1.0
    })
    .await;

    assert_eq!(
        sample(&metrics, "outbox_pending_events", REGISTRY),
        Some(2.0),
        "{metrics}"
    );
    let age = sample(&metrics, "outbox_oldest_pending_age_seconds", REGISTRY).unwrap();
    assert!(age >= 1.0, "{metrics}");
    assert!(age < 60.0, "{metrics}");
    assert!(sample(&metrics, "outbox_publish_failures_total", REGISTRY).unwrap() >= 1.0);
    app.stop().await;
}

/// A database that disappears leaves its figures out of the scrape and flags them,
/// while the scrape itself still succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scrape_survives_lost_database() {
    let Some(app) = TestApp::spawn(SERVICES, TestBackend::Postgres).await else {
        return;
    };
    let url = app.settings.database_url_for("registry");
    let name = url.rsplit('/').next().unwrap().to_owned();
    tokio::task::spawn_blocking(move || {
        let mut admin = PgConnection::establish(&postgres_admin_url()).unwrap();
        diesel::sql_query(format!("DROP DATABASE \"{name}\" WITH (FORCE)"))
            .execute(&mut admin)
            .unwrap();
    })
    .await
    .unwrap();

    let started = Instant::now();
    let metrics = app.metrics().await;
    let elapsed = started.elapsed();

    let database = [("probe", "database"), ("target", "registry")];
    assert_eq!(
        sample(&metrics, "metrics_probe_success", &database),
        Some(0.0),
        "{metrics}"
    );
    assert_eq!(sample(&metrics, "outbox_pending_events", REGISTRY), None);
    assert_eq!(
        sample(&metrics, "db_pool_max_connections", REGISTRY),
        Some(10.0)
    );
    assert!(
        elapsed < Duration::from_secs(5),
        "the scrape took {elapsed:?}"
    );
    app.stop().await;
}
