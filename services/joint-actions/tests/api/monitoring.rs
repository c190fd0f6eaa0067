use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use service_kit::backend_tests;
use service_kit::testing::TestApp;

use crate::{
    BODY, SERVICES, XLSX_TYPE, advance_through, current_etag, download, get_action, get_json,
    id_of, json_body, parse_csv, pointers, post_officer, problem, ready_action, shared_strings,
    started_action, text_after_bom, today_in_kazakhstan,
};

/// Column headings of the government form of the monitoring and evaluation plan, in order.
const HEADINGS: [&str; 7] = [
    "№",
    "Мероприятие",
    "Плановые показатели",
    "Фактические показатели",
    "Подтверждение/Источники информации",
    "Периодичность измерения",
    "Комментарии",
];

/// Builds a monthly row with one indicator where more is better and one where less is better.
fn row_body() -> Value {
    json!({
        "activity": "Смены лагеря",
        "frequency": "monthly",
        "indicators": [
            {"name": "Участники", "unit": "человек", "target": 120, "higher_is_better": true},
            {"name": "Жалобы родителей", "unit": "обращений", "target": 5, "higher_is_better": false}
        ],
        "comments": "Данные по итогам каждой смены"
    })
}

/// Sends a new monitoring row of the joint action `id` as the officer of `BODY`.
async fn post_row(app: &TestApp, id: &str, body: &Value) -> Response {
    post_officer(
        app,
        &format!("/v1/joint-actions/{id}/monitoring-rows"),
        body,
    )
    .await
}

/// Adds a monitoring row to the joint action `id` and returns the row's id.
async fn add_row(app: &TestApp, id: &str, body: &Value) -> String {
    id_of(&json_body(post_row(app, id, body).await, StatusCode::CREATED).await)
}

/// Builds a measurement of `indicator` taken today.
fn measurement(indicator: &str, value: i64) -> Value {
    json!({
        "indicator": indicator,
        "measured_on": today_in_kazakhstan().to_string(),
        "value": value,
        "evidence": "Список участников смены"
    })
}

/// Sends a measurement of the row `row_id` as the officer of `BODY`.
async fn post_measurement(app: &TestApp, id: &str, row_id: &str, body: &Value) -> Response {
    let path = format!("/v1/joint-actions/{id}/monitoring-rows/{row_id}/measurements");
    post_officer(app, &path, body).await
}

/// Records a measurement, failing the test unless it was created.
async fn record(app: &TestApp, id: &str, row_id: &str, body: &Value) -> Value {
    json_body(
        post_measurement(app, id, row_id, body).await,
        StatusCode::CREATED,
    )
    .await
}

/// Builds an evaluation with all four parts.
fn evaluation_body() -> Value {
    json!({
        "effectiveness": "Высокая: план по участникам перевыполнен",
        "results": "Проведены три смены, отдохнули 130 подростков",
        "conclusions": "Формат востребован в сельских округах",
        "recommendations": "Повторить лагерь летом следующего года"
    })
}

/// Sends the evaluation of the joint action `id` as the officer of `BODY`, with the
/// current ETag in case the server treats it as a guarded status change.
async fn post_evaluation(app: &TestApp, id: &str, body: &Value) -> Response {
    let etag = current_etag(app, id).await;
    app.client
        .post(app.url(&format!("/v1/joint-actions/{id}/evaluation")))
        .bearer_auth(app.officer(BODY))
        .header("If-Match", etag)
        .json(body)
        .send()
        .await
        .expect("the server responds")
}

/// Reads the monitoring of the joint action `id` as the officer of `BODY`.
async fn monitoring(app: &TestApp, id: &str) -> Value {
    get_json(
        app,
        &format!("/v1/joint-actions/{id}/monitoring"),
        Some(&app.officer(BODY)),
    )
    .await
}

/// Returns the indicator `name` of the monitoring row `row_id`, failing the test without it.
fn indicator(monitoring: &Value, row_id: &str, name: &str) -> Value {
    let row = monitoring["rows"]
        .as_array()
        .expect("the monitoring lists rows")
        .iter()
        .find(|row| row["id"] == row_id)
        .unwrap_or_else(|| panic!("row {row_id} missing from {monitoring}"));
    row["indicators"]
        .as_array()
        .expect("the row lists indicators")
        .iter()
        .find(|indicator| indicator["name"] == name)
        .unwrap_or_else(|| panic!("indicator {name} missing from {row}"))
        .clone()
}

backend_tests! {
    services: SERVICES;

    async fn row_fields_validated(app) {
        let action = ready_action(&app).await;
        let mut duplicate_names = row_body();
        duplicate_names["indicators"][1]["name"] = json!("Участники");

        let empty = post_row(&app, &action.id, &json!({})).await;
        let bad_frequency = post_row(&app, &action.id, &json!({"activity": "Смены лагеря", "frequency": "weekly", "indicators": []})).await;
        let duplicate = post_row(&app, &action.id, &duplicate_names).await;

        let empty = pointers(&problem(empty, StatusCode::UNPROCESSABLE_ENTITY).await);
        for expected in ["/activity", "/frequency", "/indicators"] {
            assert!(empty.contains(&expected.to_owned()), "{expected} missing from {empty:?}");
        }
        let bad_frequency = pointers(&problem(bad_frequency, StatusCode::UNPROCESSABLE_ENTITY).await);
        assert!(bad_frequency.contains(&"/frequency".to_owned()), "{bad_frequency:?}");
        assert!(bad_frequency.contains(&"/indicators".to_owned()), "{bad_frequency:?}");
        let duplicate = pointers(&problem(duplicate, StatusCode::UNPROCESSABLE_ENTITY).await);
        assert!(duplicate.iter().any(|pointer| pointer.starts_with("/indicators")), "{duplicate:?}");
        let after = monitoring(&app, &action.id).await;
        assert_eq!(after["rows"], json!([]));
    }

    async fn row_listed_without_measurements(app) {
        let action = ready_action(&app).await;

        let response = post_row(&app, &action.id, &row_body()).await;

        let row = json_body(response, StatusCode::CREATED).await;
        assert_eq!(row["activity"], "Смены лагеря");
        assert_eq!(row["frequency"], "monthly");
        let listed = monitoring(&app, &action.id).await;
        assert_eq!(listed["rows"].as_array().unwrap().len(), 1);
        assert_eq!(listed["rows"][0]["id"], row["id"]);
        assert_eq!(listed["rows"][0]["comments"], "Данные по итогам каждой смены");
        assert_eq!(listed["rows"][0]["overdue"], json!([]));
        let participants = indicator(&listed, &id_of(&row), "Участники");
        assert_eq!(participants["unit"], "человек");
        assert_eq!(participants["target"].as_f64(), Some(120.0));
        assert_eq!(participants["higher_is_better"], true);
        assert!(participants["actual"].is_null());
        assert!(participants["met"].is_null());
        assert_eq!(participants["measurements"], json!([]));
        let complaints = indicator(&listed, &id_of(&row), "Жалобы родителей");
        assert_eq!(complaints["higher_is_better"], false);
    }

    async fn rows_closed_after_completion(app) {
        let action = started_action(&app).await;
        advance_through(&app, &action.id, &["completed"]).await;

        let response = post_row(&app, &action.id, &row_body()).await;

        problem(response, StatusCode::CONFLICT).await;
        let after = monitoring(&app, &action.id).await;
        assert_eq!(after["rows"], json!([]));
    }

    async fn measurements_need_running_action(app) {
        let action = ready_action(&app).await;
        let row_id = add_row(&app, &action.id, &row_body()).await;
        let body = measurement("Участники", 45);

        let in_draft = post_measurement(&app, &action.id, &row_id, &body).await;
        advance_through(&app, &action.id, &["agreed"]).await;
        let in_agreed = post_measurement(&app, &action.id, &row_id, &body).await;
        advance_through(&app, &action.id, &["in_progress"]).await;
        let in_progress = post_measurement(&app, &action.id, &row_id, &body).await;
        advance_through(&app, &action.id, &["completed"]).await;
        let in_completed = post_measurement(&app, &action.id, &row_id, &body).await;

        problem(in_draft, StatusCode::CONFLICT).await;
        problem(in_agreed, StatusCode::CONFLICT).await;
        assert_eq!(in_progress.status(), StatusCode::CREATED);
        problem(in_completed, StatusCode::CONFLICT).await;
        let after = monitoring(&app, &action.id).await;
        let participants = indicator(&after, &row_id, "Участники");
        assert_eq!(participants["measurements"].as_array().unwrap().len(), 1);
    }

    async fn measurement_values_validated(app) {
        let action = started_action(&app).await;
        let row_id = add_row(&app, &action.id, &row_body()).await;
        let mut future = measurement("Участники", 45);
        let tomorrow = today_in_kazakhstan() + chrono::Days::new(1);
        future["measured_on"] = json!(tomorrow.to_string());

        let unknown = post_measurement(&app, &action.id, &row_id, &measurement("Волонтёры", 12)).await;
        let future = post_measurement(&app, &action.id, &row_id, &future).await;

        assert_eq!(pointers(&problem(unknown, StatusCode::UNPROCESSABLE_ENTITY).await), vec!["/indicator"]);
        assert_eq!(pointers(&problem(future, StatusCode::UNPROCESSABLE_ENTITY).await), vec!["/measured_on"]);
        let after = monitoring(&app, &action.id).await;
        let participants = indicator(&after, &row_id, "Участники");
        assert_eq!(participants["measurements"], json!([]));
    }

    async fn measurement_emits_event(app) {
        let action = started_action(&app).await;
        let row_id = add_row(&app, &action.id, &row_body()).await;
        let mut events = app.observe(&["joint_actions.measurement.recorded"]).await;

        record(&app, &action.id, &row_id, &measurement("Участники", 45)).await;

        let payload = events.expect("joint_actions.measurement.recorded").await.event.payload;
        assert_eq!(payload["action_id"], action.id.as_str());
        assert_eq!(payload["row_id"], row_id.as_str());
        assert_eq!(payload["indicator"], "Участники");
        assert_eq!(payload["measured_on"], today_in_kazakhstan().to_string());
        assert_eq!(payload["value"].as_f64(), Some(45.0));
        events.close().await;
    }

    async fn monitoring_events_carry_plan(app) {
        let action = started_action(&app).await;
        let mut events = app.observe(&["joint_actions.monitoring.changed"]).await;
        let mut second_measurement = measurement("Участники", 130);
        second_measurement["evidence"] = json!("Фотоотчёт второй смены");
        let outreach_body = json!({
            "activity": "Выезды в сёла",
            "frequency": "quarterly",
            "indicators": [{"name": "Охваченные сёла", "target": 10, "higher_is_better": true}]
        });

        let camp = add_row(&app, &action.id, &row_body()).await;
        record(&app, &action.id, &camp, &measurement("Участники", 45)).await;
        let rejected = post_measurement(&app, &action.id, &camp, &measurement("Волонтёры", 3)).await;
        record(&app, &action.id, &camp, &second_measurement).await;
        let outreach = add_row(&app, &action.id, &outreach_body).await;

        problem(rejected, StatusCode::UNPROCESSABLE_ENTITY).await;
        let mut published = Vec::new();
        for _ in 0..4 {
            published.push(events.expect("joint_actions.monitoring.changed").await.event.payload);
        }
        let published_later = events.drain(std::time::Duration::from_millis(500)).await;
        events.close().await;
        assert!(published_later.is_empty(), "{} more events", published_later.len());
        for payload in &published {
            assert_eq!(payload["action_id"], action.id.as_str());
            assert_eq!(payload["government_body"], BODY);
        }
        let row_counts: Vec<usize> = published.iter().map(|p| p["rows"].as_array().unwrap().len()).collect();
        assert_eq!(row_counts, [1, 1, 1, 2]);
        let added = &published[0]["rows"][0];
        assert_eq!(added["row_id"], camp.as_str());
        assert_eq!(added["activity"], "Смены лагеря");
        assert_eq!(added["frequency"], "monthly");
        assert_eq!(added["comments"], "Данные по итогам каждой смены");
        let planned = &added["indicators"][0];
        assert_eq!(planned["name"], "Участники");
        assert_eq!(planned["unit"], "человек");
        assert_eq!(planned["target"].as_f64(), Some(120.0));
        assert_eq!(planned["higher_is_better"], true);
        assert!(planned["actual"].is_null(), "{planned}");
        assert_eq!(planned["evidence"], json!([]));
        let complaints = &added["indicators"][1];
        assert_eq!(complaints["name"], "Жалобы родителей");
        assert_eq!(complaints["unit"], "обращений");
        assert_eq!(complaints["target"].as_f64(), Some(5.0));
        assert_eq!(complaints["higher_is_better"], false);
        let first_measured = &published[1]["rows"][0]["indicators"][0];
        assert_eq!(first_measured["actual"].as_f64(), Some(45.0));
        assert_eq!(first_measured["evidence"], json!(["Список участников смены"]));
        let second_measured = &published[2]["rows"][0]["indicators"][0];
        assert_eq!(second_measured["actual"].as_f64(), Some(130.0));
        assert_eq!(second_measured["evidence"], json!(["Список участников смены", "Фотоотчёт второй смены"]));
        assert!(published[2]["rows"][0]["indicators"][1]["actual"].is_null());
        let whole_plan = &published[3]["rows"];
        assert_eq!(whole_plan[0]["indicators"][0]["actual"].as_f64(), Some(130.0));
        assert_eq!(whole_plan[1]["row_id"], outreach.as_str());
        assert_eq!(whole_plan[1]["activity"], "Выезды в сёла");
        assert_eq!(whole_plan[1]["frequency"], "quarterly");
        assert!(whole_plan[1]["comments"].is_null());
        assert_eq!(whole_plan[1]["indicators"][0]["name"], "Охваченные сёла");
        assert!(whole_plan[1]["indicators"][0]["unit"].is_null());
        assert_eq!(whole_plan[1]["indicators"][0]["target"].as_f64(), Some(10.0));
    }

    async fn met_follows_direction(app) {
        let action = started_action(&app).await;
        let camp = add_row(&app, &action.id, &row_body()).await;
        let outreach = add_row(&app, &action.id, &json!({
            "activity": "Выезды в сёла",
            "frequency": "quarterly",
            "indicators": [
                {"name": "Охваченные сёла", "unit": "сёл", "target": 10, "higher_is_better": true},
                {"name": "Расходы на выезд", "unit": "тенге", "target": 1_000_000, "higher_is_better": false},
                {"name": "Волонтёры", "unit": "человек", "target": 20, "higher_is_better": true}
            ]
        })).await;

        record(&app, &action.id, &camp, &measurement("Участники", 130)).await;
        record(&app, &action.id, &camp, &measurement("Жалобы родителей", 7)).await;
        record(&app, &action.id, &outreach, &measurement("Охваченные сёла", 4)).await;
        record(&app, &action.id, &outreach, &measurement("Расходы на выезд", 1_000_000)).await;
        let listed = monitoring(&app, &action.id).await;

        let participants = indicator(&listed, &camp, "Участники");
        assert_eq!(participants["actual"].as_f64(), Some(130.0));
        assert_eq!(participants["met"], true);
        assert_eq!(participants["measurements"][0]["measured_on"], today_in_kazakhstan().to_string());
        assert_eq!(participants["measurements"][0]["value"].as_f64(), Some(130.0));
        assert_eq!(participants["measurements"][0]["evidence"], "Список участников смены");
        let complaints = indicator(&listed, &camp, "Жалобы родителей");
        assert_eq!(complaints["actual"].as_f64(), Some(7.0));
        assert_eq!(complaints["met"], false);
        let villages = indicator(&listed, &outreach, "Охваченные сёла");
        assert_eq!(villages["actual"].as_f64(), Some(4.0));
        assert_eq!(villages["met"], false);
        let costs = indicator(&listed, &outreach, "Расходы на выезд");
        assert_eq!(costs["actual"].as_f64(), Some(1_000_000.0));
        assert_eq!(costs["met"], true);
        let volunteers = indicator(&listed, &outreach, "Волонтёры");
        assert!(volunteers["actual"].is_null());
        assert!(volunteers["met"].is_null());
    }

    async fn fresh_action_nothing_overdue(app) {
        let action = started_action(&app).await;
        let monthly = add_row(&app, &action.id, &row_body()).await;
        let mut once_body = row_body();
        once_body["activity"] = json!("Итоговый опрос родителей");
        once_body["frequency"] = json!("once");
        let once = add_row(&app, &action.id, &once_body).await;

        let listed = monitoring(&app, &action.id).await;
        let for_officer = get_json(&app, "/v1/joint-actions-overdue-measurements", Some(&app.officer(BODY))).await;
        let for_ministry = get_json(&app, "/v1/joint-actions-overdue-measurements", Some(&app.ministry())).await;

        for row in listed["rows"].as_array().unwrap() {
            assert_eq!(row["overdue"], json!([]), "row {}", row["activity"]);
        }
        let row_ids: Vec<&str> = listed["rows"].as_array().unwrap().iter().map(|row| row["id"].as_str().unwrap()).collect();
        assert!(row_ids.contains(&monthly.as_str()), "{row_ids:?}");
        assert!(row_ids.contains(&once.as_str()), "{row_ids:?}");
        assert_eq!(for_officer["items"], json!([]));
        assert_eq!(for_ministry["items"], json!([]));
    }

    async fn evaluation_needs_completed_action(app) {
        let action = started_action(&app).await;

        let while_running = post_evaluation(&app, &action.id, &evaluation_body()).await;
        advance_through(&app, &action.id, &["completed"]).await;
        let incomplete = post_evaluation(&app, &action.id, &json!({"conclusions": "Формат востребован"})).await;

        problem(while_running, StatusCode::CONFLICT).await;
        let incomplete = pointers(&problem(incomplete, StatusCode::UNPROCESSABLE_ENTITY).await);
        assert!(incomplete.contains(&"/effectiveness".to_owned()), "{incomplete:?}");
        assert!(incomplete.contains(&"/results".to_owned()), "{incomplete:?}");
        let after = get_action(&app, &action.id).await;
        assert_eq!(after["status"], "completed");
        assert!(after["evaluation"].is_null());
    }

    async fn evaluation_completes_action(app) {
        let action = started_action(&app).await;
        let row_id = add_row(&app, &action.id, &row_body()).await;
        record(&app, &action.id, &row_id, &measurement("Участники", 130)).await;
        record(&app, &action.id, &row_id, &measurement("Жалобы родителей", 7)).await;
        advance_through(&app, &action.id, &["completed"]).await;
        let mut state_events = app.observe(&["joint_actions.action.state_changed"]).await;
        let mut evaluation_events = app.observe(&["joint_actions.evaluation.completed"]).await;

        let response = post_evaluation(&app, &action.id, &evaluation_body()).await;
        let again = post_evaluation(&app, &action.id, &evaluation_body()).await;

        let evaluated = json_body(response, StatusCode::OK).await;
        assert_eq!(evaluated["status"], "evaluated");
        assert_eq!(evaluated["evaluation"]["effectiveness"], evaluation_body()["effectiveness"]);
        assert_eq!(evaluated["evaluation"]["results"], evaluation_body()["results"]);
        assert_eq!(evaluated["evaluation"]["conclusions"], evaluation_body()["conclusions"]);
        assert_eq!(evaluated["evaluation"]["recommendations"], evaluation_body()["recommendations"]);
        // The relay may still deliver the earlier change to completed after the
        // observer subscribed, so skip events of other transitions.
        let changed = loop {
            let payload = state_events.expect("joint_actions.action.state_changed").await.event.payload;
            if payload["to"] == "evaluated" {
                break payload;
            }
        };
        assert_eq!(changed["action_id"], action.id.as_str());
        assert_eq!(changed["from"], "completed");
        assert_eq!(changed["to"], "evaluated");
        let completed = evaluation_events.expect("joint_actions.evaluation.completed").await.event.payload;
        assert_eq!(completed["action_id"], action.id.as_str());
        assert_eq!(completed["government_body"], BODY);
        assert_eq!(completed["indicators_met"], 1);
        assert_eq!(completed["indicators_total"], 2);
        state_events.close().await;
        evaluation_events.close().await;
        problem(again, StatusCode::CONFLICT).await;
    }

    async fn monitoring_plan_csv_follows_form(app) {
        let action = started_action(&app).await;
        let row_id = add_row(&app, &action.id, &row_body()).await;
        record(&app, &action.id, &row_id, &measurement("Участники", 130)).await;

        let (content_type, bytes) = download(&app, &format!("/v1/joint-actions/{}/monitoring-plan.csv", action.id)).await;

        assert!(content_type.starts_with("text/csv"), "{content_type}");
        let text = text_after_bom(&bytes);
        assert_eq!(text.split("\r\n").next().unwrap(), HEADINGS.join(","));
        let records = parse_csv(text);
        assert_eq!(records.len(), 2);
        let row = &records[1];
        assert_eq!(row.len(), HEADINGS.len());
        assert_eq!(row[0], "1");
        assert_eq!(row[1], "Смены лагеря");
        assert!(row[2].contains("Участники"), "{}", row[2]);
        assert!(row[2].contains("120"), "{}", row[2]);
        assert!(row[2].contains("Жалобы родителей"), "{}", row[2]);
        assert!(row[3].contains("130"), "{}", row[3]);
        assert!(row[4].contains("Список участников смены"), "{}", row[4]);
        assert!(!row[5].is_empty());
        assert_eq!(row[6], "Данные по итогам каждой смены");
    }

    async fn monitoring_plan_xlsx_has_headings(app) {
        let action = ready_action(&app).await;
        add_row(&app, &action.id, &row_body()).await;

        let (content_type, workbook) = download(&app, &format!("/v1/joint-actions/{}/monitoring-plan.xlsx", action.id)).await;

        assert_eq!(content_type, XLSX_TYPE);
        assert!(workbook.starts_with(b"PK"));
        let strings = shared_strings(workbook);
        for heading in HEADINGS {
            assert!(strings.contains(heading), "{heading} missing from the workbook");
        }
        assert!(strings.contains("Смены лагеря"));
        assert!(strings.contains("Данные по итогам каждой смены"));
    }
}
