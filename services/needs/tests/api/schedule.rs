use std::time::Duration;

use chrono::{Datelike, Days, Months, NaiveDate};
use reqwest::StatusCode;
use serde_json::json;
use service_kit::backend_tests;
use service_kit::testing::TestApp;

use crate::{
    BODY, NPO_BIN, OTHER_BODY, REGION, SERVICES, advance_through, create_assessment, get_json,
    id_of, item_strings, npo_token, problem, today_in_kazakhstan,
};

/// Creates an assessment of `BODY` in `sphere` over the region for the period, and moves it
/// to analysed, which completes the (body, sphere, territory) pair on `period_end`.
async fn analysed_assessment(
    app: &TestApp,
    sphere: &str,
    period_start: NaiveDate,
    period_end: NaiveDate,
) -> String {
    let body = json!({
        "title": format!("Оценка потребностей: {sphere}"),
        "spheres": [sphere],
        "territory": REGION,
        "period_start": period_start.to_string(),
        "period_end": period_end.to_string(),
        "report": {"conclusions": "Не хватает мест в кружках"}
    });
    let id = id_of(&create_assessment(app, &body).await);
    advance_through(app, &id, &["collecting", "analysed"]).await;
    id
}

fn date(text: &str) -> NaiveDate {
    text.parse().expect("a valid date")
}

/// Returns the end of a period completed 700 days ago, so that its next assessment is due
/// in about a month.
fn recent_period_end() -> NaiveDate {
    let end = today_in_kazakhstan() - Days::new(700);
    // Two years after 29 February has no single accepted date, so the day before is used.
    if end.month() == 2 && end.day() == 29 {
        end - Days::new(1)
    } else {
        end
    }
}

/// Creates one assessment per schedule state and returns the ids of the overdue and the
/// due-soon ones. The third assessment ended 30 days ago, so it is due in about two years.
async fn assessments_in_every_state(app: &TestApp) -> (String, String) {
    let overdue =
        analysed_assessment(app, "education", date("2023-01-10"), date("2023-03-01")).await;
    let recent_end = recent_period_end();
    let due_soon = analysed_assessment(app, "youth", recent_end - Days::new(30), recent_end).await;
    let fresh_end = today_in_kazakhstan() - Days::new(30);
    analysed_assessment(app, "culture", fresh_end - Days::new(60), fresh_end).await;
    (overdue, due_soon)
}

backend_tests! {
    services: SERVICES;

    async fn schedule_lists_overdue_and_due_soon(app) {
        let (overdue, due_soon) = assessments_in_every_state(&app).await;
        let recent_end = recent_period_end();
        let officer = app.officer(BODY);
        let path = "/v1/needs-assessment-schedule";

        let schedule = get_json(&app, path, Some(&officer)).await;
        let short = get_json(&app, &format!("{path}?within_days=10"), Some(&officer)).await;
        let year = get_json(&app, &format!("{path}?within_days=366"), Some(&officer)).await;
        let zero = app.client.get(app.url(&format!("{path}?within_days=0"))).bearer_auth(&officer).send().await.unwrap();
        let too_long = app.client.get(app.url(&format!("{path}?within_days=367"))).bearer_auth(&officer).send().await.unwrap();

        assert_eq!(item_strings(&schedule, "sphere"), vec!["education", "youth"]);
        let first = &schedule["items"][0];
        assert_eq!(first["state"], "overdue");
        assert_eq!(first["government_body"], BODY);
        assert_eq!(first["territory"], REGION);
        assert_eq!(first["territory_name"], "область Ұлытау");
        assert_eq!(first["last_assessment_id"], overdue.as_str());
        assert_eq!(first["last_completed_on"], "2023-03-01");
        assert_eq!(first["next_due_on"], "2025-03-01");
        let second = &schedule["items"][1];
        assert_eq!(second["state"], "due_soon");
        assert_eq!(second["last_assessment_id"], due_soon.as_str());
        assert_eq!(second["last_completed_on"], recent_end.to_string());
        let next_due = recent_end.checked_add_months(Months::new(24)).unwrap();
        assert_eq!(second["next_due_on"], next_due.to_string());
        assert_eq!(item_strings(&short, "sphere"), vec!["education"]);
        assert_eq!(item_strings(&year, "sphere"), vec!["education", "youth"]);
        problem(zero, StatusCode::UNPROCESSABLE_ENTITY).await;
        problem(too_long, StatusCode::UNPROCESSABLE_ENTITY).await;
    }

    async fn overdue_completion_emits_event(app) {
        let mut events = app.observe(&["needs.assessment.overdue"]).await;

        let id = analysed_assessment(&app, "education", date("2023-01-10"), date("2023-03-01")).await;
        let recent_end = recent_period_end();
        analysed_assessment(&app, "youth", recent_end - Days::new(30), recent_end).await;

        let observed = events.expect("needs.assessment.overdue").await;
        let payload = &observed.event.payload;
        assert_eq!(payload["government_body"], BODY);
        assert_eq!(payload["sphere"], "education");
        assert_eq!(payload["territory"], REGION);
        assert_eq!(payload["last_assessment_id"], id.as_str());
        assert_eq!(payload["last_completed_on"], "2023-03-01");
        assert_eq!(payload["next_due_on"], "2025-03-01");
        let later = events.drain(Duration::from_secs(1)).await;
        assert!(later.is_empty(), "unexpected events: {:?}", later.iter().map(|o| &o.event.payload).collect::<Vec<_>>());
        events.close().await;
    }

    async fn schedule_scoped_to_body(app) {
        assessments_in_every_state(&app).await;
        let path = "/v1/needs-assessment-schedule";

        let other_officer = get_json(&app, path, Some(&app.officer(OTHER_BODY))).await;
        let ministry = get_json(&app, path, Some(&app.ministry())).await;
        let ministry_own_body = get_json(&app, &format!("{path}?government_body={BODY}"), Some(&app.ministry())).await;
        let ministry_other_body = get_json(&app, &format!("{path}?government_body={OTHER_BODY}"), Some(&app.ministry())).await;
        let npo = app.client.get(app.url(path)).bearer_auth(npo_token(&app, NPO_BIN)).send().await.unwrap();

        assert_eq!(other_officer["items"], json!([]));
        assert_eq!(item_strings(&ministry, "sphere"), vec!["education", "youth"]);
        assert_eq!(item_strings(&ministry_own_body, "sphere"), vec!["education", "youth"]);
        assert_eq!(ministry_other_body["items"], json!([]));
        problem(npo, StatusCode::FORBIDDEN).await;
    }
}
