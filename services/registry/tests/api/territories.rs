use reqwest::StatusCode;
use serde_json::Value;
use service_kit::backend_tests;

use crate::{SERVICES, problem};

async fn get(app: &service_kit::testing::TestApp, path: &str) -> Value {
    let response = app.client.get(app.url(path)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.json().await.unwrap()
}

fn codes(items: &Value) -> Vec<String> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["code"].as_str().unwrap().to_owned())
        .collect()
}

backend_tests! {
    services: SERVICES;

    async fn search_folds_kazakh_letters(app) {
        let lower = get(&app, "/v1/territories?q=%D2%B1%D0%BB%D1%8B%D1%82%D0%B0%D1%83").await;
        let upper = get(&app, "/v1/territories?q=%D2%B0%D0%9B%D0%AB%D0%A2%D0%90%D0%A3").await;

        assert_eq!(codes(&lower["items"]), vec!["620000000"]);
        assert_eq!(codes(&upper["items"]), vec!["620000000"]);
        assert_eq!(lower["items"][0]["name_ru"], "область Ұлытау");
        assert_eq!(lower["items"][0]["level"], 1);
    }

    async fn classifier_fully_loaded(app) {
        let regions = get(&app, "/v1/territories/620000000/children").await;
        let almaty = get(&app, "/v1/territories/750000000").await;
        let repaired = get(&app, "/v1/territories?q=%D2%9B%D0%BE%D1%8F%D0%BD%D0%B4%D1%8B").await;

        assert!(codes(&regions).contains(&"623800000".to_owned()));
        assert_eq!(almaty["level"], 1);
        assert!(!repaired["items"].as_array().unwrap().is_empty(), "the name with a legacy letter is found by its Kazakh spelling");
        assert!(repaired["items"][0]["name_ru"].as_str().unwrap().contains('Қ'));
    }

    async fn path_runs_from_region(app) {
        let path = get(&app, "/v1/territories/623830100/path").await;

        assert_eq!(codes(&path), vec!["620000000", "623800000", "623830000", "623830100"]);
    }

    async fn search_within_territory(app) {
        let within = get(&app, "/v1/territories?within=620000000&q=%D1%83%D0%BB%D1%8B%D1%82%D0%B0%D1%83").await;

        let found = codes(&within["items"]);
        assert!(found.contains(&"623830100".to_owned()));
        assert!(found.iter().all(|code| code.starts_with("62") && code != "620000000"));
    }

    async fn unknown_code_is_404(app) {
        problem(app.client.get(app.url("/v1/territories/999999999")).send().await.unwrap(), StatusCode::NOT_FOUND).await;
        problem(app.client.get(app.url("/v1/territories/12")).send().await.unwrap(), StatusCode::NOT_FOUND).await;
        problem(app.client.get(app.url("/v1/territories/999999999/children")).send().await.unwrap(), StatusCode::NOT_FOUND).await;
    }
}
