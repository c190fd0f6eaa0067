use chrono::Duration;
use reqwest::StatusCode;
use serde_json::json;
use service_kit::backend_tests;

use crate::{
    BODY, NPO_BIN, NPO_NAME, OTHER_BODY, SERVICES, appoint, get_json, id_of, item_strings,
    json_body, one_month_after, pointers, problem, reception_body, register_npo, request_reception,
    today_in_kazakhstan,
};

backend_tests! {
    services: SERVICES;

    async fn appointment_within_month_accepted(app) {
        register_npo(&app, NPO_BIN, NPO_NAME).await;
        let today = today_in_kazakhstan();
        let body = json!({"government_body": BODY, "topic": "Аренда помещения"});
        let appointed_on = one_month_after(today).to_string();

        let request = request_reception(&app, &body).await;
        let response = appoint(
            &app,
            &id_of(&request),
            &json!({"appointed_on": appointed_on, "place": "Кабинет 204"}),
        )
        .await;

        assert_eq!(request["status"], "waiting");
        assert_eq!(request["requested_on"], today.to_string());
        let appointed = json_body(response, StatusCode::OK).await;
        assert_eq!(appointed["appointed_on"], appointed_on);
        assert_eq!(appointed["place"], "Кабинет 204");
        assert_ne!(appointed["status"], "waiting");
    }

    async fn appointment_after_month_rejected(app) {
        register_npo(&app, NPO_BIN, NPO_NAME).await;
        let today = today_in_kazakhstan();
        let request = request_reception(&app, &reception_body(BODY, today)).await;
        let too_late = one_month_after(today) + Duration::days(1);

        let response = appoint(
            &app,
            &id_of(&request),
            &json!({"appointed_on": too_late.to_string(), "place": "Кабинет 204"}),
        )
        .await;

        let problem = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(pointers(&problem), vec!["/appointed_on"]);
    }

    async fn appointment_before_request_rejected(app) {
        register_npo(&app, NPO_BIN, NPO_NAME).await;
        let today = today_in_kazakhstan();
        let request = request_reception(&app, &reception_body(BODY, today)).await;
        let day_before = today - Duration::days(1);

        let response = appoint(
            &app,
            &id_of(&request),
            &json!({"appointed_on": day_before.to_string(), "place": "Кабинет 204"}),
        )
        .await;

        let problem = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(pointers(&problem), vec!["/appointed_on"]);
    }

    async fn received_now_records_reception(app) {
        register_npo(&app, NPO_BIN, NPO_NAME).await;
        let request = request_reception(&app, &reception_body(BODY, today_in_kazakhstan())).await;

        let response = appoint(&app, &id_of(&request), &json!({"received_now": true})).await;

        let received = json_body(response, StatusCode::OK).await;
        assert_eq!(received["status"], "received");
    }

    async fn waiting_list_shows_age(app) {
        register_npo(&app, NPO_BIN, NPO_NAME).await;
        let today = today_in_kazakhstan();
        let waiting = request_reception(&app, &reception_body(BODY, today - Duration::days(5))).await;
        let appointed = request_reception(&app, &reception_body(BODY, today)).await;
        request_reception(&app, &reception_body(OTHER_BODY, today)).await;
        let appointment = json!({"appointed_on": today.to_string(), "place": "Кабинет 204"});
        json_body(appoint(&app, &id_of(&appointed), &appointment).await, StatusCode::OK).await;

        let listed = get_json(&app, "/v1/reception-requests?waiting=true", &app.officer(BODY)).await;

        assert_eq!(item_strings(&listed, "id"), vec![id_of(&waiting)]);
        assert_eq!(listed["items"][0]["age_days"], 5);
        assert_eq!(listed["items"][0]["government_body"], BODY);
    }
}
