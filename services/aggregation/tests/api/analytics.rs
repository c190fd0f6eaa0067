use std::time::Duration;

use common_models::event::EventEnvelope;
use common_models::event::joint_actions::{ACTION_STATE_CHANGED, MONITORING_CHANGED};
use common_models::event::needs::{ASSESSMENT_PUBLISHED, PRIORITY_IDENTIFIED};
use common_models::event::recommendations::{
    RECOMMENDATION_CLOSED, RECOMMENDATION_DECIDED, RECOMMENDATION_FORWARDED,
    RECOMMENDATION_RECEIVED,
};
use common_models::event::registry::{NPO_MERGED, NPO_REGISTERED};
use reqwest::StatusCode;
use serde_json::{Value, json};
use service_kit::backend_tests;
use service_kit::testing::TestApp;

use crate::{
    ASTANA_YESIL, SERVICES, ULYTAU_DISTRICT, ULYTAU_REGION, ULYTAU_VILLAGE, body_input,
    create_body, create_district, get, json_body, pointers, problem,
};

/// KATO code of the city of Astana, the region of `ASTANA_YESIL`.
const ASTANA: &str = "710000000";

/// Publishes an event of `event_type` with `payload` as the service that owns the type
/// would, stamped now.
pub async fn publish(app: &TestApp, event_type: &str, payload: Value) {
    app.publish(&envelope(event_type, payload)).await;
}

/// Publishes an event of `event_type` with `payload` that happened at `at` (RFC 3339).
pub async fn publish_at(app: &TestApp, event_type: &str, payload: Value, at: &str) {
    let mut event = envelope(event_type, payload);
    event.occurred_at = common_models::time::parse_instant(at).expect("an RFC 3339 instant");
    app.publish(&event).await;
}

fn envelope(event_type: &str, payload: Value) -> EventEnvelope {
    let service = match event_type.split('.').next() {
        Some("joint_actions") => "joint-actions",
        Some(prefix) => prefix,
        None => "registry",
    };
    EventEnvelope::new(event_type, 1, service, payload)
}

/// Waits up to 20 s until the read models hold `count` records, so that every event
/// published before has been applied.
pub async fn await_records(app: &TestApp, count: u64) {
    let token = app.ministry();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let digest = json_body(
            get(app, "/v1/read-models/digest", Some(&token)).await,
            StatusCode::OK,
        )
        .await;
        if digest["records"] == count {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the read models hold {} records after 20 s, expected {count}",
            digest["records"]
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Reads `path` as `token`, failing the test unless the response is 200.
pub async fn read(app: &TestApp, path: &str, token: &str) -> Value {
    json_body(get(app, path, Some(token)).await, StatusCode::OK).await
}

fn npo(id: &str, status: &str, territories: &[&str], spheres: &[&str]) -> Value {
    json!({
        "npo_id": id,
        "bin": null,
        "name_ru": format!("НПО {id}"),
        "name_kk": null,
        "legal_form": "public_association",
        "status": status,
        "territories": territories,
        "spheres": spheres,
    })
}

fn priority(id: &str, body: &str, sphere: &str, territory: &str, risk_level: &str) -> Value {
    json!({
        "priority_id": id,
        "assessment_id": format!("assessment-of-{body}"),
        "government_body": body,
        "sphere": sphere,
        "territory": territory,
        "target_group": "youth",
        "risk_level": risk_level,
        "people_affected": 120,
    })
}

fn assessment(id: &str, body: &str, completed_on: Option<&str>, priorities: Vec<Value>) -> Value {
    json!({
        "assessment_id": id,
        "government_body": body,
        "spheres": ["youth", "ecology"],
        "territory": ULYTAU_REGION,
        "period_start": "2024-01-01",
        "period_end": "2024-12-31",
        "priorities": priorities,
        "participants": 40,
        "completed_on": completed_on,
    })
}

fn action(
    id: &str,
    body: &str,
    to: &str,
    spheres: &[&str],
    territory: &str,
    started_on: Option<&str>,
) -> Value {
    json!({
        "action_id": id,
        "government_body": body,
        "from": "agreed",
        "to": to,
        "npo_ids": [],
        "title": format!("Action {id}"),
        "spheres": spheres,
        "territory": territory,
        "started_on": started_on,
    })
}

/// Builds a monitoring plan of one row whose indicators are (target, actual, higher is
/// better).
fn monitoring(action_id: &str, body: &str, indicators: &[(f64, Option<f64>, bool)]) -> Value {
    let indicators: Vec<Value> = indicators
        .iter()
        .enumerate()
        .map(|(index, (target, actual, higher_is_better))| {
            json!({
                "name": format!("indicator {index}"),
                "unit": null,
                "target": target,
                "higher_is_better": higher_is_better,
                "actual": actual,
                "evidence": [],
            })
        })
        .collect();
    json!({
        "action_id": action_id,
        "government_body": body,
        "rows": [{
            "row_id": format!("{action_id}-row"),
            "activity": "Training",
            "frequency": "monthly",
            "indicators": indicators,
            "comments": null,
        }],
    })
}

/// Builds a recommendation received by `body` on `received_on`, still in work.
pub fn recommendation(id: &str, body: &str, received_on: &str) -> Value {
    json!({
        "recommendation_id": id,
        "government_body": body,
        "sphere": "youth",
        "npo_id": null,
        "status": "in_work",
        "received_on": received_on,
        "answered_on": null,
        "territory": ULYTAU_VILLAGE,
        "received_by": body,
    })
}

/// Returns the `count` of the entry of `list` whose `field` equals `value`.
fn count_of(list: &Value, field: &str, value: &str) -> Value {
    list.as_array()
        .expect("a list")
        .iter()
        .find(|entry| entry[field] == value)
        .map_or(Value::Null, |entry| entry["count"].clone())
}

/// Publishes four NPOs: two active ones in Ulytau (one in the village, one in the
/// whole region), one active in Astana, one inactive in Ulytau.
async fn publish_npos(app: &TestApp) {
    publish(
        app,
        NPO_REGISTERED,
        npo(
            "village",
            "active",
            &[ULYTAU_VILLAGE],
            &["youth", "ecology"],
        ),
    )
    .await;
    publish(
        app,
        NPO_REGISTERED,
        npo("whole-region", "active", &[ULYTAU_REGION], &["youth"]),
    )
    .await;
    publish(
        app,
        NPO_REGISTERED,
        npo("astana", "active", &[ASTANA_YESIL], &["youth"]),
    )
    .await;
    publish(
        app,
        NPO_REGISTERED,
        npo("dormant", "inactive", &[ULYTAU_DISTRICT], &["youth"]),
    )
    .await;
    await_records(app, 4).await;
}

backend_tests! {
    services: SERVICES;

    async fn npos_by_region_and_sphere(app) {
        publish_npos(&app).await;
        publish(&app, NPO_REGISTERED, npo("duplicate", "active", &[ULYTAU_VILLAGE], &["youth"])).await;
        await_records(&app, 5).await;
        publish(&app, NPO_MERGED, json!({"npo_id": "village", "merged_id": "duplicate"})).await;
        let token = app.ministry();
        let mut figures = read(&app, "/v1/analytics/npos", &token).await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while figures["total"] != 3 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
            figures = read(&app, "/v1/analytics/npos", &token).await;
        }

        assert_eq!(figures["total"], 3, "{figures}");
        assert_eq!(count_of(&figures["by_region"], "region", ULYTAU_REGION), 2);
        assert_eq!(count_of(&figures["by_region"], "region", ASTANA), 1);
        assert_eq!(figures["by_region"].as_array().unwrap().len(), 2);
        assert_eq!(count_of(&figures["by_sphere"], "sphere", "youth"), 3);
        assert_eq!(count_of(&figures["by_sphere"], "sphere", "ecology"), 1);
        assert_eq!(figures["filter"], json!({"year": null, "region": null, "sphere": null, "body": null}));
    }

    async fn npo_year_counts_local_registration_day(app) {
        // 19:30 UTC on 31 December is 00:30 on 1 January in Kazakhstan (UTC+5).
        publish_at(&app, NPO_REGISTERED, npo("new-year", "active", &[ULYTAU_VILLAGE], &["youth"]), "2024-12-31T19:30:00Z").await;
        publish_at(&app, NPO_REGISTERED, npo("old-year", "active", &[ULYTAU_VILLAGE], &["youth"]), "2024-12-31T18:30:00Z").await;
        await_records(&app, 2).await;
        let token = app.ministry();

        let of_2025 = read(&app, "/v1/analytics/npos?year=2025", &token).await;
        let of_2024 = read(&app, "/v1/analytics/npos?year=2024", &token).await;
        let of_2023 = read(&app, "/v1/analytics/npos?year=2023", &token).await;

        assert_eq!(of_2025["total"], 1);
        assert_eq!(of_2025["filter"]["year"], 2025);
        assert_eq!(of_2024["total"], 1);
        assert_eq!(of_2023["total"], 0);
    }

    async fn npo_region_includes_sub_territories(app) {
        publish_npos(&app).await;
        let token = app.ministry();

        let district = read(&app, &format!("/v1/analytics/npos?region={ULYTAU_DISTRICT}"), &token).await;
        let region = read(&app, &format!("/v1/analytics/npos?region={ULYTAU_REGION}"), &token).await;
        let astana = read(&app, &format!("/v1/analytics/npos?region={ASTANA}"), &token).await;

        assert_eq!(district["total"], 1, "only the village lies inside the district: {district}");
        assert_eq!(district["filter"]["region"], ULYTAU_DISTRICT);
        assert_eq!(region["total"], 2);
        assert_eq!(region["by_region"], json!([{"region": ULYTAU_REGION, "count": 2}]));
        assert_eq!(astana["total"], 1);
    }

    async fn npo_sphere_filter(app) {
        publish_npos(&app).await;

        let ecology = read(&app, "/v1/analytics/npos?sphere=ecology", &app.ministry()).await;

        assert_eq!(ecology["total"], 1);
        assert_eq!(ecology["by_sphere"], json!([{"sphere": "ecology", "count": 1}]));
        assert_eq!(ecology["by_region"], json!([{"region": ULYTAU_REGION, "count": 1}]));
    }

    async fn officer_reads_npos_of_own_area(app) {
        create_district(&app, "ulytau-district").await;
        publish_npos(&app).await;

        let figures = read(&app, "/v1/analytics/npos", &app.officer("ulytau-district")).await;

        assert_eq!(figures["total"], 2, "the village and the whole region: {figures}");
        assert_eq!(figures["filter"]["body"], "ulytau-district");
        assert_eq!(figures["by_sphere"], json!([{"sphere": "youth", "count": 2}]));
    }

    async fn priorities_by_risk_level(app) {
        publish(&app, PRIORITY_IDENTIFIED, priority("draft", "akimat", "youth", ULYTAU_VILLAGE, "high")).await;
        let published = vec![
            priority("p1", "akimat", "youth", ULYTAU_VILLAGE, "high"),
            priority("p2", "akimat", "youth", ASTANA_YESIL, "medium"),
            priority("p3", "akimat", "ecology", ULYTAU_DISTRICT, "low"),
        ];
        publish(&app, ASSESSMENT_PUBLISHED, assessment("a1", "akimat", Some("2025-03-01"), published)).await;
        await_records(&app, 5).await;

        let figures = read(&app, "/v1/analytics/priorities", &app.ministry()).await;

        assert_eq!(figures["total"], json!({"total": 3, "high": 1, "medium": 1, "low": 1}));
        assert_eq!(
            figures["by_region"],
            json!([
                {"region": ULYTAU_REGION, "total": 2, "high": 1, "medium": 0, "low": 1},
                {"region": ASTANA, "total": 1, "high": 0, "medium": 1, "low": 0},
            ])
        );
        assert_eq!(
            figures["by_sphere"],
            json!([
                {"sphere": "ecology", "total": 1, "high": 0, "medium": 0, "low": 1},
                {"sphere": "youth", "total": 2, "high": 1, "medium": 1, "low": 0},
            ])
        );
    }

    async fn priority_year_counts_publication(app) {
        let completed = vec![priority("p1", "akimat", "youth", ULYTAU_VILLAGE, "high")];
        let undated = vec![priority("p2", "akimat", "youth", ULYTAU_VILLAGE, "low")];
        publish_at(&app, ASSESSMENT_PUBLISHED, assessment("a1", "akimat", Some("2025-03-01"), completed), "2026-01-10T05:00:00Z").await;
        publish_at(&app, ASSESSMENT_PUBLISHED, assessment("a2", "akimat", None, undated), "2024-12-31T20:00:00Z").await;
        await_records(&app, 4).await;
        let token = app.ministry();

        let of_2025 = read(&app, "/v1/analytics/priorities?year=2025", &token).await;
        let of_2026 = read(&app, "/v1/analytics/priorities?year=2026", &token).await;

        assert_eq!(of_2025["total"], json!({"total": 2, "high": 1, "medium": 0, "low": 1}));
        assert_eq!(of_2026["total"]["total"], 0);
    }

    async fn priority_sphere_and_region_filters(app) {
        let published = vec![
            priority("p1", "akimat", "youth", ULYTAU_VILLAGE, "high"),
            priority("p2", "akimat", "youth", ASTANA_YESIL, "medium"),
            priority("p3", "akimat", "ecology", ULYTAU_DISTRICT, "low"),
        ];
        publish(&app, ASSESSMENT_PUBLISHED, assessment("a1", "akimat", None, published)).await;
        await_records(&app, 4).await;
        let token = app.ministry();

        let youth = read(&app, "/v1/analytics/priorities?sphere=youth", &token).await;
        let district = read(&app, &format!("/v1/analytics/priorities?region={ULYTAU_DISTRICT}"), &token).await;

        assert_eq!(youth["total"], json!({"total": 2, "high": 1, "medium": 1, "low": 0}));
        assert_eq!(district["total"], json!({"total": 2, "high": 1, "medium": 0, "low": 1}));
    }

    async fn officer_reads_own_priorities(app) {
        create_district(&app, "ulytau-district").await;
        create_district(&app, "other-district").await;
        publish(&app, ASSESSMENT_PUBLISHED, assessment("a1", "ulytau-district", None, vec![priority("p1", "ulytau-district", "youth", ULYTAU_VILLAGE, "high")])).await;
        publish(&app, ASSESSMENT_PUBLISHED, assessment("a2", "other-district", None, vec![priority("p2", "other-district", "youth", ULYTAU_VILLAGE, "low")])).await;
        await_records(&app, 4).await;
        let officer = app.officer("ulytau-district");

        let own = read(&app, "/v1/analytics/priorities", &officer).await;
        let named = read(&app, "/v1/analytics/priorities?body=ulytau-district", &officer).await;
        let other = get(&app, "/v1/analytics/priorities?body=other-district", Some(&officer)).await;
        let by_ministry = read(&app, "/v1/analytics/priorities?body=other-district", &app.ministry()).await;

        assert_eq!(own["total"], json!({"total": 1, "high": 1, "medium": 0, "low": 0}));
        assert_eq!(own["filter"]["body"], "ulytau-district");
        assert_eq!(named["total"], own["total"]);
        problem(other, StatusCode::FORBIDDEN).await;
        assert_eq!(by_ministry["total"], json!({"total": 1, "high": 0, "medium": 0, "low": 1}));
    }

    async fn joint_actions_statuses_and_indicators(app) {
        publish(&app, ACTION_STATE_CHANGED, action("a1", "akimat", "in_progress", &["youth"], ULYTAU_VILLAGE, Some("2025-02-01"))).await;
        publish(&app, ACTION_STATE_CHANGED, action("a2", "akimat", "completed", &["ecology"], ASTANA_YESIL, Some("2025-03-01"))).await;
        publish(&app, MONITORING_CHANGED, monitoring("a1", "akimat", &[(10.0, Some(12.0), true), (5.0, Some(7.0), false), (3.0, None, true)])).await;
        publish(&app, MONITORING_CHANGED, monitoring("a2", "akimat", &[(1.0, Some(1.0), true)])).await;
        await_records(&app, 4).await;
        let token = app.ministry();

        let figures = read(&app, "/v1/analytics/joint-actions", &token).await;
        let youth = read(&app, "/v1/analytics/joint-actions?sphere=youth", &token).await;

        assert_eq!(figures["actions"], 2);
        assert_eq!(figures["statuses"]["in_progress"], 1);
        assert_eq!(figures["statuses"]["completed"], 1);
        assert_eq!(figures["statuses"]["draft"], 0);
        assert_eq!(figures["indicators"], json!({"total": 4, "measured": 3, "met": 2}));
        let regions = figures["by_region"].as_array().unwrap();
        assert_eq!(regions.len(), 2);
        assert_eq!(regions[0]["region"], ULYTAU_REGION);
        assert_eq!(regions[0]["actions"], 1);
        assert_eq!(regions[0]["indicators"], json!({"total": 3, "measured": 2, "met": 1}));
        assert_eq!(regions[1]["region"], ASTANA);
        assert_eq!(regions[1]["statuses"]["completed"], 1);
        assert_eq!(youth["actions"], 1);
        assert_eq!(youth["indicators"], json!({"total": 3, "measured": 2, "met": 1}));
        assert_eq!(youth["by_sphere"].as_array().unwrap().len(), 1);
    }

    async fn joint_action_year_counts_start(app) {
        publish(&app, ACTION_STATE_CHANGED, action("a1", "akimat", "in_progress", &["youth"], ULYTAU_VILLAGE, Some("2025-02-01"))).await;
        // Without a start day the action counts on the local day of its change: 1 January 2025.
        publish_at(&app, ACTION_STATE_CHANGED, json!({
            "action_id": "a2", "government_body": "akimat", "from": "draft", "to": "agreed", "npo_ids": []
        }), "2024-12-31T20:00:00Z").await;
        publish(&app, ACTION_STATE_CHANGED, action("a3", "akimat", "in_progress", &["youth"], ULYTAU_VILLAGE, Some("2024-06-01"))).await;
        publish(&app, MONITORING_CHANGED, monitoring("a3", "akimat", &[(1.0, Some(2.0), true)])).await;
        await_records(&app, 4).await;
        let token = app.ministry();

        let of_2025 = read(&app, "/v1/analytics/joint-actions?year=2025", &token).await;
        let of_2024 = read(&app, "/v1/analytics/joint-actions?year=2024", &token).await;

        assert_eq!(of_2025["actions"], 2);
        assert_eq!(of_2025["statuses"]["agreed"], 1);
        assert_eq!(of_2025["indicators"]["total"], 0);
        assert_eq!(of_2024["actions"], 1);
        assert_eq!(of_2024["indicators"], json!({"total": 1, "measured": 1, "met": 1}));
    }

    async fn joint_action_region_filter(app) {
        publish(&app, ACTION_STATE_CHANGED, action("a1", "akimat", "in_progress", &["youth"], ULYTAU_VILLAGE, Some("2025-02-01"))).await;
        publish(&app, ACTION_STATE_CHANGED, action("a2", "akimat", "completed", &["youth"], ASTANA_YESIL, Some("2025-03-01"))).await;
        await_records(&app, 2).await;

        let district = read(&app, &format!("/v1/analytics/joint-actions?region={ULYTAU_DISTRICT}"), &app.ministry()).await;

        assert_eq!(district["actions"], 1);
        assert_eq!(district["statuses"]["in_progress"], 1);
        assert_eq!(district["statuses"]["completed"], 0);
    }

    async fn recommendation_funnel(app) {
        let mut answered = recommendation("r1", "akimat", "2025-01-10");
        answered["status"] = json!("closed");
        answered["decided_on"] = json!("2025-01-14");
        answered["handling"] = json!("accepted");
        answered["answered_on"] = json!("2025-01-20");
        let mut forwarded = recommendation("r2", "other-akimat", "2025-01-10");
        forwarded["received_by"] = json!("akimat");
        forwarded["forwarded_from"] = json!("akimat");
        forwarded["forwarded_on"] = json!("2025-01-12");
        forwarded["status"] = json!("rejected");
        forwarded["decided_on"] = json!("2025-01-20");
        let waiting = recommendation("r3", "other-akimat", "2025-02-01");
        let last_year = recommendation("r4", "akimat", "2024-12-31");
        publish(&app, RECOMMENDATION_CLOSED, answered).await;
        publish(&app, RECOMMENDATION_FORWARDED, forwarded).await;
        publish(&app, RECOMMENDATION_RECEIVED, waiting).await;
        publish(&app, RECOMMENDATION_DECIDED, last_year).await;
        await_records(&app, 4).await;
        let token = app.ministry();

        let of_2025 = read(&app, "/v1/analytics/recommendations?year=2025", &token).await;
        let all = read(&app, "/v1/analytics/recommendations", &token).await;

        assert_eq!(of_2025["received"], 3);
        assert_eq!(of_2025["forwarded"], 1);
        assert_eq!(of_2025["decided"], 2);
        assert_eq!(of_2025["feedback_given"], 1);
        assert_eq!(of_2025["median_days_to_decision"], 7.0);
        assert_eq!(of_2025["median_days_to_feedback"], 10.0);
        assert_eq!(all["received"], 4);
    }

    async fn recommendation_funnel_of_body(app) {
        create_body(&app, &body_input("akimat", "regional", Some(ULYTAU_REGION), &["youth"])).await;
        let mut answered = recommendation("r1", "akimat", "2025-01-10");
        answered["decided_on"] = json!("2025-01-14");
        answered["answered_on"] = json!("2025-01-20");
        let mut forwarded = recommendation("r2", "other-akimat", "2025-01-10");
        forwarded["received_by"] = json!("akimat");
        forwarded["forwarded_from"] = json!("akimat");
        forwarded["forwarded_on"] = json!("2025-01-12");
        forwarded["decided_on"] = json!("2025-01-20");
        publish(&app, RECOMMENDATION_DECIDED, answered).await;
        publish(&app, RECOMMENDATION_FORWARDED, forwarded).await;
        publish(&app, RECOMMENDATION_RECEIVED, recommendation("r3", "other-akimat", "2025-02-01")).await;
        await_records(&app, 3).await;

        let figures = read(&app, "/v1/analytics/recommendations?body=akimat", &app.ministry()).await;

        assert_eq!(figures["received"], 2);
        assert_eq!(figures["forwarded"], 1);
        assert_eq!(figures["decided"], 1);
        assert_eq!(figures["feedback_given"], 1);
        assert_eq!(figures["median_days_to_decision"], 4.0);
    }

    async fn recommendation_sphere_filter(app) {
        let mut ecology = recommendation("r1", "akimat", "2025-01-10");
        ecology["sphere"] = json!("ecology");
        publish(&app, RECOMMENDATION_RECEIVED, ecology).await;
        publish(&app, RECOMMENDATION_RECEIVED, recommendation("r2", "akimat", "2025-01-10")).await;
        await_records(&app, 2).await;

        let figures = read(&app, "/v1/analytics/recommendations?sphere=ecology", &app.ministry()).await;

        assert_eq!(figures["received"], 1);
        assert_eq!(figures["median_days_to_decision"], Value::Null);
    }

    async fn analytics_requires_token(app) {
        for path in ["/v1/analytics/npos", "/v1/analytics/priorities", "/v1/analytics/joint-actions", "/v1/analytics/recommendations", "/v1/analytics/compliance"] {
            problem(get(&app, path, None).await, StatusCode::UNAUTHORIZED).await;
            let npo_user = app.token(service_kit::Role::Npo, None, Some("940140000385"));
            problem(get(&app, path, Some(&npo_user)).await, StatusCode::FORBIDDEN).await;
        }
    }

    async fn officer_of_other_body_forbidden(app) {
        create_district(&app, "ulytau-district").await;
        create_district(&app, "other-district").await;
        let officer = app.officer("ulytau-district");

        for path in ["/v1/analytics/npos", "/v1/analytics/priorities", "/v1/analytics/joint-actions", "/v1/analytics/recommendations"] {
            let response = get(&app, &format!("{path}?body=other-district"), Some(&officer)).await;
            problem(response, StatusCode::FORBIDDEN).await;
            read(&app, path, &officer).await;
        }
        let unregistered = app.officer("unregistered-body");
        problem(get(&app, "/v1/analytics/npos", Some(&unregistered)).await, StatusCode::FORBIDDEN).await;
    }

    async fn invalid_filters_rejected(app) {
        let token = app.ministry();
        let cases = [
            ("sphere=astronomy", "#/query/sphere"),
            ("region=62000000X", "#/query/region"),
            ("region=990000000", "#/query/region"),
            ("year=1999", "#/query/year"),
            ("year=twenty", "#/query/year"),
            ("body=no-such-body", "#/query/body"),
            ("color=red", "#/query/color"),
        ];

        for (query, pointer) in cases {
            for path in ["/v1/analytics/npos", "/v1/analytics/priorities", "/v1/analytics/joint-actions", "/v1/analytics/recommendations"] {
                let response = get(&app, &format!("{path}?{query}"), Some(&token)).await;
                let problem = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
                assert_eq!(pointers(&problem), vec![pointer], "{path}?{query}");
            }
        }
    }
}
