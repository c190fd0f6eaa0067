use reqwest::StatusCode;
use serde_json::Value;
use service_kit::backend_tests;

use crate::{SERVICES, problem};

backend_tests! {
    services: SERVICES;

    async fn catalogues_carry_three_languages(app) {
        let list: Value = app.client.get(app.url("/v1/catalogues")).send().await.unwrap().json().await.unwrap();

        for name in list["catalogues"].as_array().unwrap() {
            let entries: Value = app.client.get(app.url(&format!("/v1/catalogues/{}", name.as_str().unwrap())))
                .send().await.unwrap().json().await.unwrap();
            for entry in entries.as_array().unwrap() {
                for language in ["ru", "kk", "en"] {
                    assert!(!entry["labels"][language].as_str().unwrap().is_empty(), "{name} {}", entry["code"]);
                }
            }
        }
        let spheres: Value = app.client.get(app.url("/v1/catalogues/spheres")).send().await.unwrap().json().await.unwrap();
        assert!(spheres.as_array().unwrap().iter().any(|e| e["code"] == "youth"));
    }

    async fn unknown_catalogue_is_404(app) {
        problem(app.client.get(app.url("/v1/catalogues/planets")).send().await.unwrap(), StatusCode::NOT_FOUND).await;
    }
}
