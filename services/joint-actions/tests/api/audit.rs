//! Writes of the joint-actions service that must leave an entry in its audit trail.

use reqwest::StatusCode;
use serde_json::{Value, json};
use service_kit::backend_tests;
use service_kit::testing::TestApp;

use crate::{
    BODY, SERVICES, get_json, id_of, json_body, post_officer, started_action, today_in_kazakhstan,
};

/// Reads the audit entries of record `id` of kind `entity` as the ministry, newest first.
async fn audit_of(app: &TestApp, entity: &str, id: &str) -> Vec<Value> {
    let path = format!("/v1/audit/joint-actions?entity={entity}&entity_id={id}");
    let page = get_json(app, &path, Some(&app.ministry())).await;
    page["items"].as_array().expect("a page of entries").clone()
}

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .expect("a list")
        .iter()
        .map(|v| v.as_str().expect("a string"))
        .collect()
}

backend_tests! {
    services: SERVICES;

    async fn audit_records_consultative_body(app) {
        let body = json!({
            "name": "Молодёжный совет при акиме области",
            "sphere": "youth",
            "role": "member",
            "joined_on": "2026-02-10"
        });
        let created = json_body(post_officer(&app, "/v1/consultative-bodies", &body).await, StatusCode::CREATED).await;
        let id = id_of(&created);
        let progress = post_officer(&app, &format!("/v1/consultative-bodies/{id}/progress"),
            &json!({"on": "2026-06-01", "note": "Внесены предложения по летнему отдыху"})).await;
        assert_eq!(progress.status(), StatusCode::CREATED);

        let entries = audit_of(&app, "consultative_body", &id).await;

        assert_eq!(entries.len(), 2, "{entries:?}");
        assert_eq!(entries[0]["action"], "progress_recorded");
        assert_eq!(strings(&entries[0]["fields"]), vec!["progress"]);
        assert_eq!(entries[1]["action"], "created");
        assert_eq!(strings(&entries[1]["fields"]), vec!["name", "sphere", "role", "joined_on"]);
        for entry in &entries {
            assert_eq!(entry["actor"], "test-officer");
            assert_eq!(entry["government_body"], BODY);
        }
    }

    async fn audit_records_measurement(app) {
        let action = started_action(&app).await;
        let row = json_body(post_officer(&app, &format!("/v1/joint-actions/{}/monitoring-rows", action.id), &json!({
            "activity": "Смены лагеря",
            "frequency": "monthly",
            "indicators": [{"name": "Участники", "unit": "человек", "target": 120, "higher_is_better": true}]
        })).await, StatusCode::CREATED).await;
        let path = format!("/v1/joint-actions/{}/monitoring-rows/{}/measurements", action.id, id_of(&row));
        let measured = post_officer(&app, &path, &json!({
            "indicator": "Участники",
            "measured_on": today_in_kazakhstan().to_string(),
            "value": 130,
            "evidence": "Список участников смены"
        })).await;
        assert_eq!(measured.status(), StatusCode::CREATED);

        let entries = audit_of(&app, "joint_action", &action.id).await;

        assert_eq!(entries[0]["action"], "measurement_recorded", "{entries:?}");
        assert_eq!(strings(&entries[0]["fields"]), vec!["measurements"]);
        assert_eq!(entries[0]["actor"], "test-officer");
        assert_eq!(entries[0]["government_body"], BODY);
        assert_eq!(entries[1]["action"], "monitoring_row_added");
    }

    async fn audit_names_plan_approval_status(app) {
        let rows = json!([{
            "activity": "Круглый стол с НПО",
            "completion_form": "Протокол",
            "deadline": "2027-03-01",
            "responsible": "Управление внутренней политики",
            "participants": "НПО области Ұлытау",
            "participation_form": "Очное участие"
        }]);
        let response = post_officer(&app, "/v1/joint-plans", &json!({"title": "Совместный план", "rows": rows})).await;
        let etag = response.headers()["etag"].to_str().unwrap().to_owned();
        let plan = json_body(response, StatusCode::CREATED).await;
        let id = id_of(&plan);
        let approved = app.client.post(app.url(&format!("/v1/joint-plans/{id}/approval")))
            .bearer_auth(app.officer(BODY)).header("If-Match", etag).send().await.unwrap();
        assert_eq!(approved.status(), StatusCode::OK);

        let entries = audit_of(&app, "joint_plan", &id).await;

        assert_eq!(entries.len(), 2, "{entries:?}");
        assert_eq!(entries[0]["action"], "approved");
        assert_eq!(strings(&entries[0]["fields"]), vec!["status"]);
        assert_eq!(entries[1]["action"], "created");
        assert_eq!(strings(&entries[1]["fields"]), vec!["title", "rows"]);
    }
}
