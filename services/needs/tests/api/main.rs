//! HTTP tests of the needs service against a real server, with the registry serving NPO
//! and KATO lookups, on SQLite and on PostgreSQL.

mod activities;
mod assessments;
mod exports;
mod guards;
mod lifecycle;
mod platform;
mod priorities;
mod proposals;
mod registry_down;
mod schedule;

use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use service_kit::Role;
use service_kit::testing::TestApp;
pub use service_kit::testing::{pointers, problem};

/// Services every test starts. The needs service calls the registry for NPO and KATO lookups.
pub const SERVICES: &[service_kit::ServiceDef] = &[registry::SERVICE, needs::SERVICE];

/// Government body of the officer most tests act as.
pub const BODY: &str = "akimat-ulytau";

/// Another government body, whose officer can read only what `BODY` has published.
pub const OTHER_BODY: &str = "akimat-astana";

/// KATO code of the Ulytau region.
pub const REGION: &str = "620000000";

/// KATO code of Zhanaarka district, inside the Ulytau region.
pub const DISTRICT: &str = "623600000";

/// KATO code of the Abai region, outside the Ulytau region.
pub const OUTSIDE_REGION: &str = "100000000";

/// Registered BIN of the NPO most proposal tests act as.
pub const NPO_BIN: &str = "940140000385";

/// Valid BIN of a second NPO, unregistered unless a test registers it.
pub const OTHER_NPO_BIN: &str = "171140900016";

/// Name of the responsible staff member that activities list, which public readers must not see.
pub const STAFF_NAME: &str = "Айгерим Сейтова";

/// Contact details of an NPO proposal, which public readers must not see.
pub const NPO_CONTACT_PHONE: &str = "+7 701 555 12 34";
pub const NPO_CONTACT_EMAIL: &str = "erlan@example.kz";

/// Builds an assessment body with all eight items that publishing requires, except the
/// priorities, which are added separately.
pub fn complete_assessment_body() -> Value {
    json!({
        "title": "Оценка потребностей молодёжи области Ұлытау",
        "spheres": ["education", "youth"],
        "territory": REGION,
        "period_start": "2024-02-01",
        "period_end": "2024-05-31",
        "target_groups": [
            {"group": "youth", "participants": 120},
            {"group": "children", "participants": 45}
        ],
        "methods": "Анкетирование, фокус-группы и анализ официальной статистики",
        "instruments": [
            {"description": "Анкета для молодёжи", "example": "Какие кружки вы посещаете?"}
        ],
        "information_sources": [
            {"source": "official_statistics", "details": "Бюро национальной статистики, 2023"},
            {"source": "npo_meetings", "details": "Круглый стол с НПО 12 марта 2024"}
        ],
        "report": {
            "course": "Опрошено 120 молодых людей в трёх районах",
            "conclusions": "Не хватает мест в кружках и секциях",
            "recommendations": "Открыть кружки при школах через государственный социальный заказ"
        }
    })
}

/// Builds a valid priority of the complete assessment: education of youth in the region.
pub fn priority_body(problem: &str, risk_level: &str, people_affected: Option<u32>) -> Value {
    let mut body = json!({
        "sphere": "education",
        "territory": REGION,
        "target_group": "youth",
        "problem": problem,
        "information_source": "official_statistics",
        "source_details": "Бюро национальной статистики, 2023",
        "risks": "Рост правонарушений среди подростков",
        "risk_level": risk_level
    });
    if let Some(people) = people_affected {
        body["people_affected"] = json!(people);
    }
    body
}

/// Builds a valid row of the annual report's table of needs assessment activities.
pub fn activity_body() -> Value {
    json!({
        "held_on": "2024-03-12",
        "form": "round_table",
        "participant_categories": ["npo", "experts"],
        "participants": 35,
        "responsible_staff": [STAFF_NAME],
        "description": "Круглый стол о досуге молодёжи"
    })
}

/// Builds a valid NPO proposal with the contact details of its author.
pub fn npo_proposal_body(text: &str) -> Value {
    json!({
        "text": text,
        "sphere": "education",
        "target_group": "youth",
        "territory": REGION,
        "contact": {"name": "Ерлан Мұханов", "phone": NPO_CONTACT_PHONE, "email": NPO_CONTACT_EMAIL}
    })
}

/// Returns today's date in Kazakhstan, which has been on UTC+5 since 1 March 2024.
pub fn today_in_kazakhstan() -> chrono::NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(5)).date_naive()
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

/// Sends a GET with `token`, or anonymously without one, and returns the JSON of a 200.
pub async fn get_json(app: &TestApp, path: &str, token: Option<&str>) -> Value {
    let mut request = app.client.get(app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("the server responds");
    json_body(response, StatusCode::OK).await
}

/// Sends a create request as the officer of `government_body`.
pub async fn post_assessment(app: &TestApp, government_body: &str, body: &Value) -> Response {
    app.client
        .post(app.url("/v1/needs-assessments"))
        .bearer_auth(app.officer(government_body))
        .json(body)
        .send()
        .await
        .expect("the server responds")
}

/// Creates an assessment as the officer of `BODY`, failing the test unless it was created.
pub async fn create_assessment(app: &TestApp, body: &Value) -> Value {
    json_body(post_assessment(app, BODY, body).await, StatusCode::CREATED).await
}

/// Reads the current ETag of the assessment as the officer of `BODY`.
pub async fn current_etag(app: &TestApp, id: &str) -> String {
    let response = app
        .client
        .get(app.url(&format!("/v1/needs-assessments/{id}")))
        .bearer_auth(app.officer(BODY))
        .send()
        .await
        .expect("the server responds");
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "assessment {id} is readable"
    );
    response.headers()["etag"]
        .to_str()
        .expect("an ASCII ETag")
        .to_owned()
}

/// Requests the status change to `status` as the officer of `BODY`, with the current ETag.
pub async fn advance(app: &TestApp, id: &str, status: &str) -> Response {
    let etag = current_etag(app, id).await;
    app.client
        .post(app.url(&format!("/v1/needs-assessments/{id}/status")))
        .bearer_auth(app.officer(BODY))
        .header("If-Match", etag)
        .json(&json!({"status": status}))
        .send()
        .await
        .expect("the server responds")
}

/// Moves the assessment through `statuses` in order and returns it in the last one,
/// failing the test unless every step succeeds.
pub async fn advance_through(app: &TestApp, id: &str, statuses: &[&str]) -> Value {
    let mut assessment = Value::Null;
    for status in statuses {
        assessment = json_body(advance(app, id, status).await, StatusCode::OK).await;
    }
    assessment
}

/// Adds a priority as the officer of `BODY`, failing the test unless it was created.
pub async fn add_priority(app: &TestApp, id: &str, body: &Value) -> Value {
    let response = app
        .client
        .post(app.url(&format!("/v1/needs-assessments/{id}/priorities")))
        .bearer_auth(app.officer(BODY))
        .json(body)
        .send()
        .await
        .expect("the server responds");
    json_body(response, StatusCode::CREATED).await
}

/// Adds an activity as the officer of `BODY`, failing the test unless it was created.
pub async fn add_activity(app: &TestApp, id: &str, body: &Value) -> Value {
    let response = app
        .client
        .post(app.url(&format!("/v1/needs-assessments/{id}/activities")))
        .bearer_auth(app.officer(BODY))
        .json(body)
        .send()
        .await
        .expect("the server responds");
    json_body(response, StatusCode::CREATED).await
}

/// Sends an NPO proposal as a user of the NPO with `bin`.
pub async fn post_npo_proposal(app: &TestApp, id: &str, bin: &str, body: &Value) -> Response {
    app.client
        .post(app.url(&format!("/v1/needs-assessments/{id}/npo-proposals")))
        .bearer_auth(npo_token(app, bin))
        .json(body)
        .send()
        .await
        .expect("the server responds")
}

/// Creates a complete assessment of `BODY` titled `title` with one high-risk priority,
/// and publishes it.
pub async fn create_published_assessment(app: &TestApp, title: &str) -> Value {
    let mut body = complete_assessment_body();
    body["title"] = json!(title);
    let id = id_of(&create_assessment(app, &body).await);
    add_priority(
        app,
        &id,
        &priority_body("Не хватает мест в кружках", "high", Some(4200)),
    )
    .await;
    advance_through(app, &id, &["collecting", "analysed", "published"]).await
}

/// Registers an NPO with `bin` in the registry as the officer of `BODY` and returns its card.
pub async fn register_npo(app: &TestApp, bin: &str, name: &str) -> Value {
    let response = app
        .client
        .post(app.url("/v1/npos"))
        .bearer_auth(app.officer(BODY))
        .json(&json!({
            "bin": bin,
            "name_ru": name,
            "legal_form": "public_association",
            "source": "npo_representatives"
        }))
        .send()
        .await
        .expect("the server responds");
    json_body(response, StatusCode::CREATED).await
}

/// Mints a token of an NPO user whose organisation has `bin`.
pub fn npo_token(app: &TestApp, bin: &str) -> String {
    app.token(Role::Npo, None, Some(bin))
}

/// JSON pointers of the invalid fields a problem lists, sorted, so that a check does not
/// depend on the order in which the server validates fields.
pub fn sorted_pointers(problem: &Value) -> Vec<String> {
    let mut found = pointers(problem);
    found.sort();
    found
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
