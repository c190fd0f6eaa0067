use reqwest::StatusCode;
use serde_json::{Value, json};
use service_kit::backend_tests;
use service_kit::testing::TestApp;

use crate::{
    BODY, NPO_BIN, NPO_NAME, OTHER_BODY, REGION, SERVICES, UNKNOWN_NPO_ID, action_body,
    advance_through, body_party_body, create_action, current_etag, get_json, id_of, item_strings,
    json_body, npo_token, pointers, post_as, post_officer, problem, register_npo,
};

/// Builds an action that the NPO with registry id `npo_id` initiated.
fn npo_initiated_body(npo_id: &str) -> Value {
    let mut body = action_body();
    body["title"] = json!("Клуб юных программистов");
    body["initiator"] = json!("npo");
    body["initiating_npo_id"] = json!(npo_id);
    body["fit_assessment"] =
        json!("Цели НПО по цифровой грамотности молодёжи совпадают со сферой молодёжной политики");
    body
}

/// Returns the sorted titles of the joint actions that `token` lists at `path`.
async fn listed_titles(app: &TestApp, path: &str, token: &str) -> Vec<String> {
    let mut titles = item_strings(&get_json(app, path, Some(token)).await, "title");
    titles.sort();
    titles
}

/// Sends a GET of `path` as `token`, or anonymously without one.
async fn get_as(app: &TestApp, path: &str, token: Option<&str>) -> reqwest::Response {
    let mut request = app.client.get(app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("the server responds")
}

backend_tests! {
    services: SERVICES;

    async fn officer_action_created_as_draft(app) {
        let response = post_officer(&app, "/v1/joint-actions", &action_body()).await;

        assert_eq!(response.status(), StatusCode::CREATED);
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        let etag = response.headers()["etag"].to_str().unwrap().to_owned();
        let created: Value = response.json().await.unwrap();
        let id = id_of(&created);
        assert_eq!(location, format!("/v1/joint-actions/{id}"));
        assert_eq!(etag, "\"1\"");
        assert_eq!(created["version"], 1);
        assert_eq!(created["government_body"], BODY);
        assert_eq!(created["status"], "draft");
        assert_eq!(created["title"], "Летний лагерь для подростков");
        assert_eq!(created["initiator"], "officer");
        assert!(created["initiating_npo_id"].is_null());
        assert!(created["fit_assessment"].is_null());
        assert_eq!(created["spheres"], json!(["youth"]));
        assert_eq!(created["territory"], REGION);
        assert_eq!(created["goals"], action_body()["goals"]);
        assert_eq!(created["tasks"], action_body()["tasks"]);
        assert_eq!(created["parties"], json!([]));
        assert_eq!(created["steps"], json!([]));
        assert!(created["created_at"].is_string());
        assert!(created["started_on"].is_null());
        assert!(created["completed_on"].is_null());
        assert!(created["evaluation"].is_null());
        let fetched = get_json(&app, &location, Some(&app.officer(BODY))).await;
        assert_eq!(fetched["title"], created["title"]);
        assert_eq!(fetched["tasks"], created["tasks"]);
    }

    async fn npo_initiative_needs_fit_assessment(app) {
        let npo_id = id_of(&register_npo(&app, NPO_BIN, NPO_NAME).await);
        let mut without_assessment = npo_initiated_body(&npo_id);
        without_assessment.as_object_mut().unwrap().remove("fit_assessment");

        let rejected = post_officer(&app, "/v1/joint-actions", &without_assessment).await;
        let accepted = post_officer(&app, "/v1/joint-actions", &npo_initiated_body(&npo_id)).await;

        let rejected = problem(rejected, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(pointers(&rejected), vec!["/fit_assessment"]);
        let created = json_body(accepted, StatusCode::CREATED).await;
        assert_eq!(created["initiator"], "npo");
        assert_eq!(created["initiating_npo_id"], npo_id.as_str());
        assert_eq!(created["fit_assessment"], npo_initiated_body(&npo_id)["fit_assessment"]);
        let listed = get_json(&app, "/v1/joint-actions", Some(&app.officer(BODY))).await;
        assert_eq!(item_strings(&listed, "title"), vec!["Клуб юных программистов"]);
    }

    async fn unknown_initiating_npo_rejected(app) {
        register_npo(&app, NPO_BIN, NPO_NAME).await;

        let response = post_officer(&app, "/v1/joint-actions", &npo_initiated_body(UNKNOWN_NPO_ID)).await;

        let problem = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(pointers(&problem), vec!["/initiating_npo_id"]);
        let listed = get_json(&app, "/v1/joint-actions", Some(&app.ministry())).await;
        assert_eq!(listed["items"], json!([]));
    }

    async fn missing_fields_all_listed(app) {
        let empty = post_officer(&app, "/v1/joint-actions", &json!({})).await;
        let bare_npo_initiative = post_officer(&app, "/v1/joint-actions", &json!({"initiator": "npo"})).await;

        let empty = pointers(&problem(empty, StatusCode::UNPROCESSABLE_ENTITY).await);
        for expected in ["/title", "/initiator"] {
            assert!(empty.contains(&expected.to_owned()), "{expected} missing from {empty:?}");
        }
        let bare_npo_initiative = pointers(&problem(bare_npo_initiative, StatusCode::UNPROCESSABLE_ENTITY).await);
        for expected in ["/title", "/initiating_npo_id", "/fit_assessment"] {
            assert!(bare_npo_initiative.contains(&expected.to_owned()), "{expected} missing from {bare_npo_initiative:?}");
        }
        let listed = get_json(&app, "/v1/joint-actions", Some(&app.ministry())).await;
        assert_eq!(listed["items"], json!([]));
    }

    async fn invalid_values_rejected(app) {
        let mut body = action_body();
        body["initiator"] = json!("ministry");
        body["spheres"] = json!(["astrology"]);

        let response = post_officer(&app, "/v1/joint-actions", &body).await;

        let found = pointers(&problem(response, StatusCode::UNPROCESSABLE_ENTITY).await);
        assert!(found.contains(&"/initiator".to_owned()), "{found:?}");
        assert!(found.iter().any(|pointer| pointer.starts_with("/spheres")), "{found:?}");
    }

    async fn idempotency_key_replays_create(app) {
        let send = || {
            app.client.post(app.url("/v1/joint-actions")).bearer_auth(app.officer(BODY))
                .header("Idempotency-Key", "joint-action-1").json(&action_body()).send()
        };

        let first = json_body(send().await.unwrap(), StatusCode::CREATED).await;
        let second = send().await.unwrap();

        assert_eq!(second.status(), StatusCode::CREATED);
        assert_eq!(second.headers()["idempotent-replayed"], "true");
        let second: Value = second.json().await.unwrap();
        assert_eq!(second["id"], first["id"]);
        let listed = get_json(&app, "/v1/joint-actions", Some(&app.officer(BODY))).await;
        assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    }

    async fn reads_follow_role(app) {
        let own = create_action(&app, &action_body()).await;
        let path = format!("/v1/joint-actions/{}", id_of(&own));
        let mut other_body_action = action_body();
        other_body_action["title"] = json!("Субботник в Астане");
        let created_elsewhere = post_as(&app, "/v1/joint-actions", &app.officer(OTHER_BODY), &other_body_action).await;
        json_body(created_elsewhere, StatusCode::CREATED).await;

        let by_other_body = get_as(&app, &path, Some(&app.officer(OTHER_BODY))).await;
        let by_anonymous = get_as(&app, &path, None).await;
        let by_npo = get_as(&app, &path, Some(&npo_token(&app, NPO_BIN))).await;
        let by_ministry = get_json(&app, &path, Some(&app.ministry())).await;
        let list_by_anonymous = get_as(&app, "/v1/joint-actions", None).await;
        let list_by_npo = get_as(&app, "/v1/joint-actions", Some(&npo_token(&app, NPO_BIN))).await;

        problem(by_other_body, StatusCode::NOT_FOUND).await;
        problem(by_anonymous, StatusCode::UNAUTHORIZED).await;
        problem(by_npo, StatusCode::FORBIDDEN).await;
        assert_eq!(by_ministry["id"], own["id"]);
        assert_eq!(by_ministry["government_body"], BODY);
        problem(list_by_anonymous, StatusCode::UNAUTHORIZED).await;
        problem(list_by_npo, StatusCode::FORBIDDEN).await;
    }

    async fn list_shows_own_body_only(app) {
        create_action(&app, &action_body()).await;
        let mut other_body_action = action_body();
        other_body_action["title"] = json!("Субботник в Астане");
        let created_elsewhere = post_as(&app, "/v1/joint-actions", &app.officer(OTHER_BODY), &other_body_action).await;
        json_body(created_elsewhere, StatusCode::CREATED).await;

        let own_officer = listed_titles(&app, "/v1/joint-actions", &app.officer(BODY)).await;
        let other_officer = listed_titles(&app, "/v1/joint-actions", &app.officer(OTHER_BODY)).await;
        let ministry = listed_titles(&app, "/v1/joint-actions", &app.ministry()).await;

        assert_eq!(own_officer, vec!["Летний лагерь для подростков"]);
        assert_eq!(other_officer, vec!["Субботник в Астане"]);
        assert_eq!(ministry, vec!["Летний лагерь для подростков", "Субботник в Астане"]);
    }

    async fn list_filters_and_pages(app) {
        let draft_id = id_of(&create_action(&app, &action_body()).await);
        let mut cancelled_body = action_body();
        cancelled_body["title"] = json!("Отменённый лагерь");
        let cancelled_id = id_of(&create_action(&app, &cancelled_body).await);
        advance_through(&app, &cancelled_id, &["cancelled"]).await;
        let officer = app.officer(BODY);

        let drafts = get_json(&app, "/v1/joint-actions?status=draft", Some(&officer)).await;
        let cancelled_page = get_json(&app, "/v1/joint-actions?status=cancelled", Some(&officer)).await;
        let first_page = get_json(&app, "/v1/joint-actions?limit=1", Some(&officer)).await;
        let cursor = first_page["next_cursor"].as_str().expect("a cursor to the second page").to_owned();
        let second_page: Value = app.client.get(app.url("/v1/joint-actions")).bearer_auth(&officer)
            .query(&[("limit", "1"), ("cursor", cursor.as_str())]).send().await.unwrap().json().await.unwrap();

        assert_eq!(item_strings(&drafts, "id"), vec![draft_id]);
        assert_eq!(item_strings(&cancelled_page, "id"), vec![cancelled_id]);
        assert_eq!(first_page["items"].as_array().unwrap().len(), 1);
        assert_eq!(second_page["items"].as_array().unwrap().len(), 1);
        assert_ne!(second_page["items"][0]["id"], first_page["items"][0]["id"]);
        assert!(second_page["next_cursor"].is_null());
    }

    async fn only_own_officer_writes(app) {
        let id = id_of(&create_action(&app, &action_body()).await);
        let etag = current_etag(&app, &id).await;
        let status_path = format!("/v1/joint-actions/{id}/status");
        let parties_path = format!("/v1/joint-actions/{id}/parties");

        let created_by_ministry = post_as(&app, "/v1/joint-actions", &app.ministry(), &action_body()).await;
        let created_by_npo = post_as(&app, "/v1/joint-actions", &npo_token(&app, NPO_BIN), &action_body()).await;
        let created_anonymously = app.client.post(app.url("/v1/joint-actions")).json(&action_body()).send().await.unwrap();
        let party_by_other_body = post_as(&app, &parties_path, &app.officer(OTHER_BODY), &body_party_body()).await;
        let party_by_ministry = post_as(&app, &parties_path, &app.ministry(), &body_party_body()).await;
        let status_by_other_body = app.client.post(app.url(&status_path)).bearer_auth(app.officer(OTHER_BODY))
            .header("If-Match", etag.as_str()).json(&json!({"status": "cancelled"})).send().await.unwrap();

        problem(created_by_ministry, StatusCode::FORBIDDEN).await;
        problem(created_by_npo, StatusCode::FORBIDDEN).await;
        problem(created_anonymously, StatusCode::UNAUTHORIZED).await;
        problem(party_by_other_body, StatusCode::NOT_FOUND).await;
        problem(party_by_ministry, StatusCode::FORBIDDEN).await;
        problem(status_by_other_body, StatusCode::NOT_FOUND).await;
        let after = get_json(&app, &format!("/v1/joint-actions/{id}"), Some(&app.officer(BODY))).await;
        assert_eq!(after["status"], "draft");
        assert_eq!(after["parties"], json!([]));
        let listed = get_json(&app, "/v1/joint-actions", Some(&app.ministry())).await;
        assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    }
}
