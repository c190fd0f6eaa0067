use reqwest::StatusCode;
use serde_json::{Value, json};
use service_kit::backend_tests;

use crate::{BODY, SERVICES, create_npo, minimal_npo, pointers, problem};

backend_tests! {
    services: SERVICES;

    async fn project_recorded_and_listed(app) {
        let npo = create_npo(&app, &minimal_npo("Фонд")).await;
        let id = npo["id"].as_str().unwrap();
        let mut events = app.observe(&["registry.project.recorded"]).await;

        let response = app.client.post(app.url(&format!("/v1/npos/{id}/projects"))).bearer_auth(app.officer(BODY))
            .json(&json!({"name": "Школа волонтёров", "starts_on": "2024-02-01", "ends_on": "2024-11-30",
                          "funding_source": "государственный социальный заказ", "sphere": "volunteering", "territory": "620000000"}))
            .send().await.unwrap();

        assert_eq!(response.status(), StatusCode::CREATED);
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        let fetched: Value = app.client.get(app.url(&location)).send().await.unwrap().json().await.unwrap();
        assert_eq!(fetched["name"], "Школа волонтёров");
        let observed = events.expect("registry.project.recorded").await;
        assert_eq!(observed.event.payload["npo_id"], id);
        assert_eq!(observed.event.payload["territory"], "620000000");
        assert_eq!(observed.event.payload["name"], "Школа волонтёров");
        assert_eq!(observed.event.payload["funding_source"], "государственный социальный заказ");
        let listed: Value = app.client.get(app.url(&format!("/v1/npos/{id}/projects"))).send().await.unwrap().json().await.unwrap();
        assert_eq!(listed["items"][0]["name"], "Школа волонтёров");
        assert_eq!(listed["items"][0]["ends_on"], "2024-11-30");
        events.close().await;
    }

    async fn invalid_project_rejected(app) {
        let npo = create_npo(&app, &minimal_npo("Фонд")).await;
        let path = format!("/v1/npos/{}/projects", npo["id"].as_str().unwrap());

        let response = app.client.post(app.url(&path)).bearer_auth(app.officer(BODY))
            .json(&json!({"name": "", "starts_on": "2024-12-01", "ends_on": "2024-01-01", "sphere": "astrology"}))
            .send().await.unwrap();
        let unknown_territory = app.client.post(app.url(&path)).bearer_auth(app.officer(BODY))
            .json(&json!({"name": "Проект", "territory": "999999999"})).send().await.unwrap();

        let found = pointers(&problem(response, StatusCode::UNPROCESSABLE_ENTITY).await);
        assert_eq!(found, vec!["/name", "/ends_on", "/sphere"]);
        assert_eq!(pointers(&problem(unknown_territory, StatusCode::UNPROCESSABLE_ENTITY).await), vec!["/territory"]);
        let listed: Value = app.client.get(app.url(&path)).send().await.unwrap().json().await.unwrap();
        assert!(listed["items"].as_array().unwrap().is_empty());
    }

    async fn project_of_missing_npo_is_404(app) {
        let response = app.client.post(app.url("/v1/npos/missing/projects")).bearer_auth(app.officer(BODY))
            .json(&json!({"name": "Проект"})).send().await.unwrap();

        problem(response, StatusCode::NOT_FOUND).await;
    }
}
