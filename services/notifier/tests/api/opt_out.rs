use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use service_kit::Role;

use crate::{
    event, json_body, mail_tests, opt_out_token, problem, register_npo, wait_for_notifications,
};

fn reception(request_id: &str) -> Value {
    json!({
        "request_id": request_id,
        "government_body": "ulytau-akimat",
        "requested_on": "2027-03-01",
        "status": "appointed",
        "appointed_on": "2027-03-25",
        "npo_id": "npo-a",
        "place": "каб. 305"
    })
}

mail_tests! {
    async fn opt_out_link_stops_mail(app, sink) {
        register_npo(&app, "npo-a", "031240100010", Some("Fund-A@example.kz"), &["youth"]).await;
        app.publish(&event("recommendations.reception.appointed", "recommendations", reception("r-1"))).await;
        let first = sink.wait_for(1).await;
        let token = opt_out_token(&first[0].text);

        let response = app.client.post(app.url("/v1/opt-outs")).json(&json!({"token": token})).send().await.expect("the server responds");
        let body = json_body(response, StatusCode::OK).await;
        app.publish(&event("recommendations.reception.appointed", "recommendations", reception("r-2"))).await;
        let skipped = wait_for_notifications(&app, "?status=skipped", 1).await;
        tokio::time::sleep(Duration::from_millis(800)).await;

        assert_eq!(body["addresses"], json!(["fund-a@example.kz"]));
        assert_eq!(skipped[0]["skip_reason"], "opted_out");
        assert_eq!(sink.messages().len(), 1, "no mail after the opt-out");
    }

    async fn npo_user_opts_out_own_address(app, sink) {
        register_npo(&app, "npo-a", "031240100010", Some("fund-a@example.kz"), &["youth"]).await;
        register_npo(&app, "npo-b", "940140000385", Some("fund-b@example.kz"), &["youth"]).await;
        let npo = app.token(Role::Npo, None, Some("031240100010"));

        let response = app.client.post(app.url("/v1/opt-outs")).bearer_auth(&npo).json(&json!({})).send().await.expect("the server responds");
        let body = json_body(response, StatusCode::OK).await;
        let request = json!({
            "request_id": "request-3", "government_body": "ulytau-akimat", "sphere": "youth",
            "deadline": "2027-05-15", "invited_npo_ids": []
        });
        app.publish(&event("recommendations.request.published", "recommendations", request)).await;
        let mail = sink.wait_for(1).await;
        wait_for_notifications(&app, "?status=skipped", 1).await;

        assert_eq!(body["addresses"], json!(["fund-a@example.kz"]));
        assert_eq!(mail.len(), 1);
        assert_eq!(mail[0].envelope_to, "fund-b@example.kz");
    }

    async fn forged_token_rejected(app, sink) {
        register_npo(&app, "npo-a", "031240100010", Some("fund-a@example.kz"), &["youth"]).await;
        app.publish(&event("recommendations.reception.appointed", "recommendations", reception("r-1"))).await;
        let token = opt_out_token(&sink.wait_for(1).await[0].text);
        let (_, tag) = token.split_once('.').expect("address and tag");
        // The address "other@example.kz" in URL-safe base64, with the first address's tag.
        let forged = format!("b3RoZXJAZXhhbXBsZS5reg.{tag}");

        let forged = app.client.post(app.url("/v1/opt-outs")).json(&json!({"token": forged})).send().await.expect("the server responds");
        let missing = app.client.post(app.url("/v1/opt-outs")).json(&json!({})).send().await.expect("the server responds");
        let officer = app.client.post(app.url("/v1/opt-outs")).bearer_auth(app.officer("ulytau-akimat")).json(&json!({})).send().await.expect("the server responds");

        let forged = problem(forged, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(crate::pointers(&forged), ["#/token"]);
        let missing = problem(missing, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(crate::pointers(&missing), ["#/token"]);
        problem(officer, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(wait_for_notifications(&app, "?status=skipped", 0).await.is_empty());
    }
}

#[tokio::test]
async fn opt_out_page_posts_on_confirmation() {
    let app = service_kit::testing::TestApp::spawn(
        &[notifier::SERVICE],
        service_kit::testing::TestBackend::Sqlite,
    )
    .await
    .unwrap();
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    let bare = no_redirects
        .get(app.url("/opt-out?token=abc"))
        .send()
        .await
        .unwrap();
    let page = app
        .client
        .get(app.url("/opt-out/?token=abc"))
        .send()
        .await
        .unwrap();
    let page_headers = page.headers().clone();
    let html = page.text().await.unwrap();
    let script = app
        .client
        .get(app.url("/opt-out/opt-out.js"))
        .send()
        .await
        .unwrap();
    let script_type = script.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    let js = script.text().await.unwrap();
    let unknown = app
        .client
        .get(app.url("/opt-out/../v1/notifications"))
        .send()
        .await
        .unwrap();

    assert_eq!(bare.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(bare.headers()["location"], "/opt-out/?token=abc");
    assert!(
        page_headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert_eq!(page_headers["referrer-policy"], "no-referrer");
    assert!(
        page_headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("connect-src 'self'")
    );
    assert!(html.contains("<script src=\"opt-out.js\">"), "{html}");
    assert!(script_type.starts_with("text/javascript"));
    assert!(
        js.contains("\"../v1/opt-outs\""),
        "the page posts to the opt-out route"
    );
    assert!(
        js.contains("method: \"POST\""),
        "opening the page alone posts nothing"
    );
    assert_ne!(unknown.status(), StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn default_link_opens_the_page() {
    let settings = notifier::domain::settings::NotifierSettings::from_settings(
        &service_kit::Settings::from_lookup(|_| None).unwrap(),
    )
    .unwrap();

    assert_eq!(
        settings.opt_out_link("t"),
        "http://127.0.0.1:8080/opt-out/?token=t"
    );
}
