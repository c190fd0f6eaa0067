//! The in-process bus of the embedded default: topic routing between the services of
//! one process, with no broker to install.

use std::sync::Mutex;

use async_trait::async_trait;
use common_models::event::EventEnvelope;
use tokio::sync::mpsc;

use super::{Acker, BusError, Delivery, EventBus, Subscription, topic_matches};

/// Depth of each subscriber's queue. A full queue makes the relay wait, so events stay
/// in the outbox rather than being dropped.
const QUEUE_DEPTH: usize = 1024;

struct Subscriber {
    queue: String,
    bindings: Vec<String>,
    sender: mpsc::Sender<Delivery>,
}

/// Topic routing in memory; the outbox is what makes events durable here.
///
/// An event counts as published once it is queued for the consumers of this process,
/// so the events still queued when the process stops or dies are lost from memory.
/// At start every consumer of the process applies what it missed from the event logs
/// (`Consumer::catch_up`).
#[derive(Default)]
pub struct InProcessBus {
    subscribers: Mutex<Vec<Subscriber>>,
}

impl InProcessBus {
    /// Name of this bus in logs and readiness output.
    pub const KIND: &'static str = "in-process";
}

impl std::fmt::Debug for InProcessBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InProcessBus")
    }
}

#[async_trait]
impl EventBus for InProcessBus {
    async fn publish(
        &self,
        event: &EventEnvelope,
        traceparent: Option<&str>,
    ) -> Result<(), BusError> {
        let targets: Vec<(String, mpsc::Sender<Delivery>)> = {
            let mut subscribers = self
                .subscribers
                .lock()
                .map_err(|_| BusError::Broker("subscriber list poisoned".into()))?;
            subscribers.retain(|s| !s.sender.is_closed());
            subscribers
                .iter()
                .filter(|s| {
                    s.bindings
                        .iter()
                        .any(|b| topic_matches(b, &event.event_type))
                })
                .map(|s| (s.queue.clone(), s.sender.clone()))
                .collect()
        };
        for (queue, sender) in targets {
            let delivery = Delivery {
                event: Ok(event.clone()),
                traceparent: traceparent.map(str::to_owned),
                acker: Acker::InProcess,
            };
            if sender.send(delivery).await.is_err() {
                tracing::warn!(queue = %queue, event.id = %event.id, "consumer stopped before delivery");
            }
        }
        Ok(())
    }

    async fn subscribe(&self, queue: &str, bindings: &[String]) -> Result<Subscription, BusError> {
        let (sender, receiver) = mpsc::channel(QUEUE_DEPTH);
        self.subscribers
            .lock()
            .map_err(|_| BusError::Broker("subscriber list poisoned".into()))?
            .push(Subscriber {
                queue: queue.to_owned(),
                bindings: bindings.to_vec(),
                sender,
            });
        Ok(Subscription { receiver })
    }

    /// Counts the deliveries queued for the subscribers named `queue` that they have not
    /// taken yet. The in-process bus has no dead-letter queues, so their names return `None`.
    async fn queue_depth(&self, queue: &str) -> Result<Option<u32>, BusError> {
        let subscribers = self
            .subscribers
            .lock()
            .map_err(|_| BusError::Broker("subscriber list poisoned".into()))?;
        let mut depth = None;
        for subscriber in subscribers
            .iter()
            .filter(|s| s.queue == queue && !s.sender.is_closed())
        {
            let queued = subscriber.sender.max_capacity() - subscriber.sender.capacity();
            let queued = u32::try_from(queued).unwrap_or(u32::MAX);
            depth = Some(depth.unwrap_or(0_u32).saturating_add(queued));
        }
        Ok(depth)
    }

    async fn is_ready(&self) -> bool {
        true
    }

    fn kind(&self) -> &'static str {
        Self::KIND
    }
}
