//! The dashboard figures after the read models change. The service counts from a copy
//! of the records that it keeps in memory. So each test first reads the figures,
//! which loads the copy, then changes the records and reads again. The second read
//! must show every change committed before it: a new record, a changed status, a
//! rebuild, or a write by another connection or server.
use std::time::Duration;

use aggregation::readmodel;
use common_models::event::EventEnvelope;
use common_models::event::needs::{ASSESSMENT_PUBLISHED, PRIORITY_IDENTIFIED, PRIORITY_WITHDRAWN};
use common_models::event::registry::{NPO_MERGED, NPO_REGISTERED, NPO_STATUS_CHANGED};
use reqwest::StatusCode;
use serde_json::{Value, json};
use service_kit::testing::TestApp;
use service_kit::{Database, StoreError, backend_tests};

use crate::analytics::{await_records, publish, read};
use crate::{
    SERVICES, ULYTAU_DISTRICT, ULYTAU_REGION, ULYTAU_VILLAGE, body_input, create_body, get,
    json_body, post_as,
};

/// Every service of the platform, for the rebuild, which reads the other services'
/// event logs.
const ALL_SERVICES: &[service_kit::ServiceDef] = &[
    registry::SERVICE,
    needs::SERVICE,
    joint_actions::SERVICE,
    recommendations::SERVICE,
    ::aggregation::SERVICE,
];

fn npo(id: &str) -> Value {
    json!({
        "npo_id": id,
        "bin": null,
        "name_ru": format!("НПО {id}"),
        "name_kk": null,
        "legal_form": "public_association",
        "status": "active",
        "territories": [ULYTAU_VILLAGE],
        "spheres": ["youth"],
    })
}

fn priority(id: &str) -> Value {
    json!({
        "priority_id": id,
        "assessment_id": "assessment-1",
        "government_body": "ulytau-akimat",
        "sphere": "youth",
        "territory": ULYTAU_DISTRICT,
        "target_group": "youth",
        "risk_level": "high",
        "people_affected": 120,
    })
}

fn assessment(priorities: Vec<Value>) -> Value {
    json!({
        "assessment_id": "assessment-1",
        "government_body": "ulytau-akimat",
        "spheres": ["youth"],
        "territory": ULYTAU_REGION,
        "period_start": "2024-01-01",
        "period_end": "2024-12-31",
        "priorities": priorities,
        "participants": 40,
        "completed_on": "2025-02-01",
    })
}

/// Returns the digest of the read models.
async fn digest(app: &TestApp) -> Value {
    let token = app.ministry();
    json_body(
        get(app, "/v1/read-models/digest", Some(&token)).await,
        StatusCode::OK,
    )
    .await
}

/// Waits up to 20 s until the digest of the read models differs from `before`, so
/// that the event published last has been applied and committed.
async fn await_change(app: &TestApp, before: &Value) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while digest(app).await == *before {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the read models did not change within 20 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Publishes an event and waits until the read models changed.
async fn publish_applied(app: &TestApp, event_type: &str, payload: Value) {
    let before = digest(app).await;
    publish(app, event_type, payload).await;
    await_change(app, &before).await;
}

/// Returns the total of active NPOs that `base` counts, as the ministry of `app`.
async fn npo_total(app: &TestApp, base: &str) -> Value {
    let response = app
        .client
        .get(format!("{base}/v1/analytics/npos"))
        .bearer_auth(app.ministry())
        .send()
        .await
        .expect("the server responds");
    json_body(response, StatusCode::OK).await["total"].clone()
}

/// Applies `events` to the read models of `app` through a connection pool of its
/// own, as another process on the same database would.
async fn apply_elsewhere(app: &TestApp, events: Vec<EventEnvelope>) {
    let url = app.settings.database_url_for("aggregation");
    tokio::task::spawn_blocking(move || {
        let db = Database::connect(&url).expect("the test database accepts connections");
        db.run_blocking(|conn| {
            service_kit::db::in_transaction(conn, |conn| {
                for event in &events {
                    readmodel::apply(conn, event)?;
                }
                Ok::<_, StoreError>(())
            })
        })
        .expect("the events apply");
    })
    .await
    .expect("applying finishes");
}

fn registry_event(event_type: &str, payload: Value) -> EventEnvelope {
    EventEnvelope::new(event_type, 1, "registry", payload)
}

backend_tests! {
    services: SERVICES;

    async fn npo_figures_count_new_registration(app) {
        let token = app.ministry();
        assert_eq!(read(&app, "/v1/analytics/npos", &token).await["total"], 0);

        publish(&app, NPO_REGISTERED, npo("npo-1")).await;
        await_records(&app, 1).await;
        let after_one = read(&app, "/v1/analytics/npos", &token).await;
        publish(&app, NPO_REGISTERED, npo("npo-2")).await;
        await_records(&app, 2).await;
        let after_two = read(&app, "/v1/analytics/npos", &token).await;

        assert_eq!(after_one["total"], 1);
        assert_eq!(after_two["total"], 2);
        assert_eq!(after_two["by_region"], json!([{"region": ULYTAU_REGION, "count": 2}]));
    }

    async fn npo_figures_drop_merged_and_inactive(app) {
        let token = app.ministry();
        for id in ["npo-1", "npo-2", "npo-3"] {
            publish(&app, NPO_REGISTERED, npo(id)).await;
        }
        await_records(&app, 3).await;
        let before = read(&app, "/v1/analytics/npos", &token).await;

        publish_applied(&app, NPO_MERGED, json!({"npo_id": "npo-1", "merged_id": "npo-2"})).await;
        let after_merge = read(&app, "/v1/analytics/npos", &token).await;
        let change = json!({"npo_id": "npo-3", "from": "active", "to": "suspended"});
        publish_applied(&app, NPO_STATUS_CHANGED, change).await;
        let after_suspension = read(&app, "/v1/analytics/npos", &token).await;

        assert_eq!(before["total"], 3);
        assert_eq!(after_merge["total"], 2);
        assert_eq!(after_suspension["total"], 1);
    }

    async fn priority_figures_drop_withdrawn(app) {
        create_body(&app, &body_input("ulytau-akimat", "district", Some(ULYTAU_DISTRICT), &["youth"])).await;
        let token = app.ministry();
        assert_eq!(read(&app, "/v1/analytics/priorities", &token).await["total"]["total"], 0);

        publish(&app, PRIORITY_IDENTIFIED, priority("p-1")).await;
        publish(&app, PRIORITY_IDENTIFIED, priority("p-2")).await;
        publish(&app, ASSESSMENT_PUBLISHED, assessment(vec![priority("p-1"), priority("p-2")])).await;
        await_records(&app, 3).await;
        let published = read(&app, "/v1/analytics/priorities", &token).await;
        let withdrawal = json!({
            "priority_id": "p-2",
            "assessment_id": "assessment-1",
            "government_body": "ulytau-akimat",
        });
        publish_applied(&app, PRIORITY_WITHDRAWN, withdrawal).await;
        let withdrawn = read(&app, "/v1/analytics/priorities", &token).await;
        let of_body = read(&app, "/v1/analytics/priorities?body=ulytau-akimat", &token).await;

        assert_eq!(published["total"]["total"], 2);
        assert_eq!(published["total"]["high"], 2);
        assert_eq!(withdrawn["total"]["total"], 1);
        assert_eq!(of_body["total"]["total"], 1);
    }

    async fn figures_see_other_connection_writes(app) {
        let token = app.ministry();
        assert_eq!(read(&app, "/v1/analytics/npos", &token).await["total"], 0);

        apply_elsewhere(&app, vec![registry_event(NPO_REGISTERED, npo("npo-1"))]).await;
        let registered = read(&app, "/v1/analytics/npos", &token).await;
        let merge = json!({"npo_id": "npo-2", "merged_id": "npo-1"});
        apply_elsewhere(&app, vec![
            registry_event(NPO_REGISTERED, npo("npo-2")),
            registry_event(NPO_MERGED, merge),
        ])
        .await;
        let merged = read(&app, "/v1/analytics/npos", &token).await;

        assert_eq!(registered["total"], 1);
        assert_eq!(merged["total"], 1);
        assert_eq!(merged["by_sphere"], json!([{"sphere": "youth", "count": 1}]));
    }
}

backend_tests! {
    services: ALL_SERVICES;

    async fn rebuild_reloads_figures(app) {
        let token = app.ministry();
        // Published here rather than by the registry, so its event log lacks the NPO
        // and the rebuild removes it.
        publish(&app, NPO_REGISTERED, npo("npo-outside-the-log")).await;
        await_records(&app, 1).await;
        let before = read(&app, "/v1/analytics/npos", &token).await;

        let rebuilt = post_as(&app, "/v1/read-models/rebuild", &token, None, &json!({})).await;
        json_body(rebuilt, StatusCode::OK).await;
        let after = read(&app, "/v1/analytics/npos", &token).await;

        assert_eq!(before["total"], 1);
        assert_eq!(after["total"], 0);
        assert_eq!(after["by_region"], json!([]));
    }
}

/// Starts a second aggregation server on the database and broker of `app`, as another
/// process of the same deployment, and checks that each server's figures include
/// every change once it is committed, whichever server or connection applied it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_server_sees_changes() {
    let backend = service_kit::testing::TestBackend::Postgres;
    let Some(app) = TestApp::spawn(SERVICES, backend).await else {
        return;
    };
    let mut settings = app.settings.clone();
    settings.service_urls = vec![("registry".to_owned(), app.base.clone())];
    let second = service_kit::app::start(settings, &[::aggregation::SERVICE], false)
        .await
        .expect("the second server starts");
    let second_base = format!("http://{}", second.addr);
    assert_eq!(npo_total(&app, &app.base).await, 0);
    assert_eq!(npo_total(&app, &second_base).await, 0);

    // The two servers share the consumer's queue, so either may apply the event.
    publish(&app, NPO_REGISTERED, npo("npo-1")).await;
    await_records(&app, 1).await;
    let first_after_event = npo_total(&app, &app.base).await;
    let second_after_event = npo_total(&app, &second_base).await;
    apply_elsewhere(&app, vec![registry_event(NPO_REGISTERED, npo("npo-2"))]).await;
    let first_after_write = npo_total(&app, &app.base).await;
    let second_after_write = npo_total(&app, &second_base).await;

    second.stop().await;
    app.stop().await;
    assert_eq!(first_after_event, 1);
    assert_eq!(second_after_event, 1);
    assert_eq!(first_after_write, 2);
    assert_eq!(second_after_write, 2);
}
