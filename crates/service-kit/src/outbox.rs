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
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::bus::EventBus;
use crate::db::{AnyConnection, Database, StoreError};
use crate::metrics;
use crate::schema::outbox_events;

/// Rows the relay publishes per round.
pub const BATCH: i64 = 100;
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

/// Counts events not yet confirmed by the broker and returns the count with the
/// earliest `occurred_at` among them, `None` when there are none.
///
/// The two figures are separate queries, because PostgreSQL reads `min(occurred_at)`
/// alone from the first entry of the partial index on unpublished rows, but scans the
/// whole backlog when the minimum shares a query with the count.
// NOTE: the count reads one entry of a partial index per unpublished row, so its cost
// grows with the backlog.
pub fn pending_backlog(
    conn: &mut AnyConnection,
) -> Result<(i64, Option<NaiveDateTime>), StoreError> {
    use diesel::dsl::min;
    let count = count_pending(conn)?;
    let oldest = outbox_events::table
        .filter(outbox_events::published_at.is_null())
        .select(min(outbox_events::occurred_at))
        .get_result(conn)?;
    Ok((count, oldest))
}

/// The task that marks the rows of one batch as published.
type Marking = JoinHandle<Result<(), StoreError>>;

/// Publishes outbox rows of one service's database to the bus.
#[derive(Clone)]
pub struct Relay {
    service: &'static str,
    db: Database,
    bus: Arc<dyn EventBus>,
    wake: Arc<Notify>,
    /// The rows after the last batch, read while that batch waited for its confirms.
    next_rows: Arc<std::sync::Mutex<Option<Vec<OutboxRow>>>>,
    /// The mark of the last full batch, which commits while the next batch is
    /// published.
    marking: Arc<std::sync::Mutex<Option<Marking>>>,
}

impl std::fmt::Debug for Relay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The rows read ahead are left out, because their payloads contain personal data.
        f.debug_struct("Relay")
            .field("service", &self.service)
            .field("db", &self.db)
            .field("bus", &self.bus)
            .finish_non_exhaustive()
    }
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
            next_rows: Arc::default(),
            marking: Arc::default(),
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
        let last_round = match self.publish_batch().await {
            Ok(_) => self.settle().await,
            Err(error) => Err(error),
        };
        if let Err(error) = last_round {
            tracing::warn!(service = self.service, error = %error, "events left in the outbox at shutdown; they are published at the next start");
        }
        tracing::info!(service = self.service, "outbox relay stopped");
    }

    /// Publishes one batch and returns how many rows the broker confirmed.
    ///
    /// The confirmed rows of a full batch may still be in the middle of being marked
    /// when it returns: their mark commits while the next call publishes the batch
    /// after them. [`Relay::settle`] waits for it.
    pub async fn publish_batch(&self) -> anyhow::Result<usize> {
        let read_ahead = self.next_rows.lock().ok().and_then(|mut next| next.take());
        let mut previous_mark = self.marking.lock().ok().and_then(|mut mark| mark.take());
        let rows = match read_ahead {
            Some(rows) => rows,
            None => {
                // Reading from the start needs the last mark, or it reads those rows again.
                finish(previous_mark.take()).await?;
                self.load_pending(0).await?
            }
        };
        // A row that cannot be decoded ends the batch there, so the rows before it are
        // published and marked rather than published again on every retry.
        let mut events = Vec::with_capacity(rows.len());
        let mut failure: Option<anyhow::Error> = None;
        for row in &rows {
            match row.envelope() {
                Ok(envelope) => events.push((envelope, row.traceparent.clone())),
                Err(error) => {
                    failure = Some(anyhow::anyhow!(
                        "outbox row {} is not a valid event: {error}",
                        row.seq
                    ));
                    break;
                }
            }
        }
        // While the broker stores a full batch, the rows after it are read, so the next
        // batch need not wait for that query.
        let last_seq = rows.last().map(|row| row.seq);
        let read_next = failure.is_none() && rows.len() as i64 == BATCH;
        let (outcome, next_rows, previous_marked) = tokio::join!(
            self.bus.publish_many(&events),
            async {
                match last_seq {
                    Some(after) if read_next => self.load_pending(after).await.ok(),
                    _ => None,
                }
            },
            finish(previous_mark),
        );
        // A bus failure stops the batch before the undecodable row, so it is the first
        // failure in log order.
        if let Some(error) = outcome.error {
            failure = Some(error.into());
        }
        // The previous batch's rows stay unmarked after a failed mark, so the next call
        // reads from the start and publishes them again.
        if let Err(error) = previous_marked {
            failure = Some(error);
        }
        let confirmed: Vec<i64> = rows[..outcome.confirmed.min(events.len())]
            .iter()
            .map(|row| row.seq)
            .collect();
        let count = confirmed.len();
        let next_rows = next_rows.filter(|rows| failure.is_none() && !rows.is_empty());
        if !confirmed.is_empty() {
            let now = crate::now().naive_utc();
            let db = self.db.clone();
            let mark = async move {
                db.run(move |conn| mark_published(conn, confirmed, now))
                    .await
            };
            if next_rows.is_some() {
                let marking = tokio::spawn(mark);
                if let Ok(mut slot) = self.marking.lock() {
                    *slot = Some(marking);
                }
            } else {
                mark.await?;
            }
            metrics::outbox_published(self.service, count);
            tracing::debug!(service = self.service, events = count, "events published");
        }
        match failure {
            Some(error) => Err(error),
            None => {
                // Every unpublished row up to `last_seq` was in this batch and is marked
                // now. Writers commit rows in log order (see `enqueue`), so no row can
                // appear before the rows read ahead, and they are the next to publish.
                if let Ok(mut next) = self.next_rows.lock() {
                    *next = next_rows;
                }
                Ok(count)
            }
        }
    }

    /// Waits until the rows of the last batch are marked as published.
    pub async fn settle(&self) -> anyhow::Result<()> {
        let mark = self.marking.lock().ok().and_then(|mut mark| mark.take());
        finish(mark).await
    }

    /// Reads up to one batch of unpublished rows after log position `after`, oldest
    /// first. Positions start at 1.
    async fn load_pending(&self, after: i64) -> Result<Vec<OutboxRow>, StoreError> {
        self.db
            .run(move |conn| -> Result<_, StoreError> {
                Ok(outbox_events::table
                    .filter(outbox_events::published_at.is_null())
                    .filter(outbox_events::seq.gt(after))
                    .order(outbox_events::seq.asc())
                    .limit(BATCH)
                    .select(OutboxRow::as_select())
                    .load(conn)?)
            })
            .await
    }
}

/// Waits for `mark`, when there is one, and returns its outcome.
async fn finish(mark: Option<Marking>) -> anyhow::Result<()> {
    match mark {
        None => Ok(()),
        Some(mark) => Ok(mark
            .await
            .map_err(|e| anyhow::anyhow!("marking outbox rows as published stopped: {e}"))??),
    }
}

/// Sets `published_at` of the rows `seqs`.
fn mark_published(
    conn: &mut AnyConnection,
    seqs: Vec<i64>,
    now: NaiveDateTime,
) -> Result<(), StoreError> {
    let mark = diesel::update(outbox_events::table.filter(outbox_events::seq.eq_any(seqs)))
        .set(outbox_events::published_at.eq(now));
    crate::with_backend!(conn, |c| mark.execute(c))?;
    Ok(())
}
