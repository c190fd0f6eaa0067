use reqwest::StatusCode;
use serde_json::Value;
use service_kit::backend_tests;
use service_kit::testing::TestApp;

use crate::{
    ASTANA_YESIL, SERVICES, ULYTAU_DISTRICT, ULYTAU_REGION, ULYTAU_VILLAGE, body_input,
    create_body, get, json_body, pointers, problem,
};

/// Returns the id of the body the competence map names for `query`.
async fn competent(app: &TestApp, query: &str) -> String {
    let path = format!("/v1/competence-map?{query}");
    let found = json_body(get(app, &path, None).await, StatusCode::OK).await;
    found["government_body"]
        .as_str()
        .expect("the answer names a body")
        .to_owned()
}

/// Registers a central, a regional and a district body, all competent in youth matters.
async fn youth_bodies(app: &TestApp) {
    create_body(app, &body_input("minyouth", "central", None, &["youth"])).await;
    create_body(
        app,
        &body_input(
            "ulytau-youth-department",
            "regional_department",
            Some(ULYTAU_REGION),
            &["youth", "culture"],
        ),
    )
    .await;
    create_body(
        app,
        &body_input(
            "ulytau-district",
            "district",
            Some(ULYTAU_DISTRICT),
            &["youth"],
        ),
    )
    .await;
}

backend_tests! {
    services: SERVICES;

    async fn deepest_territory_chosen(app) {
        youth_bodies(&app).await;

        let village = competent(&app, &format!("sphere=youth&territory={ULYTAU_VILLAGE}")).await;
        let district = competent(&app, &format!("sphere=youth&territory={ULYTAU_DISTRICT}")).await;
        let other_city = competent(&app, "sphere=youth&territory=621000000").await;

        assert_eq!(village, "ulytau-district");
        assert_eq!(district, "ulytau-district");
        assert_eq!(other_city, "ulytau-youth-department");
    }

    async fn answer_carries_names(app) {
        youth_bodies(&app).await;
        let path = format!("/v1/competence-map?sphere=culture&territory={ULYTAU_VILLAGE}");

        let found = json_body(get(&app, &path, None).await, StatusCode::OK).await;

        assert_eq!(found["government_body"], "ulytau-youth-department");
        assert_eq!(found["name_ru"], "Орган ulytau-youth-department");
        assert_eq!(found["name_kk"], "ulytau-youth-department органы");
    }

    async fn central_body_is_fallback(app) {
        youth_bodies(&app).await;

        let astana = competent(&app, &format!("sphere=youth&territory={ASTANA_YESIL}")).await;
        let nowhere = competent(&app, "sphere=youth").await;

        assert_eq!(astana, "minyouth");
        assert_eq!(nowhere, "minyouth");
    }

    async fn first_created_wins_tie(app) {
        create_body(&app, &body_input("z-department", "regional_department", Some(ULYTAU_REGION), &["youth"])).await;
        create_body(&app, &body_input("a-department", "regional_department", Some(ULYTAU_REGION), &["youth"])).await;

        let chosen = competent(&app, &format!("sphere=youth&territory={ULYTAU_VILLAGE}")).await;

        assert_eq!(chosen, "z-department");
    }

    async fn none_competent_not_found(app) {
        create_body(
            &app,
            &body_input("ulytau-district", "district", Some(ULYTAU_DISTRICT), &["youth"]),
        )
        .await;

        for query in [
            "sphere=health&territory=623830100".to_owned(),
            format!("sphere=youth&territory={ASTANA_YESIL}"),
            "sphere=youth".to_owned(),
        ] {
            let response = get(&app, &format!("/v1/competence-map?{query}"), None).await;

            let problem = problem(response, StatusCode::NOT_FOUND).await;
            assert_ne!(problem["detail"], Value::Null, "{query}");
        }
    }

    async fn bad_lookup_rejected(app) {
        let cases = [
            ("sphere=astrology&territory=623830100", vec!["#/query/sphere"]),
            ("sphere=youth&territory=6238301", vec!["#/query/territory"]),
            ("sphere=youth&territory=00383010x", vec!["#/query/territory"]),
            ("territory=623830100", vec!["#/query/sphere"]),
        ];

        for (query, expected) in cases {
            let response = get(&app, &format!("/v1/competence-map?{query}"), None).await;

            let problem = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
            assert_eq!(pointers(&problem), expected, "{query}");
        }
    }
}
