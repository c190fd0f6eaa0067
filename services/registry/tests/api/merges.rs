use reqwest::StatusCode;
use serde_json::{Value, json};
use service_kit::backend_tests;
use service_kit::testing::TestApp;

use crate::{BODY, count_npos, create_npo, problem};

fn veterans() -> Value {
    json!({"name_ru": "ОО «Ветераны»", "legal_form": "public_association", "territories": ["750000000"], "source": "media"})
}

async fn merge(app: &TestApp, keep: &Value, merged: &Value) -> reqwest::Response {
    app.client
        .post(app.url("/v1/npo-merges"))
        .bearer_auth(app.officer(BODY))
        .json(&json!({"keep": keep["id"], "merge": merged["id"]}))
        .send()
        .await
        .unwrap()
}

backend_tests! {
    services: crate::SERVICES;

    async fn duplicates_listed_and_merged(app) {
        let kept = create_npo(&app, &veterans()).await;
        let mut other = veterans();
        other["name_ru"] = json!("оо ветераны");
        other["oked"] = json!("94990");
        let merged = create_npo(&app, &other).await;
        create_npo(&app, &json!({"name_ru": "ОО «Ветераны»", "legal_form": "public_association", "territories": ["710000000"], "source": "media"})).await;

        let groups: Value = app.client.get(app.url("/v1/npo-duplicates")).bearer_auth(app.officer(BODY))
            .send().await.unwrap().json().await.unwrap();
        let response = merge(&app, &kept, &merged).await;
        assert_eq!(response.status(), StatusCode::OK);
        let card: Value = response.json().await.unwrap();
        let no_redirects = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let old = no_redirects.get(app.url(&format!("/v1/npos/{}", merged["id"].as_str().unwrap()))).send().await.unwrap();
        let history: Value = app.client.get(app.url(&format!("/v1/npos/{}/history", kept["id"].as_str().unwrap())))
            .bearer_auth(app.officer(BODY)).send().await.unwrap().json().await.unwrap();
        let after: Value = app.client.get(app.url("/v1/npo-duplicates")).bearer_auth(app.officer(BODY))
            .send().await.unwrap().json().await.unwrap();
        let again = merge(&app, &kept, &merged).await;

        assert_eq!(groups["items"].as_array().unwrap().len(), 1, "{groups}");
        assert_eq!(groups["items"][0]["npos"].as_array().unwrap().len(), 2);
        assert_eq!(card["oked"], "94990");
        assert_eq!(card["name_ru"], "ОО «Ветераны»");
        assert_eq!(old.status(), StatusCode::PERMANENT_REDIRECT);
        assert_eq!(old.headers()["location"], format!("/v1/npos/{}", kept["id"].as_str().unwrap()).as_str());
        let entities: Vec<&str> = history.as_array().unwrap().iter().map(|e| e["entity_id"].as_str().unwrap()).collect();
        assert!(entities.contains(&merged["id"].as_str().unwrap()), "{history}");
        assert!(entities.contains(&kept["id"].as_str().unwrap()), "{history}");
        assert!(after["items"].as_array().unwrap().is_empty(), "{after}");
        assert_eq!(count_npos(&app).await, 2);
        problem(again, StatusCode::CONFLICT).await;
    }

    async fn merge_event_carries_card(app) {
        let kept = create_npo(&app, &veterans()).await;
        let mut other = veterans();
        other["founded_on"] = json!("1995-05-09");
        other["key_staff"] = json!([{"full_name": "Серик Абенов", "position": "председатель"}]);
        other["contacts"] = json!({"phone": "+7 710 222 33 44"});
        let merged = create_npo(&app, &other).await;
        let mut events = app.observe(&["registry.npo.updated"]).await;

        assert_eq!(merge(&app, &kept, &merged).await.status(), StatusCode::OK);

        let updated = events.expect("registry.npo.updated").await;
        assert_eq!(updated.event.payload["npo_id"], kept["id"]);
        let card = &updated.event.payload["card"];
        assert_eq!(card["name_ru"], "ОО «Ветераны»");
        assert_eq!(card["founded_on"], "1995-05-09");
        assert_eq!(card["key_staff"], json!([{"full_name": "Серик Абенов", "position": "председатель"}]));
        assert_eq!(card["phone"], "+7 710 222 33 44");
        assert_eq!(card["territories"], json!(["750000000"]));
        events.close().await;
    }

    async fn different_bins_not_merged(app) {
        let mut first = veterans();
        first["bin"] = json!("031240100010");
        let mut second = veterans();
        second["bin"] = json!("031240100020");
        let first = create_npo(&app, &first).await;
        let second = create_npo(&app, &second).await;

        problem(merge(&app, &first, &second).await, StatusCode::CONFLICT).await;
        assert_eq!(count_npos(&app).await, 2);
    }

    async fn merged_npo_not_changed(app) {
        let kept = create_npo(&app, &veterans()).await;
        let merged = create_npo(&app, &veterans()).await;
        assert_eq!(merge(&app, &kept, &merged).await.status(), StatusCode::OK);

        let patch = app.client.patch(app.url(&format!("/v1/npos/{}", merged["id"].as_str().unwrap())))
            .bearer_auth(app.officer(BODY)).header("If-Match", "\"2\"")
            .json(&json!({"status": "inactive", "source": "media"})).send().await.unwrap();
        let ministry = app.client.post(app.url("/v1/npo-merges")).bearer_auth(app.ministry())
            .json(&json!({"keep": kept["id"], "merge": merged["id"]})).send().await.unwrap();
        let same = app.client.post(app.url("/v1/npo-merges")).bearer_auth(app.officer(BODY))
            .json(&json!({"keep": kept["id"], "merge": kept["id"]})).send().await.unwrap();

        problem(patch, StatusCode::CONFLICT).await;
        problem(ministry, StatusCode::FORBIDDEN).await;
        problem(same, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
}
