//! The read models the ministry's reports and analytics are built from, fed by the
//! events of every other service.
//!
//! Most events carry the whole state of the thing they are about, so applying one
//! stores that state as one record, unless a newer event already did. The registry's
//! events carry parts of an NPO, so an NPO record orders each part on its own.
//! Applying the same events again, or in another order, gives the same records, which
//! is what lets a rebuild from the services' event logs equal the incrementally built
//! read model.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use common_models::event::{
    EventEnvelope, joint_actions as ja, needs, recommendations as rec, registry,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use service_kit::inbox::Consumer;
use service_kit::{AnyConnection, ServiceContext, StoreError};
use uuid::Uuid;

use crate::store::records;

/// Name of the consumer in the inbox; its queue is `<exchange>.<name>`.
pub const CONSUMER: &str = "aggregation.read-models";

/// Event types the read models are built from.
pub const EVENT_TYPES: &[&str] = &[
    registry::NPO_REGISTERED,
    registry::NPO_UPDATED,
    registry::NPO_STATUS_CHANGED,
    registry::NPO_MERGED,
    registry::PROJECT_RECORDED,
    registry::CAMPAIGN_RECORDED,
    needs::ASSESSMENT_PUBLISHED,
    needs::PRIORITY_IDENTIFIED,
    needs::PRIORITY_WITHDRAWN,
    ja::PLAN_APPROVED,
    ja::PLAN_CHANGED,
    ja::ACTION_STATE_CHANGED,
    ja::MONITORING_CHANGED,
    ja::EVALUATION_COMPLETED,
    ja::MEETING_RECORDED,
    rec::RECOMMENDATION_RECEIVED,
    rec::RECOMMENDATION_DECIDED,
    rec::RECOMMENDATION_FORWARDED,
    rec::RECOMMENDATION_CLOSED,
    rec::RECOMMENDATION_ANSWERED,
    rec::CONSULTATION_RECORDED,
    rec::OFFICER_REQUEST_SENT,
    rec::OFFICER_REQUEST_ANSWERED,
    rec::RECEPTION_REQUESTED,
    rec::RECEPTION_APPOINTED,
];

/// Services whose event logs feed the read models, in the order a rebuild reads them.
pub const SOURCES: &[&str] = &["registry", "needs", "joint-actions", "recommendations"];

/// Kind of a read-model record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Npo,
    Project,
    Campaign,
    Assessment,
    Priority,
    Plan,
    Meeting,
    Action,
    Monitoring,
    Evaluation,
    Recommendation,
    Consultation,
    OfficerRequest,
    Reception,
}

impl Kind {
    /// Stable code stored in the database.
    pub fn code(self) -> &'static str {
        match self {
            Self::Npo => "npo",
            Self::Project => "project",
            Self::Campaign => "campaign",
            Self::Assessment => "assessment",
            Self::Priority => "priority",
            Self::Plan => "plan",
            Self::Meeting => "meeting",
            Self::Action => "action",
            Self::Monitoring => "monitoring",
            Self::Evaluation => "evaluation",
            Self::Recommendation => "recommendation",
            Self::Consultation => "consultation",
            Self::OfficerRequest => "officer_request",
            Self::Reception => "reception",
        }
    }
}

/// Dimension a tag of a record belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    Sphere,
    Territory,
    /// A further body the record belongs to, besides its own.
    Body,
}

impl Dimension {
    /// Stable code stored in the database.
    pub fn code(self) -> &'static str {
        match self {
            Self::Sphere => "sphere",
            Self::Territory => "territory",
            Self::Body => "body",
        }
    }
}

/// Status of a record that no longer counts: a merged NPO, a withdrawn priority.
pub const GONE: &[&str] = &[MERGED, WITHDRAWN];
const MERGED: &str = "merged";
const WITHDRAWN: &str = "withdrawn";

/// The state of one record as an event carries it.
#[derive(Debug, Clone)]
pub struct Record {
    pub kind: Kind,
    pub id: String,
    pub government_body: Option<String>,
    pub status: String,
    pub day: Option<NaiveDate>,
    pub day_end: Option<NaiveDate>,
    pub data: Value,
    pub tags: Vec<(Dimension, String)>,
}

impl Record {
    fn new(kind: Kind, id: &str, status: &str, data: impl Serialize) -> Result<Self, StoreError> {
        Ok(Self {
            kind,
            id: id.to_owned(),
            government_body: None,
            status: status.to_owned(),
            day: None,
            day_end: None,
            data: serde_json::to_value(data).map_err(|e| StoreError::Query(e.into()))?,
            tags: Vec::new(),
        })
    }

    fn of_body(mut self, body: &str) -> Self {
        self.government_body = Some(body.to_owned());
        self
    }

    fn on(mut self, day: Option<NaiveDate>, day_end: Option<NaiveDate>) -> Self {
        self.day = day;
        self.day_end = day_end.or(day);
        self
    }

    fn tagged<'a>(
        mut self,
        dimension: Dimension,
        values: impl IntoIterator<Item = &'a String>,
    ) -> Self {
        self.tags
            .extend(values.into_iter().map(|v| (dimension, v.clone())));
        self
    }
}

/// An NPO as the registry's events describe it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NpoState {
    pub npo_id: String,
    pub bin: Option<String>,
    pub name_ru: Option<String>,
    pub name_kk: Option<String>,
    pub status: String,
    pub territories: Vec<String>,
    pub spheres: Vec<String>,
    pub registered_on: NaiveDate,
    pub card: Option<registry::NpoReportCard>,
}

/// Time and id of an event, the order in which the read models apply changes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Stamp {
    pub at: DateTime<Utc>,
    pub event_id: Uuid,
}

impl Stamp {
    /// Returns the stamp of `event`, at the microsecond precision the databases keep.
    pub fn of(event: &EventEnvelope) -> Self {
        Self {
            at: common_models::time::truncate_to_micros(event.occurred_at),
            event_id: event.id,
        }
    }
}

/// The stored record of an NPO: its state, and the event that last set each part.
///
/// A registry event may carry only part of an NPO: a status change carries the status,
/// and an update of earlier releases the territories and spheres. Each part changes
/// only with an event newer than the one that set it, so that a newer partial event
/// does not shut out an older one that set another part.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct NpoRecord {
    #[serde(flatten)]
    state: NpoState,
    #[serde(default)]
    set_by: NpoStamps,
}

/// Stamps of the events that last set each part of an NPO record, `None` until one did.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct NpoStamps {
    /// Day of registration.
    registration: Option<Stamp>,
    /// BIN, names, territories, spheres and report card.
    facts: Option<Stamp>,
    status: Option<Stamp>,
}

/// A part of an NPO record that events set independently.
#[derive(Debug, Clone, Copy)]
enum NpoPart {
    Registration,
    Facts,
    Status,
}

impl NpoRecord {
    fn new(state: NpoState) -> Self {
        Self {
            state,
            set_by: NpoStamps::default(),
        }
    }

    /// Applies `change` to `part` when `stamp` is newer than the event that last set
    /// it. Returns whether it did.
    fn set(&mut self, part: NpoPart, stamp: &Stamp, change: impl FnOnce(&mut NpoState)) -> bool {
        let held = match part {
            NpoPart::Registration => &mut self.set_by.registration,
            NpoPart::Facts => &mut self.set_by.facts,
            NpoPart::Status => &mut self.set_by.status,
        };
        if held.as_ref().is_some_and(|held| held >= stamp) {
            return false;
        }
        *held = Some(stamp.clone());
        change(&mut self.state);
        true
    }

    /// Returns the stamp of the newest event that set a part.
    fn latest(&self) -> Option<&Stamp> {
        let stamps = &self.set_by;
        [&stamps.registration, &stamps.facts, &stamps.status]
            .into_iter()
            .flatten()
            .max()
    }
}

/// Returns the consumer that feeds the read models.
pub fn consumers(_: &ServiceContext) -> Vec<Consumer> {
    vec![Consumer {
        name: CONSUMER.to_owned(),
        bindings: EVENT_TYPES.iter().map(|t| (*t).to_owned()).collect(),
        handler: Arc::new(apply),
    }]
}

fn payload<T: serde::de::DeserializeOwned>(event: &EventEnvelope) -> Result<T, StoreError> {
    serde_json::from_value(event.payload.clone()).map_err(|e| {
        StoreError::Query(anyhow::anyhow!(
            "event {} of type {} has an unreadable payload: {}",
            event.id,
            event.event_type,
            service_kit::telemetry::describe_json_error(&e)
        ))
    })
}

/// Applies one event to the read models. Unknown event types change nothing.
pub fn apply(conn: &mut AnyConnection, event: &EventEnvelope) -> Result<(), StoreError> {
    let day = common_models::time::local_date(event.occurred_at);
    match event.event_type.as_str() {
        registry::NPO_REGISTERED => {
            let p: registry::NpoRegistered = payload(event)?;
            let registered = NpoState {
                npo_id: p.npo_id,
                bin: p.bin,
                name_ru: p.name_ru,
                name_kk: p.name_kk,
                status: p.status,
                territories: p.territories,
                spheres: p.spheres,
                registered_on: day,
                card: p.card,
            };
            let stamp = Stamp::of(event);
            let mut npo = held_npo(conn, &registered.npo_id)?
                .unwrap_or_else(|| NpoRecord::new(registered.clone()));
            let changed = [
                npo.set(NpoPart::Registration, &stamp, |state| {
                    state.registered_on = registered.registered_on;
                }),
                npo.set(NpoPart::Facts, &stamp, |state| {
                    state.bin.clone_from(&registered.bin);
                    state.name_ru.clone_from(&registered.name_ru);
                    state.name_kk.clone_from(&registered.name_kk);
                    state.territories.clone_from(&registered.territories);
                    state.spheres.clone_from(&registered.spheres);
                    state.card.clone_from(&registered.card);
                }),
                npo.set(NpoPart::Status, &stamp, |state| {
                    state.status.clone_from(&registered.status);
                }),
            ];
            store_npo(conn, npo, changed.contains(&true))
        }
        registry::NPO_UPDATED => {
            let p: registry::NpoUpdated = payload(event)?;
            let held = held_npo(conn, &p.npo_id)?;
            let Some(mut npo) = held.or_else(|| from_card(&p, day).map(NpoRecord::new)) else {
                return missing(event, &p.npo_id);
            };
            let stamp = Stamp::of(event);
            let facts = npo.set(NpoPart::Facts, &stamp, |state| {
                state.territories.clone_from(&p.territories);
                state.spheres.clone_from(&p.spheres);
                if let Some(card) = &p.card {
                    state.bin.clone_from(&card.bin);
                    state.name_ru.clone_from(&card.name_ru);
                    state.name_kk.clone_from(&card.name_kk);
                    state.card = Some(card.clone());
                }
            });
            let status = p.card.as_ref().is_some_and(|card| {
                npo.set(NpoPart::Status, &stamp, |state| {
                    state.status.clone_from(&card.status);
                })
            });
            store_npo(conn, npo, facts || status)
        }
        registry::NPO_STATUS_CHANGED => {
            let p: registry::NpoStatusChanged = payload(event)?;
            let Some(mut npo) = held_npo(conn, &p.npo_id)? else {
                return missing(event, &p.npo_id);
            };
            let changed = npo.set(NpoPart::Status, &Stamp::of(event), |state| {
                state.status = p.to;
            });
            store_npo(conn, npo, changed)
        }
        registry::NPO_MERGED => {
            let p: registry::NpoMerged = payload(event)?;
            let Some(mut npo) = held_npo(conn, &p.merged_id)? else {
                return missing(event, &p.merged_id);
            };
            let changed = npo.set(NpoPart::Status, &Stamp::of(event), |state| {
                state.status = MERGED.to_owned();
            });
            store_npo(conn, npo, changed)
        }
        registry::PROJECT_RECORDED => {
            let p: registry::ProjectRecorded = payload(event)?;
            let record = Record::new(Kind::Project, &p.project_id, "recorded", &p)?
                .on(p.starts_on, p.ends_on)
                .tagged(Dimension::Sphere, &p.sphere)
                .tagged(Dimension::Territory, &p.territory);
            put(conn, event, record)
        }
        registry::CAMPAIGN_RECORDED => {
            let p: registry::CampaignRecorded = payload(event)?;
            let status = if p.inside_window {
                "inside_window"
            } else {
                "outside_window"
            };
            let record = Record::new(Kind::Campaign, &p.campaign_id, status, &p)?
                .of_body(&p.government_body)
                .on(Some(day), None);
            put(conn, event, record)
        }
        needs::PRIORITY_IDENTIFIED => {
            let p: needs::PriorityIdentified = payload(event)?;
            put(conn, event, priority(&p, "identified", day)?)
        }
        needs::PRIORITY_WITHDRAWN => {
            let p: needs::PriorityWithdrawn = payload(event)?;
            let Some(held) = records::get(conn, Kind::Priority, &p.priority_id)? else {
                return missing(event, &p.priority_id);
            };
            let identified: needs::PriorityIdentified = held.data()?;
            put(conn, event, priority(&identified, WITHDRAWN, day)?)
        }
        needs::ASSESSMENT_PUBLISHED => {
            let p: needs::AssessmentPublished = payload(event)?;
            let published = p.completed_on.unwrap_or(day);
            for held in records::of_body(conn, Kind::Priority, &p.government_body, GONE)? {
                let identified: needs::PriorityIdentified = held.data()?;
                let kept = p
                    .priorities
                    .iter()
                    .any(|k| k.priority_id == identified.priority_id);
                if identified.assessment_id == p.assessment_id && !kept {
                    put(conn, event, priority(&identified, WITHDRAWN, published)?)?;
                }
            }
            for kept in &p.priorities {
                put(conn, event, priority(kept, "published", published)?)?;
            }
            let record = Record::new(Kind::Assessment, &p.assessment_id, "published", &p)?
                .of_body(&p.government_body)
                .on(Some(published), None)
                .tagged(Dimension::Sphere, &p.spheres)
                .tagged(Dimension::Territory, [&p.territory]);
            put(conn, event, record)
        }
        ja::PLAN_APPROVED | ja::PLAN_CHANGED => {
            let p: ja::PlanVersioned = payload(event)?;
            let record = Record::new(Kind::Plan, &p.plan_id, "approved", &p)?
                .of_body(&p.government_body)
                .on(Some(p.approved_on.unwrap_or(day)), None);
            put(conn, event, record)
        }
        ja::MEETING_RECORDED => {
            let p: ja::MeetingRecorded = payload(event)?;
            let record = Record::new(Kind::Meeting, &p.meeting_id, "held", &p)?
                .of_body(&p.government_body)
                .on(Some(p.held_on), None);
            put(conn, event, record)
        }
        ja::ACTION_STATE_CHANGED => {
            let p: ja::ActionStateChanged = payload(event)?;
            let record = Record::new(Kind::Action, &p.action_id, &p.to, &p)?
                .of_body(&p.government_body)
                .on(p.started_on.or(Some(day)), p.completed_on)
                .tagged(Dimension::Sphere, &p.spheres)
                .tagged(Dimension::Territory, &p.territory);
            put(conn, event, record)
        }
        ja::MONITORING_CHANGED => {
            let p: ja::MonitoringChanged = payload(event)?;
            let record = Record::new(Kind::Monitoring, &p.action_id, "current", &p)?
                .of_body(&p.government_body)
                .on(Some(day), None);
            put(conn, event, record)
        }
        ja::EVALUATION_COMPLETED => {
            let p: ja::EvaluationCompleted = payload(event)?;
            let record = Record::new(Kind::Evaluation, &p.action_id, "completed", &p)?
                .of_body(&p.government_body)
                .on(Some(day), None);
            put(conn, event, record)
        }
        rec::RECOMMENDATION_RECEIVED
        | rec::RECOMMENDATION_DECIDED
        | rec::RECOMMENDATION_FORWARDED
        | rec::RECOMMENDATION_CLOSED
        | rec::RECOMMENDATION_ANSWERED => {
            let p: rec::RecommendationChanged = payload(event)?;
            // Every body that held the recommendation keeps it in its report.
            let mut held_by: Vec<String> = [p.received_by.clone(), p.forwarded_from.clone()]
                .into_iter()
                .flatten()
                .collect();
            if let Some(held) = records::get(conn, Kind::Recommendation, &p.recommendation_id)? {
                held_by.extend(held.government_body);
                held_by.extend(records::tags_of_record(
                    conn,
                    Kind::Recommendation,
                    &p.recommendation_id,
                    Dimension::Body,
                )?);
            }
            held_by.retain(|body| body != &p.government_body);
            let record = Record::new(Kind::Recommendation, &p.recommendation_id, &p.status, &p)?
                .of_body(&p.government_body)
                .on(Some(p.received_on), p.answered_on)
                .tagged(Dimension::Sphere, [&p.sphere])
                .tagged(Dimension::Territory, &p.territory)
                .tagged(Dimension::Body, &held_by);
            put(conn, event, record)
        }
        rec::CONSULTATION_RECORDED => {
            let p: rec::ConsultationRecorded = payload(event)?;
            let record = Record::new(Kind::Consultation, &p.consultation_id, &p.direction, &p)?
                .of_body(&p.government_body)
                .on(Some(p.held_on), None)
                .tagged(Dimension::Sphere, &p.sphere);
            put(conn, event, record)
        }
        rec::OFFICER_REQUEST_SENT | rec::OFFICER_REQUEST_ANSWERED => {
            let p: rec::OfficerRequestChanged = payload(event)?;
            let status = if p.answered_on.is_some() {
                "answered"
            } else {
                "sent"
            };
            let record = Record::new(Kind::OfficerRequest, &p.request_id, status, &p)?
                .of_body(&p.from_body)
                .on(Some(p.sent_on), Some(p.deadline))
                .tagged(Dimension::Sphere, &p.sphere)
                .tagged(Dimension::Body, [&p.to_body]);
            put(conn, event, record)
        }
        rec::RECEPTION_REQUESTED | rec::RECEPTION_APPOINTED => {
            let p: rec::ReceptionChanged = payload(event)?;
            let record = Record::new(Kind::Reception, &p.request_id, &p.status, &p)?
                .of_body(&p.government_body)
                .on(Some(p.requested_on), p.appointed_on);
            put(conn, event, record)
        }
        _ => Ok(()),
    }
}

fn put(conn: &mut AnyConnection, event: &EventEnvelope, record: Record) -> Result<(), StoreError> {
    records::put(conn, event, &record).map(|_| ())
}

fn held_npo(conn: &mut AnyConnection, id: &str) -> Result<Option<NpoRecord>, StoreError> {
    records::get(conn, Kind::Npo, id)?
        .map(|held| held.data::<NpoRecord>())
        .transpose()
}

/// Builds the NPO an update describes, for an update that arrives before the
/// registration. The registration, when it arrives, sets the day of registration.
fn from_card(update: &registry::NpoUpdated, day: NaiveDate) -> Option<NpoState> {
    update.card.as_ref().map(|card| NpoState {
        npo_id: update.npo_id.clone(),
        bin: card.bin.clone(),
        name_ru: card.name_ru.clone(),
        name_kk: card.name_kk.clone(),
        status: card.status.clone(),
        territories: update.territories.clone(),
        spheres: update.spheres.clone(),
        registered_on: day,
        card: Some(card.clone()),
    })
}

/// Stores the NPO record when an event `changed` a part of it, as written by the
/// newest event that set a part.
fn store_npo(
    conn: &mut AnyConnection,
    mut npo: NpoRecord,
    changed: bool,
) -> Result<(), StoreError> {
    let Some(latest) = npo.latest().cloned().filter(|_| changed) else {
        return Ok(());
    };
    // The card lists the current status, except that a merged NPO keeps the status
    // it had before the merge.
    let status = npo.state.status.clone();
    if let Some(card) = npo.state.card.as_mut()
        && status != MERGED
    {
        card.status = status;
    }
    let state = &npo.state;
    let record = Record::new(Kind::Npo, &state.npo_id, &state.status, &npo)?
        .on(Some(state.registered_on), None)
        .tagged(Dimension::Sphere, &state.spheres)
        .tagged(Dimension::Territory, &state.territories);
    records::replace(conn, &latest, &record)
}

fn priority(
    p: &needs::PriorityIdentified,
    status: &str,
    day: NaiveDate,
) -> Result<Record, StoreError> {
    Ok(Record::new(Kind::Priority, &p.priority_id, status, p)?
        .of_body(&p.government_body)
        .on(Some(day), None)
        .tagged(Dimension::Sphere, [&p.sphere])
        .tagged(Dimension::Territory, [&p.territory]))
}

/// Fails an event about a record the read models do not hold yet, such as an update
/// whose registration has not arrived. The consumer retries it a few times and then
/// moves it to the dead-letter queue. A rebuild applies the events in the order the
/// changes happened, so it skips such an event only when the log lacks the record.
fn missing(event: &EventEnvelope, id: &str) -> Result<(), StoreError> {
    Err(StoreError::Query(anyhow::anyhow!(
        "event {} of type {} concerns {id}, which the read models do not hold yet",
        event.id,
        event.event_type
    )))
}
