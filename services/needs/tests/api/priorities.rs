use reqwest::StatusCode;
use serde_json::{Value, json};
use service_kit::backend_tests;
use service_kit::testing::TestApp;

use crate::{
    BODY, DISTRICT, NPO_BIN, OTHER_BODY, OUTSIDE_REGION, REGION, SERVICES, add_priority,
    complete_assessment_body, create_assessment, create_published_assessment, get_json, id_of,
    item_strings, json_body, npo_token, pointers, priority_body, problem,
};

/// Sends a priority as the officer of `BODY`.
async fn post_priority(app: &TestApp, id: &str, body: &Value) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/v1/needs-assessments/{id}/priorities")))
        .bearer_auth(app.officer(BODY))
        .json(body)
        .send()
        .await
        .expect("the server responds")
}

/// Returns the problems of the ranked priorities that `token` reads at `path`, in order.
async fn ranked_problems(app: &TestApp, path: &str, token: Option<&str>) -> Vec<String> {
    item_strings(&get_json(app, path, token).await, "problem")
}

/// Returns the problems of the ranked priorities that the ministry reads at `path`, sorted.
async fn sorted_problems(app: &TestApp, path: &str) -> Vec<String> {
    let mut problems = ranked_problems(app, path, Some(&app.ministry())).await;
    problems.sort();
    problems
}

backend_tests! {
    services: SERVICES;

    async fn priority_created_with_event(app) {
        let id = id_of(&create_assessment(&app, &complete_assessment_body()).await);
        let mut body = priority_body("Нет спортивных секций в сёлах", "medium", Some(800));
        body["sphere"] = json!("youth");
        body["territory"] = json!(DISTRICT);
        body["target_group"] = json!("children");
        body["information_source"] = json!("npo_meetings");
        body["risks"] = json!("Подростки проводят время на улице");
        let mut events = app.observe(&["needs.priority.identified"]).await;

        let created = json_body(post_priority(&app, &id, &body).await, StatusCode::CREATED).await;

        assert_eq!(created["sphere"], "youth");
        assert_eq!(created["territory"], DISTRICT);
        assert_eq!(created["risk_level"], "medium");
        assert_eq!(created["people_affected"], 800);
        let observed = events.expect("needs.priority.identified").await;
        let payload = &observed.event.payload;
        assert_eq!(payload["priority_id"], created["id"]);
        assert_eq!(payload["assessment_id"], id.as_str());
        assert_eq!(payload["government_body"], BODY);
        assert_eq!(payload["sphere"], "youth");
        assert_eq!(payload["territory"], DISTRICT);
        assert_eq!(payload["target_group"], "children");
        assert_eq!(payload["risk_level"], "medium");
        assert_eq!(payload["people_affected"], 800);
        assert_eq!(payload["problem"], "Нет спортивных секций в сёлах");
        assert_eq!(payload["information_source"], "npo_meetings");
        assert_eq!(payload["source_details"], body["source_details"]);
        assert_ne!(payload["source_details"], serde_json::Value::Null);
        assert_eq!(payload["risks"], "Подростки проводят время на улице");
        events.close().await;
        let listed = get_json(&app, &format!("/v1/needs-assessments/{id}/priorities"), Some(&app.officer(BODY))).await;
        assert_eq!(item_strings(&listed, "id"), vec![id_of(&created)]);
    }

    async fn priority_outside_assessment_rejected(app) {
        let id = id_of(&create_assessment(&app, &complete_assessment_body()).await);
        let mut other_sphere = priority_body("Загрязнение реки", "high", None);
        other_sphere["sphere"] = json!("ecology");
        let mut other_region = priority_body("Нет кружков", "high", None);
        other_region["territory"] = json!(OUTSIDE_REGION);
        let mut unknown_territory = priority_body("Нет кружков", "high", None);
        unknown_territory["territory"] = json!("999999999");
        let unknown_risk = priority_body("Нет кружков", "critical", None);

        let other_sphere = post_priority(&app, &id, &other_sphere).await;
        let other_region = post_priority(&app, &id, &other_region).await;
        let unknown_territory = post_priority(&app, &id, &unknown_territory).await;
        let unknown_risk = post_priority(&app, &id, &unknown_risk).await;
        let empty = post_priority(&app, &id, &json!({})).await;

        assert_eq!(pointers(&problem(other_sphere, StatusCode::UNPROCESSABLE_ENTITY).await), vec!["/sphere"]);
        assert_eq!(pointers(&problem(other_region, StatusCode::UNPROCESSABLE_ENTITY).await), vec!["/territory"]);
        assert_eq!(pointers(&problem(unknown_territory, StatusCode::UNPROCESSABLE_ENTITY).await), vec!["/territory"]);
        assert_eq!(pointers(&problem(unknown_risk, StatusCode::UNPROCESSABLE_ENTITY).await), vec!["/risk_level"]);
        let missing = pointers(&problem(empty, StatusCode::UNPROCESSABLE_ENTITY).await);
        for expected in ["/sphere", "/territory", "/target_group", "/problem", "/information_source", "/risks", "/risk_level"] {
            assert!(missing.contains(&expected.to_owned()), "{expected} missing from {missing:?}");
        }
        let listed = get_json(&app, &format!("/v1/needs-assessments/{id}/priorities"), Some(&app.officer(BODY))).await;
        assert_eq!(listed["items"], json!([]));
    }

    async fn ranking_orders_risk_then_people(app) {
        let first = id_of(&create_assessment(&app, &complete_assessment_body()).await);
        let second = id_of(&create_assessment(&app, &complete_assessment_body()).await);
        add_priority(&app, &first, &priority_body("средний риск, 5000 человек", "medium", Some(5000))).await;
        add_priority(&app, &first, &priority_body("высокий риск, число не оценено", "high", None)).await;
        add_priority(&app, &second, &priority_body("высокий риск, 100 человек", "high", Some(100))).await;
        add_priority(&app, &second, &priority_body("низкий риск, 9000 человек", "low", Some(9000))).await;
        add_priority(&app, &second, &priority_body("высокий риск, 4200 человек", "high", Some(4200))).await;

        let ranked = get_json(&app, "/v1/needs-priorities", Some(&app.ministry())).await;
        let within_second = ranked_problems(&app, &format!("/v1/needs-assessments/{second}/priorities"), Some(&app.officer(BODY))).await;
        let embedded = get_json(&app, &format!("/v1/needs-assessments/{second}"), Some(&app.officer(BODY))).await;

        let expected = vec![
            "высокий риск, 4200 человек",
            "высокий риск, 100 человек",
            "высокий риск, число не оценено",
            "средний риск, 5000 человек",
            "низкий риск, 9000 человек",
        ];
        assert_eq!(item_strings(&ranked, "problem"), expected);
        assert_eq!(ranked["items"][0]["assessment_id"], second.as_str());
        assert_eq!(ranked["items"][0]["government_body"], BODY);
        assert_eq!(ranked["items"][2]["assessment_id"], first.as_str());
        let expected_second = vec!["высокий риск, 4200 человек", "высокий риск, 100 человек", "низкий риск, 9000 человек"];
        assert_eq!(within_second, expected_second);
        assert_eq!(embedded["priorities"][0]["problem"], "высокий риск, 4200 человек");
        assert_eq!(embedded["priorities"][2]["problem"], "низкий риск, 9000 человек");
    }

    async fn territory_filter_includes_districts(app) {
        let ulytau = id_of(&create_assessment(&app, &complete_assessment_body()).await);
        let mut abai_body = complete_assessment_body();
        abai_body["territory"] = json!(OUTSIDE_REGION);
        let abai = id_of(&create_assessment(&app, &abai_body).await);
        add_priority(&app, &ulytau, &priority_body("Областная проблема", "high", Some(300))).await;
        let mut district = priority_body("Районная проблема", "low", Some(40));
        district["territory"] = json!(DISTRICT);
        add_priority(&app, &ulytau, &district).await;
        let mut abai_priority = priority_body("Проблема области Абай", "medium", Some(70));
        abai_priority["territory"] = json!(OUTSIDE_REGION);
        add_priority(&app, &abai, &abai_priority).await;

        let in_region = sorted_problems(&app, &format!("/v1/needs-priorities?territory={REGION}")).await;
        let in_district = sorted_problems(&app, &format!("/v1/needs-priorities?territory={DISTRICT}")).await;
        let in_abai = sorted_problems(&app, &format!("/v1/needs-priorities?territory={OUTSIDE_REGION}")).await;

        assert_eq!(in_region, vec!["Областная проблема", "Районная проблема"]);
        assert_eq!(in_district, vec!["Районная проблема"]);
        assert_eq!(in_abai, vec!["Проблема области Абай"]);
    }

    async fn filters_by_sphere_group_and_risk(app) {
        let id = id_of(&create_assessment(&app, &complete_assessment_body()).await);
        add_priority(&app, &id, &priority_body("Кружки для молодёжи", "high", Some(300))).await;
        let mut youth_policy = priority_body("Молодёжный центр", "medium", Some(200));
        youth_policy["sphere"] = json!("youth");
        add_priority(&app, &id, &youth_policy).await;
        let mut elderly = priority_body("Курсы грамотности для пожилых", "low", Some(100));
        elderly["target_group"] = json!("elderly");
        add_priority(&app, &id, &elderly).await;

        let by_sphere = sorted_problems(&app, "/v1/needs-priorities?sphere=youth").await;
        let by_group = sorted_problems(&app, "/v1/needs-priorities?target_group=elderly").await;
        let by_risk = sorted_problems(&app, "/v1/needs-priorities?risk_level=high").await;
        let combined = sorted_problems(&app, "/v1/needs-priorities?sphere=education&target_group=youth").await;
        let other_body = sorted_problems(&app, &format!("/v1/needs-priorities?government_body={OTHER_BODY}")).await;

        assert_eq!(by_sphere, vec!["Молодёжный центр"]);
        assert_eq!(by_group, vec!["Курсы грамотности для пожилых"]);
        assert_eq!(by_risk, vec!["Кружки для молодёжи"]);
        assert_eq!(combined, vec!["Кружки для молодёжи"]);
        assert!(other_body.is_empty());
    }

    async fn public_ranking_excludes_unpublished(app) {
        create_published_assessment(&app, "Опубликованная оценка").await;
        let draft = id_of(&create_assessment(&app, &complete_assessment_body()).await);
        add_priority(&app, &draft, &priority_body("Проблема из черновика", "high", Some(9000))).await;

        let anonymous = ranked_problems(&app, "/v1/needs-priorities", None).await;
        let npo = ranked_problems(&app, "/v1/needs-priorities", Some(&npo_token(&app, NPO_BIN))).await;
        let other_officer = ranked_problems(&app, "/v1/needs-priorities", Some(&app.officer(OTHER_BODY))).await;
        let own_officer = ranked_problems(&app, "/v1/needs-priorities", Some(&app.officer(BODY))).await;
        let draft_priorities = app.client.get(app.url(&format!("/v1/needs-assessments/{draft}/priorities"))).send().await.unwrap();

        assert_eq!(anonymous, vec!["Не хватает мест в кружках"]);
        assert_eq!(npo, vec!["Не хватает мест в кружках"]);
        assert_eq!(other_officer, vec!["Не хватает мест в кружках"]);
        assert_eq!(own_officer, vec!["Проблема из черновика", "Не хватает мест в кружках"]);
        problem(draft_priorities, StatusCode::NOT_FOUND).await;
    }

    async fn priority_deleted_before_publish(app) {
        let id = id_of(&create_assessment(&app, &complete_assessment_body()).await);
        let priority = add_priority(&app, &id, &priority_body("Нет кружков", "high", None)).await;
        let path = format!("/v1/needs-assessments/{id}/priorities/{}", id_of(&priority));

        let by_other_body = app.client.delete(app.url(&path)).bearer_auth(app.officer(OTHER_BODY)).send().await.unwrap();
        let by_own_body = app.client.delete(app.url(&path)).bearer_auth(app.officer(BODY)).send().await.unwrap();
        let again = app.client.delete(app.url(&path)).bearer_auth(app.officer(BODY)).send().await.unwrap();

        // NOTE: the contract fixes 403 only for changes to the assessment itself. A draft is
        // invisible to another body, so 404 is accepted here as well.
        let other_status = by_other_body.status();
        assert!(other_status == StatusCode::FORBIDDEN || other_status == StatusCode::NOT_FOUND, "{other_status}");
        assert_eq!(by_own_body.status(), StatusCode::NO_CONTENT);
        problem(again, StatusCode::NOT_FOUND).await;
        let listed = get_json(&app, &format!("/v1/needs-assessments/{id}/priorities"), Some(&app.officer(BODY))).await;
        assert_eq!(listed["items"], json!([]));
    }
}
