use reqwest::StatusCode;
use serde_json::{Value, json};
use service_kit::backend_tests;
use service_kit::testing::TestApp;

use crate::{
    BODY, NPO_BIN, OTHER_BODY, OTHER_NPO_BIN, SERVICES, add_priority, advance_through,
    complete_assessment_body, create_assessment, get_json, id_of, item_strings, json_body,
    npo_proposal_body, npo_token, pointers, post_npo_proposal, priority_body, problem,
    register_npo,
};

/// Sends a joint action proposal of the priorities `priority_ids` as the officer of `BODY`.
async fn post_joint_proposal(app: &TestApp, id: &str, priority_ids: Value) -> reqwest::Response {
    app.client
        .post(app.url(&format!(
            "/v1/needs-assessments/{id}/joint-action-proposals"
        )))
        .bearer_auth(app.officer(BODY))
        .json(&json!({
            "title": "Кружки при школах",
            "description": "Открыть кружки через государственный социальный заказ",
            "addressees": ["Управление образования"],
            "priority_ids": priority_ids
        }))
        .send()
        .await
        .expect("the server responds")
}

/// Sends the approval of a joint action proposal as the officer of `BODY`.
async fn approve(app: &TestApp, id: &str, proposal_id: &str) -> reqwest::Response {
    app.client
        .post(app.url(&format!(
            "/v1/needs-assessments/{id}/joint-action-proposals/{proposal_id}/approval"
        )))
        .bearer_auth(app.officer(BODY))
        .json(&json!({
            "approved_on": "2024-07-01",
            "approved_by": "Заместитель акима",
            "document": "Протокол №5"
        }))
        .send()
        .await
        .expect("the server responds")
}

/// Creates a complete assessment with one priority, moves it through `statuses`, and
/// returns the ids of the assessment and of the priority.
async fn assessment_with_priority(app: &TestApp, statuses: &[&str]) -> (String, String) {
    let id = id_of(&create_assessment(app, &complete_assessment_body()).await);
    let priority = add_priority(
        app,
        &id,
        &priority_body("Не хватает мест в кружках", "high", Some(4200)),
    )
    .await;
    advance_through(app, &id, statuses).await;
    (id, id_of(&priority))
}

/// Creates a complete assessment and moves it to collecting, when NPOs may send proposals.
async fn collecting_assessment(app: &TestApp) -> String {
    let id = id_of(&create_assessment(app, &complete_assessment_body()).await);
    advance_through(app, &id, &["collecting"]).await;
    id
}

backend_tests! {
    services: SERVICES;

    async fn joint_proposal_needs_analysis(app) {
        let (id, priority_id) = assessment_with_priority(&app, &[]).await;

        let in_draft = post_joint_proposal(&app, &id, json!([priority_id])).await;
        advance_through(&app, &id, &["collecting"]).await;
        let in_collecting = post_joint_proposal(&app, &id, json!([priority_id])).await;

        problem(in_draft, StatusCode::CONFLICT).await;
        problem(in_collecting, StatusCode::CONFLICT).await;
        let listed = get_json(&app, &format!("/v1/needs-assessments/{id}/joint-action-proposals"), Some(&app.officer(BODY))).await;
        assert_eq!(listed["items"], json!([]));
    }

    async fn joint_proposal_agreed_once(app) {
        let (id, priority_id) = assessment_with_priority(&app, &["collecting", "analysed"]).await;
        let mut events = app.observe(&["needs.proposal.agreed"]).await;
        let list_path = format!("/v1/needs-assessments/{id}/joint-action-proposals");

        let created = json_body(post_joint_proposal(&app, &id, json!([priority_id])).await, StatusCode::CREATED).await;
        let proposal_id = id_of(&created);
        let agreed = json_body(approve(&app, &id, &proposal_id).await, StatusCode::OK).await;
        let again = approve(&app, &id, &proposal_id).await;

        assert_eq!(created["status"], "draft");
        assert_eq!(created["priority_ids"], json!([priority_id]));
        assert_eq!(agreed["status"], "agreed");
        assert_eq!(agreed["approved_on"], "2024-07-01");
        assert_eq!(agreed["document"], "Протокол №5");
        problem(again, StatusCode::CONFLICT).await;
        let observed = events.expect("needs.proposal.agreed").await;
        assert!(observed.event.payload.to_string().contains(&proposal_id), "{}", observed.event.payload);
        events.close().await;
        let by_ministry = get_json(&app, &list_path, Some(&app.ministry())).await;
        assert_eq!(by_ministry["items"][0]["status"], "agreed");
        let by_other_body = app.client.get(app.url(&list_path)).bearer_auth(app.officer(OTHER_BODY)).send().await.unwrap();
        problem(by_other_body, StatusCode::NOT_FOUND).await;
        let by_npo = app.client.get(app.url(&list_path)).bearer_auth(npo_token(&app, NPO_BIN)).send().await.unwrap();
        problem(by_npo, StatusCode::NOT_FOUND).await;
    }

    async fn foreign_priority_ids_rejected(app) {
        let (id, own_priority) = assessment_with_priority(&app, &["collecting", "analysed"]).await;
        let (_, foreign_priority) = assessment_with_priority(&app, &["collecting", "analysed"]).await;

        let foreign = post_joint_proposal(&app, &id, json!([foreign_priority])).await;
        let unknown = post_joint_proposal(&app, &id, json!([own_priority, "0190c1c8-0000-7000-8000-000000000000"])).await;

        assert_eq!(pointers(&problem(foreign, StatusCode::UNPROCESSABLE_ENTITY).await), vec!["/priority_ids/0"]);
        assert_eq!(pointers(&problem(unknown, StatusCode::UNPROCESSABLE_ENTITY).await), vec!["/priority_ids/1"]);
        let listed = get_json(&app, &format!("/v1/needs-assessments/{id}/joint-action-proposals"), Some(&app.officer(BODY))).await;
        assert_eq!(listed["items"], json!([]));
    }

    async fn npo_proposal_links_registered_npo(app) {
        let npo = register_npo(&app, NPO_BIN, "Жастар әлемі").await;
        let id = collecting_assessment(&app).await;

        let response = post_npo_proposal(&app, &id, NPO_BIN, &npo_proposal_body("Открыть кружок робототехники")).await;

        let created = json_body(response, StatusCode::CREATED).await;
        assert_eq!(created["npo_id"], npo["id"]);
        assert_eq!(created["npo_bin"], NPO_BIN);
        assert_eq!(created["npo_name"], "Жастар әлемі");
        assert_eq!(created["text"], "Открыть кружок робототехники");
        let listed = get_json(&app, &format!("/v1/needs-assessments/{id}/npo-proposals"), Some(&app.officer(BODY))).await;
        assert_eq!(listed["items"][0]["id"], created["id"]);
        assert_eq!(listed["items"][0]["contact"]["name"], "Ерлан Мұханов");
    }

    async fn unregistered_bin_rejected(app) {
        register_npo(&app, NPO_BIN, "Жастар әлемі").await;
        let id = collecting_assessment(&app).await;

        let response = post_npo_proposal(&app, &id, OTHER_NPO_BIN, &npo_proposal_body("Открыть кружок")).await;

        let problem = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(pointers(&problem), vec!["#/token/bin"]);
        let listed = get_json(&app, &format!("/v1/needs-assessments/{id}/npo-proposals"), Some(&app.ministry())).await;
        assert_eq!(listed["items"], json!([]));
    }

    async fn npo_proposal_needs_collecting(app) {
        register_npo(&app, NPO_BIN, "Жастар әлемі").await;
        let id = id_of(&create_assessment(&app, &complete_assessment_body()).await);
        let path = format!("/v1/needs-assessments/{id}/npo-proposals");

        let in_draft = post_npo_proposal(&app, &id, NPO_BIN, &npo_proposal_body("Открыть кружок")).await;
        advance_through(&app, &id, &["collecting", "analysed"]).await;
        let after_analysis = post_npo_proposal(&app, &id, NPO_BIN, &npo_proposal_body("Открыть кружок")).await;
        let by_officer = app.client.post(app.url(&path)).bearer_auth(app.officer(BODY))
            .json(&npo_proposal_body("Открыть кружок")).send().await.unwrap();

        problem(in_draft, StatusCode::NOT_FOUND).await;
        problem(after_analysis, StatusCode::CONFLICT).await;
        problem(by_officer, StatusCode::FORBIDDEN).await;
        let listed = get_json(&app, &path, Some(&app.officer(BODY))).await;
        assert_eq!(listed["items"], json!([]));
    }

    async fn npo_sees_only_own_proposals(app) {
        register_npo(&app, NPO_BIN, "Жастар әлемі").await;
        register_npo(&app, OTHER_NPO_BIN, "Қамқорлық қоры").await;
        let id = collecting_assessment(&app).await;
        let path = format!("/v1/needs-assessments/{id}/npo-proposals");
        json_body(post_npo_proposal(&app, &id, NPO_BIN, &npo_proposal_body("Кружок робототехники")).await, StatusCode::CREATED).await;
        json_body(post_npo_proposal(&app, &id, OTHER_NPO_BIN, &npo_proposal_body("Клуб для пожилых")).await, StatusCode::CREATED).await;

        let own = get_json(&app, &path, Some(&npo_token(&app, NPO_BIN))).await;
        let by_officer = get_json(&app, &path, Some(&app.officer(BODY))).await;
        let by_ministry = get_json(&app, &path, Some(&app.ministry())).await;
        let anonymous = app.client.get(app.url(&path)).send().await.unwrap();
        let other_body = app.client.get(app.url(&path)).bearer_auth(app.officer(OTHER_BODY)).send().await.unwrap();

        assert_eq!(item_strings(&own, "text"), vec!["Кружок робототехники"]);
        assert_eq!(item_strings(&own, "npo_bin"), vec![NPO_BIN]);
        assert_eq!(by_officer["items"].as_array().unwrap().len(), 2);
        assert_eq!(by_ministry["items"].as_array().unwrap().len(), 2);
        problem(anonymous, StatusCode::UNAUTHORIZED).await;
        problem(other_body, StatusCode::NOT_FOUND).await;
    }
}
