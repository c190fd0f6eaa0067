use reqwest::StatusCode;
use serde_json::{Value, json};
use service_kit::backend_tests;

use crate::{
    SERVICES, ULYTAU_REGION, appointment, body_input, create_body, create_district, get,
    item_strings, json_body, pointers, post_as, problem, today_in_kazakhstan,
};

/// Invalid bodies with the pointer each one's problem must list.
fn invalid_bodies() -> Vec<(Value, Vec<&'static str>)> {
    let valid = body_input("akimat-ulytau", "regional", Some(ULYTAU_REGION), &["youth"]);
    let with = |field: &str, value: Value| {
        let mut body = valid.clone();
        body[field] = value;
        body
    };
    let mut central = with("level", json!("central"));
    central["territory"] = json!(ULYTAU_REGION);
    let mut district = with("level", json!("district"));
    district.as_object_mut().unwrap().remove("territory");
    vec![
        (with("id", json!("Akimat Ulytau")), vec!["/id"]),
        (with("id", json!("a")), vec!["/id"]),
        (with("id", json!("x".repeat(101))), vec!["/id"]),
        (with("name_ru", json!(" ")), vec!["/name_ru"]),
        (with("name_kk", json!("қ".repeat(501))), vec!["/name_kk"]),
        (with("level", json!("oblast")), vec!["/level"]),
        (central, vec!["/territory"]),
        (district, vec!["/territory"]),
        (with("territory", json!("62000000")), vec!["/territory"]),
        (with("territory", json!("999999999")), vec!["/territory"]),
        (with("spheres", json!([])), vec!["/spheres"]),
        (
            with("spheres", json!(["youth", "unknown"])),
            vec!["/spheres/1"],
        ),
        (
            with("spheres", json!(["youth", "culture", "youth"])),
            vec!["/spheres/2"],
        ),
    ]
}

backend_tests! {
    services: SERVICES;

    async fn body_created_and_read(app) {
        let input = json!({
            "id": "akimat-ulytau",
            "name_ru": "Аппарат акима области Ұлытау",
            "name_kk": "Ұлытау облысы әкімінің аппараты",
            "level": "regional",
            "territory": ULYTAU_REGION,
            "spheres": ["youth", "culture"]
        });

        let response = post_as(&app, "/v1/government-bodies", &app.ministry(), None, &input).await;
        let location = response.headers().get("location").cloned();
        let etag = response.headers().get("etag").cloned();
        let created = json_body(response, StatusCode::CREATED).await;
        let read = json_body(get(&app, "/v1/government-bodies/akimat-ulytau", None).await, StatusCode::OK).await;

        assert_eq!(location.unwrap(), "/v1/government-bodies/akimat-ulytau");
        assert_eq!(etag.unwrap(), "\"1\"");
        assert_eq!(created, read);
        assert_eq!(read["name_ru"], "Аппарат акима области Ұлытау");
        assert_eq!(read["name_kk"], "Ұлытау облысы әкімінің аппараты");
        assert_eq!(read["level"], "regional");
        assert_eq!(read["territory"], ULYTAU_REGION);
        assert_eq!(read["spheres"], json!(["youth", "culture"]));
        assert_eq!(read["officer"], Value::Null);
        assert_eq!(read["vacant_since"], today_in_kazakhstan().to_string());
    }

    async fn central_body_has_no_territory(app) {
        let input = body_input("minculture", "central", None, &["culture"]);

        let created = create_body(&app, &input).await;

        assert_eq!(created["level"], "central");
        assert!(created.get("territory").is_none(), "{created}");
    }

    async fn invalid_bodies_rejected_unwritten(app) {
        for (input, expected) in invalid_bodies() {
            let response = post_as(&app, "/v1/government-bodies", &app.ministry(), None, &input).await;

            let problem = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
            assert_eq!(pointers(&problem), expected, "{input}");
        }
        let page = json_body(get(&app, "/v1/government-bodies", None).await, StatusCode::OK).await;
        assert_eq!(page["items"], json!([]));
    }

    async fn unknown_field_rejected(app) {
        let mut input = body_input("akimat-ulytau", "regional", Some(ULYTAU_REGION), &["youth"]);
        input["vacant_since"] = json!("2020-01-01");

        let response = post_as(&app, "/v1/government-bodies", &app.ministry(), None, &input).await;

        let problem = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(pointers(&problem), vec!["/vacant_since"]);
        let read = get(&app, "/v1/government-bodies/akimat-ulytau", None).await;
        assert_eq!(read.status(), StatusCode::NOT_FOUND);
    }

    async fn taken_id_conflicts(app) {
        create_district(&app, "ulytau-district").await;
        let mut again = body_input("ulytau-district", "central", None, &["culture"]);
        again["name_ru"] = json!("Другое имя");

        let response = post_as(&app, "/v1/government-bodies", &app.ministry(), None, &again).await;

        problem(response, StatusCode::CONFLICT).await;
        let read = json_body(get(&app, "/v1/government-bodies/ulytau-district", None).await, StatusCode::OK).await;
        assert_eq!(read["level"], "district");
        assert_eq!(read["name_ru"], "Орган ulytau-district");
    }

    async fn list_pages_by_id(app) {
        for id in ["c-body", "a-body", "b-body"] {
            create_district(&app, id).await;
        }
        create_body(&app, &body_input("minculture", "central", None, &["culture"])).await;

        let first = json_body(get(&app, "/v1/government-bodies?limit=2", None).await, StatusCode::OK).await;
        let cursor = first["next_cursor"].as_str().expect("a next page").to_owned();
        let second = json_body(
            get(&app, &format!("/v1/government-bodies?limit=2&cursor={cursor}"), None).await,
            StatusCode::OK,
        )
        .await;
        let youth = json_body(get(&app, "/v1/government-bodies?sphere=youth&level=district", None).await, StatusCode::OK).await;

        assert_eq!(item_strings(&first, "id"), vec!["a-body", "b-body"]);
        assert_eq!(item_strings(&second, "id"), vec!["c-body", "minculture"]);
        assert_eq!(second["next_cursor"], Value::Null);
        assert_eq!(item_strings(&youth, "id"), vec!["a-body", "b-body", "c-body"]);
    }

    async fn writes_need_ministry(app) {
        create_district(&app, "ulytau-district").await;
        let input = body_input("other-body", "central", None, &["culture"]);
        let officer_token = app.officer("ulytau-district");
        let npo_token = app.token(service_kit::Role::Npo, None, Some("940140000385"));
        let integrator_token = app.integrator("egov");
        let writes = [
            ("/v1/government-bodies", input),
            (
                "/v1/government-bodies/ulytau-district/officer",
                appointment("officer-1", "Ерлан Мұханов", "deputy_akim"),
            ),
            (
                "/v1/government-bodies/ulytau-district/officer/dismissal",
                json!({"reason": "dismissal", "dismissed_on": today_in_kazakhstan().to_string()}),
            ),
        ];

        for (path, body) in &writes {
            for token in [&officer_token, &npo_token, &integrator_token] {
                let response = post_as(&app, path, token, Some("\"1\""), body).await;
                problem(response, StatusCode::FORBIDDEN).await;
            }
            let anonymous = app.client.post(app.url(path)).json(body).send().await.unwrap();
            problem(anonymous, StatusCode::UNAUTHORIZED).await;
        }
        for path in ["/v1/vacancies", "/v1/government-bodies/ulytau-district/officers"] {
            problem(get(&app, path, Some(&officer_token)).await, StatusCode::FORBIDDEN).await;
            problem(get(&app, path, None).await, StatusCode::UNAUTHORIZED).await;
        }
        let read = json_body(get(&app, "/v1/government-bodies/ulytau-district", None).await, StatusCode::OK).await;
        assert_eq!(read["officer"], Value::Null);
        assert_eq!(read["version"], 1);
        let other = get(&app, "/v1/government-bodies/other-body", None).await;
        assert_eq!(other.status(), StatusCode::NOT_FOUND);
    }

    async fn public_reads_without_token(app) {
        create_district(&app, "ulytau-district").await;

        for path in [
            "/v1/government-bodies",
            "/v1/government-bodies/ulytau-district",
            "/v1/competence-map?sphere=youth&territory=623830100",
            "/v1/officer-positions",
        ] {
            let response = get(&app, path, None).await;
            assert_eq!(response.status(), StatusCode::OK, "{path}");
        }
        let forged = get(&app, "/v1/government-bodies", Some("not-a-token")).await;
        problem(forged, StatusCode::UNAUTHORIZED).await;
        let missing = get(&app, "/v1/government-bodies/no-such-body", None).await;
        problem(missing, StatusCode::NOT_FOUND).await;
    }

    async fn positions_listed_per_level(app) {
        let levels = json_body(get(&app, "/v1/officer-positions", None).await, StatusCode::OK).await;

        let minimums: Vec<(String, String)> = levels
            .as_array()
            .expect("a list of levels")
            .iter()
            .map(|level| {
                (
                    level["level"].as_str().unwrap().to_owned(),
                    level["minimum"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(
            minimums,
            vec![
                ("central".to_owned(), "director_of_department".to_owned()),
                ("regional".to_owned(), "deputy_head_of_akim_office".to_owned()),
                ("regional_department".to_owned(), "deputy_head_of_department".to_owned()),
                ("district".to_owned(), "deputy_akim".to_owned()),
            ]
        );
        assert_eq!(levels[0]["positions"][0]["code"], "chief_expert");
        assert_eq!(levels[0]["positions"][3]["name_ru"], "Директор департамента");
    }
}
