use chrono::{Days, NaiveDate};
use common_models::Sphere;
use diesel::prelude::*;
use recommendations::schema::recommendation_requests;
use recommendations::store::calls::answerable;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use service_kit::audit;
use service_kit::testing::TestApp;
use service_kit::{AnyConnection, ApiError, Database, StoreError, backend_tests};

use crate::{
    BODY, NPO_BIN, NPO_NAME, OTHER_BODY, OTHER_NPO_BIN, OTHER_NPO_NAME, SERVICES, expect_event_for,
    get_as, get_json, id_of, item_strings, json_body, npo_token, pointers, post_as, post_officer,
    problem, register_npo, today_in_kazakhstan,
};

const PATH: &str = "/v1/recommendation-requests";

/// A UUIDv7, the shape of the ids the services issue, that no stored record has.
const UNKNOWN_ID: &str = "0190c1c8-0000-7000-8000-000000000000";

fn deadline_in(days: u64) -> NaiveDate {
    today_in_kazakhstan() + Days::new(days)
}

/// Builds a request for recommendations due in a week, inviting `invited`.
fn request_body(invited: &[Value]) -> Value {
    json!({
        "topic": "Предложения к программе поддержки молодёжных НПО на 2027 год",
        "sphere": "youth",
        "format": "public_hearing",
        "deadline": deadline_in(7).to_string(),
        "invited_npos": invited
    })
}

fn request_path(id: &str) -> String {
    format!("{PATH}/{id}")
}

/// Publishes `body` as the officer of `BODY`, failing the test unless it was created.
async fn published(app: &TestApp, body: &Value) -> Value {
    json_body(post_officer(app, PATH, body).await, StatusCode::CREATED).await
}

/// Sends a close of request `id` as `token`, with `if_match` when given.
async fn close_as(app: &TestApp, id: &str, token: &str, if_match: Option<&str>) -> Response {
    let mut request = app
        .client
        .post(app.url(&format!("{}/close", request_path(id))))
        .bearer_auth(token);
    if let Some(tag) = if_match {
        request = request.header("If-Match", tag);
    }
    request.send().await.expect("the server responds")
}

fn header(response: &Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .unwrap_or_else(|| panic!("the response has a {name} header"))
        .to_str()
        .expect("an ASCII header")
        .to_owned()
}

/// Runs `work` on a connection of its own to the recommendations database of `app`.
async fn with_database<T, F>(app: &TestApp, work: F) -> T
where
    T: Send + 'static,
    F: FnOnce(&mut AnyConnection) -> T + Send + 'static,
{
    let url = app.settings.database_url_for("recommendations");
    tokio::task::spawn_blocking(move || {
        let db = Database::connect(&url).expect("the test database accepts connections");
        db.run_blocking(|conn| Ok::<_, StoreError>(work(conn)))
            .expect("a connection is available")
    })
    .await
    .expect("the database work finished")
}

/// Calls `answerable` for request `id` and the NPO `npo_id` on `today`.
async fn check_answerable(
    app: &TestApp,
    id: &str,
    npo_id: &str,
    today: NaiveDate,
) -> Result<(String, Option<Sphere>), ApiError> {
    let (id, npo_id) = (id.to_owned(), npo_id.to_owned());
    with_database(app, move |conn| answerable(conn, &id, &npo_id, today)).await
}

fn field_pointers(error: &ApiError) -> Vec<String> {
    match error {
        ApiError::Validation { errors, .. } => errors.iter().map(|e| e.pointer.clone()).collect(),
        other => panic!("expected a validation problem, found {other:?}"),
    }
}

backend_tests! {
    services: SERVICES;

    async fn request_created_and_read(app) {
        let npo = register_npo(&app, NPO_BIN, NPO_NAME).await;
        let npo_id = id_of(&npo);

        let response = post_officer(&app, PATH, &request_body(&[json!(npo_id)])).await;

        assert_eq!(response.status(), StatusCode::CREATED);
        let etag = header(&response, "etag");
        let location = header(&response, "location");
        let created = json_body(response, StatusCode::CREATED).await;
        let id = id_of(&created);
        assert_eq!(etag, "\"1\"");
        assert_eq!(location, request_path(&id));
        assert_eq!(created["government_body"], BODY);
        assert_eq!(created["format"], "public_hearing");
        assert_eq!(created["sphere"], "youth");
        assert_eq!(created["status"], "open");
        assert_eq!(created["accepting"], true);
        assert_eq!(created["sent_on"], today_in_kazakhstan().to_string());
        assert_eq!(created["deadline"], deadline_in(7).to_string());
        assert_eq!(created["invited_npos"], json!([npo_id]));
        let read = get_json(&app, &request_path(&id), &app.officer(BODY)).await;
        assert_eq!(read, created);
        let own = get_json(&app, PATH, &app.officer(BODY)).await;
        assert_eq!(item_strings(&own, "id"), vec![id.clone()]);
        let ministry = get_json(&app, &format!("{PATH}?government_body={BODY}"), &app.ministry()).await;
        assert_eq!(item_strings(&ministry, "id"), vec![id]);
        let other = get_json(&app, &format!("{PATH}?government_body={OTHER_BODY}"), &app.ministry()).await;
        assert!(item_strings(&other, "id").is_empty(), "{other}");
    }

    async fn invited_npo_only_sees_request(app) {
        let invited = register_npo(&app, NPO_BIN, NPO_NAME).await;
        register_npo(&app, OTHER_NPO_BIN, OTHER_NPO_NAME).await;
        let created = published(&app, &request_body(&[invited["id"].clone()])).await;
        let id = id_of(&created);

        let invited_list = get_json(&app, PATH, &npo_token(&app, NPO_BIN)).await;
        let invited_read = get_as(&app, &request_path(&id), &npo_token(&app, NPO_BIN)).await;
        let other_list = get_json(&app, PATH, &npo_token(&app, OTHER_NPO_BIN)).await;
        let other_read = get_as(&app, &request_path(&id), &npo_token(&app, OTHER_NPO_BIN)).await;

        assert_eq!(item_strings(&invited_list, "id"), vec![id.clone()]);
        assert_eq!(invited_read.status(), StatusCode::OK);
        assert!(item_strings(&other_list, "id").is_empty(), "{other_list}");
        problem(other_read, StatusCode::NOT_FOUND).await;
    }

    async fn open_call_seen_by_every_npo(app) {
        let created = published(&app, &request_body(&[])).await;
        let id = id_of(&created);

        assert_eq!(created["invited_npos"], json!([]));
        for bin in [NPO_BIN, OTHER_NPO_BIN] {
            let listed = get_json(&app, PATH, &npo_token(&app, bin)).await;
            let read = get_as(&app, &request_path(&id), &npo_token(&app, bin)).await;
            assert_eq!(item_strings(&listed, "id"), vec![id.clone()], "{bin}");
            assert_eq!(read.status(), StatusCode::OK, "{bin}");
        }
    }

    async fn other_body_officer_gets_not_found(app) {
        let created = published(&app, &request_body(&[])).await;
        let id = id_of(&created);

        let read = get_as(&app, &request_path(&id), &app.officer(OTHER_BODY)).await;
        let listed = get_json(&app, PATH, &app.officer(OTHER_BODY)).await;
        let named = get_as(&app, &format!("{PATH}?government_body={BODY}"), &app.officer(OTHER_BODY)).await;
        let closed = close_as(&app, &id, &app.officer(OTHER_BODY), Some("\"1\"")).await;

        problem(read, StatusCode::NOT_FOUND).await;
        assert!(item_strings(&listed, "id").is_empty(), "{listed}");
        problem(named, StatusCode::FORBIDDEN).await;
        problem(closed, StatusCode::NOT_FOUND).await;
    }

    async fn integrator_forbidden(app) {
        let created = published(&app, &request_body(&[])).await;
        let token = app.integrator("test-integrator");

        let listed = get_as(&app, PATH, &token).await;
        let read = get_as(&app, &request_path(&id_of(&created)), &token).await;

        problem(listed, StatusCode::FORBIDDEN).await;
        problem(read, StatusCode::FORBIDDEN).await;
    }

    async fn only_officer_publishes(app) {
        let by_ministry = post_as(&app, PATH, &app.ministry(), &request_body(&[])).await;
        let by_npo = post_as(&app, PATH, &npo_token(&app, NPO_BIN), &request_body(&[])).await;

        problem(by_ministry, StatusCode::FORBIDDEN).await;
        problem(by_npo, StatusCode::FORBIDDEN).await;
        let listed = get_json(&app, PATH, &app.ministry()).await;
        assert!(item_strings(&listed, "id").is_empty(), "{listed}");
    }

    async fn invalid_fields_named(app) {
        let npo = register_npo(&app, NPO_BIN, NPO_NAME).await;
        let npo_id = npo["id"].clone();
        let with = |field: &str, value: Value| {
            let mut body = request_body(&[]);
            body[field] = value;
            body
        };
        let too_many: Vec<Value> = (0..501).map(|i| json!(format!("npo-{i}"))).collect();
        let cases: Vec<(&str, Value, Vec<&str>)> = vec![
            ("deadline today", with("deadline", json!(today_in_kazakhstan().to_string())), vec!["/deadline"]),
            ("deadline yesterday", with("deadline", json!((today_in_kazakhstan() - Days::new(1)).to_string())), vec!["/deadline"]),
            ("deadline not a date", with("deadline", json!("10.12.2026")), vec!["/deadline"]),
            ("unknown format", with("format", json!("letter")), vec!["/format"]),
            ("unknown sphere", with("sphere", json!("space")), vec!["/sphere"]),
            ("topic too long", with("topic", json!("а".repeat(5001))), vec!["/topic"]),
            ("nothing given", json!({}), vec!["/deadline", "/format", "/topic"]),
            ("unknown NPO", with("invited_npos", json!([npo_id, UNKNOWN_ID])), vec!["/invited_npos/1"]),
            ("malformed NPO id", with("invited_npos", json!(["no such id"])), vec!["/invited_npos/0"]),
            ("repeated NPO", with("invited_npos", json!([npo_id, npo_id])), vec!["/invited_npos/1"]),
            ("too many NPOs", with("invited_npos", json!(too_many)), vec!["/invited_npos"]),
        ];

        for (case, body, expected) in cases {
            let response = post_officer(&app, PATH, &body).await;
            let found = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
            let mut named = pointers(&found);
            named.sort();
            assert_eq!(named, expected, "{case}: {found}");
        }
        let listed = get_json(&app, PATH, &app.ministry()).await;
        assert!(item_strings(&listed, "id").is_empty(), "{listed}");
    }

    async fn unknown_format_lists_codes(app) {
        let mut body = request_body(&[]);
        body["format"] = json!("letter");

        let response = post_officer(&app, PATH, &body).await;

        let found = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        let message = found["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains("written, online_form, meeting, public_hearing"), "{found}");
    }

    async fn close_needs_current_etag(app) {
        let created = published(&app, &request_body(&[])).await;
        let id = id_of(&created);
        let officer = app.officer(BODY);

        let without = close_as(&app, &id, &officer, None).await;
        let unknown_version = close_as(&app, &id, &officer, Some("\"7\"")).await;
        let closed = close_as(&app, &id, &officer, Some("\"1\"")).await;
        let closed_etag = header(&closed, "etag");
        let closed = json_body(closed, StatusCode::OK).await;
        let stale = close_as(&app, &id, &officer, Some("\"1\"")).await;
        let again = close_as(&app, &id, &officer, Some(&closed_etag)).await;

        problem(without, StatusCode::PRECONDITION_REQUIRED).await;
        problem(unknown_version, StatusCode::PRECONDITION_FAILED).await;
        assert_eq!(closed["status"], "closed");
        assert_eq!(closed["accepting"], false);
        assert_eq!(closed["closed_on"], today_in_kazakhstan().to_string());
        assert_eq!(closed_etag, "\"2\"");
        problem(stale, StatusCode::PRECONDITION_FAILED).await;
        problem(again, StatusCode::CONFLICT).await;
    }

    async fn writes_audited(app) {
        let created = published(&app, &request_body(&[])).await;
        let id = id_of(&created);
        let stale = close_as(&app, &id, &app.officer(BODY), Some("\"7\"")).await;
        problem(stale, StatusCode::PRECONDITION_FAILED).await;
        let closed = close_as(&app, &id, &app.officer(BODY), Some("\"1\"")).await;
        json_body(closed, StatusCode::OK).await;

        let audited = id.clone();
        let entries = with_database(&app, move |conn| {
            audit::history(conn, "recommendation_request", &audited).expect("the audit trail is readable")
        })
        .await;

        let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, vec!["published", "closed"]);
        assert!(entries.iter().all(|e| e.government_body.as_deref() == Some(BODY)), "{entries:?}");
    }

    async fn close_by_other_roles_forbidden(app) {
        let created = published(&app, &request_body(&[])).await;
        let id = id_of(&created);

        let by_ministry = close_as(&app, &id, &app.ministry(), Some("\"1\"")).await;
        let by_npo = close_as(&app, &id, &npo_token(&app, NPO_BIN), Some("\"1\"")).await;

        problem(by_ministry, StatusCode::FORBIDDEN).await;
        problem(by_npo, StatusCode::FORBIDDEN).await;
        let read = get_json(&app, &request_path(&id), &app.officer(BODY)).await;
        assert_eq!(read["status"], "open");
    }

    async fn status_filter_lists(app) {
        let open = id_of(&published(&app, &request_body(&[])).await);
        let closed = id_of(&published(&app, &request_body(&[])).await);
        let response = close_as(&app, &closed, &app.officer(BODY), Some("\"1\"")).await;
        json_body(response, StatusCode::OK).await;

        let open_list = get_json(&app, &format!("{PATH}?status=open"), &app.officer(BODY)).await;
        let closed_list = get_json(&app, &format!("{PATH}?status=closed"), &app.ministry()).await;
        let unknown = get_as(&app, &format!("{PATH}?status=done"), &app.officer(BODY)).await;

        assert_eq!(item_strings(&open_list, "id"), vec![open]);
        assert_eq!(item_strings(&closed_list, "id"), vec![closed]);
        let found = problem(unknown, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(pointers(&found), vec!["#/query/status"]);
    }

    async fn pages_follow_cursor(app) {
        let mut ids = Vec::new();
        for _ in 0..3 {
            ids.push(id_of(&published(&app, &request_body(&[])).await));
        }

        let first = get_json(&app, &format!("{PATH}?limit=2"), &app.officer(BODY)).await;
        let cursor = first["next_cursor"].as_str().expect("a cursor to the second page");
        let second = get_json(&app, &format!("{PATH}?limit=2&cursor={cursor}"), &app.officer(BODY)).await;

        assert_eq!(item_strings(&first, "id"), ids[..2].to_vec());
        assert_eq!(item_strings(&second, "id"), ids[2..].to_vec());
        assert_eq!(second["next_cursor"], Value::Null);
    }

    async fn published_event_names_invited(app) {
        let npo = register_npo(&app, NPO_BIN, NPO_NAME).await;
        let mut events = app.observe(&["recommendations.request.published"]).await;

        let created = published(&app, &request_body(&[npo["id"].clone()])).await;

        let id = id_of(&created);
        let payload = expect_event_for(&mut events, "recommendations.request.published", &id).await;
        assert_eq!(payload["request_id"], json!(id));
        assert_eq!(payload["government_body"], BODY);
        assert_eq!(payload["sphere"], "youth");
        assert_eq!(payload["deadline"], deadline_in(7).to_string());
        assert_eq!(payload["invited_npo_ids"], json!([npo["id"]]));
        events.close().await;
    }

    async fn past_deadline_not_accepting(app) {
        let created = published(&app, &request_body(&[])).await;
        let id = id_of(&created);
        let yesterday = today_in_kazakhstan() - Days::new(1);
        let moved = id.clone();
        with_database(&app, move |conn| {
            diesel::update(recommendation_requests::table.filter(recommendation_requests::id.eq(moved)))
                .set(recommendation_requests::deadline.eq(yesterday))
                .execute(conn)
                .expect("the deadline is moved")
        })
        .await;

        let read = get_json(&app, &request_path(&id), &app.officer(BODY)).await;

        assert_eq!(read["status"], "open");
        assert_eq!(read["accepting"], false);
    }

    async fn answerable_checks_invitation_and_state(app) {
        let invited = id_of(&register_npo(&app, NPO_BIN, NPO_NAME).await);
        let other = id_of(&register_npo(&app, OTHER_NPO_BIN, OTHER_NPO_NAME).await);
        let targeted = id_of(&published(&app, &request_body(&[json!(invited)])).await);
        let open_call = id_of(&published(&app, &request_body(&[])).await);
        let today = today_in_kazakhstan();

        let answered = check_answerable(&app, &targeted, &invited, today).await;
        let not_invited = check_answerable(&app, &targeted, &other, today).await;
        let unknown = check_answerable(&app, UNKNOWN_ID, &invited, today).await;
        let open_to_other = check_answerable(&app, &open_call, &other, today).await;
        let after_deadline = check_answerable(&app, &targeted, &invited, deadline_in(8)).await;
        let response = close_as(&app, &targeted, &app.officer(BODY), Some("\"1\"")).await;
        json_body(response, StatusCode::OK).await;
        let after_close = check_answerable(&app, &targeted, &invited, today).await;

        assert_eq!(answered.unwrap(), (BODY.to_owned(), Some(Sphere::Youth)));
        assert_eq!(field_pointers(&not_invited.unwrap_err()), vec!["/request_id"]);
        assert_eq!(field_pointers(&unknown.unwrap_err()), vec!["/request_id"]);
        assert_eq!(open_to_other.unwrap(), (BODY.to_owned(), Some(Sphere::Youth)));
        assert!(matches!(after_deadline, Err(ApiError::Conflict(_))), "{after_deadline:?}");
        assert!(matches!(after_close, Err(ApiError::Conflict(_))), "{after_close:?}");
    }

    async fn invited_npo_answers_request(app) {
        let invited = register_npo(&app, NPO_BIN, NPO_NAME).await;
        let created = published(&app, &request_body(&[invited["id"].clone()])).await;
        let request_id = id_of(&created);
        let answer = json!({
            "request_id": request_id,
            "sphere": "youth",
            "text": "Открыть молодёжный центр в каждом районе области"
        });

        let response = post_as(&app, "/v1/recommendations", &npo_token(&app, NPO_BIN), &answer).await;

        let recommendation = json_body(response, StatusCode::CREATED).await;
        assert_eq!(recommendation["government_body"], BODY);
        assert_eq!(recommendation["request_id"], request_id.as_str());
        assert_eq!(recommendation["initiator"], "government_body");
        assert_eq!(recommendation["npo_id"], invited["id"]);
    }

    async fn answer_naming_other_body_rejected(app) {
        let invited = register_npo(&app, NPO_BIN, NPO_NAME).await;
        let created = published(&app, &request_body(&[invited["id"].clone()])).await;
        let answer = json!({
            "request_id": id_of(&created),
            "government_body": OTHER_BODY,
            "sphere": "youth",
            "text": "Открыть молодёжный центр в каждом районе области"
        });

        let response = post_as(&app, "/v1/recommendations", &npo_token(&app, NPO_BIN), &answer).await;

        let problem = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(pointers(&problem), vec!["/government_body"]);
        let listed = get_json(&app, "/v1/recommendations", &app.ministry()).await;
        assert!(item_strings(&listed, "id").is_empty(), "{listed}");
    }

    async fn uninvited_npo_answer_rejected(app) {
        let invited = register_npo(&app, NPO_BIN, NPO_NAME).await;
        register_npo(&app, OTHER_NPO_BIN, OTHER_NPO_NAME).await;
        let created = published(&app, &request_body(&[invited["id"].clone()])).await;
        let answer = json!({
            "request_id": id_of(&created),
            "sphere": "youth",
            "text": "Открыть молодёжный центр в каждом районе области"
        });

        let uninvited = post_as(&app, "/v1/recommendations", &npo_token(&app, OTHER_NPO_BIN), &answer).await;
        let unknown = post_as(
            &app,
            "/v1/recommendations",
            &npo_token(&app, NPO_BIN),
            &json!({"request_id": UNKNOWN_ID, "sphere": "youth", "text": "Предложение"}),
        )
        .await;

        let problem_uninvited = problem(uninvited, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(pointers(&problem_uninvited), vec!["/request_id"]);
        let problem_unknown = problem(unknown, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(pointers(&problem_unknown), vec!["/request_id"]);
        let listed = get_json(&app, "/v1/recommendations", &app.ministry()).await;
        assert!(item_strings(&listed, "id").is_empty(), "{listed}");
    }

    async fn closed_request_answer_conflicts(app) {
        register_npo(&app, NPO_BIN, NPO_NAME).await;
        let created = published(&app, &request_body(&[])).await;
        let request_id = id_of(&created);
        let closed = close_as(&app, &request_id, &app.officer(BODY), Some("\"1\"")).await;
        assert_eq!(closed.status(), StatusCode::OK);
        let answer = json!({
            "request_id": request_id,
            "sphere": "youth",
            "text": "Открыть молодёжный центр в каждом районе области"
        });

        let response = post_as(&app, "/v1/recommendations", &npo_token(&app, NPO_BIN), &answer).await;

        problem(response, StatusCode::CONFLICT).await;
        let listed = get_json(&app, "/v1/recommendations", &app.ministry()).await;
        assert!(item_strings(&listed, "id").is_empty(), "{listed}");
    }

    async fn officer_record_takes_no_request(app) {
        let created = published(&app, &request_body(&[])).await;
        let record = json!({
            "request_id": id_of(&created),
            "author_kind": "person",
            "author_name": "Айгерим Сапарова",
            "sphere": "youth",
            "text": "Открыть молодёжный центр в каждом районе области"
        });

        let response = post_officer(&app, "/v1/recommendations", &record).await;

        let problem = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(pointers(&problem), vec!["/request_id"]);
    }

    async fn answer_in_other_sphere_rejected(app) {
        let invited = register_npo(&app, NPO_BIN, NPO_NAME).await;
        let created = published(&app, &request_body(&[invited["id"].clone()])).await;
        let answer = json!({
            "request_id": id_of(&created),
            "sphere": "culture",
            "text": "Открыть музей под открытым небом"
        });

        let response = post_as(&app, "/v1/recommendations", &npo_token(&app, NPO_BIN), &answer).await;

        let problem = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(pointers(&problem), vec!["/sphere"]);
        let listed = get_json(&app, "/v1/recommendations", &app.ministry()).await;
        assert!(item_strings(&listed, "id").is_empty(), "{listed}");
    }
}
