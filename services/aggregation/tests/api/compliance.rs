use chrono::{Datelike, Duration, Months, NaiveDate};
use common_models::event::needs::ASSESSMENT_PUBLISHED;
use common_models::event::recommendations::{
    OFFICER_REQUEST_ANSWERED, OFFICER_REQUEST_SENT, RECEPTION_APPOINTED, RECEPTION_REQUESTED,
    RECOMMENDATION_CLOSED, RECOMMENDATION_DECIDED, RECOMMENDATION_RECEIVED,
};
use common_models::event::registry::CAMPAIGN_RECORDED;
use reqwest::StatusCode;
use serde_json::{Value, json};
use service_kit::backend_tests;
use service_kit::testing::{TestApp, TestBackend};

use crate::analytics::{await_records, publish, read, recommendation};
use crate::{
    ASTANA_YESIL, SERVICES, ULYTAU_DISTRICT, ULYTAU_REGION, appoint, appointment, body_input,
    create_body, get, officer_change, pointers, problem, today_in_kazakhstan,
};

/// Adds body `id` of `level` at `territory` with an officer appointed `days_ago` days
/// ago, which makes the body's start in the register that day.
async fn staffed_body(
    app: &TestApp,
    id: &str,
    level: &str,
    territory: Option<&str>,
    days_ago: i64,
) {
    create_body(
        app,
        &body_input(id, level, territory, &["youth", "ecology"]),
    )
    .await;
    let position = if level == "central" {
        "director_of_department"
    } else {
        "deputy_akim"
    };
    let mut input = appointment(&format!("officer-{id}"), "Ерлан Мұханов", position);
    input["appointed_on"] = json!((today_in_kazakhstan() - Duration::days(days_ago)).to_string());
    assert_eq!(appoint(app, id, &input).await.status(), StatusCode::CREATED);
}

/// Adds body `id` of `level` at `territory` whose officer, appointed five days before,
/// was dismissed `days_ago` days ago.
async fn vacant_body(app: &TestApp, id: &str, level: &str, territory: Option<&str>, days_ago: i64) {
    staffed_body(app, id, level, territory, days_ago + 5).await;
    let dismissed_on = (today_in_kazakhstan() - Duration::days(days_ago)).to_string();
    let dismissal = json!({"reason": "dismissal", "dismissed_on": dismissed_on});
    let response = officer_change(app, id, "dismissal", &dismissal).await;
    assert_eq!(response.status(), StatusCode::OK);
}

/// Builds a reception request to `body`, `days_ago` days ago, appointed `appointed_after`
/// days after the request when given.
fn reception(id: &str, body: &str, days_ago: i64, appointed_after: Option<i64>) -> Value {
    let requested_on = today_in_kazakhstan() - Duration::days(days_ago);
    json!({
        "request_id": id,
        "government_body": body,
        "requested_on": requested_on.to_string(),
        "status": if appointed_after.is_some() { "appointed" } else { "waiting" },
        "appointed_on": appointed_after.map(|days| (requested_on + Duration::days(days)).to_string()),
    })
}

/// Reads every finding as the ministry, with `query` appended.
async fn findings(app: &TestApp, query: &str) -> Vec<Value> {
    let page = read(
        app,
        &format!("/v1/compliance?limit=200{query}"),
        &app.ministry(),
    )
    .await;
    page["items"]
        .as_array()
        .expect("a page of findings")
        .clone()
}

/// Returns the findings of `rule` among `all`.
fn of_rule<'a>(all: &'a [Value], rule: &str) -> Vec<&'a Value> {
    all.iter()
        .filter(|finding| finding["rule"] == rule)
        .collect()
}

/// Returns the body, rule and first record id of each finding, to compare sets.
fn summary(all: &[Value]) -> Vec<(String, String, String)> {
    let mut rows: Vec<(String, String, String)> = all
        .iter()
        .map(|finding| {
            (
                finding["government_body"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                finding["rule"].as_str().unwrap_or_default().to_owned(),
                finding["records"][0]["id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect();
    rows.sort();
    rows
}

fn row(body: &str, rule: &str, record: &str) -> (String, String, String) {
    (body.to_owned(), rule.to_owned(), record.to_owned())
}

backend_tests! {
    services: SERVICES;

    async fn npo_data_collection_finds_missed_year(app) {
        let today = today_in_kazakhstan();
        let this_year = today.year();
        staffed_body(&app, "ulytau-district", "district", Some(ULYTAU_DISTRICT), 3 * 366).await;
        for (year, inside_window) in [(this_year - 3, true), (this_year - 2, true), (this_year - 1, false), (this_year, true)] {
            publish(&app, CAMPAIGN_RECORDED, json!({
                "campaign_id": format!("campaign-{year}"),
                "government_body": "ulytau-district",
                "year": year,
                "inside_window": inside_window,
                "npos_added": 3,
                "npos_updated": 1,
            })).await;
        }
        await_records(&app, 4).await;

        let all = findings(&app, "").await;

        let missed = of_rule(&all, "npo_data_collection");
        assert_eq!(missed.len(), 1, "{all:?}");
        assert_eq!(missed[0]["government_body"], "ulytau-district");
        assert_eq!(missed[0]["year"], this_year - 1);
        assert_eq!(missed[0]["due_on"], format!("{}-05-31", this_year - 1));
        assert_eq!(missed[0]["records"], json!([{"kind": "campaign", "id": format!("campaign-{}", this_year - 1)}]));
        assert_eq!(missed[0]["region"], ULYTAU_REGION);
    }

    async fn young_body_owes_nothing_yet(app) {
        create_body(&app, &body_input("new-district", "district", Some(ULYTAU_DISTRICT), &["youth"])).await;

        let all = findings(&app, "").await;

        assert_eq!(all, Vec::<Value>::new());
    }

    async fn needs_assessment_finds_stale_sphere(app) {
        let today = today_in_kazakhstan();
        staffed_body(&app, "ulytau-district", "district", Some(ULYTAU_DISTRICT), 3 * 366).await;
        let recent = (today - Duration::days(365)).to_string();
        let stale = (today - Duration::days(2 * 365 + 10)).to_string();
        for (id, sphere, completed_on) in [("recent", "youth", &recent), ("stale", "ecology", &stale)] {
            publish(&app, ASSESSMENT_PUBLISHED, json!({
                "assessment_id": id,
                "government_body": "ulytau-district",
                "spheres": [sphere],
                "territory": ULYTAU_DISTRICT,
                "period_start": "2020-01-01",
                "period_end": "2020-12-31",
                "priorities": [],
                "participants": 25,
                "completed_on": completed_on,
            })).await;
        }
        await_records(&app, 2).await;

        let all = findings(&app, "").await;

        let stale_spheres = of_rule(&all, "needs_assessment");
        assert_eq!(stale_spheres.len(), 1, "{all:?}");
        assert_eq!(stale_spheres[0]["sphere"], "ecology");
        assert_eq!(stale_spheres[0]["records"], json!([{"kind": "assessment", "id": "stale"}]));
        assert_eq!(stale_spheres[0]["dates"]["last_assessed_on"], stale.as_str());
        let stale_day: NaiveDate = stale.parse().unwrap();
        assert_eq!(stale_spheres[0]["due_on"], (stale_day + Months::new(24)).to_string());
    }

    async fn reception_late_or_missing(app) {
        create_body(&app, &body_input("ulytau-district", "district", Some(ULYTAU_DISTRICT), &["youth"])).await;
        publish(&app, RECEPTION_REQUESTED, reception("waiting-long", "ulytau-district", 40, None)).await;
        publish(&app, RECEPTION_APPOINTED, reception("appointed-late", "ulytau-district", 5, Some(35))).await;
        publish(&app, RECEPTION_APPOINTED, reception("appointed-in-time", "ulytau-district", 40, Some(10))).await;
        publish(&app, RECEPTION_REQUESTED, reception("waiting-briefly", "ulytau-district", 5, None)).await;
        let mut received = reception("received-at-once", "ulytau-district", 40, None);
        received["status"] = json!("received");
        publish(&app, RECEPTION_APPOINTED, received).await;
        await_records(&app, 5).await;

        let all = findings(&app, "").await;

        assert_eq!(
            summary(&all),
            vec![
                row("ulytau-district", "reception", "appointed-late"),
                row("ulytau-district", "reception", "waiting-long"),
            ]
        );
        let waiting = all.iter().find(|f| f["records"][0]["id"] == "waiting-long").unwrap();
        let requested_on = today_in_kazakhstan() - Duration::days(40);
        assert_eq!(waiting["dates"]["requested_on"], requested_on.to_string());
        assert_eq!(waiting["due_on"], (requested_on + Months::new(1)).to_string());
        assert_eq!(waiting["records"][0]["kind"], "reception");
    }

    async fn recommendation_past_due_without_feedback(app) {
        let today = today_in_kazakhstan();
        let yesterday = (today - Duration::days(1)).to_string();
        let received_on = (today - Duration::days(30)).to_string();
        let mut overdue = recommendation("overdue", "akimat", &received_on);
        overdue["due_on"] = json!(yesterday);
        let mut answered = recommendation("answered", "akimat", &received_on);
        answered["due_on"] = json!(yesterday);
        answered["status"] = json!("included_in_plans");
        answered["answered_on"] = json!(yesterday);
        let mut closed = recommendation("closed", "akimat", &received_on);
        closed["due_on"] = json!(yesterday);
        closed["status"] = json!("closed");
        let mut due_today = recommendation("due-today", "akimat", &received_on);
        due_today["due_on"] = json!(today.to_string());
        publish(&app, RECOMMENDATION_RECEIVED, overdue).await;
        publish(&app, RECOMMENDATION_DECIDED, answered).await;
        publish(&app, RECOMMENDATION_CLOSED, closed).await;
        publish(&app, RECOMMENDATION_RECEIVED, due_today).await;
        publish(&app, RECOMMENDATION_RECEIVED, recommendation("undated", "akimat", &received_on)).await;
        await_records(&app, 5).await;

        let all = findings(&app, "").await;

        assert_eq!(summary(&all), vec![row("akimat", "recommendation_feedback", "overdue")]);
        assert_eq!(all[0]["due_on"], yesterday.as_str());
        assert_eq!(all[0]["dates"]["received_on"], received_on.as_str());
        assert!(all[0].get("region").is_none(), "the body is not in the register: {}", all[0]);
    }

    async fn officer_request_finds_asked_body(app) {
        let today = today_in_kazakhstan();
        create_body(&app, &body_input("asking", "district", Some(ULYTAU_DISTRICT), &["youth"])).await;
        create_body(&app, &body_input("asked", "district", Some(ULYTAU_DISTRICT), &["youth"])).await;
        let request = |id: &str, deadline: NaiveDate, answered_on: Option<NaiveDate>| json!({
            "request_id": id,
            "from_body": "asking",
            "to_body": "asked",
            "question": "Сколько НПО работает с молодежью?",
            "sphere": "youth",
            "format": null,
            "contacts": null,
            "sent_on": (today - Duration::days(20)).to_string(),
            "deadline": deadline.to_string(),
            "answered_on": answered_on.map(|day| day.to_string()),
            "result": null,
        });
        let yesterday = today - Duration::days(1);
        publish(&app, OFFICER_REQUEST_SENT, request("unanswered", yesterday, None)).await;
        publish(&app, OFFICER_REQUEST_ANSWERED, request("answered", yesterday, Some(yesterday))).await;
        publish(&app, OFFICER_REQUEST_SENT, request("due-today", today, None)).await;
        await_records(&app, 3).await;

        let all = findings(&app, "").await;
        let asked = read(&app, "/v1/compliance", &app.officer("asked")).await;
        let asking = read(&app, "/v1/compliance", &app.officer("asking")).await;

        assert_eq!(summary(&all), vec![row("asked", "officer_request", "unanswered")]);
        assert_eq!(all[0]["due_on"], yesterday.to_string());
        assert_eq!(all[0]["dates"]["sent_on"], (today - Duration::days(20)).to_string());
        assert_eq!(asked["items"].as_array().unwrap().len(), 1);
        assert_eq!(asking["items"], json!([]));
    }

    async fn vacancy_after_default_term(app) {
        vacant_body(&app, "long-vacant", "district", Some(ULYTAU_DISTRICT), 40).await;
        vacant_body(&app, "briefly-vacant", "district", Some(ULYTAU_DISTRICT), 20).await;

        let all = findings(&app, "").await;

        assert_eq!(summary(&all), vec![row("long-vacant", "vacancy", "")]);
        let vacant_since = today_in_kazakhstan() - Duration::days(40);
        assert_eq!(all[0]["dates"]["vacant_since"], vacant_since.to_string());
        assert_eq!(all[0]["due_on"], (vacant_since + Duration::days(30)).to_string());
        assert_eq!(all[0]["records"], json!([]));
    }

    async fn body_filter(app) {
        vacant_body(&app, "first", "district", Some(ULYTAU_DISTRICT), 40).await;
        vacant_body(&app, "second", "district", Some(ULYTAU_DISTRICT), 40).await;

        let all = findings(&app, "").await;
        let first = findings(&app, "&body=first").await;

        assert_eq!(all.len(), 2);
        assert_eq!(summary(&first), vec![row("first", "vacancy", "")]);
    }

    async fn rule_filter(app) {
        vacant_body(&app, "ulytau-district", "district", Some(ULYTAU_DISTRICT), 40).await;
        publish(&app, RECEPTION_REQUESTED, reception("waiting-long", "ulytau-district", 40, None)).await;
        await_records(&app, 1).await;

        let all = findings(&app, "").await;
        let receptions = findings(&app, "&rule=reception").await;

        assert_eq!(all.len(), 2);
        assert_eq!(summary(&receptions), vec![row("ulytau-district", "reception", "waiting-long")]);
    }

    async fn region_filter_includes_sub_territories(app) {
        vacant_body(&app, "ulytau-district", "district", Some(ULYTAU_DISTRICT), 40).await;
        vacant_body(&app, "ulytau-akimat", "regional", Some(ULYTAU_REGION), 40).await;
        vacant_body(&app, "astana-yesil", "district", Some(ASTANA_YESIL), 40).await;
        vacant_body(&app, "ministry-of-culture", "central", None, 40).await;

        let all = findings(&app, "").await;
        let region = findings(&app, &format!("&region={ULYTAU_REGION}")).await;
        let district = findings(&app, &format!("&region={ULYTAU_DISTRICT}")).await;

        assert_eq!(all.len(), 4);
        assert_eq!(
            summary(&region),
            vec![row("ulytau-akimat", "vacancy", ""), row("ulytau-district", "vacancy", "")]
        );
        assert_eq!(summary(&district), vec![row("ulytau-district", "vacancy", "")]);
    }

    async fn findings_counted_by_rule_and_region(app) {
        vacant_body(&app, "ulytau-district", "district", Some(ULYTAU_DISTRICT), 40).await;
        vacant_body(&app, "astana-yesil", "district", Some(ASTANA_YESIL), 40).await;
        vacant_body(&app, "ministry-of-culture", "central", None, 40).await;
        publish(&app, RECEPTION_REQUESTED, reception("waiting-long", "ulytau-district", 40, None)).await;
        await_records(&app, 1).await;
        let token = app.ministry();

        let counts = read(&app, "/v1/analytics/compliance", &token).await;
        let receptions = read(&app, "/v1/analytics/compliance?rule=reception", &token).await;

        assert_eq!(counts["total"], 4);
        assert_eq!(counts["by_rule"]["vacancy"], 3);
        assert_eq!(counts["by_rule"]["reception"], 1);
        assert_eq!(counts["by_rule"]["annual_report"], 0);
        assert_eq!(counts["as_of"], today_in_kazakhstan().to_string());
        let regions = counts["by_region"].as_array().unwrap();
        assert_eq!(regions.len(), 3);
        assert_eq!(regions[0]["region"], ULYTAU_REGION);
        assert_eq!(regions[0]["count"], 2);
        assert_eq!(regions[0]["by_rule"]["reception"], 1);
        assert_eq!(regions[1]["region"], "710000000");
        assert_eq!(regions[1]["count"], 1);
        assert_eq!(regions[2]["region"], Value::Null);
        assert_eq!(regions[2]["count"], 1);
        assert_eq!(receptions["total"], 1);
        assert_eq!(receptions["filter"]["rule"], "reception");
    }

    async fn findings_paginated(app) {
        vacant_body(&app, "first", "district", Some(ULYTAU_DISTRICT), 50).await;
        vacant_body(&app, "second", "district", Some(ULYTAU_DISTRICT), 40).await;
        let token = app.ministry();

        let first = read(&app, "/v1/compliance?limit=1", &token).await;
        let cursor = first["next_cursor"].as_str().expect("a second page").to_owned();
        let second = read(&app, &format!("/v1/compliance?limit=1&cursor={cursor}"), &token).await;

        assert_eq!(first["items"][0]["government_body"], "first");
        assert_eq!(second["items"][0]["government_body"], "second");
        assert_eq!(second["next_cursor"], Value::Null);
    }

    async fn officer_reads_own_findings(app) {
        vacant_body(&app, "first", "district", Some(ULYTAU_DISTRICT), 40).await;
        vacant_body(&app, "second", "district", Some(ULYTAU_DISTRICT), 40).await;
        let officer = app.officer("first");

        let own = read(&app, "/v1/compliance", &officer).await;
        let other = get(&app, "/v1/compliance?body=second", Some(&officer)).await;
        let other_counts = get(&app, "/v1/analytics/compliance?body=second", Some(&officer)).await;
        let anonymous = get(&app, "/v1/compliance", None).await;

        let own_items: Vec<Value> = own["items"].as_array().unwrap().clone();
        assert_eq!(summary(&own_items), vec![row("first", "vacancy", "")]);
        problem(other, StatusCode::FORBIDDEN).await;
        problem(other_counts, StatusCode::FORBIDDEN).await;
        problem(anonymous, StatusCode::UNAUTHORIZED).await;
    }

    async fn invalid_compliance_filters_rejected(app) {
        let token = app.ministry();
        let cases = [
            ("rule=punctuality", "#/query/rule"),
            ("region=990000000", "#/query/region"),
            ("body=no-such-body", "#/query/body"),
            ("sphere=youth", "#/query/sphere"),
        ];

        for (query, pointer) in cases {
            for path in ["/v1/compliance", "/v1/analytics/compliance"] {
                let response = get(&app, &format!("{path}?{query}"), Some(&token)).await;
                let problem = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
                assert_eq!(pointers(&problem), vec![pointer], "{path}?{query}");
            }
        }
        let with_limit = get(&app, "/v1/compliance?rule=x&limit=0", Some(&token)).await;
        let rejected = problem(with_limit, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(pointers(&rejected), vec!["#/query/rule"]);
    }
}

#[tokio::test]
async fn vacancy_term_from_setting() {
    let app = TestApp::spawn_with(
        SERVICES,
        TestBackend::Sqlite,
        &[("LIAISON_VACANCY_DAYS", "50")],
    )
    .await
    .expect("SQLite runs always");
    vacant_body(
        &app,
        "vacant-40-days",
        "district",
        Some(ULYTAU_DISTRICT),
        40,
    )
    .await;
    vacant_body(
        &app,
        "vacant-60-days",
        "district",
        Some(ULYTAU_DISTRICT),
        60,
    )
    .await;

    let all = findings(&app, "").await;

    assert_eq!(summary(&all), vec![row("vacant-60-days", "vacancy", "")]);
    app.stop().await;
}

#[test]
fn invalid_vacancy_setting_stops_start() {
    // The start fails with a panic inside `spawn_with`, so it runs on a thread of its own.
    let started = std::thread::spawn(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("a runtime can be built");
        let settings = [("LIAISON_VACANCY_DAYS", "0")];
        let app = runtime.block_on(TestApp::spawn_with(
            SERVICES,
            TestBackend::Sqlite,
            &settings,
        ));
        drop(app);
    })
    .join();

    let failure = started.expect_err("the server must not start");
    let message = failure
        .downcast::<String>()
        .map(|message| *message)
        .unwrap_or_default();
    assert!(message.contains("LIAISON_VACANCY_DAYS"), "{message}");
}
