//! Consumers with an inbox: the ids of applied events are stored in the same
//! transaction as their effect, so a redelivered event changes nothing.

use std::sync::Arc;
use std::time::Duration;

use common_models::event::EventEnvelope;
use diesel::prelude::*;
use opentelemetry::trace::TraceContextExt;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::bus::{Delivery, EventBus, Subscription, topic_matches};
use crate::db::{AnyConnection, Database, StoreError};
use crate::metrics;
use crate::schema::{dead_letters, inbox_events};
use crate::telemetry;

/// Applies one event's effect to the consumer's database.
pub type Handler =
    Arc<dyn Fn(&mut AnyConnection, &EventEnvelope) -> Result<(), StoreError> + Send + Sync>;

/// Attempts before an event whose handler keeps failing is dead-lettered. Failures of
/// an unreachable or busy database are retried without limit instead.
const ATTEMPTS: u32 = 3;

/// Maximum number of arrived deliveries that a consumer applies in one transaction.
const BATCH: usize = 32;

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
    crate::db::in_transaction(conn, |conn| {
        apply_once_within(conn, consumer, event, handler)
    })
}

/// Applies `event` once inside the caller's transaction, which commits the effect and
/// the inbox row together.
pub fn apply_once_within(
    conn: &mut AnyConnection,
    consumer: &str,
    event: &EventEnvelope,
    handler: &Handler,
) -> Result<Applied, StoreError> {
    {
        let seen: i64 = inbox_events::table
            .filter(inbox_events::consumer.eq(consumer))
            .filter(inbox_events::event_id.eq(event.id.to_string()))
            .count()
            .get_result(conn)?;
        if seen > 0 {
            diesel::update(
                inbox_events::table
                    .filter(inbox_events::consumer.eq(consumer))
                    .filter(inbox_events::event_id.eq(event.id.to_string())),
            )
            .set(inbox_events::duplicates.eq(inbox_events::duplicates + 1))
            .execute(conn)?;
            return Ok(Applied::Before);
        }
        handler(conn, event)?;
        diesel::insert_into(inbox_events::table)
            .values((
                inbox_events::consumer.eq(consumer),
                inbox_events::event_id.eq(event.id.to_string()),
                inbox_events::event_type.eq(&event.event_type),
                inbox_events::applied_at.eq(crate::now().naive_utc()),
            ))
            .execute(conn)?;
        Ok(Applied::Now)
    }
}

/// Forgets which events `consumer` applied, so that a rebuild of its effects from the
/// event logs applies every event again. Call it in the rebuild's transaction.
pub fn forget(conn: &mut AnyConnection, consumer: &str) -> Result<(), StoreError> {
    diesel::delete(inbox_events::table.filter(inbox_events::consumer.eq(consumer)))
        .execute(conn)?;
    Ok(())
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
    /// Declares the consumer's queue and bindings, so events published from now on
    /// reach it even before `run` starts taking them.
    pub async fn subscribe(
        &self,
        bus: &Arc<dyn EventBus>,
    ) -> Result<Subscription, crate::bus::BusError> {
        bus.subscribe(&self.name, &self.bindings).await
    }

    /// Applies the events of the `sources`' event logs that match the consumer's
    /// bindings and that it has neither applied nor dead-lettered, oldest first per log.
    /// Returns how many it applied.
    ///
    /// The in-process bus keeps nothing across a stop, so this is how a consumer of the
    /// embedded default gets the events still queued in memory when its process stopped
    /// or died. Run it before `run` takes live events.
    pub async fn catch_up(
        &self,
        db: &Database,
        sources: &[(&'static str, Database)],
        stop: &CancellationToken,
    ) -> Result<usize, StoreError> {
        let consumer = self.name.clone();
        let known: std::collections::HashSet<String> = db
            .run(move |conn| -> Result<Vec<String>, StoreError> {
                let mut ids: Vec<String> = inbox_events::table
                    .filter(inbox_events::consumer.eq(&consumer))
                    .select(inbox_events::event_id)
                    .load(conn)?;
                let dead: Vec<Option<String>> = dead_letters::table
                    .filter(dead_letters::consumer.eq(&consumer))
                    .select(dead_letters::event_id)
                    .load(conn)?;
                ids.extend(dead.into_iter().flatten());
                Ok(ids)
            })
            .await?
            .into_iter()
            .collect();
        let mut applied = 0;
        for (service, source) in sources {
            let mut after = 0;
            while !stop.is_cancelled() {
                let page = source
                    .run(move |conn| crate::outbox::read_log(conn, after, 1_000))
                    .await?;
                let Some(last) = page.last() else { break };
                after = last.seq;
                for logged in page {
                    let event = logged.event;
                    let bound = self
                        .bindings
                        .iter()
                        .any(|binding| topic_matches(binding, &event.event_type));
                    if !bound || known.contains(&event.id.to_string()) {
                        continue;
                    }
                    let handler = self.handler.clone();
                    let consumer = self.name.clone();
                    let to_apply = event.clone();
                    let outcome = db
                        .run(move |conn| apply_once(conn, &consumer, &to_apply, &handler))
                        .await;
                    match outcome {
                        Ok(Applied::Now) => applied += 1,
                        Ok(Applied::Before) => {}
                        Err(error) if error.is_transient() => return Err(error),
                        Err(error) => {
                            // The live consumer dead-lettered it before, or would have.
                            tracing::warn!(
                                consumer = %self.name,
                                service,
                                event.id = %event.id,
                                error = %error,
                                "event skipped while catching up from the event log"
                            );
                        }
                    }
                }
            }
        }
        Ok(applied)
    }

    /// Consumes until `stop` is cancelled, starting with `first` when given and
    /// subscribing again whenever the bus closes the subscription.
    pub async fn run(
        self,
        db: Database,
        bus: Arc<dyn EventBus>,
        stop: CancellationToken,
        first: Option<Subscription>,
    ) {
        let mut pending = first;
        let mut backoff = Duration::from_millis(500);
        loop {
            let subscription = match pending.take() {
                Some(subscription) => Ok(subscription),
                None => self.subscribe(&bus).await,
            };
            match subscription {
                Ok(mut subscription) => {
                    tracing::info!(consumer = %self.name, "consumer subscribed");
                    backoff = Duration::from_millis(500);
                    loop {
                        tokio::select! {
                            () = stop.cancelled() => return,
                            next = subscription.next() => match next {
                                Some(delivery) => {
                                    let mut batch = vec![delivery];
                                    while batch.len() < BATCH
                                        && let Some(next) = subscription.ready()
                                    {
                                        batch.push(next);
                                    }
                                    self.handle_batch(&db, batch, &stop).await;
                                }
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

    /// Handles `deliveries` in their order. Events are applied together, one
    /// transaction for each run of them between messages that are not events.
    async fn handle_batch(
        &self,
        db: &Database,
        deliveries: Vec<Delivery>,
        stop: &CancellationToken,
    ) {
        let mut run = Vec::with_capacity(deliveries.len());
        for delivery in deliveries {
            match &delivery.event {
                Ok(event) => {
                    let event = event.clone();
                    run.push((delivery, event));
                }
                Err(_) => {
                    self.apply_together(db, std::mem::take(&mut run), stop)
                        .await;
                    self.handle(db, delivery, stop).await;
                }
            }
        }
        self.apply_together(db, run, stop).await;
    }

    /// Applies `run` in one transaction and acknowledges each delivery after its
    /// commit. When the transaction fails, nothing of it was applied, and each event
    /// goes through [`Consumer::apply`] alone, with its retries and dead-lettering.
    async fn apply_together(
        &self,
        db: &Database,
        mut run: Vec<(Delivery, EventEnvelope)>,
        stop: &CancellationToken,
    ) {
        if run.len() < 2 {
            if let Some((delivery, event)) = run.pop() {
                let span = self.event_span(&delivery, &event);
                self.apply(db, delivery, event, stop).instrument(span).await;
            }
            return;
        }
        let (batch_span, event_spans) = self.batch_spans(&run);
        let handler = self.handler.clone();
        let consumer = self.name.clone();
        let events: Vec<EventEnvelope> = run.iter().map(|(_, event)| event.clone()).collect();
        let outcome: Result<Vec<Applied>, StoreError> = db
            .run(move |conn| {
                crate::db::in_transaction(conn, |conn| {
                    events
                        .iter()
                        .zip(&event_spans)
                        .map(|(event, span)| {
                            span.in_scope(|| apply_once_within(conn, &consumer, event, &handler))
                        })
                        .collect()
                })
            })
            .instrument(batch_span)
            .await;
        match outcome {
            Ok(applied) => {
                for ((delivery, _), applied) in run.into_iter().zip(applied) {
                    metrics::consumed(&self.name, applied == Applied::Now);
                    if let Err(error) = delivery.ack().await {
                        // Unacknowledged, the broker redelivers it and the inbox absorbs it.
                        tracing::warn!(consumer = %self.name, error = %error, "ack failed");
                    }
                }
            }
            Err(error) => {
                tracing::debug!(consumer = %self.name, events = run.len(), error = %error, "applying events together failed; applying them one at a time");
                for (delivery, event) in run {
                    let span = self.event_span(&delivery, &event);
                    self.apply(db, delivery, event, stop).instrument(span).await;
                }
            }
        }
    }

    async fn handle(&self, db: &Database, delivery: Delivery, stop: &CancellationToken) {
        let event = match &delivery.event {
            Ok(event) => event.clone(),
            Err(reason) => {
                let reason = reason.clone();
                self.dead_letter(db, delivery, None, reason).await;
                return;
            }
        };
        let span = self.event_span(&delivery, &event);
        self.apply(db, delivery, event, stop).instrument(span).await;
    }

    /// Creates the spans of applying `run` together. Each event gets its own span, a
    /// child of the span that published it, so each publisher's trace continues
    /// through this consumer. The batch span, which covers the shared transaction,
    /// starts a trace of its own and links the event spans.
    fn batch_spans(
        &self,
        run: &[(Delivery, EventEnvelope)],
    ) -> (tracing::Span, Vec<tracing::Span>) {
        let batch_span = tracing::info_span!(
            parent: None,
            "event.consume_batch",
            otel.kind = "consumer",
            consumer = %self.name,
            events = run.len(),
            trace_id = tracing::field::Empty,
        );
        telemetry::continue_trace(&batch_span, None);
        let event_spans: Vec<tracing::Span> = batch_span.in_scope(|| {
            run.iter()
                .map(|(delivery, event)| self.event_span(delivery, event))
                .collect()
        });
        for span in &event_spans {
            let context = span.context();
            let link = context.span().span_context().clone();
            if link.is_valid() {
                batch_span.add_link(link);
            }
        }
        (batch_span, event_spans)
    }

    /// Creates the span of applying one event, a child of the span that published it
    /// when the delivery carries a valid `traceparent`.
    fn event_span(&self, delivery: &Delivery, event: &EventEnvelope) -> tracing::Span {
        let span = tracing::info_span!(
            "event.consume",
            otel.kind = "consumer",
            consumer = %self.name,
            event.id = %event.id,
            event.type = %event.event_type,
            trace_id = tracing::field::Empty,
        );
        telemetry::continue_trace(&span, delivery.traceparent.as_deref());
        span
    }

    async fn apply(
        &self,
        db: &Database,
        delivery: Delivery,
        event: EventEnvelope,
        stop: &CancellationToken,
    ) {
        let mut failures = 0;
        let mut backoff = Duration::from_millis(200);
        loop {
            let handler = self.handler.clone();
            let consumer = self.name.clone();
            let to_apply = event.clone();
            let outcome: Result<Applied, StoreError> = db
                .run(move |conn| apply_once(conn, &consumer, &to_apply, &handler))
                .await;
            let error = match outcome {
                Ok(applied) => {
                    metrics::consumed(&self.name, applied == Applied::Now);
                    if let Err(error) = delivery.ack().await {
                        // Unacknowledged, the broker redelivers it and the inbox absorbs it.
                        tracing::warn!(error = %error, "ack failed");
                    }
                    return;
                }
                Err(error) => error,
            };
            if !error.is_transient() {
                failures += 1;
                if failures >= ATTEMPTS {
                    self.dead_letter(db, delivery, Some(&event), error.to_string())
                        .await;
                    return;
                }
            }
            tracing::warn!(error = %error, retry_in_ms = backoff.as_millis() as u64, "applying event failed; retrying");
            tokio::select! {
                () = stop.cancelled() => {
                    if let Err(error) = delivery.requeue().await {
                        tracing::warn!(error = %error, "requeue at shutdown failed");
                    }
                    return;
                }
                () = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(Duration::from_secs(10));
        }
    }

    /// Records a message that cannot be applied in the consumer's database and moves it
    /// to the dead-letter queue, so the other messages keep flowing.
    async fn dead_letter(
        &self,
        db: &Database,
        delivery: Delivery,
        event: Option<&EventEnvelope>,
        reason: String,
    ) {
        metrics::dead_lettered(&self.name);
        tracing::error!(
            consumer = %self.name,
            event.id = event.map(|e| e.id.to_string()).unwrap_or_default(),
            reason = %reason,
            "message moved to the dead-letter queue"
        );
        let consumer = self.name.clone();
        let event_id = event.map(|e| e.id.to_string());
        let body = event.map_or_else(
            || "null".to_owned(),
            |e| serde_json::to_string(e).unwrap_or_default(),
        );
        let recorded: Result<usize, StoreError> = db
            .run(move |conn| {
                Ok(diesel::insert_into(dead_letters::table)
                    .values((
                        dead_letters::id.eq(uuid::Uuid::now_v7().to_string()),
                        dead_letters::consumer.eq(consumer),
                        dead_letters::event_id.eq(event_id),
                        dead_letters::body.eq(body),
                        dead_letters::reason.eq(reason),
                        dead_letters::at.eq(crate::now().naive_utc()),
                    ))
                    .execute(conn)?)
            })
            .await;
        if let Err(error) = recorded {
            tracing::warn!(consumer = %self.name, error = %error, "recording the dead letter failed");
        }
        if let Err(error) = delivery.dead_letter().await {
            tracing::warn!(consumer = %self.name, error = %error, "dead-lettering failed");
        }
    }
}
