use reqwest::StatusCode;
use serde_json::{Value, json};
use service_kit::backend_tests;

use crate::{
    BODY, NPO_BIN, OUTSIDE_REGION, SERVICES, activity_body, add_priority, advance_through,
    complete_assessment_body, create_assessment, current_etag, get_json, id_of, json_body,
    npo_proposal_body, npo_token, pointers, post_npo_proposal, priority_body, problem,
    register_npo,
};

async fn patch(app: &service_kit::testing::TestApp, id: &str, body: &Value) -> reqwest::Response {
    let etag = current_etag(app, id).await;
    app.client
        .patch(app.url(&format!("/v1/needs-assessments/{id}")))
        .bearer_auth(app.officer(BODY))
        .header("If-Match", etag)
        .json(body)
        .send()
        .await
        .unwrap()
}

backend_tests! {
    services: SERVICES;

    async fn scope_change_keeps_priorities_inside(app) {
        let id = id_of(&create_assessment(&app, &complete_assessment_body()).await);
        add_priority(&app, &id, &priority_body("Нет кружков", "high", None)).await;

        let narrowed = patch(&app, &id, &json!({"spheres": ["youth"], "territory": OUTSIDE_REGION})).await;

        let found = pointers(&problem(narrowed, StatusCode::UNPROCESSABLE_ENTITY).await);
        assert!(found.contains(&"/spheres".to_owned()), "{found:?}");
        assert!(found.contains(&"/territory".to_owned()), "{found:?}");
        let after = get_json(&app, &format!("/v1/needs-assessments/{id}"), Some(&app.officer(BODY))).await;
        assert_eq!(after["territory"], "620000000");
    }

    async fn empty_patch_keeps_version(app) {
        let id = id_of(&create_assessment(&app, &complete_assessment_body()).await);

        let response = patch(&app, &id, &json!({})).await;

        let body = json_body(response, StatusCode::OK).await;
        assert_eq!(body["version"], 1);
    }

    async fn open_call_hides_draft_report(app) {
        register_npo(&app, NPO_BIN, "Жастар әлемі").await;
        let id = id_of(&create_assessment(&app, &complete_assessment_body()).await);
        advance_through(&app, &id, &["collecting"]).await;
        let npo = npo_token(&app, NPO_BIN);

        let read = get_json(&app, &format!("/v1/needs-assessments/{id}"), Some(&npo)).await;
        let listed = get_json(&app, "/v1/needs-assessments?status=collecting", Some(&npo)).await;

        assert_eq!(read["status"], "collecting");
        assert!(read["report"]["conclusions"].is_null(), "{read}");
        assert!(listed["items"][0]["report"]["conclusions"].is_null());
    }

    async fn npo_proposal_territory_checked(app) {
        register_npo(&app, NPO_BIN, "Жастар әлемі").await;
        let id = id_of(&create_assessment(&app, &complete_assessment_body()).await);
        advance_through(&app, &id, &["collecting"]).await;
        let mut body = npo_proposal_body("Открыть кружок");
        body["territory"] = json!("999999999");

        let response = post_npo_proposal(&app, &id, NPO_BIN, &body).await;

        assert_eq!(pointers(&problem(response, StatusCode::UNPROCESSABLE_ENTITY).await), vec!["/territory"]);
    }

    async fn draft_hidden_from_npo(app) {
        register_npo(&app, NPO_BIN, "Жастар әлемі").await;
        let id = id_of(&create_assessment(&app, &complete_assessment_body()).await);
        let path = format!("/v1/needs-assessments/{id}/npo-proposals");

        let posted = post_npo_proposal(&app, &id, NPO_BIN, &npo_proposal_body("Открыть кружок")).await;
        let listed = app.client.get(app.url(&path)).bearer_auth(npo_token(&app, NPO_BIN)).send().await.unwrap();

        problem(posted, StatusCode::NOT_FOUND).await;
        problem(listed, StatusCode::NOT_FOUND).await;
    }

    async fn future_activity_rejected(app) {
        let id = id_of(&create_assessment(&app, &complete_assessment_body()).await);
        let mut body = activity_body();
        body["held_on"] = json!("2099-01-10");

        let response = app.client.post(app.url(&format!("/v1/needs-assessments/{id}/activities")))
            .bearer_auth(app.officer(BODY)).json(&body).send().await.unwrap();

        assert_eq!(pointers(&problem(response, StatusCode::UNPROCESSABLE_ENTITY).await), vec!["/held_on"]);
    }

    async fn linked_priority_not_deleted(app) {
        let id = id_of(&create_assessment(&app, &complete_assessment_body()).await);
        let priority = add_priority(&app, &id, &priority_body("Нет кружков", "high", None)).await;
        advance_through(&app, &id, &["collecting", "analysed"]).await;
        let proposal = app.client.post(app.url(&format!("/v1/needs-assessments/{id}/joint-action-proposals")))
            .bearer_auth(app.officer(BODY))
            .json(&json!({"title": "Кружки в селах", "priority_ids": [priority["id"]]}))
            .send().await.unwrap();
        json_body(proposal, StatusCode::CREATED).await;

        let deleted = app.client
            .delete(app.url(&format!("/v1/needs-assessments/{id}/priorities/{}", priority["id"].as_str().unwrap())))
            .bearer_auth(app.officer(BODY)).send().await.unwrap();

        problem(deleted, StatusCode::CONFLICT).await;
    }

    async fn deleted_priority_withdrawn(app) {
        let id = id_of(&create_assessment(&app, &complete_assessment_body()).await);
        let priority = add_priority(&app, &id, &priority_body("Нет кружков", "high", None)).await;
        let priority_id = priority["id"].as_str().unwrap().to_owned();
        let mut events = app.observe(&["needs.priority.withdrawn"]).await;

        let deleted = app.client
            .delete(app.url(&format!("/v1/needs-assessments/{id}/priorities/{priority_id}")))
            .bearer_auth(app.officer(BODY)).send().await.unwrap();

        assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
        let observed = events.expect("needs.priority.withdrawn").await;
        assert_eq!(observed.event.payload["priority_id"], priority_id.as_str());
        assert_eq!(observed.event.payload["assessment_id"], id.as_str());
        events.close().await;
    }

    async fn liquidated_npo_cannot_propose(app) {
        let npo = register_npo(&app, NPO_BIN, "Жастар әлемі").await;
        let liquidated = app.client.patch(app.url(&format!("/v1/npos/{}", npo["id"].as_str().unwrap())))
            .bearer_auth(app.officer(BODY)).header("If-Match", "\"1\"")
            .json(&json!({"status": "liquidated", "source": "registration_data"}))
            .send().await.unwrap();
        assert_eq!(liquidated.status(), StatusCode::OK);
        let id = id_of(&create_assessment(&app, &complete_assessment_body()).await);
        advance_through(&app, &id, &["collecting"]).await;

        let response = post_npo_proposal(&app, &id, NPO_BIN, &npo_proposal_body("Открыть кружок")).await;

        assert_eq!(pointers(&problem(response, StatusCode::UNPROCESSABLE_ENTITY).await), vec!["#/token/bin"]);
    }

    async fn approval_before_assessment_rejected(app) {
        let id = id_of(&create_assessment(&app, &complete_assessment_body()).await);
        advance_through(&app, &id, &["collecting", "analysed"]).await;
        let path = format!("/v1/needs-assessments/{id}/joint-action-proposals");
        let proposal = json_body(
            app.client.post(app.url(&path)).bearer_auth(app.officer(BODY))
                .json(&json!({"title": "Кружки в селах"})).send().await.unwrap(),
            StatusCode::CREATED,
        ).await;

        let response = app.client
            .post(app.url(&format!("{path}/{}/approval", proposal["id"].as_str().unwrap())))
            .bearer_auth(app.officer(BODY))
            .json(&json!({"approved_on": "2000-01-01", "approved_by": "Заместитель акима"}))
            .send().await.unwrap();

        assert_eq!(pointers(&problem(response, StatusCode::UNPROCESSABLE_ENTITY).await), vec!["/approved_on"]);
    }
}
