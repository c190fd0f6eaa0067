//! The read models fed by every service's events: the incrementally built read model
//! equals the one rebuilt from the event logs, and redelivered or older events change
//! nothing. Every test runs the five services in one process and writes through their
//! public APIs.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common_models::event::EventEnvelope;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use service_kit::Role;
use service_kit::backend_tests;
use service_kit::testing::{TestApp, TestBackend};
use uuid::Uuid;

use crate::{body_input, create_body, get, json_body, post_as, problem};

/// Every service of the platform: the aggregation service reads the event logs of the
/// other four.
const ALL_SERVICES: &[service_kit::ServiceDef] = &[
    registry::SERVICE,
    needs::SERVICE,
    joint_actions::SERVICE,
    recommendations::SERVICE,
    ::aggregation::SERVICE,
];

/// Services whose event logs feed the read models, in the order a rebuild reports them.
const SOURCES: [&str; 4] = ["registry", "needs", "joint-actions", "recommendations"];

/// Government body of the officer who makes most changes.
const BODY: &str = "akimat-ulytau";

/// Body that receives the officer request and the forwarded recommendation.
const OTHER_BODY: &str = "akimat-astana";

/// KATO code of the Ulytau region.
const REGION: &str = "620000000";

/// KATO code of the city of Astana.
const ASTANA: &str = "710000000";

/// BIN of the NPO that submits recommendations and takes part in the joint action.
const NPO_BIN: &str = "940140000385";

/// BIN of the NPO whose spheres and status change.
const OTHER_NPO_BIN: &str = "171140900016";

/// Time the read models must stay unchanged before a test takes them as settled. The
/// relays publish as soon as a write commits, so a second leaves a wide margin.
const SETTLE: Duration = Duration::from_secs(1);

/// Time the consumer gets to build the read models from the test's changes.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(60);

/// Ids the tests refer to after `record_activity`.
struct Activity {
    /// Recommendation that was received and then decided.
    decided_recommendation: String,
    /// NPO whose spheres and status were changed after its registration.
    updated_npo: String,
}

/// Returns the `id` of a created resource.
fn id_of(resource: &Value) -> String {
    resource["id"]
        .as_str()
        .expect("the resource has a string id")
        .to_owned()
}

/// Returns the `ETag` header of a response, failing the test without one.
fn etag_of(response: &Response) -> String {
    response
        .headers()
        .get("etag")
        .expect("the response has an ETag")
        .to_str()
        .expect("an ASCII ETag")
        .to_owned()
}

/// Reads the ETag of `path` as `token`.
async fn current_etag(app: &TestApp, path: &str, token: &str) -> String {
    let response = get(app, path, Some(token)).await;
    assert_eq!(response.status(), StatusCode::OK, "{path} is readable");
    etag_of(&response)
}

/// Sends a POST of `body` to `path` as `token`, failing the test unless it was created.
async fn created(app: &TestApp, path: &str, token: &str, body: &Value) -> Value {
    json_body(
        post_as(app, path, token, None, body).await,
        StatusCode::CREATED,
    )
    .await
}

/// Sends a POST of `body` to `action` of the resource at `path`, with the resource's
/// current ETag, failing the test unless it succeeded.
async fn change(app: &TestApp, path: &str, action: &str, token: &str, body: &Value) -> Value {
    let etag = current_etag(app, path, token).await;
    let response = post_as(app, &format!("{path}/{action}"), token, Some(&etag), body).await;
    json_body(response, StatusCode::OK).await
}

/// Builds a needs assessment with every item that publishing requires.
fn assessment_body() -> Value {
    json!({
        "title": "Оценка потребностей молодёжи области Ұлытау",
        "spheres": ["education", "youth"],
        "territory": REGION,
        "period_start": "2024-02-01",
        "period_end": "2024-05-31",
        "target_groups": [{"group": "youth", "participants": 120}],
        "methods": "Анкетирование, фокус-группы и анализ официальной статистики",
        "instruments": [{"description": "Анкета для молодёжи"}],
        "information_sources": [
            {"source": "official_statistics", "details": "Бюро национальной статистики, 2023"},
            {"source": "npo_meetings", "details": "Круглый стол с НПО 12 марта 2024"}
        ],
        "report": {
            "course": "Опрошено 120 молодых людей в трёх районах",
            "conclusions": "Не хватает мест в кружках и секциях",
            "recommendations": "Открыть кружки при школах"
        }
    })
}

/// Builds a priority of the assessment about `problem`.
fn priority_body(problem: &str) -> Value {
    json!({
        "sphere": "education",
        "territory": REGION,
        "target_group": "youth",
        "problem": problem,
        "information_source": "official_statistics",
        "risks": "Рост правонарушений среди подростков",
        "risk_level": "high",
        "people_affected": 4200
    })
}

/// Builds a row of a joint plan for `activity`.
fn plan_row(activity: &str) -> Value {
    json!({
        "activity": activity,
        "completion_form": "Протокол",
        "deadline": "2027-03-01",
        "responsible": "Управление внутренней политики",
        "participants": "НПО области Ұлытау",
        "participation_form": "Очное участие"
    })
}

/// Adds both bodies to the ministry's register, which checks the bodies that NPOs and
/// officers name.
async fn register_bodies(app: &TestApp) {
    create_body(app, &body_input(BODY, "regional", Some(REGION), &["youth"])).await;
    create_body(
        app,
        &body_input(OTHER_BODY, "regional", Some(ASTANA), &["youth"]),
    )
    .await;
}

/// Registers two NPOs, changes the spheres and status of one and records a project of
/// the other. Returns the ids of the NPO with `NPO_BIN` and of the changed one.
async fn record_registry(app: &TestApp) -> (String, String) {
    let officer = app.officer(BODY);
    let npo = created(
        app,
        "/v1/npos",
        &officer,
        &json!({
            "bin": NPO_BIN,
            "name_ru": "Общественное объединение «Жастар әлемі»",
            "legal_form": "public_association",
            "territories": [REGION],
            "spheres": ["youth"],
            "source": "npo_representatives"
        }),
    )
    .await;
    let other = created(
        app,
        "/v1/npos",
        &officer,
        &json!({
            "bin": OTHER_NPO_BIN,
            "name_ru": "Фонд «Қамқорлық»",
            "legal_form": "public_foundation",
            "territories": [REGION],
            "spheres": ["youth"],
            "source": "npo_representatives"
        }),
    )
    .await;
    let (npo_id, other_id) = (id_of(&npo), id_of(&other));

    let updated = app
        .client
        .patch(app.url(&format!("/v1/npos/{other_id}")))
        .bearer_auth(&officer)
        .header("If-Match", "\"1\"")
        .json(&json!({
            "status": "suspended",
            "spheres": ["youth", "ecology"],
            "source": "registration_data"
        }))
        .send()
        .await
        .expect("the server responds");
    json_body(updated, StatusCode::OK).await;
    created(
        app,
        &format!("/v1/npos/{npo_id}/projects"),
        &officer,
        &json!({
            "name": "Школа волонтёров",
            "starts_on": "2024-02-01",
            "ends_on": "2024-11-30",
            "sphere": "youth",
            "territory": REGION
        }),
    )
    .await;
    (npo_id, other_id)
}

/// Creates a needs assessment with two priorities, withdraws one and publishes it.
async fn record_assessment(app: &TestApp) {
    let officer = app.officer(BODY);
    let assessment = created(app, "/v1/needs-assessments", &officer, &assessment_body()).await;
    let path = format!("/v1/needs-assessments/{}", id_of(&assessment));
    let priorities = format!("{path}/priorities");
    created(
        app,
        &priorities,
        &officer,
        &priority_body("Не хватает мест в кружках"),
    )
    .await;
    let dropped = created(app, &priorities, &officer, &priority_body("Нет секций")).await;

    let withdrawn = app
        .client
        .delete(app.url(&format!("{priorities}/{}", id_of(&dropped))))
        .bearer_auth(&officer)
        .send()
        .await
        .expect("the server responds");
    assert!(
        withdrawn.status().is_success(),
        "the priority is withdrawn: {}",
        withdrawn.status()
    );
    for status in ["collecting", "analysed", "published"] {
        change(app, &path, "status", &officer, &json!({"status": status})).await;
    }
}

/// Approves a joint plan and changes it once, then moves a joint action with the NPO
/// `npo_id` as a party from draft to in progress.
async fn record_joint_work(app: &TestApp, npo_id: &str) {
    let officer = app.officer(BODY);
    let plan = post_as(
        app,
        "/v1/joint-plans",
        &officer,
        None,
        &json!({"title": "Совместный план на 2027 год", "rows": [plan_row("Круглый стол с НПО")]}),
    )
    .await;
    let draft_etag = etag_of(&plan);
    let plan_path = format!(
        "/v1/joint-plans/{}",
        id_of(&json_body(plan, StatusCode::CREATED).await)
    );
    let approval = format!("{plan_path}/approval");
    let approved = post_as(app, &approval, &officer, Some(&draft_etag), &json!({})).await;
    let approved_etag = etag_of(&approved);
    json_body(approved, StatusCode::OK).await;
    let changed = app
        .client
        .put(app.url(&format!("{plan_path}/rows")))
        .bearer_auth(&officer)
        .header("If-Match", approved_etag)
        .json(&json!({"rows": [plan_row("Круглый стол с НПО"), plan_row("Форум волонтёров")]}))
        .send()
        .await
        .expect("the server responds");
    json_body(changed, StatusCode::OK).await;

    let action = created(
        app,
        "/v1/joint-actions",
        &officer,
        &json!({
            "title": "Летний лагерь для подростков",
            "initiator": "officer",
            "spheres": ["youth"],
            "territory": REGION,
            "goals": ["Организовать летний отдых подростков"],
            "tasks": ["Провести три смены лагеря"]
        }),
    )
    .await;
    let action_path = format!("/v1/joint-actions/{}", id_of(&action));
    let parties = format!("{action_path}/parties");
    let npo_party = json!({
        "kind": "npo",
        "npo_id": npo_id,
        "zone_of_responsibility": "Набор участников",
        "representative": "Ерлан Мұханов",
        "consent_on": "2026-11-20",
        "consent_document": "Письмо №12"
    });
    created(app, &parties, &officer, &npo_party).await;
    let body_party = json!({
        "kind": "government_body",
        "name": "Управление внутренней политики области Ұлытау",
        "zone_of_responsibility": "Помещение и транспорт",
        "representative": "Айгерим Сейтова"
    });
    created(app, &parties, &officer, &body_party).await;
    let step = json!({
        "order": 1,
        "title": "Подготовка программы смен",
        "deadline": "2027-06-01",
        "expected_result": "Программа смен утверждена"
    });
    created(app, &format!("{action_path}/steps"), &officer, &step).await;
    for status in ["agreed", "in_progress"] {
        change(
            app,
            &action_path,
            "status",
            &officer,
            &json!({"status": status}),
        )
        .await;
    }
}

/// Receives two recommendations from the NPO, decides one and forwards the other, and
/// records a consultation, an officer request and a reception request. Returns the id
/// of the decided recommendation.
async fn record_exchanges(app: &TestApp, npo_id: &str) -> String {
    let officer = app.officer(BODY);
    let npo = app.token(Role::Npo, None, Some(NPO_BIN));
    let recommendation = json!({
        "government_body": BODY,
        "sphere": "youth",
        "text": "Открыть молодёжный центр в посёлке Жезды",
        "contacts": {"name": "Ерлан Мұханов", "email": "erlan@example.kz"}
    });
    let decided = id_of(&created(app, "/v1/recommendations", &npo, &recommendation).await);
    let forwarded = id_of(&created(app, "/v1/recommendations", &npo, &recommendation).await);
    change(
        app,
        &format!("/v1/recommendations/{decided}"),
        "decision",
        &officer,
        &json!({"handling": "included_in_plans"}),
    )
    .await;
    change(
        app,
        &format!("/v1/recommendations/{forwarded}"),
        "forwarding",
        &officer,
        &json!({"to_body": OTHER_BODY}),
    )
    .await;

    let consultation = json!({
        "direction": "given",
        "held_on": "2026-11-10",
        "counterpart": "Жастар әлемі",
        "npo_id": npo_id,
        "sphere": "youth",
        "question": "Подготовка заявки на грант",
        "form": "консультация"
    });
    created(app, "/v1/consultations", &officer, &consultation).await;
    let deadline = (common_models::time::today() + chrono::Days::new(7)).to_string();
    let request = json!({
        "to_body": OTHER_BODY,
        "question": "Сколько НПО работает с молодежью в вашем регионе?",
        "sphere": "youth",
        "format": "письмо",
        "deadline": deadline
    });
    created(app, "/v1/officer-requests", &officer, &request).await;
    let reception = json!({"government_body": BODY, "topic": "Аренда помещения"});
    created(app, "/v1/reception-requests", &npo, &reception).await;
    decided
}

/// Makes changes in every service through its public API.
async fn record_activity(app: &TestApp) -> Activity {
    register_bodies(app).await;
    let (npo_id, updated_npo) = record_registry(app).await;
    record_assessment(app).await;
    record_joint_work(app, &npo_id).await;
    let decided_recommendation = record_exchanges(app, &npo_id).await;
    Activity {
        decided_recommendation,
        updated_npo,
    }
}

/// Reads the whole event log of `service` as the ministry.
async fn event_log(app: &TestApp, service: &str) -> Vec<EventEnvelope> {
    let mut events = Vec::new();
    let mut after = 0;
    loop {
        let path = format!("/v1/events/{service}?after={after}&limit=1000");
        let page = json_body(get(app, &path, Some(&app.ministry())).await, StatusCode::OK).await;
        let items = page["items"].as_array().expect("a page with items");
        if items.is_empty() {
            return events;
        }
        for item in items {
            let event = serde_json::from_value(item["event"].clone()).expect("an event envelope");
            events.push(event);
        }
        after = page["next_after"].as_i64().expect("a next position");
    }
}

/// Reads the event log of every source, in the order of `SOURCES`.
async fn event_logs(app: &TestApp) -> Vec<(&'static str, Vec<EventEnvelope>)> {
    let mut logs = Vec::new();
    for service in SOURCES {
        logs.push((service, event_log(app, service).await));
    }
    logs
}

/// Returns the kind of the record an event of `event_type` describes and the payload
/// field that contains its id. Returns `None` for events the read models do not keep.
fn record_of(event_type: &str) -> Option<(&'static str, &'static str)> {
    let (kind, field) = match event_type {
        "registry.npo.registered" | "registry.npo.updated" | "registry.npo.status_changed" => {
            ("npo", "npo_id")
        }
        "registry.npo.merged" => ("npo", "merged_id"),
        "registry.project.recorded" => ("project", "project_id"),
        "registry.campaign.recorded" => ("campaign", "campaign_id"),
        "needs.priority.identified" | "needs.priority.withdrawn" => ("priority", "priority_id"),
        "needs.assessment.published" => ("assessment", "assessment_id"),
        "joint_actions.plan.approved" | "joint_actions.plan.changed" => ("plan", "plan_id"),
        "joint_actions.meeting.recorded" => ("meeting", "meeting_id"),
        "joint_actions.action.state_changed" => ("action", "action_id"),
        "joint_actions.monitoring.changed" => ("monitoring", "action_id"),
        "joint_actions.evaluation.completed" => ("evaluation", "action_id"),
        "recommendations.consultation.recorded" => ("consultation", "consultation_id"),
        "recommendations.officer_request.sent" | "recommendations.officer_request.answered" => {
            ("officer_request", "request_id")
        }
        "recommendations.reception.requested" | "recommendations.reception.appointed" => {
            ("reception", "request_id")
        }
        other if other.starts_with("recommendations.recommendation.") => {
            ("recommendation", "recommendation_id")
        }
        _ => return None,
    };
    Some((kind, field))
}

/// Returns the records the events of `logs` describe, as (kind, id): the read models
/// hold one record for each.
fn described_records(logs: &[(&str, Vec<EventEnvelope>)]) -> BTreeSet<(String, String)> {
    let mut records = BTreeSet::new();
    for event in logs.iter().flat_map(|(_, events)| events) {
        let Some((kind, field)) = record_of(&event.event_type) else {
            continue;
        };
        let id = event.payload[field]
            .as_str()
            .expect("the event names its record");
        records.insert((kind.to_owned(), id.to_owned()));
        if event.event_type == "needs.assessment.published" {
            let published = event.payload["priorities"]
                .as_array()
                .expect("a list of priorities");
            for priority in published {
                let id = priority["priority_id"].as_str().expect("a priority id");
                records.insert(("priority".to_owned(), id.to_owned()));
            }
        }
    }
    records
}

/// Reads the digest of the read models as the ministry.
async fn read_digest(app: &TestApp) -> Value {
    let response = get(app, "/v1/read-models/digest", Some(&app.ministry())).await;
    json_body(response, StatusCode::OK).await
}

/// Waits until the read models hold `expected` records and stay unchanged for `SETTLE`,
/// and returns their digest.
async fn settled_digest(app: &TestApp, expected: usize) -> Value {
    let started = Instant::now();
    let mut last = read_digest(app).await;
    let mut unchanged_since = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let digest = read_digest(app).await;
        if digest != last {
            last = digest;
            unchanged_since = Instant::now();
        } else if last["records"] == expected && unchanged_since.elapsed() >= SETTLE {
            return last;
        }
        assert!(
            started.elapsed() < SETTLE_TIMEOUT,
            "the read models did not settle at {expected} records within {} s; the last \
             digest was {last}",
            SETTLE_TIMEOUT.as_secs()
        );
    }
}

/// Rebuilds the read models as the ministry, failing the test unless it succeeded.
async fn rebuild(app: &TestApp) -> Value {
    let response = post_as(
        app,
        "/v1/read-models/rebuild",
        &app.ministry(),
        None,
        &json!({}),
    )
    .await;
    json_body(response, StatusCode::OK).await
}

/// Makes changes in every service and waits until the read models hold a record for
/// every one. Returns the ids of the changes, the event logs and the digest.
async fn built_read_models(
    app: &TestApp,
) -> (Activity, Vec<(&'static str, Vec<EventEnvelope>)>, Value) {
    let activity = record_activity(app).await;
    let logs = event_logs(app).await;
    let records = described_records(&logs);
    let digest = settled_digest(app, records.len()).await;
    (activity, logs, digest)
}

/// Registers one more NPO and waits until the read models hold `records` records. The
/// consumer takes events in the order they were published, so every event published
/// before the registration has been handled then.
async fn registered_after(app: &TestApp, records: usize) -> Value {
    let npo = json!({
        "name_ru": "Ассоциация экологов Ұлытау",
        "legal_form": "public_association",
        "source": "media"
    });
    created(app, "/v1/npos", &app.officer(BODY), &npo).await;
    settled_digest(app, records).await
}

/// Returns the event of `event_type` about `id` from `log`.
fn event_about<'a>(log: &'a [EventEnvelope], event_type: &str, id: &str) -> &'a EventEnvelope {
    log.iter()
        .find(|event| event.event_type == event_type && event.payload.to_string().contains(id))
        .unwrap_or_else(|| panic!("the log has no {event_type} event about {id}"))
}

/// Returns a copy of `event` as a producer could publish it late: a new id and a time
/// an hour before the original's.
fn older_copy(event: &EventEnvelope) -> EventEnvelope {
    let mut copy = event.clone();
    copy.id = Uuid::now_v7();
    copy.occurred_at -= chrono::Duration::hours(1);
    copy
}

/// Returns copies of the events of `log` about the NPO `npo_id`, in the log's order,
/// describing a new NPO instead: each copy has a new id and names the new NPO.
fn events_of_new_npo(log: &[EventEnvelope], npo_id: &str) -> Vec<EventEnvelope> {
    let new_npo = Uuid::now_v7().to_string();
    log.iter()
        .filter(|event| {
            event.event_type.starts_with("registry.npo.") && event.payload["npo_id"] == npo_id
        })
        .map(|event| {
            let mut copy = event.clone();
            copy.id = Uuid::now_v7();
            copy.payload["npo_id"] = json!(new_npo);
            copy
        })
        .collect()
}

backend_tests! {
    services: ALL_SERVICES;

    async fn rebuild_equals_incremental_build(app) {
        let (_, logs, incremental) = built_read_models(&app).await;

        let report = rebuild(&app).await;

        let kinds: BTreeSet<String> = described_records(&logs).into_iter().map(|(kind, _)| kind).collect();
        for kind in ["npo", "project", "assessment", "priority", "plan", "action", "recommendation"] {
            assert!(kinds.contains(kind), "the event logs describe no {kind}: {kinds:?}");
        }
        assert_eq!(report["digest"]["records"], incremental["records"]);
        assert_eq!(report["digest"]["sha256"], incremental["sha256"]);
        let sources = report["sources"].as_array().expect("a list of sources");
        assert_eq!(sources.len(), SOURCES.len(), "{report}");
        for ((service, log), source) in logs.iter().zip(sources) {
            assert_eq!(source["service"], *service);
            assert_eq!(source["events"], log.len(), "events of {service}");
        }
        let kept = logs
            .iter()
            .flat_map(|(_, log)| log)
            .filter(|event| ::aggregation::readmodel::EVENT_TYPES.contains(&event.event_type.as_str()))
            .count();
        assert_eq!(report["applied"], kept);
        assert_eq!(report["skipped"], json!([]));
        assert_eq!(read_digest(&app).await, incremental);
    }

    async fn audit_records_rebuild(app) {
        rebuild(&app).await;

        let page = json_body(
            get(&app, "/v1/audit/aggregation?entity=read_models", Some(&app.ministry())).await,
            StatusCode::OK,
        )
        .await;

        let entries = page["items"].as_array().expect("a page of entries");
        assert_eq!(entries.len(), 1, "{page}");
        assert_eq!(entries[0]["action"], "rebuilt");
        assert_eq!(entries[0]["actor"], "test-ministry");
        assert_eq!(entries[0]["entity_id"], "aggregation.read-models");
        assert!(entries[0]["government_body"].is_null());
    }

    async fn second_rebuild_gives_same_digest(app) {
        let (_, _, incremental) = built_read_models(&app).await;

        let first = rebuild(&app).await;
        let second = rebuild(&app).await;

        assert_eq!(first["digest"], incremental);
        assert_eq!(second["digest"], first["digest"]);
        assert_eq!(second["sources"], first["sources"]);
        assert_eq!(second["applied"], first["applied"]);
        assert_eq!(read_digest(&app).await, incremental);
    }

    async fn redelivered_events_change_nothing(app) {
        let (_, logs, before) = built_read_models(&app).await;
        let records = before["records"].as_u64().expect("a record count") as usize;

        for event in logs.iter().flat_map(|(_, log)| log) {
            app.publish(event).await;
        }
        let incremental = registered_after(&app, records + 1).await;

        let rebuilt = rebuild(&app).await;
        assert_ne!(incremental, before, "the registration after the redelivery arrived");
        assert_eq!(rebuilt["digest"], incremental);
    }

    async fn older_state_changes_nothing(app) {
        let (activity, logs, before) = built_read_models(&app).await;
        let records = before["records"].as_u64().expect("a record count") as usize;
        let registry_log = &logs[0].1;
        let recommendations_log = &logs[3].1;
        let received = event_about(
            recommendations_log,
            "recommendations.recommendation.received",
            &activity.decided_recommendation,
        );
        let registered = event_about(registry_log, "registry.npo.registered", &activity.updated_npo);
        let updated = event_about(registry_log, "registry.npo.updated", &activity.updated_npo);

        for event in [received, registered, updated] {
            app.publish(&older_copy(event)).await;
        }
        let incremental = registered_after(&app, records + 1).await;

        let rebuilt = rebuild(&app).await;
        assert_ne!(incremental, before, "the registration after the older events arrived");
        assert_eq!(rebuilt["digest"], incremental);
    }

    async fn reordered_npo_events_change_nothing(app) {
        let (activity, logs, before) = built_read_models(&app).await;
        let records = before["records"].as_u64().expect("a record count") as usize;
        let in_order = events_of_new_npo(&logs[0].1, &activity.updated_npo);
        let kinds: Vec<&str> = in_order.iter().map(|event| event.event_type.as_str()).collect();
        assert_eq!(kinds, ["registry.npo.registered", "registry.npo.updated", "registry.npo.status_changed"]);
        let mut reordered = in_order.clone();
        reordered[1..].reverse();

        for event in &in_order {
            app.publish(event).await;
        }
        let applied_in_order = settled_digest(&app, records + 1).await;
        let rebuilt = rebuild(&app).await;
        for event in &reordered {
            app.publish(event).await;
        }
        let applied_reordered = settled_digest(&app, records + 1).await;

        assert_eq!(rebuilt["digest"], before, "the rebuild drops the NPO that no event log holds");
        assert_eq!(applied_reordered, applied_in_order);
    }

    async fn rebuild_and_digest_need_ministry(app) {
        let officer = app.officer(BODY);
        let npo = app.token(Role::Npo, None, Some(NPO_BIN));

        for token in [&officer, &npo] {
            let rebuilt = post_as(&app, "/v1/read-models/rebuild", token, None, &json!({})).await;
            problem(rebuilt, StatusCode::FORBIDDEN).await;
            let digest = get(&app, "/v1/read-models/digest", Some(token)).await;
            problem(digest, StatusCode::FORBIDDEN).await;
        }
        let anonymous = app.client.post(app.url("/v1/read-models/rebuild")).json(&json!({})).send().await.unwrap();
        problem(anonymous, StatusCode::UNAUTHORIZED).await;
        let anonymous = get(&app, "/v1/read-models/digest", None).await;
        problem(anonymous, StatusCode::UNAUTHORIZED).await;
    }
}

/// Rebuilds with the needs service's address pointing at a closed port: the rebuild
/// fails with 503 naming the service, and the read models keep what they held.
async fn unreachable_source_fails_rebuild(backend: TestBackend) {
    let closed = [("LIAISON_SERVICE_URL_NEEDS", "http://127.0.0.1:9")];
    let Some(app) = TestApp::spawn_with(ALL_SERVICES, backend, &closed).await else {
        return;
    };
    record_registry(&app).await;
    let records = described_records(&event_logs(&app).await).len();
    let before = settled_digest(&app, records).await;

    let response = post_as(
        &app,
        "/v1/read-models/rebuild",
        &app.ministry(),
        None,
        &json!({}),
    )
    .await;

    let problem = problem(response, StatusCode::SERVICE_UNAVAILABLE).await;
    let detail = problem["detail"]
        .as_str()
        .expect("the problem has a detail");
    assert!(detail.contains("needs service"), "{detail}");
    assert_eq!(read_digest(&app).await, before);
    app.stop().await;
}

mod unreachable_source_answers_503 {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        unreachable_source_fails_rebuild(TestBackend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        unreachable_source_fails_rebuild(TestBackend::Postgres).await;
    }
}
