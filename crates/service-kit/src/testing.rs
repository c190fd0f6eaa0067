//! Test support: each test starts the real server on port 0 against a fresh database
//! (a SQLite file, or a new PostgreSQL database) and a real bus, and talks HTTP to it.
//!
//! SQLite runs use the in-process bus; PostgreSQL runs use RabbitMQ, so every
//! behaviour is checked on both databases and events go through the real broker.

pub mod tokens;

use std::time::Duration;

use common_models::event::EventEnvelope;
use diesel::{Connection, PgConnection, RunQueryDsl};
use futures_util::StreamExt;
use lapin::options::{
    BasicConsumeOptions, ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions,
};
use lapin::types::FieldTable;
use uuid::Uuid;

use crate::app::{Running, ServiceDef, start};
use crate::auth::{DevelopmentKey, Role, TokenRequest};
use crate::bus::Subscription;
use crate::settings::Settings;

/// Database backend of a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestBackend {
    /// A SQLite file in a temporary folder, with the in-process bus.
    Sqlite,
    /// A new PostgreSQL database per service, with RabbitMQ.
    Postgres,
}

/// PostgreSQL server used by tests: `LIAISON_TEST_DATABASE_URL`, pointing at a database
/// the tests may connect to in order to create and drop their own.
pub fn postgres_admin_url() -> String {
    std::env::var("LIAISON_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// RabbitMQ used by tests: `LIAISON_TEST_AMQP_URL`.
pub fn amqp_url() -> String {
    std::env::var("LIAISON_TEST_AMQP_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
}

/// Returns whether the caller asked for the SQLite-only run (`LIAISON_TEST_SQLITE_ONLY=1`).
pub fn sqlite_only() -> bool {
    std::env::var("LIAISON_TEST_SQLITE_ONLY").is_ok_and(|v| v == "1" || v == "true")
}

fn server_root(url: &str) -> &str {
    match url.rfind('/') {
        Some(slash) if slash > url.find("://").map_or(0, |i| i + 2) => &url[..slash],
        _ => url,
    }
}

/// A running server for one test, with its own database and keys.
pub struct TestApp {
    /// Base URL, such as `http://127.0.0.1:41234`.
    pub base: String,
    pub client: reqwest::Client,
    pub backend: TestBackend,
    pub settings: Settings,
    running: Option<Running>,
    key: DevelopmentKey,
    postgres_databases: Vec<String>,
    _data: tempfile::TempDir,
}

impl std::fmt::Debug for TestApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestApp")
            .field("base", &self.base)
            .field("backend", &self.backend)
            .finish()
    }
}

impl TestApp {
    /// Starts `services` on `backend`. Returns `None` for PostgreSQL in the SQLite-only
    /// run; fails with instructions when PostgreSQL or RabbitMQ is unreachable.
    pub async fn spawn(services: &[ServiceDef], backend: TestBackend) -> Option<Self> {
        Self::spawn_with(services, backend, &[]).await
    }

    /// Starts `services` on `backend` with extra settings, as `(variable, value)` pairs
    /// such as `("LIAISON_SERVICE_URL_REGISTRY", "http://127.0.0.1:9")`.
    pub async fn spawn_with(
        services: &[ServiceDef],
        backend: TestBackend,
        extra: &[(&str, &str)],
    ) -> Option<Self> {
        if backend == TestBackend::Postgres && sqlite_only() {
            eprintln!("skipped on PostgreSQL and RabbitMQ: LIAISON_TEST_SQLITE_ONLY is set");
            return None;
        }
        crate::telemetry::init(crate::settings::LogFormat::Pretty, None);

        let data = tempfile::tempdir().expect("a temporary folder can be created");
        let run = Uuid::now_v7().simple().to_string();
        let mut postgres_databases = Vec::new();
        let (database_url, broker_url, exchange) = match backend {
            TestBackend::Sqlite => (
                format!("sqlite://{}/{{service}}.db", data.path().display()),
                "memory".to_owned(),
                "liaison.events".to_owned(),
            ),
            TestBackend::Postgres => {
                let admin = postgres_admin_url();
                let mut conn = PgConnection::establish(&admin).unwrap_or_else(|e| {
                    panic!(
                        "PostgreSQL is unreachable at {} ({e}). Start it with \
                         `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`, \
                         point LIAISON_TEST_DATABASE_URL at another server, or run `make test-sqlite` \
                         for the SQLite-only suite.",
                        crate::db::redact(&admin)
                    )
                });
                for service in services {
                    let name = format!("test_{run}_{}", service.name.replace('-', "_"));
                    diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
                        .execute(&mut conn)
                        .expect("the test database can be created");
                    postgres_databases.push(name);
                }
                (
                    format!("{}/test_{run}_{{service}}", server_root(&admin)),
                    amqp_url(),
                    format!("test.{run}"),
                )
            }
        };

        let mut settings = Settings::from_lookup(|name| {
            if let Some((_, value)) = extra.iter().find(|(variable, _)| *variable == name) {
                return Some((*value).to_owned());
            }
            match name {
                "LIAISON_DATA_DIR" => Some(data.path().display().to_string()),
                "LIAISON_DATABASE_URL" => Some(database_url.clone()),
                "LIAISON_BROKER_URL" => Some(broker_url.clone()),
                "LIAISON_EXCHANGE" => Some(exchange.clone()),
                "LIAISON_LISTEN" => Some("127.0.0.1:0".into()),
                "LIAISON_BODY_LIMIT" => Some("262144".into()),
                "LIAISON_BATCH_LIMIT" => Some("1048576".into()),
                "LIAISON_BATCH_JOB_THRESHOLD" => Some("8192".into()),
                "LIAISON_DEVELOPMENT_TOKENS" => Some("1".into()),
                // Tests send requests faster than people do; a test of the rate limit
                // sets it in `extra`.
                "LIAISON_RATE_LIMIT" => Some("0".into()),
                _ => None,
            }
        })
        .expect("test settings are valid");
        settings.options = extra
            .iter()
            .filter_map(|(variable, value)| {
                let name = variable.strip_prefix(crate::settings::PREFIX)?;
                Some((name.to_owned(), (*value).to_owned()))
            })
            .collect();
        let service_url_prefix = format!("{}SERVICE_URL_", crate::settings::PREFIX);
        settings.service_urls = extra
            .iter()
            .filter_map(|(variable, value)| {
                let service = variable.strip_prefix(&service_url_prefix)?;
                Some((
                    service.to_lowercase().replace('_', "-"),
                    (*value).to_owned(),
                ))
            })
            .collect();

        if backend == TestBackend::Postgres {
            check_broker(&settings).await;
        }

        let running = start(settings.clone(), services, false)
            .await
            .unwrap_or_else(|e| panic!("the server failed to start: {e:#}"));
        let key =
            DevelopmentKey::load_or_create(&settings.data_dir).expect("the development key exists");
        Some(Self {
            base: format!("http://{}", running.addr),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("an HTTP client can be built"),
            backend,
            settings,
            running: Some(running),
            key,
            postgres_databases,
            _data: data,
        })
    }

    /// Returns the full URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Mints a token for `role`, valid for an hour.
    pub fn token(&self, role: Role, body: Option<&str>, bin: Option<&str>) -> String {
        let request = TokenRequest {
            subject: format!("test-{role}"),
            name: None,
            role,
            body: body.map(str::to_owned),
            bin: bin.map(str::to_owned),
        };
        self.key
            .mint(&self.settings, &request, Duration::from_secs(3600))
            .expect("a token can be minted")
    }

    /// Mints a token of the integrator `subject`, a system that pushes data.
    pub fn integrator(&self, subject: &str) -> String {
        let request = TokenRequest {
            subject: subject.to_owned(),
            name: None,
            role: Role::Integrator,
            body: None,
            bin: None,
        };
        self.key
            .mint(&self.settings, &request, Duration::from_secs(3600))
            .expect("a token can be minted")
    }

    /// Returns the key the server trusts, for tests that craft their own tokens.
    pub fn key(&self) -> &DevelopmentKey {
        &self.key
    }

    /// Mints a token of the officer of `body`.
    pub fn officer(&self, body: &str) -> String {
        self.token(Role::Officer, Some(body), None)
    }

    /// Mints a token of a ministry analyst.
    pub fn ministry(&self) -> String {
        self.token(Role::Ministry, None, None)
    }

    /// Starts receiving the events whose type matches one of `bindings`, from now on.
    pub async fn observe(&self, bindings: &[&str]) -> EventObserver {
        match self.backend {
            TestBackend::Sqlite => {
                let running = self.running.as_ref().expect("the server is running");
                let bindings: Vec<String> = bindings.iter().map(|b| (*b).to_owned()).collect();
                let subscription = running
                    .bus
                    .subscribe(&format!("observer.{}", Uuid::now_v7()), &bindings)
                    .await
                    .expect("the in-process bus accepts subscriptions");
                EventObserver::InProcess(subscription)
            }
            TestBackend::Postgres => EventObserver::rabbit(&self.settings.exchange, bindings).await,
        }
    }

    /// Stops the server, draining requests and relays, and deletes the test's
    /// exchanges from RabbitMQ.
    pub async fn stop(mut self) {
        let mut consumers = Vec::new();
        if let Some(running) = self.running.take() {
            consumers.clone_from(&running.consumers);
            running.stop().await;
        }
        if self.backend == TestBackend::Postgres {
            delete_exchanges(&self.settings.exchange, &consumers).await;
        }
    }

    /// Fetches `/metrics` and returns the Prometheus text.
    pub async fn metrics(&self) -> String {
        let response = self
            .client
            .get(self.url("/metrics"))
            .send()
            .await
            .expect("the server responds to /metrics");
        assert_eq!(
            response.status(),
            reqwest::StatusCode::OK,
            "/metrics status"
        );
        response.text().await.expect("a metrics body")
    }

    /// Publishes `event` on the bus the services consume from, as another service would.
    pub async fn publish(&self, event: &EventEnvelope) {
        let running = self.running.as_ref().expect("the server is running");
        running
            .bus
            .publish(event, None)
            .await
            .expect("the bus accepts the event");
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if self.postgres_databases.is_empty() {
            return;
        }
        let Ok(mut conn) = PgConnection::establish(&postgres_admin_url()) else {
            return;
        };
        for name in &self.postgres_databases {
            // FORCE ends the pool's connections, which the server may still hold.
            let dropped =
                diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .execute(&mut conn);
            if let Err(error) = dropped {
                eprintln!("test database {name} was not dropped: {error}");
            }
        }
    }
}

/// Deletes a test's exchange, its dead-letter exchange and its consumers' queues; a
/// failure only leaves them.
async fn delete_exchanges(exchange: &str, consumers: &[String]) {
    let Ok(connection) =
        lapin::Connection::connect(&amqp_url(), lapin::ConnectionProperties::default()).await
    else {
        return;
    };
    if let Ok(channel) = connection.create_channel().await {
        for consumer in consumers {
            let queue = crate::bus::queue_name(exchange, consumer);
            for name in [format!("{queue}.dead-letter"), queue] {
                drop(
                    channel
                        .queue_delete(name.as_str().into(), Default::default())
                        .await,
                );
            }
        }
        for name in [exchange.to_owned(), format!("{exchange}.dead-letter")] {
            drop(
                channel
                    .exchange_delete(name.as_str().into(), Default::default())
                    .await,
            );
        }
    }
    close_connection(&connection, "test finished").await;
}

/// Closes a RabbitMQ connection, waiting at most 5 s for the broker to confirm. A test
/// run once hung with no socket open while a close waited for its reply, so the wait
/// is bounded and the test goes on.
pub async fn close_connection(connection: &lapin::Connection, reason: &str) {
    let closing = connection.close(200, reason.into());
    if tokio::time::timeout(Duration::from_secs(5), closing)
        .await
        .is_err()
    {
        eprintln!("RabbitMQ did not confirm closing the connection within 5 s; going on");
    }
}

async fn check_broker(settings: &Settings) {
    let connected = tokio::time::timeout(
        Duration::from_secs(5),
        lapin::Connection::connect(&settings.broker_url, lapin::ConnectionProperties::default()),
    )
    .await;
    match connected {
        Ok(Ok(connection)) => close_connection(&connection, "checked").await,
        Ok(Err(error)) => panic!(
            "RabbitMQ is unreachable at {} ({error}). Start it with `rabbitmq-server -detached`, \
             point LIAISON_TEST_AMQP_URL at another broker, or run `make test-sqlite` for the \
             SQLite-only suite.",
            crate::db::redact(&settings.broker_url)
        ),
        Err(_) => panic!(
            "RabbitMQ did not respond within 5 s at {}",
            crate::db::redact(&settings.broker_url)
        ),
    }
}

/// Events seen by a test, from the in-process bus or from a throw-away RabbitMQ queue.
pub enum EventObserver {
    InProcess(Subscription),
    Rabbit {
        connection: Box<lapin::Connection>,
        consumer: Box<lapin::Consumer>,
    },
}

impl std::fmt::Debug for EventObserver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::InProcess(_) => "EventObserver::InProcess",
            Self::Rabbit { .. } => "EventObserver::Rabbit",
        })
    }
}

/// One observed event with the trace context it carried.
#[derive(Debug, Clone)]
pub struct Observed {
    pub event: EventEnvelope,
    /// The `traceparent` AMQP header; the in-process bus carries none.
    pub traceparent: Option<String>,
    /// The AMQP message id, which must equal the event id.
    pub message_id: Option<String>,
}

impl EventObserver {
    /// Observes `exchange` through a throw-away RabbitMQ queue bound to `bindings`.
    pub async fn rabbit(exchange: &str, bindings: &[&str]) -> Self {
        let connection =
            lapin::Connection::connect(&amqp_url(), lapin::ConnectionProperties::default())
                .await
                .expect("RabbitMQ is reachable");
        let channel = connection.create_channel().await.expect("a channel opens");
        channel
            .exchange_declare(
                exchange.into(),
                lapin::ExchangeKind::Topic,
                ExchangeDeclareOptions {
                    durable: true,
                    ..ExchangeDeclareOptions::default()
                },
                FieldTable::default(),
            )
            .await
            .expect("the exchange can be declared");
        let queue = channel
            .queue_declare(
                "".into(),
                QueueDeclareOptions {
                    exclusive: true,
                    auto_delete: true,
                    ..QueueDeclareOptions::default()
                },
                FieldTable::default(),
            )
            .await
            .expect("a throw-away queue can be declared");
        for binding in bindings {
            channel
                .queue_bind(
                    queue.name().clone(),
                    exchange.into(),
                    (*binding).into(),
                    QueueBindOptions::default(),
                    FieldTable::default(),
                )
                .await
                .expect("the queue can be bound");
        }
        let consumer = channel
            .basic_consume(
                queue.name().clone(),
                "".into(),
                BasicConsumeOptions {
                    no_ack: true,
                    ..BasicConsumeOptions::default()
                },
                FieldTable::default(),
            )
            .await
            .expect("consuming starts");
        Self::Rabbit {
            connection: Box::new(connection),
            consumer: Box::new(consumer),
        }
    }

    /// Waits up to `wait` for the next event.
    pub async fn next(&mut self, wait: Duration) -> Option<Observed> {
        match self {
            Self::InProcess(subscription) => tokio::time::timeout(wait, subscription.next())
                .await
                .ok()
                .flatten()
                .and_then(|delivery| delivery.event.ok())
                .map(|event| Observed {
                    event,
                    traceparent: None,
                    message_id: None,
                }),
            Self::Rabbit { consumer, .. } => {
                let delivery = tokio::time::timeout(wait, consumer.next())
                    .await
                    .ok()??
                    .ok()?;
                let traceparent = delivery
                    .properties
                    .headers()
                    .as_ref()
                    .and_then(|headers| headers.inner().get("traceparent").cloned())
                    .and_then(|value| match value {
                        lapin::types::AMQPValue::LongString(s) => Some(s.to_string()),
                        _ => None,
                    });
                let message_id = delivery
                    .properties
                    .message_id()
                    .as_ref()
                    .map(ToString::to_string);
                let event = serde_json::from_slice(&delivery.data).ok()?;
                Some(Observed {
                    event,
                    traceparent,
                    message_id,
                })
            }
        }
    }

    /// Collects every event that arrives within `wait`.
    pub async fn drain(&mut self, wait: Duration) -> Vec<Observed> {
        let deadline = tokio::time::Instant::now() + wait;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                return seen;
            }
            match self.next(left).await {
                Some(observed) => seen.push(observed),
                None => return seen,
            }
        }
    }

    /// Waits up to 10 s for an event of `event_type`, skipping others; panics without one.
    pub async fn expect(&mut self, event_type: &str) -> Observed {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next(left).await {
                Some(observed) if observed.event.event_type == event_type => return observed,
                Some(_) => continue,
                None => panic!("no {event_type} event arrived within 10 s"),
            }
        }
    }

    /// Closes the RabbitMQ connection, which deletes the throw-away queue.
    pub async fn close(self) {
        if let Self::Rabbit { connection, .. } = self {
            close_connection(&connection, "done").await;
        }
    }
}

/// Returns the value of the sample of metric `name` that has every label of `labels`,
/// from a body in the Prometheus text format.
pub fn sample(metrics: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    metrics.lines().find_map(|line| {
        let rest = line.strip_prefix(name)?;
        let (label_text, value) = match rest.strip_prefix('{') {
            Some(rest) => rest.split_once("} ")?,
            None => ("", rest.strip_prefix(' ')?),
        };
        let matches = labels
            .iter()
            .all(|(label, expected)| label_text.contains(&format!("{label}=\"{expected}\"")));
        if matches {
            value.trim().parse().ok()
        } else {
            None
        }
    })
}

/// Reads a problem body and checks its media type and status.
pub async fn problem(
    response: reqwest::Response,
    status: reqwest::StatusCode,
) -> serde_json::Value {
    let url = response.url().to_string();
    let actual = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body: serde_json::Value = response.json().await.expect("a problem body");
    assert_eq!(actual, status, "{url}: {body}");
    assert_eq!(content_type, "application/problem+json");
    body
}

/// JSON pointers of the invalid fields a problem lists.
pub fn pointers(problem: &serde_json::Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| e["pointer"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Declares a test module per case with one test on SQLite and one on PostgreSQL.
///
/// ```ignore
/// backend_tests! {
///     services: &[registry::SERVICE];
///     async fn creates_npo(app) { /* app: TestApp */ }
/// }
/// ```
#[macro_export]
macro_rules! backend_tests {
    (services: $services:expr; $( $(#[$meta:meta])* async fn $name:ident($app:ident) $body:block )*) => {
        $(
            $(#[$meta])*
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let $app = $crate::testing::TestApp::spawn($services, $crate::testing::TestBackend::Sqlite)
                        .await
                        .expect("SQLite runs always");
                    $body
                    $app.stop().await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    let Some($app) = $crate::testing::TestApp::spawn($services, $crate::testing::TestBackend::Postgres).await else {
                        return;
                    };
                    $body
                    $app.stop().await;
                }
            }
        )*
    };
}
