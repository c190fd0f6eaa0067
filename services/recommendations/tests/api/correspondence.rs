use chrono::{Datelike, Days, NaiveDate};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use service_kit::backend_tests;
use service_kit::testing::TestApp;

use crate::{
    BODY, NPO_BIN, NPO_NAME, OTHER_BODY, SERVICES, get_as, get_json, id_of, item_strings,
    json_body, npo_token, pointers, post_as, post_officer, problem, register_npo,
    today_in_kazakhstan,
};

const PATH: &str = "/v1/correspondence";

/// A UUIDv7, the shape of the ids the services issue, that no stored record has.
const UNKNOWN_ID: &str = "0190c1c8-0000-7000-8000-000000000000";

fn entry_path(id: &str) -> String {
    format!("{PATH}/{id}")
}

/// Returns the day `month`-`day` of the year `years_back` years before this one.
fn day_of(years_back: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(today_in_kazakhstan().year() - years_back, month, day)
        .expect("a valid day")
}

/// Builds an entry of `direction` registered on `registered_on` from a private person.
fn entry(direction: &str, registered_on: NaiveDate) -> Value {
    json!({
        "direction": direction,
        "kind": if direction == "incoming" { "appeal" } else { "answer" },
        "registered_on": registered_on.to_string(),
        "counterpart": {"kind": "person", "name": "Ерлан Мұханов"},
        "subject": "О выделении помещения для молодёжного центра",
        "channel": "email"
    })
}

/// Builds an incoming entry registered on `registered_on` and due on `due`.
fn incoming_due(registered_on: NaiveDate, due: NaiveDate) -> Value {
    let mut body = entry("incoming", registered_on);
    body["answer_due_on"] = json!(due.to_string());
    body
}

/// Builds an outgoing answer to the entry `answers_id`, registered on `registered_on`.
fn answer_to(answers_id: &str, registered_on: NaiveDate) -> Value {
    let mut body = entry("outgoing", registered_on);
    body["answers_id"] = json!(answers_id);
    body
}

/// Registers `body` as the officer of `government_body`, failing unless it was created.
async fn registered_by(app: &TestApp, government_body: &str, body: &Value) -> Value {
    let response = post_as(app, PATH, &app.officer(government_body), body).await;
    json_body(response, StatusCode::CREATED).await
}

/// Registers `body` as the officer of `BODY`, failing unless it was created.
async fn registered(app: &TestApp, body: &Value) -> Value {
    registered_by(app, BODY, body).await
}

/// Returns the number of entries in the register of `BODY`.
async fn entry_count(app: &TestApp) -> usize {
    let page = get_json(app, PATH, &app.officer(BODY)).await;
    page["items"].as_array().expect("a page with items").len()
}

/// Sends a PATCH of `body` to the entry `id` as the officer of `BODY`, with `if_match`.
async fn patch_entry(app: &TestApp, id: &str, if_match: &str, body: &Value) -> Response {
    app.client
        .patch(app.url(&entry_path(id)))
        .bearer_auth(app.officer(BODY))
        .header("If-Match", if_match)
        .json(body)
        .send()
        .await
        .expect("the server responds")
}

backend_tests! {
    services: SERVICES;

    async fn numbers_follow_sequence_per_year(app) {
        let last_year = day_of(1, 12, 30);
        let this_year = day_of(0, 1, 1);

        let first = registered(&app, &entry("incoming", last_year)).await;
        let second = registered(&app, &entry("incoming", last_year)).await;
        let outgoing = registered(&app, &entry("outgoing", last_year)).await;
        let restarted = registered(&app, &entry("incoming", this_year)).await;
        let mut by_hand = entry("incoming", this_year);
        by_hand["number"] = json!(format!("ВХ-{}/2", this_year.year()));
        registered(&app, &by_hand).await;
        let after_hand = registered(&app, &entry("incoming", this_year)).await;
        let other_body = registered_by(&app, OTHER_BODY, &entry("incoming", this_year)).await;

        let year = last_year.year();
        assert_eq!(first["number"], format!("ВХ-{year}/1"));
        assert_eq!(second["number"], format!("ВХ-{year}/2"));
        assert_eq!(outgoing["number"], format!("ИСХ-{year}/1"));
        assert_eq!(restarted["number"], format!("ВХ-{}/1", year + 1));
        assert_eq!(after_hand["number"], format!("ВХ-{}/3", year + 1));
        assert_eq!(other_body["number"], format!("ВХ-{}/1", year + 1));
    }

    async fn duplicate_number_conflicts(app) {
        let today = today_in_kazakhstan();
        let mut by_hand = entry("incoming", today);
        by_hand["number"] = json!("17-05/123");
        registered(&app, &by_hand).await;
        let assigned = registered(&app, &entry("outgoing", today)).await;
        let mut same_as_assigned = entry("incoming", today);
        same_as_assigned["number"] = assigned["number"].clone();

        let again = post_officer(&app, PATH, &by_hand).await;
        let clash = post_officer(&app, PATH, &same_as_assigned).await;
        let in_other_body = post_as(&app, PATH, &app.officer(OTHER_BODY), &by_hand).await;

        let conflict = problem(again, StatusCode::CONFLICT).await;
        assert!(conflict["detail"].as_str().unwrap_or_default().contains("17-05/123"), "{conflict}");
        problem(clash, StatusCode::CONFLICT).await;
        json_body(in_other_body, StatusCode::CREATED).await;
        assert_eq!(entry_count(&app).await, 2);
    }

    async fn answer_marks_incoming_answered(app) {
        let today = today_in_kazakhstan();
        let received = today - Days::new(10);
        let incoming = registered(&app, &incoming_due(received, today + Days::new(5))).await;
        let answered_on = today - Days::new(2);

        let answer = registered(&app, &answer_to(&id_of(&incoming), answered_on)).await;

        assert_eq!(incoming["status"], "awaiting_answer");
        assert_eq!(answer["answers_id"], incoming["id"]);
        assert_eq!(answer["status"], Value::Null);
        let after = get_json(&app, &entry_path(&id_of(&incoming)), &app.officer(BODY)).await;
        assert_eq!(after["status"], "answered");
        assert_eq!(after["answered_on"], answered_on.to_string());
        assert_eq!(after["answered_by_id"], answer["id"]);
    }

    async fn answer_to_outgoing_or_other_body_rejected(app) {
        let today = today_in_kazakhstan();
        let outgoing = registered(&app, &entry("outgoing", today)).await;
        let foreign = registered_by(&app, OTHER_BODY, &incoming_due(today, today)).await;
        let before = entry_count(&app).await;

        let to_outgoing = post_officer(&app, PATH, &answer_to(&id_of(&outgoing), today)).await;
        let to_foreign = post_officer(&app, PATH, &answer_to(&id_of(&foreign), today)).await;
        let to_unknown = post_officer(&app, PATH, &answer_to(UNKNOWN_ID, today)).await;

        for response in [to_outgoing, to_foreign, to_unknown] {
            let found = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
            assert_eq!(pointers(&found), vec!["/answers_id"]);
        }
        assert_eq!(entry_count(&app).await, before);
        let foreign_after =
            get_json(&app, &entry_path(&id_of(&foreign)), &app.officer(OTHER_BODY)).await;
        assert_eq!(foreign_after["status"], "awaiting_answer");
        assert_eq!(foreign_after["version"], 1);
    }

    async fn npo_counterpart_checked_in_registry(app) {
        let npo = register_npo(&app, NPO_BIN, NPO_NAME).await;
        let mut known = entry("incoming", today_in_kazakhstan());
        known["counterpart"] = json!({"kind": "npo", "npo_id": npo["id"]});
        let mut unknown = known.clone();
        unknown["counterpart"]["npo_id"] = json!(UNKNOWN_ID);

        let accepted = post_officer(&app, PATH, &known).await;
        let rejected = post_officer(&app, PATH, &unknown).await;

        let accepted = json_body(accepted, StatusCode::CREATED).await;
        assert_eq!(accepted["counterpart"]["name"], NPO_NAME);
        let found = problem(rejected, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(pointers(&found), vec!["/counterpart/npo_id"]);
        assert_eq!(entry_count(&app).await, 1);
    }

    async fn unknown_channel_rejected(app) {
        let mut body = entry("incoming", today_in_kazakhstan());
        body["channel"] = json!("telegraph");
        let mut outgoing_due = entry("outgoing", today_in_kazakhstan());
        outgoing_due["answer_due_on"] = json!(today_in_kazakhstan().to_string());

        let response = post_officer(&app, PATH, &body).await;
        let due_on_outgoing = post_officer(&app, PATH, &outgoing_due).await;

        let found = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(pointers(&found), vec!["/channel"]);
        assert!(found.to_string().contains("telegraph"), "{found}");
        let found = problem(due_on_outgoing, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(pointers(&found), vec!["/answer_due_on"]);
        assert_eq!(entry_count(&app).await, 0);
    }

    async fn overdue_lists_late_unanswered(app) {
        let today = today_in_kazakhstan();
        let received = day_of(1, 10, 1);
        let older_due = day_of(1, 10, 10);
        let newer_due = day_of(1, 10, 15);
        let late = registered(&app, &incoming_due(received, newer_due)).await;
        let later = registered(&app, &incoming_due(received, older_due)).await;
        let answered = registered(&app, &incoming_due(received, older_due)).await;
        registered(&app, &answer_to(&id_of(&answered), received)).await;
        registered(&app, &incoming_due(today, today + Days::new(7))).await;
        registered(&app, &incoming_due(today, today)).await;
        let mut not_needed = incoming_due(received, older_due);
        not_needed["status"] = json!("no_answer_needed");
        registered(&app, &not_needed).await;
        registered_by(&app, OTHER_BODY, &incoming_due(received, older_due)).await;

        let own = get_json(&app, &format!("{PATH}/overdue"), &app.officer(BODY)).await;
        let all = get_json(&app, &format!("{PATH}/overdue"), &app.ministry()).await;

        assert_eq!(item_strings(&own, "id"), vec![id_of(&later), id_of(&late)]);
        assert_eq!(own["items"][0]["days_overdue"], (today - older_due).num_days());
        assert_eq!(own["items"][1]["days_overdue"], (today - newer_due).num_days());
        assert_eq!(all["items"].as_array().unwrap().len(), 3);
    }

    async fn other_body_and_npo_denied(app) {
        let created = registered(&app, &entry("incoming", today_in_kazakhstan())).await;
        let path = entry_path(&id_of(&created));
        let etag = "\"1\"";

        let other_read = get_as(&app, &path, &app.officer(OTHER_BODY)).await;
        let other_change = app.client.patch(app.url(&path))
            .bearer_auth(app.officer(OTHER_BODY)).header("If-Match", etag)
            .json(&json!({"subject": "Чужая правка"})).send().await.unwrap();
        let other_list = get_json(&app, PATH, &app.officer(OTHER_BODY)).await;
        let npo_read = get_as(&app, &path, &npo_token(&app, NPO_BIN)).await;
        let npo_list = get_as(&app, PATH, &npo_token(&app, NPO_BIN)).await;
        let npo_create =
            post_as(&app, PATH, &npo_token(&app, NPO_BIN), &entry("incoming", today_in_kazakhstan())).await;
        let ministry_read = get_as(&app, &path, &app.ministry()).await;
        let anonymous = app.client.get(app.url(&path)).send().await.unwrap();

        problem(other_read, StatusCode::NOT_FOUND).await;
        problem(other_change, StatusCode::NOT_FOUND).await;
        assert_eq!(other_list["items"], json!([]));
        problem(npo_read, StatusCode::FORBIDDEN).await;
        problem(npo_list, StatusCode::FORBIDDEN).await;
        problem(npo_create, StatusCode::FORBIDDEN).await;
        let read = json_body(ministry_read, StatusCode::OK).await;
        assert_eq!(read["counterpart"]["name"], "Ерлан Мұханов");
        assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    }

    async fn update_needs_current_version(app) {
        let today = today_in_kazakhstan();
        let incoming = registered(&app, &incoming_due(today, today + Days::new(3))).await;
        let id = id_of(&incoming);
        let change = json!({"status": "no_answer_needed", "file_ref": "edo://vh/1"});

        let stale = patch_entry(&app, &id, "\"7\"", &change).await;
        let changed = patch_entry(&app, &id, "\"1\"", &change).await;
        let number = patch_entry(&app, &id, "\"2\"", &json!({"number": "1"})).await;

        problem(stale, StatusCode::PRECONDITION_FAILED).await;
        let changed = json_body(changed, StatusCode::OK).await;
        assert_eq!(changed["status"], "no_answer_needed");
        assert_eq!(changed["file_ref"], "edo://vh/1");
        assert_eq!(changed["version"], 2);
        problem(number, StatusCode::UNPROCESSABLE_ENTITY).await;
        registered(&app, &answer_to(&id, today)).await;
        let reopened = patch_entry(&app, &id, "\"3\"", &json!({"status": "awaiting_answer"})).await;
        problem(reopened, StatusCode::CONFLICT).await;
    }
}
