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

use super::{Acker, BusError, Delivery, EventBus, Subscription};

/// How long a consumer waits for lapin to recover its connection before it
/// subscribes again from scratch.
const RECOVERY_WAIT: Duration = Duration::from_secs(60);

/// Messages a consumer may hold unacknowledged.
const PREFETCH: u16 = 32;

struct Link {
    connection: Connection,
    publisher: Channel,
}

/// A RabbitMQ connection opened on first use and opened again after it is lost.
pub struct RabbitBus {
    url: String,
    exchange: String,
    timeout: Duration,
    link: Mutex<Option<Link>>,
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
            link: Mutex::new(None),
        }
    }

    fn dead_letter_exchange(&self) -> String {
        format!("{}.dead-letter", self.exchange)
    }

    async fn connect(&self) -> Result<Link, BusError> {
        tokio::time::timeout(self.timeout, self.open_link())
            .await
            .map_err(|_| {
                BusError::Unreachable(format!("no connection within {} s", self.timeout.as_secs()))
            })?
    }

    async fn open_link(&self) -> Result<Link, BusError> {
        let properties = ConnectionProperties::default()
            .with_connection_name(format!("liaison ({})", self.exchange).into())
            .enable_auto_recover();
        let connection = Connection::connect(&self.url, properties)
            .await
            .map_err(|e| BusError::Unreachable(e.to_string()))?;
        let publisher = connection.create_channel().await.map_err(broker)?;
        publisher
            .confirm_select(ConfirmSelectOptions::default())
            .await
            .map_err(broker)?;
        publisher
            .exchange_declare(
                self.exchange.as_str().into(),
                ExchangeKind::Topic,
                durable_exchange(),
                FieldTable::default(),
            )
            .await
            .map_err(broker)?;
        publisher
            .exchange_declare(
                self.dead_letter_exchange().into(),
                ExchangeKind::Direct,
                durable_exchange(),
                FieldTable::default(),
            )
            .await
            .map_err(broker)?;
        tracing::info!(broker = %crate::db::redact(&self.url), exchange = %self.exchange, "connected to RabbitMQ");
        Ok(Link {
            connection,
            publisher,
        })
    }

    /// Returns a channel on a live connection, connecting when there is none.
    async fn publisher(&self) -> Result<Channel, BusError> {
        let mut link = self.link.lock().await;
        if let Some(current) = link.as_ref()
            && !current.connection.status().reconnecting()
            && !(current.connection.status().connected() && current.publisher.status().connected())
        {
            tracing::warn!("RabbitMQ connection lost; reconnecting");
            *link = None;
        }
        if link.is_none() {
            *link = Some(self.connect().await?);
        }
        link.as_ref()
            .map(|l| l.publisher.clone())
            .ok_or_else(|| BusError::Unreachable("no connection".into()))
    }

    async fn forget_link(&self) {
        *self.link.lock().await = None;
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

fn broker(error: lapin::Error) -> BusError {
    BusError::Broker(error.to_string())
}

#[async_trait]
impl EventBus for RabbitBus {
    #[tracing::instrument(name = "bus.publish", skip_all, fields(event.id = %event.id, event.type = %event.event_type))]
    async fn publish(
        &self,
        event: &EventEnvelope,
        traceparent: Option<&str>,
    ) -> Result<(), BusError> {
        let body = serde_json::to_vec(event).map_err(|e| BusError::Broker(e.to_string()))?;
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

        let channel = self.publisher().await?;
        let attempt = async {
            let confirm = channel
                .basic_publish(
                    self.exchange.as_str().into(),
                    event.event_type.as_str().into(),
                    BasicPublishOptions::default(),
                    &body,
                    properties,
                )
                .await?;
            confirm.await
        };
        match tokio::time::timeout(self.timeout, attempt).await {
            Err(_) => {
                self.forget_link().await;
                Err(BusError::Timeout(self.timeout.as_secs()))
            }
            Ok(Err(error)) => {
                let message = error.to_string();
                // Keep the link only when lapin recovered it; otherwise the next
                // publish opens a new connection.
                let recovered =
                    tokio::time::timeout(self.timeout, channel.wait_for_recovery(error)).await;
                if !matches!(recovered, Ok(Ok(()))) {
                    self.forget_link().await;
                }
                Err(BusError::Broker(message))
            }
            Ok(Ok(Confirmation::Ack(_))) => Ok(()),
            Ok(Ok(Confirmation::Nack(_) | Confirmation::NotRequested)) => Err(BusError::Rejected),
        }
    }

    async fn subscribe(&self, queue: &str, bindings: &[String]) -> Result<Subscription, BusError> {
        // Queues carry the exchange's name, so deployments or test runs that share a
        // broker under different exchanges never take each other's messages.
        let queue = queue_name(&self.exchange, queue);
        let queue = queue.as_str();
        self.publisher().await?;
        let channel = {
            let link = self.link.lock().await;
            let link = link
                .as_ref()
                .ok_or_else(|| BusError::Unreachable("no connection".into()))?;
            link.connection.create_channel().await.map_err(broker)?
        };
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
                        let message = Delivery {
                            event,
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
