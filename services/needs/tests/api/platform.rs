use serde_json::Value;
use service_kit::Settings;
use service_kit::testing::{TestApp, TestBackend};

use crate::SERVICES;

#[tokio::test]
async fn checked_in_openapi_is_current() {
    let app = TestApp::spawn(SERVICES, TestBackend::Sqlite).await.unwrap();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi/needs.json");
    let checked_in: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("openapi/needs.json exists"))
            .expect("openapi/needs.json is JSON");

    let served: Value = app
        .client
        .get(app.url("/openapi/needs.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    assert!(
        checked_in == served,
        "openapi/needs.json is stale: run `make openapi` and commit the result"
    );
    app.stop().await;
}

#[tokio::test]
async fn start_without_registry_address_fails() {
    let data = tempfile::tempdir().unwrap();
    let settings = Settings::from_lookup(|name| match name {
        "LIAISON_DATA_DIR" => Some(data.path().display().to_string()),
        "LIAISON_LISTEN" => Some("127.0.0.1:0".into()),
        _ => None,
    })
    .unwrap();

    let error = service_kit::app::start(settings, &[needs::SERVICE], false)
        .await
        .expect_err("the needs service cannot run without a way to reach the registry");

    let message = error.to_string();
    assert!(
        message.contains("LIAISON_SERVICE_URL_REGISTRY"),
        "{message}"
    );
}

#[tokio::test]
async fn service_url_with_path_rejected() {
    let data = tempfile::tempdir().unwrap();
    let mut settings = Settings::from_lookup(|name| match name {
        "LIAISON_DATA_DIR" => Some(data.path().display().to_string()),
        "LIAISON_LISTEN" => Some("127.0.0.1:0".into()),
        _ => None,
    })
    .unwrap();
    settings.service_urls = vec![("registry".into(), "http://127.0.0.1:9/v1".into())];

    let error = service_kit::app::start(settings, &[needs::SERVICE], false)
        .await
        .expect_err("a registry address with a path is rejected at start");

    let message = error.to_string();
    assert!(
        message.contains("LIAISON_SERVICE_URL_REGISTRY"),
        "{message}"
    );
}
