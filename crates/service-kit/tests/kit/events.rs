use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common_models::event::EventEnvelope;
use futures_util::StreamExt;
use lapin::options::{BasicPublishOptions, QueueDeclareOptions, QueueDeleteOptions};
use lapin::types::FieldTable;
use service_kit::audit::{self, Change};
use service_kit::bus::{BatchOutcome, BusError, EventBus, InProcessBus, RabbitBus, Subscription};
use service_kit::inbox::{Consumer, Handler};
use service_kit::outbox::{self, OutgoingEvent, Relay};
use service_kit::testing::{amqp_url, sqlite_only};
use service_kit::{Database, PLATFORM_MIGRATIONS, StoreError};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

fn database(dir: &tempfile::TempDir) -> Database {
    let db = Database::connect(&format!("sqlite://{}/kit.db", dir.path().display())).unwrap();
    db.migrate(&[PLATFORM_MIGRATIONS]).unwrap();
    db
}

fn event(event_type: &str) -> EventEnvelope {
    EventEnvelope::new(event_type, 1, "kit-test", serde_json::json!({"n": 1}))
}

/// A handler whose effect is one audit entry per applied event, so the effect can be
/// counted in the same database as the inbox.
fn counting_handler(calls: Arc<AtomicUsize>) -> Handler {
    Arc::new(move |conn, event: &EventEnvelope| {
        calls.fetch_add(1, Ordering::SeqCst);
        audit::record(
            conn,
            Change {
                entity: "event",
                entity_id: &event.id.to_string(),
                action: "applied",
                actor: "consumer",
                government_body: None,
                fields: &[],
            },
        )
    })
}

/// Returns how many times the inbox absorbed event `id` after applying it.
async fn redeliveries(db: &Database, id: Uuid) -> i32 {
    use diesel::prelude::*;
    use service_kit::schema::inbox_events;
    db.run(move |conn| -> Result<i32, StoreError> {
        Ok(inbox_events::table
            .filter(inbox_events::event_id.eq(id.to_string()))
            .select(inbox_events::duplicates)
            .first(conn)?)
    })
    .await
    .unwrap()
}

async fn effects(db: &Database, id: Uuid) -> usize {
    db.run(move |conn| audit::history(conn, "event", &id.to_string()).map(|h| h.len()))
        .await
        .unwrap()
}

async fn wait_for(mut check: impl AsyncFnMut() -> bool) -> bool {
    for _ in 0..100 {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

#[tokio::test]
async fn relay_publishes_each_row_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(&dir);
    let bus: Arc<dyn EventBus> = Arc::new(InProcessBus::default());
    let mut seen = bus
        .subscribe("observer", &["kit.#".to_owned()])
        .await
        .unwrap();
    let first = event("kit.thing.happened");
    let second = event("kit.thing.happened");
    for envelope in [first.clone(), second.clone()] {
        let outgoing = OutgoingEvent {
            envelope,
            traceparent: None,
        };
        db.run(move |conn| outbox::enqueue(conn, &outgoing))
            .await
            .unwrap();
    }
    let relay = Relay::new("kit-test", db.clone(), bus.clone(), Arc::new(Notify::new()));

    let published = relay.publish_batch().await.unwrap();
    let again = relay.publish_batch().await.unwrap();

    assert_eq!(published, 2);
    assert_eq!(again, 0);
    assert_eq!(seen.next().await.unwrap().event.unwrap().id, first.id);
    assert_eq!(seen.next().await.unwrap().event.unwrap().id, second.id);
    let pending = db.run(outbox::count_pending).await.unwrap();
    assert_eq!(pending, 0);
}

#[tokio::test]
async fn in_process_delivery_keeps_traceparent() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(&dir);
    let bus: Arc<dyn EventBus> = Arc::new(InProcessBus::default());
    let mut seen = bus
        .subscribe("observer", &["kit.#".to_owned()])
        .await
        .unwrap();
    let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let traced = OutgoingEvent {
        envelope: event("kit.thing.happened"),
        traceparent: Some(traceparent.to_owned()),
    };
    let untraced = OutgoingEvent {
        envelope: event("kit.thing.happened"),
        traceparent: None,
    };
    for outgoing in [traced, untraced] {
        db.run(move |conn| outbox::enqueue(conn, &outgoing))
            .await
            .unwrap();
    }
    let relay = Relay::new("kit-test", db.clone(), bus.clone(), Arc::new(Notify::new()));

    let published = relay.publish_batch().await.unwrap();

    assert_eq!(published, 2);
    let first = seen.next().await.unwrap();
    assert_eq!(first.traceparent.as_deref(), Some(traceparent));
    let second = seen.next().await.unwrap();
    assert_eq!(second.traceparent, None);
}

#[tokio::test]
async fn unreachable_broker_keeps_rows() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(&dir);
    let bus: Arc<dyn EventBus> = Arc::new(RabbitBus::new(
        "amqp://guest:guest@127.0.0.1:1/%2f",
        "liaison.events",
        1,
    ));
    let outgoing = OutgoingEvent {
        envelope: event("kit.thing.happened"),
        traceparent: None,
    };
    db.run(move |conn| outbox::enqueue(conn, &outgoing))
        .await
        .unwrap();
    let relay = Relay::new("kit-test", db.clone(), bus.clone(), Arc::new(Notify::new()));

    let outcome = relay.publish_batch().await;

    assert!(outcome.is_err());
    assert!(!bus.is_ready().await);
    let pending = db.run(outbox::count_pending).await.unwrap();
    assert_eq!(pending, 1);
}

#[tokio::test]
async fn in_process_consumer_applies_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(&dir);
    let bus: Arc<dyn EventBus> = Arc::new(InProcessBus::default());
    let calls = Arc::new(AtomicUsize::new(0));
    let consumer = Consumer {
        name: "kit".into(),
        bindings: vec!["kit.#".into()],
        handler: counting_handler(calls.clone()),
    };
    let stop = CancellationToken::new();
    let first = consumer.subscribe(&bus).await.unwrap();
    let task = tokio::spawn(consumer.run(db.clone(), bus.clone(), stop.clone(), Some(first)));
    let duplicate = event("kit.thing.happened");

    bus.publish(&duplicate, None).await.unwrap();
    bus.publish(&duplicate, None).await.unwrap();
    bus.publish(&event("other.thing"), None).await.unwrap();

    assert!(wait_for(async || effects(&db, duplicate.id).await == 1).await);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    stop.cancel();
    task.await.unwrap();
}

#[tokio::test]
async fn rabbit_consumer_dedupes_and_dead_letters() {
    if sqlite_only() {
        eprintln!("skipped: LIAISON_TEST_SQLITE_ONLY is set, so RabbitMQ is not used");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = database(&dir);
    let run = Uuid::now_v7().simple().to_string();
    let exchange = format!("test.{run}");
    let queue = service_kit::bus::queue_name(&exchange, "consumer");
    assert_eq!(queue, format!("test.{run}.consumer"));
    let bus: Arc<dyn EventBus> = Arc::new(RabbitBus::new(&amqp_url(), &exchange, 5));
    let calls = Arc::new(AtomicUsize::new(0));
    let consumer = Consumer {
        name: "consumer".into(),
        bindings: vec!["kit.#".into()],
        handler: counting_handler(calls.clone()),
    };
    let stop = CancellationToken::new();
    // Subscribing declares the queue and binds it, so nothing published after this
    // line can go unrouted.
    let first = consumer.subscribe(&bus).await.unwrap();
    let task = tokio::spawn(consumer.run(db.clone(), bus.clone(), stop.clone(), Some(first)));
    let connection =
        lapin::Connection::connect(&amqp_url(), lapin::ConnectionProperties::default())
            .await
            .unwrap();
    let channel = connection.create_channel().await.unwrap();
    let duplicate = event("kit.thing.happened");

    bus.publish(
        &duplicate,
        Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
    )
    .await
    .unwrap();
    bus.publish(&duplicate, None).await.unwrap();
    channel
        .basic_publish(
            exchange.as_str().into(),
            "kit.poison".into(),
            BasicPublishOptions::default(),
            b"not an envelope",
            lapin::BasicProperties::default(),
        )
        .await
        .unwrap()
        .await
        .unwrap();
    let follower = event("kit.thing.happened");
    bus.publish(&follower, None).await.unwrap();

    assert!(
        wait_for(async || effects(&db, follower.id).await == 1).await,
        "events after the poison message still flow"
    );
    assert_eq!(effects(&db, duplicate.id).await, 1);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(redeliveries(&db, duplicate.id).await, 1);
    let dead_letter_queue = format!("{queue}.dead-letter");
    let dead = wait_for(async || {
        let channel = connection.create_channel().await.unwrap();
        channel
            .queue_declare(
                dead_letter_queue.as_str().into(),
                QueueDeclareOptions {
                    passive: true,
                    ..QueueDeclareOptions::default()
                },
                FieldTable::default(),
            )
            .await
            .is_ok_and(|q| q.message_count() == 1)
    });
    assert!(dead.await, "the poison message is in the dead-letter queue");

    stop.cancel();
    task.await.unwrap();
    let cleanup = connection.create_channel().await.unwrap();
    for name in [&queue, &dead_letter_queue] {
        drop(
            cleanup
                .queue_delete(name.as_str().into(), QueueDeleteOptions::default())
                .await,
        );
    }
    drop(
        cleanup
            .exchange_delete(exchange.as_str().into(), Default::default())
            .await,
    );
    drop(
        cleanup
            .exchange_delete(format!("{exchange}.dead-letter").into(), Default::default())
            .await,
    );
    drop(connection.close(200, "done".into()).await);
}

/// Closes the broker side of every connection whose name mentions `exchange`, as an
/// operator's `rabbitmqctl close_connection` or a broker restart would.
fn close_connections_of(exchange: &str) -> usize {
    let listed = std::process::Command::new("rabbitmqctl")
        .args(["list_connections", "-q", "pid", "client_properties"])
        .output()
        .expect("rabbitmqctl runs");
    let listing = String::from_utf8_lossy(&listed.stdout);
    let pids: Vec<&str> = listing
        .lines()
        .filter(|line| line.contains(exchange))
        .filter_map(|line| line.split('\t').next())
        .collect();
    for pid in &pids {
        let closed = std::process::Command::new("rabbitmqctl")
            .args(["close_connection", pid, "closed by the reconnection test"])
            .output()
            .expect("rabbitmqctl runs");
        assert!(
            closed.status.success(),
            "{}",
            String::from_utf8_lossy(&closed.stderr)
        );
    }
    pids.len()
}

#[tokio::test]
async fn rabbit_publisher_reconnects_after_close() {
    if sqlite_only() {
        eprintln!("skipped: LIAISON_TEST_SQLITE_ONLY is set, so RabbitMQ is not used");
        return;
    }
    let exchange = format!("test.{}", Uuid::now_v7().simple());
    let bus = RabbitBus::new(&amqp_url(), &exchange, 5);
    let mut observer = service_kit::testing::EventObserver::rabbit(&exchange, &["kit.#"]).await;
    let before = event("kit.thing.happened");
    bus.publish(&before, None).await.unwrap();

    let closed = tokio::task::spawn_blocking({
        let exchange = exchange.clone();
        move || close_connections_of(&exchange)
    })
    .await
    .unwrap();
    let after = event("kit.thing.happened");
    let mut attempts = 0;
    while bus.publish(&after, None).await.is_err() {
        attempts += 1;
        assert!(
            attempts < 30,
            "publishing did not resume after the connection was closed"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    assert_eq!(
        closed, 1,
        "the bus has one connection, named after its exchange"
    );
    let seen: Vec<Uuid> = observer
        .drain(Duration::from_secs(2))
        .await
        .iter()
        .map(|o| o.event.id)
        .collect();
    assert!(seen.contains(&before.id));
    assert!(seen.contains(&after.id));
    observer.close().await;
    let connection =
        lapin::Connection::connect(&amqp_url(), lapin::ConnectionProperties::default())
            .await
            .unwrap();
    let cleanup = connection.create_channel().await.unwrap();
    drop(
        cleanup
            .exchange_delete(exchange.as_str().into(), Default::default())
            .await,
    );
    drop(
        cleanup
            .exchange_delete(format!("{exchange}.dead-letter").into(), Default::default())
            .await,
    );
    drop(connection.close(200, "done".into()).await);
}

#[tokio::test]
async fn failing_event_recorded_as_dead_letter() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(&dir);
    let bus: Arc<dyn EventBus> = Arc::new(InProcessBus::default());
    let failing: Handler =
        Arc::new(|_, _| Err(StoreError::Conflict("the effect cannot be applied".into())));
    let calls = Arc::new(AtomicUsize::new(0));
    let failing_consumer = Consumer {
        name: "failing".into(),
        bindings: vec!["kit.#".into()],
        handler: failing,
    };
    let healthy = Consumer {
        name: "healthy".into(),
        bindings: vec!["kit.#".into()],
        handler: counting_handler(calls.clone()),
    };
    let stop = CancellationToken::new();
    let mut tasks = Vec::new();
    for consumer in [failing_consumer, healthy] {
        let first = consumer.subscribe(&bus).await.unwrap();
        tasks.push(tokio::spawn(consumer.run(
            db.clone(),
            bus.clone(),
            stop.clone(),
            Some(first),
        )));
    }
    let poison = event("kit.thing.happened");
    let next = event("kit.thing.happened");

    bus.publish(&poison, None).await.unwrap();
    bus.publish(&next, None).await.unwrap();

    let recorded = async || {
        let id = poison.id.to_string();
        db.run(move |conn| -> Result<i64, StoreError> {
            use diesel::prelude::*;
            use service_kit::schema::dead_letters;
            Ok(dead_letters::table
                .filter(dead_letters::event_id.eq(id))
                .filter(dead_letters::consumer.eq("failing"))
                .count()
                .get_result(conn)?)
        })
        .await
        .unwrap()
            == 1
    };
    assert!(
        wait_for(recorded).await,
        "the failed event is kept in dead_letters"
    );
    assert!(
        wait_for(async || effects(&db, next.id).await == 1).await,
        "other consumers are not held up"
    );
    stop.cancel();
    for task in tasks {
        task.await.unwrap();
    }
}

#[tokio::test]
async fn store_error_rolls_back_effect() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(&dir);
    let failing: Handler = Arc::new(|conn, event: &EventEnvelope| {
        audit::record(
            conn,
            Change {
                entity: "event",
                entity_id: &event.id.to_string(),
                action: "applied",
                actor: "consumer",
                government_body: None,
                fields: &[],
            },
        )?;
        Err(StoreError::Conflict("the effect cannot be applied".into()))
    });
    let envelope = event("kit.thing.happened");
    let to_apply = envelope.clone();

    let outcome = db
        .run(move |conn| service_kit::inbox::apply_once(conn, "kit", &to_apply, &failing))
        .await;

    assert!(outcome.is_err());
    assert_eq!(effects(&db, envelope.id).await, 0);
}

/// Writes `count` events to the outbox in one transaction and returns them in log order.
async fn enqueue_events(db: &Database, count: usize) -> Vec<EventEnvelope> {
    let events: Vec<EventEnvelope> = (0..count).map(|_| event("kit.thing.happened")).collect();
    let outgoing: Vec<OutgoingEvent> = events
        .iter()
        .enumerate()
        .map(|(index, envelope)| OutgoingEvent {
            envelope: envelope.clone(),
            traceparent: Some(format!(
                "00-4bf92f3577b34da6a3ce929d0e0e4736-{index:016x}-01"
            )),
        })
        .collect();
    db.transaction(move |conn| outbox::enqueue_many(conn, &outgoing))
        .await
        .unwrap();
    events
}

/// Returns the ids of the outbox rows that have `published_at`, in log order.
async fn published_ids(db: &Database) -> Vec<Uuid> {
    use diesel::prelude::*;
    use service_kit::schema::outbox_events;
    let ids = db
        .run(|conn| -> Result<Vec<String>, StoreError> {
            Ok(outbox_events::table
                .filter(outbox_events::published_at.is_not_null())
                .order(outbox_events::seq.asc())
                .select(outbox_events::id)
                .load(conn)?)
        })
        .await
        .unwrap();
    ids.iter().map(|id| Uuid::parse_str(id).unwrap()).collect()
}

/// A bus that confirms the first `accept` events of every batch and rejects the rest,
/// recording the ids of each batch it was given.
#[derive(Debug, Default)]
struct PartialBus {
    accept: AtomicUsize,
    batches: std::sync::Mutex<Vec<Vec<Uuid>>>,
}

#[async_trait::async_trait]
impl EventBus for PartialBus {
    async fn publish(
        &self,
        event: &EventEnvelope,
        traceparent: Option<&str>,
    ) -> Result<(), BusError> {
        let outcome = self
            .publish_many(&[(event.clone(), traceparent.map(str::to_owned))])
            .await;
        outcome.error.map_or(Ok(()), Err)
    }

    async fn publish_many(&self, events: &[(EventEnvelope, Option<String>)]) -> BatchOutcome {
        let ids = events.iter().map(|(event, _)| event.id).collect();
        self.batches.lock().unwrap().push(ids);
        let accept = self.accept.load(Ordering::SeqCst);
        BatchOutcome {
            confirmed: accept.min(events.len()),
            error: (events.len() > accept).then_some(BusError::Rejected),
        }
    }

    async fn subscribe(
        &self,
        _queue: &str,
        _bindings: &[String],
    ) -> Result<Subscription, BusError> {
        Err(BusError::Broker("this test bus has no consumers".into()))
    }

    async fn is_ready(&self) -> bool {
        true
    }

    fn kind(&self) -> &'static str {
        "partial"
    }
}

#[tokio::test]
async fn relay_marks_confirmed_prefix_only() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(&dir);
    let events = enqueue_events(&db, 5).await;
    let ids: Vec<Uuid> = events.iter().map(|e| e.id).collect();
    let bus = Arc::new(PartialBus::default());
    bus.accept.store(2, Ordering::SeqCst);
    let relay = Relay::new("kit-test", db.clone(), bus.clone(), Arc::new(Notify::new()));

    let failed = relay.publish_batch().await;

    assert!(failed.is_err(), "a rejected event fails the batch");
    assert_eq!(published_ids(&db).await, ids[..2]);
    assert_eq!(db.run(outbox::count_pending).await.unwrap(), 3);

    bus.accept.store(usize::MAX, Ordering::SeqCst);
    let retried = relay.publish_batch().await.unwrap();

    assert_eq!(retried, 3);
    assert_eq!(published_ids(&db).await, ids);
    let batches = bus.batches.lock().unwrap().clone();
    assert_eq!(batches, vec![ids.clone(), ids[2..].to_vec()]);
}

#[tokio::test]
async fn relay_rereads_after_partial_batch() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(&dir);
    let events = enqueue_events(&db, 250).await;
    let ids: Vec<Uuid> = events.iter().map(|e| e.id).collect();
    let bus = Arc::new(PartialBus::default());
    bus.accept.store(usize::MAX, Ordering::SeqCst);
    let relay = Relay::new("kit-test", db.clone(), bus.clone(), Arc::new(Notify::new()));

    let first = relay.publish_batch().await.unwrap();
    bus.accept.store(10, Ordering::SeqCst);
    let second = relay.publish_batch().await;
    bus.accept.store(usize::MAX, Ordering::SeqCst);
    let third = relay.publish_batch().await.unwrap();
    let fourth = relay.publish_batch().await.unwrap();

    assert_eq!(first, 100);
    assert!(
        second.is_err(),
        "the second batch is rejected after 10 events"
    );
    assert_eq!(third, 100);
    assert_eq!(fourth, 40);
    let batches = bus.batches.lock().unwrap().clone();
    assert_eq!(batches.len(), 4);
    assert_eq!(batches[0], ids[..100]);
    assert_eq!(batches[1], ids[100..200]);
    assert_eq!(
        batches[2],
        ids[110..210],
        "the retry starts at the first rejected row, not at the rows read ahead"
    );
    assert_eq!(batches[3], ids[210..]);
    assert_eq!(published_ids(&db).await, ids);
}

#[tokio::test]
async fn relay_marks_full_batch_while_publishing_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(&dir);
    let events = enqueue_events(&db, 150).await;
    let ids: Vec<Uuid> = events.iter().map(|e| e.id).collect();
    let bus = Arc::new(PartialBus::default());
    bus.accept.store(usize::MAX, Ordering::SeqCst);
    let relay = Relay::new("kit-test", db.clone(), bus.clone(), Arc::new(Notify::new()));

    let first = relay.publish_batch().await.unwrap();
    relay.settle().await.unwrap();

    assert_eq!(first, 100);
    assert_eq!(
        published_ids(&db).await,
        ids[..100],
        "settle waits for the mark"
    );

    let second = relay.publish_batch().await.unwrap();
    let third = relay.publish_batch().await.unwrap();

    assert_eq!(second, 50);
    assert_eq!(third, 0, "no row is read again after its mark");
    assert_eq!(published_ids(&db).await, ids);
    let batches: Vec<Vec<Uuid>> = bus
        .batches
        .lock()
        .unwrap()
        .iter()
        .filter(|batch| !batch.is_empty())
        .cloned()
        .collect();
    assert_eq!(batches, vec![ids[..100].to_vec(), ids[100..].to_vec()]);
}

/// Declares a durable queue with `arguments`, bound with `#` to `exchange`, which is
/// declared as the bus declares it.
async fn declare_bound_queue(
    channel: &lapin::Channel,
    exchange: &str,
    queue: &str,
    arguments: FieldTable,
) {
    channel
        .exchange_declare(
            exchange.into(),
            lapin::ExchangeKind::Topic,
            lapin::options::ExchangeDeclareOptions {
                durable: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await
        .unwrap();
    channel
        .queue_declare(
            queue.into(),
            QueueDeclareOptions {
                durable: true,
                ..QueueDeclareOptions::default()
            },
            arguments,
        )
        .await
        .unwrap();
    channel
        .queue_bind(
            queue.into(),
            exchange.into(),
            "#".into(),
            Default::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
}

/// Deletes a test's queue, its exchange and the dead-letter exchange the bus declared.
async fn delete_queue_and_exchanges(connection: &lapin::Connection, exchange: &str, queue: &str) {
    let cleanup = connection.create_channel().await.unwrap();
    drop(
        cleanup
            .queue_delete(queue.into(), QueueDeleteOptions::default())
            .await,
    );
    for name in [exchange.to_owned(), format!("{exchange}.dead-letter")] {
        drop(
            cleanup
                .exchange_delete(name.as_str().into(), Default::default())
                .await,
        );
    }
}

#[tokio::test]
async fn relay_batches_reach_rabbit_in_order() {
    if sqlite_only() {
        eprintln!("skipped: LIAISON_TEST_SQLITE_ONLY is set, so RabbitMQ is not used");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = database(&dir);
    let exchange = format!("test.{}", Uuid::now_v7().simple());
    let queue = format!("{exchange}.relay");
    let connection =
        lapin::Connection::connect(&amqp_url(), lapin::ConnectionProperties::default())
            .await
            .unwrap();
    let channel = connection.create_channel().await.unwrap();
    let mut quorum = FieldTable::default();
    quorum.insert(
        "x-queue-type".into(),
        lapin::types::AMQPValue::LongString("quorum".into()),
    );
    declare_bound_queue(&channel, &exchange, &queue, quorum).await;
    // More rows than one batch of the relay takes, so batches follow each other.
    let events = enqueue_events(&db, 250).await;
    let bus: Arc<dyn EventBus> = Arc::new(RabbitBus::new(&amqp_url(), &exchange, 5));
    let relay = Relay::new("kit-test", db.clone(), bus, Arc::new(Notify::new()));

    let mut batches = Vec::new();
    loop {
        let published = relay.publish_batch().await.unwrap();
        if published == 0 {
            break;
        }
        batches.push(published);
    }

    assert_eq!(batches, vec![100, 100, 50]);
    assert_eq!(db.run(outbox::count_pending).await.unwrap(), 0);
    let ids: Vec<Uuid> = events.iter().map(|e| e.id).collect();
    assert_eq!(published_ids(&db).await, ids);
    let mut consumer = channel
        .basic_consume(
            queue.as_str().into(),
            "".into(),
            lapin::options::BasicConsumeOptions {
                no_ack: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await
        .unwrap();
    let mut received = Vec::new();
    while received.len() < events.len() {
        let next = tokio::time::timeout(Duration::from_secs(5), consumer.next()).await;
        let Ok(Some(Ok(delivery))) = next else {
            break;
        };
        received.push(delivery);
    }
    assert_eq!(received.len(), events.len(), "every event is in the queue");
    for (index, (delivery, sent)) in received.iter().zip(&events).enumerate() {
        let envelope: EventEnvelope = serde_json::from_slice(&delivery.data).unwrap();
        assert_eq!(
            envelope, *sent,
            "message {index} is the event of row {index}"
        );
        let message_id = delivery.properties.message_id().as_ref().unwrap();
        assert_eq!(message_id.as_str(), sent.id.to_string());
        let traceparent = delivery
            .properties
            .headers()
            .as_ref()
            .and_then(|headers| headers.inner().get("traceparent").cloned());
        let expected = format!("00-4bf92f3577b34da6a3ce929d0e0e4736-{index:016x}-01");
        assert_eq!(
            traceparent,
            Some(lapin::types::AMQPValue::LongString(
                expected.as_str().into()
            ))
        );
    }

    delete_queue_and_exchanges(&connection, &exchange, &queue).await;
    drop(connection.close(200, "done".into()).await);
}

#[tokio::test]
async fn rabbit_nack_keeps_later_rows() {
    if sqlite_only() {
        eprintln!("skipped: LIAISON_TEST_SQLITE_ONLY is set, so RabbitMQ is not used");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = database(&dir);
    let exchange = format!("test.{}", Uuid::now_v7().simple());
    let queue = format!("{exchange}.full");
    let connection =
        lapin::Connection::connect(&amqp_url(), lapin::ConnectionProperties::default())
            .await
            .unwrap();
    let channel = connection.create_channel().await.unwrap();
    // The broker nacks every message that would make this queue hold more than 5.
    let mut bounded = FieldTable::default();
    bounded.insert("x-max-length".into(), lapin::types::AMQPValue::LongInt(5));
    bounded.insert(
        "x-overflow".into(),
        lapin::types::AMQPValue::LongString("reject-publish".into()),
    );
    declare_bound_queue(&channel, &exchange, &queue, bounded).await;
    let events = enqueue_events(&db, 8).await;
    let ids: Vec<Uuid> = events.iter().map(|e| e.id).collect();
    let bus: Arc<dyn EventBus> = Arc::new(RabbitBus::new(&amqp_url(), &exchange, 5));
    let relay = Relay::new("kit-test", db.clone(), bus, Arc::new(Notify::new()));

    let outcome = relay.publish_batch().await;

    let error = outcome.expect_err("the sixth message is nacked");
    assert!(
        error.to_string().contains("rejected"),
        "unexpected error: {error:#}"
    );
    assert_eq!(published_ids(&db).await, ids[..5]);
    assert_eq!(db.run(outbox::count_pending).await.unwrap(), 3);
    let stored = channel
        .queue_declare(
            queue.as_str().into(),
            QueueDeclareOptions {
                passive: true,
                ..QueueDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await
        .unwrap();
    assert_eq!(stored.message_count(), 5);

    delete_queue_and_exchanges(&connection, &exchange, &queue).await;
    drop(connection.close(200, "done".into()).await);
}

#[tokio::test]
async fn rabbit_consumer_applies_a_backlog_once_in_order() {
    if sqlite_only() {
        eprintln!("skipped: LIAISON_TEST_SQLITE_ONLY is set, so RabbitMQ is not used");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = database(&dir);
    let exchange = format!("test.{}", Uuid::now_v7().simple());
    let queue = service_kit::bus::queue_name(&exchange, "backlog");
    let bus: Arc<dyn EventBus> = Arc::new(RabbitBus::new(&amqp_url(), &exchange, 5));
    let events: Vec<EventEnvelope> = (0..150).map(|_| event("kit.thing.happened")).collect();
    let poison = events[70].id;
    // Every call is recorded, including those of a transaction that rolled back.
    let calls = Arc::new(std::sync::Mutex::new(Vec::new()));
    let recorded = calls.clone();
    let handler: Handler = Arc::new(move |conn, event: &EventEnvelope| {
        recorded.lock().unwrap().push(event.id);
        if event.id == poison {
            return Err(StoreError::Conflict("the effect cannot be applied".into()));
        }
        audit::record(
            conn,
            Change {
                entity: "event",
                entity_id: &event.id.to_string(),
                action: "applied",
                actor: "consumer",
                government_body: None,
                fields: &[],
            },
        )
    });
    let consumer = Consumer {
        name: "backlog".into(),
        bindings: vec!["kit.#".into()],
        handler,
    };
    let first = consumer.subscribe(&bus).await.unwrap();
    // The whole backlog is queued before the consumer takes any of it, so deliveries
    // arrive faster than they are applied.
    let batch: Vec<(EventEnvelope, Option<String>)> =
        events.iter().map(|e| (e.clone(), None)).collect();
    let outcome = bus.publish_many(&batch).await;
    assert!(outcome.error.is_none(), "{:?}", outcome.error);
    assert_eq!(outcome.confirmed, events.len());
    let stop = CancellationToken::new();
    let task = tokio::spawn(consumer.run(db.clone(), bus.clone(), stop.clone(), Some(first)));

    let last = events.last().unwrap().id;
    assert!(
        wait_for(async || effects(&db, last).await == 1).await,
        "the backlog was applied"
    );
    for event in &events {
        let expected = usize::from(event.id != poison);
        assert_eq!(
            effects(&db, event.id).await,
            expected,
            "effects of {}",
            event.id
        );
    }
    let dead = async || {
        let id = poison.to_string();
        db.run(move |conn| -> Result<i64, StoreError> {
            use diesel::prelude::*;
            use service_kit::schema::dead_letters;
            Ok(dead_letters::table
                .filter(dead_letters::event_id.eq(id))
                .count()
                .get_result(conn)?)
        })
        .await
        .unwrap()
            == 1
    };
    assert!(wait_for(dead).await, "the failing event is a dead letter");

    // The last call of each event is the one that committed; those follow the queue.
    let calls = calls.lock().unwrap().clone();
    let mut order: Vec<Uuid> = Vec::new();
    for id in calls.iter().rev() {
        if *id != poison && !order.contains(id) {
            order.push(*id);
        }
    }
    order.reverse();
    let expected: Vec<Uuid> = events
        .iter()
        .map(|e| e.id)
        .filter(|id| *id != poison)
        .collect();
    assert_eq!(
        order, expected,
        "events were applied in the order they were queued"
    );

    stop.cancel();
    task.await.unwrap();
    let connection =
        lapin::Connection::connect(&amqp_url(), lapin::ConnectionProperties::default())
            .await
            .unwrap();
    delete_queue_and_exchanges(&connection, &exchange, &queue).await;
    drop(
        connection
            .create_channel()
            .await
            .unwrap()
            .queue_delete(
                format!("{queue}.dead-letter").as_str().into(),
                QueueDeleteOptions::default(),
            )
            .await,
    );
    drop(connection.close(200, "done".into()).await);
}
