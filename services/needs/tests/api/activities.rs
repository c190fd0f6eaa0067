use reqwest::StatusCode;
use serde_json::json;
use service_kit::backend_tests;

use crate::{
    BODY, NPO_BIN, OTHER_BODY, SERVICES, STAFF_NAME, activity_body, add_activity, add_priority,
    advance_through, complete_assessment_body, create_assessment, get_json, id_of, npo_token,
    pointers, priority_body, problem, sorted_pointers,
};

backend_tests! {
    services: SERVICES;

    async fn activity_recorded_and_listed(app) {
        let id = id_of(&create_assessment(&app, &complete_assessment_body()).await);

        let created = add_activity(&app, &id, &activity_body()).await;

        assert_eq!(created["held_on"], "2024-03-12");
        assert_eq!(created["form"], "round_table");
        assert_eq!(created["participant_categories"], json!(["npo", "experts"]));
        assert_eq!(created["participants"], 35);
        assert_eq!(created["responsible_staff"], json!([STAFF_NAME]));
        let listed = get_json(&app, &format!("/v1/needs-assessments/{id}/activities"), Some(&app.officer(BODY))).await;
        assert_eq!(listed["items"][0]["id"], created["id"]);
        assert_eq!(listed["items"][0]["responsible_staff"], json!([STAFF_NAME]));
        assert_eq!(listed["items"][0]["description"], "Круглый стол о досуге молодёжи");
    }

    async fn public_view_lacks_staff(app) {
        let id = id_of(&create_assessment(&app, &complete_assessment_body()).await);
        add_priority(&app, &id, &priority_body("Не хватает мест в кружках", "high", Some(4200))).await;
        add_activity(&app, &id, &activity_body()).await;
        let draft = id_of(&create_assessment(&app, &complete_assessment_body()).await);
        add_activity(&app, &draft, &activity_body()).await;
        advance_through(&app, &id, &["collecting", "analysed", "published"]).await;
        let path = format!("/v1/needs-assessments/{id}/activities");

        let anonymous = get_json(&app, &path, None).await;
        let npo = get_json(&app, &path, Some(&npo_token(&app, NPO_BIN))).await;
        let other_officer = get_json(&app, &path, Some(&app.officer(OTHER_BODY))).await;
        let own_officer = get_json(&app, &path, Some(&app.officer(BODY))).await;
        let draft_activities = app.client.get(app.url(&format!("/v1/needs-assessments/{draft}/activities"))).send().await.unwrap();

        for (reader, page) in [("anonymous", &anonymous), ("NPO", &npo), ("other body", &other_officer)] {
            assert_eq!(page["items"][0]["form"], "round_table", "{reader}");
            assert!(page["items"][0].get("responsible_staff").is_none(), "{reader} sees the staff");
            assert!(!page.to_string().contains(STAFF_NAME), "{reader} sees the staff name");
        }
        assert_eq!(own_officer["items"][0]["responsible_staff"], json!([STAFF_NAME]));
        problem(draft_activities, StatusCode::NOT_FOUND).await;
    }

    async fn invalid_activity_rejected(app) {
        let id = id_of(&create_assessment(&app, &complete_assessment_body()).await);
        let path = format!("/v1/needs-assessments/{id}/activities");
        let mut invalid = activity_body();
        invalid["form"] = json!("webinar");
        invalid["participant_categories"] = json!(["npo", "aliens"]);
        invalid["responsible_staff"] = json!([]);

        let empty = app.client.post(app.url(&path)).bearer_auth(app.officer(BODY)).json(&json!({})).send().await.unwrap();
        let invalid = app.client.post(app.url(&path)).bearer_auth(app.officer(BODY)).json(&invalid).send().await.unwrap();
        let other_body = app.client.post(app.url(&path)).bearer_auth(app.officer(OTHER_BODY)).json(&activity_body()).send().await.unwrap();

        let missing = pointers(&problem(empty, StatusCode::UNPROCESSABLE_ENTITY).await);
        for expected in ["/held_on", "/form", "/participant_categories", "/responsible_staff"] {
            assert!(missing.contains(&expected.to_owned()), "{expected} missing from {missing:?}");
        }
        let invalid = problem(invalid, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(sorted_pointers(&invalid), vec!["/form", "/participant_categories/1", "/responsible_staff"]);
        problem(other_body, StatusCode::NOT_FOUND).await;
        let listed = get_json(&app, &path, Some(&app.officer(BODY))).await;
        assert_eq!(listed["items"], json!([]));
    }
}
