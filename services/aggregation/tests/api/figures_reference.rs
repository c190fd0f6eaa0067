//! The NPO, priority, joint action and recommendation figures that the service counts
//! from its in-memory snapshot against their definitions (`domain::analytics`) applied
//! to records read from the database, on generated read models and for every
//! combination of the filters. The records are written through another connection
//! than the server's, as another process would write them.

use std::collections::{HashMap, HashSet};

use aggregation::domain::analytics::{
    Counted, Filter, JointActionFigures, NpoFacts, PUBLISHED, PriorityFigures,
    RecommendationFigures, RegisteredBody, Territory, joint_action_figures, npo_figures,
    priority_figures, recommendation_figures,
};
use aggregation::readmodel::{self, Dimension, GONE, Kind, Record};
use aggregation::schema::{read_record_tags as tags, read_records as records};
use aggregation::store::analytics::records_in;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use common_models::event::EventEnvelope;
use common_models::event::joint_actions::{
    ACTION_STATE_CHANGED, ActionStateChanged, MONITORING_CHANGED, MonitoringChanged,
};
use common_models::event::needs::{
    ASSESSMENT_PUBLISHED, AssessmentPublished, PRIORITY_IDENTIFIED, PRIORITY_WITHDRAWN,
    PriorityIdentified, PriorityWithdrawn,
};
use common_models::event::recommendations::{RECOMMENDATION_RECEIVED, RecommendationChanged};
use common_models::event::registry::{
    NPO_MERGED, NPO_REGISTERED, NPO_STATUS_CHANGED, NPO_UPDATED, NpoMerged, NpoRegistered,
    NpoStatusChanged, NpoUpdated,
};
use common_models::{Catalogue, KatoCode, Sphere};
use diesel::prelude::*;
use serde_json::json;
use service_kit::testing::TestApp;
use service_kit::{AnyConnection, Database, StoreError, backend_tests};

use crate::analytics::read;
use crate::{SERVICES, body_input, create_body};

/// NPOs registered by events; a few more records are written without a day.
const NPOS: usize = 400;

/// Statuses of the registry's catalogue; only `active` counts.
const STATUSES: &[&str] = &[
    "active",
    "active",
    "active",
    "inactive",
    "suspended",
    "liquidated",
];

/// Regions whose territories the generated NPOs mostly work in: Ulytau, Astana and
/// Abai, where Kosshy has settlements directly under the district.
const DENSE_REGIONS: &[&str] = &["62", "71", "1116"];

/// Region filters: a region, a district, a rural district, a settlement, a city of
/// republican significance, and a district with a settlement directly under it.
const REGIONS: &[Option<&str>] = &[
    None,
    Some("620000000"),
    Some("623800000"),
    Some("623830000"),
    Some("623830100"),
    Some("710000000"),
    Some("111600000"),
];

const SPHERES: &[Option<&str>] = &[None, Some("youth"), Some("ecology")];

/// Years with many NPOs, the first of the generated range, and one without any.
const YEARS: &[Option<i32>] = &[None, Some(2019), Some(2024), Some(2025), Some(2001)];

/// Bodies of the register: (id, level, territory, spheres).
const BODIES: &[(&str, &str, Option<&str>, &[&str])] = &[
    (
        "ministry",
        "central",
        None,
        &["youth", "ecology", "culture"],
    ),
    (
        "ulytau-region",
        "regional",
        Some("620000000"),
        &["youth", "education"],
    ),
    (
        "ulytau-district",
        "district",
        Some("623800000"),
        &["youth", "social_protection"],
    ),
    ("kosshy", "district", Some("111600000"), &["ecology"]),
];

/// SplitMix64, so that a failing case is generated again on the next run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound as u64) as usize
    }

    fn percent(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Returns KATO codes of the bundled classifier at every level: all of the dense
/// regions and every 40th code of the others.
fn territory_pool() -> Vec<String> {
    let text = std::str::from_utf8(registry::territories::BUNDLED_KATO).expect("UTF-8");
    text.lines()
        .skip(1)
        .filter_map(|line| line.split(';').nth(2))
        .map(|code| code.trim().to_owned())
        .filter(|code| KatoCode::parse(code).is_ok())
        .enumerate()
        .filter(|(index, code)| {
            index % 40 == 0 || DENSE_REGIONS.iter().any(|prefix| code.starts_with(prefix))
        })
        .map(|(_, code)| code)
        .collect()
}

fn pick_territories(rng: &mut Rng, pool: &[String]) -> Vec<String> {
    let count = match rng.below(100) {
        0..5 => 0,
        5..70 => 1,
        70..92 => 2,
        _ => 3,
    };
    let mut picked: Vec<String> = Vec::new();
    for _ in 0..count {
        // Some NPOs work in a whole region or district, as the registry allows, and
        // the territories of the filters come up more often.
        let code = match rng.below(12) {
            0 => "620000000".to_owned(),
            1 => "623800000".to_owned(),
            2 => "623830100".to_owned(),
            3 => "111600100".to_owned(),
            _ => rng.pick(pool).clone(),
        };
        if !picked.contains(&code) {
            picked.push(code);
        }
    }
    picked
}

fn pick_spheres(rng: &mut Rng) -> Vec<String> {
    let count = match rng.below(100) {
        0..5 => 0,
        5..60 => 1,
        60..90 => 2,
        _ => 3,
    };
    let mut picked: Vec<String> = Vec::new();
    for _ in 0..count {
        // Youth and ecology, the spheres of the filters, come up more often.
        let code = match rng.below(4) {
            0 => "youth",
            1 => "ecology",
            _ => rng.pick(Sphere::all()).code(),
        };
        if !picked.iter().any(|held| held == code) {
            picked.push(code.to_owned());
        }
    }
    picked
}

fn event_at(event_type: &str, payload: impl serde::Serialize, at: DateTime<Utc>) -> EventEnvelope {
    let payload = serde_json::to_value(payload).expect("a payload serializes");
    let mut event = EventEnvelope::new(event_type, 1, "registry", payload);
    event.occurred_at = at;
    event
}

/// Generates the registry's events about `NPOS` NPOs in the order they happened:
/// registrations from 2019 to 2025, at times of day that fall on the next local day
/// too, then updates of territories and spheres, status changes and merges.
fn npo_events(seed: u64) -> Vec<EventEnvelope> {
    let mut rng = Rng(seed);
    let pool = territory_pool();
    let first = Utc.with_ymd_and_hms(2019, 1, 1, 0, 0, 0).unwrap();
    let span_minutes = (Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() - first).num_minutes();
    let mut events = Vec::new();
    for index in 0..NPOS {
        let registered = NpoRegistered {
            npo_id: format!("npo-{index:04}"),
            bin: None,
            name_ru: Some(format!("Общественное объединение «Тест {index}»")),
            name_kk: None,
            legal_form: "public_association".into(),
            status: (*rng.pick(STATUSES)).to_owned(),
            territories: pick_territories(&mut rng, &pool),
            spheres: pick_spheres(&mut rng),
            card: None,
        };
        let at = first + Duration::minutes(rng.below(span_minutes as usize) as i64);
        events.push(event_at(NPO_REGISTERED, &registered, at));
    }

    let later = Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap();
    for index in 0..NPOS {
        let npo_id = format!("npo-{index:04}");
        let at = later + Duration::minutes(index as i64);
        if rng.percent(15) {
            let update = NpoUpdated {
                npo_id: npo_id.clone(),
                fields: vec!["territories".into(), "spheres".into()],
                territories: pick_territories(&mut rng, &pool),
                spheres: pick_spheres(&mut rng),
                card: None,
            };
            events.push(event_at(NPO_UPDATED, &update, at));
        }
        if rng.percent(10) {
            let change = NpoStatusChanged {
                npo_id: npo_id.clone(),
                from: "active".into(),
                to: (*rng.pick(STATUSES)).to_owned(),
            };
            events.push(event_at(
                NPO_STATUS_CHANGED,
                &change,
                at + Duration::seconds(1),
            ));
        }
        if index % 25 == 7 {
            let merge = NpoMerged {
                npo_id: format!("npo-{:04}", index - 1),
                merged_id: npo_id,
            };
            events.push(event_at(NPO_MERGED, &merge, at + Duration::seconds(2)));
        }
    }
    events
}

/// Returns NPO records without a day, which the registry's events never leave, so the
/// year filter meets a record without one.
fn undated_records() -> Vec<Record> {
    let spheres = ["youth".to_owned()];
    let territories = ["623830100".to_owned(), "711210000".to_owned()];
    ["undated-1", "undated-2"]
        .into_iter()
        .map(|id| Record {
            kind: Kind::Npo,
            id: id.to_owned(),
            government_body: None,
            status: "active".into(),
            day: None,
            day_end: None,
            data: json!({"npo_id": id}),
            tags: spheres
                .iter()
                .map(|s| (Dimension::Sphere, s.clone()))
                .chain(
                    territories
                        .iter()
                        .map(|t| (Dimension::Territory, t.clone())),
                )
                .collect(),
        })
        .collect()
}

/// Writes the generated records into the read models of `app`, through the read
/// models' own projection of events.
async fn seed(app: &TestApp, seed: u64) {
    let url = app.settings.database_url_for("aggregation");
    tokio::task::spawn_blocking(move || {
        let db = Database::connect(&url).expect("the test database accepts connections");
        db.run_blocking(|conn| {
            service_kit::db::in_transaction(conn, |conn| {
                for event in npo_events(seed) {
                    readmodel::apply(conn, &event)?;
                }
                for record in undated_records() {
                    let event = event_at(NPO_REGISTERED, json!({}), Utc::now());
                    aggregation::store::records::put(conn, &event, &record)?;
                }
                Ok::<_, StoreError>(())
            })
        })
        .expect("the generated events apply");
    })
    .await
    .expect("seeding finishes");
}

/// Reads every NPO record that is not merged, with its territories and spheres, from
/// the database.
fn npo_facts(conn: &mut AnyConnection) -> Result<Vec<NpoFacts>, StoreError> {
    let rows: Vec<(String, String, Option<NaiveDate>)> = records::table
        .filter(records::kind.eq(Kind::Npo.code()))
        .filter(records::status.ne_all(GONE))
        .select((records::id, records::status, records::day))
        .load(conn)?;
    type Columns = (String, Option<NaiveDate>, Vec<String>, Vec<String>);
    let mut npos: HashMap<String, Columns> = rows
        .into_iter()
        .map(|(id, status, registered_on)| (id, (status, registered_on, Vec::new(), Vec::new())))
        .collect();
    let tagged: Vec<(String, String, String)> = tags::table
        .filter(tags::kind.eq(Kind::Npo.code()))
        .select((tags::id, tags::dimension, tags::value))
        .load(conn)?;
    for (id, dimension, value) in tagged {
        let Some((_, _, territories, spheres)) = npos.get_mut(&id) else {
            continue;
        };
        if dimension == Dimension::Territory.code() {
            territories.push(value);
        } else if dimension == Dimension::Sphere.code() {
            spheres.push(value);
        }
    }
    Ok(npos
        .into_values()
        .map(|(status, registered_on, territories, spheres)| NpoFacts {
            status: status.into(),
            registered_on,
            territories: Territory::parse_all(&territories).into(),
            spheres: spheres.into_iter().map(Into::into).collect(),
        })
        .collect())
}

/// Reads the NPO facts and the registered bodies from the database of `app`.
async fn reference_inputs(app: &TestApp) -> (Vec<NpoFacts>, Vec<RegisteredBody>) {
    let url = app.settings.database_url_for("aggregation");
    tokio::task::spawn_blocking(move || {
        let db = Database::connect(&url).expect("the test database accepts connections");
        db.run_blocking(|conn| {
            let facts = npo_facts(conn)?;
            let bodies = aggregation::store::analytics::registered_bodies(conn, None)?;
            Ok::<_, StoreError>((facts, bodies))
        })
        .expect("the read models are readable")
    })
    .await
    .expect("reading finishes")
}

/// One combination of the filters of a dashboard endpoint.
struct Combination {
    year: Option<i32>,
    region: Option<&'static str>,
    sphere: Option<&'static str>,
    body: Option<&'static str>,
}

impl Combination {
    /// Returns every combination of `YEARS`, `REGIONS`, `SPHERES` and the bodies.
    fn all() -> Vec<Self> {
        let mut all = Vec::new();
        for year in YEARS {
            for region in REGIONS {
                for sphere in SPHERES {
                    let bodies = std::iter::once(None).chain(BODIES.iter().map(|b| Some(b.0)));
                    for body in bodies {
                        all.push(Self {
                            year: *year,
                            region: *region,
                            sphere: *sphere,
                            body,
                        });
                    }
                }
            }
        }
        all
    }

    fn query(&self) -> String {
        let pairs: Vec<String> = [
            self.year.map(|year| format!("year={year}")),
            self.region.map(|region| format!("region={region}")),
            self.sphere.map(|sphere| format!("sphere={sphere}")),
            self.body.map(|body| format!("body={body}")),
        ]
        .into_iter()
        .flatten()
        .collect();
        pairs.join("&")
    }

    fn filter(&self) -> Filter {
        Filter {
            year: self.year,
            region: self.region.map(|code| KatoCode::parse(code).unwrap()),
            sphere: self.sphere.map(|code| Sphere::from_code(code).unwrap()),
            body: self.body.map(str::to_owned),
        }
    }
}

/// Fails unless every filter value other than the empty year takes part in some
/// combination that counts a record, so that the comparisons are not all of zeros.
fn assert_every_value_counts(counting: &HashSet<String>) {
    let values = YEARS
        .iter()
        .map(|y| y.map(|y| format!("year={y}")))
        .chain(REGIONS.iter().map(|r| r.map(|r| format!("region={r}"))))
        .chain(SPHERES.iter().map(|s| s.map(|s| format!("sphere={s}"))))
        .chain(BODIES.iter().map(|b| Some(format!("body={}", b.0))))
        .flatten()
        .filter(|value| value != "year=2001");
    for value in values {
        assert!(
            counting.contains(&value),
            "no combination with {value} counts a record"
        );
    }
}

/// Bodies whose assessments the generated priorities belong to: the register's and
/// one that is not in it.
const ASSESSING_BODIES: &[&str] = &[
    "ministry",
    "ulytau-region",
    "ulytau-district",
    "kosshy",
    "unregistered",
];

/// Risk levels of the generated priorities, one of them outside the catalogue, which
/// counts in the totals only.
const RISK_LEVELS: &[&str] = &["high", "medium", "low", "critical"];

fn priority(
    rng: &mut Rng,
    pool: &[String],
    id: String,
    assessment_id: &str,
    body: &str,
) -> PriorityIdentified {
    PriorityIdentified {
        priority_id: id,
        assessment_id: assessment_id.to_owned(),
        government_body: body.to_owned(),
        sphere: pick_spheres(rng).pop().unwrap_or_else(|| "youth".into()),
        territory: pick_territories(rng, pool)
            .pop()
            .unwrap_or_else(|| "620000000".into()),
        target_group: "youth".into(),
        risk_level: (*rng.pick(RISK_LEVELS)).to_owned(),
        people_affected: Some(100),
        problem: None,
        information_source: None,
        source_details: None,
        risks: None,
    }
}

/// Generates the needs service's events about 60 assessments of 2019 to 2025, in the
/// order they happened. Priorities are identified in drafts and some withdrawn. Then
/// the reports are published, with or without a completion day, and some again with
/// fewer priorities, which withdraws the others.
fn priority_events(seed: u64) -> Vec<EventEnvelope> {
    let mut rng = Rng(seed);
    let pool = territory_pool();
    let mut events = Vec::new();
    for number in 0..60 {
        let body = *rng.pick(ASSESSING_BODIES);
        let assessment_id = format!("assessment-{number:02}");
        let published_on = NaiveDate::from_ymd_opt(
            2019 + number % 7,
            1 + rng.below(12) as u32,
            1 + rng.below(28) as u32,
        )
        .unwrap();
        let at = Utc.from_utc_datetime(
            &published_on
                .and_hms_opt(rng.below(24) as u32, 0, 0)
                .unwrap(),
        );

        let drafted: Vec<PriorityIdentified> = (0..1 + rng.below(8))
            .map(|index| {
                priority(
                    &mut rng,
                    &pool,
                    format!("{assessment_id}-p{index}"),
                    &assessment_id,
                    body,
                )
            })
            .collect();
        for draft in &drafted {
            events.push(needs_event(
                PRIORITY_IDENTIFIED,
                draft,
                at - Duration::days(10),
            ));
        }
        if rng.percent(20) {
            let withdrawn = PriorityWithdrawn {
                priority_id: drafted[0].priority_id.clone(),
                assessment_id: assessment_id.clone(),
                government_body: body.to_owned(),
            };
            events.push(needs_event(
                PRIORITY_WITHDRAWN,
                &withdrawn,
                at - Duration::days(5),
            ));
        }
        // A few assessments stay drafts, so their priorities are never published.
        if number % 10 == 9 {
            continue;
        }

        let completed_on = rng.percent(70).then_some(published_on);
        events.push(needs_event(
            ASSESSMENT_PUBLISHED,
            assessment(&assessment_id, body, completed_on, drafted.clone()),
            at,
        ));
        if drafted.len() > 1 && rng.percent(20) {
            let kept = drafted[1..].to_vec();
            events.push(needs_event(
                ASSESSMENT_PUBLISHED,
                assessment(&assessment_id, body, completed_on, kept),
                at + Duration::days(1),
            ));
        }
    }
    events
}

fn assessment(
    id: &str,
    body: &str,
    completed_on: Option<NaiveDate>,
    priorities: Vec<PriorityIdentified>,
) -> AssessmentPublished {
    AssessmentPublished {
        assessment_id: id.to_owned(),
        government_body: body.to_owned(),
        spheres: vec!["youth".into()],
        territory: "620000000".into(),
        period_start: NaiveDate::from_ymd_opt(2018, 1, 1).unwrap(),
        period_end: NaiveDate::from_ymd_opt(2018, 12, 31).unwrap(),
        priorities,
        participants: 40,
        title: None,
        completed_on,
        activities: Vec::new(),
    }
}

fn needs_event(
    event_type: &str,
    payload: impl serde::Serialize,
    at: DateTime<Utc>,
) -> EventEnvelope {
    let mut event = event_at(event_type, payload, at);
    event.service = "needs".into();
    event
}

/// Computes the priority figures of `combination` from the decoded priorities of the
/// year and body, read from the database.
fn priority_reference(
    conn: &mut AnyConnection,
    combination: &Combination,
) -> Result<PriorityFigures, StoreError> {
    let filter = combination.filter();
    let mut rows = records_in(
        conn,
        Kind::Priority,
        filter.year,
        filter.body.as_deref(),
        GONE,
    )?;
    rows.retain(|row| row.status == PUBLISHED);
    let decoded: Vec<(Option<NaiveDate>, PriorityIdentified, Vec<Territory>)> = rows
        .iter()
        .map(|row| {
            let priority: PriorityIdentified = row.data()?;
            let territories = Territory::parse_all([&priority.territory]);
            Ok((row.day, priority, territories))
        })
        .collect::<Result<_, StoreError>>()?;
    let published: Vec<Counted<'_, PriorityIdentified>> = decoded
        .iter()
        .map(|(day, priority, territories)| Counted {
            day: *day,
            territories,
            data: priority,
        })
        .collect();
    Ok(priority_figures(&filter, &published))
}

/// Applies `events` to the read models of `app`, in one transaction.
async fn apply_events(app: &TestApp, events: Vec<EventEnvelope>) {
    let url = app.settings.database_url_for("aggregation");
    tokio::task::spawn_blocking(move || {
        let db = Database::connect(&url).expect("the test database accepts connections");
        db.run_blocking(|conn| {
            service_kit::db::in_transaction(conn, |conn| {
                for event in &events {
                    readmodel::apply(conn, event)?;
                }
                Ok::<_, StoreError>(())
            })
        })
        .expect("the generated events apply");
    })
    .await
    .expect("applying finishes");
}

const ACTION_STATUSES: &[&str] = &["draft", "agreed", "in_progress", "completed", "cancelled"];

const RECOMMENDATION_STATUSES: &[&str] = &[
    "received",
    "forwarded",
    "rejected",
    "included_in_plans",
    "implemented",
    "closed",
];

/// Returns one territory or none, a district of Astana more often than the generated
/// NPOs' territories, so that the Astana filter counts some records too.
fn territory(rng: &mut Rng, pool: &[String]) -> Option<String> {
    if rng.percent(15) {
        return Some("711210000".to_owned());
    }
    pick_territories(rng, pool).pop()
}

/// Returns a day of 2019 to 2025.
fn random_day(rng: &mut Rng) -> NaiveDate {
    NaiveDate::from_ymd_opt(
        2019 + rng.below(7) as i32,
        1 + rng.below(12) as u32,
        1 + rng.below(28) as u32,
    )
    .unwrap()
}

fn joint_actions_event(event_type: &str, payload: serde_json::Value) -> EventEnvelope {
    let mut event = EventEnvelope::new(event_type, 1, "joint-actions", payload);
    event.occurred_at = Utc.with_ymd_and_hms(2025, 6, 1, 0, 0, 0).unwrap();
    event
}

/// Generates 150 joint actions of the assessing bodies, most with a monitoring plan,
/// and 10 monitoring plans of actions whose stage changes never arrive.
fn action_events(seed: u64) -> Vec<EventEnvelope> {
    let mut rng = Rng(seed);
    let pool = territory_pool();
    let mut events = Vec::new();
    for index in 0..160 {
        let action_id = format!("action-{index:03}");
        let body = *rng.pick(ASSESSING_BODIES);
        if index < 150 {
            let started_on = rng.percent(80).then(|| random_day(&mut rng));
            let action = json!({
                "action_id": action_id,
                "government_body": body,
                "from": "draft",
                "to": *rng.pick(ACTION_STATUSES),
                "npo_ids": [],
                "spheres": pick_spheres(&mut rng),
                "territory": territory(&mut rng, &pool),
                "started_on": started_on,
            });
            events.push(joint_actions_event(ACTION_STATE_CHANGED, action));
        }
        if index >= 150 || rng.percent(60) {
            let indicators: Vec<serde_json::Value> = (0..1 + rng.below(3))
                .map(|number| {
                    json!({
                        "name": format!("indicator {number}"),
                        "unit": null,
                        "target": 10.0,
                        "higher_is_better": rng.percent(70),
                        "actual": rng.percent(60).then(|| rng.below(20) as f64),
                        "evidence": [],
                    })
                })
                .collect();
            let plan = json!({
                "action_id": action_id,
                "government_body": body,
                "rows": [{
                    "row_id": "row-1",
                    "activity": "Мероприятие",
                    "frequency": "monthly",
                    "indicators": indicators,
                    "comments": null,
                }],
            });
            events.push(joint_actions_event(MONITORING_CHANGED, plan));
        }
    }
    events
}

/// Generates 200 recommendations at every stage, some forwarded between the assessing
/// bodies, so that a body's funnel contains ones it passed on.
fn recommendation_events(seed: u64) -> Vec<EventEnvelope> {
    let mut rng = Rng(seed);
    let pool = territory_pool();
    (0..200)
        .map(|index| {
            let received_on = random_day(&mut rng);
            let later = |rng: &mut Rng| received_on + Duration::days(1 + rng.below(90) as i64);
            let decided_on = rng.percent(40).then(|| later(&mut rng));
            let answered_on = rng.percent(30).then(|| later(&mut rng));
            let forwarded = rng.percent(25);
            let body = *rng.pick(ASSESSING_BODIES);
            let from = *rng.pick(ASSESSING_BODIES);
            let recommendation = json!({
                "recommendation_id": format!("recommendation-{index:03}"),
                "government_body": body,
                "sphere": pick_spheres(&mut rng).pop().unwrap_or_else(|| "youth".into()),
                "npo_id": null,
                "status": *rng.pick(RECOMMENDATION_STATUSES),
                "received_on": received_on,
                "answered_on": answered_on,
                "territory": territory(&mut rng, &pool),
                "received_by": rng.percent(20).then_some(from),
                "handling": rng.percent(20).then_some("plans"),
                "decided_on": decided_on,
                "forwarded_on": forwarded.then(|| later(&mut rng)),
                "forwarded_from": forwarded.then_some(from),
            });
            let mut event = EventEnvelope::new(
                RECOMMENDATION_RECEIVED,
                1,
                "recommendations",
                recommendation,
            );
            event.occurred_at = Utc.with_ymd_and_hms(2025, 6, 1, 0, 0, 0).unwrap();
            event
        })
        .collect()
}

/// A record's day, its decoded data and the territories of the data.
type Decoded<T> = (Option<NaiveDate>, T, Vec<Territory>);

/// Reads the records of `kind` of the year and body of `filter` from the database and
/// decodes them, with the territories of each as `territory_of` names them.
fn decoded<T: serde::de::DeserializeOwned>(
    conn: &mut AnyConnection,
    kind: Kind,
    filter: &Filter,
    territory_of: impl Fn(&T) -> Vec<String>,
) -> Result<Vec<Decoded<T>>, StoreError> {
    records_in(conn, kind, filter.year, filter.body.as_deref(), &[])?
        .iter()
        .map(|row| {
            let data: T = row.data()?;
            let territories = Territory::parse_all(&territory_of(&data));
            Ok((row.day, data, territories))
        })
        .collect()
}

fn counted<T>(records: &[Decoded<T>]) -> Vec<Counted<'_, T>> {
    records
        .iter()
        .map(|(day, data, territories)| Counted {
            day: *day,
            territories,
            data,
        })
        .collect()
}

/// Computes the joint action figures of `combination` from the actions of the year
/// and body and the monitoring plans of the body, read from the database.
fn action_reference(
    conn: &mut AnyConnection,
    combination: &Combination,
) -> Result<JointActionFigures, StoreError> {
    let filter = combination.filter();
    let actions = decoded(
        conn,
        Kind::Action,
        &filter,
        |action: &ActionStateChanged| action.territory.iter().cloned().collect(),
    )?;
    let every_year = Filter {
        year: None,
        ..filter.clone()
    };
    let plans = decoded(
        conn,
        Kind::Monitoring,
        &every_year,
        |_: &MonitoringChanged| Vec::new(),
    )?;
    let monitoring: Vec<(Option<NaiveDate>, &MonitoringChanged)> =
        plans.iter().map(|(day, plan, _)| (*day, plan)).collect();
    Ok(joint_action_figures(
        &filter,
        &counted(&actions),
        &monitoring,
    ))
}

/// Computes the recommendation funnel of `combination` from the recommendations of the
/// year and body, read from the database.
fn recommendation_reference(
    conn: &mut AnyConnection,
    combination: &Combination,
) -> Result<RecommendationFigures, StoreError> {
    let filter = combination.filter();
    let found = decoded(
        conn,
        Kind::Recommendation,
        &filter,
        |recommendation: &RecommendationChanged| recommendation.territory.iter().cloned().collect(),
    )?;
    Ok(recommendation_figures(&filter, &counted(&found)))
}

backend_tests! {
    services: SERVICES;

    async fn npo_figures_match_reference(app) {
        for (id, level, territory, spheres) in BODIES {
            create_body(&app, &body_input(id, level, *territory, spheres)).await;
        }
        seed(&app, 20_251_212).await;
        let (facts, bodies) = reference_inputs(&app).await;
        let token = app.ministry();
        let combinations = Combination::all();
        let mut counting: HashSet<String> = HashSet::new();

        for combination in &combinations {
            let query = combination.query();
            let figures = read(&app, &format!("/v1/analytics/npos?{query}"), &token).await;

            let area = combination.body.map(|id| bodies.iter().find(|b| b.id == id).unwrap());
            let expected = npo_figures(&combination.filter(), &facts, area);
            assert_eq!(figures, serde_json::to_value(&expected).unwrap(), "GET /v1/analytics/npos?{query}");
            if expected.total > 0 {
                counting.extend(query.split('&').map(str::to_owned));
            }
        }

        assert_eq!(combinations.len(), YEARS.len() * REGIONS.len() * SPHERES.len() * (BODIES.len() + 1));
        assert_every_value_counts(&counting);
    }

    async fn priority_figures_match_reference(app) {
        for (id, level, territory, spheres) in BODIES {
            create_body(&app, &body_input(id, level, *territory, spheres)).await;
        }
        apply_events(&app, priority_events(20_251_213)).await;
        let token = app.ministry();
        let url = app.settings.database_url_for("aggregation");
        let db = Database::connect(&url).expect("the test database accepts connections");
        let mut counting: HashSet<String> = HashSet::new();

        for combination in Combination::all() {
            let query = combination.query();
            let figures = read(&app, &format!("/v1/analytics/priorities?{query}"), &token).await;

            let db = db.clone();
            let expected = tokio::task::spawn_blocking(move || db.run_blocking(|conn| priority_reference(conn, &combination)))
                .await
                .expect("the reference task finishes")
                .expect("the reference is computed");
            assert_eq!(figures, serde_json::to_value(&expected).unwrap(), "GET /v1/analytics/priorities?{query}");
            if expected.total.total > 0 {
                counting.extend(query.split('&').map(str::to_owned));
            }
        }

        assert_every_value_counts(&counting);
    }

    async fn action_figures_match_reference(app) {
        for (id, level, territory, spheres) in BODIES {
            create_body(&app, &body_input(id, level, *territory, spheres)).await;
        }
        apply_events(&app, action_events(20_251_214)).await;
        let token = app.ministry();
        let url = app.settings.database_url_for("aggregation");
        let db = Database::connect(&url).expect("the test database accepts connections");
        let mut counting: HashSet<String> = HashSet::new();

        for combination in Combination::all() {
            let query = combination.query();
            let figures = read(&app, &format!("/v1/analytics/joint-actions?{query}"), &token).await;

            let db = db.clone();
            let expected = tokio::task::spawn_blocking(move || db.run_blocking(|conn| action_reference(conn, &combination)))
                .await
                .expect("the reference task finishes")
                .expect("the reference is computed");
            assert_eq!(figures, serde_json::to_value(&expected).unwrap(), "GET /v1/analytics/joint-actions?{query}");
            if expected.total.actions > 0 {
                counting.extend(query.split('&').map(str::to_owned));
            }
        }

        assert_every_value_counts(&counting);
    }

    async fn recommendation_figures_match_reference(app) {
        for (id, level, territory, spheres) in BODIES {
            create_body(&app, &body_input(id, level, *territory, spheres)).await;
        }
        apply_events(&app, recommendation_events(20_251_215)).await;
        let token = app.ministry();
        let url = app.settings.database_url_for("aggregation");
        let db = Database::connect(&url).expect("the test database accepts connections");
        let mut counting: HashSet<String> = HashSet::new();

        for combination in Combination::all() {
            let query = combination.query();
            let figures = read(&app, &format!("/v1/analytics/recommendations?{query}"), &token).await;

            let db = db.clone();
            let expected = tokio::task::spawn_blocking(move || db.run_blocking(|conn| recommendation_reference(conn, &combination)))
                .await
                .expect("the reference task finishes")
                .expect("the reference is computed");
            assert_eq!(figures, serde_json::to_value(&expected).unwrap(), "GET /v1/analytics/recommendations?{query}");
            if expected.received > 0 {
                counting.extend(query.split('&').map(str::to_owned));
            }
        }

        assert_every_value_counts(&counting);
    }
}
