//! Delivery of events to the aggregation read models: each event that a source
//! service wrote to its outbox, with the time the read models applied it.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use service_kit::schema::{inbox_events, outbox_events};

use super::topology::Topology;

/// One event of a source service and when the read models applied it.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub occurred_at: NaiveDateTime,
    pub applied_at: Option<NaiveDateTime>,
}

impl Delivery {
    /// Returns the time from the event's `occurred_at`, stamped as the write built it,
    /// to its `applied_at` in the read models' inbox, when applied. Both come from the
    /// same clock, so a negative difference is rounding and counts as zero.
    pub fn latency(&self) -> Option<Duration> {
        let applied = self.applied_at?;
        Some((applied - self.occurred_at).to_std().unwrap_or_default())
    }
}

/// Reads every event that the read models consume and the source services wrote at
/// or after `since`, with the time each was applied.
pub fn deliveries(topology: &Topology, since: NaiveDateTime) -> anyhow::Result<Vec<Delivery>> {
    let mut applied: HashMap<String, NaiveDateTime> = HashMap::new();
    let mut conn = topology.connect("aggregation")?;
    let rows: Vec<(String, NaiveDateTime)> = inbox_events::table
        .filter(inbox_events::consumer.eq(aggregation::readmodel::CONSUMER))
        .select((inbox_events::event_id, inbox_events::applied_at))
        .load(&mut conn)
        .context("cannot read the read models' inbox")?;
    applied.extend(rows);

    let mut found = Vec::new();
    for source in aggregation::readmodel::SOURCES {
        let mut conn = topology.connect(source)?;
        let rows: Vec<(String, NaiveDateTime)> = outbox_events::table
            .filter(outbox_events::occurred_at.ge(since))
            .filter(outbox_events::event_type.eq_any(aggregation::readmodel::EVENT_TYPES))
            .select((outbox_events::id, outbox_events::occurred_at))
            .load(&mut conn)
            .with_context(|| format!("cannot read the outbox of {source}"))?;
        found.extend(rows.into_iter().map(|(id, occurred_at)| Delivery {
            occurred_at,
            applied_at: applied.get(&id).copied(),
        }));
    }
    Ok(found)
}

/// Waits until the read models applied every event written since `since`, or
/// `timeout` passed, and returns the deliveries as last read.
pub async fn wait_delivered(
    topology: &Topology,
    since: NaiveDateTime,
    timeout: Duration,
) -> anyhow::Result<Vec<Delivery>> {
    let started = Instant::now();
    loop {
        let found = tokio::task::block_in_place(|| deliveries(topology, since))?;
        let pending = found.iter().filter(|d| d.applied_at.is_none()).count();
        if pending == 0 || started.elapsed() > timeout {
            return Ok(found);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
