use reqwest::StatusCode;
use serde_json::Value;
use service_kit::backend_tests;
use service_kit::testing::{TestApp, TestBackend};

use crate::{SERVICES, create_npo, minimal_npo, problem};

backend_tests! {
    services: SERVICES;

    async fn health_and_readiness(app) {
        let health = app.client.get(app.url("/healthz")).send().await.unwrap();
        let ready = app.client.get(app.url("/readyz")).send().await.unwrap();

        assert_eq!(health.status(), StatusCode::OK);
        assert_eq!(ready.status(), StatusCode::OK);
        let ready: Value = ready.json().await.unwrap();
        assert_eq!(ready["checks"]["database.registry"], "ok");
        let bus = if app.backend == TestBackend::Postgres { "bus.rabbitmq" } else { "bus.in-process" };
        assert_eq!(ready["checks"][bus], "ok");
    }

    async fn request_id_returned(app) {
        let generated = app.client.get(app.url("/healthz")).send().await.unwrap();
        let supplied = app.client.get(app.url("/healthz")).header("x-request-id", "abc-123").send().await.unwrap();
        let hostile = app.client.get(app.url("/healthz")).header("x-request-id", "a\"b<script>").send().await.unwrap();

        assert!(!generated.headers()["x-request-id"].is_empty());
        assert_eq!(supplied.headers()["x-request-id"], "abc-123");
        assert_ne!(hostile.headers()["x-request-id"], "a\"b<script>");
    }

    async fn metrics_in_prometheus_format(app) {
        app.client.get(app.url("/v1/npos")).send().await.unwrap();

        let metrics = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();

        assert!(metrics.contains("http_requests_total{method=\"GET\",route=\"/v1/npos\",status=\"200\"}"));
        assert!(metrics.contains("# TYPE http_request_duration_seconds histogram"));
    }

    async fn unknown_route_is_problem(app) {
        let response = app.client.get(app.url("/v1/nothing-here")).send().await.unwrap();

        let problem = problem(response, StatusCode::NOT_FOUND).await;

        assert_eq!(problem["status"], 404);
        assert_eq!(problem["type"], "/problems/not-found");
    }

    async fn event_log_serves_outbox(app) {
        let card = create_npo(&app, &minimal_npo("Фонд")).await;
        create_npo(&app, &minimal_npo("Второй фонд")).await;

        let first: Value = app.client.get(app.url("/v1/events/registry?limit=1")).bearer_auth(app.ministry())
            .send().await.unwrap().json().await.unwrap();
        let after = first["next_after"].as_i64().unwrap();
        let rest: Value = app.client.get(app.url(&format!("/v1/events/registry?after={after}"))).bearer_auth(app.ministry())
            .send().await.unwrap().json().await.unwrap();
        let officer = app.client.get(app.url("/v1/events/registry")).bearer_auth(app.officer("x")).send().await.unwrap();
        let anonymous = app.client.get(app.url("/v1/events/registry")).send().await.unwrap();
        let unknown = app.client.get(app.url("/v1/events/weather")).bearer_auth(app.ministry()).send().await.unwrap();

        assert_eq!(first["items"][0]["event"]["type"], "registry.npo.registered");
        assert_eq!(first["items"][0]["event"]["payload"]["npo_id"], card["id"]);
        assert_eq!(rest["items"].as_array().unwrap().len(), 1);
        problem(officer, StatusCode::FORBIDDEN).await;
        problem(anonymous, StatusCode::UNAUTHORIZED).await;
        problem(unknown, StatusCode::NOT_FOUND).await;
    }

    async fn api_reference_served(app) {
        let document: Value = app.client.get(app.url("/openapi.json")).send().await.unwrap().json().await.unwrap();
        let page = app.client.get(app.url("/docs/")).send().await.unwrap();
        let initializer = app.client.get(app.url("/docs/swagger-initializer.js")).send().await.unwrap();

        assert!(document["openapi"].as_str().unwrap().starts_with("3.1"));
        assert!(document["paths"]["/v1/npos"].is_object());
        assert_eq!(page.status(), StatusCode::OK);
        assert!(page.text().await.unwrap().contains("swagger"));
        assert_eq!(initializer.status(), StatusCode::OK);
        assert!(initializer.text().await.unwrap().contains("/openapi.json"));
    }
}

#[tokio::test]
async fn checked_in_openapi_is_current() {
    let app = TestApp::spawn(SERVICES, TestBackend::Sqlite).await.unwrap();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi/registry.json");
    let checked_in: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("openapi/registry.json exists"))
            .expect("openapi/registry.json is JSON");

    let served: Value = app
        .client
        .get(app.url("/openapi/registry.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    assert!(
        checked_in == served,
        "openapi/registry.json is stale: run `make openapi` and commit the result"
    );
}
