use reqwest::StatusCode;
use serde_json::json;
use service_kit::backend_tests;

use crate::{
    BODY, OTHER_BODY, SERVICES, get_json, id_of, json_body, pointers, post_as, post_officer,
    problem, register_npo, today_in_kazakhstan,
};

/// A third body, neither asking nor asked.
const THIRD_BODY: &str = "akimat-abai";

fn request_body(deadline: &str) -> serde_json::Value {
    json!({
        "to_body": OTHER_BODY,
        "question": "Сколько НПО работает с молодежью в вашем регионе?",
        "sphere": "youth",
        "format": "письмо",
        "deadline": deadline
    })
}

backend_tests! {
    services: SERVICES;

    async fn request_answered_by_asked_body(app) {
        let deadline = (today_in_kazakhstan() + chrono::Days::new(7)).to_string();
        let sent = json_body(post_officer(&app, "/v1/officer-requests", &request_body(&deadline)).await, StatusCode::CREATED).await;
        let path = format!("/v1/officer-requests/{}/answer", id_of(&sent));
        let answer = json!({"answer": "42 НПО", "result": "Данные включены в отчет"});

        let by_asking = post_as(&app, &path, &app.officer(BODY), &answer).await;
        let by_third = post_as(&app, &path, &app.officer(THIRD_BODY), &answer).await;
        let by_asked = post_as(&app, &path, &app.officer(OTHER_BODY), &answer).await;
        let again = post_as(&app, &path, &app.officer(OTHER_BODY), &answer).await;

        problem(by_asking, StatusCode::FORBIDDEN).await;
        problem(by_third, StatusCode::NOT_FOUND).await;
        let answered = json_body(by_asked, StatusCode::OK).await;
        assert_eq!(answered["answer"], "42 НПО");
        assert_eq!(answered["answered_on"], today_in_kazakhstan().to_string());
        problem(again, StatusCode::CONFLICT).await;
        let asking_list = get_json(&app, "/v1/officer-requests", &app.officer(BODY)).await;
        assert_eq!(asking_list["items"][0]["answer"], "42 НПО");
        let third_list = get_json(&app, "/v1/officer-requests", &app.officer(THIRD_BODY)).await;
        assert_eq!(third_list["items"], json!([]));
    }

    async fn invalid_request_listed(app) {
        let mut own = request_body("2026-01-01");
        own["to_body"] = json!(BODY);
        own["sent_on"] = json!("2026-02-01");

        let response = post_officer(&app, "/v1/officer-requests", &own).await;
        let empty = post_officer(&app, "/v1/officer-requests", &json!({})).await;

        let mut found = pointers(&problem(response, StatusCode::UNPROCESSABLE_ENTITY).await);
        found.sort();
        assert_eq!(found, vec!["/deadline", "/to_body"]);
        let mut missing = pointers(&problem(empty, StatusCode::UNPROCESSABLE_ENTITY).await);
        missing.sort();
        assert_eq!(missing, vec!["/deadline", "/question", "/to_body"]);
    }

    async fn unanswered_past_deadline_overdue(app) {
        let mut past = request_body("2026-10-15");
        past["sent_on"] = json!("2026-10-01");
        let fresh = (today_in_kazakhstan() + chrono::Days::new(7)).to_string();
        let late = json_body(post_officer(&app, "/v1/officer-requests", &past).await, StatusCode::CREATED).await;
        json_body(post_officer(&app, "/v1/officer-requests", &request_body(&fresh)).await, StatusCode::CREATED).await;

        let for_asked = get_json(&app, "/v1/officer-requests?overdue=true", &app.officer(OTHER_BODY)).await;
        let for_ministry = get_json(&app, "/v1/officer-requests?overdue=true", &app.ministry()).await;

        let items = for_asked["items"].as_array().unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0]["id"], late["id"]);
        assert_eq!(items[0]["overdue"], true);
        assert_eq!(for_ministry["items"].as_array().unwrap().len(), 1);
    }

    async fn consultation_recorded_and_listed(app) {
        let npo = register_npo(&app, "940140000385", "Жастар әлемі").await;
        let body = json!({
            "direction": "given", "held_on": "2026-11-10", "counterpart": "Жастар әлемі",
            "npo_id": npo["id"], "sphere": "youth", "question": "Подготовка заявки на грант",
            "form": "консультация"
        });

        let created = post_officer(&app, "/v1/consultations", &body).await;
        let unknown_npo = post_officer(&app, "/v1/consultations", &json!({
            "direction": "received", "held_on": "2026-11-10", "counterpart": "Эксперт",
            "npo_id": "0190c1c8-0000-7000-8000-000000000000", "question": "Экспертиза", "form": "заключение"
        })).await;

        let created = json_body(created, StatusCode::CREATED).await;
        assert_eq!(created["direction"], "given");
        problem(unknown_npo, StatusCode::UNPROCESSABLE_ENTITY).await;
        let own = get_json(&app, "/v1/consultations?direction=given", &app.officer(BODY)).await;
        assert_eq!(own["items"][0]["id"], created["id"]);
        let other = get_json(&app, "/v1/consultations", &app.officer(OTHER_BODY)).await;
        assert_eq!(other["items"], json!([]));
    }
}
