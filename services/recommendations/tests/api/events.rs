//! Events from which the ministry's aggregation service builds annual report tables 5
//! to 7, the recommendations funnel and the compliance monitor. Each test writes
//! through the API and checks every field of the payload against the value written.

use std::time::Duration;

use chrono::Days;
use common_models::event::recommendations::{
    CONSULTATION_RECORDED, OFFICER_REQUEST_ANSWERED, OFFICER_REQUEST_SENT, RECEPTION_APPOINTED,
    RECEPTION_REQUESTED, RECOMMENDATION_ANSWERED, RECOMMENDATION_CLOSED, RECOMMENDATION_DECIDED,
    RECOMMENDATION_RECEIVED,
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use service_kit::backend_tests;

use crate::{
    BODY, CONTACTS_LINE, NPO_BIN, NPO_NAME, OTHER_BODY, SERVICES, appoint, close, contacts, decide,
    expect_event_for, get_json, give_feedback, id_of, json_body, officer_token, post_as,
    recommendation_body, recommendation_path, register_npo, request_reception, submit_as_npo,
    today_in_kazakhstan,
};

/// Token subject and name of the officer of `BODY` who records most items here.
const OFFICER: &str = "officer-ulytau";
const OFFICER_NAME: &str = "Айгерим Серікова";

/// KATO code of the village of Ulytau in the Ulytau region.
const ULYTAU_VILLAGE: &str = "623830100";

/// Builds a recommendation of a person, received on paper at the body's request, that
/// the officer of `BODY` records.
fn recorded_on_paper(received_on: &str) -> Value {
    json!({
        "sphere": "culture",
        "text": "Провести фестиваль народных ремёсел",
        "territory": ULYTAU_VILLAGE,
        "author_kind": "person",
        "author_name": "Гульнара Ахметова",
        "received_on": received_on,
        "initiator": "government_body",
        "contacts": contacts()
    })
}

/// Records `recorded_on_paper` as the named officer of `BODY`, failing the test unless
/// it was created.
async fn record_on_paper(app: &service_kit::testing::TestApp, received_on: &str) -> Value {
    let officer = officer_token(app, BODY, OFFICER, Some(OFFICER_NAME));
    let response = post_as(
        app,
        "/v1/recommendations",
        &officer,
        &recorded_on_paper(received_on),
    )
    .await;
    json_body(response, StatusCode::CREATED).await
}

backend_tests! {
    services: SERVICES;

    async fn received_event_carries_report_row(app) {
        let received_on = (today_in_kazakhstan() - Days::new(3)).to_string();
        let mut events = app.observe(&[RECOMMENDATION_RECEIVED]).await;

        let created = record_on_paper(&app, &received_on).await;

        let id = id_of(&created);
        let payload = expect_event_for(&mut events, RECOMMENDATION_RECEIVED, &id).await;
        events.close().await;
        assert_eq!(payload["recommendation_id"], id);
        assert_eq!(payload["government_body"], BODY);
        assert_eq!(payload["sphere"], "culture");
        assert_eq!(payload["npo_id"], Value::Null);
        assert_eq!(payload["status"], "in_work");
        assert_eq!(payload["received_on"], received_on);
        assert_eq!(payload["answered_on"], Value::Null);
        assert_eq!(payload["territory"], ULYTAU_VILLAGE);
        assert_eq!(payload["author_kind"], "person");
        assert_eq!(payload["author_name"], "Гульнара Ахметова");
        assert_eq!(payload["contacts"], CONTACTS_LINE);
        assert_eq!(payload["initiator"], "government_body");
        assert_eq!(payload["received_by"], BODY);
        assert_eq!(payload["responsible_name"], OFFICER_NAME);
        assert_eq!(payload["handling"], Value::Null);
        assert_eq!(payload["decided_on"], Value::Null);
        assert_eq!(payload["forwarded_on"], Value::Null);
        assert_eq!(payload["forwarded_from"], Value::Null);
        assert!(created["due_on"].is_string(), "{created}");
        assert_eq!(payload["due_on"], created["due_on"]);
    }

    async fn npo_submission_event_names_npo(app) {
        let npo = register_npo(&app, NPO_BIN, NPO_NAME).await;
        let mut events = app.observe(&[RECOMMENDATION_RECEIVED]).await;

        let response = submit_as_npo(&app, NPO_BIN, &recommendation_body()).await;

        let created = json_body(response, StatusCode::CREATED).await;
        let payload = expect_event_for(&mut events, RECOMMENDATION_RECEIVED, &id_of(&created)).await;
        events.close().await;
        assert_eq!(payload["npo_id"], npo["id"]);
        assert_eq!(payload["author_kind"], "npo");
        assert_eq!(payload["author_name"], NPO_NAME);
        assert_eq!(payload["contacts"], CONTACTS_LINE);
        assert_eq!(payload["initiator"], "npo");
        assert_eq!(payload["received_by"], BODY);
        assert_eq!(payload["received_on"], today_in_kazakhstan().to_string());
        assert_eq!(payload["territory"], Value::Null);
    }

    async fn decided_event_carries_handling(app) {
        let created = record_on_paper(&app, &today_in_kazakhstan().to_string()).await;
        let id = id_of(&created);
        let mut events = app.observe(&[RECOMMENDATION_DECIDED]).await;

        let response = decide(&app, &id, "included_in_plans", None).await;

        let decided = json_body(response, StatusCode::OK).await;
        let payload = expect_event_for(&mut events, RECOMMENDATION_DECIDED, &id).await;
        events.close().await;
        let today = today_in_kazakhstan().to_string();
        assert_eq!(payload["status"], "included_in_plans");
        assert_eq!(payload["handling"], "included_in_plans");
        assert_eq!(payload["decided_on"], today);
        assert_eq!(decided["handling"], "included_in_plans");
        assert_eq!(decided["decided_on"], today);
        assert_eq!(decided["stage"], "feedback");
        assert_ne!(decided["due_on"], created["due_on"]);
        assert_eq!(payload["due_on"], decided["due_on"]);
        assert_eq!(payload["responsible_name"], OFFICER_NAME);
        assert_eq!(payload["contacts"], CONTACTS_LINE);
        assert_eq!(payload["answered_on"], Value::Null);
    }

    async fn feedback_publishes_answered_event(app) {
        let created = record_on_paper(&app, &today_in_kazakhstan().to_string()).await;
        let id = id_of(&created);
        let today = today_in_kazakhstan().to_string();
        let mut events = app.observe(&[RECOMMENDATION_ANSWERED]).await;

        let early = give_feedback(&app, &id, "Рекомендация принята в работу").await;
        json_body(early, StatusCode::OK).await;
        let before_decision = expect_event_for(&mut events, RECOMMENDATION_ANSWERED, &id).await;
        json_body(decide(&app, &id, "implemented", None).await, StatusCode::OK).await;
        let after = give_feedback(&app, &id, "Фестиваль проведён").await;
        json_body(after, StatusCode::OK).await;
        let after_decision = expect_event_for(&mut events, RECOMMENDATION_ANSWERED, &id).await;
        events.close().await;

        assert_eq!(before_decision["status"], "in_work");
        assert_eq!(before_decision["answered_on"], today);
        assert_eq!(before_decision["handling"], Value::Null);
        assert!(created["due_on"].is_string(), "{created}");
        assert_eq!(before_decision["due_on"], created["due_on"]);
        assert_eq!(before_decision["author_name"], "Гульнара Ахметова");
        assert_eq!(after_decision["status"], "implemented");
        assert_eq!(after_decision["answered_on"], today);
        assert_eq!(after_decision["handling"], "implemented");
        assert_eq!(after_decision["decided_on"], today);
        assert_eq!(after_decision["due_on"], Value::Null);
    }

    async fn closed_event_keeps_handling(app) {
        let created = record_on_paper(&app, &today_in_kazakhstan().to_string()).await;
        let id = id_of(&created);
        let today = today_in_kazakhstan().to_string();
        let mut events = app.observe(&[RECOMMENDATION_CLOSED]).await;
        let reason = "Фестиваль уже включён в программу на 2027 год";
        json_body(decide(&app, &id, "rejected", Some(reason)).await, StatusCode::OK).await;
        let feedback = give_feedback(&app, &id, "Фестиваль пройдёт по программе").await;
        json_body(feedback, StatusCode::OK).await;

        let response = close(&app, &id).await;

        let closed = json_body(response, StatusCode::OK).await;
        let payload = expect_event_for(&mut events, RECOMMENDATION_CLOSED, &id).await;
        events.close().await;
        assert_eq!(payload["status"], "closed");
        assert_eq!(payload["handling"], "rejected");
        assert_eq!(payload["decided_on"], today);
        assert_eq!(payload["answered_on"], today);
        assert_eq!(payload["due_on"], Value::Null);
        assert_eq!(payload["received_by"], BODY);
        assert_eq!(payload["responsible_name"], OFFICER_NAME);
        assert_eq!(closed["status"], "closed");
        assert_eq!(closed["handling"], "rejected");
        let read = get_json(&app, &recommendation_path(&id), &app.ministry()).await;
        assert_eq!(read["handling"], "rejected");
        assert_eq!(read["decided_on"], today);
    }

    async fn consultation_event_carries_row(app) {
        let body = json!({
            "direction": "received",
            "held_on": "2026-11-10",
            "counterpart": "Общественный фонд «Жастар әлемі»",
            "contacts": contacts(),
            "sphere": "youth",
            "question": "Экспертиза проекта программы молодёжной политики",
            "form": "экспертное заключение"
        });
        let mut events = app.observe(&[CONSULTATION_RECORDED]).await;

        let response = post_as(&app, "/v1/consultations", &app.officer(BODY), &body).await;

        let created = json_body(response, StatusCode::CREATED).await;
        let id = id_of(&created);
        let payload = expect_event_for(&mut events, CONSULTATION_RECORDED, &id).await;
        events.close().await;
        assert_eq!(payload["consultation_id"], id);
        assert_eq!(payload["government_body"], BODY);
        assert_eq!(payload["direction"], "received");
        assert_eq!(payload["held_on"], "2026-11-10");
        assert_eq!(payload["counterpart"], body["counterpart"]);
        assert_eq!(payload["contacts"], CONTACTS_LINE);
        assert_eq!(payload["sphere"], "youth");
        assert_eq!(payload["question"], body["question"]);
        assert_eq!(payload["form"], "экспертное заключение");
    }

    async fn officer_request_events_carry_row(app) {
        let today = today_in_kazakhstan();
        let sent_on = (today - Days::new(2)).to_string();
        let deadline = (today + Days::new(5)).to_string();
        let body = json!({
            "to_body": OTHER_BODY,
            "question": "Сколько НПО работает с молодёжью в вашем регионе?",
            "sphere": "youth",
            "format": "письмо",
            "contacts": contacts(),
            "sent_on": sent_on,
            "deadline": deadline
        });
        let mut sent_events = app.observe(&[OFFICER_REQUEST_SENT]).await;
        let mut answered_events = app.observe(&[OFFICER_REQUEST_ANSWERED]).await;

        let sent = post_as(&app, "/v1/officer-requests", &app.officer(BODY), &body).await;
        let id = id_of(&json_body(sent, StatusCode::CREATED).await);
        let answer = json!({"answer": "42 НПО", "result": "Данные включены в отчёт"});
        let answered = post_as(
            &app,
            &format!("/v1/officer-requests/{id}/answer"),
            &app.officer(OTHER_BODY),
            &answer,
        )
        .await;
        json_body(answered, StatusCode::OK).await;

        let on_sending = expect_event_for(&mut sent_events, OFFICER_REQUEST_SENT, &id).await;
        sent_events.close().await;
        let on_answer = expect_event_for(&mut answered_events, OFFICER_REQUEST_ANSWERED, &id).await;
        let repeated: Vec<Value> = answered_events
            .drain(Duration::from_secs(1))
            .await
            .into_iter()
            .map(|observed| observed.event.payload)
            .filter(|payload| payload["request_id"] == id)
            .collect();
        answered_events.close().await;
        for payload in [&on_sending, &on_answer] {
            assert_eq!(payload["request_id"], id);
            assert_eq!(payload["from_body"], BODY);
            assert_eq!(payload["to_body"], OTHER_BODY);
            assert_eq!(payload["question"], body["question"]);
            assert_eq!(payload["sphere"], "youth");
            assert_eq!(payload["format"], "письмо");
            assert_eq!(payload["contacts"], CONTACTS_LINE);
            assert_eq!(payload["sent_on"], sent_on);
            assert_eq!(payload["deadline"], deadline);
        }
        assert_eq!(on_sending["answered_on"], Value::Null);
        assert_eq!(on_sending["result"], Value::Null);
        assert_eq!(on_answer["answered_on"], today.to_string());
        assert_eq!(on_answer["result"], "Данные включены в отчёт");
        assert!(repeated.is_empty(), "{repeated:?}");
    }

    async fn reception_events_omit_topic(app) {
        let npo = register_npo(&app, NPO_BIN, NPO_NAME).await;
        let today = today_in_kazakhstan();
        let requested_on = (today - Days::new(3)).to_string();
        let appointed_on = (today + Days::new(7)).to_string();
        let topic = "Аренда помещения для молодёжного центра";
        let mut requested_events = app.observe(&[RECEPTION_REQUESTED]).await;
        let mut appointed_events = app.observe(&[RECEPTION_APPOINTED]).await;

        let later = request_reception(&app, &json!({
            "government_body": BODY, "topic": topic, "requested_on": requested_on
        }))
        .await;
        let at_once = request_reception(&app, &json!({"government_body": BODY, "topic": topic})).await;
        let appointment = json!({"appointed_on": appointed_on, "place": "Кабинет 204"});
        json_body(appoint(&app, &id_of(&later), &appointment).await, StatusCode::OK).await;
        let received = appoint(&app, &id_of(&at_once), &json!({"received_now": true})).await;
        json_body(received, StatusCode::OK).await;

        let requested = expect_event_for(&mut requested_events, RECEPTION_REQUESTED, &id_of(&later)).await;
        requested_events.close().await;
        let appointed = expect_event_for(&mut appointed_events, RECEPTION_APPOINTED, &id_of(&later)).await;
        let received_now = expect_event_for(&mut appointed_events, RECEPTION_APPOINTED, &id_of(&at_once)).await;
        appointed_events.close().await;
        assert_eq!(requested["request_id"], later["id"]);
        assert_eq!(requested["government_body"], BODY);
        assert_eq!(requested["requested_on"], requested_on);
        assert_eq!(requested["status"], "waiting");
        assert_eq!(requested["appointed_on"], Value::Null);
        assert_eq!(appointed["request_id"], later["id"]);
        assert_eq!(appointed["requested_on"], requested_on);
        assert_eq!(appointed["status"], "appointed");
        assert_eq!(appointed["appointed_on"], appointed_on);
        assert_eq!(received_now["status"], "received");
        assert_eq!(received_now["appointed_on"], today.to_string());
        assert_eq!(appointed["place"], "Кабинет 204");
        // The NPO is named so that the notifier can send it the appointment. The topic
        // and the person who asked are not in the payload.
        let npo_id = npo["id"].as_str().expect("the NPO has an id");
        let fields = [
            "appointed_on",
            "government_body",
            "npo_id",
            "place",
            "request_id",
            "requested_on",
            "status",
        ];
        for payload in [&requested, &appointed, &received_now] {
            assert_eq!(payload["npo_id"], npo_id, "{payload}");
            assert!(!payload.to_string().contains(topic), "{payload}");
            let mut keys: Vec<&str> = payload
                .as_object()
                .expect("the payload is an object")
                .keys()
                .map(String::as_str)
                .collect();
            keys.sort_unstable();
            assert_eq!(keys, fields, "{payload}");
        }
    }
}
