//! Generated read models of the aggregation service: the events that the registry,
//! needs, joint-actions and recommendations services publish about NPOs, assessments
//! with their priorities, joint actions, recommendations, campaigns, receptions and
//! officer requests, applied through the read models' own projection
//! (`aggregation::readmodel::apply`). Every generator is deterministic for its seed.

use chrono::{DateTime, Datelike, Days, NaiveDate, TimeZone, Utc};
use common_models::event::EventEnvelope;
use common_models::event::joint_actions::{
    ACTION_STATE_CHANGED, ActionStateChanged, IndicatorState, MONITORING_CHANGED,
    MonitoringChanged, MonitoringRow,
};
use common_models::event::needs::{
    ASSESSMENT_PUBLISHED, AssessmentActivity, AssessmentPublished, PriorityIdentified,
};
use common_models::event::recommendations::{
    OFFICER_REQUEST_ANSWERED, OFFICER_REQUEST_SENT, OfficerRequestChanged, RECEPTION_APPOINTED,
    RECEPTION_REQUESTED, RECOMMENDATION_CLOSED, RECOMMENDATION_DECIDED, RECOMMENDATION_FORWARDED,
    RECOMMENDATION_RECEIVED, ReceptionChanged, RecommendationChanged,
};
use common_models::event::registry::{
    CAMPAIGN_RECORDED, CampaignRecorded, KeyStaffEntry, NPO_MERGED, NPO_REGISTERED,
    NPO_STATUS_CHANGED, NpoMerged, NpoRegistered, NpoReportCard, NpoStatusChanged,
};
use common_models::{ActionStatus, Catalogue, Sphere, TargetGroup};
use serde::Serialize;
use serde_json::{Value, json};

use crate::generate::{Classifier, NpoRow, Rng};

/// Years of the generated assessments, actions, recommendations and campaigns.
pub const FIRST_YEAR: i32 = 2019;
pub const LAST_YEAR: i32 = 2025;

/// Priorities in one published assessment.
const PRIORITIES_PER_ASSESSMENT: usize = 8;

/// Risk levels with their share of priorities in percent.
const RISK_LEVELS: &[(&str, u64)] = &[("high", 25), ("medium", 45), ("low", 30)];

/// Statuses an NPO moves to after its registration, besides `active`.
const INACTIVE_STATUSES: &[&str] = &["inactive", "suspended", "liquidated"];

/// Central bodies with their spheres.
const CENTRAL_BODIES: &[(&str, &[&str])] = &[
    ("ministry-of-education", &["education", "science", "youth"]),
    ("ministry-of-health", &["health", "healthy_lifestyle"]),
    ("ministry-of-culture", &["culture", "sport"]),
    (
        "ministry-of-labour",
        &[
            "social_protection",
            "disability",
            "elderly",
            "children_and_family",
        ],
    ),
    ("ministry-of-ecology", &["ecology"]),
];

/// Numbers of generated records of each kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Volume {
    pub npos: usize,
    pub priorities: usize,
    pub actions: usize,
    pub recommendations: usize,
    pub receptions: usize,
    pub officer_requests: usize,
}

/// A government body of the register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    pub id: String,
    /// `central` or `regional`.
    pub level: &'static str,
    /// KATO code of the region; `None` for a central body.
    pub territory: Option<String>,
    pub spheres: Vec<&'static str>,
}

impl Body {
    /// Returns the body as `POST /v1/government-bodies` takes it.
    pub fn input(&self) -> Value {
        let mut body = json!({
            "id": self.id,
            "name_ru": format!("Государственный орган {}", self.id),
            "name_kk": format!("{} мемлекеттік органы", self.id),
            "level": self.level,
            "spheres": self.spheres,
        });
        if let Some(territory) = &self.territory {
            body["territory"] = json!(territory);
        }
        body
    }

    /// Picks a territory where the body works: inside its region, or anywhere for a
    /// central body.
    fn pick_territory(&self, classifier: &Classifier, rng: &mut Rng) -> String {
        let region = match &self.territory {
            Some(region) => region.clone(),
            None => rng.pick(classifier.regions()).clone(),
        };
        if rng.percent(20) {
            return region;
        }
        classifier
            .pick_in(&region, rng)
            .map_or(region.clone(), str::to_owned)
    }
}

/// Returns the bodies of the register: the central bodies and the akimat of every
/// region, each competent in three to five spheres.
pub fn bodies(classifier: &Classifier, seed: u64) -> Vec<Body> {
    let mut rng = Rng::new(seed);
    let mut bodies: Vec<Body> = CENTRAL_BODIES
        .iter()
        .map(|(id, spheres)| Body {
            id: (*id).to_owned(),
            level: "central",
            territory: None,
            spheres: spheres.to_vec(),
        })
        .collect();
    for region in classifier.regions() {
        let mut spheres: Vec<&'static str> = Vec::new();
        while spheres.len() < 3 + rng.below(3) {
            let sphere = rng.pick(Sphere::all()).code();
            if !spheres.contains(&sphere) {
                spheres.push(sphere);
            }
        }
        bodies.push(Body {
            id: format!("akimat-{region}"),
            level: "regional",
            territory: Some(region.clone()),
            spheres,
        });
    }
    bodies
}

/// Returns the time an event of `day` happened: 11:00 in Asia/Almaty (UTC+5), so its
/// local day is `day`.
fn noon_of(day: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_hms_opt(6, 0, 0).expect("06:00 exists"))
}

fn event(
    event_type: &str,
    service: &str,
    payload: impl Serialize,
    day: NaiveDate,
) -> EventEnvelope {
    let payload = serde_json::to_value(payload).expect("an event payload serializes");
    let mut event = EventEnvelope::new(event_type, 1, service, payload);
    event.occurred_at = noon_of(day);
    event
}

/// Returns the id of the generated NPO at `index`, shaped like the registry's UUIDv7 ids.
pub fn npo_id(index: usize) -> String {
    format!("01900000-0000-7000-8000-{index:012x}")
}

fn pick_day(rng: &mut Rng, first_year: i32, last_year: i32) -> NaiveDate {
    let first = NaiveDate::from_ymd_opt(first_year, 1, 1).expect("a valid year");
    let last = NaiveDate::from_ymd_opt(last_year, 12, 31).expect("a valid year");
    let days = (last - first).num_days() as usize + 1;
    first + Days::new(rng.below(days) as u64)
}

/// Returns the registration of the generated NPO `row` at `index`, with the report
/// card the registry sends, on the day of its registration.
pub fn npo_registration(index: usize, row: &NpoRow) -> EventEnvelope {
    let territories = row.kato.clone();
    let spheres: Vec<String> = row.spheres.iter().map(|s| (*s).to_owned()).collect();
    let place = territories.first().cloned().unwrap_or_default();
    let card = NpoReportCard {
        bin: row.bin.clone(),
        name_ru: row.name_ru.clone(),
        name_kk: row.name_kk.clone(),
        status: row.status.to_owned(),
        founded_on: Some(row.registered_on),
        spheres: spheres.clone(),
        target_groups: vec![
            TargetGroup::all()[index % TargetGroup::all().len()]
                .code()
                .to_owned(),
        ],
        territories: territories.clone(),
        forms_of_work: vec!["events".into(), "consultations".into()],
        key_staff: vec![KeyStaffEntry {
            full_name: format!("Руководитель {index}"),
            position: Some("Председатель".into()),
        }],
        phone: Some(format!("+7701{:07}", index % 10_000_000)),
        email: Some(format!("npo{index}@example.kz")),
        address: Some(format!("{place}, ул. Абая, {}", 1 + index % 200)),
        web_resources: vec![format!("https://npo{index}.example.kz")],
    };
    let registered = NpoRegistered {
        npo_id: npo_id(index),
        bin: row.bin.clone(),
        name_ru: row.name_ru.clone(),
        name_kk: row.name_kk.clone(),
        legal_form: row.legal_form.to_owned(),
        status: row.status.to_owned(),
        territories,
        spheres,
        card: Some(card),
    };
    event(NPO_REGISTERED, "registry", registered, row.registered_on)
}

/// Returns the later changes of `count` registered NPOs: about 4% stop being active
/// and 1% are merged into the NPO before them, in January 2026.
pub fn npo_changes(count: usize, seed: u64) -> Vec<EventEnvelope> {
    let mut rng = Rng::new(seed);
    let day = NaiveDate::from_ymd_opt(2026, 1, 15).expect("a valid date");
    let mut events = Vec::new();
    for index in 1..count {
        match rng.below(100) {
            0..4 => {
                let change = NpoStatusChanged {
                    npo_id: npo_id(index),
                    from: "active".into(),
                    to: (*rng.pick(INACTIVE_STATUSES)).to_owned(),
                };
                events.push(event(NPO_STATUS_CHANGED, "registry", change, day));
            }
            4 => {
                let merge = NpoMerged {
                    npo_id: npo_id(index - 1),
                    merged_id: npo_id(index),
                };
                events.push(event(NPO_MERGED, "registry", merge, day));
            }
            _ => {}
        }
    }
    events
}

fn pick_risk_level(rng: &mut Rng) -> &'static str {
    let mut ticket = rng.below(100) as u64;
    for (level, share) in RISK_LEVELS {
        if ticket < *share {
            return level;
        }
        ticket -= share;
    }
    RISK_LEVELS[0].0
}

/// Returns published assessments of `bodies` with `priorities` priorities in all, eight
/// per assessment, in their bodies' spheres and territories, completed from 2019 to
/// 2025. The read models store each priority of a published report as `published`.
pub fn assessment_events(
    priorities: usize,
    bodies: &[Body],
    classifier: &Classifier,
    seed: u64,
) -> Vec<EventEnvelope> {
    let mut rng = Rng::new(seed);
    let mut events = Vec::new();
    let mut generated = 0;
    while generated < priorities {
        let body = rng.pick(bodies);
        let number = events.len();
        let assessment_id = format!("assessment-{number:06}");
        let completed_on = pick_day(&mut rng, FIRST_YEAR, LAST_YEAR);
        let territory = body
            .territory
            .clone()
            .unwrap_or_else(|| rng.pick(classifier.regions()).clone());
        let count = PRIORITIES_PER_ASSESSMENT.min(priorities - generated);
        let listed: Vec<PriorityIdentified> = (0..count)
            .map(|offset| PriorityIdentified {
                priority_id: format!("priority-{:06}", generated + offset),
                assessment_id: assessment_id.clone(),
                government_body: body.id.clone(),
                sphere: (*rng.pick(&body.spheres)).to_owned(),
                territory: body.pick_territory(classifier, &mut rng),
                target_group: rng.pick(TargetGroup::all()).code().to_owned(),
                risk_level: pick_risk_level(&mut rng).to_owned(),
                people_affected: Some(50 + rng.below(5_000) as i64),
                problem: Some("Недостаточный доступ к услугам в отдалённых сёлах".into()),
                information_source: Some("statistics".into()),
                source_details: Some(format!(
                    "Бюро национальной статистики, {}",
                    completed_on.year() - 1
                )),
                risks: Some("Отток молодёжи из сёл".into()),
            })
            .collect();
        generated += count;
        let published = AssessmentPublished {
            assessment_id: assessment_id.clone(),
            government_body: body.id.clone(),
            spheres: body.spheres.iter().map(|s| (*s).to_owned()).collect(),
            territory,
            period_start: NaiveDate::from_ymd_opt(completed_on.year() - 1, 1, 1)
                .expect("a valid year"),
            period_end: NaiveDate::from_ymd_opt(completed_on.year() - 1, 12, 31)
                .expect("a valid year"),
            priorities: listed,
            participants: 20 + rng.below(300) as i64,
            title: Some(format!("Оценка потребностей {number}")),
            completed_on: Some(completed_on),
            activities: vec![AssessmentActivity {
                held_on: completed_on - Days::new(30),
                form: "survey".into(),
                participant_categories: vec!["npo".into(), "residents".into()],
                participants: Some(40),
                responsible_staff: "Отдел внутренней политики".into(),
            }],
        };
        events.push(event(
            ASSESSMENT_PUBLISHED,
            "needs",
            published,
            completed_on,
        ));
    }
    events
}

/// Returns `count` joint actions of `bodies` in their spheres and territories, started
/// from 2019 to 2025, in every status, and the monitoring plans of about 60% of them.
pub fn action_events(
    count: usize,
    bodies: &[Body],
    classifier: &Classifier,
    seed: u64,
) -> Vec<EventEnvelope> {
    let mut rng = Rng::new(seed);
    let mut events = Vec::new();
    for index in 0..count {
        let body = rng.pick(bodies);
        let action_id = format!("action-{index:06}");
        let started_on = pick_day(&mut rng, FIRST_YEAR, LAST_YEAR);
        let status = rng.pick(ActionStatus::all()).code();
        let changed = ActionStateChanged {
            action_id: action_id.clone(),
            government_body: body.id.clone(),
            from: "agreed".into(),
            to: status.to_owned(),
            npo_ids: vec![npo_id(rng.below(1_000))],
            title: Some(format!("Совместное мероприятие {index}")),
            spheres: vec![(*rng.pick(&body.spheres)).to_owned()],
            territory: Some(body.pick_territory(classifier, &mut rng)),
            started_on: Some(started_on),
            completed_on: (status == "completed").then(|| started_on + Days::new(60)),
        };
        events.push(event(
            ACTION_STATE_CHANGED,
            "joint-actions",
            changed,
            started_on,
        ));
        if rng.percent(60) {
            let rows = (0..1 + rng.below(3))
                .map(|row| MonitoringRow {
                    row_id: format!("{action_id}-row-{row}"),
                    activity: "Обучающий семинар".into(),
                    frequency: "quarterly".into(),
                    indicators: (0..1 + rng.below(3))
                        .map(|number| IndicatorState {
                            name: format!("Показатель {number}"),
                            unit: Some("человек".into()),
                            target: 100.0,
                            higher_is_better: rng.percent(80),
                            actual: rng.percent(70).then(|| rng.below(200) as f64),
                            evidence: vec!["Протокол".into()],
                        })
                        .collect(),
                    comments: None,
                })
                .collect();
            let plan = MonitoringChanged {
                action_id,
                government_body: body.id.clone(),
                rows,
            };
            events.push(event(
                MONITORING_CHANGED,
                "joint-actions",
                plan,
                started_on + Days::new(30),
            ));
        }
    }
    events
}

/// Returns `count` recommendations received by `bodies` from 2019 to 2025, at every
/// stage: in work, forwarded, decided, answered and closed.
pub fn recommendation_events(
    count: usize,
    bodies: &[Body],
    classifier: &Classifier,
    seed: u64,
) -> Vec<EventEnvelope> {
    let mut rng = Rng::new(seed);
    let mut events = Vec::new();
    for index in 0..count {
        let body = rng.pick(bodies);
        let received_on = pick_day(&mut rng, FIRST_YEAR, LAST_YEAR);
        let mut recommendation = RecommendationChanged {
            recommendation_id: format!("recommendation-{index:06}"),
            government_body: body.id.clone(),
            sphere: (*rng.pick(&body.spheres)).to_owned(),
            npo_id: Some(npo_id(rng.below(1_000))),
            status: "in_work".into(),
            received_on,
            answered_on: None,
            territory: Some(body.pick_territory(classifier, &mut rng)),
            author_kind: Some("npo".into()),
            author_name: Some(format!("НПО {index}")),
            contacts: None,
            initiator: Some("npo".into()),
            received_by: Some(body.id.clone()),
            responsible_name: Some("Ерлан Мұханов".into()),
            handling: None,
            decided_on: None,
            forwarded_on: None,
            forwarded_from: None,
            due_on: Some(received_on + Days::new(30)),
            author_email: None,
        };
        let (event_type, day) = match rng.below(10) {
            0..3 => (RECOMMENDATION_RECEIVED, received_on),
            3 => {
                let to = rng.pick(bodies);
                recommendation.forwarded_from = Some(body.id.clone());
                recommendation.government_body = to.id.clone();
                recommendation.forwarded_on = Some(received_on + Days::new(3));
                (RECOMMENDATION_FORWARDED, received_on + Days::new(3))
            }
            4..7 => {
                let handling = *rng.pick(&["rejected", "included_in_plans", "implemented"]);
                recommendation.status = handling.to_owned();
                recommendation.handling = Some(handling.to_owned());
                recommendation.decided_on = Some(received_on + Days::new(1 + rng.below(25) as u64));
                (RECOMMENDATION_DECIDED, received_on + Days::new(26))
            }
            _ => {
                recommendation.status = "closed".into();
                recommendation.handling = Some("implemented".into());
                recommendation.decided_on = Some(received_on + Days::new(10));
                recommendation.answered_on =
                    Some(received_on + Days::new(12 + rng.below(20) as u64));
                (RECOMMENDATION_CLOSED, received_on + Days::new(32))
            }
        };
        events.push(event(event_type, "recommendations", recommendation, day));
    }
    events
}

/// Returns what the compliance rules read besides assessments and recommendations:
/// one data collection per body and year, `receptions` reception requests and
/// `officer_requests` requests between officers, about half of each answered.
pub fn compliance_events(
    receptions: usize,
    officer_requests: usize,
    bodies: &[Body],
    seed: u64,
) -> Vec<EventEnvelope> {
    let mut rng = Rng::new(seed);
    let mut events = Vec::new();
    for body in bodies {
        for year in FIRST_YEAR..=LAST_YEAR {
            let recorded = CampaignRecorded {
                campaign_id: format!("campaign-{}-{year}", body.id),
                government_body: body.id.clone(),
                year,
                inside_window: rng.percent(85),
                npos_added: rng.below(40) as i32,
                npos_updated: rng.below(200) as i32,
            };
            let day =
                NaiveDate::from_ymd_opt(year, 5, 1 + rng.below(30) as u32).expect("a May day");
            events.push(event(CAMPAIGN_RECORDED, "registry", recorded, day));
        }
    }
    for index in 0..receptions {
        let requested_on = pick_day(&mut rng, FIRST_YEAR, LAST_YEAR);
        let appointed = rng.percent(60);
        let changed = ReceptionChanged {
            request_id: format!("reception-{index:06}"),
            government_body: rng.pick(bodies).id.clone(),
            requested_on,
            status: if appointed { "appointed" } else { "waiting" }.into(),
            appointed_on: appointed.then(|| requested_on + Days::new(1 + rng.below(40) as u64)),
            npo_id: None,
            place: None,
        };
        let event_type = if appointed {
            RECEPTION_APPOINTED
        } else {
            RECEPTION_REQUESTED
        };
        events.push(event(event_type, "recommendations", changed, requested_on));
    }
    for index in 0..officer_requests {
        let sent_on = pick_day(&mut rng, FIRST_YEAR, LAST_YEAR);
        let answered = rng.percent(50);
        let changed = OfficerRequestChanged {
            request_id: format!("officer-request-{index:06}"),
            from_body: rng.pick(bodies).id.clone(),
            to_body: rng.pick(bodies).id.clone(),
            question: "Просим предоставить сведения о НПО района".into(),
            sphere: Some((*rng.pick(Sphere::all())).code().to_owned()),
            format: Some("letter".into()),
            contacts: None,
            sent_on,
            deadline: sent_on + Days::new(10),
            answered_on: answered.then(|| sent_on + Days::new(1 + rng.below(15) as u64)),
            result: answered.then(|| "Сведения направлены".into()),
        };
        let event_type = if answered {
            OFFICER_REQUEST_ANSWERED
        } else {
            OFFICER_REQUEST_SENT
        };
        events.push(event(event_type, "recommendations", changed, sent_on));
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate;

    fn classifier() -> Classifier {
        Classifier::parse(registry::territories::BUNDLED_KATO).unwrap()
    }

    #[test]
    fn bodies_cover_every_region() {
        let classifier = classifier();

        let bodies = bodies(&classifier, 1);

        assert_eq!(
            bodies.len(),
            CENTRAL_BODIES.len() + classifier.regions().len()
        );
        assert!(bodies.iter().all(|b| (1..=5).contains(&b.spheres.len())));
        assert!(
            bodies
                .iter()
                .all(|b| b.spheres.iter().all(|s| Sphere::from_code(s).is_some()))
        );
        let regional = bodies.iter().filter(|b| b.level == "regional").count();
        assert_eq!(regional, classifier.regions().len());
        assert_eq!(bodies[0].input()["level"], "central");
        assert!(bodies[0].input().get("territory").is_none());
    }

    #[test]
    fn registration_falls_on_its_day() {
        let classifier = classifier();
        let rows = generate::generate(20, 3, &classifier);

        let registered = npo_registration(7, &rows[7]);

        assert_eq!(registered.event_type, NPO_REGISTERED);
        assert_eq!(
            common_models::time::local_date(registered.occurred_at),
            rows[7].registered_on
        );
        assert_eq!(registered.payload["npo_id"], npo_id(7));
        assert_eq!(
            registered.payload["card"]["territories"],
            json!(rows[7].kato)
        );
    }

    #[test]
    fn changes_keep_most_npos_active() {
        let events = npo_changes(10_000, 4);
        let merges = events.iter().filter(|e| e.event_type == NPO_MERGED).count();
        let status_changes = events.len() - merges;

        assert!((300..500).contains(&status_changes), "{status_changes}");
        assert!((50..150).contains(&merges), "{merges}");
    }

    #[test]
    fn assessments_hold_requested_priorities() {
        let classifier = classifier();
        let bodies = bodies(&classifier, 1);

        let events = assessment_events(1_003, &bodies, &classifier, 5);

        let listed: Vec<&Value> = events
            .iter()
            .flat_map(|e| e.payload["priorities"].as_array().unwrap())
            .collect();
        assert_eq!(listed.len(), 1_003);
        assert_eq!(events.len(), 126);
        let levels: std::collections::BTreeSet<&str> = listed
            .iter()
            .map(|p| p["risk_level"].as_str().unwrap())
            .collect();
        assert_eq!(levels, ["high", "low", "medium"].into_iter().collect());
        for event in &events {
            let day = event.payload["completed_on"].as_str().unwrap();
            let year: i32 = day[..4].parse().unwrap();
            assert!((FIRST_YEAR..=LAST_YEAR).contains(&year), "{day}");
        }
    }

    #[test]
    fn territories_lie_in_body_region() {
        let classifier = classifier();
        let bodies = bodies(&classifier, 1);

        let events = action_events(500, &bodies, &classifier, 6);

        for event in events
            .iter()
            .filter(|e| e.event_type == ACTION_STATE_CHANGED)
        {
            let body = bodies
                .iter()
                .find(|b| b.id == event.payload["government_body"])
                .unwrap();
            let territory = event.payload["territory"].as_str().unwrap();
            if let Some(region) = &body.territory {
                assert_eq!(territory[..2], region[..2], "{}", event.payload);
            }
        }
        let plans = events
            .iter()
            .filter(|e| e.event_type == MONITORING_CHANGED)
            .count();
        assert!((250..350).contains(&plans), "{plans}");
    }

    #[test]
    fn recommendations_reach_every_stage() {
        let classifier = classifier();
        let bodies = bodies(&classifier, 1);

        let events = recommendation_events(1_000, &bodies, &classifier, 7);

        let types: std::collections::BTreeSet<&str> =
            events.iter().map(|e| e.event_type.as_str()).collect();
        assert_eq!(types.len(), 4, "{types:?}");
        assert_eq!(events.len(), 1_000);
    }

    #[test]
    fn compliance_inputs_per_body_and_year() {
        let classifier = classifier();
        let bodies = bodies(&classifier, 1);
        let years = (LAST_YEAR - FIRST_YEAR + 1) as usize;

        let events = compliance_events(100, 50, &bodies, 8);

        let campaigns = events
            .iter()
            .filter(|e| e.event_type == CAMPAIGN_RECORDED)
            .count();
        assert_eq!(campaigns, bodies.len() * years);
        assert_eq!(events.len(), campaigns + 150);
    }

    #[test]
    fn generators_are_deterministic() {
        let classifier = classifier();
        let bodies = bodies(&classifier, 1);
        let payloads = |seed| -> Vec<Value> {
            assessment_events(100, &bodies, &classifier, seed)
                .into_iter()
                .map(|e| e.payload)
                .collect()
        };

        assert_eq!(payloads(9), payloads(9));
        assert_ne!(payloads(9), payloads(10));
    }
}
