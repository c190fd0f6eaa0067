use chrono::Duration;
use common_models::event::aggregation::{OFFICER_APPOINTED, OFFICER_REPLACED};
use reqwest::StatusCode;
use serde_json::{Value, json};
use service_kit::backend_tests;

use crate::{
    SERVICES, appoint, appointment, create_district, current_etag, expect_event_for, get,
    item_strings, json_body, officer_change, pointers, post_as, problem, today_in_kazakhstan,
};

backend_tests! {
    services: SERVICES;

    async fn appointment_below_minimum_rejected(app) {
        create_district(&app, "ulytau-district").await;
        let below = appointment("officer-1", "Ерлан Мұханов", "head_of_division_of_akim_office");
        let other_level = appointment("officer-1", "Ерлан Мұханов", "vice_minister");

        let rejected = problem(appoint(&app, "ulytau-district", &below).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        let unknown = problem(appoint(&app, "ulytau-district", &other_level).await, StatusCode::UNPROCESSABLE_ENTITY).await;

        assert_eq!(pointers(&rejected), vec!["/position"]);
        let message = rejected["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains("deputy_akim"), "{message}");
        assert_eq!(pointers(&unknown), vec!["/position"]);
        let card = json_body(get(&app, "/v1/government-bodies/ulytau-district", None).await, StatusCode::OK).await;
        assert_eq!(card["officer"], Value::Null);
        assert_eq!(card["version"], 1);
    }

    async fn invalid_appointment_lists_fields(app) {
        create_district(&app, "ulytau-district").await;
        let tomorrow = today_in_kazakhstan() + Duration::days(1);
        let input = json!({
            "officer": " ",
            "full_name": "Ерлан\nМұханов",
            "position": "",
            "appointed_on": tomorrow.to_string(),
            "contacts": {"room": "x".repeat(101)}
        });

        let response = appoint(&app, "ulytau-district", &input).await;

        let problem = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(
            pointers(&problem),
            vec!["/officer", "/full_name", "/position", "/appointed_on", "/contacts/room"]
        );
    }

    async fn appointment_at_minimum_published(app) {
        create_district(&app, "ulytau-district").await;
        let mut events = app.observe(&[OFFICER_APPOINTED]).await;
        let mut input = appointment("officer-1", "Ерлан Мұханов", "deputy_akim");
        input["appointed_on"] = json!((today_in_kazakhstan() - Duration::days(3)).to_string());

        let response = appoint(&app, "ulytau-district", &input).await;
        let etag = response.headers().get("etag").cloned();
        let card = json_body(response, StatusCode::CREATED).await;
        let payload = expect_event_for(&mut events, OFFICER_APPOINTED, "ulytau-district").await;
        events.close().await;

        let appointed_on = (today_in_kazakhstan() - Duration::days(3)).to_string();
        assert_eq!(etag.unwrap(), "\"2\"");
        assert_eq!(card["officer"]["full_name"], "Ерлан Мұханов");
        assert_eq!(card["officer"]["position"], "deputy_akim");
        assert_eq!(card["officer"]["position_name_ru"], "Заместитель акима района (города)");
        assert_eq!(card["officer"]["appointed_on"], appointed_on.as_str());
        assert_eq!(card["officer"]["contacts"]["room"], "305");
        assert_eq!(card["officer"]["reception_schedule"], "Вторник, 15:00–18:00");
        assert!(card["officer"].get("officer").is_none(), "the token subject is not public");
        assert_eq!(card["vacant_since"], Value::Null);
        assert_eq!(payload["officer"], "officer-1");
        assert_eq!(payload["full_name"], "Ерлан Мұханов");
        assert_eq!(payload["appointed_on"], appointed_on.as_str());
    }

    async fn second_appointment_conflicts(app) {
        create_district(&app, "ulytau-district").await;
        let first = appoint(&app, "ulytau-district", &appointment("officer-1", "Ерлан Мұханов", "akim")).await;
        assert_eq!(first.status(), StatusCode::CREATED);

        let second = appoint(&app, "ulytau-district", &appointment("officer-2", "Айгүл Сейітова", "deputy_akim")).await;

        problem(second, StatusCode::CONFLICT).await;
        let card = json_body(get(&app, "/v1/government-bodies/ulytau-district", None).await, StatusCode::OK).await;
        assert_eq!(card["officer"]["full_name"], "Ерлан Мұханов");
    }

    async fn replacement_published(app) {
        create_district(&app, "ulytau-district").await;
        let mut first = appointment("officer-1", "Ерлан Мұханов", "deputy_akim");
        first["appointed_on"] = json!((today_in_kazakhstan() - Duration::days(30)).to_string());
        let appointed = appoint(&app, "ulytau-district", &first).await;
        assert_eq!(appointed.status(), StatusCode::CREATED);
        let mut events = app.observe(&[OFFICER_REPLACED]).await;
        let replaced_on = (today_in_kazakhstan() - Duration::days(1)).to_string();
        let input = json!({
            "reason": "transfer",
            "replaced_on": replaced_on,
            "successor": appointment("officer-2", "Айгүл Сейітова", "first_deputy_akim")
        });

        let response = officer_change(&app, "ulytau-district", "replacement", &input).await;
        let card = json_body(response, StatusCode::CREATED).await;
        let payload = expect_event_for(&mut events, OFFICER_REPLACED, "ulytau-district").await;
        events.close().await;
        let history = json_body(
            get(&app, "/v1/government-bodies/ulytau-district/officers", Some(&app.ministry())).await,
            StatusCode::OK,
        )
        .await;

        assert_eq!(card["officer"]["full_name"], "Айгүл Сейітова");
        assert_eq!(card["officer"]["appointed_on"], replaced_on.as_str());
        assert_eq!(payload["officer"], "officer-1");
        assert_eq!(payload["successor"], "officer-2");
        assert_eq!(payload["successor_name"], "Айгүл Сейітова");
        assert_eq!(payload["replaced_on"], replaced_on.as_str());
        assert_eq!(item_strings(&history, "officer"), vec!["officer-2", "officer-1"]);
        assert_eq!(history["items"][0]["ended_on"], Value::Null);
        assert_eq!(history["items"][1]["ended_on"], replaced_on.as_str());
        assert_eq!(history["items"][1]["end_reason"], "transfer");
    }

    async fn replacement_checks(app) {
        create_district(&app, "ulytau-district").await;
        let today = today_in_kazakhstan();
        let input = json!({
            "reason": "dismissal",
            "replaced_on": today.to_string(),
            "successor": appointment("officer-2", "Айгүл Сейітова", "deputy_akim")
        });

        let vacant = officer_change(&app, "ulytau-district", "replacement", &input).await;
        problem(vacant, StatusCode::CONFLICT).await;

        let appointed = appoint(&app, "ulytau-district", &appointment("officer-1", "Ерлан Мұханов", "deputy_akim")).await;
        assert_eq!(appointed.status(), StatusCode::CREATED);
        let path = "/v1/government-bodies/ulytau-district/officer/replacement";
        let without_etag = post_as(&app, path, &app.ministry(), None, &input).await;
        problem(without_etag, StatusCode::PRECONDITION_REQUIRED).await;
        let stale = post_as(&app, path, &app.ministry(), Some("\"1\""), &input).await;
        problem(stale, StatusCode::PRECONDITION_FAILED).await;

        let mut early = input.clone();
        early["replaced_on"] = json!((today - Duration::days(1)).to_string());
        early["reason"] = json!("retirement");
        early["successor"]["position"] = json!("chief_specialist_of_akim_office");
        let rejected = officer_change(&app, "ulytau-district", "replacement", &early).await;
        let rejected = problem(rejected, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(
            pointers(&rejected),
            vec!["/reason", "/replaced_on", "/successor/position"]
        );

        let mut unreadable = input.clone();
        unreadable["replaced_on"] = json!("not-a-date");
        unreadable["successor"]["position"] = json!("bogus");
        let rejected = officer_change(&app, "ulytau-district", "replacement", &unreadable).await;
        let rejected = problem(rejected, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(pointers(&rejected), vec!["/replaced_on", "/successor/position"]);

        let mut same = input.clone();
        same["successor"]["officer"] = json!("officer-1");
        let rejected = officer_change(&app, "ulytau-district", "replacement", &same).await;
        let rejected = problem(rejected, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(pointers(&rejected), vec!["/successor/officer"]);

        let card = json_body(get(&app, "/v1/government-bodies/ulytau-district", None).await, StatusCode::OK).await;
        assert_eq!(card["officer"]["full_name"], "Ерлан Мұханов");
        assert_eq!(current_etag(&app, "ulytau-district").await, "\"2\"");
    }

    async fn dismissal_leaves_vacancy(app) {
        let today = today_in_kazakhstan();
        create_district(&app, "never-staffed").await;
        create_district(&app, "ulytau-district").await;
        let mut first = appointment("officer-1", "Ерлан Мұханов", "deputy_akim");
        first["appointed_on"] = json!((today - Duration::days(30)).to_string());
        let appointed = appoint(&app, "ulytau-district", &first).await;
        assert_eq!(appointed.status(), StatusCode::CREATED);
        let dismissed_on = (today - Duration::days(10)).to_string();

        let response = officer_change(
            &app,
            "ulytau-district",
            "dismissal",
            &json!({"reason": "dismissal", "dismissed_on": dismissed_on}),
        )
        .await;
        let card = json_body(response, StatusCode::OK).await;
        let vacancies = json_body(get(&app, "/v1/vacancies", Some(&app.ministry())).await, StatusCode::OK).await;

        assert_eq!(card["officer"], Value::Null);
        assert_eq!(card["vacant_since"], dismissed_on.as_str());
        assert_eq!(item_strings(&vacancies, "government_body"), vec!["ulytau-district", "never-staffed"]);
        assert_eq!(
            item_strings(&vacancies, "vacant_since"),
            vec![dismissed_on.clone(), today.to_string()]
        );
    }

    async fn reappointment_not_before_dismissal(app) {
        let today = today_in_kazakhstan();
        create_district(&app, "ulytau-district").await;
        let mut first = appointment("officer-1", "Ерлан Мұханов", "deputy_akim");
        first["appointed_on"] = json!((today - Duration::days(30)).to_string());
        assert_eq!(appoint(&app, "ulytau-district", &first).await.status(), StatusCode::CREATED);
        let dismissal = json!({"reason": "dismissal", "dismissed_on": (today - Duration::days(10)).to_string()});
        let dismissed = officer_change(&app, "ulytau-district", "dismissal", &dismissal).await;
        assert_eq!(dismissed.status(), StatusCode::OK);
        let again = officer_change(&app, "ulytau-district", "dismissal", &dismissal).await;
        problem(again, StatusCode::CONFLICT).await;

        let mut early = appointment("officer-2", "Айгүл Сейітова", "deputy_akim");
        early["appointed_on"] = json!((today - Duration::days(20)).to_string());
        let rejected = problem(appoint(&app, "ulytau-district", &early).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        let successor = appoint(&app, "ulytau-district", &appointment("officer-2", "Айгүл Сейітова", "deputy_akim")).await;
        let vacancies = json_body(get(&app, "/v1/vacancies", Some(&app.ministry())).await, StatusCode::OK).await;

        assert_eq!(pointers(&rejected), vec!["/appointed_on"]);
        assert_eq!(successor.status(), StatusCode::CREATED);
        assert_eq!(vacancies["items"], json!([]));
    }

    async fn vacancies_paged(app) {
        for id in ["c-district", "a-district", "b-district"] {
            create_district(&app, id).await;
        }

        let first = json_body(get(&app, "/v1/vacancies?limit=2", Some(&app.ministry())).await, StatusCode::OK).await;
        let cursor = first["next_cursor"].as_str().expect("a next page").to_owned();
        let second = json_body(
            get(&app, &format!("/v1/vacancies?limit=2&cursor={cursor}"), Some(&app.ministry())).await,
            StatusCode::OK,
        )
        .await;

        assert_eq!(item_strings(&first, "government_body"), vec!["a-district", "b-district"]);
        assert_eq!(item_strings(&second, "government_body"), vec!["c-district"]);
    }
}
