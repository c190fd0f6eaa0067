use reqwest::StatusCode;
use serde_json::json;
use service_kit::backend_tests;

use crate::{
    BODY, NPO_BIN, NPO_NAME, OTHER_BODY, OTHER_NPO_BIN, OTHER_NPO_NAME, SERVICES, close, contacts,
    decide, get_as, get_json, give_feedback, id_of, item_strings, json_body, npo_token, pointers,
    post_as, post_officer, problem, recommendation_body, recommendation_path, register_npo,
    submit_as_npo, submitted_recommendation, today_in_kazakhstan,
};

backend_tests! {
    services: SERVICES;

    async fn npo_submission_is_in_work(app) {
        let npo = register_npo(&app, NPO_BIN, NPO_NAME).await;

        let response = submit_as_npo(&app, NPO_BIN, &recommendation_body()).await;

        let created = json_body(response, StatusCode::CREATED).await;
        assert_eq!(created["status"], "in_work");
        assert_eq!(created["government_body"], BODY);
        assert_eq!(created["sphere"], "youth");
        assert_eq!(created["author_kind"], "npo");
        assert_eq!(created["npo_id"], npo["id"]);
        assert_eq!(created["author_name"], NPO_NAME);
        assert_eq!(created["initiator"], "npo");
        assert_eq!(created["received_on"], today_in_kazakhstan().to_string());
        assert_eq!(created["contacts"], contacts());
    }

    async fn unregistered_bin_rejected(app) {
        let response = submit_as_npo(&app, NPO_BIN, &recommendation_body()).await;
        let listed = get_json(&app, "/v1/recommendations", &app.ministry()).await;

        let problem = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(pointers(&problem), vec!["#/token/bin"]);
        assert!(item_strings(&listed, "id").is_empty(), "{listed}");
    }

    async fn officer_records_paper_recommendation(app) {
        let body = json!({
            "sphere": "culture",
            "text": "Провести фестиваль народных ремёсел",
            "author_name": "Гульнара Ахметова",
            "author_kind": "person",
            "received_on": "2026-02-16",
            "contacts": contacts()
        });

        let response = post_officer(&app, "/v1/recommendations", &body).await;

        let created = json_body(response, StatusCode::CREATED).await;
        assert_eq!(created["government_body"], BODY);
        assert_eq!(created["author_kind"], "person");
        assert_eq!(created["author_name"], "Гульнара Ахметова");
        assert_eq!(created["received_on"], "2026-02-16");
        assert_eq!(created["status"], "in_work");
        assert_eq!(created["contacts"], contacts());
    }

    async fn missing_fields_listed(app) {
        register_npo(&app, NPO_BIN, NPO_NAME).await;

        let response = submit_as_npo(&app, NPO_BIN, &json!({"government_body": BODY})).await;

        let problem = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        let found = pointers(&problem);
        assert!(found.contains(&"/sphere".to_owned()), "{found:?}");
        assert!(found.contains(&"/text".to_owned()), "{found:?}");
    }

    async fn other_npo_gets_not_found(app) {
        let (_, recommendation) = submitted_recommendation(&app).await;
        register_npo(&app, OTHER_NPO_BIN, OTHER_NPO_NAME).await;
        let path = recommendation_path(&id_of(&recommendation));

        let other_npo = get_as(&app, &path, &npo_token(&app, OTHER_NPO_BIN)).await;
        let officer = get_json(&app, &path, &app.officer(BODY)).await;

        assert_eq!(other_npo.status(), StatusCode::NOT_FOUND);
        assert_eq!(officer["contacts"], contacts());
    }

    async fn other_body_officer_gets_not_found(app) {
        let (_, recommendation) = submitted_recommendation(&app).await;
        let path = recommendation_path(&id_of(&recommendation));

        let response = get_as(&app, &path, &app.officer(OTHER_BODY)).await;
        let listed = get_json(&app, "/v1/recommendations", &app.officer(OTHER_BODY)).await;

        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert!(item_strings(&listed, "id").is_empty(), "{listed}");
    }

    async fn ministry_reads_every_body(app) {
        let (_, recommendation) = submitted_recommendation(&app).await;
        let id = id_of(&recommendation);

        let read = get_json(&app, &recommendation_path(&id), &app.ministry()).await;
        let listed = get_json(&app, "/v1/recommendations", &app.ministry()).await;

        assert_eq!(read["government_body"], BODY);
        assert_eq!(read["contacts"], contacts());
        assert_eq!(item_strings(&listed, "id"), vec![id]);
    }

    async fn npo_lists_only_own(app) {
        let (_, own) = submitted_recommendation(&app).await;
        register_npo(&app, OTHER_NPO_BIN, OTHER_NPO_NAME).await;
        let other = submit_as_npo(&app, OTHER_NPO_BIN, &recommendation_body()).await;
        json_body(other, StatusCode::CREATED).await;

        let listed = get_json(&app, "/v1/recommendations", &npo_token(&app, NPO_BIN)).await;

        assert_eq!(item_strings(&listed, "id"), vec![id_of(&own)]);
    }

    async fn rejection_needs_reason(app) {
        let (_, recommendation) = submitted_recommendation(&app).await;
        let id = id_of(&recommendation);

        let response = decide(&app, &id, "rejected", None).await;
        let unchanged = get_json(&app, &recommendation_path(&id), &app.officer(BODY)).await;

        let problem = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(pointers(&problem), vec!["/reason"]);
        assert_eq!(unchanged["status"], "in_work");
    }

    async fn rejection_stores_reason(app) {
        let (_, recommendation) = submitted_recommendation(&app).await;
        let id = id_of(&recommendation);

        let response = decide(&app, &id, "rejected", Some("Центр уже строится по программе")).await;

        let rejected = json_body(response, StatusCode::OK).await;
        assert_eq!(rejected["status"], "rejected");
        assert_eq!(rejected["reason"], "Центр уже строится по программе");
    }

    async fn close_without_feedback_conflicts(app) {
        let (_, recommendation) = submitted_recommendation(&app).await;
        let id = id_of(&recommendation);
        json_body(decide(&app, &id, "included_in_plans", None).await, StatusCode::OK).await;

        let response = close(&app, &id).await;

        let problem = problem(response, StatusCode::CONFLICT).await;
        assert_eq!(pointers(&problem), vec!["/feedback"]);
    }

    async fn close_while_in_work_conflicts(app) {
        let (_, recommendation) = submitted_recommendation(&app).await;
        let id = id_of(&recommendation);

        let response = close(&app, &id).await;

        let problem = problem(response, StatusCode::CONFLICT).await;
        let found = pointers(&problem);
        assert!(found.contains(&"/handling".to_owned()), "{found:?}");
    }

    async fn decision_feedback_close_path(app) {
        let (_, recommendation) = submitted_recommendation(&app).await;
        let id = id_of(&recommendation);
        let feedback = "Центр включён в план на 2027 год";

        let decision_response = decide(&app, &id, "included_in_plans", None).await;
        let decided = json_body(decision_response, StatusCode::OK).await;
        let answered = json_body(give_feedback(&app, &id, feedback).await, StatusCode::OK).await;
        let closed = json_body(close(&app, &id).await, StatusCode::OK).await;

        assert_eq!(decided["status"], "included_in_plans");
        assert_eq!(answered["feedback"], feedback);
        assert_eq!(answered["answered_on"], today_in_kazakhstan().to_string());
        assert_eq!(closed["status"], "closed");
        assert_eq!(closed["answered_on"], today_in_kazakhstan().to_string());
    }

    async fn audit_names_changed_fields(app) {
        let (_, recommendation) = submitted_recommendation(&app).await;
        let id = id_of(&recommendation);
        json_body(decide(&app, &id, "included_in_plans", None).await, StatusCode::OK).await;
        json_body(give_feedback(&app, &id, "Центр включён в план на 2027 год").await, StatusCode::OK).await;
        json_body(close(&app, &id).await, StatusCode::OK).await;

        let path = format!("/v1/audit/recommendations?entity=recommendation&entity_id={id}");
        let page = get_json(&app, &path, &app.ministry()).await;

        let entries = page["items"].as_array().expect("a page of entries");
        let actions: Vec<&str> = entries.iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions, vec!["closed", "answered", "decided", "received"]);
        let fields = |index: usize| -> Vec<String> {
            entries[index]["fields"].as_array().unwrap().iter().map(|f| f.as_str().unwrap().to_owned()).collect()
        };
        let (closed, answered, decided) = (fields(0), fields(1), fields(2));
        assert!(closed.contains(&"status".to_owned()), "{closed:?}");
        assert!(!closed.contains(&"feedback".to_owned()), "{closed:?}");
        assert!(answered.contains(&"feedback".to_owned()), "{answered:?}");
        assert!(answered.contains(&"answered_on".to_owned()), "{answered:?}");
        assert!(!answered.contains(&"status".to_owned()), "{answered:?}");
        assert!(decided.contains(&"status".to_owned()), "{decided:?}");
        assert!(decided.contains(&"handling".to_owned()), "{decided:?}");
        assert!(!decided.contains(&"feedback".to_owned()), "{decided:?}");
    }

    async fn clarification_question_gets_answer(app) {
        let (_, recommendation) = submitted_recommendation(&app).await;
        let id = id_of(&recommendation);
        let question = "Сколько подростков живёт в посёлке?";
        let answer = "Около двухсот";

        let question_response = post_officer(
            &app,
            &format!("/v1/recommendations/{id}/clarification-requests"),
            &json!({"question": question}),
        )
        .await;
        // NOTE: the path assumes that clarifications are numbered from 1.
        let answer_response = post_as(
            &app,
            &format!("/v1/recommendations/{id}/clarifications/1/answer"),
            &npo_token(&app, NPO_BIN),
            &json!({"answer": answer}),
        )
        .await;
        let read = get_json(&app, &recommendation_path(&id), &app.officer(BODY)).await;

        assert_eq!(question_response.status(), StatusCode::CREATED);
        assert!(
            answer_response.status().is_success(),
            "{}",
            answer_response.status()
        );
        let clarification = &read["clarifications"][0];
        assert_eq!(clarification["question"], question);
        assert_eq!(clarification["asked_on"], today_in_kazakhstan().to_string());
        assert_eq!(clarification["answer"], answer);
        assert_eq!(clarification["answered_on"], today_in_kazakhstan().to_string());
    }
}
