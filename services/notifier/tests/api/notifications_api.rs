use reqwest::StatusCode;
use serde_json::json;

use crate::{event, get_as, json_body, mail_tests, problem, register_npo, wait_for_notifications};

mail_tests! {
    async fn list_filters_and_access(app, sink) {
        register_npo(&app, "npo-a", "031240100010", Some("fund-a@example.kz"), &["youth"]).await;
        register_npo(&app, "npo-b", "940140000385", Some("fund-b@example.kz"), &["youth"]).await;
        let request = json!({
            "request_id": "request-3", "government_body": "ulytau-akimat", "sphere": "youth",
            "deadline": "2027-05-15", "invited_npo_ids": []
        });
        app.publish(&event("recommendations.request.published", "recommendations", request)).await;
        sink.wait_for(2).await;
        wait_for_notifications(&app, "?status=sent", 2).await;

        let by_recipient = json_body(get_as(&app, "/v1/notifications?recipient=fund-b@example.kz", &app.ministry()).await, StatusCode::OK).await;
        let by_template = json_body(get_as(&app, "/v1/notifications?template=meeting_invitation", &app.ministry()).await, StatusCode::OK).await;
        let paged = json_body(get_as(&app, "/v1/notifications?limit=1", &app.ministry()).await, StatusCode::OK).await;
        let officer = get_as(&app, "/v1/notifications", &app.officer("ulytau-akimat")).await;
        let officer_dead = get_as(&app, "/v1/notifications/dead-letters", &app.officer("ulytau-akimat")).await;
        let anonymous = app.client.get(app.url("/v1/notifications")).send().await.expect("the server responds");
        let bad_status = get_as(&app, "/v1/notifications?status=lost", &app.ministry()).await;
        let bad_template = get_as(&app, "/v1/notifications?template=x", &app.ministry()).await;

        assert_eq!(by_recipient["items"].as_array().map(Vec::len), Some(1));
        assert_eq!(by_recipient["items"][0]["recipient"], "fund-b@example.kz");
        assert!(by_recipient["items"][0].get("body").is_none(), "the list shows no bodies");
        assert_eq!(by_template["items"], json!([]));
        assert_eq!(paged["items"].as_array().map(Vec::len), Some(1));
        assert!(paged["next_cursor"].is_string());
        problem(officer, StatusCode::FORBIDDEN).await;
        problem(officer_dead, StatusCode::FORBIDDEN).await;
        problem(anonymous, StatusCode::UNAUTHORIZED).await;
        let bad_status = problem(bad_status, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(crate::pointers(&bad_status), ["#/query/status"]);
        let bad_template = problem(bad_template, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(crate::pointers(&bad_template), ["#/query/template"]);
    }

    async fn retry_needs_dead_notification(app, sink) {
        register_npo(&app, "npo-a", "031240100010", Some("fund-a@example.kz"), &["youth"]).await;
        let request = json!({
            "request_id": "request-3", "government_body": "ulytau-akimat", "sphere": null,
            "deadline": "2027-05-15", "invited_npo_ids": ["npo-a"]
        });
        app.publish(&event("recommendations.request.published", "recommendations", request)).await;
        sink.wait_for(1).await;
        let sent = wait_for_notifications(&app, "?status=sent", 1).await;
        let id = sent[0]["id"].as_str().expect("an id");

        let again = app.client.post(app.url(&format!("/v1/notifications/{id}/retry"))).bearer_auth(app.ministry()).send().await.expect("the server responds");
        let unknown = app.client.post(app.url("/v1/notifications/0190c1c8-0000-7000-8000-000000000000/retry")).bearer_auth(app.ministry()).send().await.expect("the server responds");
        let officer = app.client.post(app.url(&format!("/v1/notifications/{id}/retry"))).bearer_auth(app.officer("ulytau-akimat")).send().await.expect("the server responds");

        problem(again, StatusCode::CONFLICT).await;
        problem(unknown, StatusCode::NOT_FOUND).await;
        problem(officer, StatusCode::FORBIDDEN).await;
    }
}
