use reqwest::StatusCode;
use service_kit::auth::{Claims, Role};
use service_kit::backend_tests;
use service_kit::testing::TestApp;
use service_kit::testing::tokens::HostileTokens;

use crate::{SERVICES, minimal_npo};

fn claims(app: &TestApp) -> Claims {
    let now = jsonwebtoken::get_current_timestamp();
    Claims {
        sub: "test-officer".into(),
        name: None,
        role: Role::Officer,
        body: Some("akimat".into()),
        bin: None,
        iss: app.settings.jwt_issuer.clone(),
        aud: app.settings.jwt_audience.as_str().into(),
        exp: now + 600,
        iat: now,
        nbf: None,
    }
}

/// Sends `authorization` to a write route and a public read, and returns a line for
/// each response that is not a 401 problem with a detail.
async fn check_rejected(app: &TestApp, name: &str, authorization: &str) -> Vec<String> {
    let write = app
        .client
        .post(app.url("/v1/npos"))
        .header("authorization", authorization)
        .json(&minimal_npo("Фонд"));
    let read = app
        .client
        .get(app.url("/v1/npos"))
        .header("authorization", authorization);
    let mut failures = Vec::new();
    for (route, request) in [("POST /v1/npos", write), ("GET /v1/npos", read)] {
        let response = request.send().await.expect("the server answers");
        let status = response.status();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body: serde_json::Value = response.json().await.unwrap_or_default();
        let problem = status == StatusCode::UNAUTHORIZED
            && content_type == "application/problem+json"
            && body["status"] == 401
            && body["detail"].as_str().is_some_and(|d| !d.is_empty());
        if !problem {
            failures.push(format!("{name} on {route}: {status} {content_type} {body}"));
        }
    }
    failures
}

backend_tests! {
    services: SERVICES;

    async fn hostile_tokens_rejected(app) {
        let hostile = HostileTokens::new(
            app.key(),
            &app.settings.jwt_issuer,
            &app.settings.jwt_audience,
        )
        .expect("the cases can be built");

        let mut failures = Vec::new();
        for case in &hostile.cases {
            failures.extend(check_rejected(&app, case.name, &case.authorization).await);
        }

        assert!(failures.is_empty(), "not rejected with a 401 problem:\n{}", failures.join("\n"));
        assert!(!hostile.kid_url_contacted(), "a key id or key URL was fetched");
        assert_eq!(crate::count_npos(&app).await, 0, "a hostile token created an NPO");
    }

    async fn valid_token_accepted(app) {
        let token = app.key().sign(&claims(&app)).unwrap();
        let audiences = service_kit::auth::Audience::Many(vec!["other".into(), app.settings.jwt_audience.clone()]);
        let listed = app.key().sign(&Claims { aud: audiences, iat: 0, ..claims(&app) }).unwrap();
        let skewed_now = jsonwebtoken::get_current_timestamp() + 10;
        let skewed = app.key().sign(&Claims { iat: skewed_now, ..claims(&app) }).unwrap();

        let response = app.client.post(app.url("/v1/npos")).bearer_auth(token).json(&minimal_npo("Фонд")).send().await.unwrap();
        let second = app.client.post(app.url("/v1/npos")).bearer_auth(listed).json(&minimal_npo("Фонд 2")).send().await.unwrap();
        let third = app.client.post(app.url("/v1/npos")).bearer_auth(skewed).json(&minimal_npo("Фонд 3")).send().await.unwrap();

        assert_eq!(response.status(), StatusCode::CREATED);
        assert_eq!(second.status(), StatusCode::CREATED);
        assert_eq!(third.status(), StatusCode::CREATED, "an issue time within the leeway is accepted");
    }
}
