//! The event bus: RabbitMQ in the distributed mode, an in-process bus in the embedded
//! default. Producers never call it directly; the outbox relay does.

mod memory;
mod rabbit;

use std::sync::Arc;

use async_trait::async_trait;
use common_models::event::EventEnvelope;
use thiserror::Error;

pub use memory::InProcessBus;
pub use rabbit::{AmqpMessage, RabbitBus, queue_name};

/// Failures of the bus; every one leaves the event in the outbox for a retry.
#[derive(Debug, Error)]
pub enum BusError {
    #[error("broker unreachable: {0}")]
    Unreachable(String),
    #[error("publish was not confirmed within {0} s")]
    Timeout(u64),
    #[error("broker rejected the message")]
    Rejected,
    #[error("broker error: {0}")]
    Broker(String),
}

/// One message taken from a consumer's queue.
#[derive(Debug)]
pub struct Delivery {
    /// The decoded envelope, or why the body could not be decoded.
    pub event: Result<EventEnvelope, String>,
    /// The W3C `traceparent` the event was published with, unvalidated.
    pub traceparent: Option<String>,
    acker: Acker,
}

#[derive(Debug)]
enum Acker {
    InProcess,
    Rabbit(lapin::Acker),
}

impl Delivery {
    /// Confirms the message is applied, so the broker deletes it.
    pub async fn ack(self) -> Result<(), BusError> {
        match self.acker {
            Acker::InProcess => Ok(()),
            Acker::Rabbit(acker) => {
                settled(acker.ack(lapin::options::BasicAckOptions::default()).await)
            }
        }
    }

    /// Moves the message to the queue's dead-letter queue.
    pub async fn dead_letter(self) -> Result<(), BusError> {
        match self.acker {
            Acker::InProcess => Ok(()),
            Acker::Rabbit(acker) => settled(
                acker
                    .nack(lapin::options::BasicNackOptions {
                        multiple: false,
                        requeue: false,
                    })
                    .await,
            ),
        }
    }

    /// Returns the message to its queue for another attempt later. The in-process bus
    /// has no queue to return it to.
    pub async fn requeue(self) -> Result<(), BusError> {
        match self.acker {
            Acker::InProcess => Ok(()),
            Acker::Rabbit(acker) => settled(
                acker
                    .nack(lapin::options::BasicNackOptions {
                        multiple: false,
                        requeue: true,
                    })
                    .await,
            ),
        }
    }
}

/// Maps lapin's result of an ack or nack: `Ok(false)` means the message had already
/// been settled or its channel was closed, so the broker will deliver it again.
fn settled(outcome: lapin::Result<bool>) -> Result<(), BusError> {
    match outcome {
        Ok(true) => Ok(()),
        Ok(false) => Err(BusError::Broker(
            "the delivery was already settled or its channel closed".into(),
        )),
        Err(error) => Err(BusError::Broker(error.to_string())),
    }
}

/// A stream of deliveries from one queue.
#[derive(Debug)]
pub struct Subscription {
    receiver: tokio::sync::mpsc::Receiver<Delivery>,
}

impl Subscription {
    /// Waits for the next delivery; `None` once the bus closed the subscription.
    pub async fn next(&mut self) -> Option<Delivery> {
        self.receiver.recv().await
    }

    /// Returns a delivery that has already arrived, without waiting.
    pub fn ready(&mut self) -> Option<Delivery> {
        self.receiver.try_recv().ok()
    }
}

/// Outcome of [`EventBus::publish_many`].
#[derive(Debug)]
pub struct BatchOutcome {
    /// Number of events, counted from the first, that the broker confirmed.
    pub confirmed: usize,
    /// The failure that stopped the batch at event `confirmed`, if it stopped early.
    pub error: Option<BusError>,
}

/// Publishes events and feeds consumers.
#[async_trait]
pub trait EventBus: Send + Sync + std::fmt::Debug {
    /// Publishes one event and waits until the broker confirms it is stored.
    async fn publish(
        &self,
        event: &EventEnvelope,
        traceparent: Option<&str>,
    ) -> Result<(), BusError>;

    /// Publishes `events`, each with its `traceparent`, in order, and returns how many
    /// of them, counted from the first, the broker confirmed. The events after that
    /// prefix may still have reached the broker, so publishing them again can deliver
    /// duplicates. The default calls [`EventBus::publish`] for one event at a time.
    async fn publish_many(&self, events: &[(EventEnvelope, Option<String>)]) -> BatchOutcome {
        for (index, (event, traceparent)) in events.iter().enumerate() {
            if let Err(error) = self.publish(event, traceparent.as_deref()).await {
                return BatchOutcome {
                    confirmed: index,
                    error: Some(error),
                };
            }
        }
        BatchOutcome {
            confirmed: events.len(),
            error: None,
        }
    }

    /// Declares the consumer's queue, binds it to `bindings` (topic patterns such as
    /// `registry.npo.*`) and starts delivering.
    async fn subscribe(&self, queue: &str, bindings: &[String]) -> Result<Subscription, BusError>;

    /// Returns the number of messages waiting in the queue of consumer `queue` (the name
    /// given to [`EventBus::subscribe`]), or `None` when the bus has no such queue. The
    /// default returns `None`.
    async fn queue_depth(&self, _queue: &str) -> Result<Option<u32>, BusError> {
        Ok(None)
    }

    /// Returns whether the broker can be reached now.
    async fn is_ready(&self) -> bool;

    /// Returns a short name of the bus for logs and readiness output.
    fn kind(&self) -> &'static str;
}

/// Opens the bus a broker URL names: `memory` or an `amqp://` URL.
pub fn open(
    broker_url: &str,
    exchange: &str,
    publish_timeout_secs: u64,
) -> anyhow::Result<Arc<dyn EventBus>> {
    if broker_url == "memory" {
        Ok(Arc::new(InProcessBus::default()))
    } else if broker_url.starts_with("amqp://") || broker_url.starts_with("amqps://") {
        Ok(Arc::new(RabbitBus::new(
            broker_url,
            exchange,
            publish_timeout_secs,
        )))
    } else {
        anyhow::bail!(
            "unsupported broker URL {}: use memory or amqp://user:password@host:5672/vhost",
            crate::db::redact(broker_url)
        )
    }
}

/// Returns whether a routing key matches a topic pattern (`*` one word, `#` zero or more).
pub fn topic_matches(pattern: &str, key: &str) -> bool {
    fn go(pattern: &[&str], key: &[&str]) -> bool {
        match (pattern.first(), key.first()) {
            (None, None) => true,
            (Some(&"#"), _) => {
                go(&pattern[1..], key) || (!key.is_empty() && go(pattern, &key[1..]))
            }
            (Some(&"*"), Some(_)) => go(&pattern[1..], &key[1..]),
            (Some(p), Some(k)) if p == k => go(&pattern[1..], &key[1..]),
            _ => false,
        }
    }
    let pattern: Vec<&str> = pattern.split('.').collect();
    let key: Vec<&str> = key.split('.').collect();
    go(&pattern, &key)
}

#[cfg(test)]
mod tests {
    use super::topic_matches;

    #[test]
    fn topic_patterns() {
        assert!(topic_matches("registry.npo.*", "registry.npo.registered"));
        assert!(!topic_matches(
            "registry.npo.*",
            "registry.project.recorded"
        ));
        assert!(topic_matches("registry.#", "registry.project.recorded"));
        assert!(topic_matches("#", "a.b.c"));
        assert!(topic_matches("a.#.c", "a.c"));
        assert!(!topic_matches("a.*", "a.b.c"));
    }
}
