//! An in-memory copy of the read-model records that the dashboard figures and the
//! compliance rules count, kept per process and brought up to date on each request.
//!
//! Every write of a record stamps it with the next value of a counter in the database
//! (`store::changes`). A request reads the counter, and when it moved past the copy's
//! stamp, one request reads the records stamped since then and merges them while the
//! others wait for it. A new generation of the counter, which a rebuild starts, makes
//! it read every record again. So a request includes every change committed before it
//! began, whichever process applied it, and reads only what changed since the last
//! request instead of every record.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use chrono::{Datelike, NaiveDate};
use common_models::event::joint_actions::{ActionStateChanged, MonitoringChanged};
use common_models::event::needs::{AssessmentPublished, PriorityIdentified};
use common_models::event::recommendations::{
    OfficerRequestChanged, ReceptionChanged, RecommendationChanged,
};
use common_models::event::registry::CampaignRecorded;
use service_kit::{AnyConnection, Database, ServiceContext, Settings, StoreError};
use tokio::sync::{OwnedRwLockReadGuard, RwLock};

use crate::domain::analytics::{Counted, NpoFacts, RegisteredBody, Territory};
use crate::domain::compliance::{AnnualReportDue, Inputs, PublishedAssessment};
use crate::readmodel::{Dimension, GONE, Kind};
use crate::store::analytics::{ANSWERED, CLOSED};
use crate::store::changes::{self, ChangeMark, ChangedRecord, Changes};

/// Kinds the snapshot keeps with their decoded data.
const WITH_DATA: &[Kind] = &[
    Kind::Priority,
    Kind::Action,
    Kind::Monitoring,
    Kind::Recommendation,
    Kind::Assessment,
    Kind::Campaign,
    Kind::Reception,
    Kind::OfficerRequest,
];

/// Kinds the snapshot keeps without their data, because NPO records contain each NPO's
/// whole card and the figures read only their status, day and tags.
const WITHOUT_DATA: &[Kind] = &[Kind::Npo];

/// One record of the snapshot: the columns the store filters by, the further bodies it
/// belongs to (its `body` tags), the territories of its data, and its decoded data.
#[derive(Debug, Clone)]
pub struct Entry<T> {
    pub id: String,
    pub day: Option<NaiveDate>,
    pub status: String,
    pub government_body: Option<String>,
    pub bodies: Vec<String>,
    /// Territories of the data that are valid KATO codes. It is empty for kinds whose
    /// figures do not count by territory.
    pub territories: Vec<Territory>,
    pub data: T,
}

impl<T> Entry<T> {
    /// Returns whether the record is of `body` or tagged with it.
    fn belongs_to(&self, body: &str) -> bool {
        self.government_body.as_deref() == Some(body) || self.bodies.iter().any(|b| b == body)
    }

    /// Returns the record as the figures read it.
    pub fn counted(&self) -> Counted<'_, T> {
        Counted {
            day: self.day,
            territories: &self.territories,
            data: &self.data,
        }
    }
}

/// Records of one kind by id.
pub type Records<T> = HashMap<String, Entry<T>>;

/// Selects the records of `records` as `store::analytics::records_in` does: those
/// whose day falls in `year` (every record without a year), of `body` or tagged with
/// it (every body without one), leaving out those with a status in `excluded`. The
/// order is unspecified.
pub fn select<'a, T>(
    records: &'a Records<T>,
    year: Option<i32>,
    body: Option<&'a str>,
    excluded: &'a [&'a str],
) -> impl Iterator<Item = &'a Entry<T>> + 'a {
    records.values().filter(move |entry| {
        year.is_none_or(|year| entry.day.is_some_and(|day| day.year() == year))
            && body.is_none_or(|body| entry.belongs_to(body))
            && !excluded.contains(&entry.status.as_str())
    })
}

/// The records the figures count, as of one change mark.
#[derive(Default)]
pub struct Snapshot {
    /// Mark the records were read at, or `None` before the first load.
    mark: Option<ChangeMark>,
    shared: Shared,
    pub npos: HashMap<String, NpoFacts>,
    pub priorities: Records<PriorityIdentified>,
    pub actions: Records<ActionStateChanged>,
    pub monitoring: Records<MonitoringChanged>,
    pub recommendations: Records<RecommendationChanged>,
    pub assessments: Records<PublishedAssessment>,
    pub campaigns: Records<CampaignRecorded>,
    pub receptions: Records<ReceptionChanged>,
    pub officer_requests: Records<OfficerRequestChanged>,
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("mark", &self.mark)
            .field("npos", &self.npos.len())
            .field("priorities", &self.priorities.len())
            .field("recommendations", &self.recommendations.len())
            .finish_non_exhaustive()
    }
}

impl Snapshot {
    /// Returns whether the snapshot contains every record stamped up to `mark`. Stamps
    /// grow across generations, so a snapshot read at a later stamp covers it.
    fn covers(&self, mark: ChangeMark) -> bool {
        self.mark.is_some_and(|own| own.seq >= mark.seq)
    }

    /// Returns the NPOs, merged ones left out, registered in `year` (every NPO without
    /// a year), as `store::analytics::npo_facts` reads them.
    pub fn npos_in(&self, year: Option<i32>) -> impl Iterator<Item = &NpoFacts> {
        self.npos.values().filter(move |npo| {
            !GONE.contains(&&*npo.status)
                && year.is_none_or(|year| npo.registered_on.is_some_and(|d| d.year() == year))
        })
    }

    /// Builds the inputs of the compliance rules for every body or only for `body`, as
    /// `store::analytics::compliance_inputs` reads them, from the register's `bodies`
    /// and the `annual_reports` due, which the caller reads from the database.
    pub fn compliance_inputs(
        &self,
        body: Option<&str>,
        bodies: Vec<RegisteredBody>,
        annual_reports: Vec<AnnualReportDue>,
    ) -> Inputs {
        fn data<T: Clone>(records: &Records<T>, body: Option<&str>, excluded: &[&str]) -> Vec<T> {
            let mut selected: Vec<&Entry<T>> = select(records, None, body, excluded).collect();
            // In the store's order, by day and id, so the rules see the same input.
            selected.sort_unstable_by(|a, b| (a.day, &a.id).cmp(&(b.day, &b.id)));
            selected
                .into_iter()
                .map(|entry| entry.data.clone())
                .collect()
        }
        Inputs {
            bodies,
            campaigns: data(&self.campaigns, body, &[]),
            assessments: data(&self.assessments, body, &[]),
            receptions: data(&self.receptions, body, &[]),
            recommendations: data(&self.recommendations, body, &[CLOSED]),
            officer_requests: data(&self.officer_requests, body, &[ANSWERED]),
            annual_reports,
        }
    }

    /// Stores each decoded record, replacing the one of the same kind and id.
    fn merge(&mut self, decoded: Vec<Decoded>) {
        for record in decoded {
            match record {
                Decoded::Npo(id, npo) => {
                    let facts = self.shared.npo(npo);
                    self.npos.insert(id, facts);
                }
                Decoded::Priority(entry) => insert(&mut self.priorities, entry),
                Decoded::Action(entry) => insert(&mut self.actions, entry),
                Decoded::Monitoring(entry) => insert(&mut self.monitoring, entry),
                Decoded::Recommendation(entry) => insert(&mut self.recommendations, entry),
                Decoded::Assessment(entry) => insert(&mut self.assessments, entry),
                Decoded::Campaign(entry) => insert(&mut self.campaigns, entry),
                Decoded::Reception(entry) => insert(&mut self.receptions, entry),
                Decoded::OfficerRequest(entry) => insert(&mut self.officer_requests, entry),
            }
        }
    }
}

fn insert<T>(records: &mut Records<T>, entry: Entry<T>) {
    records.insert(entry.id.clone(), entry);
}

/// An NPO record's columns and tags, before the snapshot shares its values.
struct RawNpo {
    status: String,
    registered_on: Option<NaiveDate>,
    territories: Vec<String>,
    spheres: Vec<String>,
}

/// One copy of each status, territory list and sphere list of the snapshot's NPOs,
/// which every NPO with that value points to. A list no NPO has any more stays until
/// the next full load.
#[derive(Default)]
struct Shared {
    statuses: HashMap<String, Arc<str>>,
    territories: HashMap<Vec<String>, Arc<[Territory]>>,
    spheres: HashMap<Vec<String>, Arc<[Arc<str>]>>,
    sphere_codes: HashMap<String, Arc<str>>,
}

impl Shared {
    fn npo(&mut self, npo: RawNpo) -> NpoFacts {
        let status = Arc::clone(
            self.statuses
                .entry(npo.status)
                .or_insert_with_key(|status| Arc::from(status.as_str())),
        );
        let territories = Arc::clone(
            self.territories
                .entry(npo.territories)
                .or_insert_with_key(|raw| Territory::parse_all(raw).into()),
        );
        let spheres = match self.spheres.get(&npo.spheres) {
            Some(found) => Arc::clone(found),
            None => {
                let codes: Arc<[Arc<str>]> = npo
                    .spheres
                    .iter()
                    .map(|code| {
                        Arc::clone(
                            self.sphere_codes
                                .entry(code.clone())
                                .or_insert_with_key(|code| Arc::from(code.as_str())),
                        )
                    })
                    .collect();
                self.spheres.insert(npo.spheres, Arc::clone(&codes));
                codes
            }
        };
        NpoFacts {
            status,
            registered_on: npo.registered_on,
            territories,
            spheres,
        }
    }
}

/// A record read from the database, decoded into what the snapshot keeps of its kind.
enum Decoded {
    Npo(String, RawNpo),
    Priority(Entry<PriorityIdentified>),
    Action(Entry<ActionStateChanged>),
    Monitoring(Entry<MonitoringChanged>),
    Recommendation(Entry<RecommendationChanged>),
    Assessment(Entry<PublishedAssessment>),
    Campaign(Entry<CampaignRecorded>),
    Reception(Entry<ReceptionChanged>),
    OfficerRequest(Entry<OfficerRequestChanged>),
}

/// The records one refresh read from the database.
enum Loaded {
    /// Every record, as a new snapshot.
    Full(Box<Snapshot>),
    /// The records stamped after the snapshot's mark, decoded, and the mark they were
    /// read at.
    Changes {
        mark: ChangeMark,
        records: Vec<Decoded>,
    },
}

/// Reads and decodes the records stamped after `after`, or every record into a new
/// snapshot when `after` is `None`. It runs on a blocking thread, so decoding and
/// building a snapshot of 100,000 NPOs does not hold up the async workers.
fn read_changes(conn: &mut AnyConnection, after: Option<i64>) -> Result<Loaded, StoreError> {
    let Changes { mark, records } = changes::since(conn, WITH_DATA, WITHOUT_DATA, after)?;
    let records = records
        .into_iter()
        .map(decode)
        .collect::<Result<Vec<_>, _>>()?;
    if after.is_some() {
        return Ok(Loaded::Changes { mark, records });
    }
    let mut fresh = Snapshot::default();
    fresh.merge(records);
    fresh.mark = Some(mark);
    Ok(Loaded::Full(Box::new(fresh)))
}

/// The columns of a record that every [`Entry`] keeps.
struct Columns {
    id: String,
    day: Option<NaiveDate>,
    status: String,
    government_body: Option<String>,
    bodies: Vec<String>,
}

impl Columns {
    fn with<T>(self, data: T, territories: Vec<Territory>) -> Entry<T> {
        Entry {
            id: self.id,
            day: self.day,
            status: self.status,
            government_body: self.government_body,
            bodies: self.bodies,
            territories,
            data,
        }
    }
}

fn decode(record: ChangedRecord) -> Result<Decoded, StoreError> {
    let mut bodies = Vec::new();
    let mut territories = Vec::new();
    let mut spheres = Vec::new();
    for (dimension, value) in record.tags {
        if dimension == Dimension::Body.code() {
            bodies.push(value);
        } else if dimension == Dimension::Territory.code() {
            territories.push(value);
        } else if dimension == Dimension::Sphere.code() {
            spheres.push(value);
        }
    }
    if record.kind == Kind::Npo {
        let npo = RawNpo {
            status: record.status,
            registered_on: record.day,
            territories,
            spheres,
        };
        return Ok(Decoded::Npo(record.id, npo));
    }

    let kind = record.kind.code();
    let json = record.data.as_deref().unwrap_or("null");
    let columns = Columns {
        id: record.id,
        day: record.day,
        status: record.status,
        government_body: record.government_body,
        bodies,
    };
    Ok(match record.kind {
        Kind::Priority => {
            let data: PriorityIdentified = crate::store::from_json(kind, json)?;
            let territories = Territory::parse_all([&data.territory]);
            Decoded::Priority(columns.with(data, territories))
        }
        Kind::Action => {
            let data: ActionStateChanged = crate::store::from_json(kind, json)?;
            let territories = Territory::parse_all(&data.territory);
            Decoded::Action(columns.with(data, territories))
        }
        Kind::Recommendation => {
            let data: RecommendationChanged = crate::store::from_json(kind, json)?;
            let territories = Territory::parse_all(&data.territory);
            Decoded::Recommendation(columns.with(data, territories))
        }
        Kind::Assessment => {
            let published: AssessmentPublished = crate::store::from_json(kind, json)?;
            // As `store::analytics::compliance_inputs` reads it.
            let assessment = PublishedAssessment {
                published_on: columns
                    .day
                    .or(published.completed_on)
                    .unwrap_or(published.period_end),
                assessment_id: published.assessment_id,
                government_body: published.government_body,
                spheres: published.spheres,
            };
            Decoded::Assessment(columns.with(assessment, Vec::new()))
        }
        Kind::Monitoring => {
            Decoded::Monitoring(columns.with(crate::store::from_json(kind, json)?, Vec::new()))
        }
        Kind::Campaign => {
            Decoded::Campaign(columns.with(crate::store::from_json(kind, json)?, Vec::new()))
        }
        Kind::Reception => {
            Decoded::Reception(columns.with(crate::store::from_json(kind, json)?, Vec::new()))
        }
        Kind::OfficerRequest => {
            Decoded::OfficerRequest(columns.with(crate::store::from_json(kind, json)?, Vec::new()))
        }
        other => {
            return Err(StoreError::Query(anyhow::anyhow!(
                "read-model records of kind {} are not kept for the analytics",
                other.code()
            )));
        }
    })
}

/// The snapshot of one running aggregation service, with the lock that lets one
/// request at a time bring it up to date.
#[derive(Debug, Default)]
pub struct Snapshots {
    current: Arc<RwLock<Snapshot>>,
    refresh: tokio::sync::Mutex<()>,
}

impl Snapshots {
    /// Returns the snapshot of the service of `context`, created on first use. Every
    /// worker of one server shares it; another server started in the same process,
    /// as tests do, gets its own.
    pub fn of(context: &ServiceContext) -> Arc<Self> {
        static ALL: Mutex<Vec<(Weak<Settings>, Arc<Snapshots>)>> = Mutex::new(Vec::new());
        let mut all = ALL
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        all.retain(|(settings, _)| settings.strong_count() > 0);
        if let Some((_, found)) = all
            .iter()
            .find(|(settings, _)| std::ptr::eq(settings.as_ptr(), Arc::as_ptr(&context.settings)))
        {
            return Arc::clone(found);
        }
        let created = Arc::new(Self::default());
        all.push((Arc::downgrade(&context.settings), Arc::clone(&created)));
        created
    }

    /// Returns the snapshot, brought up to date with every record committed before the
    /// call. Reads only the change mark when nothing changed.
    pub async fn current(
        &self,
        db: &Database,
    ) -> Result<OwnedRwLockReadGuard<Snapshot>, StoreError> {
        let latest = db.run(changes::mark).await?;
        let snapshot = Arc::clone(&self.current).read_owned().await;
        if snapshot.covers(latest) {
            return Ok(snapshot);
        }
        drop(snapshot);

        // One request reads the changes; the others wait here and then find the
        // snapshot up to date.
        let _refreshing = self.refresh.lock().await;
        let snapshot = Arc::clone(&self.current).read_owned().await;
        if snapshot.covers(latest) {
            return Ok(snapshot);
        }
        let mut after = snapshot
            .mark
            .filter(|mark| mark.generation == latest.generation)
            .map(|mark| mark.seq);
        drop(snapshot);
        let loaded = loop {
            let loaded = db.run(move |conn| read_changes(conn, after)).await?;
            // A rebuild that committed after `latest` was read deleted records that
            // the changes cannot show, so every record is read again.
            if let Loaded::Changes { mark, .. } = &loaded
                && mark.generation != latest.generation
            {
                after = None;
                continue;
            }
            break loaded;
        };

        match loaded {
            Loaded::Full(fresh) => *self.current.write().await = *fresh,
            Loaded::Changes { mark, records } => {
                let mut snapshot = self.current.write().await;
                snapshot.merge(records);
                snapshot.mark = Some(mark);
            }
        }
        Ok(Arc::clone(&self.current).read_owned().await)
    }
}
