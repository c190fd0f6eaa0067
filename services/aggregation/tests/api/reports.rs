//! Annual reports: opening, assembly of tables 1 to 7 from the services' events,
//! narrative, submission, review and export.

use std::io::Read;
use std::time::Duration;

use chrono::{Datelike, NaiveDate, TimeZone, Utc};
use common_models::event::EventEnvelope;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use service_kit::backend_tests;
use service_kit::testing::{TestApp, TestBackend};

use crate::{
    SERVICES, ULYTAU_DISTRICT, ULYTAU_REGION, ULYTAU_VILLAGE, body_input, create_body, get,
    json_body, pointers, post_as, problem, today_in_kazakhstan,
};

const BODY: &str = "ulytau-youth";
const OTHER_BODY: &str = "astana-health";
const PATH: &str = "/v1/annual-reports";

/// Returns a year whose report was due more than ten months ago, whatever the day.
fn past_year() -> i32 {
    today_in_kazakhstan().year() - 2
}

fn day(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).expect("a valid date")
}

/// Registers the regional youth department of Ulytau, whose officer (the subject of
/// `app.officer` tokens) took office three years ago, and a central health body.
async fn register_bodies(app: &TestApp) {
    create_body(
        app,
        &body_input(
            BODY,
            "regional_department",
            Some(ULYTAU_REGION),
            &["youth", "education"],
        ),
    )
    .await;
    create_body(app, &body_input(OTHER_BODY, "central", None, &["health"])).await;
    appoint_since(app, BODY, "test-officer", "deputy_head_of_department").await;
}

/// Appoints `officer` to `body` three years ago, so the body counts in the register
/// since then.
async fn appoint_since(app: &TestApp, body: &str, officer: &str, position: &str) {
    let mut appointment = crate::appointment(officer, "Ерлан Мұханов", position);
    let three_years_ago = today_in_kazakhstan() - chrono::Duration::days(3 * 366);
    appointment["appointed_on"] = json!(three_years_ago.to_string());
    json_body(
        crate::appoint(app, body, &appointment).await,
        StatusCode::CREATED,
    )
    .await;
}

async fn open(app: &TestApp, year: i32) -> Value {
    let response = post_as(app, PATH, &app.officer(BODY), None, &json!({"year": year})).await;
    json_body(response, StatusCode::CREATED).await
}

fn report_path(report: &Value) -> String {
    format!("{PATH}/{}", report["id"].as_str().expect("a report id"))
}

fn etag_of(report: &Value) -> String {
    format!("\"{}\"", report["version"])
}

async fn read(app: &TestApp, report: &Value, token: &str) -> Value {
    json_body(
        get(app, &report_path(report), Some(token)).await,
        StatusCode::OK,
    )
    .await
}

async fn patch(app: &TestApp, path: &str, token: &str, etag: &str, body: &Value) -> Response {
    app.client
        .patch(app.url(path))
        .bearer_auth(token)
        .header("If-Match", etag)
        .json(body)
        .send()
        .await
        .expect("the server responds")
}

/// Publishes an event of `event_type` from `service` that happened on `on`.
async fn publish(app: &TestApp, service: &str, event_type: &str, on: NaiveDate, payload: Value) {
    let mut event = EventEnvelope::new(event_type, 1, service, payload);
    event.occurred_at = Utc.from_utc_datetime(&on.and_hms_opt(6, 0, 0).expect("a valid time"))
        + chrono::Duration::microseconds(i64::from(event.id.as_u128() as u16));
    app.publish(&event).await;
}

/// Reads the report until `pointer` in its content has `count` items.
async fn read_when(app: &TestApp, report: &Value, pointer: &str, count: usize) -> Value {
    for _ in 0..100 {
        let read = read(app, report, &app.officer(BODY)).await;
        let items = read["content"]
            .pointer(pointer)
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        if items == count {
            return read;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the report never showed {count} items at {pointer}");
}

fn npo(id: &str, name: &str, territory: &str, spheres: &[&str]) -> Value {
    json!({
        "npo_id": id,
        "bin": null,
        "name_ru": name,
        "name_kk": null,
        "legal_form": "public_association",
        "status": "active",
        "territories": [territory],
        "spheres": spheres,
        "card": {
            "bin": null,
            "name_ru": name,
            "name_kk": null,
            "status": "active",
            "founded_on": "2015-03-01",
            "spheres": spheres,
            "target_groups": ["youth"],
            "territories": [territory],
            "forms_of_work": [],
            "key_staff": [{"full_name": "Айгүл Сапарова", "position": "председатель"}],
            "phone": "+77102000000",
            "email": "info@jastar.kz",
            "address": null,
            "web_resources": ["https://jastar.kz"]
        }
    })
}

fn recommendation(id: &str, body: &str, received_by: &str, received_on: NaiveDate) -> Value {
    json!({
        "recommendation_id": id,
        "government_body": body,
        "sphere": "youth",
        "npo_id": null,
        "status": "decided",
        "received_on": received_on,
        "answered_on": null,
        "author_kind": "npo",
        "author_name": "ОО «Жастар»",
        "contacts": "info@jastar.kz",
        "initiator": "npo",
        "received_by": received_by,
        "responsible_name": "Ерлан Мұханов",
        "handling": "accepted",
        "decided_on": received_on
    })
}

backend_tests! {
    services: SERVICES;

    async fn officer_opens_report_once(app) {
        register_bodies(&app).await;
        let year = past_year();

        let report = open(&app, year).await;
        let again = post_as(&app, PATH, &app.officer(BODY), None, &json!({"year": year})).await;

        assert_eq!(report["status"], "draft");
        assert_eq!(report["government_body"], BODY);
        assert_eq!(report["due_on"], day(year + 1, 1, 15).to_string());
        assert_eq!(report["current_version"], 0);
        assert_eq!(report["content"]["government_body_name"], format!("Орган {BODY}"));
        problem(again, StatusCode::CONFLICT).await;
    }

    async fn opening_checks_caller_and_year(app) {
        register_bodies(&app).await;
        let next = today_in_kazakhstan().year() + 1;

        let by_ministry = post_as(&app, PATH, &app.ministry(), None, &json!({"year": past_year()})).await;
        let future = post_as(&app, PATH, &app.officer(BODY), None, &json!({"year": next})).await;
        let unregistered = post_as(&app, PATH, &app.officer("nowhere"), None, &json!({"year": past_year()})).await;
        let unknown_field = post_as(&app, PATH, &app.officer(BODY), None, &json!({"year": past_year(), "status": "accepted"})).await;

        problem(by_ministry, StatusCode::FORBIDDEN).await;
        assert_eq!(pointers(&problem(future, StatusCode::UNPROCESSABLE_ENTITY).await), vec!["/year"]);
        assert_eq!(pointers(&problem(unregistered, StatusCode::UNPROCESSABLE_ENTITY).await), vec!["/government_body"]);
        problem(unknown_field, StatusCode::UNPROCESSABLE_ENTITY).await;
    }

    async fn only_current_officer_prepares(app) {
        register_bodies(&app).await;
        let report = open(&app, past_year()).await;
        let successor = json!({
            "reason": "transfer",
            "replaced_on": today_in_kazakhstan().to_string(),
            "successor": {"officer": "successor", "full_name": "Айгерім Сейітова", "position": "head_of_department"}
        });
        let replaced = crate::officer_change(&app, BODY, "replacement", &successor).await;
        assert_eq!(replaced.status(), StatusCode::CREATED);

        let edit = patch(&app, &report_path(&report), &app.officer(BODY), &etag_of(&report), &json!({"narrative": {}})).await;
        let submission = post_as(&app, &format!("{}/submission", report_path(&report)), &app.officer(BODY), Some(&etag_of(&report)), &json!({})).await;
        let opening = post_as(&app, PATH, &app.officer(BODY), None, &json!({"year": past_year() + 1})).await;

        problem(edit, StatusCode::FORBIDDEN).await;
        problem(submission, StatusCode::FORBIDDEN).await;
        problem(opening, StatusCode::FORBIDDEN).await;
    }

    async fn no_report_before_registration(app) {
        create_body(&app, &body_input("fresh-body", "regional_department", Some(ULYTAU_REGION), &["youth"])).await;
        let appointment = crate::appointment("test-officer", "Ерлан Мұханов", "deputy_head_of_department");
        json_body(crate::appoint(&app, "fresh-body", &appointment).await, StatusCode::CREATED).await;

        let early = post_as(&app, PATH, &app.officer("fresh-body"), None, &json!({"year": past_year()})).await;
        let current = post_as(&app, PATH, &app.officer("fresh-body"), None, &json!({"year": today_in_kazakhstan().year()})).await;

        assert_eq!(pointers(&problem(early, StatusCode::UNPROCESSABLE_ENTITY).await), vec!["/year"]);
        assert_eq!(current.status(), StatusCode::CREATED);
    }

    async fn table_one_lists_npos_of_territory_and_spheres(app) {
        register_bodies(&app).await;
        let year = past_year();
        let report = open(&app, year).await;
        let on = day(year, 3, 1);

        publish(&app, "registry", "registry.npo.registered", on, npo("npo-in", "ОО «Жастар»", ULYTAU_VILLAGE, &["youth"])).await;
        publish(&app, "registry", "registry.npo.registered", on, npo("npo-far", "ОО «Астана»", "711210000", &["youth"])).await;
        publish(&app, "registry", "registry.npo.registered", on, npo("npo-other", "ОО «Здоровье»", ULYTAU_DISTRICT, &["health"])).await;
        publish(&app, "registry", "registry.project.recorded", on, json!({
            "project_id": "project-1", "npo_id": "npo-in", "sphere": "youth", "territory": ULYTAU_VILLAGE,
            "starts_on": day(year, 2, 1), "ends_on": day(year, 11, 30),
            "name": "Молодёжный центр", "funding_source": "государственный социальный заказ"
        })).await;
        publish(&app, "registry", "registry.project.recorded", on, json!({
            "project_id": "project-old", "npo_id": "npo-in", "sphere": "youth", "territory": ULYTAU_VILLAGE,
            "starts_on": day(year - 3, 2, 1), "ends_on": day(year - 2, 11, 30),
            "name": "Старый проект", "funding_source": null
        })).await;

        let read = read_when(&app, &report, "/tables/projects", 1).await;
        let read = if read["content"]["tables"]["npos"].as_array().map_or(0, Vec::len) == 1 { read } else {
            read_when(&app, &report, "/tables/npos", 1).await
        };

        let row = &read["content"]["tables"]["npos"][0];
        assert_eq!(row["npo_id"], "npo-in");
        assert_eq!(row["name"], "ОО «Жастар»");
        assert_eq!(row["founded_on"], "2015-03-01");
        assert_eq!(row["key_staff"], json!(["Айгүл Сапарова, председатель"]));
        assert_eq!(row["contacts"], json!(["+77102000000", "info@jastar.kz", "https://jastar.kz"]));
        let project = &read["content"]["tables"]["projects"][0];
        assert_eq!(project["name"], "Молодёжный центр");
        assert_eq!(project["organisation"], "ОО «Жастар»");
        assert_eq!(project["funding_source"], "государственный социальный заказ");
    }

    async fn merged_and_liquidated_npos_leave_table_one(app) {
        register_bodies(&app).await;
        let year = past_year();
        let report = open(&app, year).await;
        let on = day(year, 3, 1);
        publish(&app, "registry", "registry.npo.registered", on, npo("npo-a", "ОО «А»", ULYTAU_VILLAGE, &["youth"])).await;
        publish(&app, "registry", "registry.npo.registered", on, npo("npo-b", "ОО «Б»", ULYTAU_VILLAGE, &["youth"])).await;
        read_when(&app, &report, "/tables/npos", 2).await;

        publish(&app, "registry", "registry.npo.merged", day(year, 4, 1), json!({"npo_id": "npo-a", "merged_id": "npo-b"})).await;
        let read = read_when(&app, &report, "/tables/npos", 1).await;
        assert_eq!(read["content"]["tables"]["npos"][0]["npo_id"], "npo-a");

        publish(&app, "registry", "registry.npo.status_changed", day(year, 5, 1), json!({"npo_id": "npo-a", "from": "active", "to": "liquidated"})).await;
        read_when(&app, &report, "/tables/npos", 0).await;
    }

    async fn tables_two_to_four_with_attachments(app) {
        register_bodies(&app).await;
        let year = past_year();
        let report = open(&app, year).await;

        publish(&app, "needs", "needs.assessment.published", day(year, 6, 1), json!({
            "assessment_id": "assessment-1", "government_body": BODY, "spheres": ["youth"],
            "territory": ULYTAU_REGION, "period_start": day(year, 3, 1), "period_end": day(year, 5, 31),
            "participants": 40, "title": "Потребности молодёжи Улытау", "completed_on": day(year, 6, 1),
            "priorities": [{
                "priority_id": "priority-1", "assessment_id": "assessment-1", "government_body": BODY,
                "sphere": "youth", "territory": ULYTAU_REGION, "target_group": "youth", "risk_level": "high",
                "people_affected": 1200, "problem": "Нет досуговых центров", "information_source": "survey",
                "risks": "Рост правонарушений"
            }],
            "activities": [
                {"held_on": day(year, 3, 15), "form": "focus_group", "participant_categories": ["npo"], "participants": 12, "responsible_staff": "Ерлан Мұханов"},
                {"held_on": day(year - 1, 12, 15), "form": "survey", "participant_categories": ["npo"], "participants": 5, "responsible_staff": "Ерлан Мұханов"}
            ]
        })).await;
        publish(&app, "joint-actions", "joint_actions.meeting.recorded", day(year, 7, 1), json!({
            "meeting_id": "meeting-1", "working_group_id": "group-1", "government_body": BODY,
            "held_on": day(year, 7, 1), "form": "round_table", "participant_categories": ["npo", "government_body"],
            "participants": 18, "responsible_staff": "Ерлан Мұханов", "result": "План совместных работ утверждён"
        })).await;
        publish(&app, "joint-actions", "joint_actions.plan.approved", day(year, 7, 2), json!({
            "plan_id": "plan-1", "government_body": BODY, "version": 1, "activities": 1,
            "title": "План на год", "working_group_id": "group-1", "approved_on": day(year, 7, 2),
            "rows": [{"activity": "Открыть центр", "completion_form": "отчёт", "deadline": day(year, 12, 1),
                      "responsible": "Управление", "participants": "ОО «Жастар»", "participation_form": "софинансирование"}]
        })).await;
        publish(&app, "joint-actions", "joint_actions.action.state_changed", day(year, 8, 1), json!({
            "action_id": "action-1", "government_body": BODY, "from": "planned", "to": "in_progress",
            "npo_ids": ["npo-in"], "title": "Открытие молодёжного центра", "spheres": ["youth"],
            "territory": ULYTAU_REGION, "started_on": day(year, 8, 1), "completed_on": null
        })).await;
        publish(&app, "joint-actions", "joint_actions.monitoring.changed", day(year, 9, 1), json!({
            "action_id": "action-1", "government_body": BODY,
            "rows": [{"row_id": "row-1", "activity": "Посещаемость", "frequency": "monthly", "comments": null,
                      "indicators": [{"name": "посетители", "unit": "чел.", "target": 500.0, "higher_is_better": true, "actual": 320.0, "evidence": ["журнал"]}]}]
        })).await;

        let read = read_when(&app, &report, "/attachments/monitoring_plans", 1).await;
        let content = &read["content"];

        assert_eq!(content["tables"]["needs"].as_array().unwrap().len(), 1, "only the activity of the year");
        assert_eq!(content["tables"]["needs"][0]["form"], "focus_group");
        assert_eq!(content["tables"]["needs"][0]["attachment"], 1);
        assert_eq!(content["attachments"]["priorities"][0]["rows"][0]["problem"], "Нет досуговых центров");
        assert_eq!(content["tables"]["planning"][0]["participants"], 18);
        assert_eq!(content["tables"]["planning"][0]["result"], "План совместных работ утверждён");
        assert_eq!(content["attachments"]["joint_plans"][0]["rows"][0]["activity"], "Открыть центр");
        assert_eq!(content["tables"]["actions"][0]["title"], "Открытие молодёжного центра");
        assert_eq!(content["tables"]["actions"][0]["attachment"], 1);
        assert_eq!(content["attachments"]["monitoring_plans"][0]["rows"][0]["indicators"][0]["actual"], 320.0);
    }

    async fn tables_five_to_seven(app) {
        register_bodies(&app).await;
        let year = past_year();
        let report = open(&app, year).await;
        let on = day(year, 4, 10);

        publish(&app, "recommendations", "recommendations.recommendation.decided", on, recommendation("rec-own", BODY, BODY, on)).await;
        let mut forwarded = recommendation("rec-forwarded", OTHER_BODY, BODY, on);
        forwarded["forwarded_from"] = json!(BODY);
        forwarded["status"] = json!("forwarded");
        publish(&app, "recommendations", "recommendations.recommendation.forwarded", on, forwarded).await;
        publish(&app, "recommendations", "recommendations.recommendation.decided", on, recommendation("rec-elsewhere", OTHER_BODY, OTHER_BODY, on)).await;
        for (id, direction) in [("consultation-1", "received"), ("consultation-2", "given")] {
            publish(&app, "recommendations", "recommendations.consultation.recorded", on, json!({
                "consultation_id": id, "government_body": BODY, "direction": direction, "held_on": on,
                "counterpart": "ОО «Жастар»", "contacts": null, "sphere": "youth",
                "question": "Проект закона о молодёжи", "form": "expert_review"
            })).await;
        }
        publish(&app, "recommendations", "recommendations.officer_request.answered", on, json!({
            "request_id": "request-1", "from_body": OTHER_BODY, "to_body": BODY, "question": "Данные о центрах",
            "sphere": "health", "format": "letter", "contacts": "+77172000000", "sent_on": on,
            "deadline": day(year, 4, 20), "answered_on": day(year, 4, 15), "result": "Данные направлены"
        })).await;

        let read = read_when(&app, &report, "/tables/officers", 1).await;
        let read = if read["content"]["tables"]["recommendations"].as_array().map_or(0, Vec::len) == 2 { read } else {
            read_when(&app, &report, "/tables/recommendations", 2).await
        };
        let tables = &read["content"]["tables"];

        let handling: Vec<(&str, &str)> = tables["recommendations"].as_array().unwrap().iter()
            .map(|r| (r["recommendation_id"].as_str().unwrap(), r["handling"].as_str().unwrap()))
            .collect();
        assert_eq!(handling, vec![("rec-forwarded", "forwarded"), ("rec-own", "accepted")]);
        assert_eq!(tables["recommendations"][1]["author"], "ОО «Жастар»");
        assert_eq!(tables["recommendations"][1]["responsible"], "Ерлан Мұханов");
        let directions: Vec<&str> = tables["consultations"].as_array().unwrap().iter()
            .map(|c| c["direction"].as_str().unwrap()).collect();
        assert_eq!(directions, vec!["given", "received"]);
        assert_eq!(tables["officers"][0]["government_body"], OTHER_BODY);
        assert_eq!(tables["officers"][0]["government_body_name"], format!("Орган {OTHER_BODY}"));
        assert_eq!(tables["officers"][0]["initiator"], "other");
    }

    async fn narrative_saved_with_if_match(app) {
        register_bodies(&app).await;
        let report = open(&app, past_year()).await;
        let path = report_path(&report);
        let etag = etag_of(&report);
        let narrative = json!({"narrative": {"summary": "Год работы", "npos": "Собраны сведения о 12 НПО"}});

        let saved = json_body(patch(&app, &path, &app.officer(BODY), &etag, &narrative).await, StatusCode::OK).await;
        let stale = patch(&app, &path, &app.officer(BODY), &etag, &narrative).await;
        let other = patch(&app, &path, &app.officer(OTHER_BODY), &etag_of(&saved), &narrative).await;
        let too_long = patch(&app, &path, &app.officer(BODY), &etag_of(&saved),
            &json!({"narrative": {"needs": "я".repeat(20_001), "planning": "ok"}})).await;
        let unknown = patch(&app, &path, &app.officer(BODY), &etag_of(&saved),
            &json!({"narrative": {"conclusion": "x"}})).await;

        assert_eq!(saved["content"]["narrative"]["summary"], "Год работы");
        assert_eq!(saved["version"], 2);
        problem(stale, StatusCode::PRECONDITION_FAILED).await;
        problem(other, StatusCode::NOT_FOUND).await;
        assert_eq!(pointers(&problem(too_long, StatusCode::UNPROCESSABLE_ENTITY).await), vec!["/narrative/needs"]);
        problem(unknown, StatusCode::UNPROCESSABLE_ENTITY).await;
    }

    async fn submission_freezes_content(app) {
        register_bodies(&app).await;
        let year = past_year();
        let report = open(&app, year).await;
        let on = day(year, 4, 10);
        publish(&app, "recommendations", "recommendations.recommendation.decided", on, recommendation("rec-1", BODY, BODY, on)).await;
        let before = read_when(&app, &report, "/tables/recommendations", 1).await;
        let path = report_path(&report);

        let submitted = json_body(post_as(&app, &format!("{path}/submission"), &app.officer(BODY), Some(&etag_of(&before)), &json!({})).await, StatusCode::OK).await;
        publish(&app, "recommendations", "recommendations.recommendation.decided", on, recommendation("rec-2", BODY, BODY, on)).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let after = read(&app, &report, &app.ministry()).await;
        let edit = patch(&app, &path, &app.officer(BODY), &etag_of(&after), &json!({"narrative": {}})).await;

        assert_eq!(submitted["status"], "submitted");
        assert_eq!(submitted["current_version"], 1);
        assert_eq!(submitted["submitted_on"], today_in_kazakhstan().to_string());
        assert_eq!(submitted["late"], true, "the report was due on 15 January of the following year");
        assert_eq!(after["content"]["tables"]["recommendations"].as_array().unwrap().len(), 1);
        problem(edit, StatusCode::CONFLICT).await;
    }

    async fn ministry_returns_and_accepts(app) {
        register_bodies(&app).await;
        let report = open(&app, past_year()).await;
        let path = report_path(&report);
        let submitted = json_body(post_as(&app, &format!("{path}/submission"), &app.officer(BODY), Some(&etag_of(&report)), &json!({})).await, StatusCode::OK).await;

        let by_officer = post_as(&app, &format!("{path}/review"), &app.officer(BODY), Some(&etag_of(&submitted)), &json!({"decision": "accepted"})).await;
        let no_comments = post_as(&app, &format!("{path}/review"), &app.ministry(), Some(&etag_of(&submitted)), &json!({"decision": "returned"})).await;
        let bad = post_as(&app, &format!("{path}/review"), &app.ministry(), Some(&etag_of(&submitted)), &json!({"decision": "maybe"})).await;
        let returned = json_body(post_as(&app, &format!("{path}/review"), &app.ministry(), Some(&etag_of(&submitted)),
            &json!({"decision": "returned", "comments": "Заполните таблицу 3"})).await, StatusCode::OK).await;
        let resubmitted = json_body(post_as(&app, &format!("{path}/submission"), &app.officer(BODY), Some(&etag_of(&returned)), &json!({})).await, StatusCode::OK).await;
        let accepted = json_body(post_as(&app, &format!("{path}/review"), &app.ministry(), Some(&etag_of(&resubmitted)),
            &json!({"decision": "accepted"})).await, StatusCode::OK).await;
        let again = post_as(&app, &format!("{path}/review"), &app.ministry(), Some(&etag_of(&accepted)), &json!({"decision": "accepted"})).await;
        let versions = json_body(get(&app, &format!("{path}/versions"), Some(&app.officer(BODY))).await, StatusCode::OK).await;
        let first = json_body(get(&app, &format!("{path}/versions/1"), Some(&app.ministry())).await, StatusCode::OK).await;

        problem(by_officer, StatusCode::FORBIDDEN).await;
        assert_eq!(pointers(&problem(no_comments, StatusCode::UNPROCESSABLE_ENTITY).await), vec!["/comments"]);
        assert_eq!(pointers(&problem(bad, StatusCode::UNPROCESSABLE_ENTITY).await), vec!["/decision"]);
        assert_eq!(returned["status"], "returned");
        assert_eq!(resubmitted["current_version"], 2);
        assert_eq!(accepted["status"], "accepted");
        assert_eq!(accepted["accepted_on"], today_in_kazakhstan().to_string());
        problem(again, StatusCode::CONFLICT).await;
        let reviews: Vec<(i64, &str)> = versions.as_array().unwrap().iter()
            .map(|v| (v["number"].as_i64().unwrap(), v["review"].as_str().unwrap())).collect();
        assert_eq!(reviews, vec![(1, "returned"), (2, "accepted")]);
        assert_eq!(versions[0]["comments"], "Заполните таблицу 3");
        assert_eq!(first["content"]["year"], past_year());
    }

    async fn reports_visible_to_own_officer_and_ministry(app) {
        register_bodies(&app).await;
        let report = open(&app, past_year()).await;
        let npo = app.token(service_kit::Role::Npo, None, Some("180440000019"));

        let by_other = get(&app, &report_path(&report), Some(&app.officer(OTHER_BODY))).await;
        let by_npo = get(&app, &report_path(&report), Some(&npo)).await;
        let anonymous = get(&app, &report_path(&report), None).await;
        let other_list = get(&app, &format!("{PATH}?government_body={BODY}"), Some(&app.officer(OTHER_BODY))).await;
        let own_list = json_body(get(&app, PATH, Some(&app.officer(OTHER_BODY))).await, StatusCode::OK).await;
        let ministry_list = json_body(get(&app, &format!("{PATH}?year={}&status=draft", past_year()), Some(&app.ministry())).await, StatusCode::OK).await;
        let bad_status = get(&app, &format!("{PATH}?status=lost"), Some(&app.ministry())).await;

        // Another body's report does not exist for its officer.
        problem(by_other, StatusCode::NOT_FOUND).await;
        problem(by_npo, StatusCode::FORBIDDEN).await;
        problem(anonymous, StatusCode::UNAUTHORIZED).await;
        problem(other_list, StatusCode::FORBIDDEN).await;
        assert_eq!(own_list["items"], json!([]));
        assert_eq!(ministry_list["items"][0]["id"], report["id"]);
        assert_eq!(ministry_list["items"][0]["late"], true);
        problem(bad_status, StatusCode::UNPROCESSABLE_ENTITY).await;
    }

    async fn xlsx_has_a_sheet_per_table(app) {
        register_bodies(&app).await;
        let year = past_year();
        let report = open(&app, year).await;
        let on = day(year, 4, 10);
        publish(&app, "recommendations", "recommendations.recommendation.decided", on, recommendation("rec-1", BODY, BODY, on)).await;
        read_when(&app, &report, "/tables/recommendations", 1).await;

        let response = get(&app, &format!("{}/report.xlsx", report_path(&report)), Some(&app.officer(BODY))).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], service_kit::export::XLSX);
        let bytes = response.bytes().await.expect("a workbook").to_vec();
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("the XLSX is a ZIP archive");
        let mut workbook = String::new();
        archive.by_name("xl/workbook.xml").expect("a workbook part").read_to_string(&mut workbook).expect("UTF-8");
        let mut strings = String::new();
        archive.by_name("xl/sharedStrings.xml").expect("shared strings").read_to_string(&mut strings).expect("UTF-8");
        let missing_version = get(&app, &format!("{}/report.xlsx?version=3", report_path(&report)), Some(&app.officer(BODY))).await;

        for table in 1..=7 {
            assert!(workbook.contains(&format!("Таблица {table}")), "sheet of table {table}");
        }
        assert!(strings.contains("Как учтены"), "the heading of table 5");
        assert!(strings.contains("Принята в работу"), "the handling in Russian");
        problem(missing_version, StatusCode::NOT_FOUND).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deadline_comes_from_settings() {
    let app = TestApp::spawn_with(
        SERVICES,
        TestBackend::Sqlite,
        &[("LIAISON_ANNUAL_REPORT_DUE", "03-01")],
    )
    .await
    .expect("SQLite runs always");
    register_bodies(&app).await;

    let report = open(&app, past_year()).await;

    assert_eq!(report["due_on"], day(past_year() + 1, 3, 1).to_string());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[should_panic(expected = "LIAISON_ANNUAL_REPORT_DUE=02-30")]
async fn invalid_deadline_setting_stops_the_start() {
    TestApp::spawn_with(
        SERVICES,
        TestBackend::Sqlite,
        &[("LIAISON_ANNUAL_REPORT_DUE", "02-30")],
    )
    .await;
}

const TIMELINESS: &str = "/v1/analytics/annual-reports";

async fn submit(app: &TestApp, report: &Value) -> Value {
    let path = format!("{}/submission", report_path(report));
    let response = post_as(
        app,
        &path,
        &app.officer(BODY),
        Some(&etag_of(report)),
        &json!({}),
    )
    .await;
    json_body(response, StatusCode::OK).await
}

backend_tests! {
    services: SERVICES;

    async fn timeliness_counts_missing_reports(app) {
        register_bodies(&app).await;
        create_body(&app, &body_input("ulytau-district", "district", Some(ULYTAU_DISTRICT), &["youth"])).await;
        create_body(&app, &body_input("new-district", "district", Some(ULYTAU_DISTRICT), &["youth"])).await;
        appoint_since(&app, OTHER_BODY, "officer-health", "director_of_department").await;
        appoint_since(&app, "ulytau-district", "officer-district", "deputy_akim").await;
        let report = open(&app, past_year()).await;
        submit(&app, &report).await;
        let path = format!("{TIMELINESS}?year={}", past_year());

        let all = json_body(get(&app, &path, Some(&app.ministry())).await, StatusCode::OK).await;
        let district = json_body(get(&app, &format!("{path}&region={ULYTAU_DISTRICT}"), Some(&app.ministry())).await, StatusCode::OK).await;
        let health = json_body(get(&app, &format!("{path}&sphere=health"), Some(&app.ministry())).await, StatusCode::OK).await;
        let by_officer = get(&app, &path, Some(&app.officer(BODY))).await;
        let bad = get(&app, &format!("{path}&region=62&sphere=fishing"), Some(&app.ministry())).await;

        assert_eq!(all["regions"], json!([
            {"region": null, "due": 1, "on_time": 0, "late": 0, "missing": 1, "on_time_rate": 0.0},
            {"region": ULYTAU_REGION, "due": 2, "on_time": 0, "late": 1, "missing": 1, "on_time_rate": 0.0}
        ]));
        assert_eq!(district["regions"], json!([
            {"region": ULYTAU_REGION, "due": 1, "on_time": 0, "late": 0, "missing": 1, "on_time_rate": 0.0}
        ]));
        assert_eq!(health["regions"][0]["region"], Value::Null);
        assert_eq!(health["regions"].as_array().unwrap().len(), 1);
        problem(by_officer, StatusCode::FORBIDDEN).await;
        let rejected = problem(bad, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(pointers(&rejected), vec!["#/query/region", "#/query/sphere"]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeliness_counts_reports_submitted_early() {
    let app = TestApp::spawn(SERVICES, TestBackend::Sqlite)
        .await
        .expect("SQLite runs always");
    register_bodies(&app).await;
    let year = today_in_kazakhstan().year();
    let report = open(&app, year).await;
    submit(&app, &report).await;

    let path = format!("{TIMELINESS}?year={year}");
    let read = json_body(
        get(&app, &path, Some(&app.ministry())).await,
        StatusCode::OK,
    )
    .await;

    assert_eq!(
        read["regions"],
        json!([
            {"region": ULYTAU_REGION, "due": 1, "on_time": 1, "late": 0, "missing": 0, "on_time_rate": 1.0}
        ])
    );
    app.stop().await;
}

backend_tests! {
    services: SERVICES;

    async fn compliance_lists_late_and_missing_reports(app) {
        register_bodies(&app).await;
        appoint_since(&app, OTHER_BODY, "officer-health", "director_of_department").await;
        let report = open(&app, past_year()).await;
        submit(&app, &report).await;

        let path = "/v1/compliance?rule=annual_report&limit=200";
        let found = json_body(get(&app, path, Some(&app.ministry())).await, StatusCode::OK).await;

        let of = |body: &str| -> Vec<(i64, Value)> {
            found["items"].as_array().unwrap().iter()
                .filter(|f| f["government_body"] == body && f["year"] == past_year())
                .map(|f| (f["year"].as_i64().unwrap(), f["dates"]["submitted_on"].clone()))
                .collect()
        };
        assert_eq!(of(BODY), vec![(i64::from(past_year()), json!(today_in_kazakhstan().to_string()))]);
        assert_eq!(of(OTHER_BODY), vec![(i64::from(past_year()), Value::Null)]);
    }
}
