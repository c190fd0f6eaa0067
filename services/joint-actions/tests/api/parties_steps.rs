use reqwest::StatusCode;
use serde_json::{Value, json};
use service_kit::backend_tests;

use crate::{
    NPO_BIN, NPO_NAME, SERVICES, UNKNOWN_NPO_ID, action_body, add_party, add_step, advance_through,
    body_party_body, create_action, get_action, id_of, json_body, npo_party_body, patch_party,
    pointers, post_party, post_step, problem, ready_action, register_npo, step_body,
};

/// Builds a party of kind other, with zone of responsibility and representative.
fn other_party_body(name: &str) -> Value {
    json!({
        "kind": "other",
        "name": name,
        "zone_of_responsibility": "Питание участников",
        "representative": "Нурлан Абенов"
    })
}

/// Returns the number of parties of `action`.
fn party_count(action: &Value) -> usize {
    action["parties"]
        .as_array()
        .expect("the action lists parties")
        .len()
}

/// Returns the party `party_id` of `action`, failing the test without it.
fn party_by_id(action: &Value, party_id: &str) -> Value {
    action["parties"]
        .as_array()
        .expect("the action lists parties")
        .iter()
        .find(|party| party["id"] == party_id)
        .unwrap_or_else(|| panic!("party {party_id} missing from {action}"))
        .clone()
}

backend_tests! {
    services: SERVICES;

    async fn npo_party_named_from_registry(app) {
        let npo_id = id_of(&register_npo(&app, NPO_BIN, NPO_NAME).await);
        let id = id_of(&create_action(&app, &action_body()).await);

        let response = post_party(&app, &id, &npo_party_body(&npo_id)).await;

        let party = json_body(response, StatusCode::CREATED).await;
        assert_eq!(party["kind"], "npo");
        assert_eq!(party["npo_id"], npo_id.as_str());
        assert_eq!(party["name"], NPO_NAME);
        assert_eq!(party["zone_of_responsibility"], "Набор участников и проведение смен");
        assert_eq!(party["representative"], "Ерлан Мұханов");
        assert_eq!(party["consent_on"], "2026-11-20");
        assert_eq!(party["consent_document"], "Письмо №12");
        let action = get_action(&app, &id).await;
        assert_eq!(party_count(&action), 1);
        assert_eq!(action["parties"][0]["id"], party["id"]);
        assert_eq!(action["parties"][0]["name"], NPO_NAME);
    }

    async fn unknown_npo_party_rejected(app) {
        register_npo(&app, NPO_BIN, NPO_NAME).await;
        let id = id_of(&create_action(&app, &action_body()).await);

        let response = post_party(&app, &id, &npo_party_body(UNKNOWN_NPO_ID)).await;

        let problem = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(pointers(&problem), vec!["/npo_id"]);
        let action = get_action(&app, &id).await;
        assert_eq!(party_count(&action), 0);
    }

    async fn same_npo_twice_conflicts(app) {
        let npo_id = id_of(&register_npo(&app, NPO_BIN, NPO_NAME).await);
        let id = id_of(&create_action(&app, &action_body()).await);
        add_party(&app, &id, &npo_party_body(&npo_id)).await;

        let response = post_party(&app, &id, &npo_party_body(&npo_id)).await;

        problem(response, StatusCode::CONFLICT).await;
        let action = get_action(&app, &id).await;
        assert_eq!(party_count(&action), 1);
    }

    async fn party_fields_validated(app) {
        let id = id_of(&create_action(&app, &action_body()).await);
        let mut unnamed_body = body_party_body();
        unnamed_body.as_object_mut().unwrap().remove("name");

        let unnamed = post_party(&app, &id, &unnamed_body).await;
        let npo_without_id = post_party(&app, &id, &json!({"kind": "npo", "consent_on": "2026-11-20"})).await;
        let unknown_kind = post_party(&app, &id, &json!({"kind": "company", "name": "ТОО Спонсор"})).await;

        let unnamed = pointers(&problem(unnamed, StatusCode::UNPROCESSABLE_ENTITY).await);
        assert_eq!(unnamed, vec!["/name"]);
        let npo_without_id = pointers(&problem(npo_without_id, StatusCode::UNPROCESSABLE_ENTITY).await);
        assert_eq!(npo_without_id, vec!["/npo_id"]);
        let unknown_kind = pointers(&problem(unknown_kind, StatusCode::UNPROCESSABLE_ENTITY).await);
        assert!(unknown_kind.contains(&"/kind".to_owned()), "{unknown_kind:?}");
        let action = get_action(&app, &id).await;
        assert_eq!(party_count(&action), 0);
    }

    async fn party_patch_null_clears(app) {
        let action = ready_action(&app).await;

        let response = patch_party(&app, &action.id, &action.npo_party_id, &json!({
            "consent_document": null,
            "representative": "Асель Жумабаева"
        })).await;

        let patched = json_body(response, StatusCode::OK).await;
        assert!(patched["consent_document"].is_null());
        assert_eq!(patched["representative"], "Асель Жумабаева");
        assert_eq!(patched["consent_on"], "2026-11-20");
        assert_eq!(patched["zone_of_responsibility"], "Набор участников и проведение смен");
        assert_eq!(patched["name"], NPO_NAME);
        let after = get_action(&app, &action.id).await;
        let stored = party_by_id(&after, &action.npo_party_id);
        assert!(stored["consent_document"].is_null());
        assert_eq!(stored["representative"], "Асель Жумабаева");
        let untouched = party_by_id(&after, &action.body_party_id);
        assert_eq!(untouched["representative"], "Айгерим Сейтова");
    }

    async fn parties_closed_after_start(app) {
        let action = ready_action(&app).await;
        advance_through(&app, &action.id, &["agreed"]).await;

        let while_agreed = post_party(&app, &action.id, &other_party_body("ТОО Дала Тамақ")).await;
        advance_through(&app, &action.id, &["in_progress"]).await;
        let while_running = post_party(&app, &action.id, &other_party_body("ТОО Спонсор")).await;

        let added = json_body(while_agreed, StatusCode::CREATED).await;
        assert_eq!(added["kind"], "other");
        assert_eq!(added["name"], "ТОО Дала Тамақ");
        problem(while_running, StatusCode::CONFLICT).await;
        let after = get_action(&app, &action.id).await;
        assert_eq!(party_count(&after), 3);
    }

    async fn step_order_taken_conflicts(app) {
        let id = id_of(&create_action(&app, &action_body()).await);
        add_step(&app, &id, &step_body(1, "Подготовка программы смен")).await;

        let duplicate_order = post_step(&app, &id, &step_body(1, "Набор участников")).await;
        let incomplete = post_step(&app, &id, &json!({"deadline": "2027-06-01"})).await;

        problem(duplicate_order, StatusCode::CONFLICT).await;
        let incomplete = pointers(&problem(incomplete, StatusCode::UNPROCESSABLE_ENTITY).await);
        for expected in ["/order", "/title"] {
            assert!(incomplete.contains(&expected.to_owned()), "{expected} missing from {incomplete:?}");
        }
        let action = get_action(&app, &id).await;
        assert_eq!(action["steps"].as_array().unwrap().len(), 1);
        assert_eq!(action["steps"][0]["title"], "Подготовка программы смен");
    }

    async fn steps_listed_in_order(app) {
        let id = id_of(&create_action(&app, &action_body()).await);

        let third = add_step(&app, &id, &step_body(3, "Проведение смен")).await;
        add_step(&app, &id, &step_body(1, "Подготовка программы смен")).await;
        add_step(&app, &id, &step_body(2, "Набор участников")).await;

        assert_eq!(third["order"], 3);
        assert_eq!(third["deadline"], "2027-06-01");
        assert_eq!(third["expected_result"], "Программа смен утверждена");
        let action = get_action(&app, &id).await;
        let orders: Vec<u64> = action["steps"].as_array().unwrap().iter()
            .map(|step| step["order"].as_u64().unwrap())
            .collect();
        assert_eq!(orders, vec![1, 2, 3]);
        assert_eq!(action["steps"][0]["title"], "Подготовка программы смен");
        assert_eq!(action["steps"][2]["title"], "Проведение смен");
    }
}
