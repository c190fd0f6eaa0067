use reqwest::StatusCode;
use serde_json::json;
use service_kit::backend_tests;

use crate::{
    BODY, BODY_PARTY_NAME, NPO_BIN, NPO_NAME, REGION, SERVICES, action_body, add_party, add_step,
    advance, advance_through, body_party_body, create_action, current_etag, error_message,
    get_action, id_of, json_body, patch_party, problem, ready_action, ready_action_with_npo,
    register_npo, sorted_pointers, started_action, step_body, today_in_kazakhstan,
};

backend_tests! {
    services: SERVICES;

    async fn agreed_lists_missing_items(app) {
        let body = json!({
            "title": "Лагерь без плана",
            "initiator": "officer",
            "spheres": ["youth"],
            "territory": REGION,
            "goals": [],
            "tasks": []
        });
        let id = id_of(&create_action(&app, &body).await);

        let response = advance(&app, &id, "agreed").await;

        let problem = problem(response, StatusCode::CONFLICT).await;
        assert_eq!(sorted_pointers(&problem), vec!["/goals", "/parties", "/steps", "/tasks"]);
        let after = get_action(&app, &id).await;
        assert_eq!(after["status"], "draft");
    }

    async fn agreed_needs_consenting_npo(app) {
        let npo_id = id_of(&register_npo(&app, NPO_BIN, NPO_NAME).await);
        let without_npo = id_of(&create_action(&app, &action_body()).await);
        add_party(&app, &without_npo, &body_party_body()).await;
        add_step(&app, &without_npo, &step_body(1, "Подготовка программы смен")).await;
        let without_consent = id_of(&create_action(&app, &action_body()).await);
        let party = add_party(&app, &without_consent, &json!({"kind": "npo", "npo_id": npo_id})).await;
        let party_id = id_of(&party);
        add_step(&app, &without_consent, &step_body(1, "Подготовка программы смен")).await;

        let no_npo = advance(&app, &without_npo, "agreed").await;
        let no_consent = advance(&app, &without_consent, "agreed").await;
        let consent = patch_party(&app, &without_consent, &party_id, &json!({"consent_on": "2026-11-20"})).await;
        let after_consent = advance(&app, &without_consent, "agreed").await;

        let no_npo = problem(no_npo, StatusCode::CONFLICT).await;
        assert_eq!(sorted_pointers(&no_npo), vec!["/parties"]);
        let no_consent = problem(no_consent, StatusCode::CONFLICT).await;
        assert_eq!(sorted_pointers(&no_consent), vec![format!("/parties/{party_id}/consent_on")]);
        assert_eq!(consent.status(), StatusCode::OK);
        let agreed = json_body(after_consent, StatusCode::OK).await;
        assert_eq!(agreed["status"], "agreed");
    }

    async fn start_names_incomplete_parties(app) {
        let npo_id = id_of(&register_npo(&app, NPO_BIN, NPO_NAME).await);
        let id = id_of(&create_action(&app, &action_body()).await);
        let npo_party = add_party(&app, &id, &json!({"kind": "npo", "npo_id": npo_id, "consent_on": "2026-11-20"})).await;
        let npo_party_id = id_of(&npo_party);
        let mut body_party = body_party_body();
        body_party.as_object_mut().unwrap().remove("representative");
        let body_party_id = id_of(&add_party(&app, &id, &body_party).await);
        add_step(&app, &id, &step_body(1, "Подготовка программы смен")).await;
        advance_through(&app, &id, &["agreed"]).await;

        let rejected = advance(&app, &id, "in_progress").await;
        let still_agreed = get_action(&app, &id).await;
        let npo_patched = patch_party(&app, &id, &npo_party_id, &json!({
            "zone_of_responsibility": "Набор участников и проведение смен",
            "representative": "Ерлан Мұханов"
        })).await;
        let body_patched = patch_party(&app, &id, &body_party_id, &json!({"representative": "Айгерим Сейтова"})).await;
        let started = advance(&app, &id, "in_progress").await;

        let rejected = problem(rejected, StatusCode::CONFLICT).await;
        let mut expected = vec![
            format!("/parties/{npo_party_id}/representative"),
            format!("/parties/{npo_party_id}/zone_of_responsibility"),
            format!("/parties/{body_party_id}/representative"),
        ];
        expected.sort();
        assert_eq!(sorted_pointers(&rejected), expected);
        let npo_representative = error_message(&rejected, &format!("/parties/{npo_party_id}/representative"));
        assert!(npo_representative.contains(NPO_NAME), "{npo_representative}");
        let npo_zone = error_message(&rejected, &format!("/parties/{npo_party_id}/zone_of_responsibility"));
        assert!(npo_zone.contains(NPO_NAME), "{npo_zone}");
        let body_representative = error_message(&rejected, &format!("/parties/{body_party_id}/representative"));
        assert!(body_representative.contains(BODY_PARTY_NAME), "{body_representative}");
        assert_eq!(still_agreed["status"], "agreed");
        assert!(still_agreed["started_on"].is_null());
        assert_eq!(npo_patched.status(), StatusCode::OK);
        assert_eq!(body_patched.status(), StatusCode::OK);
        let started = json_body(started, StatusCode::OK).await;
        assert_eq!(started["status"], "in_progress");
        assert_eq!(started["started_on"], today_in_kazakhstan().to_string());
    }

    async fn completion_sets_completed_on(app) {
        let action = started_action(&app).await;

        let completed = advance(&app, &action.id, "completed").await;
        let evaluated_directly = advance(&app, &action.id, "evaluated").await;

        let completed = json_body(completed, StatusCode::OK).await;
        let today = today_in_kazakhstan().to_string();
        assert_eq!(completed["status"], "completed");
        assert_eq!(completed["started_on"], today);
        assert_eq!(completed["completed_on"], today);
        assert!(completed["evaluation"].is_null());
        let problem = problem(evaluated_directly, StatusCode::CONFLICT).await;
        let detail = problem["detail"].as_str().unwrap_or_default();
        assert!(detail.contains("completed"), "{detail}");
    }

    async fn skipping_status_conflicts(app) {
        let action = ready_action(&app).await;

        let to_in_progress = advance(&app, &action.id, "in_progress").await;
        let to_completed = advance(&app, &action.id, "completed").await;
        let to_evaluated = advance(&app, &action.id, "evaluated").await;
        let to_draft = advance(&app, &action.id, "draft").await;
        advance_through(&app, &action.id, &["agreed", "in_progress"]).await;
        let back_to_agreed = advance(&app, &action.id, "agreed").await;

        for response in [to_in_progress, to_completed, to_evaluated, to_draft] {
            let problem = problem(response, StatusCode::CONFLICT).await;
            let detail = problem["detail"].as_str().unwrap_or_default().to_owned();
            assert!(detail.contains("draft"), "{detail}");
        }
        let back_to_agreed = problem(back_to_agreed, StatusCode::CONFLICT).await;
        let detail = back_to_agreed["detail"].as_str().unwrap_or_default();
        assert!(detail.contains("in_progress"), "{detail}");
        let after = get_action(&app, &action.id).await;
        assert_eq!(after["status"], "in_progress");
    }

    async fn cancel_allowed_until_completed(app) {
        let draft = id_of(&create_action(&app, &action_body()).await);
        let agreed = ready_action(&app).await;
        advance_through(&app, &agreed.id, &["agreed"]).await;
        let running = ready_action_with_npo(&app, &agreed.npo_id).await;
        advance_through(&app, &running.id, &["agreed", "in_progress"]).await;
        let completed = ready_action_with_npo(&app, &agreed.npo_id).await;
        advance_through(&app, &completed.id, &["agreed", "in_progress", "completed"]).await;

        let draft_cancelled = advance(&app, &draft, "cancelled").await;
        let agreed_cancelled = advance(&app, &agreed.id, "cancelled").await;
        let running_cancelled = advance(&app, &running.id, "cancelled").await;
        let completed_cancelled = advance(&app, &completed.id, "cancelled").await;
        let reopened = advance(&app, &draft, "agreed").await;

        assert_eq!(json_body(draft_cancelled, StatusCode::OK).await["status"], "cancelled");
        assert_eq!(json_body(agreed_cancelled, StatusCode::OK).await["status"], "cancelled");
        assert_eq!(json_body(running_cancelled, StatusCode::OK).await["status"], "cancelled");
        problem(completed_cancelled, StatusCode::CONFLICT).await;
        let reopened = problem(reopened, StatusCode::CONFLICT).await;
        let detail = reopened["detail"].as_str().unwrap_or_default();
        assert!(detail.contains("cancelled"), "{detail}");
        let still_completed = get_action(&app, &completed.id).await;
        assert_eq!(still_completed["status"], "completed");
    }

    async fn status_changes_emit_events(app) {
        let action = ready_action(&app).await;
        let mut events = app.observe(&["joint_actions.action.state_changed"]).await;

        advance_through(&app, &action.id, &["agreed", "in_progress"]).await;

        let first = events.expect("joint_actions.action.state_changed").await.event.payload;
        let second = events.expect("joint_actions.action.state_changed").await.event.payload;
        let (agreed, started) = if first["to"] == "agreed" { (first, second) } else { (second, first) };
        assert_eq!(agreed["action_id"], action.id.as_str());
        assert_eq!(agreed["government_body"], BODY);
        assert_eq!(agreed["from"], "draft");
        assert_eq!(agreed["to"], "agreed");
        assert_eq!(started["action_id"], action.id.as_str());
        assert_eq!(started["from"], "agreed");
        assert_eq!(started["to"], "in_progress");
        events.close().await;
    }

    async fn state_events_carry_action(app) {
        let action = ready_action(&app).await;
        let mut events = app.observe(&["joint_actions.action.state_changed"]).await;

        advance_through(&app, &action.id, &["agreed", "in_progress", "completed"]).await;

        let mut by_target = std::collections::BTreeMap::new();
        for _ in 0..3 {
            let payload = events.expect("joint_actions.action.state_changed").await.event.payload;
            by_target.insert(payload["to"].as_str().unwrap_or_default().to_owned(), payload);
        }
        events.close().await;
        let targets: Vec<&str> = by_target.keys().map(String::as_str).collect();
        assert_eq!(targets, ["agreed", "completed", "in_progress"]);
        let today = today_in_kazakhstan().to_string();
        for (to, payload) in &by_target {
            assert_eq!(payload["action_id"], action.id.as_str(), "{to}");
            assert_eq!(payload["title"], action_body()["title"], "{to}");
            assert_eq!(payload["spheres"], json!(["youth"]), "{to}");
            assert_eq!(payload["territory"], REGION, "{to}");
            assert_eq!(payload["npo_ids"], json!([action.npo_id]), "{to}");
        }
        let agreed = &by_target["agreed"];
        assert!(agreed["started_on"].is_null(), "{agreed}");
        assert!(agreed["completed_on"].is_null(), "{agreed}");
        let started = &by_target["in_progress"];
        assert_eq!(started["started_on"], today.as_str());
        assert!(started["completed_on"].is_null(), "{started}");
        let completed = &by_target["completed"];
        assert_eq!(completed["from"], "in_progress");
        assert_eq!(completed["started_on"], today.as_str());
        assert_eq!(completed["completed_on"], today.as_str());
    }

    async fn status_change_needs_if_match(app) {
        let action = ready_action(&app).await;
        let etag = current_etag(&app, &action.id).await;
        let path = format!("/v1/joint-actions/{}/status", action.id);
        let body = json!({"status": "agreed"});
        let officer = app.officer(BODY);

        let missing = app.client.post(app.url(&path)).bearer_auth(&officer).json(&body).send().await.unwrap();
        let stale = app.client.post(app.url(&path)).bearer_auth(&officer).header("If-Match", "\"99\"")
            .json(&body).send().await.unwrap();
        let current = app.client.post(app.url(&path)).bearer_auth(&officer).header("If-Match", etag.as_str())
            .json(&body).send().await.unwrap();
        let replayed = app.client.post(app.url(&path)).bearer_auth(&officer).header("If-Match", etag.as_str())
            .json(&json!({"status": "in_progress"})).send().await.unwrap();

        problem(missing, StatusCode::PRECONDITION_REQUIRED).await;
        problem(stale, StatusCode::PRECONDITION_FAILED).await;
        assert_eq!(current.status(), StatusCode::OK);
        let new_etag = current.headers()["etag"].to_str().unwrap().to_owned();
        assert_ne!(new_etag, etag);
        problem(replayed, StatusCode::PRECONDITION_FAILED).await;
        let after = get_action(&app, &action.id).await;
        assert_eq!(after["status"], "agreed");
        assert_eq!(new_etag, format!("\"{}\"", after["version"]));
    }
}
