use serde_json::Value;
use service_kit::testing::{TestApp, TestBackend};

use crate::SERVICES;

#[tokio::test]
async fn checked_in_openapi_is_current() {
    let app = TestApp::spawn(SERVICES, TestBackend::Sqlite).await.unwrap();
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../openapi/aggregation.json"
    );
    let checked_in: Value = serde_json::from_str(
        &std::fs::read_to_string(path).expect("openapi/aggregation.json exists"),
    )
    .expect("openapi/aggregation.json is JSON");

    let served: Value = app
        .client
        .get(app.url("/openapi/aggregation.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    assert!(
        checked_in == served,
        "openapi/aggregation.json is stale: run `make openapi` and commit the result"
    );
    app.stop().await;
}
