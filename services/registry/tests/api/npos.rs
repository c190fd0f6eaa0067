use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use service_kit::Role;
use service_kit::backend_tests;

use crate::{BODY, SERVICES, count_npos, create_npo, minimal_npo, pointers, post_npo, problem};

/// Sends the requests concurrently and returns their statuses in order.
async fn futures_join(
    requests: Vec<
        impl std::future::Future<Output = reqwest::Result<reqwest::Response>> + Send + 'static,
    >,
) -> Vec<StatusCode> {
    let handles: Vec<_> = requests.into_iter().map(tokio::spawn).collect();
    let mut statuses = Vec::new();
    for handle in handles {
        statuses.push(handle.await.unwrap().unwrap().status());
    }
    statuses
}

fn full_npo() -> Value {
    json!({
        "bin": "940140000385",
        "name_ru": "Общественное объединение «Жастар әлемі»",
        "name_kk": "«Жастар әлемі» қоғамдық бірлестігі",
        "legal_form": "public_association",
        "registered_on": "2003-12-15",
        "founded_on": "2003-11-01",
        "territories": ["620000000"],
        "spheres": ["youth"],
        "target_groups": ["youth"],
        "forms_of_work": ["consultations"],
        "key_staff": [{"full_name": "Айгерім Сейітова", "position": "председатель"}],
        "contacts": {"phone": "+7 701 000 00 00", "email": "info@example.kz"},
        "web_resources": ["https://example.kz"],
        "work_products": [{"kind": "study", "title": "Исследование молодёжи", "year": 2022}],
        "source": "npo_representatives"
    })
}

backend_tests! {
    services: SERVICES;

    async fn create_returns_full_card(app) {
        let response = post_npo(&app, &full_npo()).await;

        assert_eq!(response.status(), StatusCode::CREATED);
        assert_eq!(response.headers()["etag"], "\"1\"");
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        let card: Value = response.json().await.unwrap();
        assert_eq!(location, format!("/v1/npos/{}", card["id"].as_str().unwrap()));
        assert_eq!(card["bin"], "940140000385");
        assert_eq!(card["status"], "active");
        assert_eq!(card["registered_on"], "2003-12-15");
        assert_eq!(card["key_staff"][0]["full_name"], "Айгерім Сейітова");
        assert_eq!(card["provenance"]["name_ru"]["source"], "npo_representatives");
        assert!(card["provenance"]["name_ru"]["confirmed_at"].is_string());
    }

    async fn public_card_hides_personal_data(app) {
        let card = create_npo(&app, &full_npo()).await;
        let path = format!("/v1/npos/{}", card["id"].as_str().unwrap());

        let public: Value = app.client.get(app.url(&path)).send().await.unwrap().json().await.unwrap();
        let other_npo = app.token(Role::Npo, None, Some("171140900016"));
        let seen_by_other: Value = app.client.get(app.url(&path)).bearer_auth(other_npo).send().await.unwrap().json().await.unwrap();
        let own = app.token(Role::Npo, None, Some("940140000385"));
        let seen_by_self: Value = app.client.get(app.url(&path)).bearer_auth(own).send().await.unwrap().json().await.unwrap();
        let listed: Value = app.client.get(app.url("/v1/npos")).send().await.unwrap().json().await.unwrap();

        assert!(public.get("key_staff").is_none());
        assert!(public.get("contacts").is_none());
        assert!(public["provenance"].get("key_staff").is_none());
        assert_eq!(public["name_kk"], "«Жастар әлемі» қоғамдық бірлестігі");
        assert!(seen_by_other.get("key_staff").is_none());
        assert_eq!(seen_by_self["contacts"]["email"], "info@example.kz");
        assert!(listed["items"][0].get("key_staff").is_none());
        assert!(!listed.to_string().contains("Сейітова"));
    }

    async fn registration_publishes_event(app) {
        let mut events = app.observe(&["registry.#"]).await;

        let card = create_npo(&app, &full_npo()).await;

        let observed = events.expect("registry.npo.registered").await;
        assert_eq!(observed.event.payload["npo_id"], card["id"]);
        assert_eq!(observed.event.payload["territories"], json!(["620000000"]));
        assert_eq!(observed.event.government_body.as_deref(), Some(BODY));
        assert_eq!(observed.event.actor.as_deref(), Some("test-officer"));
        assert_eq!(observed.event.service, "registry");
        if app.backend == service_kit::testing::TestBackend::Postgres {
            assert_eq!(observed.message_id, Some(observed.event.id.to_string()));
            assert!(observed.traceparent.is_some_and(|t| t.starts_with("00-")));
        }
        events.close().await;
    }

    async fn registration_event_carries_card(app) {
        let mut body = full_npo();
        body["target_groups"] = json!(["children", "youth"]);
        body["forms_of_work"] = json!(["consultations"]);
        body["contacts"]["address"] = json!("г. Жезказган, ул. Алашахана, 1");
        let mut events = app.observe(&["registry.npo.registered"]).await;

        create_npo(&app, &body).await;

        let observed = events.expect("registry.npo.registered").await;
        let card = &observed.event.payload["card"];
        assert_eq!(card["bin"], "940140000385");
        assert_eq!(card["name_ru"], "Общественное объединение «Жастар әлемі»");
        assert_eq!(card["name_kk"], "«Жастар әлемі» қоғамдық бірлестігі");
        assert_eq!(card["status"], "active");
        assert_eq!(card["founded_on"], "2003-11-01");
        assert_eq!(card["spheres"], json!(["youth"]));
        assert_eq!(card["target_groups"], json!(["children", "youth"]));
        assert_eq!(card["territories"], json!(["620000000"]));
        assert_eq!(card["forms_of_work"], json!(["consultations"]));
        assert_eq!(card["key_staff"], json!([{"full_name": "Айгерім Сейітова", "position": "председатель"}]));
        assert_eq!(card["phone"], "+7 701 000 00 00");
        assert_eq!(card["email"], "info@example.kz");
        assert_eq!(card["address"], "г. Жезказган, ул. Алашахана, 1");
        assert_eq!(card["web_resources"], json!(["https://example.kz"]));
        events.close().await;
    }

    async fn card_address_falls_back_to_legal(app) {
        let mut body = full_npo();
        body["legal_address"] = json!("г. Астана, пр. Мангилик Ел, 8");
        body["contacts"]["address"] = Value::Null;
        let mut events = app.observe(&["registry.npo.registered"]).await;

        create_npo(&app, &body).await;

        let observed = events.expect("registry.npo.registered").await;
        assert_eq!(observed.event.payload["card"]["address"], "г. Астана, пр. Мангилик Ел, 8");
        events.close().await;
    }

    async fn update_event_carries_card(app) {
        let card = create_npo(&app, &full_npo()).await;
        let id = card["id"].as_str().unwrap();
        let mut events = app.observe(&["registry.npo.updated"]).await;
        let change = json!({
            "status": "suspended",
            "key_staff": [{"full_name": "Ерлан Досов", "position": "директор"}],
            "contacts": {"phone": "+7 702 111 22 33"},
            "source": "npo_representatives"
        });

        let response = app.client.patch(app.url(&format!("/v1/npos/{id}"))).bearer_auth(app.officer(BODY))
            .header("If-Match", "\"1\"").json(&change).send().await.unwrap();

        assert_eq!(response.status(), StatusCode::OK);
        let updated = events.expect("registry.npo.updated").await;
        let card = &updated.event.payload["card"];
        assert_eq!(card["status"], "suspended");
        assert_eq!(card["key_staff"], json!([{"full_name": "Ерлан Досов", "position": "директор"}]));
        assert_eq!(card["phone"], "+7 702 111 22 33");
        assert!(card["email"].is_null(), "{card}");
        assert_eq!(card["name_ru"], "Общественное объединение «Жастар әлемі»");
        assert_eq!(card["founded_on"], "2003-11-01");
        assert_eq!(card["territories"], json!(["620000000"]));
        assert_eq!(card["web_resources"], json!(["https://example.kz"]));
        events.close().await;
    }

    async fn invalid_fields_all_listed(app) {
        let mut events = app.observe(&["registry.#"]).await;
        let body = json!({
            "bin": "940140000386",
            "name_ru": "",
            "legal_form": "corporation",
            "territories": ["999999999", "62"],
            "spheres": ["youth", "astrology"],
            "registered_on": "15.12.2003",
            "contacts": {"email": "not-an-address"},
            "source": "rumours"
        });

        let problem = problem(post_npo(&app, &body).await, StatusCode::UNPROCESSABLE_ENTITY).await;

        let pointers = pointers(&problem);
        for expected in ["/bin", "/legal_form", "/registered_on", "/territories/1", "/spheres/1", "/contacts/email", "/source"] {
            assert!(pointers.contains(&expected.to_owned()), "{expected} missing from {pointers:?}");
        }
        assert_eq!(count_npos(&app).await, 0);
        assert!(events.drain(Duration::from_millis(500)).await.is_empty());
    }

    async fn unknown_territory_rejected(app) {
        let mut body = minimal_npo("Фонд");
        body["territories"] = json!(["620000000", "999999999"]);

        let problem = problem(post_npo(&app, &body).await, StatusCode::UNPROCESSABLE_ENTITY).await;

        assert_eq!(pointers(&problem), vec!["/territories/1"]);
        assert_eq!(count_npos(&app).await, 0);
    }

    async fn names_required(app) {
        let body = json!({"name_ru": " ", "name_kk": "", "legal_form": "public_foundation", "source": "media"});

        let problem = problem(post_npo(&app, &body).await, StatusCode::UNPROCESSABLE_ENTITY).await;

        assert_eq!(pointers(&problem), vec!["/name_ru"]);
    }

    async fn kazakh_name_alone_suffices(app) {
        let card = create_npo(&app, &json!({"name_kk": "Қамқорлық қоры", "legal_form": "public_foundation", "source": "media"})).await;

        assert_eq!(card["name_kk"], "Қамқорлық қоры");
        assert!(card["name_ru"].is_null());
    }

    async fn unknown_field_rejected(app) {
        let mut body = minimal_npo("Фонд");
        body["id"] = json!("chosen-by-client");

        let problem = problem(post_npo(&app, &body).await, StatusCode::UNPROCESSABLE_ENTITY).await;

        assert_eq!(pointers(&problem), vec!["/id"]);
        assert_eq!(count_npos(&app).await, 0);
    }

    async fn malformed_json_rejected(app) {
        let response = app.client.post(app.url("/v1/npos")).bearer_auth(app.officer(BODY))
            .header("content-type", "application/json").body("{\"name_ru\": ").send().await.unwrap();

        let problem = problem(response, StatusCode::BAD_REQUEST).await;

        assert!(problem["errors"][0]["message"].as_str().unwrap().contains("not valid JSON"));
    }

    async fn oversized_body_rejected(app) {
        let mut body = minimal_npo("Фонд");
        body["name_kk"] = json!("ж".repeat(300_000));

        problem(post_npo(&app, &body).await, StatusCode::PAYLOAD_TOO_LARGE).await;

        assert_eq!(count_npos(&app).await, 0);
    }

    async fn only_officers_register(app) {
        let anonymous = app.client.post(app.url("/v1/npos")).json(&minimal_npo("Фонд")).send().await.unwrap();
        let ministry = app.client.post(app.url("/v1/npos")).bearer_auth(app.ministry()).json(&minimal_npo("Фонд")).send().await.unwrap();
        let npo = app.client.post(app.url("/v1/npos")).bearer_auth(app.token(Role::Npo, None, Some("940140000385")))
            .json(&minimal_npo("Фонд")).send().await.unwrap();

        problem(anonymous, StatusCode::UNAUTHORIZED).await;
        problem(ministry, StatusCode::FORBIDDEN).await;
        problem(npo, StatusCode::FORBIDDEN).await;
        assert_eq!(count_npos(&app).await, 0);
    }

    async fn duplicate_bin_conflicts(app) {
        create_npo(&app, &full_npo()).await;
        let mut again = minimal_npo("Другое имя");
        again["bin"] = json!("9401 4000 0385");

        problem(post_npo(&app, &again).await, StatusCode::CONFLICT).await;

        assert_eq!(count_npos(&app).await, 1);
    }

    async fn npos_without_bin_coexist(app) {
        create_npo(&app, &minimal_npo("Первое")).await;
        create_npo(&app, &minimal_npo("Второе")).await;

        assert_eq!(count_npos(&app).await, 2);
    }

    async fn idempotency_key_replays(app) {
        let mut events = app.observe(&["registry.npo.registered"]).await;
        let send = |body: Value| {
            app.client.post(app.url("/v1/npos")).bearer_auth(app.officer(BODY)).header("Idempotency-Key", "k-123").json(&body).send()
        };

        let first = send(minimal_npo("Фонд")).await.unwrap();
        let second = send(minimal_npo("Фонд")).await.unwrap();
        let other = send(minimal_npo("Иной фонд")).await.unwrap();

        assert_eq!(first.status(), StatusCode::CREATED);
        assert_eq!(second.status(), StatusCode::CREATED);
        assert_eq!(second.headers()["idempotent-replayed"], "true");
        assert_eq!(second.headers()["etag"], "\"1\"");
        let first: Value = first.json().await.unwrap();
        let second: Value = second.json().await.unwrap();
        assert_eq!(first["id"], second["id"]);
        let problem = problem(other, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(pointers(&problem), vec!["#/header/idempotency-key"]);
        assert_eq!(count_npos(&app).await, 1);
        events.expect("registry.npo.registered").await;
        assert!(events.drain(Duration::from_secs(1)).await.is_empty(), "the replay published a second event");
        events.close().await;
    }

    async fn update_needs_current_etag(app) {
        let card = create_npo(&app, &full_npo()).await;
        let path = format!("/v1/npos/{}", card["id"].as_str().unwrap());
        let patch = json!({"name_ru": "ОО «Жастар әлемі»", "source": "media"});
        let send = |etag: Option<&'static str>| {
            let mut request = app.client.patch(app.url(&path)).bearer_auth(app.officer(BODY)).json(&patch);
            if let Some(etag) = etag {
                request = request.header("If-Match", etag);
            }
            request.send()
        };

        problem(send(None).await.unwrap(), StatusCode::PRECONDITION_REQUIRED).await;
        problem(send(Some("\"7\"")).await.unwrap(), StatusCode::PRECONDITION_FAILED).await;
        let updated = send(Some("\"1\"")).await.unwrap();
        assert_eq!(updated.status(), StatusCode::OK);
        assert_eq!(updated.headers()["etag"], "\"2\"");
        let updated: Value = updated.json().await.unwrap();
        assert_eq!(updated["name_ru"], "ОО «Жастар әлемі»");
        assert_eq!(updated["provenance"]["name_ru"]["source"], "media");
        assert_eq!(updated["provenance"]["name_kk"]["source"], "npo_representatives");
        problem(send(Some("\"1\"")).await.unwrap(), StatusCode::PRECONDITION_FAILED).await;
    }

    async fn update_records_history_and_events(app) {
        let card = create_npo(&app, &full_npo()).await;
        let id = card["id"].as_str().unwrap();
        let mut events = app.observe(&["registry.npo.*"]).await;

        let response = app.client.patch(app.url(&format!("/v1/npos/{id}"))).bearer_auth(app.officer("akimat-astana"))
            .header("If-Match", "\"1\"")
            .json(&json!({"status": "suspended", "spheres": ["youth", "ecology"], "source": "registration_data"}))
            .send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);

        let updated = events.expect("registry.npo.updated").await;
        assert_eq!(updated.event.payload["fields"], json!(["status", "spheres"]));
        assert_eq!(updated.event.government_body.as_deref(), Some("akimat-astana"));
        let status = events.expect("registry.npo.status_changed").await;
        assert_eq!(status.event.payload["from"], "active");
        assert_eq!(status.event.payload["to"], "suspended");
        events.close().await;

        let history: Value = app.client.get(app.url(&format!("/v1/npos/{id}/history"))).bearer_auth(app.ministry())
            .send().await.unwrap().json().await.unwrap();
        assert_eq!(history[0]["action"], "created");
        assert_eq!(history[0]["government_body"], BODY);
        assert_eq!(history[1]["action"], "updated");
        assert_eq!(history[1]["fields"], json!(["status", "spheres"]));
        assert_eq!(history[1]["government_body"], "akimat-astana");
        let anonymous = app.client.get(app.url(&format!("/v1/npos/{id}/history"))).send().await.unwrap();
        problem(anonymous, StatusCode::UNAUTHORIZED).await;
    }

    async fn invalid_update_writes_nothing(app) {
        let card = create_npo(&app, &full_npo()).await;
        let path = format!("/v1/npos/{}", card["id"].as_str().unwrap());

        let response = app.client.patch(app.url(&path)).bearer_auth(app.officer(BODY)).header("If-Match", "\"1\"")
            .json(&json!({"name_ru": null, "name_kk": null, "founded_on": "2099-01-01", "source": "media"}))
            .send().await.unwrap();

        let problem = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(pointers(&problem).contains(&"/name_ru".to_owned()));
        assert!(pointers(&problem).contains(&"/founded_on".to_owned()));
        let after: Value = app.client.get(app.url(&path)).send().await.unwrap().json().await.unwrap();
        assert_eq!(after["version"], 1);
        assert_eq!(after["name_ru"], card["name_ru"]);
    }

    async fn hostile_bodies_rejected(app) {
        let send = |body: &'static str| {
            app.client.post(app.url("/v1/npos")).bearer_auth(app.officer(BODY)).header("content-type", "application/json").body(body).send()
        };
        let valid = r#"{"name_ru": "Фонд", "legal_form": "public_foundation", "source": "media"}"#;

        let trailing = send(r#"{"name_ru": "Фонд", "legal_form": "public_foundation", "source": "media"} {"x": 1}"#).await.unwrap();
        let array = send(r#"["940140000385", "Фонд"]"#).await.unwrap();
        let invisible = send(r#"{"name_ru": "\u200b\ufeff", "legal_form": "public_foundation", "source": "media"}"#).await.unwrap();
        let nul = send(r#"{"name_ru": "Фо\u0000нд", "legal_form": "public_foundation", "source": "media"}"#).await.unwrap();
        let ancient = send(r#"{"name_ru": "Фонд", "legal_form": "public_foundation", "source": "media", "registered_on": "0001-01-01"}"#).await.unwrap();
        let latin1 = app.client.post(app.url("/v1/npos")).bearer_auth(app.officer(BODY))
            .header("content-type", "application/json; charset=latin1").body(valid).send().await.unwrap();

        problem(trailing, StatusCode::BAD_REQUEST).await;
        problem(array, StatusCode::BAD_REQUEST).await;
        assert_eq!(pointers(&problem(invisible, StatusCode::UNPROCESSABLE_ENTITY).await), vec!["/name_ru"]);
        assert_eq!(pointers(&problem(nul, StatusCode::UNPROCESSABLE_ENTITY).await), vec!["/name_ru"]);
        assert_eq!(pointers(&problem(ancient, StatusCode::UNPROCESSABLE_ENTITY).await), vec!["/registered_on"]);
        problem(latin1, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
        assert_eq!(count_npos(&app).await, 0);
    }

    async fn encoded_control_characters_rejected(app) {
        for path in ["/v1/npos?q=%00", "/v1/npos/%00", "/v1/territories?q=a%00b", "/v1/npos?cursor=AAAA"] {
            let response = app.client.get(app.url(path)).send().await.unwrap();

            assert!(response.status().is_client_error(), "{path}: {}", response.status());
            assert_eq!(response.headers()["content-type"], "application/problem+json", "{path}");
        }
    }

    async fn patch_null_clears_personal_data(app) {
        let card = create_npo(&app, &full_npo()).await;
        let path = format!("/v1/npos/{}", card["id"].as_str().unwrap());

        let response = app.client.patch(app.url(&path)).bearer_auth(app.officer(BODY)).header("If-Match", "\"1\"")
            .json(&json!({"key_staff": null, "contacts": null, "source": "npo_representatives"})).send().await.unwrap();
        let cleared_status = app.client.patch(app.url(&path)).bearer_auth(app.officer(BODY)).header("If-Match", "\"2\"")
            .json(&json!({"status": null, "source": "media"})).send().await.unwrap();

        assert_eq!(response.status(), StatusCode::OK);
        let updated: Value = response.json().await.unwrap();
        assert_eq!(updated["key_staff"], json!([]));
        assert_eq!(updated["contacts"], json!({}));
        assert_eq!(pointers(&problem(cleared_status, StatusCode::UNPROCESSABLE_ENTITY).await), vec!["/status"]);
    }

    async fn recorded_bin_cannot_change(app) {
        let card = create_npo(&app, &full_npo()).await;
        let path = format!("/v1/npos/{}", card["id"].as_str().unwrap());
        let without = create_npo(&app, &minimal_npo("Фонд без БИН")).await;
        let without_path = format!("/v1/npos/{}", without["id"].as_str().unwrap());
        let patch = |path: String, body: Value| {
            app.client.patch(app.url(&path)).bearer_auth(app.officer("another-body")).header("If-Match", "\"1\"")
                .json(&body).send()
        };

        let changed = patch(path.clone(), json!({"bin": "990140000126", "source": "registration_data"})).await.unwrap();
        let cleared = patch(path.clone(), json!({"bin": null, "source": "registration_data"})).await.unwrap();
        let same = patch(path.clone(), json!({"bin": "940140000385", "source": "registration_data"})).await.unwrap();
        let first = patch(without_path, json!({"bin": "990140000126", "source": "registration_data"})).await.unwrap();

        assert_eq!(pointers(&problem(changed, StatusCode::UNPROCESSABLE_ENTITY).await), vec!["/bin"]);
        assert_eq!(pointers(&problem(cleared, StatusCode::UNPROCESSABLE_ENTITY).await), vec!["/bin"]);
        assert_eq!(same.status(), StatusCode::OK);
        assert_eq!(first.status(), StatusCode::OK);
        let stored: Value = app.client.get(app.url(&path)).bearer_auth(app.officer(BODY)).send().await.unwrap().json().await.unwrap();
        assert_eq!(stored["bin"], "940140000385");
    }

    async fn idempotency_key_scoped_to_body(app) {
        let send = |body: &'static str| {
            app.client.post(app.url("/v1/npos")).bearer_auth(app.officer(body)).header("Idempotency-Key", "shared")
                .json(&minimal_npo("Фонд")).send()
        };

        let first: Value = send("akimat-a").await.unwrap().json().await.unwrap();
        let second = send("akimat-b").await.unwrap();

        assert_eq!(second.status(), StatusCode::CREATED);
        assert!(second.headers().get("idempotent-replayed").is_none());
        let second: Value = second.json().await.unwrap();
        assert_ne!(first["id"], second["id"]);
    }

    async fn repeated_territory_pointer_indexes_input(app) {
        let mut body = minimal_npo("Фонд");
        body["territories"] = json!(["620000000", "620000000", "999999999"]);

        let problem = problem(post_npo(&app, &body).await, StatusCode::UNPROCESSABLE_ENTITY).await;

        assert_eq!(pointers(&problem), vec!["/territories/2"]);
    }

    async fn compressed_body_rejected(app) {
        let response = app.client.post(app.url("/v1/npos")).bearer_auth(app.officer(BODY))
            .header("content-type", "application/json").header("content-encoding", "gzip")
            .body(minimal_npo("Фонд").to_string()).send().await.unwrap();

        problem(response, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
    }

    async fn parallel_creates_all_succeed(app) {
        let mut requests = Vec::new();
        for index in 0..16 {
            let body = minimal_npo(&format!("Фонд {index}"));
            let request = app.client.post(app.url("/v1/npos")).bearer_auth(app.officer(BODY)).json(&body).send();
            requests.push(request);
        }

        let statuses: Vec<StatusCode> = futures_join(requests).await;

        assert!(statuses.iter().all(|s| *s == StatusCode::CREATED), "{statuses:?}");
        assert_eq!(count_npos(&app).await, 16);
    }

    async fn missing_npo_is_404(app) {
        let response = app.client.get(app.url("/v1/npos/0190c1c8-0000-7000-8000-000000000000")).send().await.unwrap();

        problem(response, StatusCode::NOT_FOUND).await;
    }
}

mod bins {
    use super::*;

    fn cases() -> Value {
        serde_json::from_str(include_str!("../cases/bins.json")).expect("the BIN cases parse")
    }

    backend_tests! {
        services: SERVICES;

        async fn valid_bins_accepted(app) {
            let mut registered: Vec<String> = Vec::new();
            for (index, case) in cases()["valid"].as_array().unwrap().iter().enumerate() {
                let mut body = minimal_npo(&format!("НПО {index}"));
                body["bin"] = case["bin"].clone();
                let expected = case.get("normalized").unwrap_or(&case["bin"]).as_str().unwrap().to_owned();

                let response = post_npo(&app, &body).await;

                // Several cases spell the same BIN; once registered, it conflicts.
                if registered.contains(&expected) {
                    assert_eq!(response.status(), StatusCode::CONFLICT, "{}", case["bin"]);
                } else {
                    assert_eq!(response.status(), StatusCode::CREATED, "{}: {}", case["bin"], case["note"]);
                    let card: Value = response.json().await.unwrap();
                    assert_eq!(card["bin"], expected.as_str());
                    registered.push(expected);
                }
            }
        }

        async fn invalid_bins_rejected(app) {
            for case in cases()["invalid"].as_array().unwrap() {
                let mut body = minimal_npo("НПО");
                body["bin"] = case["bin"].clone();

                let problem = problem(post_npo(&app, &body).await, StatusCode::UNPROCESSABLE_ENTITY).await;

                assert_eq!(pointers(&problem), vec!["/bin"], "{}: {}", case["bin"], case["reason"]);
                assert!(!problem["errors"][0]["message"].as_str().unwrap().is_empty());
            }
            assert_eq!(count_npos(&app).await, 0);
        }
    }
}
