use std::time::Duration;

use actix_web::{App, HttpResponse, HttpServer, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::VerifyingKey;
use ed25519_dalek::pkcs8::DecodePublicKey;
use service_kit::auth::{Claims, DevelopmentKey, Role, Verifier};
use service_kit::{ApiError, Settings};

fn settings(data: &std::path::Path, extra: &[(&str, String)]) -> Settings {
    Settings::from_lookup(|name| {
        if name == "LIAISON_DATA_DIR" {
            return Some(data.display().to_string());
        }
        extra
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.clone())
    })
    .unwrap()
}

fn claims(settings: &Settings) -> Claims {
    let now = jsonwebtoken::get_current_timestamp();
    Claims {
        sub: "partner-system".into(),
        name: None,
        role: Role::Integrator,
        body: None,
        bin: None,
        iss: settings.jwt_issuer.clone(),
        aud: settings.jwt_audience.as_str().into(),
        exp: now + 600,
        iat: now,
        nbf: None,
    }
}

fn is_unauthorized(outcome: Result<service_kit::Caller, ApiError>) -> bool {
    matches!(outcome, Err(ApiError::Unauthorized(_)))
}

#[tokio::test]
async fn pem_key_chosen_by_kid() {
    let issuer_dir = tempfile::tempdir().unwrap();
    let service_dir = tempfile::tempdir().unwrap();
    let issuer = DevelopmentKey::load_or_create(issuer_dir.path()).unwrap();
    // The key id of a PEM file is its stem; the issuer signs with kid "dev".
    let pem_path = service_dir.path().join("dev.pem");
    std::fs::write(&pem_path, issuer.public_pem()).unwrap();
    let settings = settings(
        service_dir.path(),
        &[("LIAISON_JWT_PUBLIC_KEYS", pem_path.display().to_string())],
    );
    let stranger = DevelopmentKey::load_or_create(tempfile::tempdir().unwrap().path()).unwrap();

    let verifier = Verifier::from_settings(&settings).await.unwrap();

    let caller = verifier
        .verify(&issuer.sign(&claims(&settings)).unwrap())
        .await
        .unwrap();
    assert_eq!(caller.role, Role::Integrator);
    assert!(is_unauthorized(
        verifier
            .verify(&stranger.sign(&claims(&settings)).unwrap())
            .await
    ));
    assert!(
        !service_dir.path().join("keys").exists(),
        "no development key is generated when keys are configured"
    );
}

#[tokio::test]
async fn jwks_keys_loaded_by_kid() {
    let issuer_dir = tempfile::tempdir().unwrap();
    let issuer = DevelopmentKey::load_or_create(issuer_dir.path()).unwrap();
    let public = VerifyingKey::from_public_key_pem(issuer.public_pem()).unwrap();
    let jwks = serde_json::json!({
        "keys": [{"kty": "OKP", "crv": "Ed25519", "kid": "dev", "alg": "EdDSA", "use": "sig",
                  "x": URL_SAFE_NO_PAD.encode(public.to_bytes())}]
    });
    let server = HttpServer::new(move || {
        let jwks = jwks.clone();
        App::new().route(
            "/jwks.json",
            web::get().to(move || {
                let jwks = jwks.clone();
                async move { HttpResponse::Ok().json(jwks) }
            }),
        )
    })
    .workers(1)
    .disable_signals()
    .bind("127.0.0.1:0")
    .unwrap();
    let address = server.addrs()[0];
    let running = server.run();
    let handle = running.handle();
    tokio::spawn(running);
    let service_dir = tempfile::tempdir().unwrap();
    let settings = settings(
        service_dir.path(),
        &[(
            "LIAISON_JWT_JWKS_URL",
            format!("http://{address}/jwks.json"),
        )],
    );

    let verifier =
        tokio::time::timeout(Duration::from_secs(10), Verifier::from_settings(&settings))
            .await
            .unwrap()
            .unwrap();

    assert!(
        verifier
            .verify(&issuer.sign(&claims(&settings)).unwrap())
            .await
            .is_ok()
    );
    let stranger = DevelopmentKey::load_or_create(tempfile::tempdir().unwrap().path()).unwrap();
    assert!(is_unauthorized(
        verifier
            .verify(&stranger.sign(&claims(&settings)).unwrap())
            .await
    ));
    handle.stop(true).await;
}

#[tokio::test]
async fn distributed_mode_needs_configured_keys() {
    let dir = tempfile::tempdir().unwrap();
    let distributed = settings(
        dir.path(),
        &[(
            "LIAISON_DATABASE_URL",
            "postgres://postgres@127.0.0.1:5432/liaison_{service}".into(),
        )],
    );

    let outcome = Verifier::from_settings(&distributed).await;

    let message = outcome.unwrap_err().to_string();
    assert!(message.contains("LIAISON_JWT_PUBLIC_KEYS"), "{message}");
    assert!(!dir.path().join("keys").exists());
}

#[tokio::test]
async fn unreadable_key_file_fails_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.pem");
    std::fs::write(&path, "not a key").unwrap();

    let outcome = Verifier::from_settings(&settings(
        dir.path(),
        &[("LIAISON_JWT_PUBLIC_KEYS", path.display().to_string())],
    ))
    .await;

    let message = outcome.unwrap_err().to_string();
    assert!(message.contains("broken.pem"), "{message}");
}
