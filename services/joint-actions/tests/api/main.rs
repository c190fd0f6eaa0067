//! HTTP tests of the joint-actions service against a real server, with the registry
//! serving NPO lookups, on SQLite and on PostgreSQL.

mod actions;
mod audit;
mod groups_plans;
mod guards;
mod lifecycle;
mod memoranda;
mod monitoring;
mod parties_steps;
mod platform;
mod registry_down;

use std::io::{Cursor, Read};

use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use service_kit::Role;
use service_kit::testing::TestApp;
pub use service_kit::testing::{pointers, problem};

/// Services every test starts. The joint-actions service calls the registry for NPO lookups.
pub const SERVICES: &[service_kit::ServiceDef] = &[registry::SERVICE, joint_actions::SERVICE];

/// Government body of the officer most tests act as.
pub const BODY: &str = "akimat-ulytau";

/// Another government body, whose officer must not see the records of `BODY`.
pub const OTHER_BODY: &str = "akimat-astana";

/// KATO code of the Ulytau region.
pub const REGION: &str = "620000000";

/// BIN of the NPO that `ready_action` registers and makes a party.
pub const NPO_BIN: &str = "940140000385";

/// Registered name of the NPO with `NPO_BIN`.
pub const NPO_NAME: &str = "Жастар әлемі";

/// Name of the party of kind government_body that `BODY` adds for its own part of a joint action.
pub const BODY_PARTY_NAME: &str = "Управление внутренней политики области Ұлытау";

/// Registry id in the UUID format that no NPO has.
pub const UNKNOWN_NPO_ID: &str = "0190c1c8-0000-7000-8000-000000000000";

/// Content type of an XLSX workbook.
pub const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Ids of a joint action that has everything the agreed and in_progress statuses need.
#[derive(Debug, Clone)]
pub struct ReadyAction {
    pub id: String,
    /// Registry id of the NPO with `NPO_BIN`.
    pub npo_id: String,
    pub npo_party_id: String,
    pub body_party_id: String,
}

/// Builds an officer-initiated joint action with spheres, territory, goals and tasks.
pub fn action_body() -> Value {
    json!({
        "title": "Летний лагерь для подростков",
        "initiator": "officer",
        "spheres": ["youth"],
        "territory": REGION,
        "goals": ["Организовать летний отдых подростков из сельских округов"],
        "tasks": ["Провести три смены лагеря", "Привлечь волонтёров из НПО"]
    })
}

/// Builds an NPO party with zone of responsibility, representative and consent.
pub fn npo_party_body(npo_id: &str) -> Value {
    json!({
        "kind": "npo",
        "npo_id": npo_id,
        "zone_of_responsibility": "Набор участников и проведение смен",
        "representative": "Ерлан Мұханов",
        "consent_on": "2026-11-20",
        "consent_document": "Письмо №12"
    })
}

/// Builds the party of the own part of `BODY`, with zone of responsibility and representative.
pub fn body_party_body() -> Value {
    json!({
        "kind": "government_body",
        "name": BODY_PARTY_NAME,
        "zone_of_responsibility": "Помещение и транспорт",
        "representative": "Айгерим Сейтова"
    })
}

/// Builds a step of a joint action with `order` and `title`.
pub fn step_body(order: u32, title: &str) -> Value {
    json!({
        "order": order,
        "title": title,
        "deadline": "2027-06-01",
        "expected_result": "Программа смен утверждена"
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

/// Reads the joint action `id` as the officer of `BODY`.
pub async fn get_action(app: &TestApp, id: &str) -> Value {
    get_json(
        app,
        &format!("/v1/joint-actions/{id}"),
        Some(&app.officer(BODY)),
    )
    .await
}

/// Creates a joint action as the officer of `BODY`, failing the test unless it was created.
pub async fn create_action(app: &TestApp, body: &Value) -> Value {
    json_body(
        post_officer(app, "/v1/joint-actions", body).await,
        StatusCode::CREATED,
    )
    .await
}

/// Sends a new party of the joint action `id` as the officer of `BODY`.
pub async fn post_party(app: &TestApp, id: &str, body: &Value) -> Response {
    post_officer(app, &format!("/v1/joint-actions/{id}/parties"), body).await
}

/// Adds a party to the joint action `id`, failing the test unless it was created.
pub async fn add_party(app: &TestApp, id: &str, body: &Value) -> Value {
    json_body(post_party(app, id, body).await, StatusCode::CREATED).await
}

/// Sends a PATCH of the party `party_id` as the officer of `BODY`, with the action's
/// current ETag in `If-Match`.
pub async fn patch_party(app: &TestApp, id: &str, party_id: &str, body: &Value) -> Response {
    let etag = current_etag(app, id).await;
    app.client
        .patch(app.url(&format!("/v1/joint-actions/{id}/parties/{party_id}")))
        .bearer_auth(app.officer(BODY))
        .header("If-Match", etag)
        .json(body)
        .send()
        .await
        .expect("the server responds")
}

/// Sends a new step of the joint action `id` as the officer of `BODY`.
pub async fn post_step(app: &TestApp, id: &str, body: &Value) -> Response {
    post_officer(app, &format!("/v1/joint-actions/{id}/steps"), body).await
}

/// Adds a step to the joint action `id`, failing the test unless it was created.
pub async fn add_step(app: &TestApp, id: &str, body: &Value) -> Value {
    json_body(post_step(app, id, body).await, StatusCode::CREATED).await
}

/// Reads the current ETag of the joint action `id` as the officer of `BODY`.
pub async fn current_etag(app: &TestApp, id: &str) -> String {
    let response = app
        .client
        .get(app.url(&format!("/v1/joint-actions/{id}")))
        .bearer_auth(app.officer(BODY))
        .send()
        .await
        .expect("the server responds");
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "joint action {id} is readable"
    );
    etag_of(&response)
}

/// Returns the `ETag` header of a response, failing the test without one.
pub fn etag_of(response: &Response) -> String {
    response
        .headers()
        .get("etag")
        .expect("the response has an ETag")
        .to_str()
        .expect("an ASCII ETag")
        .to_owned()
}

/// Requests the status change to `status` as the officer of `BODY`, with the current ETag.
pub async fn advance(app: &TestApp, id: &str, status: &str) -> Response {
    let etag = current_etag(app, id).await;
    app.client
        .post(app.url(&format!("/v1/joint-actions/{id}/status")))
        .bearer_auth(app.officer(BODY))
        .header("If-Match", etag)
        .json(&json!({"status": status}))
        .send()
        .await
        .expect("the server responds")
}

/// Moves the joint action through `statuses` in order and returns it in the last one,
/// failing the test unless every step succeeds.
pub async fn advance_through(app: &TestApp, id: &str, statuses: &[&str]) -> Value {
    let mut action = Value::Null;
    for status in statuses {
        action = json_body(advance(app, id, status).await, StatusCode::OK).await;
    }
    action
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

/// Mints a token of an NPO user whose organisation has `bin`.
pub fn npo_token(app: &TestApp, bin: &str) -> String {
    app.token(Role::Npo, None, Some(bin))
}

/// Registers the NPO with `NPO_BIN` and creates a draft joint action with it as a party,
/// as `ready_action_with_npo` does.
pub async fn ready_action(app: &TestApp) -> ReadyAction {
    let npo_id = id_of(&register_npo(app, NPO_BIN, NPO_NAME).await);
    ready_action_with_npo(app, &npo_id).await
}

/// Creates a draft joint action with a party of the registered NPO `npo_id` that
/// consented, a party of the own body, both with zone of responsibility and
/// representative, and one step.
pub async fn ready_action_with_npo(app: &TestApp, npo_id: &str) -> ReadyAction {
    let id = id_of(&create_action(app, &action_body()).await);
    let npo_party = add_party(app, &id, &npo_party_body(npo_id)).await;
    let body_party = add_party(app, &id, &body_party_body()).await;
    add_step(app, &id, &step_body(1, "Подготовка программы смен")).await;
    ReadyAction {
        id,
        npo_id: npo_id.to_owned(),
        npo_party_id: id_of(&npo_party),
        body_party_id: id_of(&body_party),
    }
}

/// Builds a ready joint action and moves it through agreed to in_progress.
pub async fn started_action(app: &TestApp) -> ReadyAction {
    let action = ready_action(app).await;
    advance_through(app, &action.id, &["agreed", "in_progress"]).await;
    action
}

/// JSON pointers of the invalid fields a problem lists, sorted, so that a check does not
/// depend on the order in which the server validates fields.
pub fn sorted_pointers(problem: &Value) -> Vec<String> {
    let mut found = pointers(problem);
    found.sort();
    found
}

/// Returns the message of the problem's error at `pointer`, failing the test without one.
pub fn error_message(problem: &Value, pointer: &str) -> String {
    problem["errors"]
        .as_array()
        .expect("the problem lists errors")
        .iter()
        .find(|error| error["pointer"] == pointer)
        .unwrap_or_else(|| panic!("no error at {pointer} in {problem}"))["message"]
        .as_str()
        .expect("the error has a message")
        .to_owned()
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

/// Downloads `path` as the officer of `BODY`, failing unless it is a 200, and returns
/// the content type and the bytes.
pub async fn download(app: &TestApp, path: &str) -> (String, Vec<u8>) {
    let response = app
        .client
        .get(app.url(path))
        .bearer_auth(app.officer(BODY))
        .send()
        .await
        .expect("the server responds");
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    let content_type = response.headers()["content-type"]
        .to_str()
        .expect("an ASCII content type")
        .to_owned();
    let bytes = response.bytes().await.expect("a body").to_vec();
    (content_type, bytes)
}

/// Returns the UTF-8 text after the byte order mark, failing the test without one.
pub fn text_after_bom(bytes: &[u8]) -> &str {
    let text = bytes
        .strip_prefix(b"\xEF\xBB\xBF")
        .expect("the CSV starts with a UTF-8 byte order mark");
    std::str::from_utf8(text).expect("the CSV is UTF-8")
}

/// Splits CSV text into records of fields, following RFC 4180 quoting.
pub fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    field.push('"');
                    chars.next();
                }
                '"' => quoted = false,
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' => quoted = true,
            ',' => record.push(std::mem::take(&mut field)),
            '\r' if chars.peek() == Some(&'\n') => {
                chars.next();
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            _ => field.push(c),
        }
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push(record);
    }
    records
}

/// Reads the shared strings of a workbook, where cell texts are stored.
pub fn shared_strings(workbook: Vec<u8>) -> String {
    let mut archive =
        zip::ZipArchive::new(Cursor::new(workbook)).expect("the XLSX is a ZIP archive");
    let mut entry = archive
        .by_name("xl/sharedStrings.xml")
        .expect("the workbook has shared strings");
    let mut xml = String::new();
    entry
        .read_to_string(&mut xml)
        .expect("the shared strings are UTF-8");
    xml
}
