//! HTTP tests of the recommendations service against a real server, with the registry
//! serving NPO lookups, on SQLite and on PostgreSQL.

mod calls;
mod correspondence;
mod events;
mod exchanges;
mod experts;
mod platform;
mod receptions;
mod recommendations;
mod routing;

use chrono::{Duration, Months, NaiveDate};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use service_kit::Role;
use service_kit::auth::TokenRequest;
use service_kit::testing::{EventObserver, TestApp};
pub use service_kit::testing::{pointers, problem};

/// Services every test starts. The recommendations service calls the registry for NPO lookups.
pub const SERVICES: &[service_kit::ServiceDef] = &[registry::SERVICE, ::recommendations::SERVICE];

/// Government body of the officer most tests act as.
pub const BODY: &str = "akimat-ulytau";

/// Another government body, whose officer must not see the records of `BODY`.
pub const OTHER_BODY: &str = "akimat-astana";

/// BIN of the NPO that submits recommendations in most tests.
pub const NPO_BIN: &str = "940140000385";

/// Registered name of the NPO with `NPO_BIN`.
pub const NPO_NAME: &str = "Жастар әлемі";

/// BIN of a second registered NPO, which must not see the records of the first.
pub const OTHER_NPO_BIN: &str = "171140900016";

/// Registered name of the NPO with `OTHER_NPO_BIN`.
pub const OTHER_NPO_NAME: &str = "Қамқорлық қоры";

/// Returns today's date in Kazakhstan, which has been on UTC+5 since 1 March 2024.
pub fn today_in_kazakhstan() -> NaiveDate {
    (chrono::Utc::now() + Duration::hours(5)).date_naive()
}

/// Returns the date one calendar month after `date`, clamped to the end of a shorter month.
pub fn one_month_after(date: NaiveDate) -> NaiveDate {
    date.checked_add_months(Months::new(1))
        .expect("the date plus a month is representable")
}

/// Returns the `id` of a created resource.
pub fn id_of(resource: &Value) -> String {
    resource["id"]
        .as_str()
        .expect("the resource has a string id")
        .to_owned()
}

/// Reads a JSON body, failing the test unless the status is `expected`.
pub async fn json_body(response: Response, expected: StatusCode) -> Value {
    let url = response.url().to_string();
    let status = response.status();
    let text = response.text().await.expect("a body");
    assert_eq!(status, expected, "{url}: {text}");
    serde_json::from_str(&text).expect("a JSON body")
}

/// Sends a GET of `path` as `token`.
pub async fn get_as(app: &TestApp, path: &str, token: &str) -> Response {
    app.client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("the server responds")
}

/// Sends a GET of `path` as `token` and returns the JSON of a 200.
pub async fn get_json(app: &TestApp, path: &str, token: &str) -> Value {
    json_body(get_as(app, path, token).await, StatusCode::OK).await
}

/// Sends a POST of `body` to `path` as `token`.
pub async fn post_as(app: &TestApp, path: &str, token: &str, body: &Value) -> Response {
    app.client
        .post(app.url(path))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .expect("the server responds")
}

/// Sends a POST of `body` to `path` as the officer of `BODY`.
pub async fn post_officer(app: &TestApp, path: &str, body: &Value) -> Response {
    post_as(app, path, &app.officer(BODY), body).await
}

/// Registers an NPO with `bin` in the registry as the officer of `BODY` and returns its card.
pub async fn register_npo(app: &TestApp, bin: &str, name: &str) -> Value {
    let body = json!({
        "bin": bin,
        "name_ru": name,
        "legal_form": "public_association",
        "source": "npo_representatives"
    });
    json_body(
        post_officer(app, "/v1/npos", &body).await,
        StatusCode::CREATED,
    )
    .await
}

/// Mints an officer token of `body` with its own subject and name claim.
pub fn officer_token(app: &TestApp, body: &str, subject: &str, name: Option<&str>) -> String {
    let request = TokenRequest {
        subject: subject.to_owned(),
        name: name.map(str::to_owned),
        role: Role::Officer,
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

/// Mints a token of an NPO user whose organisation has `bin`.
pub fn npo_token(app: &TestApp, bin: &str) -> String {
    app.token(Role::Npo, None, Some(bin))
}

/// Builds the contact details of the person who wrote a recommendation.
pub fn contacts() -> Value {
    json!({
        "name": "Ерлан Мұханов",
        "phone": "+77011234567",
        "email": "erlan@example.kz"
    })
}

/// `contacts()` as events carry them: the parts given, separated by commas.
pub const CONTACTS_LINE: &str = "Ерлан Мұханов, +77011234567, erlan@example.kz";

/// Builds a recommendation that an NPO user submits to `BODY`.
pub fn recommendation_body() -> Value {
    json!({
        "government_body": BODY,
        "sphere": "youth",
        "text": "Открыть молодёжный центр в посёлке Жезды",
        "contacts": contacts()
    })
}

/// Sends `body` to the recommendations endpoint as an NPO user with `bin`.
pub async fn submit_as_npo(app: &TestApp, bin: &str, body: &Value) -> Response {
    post_as(app, "/v1/recommendations", &npo_token(app, bin), body).await
}

/// Registers the NPO with `NPO_BIN` and submits `recommendation_body` as its user,
/// failing the test unless it was created. Returns the NPO card and the recommendation.
pub async fn submitted_recommendation(app: &TestApp) -> (Value, Value) {
    let npo = register_npo(app, NPO_BIN, NPO_NAME).await;
    let response = submit_as_npo(app, NPO_BIN, &recommendation_body()).await;
    let recommendation = json_body(response, StatusCode::CREATED).await;
    (npo, recommendation)
}

/// Returns the path of the recommendation `id`.
pub fn recommendation_path(id: &str) -> String {
    format!("/v1/recommendations/{id}")
}

/// Reads the current ETag of the recommendation `id` as the officer of `BODY`.
pub async fn current_etag(app: &TestApp, id: &str) -> String {
    let response = get_as(app, &recommendation_path(id), &app.officer(BODY)).await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "recommendation {id} is readable"
    );
    response
        .headers()
        .get("etag")
        .expect("the response has an ETag")
        .to_str()
        .expect("an ASCII ETag")
        .to_owned()
}

/// Sends a POST of `body` to `action` of the recommendation `id` as the officer of `BODY`,
/// with the recommendation's current ETag in `If-Match`.
pub async fn post_with_etag(app: &TestApp, id: &str, action: &str, body: &Value) -> Response {
    let etag = current_etag(app, id).await;
    app.client
        .post(app.url(&format!("{}/{action}", recommendation_path(id))))
        .bearer_auth(app.officer(BODY))
        .header("If-Match", etag)
        .json(body)
        .send()
        .await
        .expect("the server responds")
}

/// Sends a decision with `handling` and an optional `reason` on the recommendation `id`.
pub async fn decide(app: &TestApp, id: &str, handling: &str, reason: Option<&str>) -> Response {
    let mut body = json!({"handling": handling});
    if let Some(reason) = reason {
        body["reason"] = json!(reason);
    }
    post_with_etag(app, id, "decision", &body).await
}

/// Sends the feedback `text` given to the author of the recommendation `id`.
pub async fn give_feedback(app: &TestApp, id: &str, text: &str) -> Response {
    post_with_etag(app, id, "feedback", &json!({"feedback": text})).await
}

/// Sends a request to close the recommendation `id`.
pub async fn close(app: &TestApp, id: &str) -> Response {
    post_with_etag(app, id, "close", &json!({})).await
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

/// Waits for the event of `event_type` whose payload mentions `id` and returns its payload.
/// Events about other records are skipped, because on the in-process bus an event sent
/// before `observe` may still arrive after it.
pub async fn expect_event_for(events: &mut EventObserver, event_type: &str, id: &str) -> Value {
    loop {
        let payload = events.expect(event_type).await.event.payload;
        if payload.to_string().contains(id) {
            return payload;
        }
    }
}

/// Builds a reception request to `government_body` made on `requested_on`.
pub fn reception_body(government_body: &str, requested_on: NaiveDate) -> Value {
    json!({
        "government_body": government_body,
        "topic": "Аренда помещения для молодёжного центра",
        "requested_on": requested_on.to_string()
    })
}

/// Requests a reception as the user of the NPO with `NPO_BIN`, failing the test unless
/// it was created.
pub async fn request_reception(app: &TestApp, body: &Value) -> Value {
    let response = post_as(
        app,
        "/v1/reception-requests",
        &npo_token(app, NPO_BIN),
        body,
    )
    .await;
    json_body(response, StatusCode::CREATED).await
}

/// Sends an appointment `body` for the reception request `id` as the officer of `BODY`.
pub async fn appoint(app: &TestApp, id: &str, body: &Value) -> Response {
    post_officer(
        app,
        &format!("/v1/reception-requests/{id}/appointment"),
        body,
    )
    .await
}
