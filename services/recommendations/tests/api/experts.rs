use std::net::TcpListener;

use reqwest::StatusCode;
use serde_json::{Value, json};
use service_kit::backend_tests;
use service_kit::testing::{TestApp, TestBackend};

use crate::{
    BODY, NPO_BIN, NPO_NAME, OTHER_BODY, SERVICES, contacts, get_as, get_json, id_of, item_strings,
    json_body, npo_token, pointers, post_as, post_officer, problem, register_npo,
    today_in_kazakhstan,
};

/// Builds an expert of the youth and education spheres with contact details.
fn expert_body(full_name: &str) -> Value {
    json!({
        "full_name": full_name,
        "organisation": "Назарбаев Университет",
        "spheres": ["youth", "education"],
        "expertise": "Грантовые заявки НПО\nОценка социальных проектов",
        "contacts": contacts()
    })
}

/// Adds an expert to the register of the officer of `body`, failing the test unless
/// it was created.
async fn add_expert(app: &TestApp, body: &str, full_name: &str) -> Value {
    let response = post_as(
        app,
        "/v1/experts",
        &app.officer(body),
        &expert_body(full_name),
    )
    .await;
    json_body(response, StatusCode::CREATED).await
}

/// Builds an expert group of `members`.
fn group_body(members: &[&str]) -> Value {
    json!({
        "name": "Экспертный совет по делам молодежи",
        "purpose": "Экспертиза проектов молодежной политики",
        "sphere": "youth",
        "members": members
    })
}

/// Builds a record of consultation support the body received.
fn consultation_body() -> Value {
    json!({
        "direction": "received", "held_on": "2026-11-10", "counterpart": "Айгүл Сейітова",
        "question": "Оценка программы поддержки молодежи", "form": "экспертное заключение"
    })
}

/// Returns the number of items of the list at `path` as read by `token`.
async fn count(app: &TestApp, path: &str, token: &str) -> usize {
    get_json(app, path, token).await["items"]
        .as_array()
        .expect("a page with items")
        .len()
}

/// Returns the sorted pointers of a 422 problem.
async fn invalid_pointers(response: reqwest::Response) -> Vec<String> {
    let mut found = pointers(&problem(response, StatusCode::UNPROCESSABLE_ENTITY).await);
    found.sort();
    found
}

backend_tests! {
    services: SERVICES;

    async fn expert_created_and_read(app) {
        let npo = register_npo(&app, NPO_BIN, NPO_NAME).await;
        let mut body = expert_body("Айгүл Сейітова");
        body["npo_id"] = npo["id"].clone();

        let response = post_officer(&app, "/v1/experts", &body).await;

        let location = response
            .headers()
            .get("location")
            .map(|value| value.to_str().unwrap_or_default().to_owned());
        let created = json_body(response, StatusCode::CREATED).await;
        let id = id_of(&created);
        let path = format!("/v1/experts/{id}");
        assert_eq!(location.as_deref(), Some(path.as_str()));
        assert_eq!(created["government_body"], BODY);
        assert_eq!(created["full_name"], "Айгүл Сейітова");
        assert_eq!(created["npo_id"], npo["id"]);
        assert_eq!(created["spheres"], json!(["youth", "education"]));
        assert_eq!(created["contacts"], contacts());
        let read = get_json(&app, &path, &app.officer(BODY)).await;
        assert_eq!(read["id"], created["id"]);
        assert_eq!(read["expertise"], "Грантовые заявки НПО\nОценка социальных проектов");
        let listed = get_json(&app, "/v1/experts", &app.officer(BODY)).await;
        assert_eq!(item_strings(&listed, "id"), vec![id.clone()]);
        assert_eq!(listed["next_cursor"], Value::Null);
    }

    async fn expert_hidden_from_other_body(app) {
        let own = add_expert(&app, BODY, "Айгүл Сейітова").await;
        let other = add_expert(&app, OTHER_BODY, "Марат Ахметов").await;
        let path = format!("/v1/experts/{}", id_of(&own));

        let by_other_body = get_as(&app, &path, &app.officer(OTHER_BODY)).await;
        let by_ministry = get_json(&app, &path, &app.ministry()).await;
        let other_list = get_json(&app, "/v1/experts", &app.officer(OTHER_BODY)).await;
        let named_body = get_json(&app, &format!("/v1/experts?government_body={BODY}"), &app.officer(OTHER_BODY)).await;
        let ministry_list = get_json(&app, "/v1/experts", &app.ministry()).await;
        let ministry_filtered = get_json(&app, &format!("/v1/experts?government_body={OTHER_BODY}"), &app.ministry()).await;

        problem(by_other_body, StatusCode::NOT_FOUND).await;
        assert_eq!(by_ministry["contacts"], contacts());
        assert_eq!(item_strings(&other_list, "id"), vec![id_of(&other)]);
        assert_eq!(named_body["items"], json!([]));
        assert_eq!(ministry_list["items"].as_array().unwrap().len(), 2);
        assert_eq!(item_strings(&ministry_filtered, "id"), vec![id_of(&other)]);
    }

    async fn expert_access_by_role(app) {
        let expert = add_expert(&app, BODY, "Айгүл Сейітова").await;
        let path = format!("/v1/experts/{}", id_of(&expert));
        let npo = npo_token(&app, NPO_BIN);
        let integrator = app.integrator("statistics-loader");

        let created_by_npo = post_as(&app, "/v1/experts", &npo, &expert_body("Марат Ахметов")).await;
        let created_by_ministry = post_as(&app, "/v1/experts", &app.ministry(), &expert_body("Марат Ахметов")).await;
        let list_by_npo = get_as(&app, "/v1/experts", &npo).await;
        let read_by_npo = get_as(&app, &path, &npo).await;
        let list_by_integrator = get_as(&app, "/v1/experts", &integrator).await;
        let read_by_integrator = get_as(&app, &path, &integrator).await;
        let groups_by_npo = get_as(&app, "/v1/expert-groups", &npo).await;
        let anonymous_list = app.client.get(app.url("/v1/experts")).send().await.unwrap();
        let anonymous_read = app.client.get(app.url(&path)).send().await.unwrap();
        let anonymous_create = app.client.post(app.url("/v1/experts")).json(&expert_body("Марат Ахметов")).send().await.unwrap();

        problem(created_by_npo, StatusCode::FORBIDDEN).await;
        problem(created_by_ministry, StatusCode::FORBIDDEN).await;
        problem(list_by_npo, StatusCode::FORBIDDEN).await;
        problem(read_by_npo, StatusCode::FORBIDDEN).await;
        problem(list_by_integrator, StatusCode::FORBIDDEN).await;
        problem(read_by_integrator, StatusCode::FORBIDDEN).await;
        problem(groups_by_npo, StatusCode::FORBIDDEN).await;
        problem(anonymous_list, StatusCode::UNAUTHORIZED).await;
        problem(anonymous_read, StatusCode::UNAUTHORIZED).await;
        problem(anonymous_create, StatusCode::UNAUTHORIZED).await;
        assert_eq!(count(&app, "/v1/experts", &app.ministry()).await, 1);
    }

    async fn invalid_expert_names_pointer(app) {
        let long_name = "я".repeat(201);
        let long_expertise = "э".repeat(5001);
        let cases: Vec<(&str, Value, Vec<&str>)> = vec![
            ("empty body", json!({}), vec!["/expertise", "/full_name", "/spheres"]),
            ("blank name", json!({"full_name": "  "}), vec!["/full_name"]),
            ("long name", json!({"full_name": long_name}), vec!["/full_name"]),
            ("two-line name", json!({"full_name": "Айгүл\nСейітова"}), vec!["/full_name"]),
            ("long organisation", json!({"organisation": "о".repeat(501)}), vec!["/organisation"]),
            ("no spheres", json!({"spheres": []}), vec!["/spheres"]),
            ("unknown sphere", json!({"spheres": ["astrology"]}), vec!["/spheres/0"]),
            ("repeated sphere", json!({"spheres": ["youth", "education", "youth"]}), vec!["/spheres/2"]),
            ("long expertise", json!({"expertise": long_expertise}), vec!["/expertise"]),
            ("long email", json!({"contacts": {"email": format!("{}@example.kz", "e".repeat(250))}}), vec!["/contacts/email"]),
            ("unknown field", json!({"rating": 5}), vec!["/rating"]),
            ("unknown NPO", json!({"npo_id": "0190c1c8-0000-7000-8000-000000000000"}), vec!["/npo_id"]),
            ("malformed NPO id", json!({"npo_id": "not an id"}), vec!["/npo_id"]),
        ];

        for (case, change, expected) in cases {
            let mut body = if case == "empty body" { json!({}) } else { expert_body("Айгүл Сейітова") };
            for (field, value) in change.as_object().unwrap() {
                body[field] = value.clone();
            }
            let response = post_officer(&app, "/v1/experts", &body).await;
            assert_eq!(invalid_pointers(response).await, expected, "{case}");
        }
        assert_eq!(count(&app, "/v1/experts", &app.officer(BODY)).await, 0);
    }

    async fn liquidated_npo_rejected(app) {
        let npo = register_npo(&app, NPO_BIN, NPO_NAME).await;
        let liquidation = json!({"status": "liquidated", "source": "registration_data"});
        let changed = app.client
            .patch(app.url(&format!("/v1/npos/{}", id_of(&npo))))
            .bearer_auth(app.officer(BODY))
            .header("If-Match", "\"1\"")
            .json(&liquidation)
            .send()
            .await
            .unwrap();
        json_body(changed, StatusCode::OK).await;
        let mut body = expert_body("Айгүл Сейітова");
        body["npo_id"] = npo["id"].clone();

        let response = post_officer(&app, "/v1/experts", &body).await;

        assert_eq!(invalid_pointers(response).await, vec!["/npo_id"]);
        assert_eq!(count(&app, "/v1/experts", &app.officer(BODY)).await, 0);
    }

    async fn expert_list_filtered_and_paged(app) {
        let first = add_expert(&app, BODY, "Айгүл Сейітова").await;
        let second = add_expert(&app, BODY, "Марат Ахметов").await;
        let mut health = expert_body("Динара Жумабаева");
        health["spheres"] = json!(["health"]);
        let third = json_body(post_officer(&app, "/v1/experts", &health).await, StatusCode::CREATED).await;

        let page = get_json(&app, "/v1/experts?limit=2", &app.officer(BODY)).await;
        let cursor = page["next_cursor"].as_str().expect("a cursor to the next page").to_owned();
        let rest = get_json(&app, &format!("/v1/experts?limit=2&cursor={cursor}"), &app.officer(BODY)).await;
        let in_health = get_json(&app, "/v1/experts?sphere=health", &app.officer(BODY)).await;
        let unknown_sphere = get_as(&app, "/v1/experts?sphere=astrology", &app.officer(BODY)).await;

        assert_eq!(item_strings(&page, "id"), vec![id_of(&first), id_of(&second)]);
        assert_eq!(item_strings(&rest, "id"), vec![id_of(&third)]);
        assert_eq!(rest["next_cursor"], Value::Null);
        assert_eq!(item_strings(&in_health, "id"), vec![id_of(&third)]);
        assert_eq!(invalid_pointers(unknown_sphere).await, vec!["#/query/sphere"]);
    }

    async fn expert_create_idempotent(app) {
        let send = || {
            app.client
                .post(app.url("/v1/experts"))
                .bearer_auth(app.officer(BODY))
                .header("Idempotency-Key", "expert-0001")
                .json(&expert_body("Айгүл Сейітова"))
                .send()
        };

        let first = json_body(send().await.unwrap(), StatusCode::CREATED).await;
        let retried = json_body(send().await.unwrap(), StatusCode::CREATED).await;

        assert_eq!(retried["id"], first["id"]);
        assert_eq!(count(&app, "/v1/experts", &app.officer(BODY)).await, 1);
    }

    async fn group_formed_and_read(app) {
        let first = add_expert(&app, BODY, "Айгүл Сейітова").await;
        let second = add_expert(&app, BODY, "Марат Ахметов").await;
        let members = [id_of(&second), id_of(&first)];

        let response = post_officer(&app, "/v1/expert-groups", &group_body(&[members[0].as_str(), members[1].as_str()])).await;

        let location = response
            .headers()
            .get("location")
            .map(|value| value.to_str().unwrap_or_default().to_owned());
        let group = json_body(response, StatusCode::CREATED).await;
        let path = format!("/v1/expert-groups/{}", id_of(&group));
        assert_eq!(location.as_deref(), Some(path.as_str()));
        assert_eq!(group["government_body"], BODY);
        assert_eq!(group["sphere"], "youth");
        assert_eq!(group["formed_on"], today_in_kazakhstan().to_string());
        assert_eq!(group["members"], json!([
            {"expert_id": members[0], "full_name": "Марат Ахметов"},
            {"expert_id": members[1], "full_name": "Айгүл Сейітова"}
        ]));
        let read = get_json(&app, &path, &app.officer(BODY)).await;
        assert_eq!(read["members"], group["members"]);
        let by_ministry = get_json(&app, &path, &app.ministry()).await;
        assert_eq!(by_ministry["id"], group["id"]);
        problem(get_as(&app, &path, &app.officer(OTHER_BODY)).await, StatusCode::NOT_FOUND).await;
        let listed = get_json(&app, "/v1/expert-groups", &app.officer(BODY)).await;
        assert_eq!(item_strings(&listed, "id"), vec![id_of(&group)]);
        let other_list = get_json(&app, "/v1/expert-groups", &app.officer(OTHER_BODY)).await;
        assert_eq!(other_list["items"], json!([]));
        let by_npo = get_as(&app, &path, &npo_token(&app, NPO_BIN)).await;
        problem(by_npo, StatusCode::FORBIDDEN).await;
    }

    async fn group_member_of_other_body_rejected(app) {
        let own = id_of(&add_expert(&app, BODY, "Айгүл Сейітова").await);
        let foreign = id_of(&add_expert(&app, OTHER_BODY, "Марат Ахметов").await);

        let response = post_officer(&app, "/v1/expert-groups", &group_body(&[own.as_str(), foreign.as_str()])).await;

        let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(pointers(&body), vec!["/members/1"]);
        assert!(body["errors"][0]["message"].as_str().unwrap().contains(&foreign), "{body}");
        assert_eq!(count(&app, "/v1/expert-groups", &app.officer(BODY)).await, 0);
        assert_eq!(count(&app, "/v1/expert-groups", &app.ministry()).await, 0);
    }

    async fn invalid_group_names_pointer(app) {
        let own = id_of(&add_expert(&app, BODY, "Айгүл Сейітова").await);
        let tomorrow = (today_in_kazakhstan() + chrono::Days::new(1)).to_string();
        let cases: Vec<(&str, Value, Vec<&str>)> = vec![
            ("empty body", json!({}), vec!["/members", "/name", "/purpose"]),
            ("long name", json!({"name": "н".repeat(501)}), vec!["/name"]),
            ("long purpose", json!({"purpose": "ц".repeat(5001)}), vec!["/purpose"]),
            ("unknown sphere", json!({"sphere": "astrology"}), vec!["/sphere"]),
            ("formed tomorrow", json!({"formed_on": tomorrow}), vec!["/formed_on"]),
            ("malformed date", json!({"formed_on": "01.12.2026"}), vec!["/formed_on"]),
            ("no members", json!({"members": []}), vec!["/members"]),
            ("repeated member", json!({"members": [own, own]}), vec!["/members/1"]),
            ("unknown member", json!({"members": [own, "0190c1c8-0000-7000-8000-000000000000"]}), vec!["/members/1"]),
            ("unknown field", json!({"chair": own}), vec!["/chair"]),
        ];

        for (case, change, expected) in cases {
            let mut body = if case == "empty body" { json!({}) } else { group_body(&[own.as_str()]) };
            for (field, value) in change.as_object().unwrap() {
                body[field] = value.clone();
            }
            let response = post_officer(&app, "/v1/expert-groups", &body).await;
            assert_eq!(invalid_pointers(response).await, expected, "{case}");
        }
        assert_eq!(count(&app, "/v1/expert-groups", &app.officer(BODY)).await, 0);
    }

    async fn consultation_names_expert_or_group(app) {
        let expert = id_of(&add_expert(&app, BODY, "Айгүл Сейітова").await);
        let group = id_of(&json_body(
            post_officer(&app, "/v1/expert-groups", &group_body(&[expert.as_str()])).await,
            StatusCode::CREATED,
        ).await);
        let mut by_expert = consultation_body();
        by_expert["expert_id"] = json!(expert);
        let mut by_group = consultation_body();
        by_group["direction"] = json!("given");
        by_group["expert_group_id"] = json!(group);

        let with_expert = json_body(post_officer(&app, "/v1/consultations", &by_expert).await, StatusCode::CREATED).await;
        let with_group = json_body(post_officer(&app, "/v1/consultations", &by_group).await, StatusCode::CREATED).await;

        assert_eq!(with_expert["expert_id"], json!(expert));
        assert_eq!(with_expert["expert_group_id"], Value::Null);
        assert_eq!(with_group["expert_group_id"], json!(group));
        assert_eq!(with_group["expert_id"], Value::Null);
        let listed = get_json(&app, "/v1/consultations", &app.officer(BODY)).await;
        assert_eq!(item_strings(&listed, "expert_id"), vec![expert.clone(), String::new()]);
        assert_eq!(item_strings(&listed, "expert_group_id"), vec![String::new(), group.clone()]);
    }

    async fn consultation_expert_checked(app) {
        let expert = id_of(&add_expert(&app, BODY, "Айгүл Сейітова").await);
        let group = id_of(&json_body(
            post_officer(&app, "/v1/expert-groups", &group_body(&[expert.as_str()])).await,
            StatusCode::CREATED,
        ).await);
        let mut both = consultation_body();
        both["expert_id"] = json!(expert);
        both["expert_group_id"] = json!(group);
        let mut own_expert = consultation_body();
        own_expert["expert_id"] = json!(expert);
        let mut own_group = consultation_body();
        own_group["expert_group_id"] = json!(group);
        let mut unknown_expert = consultation_body();
        unknown_expert["expert_id"] = json!("0190c1c8-0000-7000-8000-000000000000");

        let with_both = post_officer(&app, "/v1/consultations", &both).await;
        let expert_elsewhere = post_as(&app, "/v1/consultations", &app.officer(OTHER_BODY), &own_expert).await;
        let group_elsewhere = post_as(&app, "/v1/consultations", &app.officer(OTHER_BODY), &own_group).await;
        let not_registered = post_officer(&app, "/v1/consultations", &unknown_expert).await;

        assert_eq!(invalid_pointers(with_both).await, vec!["/expert_group_id"]);
        assert_eq!(invalid_pointers(expert_elsewhere).await, vec!["/expert_id"]);
        assert_eq!(invalid_pointers(group_elsewhere).await, vec!["/expert_group_id"]);
        assert_eq!(invalid_pointers(not_registered).await, vec!["/expert_id"]);
        assert_eq!(count(&app, "/v1/consultations", &app.ministry()).await, 0);
    }
}

/// Returns the URL of a loopback port that was free a moment ago, where nothing is
/// expected to listen.
fn unused_local_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port can be bound");
    let port = listener.local_addr().expect("a bound address").port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// An expert who represents an NPO is not added while the registry is unreachable. The
/// test runs on SQLite only, because the failure is in the REST call to the registry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expert_create_registry_down() {
    let registry_url = unused_local_url();
    let app = TestApp::spawn_with(
        &[::recommendations::SERVICE],
        TestBackend::Sqlite,
        &[("LIAISON_SERVICE_URL_REGISTRY", registry_url.as_str())],
    )
    .await
    .expect("SQLite runs always");
    let mut body = expert_body("Айгүл Сейітова");
    body["npo_id"] = json!("0190c1c8-0000-7000-8000-000000000000");

    let response = post_officer(&app, "/v1/experts", &body).await;

    let retry_after = response.headers().get("retry-after").cloned();
    problem(response, StatusCode::SERVICE_UNAVAILABLE).await;
    assert!(retry_after.is_some(), "a 503 carries Retry-After");
    assert_eq!(count(&app, "/v1/experts", &app.officer(BODY)).await, 0);
    app.stop().await;
}
