//! HTTP tests of the registry against a real server, on SQLite and on PostgreSQL.

mod campaigns;
mod catalogues;
mod imports;
mod merges;
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

/// Reads a problem body and checks its media type and status.
pub async fn problem(response: Response, status: StatusCode) -> Value {
    let url = response.url().to_string();
    let actual = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body: Value = response.json().await.expect("a problem body");
    assert_eq!(actual, status, "{url}: {body}");
    assert_eq!(content_type, "application/problem+json");
    body
}

/// JSON pointers of the invalid fields a problem lists.
pub fn pointers(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| e["pointer"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
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
