use reqwest::StatusCode;
use serde_json::{Value, json};
use service_kit::backend_tests;
use service_kit::testing::TestApp;

use crate::{
    BODY, DISTRICT, NPO_BIN, NPO_CONTACT_EMAIL, NPO_CONTACT_PHONE, OTHER_BODY, OUTSIDE_REGION,
    REGION, SERVICES, STAFF_NAME, activity_body, add_activity, add_priority, advance_through,
    complete_assessment_body, create_assessment, create_published_assessment, current_etag,
    get_json, id_of, item_strings, json_body, npo_proposal_body, npo_token, pointers,
    post_assessment, post_npo_proposal, priority_body, problem, register_npo,
};

/// Returns the sorted titles of the assessments that `token` lists at `path`.
async fn listed_titles(app: &TestApp, path: &str, token: Option<&str>) -> Vec<String> {
    let mut titles = item_strings(&get_json(app, path, token).await, "title");
    titles.sort();
    titles
}

/// Sends a PATCH of `body` as `token` with an optional `If-Match`.
async fn patch(
    app: &TestApp,
    id: &str,
    token: &str,
    if_match: Option<&str>,
    body: &Value,
) -> reqwest::Response {
    let mut request = app
        .client
        .patch(app.url(&format!("/v1/needs-assessments/{id}")))
        .bearer_auth(token)
        .json(body);
    if let Some(etag) = if_match {
        request = request.header("If-Match", etag);
    }
    request.send().await.expect("the server responds")
}

backend_tests! {
    services: SERVICES;

    async fn create_returns_draft_assessment(app) {
        let response = post_assessment(&app, BODY, &complete_assessment_body()).await;

        assert_eq!(response.status(), StatusCode::CREATED);
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        let etag = response.headers()["etag"].to_str().unwrap().to_owned();
        let created: Value = response.json().await.unwrap();
        let id = id_of(&created);
        assert_eq!(location, format!("/v1/needs-assessments/{id}"));
        assert_eq!(etag, format!("\"{}\"", created["version"]));
        assert_eq!(created["government_body"], BODY);
        assert_eq!(created["status"], "draft");
        assert_eq!(created["spheres"], json!(["education", "youth"]));
        assert_eq!(created["territory"], REGION);
        assert_eq!(created["territory_name"], "область Ұлытау");
        assert_eq!(created["target_groups"][0]["participants"], 120);
        assert_eq!(created["information_sources"][1]["source"], "npo_meetings");
        assert_eq!(created["report"]["conclusions"], "Не хватает мест в кружках и секциях");
        assert_eq!(created["priorities"], json!([]));
        assert!(created["published_at"].is_null());
        assert!(created["completed_on"].is_null());
        let fetched = get_json(&app, &location, Some(&app.officer(BODY))).await;
        assert_eq!(fetched["period_end"], "2024-05-31");
        assert_eq!(fetched["methods"], created["methods"]);
    }

    async fn idempotency_key_replays_create(app) {
        let send = || {
            app.client.post(app.url("/v1/needs-assessments")).bearer_auth(app.officer(BODY))
                .header("Idempotency-Key", "assessment-1").json(&complete_assessment_body()).send()
        };

        let first = json_body(send().await.unwrap(), StatusCode::CREATED).await;
        let second = send().await.unwrap();

        assert_eq!(second.status(), StatusCode::CREATED);
        assert_eq!(second.headers()["idempotent-replayed"], "true");
        let second: Value = second.json().await.unwrap();
        assert_eq!(second["id"], first["id"]);
        let listed = get_json(&app, "/v1/needs-assessments", Some(&app.officer(BODY))).await;
        assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    }

    async fn invalid_fields_all_listed(app) {
        let body = json!({
            "title": "",
            "spheres": ["education", "astrology"],
            "territory": REGION,
            "period_start": "2024-05-01",
            "period_end": "2024-04-01",
            "target_groups": [{"group": "youth", "participants": -5}],
            "information_sources": [{"source": "rumours", "details": "Слухи"}]
        });

        let problem = problem(post_assessment(&app, BODY, &body).await, StatusCode::UNPROCESSABLE_ENTITY).await;

        let found = pointers(&problem);
        for expected in ["/title", "/spheres/1", "/period_end", "/target_groups/0/participants", "/information_sources/0/source"] {
            assert!(found.contains(&expected.to_owned()), "{expected} missing from {found:?}");
        }
        let listed = get_json(&app, "/v1/needs-assessments", Some(&app.ministry())).await;
        assert_eq!(listed["items"], json!([]));
    }

    async fn unknown_field_rejected(app) {
        let body = json!({"title": "Оценка", "government_body": OTHER_BODY});

        let response = post_assessment(&app, BODY, &body).await;

        let status = response.status();
        assert!(status == StatusCode::BAD_REQUEST || status == StatusCode::UNPROCESSABLE_ENTITY, "{status}");
        assert_eq!(response.headers()["content-type"], "application/problem+json");
        let listed = get_json(&app, "/v1/needs-assessments", Some(&app.ministry())).await;
        assert_eq!(listed["items"], json!([]));
    }

    async fn unknown_territory_rejected(app) {
        let mut body = complete_assessment_body();
        body["territory"] = json!("999999999");

        let problem = problem(post_assessment(&app, BODY, &body).await, StatusCode::UNPROCESSABLE_ENTITY).await;

        assert_eq!(pointers(&problem), vec!["/territory"]);
        let listed = get_json(&app, "/v1/needs-assessments", Some(&app.ministry())).await;
        assert_eq!(listed["items"], json!([]));
    }

    async fn visibility_follows_role(app) {
        let draft = create_assessment(&app, &json!({"title": "Черновик Ұлытау"})).await;
        let draft_path = format!("/v1/needs-assessments/{}", id_of(&draft));
        create_published_assessment(&app, "Опубликованная оценка").await;
        json_body(post_assessment(&app, OTHER_BODY, &json!({"title": "Черновик Астаны"})).await, StatusCode::CREATED).await;

        let anonymous = listed_titles(&app, "/v1/needs-assessments", None).await;
        let npo = listed_titles(&app, "/v1/needs-assessments", Some(&npo_token(&app, NPO_BIN))).await;
        let own_officer = listed_titles(&app, "/v1/needs-assessments", Some(&app.officer(BODY))).await;
        let other_officer = listed_titles(&app, "/v1/needs-assessments", Some(&app.officer(OTHER_BODY))).await;
        let ministry = listed_titles(&app, "/v1/needs-assessments", Some(&app.ministry())).await;
        let draft_by_anonymous = app.client.get(app.url(&draft_path)).send().await.unwrap();
        let draft_by_npo = app.client.get(app.url(&draft_path)).bearer_auth(npo_token(&app, NPO_BIN)).send().await.unwrap();
        let draft_by_other_officer = app.client.get(app.url(&draft_path)).bearer_auth(app.officer(OTHER_BODY)).send().await.unwrap();
        let draft_by_ministry = app.client.get(app.url(&draft_path)).bearer_auth(app.ministry()).send().await.unwrap();

        assert_eq!(anonymous, vec!["Опубликованная оценка"]);
        assert_eq!(npo, vec!["Опубликованная оценка"]);
        assert_eq!(own_officer, vec!["Опубликованная оценка", "Черновик Ұлытау"]);
        assert_eq!(other_officer, vec!["Опубликованная оценка", "Черновик Астаны"]);
        assert_eq!(ministry, vec!["Опубликованная оценка", "Черновик Астаны", "Черновик Ұлытау"]);
        problem(draft_by_anonymous, StatusCode::NOT_FOUND).await;
        problem(draft_by_npo, StatusCode::NOT_FOUND).await;
        problem(draft_by_other_officer, StatusCode::NOT_FOUND).await;
        assert_eq!(draft_by_ministry.status(), StatusCode::OK);
    }

    async fn public_view_hides_personal_data(app) {
        register_npo(&app, NPO_BIN, "Жастар әлемі").await;
        let id = id_of(&create_assessment(&app, &complete_assessment_body()).await);
        add_priority(&app, &id, &priority_body("Не хватает мест в кружках", "high", Some(4200))).await;
        advance_through(&app, &id, &["collecting"]).await;
        json_body(post_npo_proposal(&app, &id, NPO_BIN, &npo_proposal_body("Открыть кружок робототехники")).await, StatusCode::CREATED).await;
        add_activity(&app, &id, &activity_body()).await;
        advance_through(&app, &id, &["analysed", "published"]).await;
        let paths = [
            format!("/v1/needs-assessments/{id}"),
            "/v1/needs-assessments".to_owned(),
            format!("/v1/needs-assessments/{id}/activities"),
            format!("/v1/needs-assessments/{id}/priorities"),
            "/v1/needs-priorities".to_owned(),
        ];

        let mut seen = Vec::new();
        for path in &paths {
            seen.push((path, "anonymous", get_json(&app, path, None).await.to_string()));
            seen.push((path, "other body", get_json(&app, path, Some(&app.officer(OTHER_BODY))).await.to_string()));
        }

        for (path, reader, text) in &seen {
            for secret in [STAFF_NAME, "Мұханов", NPO_CONTACT_PHONE, NPO_CONTACT_EMAIL] {
                assert!(!text.contains(secret), "{path} shows {secret} to {reader}");
            }
        }
    }

    async fn list_filters_by_territory_and_body(app) {
        let mut district = complete_assessment_body();
        district["title"] = json!("Жанаарка");
        district["territory"] = json!(DISTRICT);
        district["spheres"] = json!(["youth"]);
        create_assessment(&app, &district).await;
        let abai = json!({"title": "Абай", "territory": OUTSIDE_REGION, "spheres": ["education"]});
        json_body(post_assessment(&app, OTHER_BODY, &abai).await, StatusCode::CREATED).await;
        let ministry = app.ministry();

        let in_region = listed_titles(&app, &format!("/v1/needs-assessments?territory={REGION}"), Some(&ministry)).await;
        let by_sphere = listed_titles(&app, "/v1/needs-assessments?sphere=education", Some(&ministry)).await;
        let by_body = listed_titles(&app, &format!("/v1/needs-assessments?government_body={OTHER_BODY}"), Some(&ministry)).await;
        let drafts = listed_titles(&app, "/v1/needs-assessments?status=draft", Some(&ministry)).await;
        let published = listed_titles(&app, "/v1/needs-assessments?status=published", Some(&ministry)).await;

        assert_eq!(in_region, vec!["Жанаарка"]);
        assert_eq!(by_sphere, vec!["Абай"]);
        assert_eq!(by_body, vec!["Абай"]);
        assert_eq!(drafts, vec!["Абай", "Жанаарка"]);
        assert!(published.is_empty());
    }

    async fn patch_needs_current_etag(app) {
        let id = id_of(&create_assessment(&app, &complete_assessment_body()).await);
        let first_etag = current_etag(&app, &id).await;
        let officer = app.officer(BODY);
        let change = json!({"title": "Оценка потребностей детей"});

        let missing = patch(&app, &id, &officer, None, &change).await;
        let stale = patch(&app, &id, &officer, Some("\"99\""), &change).await;
        let updated = patch(&app, &id, &officer, Some(&first_etag), &change).await;
        let replayed = patch(&app, &id, &officer, Some(&first_etag), &change).await;

        problem(missing, StatusCode::PRECONDITION_REQUIRED).await;
        problem(stale, StatusCode::PRECONDITION_FAILED).await;
        assert_eq!(updated.status(), StatusCode::OK);
        let new_etag = updated.headers()["etag"].to_str().unwrap().to_owned();
        let updated: Value = updated.json().await.unwrap();
        assert_ne!(new_etag, first_etag);
        assert_eq!(new_etag, format!("\"{}\"", updated["version"]));
        assert_eq!(updated["title"], "Оценка потребностей детей");
        assert_eq!(updated["spheres"], json!(["education", "youth"]));
        problem(replayed, StatusCode::PRECONDITION_FAILED).await;
    }

    async fn patch_null_clears_field(app) {
        let id = id_of(&create_assessment(&app, &complete_assessment_body()).await);
        let etag = current_etag(&app, &id).await;

        let response = patch(&app, &id, &app.officer(BODY), Some(&etag), &json!({"methods": null, "territory": DISTRICT})).await;

        let updated = json_body(response, StatusCode::OK).await;
        assert!(updated["methods"].is_null());
        assert_eq!(updated["territory"], DISTRICT);
        assert_eq!(updated["territory_name"], "Жанааркинский район");
        assert_eq!(updated["title"], complete_assessment_body()["title"]);
    }

    async fn other_body_cannot_patch(app) {
        let id = id_of(&create_assessment(&app, &complete_assessment_body()).await);
        let etag = current_etag(&app, &id).await;
        let change = json!({"title": "Чужая правка"});

        let other_officer = patch(&app, &id, &app.officer(OTHER_BODY), Some(&etag), &change).await;
        let ministry = patch(&app, &id, &app.ministry(), Some(&etag), &change).await;
        let anonymous = app.client.patch(app.url(&format!("/v1/needs-assessments/{id}")))
            .header("If-Match", etag.as_str()).json(&change).send().await.unwrap();

        // An unpublished assessment of another body does not exist for its officer.
        problem(other_officer, StatusCode::NOT_FOUND).await;
        problem(ministry, StatusCode::FORBIDDEN).await;
        problem(anonymous, StatusCode::UNAUTHORIZED).await;
        let after = get_json(&app, &format!("/v1/needs-assessments/{id}"), Some(&app.officer(BODY))).await;
        assert_eq!(after["title"], complete_assessment_body()["title"]);
        assert_eq!(current_etag(&app, &id).await, etag);
    }
}
