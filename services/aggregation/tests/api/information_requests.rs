use chrono::{Duration, NaiveDate};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use service_kit::backend_tests;
use service_kit::testing::TestApp;

use crate::{
    OFFICER_SUBJECT, create_district, get, header, item_strings, json_body, pointers, post_as,
    problem, today_in_kazakhstan,
};

const PATH: &str = "/v1/information-requests";

/// Builds a request to `bodies` due in a week.
fn request_to(bodies: &[&str]) -> Value {
    json!({
        "subject": "Гранты НПО в 2026 году",
        "text": "Сообщите число НПО, получивших государственные гранты, и их суммы.",
        "deadline": (today_in_kazakhstan() + Duration::days(7)).to_string(),
        "government_bodies": bodies
    })
}

/// Sends `body` as the ministry.
async fn send(app: &TestApp, body: &Value) -> Response {
    post_as(app, PATH, &app.ministry(), None, body).await
}

/// Sends a request to `bodies` as the ministry and returns its id.
async fn sent_to(app: &TestApp, bodies: &[&str]) -> String {
    let created = json_body(send(app, &request_to(bodies)).await, StatusCode::CREATED).await;
    created["id"]
        .as_str()
        .expect("the request has an id")
        .to_owned()
}

/// Sends the answer `text` to request `id` as the officer of `body`.
async fn answer(app: &TestApp, id: &str, body: &str, text: &str) -> Response {
    let path = format!("{PATH}/{id}/answers");
    post_as(app, &path, &app.officer(body), None, &json!({"text": text})).await
}

/// Reads `path` as `token`, failing the test unless it is 200.
async fn read(app: &TestApp, path: &str, token: &str) -> Value {
    json_body(get(app, path, Some(token)).await, StatusCode::OK).await
}

/// Moves the deadline of request `id` to `deadline` in the database of `app`, as if
/// the request had been sent long ago.
async fn set_deadline(app: &TestApp, id: &str, deadline: NaiveDate) {
    use aggregation::schema::information_requests as table;
    use diesel::prelude::*;

    let url = app.settings.database_url_for("aggregation");
    let id = id.to_owned();
    tokio::task::spawn_blocking(move || {
        let db =
            service_kit::Database::connect(&url).expect("the test database accepts connections");
        db.run_blocking(|conn| {
            diesel::update(table::table.filter(table::id.eq(&id)))
                .set(table::deadline.eq(deadline))
                .execute(conn)
                .map_err(service_kit::StoreError::from)
        })
        .expect("the deadline is stored")
    })
    .await
    .expect("the update finishes");
}

/// Returns the statuses of the bodies a ministry view of a request lists, by body.
fn statuses(request: &Value) -> Vec<(String, String)> {
    request["government_bodies"]
        .as_array()
        .expect("the ministry view lists the bodies")
        .iter()
        .map(|body| {
            (
                body["government_body"].as_str().unwrap().to_owned(),
                body["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(body, status)| ((*body).to_owned(), (*status).to_owned()))
        .collect()
}

backend_tests! {
    services: crate::SERVICES;

    async fn request_sent_to_listed_bodies(app) {
        for id in ["a-district", "b-district", "c-district"] {
            create_district(&app, id).await;
        }

        let response = send(&app, &request_to(&["b-district", "a-district"])).await;
        let location = header(&response, "location");
        let created = json_body(response, StatusCode::CREATED).await;
        let id = created["id"].as_str().unwrap().to_owned();
        let ministry = read(&app, &format!("{PATH}/{id}"), &app.ministry()).await;
        let addressed_list = read(&app, PATH, &app.officer("a-district")).await;
        let addressed_one = read(&app, &format!("{PATH}/{id}"), &app.officer("a-district")).await;
        let other_list = read(&app, PATH, &app.officer("c-district")).await;
        let other_one = get(&app, &format!("{PATH}/{id}"), Some(&app.officer("c-district"))).await;

        assert_eq!(location, format!("{PATH}/{id}"));
        assert_eq!(created, ministry);
        assert_eq!(ministry["all_bodies"], false);
        assert_eq!(ministry["sent_on"], today_in_kazakhstan().to_string());
        assert_eq!(ministry["counts"], json!({"addressed": 2, "answered_on_time": 0, "answered_late": 0, "overdue": 0, "pending": 2}));
        assert_eq!(statuses(&ministry), pairs(&[("a-district", "pending"), ("b-district", "pending")]));
        assert_eq!(ministry["government_bodies"][0]["name_ru"], "Орган a-district");
        assert_eq!(item_strings(&addressed_list, "id"), vec![id.clone()]);
        assert_eq!(addressed_list["items"][0]["status"], "pending");
        assert!(addressed_list["items"][0].get("counts").is_none(), "{addressed_list}");
        assert_eq!(addressed_one["status"], "pending");
        assert!(addressed_one.get("government_bodies").is_none(), "{addressed_one}");
        assert!(addressed_one.get("answer").is_none(), "{addressed_one}");
        assert_eq!(other_list["items"], json!([]));
        problem(other_one, StatusCode::NOT_FOUND).await;
    }

    async fn all_bodies_asks_register(app) {
        for id in ["a-district", "b-district", "c-district"] {
            create_district(&app, id).await;
        }
        let mut input = request_to(&[]);
        input.as_object_mut().unwrap().remove("government_bodies");
        input["all_bodies"] = json!(true);

        let created = json_body(send(&app, &input).await, StatusCode::CREATED).await;
        create_district(&app, "later-district").await;
        let later = read(&app, PATH, &app.officer("later-district")).await;
        let c_list = read(&app, PATH, &app.officer("c-district")).await;

        assert_eq!(created["all_bodies"], true);
        assert_eq!(created["counts"]["addressed"], 3);
        assert_eq!(
            statuses(&created),
            pairs(&[("a-district", "pending"), ("b-district", "pending"), ("c-district", "pending")])
        );
        assert_eq!(later["items"], json!([]));
        assert_eq!(c_list["items"].as_array().unwrap().len(), 1);
    }

    async fn invalid_request_lists_fields(app) {
        create_district(&app, "a-district").await;
        let yesterday = today_in_kazakhstan() - Duration::days(1);
        let input = json!({
            "subject": " ",
            "text": "",
            "deadline": yesterday.to_string(),
            "government_bodies": ["a-district", "nowhere", "a-district", "Not An Id"]
        });

        let response = send(&app, &input).await;

        let problem = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(
            pointers(&problem),
            vec![
                "/subject",
                "/text",
                "/deadline",
                "/government_bodies/1",
                "/government_bodies/2",
                "/government_bodies/3",
            ]
        );
        let unknown = problem["errors"][3]["message"].as_str().unwrap();
        assert!(unknown.contains("'nowhere' is not in the register"), "{unknown}");
        let list = read(&app, PATH, &app.ministry()).await;
        assert_eq!(list["items"], json!([]));
    }

    async fn addressees_named_once(app) {
        create_district(&app, "a-district").await;
        let mut both = request_to(&["a-district"]);
        both["all_bodies"] = json!(true);
        let neither = request_to(&[]);
        let mut unknown_field = request_to(&["a-district"]);
        unknown_field["sent_on"] = json!("2020-01-01");
        let mut bad_date = request_to(&["a-district"]);
        bad_date["deadline"] = json!("31.12.2026");

        for (input, expected) in [
            (both, "/government_bodies"),
            (neither, "/government_bodies"),
            (unknown_field, "/sent_on"),
            (bad_date, "/deadline"),
        ] {
            let response = send(&app, &input).await;

            let problem = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
            assert_eq!(pointers(&problem), vec![expected], "{input}");
        }
    }

    async fn deadline_today_accepted(app) {
        create_district(&app, "a-district").await;
        let mut input = request_to(&["a-district"]);
        input["deadline"] = json!(today_in_kazakhstan().to_string());

        let created = json_body(send(&app, &input).await, StatusCode::CREATED).await;

        assert_eq!(created["deadline"], today_in_kazakhstan().to_string());
        assert_eq!(statuses(&created), pairs(&[("a-district", "pending")]));
    }

    async fn only_ministry_sends(app) {
        create_district(&app, "a-district").await;
        let id = sent_to(&app, &["a-district"]).await;
        let npo = app.token(service_kit::Role::Npo, None, Some("940140000385"));
        let outsiders = [app.officer("a-district"), npo.clone(), app.integrator("egov")];

        for token in &outsiders {
            let response = post_as(&app, PATH, token, None, &request_to(&["a-district"])).await;
            problem(response, StatusCode::FORBIDDEN).await;
        }
        let anonymous = app.client.post(app.url(PATH)).json(&request_to(&["a-district"])).send().await.unwrap();
        problem(anonymous, StatusCode::UNAUTHORIZED).await;
        for path in [PATH.to_owned(), format!("{PATH}/{id}")] {
            problem(get(&app, &path, Some(&npo)).await, StatusCode::FORBIDDEN).await;
            problem(get(&app, &path, None).await, StatusCode::UNAUTHORIZED).await;
        }
        let answers = format!("{PATH}/{id}/answers");
        problem(get(&app, &answers, Some(&app.officer("a-district"))).await, StatusCode::FORBIDDEN).await;
        let by_ministry = post_as(&app, &answers, &app.ministry(), None, &json!({"text": "Ответ"})).await;
        problem(by_ministry, StatusCode::FORBIDDEN).await;

        let list = read(&app, PATH, &app.ministry()).await;
        assert_eq!(item_strings(&list, "id"), vec![id]);
    }

    async fn answer_recorded_once(app) {
        for id in ["a-district", "b-district", "c-district"] {
            create_district(&app, id).await;
        }
        let id = sent_to(&app, &["a-district", "b-district"]).await;
        let today = today_in_kazakhstan().to_string();

        let response = answer(&app, &id, "a-district", "Гранты получили 12 НПО").await;
        let location = header(&response, "location");
        let first = json_body(response, StatusCode::CREATED).await;
        let second = answer(&app, &id, "a-district", "Исправление: 13 НПО").await;
        let outsider = answer(&app, &id, "c-district", "Мы не адресаты").await;
        let blank = answer(&app, &id, "b-district", " \n ").await;
        let own = read(&app, &format!("{PATH}/{id}"), &app.officer("a-district")).await;
        let ministry = read(&app, &format!("{PATH}/{id}"), &app.ministry()).await;
        let answers = read(&app, &format!("{PATH}/{id}/answers"), &app.ministry()).await;

        assert_eq!(location, format!("{PATH}/{id}"));
        assert_eq!(first["government_body"], "a-district");
        assert_eq!(first["text"], "Гранты получили 12 НПО");
        assert_eq!(first["answered_on"], today.as_str());
        assert_eq!(first["answered_by"], OFFICER_SUBJECT);
        assert_eq!(first["late"], false);
        problem(second, StatusCode::CONFLICT).await;
        problem(outsider, StatusCode::NOT_FOUND).await;
        let blank = problem(blank, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(pointers(&blank), vec!["/text"]);
        assert_eq!(own["status"], "answered_on_time");
        assert_eq!(own["answer"]["text"], "Гранты получили 12 НПО");
        assert_eq!(statuses(&ministry), pairs(&[("a-district", "answered_on_time"), ("b-district", "pending")]));
        assert_eq!(ministry["government_bodies"][0]["answered_on"], today.as_str());
        assert_eq!(ministry["counts"]["answered_on_time"], 1);
        assert_eq!(ministry["counts"]["pending"], 1);
        assert_eq!(item_strings(&answers, "government_body"), vec!["a-district"]);
        assert_eq!(answers["items"][0], first);
    }

    async fn late_answers_listed(app) {
        for id in ["a-district", "b-district", "c-district"] {
            create_district(&app, id).await;
        }
        let id = sent_to(&app, &["a-district", "b-district", "c-district"]).await;
        let on_time = answer(&app, &id, "c-district", "В срок").await;
        assert_eq!(on_time.status(), StatusCode::CREATED);
        let deadline = today_in_kazakhstan() - Duration::days(3);
        set_deadline(&app, &id, deadline).await;

        let overdue = read(&app, &format!("{PATH}?overdue=true"), &app.officer("a-district")).await;
        let response = answer(&app, &id, "a-district", "С опозданием").await;
        let late = json_body(response, StatusCode::CREATED).await;
        let ministry = read(&app, &format!("{PATH}/{id}"), &app.ministry()).await;
        let answers = read(&app, &format!("{PATH}/{id}/answers"), &app.ministry()).await;
        let own = read(&app, &format!("{PATH}/{id}"), &app.officer("a-district")).await;

        assert_eq!(item_strings(&overdue, "id"), vec![id.clone()]);
        assert_eq!(overdue["items"][0]["status"], "overdue");
        assert_eq!(late["late"], true);
        assert_eq!(own["status"], "answered_late");
        assert_eq!(own["answer"]["late"], true);
        assert_eq!(
            statuses(&ministry),
            pairs(&[("a-district", "answered_late"), ("b-district", "overdue"), ("c-district", "answered_late")])
        );
        assert_eq!(ministry["counts"], json!({"addressed": 3, "answered_on_time": 0, "answered_late": 2, "overdue": 1, "pending": 0}));
        assert_eq!(item_strings(&answers, "government_body"), vec!["a-district", "c-district"]);
        assert_eq!(answers["items"][0]["late"], true);
        assert_eq!(answers["items"][1]["late"], true);
    }

    async fn lists_filter_open_and_overdue(app) {
        for id in ["a-district", "b-district"] {
            create_district(&app, id).await;
        }
        let half_answered = sent_to(&app, &["a-district", "b-district"]).await;
        let answered = sent_to(&app, &["a-district"]).await;
        let overdue = sent_to(&app, &["a-district", "b-district"]).await;
        for id in [&half_answered, &answered] {
            assert_eq!(answer(&app, id, "a-district", "Ответ").await.status(), StatusCode::CREATED);
        }
        set_deadline(&app, &overdue, today_in_kazakhstan() - Duration::days(1)).await;
        let cases = [
            (app.officer("a-district"), "open=true", vec![overdue.clone()]),
            (app.officer("a-district"), "open=false", vec![half_answered.clone(), answered.clone()]),
            (app.officer("a-district"), "overdue=true", vec![overdue.clone()]),
            (app.officer("a-district"), "overdue=false", vec![half_answered.clone(), answered.clone()]),
            (app.officer("b-district"), "open=true", vec![half_answered.clone(), overdue.clone()]),
            (app.officer("b-district"), "overdue=true", vec![overdue.clone()]),
            (app.ministry(), "open=true", vec![half_answered.clone(), overdue.clone()]),
            (app.ministry(), "open=false", vec![answered.clone()]),
            (app.ministry(), "overdue=true", vec![overdue.clone()]),
            (app.ministry(), "overdue=false", vec![half_answered.clone(), answered.clone()]),
            (app.ministry(), "open=true&overdue=false", vec![half_answered.clone()]),
        ];

        for (token, query, expected) in cases {
            let page = read(&app, &format!("{PATH}?{query}"), &token).await;

            assert_eq!(item_strings(&page, "id"), expected, "{query}");
        }
        let bad = get(&app, &format!("{PATH}?open=maybe"), Some(&app.ministry())).await;
        let bad = problem(bad, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(pointers(&bad), vec!["#/query/open"]);
    }

    async fn list_paged_in_sending_order(app) {
        create_district(&app, "a-district").await;
        let mut ids = Vec::new();
        for _ in 0..3 {
            ids.push(sent_to(&app, &["a-district"]).await);
        }

        let first = read(&app, &format!("{PATH}?limit=2"), &app.ministry()).await;
        let cursor = first["next_cursor"].as_str().expect("a next page").to_owned();
        let second = read(&app, &format!("{PATH}?limit=2&cursor={cursor}"), &app.ministry()).await;

        assert_eq!(item_strings(&first, "id"), ids[..2].to_vec());
        assert_eq!(first["items"][0]["counts"]["addressed"], 1);
        assert!(first["items"][0].get("government_bodies").is_none(), "{first}");
        assert_eq!(item_strings(&second, "id"), ids[2..].to_vec());
        assert_eq!(second["next_cursor"], Value::Null);
    }

    async fn unknown_request_not_found(app) {
        create_district(&app, "a-district").await;
        let path = format!("{PATH}/0190f5b2-0000-7000-8000-000000000000");

        problem(get(&app, &path, Some(&app.ministry())).await, StatusCode::NOT_FOUND).await;
        problem(get(&app, &format!("{path}/answers"), Some(&app.ministry())).await, StatusCode::NOT_FOUND).await;
        let response = post_as(&app, &format!("{path}/answers"), &app.officer("a-district"), None, &json!({"text": "Ответ"})).await;
        problem(response, StatusCode::NOT_FOUND).await;
    }
}
