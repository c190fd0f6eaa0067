//! Gauges read at each scrape: the outbox backlog, the unapplied dead letters and the
//! pool usage of each service database, and the depth of each consumer's queues.
//!
//! Every figure is read with a timeout, and the databases and queues are read
//! concurrently, so a scrape takes at most about `PROBE_TIMEOUT`. A figure that cannot
//! be read is left out, `metrics_probe_success` is 0 for its database or consumer, and
//! one warning is logged per source and minute.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use futures_util::future::join_all;
use prometheus::proto::MetricFamily;
use prometheus::{IntGaugeVec, Opts, Registry};

use crate::bus::EventBus;
use crate::db::{AnyConnection, Database, StoreError};
use crate::platform::Databases;
use crate::schema::{dead_letters, inbox_events};

/// Maximum time to read the figures of one database or one consumer's queues.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// Minimum interval between two warnings about the same unreadable source.
const WARN_EVERY: Duration = Duration::from_secs(60);

/// The gauges of one scrape, in a registry of their own, so a figure that cannot be
/// read is absent instead of keeping the value of an earlier scrape.
struct Gauges {
    registry: Registry,
    outbox_pending: IntGaugeVec,
    outbox_oldest_age: IntGaugeVec,
    dead_letters_unapplied: IntGaugeVec,
    queue_messages: IntGaugeVec,
    dead_letter_queue_messages: IntGaugeVec,
    pool_connections: IntGaugeVec,
    pool_idle: IntGaugeVec,
    pool_max: IntGaugeVec,
    probe_success: IntGaugeVec,
}

impl Gauges {
    fn new() -> Self {
        let registry = Registry::new();
        let gauge = |name: &str, help: &str, labels: &[&str]| {
            let gauge =
                IntGaugeVec::new(Opts::new(name, help), labels).expect("valid metric definition");
            registry
                .register(Box::new(gauge.clone()))
                .expect("metric names are unique");
            gauge
        };
        Self {
            outbox_pending: gauge(
                "outbox_pending_events",
                "Events in the service's outbox that the broker has not confirmed yet",
                &["service"],
            ),
            outbox_oldest_age: gauge(
                "outbox_oldest_pending_age_seconds",
                "Age of the oldest event the broker has not confirmed yet, 0 when there is none",
                &["service"],
            ),
            dead_letters_unapplied: gauge(
                "dead_letters_unapplied",
                "Rows of the dead_letters table whose event the consumer has not applied since",
                &["service", "consumer"],
            ),
            queue_messages: gauge(
                "consumer_queue_messages",
                "Messages waiting in the consumer's queue, not counting those delivered and \
                 not yet acknowledged",
                &["consumer"],
            ),
            dead_letter_queue_messages: gauge(
                "consumer_dead_letter_queue_messages",
                "Messages in the consumer's dead-letter queue",
                &["consumer"],
            ),
            pool_connections: gauge(
                "db_pool_connections",
                "Open connections of the service's database pool, idle or in use",
                &["service"],
            ),
            pool_idle: gauge(
                "db_pool_idle_connections",
                "Open connections of the service's database pool that no request holds",
                &["service"],
            ),
            pool_max: gauge(
                "db_pool_max_connections",
                "Maximum number of connections of the service's database pool",
                &["service"],
            ),
            probe_success: gauge(
                "metrics_probe_success",
                "1 when this scrape read the figures of the database or the consumer's \
                 queues, 0 when it could not",
                &["probe", "target"],
            ),
            registry,
        }
    }
}

/// Figures read from one service database.
struct DatabaseFigures {
    pending: i64,
    oldest_pending: Option<NaiveDateTime>,
    /// Unapplied dead letters by consumer.
    dead_letters: Vec<(String, i64)>,
}

/// Depths of one consumer's queue and dead-letter queue.
struct QueueFigures {
    queue: Option<u32>,
    dead_letter_queue: Option<u32>,
}

/// Reads the gauges of every database and consumer in `sources`.
pub(super) async fn gather(sources: &Databases) -> Vec<MetricFamily> {
    let gauges = Gauges::new();
    let database_reads = sources
        .services
        .iter()
        .map(|(_, db)| read_database(db.clone()));
    let queue_reads = sources
        .consumers
        .iter()
        .map(|(_, consumer)| read_queues(sources.bus.as_ref(), consumer));
    // `join_all` returns the outcomes in the order of the sources.
    let (databases, queues) =
        futures_util::future::join(join_all(database_reads), join_all(queue_reads)).await;

    let now = crate::now().naive_utc();
    for ((service, db), figures) in sources.services.iter().zip(databases) {
        let pool = db.pool_state();
        gauges
            .pool_connections
            .with_label_values(&[service])
            .set(pool.connections.into());
        gauges
            .pool_idle
            .with_label_values(&[service])
            .set(pool.idle.into());
        gauges
            .pool_max
            .with_label_values(&[service])
            .set(pool.max_size.into());
        let figures = match figures {
            Ok(figures) => figures,
            Err(error) => {
                record_failure(&gauges, "database", service, &error);
                continue;
            }
        };
        gauges
            .probe_success
            .with_label_values(&["database", service])
            .set(1);
        gauges
            .outbox_pending
            .with_label_values(&[service])
            .set(figures.pending);
        let age = figures
            .oldest_pending
            .map_or(0, |oldest| (now - oldest).num_seconds().max(0));
        gauges
            .outbox_oldest_age
            .with_label_values(&[service])
            .set(age);
        // Every consumer of the service has a series, 0 when it has no dead letters.
        for (_, consumer) in sources.consumers.iter().filter(|(s, _)| s == service) {
            gauges
                .dead_letters_unapplied
                .with_label_values(&[*service, consumer.as_str()])
                .set(0);
        }
        for (consumer, count) in &figures.dead_letters {
            gauges
                .dead_letters_unapplied
                .with_label_values(&[*service, consumer.as_str()])
                .set(*count);
        }
    }

    for ((_, consumer), figures) in sources.consumers.iter().zip(queues) {
        let figures = match figures {
            Ok(figures) => figures,
            Err(error) => {
                record_failure(&gauges, "queue", consumer, &error);
                continue;
            }
        };
        gauges
            .probe_success
            .with_label_values(&["queue", consumer])
            .set(1);
        if let Some(depth) = figures.queue {
            gauges
                .queue_messages
                .with_label_values(&[consumer])
                .set(depth.into());
        }
        if let Some(depth) = figures.dead_letter_queue {
            gauges
                .dead_letter_queue_messages
                .with_label_values(&[consumer])
                .set(depth.into());
        }
    }
    gauges.registry.gather()
}

/// Reads the outbox backlog and the unapplied dead letters of one database.
async fn read_database(db: Database) -> anyhow::Result<DatabaseFigures> {
    let read = db.run(|conn| -> Result<DatabaseFigures, StoreError> {
        let (pending, oldest_pending) = crate::outbox::pending_backlog(conn)?;
        let dead_letters = unapplied_dead_letters(conn)?;
        Ok(DatabaseFigures {
            pending,
            oldest_pending,
            dead_letters,
        })
    });
    match tokio::time::timeout(PROBE_TIMEOUT, read).await {
        Ok(figures) => Ok(figures?),
        Err(_) => anyhow::bail!(
            "timed out after {} s: the database is unreachable or its pool has no free connection",
            PROBE_TIMEOUT.as_secs()
        ),
    }
}

/// Counts, per consumer, the dead letters whose event the consumer has not applied
/// since, such as after a drain of the dead-letter queue. A message that was not an
/// event has no event id and counts until its row is deleted.
fn unapplied_dead_letters(conn: &mut AnyConnection) -> Result<Vec<(String, i64)>, StoreError> {
    use diesel::dsl::{count_star, exists, not};
    let applied_since = inbox_events::table
        .filter(inbox_events::consumer.eq(dead_letters::consumer))
        .filter(inbox_events::event_id.nullable().eq(dead_letters::event_id));
    Ok(dead_letters::table
        .filter(not(exists(applied_since)))
        .group_by(dead_letters::consumer)
        .select((dead_letters::consumer, count_star()))
        .load(conn)?)
}

/// Reads the depths of the queue and the dead-letter queue of `consumer`.
async fn read_queues(bus: &dyn EventBus, consumer: &str) -> anyhow::Result<QueueFigures> {
    let dead_letter_queue = format!("{consumer}.dead-letter");
    let read = futures_util::future::join(
        bus.queue_depth(consumer),
        bus.queue_depth(&dead_letter_queue),
    );
    match tokio::time::timeout(PROBE_TIMEOUT, read).await {
        Ok((queue, dead_letter_queue)) => Ok(QueueFigures {
            queue: queue?,
            dead_letter_queue: dead_letter_queue?,
        }),
        Err(_) => anyhow::bail!(
            "the {} bus timed out after {} s",
            bus.kind(),
            PROBE_TIMEOUT.as_secs()
        ),
    }
}

/// Times of the last warning about each unreadable source, by probe and target.
static LAST_WARNING: LazyLock<Mutex<HashMap<(String, String), Instant>>> =
    LazyLock::new(Mutex::default);

/// Sets `metrics_probe_success` of a source to 0 and logs a warning, unless one was
/// logged for the same source within `WARN_EVERY`.
fn record_failure(gauges: &Gauges, probe: &str, target: &str, error: &anyhow::Error) {
    gauges
        .probe_success
        .with_label_values(&[probe, target])
        .set(0);
    let Ok(mut last) = LAST_WARNING.lock() else {
        return;
    };
    let key = (probe.to_owned(), target.to_owned());
    if last.get(&key).is_some_and(|at| at.elapsed() < WARN_EVERY) {
        return;
    }
    last.insert(key, Instant::now());
    tracing::warn!(
        probe,
        target,
        error = %error,
        "metrics figures could not be read; they are left out of this scrape"
    );
}
