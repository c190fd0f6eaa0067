//! RabbitMQ through lapin: a durable topic exchange, persistent messages with
//! publisher confirms, and one quorum queue with a dead-letter queue per consumer.

use std::time::Duration;

use async_trait::async_trait;
use common_models::event::EventEnvelope;
use futures_util::StreamExt;
use lapin::Confirmation;
use lapin::options::{
    BasicConsumeOptions, BasicPublishOptions, BasicQosOptions, ConfirmSelectOptions,
    ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties, ExchangeKind};
use tokio::sync::{Mutex, mpsc};

use super::{Acker, BatchOutcome, BusError, Delivery, EventBus, Subscription};

/// How long a consumer waits for lapin to recover its connection before it
/// subscribes again from scratch.
const RECOVERY_WAIT: Duration = Duration::from_secs(60);

/// Messages a consumer may hold unacknowledged.
const PREFETCH: u16 = 32;

/// The connection and confirm-mode channel that events are published on.
///
/// It has no automatic recovery: when the connection fails, lapin rejects every
/// confirm still pending, and the next publish opens a new connection whose channel is
/// in confirm mode before its first message. A recovered channel would reopen and turn
/// confirms on again while publishes may already be under way, and the relay marks
/// rows as published on the strength of those confirms.
struct Publisher {
    connection: Connection,
    channel: Channel,
}

impl Publisher {
    fn is_open(&self) -> bool {
        self.connection.status().connected() && self.channel.status().connected()
    }
}

/// A RabbitMQ bus. It opens the publishing connection on first use and again after it
/// is lost. Consumers share a second connection that lapin recovers, so their
/// consumers stay registered across a broker restart.
pub struct RabbitBus {
    url: String,
    exchange: String,
    timeout: Duration,
    publisher: Mutex<Option<Publisher>>,
    consumers: Mutex<Option<Connection>>,
}

impl std::fmt::Debug for RabbitBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RabbitBus")
            .field("url", &crate::db::redact(&self.url))
            .field("exchange", &self.exchange)
            .finish()
    }
}

impl RabbitBus {
    /// Creates the bus; no connection is made until the first use.
    pub fn new(url: &str, exchange: &str, timeout_secs: u64) -> Self {
        Self {
            url: url.to_owned(),
            exchange: exchange.to_owned(),
            timeout: Duration::from_secs(timeout_secs.max(1)),
            publisher: Mutex::new(None),
            consumers: Mutex::new(None),
        }
    }

    fn dead_letter_exchange(&self) -> String {
        format!("{}.dead-letter", self.exchange)
    }

    /// Opens a connection within the bus's timeout; `role` names it on the broker.
    async fn connect(&self, role: &str, recover: bool) -> Result<Connection, BusError> {
        let mut properties = ConnectionProperties::default()
            .with_connection_name(format!("liaison {role} ({})", self.exchange).into());
        if recover {
            properties = properties.enable_auto_recover();
        }
        tokio::time::timeout(self.timeout, Connection::connect(&self.url, properties))
            .await
            .map_err(|_| {
                BusError::Unreachable(format!("no connection within {} s", self.timeout.as_secs()))
            })?
            .map_err(|e| BusError::Unreachable(e.to_string()))
    }

    async fn open_publisher(&self) -> Result<Publisher, BusError> {
        let connection = self.connect("publisher", false).await?;
        let setup = async {
            let channel = connection.create_channel().await?;
            channel
                .confirm_select(ConfirmSelectOptions::default())
                .await?;
            channel
                .exchange_declare(
                    self.exchange.as_str().into(),
                    ExchangeKind::Topic,
                    durable_exchange(),
                    FieldTable::default(),
                )
                .await?;
            channel
                .exchange_declare(
                    self.dead_letter_exchange().into(),
                    ExchangeKind::Direct,
                    durable_exchange(),
                    FieldTable::default(),
                )
                .await?;
            Ok::<_, lapin::Error>(channel)
        };
        let channel = tokio::time::timeout(self.timeout, setup)
            .await
            .map_err(|_| BusError::Timeout(self.timeout.as_secs()))?
            .map_err(broker)?;
        tracing::info!(broker = %crate::db::redact(&self.url), exchange = %self.exchange, "connected to RabbitMQ");
        Ok(Publisher {
            connection,
            channel,
        })
    }

    /// Returns the confirm-mode channel on a live connection, connecting when there is
    /// none.
    async fn publisher(&self) -> Result<Channel, BusError> {
        let mut publisher = self.publisher.lock().await;
        if publisher.as_ref().is_some_and(|current| !current.is_open()) {
            tracing::warn!(exchange = %self.exchange, "RabbitMQ publishing connection lost; reconnecting");
            *publisher = None;
        }
        if publisher.is_none() {
            *publisher = Some(self.open_publisher().await?);
        }
        publisher
            .as_ref()
            .map(|p| p.channel.clone())
            .ok_or_else(|| BusError::Unreachable("no connection".into()))
    }

    /// Drops the publishing connection, which closes it, so that the next publish opens
    /// a new one and no confirm of the old channel is awaited again.
    async fn forget_publisher(&self) {
        *self.publisher.lock().await = None;
    }

    /// Opens a channel of its own on the publishing connection, for passive declares. A
    /// declare of a missing queue closes its channel, which must be neither the publishing
    /// channel nor one that lapin recovers by declaring the queue again.
    async fn inspection_channel(&self) -> Result<Channel, BusError> {
        self.publisher().await?;
        let publisher = self.publisher.lock().await;
        let publisher = publisher
            .as_ref()
            .ok_or_else(|| BusError::Unreachable("no connection".into()))?;
        publisher.connection.create_channel().await.map_err(broker)
    }

    /// Opens a channel on the consumers' connection, opening that connection when there
    /// is none or when lapin gave up recovering it.
    async fn consumer_channel(&self) -> Result<Channel, BusError> {
        let mut consumers = self.consumers.lock().await;
        if let Some(current) = consumers.as_ref() {
            let status = current.status();
            if !(status.connected() || status.reconnecting()) {
                tracing::warn!(exchange = %self.exchange, "RabbitMQ consumer connection lost; reconnecting");
                *consumers = None;
            }
        }
        let connection = match consumers.take() {
            Some(connection) => connection,
            None => self.connect("consumers", true).await?,
        };
        let channel = connection.create_channel().await.map_err(broker);
        *consumers = Some(connection);
        channel
    }
}

/// Returns the name of consumer `consumer`'s queue on `exchange`; its dead-letter queue
/// adds `.dead-letter`.
pub fn queue_name(exchange: &str, consumer: &str) -> String {
    format!("{exchange}.{consumer}")
}

fn durable_exchange() -> ExchangeDeclareOptions {
    ExchangeDeclareOptions {
        durable: true,
        ..ExchangeDeclareOptions::default()
    }
}

/// Returns whether the broker replied 404 NOT_FOUND, as to a passive declare of a
/// missing queue.
fn is_not_found(error: &lapin::Error) -> bool {
    use lapin::protocol::{AMQPErrorKind, AMQPSoftError};
    matches!(
        error.kind(),
        lapin::ErrorKind::ProtocolError(amqp)
            if matches!(amqp.kind(), AMQPErrorKind::Soft(AMQPSoftError::NOTFOUND))
    )
}

fn broker(error: lapin::Error) -> BusError {
    BusError::Broker(error.to_string())
}

/// Returns the `traceparent` header of a message, when it is a string.
fn traceparent_header(properties: &BasicProperties) -> Option<String> {
    let headers = properties.headers().as_ref()?;
    match headers.inner().get("traceparent")? {
        AMQPValue::LongString(value) => Some(value.to_string()),
        AMQPValue::ShortString(value) => Some(value.as_str().to_owned()),
        _ => None,
    }
}

/// One event as the bus sends it to RabbitMQ.
#[derive(Debug, Clone)]
pub struct AmqpMessage {
    /// Routing key on the topic exchange: the event type.
    pub routing_key: String,
    /// The envelope as JSON.
    pub body: Vec<u8>,
    /// Message id (the event id), type, content type, persistent delivery mode,
    /// timestamp, and the `traceparent` header when the event has one.
    pub properties: BasicProperties,
}

impl AmqpMessage {
    /// Encodes `event` as [`RabbitBus`] publishes it.
    pub fn encode(event: &EventEnvelope, traceparent: Option<&str>) -> Result<Self, BusError> {
        let body = serde_json::to_vec(event).map_err(|e| {
            BusError::Broker(format!("encoding event {} as JSON failed: {e}", event.id))
        })?;
        let mut headers = FieldTable::default();
        if let Some(traceparent) = traceparent {
            headers.insert(
                "traceparent".into(),
                AMQPValue::LongString(LongString::from(traceparent)),
            );
        }
        let properties = BasicProperties::default()
            .with_message_id(ShortString::from(event.id.to_string()))
            .with_type(ShortString::from(event.event_type.as_str()))
            .with_content_type("application/json".into())
            .with_delivery_mode(2)
            .with_timestamp(event.occurred_at.timestamp().max(0) as u64)
            .with_headers(headers);
        Ok(Self {
            routing_key: event.event_type.clone(),
            body,
            properties,
        })
    }
}

/// Reason a batch stopped before its end, before it is mapped to a [`BusError`].
enum Stop {
    TimedOut,
    Failed(lapin::Error),
    Rejected,
}

impl RabbitBus {
    /// Sends every message on the publisher channel, then waits for their confirms, so
    /// a batch costs one round trip to the broker rather than one per message. One
    /// timeout covers the whole batch.
    async fn send_confirmed(&self, messages: &[AmqpMessage]) -> BatchOutcome {
        if messages.is_empty() {
            return BatchOutcome {
                confirmed: 0,
                error: None,
            };
        }
        let channel = match self.publisher().await {
            Ok(channel) => channel,
            Err(error) => {
                return BatchOutcome {
                    confirmed: 0,
                    error: Some(error),
                };
            }
        };
        let deadline = tokio::time::Instant::now() + self.timeout;

        let mut confirms = Vec::with_capacity(messages.len());
        let mut stop = None;
        for message in messages {
            let sent = channel.basic_publish(
                self.exchange.as_str().into(),
                message.routing_key.as_str().into(),
                BasicPublishOptions::default(),
                &message.body,
                message.properties.clone(),
            );
            match tokio::time::timeout_at(deadline, sent).await {
                Ok(Ok(confirm)) => confirms.push(confirm),
                Ok(Err(error)) => {
                    stop = Some(Stop::Failed(error));
                    break;
                }
                Err(_) => {
                    stop = Some(Stop::TimedOut);
                    break;
                }
            }
        }

        // A failed confirm comes before any failed send in the batch's order, so it
        // replaces the failure of the send.
        let mut confirmed = 0;
        for confirm in confirms {
            match tokio::time::timeout_at(deadline, confirm).await {
                Ok(Ok(Confirmation::Ack(_))) => confirmed += 1,
                Ok(Ok(Confirmation::Nack(_) | Confirmation::NotRequested)) => {
                    stop = Some(Stop::Rejected);
                    break;
                }
                Ok(Err(error)) => {
                    stop = Some(Stop::Failed(error));
                    break;
                }
                Err(_) => {
                    stop = Some(Stop::TimedOut);
                    break;
                }
            }
        }

        let error = match stop {
            None => None,
            Some(stop) => Some(self.settle_failure(stop).await),
        };
        BatchOutcome { confirmed, error }
    }

    /// Maps a failure to its error. Unless the broker refused a message, it drops the
    /// publishing connection: confirms still pending on it are never trusted again.
    async fn settle_failure(&self, stop: Stop) -> BusError {
        match stop {
            Stop::TimedOut => {
                self.forget_publisher().await;
                BusError::Timeout(self.timeout.as_secs())
            }
            Stop::Failed(error) => {
                self.forget_publisher().await;
                BusError::Broker(error.to_string())
            }
            Stop::Rejected => BusError::Rejected,
        }
    }
}

#[async_trait]
impl EventBus for RabbitBus {
    #[tracing::instrument(name = "bus.publish", skip_all, fields(event.id = %event.id, event.type = %event.event_type))]
    async fn publish(
        &self,
        event: &EventEnvelope,
        traceparent: Option<&str>,
    ) -> Result<(), BusError> {
        let message = AmqpMessage::encode(event, traceparent)?;
        let outcome = self.send_confirmed(std::slice::from_ref(&message)).await;
        match outcome.error {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    #[tracing::instrument(name = "bus.publish_many", skip_all, fields(events = events.len()))]
    async fn publish_many(&self, events: &[(EventEnvelope, Option<String>)]) -> BatchOutcome {
        // An event that cannot be encoded ends the batch there, after the ones before it.
        let mut messages = Vec::with_capacity(events.len());
        let mut encoding_error = None;
        for (event, traceparent) in events {
            match AmqpMessage::encode(event, traceparent.as_deref()) {
                Ok(message) => messages.push(message),
                Err(error) => {
                    encoding_error = Some(error);
                    break;
                }
            }
        }
        let outcome = self.send_confirmed(&messages).await;
        match outcome.error {
            Some(_) => outcome,
            None => BatchOutcome {
                confirmed: outcome.confirmed,
                error: encoding_error,
            },
        }
    }

    async fn subscribe(&self, queue: &str, bindings: &[String]) -> Result<Subscription, BusError> {
        // Queues carry the exchange's name, so deployments or test runs that share a
        // broker under different exchanges never take each other's messages.
        let queue = queue_name(&self.exchange, queue);
        let queue = queue.as_str();
        // The publishing connection declares the exchanges the queue is bound to.
        self.publisher().await?;
        let channel = self.consumer_channel().await?;
        channel
            .basic_qos(PREFETCH, BasicQosOptions::default())
            .await
            .map_err(broker)?;

        let dead_letter_queue = format!("{queue}.dead-letter");
        channel
            .queue_declare(dead_letter_queue.as_str().into(), durable_queue(), quorum())
            .await
            .map_err(broker)?;
        channel
            .queue_bind(
                dead_letter_queue.as_str().into(),
                self.dead_letter_exchange().into(),
                queue.into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
            .map_err(broker)?;

        let mut arguments = quorum();
        arguments.insert(
            "x-dead-letter-exchange".into(),
            AMQPValue::LongString(LongString::from(self.dead_letter_exchange())),
        );
        arguments.insert(
            "x-dead-letter-routing-key".into(),
            AMQPValue::LongString(LongString::from(queue)),
        );
        channel
            .queue_declare(queue.into(), durable_queue(), arguments)
            .await
            .map_err(broker)?;
        for binding in bindings {
            channel
                .queue_bind(
                    queue.into(),
                    self.exchange.as_str().into(),
                    binding.as_str().into(),
                    QueueBindOptions::default(),
                    FieldTable::default(),
                )
                .await
                .map_err(broker)?;
        }

        let mut consumer = channel
            .basic_consume(
                queue.into(),
                "".into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await
            .map_err(broker)?;
        let (sender, receiver) = mpsc::channel(usize::from(PREFETCH));
        let queue_name = queue.to_owned();
        tokio::spawn(async move {
            // The channel is moved here so it lives as long as the consumer.
            let channel = channel;
            while let Some(next) = consumer.next().await {
                match next {
                    Ok(delivery) => {
                        let event = serde_json::from_slice::<EventEnvelope>(&delivery.data)
                            .map_err(|e| {
                                format!(
                                    "body is not an event envelope: {}",
                                    crate::telemetry::describe_json_error(&e)
                                )
                            });
                        let traceparent = traceparent_header(&delivery.properties);
                        let message = Delivery {
                            event,
                            traceparent,
                            acker: Acker::Rabbit(delivery.acker),
                        };
                        if sender.send(message).await.is_err() {
                            break;
                        }
                    }
                    Err(error) => {
                        // With automatic recovery lapin keeps the consumer and
                        // replays it on the new connection; wait for that.
                        tracing::warn!(queue = %queue_name, error = %error, "consumer stream failed; waiting for recovery");
                        let recovered =
                            tokio::time::timeout(RECOVERY_WAIT, channel.wait_for_recovery(error))
                                .await;
                        if !matches!(recovered, Ok(Ok(()))) {
                            break;
                        }
                    }
                }
            }
            tracing::info!(queue = %queue_name, "consumer stream ended");
        });
        Ok(Subscription { receiver })
    }

    /// Declares the queue passively, which returns its count of ready messages. Messages
    /// delivered to a consumer and not yet acknowledged (up to `PREFETCH` per consumer)
    /// are not counted.
    async fn queue_depth(&self, queue: &str) -> Result<Option<u32>, BusError> {
        let queue = queue_name(&self.exchange, queue);
        let channel = self.inspection_channel().await?;
        let declare = channel.queue_declare(
            queue.as_str().into(),
            QueueDeclareOptions {
                passive: true,
                ..QueueDeclareOptions::default()
            },
            FieldTable::default(),
        );
        let depth = match tokio::time::timeout(self.timeout, declare).await {
            Err(_) => Err(BusError::Timeout(self.timeout.as_secs())),
            Ok(Ok(declared)) => Ok(Some(declared.message_count())),
            Ok(Err(error)) if is_not_found(&error) => Ok(None),
            Ok(Err(error)) => Err(broker(error)),
        };
        // The broker closes the channel itself after a failed passive declare.
        if channel.status().connected() {
            drop(channel.close(200, "queue depth read".into()).await);
        }
        depth
    }

    async fn is_ready(&self) -> bool {
        self.publisher().await.is_ok()
    }

    fn kind(&self) -> &'static str {
        "rabbitmq"
    }
}

fn durable_queue() -> QueueDeclareOptions {
    QueueDeclareOptions {
        durable: true,
        ..QueueDeclareOptions::default()
    }
}

fn quorum() -> FieldTable {
    let mut arguments = FieldTable::default();
    arguments.insert(
        "x-queue-type".into(),
        AMQPValue::LongString(LongString::from("quorum")),
    );
    arguments
}
