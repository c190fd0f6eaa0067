//! The audit trail route `/v1/audit/{service}`, read through the registry.

use std::time::Duration;

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use service_kit::backend_tests;
use service_kit::testing::TestApp;
use service_kit::{Role, auth::TokenRequest};

use crate::{BODY, SERVICES, create_npo, minimal_npo, pointers, problem};

/// Government body of the second officer, who must not see the entries of `BODY`.
const OTHER_BODY: &str = "akimat-abai";

/// Mints an officer token of `body` with the token subject `subject`.
fn officer_as(app: &TestApp, subject: &str, body: &str) -> String {
    let request = TokenRequest {
        subject: subject.to_owned(),
        name: None,
        role: Role::Officer,
        body: Some(body.to_owned()),
        bin: None,
    };
    app.key()
        .mint(&app.settings, &request, Duration::from_secs(3600))
        .expect("a token can be minted")
}

/// Registers an NPO as the holder of `token` and returns its card.
async fn register(app: &TestApp, token: &str, body: &Value) -> Value {
    let response = app
        .client
        .post(app.url("/v1/npos"))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

/// Reads one page of the registry's audit trail as the holder of `token`.
async fn read_as(app: &TestApp, token: &str, query: &[(&str, &str)]) -> reqwest::Response {
    app.client
        .get(app.url("/v1/audit/registry"))
        .bearer_auth(token)
        .query(query)
        .send()
        .await
        .unwrap()
}

/// Reads one page as `token` and fails the test unless it is a 200.
async fn page_as(app: &TestApp, token: &str, query: &[(&str, &str)]) -> Value {
    let response = read_as(app, token, query).await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// Returns the `(entity_id, action)` pairs of a page's items, in order.
fn entries(page: &Value) -> Vec<(String, String)> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["entity_id"].as_str().unwrap().to_owned(),
                e["action"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Query parameters of an audit trail read, as name and value pairs.
type Query<'a> = Vec<(&'a str, &'a str)>;

fn instant(value: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(value.as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

backend_tests! {
    services: SERVICES;

    async fn audit_records_actor_time_and_fields(app) {
        let started = Utc::now();
        let card = create_npo(&app, &json!({
            "name_ru": "Фонд Аудит",
            "legal_form": "public_association",
            "source": "npo_representatives",
            "key_staff": [{"full_name": "Гүлнар Аудиторова", "position": "председатель"}],
            "contacts": {"email": "audit-person@example.kz"}
        })).await;
        let id = card["id"].as_str().unwrap();
        let patched = app.client.patch(app.url(&format!("/v1/npos/{id}"))).bearer_auth(app.officer(BODY))
            .header("If-Match", "\"1\"")
            .json(&json!({"status": "suspended", "source": "registration_data"}))
            .send().await.unwrap();
        assert_eq!(patched.status(), StatusCode::OK);
        let finished = Utc::now();

        let page = page_as(&app, &app.ministry(), &[]).await;

        let items = page["items"].as_array().unwrap();
        assert_eq!(items.len(), 2);
        let (updated, created) = (&items[0], &items[1]);
        assert_eq!(updated["action"], "updated");
        assert_eq!(updated["entity"], "npo");
        assert_eq!(updated["entity_id"], id);
        assert_eq!(updated["actor"], "test-officer");
        assert_eq!(updated["government_body"], BODY);
        assert_eq!(updated["fields"], json!(["status"]));
        assert_eq!(created["action"], "created");
        assert_eq!(created["entity_id"], id);
        let fields: Vec<&str> = created["fields"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
        assert!(fields.contains(&"name_ru"), "{fields:?}");
        assert!(fields.contains(&"key_staff"), "{fields:?}");
        assert!(fields.contains(&"contacts"), "{fields:?}");
        assert!(instant(&created["at"]) >= started - chrono::Duration::seconds(1));
        assert!(instant(&updated["at"]) >= instant(&created["at"]));
        assert!(instant(&updated["at"]) <= finished + chrono::Duration::seconds(1));
        assert!(page["next_cursor"].is_null());
        let text = page.to_string();
        assert!(!text.contains("Аудиторова"), "an entry copied a value: {text}");
        assert!(!text.contains("audit-person@example.kz"), "an entry copied a value: {text}");
    }

    async fn audit_filters_select_entries(app) {
        let first = officer_as(&app, "aliya", BODY);
        let second = officer_as(&app, "daulet", OTHER_BODY);
        let a1 = register(&app, &first, &minimal_npo("Фонд один")).await;
        tokio::time::sleep(Duration::from_millis(30)).await;
        let mark = Utc::now();
        tokio::time::sleep(Duration::from_millis(30)).await;
        let a2 = register(&app, &first, &minimal_npo("Фонд два")).await;
        let b1 = register(&app, &second, &minimal_npo("Фонд три")).await;
        let project = app.client.post(app.url(&format!("/v1/npos/{}/projects", a1["id"].as_str().unwrap())))
            .bearer_auth(&first).json(&json!({"name": "Школа волонтёров"})).send().await.unwrap();
        assert_eq!(project.status(), StatusCode::CREATED);
        let (a1, a2, b1) = (a1["id"].as_str().unwrap(), a2["id"].as_str().unwrap(), b1["id"].as_str().unwrap());
        let ministry = app.ministry();
        let mark_utc = mark.to_rfc3339_opts(SecondsFormat::Micros, true);
        let almaty = FixedOffset::east_opt(5 * 3600).unwrap();
        let mark_almaty = mark.with_timezone(&almaty).to_rfc3339_opts(SecondsFormat::Micros, false);

        let everything = page_as(&app, &ministry, &[]).await;
        let by_record = page_as(&app, &ministry, &[("entity", "npo"), ("entity_id", a2)]).await;
        let projects = page_as(&app, &ministry, &[("entity", "npo_project")]).await;
        let by_actor = page_as(&app, &ministry, &[("actor", "daulet"), ("entity", "npo")]).await;
        let by_body = page_as(&app, &ministry, &[("government_body", BODY), ("entity", "npo")]).await;
        let before = page_as(&app, &ministry, &[("to", &mark_utc)]).await;
        let after = page_as(&app, &ministry, &[("from", &mark_almaty), ("entity", "npo")]).await;
        let window = page_as(&app, &ministry, &[("from", &mark_utc), ("to", &Utc::now().to_rfc3339()), ("actor", "aliya")]).await;

        assert_eq!(everything["items"].as_array().unwrap().len(), 4);
        assert_eq!(entries(&by_record), vec![(a2.to_owned(), "created".to_owned())]);
        assert_eq!(projects["items"].as_array().unwrap().len(), 1);
        assert_eq!(projects["items"][0]["entity"], "npo_project");
        assert_eq!(entries(&by_actor), vec![(b1.to_owned(), "created".to_owned())]);
        assert_eq!(entries(&by_body), vec![(a2.to_owned(), "created".to_owned()), (a1.to_owned(), "created".to_owned())]);
        assert_eq!(entries(&before), vec![(a1.to_owned(), "created".to_owned())]);
        assert_eq!(entries(&after), vec![(b1.to_owned(), "created".to_owned()), (a2.to_owned(), "created".to_owned())]);
        assert_eq!(window["items"].as_array().unwrap().len(), 2);
        assert!(window["items"].as_array().unwrap().iter().all(|e| e["actor"] == "aliya"));
    }

    async fn audit_pages_newest_first(app) {
        for name in ["Фонд один", "Фонд два", "Фонд три", "Фонд четыре", "Фонд пять"] {
            create_npo(&app, &minimal_npo(name)).await;
        }
        let ministry = app.ministry();
        let whole = page_as(&app, &ministry, &[]).await;

        let mut walked = Vec::new();
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            let mut query = vec![("limit", "2")];
            if let Some(cursor) = &cursor {
                query.push(("cursor", cursor.as_str()));
            }
            let page = page_as(&app, &ministry, &query).await;
            pages += 1;
            walked.extend(page["items"].as_array().unwrap().iter().cloned());
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
        }

        assert_eq!(pages, 3);
        assert_eq!(&walked, whole["items"].as_array().unwrap());
        assert_eq!(walked.len(), 5);
        for pair in walked.windows(2) {
            let newer = (instant(&pair[0]["at"]), pair[0]["id"].as_str().unwrap());
            let older = (instant(&pair[1]["at"]), pair[1]["id"].as_str().unwrap());
            assert!(newer > older, "{newer:?} is listed before {older:?}");
        }
    }

    async fn audit_scoped_to_officer_body(app) {
        let first = officer_as(&app, "aliya", BODY);
        let second = officer_as(&app, "daulet", OTHER_BODY);
        let a1 = register(&app, &first, &minimal_npo("Фонд один")).await;
        let b1 = register(&app, &second, &minimal_npo("Фонд два")).await;
        let a1 = a1["id"].as_str().unwrap();

        let own = page_as(&app, &second, &[]).await;
        let by_record = page_as(&app, &second, &[("entity_id", a1)]).await;
        let by_actor = page_as(&app, &second, &[("actor", "aliya")]).await;
        let other_body = read_as(&app, &second, &[("government_body", BODY)]).await;
        let named_own = page_as(&app, &second, &[("government_body", OTHER_BODY)]).await;
        let ministry = page_as(&app, &app.ministry(), &[]).await;
        let npo = read_as(&app, &app.token(Role::Npo, None, Some("940140000385")), &[]).await;
        let integrator = read_as(&app, &app.integrator("justice-loader"), &[]).await;
        let anonymous = app.client.get(app.url("/v1/audit/registry")).send().await.unwrap();

        assert_eq!(entries(&own), vec![(b1["id"].as_str().unwrap().to_owned(), "created".to_owned())]);
        assert!(own["items"].as_array().unwrap().iter().all(|e| e["government_body"] == OTHER_BODY));
        assert!(by_record["items"].as_array().unwrap().is_empty());
        assert!(by_actor["items"].as_array().unwrap().is_empty());
        problem(other_body, StatusCode::FORBIDDEN).await;
        assert_eq!(named_own["items"].as_array().unwrap().len(), 1);
        assert_eq!(ministry["items"].as_array().unwrap().len(), 2);
        problem(npo, StatusCode::FORBIDDEN).await;
        problem(integrator, StatusCode::FORBIDDEN).await;
        problem(anonymous, StatusCode::UNAUTHORIZED).await;
    }

    async fn audit_bad_filters_rejected(app) {
        let ministry = app.ministry();
        let long = "x".repeat(201);
        let cases: Vec<(Query, Vec<&str>)> = vec![
            (vec![("from", "2026-04-15")], vec!["#/query/from"]),
            (vec![("to", "yesterday")], vec!["#/query/to"]),
            (vec![("from", "2026-04-15T10:00:00Z"), ("to", "2026-04-15T09:00:00Z")], vec!["#/query/to"]),
            (vec![("from", "2026-04-15T10:00:00+05:00"), ("to", "2026-04-15T05:00:00Z")], vec!["#/query/to"]),
            (vec![("entity", " ")], vec!["#/query/entity"]),
            (vec![("actor", &long)], vec!["#/query/actor"]),
            (vec![("limit", "0")], vec!["#/query/limit"]),
            (vec![("limit", "many")], vec!["#/query/limit"]),
            (vec![("cursor", "bm90IGEgY3Vyc29y")], vec!["#/query/cursor"]),
            (vec![("color", "red")], vec!["#/query/color"]),
            (vec![("from", "soon"), ("entity_id", ""), ("limit", "500")], vec!["#/query/entity_id", "#/query/from", "#/query/limit"]),
        ];

        for (query, expected) in cases {
            let response = read_as(&app, &ministry, &query).await;
            let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
            assert_eq!(pointers(&body), expected, "{query:?}");
        }
        let unknown = app.client.get(app.url("/v1/audit/weather")).bearer_auth(&ministry).send().await.unwrap();
        problem(unknown, StatusCode::NOT_FOUND).await;
    }

    async fn audit_trail_is_read_only(app) {
        let card = create_npo(&app, &minimal_npo("Фонд")).await;
        let ministry = app.ministry();
        let before = page_as(&app, &ministry, &[]).await;
        let entry = before["items"][0]["id"].as_str().unwrap().to_owned();

        for method in [Method::PUT, Method::PATCH, Method::DELETE, Method::POST] {
            for path in ["/v1/audit/registry".to_owned(), format!("/v1/audit/registry?entity_id={}", card["id"].as_str().unwrap())] {
                let response = app.client.request(method.clone(), app.url(&path)).bearer_auth(&ministry)
                    .json(&json!({"id": entry, "actor": "someone-else", "fields": []}))
                    .send().await.unwrap();
                let allow = response.headers().get("allow").map(|v| v.to_str().unwrap().to_owned());
                let body = problem(response, StatusCode::METHOD_NOT_ALLOWED).await;
                assert_eq!(allow.as_deref(), Some("GET"), "{method} {path}");
                assert_eq!(body["type"], "/problems/method-not-allowed");
            }
        }
        let anonymous = app.client.delete(app.url("/v1/audit/registry")).send().await.unwrap();
        problem(anonymous, StatusCode::METHOD_NOT_ALLOWED).await;

        let after = page_as(&app, &ministry, &[]).await;
        assert_eq!(after, before);
    }
}
