//! Consumers with an inbox: the ids of applied events are stored in the same
//! transaction as their effect, so a redelivered event changes nothing.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use common_models::event::EventEnvelope;
use diesel::prelude::*;
use tokio_util::sync::CancellationToken;

use crate::bus::{Delivery, EventBus};
use crate::db::{AnyConnection, Database, StoreError};
use crate::metrics;
use crate::schema::inbox_events;

/// Applies one event's effect to the consumer's database.
pub type Handler =
    Arc<dyn Fn(&mut AnyConnection, &EventEnvelope) -> Result<(), StoreError> + Send + Sync>;

/// Attempts before an event that keeps failing goes to the dead-letter queue.
const ATTEMPTS: u32 = 3;

/// Whether an event was applied now or had been applied before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    Now,
    Before,
}

/// Applies `event` once: the effect and the inbox row commit together.
pub fn apply_once(
    conn: &mut AnyConnection,
    consumer: &str,
    event: &EventEnvelope,
    handler: &Handler,
) -> Result<Applied, StoreError> {
    conn.transaction(|conn| {
        let seen: i64 = inbox_events::table
            .filter(inbox_events::consumer.eq(consumer))
            .filter(inbox_events::event_id.eq(event.id.to_string()))
            .count()
            .get_result(conn)?;
        if seen > 0 {
            return Ok(Applied::Before);
        }
        handler(conn, event)?;
        diesel::insert_into(inbox_events::table)
            .values((
                inbox_events::consumer.eq(consumer),
                inbox_events::event_id.eq(event.id.to_string()),
                inbox_events::event_type.eq(&event.event_type),
                inbox_events::applied_at.eq(Utc::now().naive_utc()),
            ))
            .execute(conn)?;
        Ok(Applied::Now)
    })
}

/// A named consumer: its queue, the event types it binds, and its handler.
#[derive(Clone)]
pub struct Consumer {
    pub name: String,
    pub bindings: Vec<String>,
    pub handler: Handler,
}

impl std::fmt::Debug for Consumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Consumer")
            .field("name", &self.name)
            .field("bindings", &self.bindings)
            .finish()
    }
}

impl Consumer {
    /// Consumes until `stop` is cancelled, subscribing again after the bus drops it.
    pub async fn run(self, db: Database, bus: Arc<dyn EventBus>, stop: CancellationToken) {
        let mut backoff = Duration::from_millis(500);
        loop {
            match bus.subscribe(&self.name, &self.bindings).await {
                Ok(mut subscription) => {
                    tracing::info!(consumer = %self.name, "consumer subscribed");
                    backoff = Duration::from_millis(500);
                    loop {
                        tokio::select! {
                            () = stop.cancelled() => return,
                            next = subscription.next() => match next {
                                Some(delivery) => self.handle(&db, delivery).await,
                                None => break,
                            },
                        }
                    }
                    tracing::warn!(consumer = %self.name, "subscription closed; subscribing again");
                }
                Err(error) => {
                    tracing::warn!(consumer = %self.name, error = %error, retry_in_ms = backoff.as_millis() as u64, "subscribe failed; retrying");
                }
            }
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(Duration::from_secs(10));
        }
    }

    async fn handle(&self, db: &Database, delivery: Delivery) {
        let event = match &delivery.event {
            Ok(event) => event.clone(),
            Err(reason) => {
                metrics::dead_lettered(&self.name);
                tracing::error!(consumer = %self.name, reason = %reason, "undecodable message moved to the dead-letter queue");
                if let Err(error) = delivery.dead_letter().await {
                    tracing::warn!(consumer = %self.name, error = %error, "dead-lettering failed");
                }
                return;
            }
        };
        let span = tracing::info_span!("event.consume", consumer = %self.name, event.id = %event.id, event.type = %event.event_type);
        let _entered = span.enter();
        let mut last_error = None;
        for attempt in 1..=ATTEMPTS {
            let handler = self.handler.clone();
            let consumer = self.name.clone();
            let to_apply = event.clone();
            match db
                .run(move |conn| apply_once(conn, &consumer, &to_apply, &handler))
                .await as Result<_, StoreError>
            {
                Ok(applied) => {
                    metrics::consumed(&self.name, applied == Applied::Now);
                    if let Err(error) = delivery.ack().await {
                        // Unacknowledged, the broker redelivers it and the inbox absorbs it.
                        tracing::warn!(consumer = %self.name, error = %error, "ack failed");
                    }
                    return;
                }
                Err(error) => {
                    tracing::warn!(consumer = %self.name, attempt, error = %error, "applying event failed");
                    last_error = Some(error);
                    tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
                }
            }
        }
        metrics::dead_lettered(&self.name);
        tracing::error!(
            consumer = %self.name,
            error = %last_error.map(|e| e.to_string()).unwrap_or_default(),
            "event failed {ATTEMPTS} times; moved to the dead-letter queue"
        );
        if let Err(error) = delivery.dead_letter().await {
            tracing::warn!(consumer = %self.name, error = %error, "dead-lettering failed");
        }
    }
}
