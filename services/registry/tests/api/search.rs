use serde_json::{Value, json};
use service_kit::backend_tests;

use crate::{SERVICES, create_npo, pointers, problem};

fn cases() -> Value {
    serde_json::from_str(include_str!("../cases/search.json")).expect("the search cases parse")
}

async fn names_found(app: &service_kit::testing::TestApp, query: &str) -> Vec<String> {
    let page: Value = app
        .client
        .get(app.url("/v1/npos"))
        .query(&[("q", query)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut names: Vec<String> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|card| card["name_ru"].as_str().unwrap_or_default().to_owned())
        .collect();
    names.sort();
    names
}

backend_tests! {
    services: SERVICES;

    async fn case_queries_find_names(app) {
        for npo in cases()["npos"].as_array().unwrap() {
            let mut body = npo.clone();
            body["legal_form"] = json!("public_association");
            body["source"] = json!("registration_data");
            create_npo(&app, &body).await;
        }

        for case in cases()["queries"].as_array().unwrap() {
            let query = case["q"].as_str().unwrap();
            let mut expected: Vec<String> = case["finds"].as_array().unwrap().iter().map(|n| n.as_str().unwrap().to_owned()).collect();
            expected.sort();

            assert_eq!(names_found(&app, query).await, expected, "query {query:?}: {}", case["note"]);
        }
    }

    async fn like_wildcards_match_literally(app) {
        create_npo(&app, &json!({"name_ru": "Фонд 100% помощи", "legal_form": "public_foundation", "source": "media"})).await;
        create_npo(&app, &json!({"name_ru": "Фонд помощи", "legal_form": "public_foundation", "source": "media"})).await;

        assert_eq!(names_found(&app, "100%").await, vec!["Фонд 100% помощи"]);
        assert!(names_found(&app, "_").await.is_empty());
        assert_eq!(names_found(&app, "ФОНД").await.len(), 2);
    }

    async fn filters_combine_with_territory_subtree(app) {
        let mut ulytau_village = json!({"name_ru": "Ассоциация Улытау", "legal_form": "association_of_legal_entities", "source": "media"});
        ulytau_village["territories"] = json!(["623830100"]);
        ulytau_village["spheres"] = json!(["ecology"]);
        let mut almaty = json!({"name_ru": "Фонд Алматы", "legal_form": "public_foundation", "source": "media"});
        almaty["territories"] = json!(["750000000"]);
        almaty["spheres"] = json!(["ecology"]);
        create_npo(&app, &ulytau_village).await;
        create_npo(&app, &almaty).await;
        let app = &app;
        let list = |query: &'static [(&'static str, &'static str)]| async move {
            let page: Value = app.client.get(app.url("/v1/npos")).query(query).send().await.unwrap().json().await.unwrap();
            page["items"].as_array().unwrap().iter().map(|c| c["name_ru"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
        };

        assert_eq!(list(&[("territory", "620000000")]).await, vec!["Ассоциация Улытау"]);
        assert_eq!(list(&[("territory", "623800000")]).await, vec!["Ассоциация Улытау"]);
        assert_eq!(list(&[("sphere", "ecology")]).await.len(), 2);
        assert_eq!(list(&[("sphere", "ecology"), ("legal_form", "public_foundation")]).await, vec!["Фонд Алматы"]);
        assert!(list(&[("sphere", "youth")]).await.is_empty());
        assert!(list(&[("status", "liquidated")]).await.is_empty());
    }

    async fn territory_filter_follows_classifier(app) {
        let mut body = json!({"name_ru": "Сельское объединение", "legal_form": "public_association", "source": "media"});
        body["territories"] = json!(["101033102"]);
        create_npo(&app, &body).await;

        let by_parent: Value = app.client.get(app.url("/v1/npos?territory=101033100")).send().await.unwrap().json().await.unwrap();
        let within: Value = app.client.get(app.url("/v1/territories?within=101033100")).send().await.unwrap().json().await.unwrap();

        assert_eq!(by_parent["items"].as_array().unwrap().len(), 1, "101033102 lies under 101033100 in the classifier");
        assert!(within["items"].as_array().unwrap().iter().any(|t| t["code"] == "101033102"));
    }

    async fn invalid_filters_named(app) {
        let response = app.client.get(app.url("/v1/npos?territory=12&sphere=astrology&limit=500")).send().await.unwrap();

        let problem = problem(response, reqwest::StatusCode::UNPROCESSABLE_ENTITY).await;

        let pointers_found = pointers(&problem);
        assert!(pointers_found.contains(&"#/query/territory".to_owned()));
        assert!(pointers_found.contains(&"#/query/sphere".to_owned()));
        let wrong_type = app.client.get(app.url("/v1/npos?limit=abc")).send().await.unwrap();
        let unknown = app.client.get(app.url("/v1/npos?colour=red")).send().await.unwrap();
        let repeated = app.client.get(app.url("/v1/npos?limit=1&limit=2")).send().await.unwrap();
        assert_eq!(pointers(&crate::problem(repeated, reqwest::StatusCode::UNPROCESSABLE_ENTITY).await), vec!["#/query/limit"]);
        assert_eq!(pointers(&crate::problem(wrong_type, reqwest::StatusCode::UNPROCESSABLE_ENTITY).await), vec!["#/query/limit"]);
        assert_eq!(pointers(&crate::problem(unknown, reqwest::StatusCode::UNPROCESSABLE_ENTITY).await), vec!["#/query/colour"]);
    }

    async fn pages_follow_cursor(app) {
        for name in ["Первое", "Второе", "Третье"] {
            create_npo(&app, &json!({"name_ru": name, "legal_form": "public_association", "source": "media"})).await;
        }

        let first: Value = app.client.get(app.url("/v1/npos?limit=2")).send().await.unwrap().json().await.unwrap();
        let cursor = first["next_cursor"].as_str().unwrap();
        let second: Value = app.client.get(app.url("/v1/npos")).query(&[("limit", "2"), ("cursor", cursor)]).send().await.unwrap().json().await.unwrap();
        let bad = app.client.get(app.url("/v1/npos?cursor=%%%")).send().await.unwrap();
        let too_many = app.client.get(app.url("/v1/npos?limit=201")).send().await.unwrap();

        assert_eq!(first["items"].as_array().unwrap().len(), 2);
        assert_eq!(second["items"].as_array().unwrap().len(), 1);
        assert_eq!(second["items"][0]["name_ru"], "Третье");
        assert!(second["next_cursor"].is_null());
        assert_eq!(bad.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(too_many.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY);
    }
}
