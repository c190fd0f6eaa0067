use reqwest::StatusCode;
use serde_json::{Value, json};
use service_kit::backend_tests;

use crate::{
    BODY, SERVICES, action_body, add_party, advance, advance_through, body_party_body,
    create_action, current_etag, get_json, id_of, json_body, npo_party_body, pointers,
    post_officer, post_party, problem, ready_action, register_npo, started_action,
};

async fn patch_action(
    app: &service_kit::testing::TestApp,
    id: &str,
    body: &Value,
) -> reqwest::Response {
    let etag = current_etag(app, id).await;
    app.client
        .patch(app.url(&format!("/v1/joint-actions/{id}")))
        .bearer_auth(app.officer(BODY))
        .header("If-Match", etag)
        .json(body)
        .send()
        .await
        .unwrap()
}

fn monthly_row() -> Value {
    json!({
        "activity": "Смены лагеря",
        "frequency": "monthly",
        "indicators": [{"name": "Участники", "unit": "человек", "target": 100, "higher_is_better": true}]
    })
}

backend_tests! {
    services: SERVICES;

    async fn start_needs_npo_consent(app) {
        let action = ready_action(&app).await;
        advance_through(&app, &action.id, &["agreed"]).await;
        let second = register_npo(&app, "171140900016", "Қамқорлық қоры").await;
        let mut party = npo_party_body(second["id"].as_str().unwrap());
        party.as_object_mut().unwrap().remove("consent_on");
        let added = add_party(&app, &action.id, &party).await;

        let response = advance(&app, &action.id, "in_progress").await;

        let problem = problem(response, StatusCode::CONFLICT).await;
        let expected = format!("/parties/{}/consent_on", added["id"].as_str().unwrap());
        assert_eq!(pointers(&problem), vec![expected]);
    }

    async fn measurement_before_start_rejected(app) {
        let action = started_action(&app).await;
        let row = json_body(post_officer(&app, &format!("/v1/joint-actions/{}/monitoring-rows", action.id), &monthly_row()).await, StatusCode::CREATED).await;

        let response = post_officer(
            &app,
            &format!("/v1/joint-actions/{}/monitoring-rows/{}/measurements", action.id, row["id"].as_str().unwrap()),
            &json!({"indicator": "Участники", "measured_on": "2019-03-01", "value": 500}),
        ).await;

        assert_eq!(pointers(&problem(response, StatusCode::UNPROCESSABLE_ENTITY).await), vec!["/measured_on"]);
    }

    async fn party_patch_needs_if_match(app) {
        let action = ready_action(&app).await;

        let response = app.client
            .patch(app.url(&format!("/v1/joint-actions/{}/parties/{}", action.id, action.body_party_id)))
            .bearer_auth(app.officer(BODY))
            .json(&json!({"representative": "Другой человек"}))
            .send().await.unwrap();

        problem(response, StatusCode::PRECONDITION_REQUIRED).await;
    }

    async fn unknown_territory_rejected(app) {
        let mut body = action_body();
        body["territory"] = json!("999999999");

        let response = post_officer(&app, "/v1/joint-actions", &body).await;

        assert_eq!(pointers(&problem(response, StatusCode::UNPROCESSABLE_ENTITY).await), vec!["/territory"]);
    }

    async fn same_body_party_twice_conflicts(app) {
        let id = id_of(&create_action(&app, &action_body()).await);
        add_party(&app, &id, &body_party_body()).await;

        let again = post_party(&app, &id, &body_party_body()).await;

        problem(again, StatusCode::CONFLICT).await;
    }

    async fn action_patched_while_open(app) {
        let id = id_of(&create_action(&app, &json!({"title": "Лагерь", "initiator": "officer"})).await);

        let patched = patch_action(&app, &id, &json!({"goals": ["Отдых подростков"], "tasks": ["Три смены"]})).await;
        let unchanged = patch_action(&app, &id, &json!({})).await;

        let patched = json_body(patched, StatusCode::OK).await;
        assert_eq!(patched["goals"], json!(["Отдых подростков"]));
        assert_eq!(patched["version"], 2);
        let unchanged = json_body(unchanged, StatusCode::OK).await;
        assert_eq!(unchanged["version"], 2);
    }

    async fn running_action_not_patched(app) {
        let action = started_action(&app).await;

        let response = patch_action(&app, &action.id, &json!({"title": "Другое"})).await;

        problem(response, StatusCode::CONFLICT).await;
    }

    async fn meeting_staff_over_limit(app) {
        let group = json_body(post_officer(&app, "/v1/working-groups", &json!({"name": "Группа", "origin": "created"})).await, StatusCode::CREATED).await;
        let staff: Vec<String> = (0..21).map(|i| format!("Сотрудник {i}")).collect();

        let response = post_officer(
            &app,
            &format!("/v1/working-groups/{}/meetings", group["id"].as_str().unwrap()),
            &json!({"held_on": "2026-11-10", "form": "Круглый стол", "participant_categories": ["npo"], "responsible_staff": staff}),
        ).await;

        assert_eq!(pointers(&problem(response, StatusCode::UNPROCESSABLE_ENTITY).await), vec!["/responsible_staff"]);
    }

    async fn closed_group_takes_no_meeting(app) {
        let group = json_body(post_officer(&app, "/v1/working-groups", &json!({"name": "Группа", "origin": "created"})).await, StatusCode::CREATED).await;
        let group_id = group["id"].as_str().unwrap();
        json_body(post_officer(&app, &format!("/v1/working-groups/{group_id}/reports"),
            &json!({"kind": "final", "reported_on": "2026-11-30", "summary": "Итоги"})).await, StatusCode::CREATED).await;

        let response = post_officer(
            &app,
            &format!("/v1/working-groups/{group_id}/meetings"),
            &json!({"held_on": "2026-11-10", "form": "Круглый стол", "participant_categories": ["npo"], "responsible_staff": ["Сотрудник"]}),
        ).await;

        problem(response, StatusCode::CONFLICT).await;
    }

    async fn future_report_rejected(app) {
        let group = json_body(post_officer(&app, "/v1/working-groups", &json!({"name": "Группа", "origin": "created"})).await, StatusCode::CREATED).await;

        let response = post_officer(
            &app,
            &format!("/v1/working-groups/{}/reports", group["id"].as_str().unwrap()),
            &json!({"kind": "intermediate", "reported_on": "2099-01-01", "summary": "Итоги"}),
        ).await;

        assert_eq!(pointers(&problem(response, StatusCode::UNPROCESSABLE_ENTITY).await), vec!["/reported_on"]);
    }

    async fn approved_plan_not_emptied(app) {
        let created = post_officer(&app, "/v1/joint-plans", &json!({"title": "План", "rows": [{"activity": "Форум"}]})).await;
        let etag = created.headers()["etag"].to_str().unwrap().to_owned();
        let plan = json_body(created, StatusCode::CREATED).await;
        let path = format!("/v1/joint-plans/{}", plan["id"].as_str().unwrap());
        let approved = app.client.post(app.url(&format!("{path}/approval"))).bearer_auth(app.officer(BODY))
            .header("If-Match", etag).send().await.unwrap();
        let etag = approved.headers()["etag"].to_str().unwrap().to_owned();

        let emptied = app.client.put(app.url(&format!("{path}/rows"))).bearer_auth(app.officer(BODY))
            .header("If-Match", etag).json(&json!({"rows": []})).send().await.unwrap();

        problem(emptied, StatusCode::CONFLICT).await;
        let after = get_json(&app, &path, Some(&app.officer(BODY))).await;
        assert_eq!(after["rows"].as_array().unwrap().len(), 1);
    }

    async fn overdue_list_rejects_unknown_parameter(app) {
        let response = app.client.get(app.url("/v1/joint-actions-overdue-measurements?bogus=1"))
            .bearer_auth(app.officer(BODY)).send().await.unwrap();

        problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    }

    async fn step_and_party_removed_while_open(app) {
        let action = ready_action(&app).await;
        let read = get_json(&app, &format!("/v1/joint-actions/{}", action.id), Some(&app.officer(BODY))).await;
        let step_id = read["steps"][0]["id"].as_str().unwrap().to_owned();
        let path = format!("/v1/joint-actions/{}", action.id);

        let unconditional = app.client.delete(app.url(&format!("{path}/steps/{step_id}")))
            .bearer_auth(app.officer(BODY)).send().await.unwrap();
        let step = app.client.delete(app.url(&format!("{path}/steps/{step_id}")))
            .bearer_auth(app.officer(BODY)).header("If-Match", current_etag(&app, &action.id).await).send().await.unwrap();
        let party = app.client.delete(app.url(&format!("{path}/parties/{}", action.body_party_id)))
            .bearer_auth(app.officer(BODY)).header("If-Match", current_etag(&app, &action.id).await).send().await.unwrap();

        problem(unconditional, StatusCode::PRECONDITION_REQUIRED).await;
        assert_eq!(step.status(), StatusCode::NO_CONTENT);
        assert_eq!(party.status(), StatusCode::NO_CONTENT);
        let after = get_json(&app, &path, Some(&app.officer(BODY))).await;
        assert_eq!(after["steps"], json!([]));
        assert_eq!(after["parties"].as_array().unwrap().len(), 1);
    }

    async fn parts_fixed_once_started(app) {
        let action = started_action(&app).await;
        let path = format!("/v1/joint-actions/{}/parties/{}", action.id, action.body_party_id);

        let response = app.client.delete(app.url(&path)).bearer_auth(app.officer(BODY))
            .header("If-Match", current_etag(&app, &action.id).await).send().await.unwrap();

        problem(response, StatusCode::CONFLICT).await;
    }
}
