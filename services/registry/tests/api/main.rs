//! HTTP tests of the registry against a real server, on SQLite and on PostgreSQL.

mod audit;
mod campaigns;
mod catalogues;
mod imports;
mod merges;
mod metrics;
mod npos;
mod open_data;
mod platform;
mod projects;
mod search;
mod territories;
mod tokens;

use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use service_kit::testing::TestApp;
pub use service_kit::testing::{pointers, problem};

/// Services every test starts.
pub const SERVICES: &[service_kit::ServiceDef] = &[registry::SERVICE];

/// Government body of the officer most tests act as.
pub const BODY: &str = "akimat-ulytau";

/// Builds the smallest valid registration body.
pub fn minimal_npo(name_ru: &str) -> Value {
    json!({
        "name_ru": name_ru,
        "legal_form": "public_association",
        "source": "npo_representatives"
    })
}

/// Sends a create request as the officer of `BODY`.
pub async fn post_npo(app: &TestApp, body: &Value) -> Response {
    app.client
        .post(app.url("/v1/npos"))
        .bearer_auth(app.officer(BODY))
        .json(body)
        .send()
        .await
        .expect("the server answers")
}

/// Creates an NPO and returns its card, failing the test unless it was created.
pub async fn create_npo(app: &TestApp, body: &Value) -> Value {
    let response = post_npo(app, body).await;
    let status = response.status();
    let text = response.text().await.expect("a body");
    assert_eq!(status, StatusCode::CREATED, "create failed: {text}");
    serde_json::from_str(&text).expect("a JSON card")
}

/// Counts the NPOs a public list returns (first page of up to 200).
pub async fn count_npos(app: &TestApp) -> usize {
    let page: Value = app
        .client
        .get(app.url("/v1/npos?limit=200"))
        .send()
        .await
        .expect("the server answers")
        .json()
        .await
        .expect("a page");
    page["items"].as_array().map_or(0, Vec::len)
}
