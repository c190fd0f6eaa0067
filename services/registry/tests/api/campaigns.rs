use reqwest::StatusCode;
use serde_json::{Value, json};
use service_kit::backend_tests;

use crate::{BODY, SERVICES, pointers, problem};

fn cases() -> Value {
    serde_json::from_str(include_str!("../cases/collection-window.json"))
        .expect("the window cases parse")
}

async fn record(
    app: &service_kit::testing::TestApp,
    body: &str,
    started: &str,
    finished: &str,
) -> reqwest::Response {
    app.client
        .post(app.url("/v1/collection-campaigns"))
        .bearer_auth(app.officer(body))
        .json(&json!({"started_at": started, "finished_at": finished, "sources": ["npo_database", "media"], "npos_added": 12, "npos_updated": 30}))
        .send()
        .await
        .unwrap()
}

backend_tests! {
    services: SERVICES;

    async fn case_instants_judged_locally(app) {
        for (index, case) in cases()["cases"].as_array().unwrap().iter().enumerate() {
            let at = case["at"].as_str().unwrap();
            let body = format!("body-{index}");

            let response = record(&app, &body, at, at).await;
            assert_eq!(response.status(), StatusCode::CREATED, "{at}");
            let campaign: Value = response.json().await.unwrap();
            let local_date = &case["local"].as_str().unwrap()[..10];
            let year = &local_date[..4];
            let check: Value = app.client.get(app.url("/v1/collection-campaigns/window-check"))
                .query(&[("government_body", body.as_str()), ("year", year)])
                .bearer_auth(app.ministry()).send().await.unwrap().json().await.unwrap();

            assert_eq!(campaign["started_on"], local_date, "{at}");
            assert_eq!(campaign["inside_window"], case["inside"], "{at}");
            assert_eq!(check["inside_window"], case["inside"], "{at}");
            assert_eq!(check["collected"], true);
            assert_eq!(check["window_opens_on"], format!("{year}-04-15"));
        }
    }

    async fn campaign_published_and_listed(app) {
        let mut events = app.observe(&["registry.campaign.recorded"]).await;

        let created = record(&app, BODY, "2025-04-20T09:00:00+05:00", "2025-05-20T18:00:00+05:00").await;

        assert_eq!(created.status(), StatusCode::CREATED);
        let location = created.headers()["location"].to_str().unwrap().to_owned();
        let own = app.client.get(app.url(&location)).bearer_auth(app.officer(BODY)).send().await.unwrap();
        let other = app.client.get(app.url(&location)).bearer_auth(app.officer("akimat-astana")).send().await.unwrap();
        assert_eq!(own.status(), StatusCode::OK);
        problem(other, StatusCode::NOT_FOUND).await;
        let observed = events.expect("registry.campaign.recorded").await;
        assert_eq!(observed.event.payload["government_body"], BODY);
        assert_eq!(observed.event.payload["inside_window"], true);
        assert_eq!(observed.event.payload["year"], 2025);
        let listed: Value = app.client.get(app.url("/v1/collection-campaigns?year=2025")).bearer_auth(app.officer(BODY))
            .send().await.unwrap().json().await.unwrap();
        assert_eq!(listed["items"][0]["npos_added"], 12);
        assert_eq!(listed["items"][0]["sources"], json!(["npo_database", "media"]));
        events.close().await;
    }

    async fn no_campaign_means_not_collected(app) {
        let check: Value = app.client.get(app.url("/v1/collection-campaigns/window-check?year=2025"))
            .bearer_auth(app.officer(BODY)).send().await.unwrap().json().await.unwrap();

        assert_eq!(check["collected"], false);
        assert_eq!(check["inside_window"], false);
        assert_eq!(check["government_body"], BODY);
    }

    async fn officers_see_own_body_only(app) {
        record(&app, BODY, "2025-04-20T09:00:00Z", "2025-04-21T09:00:00Z").await;

        let other = app.client.get(app.url("/v1/collection-campaigns/window-check"))
            .query(&[("government_body", BODY), ("year", "2025")])
            .bearer_auth(app.officer("akimat-astana")).send().await.unwrap();
        let listed: Value = app.client.get(app.url("/v1/collection-campaigns")).bearer_auth(app.officer("akimat-astana"))
            .send().await.unwrap().json().await.unwrap();
        let anonymous = app.client.get(app.url("/v1/collection-campaigns")).send().await.unwrap();

        problem(other, StatusCode::FORBIDDEN).await;
        assert!(listed["items"].as_array().unwrap().is_empty());
        problem(anonymous, StatusCode::UNAUTHORIZED).await;
    }

    async fn invalid_campaign_rejected(app) {
        let response = app.client.post(app.url("/v1/collection-campaigns")).bearer_auth(app.officer(BODY))
            .json(&json!({"started_at": "2025-05-10T00:00:00Z", "finished_at": "2025-04-10", "sources": ["gossip"], "npos_added": -1}))
            .send().await.unwrap();
        let reversed = record(&app, BODY, "2025-05-10T00:00:00Z", "2025-05-01T00:00:00Z").await;

        let problem_body = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        let pointers_found = pointers(&problem_body);
        assert!(pointers_found.contains(&"/finished_at".to_owned()));
        assert!(pointers_found.contains(&"/sources/0".to_owned()));
        assert!(pointers_found.contains(&"/npos_added".to_owned()));
        assert_eq!(pointers(&problem(reversed, StatusCode::UNPROCESSABLE_ENTITY).await), vec!["/finished_at"]);
    }
}
