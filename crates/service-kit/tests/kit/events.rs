use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common_models::event::EventEnvelope;
use lapin::options::{BasicPublishOptions, QueueDeclareOptions, QueueDeleteOptions};
use lapin::types::FieldTable;
use service_kit::audit::{self, Change};
use service_kit::bus::{EventBus, InProcessBus, RabbitBus};
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
