//! Routing of recommendations between government bodies through the competence map of
//! the aggregation service, stage deadlines counted in working days, and the officer
//! responsible for each open item, including the handover to a successor.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use chrono::{Days, NaiveDate};
use common_models::WorkingCalendar;
use common_models::event::EventEnvelope;
use common_models::event::aggregation::{
    OFFICER_APPOINTED, OFFICER_REPLACED, OfficerAppointed, OfficerReplaced,
};
use common_models::event::recommendations::RECOMMENDATION_FORWARDED;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use service_kit::testing::{TestApp, TestBackend};
use service_kit::{Settings, backend_tests};

use crate::{
    BODY, CONTACTS_LINE, NPO_BIN, NPO_NAME, OTHER_BODY, SERVICES, close, contacts, decide,
    expect_event_for, get_as, get_json, give_feedback, id_of, item_strings, json_body, npo_token,
    officer_token, pointers, post_as, post_officer, problem, recommendation_body,
    recommendation_path, register_npo, request_reception, submit_as_npo, submitted_recommendation,
    today_in_kazakhstan,
};

/// Setting with the base URL of the aggregation service, which serves the competence map.
const AGGREGATION_URL: &str = "LIAISON_SERVICE_URL_AGGREGATION";

/// A third government body, known to the aggregation service and competent for culture.
const CULTURE_MINISTRY: &str = "ministry-of-culture";

/// KATO code of the Yesil district of Astana.
const ASTANA_YESIL: &str = "711210000";

/// KATO code of the village of Ulytau in the Ulytau region.
const ULYTAU_VILLAGE: &str = "623830100";

/// Working days of the decision stage when no setting changes them.
const DECISION_DAYS: u32 = 15;

/// Working days of the feedback stage when no setting changes them.
const FEEDBACK_DAYS: u32 = 5;

/// Token subject and name of an officer of `BODY` who leaves the post.
const LEAVING_OFFICER: &str = "officer-x";
const LEAVING_NAME: &str = "Айгерим Серікова";

/// Token subject and name of the officer of `BODY` who takes over.
const SUCCESSOR: &str = "officer-y";
const SUCCESSOR_NAME: &str = "Данияр Ахметов";

/// Token subject and name of the officer of `OTHER_BODY`.
const ASTANA_OFFICER: &str = "officer-astana";
const ASTANA_NAME: &str = "Дана Нұрланова";

/// Government bodies that the stand-in aggregation service serves, with their Russian and
/// Kazakh names.
const GOVERNMENT_BODIES: &[(&str, &str, &str)] = &[
    (
        BODY,
        "Аппарат акима области Ұлытау",
        "Ұлытау облысы әкімінің аппараты",
    ),
    (
        OTHER_BODY,
        "Аппарат акима города Астаны",
        "Астана қаласы әкімінің аппараты",
    ),
    (
        CULTURE_MINISTRY,
        "Министерство культуры и информации Республики Казахстан",
        "Қазақстан Республикасы Мәдениет және ақпарат министрлігі",
    ),
];

/// Returns the body competent for `sphere` on `territory`. KATO codes of Astana start
/// with 71 and those of the Ulytau region with 62.
fn competent_body_for(sphere: &str, territory: Option<&str>) -> Option<&'static str> {
    match (sphere, territory) {
        ("culture", _) => Some(CULTURE_MINISTRY),
        ("social_protection", Some(code)) if code.starts_with("71") => Some(OTHER_BODY),
        ("social_protection", Some(code)) if code.starts_with("62") => Some(BODY),
        _ => None,
    }
}

fn body_card(id: &str) -> Option<Value> {
    GOVERNMENT_BODIES
        .iter()
        .find(|(known, _, _)| *known == id)
        .map(|(id, name_ru, name_kk)| json!({"id": id, "name_ru": name_ru, "name_kk": name_kk}))
}

async fn serve_competent_body(
    request: HttpRequest,
    query: web::Query<HashMap<String, String>>,
    queries: web::Data<Mutex<Vec<String>>>,
) -> HttpResponse {
    queries
        .lock()
        .expect("the query log is not poisoned")
        .push(request.query_string().to_owned());
    let sphere = query.get("sphere").map(String::as_str).unwrap_or_default();
    let territory = query.get("territory").map(String::as_str);
    // Responses a well-behaved aggregation service never returns.
    match sphere {
        "science" => return HttpResponse::Ok().json(json!({"government_body": "../x y"})),
        "health" => {
            return HttpResponse::Ok()
                .content_type("text/html")
                .body("<html></html>");
        }
        "education" => return HttpResponse::BadRequest().finish(),
        _ => {}
    }
    match competent_body_for(sphere, territory) {
        Some(id) => {
            let card = body_card(id).expect("every competent body is known");
            HttpResponse::Ok().json(json!({
                "government_body": id,
                "name_ru": card["name_ru"],
                "name_kk": card["name_kk"]
            }))
        }
        None => HttpResponse::NotFound().json(json!({"detail": "no competent body"})),
    }
}

async fn serve_government_body(id: web::Path<String>) -> HttpResponse {
    match body_card(&id) {
        Some(card) => HttpResponse::Ok().json(card),
        None => HttpResponse::NotFound().json(json!({"detail": "unknown government body"})),
    }
}

/// Stand-in for the aggregation service: a real HTTP server on a free local port that
/// serves the competence map and the government bodies from the tables above, and
/// stores the query string of every competence map request.
#[derive(Debug)]
struct CompetenceMap {
    url: String,
    handle: ServerHandle,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    queries: web::Data<Mutex<Vec<String>>>,
}

impl CompetenceMap {
    async fn start() -> Self {
        let queries: web::Data<Mutex<Vec<String>>> = web::Data::new(Mutex::new(Vec::new()));
        let shared = queries.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(shared.clone())
                .route("/v1/competence-map", web::get().to(serve_competent_body))
                .route(
                    "/v1/government-bodies/{id}",
                    web::get().to(serve_government_body),
                )
        })
        .workers(1)
        .disable_signals()
        .bind(("127.0.0.1", 0))
        .expect("the competence map binds a free port");
        let addr = server.addrs()[0];
        let server = server.run();
        let handle = server.handle();
        let task = tokio::spawn(server);
        Self {
            url: format!("http://{addr}"),
            handle,
            task,
            queries,
        }
    }

    /// Returns the parameters of every competence map request so far, each sorted by name.
    fn received_queries(&self) -> Vec<Vec<(String, String)>> {
        self.queries
            .lock()
            .expect("the query log is not poisoned")
            .iter()
            .map(|query| query_pairs(query))
            .collect()
    }

    async fn stop(self) {
        self.handle.stop(false).await;
        drop(self.task.await);
    }
}

/// Splits a query string without percent-encoded characters into sorted name-value pairs.
fn query_pairs(query: &str) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (name.to_owned(), value.to_owned())
        })
        .collect();
    pairs.sort();
    pairs
}

/// Builds the sorted name-value pairs of an expected competence map query.
fn expected_query(parameters: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = parameters
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect();
    pairs.sort();
    pairs
}

/// Starts the services with the aggregation service at `aggregation_url` and `extra`
/// settings. Returns `None` where `TestApp::spawn_with` skips the backend.
async fn spawn_with_aggregation(
    backend: TestBackend,
    aggregation_url: &str,
    extra: &[(&str, &str)],
) -> Option<TestApp> {
    let mut settings = vec![(AGGREGATION_URL, aggregation_url)];
    settings.extend_from_slice(extra);
    TestApp::spawn_with(SERVICES, backend, &settings).await
}

/// Returns the base URL of a local port that nothing listens on.
fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port can be bound");
    let addr = listener.local_addr().expect("a bound address");
    drop(listener);
    format!("http://{addr}")
}

/// Declares a test module per case with one test on SQLite and one on PostgreSQL, for
/// cases that start their own server with extra settings. The case receives the
/// backend as `$backend`.
macro_rules! per_backend_tests {
    ($( async fn $name:ident($backend:ident) $body:block )*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let $backend = TestBackend::Sqlite;
                    $body
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    let $backend = TestBackend::Postgres;
                    $body
                }
            }
        )*
    };
}

/// Builds the `responsible` value of an officer.
fn responsible(subject: &str, name: Option<&str>) -> Value {
    json!({"officer": subject, "name": name})
}

/// Builds a recommendation on social protection in Astana that an NPO sends to `BODY`,
/// which is not competent for it.
fn astana_social_recommendation() -> Value {
    json!({
        "government_body": BODY,
        "sphere": "social_protection",
        "territory": ASTANA_YESIL,
        "text": "Открыть центр дневного пребывания для пожилых в районе Есиль",
        "contacts": contacts()
    })
}

/// Builds `recommendation_body` addressed to `government_body`.
fn recommendation_to(government_body: &str) -> Value {
    let mut body = recommendation_body();
    body["government_body"] = json!(government_body);
    body
}

/// Builds a recommendation that an officer records for their own body.
fn recorded_recommendation(received_on: NaiveDate) -> Value {
    json!({
        "sphere": "culture",
        "text": "Провести фестиваль народных ремёсел",
        "author_name": "Гульнара Ахметова",
        "author_kind": "person",
        "received_on": received_on.to_string(),
        "contacts": contacts()
    })
}

/// Builds a request for information to the officer of `to_body`, due in a week.
fn officer_request_to(to_body: &str) -> Value {
    json!({
        "to_body": to_body,
        "question": "Сколько НПО получили гранты в 2026 году?",
        "sphere": "youth",
        "format": "письмо",
        "deadline": (today_in_kazakhstan() + Days::new(7)).to_string()
    })
}

/// Submits `body` as the user of the NPO with `NPO_BIN`, failing the test unless it
/// was created.
async fn submit(app: &TestApp, body: &Value) -> Value {
    let response = post_as(app, "/v1/recommendations", &npo_token(app, NPO_BIN), body).await;
    json_body(response, StatusCode::CREATED).await
}

/// Records `body` as the officer with `token`, failing the test unless it was created.
async fn record_as(app: &TestApp, token: &str, body: &Value) -> Value {
    let response = post_as(app, "/v1/recommendations", token, body).await;
    json_body(response, StatusCode::CREATED).await
}

/// Returns the value of the header `name`, failing the test without it.
fn header(response: &Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .unwrap_or_else(|| panic!("the response has a {name} header"))
        .to_str()
        .expect("an ASCII header value")
        .to_owned()
}

/// Reads the current ETag of the recommendation `id` as `token`.
async fn etag_as(app: &TestApp, id: &str, token: &str) -> String {
    let response = get_as(app, &recommendation_path(id), token).await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "recommendation {id} is readable"
    );
    header(&response, "etag")
}

/// Sends a POST of `body` to `action` of the recommendation `id` as `token`, with
/// `if_match` in `If-Match` when given.
async fn post_if_match(
    app: &TestApp,
    id: &str,
    action: &str,
    token: &str,
    if_match: Option<&str>,
    body: &Value,
) -> Response {
    let mut request = app
        .client
        .post(app.url(&format!("{}/{action}", recommendation_path(id))))
        .bearer_auth(token)
        .json(body);
    if let Some(etag) = if_match {
        request = request.header("If-Match", etag);
    }
    request.send().await.expect("the server responds")
}

/// Sends a POST of `body` to `action` of the recommendation `id` as `token`, with the
/// ETag that `token` reads in `If-Match`.
async fn act_as(app: &TestApp, id: &str, action: &str, token: &str, body: &Value) -> Response {
    let etag = etag_as(app, id, token).await;
    post_if_match(app, id, action, token, Some(&etag), body).await
}

/// Sends a forwarding `body` for the recommendation `id` as `token`, with its current ETag.
async fn forward(app: &TestApp, id: &str, token: &str, body: &Value) -> Response {
    act_as(app, id, "forwarding", token, body).await
}

/// Returns the item with `id` of a `{items}` page, or null when the page lacks it.
fn item_with_id(page: &Value, id: &str) -> Value {
    page["items"]
        .as_array()
        .expect("a page with items")
        .iter()
        .find(|item| item["id"] == id)
        .cloned()
        .unwrap_or(Value::Null)
}

/// Reads `path` as `token` until `done` holds for its JSON, for up to 10 s, and returns
/// that JSON. The service applies a consumed event after `publish` returns.
async fn wait_until(
    app: &TestApp,
    path: &str,
    token: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let value = get_json(app, path, token).await;
        if done(&value) {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "{path} did not reach the expected state within 10 s: {value}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn appointed_event(government_body: &str, officer: &str, full_name: &str) -> EventEnvelope {
    let payload = OfficerAppointed {
        government_body: government_body.to_owned(),
        officer: officer.to_owned(),
        full_name: full_name.to_owned(),
        appointed_on: today_in_kazakhstan(),
    };
    EventEnvelope::new(
        OFFICER_APPOINTED,
        1,
        "aggregation",
        serde_json::to_value(payload).expect("the payload serializes"),
    )
}

fn replaced_event(
    government_body: &str,
    officer: &str,
    successor: &str,
    successor_name: &str,
) -> EventEnvelope {
    let payload = OfficerReplaced {
        government_body: government_body.to_owned(),
        officer: officer.to_owned(),
        successor: successor.to_owned(),
        successor_name: successor_name.to_owned(),
        replaced_on: today_in_kazakhstan(),
    };
    EventEnvelope::new(
        OFFICER_REPLACED,
        1,
        "aggregation",
        serde_json::to_value(payload).expect("the payload serializes"),
    )
}

/// Sets the due day of recommendation `id` directly in the database of `app`, as if the
/// stage had started long ago.
async fn set_due_on(app: &TestApp, id: &str, due_on: NaiveDate) {
    use diesel::prelude::*;
    use recommendations::schema::recommendations as table;

    let url = app.settings.database_url_for("recommendations");
    let id = id.to_owned();
    tokio::task::spawn_blocking(move || {
        let db =
            service_kit::Database::connect(&url).expect("the test database accepts connections");
        db.run_blocking(|conn| {
            diesel::update(table::table.filter(table::id.eq(&id)))
                .set(table::due_on.eq(due_on))
                .execute(conn)
                .map_err(service_kit::StoreError::from)
        })
        .expect("the due day is stored")
    })
    .await
    .expect("the update finishes");
}

/// Returns the `days`-th working day after `start` in the built-in Kazakhstan calendar.
fn kazakhstan_due(start: NaiveDate, days: u32) -> NaiveDate {
    WorkingCalendar::kazakhstan().add_working_days(start, days)
}

/// Builds settings of a process with its data in `data_dir` and one extra `LIAISON_`
/// option `name` set to `value`.
fn settings_with_option(data_dir: &std::path::Path, name: &str, value: &str) -> Settings {
    let data = data_dir.display().to_string();
    let mut settings = Settings::from_lookup(|variable| match variable {
        "LIAISON_DATA_DIR" => Some(data.clone()),
        "LIAISON_LISTEN" => Some("127.0.0.1:0".to_owned()),
        _ => None,
    })
    .expect("the base settings are valid");
    settings.options = vec![(name.to_owned(), value.to_owned())];
    settings
}

backend_tests! {
    services: SERVICES;

    async fn submission_has_routing_fields(app) {
        register_npo(&app, NPO_BIN, NPO_NAME).await;
        let today = today_in_kazakhstan();

        let with_territory = submit(&app, &astana_social_recommendation()).await;
        let without_territory = submit(&app, &recommendation_body()).await;

        assert_eq!(with_territory["territory"], ASTANA_YESIL);
        assert_eq!(with_territory["received_by"], BODY);
        assert_eq!(with_territory["government_body"], BODY);
        assert_eq!(with_territory["forwarding"], json!([]));
        assert_eq!(with_territory["stage"], "decision");
        assert_eq!(
            with_territory["due_on"],
            kazakhstan_due(today, DECISION_DAYS).to_string()
        );
        assert_eq!(with_territory["overdue"], false);
        assert_eq!(with_territory["responsible"], Value::Null);
        assert_eq!(with_territory["request_id"], Value::Null);
        assert_eq!(without_territory["territory"], Value::Null);
    }

    async fn invalid_territory_rejected(app) {
        register_npo(&app, NPO_BIN, NPO_NAME).await;

        for territory in ["71121000", "7112100001", "71121000x", "999999999"] {
            let mut body = astana_social_recommendation();
            body["territory"] = json!(territory);
            let response = post_as(
                &app,
                "/v1/recommendations",
                &npo_token(&app, NPO_BIN),
                &body,
            )
            .await;
            let problem = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
            assert_eq!(
                pointers(&problem),
                vec!["/territory"],
                "territory {territory}"
            );
        }
        let mut recorded = recorded_recommendation(today_in_kazakhstan());
        recorded["territory"] = json!("999999999");
        let response = post_as(&app, "/v1/recommendations", &app.officer(BODY), &recorded).await;
        let listed = get_json(&app, "/v1/recommendations", &app.ministry()).await;

        let problem = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(pointers(&problem), vec!["/territory"]);
        assert!(item_strings(&listed, "id").is_empty(), "{listed}");
    }

    async fn forwarding_without_aggregation_unavailable(app) {
        register_npo(&app, NPO_BIN, NPO_NAME).await;
        let submitted = submit(&app, &astana_social_recommendation()).await;
        let id = id_of(&submitted);
        let officer = app.officer(BODY);

        let by_map = forward(&app, &id, &officer, &json!({})).await;
        let by_map_retry = by_map.headers().get("retry-after").cloned();
        let by_map = problem(by_map, StatusCode::SERVICE_UNAVAILABLE).await;
        let named = forward(&app, &id, &officer, &json!({"to_body": OTHER_BODY})).await;
        let named_retry = named.headers().get("retry-after").cloned();
        problem(named, StatusCode::SERVICE_UNAVAILABLE).await;
        let unchanged = get_json(&app, &recommendation_path(&id), &officer).await;

        assert!(by_map_retry.is_some(), "the 503 response lacks Retry-After");
        assert!(named_retry.is_some(), "the 503 response lacks Retry-After");
        let detail = by_map["detail"].as_str().unwrap_or_default();
        assert!(detail.contains("aggregation"), "{by_map}");
        assert_eq!(unchanged["version"], submitted["version"]);
        assert_eq!(unchanged["government_body"], BODY);
        assert_eq!(unchanged["status"], "in_work");
        assert_eq!(unchanged["forwarding"], json!([]));
    }

    async fn forwarded_handling_rejected(app) {
        register_npo(&app, NPO_BIN, NPO_NAME).await;
        let submitted = submit(&app, &recommendation_body()).await;
        let id = id_of(&submitted);

        let response = decide(&app, &id, "forwarded", None).await;
        let unchanged = get_json(&app, &recommendation_path(&id), &app.officer(BODY)).await;

        let problem = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(pointers(&problem), vec!["/handling"]);
        assert_eq!(unchanged["status"], "in_work");
        assert_eq!(unchanged["version"], submitted["version"]);
    }

    async fn stage_deadlines_follow_handling(app) {
        register_npo(&app, NPO_BIN, NPO_NAME).await;
        let today = today_in_kazakhstan();
        let submitted = submit(&app, &recommendation_body()).await;
        let id = id_of(&submitted);

        let decided = json_body(decide(&app, &id, "implemented", None).await, StatusCode::OK).await;
        let answered = json_body(
            give_feedback(&app, &id, "Центр открыт").await,
            StatusCode::OK,
        )
        .await;
        let closed = json_body(close(&app, &id).await, StatusCode::OK).await;

        assert_eq!(submitted["stage"], "decision");
        assert_eq!(
            submitted["due_on"],
            kazakhstan_due(today, DECISION_DAYS).to_string()
        );
        assert_eq!(submitted["overdue"], false);
        assert_eq!(decided["stage"], "feedback");
        assert_eq!(
            decided["due_on"],
            kazakhstan_due(today, FEEDBACK_DAYS).to_string()
        );
        assert_eq!(decided["overdue"], false);
        assert_eq!(answered["stage"], Value::Null);
        assert_eq!(answered["due_on"], Value::Null);
        assert_eq!(answered["overdue"], false);
        assert_eq!(closed["stage"], Value::Null);
        assert_eq!(closed["due_on"], Value::Null);
        assert_eq!(closed["overdue"], false);
    }

    async fn past_receipt_overdue_at_once(app) {
        register_npo(&app, NPO_BIN, NPO_NAME).await;
        let today = today_in_kazakhstan();
        let officer = app.officer(BODY);
        let sixty_days_ago = today - Days::new(60);
        let forty_days_ago = today - Days::new(40);
        let thirty_days_ago = today - Days::new(30);
        let oldest = record_as(&app, &officer, &recorded_recommendation(sixty_days_ago)).await;
        let older = record_as(&app, &officer, &recorded_recommendation(forty_days_ago)).await;
        let fresh = submit(&app, &recommendation_body()).await;
        let elsewhere = record_as(
            &app,
            &app.officer(OTHER_BODY),
            &recorded_recommendation(thirty_days_ago),
        )
        .await;
        let oldest_due = kazakhstan_due(sixty_days_ago, DECISION_DAYS);
        let older_due = kazakhstan_due(forty_days_ago, DECISION_DAYS);
        let elsewhere_due = kazakhstan_due(thirty_days_ago, DECISION_DAYS);

        let own_overdue = get_json(&app, "/v1/recommendations?overdue=true", &officer).await;
        let all_overdue = get_json(&app, "/v1/recommendations?overdue=true", &app.ministry()).await;
        let other_overdue = get_json(
            &app,
            "/v1/recommendations?overdue=true",
            &app.officer(OTHER_BODY),
        )
        .await;
        let npo_overdue = get_json(
            &app,
            "/v1/recommendations?overdue=true",
            &npo_token(&app, NPO_BIN),
        )
        .await;

        assert_eq!(oldest["stage"], "decision");
        assert_eq!(oldest["due_on"], oldest_due.to_string());
        assert_eq!(oldest["overdue"], true);
        assert_eq!(fresh["overdue"], false);
        let mut own_ids = item_strings(&own_overdue, "id");
        own_ids.sort();
        let mut expected_own = vec![id_of(&oldest), id_of(&older)];
        expected_own.sort();
        assert_eq!(own_ids, expected_own);
        let mut all_ids = item_strings(&all_overdue, "id");
        all_ids.sort();
        let mut expected_all = vec![id_of(&oldest), id_of(&older), id_of(&elsewhere)];
        expected_all.sort();
        assert_eq!(all_ids, expected_all);
        assert_eq!(item_strings(&other_overdue, "id"), vec![id_of(&elsewhere)]);
        assert!(item_strings(&npo_overdue, "id").is_empty(), "{npo_overdue}");

        let by_body_path = "/v1/recommendations/overdue-by-body";
        let for_ministry = get_json(&app, by_body_path, &app.ministry()).await;
        let for_officer = get_json(&app, by_body_path, &officer).await;
        let for_idle_body = get_json(&app, by_body_path, &app.officer(CULTURE_MINISTRY)).await;
        let for_npo = get_as(&app, by_body_path, &npo_token(&app, NPO_BIN)).await;
        let for_integrator = get_as(&app, by_body_path, &app.integrator("crm-import")).await;
        let anonymous = app
            .client
            .get(app.url(by_body_path))
            .send()
            .await
            .expect("the server responds");

        let body_row =
            json!({"government_body": BODY, "overdue": 2, "oldest_due_on": oldest_due.to_string()});
        let other_row = json!({"government_body": OTHER_BODY, "overdue": 1, "oldest_due_on": elsewhere_due.to_string()});
        assert_eq!(for_ministry["items"], json!([other_row, body_row]));
        assert_eq!(for_officer["items"], json!([body_row]));
        assert_eq!(for_idle_body["items"], json!([]));
        problem(for_npo, StatusCode::FORBIDDEN).await;
        problem(for_integrator, StatusCode::FORBIDDEN).await;
        problem(anonymous, StatusCode::UNAUTHORIZED).await;

        let decided = json_body(
            decide(&app, &id_of(&oldest), "included_in_plans", None).await,
            StatusCode::OK,
        )
        .await;
        let after_decision = get_json(&app, by_body_path, &officer).await;

        assert_eq!(decided["stage"], "feedback");
        assert_eq!(
            decided["due_on"],
            kazakhstan_due(today, FEEDBACK_DAYS).to_string()
        );
        assert_eq!(decided["overdue"], false);
        let remaining_row =
            json!({"government_body": BODY, "overdue": 1, "oldest_due_on": older_due.to_string()});
        assert_eq!(after_decision["items"], json!([remaining_row]));
    }

    async fn status_filter_lists_matching(app) {
        register_npo(&app, NPO_BIN, NPO_NAME).await;
        let waiting = submit(&app, &recommendation_body()).await;
        let handled = submit(&app, &recommendation_body()).await;
        json_body(
            decide(&app, &id_of(&handled), "implemented", None).await,
            StatusCode::OK,
        )
        .await;
        let officer = app.officer(BODY);

        let in_work = get_json(&app, "/v1/recommendations?status=in_work", &officer).await;
        let implemented = get_json(&app, "/v1/recommendations?status=implemented", &officer).await;
        let forwarded = get_json(&app, "/v1/recommendations?status=forwarded", &officer).await;
        let unknown = get_as(&app, "/v1/recommendations?status=postponed", &officer).await;

        assert_eq!(item_strings(&in_work, "id"), vec![id_of(&waiting)]);
        assert_eq!(item_strings(&implemented, "id"), vec![id_of(&handled)]);
        assert!(item_strings(&forwarded, "id").is_empty(), "{forwarded}");
        problem(unknown, StatusCode::UNPROCESSABLE_ENTITY).await;
    }

    async fn recording_officer_is_responsible(app) {
        let named = officer_token(&app, BODY, LEAVING_OFFICER, Some(LEAVING_NAME));
        let unnamed = officer_token(&app, BODY, "officer-unnamed", None);
        let today = today_in_kazakhstan();

        let by_named = record_as(&app, &named, &recorded_recommendation(today)).await;
        let by_unnamed = record_as(&app, &unnamed, &recorded_recommendation(today)).await;
        let reception = post_as(
            &app,
            "/v1/reception-requests",
            &named,
            &json!({
                "topic": "Аренда помещения для молодёжного центра",
                "requested_on": today.to_string()
            }),
        )
        .await;
        let request = post_as(
            &app,
            "/v1/officer-requests",
            &named,
            &officer_request_to(OTHER_BODY),
        )
        .await;

        assert_eq!(
            by_named["responsible"],
            responsible(LEAVING_OFFICER, Some(LEAVING_NAME))
        );
        assert_eq!(
            by_unnamed["responsible"],
            responsible("officer-unnamed", None)
        );
        let reception = json_body(reception, StatusCode::CREATED).await;
        assert_eq!(
            reception["responsible"],
            responsible(LEAVING_OFFICER, Some(LEAVING_NAME))
        );
        let request = json_body(request, StatusCode::CREATED).await;
        assert_eq!(
            request["responsible"],
            responsible(LEAVING_OFFICER, Some(LEAVING_NAME))
        );
        assert_eq!(request["asked_officer"], Value::Null);
    }

    async fn changing_officer_becomes_responsible(app) {
        register_npo(&app, NPO_BIN, NPO_NAME).await;
        let submitted = submit(&app, &recommendation_body()).await;
        let id = id_of(&submitted);
        let officer = officer_token(&app, BODY, LEAVING_OFFICER, Some(LEAVING_NAME));

        let response = act_as(
            &app,
            &id,
            "decision",
            &officer,
            &json!({"handling": "included_in_plans"}),
        )
        .await;

        assert_eq!(submitted["responsible"], Value::Null);
        let decided = json_body(response, StatusCode::OK).await;
        assert_eq!(
            decided["responsible"],
            responsible(LEAVING_OFFICER, Some(LEAVING_NAME))
        );
    }

    async fn appointed_officer_takes_unassigned(app) {
        register_npo(&app, NPO_BIN, NPO_NAME).await;
        let recorder = officer_token(&app, BODY, LEAVING_OFFICER, Some(LEAVING_NAME));
        let unassigned = submit(&app, &recommendation_body()).await;
        let elsewhere = submit(&app, &recommendation_to(OTHER_BODY)).await;
        let recorded = record_as(
            &app,
            &recorder,
            &recorded_recommendation(today_in_kazakhstan()),
        )
        .await;
        let reception = request_reception(
            &app,
            &json!({
                "government_body": BODY,
                "topic": "Аренда помещения для молодёжного центра"
            }),
        )
        .await;
        let reader = app.officer(BODY);
        let appointee = responsible(SUCCESSOR, Some(SUCCESSOR_NAME));

        app.publish(&appointed_event(BODY, SUCCESSOR, SUCCESSOR_NAME))
            .await;

        let assigned = wait_until(
            &app,
            &recommendation_path(&id_of(&unassigned)),
            &reader,
            |r| r["responsible"] == appointee,
        )
        .await;
        let receptions = wait_until(&app, "/v1/reception-requests", &reader, |page| {
            item_with_id(page, &id_of(&reception))["responsible"] == appointee
        })
        .await;
        let kept = get_json(&app, &recommendation_path(&id_of(&recorded)), &reader).await;
        let untouched = get_json(
            &app,
            &recommendation_path(&id_of(&elsewhere)),
            &app.officer(OTHER_BODY),
        )
        .await;
        let later = submit(&app, &recommendation_body()).await;

        assert_eq!(unassigned["responsible"], Value::Null);
        assert_eq!(reception["responsible"], Value::Null);
        assert_eq!(assigned["responsible"], appointee);
        assert_eq!(
            item_with_id(&receptions, &id_of(&reception))["responsible"],
            appointee
        );
        assert_eq!(
            kept["responsible"],
            responsible(LEAVING_OFFICER, Some(LEAVING_NAME))
        );
        assert_eq!(untouched["responsible"], Value::Null);
        // The NPO that submitted it reads the officer's name only.
        assert_eq!(later["responsible"], json!({"name": SUCCESSOR_NAME}));
    }

    async fn handover_passes_open_items(app) {
        register_npo(&app, NPO_BIN, NPO_NAME).await;
        let today = today_in_kazakhstan();
        let leaving = officer_token(&app, BODY, LEAVING_OFFICER, Some(LEAVING_NAME));
        let astana = officer_token(&app, OTHER_BODY, ASTANA_OFFICER, Some(ASTANA_NAME));
        let reader = app.officer(BODY);
        let leaver = responsible(LEAVING_OFFICER, Some(LEAVING_NAME));
        let successor = responsible(SUCCESSOR, Some(SUCCESSOR_NAME));
        let astana_officer = responsible(ASTANA_OFFICER, Some(ASTANA_NAME));

        let in_work = id_of(&record_as(&app, &leaving, &recorded_recommendation(today)).await);
        let decided = id_of(&record_as(&app, &leaving, &recorded_recommendation(today)).await);
        let closed = id_of(&record_as(&app, &leaving, &recorded_recommendation(today)).await);
        let submitted = id_of(&submit(&app, &recommendation_body()).await);
        let decision = act_as(
            &app,
            &decided,
            "decision",
            &leaving,
            &json!({"handling": "included_in_plans"}),
        )
        .await;
        json_body(decision, StatusCode::OK).await;
        let decision = act_as(
            &app,
            &closed,
            "decision",
            &leaving,
            &json!({"handling": "implemented"}),
        )
        .await;
        json_body(decision, StatusCode::OK).await;
        let feedback = act_as(
            &app,
            &closed,
            "feedback",
            &leaving,
            &json!({"feedback": "Фестиваль проведён"}),
        )
        .await;
        json_body(feedback, StatusCode::OK).await;
        json_body(
            act_as(&app, &closed, "close", &leaving, &json!({})).await,
            StatusCode::OK,
        )
        .await;
        let other_recorded =
            id_of(&record_as(&app, &astana, &recorded_recommendation(today)).await);
        let other_submitted = id_of(&submit(&app, &recommendation_to(OTHER_BODY)).await);
        let culture_submitted = id_of(&submit(&app, &recommendation_to(CULTURE_MINISTRY)).await);

        let reception = json!({"topic": "Аренда помещения для молодёжного центра", "requested_on": today.to_string()});
        let waiting = post_as(&app, "/v1/reception-requests", &leaving, &reception).await;
        let waiting = id_of(&json_body(waiting, StatusCode::CREATED).await);
        let received = post_as(&app, "/v1/reception-requests", &leaving, &reception).await;
        let received = id_of(&json_body(received, StatusCode::CREATED).await);
        let appointment_path = format!("/v1/reception-requests/{received}/appointment");
        let appointment = post_as(
            &app,
            &appointment_path,
            &leaving,
            &json!({"received_now": true}),
        )
        .await;
        json_body(appointment, StatusCode::OK).await;

        let open_request = post_as(
            &app,
            "/v1/officer-requests",
            &leaving,
            &officer_request_to(OTHER_BODY),
        )
        .await;
        let open_request = id_of(&json_body(open_request, StatusCode::CREATED).await);
        let answered_request = post_as(
            &app,
            "/v1/officer-requests",
            &leaving,
            &officer_request_to(OTHER_BODY),
        )
        .await;
        let answered_request = id_of(&json_body(answered_request, StatusCode::CREATED).await);
        let answer_path = format!("/v1/officer-requests/{answered_request}/answer");
        let answer = post_as(
            &app,
            &answer_path,
            &astana,
            &json!({"answer": "12 НПО", "result": "Данные включены в отчёт"}),
        )
        .await;
        json_body(answer, StatusCode::OK).await;
        let incoming = post_as(
            &app,
            "/v1/officer-requests",
            &astana,
            &officer_request_to(BODY),
        )
        .await;
        let incoming = json_body(incoming, StatusCode::CREATED).await;
        assert_eq!(incoming["asked_officer"], Value::Null);
        let incoming = id_of(&incoming);
        let call = json!({
            "topic": "Предложения к плану работы с молодёжью",
            "format": "written",
            "deadline": (today + chrono::Days::new(10)).to_string(),
        });
        let call = post_as(&app, "/v1/recommendation-requests", &leaving, &call).await;
        let call = json_body(call, StatusCode::CREATED).await;
        assert_eq!(call["responsible"], leaver);
        let call_path = format!("/v1/recommendation-requests/{}", id_of(&call));

        let handover = replaced_event(BODY, LEAVING_OFFICER, SUCCESSOR, SUCCESSOR_NAME);
        app.publish(&handover).await;

        for id in [&in_work, &decided, &submitted] {
            wait_until(&app, &recommendation_path(id), &reader, |r| {
                r["responsible"] == successor
            })
            .await;
        }
        let receptions = wait_until(&app, "/v1/reception-requests", &reader, |page| {
            item_with_id(page, &waiting)["responsible"] == successor
        })
        .await;
        let requests = wait_until(&app, "/v1/officer-requests", &reader, |page| {
            item_with_id(page, &open_request)["responsible"] == successor
                && item_with_id(page, &incoming)["asked_officer"] == successor
        })
        .await;
        let call_now = get_json(&app, &call_path, &reader).await;
        assert_eq!(call_now["responsible"], successor);
        let closed_now = get_json(&app, &recommendation_path(&closed), &reader).await;
        let other_recorded_now =
            get_json(&app, &recommendation_path(&other_recorded), &astana).await;
        let other_submitted_now =
            get_json(&app, &recommendation_path(&other_submitted), &astana).await;

        assert_eq!(closed_now["responsible"], leaver);
        assert_eq!(item_with_id(&receptions, &received)["responsible"], leaver);
        let answered_now = item_with_id(&requests, &answered_request);
        assert_eq!(answered_now["responsible"], leaver);
        assert_eq!(answered_now["asked_officer"], astana_officer);
        assert_eq!(
            item_with_id(&requests, &incoming)["responsible"],
            astana_officer
        );
        assert_eq!(other_recorded_now["responsible"], astana_officer);
        assert_eq!(other_submitted_now["responsible"], Value::Null);

        // A recommendation the leaving officer records after the handover stays theirs
        // when the same event is delivered again.
        let late = record_as(&app, &leaving, &recorded_recommendation(today)).await;
        let recommendations_before = get_json(&app, "/v1/recommendations", &reader).await;
        let receptions_before = get_json(&app, "/v1/reception-requests", &reader).await;
        let requests_before = get_json(&app, "/v1/officer-requests", &reader).await;
        app.publish(&handover).await;
        // Events are consumed in order, so once this later appointment shows, the
        // repeated handover has been consumed too.
        app.publish(&appointed_event(
            CULTURE_MINISTRY,
            "officer-culture",
            "Ержан Оспанов",
        ))
        .await;
        wait_until(
            &app,
            &recommendation_path(&culture_submitted),
            &app.ministry(),
            |r| r["responsible"]["officer"] == "officer-culture",
        )
        .await;

        assert_eq!(late["responsible"], leaver);
        assert_eq!(
            get_json(&app, "/v1/recommendations", &reader).await,
            recommendations_before
        );
        assert_eq!(
            get_json(&app, "/v1/reception-requests", &reader).await,
            receptions_before
        );
        assert_eq!(
            get_json(&app, "/v1/officer-requests", &reader).await,
            requests_before
        );
    }

    async fn responsible_filter_lists_matching(app) {
        register_npo(&app, NPO_BIN, NPO_NAME).await;
        let today = today_in_kazakhstan();
        let first = officer_token(&app, BODY, LEAVING_OFFICER, Some(LEAVING_NAME));
        let second = officer_token(&app, BODY, SUCCESSOR, Some(SUCCESSOR_NAME));
        let by_first = record_as(&app, &first, &recorded_recommendation(today)).await;
        let by_second = record_as(&app, &second, &recorded_recommendation(today)).await;
        submit(&app, &recommendation_body()).await;
        let first_path = format!("/v1/recommendations?responsible={LEAVING_OFFICER}");
        let second_path = format!("/v1/recommendations?responsible={SUCCESSOR}");

        let for_officer = get_json(&app, &first_path, &app.officer(BODY)).await;
        let for_ministry = get_json(&app, &first_path, &app.ministry()).await;
        let second_listed = get_json(&app, &second_path, &app.officer(BODY)).await;
        let for_other_body = get_json(&app, &first_path, &app.officer(OTHER_BODY)).await;
        let nobody = get_json(
            &app,
            "/v1/recommendations?responsible=officer-unknown",
            &app.ministry(),
        )
        .await;

        assert_eq!(item_strings(&for_officer, "id"), vec![id_of(&by_first)]);
        assert_eq!(item_strings(&for_ministry, "id"), vec![id_of(&by_first)]);
        assert_eq!(item_strings(&second_listed, "id"), vec![id_of(&by_second)]);
        assert!(
            item_strings(&for_other_body, "id").is_empty(),
            "{for_other_body}"
        );
        assert!(item_strings(&nobody, "id").is_empty(), "{nobody}");
    }

    async fn redecision_keeps_feedback_due(app) {
        let (_, recommendation) = submitted_recommendation(&app).await;
        let id = id_of(&recommendation);
        json_body(decide(&app, &id, "implemented", None).await, StatusCode::OK).await;
        let past_due = today_in_kazakhstan() - Days::new(20);
        set_due_on(&app, &id, past_due).await;

        let redecided = decide(&app, &id, "included_in_plans", None).await;

        let redecided = json_body(redecided, StatusCode::OK).await;
        assert_eq!(redecided["stage"], "feedback");
        assert_eq!(redecided["due_on"], past_due.to_string());
        assert_eq!(redecided["overdue"], true);
    }

    async fn feedback_before_decision_not_closing(app) {
        let (_, recommendation) = submitted_recommendation(&app).await;
        let id = id_of(&recommendation);
        json_body(give_feedback(&app, &id, "Рекомендация принята в работу").await, StatusCode::OK).await;
        let decided = json_body(decide(&app, &id, "implemented", None).await, StatusCode::OK).await;
        assert_eq!(decided["stage"], "feedback");

        let early = close(&app, &id).await;

        let early_problem = problem(early, StatusCode::CONFLICT).await;
        assert_eq!(pointers(&early_problem), vec!["/feedback"]);
        json_body(give_feedback(&app, &id, "Центр открыт").await, StatusCode::OK).await;
        json_body(decide(&app, &id, "included_in_plans", None).await, StatusCode::OK).await;
        let after_redecision = close(&app, &id).await;
        problem(after_redecision, StatusCode::CONFLICT).await;
        json_body(give_feedback(&app, &id, "Центр включён в план").await, StatusCode::OK).await;
        json_body(close(&app, &id).await, StatusCode::OK).await;
    }

    async fn overdue_false_lists_the_rest(app) {
        register_npo(&app, NPO_BIN, NPO_NAME).await;
        let officer = app.officer(BODY);
        let late = record_as(
            &app,
            &officer,
            &recorded_recommendation(today_in_kazakhstan() - Days::new(60)),
        )
        .await;
        let fresh = submit(&app, &recommendation_body()).await;

        let on_time = get_json(&app, "/v1/recommendations?overdue=false", &officer).await;
        let overdue = get_json(&app, "/v1/recommendations?overdue=true", &officer).await;

        assert_eq!(item_strings(&on_time, "id"), vec![id_of(&fresh)]);
        assert_eq!(item_strings(&overdue, "id"), vec![id_of(&late)]);
    }

    async fn overdue_counts_checked(app) {
        let path = "/v1/recommendations/overdue-by-body";
        let unknown = get_as(&app, &format!("{path}?foo=1"), &app.ministry()).await;
        let other_body = get_as(
            &app,
            &format!("{path}?government_body={OTHER_BODY}"),
            &app.officer(BODY),
        )
        .await;
        let own_body = get_as(
            &app,
            &format!("{path}?government_body={BODY}"),
            &app.officer(BODY),
        )
        .await;

        problem(unknown, StatusCode::UNPROCESSABLE_ENTITY).await;
        problem(other_body, StatusCode::FORBIDDEN).await;
        assert_eq!(own_body.status(), StatusCode::OK);
    }

    async fn clarification_changes_etag(app) {
        let (_, recommendation) = submitted_recommendation(&app).await;
        let id = id_of(&recommendation);
        let npo = npo_token(&app, NPO_BIN);
        let question = json!({"question": "В каком районе открыть центр?"});

        let asked = post_officer(
            &app,
            &format!("{}/clarification-requests", recommendation_path(&id)),
            &question,
        )
        .await;
        let asked = json_body(asked, StatusCode::CREATED).await;
        let answered = post_as(
            &app,
            &format!("{}/clarifications/1/answer", recommendation_path(&id)),
            &npo,
            &json!({"answer": "В Жезказгане"}),
        )
        .await;
        let answered = json_body(answered, StatusCode::OK).await;
        let not_a_number = post_as(
            &app,
            &format!("{}/clarifications/99999999999/answer", recommendation_path(&id)),
            &npo,
            &json!({"answer": "В Жезказгане"}),
        )
        .await;

        assert_eq!(asked["version"], 2);
        assert_eq!(answered["version"], 3);
        problem(not_a_number, StatusCode::NOT_FOUND).await;
    }

    async fn nameless_or_late_officer_events_ignored(app) {
        register_npo(&app, NPO_BIN, NPO_NAME).await;
        let unassigned = submit(&app, &recommendation_body()).await;
        let path = recommendation_path(&id_of(&unassigned));
        let reader = app.officer(BODY);
        let appointee = responsible(SUCCESSOR, Some(SUCCESSOR_NAME));

        // A successor without a name is dead-lettered, and an appointment dated before
        // the current officer took office arrived late: neither changes anything.
        app.publish(&replaced_event(BODY, LEAVING_OFFICER, "", "")).await;
        app.publish(&appointed_event(BODY, SUCCESSOR, SUCCESSOR_NAME)).await;
        wait_until(&app, &path, &reader, |r| r["responsible"] == appointee).await;
        let elsewhere = submit(&app, &recommendation_to(OTHER_BODY)).await;
        let mut late = appointed_event(BODY, LEAVING_OFFICER, LEAVING_NAME);
        late.payload["appointed_on"] = json!((today_in_kazakhstan() - Days::new(30)).to_string());
        app.publish(&late).await;
        // The consumer applies events in order, so once this appointment to another body
        // shows, the late one was handled.
        app.publish(&appointed_event(OTHER_BODY, ASTANA_OFFICER, ASTANA_NAME)).await;
        let elsewhere_path = recommendation_path(&id_of(&elsewhere));
        let astana = responsible(ASTANA_OFFICER, Some(ASTANA_NAME));
        wait_until(&app, &elsewhere_path, &app.officer(OTHER_BODY), |r| {
            r["responsible"] == astana
        })
        .await;

        let after = get_json(&app, &path, &reader).await;
        let fresh = submit(&app, &recommendation_body()).await;

        assert_eq!(after["responsible"], appointee);
        assert_eq!(fresh["responsible"], json!({"name": SUCCESSOR_NAME}));
    }

    async fn created_locations_readable(app) {
        register_npo(&app, NPO_BIN, NPO_NAME).await;
        let npo = npo_token(&app, NPO_BIN);
        let reception = post_as(
            &app,
            "/v1/reception-requests",
            &npo,
            &json!({"government_body": BODY, "topic": "Помещение для кружков"}),
        )
        .await;
        let reception_location = header(&reception, "location");
        let reception = json_body(reception, StatusCode::CREATED).await;
        let request = post_officer(&app, "/v1/officer-requests", &officer_request_to(OTHER_BODY)).await;
        let request_location = header(&request, "location");
        let request = json_body(request, StatusCode::CREATED).await;

        let by_npo = get_json(&app, &reception_location, &npo).await;
        let by_body = get_json(&app, &reception_location, &app.officer(BODY)).await;
        let by_other = get_as(&app, &reception_location, &app.officer(OTHER_BODY)).await;
        let asked = get_json(&app, &request_location, &app.officer(OTHER_BODY)).await;
        let by_ministry = get_json(&app, &request_location, &app.ministry()).await;
        let by_third = get_as(&app, &request_location, &app.officer(CULTURE_MINISTRY)).await;

        assert_eq!(by_npo["id"], reception["id"]);
        assert_eq!(by_body["id"], reception["id"]);
        problem(by_other, StatusCode::NOT_FOUND).await;
        assert_eq!(asked["id"], request["id"]);
        assert_eq!(by_ministry["id"], request["id"]);
        problem(by_third, StatusCode::NOT_FOUND).await;
    }

    async fn appointment_after_dismissal_takes_items(app) {
        register_npo(&app, NPO_BIN, NPO_NAME).await;
        let reader = app.officer(BODY);
        let leaver = responsible(LEAVING_OFFICER, Some(LEAVING_NAME));
        let successor = responsible(SUCCESSOR, Some(SUCCESSOR_NAME));
        app.publish(&appointed_event(BODY, LEAVING_OFFICER, LEAVING_NAME)).await;
        let first = submit(&app, &recommendation_body()).await;
        let path = recommendation_path(&id_of(&first));
        wait_until(&app, &path, &reader, |r| r["responsible"] == leaver).await;

        // A dismissal sends no event; the next appointment names the new officer.
        app.publish(&appointed_event(BODY, SUCCESSOR, SUCCESSOR_NAME)).await;

        wait_until(&app, &path, &reader, |r| r["responsible"] == successor).await;
    }

    async fn npo_sees_officer_name_only(app) {
        register_npo(&app, NPO_BIN, NPO_NAME).await;
        let recorder = officer_token(&app, BODY, LEAVING_OFFICER, Some(LEAVING_NAME));
        let npo = npo_token(&app, NPO_BIN);
        let submitted = submit(&app, &recommendation_body()).await;
        let id = id_of(&submitted);
        let decided = act_as(&app, &id, "decision", &recorder, &json!({"handling": "implemented"})).await;
        json_body(decided, StatusCode::OK).await;
        let reception = post_as(
            &app,
            "/v1/reception-requests",
            &npo,
            &json!({"government_body": BODY, "topic": "Помещение для кружков"}),
        )
        .await;
        let reception = json_body(reception, StatusCode::CREATED).await;
        let appointment = post_as(
            &app,
            &format!("/v1/reception-requests/{}/appointment", id_of(&reception)),
            &recorder,
            &json!({"received_now": true}),
        )
        .await;
        json_body(appointment, StatusCode::OK).await;

        let by_npo = get_json(&app, &recommendation_path(&id), &npo).await;
        let listed = get_json(&app, "/v1/recommendations", &npo).await;
        let receptions = get_json(&app, "/v1/reception-requests", &npo).await;
        let by_officer = get_json(&app, &recommendation_path(&id), &app.officer(BODY)).await;

        let name_only = json!({"name": LEAVING_NAME});
        assert_eq!(by_npo["responsible"], name_only);
        assert_eq!(listed["items"][0]["responsible"], name_only);
        assert_eq!(receptions["items"][0]["responsible"], name_only);
        assert_eq!(by_officer["responsible"], responsible(LEAVING_OFFICER, Some(LEAVING_NAME)));
    }
}

per_backend_tests! {
    async fn forwarding_follows_competence_map(backend) {
        let map = CompetenceMap::start().await;
        let Some(app) = spawn_with_aggregation(backend, &map.url, &[]).await else {
            return;
        };
        register_npo(&app, NPO_BIN, NPO_NAME).await;
        let submitted = submit(&app, &astana_social_recommendation()).await;
        let id = id_of(&submitted);
        let path = recommendation_path(&id);
        let sender = app.officer(BODY);
        let before = etag_as(&app, &id, &sender).await;
        let mut events = app.observe(&[RECOMMENDATION_FORWARDED]).await;
        let today = today_in_kazakhstan();

        let response =
            post_if_match(&app, &id, "forwarding", &sender, Some(&before), &json!({})).await;

        let after = header(&response, "etag");
        let forwarded = json_body(response, StatusCode::OK).await;
        assert_ne!(after, before);
        let expected_version = submitted["version"].as_i64().expect("a numeric version") + 1;
        assert_eq!(forwarded["version"], expected_version);
        assert_eq!(forwarded["government_body"], OTHER_BODY);
        assert_eq!(forwarded["received_by"], BODY);
        assert_eq!(forwarded["status"], "forwarded");
        assert_eq!(forwarded["stage"], "decision");
        assert_eq!(
            forwarded["due_on"],
            kazakhstan_due(today, DECISION_DAYS).to_string()
        );
        assert_eq!(forwarded["overdue"], false);
        assert_eq!(forwarded["responsible"], Value::Null);
        assert_eq!(
            forwarded["forwarding"],
            json!([{
                "number": 1,
                "from_body": BODY,
                "to_body": OTHER_BODY,
                "reason": null,
                "routed_by": "competence_map",
                "forwarded_on": today.to_string()
            }])
        );
        let expected =
            expected_query(&[("sphere", "social_protection"), ("territory", ASTANA_YESIL)]);
        let queries = map.received_queries();
        assert!(queries.contains(&expected), "{queries:?}");

        let payload = expect_event_for(&mut events, RECOMMENDATION_FORWARDED, &id).await;
        assert_eq!(payload["government_body"], OTHER_BODY);
        assert_eq!(payload["status"], "forwarded");
        assert_eq!(payload["received_by"], BODY);
        assert_eq!(payload["forwarded_from"], BODY);
        assert_eq!(payload["forwarded_on"], today.to_string());
        assert_eq!(payload["due_on"], forwarded["due_on"]);
        assert_eq!(payload["territory"], ASTANA_YESIL);
        assert_eq!(payload["contacts"], CONTACTS_LINE);
        assert_eq!(payload["handling"], Value::Null);
        assert_eq!(payload["decided_on"], Value::Null);
        events.close().await;

        let receiver = app.officer(OTHER_BODY);
        let received = get_json(&app, &path, &receiver).await;
        let receiver_list = get_json(&app, "/v1/recommendations", &receiver).await;
        let sender_read = get_json(&app, &path, &sender).await;
        let sender_list = get_json(&app, "/v1/recommendations", &sender).await;
        let uninvolved = get_as(&app, &path, &app.officer(CULTURE_MINISTRY)).await;
        let npo_view = get_json(&app, &path, &npo_token(&app, NPO_BIN)).await;

        assert_eq!(received["government_body"], OTHER_BODY);
        assert_eq!(received["contacts"], contacts());
        assert_eq!(item_strings(&receiver_list, "id"), vec![id.clone()]);
        assert_eq!(sender_read["government_body"], OTHER_BODY);
        assert_eq!(item_strings(&sender_list, "id"), vec![id.clone()]);
        assert_eq!(uninvolved.status(), StatusCode::NOT_FOUND);
        assert_eq!(npo_view["government_body"], OTHER_BODY);
        assert_eq!(npo_view["status"], "forwarded");
        assert_eq!(npo_view["forwarding"], forwarded["forwarding"]);

        app.stop().await;
        map.stop().await;
    }

    async fn map_queried_without_territory(backend) {
        let map = CompetenceMap::start().await;
        let Some(app) = spawn_with_aggregation(backend, &map.url, &[]).await else {
            return;
        };
        register_npo(&app, NPO_BIN, NPO_NAME).await;
        let mut body = recommendation_body();
        body["sphere"] = json!("culture");
        let submitted = submit(&app, &body).await;

        let response = forward(&app, &id_of(&submitted), &app.officer(BODY), &json!({})).await;

        let forwarded = json_body(response, StatusCode::OK).await;
        assert_eq!(forwarded["government_body"], CULTURE_MINISTRY);
        assert_eq!(forwarded["forwarding"][0]["routed_by"], "competence_map");
        let queries = map.received_queries();
        assert!(
            queries.contains(&expected_query(&[("sphere", "culture")])),
            "{queries:?}"
        );

        app.stop().await;
        map.stop().await;
    }

    async fn rerouting_keeps_chain(backend) {
        let map = CompetenceMap::start().await;
        let Some(app) = spawn_with_aggregation(backend, &map.url, &[]).await else {
            return;
        };
        register_npo(&app, NPO_BIN, NPO_NAME).await;
        let today = today_in_kazakhstan().to_string();
        let id = id_of(&submit(&app, &astana_social_recommendation()).await);
        let path = recommendation_path(&id);
        let first = app.officer(BODY);
        let second = app.officer(OTHER_BODY);
        let third = app.officer(CULTURE_MINISTRY);
        let to_culture_reason = "Речь идёт о реставрации памятника истории и культуры";
        let back_reason =
            "Памятник находится в ведении местного исполнительного органа области Ұлытау";
        let mut events = app.observe(&[RECOMMENDATION_FORWARDED]).await;

        json_body(forward(&app, &id, &first, &json!({})).await, StatusCode::OK).await;
        let before = get_json(&app, &path, &second).await;
        let without_reason =
            forward(&app, &id, &second, &json!({"to_body": CULTURE_MINISTRY})).await;
        let blank_reason = forward(
            &app,
            &id,
            &second,
            &json!({"to_body": CULTURE_MINISTRY, "reason": "  "}),
        )
        .await;
        let unchanged = get_json(&app, &path, &second).await;

        let problem_without = problem(without_reason, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(pointers(&problem_without), vec!["/reason"]);
        let problem_blank = problem(blank_reason, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(pointers(&problem_blank), vec!["/reason"]);
        assert_eq!(unchanged["version"], before["version"]);
        assert_eq!(unchanged["government_body"], OTHER_BODY);
        assert_eq!(unchanged["forwarding"].as_array().map(Vec::len), Some(1));

        let to_culture = json!({"to_body": CULTURE_MINISTRY, "reason": to_culture_reason});
        json_body(
            forward(&app, &id, &second, &to_culture).await,
            StatusCode::OK,
        )
        .await;
        let back = json!({"to_body": BODY, "reason": back_reason});
        let returned = json_body(forward(&app, &id, &third, &back).await, StatusCode::OK).await;

        assert_eq!(returned["government_body"], BODY);
        assert_eq!(returned["received_by"], BODY);
        assert_eq!(returned["status"], "forwarded");
        assert_eq!(
            returned["forwarding"],
            json!([
                {
                    "number": 1, "from_body": BODY, "to_body": OTHER_BODY, "reason": null,
                    "routed_by": "competence_map", "forwarded_on": today
                },
                {
                    "number": 2, "from_body": OTHER_BODY, "to_body": CULTURE_MINISTRY,
                    "reason": to_culture_reason, "routed_by": "officer", "forwarded_on": today
                },
                {
                    "number": 3, "from_body": CULTURE_MINISTRY, "to_body": BODY,
                    "reason": back_reason, "routed_by": "officer", "forwarded_on": today
                }
            ])
        );
        let mut steps = Vec::new();
        for _ in 0..3 {
            steps.push(expect_event_for(&mut events, RECOMMENDATION_FORWARDED, &id).await);
        }
        events.close().await;
        let latest: Vec<(&Value, &Value)> = steps
            .iter()
            .map(|payload| (&payload["forwarded_from"], &payload["government_body"]))
            .collect();
        assert_eq!(
            latest,
            vec![
                (&json!(BODY), &json!(OTHER_BODY)),
                (&json!(OTHER_BODY), &json!(CULTURE_MINISTRY)),
                (&json!(CULTURE_MINISTRY), &json!(BODY)),
            ]
        );
        assert!(
            steps.iter().all(|payload| payload["forwarded_on"] == today.as_str()),
            "{steps:?}"
        );

        for (earlier, target) in [(&second, CULTURE_MINISTRY), (&third, OTHER_BODY)] {
            let read = get_json(&app, &path, earlier).await;
            let listed = get_json(&app, "/v1/recommendations", earlier).await;
            assert_eq!(read["government_body"], BODY);
            assert_eq!(item_strings(&listed, "id"), vec![id.clone()]);
            let attempts = [
                ("decision", json!({"handling": "implemented"})),
                ("feedback", json!({"feedback": "Памятник отреставрирован"})),
                ("close", json!({})),
                (
                    "forwarding",
                    json!({"to_body": target, "reason": "Повторная проверка"}),
                ),
            ];
            for (action, body) in attempts {
                let response = act_as(&app, &id, action, earlier, &body).await;
                assert_eq!(
                    response.status(),
                    StatusCode::FORBIDDEN,
                    "{action} by an earlier body"
                );
            }
            let question = json!({"question": "Какой год постройки памятника?"});
            let clarification = post_as(
                &app,
                &format!("{path}/clarification-requests"),
                earlier,
                &question,
            )
            .await;
            assert_eq!(
                clarification.status(),
                StatusCode::FORBIDDEN,
                "clarification by an earlier body"
            );
        }

        let decided = json_body(decide(&app, &id, "implemented", None).await, StatusCode::OK).await;
        let answered = json_body(
            give_feedback(&app, &id, "Памятник отреставрирован").await,
            StatusCode::OK,
        )
        .await;
        let closed = json_body(close(&app, &id).await, StatusCode::OK).await;

        assert_eq!(decided["status"], "implemented");
        assert_eq!(answered["feedback"], "Памятник отреставрирован");
        assert_eq!(closed["status"], "closed");
        assert_eq!(closed["forwarding"], returned["forwarding"]);

        app.stop().await;
        map.stop().await;
    }

    async fn forwarding_target_rejected(backend) {
        let map = CompetenceMap::start().await;
        let Some(app) = spawn_with_aggregation(backend, &map.url, &[]).await else {
            return;
        };
        register_npo(&app, NPO_BIN, NPO_NAME).await;
        let officer = app.officer(BODY);
        let no_competent = submit(&app, &recommendation_body()).await;
        let mut local_body = astana_social_recommendation();
        local_body["territory"] = json!(ULYTAU_VILLAGE);
        let local = submit(&app, &local_body).await;
        let misrouted = submit(&app, &astana_social_recommendation()).await;

        let cases = [
            (&no_competent, json!({}), "the map has no competent body"),
            (&local, json!({}), "the map names the current body"),
            (
                &misrouted,
                json!({"to_body": "akimat-atlantis"}),
                "the body is unknown",
            ),
            (
                &misrouted,
                json!({"to_body": BODY}),
                "the body is the current one",
            ),
        ];
        for (submitted, body, case) in cases {
            let response = forward(&app, &id_of(submitted), &officer, &body).await;
            let problem = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
            assert_eq!(pointers(&problem), vec!["/to_body"], "{case}");
        }
        for submitted in [&no_competent, &local, &misrouted] {
            let path = recommendation_path(&id_of(submitted));
            let unchanged = get_json(&app, &path, &officer).await;
            assert_eq!(unchanged["government_body"], BODY);
            assert_eq!(unchanged["status"], "in_work");
            assert_eq!(unchanged["version"], submitted["version"]);
            assert_eq!(unchanged["forwarding"], json!([]));
        }

        app.stop().await;
        map.stop().await;
    }

    async fn forwarding_preconditions_checked(backend) {
        let map = CompetenceMap::start().await;
        let Some(app) = spawn_with_aggregation(backend, &map.url, &[]).await else {
            return;
        };
        register_npo(&app, NPO_BIN, NPO_NAME).await;
        let id = id_of(&submit(&app, &astana_social_recommendation()).await);
        let sender = app.officer(BODY);
        let receiver = app.officer(OTHER_BODY);
        let npo = npo_token(&app, NPO_BIN);
        let current = etag_as(&app, &id, &sender).await;
        let to_culture =
            json!({"to_body": CULTURE_MINISTRY, "reason": "Вопрос относится к культуре"});

        let without_if_match =
            post_if_match(&app, &id, "forwarding", &sender, None, &json!({})).await;
        let unknown_field = post_if_match(
            &app,
            &id,
            "forwarding",
            &sender,
            Some(&current),
            &json!({"priority": "high"}),
        )
        .await;
        let by_npo = forward(&app, &id, &npo, &json!({})).await;
        let by_other_body = post_if_match(
            &app,
            &id,
            "forwarding",
            &receiver,
            Some(&current),
            &to_culture,
        )
        .await;
        let anonymous = app
            .client
            .post(app.url(&format!("{}/forwarding", recommendation_path(&id))))
            .header("If-Match", &current)
            .json(&json!({}))
            .send()
            .await
            .expect("the server responds");

        problem(without_if_match, StatusCode::PRECONDITION_REQUIRED).await;
        let unknown_field = problem(unknown_field, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(pointers(&unknown_field), vec!["/priority"]);
        problem(by_npo, StatusCode::FORBIDDEN).await;
        problem(by_other_body, StatusCode::NOT_FOUND).await;
        problem(anonymous, StatusCode::UNAUTHORIZED).await;
        let unchanged = get_json(&app, &recommendation_path(&id), &sender).await;
        assert_eq!(unchanged["government_body"], BODY);
        assert_eq!(unchanged["forwarding"], json!([]));

        let forwarded =
            post_if_match(&app, &id, "forwarding", &sender, Some(&current), &json!({})).await;
        json_body(forwarded, StatusCode::OK).await;
        let stale = post_if_match(
            &app,
            &id,
            "forwarding",
            &receiver,
            Some(&current),
            &to_culture,
        )
        .await;
        problem(stale, StatusCode::PRECONDITION_FAILED).await;

        let decision = act_as(
            &app,
            &id,
            "decision",
            &receiver,
            &json!({"handling": "implemented"}),
        )
        .await;
        json_body(decision, StatusCode::OK).await;
        let after_decision = forward(&app, &id, &receiver, &to_culture).await;
        problem(after_decision, StatusCode::CONFLICT).await;

        let feedback = act_as(
            &app,
            &id,
            "feedback",
            &receiver,
            &json!({"feedback": "Центр открыт"}),
        )
        .await;
        json_body(feedback, StatusCode::OK).await;
        json_body(
            act_as(&app, &id, "close", &receiver, &json!({})).await,
            StatusCode::OK,
        )
        .await;
        let after_close = forward(&app, &id, &receiver, &to_culture).await;
        problem(after_close, StatusCode::CONFLICT).await;

        app.stop().await;
        map.stop().await;
    }

    async fn forwarding_passes_to_known_officer(backend) {
        let map = CompetenceMap::start().await;
        let Some(app) = spawn_with_aggregation(backend, &map.url, &[]).await else {
            return;
        };
        register_npo(&app, NPO_BIN, NPO_NAME).await;
        let astana_officer = responsible(ASTANA_OFFICER, Some(ASTANA_NAME));
        let direct = submit(&app, &recommendation_to(OTHER_BODY)).await;
        app.publish(&appointed_event(OTHER_BODY, ASTANA_OFFICER, ASTANA_NAME))
            .await;
        wait_until(
            &app,
            &recommendation_path(&id_of(&direct)),
            &app.ministry(),
            |r| r["responsible"] == astana_officer,
        )
        .await;
        let misrouted = submit(&app, &astana_social_recommendation()).await;

        let response = forward(&app, &id_of(&misrouted), &app.officer(BODY), &json!({})).await;

        let forwarded = json_body(response, StatusCode::OK).await;
        assert_eq!(misrouted["responsible"], Value::Null);
        assert_eq!(forwarded["government_body"], OTHER_BODY);
        assert_eq!(forwarded["responsible"], astana_officer);

        app.stop().await;
        map.stop().await;
    }

    async fn unreachable_aggregation_unavailable(backend) {
        let Some(app) = spawn_with_aggregation(backend, &closed_port_url(), &[]).await else {
            return;
        };
        register_npo(&app, NPO_BIN, NPO_NAME).await;
        let officer = app.officer(BODY);
        let mut recorded = recorded_recommendation(today_in_kazakhstan());
        recorded["sphere"] = json!("social_protection");
        recorded["territory"] = json!(ASTANA_YESIL);
        let submitted = record_as(&app, &officer, &recorded).await;
        let id = id_of(&submitted);

        // An NPO names the body, which is checked in the unreachable register.
        let by_npo = submit_as_npo(&app, NPO_BIN, &astana_social_recommendation()).await;
        problem(by_npo, StatusCode::SERVICE_UNAVAILABLE).await;
        let by_map = forward(&app, &id, &officer, &json!({})).await;
        let by_map_retry = by_map.headers().get("retry-after").cloned();
        problem(by_map, StatusCode::SERVICE_UNAVAILABLE).await;
        let named = forward(&app, &id, &officer, &json!({"to_body": OTHER_BODY})).await;
        let named_retry = named.headers().get("retry-after").cloned();
        problem(named, StatusCode::SERVICE_UNAVAILABLE).await;
        let unchanged = get_json(&app, &recommendation_path(&id), &officer).await;

        assert!(by_map_retry.is_some(), "the 503 response lacks Retry-After");
        assert!(named_retry.is_some(), "the 503 response lacks Retry-After");
        assert_eq!(unchanged["version"], submitted["version"]);
        assert_eq!(unchanged["government_body"], BODY);
        assert_eq!(unchanged["status"], "in_work");
        assert_eq!(unchanged["forwarding"], json!([]));

        app.stop().await;
    }

    async fn deadline_settings_applied(backend) {
        let folder = tempfile::tempdir().expect("a temporary folder can be created");
        let today = today_in_kazakhstan();
        let closure: String = (1..=10)
            .map(|offset| format!("{} off regional quarantine\n", today + Days::new(offset)))
            .collect();
        let holidays = folder.path().join("holidays.txt");
        std::fs::write(&holidays, &closure).expect("the holidays file can be written");
        let holidays = holidays.display().to_string();
        let settings = [
            ("LIAISON_RECOMMENDATION_DECISION_DAYS", "1"),
            ("LIAISON_RECOMMENDATION_FEEDBACK_DAYS", "2"),
            ("LIAISON_HOLIDAYS_FILE", holidays.as_str()),
        ];
        let Some(app) = TestApp::spawn_with(SERVICES, backend, &settings).await else {
            return;
        };
        let calendar = WorkingCalendar::parse(&closure).expect("a valid calendar");
        let decision_due = calendar.add_working_days(today, 1);
        let feedback_due = calendar.add_working_days(today, 2);
        register_npo(&app, NPO_BIN, NPO_NAME).await;

        let submitted = submit(&app, &recommendation_body()).await;
        let decided = json_body(
            decide(&app, &id_of(&submitted), "implemented", None).await,
            StatusCode::OK,
        )
        .await;

        assert!(
            decision_due > today + Days::new(10),
            "the closure is skipped"
        );
        assert_eq!(submitted["due_on"], decision_due.to_string());
        assert_eq!(decided["due_on"], feedback_due.to_string());

        app.stop().await;
    }

    async fn misbehaving_map_unavailable(backend) {
        let map = CompetenceMap::start().await;
        let Some(app) = spawn_with_aggregation(backend, &map.url, &[]).await else {
            return;
        };
        register_npo(&app, NPO_BIN, NPO_NAME).await;
        let officer = app.officer(BODY);

        // The stand-in returns an invalid body id for science, HTML for health and
        // 400 for education.
        for sphere in ["science", "health", "education"] {
            let mut body = recommendation_body();
            body["sphere"] = json!(sphere);
            let submitted = submit(&app, &body).await;
            let id = id_of(&submitted);

            let response = forward(&app, &id, &officer, &json!({})).await;

            let problem = problem(response, StatusCode::SERVICE_UNAVAILABLE).await;
            assert!(
                problem["detail"].as_str().unwrap_or_default().contains("aggregation"),
                "{sphere}: {problem}"
            );
            let unchanged = get_json(&app, &recommendation_path(&id), &officer).await;
            assert_eq!(unchanged["version"], submitted["version"], "{sphere}");
            assert_eq!(unchanged["government_body"], BODY, "{sphere}");
        }

        app.stop().await;
        map.stop().await;
    }

    async fn unregistered_body_rejected(backend) {
        let map = CompetenceMap::start().await;
        let Some(app) = spawn_with_aggregation(backend, &map.url, &[]).await else {
            return;
        };
        register_npo(&app, NPO_BIN, NPO_NAME).await;
        let npo = npo_token(&app, NPO_BIN);

        let recommendation = submit_as_npo(&app, NPO_BIN, &recommendation_to("akimat-atlantis")).await;
        let reception = post_as(
            &app,
            "/v1/reception-requests",
            &npo,
            &json!({"government_body": "akimat-atlantis", "topic": "Помещение для кружков"}),
        )
        .await;
        let officer_request = post_officer(
            &app,
            "/v1/officer-requests",
            &officer_request_to("akimat-atlantis"),
        )
        .await;

        let problem_recommendation = problem(recommendation, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(pointers(&problem_recommendation), vec!["/government_body"]);
        let problem_reception = problem(reception, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(pointers(&problem_reception), vec!["/government_body"]);
        let problem_request = problem(officer_request, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(pointers(&problem_request), vec!["/to_body"]);
        let recommendations = get_json(&app, "/v1/recommendations", &app.ministry()).await;
        assert!(item_strings(&recommendations, "id").is_empty(), "{recommendations}");
        let known = submit_as_npo(&app, NPO_BIN, &recommendation_to(OTHER_BODY)).await;
        assert_eq!(known.status(), StatusCode::CREATED);

        app.stop().await;
        map.stop().await;
    }

    async fn forwarded_overdue_listed_at_receiver(backend) {
        let map = CompetenceMap::start().await;
        let Some(app) = spawn_with_aggregation(backend, &map.url, &[]).await else {
            return;
        };
        register_npo(&app, NPO_BIN, NPO_NAME).await;
        let sender = app.officer(BODY);
        let receiver = app.officer(OTHER_BODY);
        let id = id_of(&submit(&app, &astana_social_recommendation()).await);
        json_body(forward(&app, &id, &sender, &json!({})).await, StatusCode::OK).await;
        set_due_on(&app, &id, today_in_kazakhstan() - Days::new(3)).await;

        let sender_overdue = get_json(&app, "/v1/recommendations?overdue=true", &sender).await;
        let receiver_overdue = get_json(&app, "/v1/recommendations?overdue=true", &receiver).await;
        let sender_all = get_json(&app, "/v1/recommendations", &sender).await;

        assert!(item_strings(&sender_overdue, "id").is_empty(), "{sender_overdue}");
        assert_eq!(item_strings(&receiver_overdue, "id"), vec![id.clone()]);
        assert_eq!(item_strings(&sender_all, "id"), vec![id]);

        app.stop().await;
        map.stop().await;
    }

    async fn earlier_feedback_not_closing(backend) {
        let map = CompetenceMap::start().await;
        let Some(app) = spawn_with_aggregation(backend, &map.url, &[]).await else {
            return;
        };
        register_npo(&app, NPO_BIN, NPO_NAME).await;
        let sender = app.officer(BODY);
        let receiver = app.officer(OTHER_BODY);
        let id = id_of(&submit(&app, &astana_social_recommendation()).await);
        let feedback = json!({"feedback": "Рекомендация направлена в акимат Астаны"});
        let interim = act_as(&app, &id, "feedback", &sender, &feedback).await;
        json_body(interim, StatusCode::OK).await;
        json_body(forward(&app, &id, &sender, &json!({})).await, StatusCode::OK).await;
        let decision = json!({"handling": "implemented"});
        let decided = act_as(&app, &id, "decision", &receiver, &decision).await;
        json_body(decided, StatusCode::OK).await;

        let early = act_as(&app, &id, "close", &receiver, &json!({})).await;

        let problem = problem(early, StatusCode::CONFLICT).await;
        assert_eq!(pointers(&problem), vec!["/feedback"]);
        let answer = json!({"feedback": "Центр открыт в районе Есиль"});
        let answered = act_as(&app, &id, "feedback", &receiver, &answer).await;
        json_body(answered, StatusCode::OK).await;
        let closed = act_as(&app, &id, "close", &receiver, &json!({})).await;
        assert_eq!(json_body(closed, StatusCode::OK).await["status"], "closed");

        app.stop().await;
        map.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_settings_fail_start() {
    let folder = tempfile::tempdir().expect("a temporary folder can be created");
    let broken = folder.path().join("broken.txt");
    std::fs::write(&broken, "2026-12-32 off Independence Day\n")
        .expect("the holidays file can be written");
    let missing = folder.path().join("missing.txt");
    let cases = [
        ("RECOMMENDATION_DECISION_DAYS", "0".to_owned()),
        ("RECOMMENDATION_DECISION_DAYS", "abc".to_owned()),
        ("RECOMMENDATION_DECISION_DAYS", "366".to_owned()),
        ("RECOMMENDATION_FEEDBACK_DAYS", "-1".to_owned()),
        ("HOLIDAYS_FILE", missing.display().to_string()),
        ("HOLIDAYS_FILE", broken.display().to_string()),
    ];

    for (name, value) in &cases {
        let data = tempfile::tempdir().expect("a temporary folder can be created");
        let settings = settings_with_option(data.path(), name, value);
        match service_kit::app::start(settings, SERVICES, false).await {
            Ok(running) => {
                running.stop().await;
                panic!("the server started with LIAISON_{name}={value}");
            }
            Err(error) => {
                let message = format!("{error:#}");
                assert!(message.contains(*name), "LIAISON_{name}={value}: {message}");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn maximum_decision_days_accepted() {
    let data = tempfile::tempdir().expect("a temporary folder can be created");
    let settings = settings_with_option(data.path(), "RECOMMENDATION_DECISION_DAYS", "365");

    let running = service_kit::app::start(settings, SERVICES, false)
        .await
        .expect("the server starts with 365 decision days");

    running.stop().await;
}
