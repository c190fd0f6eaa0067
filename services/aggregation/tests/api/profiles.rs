use chrono::Duration;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use service_kit::Database;
use service_kit::audit::{self, AuditEntry};
use service_kit::backend_tests;
use service_kit::testing::TestApp;

use crate::{
    OFFICER_SUBJECT, appointment, create_district, current_etag, get, header, json_body,
    officer_change, officer_token, pointers, problem, staffed_district, today_in_kazakhstan,
};

const PATH: &str = "/v1/government-bodies/ulytau-district/officer";

/// Sends a PATCH of `body` to the profile of body `ulytau-district` as `token`, with
/// `If-Match` when `etag` is given.
async fn patch_profile(app: &TestApp, token: &str, etag: Option<&str>, body: &Value) -> Response {
    let mut request = app
        .client
        .patch(app.url(PATH))
        .bearer_auth(token)
        .json(body);
    if let Some(etag) = etag {
        request = request.header("If-Match", etag);
    }
    request.send().await.expect("the server responds")
}

/// Reads the audit trail of government body `id` from the database of `app`.
async fn audit_trail(app: &TestApp, id: &str) -> Vec<AuditEntry> {
    let url = app.settings.database_url_for("aggregation");
    let id = id.to_owned();
    tokio::task::spawn_blocking(move || {
        let db = Database::connect(&url).expect("the test database accepts connections");
        db.run_blocking(|conn| audit::history(conn, "government_body", &id))
            .expect("the audit trail is readable")
    })
    .await
    .expect("the read finishes")
}

/// Builds a profile change that sets every editable field.
fn full_change() -> Value {
    json!({
        "contacts": {"room": "412", "phone": "+7 7102 12-34-57", "email": "officer@ulytau.gov.kz"},
        "reception_schedule": "Среда, 10:00–13:00",
        "work_plan": "Январь: встреча с НПО района\nФевраль: оценка потребностей молодежи",
        "appeal_forms": [
            {"channel": "email", "address": "officer@ulytau.gov.kz"},
            {"channel": "in_person", "address": "Улытау, ул. Абая, 1, каб. 412", "note": "По записи"},
            {"channel": "government_website", "address": "https://www.gov.kz/memleket/entities/ulytau"}
        ]
    })
}

backend_tests! {
    services: crate::SERVICES;

    async fn profile_read_anonymously(app) {
        staffed_district(&app, "ulytau-district").await;

        let response = get(&app, PATH, None).await;
        let etag = header(&response, "etag");
        let profile = json_body(response, StatusCode::OK).await;

        assert_eq!(etag, current_etag(&app, "ulytau-district").await);
        assert_eq!(profile["full_name"], "Ерлан Мұханов");
        assert_eq!(profile["position"], "deputy_akim");
        assert_eq!(profile["contacts"]["email"], "liaison@example.kz");
        assert_eq!(profile["reception_schedule"], "Вторник, 15:00–18:00");
        assert_eq!(profile["appeal_forms"], json!([]));
        assert!(profile.get("officer").is_none(), "the token subject is not public: {profile}");
        assert!(!profile.to_string().contains(OFFICER_SUBJECT), "{profile}");
        assert!(profile.get("photo_url").is_none(), "{profile}");
    }

    async fn vacant_profile_not_found(app) {
        let today = today_in_kazakhstan();
        create_district(&app, "never-staffed").await;
        create_district(&app, "ulytau-district").await;
        let mut first = appointment(OFFICER_SUBJECT, "Ерлан Мұханов", "deputy_akim");
        first["appointed_on"] = json!((today - Duration::days(30)).to_string());
        let appointed = crate::appoint(&app, "ulytau-district", &first).await;
        assert_eq!(appointed.status(), StatusCode::CREATED);
        let dismissed_on = (today - Duration::days(5)).to_string();
        let dismissal = json!({"reason": "dismissal", "dismissed_on": dismissed_on});
        let dismissed = officer_change(&app, "ulytau-district", "dismissal", &dismissal).await;
        assert_eq!(dismissed.status(), StatusCode::OK);

        let after_dismissal = problem(get(&app, PATH, None).await, StatusCode::NOT_FOUND).await;
        let never = problem(
            get(&app, "/v1/government-bodies/never-staffed/officer", None).await,
            StatusCode::NOT_FOUND,
        )
        .await;
        let unknown = problem(
            get(&app, "/v1/government-bodies/no-such-body/officer", None).await,
            StatusCode::NOT_FOUND,
        )
        .await;

        let detail = after_dismissal["detail"].as_str().unwrap();
        assert!(detail.contains(&format!("vacant since {dismissed_on}")), "{detail}");
        let detail = never["detail"].as_str().unwrap();
        assert!(detail.contains(&format!("vacant since {today}")), "{detail}");
        let detail = unknown["detail"].as_str().unwrap();
        assert!(!detail.contains("vacant"), "{detail}");
    }

    async fn officer_edits_own_profile(app) {
        staffed_district(&app, "ulytau-district").await;
        let etag = current_etag(&app, "ulytau-district").await;

        let response = patch_profile(&app, &app.officer("ulytau-district"), Some(&etag), &full_change()).await;
        let new_etag = header(&response, "etag");
        let changed = json_body(response, StatusCode::OK).await;
        let read = json_body(get(&app, PATH, None).await, StatusCode::OK).await;
        let card = json_body(get(&app, "/v1/government-bodies/ulytau-district", None).await, StatusCode::OK).await;

        assert_eq!(etag, "\"2\"");
        assert_eq!(new_etag, "\"3\"");
        assert_eq!(changed, read);
        assert_eq!(card["officer"], read);
        assert_eq!(card["version"], 3);
        assert_eq!(read["contacts"], json!({"room": "412", "phone": "+7 7102 12-34-57", "email": "officer@ulytau.gov.kz"}));
        assert_eq!(read["reception_schedule"], "Среда, 10:00–13:00");
        assert!(read["work_plan"].as_str().unwrap().contains("\nФевраль"), "{read}");
        assert_eq!(read["appeal_forms"][0], json!({"channel": "email", "address": "officer@ulytau.gov.kz"}));
        assert_eq!(read["appeal_forms"][1]["note"], "По записи");
        assert_eq!(read["appeal_forms"].as_array().unwrap().len(), 3);
        assert_eq!(read["full_name"], "Ерлан Мұханов");
        let trail = audit_trail(&app, "ulytau-district").await;
        let entry = trail.last().expect("the change is in the audit trail");
        assert_eq!(entry.action, "officer_profile_updated");
        assert_eq!(entry.actor, OFFICER_SUBJECT);
        assert_eq!(entry.fields, vec!["contacts", "reception_schedule", "work_plan", "appeal_forms"]);
    }

    async fn patch_merges_fields(app) {
        staffed_district(&app, "ulytau-district").await;
        let officer = app.officer("ulytau-district");
        let first = patch_profile(&app, &officer, Some("\"2\""), &full_change()).await;
        assert_eq!(first.status(), StatusCode::OK);

        let change = json!({"contacts": {"phone": null, "room": "100"}, "work_plan": null});
        let response = patch_profile(&app, &officer, Some("\"3\""), &change).await;
        let read = json_body(response, StatusCode::OK).await;
        let cleared = json!({"contacts": null, "appeal_forms": null, "reception_schedule": null});
        let response = patch_profile(&app, &officer, Some("\"4\""), &cleared).await;
        let emptied = json_body(response, StatusCode::OK).await;

        assert_eq!(read["contacts"], json!({"room": "100", "phone": null, "email": "officer@ulytau.gov.kz"}));
        assert!(read.get("work_plan").is_none(), "{read}");
        assert_eq!(read["reception_schedule"], "Среда, 10:00–13:00");
        assert_eq!(read["appeal_forms"].as_array().unwrap().len(), 3);
        assert!(emptied.get("contacts").is_none(), "{emptied}");
        assert!(emptied.get("reception_schedule").is_none(), "{emptied}");
        assert_eq!(emptied["appeal_forms"], json!([]));
    }

    async fn unchanged_patch_keeps_version(app) {
        staffed_district(&app, "ulytau-district").await;

        let response = patch_profile(
            &app,
            &app.ministry(),
            Some("\"2\""),
            &json!({"reception_schedule": "Вторник, 15:00–18:00"}),
        )
        .await;

        assert_eq!(header(&response, "etag"), "\"2\"");
        assert_eq!(response.status(), StatusCode::OK);
        let trail = audit_trail(&app, "ulytau-district").await;
        assert!(trail.iter().all(|entry| entry.action != "officer_profile_updated"));
    }

    async fn ministry_edits_profile(app) {
        staffed_district(&app, "ulytau-district").await;

        let response = patch_profile(
            &app,
            &app.ministry(),
            Some("\"2\""),
            &json!({"work_plan": "План на 2027 год"}),
        )
        .await;

        let profile = json_body(response, StatusCode::OK).await;
        assert_eq!(profile["work_plan"], "План на 2027 год");
        let trail = audit_trail(&app, "ulytau-district").await;
        assert_eq!(trail.last().unwrap().actor, "test-ministry");
        assert_eq!(trail.last().unwrap().fields, vec!["work_plan"]);
    }

    async fn other_callers_forbidden(app) {
        staffed_district(&app, "ulytau-district").await;
        staffed_district(&app, "other-district").await;
        let change = json!({"work_plan": "Чужой план"});
        let forbidden = [
            app.officer("other-district"),
            officer_token(&app, "predecessor", "ulytau-district"),
            app.token(service_kit::Role::Npo, None, Some("940140000385")),
            app.integrator("egov"),
        ];

        for token in &forbidden {
            let response = patch_profile(&app, token, Some("\"2\""), &change).await;
            problem(response, StatusCode::FORBIDDEN).await;
        }
        let anonymous = app.client.patch(app.url(PATH)).header("If-Match", "\"2\"").json(&change).send().await.unwrap();
        problem(anonymous, StatusCode::UNAUTHORIZED).await;

        let read = json_body(get(&app, PATH, None).await, StatusCode::OK).await;
        assert!(read.get("work_plan").is_none(), "{read}");
        assert_eq!(current_etag(&app, "ulytau-district").await, "\"2\"");
    }

    async fn stale_if_match_rejected(app) {
        staffed_district(&app, "ulytau-district").await;
        let officer = app.officer("ulytau-district");
        let change = json!({"work_plan": "План"});

        let missing = patch_profile(&app, &officer, None, &change).await;
        let stale = patch_profile(&app, &officer, Some("\"1\""), &change).await;
        let weak = patch_profile(&app, &officer, Some("W/\"2\""), &change).await;

        problem(missing, StatusCode::PRECONDITION_REQUIRED).await;
        problem(stale, StatusCode::PRECONDITION_FAILED).await;
        problem(weak, StatusCode::PRECONDITION_FAILED).await;
        let read = json_body(get(&app, PATH, None).await, StatusCode::OK).await;
        assert!(read.get("work_plan").is_none(), "{read}");
    }

    async fn invalid_profile_lists_fields(app) {
        staffed_district(&app, "ulytau-district").await;
        let change = json!({
            "contacts": {"room": "к".repeat(101), "phone": "звоните", "email": "officer.ulytau.gov.kz"},
            "reception_schedule": "x".repeat(2001),
            "work_plan": "x".repeat(10_001),
            "appeal_forms": [
                {"channel": "pigeon", "address": "крыша"},
                {"channel": "email", "address": "officer@"},
                {"channel": "phone", "address": "+7 7102 12-34-57"},
                {"channel": "phone", "address": "+7 7102 12-34-57"},
                {"channel": "post", "address": " ", "note": "x".repeat(501)}
            ]
        });

        let response = patch_profile(&app, &app.officer("ulytau-district"), Some("\"2\""), &change).await;

        let problem = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(
            pointers(&problem),
            vec![
                "/contacts/room",
                "/contacts/phone",
                "/contacts/email",
                "/reception_schedule",
                "/work_plan",
                "/appeal_forms/0/channel",
                "/appeal_forms/1/address",
                "/appeal_forms/3/address",
                "/appeal_forms/4/address",
                "/appeal_forms/4/note",
            ]
        );
        let email = problem["errors"][2]["message"].as_str().unwrap();
        assert!(email.contains("not an e-mail address"), "{email}");
        assert_eq!(current_etag(&app, "ulytau-district").await, "\"2\"");
    }

    async fn too_many_appeal_forms_rejected(app) {
        staffed_district(&app, "ulytau-district").await;
        let forms: Vec<Value> = (0..21)
            .map(|n| json!({"channel": "messenger", "address": format!("@ulytau{n}")}))
            .collect();

        let response = patch_profile(&app, &app.ministry(), Some("\"2\""), &json!({"appeal_forms": forms})).await;

        let problem = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(pointers(&problem), vec!["/appeal_forms"]);
    }

    async fn name_not_editable(app) {
        staffed_district(&app, "ulytau-district").await;

        for field in ["full_name", "position", "officer", "photo_url"] {
            let mut change = json!({"work_plan": "План"});
            change[field] = json!("Другое");

            let response = patch_profile(&app, &app.ministry(), Some("\"2\""), &change).await;

            let problem = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
            assert_eq!(pointers(&problem), vec![format!("/{field}")]);
        }
        let unknown_contact = json!({"contacts": {"fax": "+77102123456"}});
        let response = patch_profile(&app, &app.ministry(), Some("\"2\""), &unknown_contact).await;
        let problem = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(pointers(&problem), vec!["/contacts/fax"]);
    }

    async fn appointment_checks_contacts(app) {
        create_district(&app, "ulytau-district").await;
        let mut input = appointment(OFFICER_SUBJECT, "Ерлан Мұханов", "deputy_akim");
        input["contacts"] = json!({"phone": "12", "email": "nobody"});

        let response = crate::appoint(&app, "ulytau-district", &input).await;

        let problem = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(pointers(&problem), vec!["/contacts/phone", "/contacts/email"]);
    }

    async fn successor_starts_with_empty_profile(app) {
        let today = today_in_kazakhstan();
        create_district(&app, "ulytau-district").await;
        let mut first = appointment(OFFICER_SUBJECT, "Ерлан Мұханов", "deputy_akim");
        first["appointed_on"] = json!((today - Duration::days(30)).to_string());
        let appointed = crate::appoint(&app, "ulytau-district", &first).await;
        assert_eq!(appointed.status(), StatusCode::CREATED);
        let changed = patch_profile(&app, &app.officer("ulytau-district"), Some("\"2\""), &full_change()).await;
        assert_eq!(changed.status(), StatusCode::OK);
        let replacement = json!({
            "reason": "transfer",
            "replaced_on": today.to_string(),
            "successor": {"officer": "successor", "full_name": "Айгүл Сейітова", "position": "akim"}
        });

        let replaced = officer_change(&app, "ulytau-district", "replacement", &replacement).await;
        assert_eq!(replaced.status(), StatusCode::CREATED);
        let profile = json_body(get(&app, PATH, None).await, StatusCode::OK).await;
        let predecessor = patch_profile(&app, &app.officer("ulytau-district"), Some("\"4\""), &json!({"work_plan": "Старый план"})).await;

        assert_eq!(profile["full_name"], "Айгүл Сейітова");
        assert!(profile.get("work_plan").is_none(), "{profile}");
        assert!(profile.get("contacts").is_none(), "{profile}");
        assert_eq!(profile["appeal_forms"], json!([]));
        problem(predecessor, StatusCode::FORBIDDEN).await;
    }
}
