//! The transactional outbox: an event is written in the same transaction as the change
//! it describes, and a relay publishes it afterwards. Rows are kept after publishing
//! and served as the service's event log.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use common_models::event::EventEnvelope;
use diesel::prelude::*;
use serde::Serialize;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::bus::EventBus;
use crate::db::{AnyConnection, Database, StoreError};
use crate::metrics;
use crate::schema::outbox_events;

/// Rows the relay publishes per round.
const BATCH: i64 = 100;
/// Interval at which the relay looks for rows when no writer woke it.
const POLL: Duration = Duration::from_secs(1);

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = outbox_events)]
struct OutboxRow {
    seq: i64,
    id: String,
    event_type: String,
    version: i32,
    occurred_at: NaiveDateTime,
    service: String,
    actor: Option<String>,
    government_body: Option<String>,
    payload: String,
    traceparent: Option<String>,
}

impl OutboxRow {
    fn envelope(&self) -> Result<EventEnvelope, StoreError> {
        Ok(EventEnvelope {
            id: Uuid::parse_str(&self.id).map_err(|e| StoreError::Query(e.into()))?,
            event_type: self.event_type.clone(),
            version: u32::try_from(self.version).unwrap_or_default(),
            occurred_at: DateTime::from_naive_utc_and_offset(self.occurred_at, Utc),
            service: self.service.clone(),
            actor: self.actor.clone(),
            government_body: self.government_body.clone(),
            payload: crate::columns::from_json("event payload", &self.payload)?,
        })
    }
}

/// An event ready to be written to the outbox, with the trace it belongs to.
#[derive(Debug, Clone)]
pub struct OutgoingEvent {
    pub envelope: EventEnvelope,
    pub traceparent: Option<String>,
}

/// Key of the PostgreSQL advisory lock that orders outbox writers.
const OUTBOX_LOCK: i64 = 0x6f75_7462_6f78;

/// Writes `event` to the outbox. Call it inside the transaction of the change.
///
/// On PostgreSQL the transaction first takes an advisory lock held until it commits,
/// so log positions are assigned in commit order. Without it, a transaction could take
/// position 41, commit after the one with 42, and a reader that already passed 42
/// would never see 41. SQLite has one writer at a time and needs no lock.
// NOTE: the lock serialises the commits of every transaction that writes events in
// one service database. A batch write takes it once, so its cost is per transaction.
pub fn enqueue(conn: &mut AnyConnection, event: &OutgoingEvent) -> Result<(), StoreError> {
    enqueue_many(conn, std::slice::from_ref(event))
}

/// Rows written by one INSERT, well below SQLite's limit of 32,766 bound parameters.
const INSERT_ROWS: usize = 1_000;

/// Writes `events` to the outbox in their order, like [`enqueue`] but with one lock
/// and few statements, for batch writes.
pub fn enqueue_many(conn: &mut AnyConnection, events: &[OutgoingEvent]) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    if let AnyConnection::Postgresql(pg) = conn {
        diesel::sql_query(format!("SELECT pg_advisory_xact_lock({OUTBOX_LOCK})")).execute(pg)?;
    }
    for chunk in events.chunks(INSERT_ROWS) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|event| {
                let envelope = &event.envelope;
                (
                    outbox_events::id.eq(envelope.id.to_string()),
                    outbox_events::event_type.eq(&envelope.event_type),
                    outbox_events::version.eq(i32::try_from(envelope.version).unwrap_or(i32::MAX)),
                    outbox_events::occurred_at.eq(envelope.occurred_at.naive_utc()),
                    outbox_events::service.eq(&envelope.service),
                    outbox_events::actor.eq(&envelope.actor),
                    outbox_events::government_body.eq(&envelope.government_body),
                    outbox_events::payload.eq(envelope.payload.to_string()),
                    outbox_events::traceparent.eq(&event.traceparent),
                )
            })
            .collect();
        let insert = diesel::insert_into(outbox_events::table).values(rows);
        crate::with_backend!(conn, |c| insert.execute(c))?;
    }
    Ok(())
}

/// One entry of a service's event log.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoggedEvent {
    /// Position in this service's log; pass the last one seen as `after`.
    pub seq: i64,
    pub event: EventEnvelope,
}

/// Reads up to `limit` events after position `after`, oldest first.
pub fn read_log(
    conn: &mut AnyConnection,
    after: i64,
    limit: i64,
) -> Result<Vec<LoggedEvent>, StoreError> {
    let rows: Vec<OutboxRow> = outbox_events::table
        .filter(outbox_events::seq.gt(after))
        .order(outbox_events::seq.asc())
        .limit(limit)
        .select(OutboxRow::as_select())
        .load(conn)?;
    rows.iter()
        .map(|row| {
            Ok(LoggedEvent {
                seq: row.seq,
                event: row.envelope()?,
            })
        })
        .collect()
}

/// Counts events not yet confirmed by the broker.
pub fn count_pending(conn: &mut AnyConnection) -> Result<i64, StoreError> {
    Ok(outbox_events::table
        .filter(outbox_events::published_at.is_null())
        .count()
        .get_result(conn)?)
}

/// Publishes outbox rows of one service's database to the bus.
#[derive(Debug, Clone)]
pub struct Relay {
    service: &'static str,
    db: Database,
    bus: Arc<dyn EventBus>,
    wake: Arc<Notify>,
}

impl Relay {
    /// Creates a relay; `wake` is notified by writers so events go out at once.
    pub fn new(
        service: &'static str,
        db: Database,
        bus: Arc<dyn EventBus>,
        wake: Arc<Notify>,
    ) -> Self {
        Self {
            service,
            db,
            bus,
            wake,
        }
    }

    /// Publishes until `stop` is cancelled; failures are retried with backoff and the
    /// rows stay in the outbox until the broker confirms them.
    pub async fn run(self, stop: CancellationToken) {
        tracing::info!(
            service = self.service,
            bus = self.bus.kind(),
            "outbox relay started"
        );
        let mut backoff = Duration::from_millis(200);
        loop {
            let outcome = self.publish_batch().await;
            let wait = match outcome {
                Ok(published) if published as i64 == BATCH && !stop.is_cancelled() => {
                    Duration::ZERO
                }
                Ok(_) => {
                    backoff = Duration::from_millis(200);
                    POLL
                }
                Err(error) => {
                    metrics::outbox_failures(self.service);
                    tracing::warn!(service = self.service, error = %error, retry_in_ms = backoff.as_millis() as u64, "outbox publish failed; retrying");
                    let wait = backoff;
                    backoff = (backoff * 2).min(Duration::from_secs(10));
                    wait
                }
            };
            if wait.is_zero() {
                continue;
            }
            tokio::select! {
                () = stop.cancelled() => break,
                () = self.wake.notified() => {}
                () = tokio::time::sleep(wait) => {}
            }
        }
        // A last round so events of requests that finished during shutdown go out.
        if let Err(error) = self.publish_batch().await {
            tracing::warn!(service = self.service, error = %error, "events left in the outbox at shutdown; they are published at the next start");
        }
        tracing::info!(service = self.service, "outbox relay stopped");
    }

    /// Publishes one batch and returns how many rows were confirmed.
    pub async fn publish_batch(&self) -> anyhow::Result<usize> {
        let rows: Vec<OutboxRow> = self
            .db
            .run(|conn| -> Result<_, StoreError> {
                Ok(outbox_events::table
                    .filter(outbox_events::published_at.is_null())
                    .order(outbox_events::seq.asc())
                    .limit(BATCH)
                    .select(OutboxRow::as_select())
                    .load(conn)?)
            })
            .await?;
        let mut confirmed = Vec::with_capacity(rows.len());
        let mut failure: Option<anyhow::Error> = None;
        for row in &rows {
            // A row that cannot be decoded stops the batch after the rows before it
            // are marked, so they are not published again on every retry.
            let envelope = match row.envelope() {
                Ok(envelope) => envelope,
                Err(error) => {
                    failure = Some(anyhow::anyhow!(
                        "outbox row {} is not a valid event: {error}",
                        row.seq
                    ));
                    break;
                }
            };
            match self
                .bus
                .publish(&envelope, row.traceparent.as_deref())
                .await
            {
                Ok(()) => confirmed.push(row.seq),
                Err(error) => {
                    failure = Some(error.into());
                    break;
                }
            }
        }
        let count = confirmed.len();
        if !confirmed.is_empty() {
            let now = crate::now().naive_utc();
            self.db
                .run(move |conn| -> Result<(), StoreError> {
                    diesel::update(
                        outbox_events::table.filter(outbox_events::seq.eq_any(confirmed)),
                    )
                    .set(outbox_events::published_at.eq(now))
                    .execute(conn)?;
                    Ok(())
                })
                .await?;
            metrics::outbox_published(self.service, count);
            tracing::debug!(service = self.service, events = count, "events published");
        }
        match failure {
            Some(error) => Err(error),
            None => Ok(count),
        }
    }
}
