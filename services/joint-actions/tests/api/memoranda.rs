//! Memoranda of cooperation: drafting with NPOs checked in the registry, the term,
//! signing and termination with their events, linked joint actions, the expiring list,
//! the expiry sweep, and who may read them.

use std::time::{Duration, Instant};

use chrono::{Days, NaiveDate};
use diesel::prelude::*;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use service_kit::testing::TestApp;
use service_kit::{Database, StoreError, backend_tests};

use crate::{
    BODY, NPO_BIN, NPO_NAME, OTHER_BODY, SERVICES, UNKNOWN_NPO_ID, action_body, etag_of, get_json,
    id_of, json_body, npo_token, post_as, post_officer, problem, register_npo, sorted_pointers,
    today_in_kazakhstan,
};

/// BIN of an NPO that is party to no memorandum.
const OTHER_NPO_BIN: &str = "171140900016";

/// Builds a memorandum with the NPO `npo_id`, both signatories, and the given term.
fn memorandum_body(npo_id: &str, signed_on: NaiveDate, valid_until: Option<NaiveDate>) -> Value {
    json!({
        "subject": "Сотрудничество в организации летнего отдыха подростков",
        "spheres": ["youth"],
        "signed_on": signed_on.to_string(),
        "valid_until": valid_until.map(|d| d.to_string()),
        "parties": [{
            "npo_id": npo_id,
            "signatory": {"full_name": "Ерлан Мұханов", "position": "Председатель"}
        }],
        "body_signatory": {
            "full_name": "Айгерим Сейтова",
            "position": "Руководитель управления внутренней политики"
        },
        "document_ref": "ЕСЭДО 01-12/3456"
    })
}

fn days_from_today(days: i64) -> NaiveDate {
    today_in_kazakhstan() + chrono::Duration::days(days)
}

/// Registers the NPO with `NPO_BIN` and returns its registry id.
async fn registered_npo(app: &TestApp) -> String {
    id_of(&register_npo(app, NPO_BIN, NPO_NAME).await)
}

/// Drafts a memorandum as the officer of `BODY`, failing the test unless it was created.
async fn create_memorandum(app: &TestApp, body: &Value) -> Value {
    json_body(
        post_officer(app, "/v1/memoranda", body).await,
        StatusCode::CREATED,
    )
    .await
}

/// Reads the memorandum `id` as the officer of `BODY`, returning the response.
async fn read(app: &TestApp, id: &str) -> Response {
    app.client
        .get(app.url(&format!("/v1/memoranda/{id}")))
        .bearer_auth(app.officer(BODY))
        .send()
        .await
        .expect("the server responds")
}

async fn current_etag(app: &TestApp, id: &str) -> String {
    let response = read(app, id).await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "memorandum {id} is readable"
    );
    etag_of(&response)
}

/// Sends `body` to `path` of the memorandum `id` with `method` as the officer of `BODY`,
/// with the memorandum's current ETag.
async fn send_with_etag(
    app: &TestApp,
    method: reqwest::Method,
    id: &str,
    path: &str,
    body: &Value,
) -> Response {
    let etag = current_etag(app, id).await;
    app.client
        .request(method, app.url(&format!("/v1/memoranda/{id}{path}")))
        .bearer_auth(app.officer(BODY))
        .header("If-Match", etag)
        .json(body)
        .send()
        .await
        .expect("the server responds")
}

async fn sign(app: &TestApp, id: &str, body: &Value) -> Response {
    send_with_etag(app, reqwest::Method::POST, id, "/signing", body).await
}

async fn terminate(app: &TestApp, id: &str, body: &Value) -> Response {
    send_with_etag(app, reqwest::Method::POST, id, "/termination", body).await
}

async fn patch(app: &TestApp, id: &str, body: &Value) -> Response {
    send_with_etag(app, reqwest::Method::PATCH, id, "", body).await
}

/// Drafts and signs a memorandum with `npo_id` ending on `valid_until`, and returns its id.
async fn signed_memorandum(app: &TestApp, npo_id: &str, valid_until: NaiveDate) -> String {
    let body = memorandum_body(npo_id, today_in_kazakhstan(), Some(valid_until));
    let id = id_of(&create_memorandum(app, &body).await);
    json_body(sign(app, &id, &json!({})).await, StatusCode::OK).await;
    id
}

/// Returns the ids of the memoranda on a page or list.
fn ids(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .expect("a list with items")
        .iter()
        .map(id_of)
        .collect()
}

/// Reads the joint-actions event log as the ministry and returns the payloads of the
/// events of `event_type`.
async fn logged(app: &TestApp, event_type: &str) -> Vec<Value> {
    let log = get_json(
        app,
        "/v1/events/joint-actions?limit=1000",
        Some(&app.ministry()),
    )
    .await;
    log["items"]
        .as_array()
        .expect("a page of events")
        .iter()
        .filter(|item| item["event"]["type"] == event_type)
        .map(|item| item["event"]["payload"].clone())
        .collect()
}

/// Moves the last day of the memorandum `id` to `valid_until` directly in the database,
/// as if its term had been set so long ago.
async fn set_valid_until(app: &TestApp, id: &str, valid_until: NaiveDate) {
    use joint_actions::schema::memoranda;

    let url = app.settings.database_url_for("joint-actions");
    let id = id.to_owned();
    tokio::task::spawn_blocking(move || {
        let db = Database::connect(&url).expect("the test database accepts connections");
        db.run_blocking(move |conn| {
            diesel::update(memoranda::table.filter(memoranda::id.eq(id)))
                .set(memoranda::valid_until.eq(Some(valid_until)))
                .execute(conn)?;
            Ok::<_, StoreError>(())
        })
        .expect("the term can be moved")
    })
    .await
    .expect("the database work finished");
}

/// Starts another joint-actions server on the database of `app`, whose expiry sweep runs
/// at start-up, and waits until the memorandum `id` is expired.
async fn sweep_until_expired(app: &TestApp, id: &str) {
    let mut settings = app.settings.clone();
    settings.service_urls = vec![("registry".to_owned(), app.base.clone())];
    let second = service_kit::app::start(settings, &[joint_actions::SERVICE], false)
        .await
        .expect("the second server starts");
    let started = Instant::now();
    loop {
        let memorandum = json_body(read(app, id).await, StatusCode::OK).await;
        if memorandum["status"] == "expired" {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "memorandum {id} did not expire within 30 s: {memorandum}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    second.stop().await;
}

backend_tests! {
    services: SERVICES;

    async fn unknown_npo_rejected(app) {
        let npo_id = registered_npo(&app).await;
        let mut body = memorandum_body(&npo_id, today_in_kazakhstan(), None);
        body["parties"].as_array_mut().unwrap().push(json!({"npo_id": UNKNOWN_NPO_ID}));

        let response = post_officer(&app, "/v1/memoranda", &body).await;
        let listed = get_json(&app, "/v1/memoranda", Some(&app.officer(BODY))).await;

        let problem = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(sorted_pointers(&problem), vec!["/parties/1/npo_id"]);
        assert!(ids(&listed).is_empty(), "{listed}");
    }

    async fn term_before_signing_rejected(app) {
        let npo_id = registered_npo(&app).await;
        let signed_on = days_from_today(-10);
        let body = memorandum_body(&npo_id, signed_on, Some(signed_on - Days::new(1)));
        let open_ended = memorandum_body(&npo_id, signed_on, None);

        let rejected = post_officer(&app, "/v1/memoranda", &body).await;
        let listed = get_json(&app, "/v1/memoranda", Some(&app.officer(BODY))).await;
        let created = create_memorandum(&app, &open_ended).await;

        let problem = problem(rejected, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(sorted_pointers(&problem), vec!["/valid_until"]);
        assert!(ids(&listed).is_empty(), "{listed}");
        assert_eq!(created["status"], "draft");
        assert!(created["valid_until"].is_null());
    }

    async fn only_draft_editable(app) {
        let npo_id = registered_npo(&app).await;
        let body = memorandum_body(&npo_id, today_in_kazakhstan(), Some(days_from_today(365)));
        let id = id_of(&create_memorandum(&app, &body).await);

        let edited = patch(&app, &id, &json!({"subject": "Поддержка волонтёрских инициатив"})).await;
        let signed = sign(&app, &id, &json!({})).await;
        let rejected = patch(&app, &id, &json!({"subject": "Другой предмет"})).await;
        let after = json_body(read(&app, &id).await, StatusCode::OK).await;

        let edited = json_body(edited, StatusCode::OK).await;
        assert_eq!(edited["subject"], "Поддержка волонтёрских инициатив");
        assert_eq!(signed.status(), StatusCode::OK);
        let problem = problem(rejected, StatusCode::CONFLICT).await;
        let detail = problem["detail"].as_str().unwrap_or_default();
        assert!(detail.contains("draft"), "{detail}");
        assert_eq!(after["subject"], "Поддержка волонтёрских инициатив");
        assert_eq!(after["status"], "signed");
    }

    async fn signing_publishes_event(app) {
        let npo_id = registered_npo(&app).await;
        let mut unsigned = memorandum_body(&npo_id, today_in_kazakhstan(), Some(days_from_today(365)));
        unsigned.as_object_mut().unwrap().remove("body_signatory");
        unsigned["parties"][0].as_object_mut().unwrap().remove("signatory");
        let id = id_of(&create_memorandum(&app, &unsigned).await);
        let mut events = app.observe(&["joint_actions.memorandum.signed"]).await;

        let not_ready = sign(&app, &id, &json!({})).await;
        let completed = patch(&app, &id, &json!({
            "body_signatory": {"full_name": "Айгерим Сейтова", "position": "Руководитель управления"},
            "parties": [{"npo_id": npo_id, "signatory": {"full_name": "Ерлан Мұханов", "position": "Председатель"}}]
        })).await;
        let signed = sign(&app, &id, &json!({"document_ref": "https://docs.example.kz/memoranda/17"})).await;

        let not_ready = problem(not_ready, StatusCode::CONFLICT).await;
        assert_eq!(sorted_pointers(&not_ready), vec!["/body_signatory", "/parties/0/signatory"]);
        assert_eq!(completed.status(), StatusCode::OK);
        let signed = json_body(signed, StatusCode::OK).await;
        assert_eq!(signed["status"], "signed");
        assert_eq!(signed["signed_on"], today_in_kazakhstan().to_string());
        assert_eq!(signed["document_ref"], "https://docs.example.kz/memoranda/17");
        let event = events.expect("joint_actions.memorandum.signed").await.event;
        assert_eq!(event.payload["memorandum_id"], id.as_str());
        assert_eq!(event.payload["status"], "signed");
        assert_eq!(event.payload["npo_ids"], json!([npo_id]));
        assert_eq!(event.payload["spheres"], json!(["youth"]));
        assert_eq!(event.government_body.as_deref(), Some(BODY));
        assert_eq!(logged(&app, "joint_actions.memorandum.signed").await.len(), 1);
        events.close().await;
    }

    async fn termination_needs_reason(app) {
        let npo_id = registered_npo(&app).await;
        let id = signed_memorandum(&app, &npo_id, days_from_today(365)).await;
        let mut events = app.observe(&["joint_actions.memorandum.terminated"]).await;

        let without_reason = terminate(&app, &id, &json!({})).await;
        let still_signed = json_body(read(&app, &id).await, StatusCode::OK).await;
        let terminated = terminate(&app, &id, &json!({"reason": "НПО прекратило деятельность в сфере"})).await;
        let again = terminate(&app, &id, &json!({"reason": "Повторно"})).await;

        let without_reason = problem(without_reason, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(sorted_pointers(&without_reason), vec!["/reason"]);
        assert_eq!(still_signed["status"], "signed");
        assert_eq!(logged(&app, "joint_actions.memorandum.terminated").await.len(), 1);
        let terminated = json_body(terminated, StatusCode::OK).await;
        let today = today_in_kazakhstan().to_string();
        assert_eq!(terminated["status"], "terminated");
        assert_eq!(terminated["terminated_on"], today);
        assert_eq!(terminated["termination_reason"], "НПО прекратило деятельность в сфере");
        problem(again, StatusCode::CONFLICT).await;
        let event = events.expect("joint_actions.memorandum.terminated").await.event;
        assert_eq!(event.payload["memorandum_id"], id.as_str());
        assert_eq!(event.payload["terminated_on"], today);
        events.close().await;
    }

    async fn other_body_action_rejected(app) {
        let npo_id = registered_npo(&app).await;
        let id = signed_memorandum(&app, &npo_id, days_from_today(365)).await;
        let own = id_of(&json_body(post_officer(&app, "/v1/joint-actions", &action_body()).await, StatusCode::CREATED).await);
        let foreign_response = post_as(&app, "/v1/joint-actions", &app.officer(OTHER_BODY), &action_body()).await;
        let foreign = id_of(&json_body(foreign_response, StatusCode::CREATED).await);
        let path = format!("/v1/memoranda/{id}/actions");

        let rejected = post_officer(&app, &path, &json!({"action_id": foreign})).await;
        let linked = post_officer(&app, &path, &json!({"action_id": own})).await;
        let unlinked = send_with_etag(&app, reqwest::Method::DELETE, &id, &format!("/actions/{own}"), &json!({})).await;
        let after = json_body(read(&app, &id).await, StatusCode::OK).await;

        let rejected = problem(rejected, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(sorted_pointers(&rejected), vec!["/action_id"]);
        let linked = json_body(linked, StatusCode::OK).await;
        assert_eq!(linked["action_ids"], json!([own]));
        assert_eq!(unlinked.status(), StatusCode::NO_CONTENT);
        assert_eq!(after["action_ids"], json!([]));
    }

    async fn expiring_list_window(app) {
        let npo_id = registered_npo(&app).await;
        let in_30 = signed_memorandum(&app, &npo_id, days_from_today(30)).await;
        let in_10 = signed_memorandum(&app, &npo_id, days_from_today(10)).await;
        signed_memorandum(&app, &npo_id, days_from_today(31)).await;
        let draft = memorandum_body(&npo_id, today_in_kazakhstan(), Some(days_from_today(5)));
        create_memorandum(&app, &draft).await;

        let expiring = get_json(&app, "/v1/memoranda/expiring", Some(&app.officer(BODY))).await;
        let filtered = get_json(&app, "/v1/memoranda?expiring=true", Some(&app.officer(BODY))).await;
        let other_body = get_json(&app, "/v1/memoranda/expiring", Some(&app.officer(OTHER_BODY))).await;
        let ministry = get_json(&app, "/v1/memoranda/expiring", Some(&app.ministry())).await;

        assert_eq!(ids(&expiring), vec![in_10.clone(), in_30.clone()]);
        assert_eq!(expiring["today"], today_in_kazakhstan().to_string());
        assert_eq!(expiring["until"], days_from_today(30).to_string());
        let mut filtered_ids = ids(&filtered);
        filtered_ids.sort();
        let mut expected = vec![in_10.clone(), in_30.clone()];
        expected.sort();
        assert_eq!(filtered_ids, expected);
        assert!(ids(&other_body).is_empty(), "{other_body}");
        assert_eq!(ids(&ministry), vec![in_10, in_30]);
    }

    async fn sweep_expires_once(app) {
        let npo_id = registered_npo(&app).await;
        let first = signed_memorandum(&app, &npo_id, days_from_today(365)).await;
        let second = signed_memorandum(&app, &npo_id, days_from_today(365)).await;
        let running = signed_memorandum(&app, &npo_id, days_from_today(365)).await;
        set_valid_until(&app, &first, days_from_today(-1)).await;

        sweep_until_expired(&app, &first).await;
        set_valid_until(&app, &second, days_from_today(-1)).await;
        // The first memorandum's term is past on this sweep too; the second one
        // expiring shows that the sweep ran.
        sweep_until_expired(&app, &second).await;

        let expired = logged(&app, "joint_actions.memorandum.expired").await;
        let expired_ids: Vec<&str> = expired.iter().map(|p| p["memorandum_id"].as_str().unwrap_or_default()).collect();
        assert_eq!(expired_ids, vec![first.as_str(), second.as_str()]);
        assert_eq!(expired[0]["status"], "expired");
        assert_eq!(expired[0]["valid_until"], days_from_today(-1).to_string());
        let still_running = json_body(read(&app, &running).await, StatusCode::OK).await;
        assert_eq!(still_running["status"], "signed");
        let listed = get_json(&app, "/v1/memoranda?status=expired", Some(&app.officer(BODY))).await;
        let mut listed_ids = ids(&listed);
        listed_ids.sort();
        let mut expected = vec![first, second];
        expected.sort();
        assert_eq!(listed_ids, expected);
    }

    async fn other_body_gets_404(app) {
        let npo_id = registered_npo(&app).await;
        let body = memorandum_body(&npo_id, today_in_kazakhstan(), Some(days_from_today(365)));
        let id = id_of(&create_memorandum(&app, &body).await);
        let path = format!("/v1/memoranda/{id}");
        let other_officer = app.officer(OTHER_BODY);

        let other_read = app.client.get(app.url(&path)).bearer_auth(&other_officer).send().await.unwrap();
        let other_patch = app.client.patch(app.url(&path)).bearer_auth(&other_officer)
            .header("If-Match", current_etag(&app, &id).await)
            .json(&json!({"subject": "Чужой предмет"})).send().await.unwrap();
        let other_list = get_json(&app, "/v1/memoranda", Some(&other_officer)).await;
        let ministry_read = app.client.get(app.url(&path)).bearer_auth(app.ministry()).send().await.unwrap();
        let party_read = app.client.get(app.url(&path)).bearer_auth(npo_token(&app, NPO_BIN)).send().await.unwrap();
        let party_list = get_json(&app, "/v1/memoranda", Some(&npo_token(&app, NPO_BIN))).await;
        let stranger_read = app.client.get(app.url(&path)).bearer_auth(npo_token(&app, OTHER_NPO_BIN)).send().await.unwrap();
        let stranger_list = get_json(&app, "/v1/memoranda", Some(&npo_token(&app, OTHER_NPO_BIN))).await;

        problem(other_read, StatusCode::NOT_FOUND).await;
        problem(other_patch, StatusCode::NOT_FOUND).await;
        assert!(ids(&other_list).is_empty(), "{other_list}");
        assert_eq!(ministry_read.status(), StatusCode::OK);
        assert_eq!(party_read.status(), StatusCode::OK);
        assert_eq!(ids(&party_list), vec![id.clone()]);
        problem(stranger_read, StatusCode::NOT_FOUND).await;
        assert!(ids(&stranger_list).is_empty(), "{stranger_list}");
        let after = json_body(read(&app, &id).await, StatusCode::OK).await;
        assert_ne!(after["subject"], "Чужой предмет");
    }

    async fn list_filters_npo_and_sphere(app) {
        let npo_id = registered_npo(&app).await;
        let other_npo = id_of(&register_npo(&app, OTHER_NPO_BIN, "Қамқорлық").await);
        let youth = id_of(&create_memorandum(&app, &memorandum_body(&npo_id, today_in_kazakhstan(), None)).await);
        let mut culture_body = memorandum_body(&other_npo, today_in_kazakhstan(), None);
        culture_body["spheres"] = json!(["culture"]);
        let culture = id_of(&create_memorandum(&app, &culture_body).await);
        let officer = app.officer(BODY);

        let by_npo = get_json(&app, &format!("/v1/memoranda?npo={other_npo}"), Some(&officer)).await;
        let by_sphere = get_json(&app, "/v1/memoranda?sphere=youth", Some(&officer)).await;
        let drafts = get_json(&app, "/v1/memoranda?status=draft", Some(&officer)).await;
        let bad_sphere = app.client.get(app.url("/v1/memoranda?sphere=astrology")).bearer_auth(&officer).send().await.unwrap();

        assert_eq!(ids(&by_npo), vec![culture.clone()]);
        assert_eq!(ids(&by_sphere), vec![youth.clone()]);
        assert_eq!(ids(&drafts).len(), 2);
        let bad_sphere = problem(bad_sphere, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(sorted_pointers(&bad_sphere), vec!["#/query/sphere"]);
    }
}
