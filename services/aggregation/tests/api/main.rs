//! HTTP tests of the aggregation service against a real server, with the registry
//! serving KATO territory lookups, on SQLite and on PostgreSQL.

mod analytics;
mod bodies;
mod competence;
mod compliance;
mod dashboard;
mod dead_letters;
mod dismissal_event;
mod figures_changes;
mod figures_reference;
mod head_meetings;
mod information_requests;
mod metrics;
mod officers;
mod photos;
mod platform;
mod profiles;
mod readmodels;
mod reports;

use chrono::{Duration, NaiveDate};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use service_kit::testing::{EventObserver, TestApp};
pub use service_kit::testing::{pointers, problem};

/// Services every test starts. The aggregation service checks territories in the registry.
pub const SERVICES: &[service_kit::ServiceDef] = &[registry::SERVICE, ::aggregation::SERVICE];

/// KATO code of the Ulytau region.
pub const ULYTAU_REGION: &str = "620000000";

/// KATO code of the Ulytau district inside the Ulytau region.
pub const ULYTAU_DISTRICT: &str = "623800000";

/// KATO code of the village of Ulytau inside the Ulytau district.
pub const ULYTAU_VILLAGE: &str = "623830100";

/// KATO code of the Yesil district of Astana.
pub const ASTANA_YESIL: &str = "711210000";

/// Returns today's date in Kazakhstan, which has been on UTC+5 since 1 March 2024.
pub fn today_in_kazakhstan() -> NaiveDate {
    (chrono::Utc::now() + Duration::hours(5)).date_naive()
}

/// Reads a JSON body, failing the test unless the status is `expected`.
pub async fn json_body(response: Response, expected: StatusCode) -> Value {
    let url = response.url().to_string();
    let status = response.status();
    let text = response.text().await.expect("a body");
    assert_eq!(status, expected, "{url}: {text}");
    serde_json::from_str(&text).expect("a JSON body")
}

/// Sends a GET of `path`, with `token` when one is given.
pub async fn get(app: &TestApp, path: &str, token: Option<&str>) -> Response {
    let mut request = app.client.get(app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("the server responds")
}

/// Sends a POST of `body` to `path` as `token`, with `If-Match` when `etag` is given.
pub async fn post_as(
    app: &TestApp,
    path: &str,
    token: &str,
    etag: Option<&str>,
    body: &Value,
) -> Response {
    let mut request = app.client.post(app.url(path)).bearer_auth(token).json(body);
    if let Some(etag) = etag {
        request = request.header("If-Match", etag);
    }
    request.send().await.expect("the server responds")
}

/// Builds a body of `level` competent in `spheres`, with `territory` when given.
pub fn body_input(id: &str, level: &str, territory: Option<&str>, spheres: &[&str]) -> Value {
    let mut body = json!({
        "id": id,
        "name_ru": format!("Орган {id}"),
        "name_kk": format!("{id} органы"),
        "level": level,
        "spheres": spheres,
    });
    if let Some(territory) = territory {
        body["territory"] = json!(territory);
    }
    body
}

/// Adds a body to the register as the ministry, failing the test unless it was created.
pub async fn create_body(app: &TestApp, body: &Value) -> Value {
    let response = post_as(app, "/v1/government-bodies", &app.ministry(), None, body).await;
    json_body(response, StatusCode::CREATED).await
}

/// Adds a district akimat of the Ulytau district competent in youth matters.
pub async fn create_district(app: &TestApp, id: &str) -> Value {
    create_body(
        app,
        &body_input(id, "district", Some(ULYTAU_DISTRICT), &["youth"]),
    )
    .await
}

/// Builds an appointment of `officer` to `position`.
pub fn appointment(officer: &str, full_name: &str, position: &str) -> Value {
    json!({
        "officer": officer,
        "full_name": full_name,
        "position": position,
        "contacts": {"room": "305", "phone": "+77102123456", "email": "liaison@example.kz"},
        "reception_schedule": "Вторник, 15:00–18:00"
    })
}

/// Sends an appointment `body` to body `id` as the ministry.
pub async fn appoint(app: &TestApp, id: &str, body: &Value) -> Response {
    let path = format!("/v1/government-bodies/{id}/officer");
    post_as(app, &path, &app.ministry(), None, body).await
}

/// Reads the current ETag of body `id`.
pub async fn current_etag(app: &TestApp, id: &str) -> String {
    let response = get(app, &format!("/v1/government-bodies/{id}"), None).await;
    assert_eq!(response.status(), StatusCode::OK, "body {id} is readable");
    response
        .headers()
        .get("etag")
        .expect("the response has an ETag")
        .to_str()
        .expect("an ASCII ETag")
        .to_owned()
}

/// Sends `body` to the officer `action` (`replacement` or `dismissal`) of body `id` as
/// the ministry, with the body's current ETag.
pub async fn officer_change(app: &TestApp, id: &str, action: &str, body: &Value) -> Response {
    let etag = current_etag(app, id).await;
    let path = format!("/v1/government-bodies/{id}/officer/{action}");
    post_as(app, &path, &app.ministry(), Some(&etag), body).await
}

/// Waits for the event of `event_type` whose payload names body `id` and returns its
/// payload. Events about other bodies are skipped, because on the in-process bus an
/// event sent before `observe` may still arrive after it.
pub async fn expect_event_for(events: &mut EventObserver, event_type: &str, id: &str) -> Value {
    loop {
        let payload = events.expect(event_type).await.event.payload;
        if payload["government_body"] == id {
            return payload;
        }
    }
}

/// Returns the values of `field` of every item of a `{items}` page, as strings.
pub fn item_strings(page: &Value, field: &str) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("a page with items")
        .iter()
        .map(|item| item[field].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Subject of the officer tokens that `TestApp::officer` mints.
pub const OFFICER_SUBJECT: &str = "test-officer";

/// Adds a district body `id` and appoints to it the officer whose tokens
/// `TestApp::officer` mints.
pub async fn staffed_district(app: &TestApp, id: &str) {
    create_district(app, id).await;
    let input = appointment(OFFICER_SUBJECT, "Ерлан Мұханов", "deputy_akim");
    let response = appoint(app, id, &input).await;
    assert_eq!(
        response.status(),
        StatusCode::CREATED,
        "body {id} gets an officer"
    );
}

/// Mints a token of an officer of `body` with the subject `subject`.
pub fn officer_token(app: &TestApp, subject: &str, body: &str) -> String {
    let request = service_kit::auth::TokenRequest {
        subject: subject.to_owned(),
        name: None,
        role: service_kit::Role::Officer,
        body: Some(body.to_owned()),
        bin: None,
    };
    app.key()
        .mint(
            &app.settings,
            &request,
            std::time::Duration::from_secs(3600),
        )
        .expect("a token can be minted")
}

/// Returns the value of header `name`, failing the test without one.
pub fn header(response: &Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .unwrap_or_else(|| panic!("the response has a {name} header"))
        .to_str()
        .expect("an ASCII header")
        .to_owned()
}
