//! The outbox relay scenario. The relay that every service runs
//! (`Relay::publish_batch`) publishes N outbox rows from PostgreSQL to RabbitMQ with
//! publisher confirms. The baseline, in the same run, publishes the same messages
//! straight with lapin in batches of the same size.
//!
//! The messages go to a durable quorum queue declared as a consumer's queue is in
//! production, so the broker stores them as it would there.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;
use common_models::event::EventEnvelope;
use common_models::event::registry::{KeyStaffEntry, NPO_REGISTERED, NpoRegistered, NpoReportCard};
use diesel::prelude::*;
use lapin::options::{
    BasicPublishOptions, ConfirmSelectOptions, ExchangeDeclareOptions, QueueBindOptions,
    QueueDeclareOptions, QueueDeleteOptions, QueuePurgeOptions,
};
use lapin::types::{AMQPValue, FieldTable, LongString};
use lapin::{Channel, Connection, ConnectionProperties, ExchangeKind};
use service_kit::bus::{AmqpMessage, EventBus, RabbitBus, queue_name};
use service_kit::outbox::{self, OutgoingEvent, Relay};
use service_kit::{Database, PLATFORM_MIGRATIONS, StoreError};
use tokio::sync::Notify;
use uuid::Uuid;

use crate::generate::{Classifier, NpoRow};
use crate::postgres::Postgres;
use crate::report::Row;
use crate::targets::relay_row;

/// PostgreSQL database that every run drops, creates and drops again at the end.
const DATABASE: &str = "bench_relay";
/// Prefix of the exchange (and so of the queue) that each run declares and deletes.
const EXCHANGE_PREFIX: &str = "bench.relay";
/// Seed of the generated NPOs, the same as the registry scenarios' default.
const SEED: u64 = 20_251_204;
/// Outbox rows written per transaction while the outbox is filled.
const ENQUEUE_CHUNK: usize = 1_000;
/// Publish timeout of the relay's bus, the default of `LIAISON_PUBLISH_TIMEOUT`.
const PUBLISH_TIMEOUT_SECS: u64 = 5;
/// How long the broker may take to report every confirmed message in the queue.
const QUEUE_SETTLE: Duration = Duration::from_secs(10);

/// Options of the relay scenario. Their names carry `relay`, so a binary can flatten
/// them beside the registry scenarios' options, which have a `--postgres-url` too.
#[derive(Debug, Clone, Args)]
#[group(id = "relay-options")]
pub struct Options {
    /// Number of outbox rows to publish, and of messages the baseline publishes.
    #[arg(id = "relay_events", long = "relay-events", default_value_t = 20_000)]
    pub events: usize,
    /// PostgreSQL server URL without a database name. The run creates and drops the
    /// database `bench_relay` on it.
    #[arg(
        id = "relay_postgres_url",
        long = "relay-postgres-url",
        default_value = "postgres://postgres@127.0.0.1:5432"
    )]
    pub postgres_url: String,
    /// RabbitMQ URL. The run declares and deletes an exchange `bench.relay.<tag>` and
    /// one queue bound to it.
    #[arg(
        id = "relay_amqp_url",
        long = "relay-amqp-url",
        default_value = "amqp://guest:guest@127.0.0.1:5672/%2f"
    )]
    pub amqp_url: String,
}

/// Names of the broker objects of one run.
#[derive(Debug, Clone)]
struct Topology {
    exchange: String,
    queue: String,
}

impl Topology {
    fn new() -> Self {
        let exchange = format!("{EXCHANGE_PREFIX}.{}", Uuid::now_v7().simple());
        let queue = queue_name(&exchange, "bench");
        Self { exchange, queue }
    }

    /// Returns the name of the dead-letter exchange that the relay's bus declares
    /// beside the exchange.
    fn dead_letter_exchange(&self) -> String {
        format!("{}.dead-letter", self.exchange)
    }
}

/// Figures of one run.
#[derive(Debug, Clone, Copy)]
struct Timings {
    /// Messages per batch, in the relay and in the baseline.
    batch: usize,
    relay: Duration,
    baseline: Duration,
    mean_message_bytes: f64,
}

/// Runs the relay scenario and returns its row of the results table.
///
/// It drops and creates the database `bench_relay`, fills its outbox with
/// `options.events` `registry.npo.registered` events, and times `Relay::publish_batch`
/// until no row is pending. Then it publishes the same messages straight with lapin,
/// awaiting the confirms of each batch before the next. It deletes the database, the
/// queue and the exchanges at the end, also when the run fails.
pub async fn run(options: &Options) -> anyhow::Result<Vec<Row>> {
    if options.events == 0 {
        bail!("--relay-events must be positive");
    }
    let pg = Postgres {
        server_url: options.postgres_url.clone(),
        database: DATABASE.to_owned(),
    };
    let topology = Topology::new();
    let connection = Connection::connect(&options.amqp_url, ConnectionProperties::default())
        .await
        .with_context(|| {
            format!(
                "cannot connect to RabbitMQ at {}; start it or pass --relay-amqp-url",
                service_kit::db::redact(&options.amqp_url)
            )
        })?;
    pg.recreate_database()?;

    let measured = measure(options, &pg, &connection, &topology).await;
    let cleaned = clean_up(&pg, &connection, &topology).await;
    drop(connection.close(200, "benchmark finished".into()).await);

    let timings = match (measured, cleaned) {
        (Ok(timings), Ok(())) => timings,
        (Ok(_), Err(error)) => return Err(error),
        (Err(error), Ok(())) => return Err(error),
        (Err(error), Err(cleanup)) => {
            eprintln!("cleanup after the failed relay run failed too: {cleanup:#}");
            return Err(error);
        }
    };
    Ok(vec![relay_row(
        options.events,
        timings.batch,
        timings.relay,
        timings.baseline,
        timings.mean_message_bytes,
    )])
}

async fn measure(
    options: &Options,
    pg: &Postgres,
    connection: &Connection,
    topology: &Topology,
) -> anyhow::Result<Timings> {
    let db = Database::connect(&pg.database_url())?;
    db.migrate(&[PLATFORM_MIGRATIONS])?;
    let events = generate_events(options.events)?;
    fill_outbox(&db, &events).await?;
    check_stored_events(&db, &events).await?;

    let channel = connection
        .create_channel()
        .await
        .context("cannot open a channel")?;
    declare_queue(&channel, topology).await?;

    eprintln!("relay: publishing {} outbox rows…", events.len());
    let relay_time = publish_with_relay(options, &db, topology).await?;
    check_all_published(&db, events.len()).await?;
    wait_for_queue(&channel, &topology.queue, events.len()).await?;
    eprintln!("relay: {:.2} s", relay_time.as_secs_f64());

    channel
        .queue_purge(topology.queue.as_str().into(), QueuePurgeOptions::default())
        .await
        .context("cannot purge the queue after the relay run")?;
    let messages = events
        .iter()
        .map(|event| AmqpMessage::encode(&event.envelope, event.traceparent.as_deref()))
        .collect::<Result<Vec<_>, _>>()?;
    let batch = usize::try_from(outbox::BATCH).context("the relay's batch size is negative")?;
    eprintln!("baseline: publishing the same messages with lapin…");
    let baseline_time = publish_direct(connection, &topology.exchange, &messages, batch).await?;
    wait_for_queue(&channel, &topology.queue, messages.len()).await?;
    eprintln!("baseline: {:.2} s", baseline_time.as_secs_f64());

    let total_bytes: usize = messages.iter().map(|m| m.body.len()).sum();
    Ok(Timings {
        batch,
        relay: relay_time,
        baseline: baseline_time,
        mean_message_bytes: total_bytes as f64 / messages.len() as f64,
    })
}

/// Builds `count` `registry.npo.registered` events as the registry writes them for an
/// officer's registration: the payload with the NPO's report card, key staff and
/// contacts, the officer and the body, and a trace.
fn generate_events(count: usize) -> anyhow::Result<Vec<OutgoingEvent>> {
    let classifier = Classifier::parse(registry::territories::BUNDLED_KATO)?;
    let rows = crate::generate::generate(count, SEED, &classifier);
    rows.iter()
        .enumerate()
        .map(|(index, row)| {
            let payload = serde_json::to_value(registered_payload(row))
                .context("cannot encode an event payload")?;
            let envelope = EventEnvelope::new(NPO_REGISTERED, 1, "registry", payload).by(
                Some("officer-akimat-ulytau".to_owned()),
                Some("akimat-ulytau".to_owned()),
            );
            Ok(OutgoingEvent {
                traceparent: Some(format!("00-{}-{index:016x}-01", Uuid::now_v7().simple())),
                envelope,
            })
        })
        .collect()
}

fn registered_payload(row: &NpoRow) -> NpoRegistered {
    let spheres: Vec<String> = row.spheres.iter().map(|s| (*s).to_owned()).collect();
    NpoRegistered {
        npo_id: Uuid::now_v7().to_string(),
        bin: row.bin.clone(),
        name_ru: row.name_ru.clone(),
        name_kk: row.name_kk.clone(),
        legal_form: row.legal_form.to_owned(),
        status: row.status.to_owned(),
        territories: row.kato.clone(),
        spheres: spheres.clone(),
        card: Some(NpoReportCard {
            bin: row.bin.clone(),
            name_ru: row.name_ru.clone(),
            name_kk: row.name_kk.clone(),
            status: row.status.to_owned(),
            founded_on: Some(row.registered_on),
            spheres,
            target_groups: vec!["youth".into(), "children".into()],
            territories: row.kato.clone(),
            forms_of_work: vec!["consultations".into(), "joint_events".into()],
            key_staff: vec![KeyStaffEntry {
                full_name: "Айгерім Сейітова".into(),
                position: Some("председатель".into()),
            }],
            phone: Some("+7 701 555 01 23".into()),
            email: Some("info@example.kz".into()),
            address: Some("г. Астана, ул. Бейбітшілік, 12, офис 5".into()),
            web_resources: vec!["https://example.kz".into()],
        }),
    }
}

async fn fill_outbox(db: &Database, events: &[OutgoingEvent]) -> anyhow::Result<()> {
    for chunk in events.chunks(ENQUEUE_CHUNK) {
        let chunk = chunk.to_vec();
        db.transaction(move |conn| outbox::enqueue_many(conn, &chunk))
            .await
            .context("cannot write the events to the outbox")?;
    }
    Ok(())
}

/// Checks that the outbox gives back the generated envelopes unchanged, so the relay
/// and the baseline publish the same bytes.
async fn check_stored_events(db: &Database, events: &[OutgoingEvent]) -> anyhow::Result<()> {
    let limit = i64::try_from(events.len())?;
    let logged = db
        .run(move |conn| outbox::read_log(conn, 0, limit))
        .await
        .context("cannot read the outbox back")?;
    if logged.len() != events.len() {
        bail!(
            "the outbox contains {} events, expected {}",
            logged.len(),
            events.len()
        );
    }
    for (stored, generated) in logged.iter().zip(events) {
        if stored.event != generated.envelope {
            bail!(
                "outbox row {} differs from the generated event {}",
                stored.seq,
                generated.envelope.id
            );
        }
    }
    Ok(())
}

/// Declares the exchange as the bus does, and a quorum queue bound with `#` with the
/// arguments a consumer's queue gets in production.
async fn declare_queue(channel: &Channel, topology: &Topology) -> anyhow::Result<()> {
    channel
        .exchange_declare(
            topology.exchange.as_str().into(),
            ExchangeKind::Topic,
            ExchangeDeclareOptions {
                durable: true,
                ..ExchangeDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await
        .with_context(|| format!("cannot declare the exchange {}", topology.exchange))?;
    channel
        .queue_declare(
            topology.queue.as_str().into(),
            QueueDeclareOptions {
                durable: true,
                ..QueueDeclareOptions::default()
            },
            consumer_queue_arguments(topology),
        )
        .await
        .with_context(|| format!("cannot declare the queue {}", topology.queue))?;
    channel
        .queue_bind(
            topology.queue.as_str().into(),
            topology.exchange.as_str().into(),
            "#".into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await
        .with_context(|| format!("cannot bind the queue {}", topology.queue))?;
    Ok(())
}

/// Returns the arguments that `RabbitBus::subscribe` gives a consumer's queue.
fn consumer_queue_arguments(topology: &Topology) -> FieldTable {
    let mut arguments = FieldTable::default();
    arguments.insert(
        "x-queue-type".into(),
        AMQPValue::LongString(LongString::from("quorum")),
    );
    arguments.insert(
        "x-dead-letter-exchange".into(),
        AMQPValue::LongString(LongString::from(topology.dead_letter_exchange())),
    );
    arguments.insert(
        "x-dead-letter-routing-key".into(),
        AMQPValue::LongString(LongString::from(topology.queue.as_str())),
    );
    arguments
}

/// Times `Relay::publish_batch` from the first batch until a batch finds no row. The
/// bus connects before the clock starts.
async fn publish_with_relay(
    options: &Options,
    db: &Database,
    topology: &Topology,
) -> anyhow::Result<Duration> {
    let bus = std::sync::Arc::new(RabbitBus::new(
        &options.amqp_url,
        &topology.exchange,
        PUBLISH_TIMEOUT_SECS,
    ));
    if !bus.is_ready().await {
        bail!(
            "the relay's bus cannot connect to RabbitMQ at {}",
            service_kit::db::redact(&options.amqp_url)
        );
    }
    let relay = Relay::new("bench", db.clone(), bus, std::sync::Arc::new(Notify::new()));

    let started = Instant::now();
    loop {
        let published = relay
            .publish_batch()
            .await
            .context("the relay failed to publish a batch")?;
        if published == 0 {
            break;
        }
    }
    Ok(started.elapsed())
}

async fn check_all_published(db: &Database, expected: usize) -> anyhow::Result<()> {
    use service_kit::schema::outbox_events;
    let (pending, published) = db
        .run(|conn| -> Result<(i64, i64), StoreError> {
            let pending = outbox::count_pending(conn)?;
            let published = outbox_events::table
                .filter(outbox_events::published_at.is_not_null())
                .count()
                .get_result(conn)?;
            Ok((pending, published))
        })
        .await
        .context("cannot count the published outbox rows")?;
    if pending != 0 || usize::try_from(published)? != expected {
        bail!(
            "after the relay run {published} outbox rows have published_at and {pending} are \
             pending, expected {expected} and 0"
        );
    }
    Ok(())
}

/// Publishes `messages` on a confirm channel of its own, `batch` at a time: every
/// message of a batch is sent, then all their confirms are awaited.
async fn publish_direct(
    connection: &Connection,
    exchange: &str,
    messages: &[AmqpMessage],
    batch: usize,
) -> anyhow::Result<Duration> {
    let publisher = connection
        .create_channel()
        .await
        .context("cannot open the baseline's channel")?;
    publisher
        .confirm_select(ConfirmSelectOptions::default())
        .await
        .context("cannot enable publisher confirms")?;

    let started = Instant::now();
    for chunk in messages.chunks(batch) {
        let mut confirms = Vec::with_capacity(chunk.len());
        for message in chunk {
            let confirm = publisher
                .basic_publish(
                    exchange.into(),
                    message.routing_key.as_str().into(),
                    BasicPublishOptions::default(),
                    &message.body,
                    message.properties.clone(),
                )
                .await
                .context("basic.publish of the baseline failed")?;
            confirms.push(confirm);
        }
        for confirm in confirms {
            let confirmation = confirm
                .await
                .context("waiting for a confirm of the baseline failed")?;
            if !confirmation.is_ack() {
                bail!("the broker did not confirm a message of the baseline: {confirmation:?}");
            }
        }
    }
    let elapsed = started.elapsed();

    drop(publisher.close(200, "baseline finished".into()).await);
    Ok(elapsed)
}

/// Waits until the queue contains `expected` messages, as the broker counts them.
async fn wait_for_queue(channel: &Channel, queue: &str, expected: usize) -> anyhow::Result<()> {
    let deadline = Instant::now() + QUEUE_SETTLE;
    loop {
        let declared = channel
            .queue_declare(
                queue.into(),
                QueueDeclareOptions {
                    passive: true,
                    ..QueueDeclareOptions::default()
                },
                FieldTable::default(),
            )
            .await
            .with_context(|| format!("cannot read the message count of {queue}"))?;
        let count = declared.message_count() as usize;
        if count == expected {
            return Ok(());
        }
        if Instant::now() >= deadline {
            bail!(
                "the queue {queue} contains {count} messages {} s after the run, expected {expected}",
                QUEUE_SETTLE.as_secs()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Deletes the queue, both exchanges and the database, and reports the first failure.
async fn clean_up(
    pg: &Postgres,
    connection: &Connection,
    topology: &Topology,
) -> anyhow::Result<()> {
    let broker = async {
        let channel = connection.create_channel().await?;
        channel
            .queue_delete(
                topology.queue.as_str().into(),
                QueueDeleteOptions::default(),
            )
            .await?;
        for exchange in [topology.exchange.clone(), topology.dead_letter_exchange()] {
            channel
                .exchange_delete(exchange.as_str().into(), Default::default())
                .await?;
        }
        anyhow::Ok(())
    };
    let broker = broker.await.with_context(|| {
        format!(
            "cannot delete the queue {} or the exchange {}",
            topology.queue, topology.exchange
        )
    });
    let database = pg.drop_database();
    broker.and(database)
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use super::*;

    /// The options of every scenario in one command line, as a binary that runs them
    /// all would parse them.
    #[derive(Debug, Parser)]
    struct AllScenarios {
        #[command(flatten)]
        registry: crate::registry::Cli,
        #[command(flatten)]
        relay: Options,
    }

    #[test]
    fn options_flatten_beside_registry() {
        AllScenarios::command().debug_assert();

        let parsed = AllScenarios::try_parse_from(["bench", "--relay-events", "500"]).unwrap();

        assert_eq!(parsed.relay.events, 500);
        assert_eq!(
            parsed.relay.postgres_url,
            "postgres://postgres@127.0.0.1:5432"
        );
        assert_eq!(
            parsed.relay.amqp_url,
            "amqp://guest:guest@127.0.0.1:5672/%2f"
        );
    }

    #[test]
    fn topology_names_carry_prefix() {
        let topology = Topology::new();

        assert!(topology.exchange.starts_with("bench.relay."));
        assert!(topology.queue.starts_with(&topology.exchange));
        assert_eq!(
            topology.dead_letter_exchange(),
            format!("{}.dead-letter", topology.exchange)
        );
    }

    #[test]
    fn queue_arguments_match_consumers() {
        let topology = Topology::new();

        let arguments = consumer_queue_arguments(&topology);

        let inner = arguments.inner();
        assert_eq!(
            inner.get("x-queue-type"),
            Some(&AMQPValue::LongString("quorum".into()))
        );
        assert_eq!(
            inner.get("x-dead-letter-exchange"),
            Some(&AMQPValue::LongString(
                topology.dead_letter_exchange().into()
            ))
        );
        assert_eq!(
            inner.get("x-dead-letter-routing-key"),
            Some(&AMQPValue::LongString(topology.queue.as_str().into()))
        );
    }

    #[test]
    fn generated_events_are_registrations() {
        let events = generate_events(3).unwrap();

        assert_eq!(events.len(), 3);
        for event in &events {
            assert_eq!(event.envelope.event_type, NPO_REGISTERED);
            let payload: NpoRegistered =
                serde_json::from_value(event.envelope.payload.clone()).unwrap();
            assert!(payload.card.is_some());
            let traceparent = event.traceparent.as_deref().unwrap();
            assert_eq!(traceparent.len(), 55, "{traceparent}");
        }
        assert_ne!(events[0].envelope.id, events[1].envelope.id);
    }
}
