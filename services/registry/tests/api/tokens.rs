use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::StatusCode;
use service_kit::auth::{Claims, Role};
use service_kit::backend_tests;
use service_kit::testing::TestApp;

use crate::{SERVICES, minimal_npo, problem};

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

async fn rejected(app: &TestApp, token: &str) {
    let response = app
        .client
        .post(app.url("/v1/npos"))
        .bearer_auth(token)
        .json(&minimal_npo("Фонд"))
        .send()
        .await
        .unwrap();
    problem(response, StatusCode::UNAUTHORIZED).await;
}

backend_tests! {
    services: SERVICES;

    async fn hostile_tokens_rejected(app) {
        let now = jsonwebtoken::get_current_timestamp();
        let sign = |claims: &Claims| app.key().sign(claims).unwrap();
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims(&app)).unwrap());
        let hs256 = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &claims(&app),
            &jsonwebtoken::EncodingKey::from_secret(app.key().public_pem().as_bytes()).unwrap(),
        ).unwrap();

        rejected(&app, &format!("{header}.{payload}.")).await;
        rejected(&app, &hs256).await;
        rejected(&app, &sign(&Claims { exp: now - 3600, ..claims(&app) })).await;
        rejected(&app, &sign(&Claims { nbf: Some(now + 3600), ..claims(&app) })).await;
        rejected(&app, &sign(&Claims { iss: "someone-else".into(), ..claims(&app) })).await;
        rejected(&app, &sign(&Claims { aud: "another-api".into(), ..claims(&app) })).await;
        rejected(&app, &sign(&Claims { sub: "a\u{0}b".into(), ..claims(&app) })).await;
        rejected(&app, &sign(&Claims { body: None, ..claims(&app) })).await;
        rejected(&app, "not.a.token").await;
        rejected(&app, &"a".repeat(100_000)).await;
        let no_scheme = app.client.post(app.url("/v1/npos")).header("authorization", "Token abc").json(&minimal_npo("Фонд")).send().await.unwrap();
        problem(no_scheme, StatusCode::UNAUTHORIZED).await;
    }

    async fn valid_token_accepted(app) {
        let token = app.key().sign(&claims(&app)).unwrap();
        let audiences = service_kit::auth::Audience::Many(vec!["other".into(), app.settings.jwt_audience.clone()]);
        let listed = app.key().sign(&Claims { aud: audiences, iat: 0, ..claims(&app) }).unwrap();

        let response = app.client.post(app.url("/v1/npos")).bearer_auth(token).json(&minimal_npo("Фонд")).send().await.unwrap();
        let second = app.client.post(app.url("/v1/npos")).bearer_auth(listed).json(&minimal_npo("Фонд 2")).send().await.unwrap();

        assert_eq!(response.status(), StatusCode::CREATED);
        assert_eq!(second.status(), StatusCode::CREATED);
    }
}
