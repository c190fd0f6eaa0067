use reqwest::StatusCode;
use serde_json::{Value, json};
use service_kit::backend_tests;

use crate::{
    BODY, OTHER_BODY, REGION, SERVICES, STAFF_NAME, activity_body, add_activity, add_priority,
    advance, advance_through, complete_assessment_body, create_assessment,
    create_published_assessment, current_etag, get_json, id_of, json_body, priority_body, problem,
    sorted_pointers, today_in_kazakhstan,
};

backend_tests! {
    services: SERVICES;

    async fn steps_run_in_order(app) {
        let id = id_of(&create_assessment(&app, &complete_assessment_body()).await);
        add_priority(&app, &id, &priority_body("Не хватает мест в кружках", "high", Some(4200))).await;

        let collecting = json_body(advance(&app, &id, "collecting").await, StatusCode::OK).await;
        let analysed = json_body(advance(&app, &id, "analysed").await, StatusCode::OK).await;
        let published = json_body(advance(&app, &id, "published").await, StatusCode::OK).await;

        assert_eq!(collecting["status"], "collecting");
        assert!(collecting["completed_on"].is_null());
        assert_eq!(analysed["status"], "analysed");
        assert_eq!(analysed["completed_on"], "2024-05-31");
        assert!(analysed["published_at"].is_null());
        assert_eq!(published["status"], "published");
        assert!(published["published_at"].is_string());
        assert_eq!(published["priorities"][0]["problem"], "Не хватает мест в кружках");
        let fetched = get_json(&app, &format!("/v1/needs-assessments/{id}"), None).await;
        assert_eq!(fetched["status"], "published");
    }

    async fn skipping_step_conflicts(app) {
        let id = id_of(&create_assessment(&app, &complete_assessment_body()).await);
        add_priority(&app, &id, &priority_body("Не хватает мест в кружках", "high", Some(4200))).await;

        let to_analysed = advance(&app, &id, "analysed").await;
        let to_published = advance(&app, &id, "published").await;
        let to_draft = advance(&app, &id, "draft").await;
        advance_through(&app, &id, &["collecting"]).await;
        let back_to_draft = advance(&app, &id, "draft").await;
        let again_collecting = advance(&app, &id, "collecting").await;

        problem(to_analysed, StatusCode::CONFLICT).await;
        problem(to_published, StatusCode::CONFLICT).await;
        problem(to_draft, StatusCode::CONFLICT).await;
        problem(back_to_draft, StatusCode::CONFLICT).await;
        problem(again_collecting, StatusCode::CONFLICT).await;
        let after = get_json(&app, &format!("/v1/needs-assessments/{id}"), Some(&app.officer(BODY))).await;
        assert_eq!(after["status"], "collecting");
    }

    async fn status_change_needs_if_match(app) {
        let id = id_of(&create_assessment(&app, &complete_assessment_body()).await);
        let etag = current_etag(&app, &id).await;
        let path = format!("/v1/needs-assessments/{id}/status");
        let body = json!({"status": "collecting"});

        let missing = app.client.post(app.url(&path)).bearer_auth(app.officer(BODY)).json(&body).send().await.unwrap();
        let stale = app.client.post(app.url(&path)).bearer_auth(app.officer(BODY)).header("If-Match", "\"99\"")
            .json(&body).send().await.unwrap();
        let other_body = app.client.post(app.url(&path)).bearer_auth(app.officer(OTHER_BODY)).header("If-Match", etag.as_str())
            .json(&body).send().await.unwrap();

        problem(missing, StatusCode::PRECONDITION_REQUIRED).await;
        problem(stale, StatusCode::PRECONDITION_FAILED).await;
        problem(other_body, StatusCode::NOT_FOUND).await;
        let after = get_json(&app, &format!("/v1/needs-assessments/{id}"), Some(&app.officer(BODY))).await;
        assert_eq!(after["status"], "draft");
    }

    async fn collecting_needs_sphere_and_territory(app) {
        let id = id_of(&create_assessment(&app, &json!({"title": "Оценка без сферы"})).await);

        let response = advance(&app, &id, "collecting").await;

        let problem = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(sorted_pointers(&problem), vec!["/spheres", "/territory"]);
    }

    async fn analysis_needs_period_and_conclusions(app) {
        let body = json!({"title": "Оценка без итогов", "spheres": ["education"], "territory": REGION});
        let id = id_of(&create_assessment(&app, &body).await);
        advance_through(&app, &id, &["collecting"]).await;
        let tomorrow = today_in_kazakhstan() + chrono::Days::new(1);
        let mut unfinished = complete_assessment_body();
        unfinished["period_end"] = json!(tomorrow.to_string());
        let unfinished_id = id_of(&create_assessment(&app, &unfinished).await);
        advance_through(&app, &unfinished_id, &["collecting"]).await;

        let incomplete = advance(&app, &id, "analysed").await;
        let still_running = advance(&app, &unfinished_id, "analysed").await;

        let incomplete = problem(incomplete, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(sorted_pointers(&incomplete), vec!["/period_end", "/period_start", "/report/conclusions"]);
        let still_running = problem(still_running, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(sorted_pointers(&still_running), vec!["/period_end"]);
    }

    async fn publish_lists_every_missing_item(app) {
        let body = json!({
            "title": "Оценка без методики",
            "spheres": ["education"],
            "territory": REGION,
            "period_start": "2024-02-01",
            "period_end": "2024-05-31",
            "target_groups": [{"group": "youth", "participants": 0}],
            "report": {"conclusions": "Не хватает мест в кружках"}
        });
        let id = id_of(&create_assessment(&app, &body).await);
        advance_through(&app, &id, &["collecting", "analysed"]).await;

        let response = advance(&app, &id, "published").await;

        let problem = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        let expected = vec!["/information_sources", "/instruments", "/methods", "/priorities", "/target_groups/0/participants"];
        assert_eq!(sorted_pointers(&problem), expected);
        let after = get_json(&app, &format!("/v1/needs-assessments/{id}"), Some(&app.officer(BODY))).await;
        assert_eq!(after["status"], "analysed");
        assert!(after["published_at"].is_null());
    }

    async fn publish_emits_event(app) {
        let id = id_of(&create_assessment(&app, &complete_assessment_body()).await);
        let priority = add_priority(&app, &id, &priority_body("Не хватает мест в кружках", "high", Some(4200))).await;
        add_activity(&app, &id, &activity_body()).await;
        let survey = json!({
            "held_on": "2024-04-02",
            "form": "survey",
            "participant_categories": ["citizens"],
            "responsible_staff": [STAFF_NAME, "Ерлан Досов"]
        });
        add_activity(&app, &id, &survey).await;
        advance_through(&app, &id, &["collecting", "analysed"]).await;
        let mut events = app.observe(&["needs.assessment.published"]).await;

        json_body(advance(&app, &id, "published").await, StatusCode::OK).await;

        let observed = events.expect("needs.assessment.published").await;
        let payload = &observed.event.payload;
        assert_eq!(payload["assessment_id"], id.as_str());
        assert_eq!(payload["government_body"], BODY);
        assert_eq!(payload["spheres"], json!(["education", "youth"]));
        assert_eq!(payload["territory"], REGION);
        assert_eq!(payload["period_start"], "2024-02-01");
        assert_eq!(payload["period_end"], "2024-05-31");
        assert_eq!(payload["priorities"].as_array().unwrap().len(), 1);
        assert_eq!(payload["priorities"][0]["risk_level"], "high");
        assert!(payload["priorities"].to_string().contains(priority["id"].as_str().unwrap()));
        assert_eq!(payload["priorities"][0]["problem"], "Не хватает мест в кружках");
        assert_eq!(payload["title"], complete_assessment_body()["title"]);
        assert_eq!(payload["completed_on"], "2024-05-31");
        let activities = payload["activities"].as_array().unwrap();
        assert_eq!(activities.len(), 2, "{payload}");
        assert_eq!(activities[0]["held_on"], "2024-03-12");
        assert_eq!(activities[0]["form"], "round_table");
        assert_eq!(activities[0]["participant_categories"], json!(["npo", "experts"]));
        assert_eq!(activities[0]["participants"], 35);
        assert_eq!(activities[0]["responsible_staff"], STAFF_NAME);
        assert_eq!(activities[1]["held_on"], "2024-04-02");
        assert_eq!(activities[1]["form"], "survey");
        assert_eq!(activities[1]["participant_categories"], json!(["citizens"]));
        assert!(activities[1]["participants"].is_null());
        assert_eq!(activities[1]["responsible_staff"], format!("{STAFF_NAME}, Ерлан Досов"));
        events.close().await;
    }

    async fn published_assessment_is_frozen(app) {
        let published = create_published_assessment(&app, "Опубликованная оценка").await;
        let id = id_of(&published);
        let priority_id = published["priorities"][0]["id"].as_str().unwrap().to_owned();
        let etag = current_etag(&app, &id).await;
        let officer = app.officer(BODY);
        let base = format!("/v1/needs-assessments/{id}");

        let patched = app.client.patch(app.url(&base)).bearer_auth(&officer).header("If-Match", etag.as_str())
            .json(&json!({"title": "Новое название"})).send().await.unwrap();
        let new_priority = app.client.post(app.url(&format!("{base}/priorities"))).bearer_auth(&officer)
            .json(&priority_body("Новая проблема", "low", None)).send().await.unwrap();
        let deleted_priority = app.client.delete(app.url(&format!("{base}/priorities/{priority_id}"))).bearer_auth(&officer)
            .send().await.unwrap();
        let new_activity = app.client.post(app.url(&format!("{base}/activities"))).bearer_auth(&officer)
            .json(&activity_body()).send().await.unwrap();
        let reopened = advance(&app, &id, "analysed").await;

        problem(patched, StatusCode::CONFLICT).await;
        problem(new_priority, StatusCode::CONFLICT).await;
        problem(deleted_priority, StatusCode::CONFLICT).await;
        problem(new_activity, StatusCode::CONFLICT).await;
        problem(reopened, StatusCode::CONFLICT).await;
        let after: Value = get_json(&app, &base, None).await;
        assert_eq!(after["title"], "Опубликованная оценка");
        assert_eq!(after["priorities"].as_array().unwrap().len(), 1);
    }
}
