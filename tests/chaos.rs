//! The fault suite: a steady stream of writes through the public APIs while the
//! platform's dependencies fail, then a check of every event id the producers logged.
//! Each event must reach the consumer exactly once: it is lost when the consumer's inbox
//! never recorded it, and applied twice when the inbox recorded it twice. Redeliveries
//! the inbox absorbed are counted apart, as evidence that a fault hit the window it aims
//! at.
//!
//! The platform runs as separate `liaison serve <service>` processes on PostgreSQL and
//! RabbitMQ. Each service is behind a TCP proxy of its own, which plays the gateway.
//! Every database connection passes through one more proxy, which can cut the
//! connections or slow them down. The suite stops and starts the RabbitMQ application with `rabbitmqctl`
//! and starts it again when a scenario fails, so it must not share the broker with
//! other work.
//!
//! `make chaos` runs it (it is ignored by `cargo test`), with the load runs: 32 clients
//! for `LIAISON_LOAD_SECS` seconds (default 60) against the distributed mode and
//! against the embedded default, printing latency percentiles per route.

mod support;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use diesel::sql_types::{BigInt, Integer, Text};
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl, SqliteConnection};
use reqwest::{RequestBuilder, StatusCode};
use serde_json::{Value, json};
use support::proxy::Proxy;
use support::{
    Process, amqp_url, check_broker, delete_broker_objects, drop_databases, free_ports, mint_token,
    postgres_admin_url, server_root, sqlite_only,
};

/// Services in the order they start, as `liaison serve` names them.
const SERVICES: [&str; 5] = [
    "registry",
    "needs",
    "joint-actions",
    "recommendations",
    "aggregation",
];

/// The consumer whose inbox the suite checks: it takes every registry event.
const CONSUMER: &str = aggregation::readmodel::CONSUMER;

/// KATO code of the village of Ulytau, the territory of every NPO the suite writes.
const VILLAGE: &str = "623830100";
/// KATO code of the Ulytau region.
const REGION: &str = "620000000";

/// Events the whole suite must check, over all scenarios.
const MIN_EVENTS: usize = 10_000;
/// Events each scenario writes at least, so the suite reaches `MIN_EVENTS`.
const MIN_SCENARIO_EVENTS: usize = 1_600;

/// Concurrent writers of the fault scenarios.
const WRITERS: usize = 6;
/// Rows of one batch sent to `POST /v1/npo-imports`.
const IMPORT_ROWS: usize = 20;
/// Minimum time between two writes of one writer, which keeps the stream near the pace
/// one consumer applies events at in a debug build (about 150 events/s in all).
const WRITE_INTERVAL: Duration = Duration::from_millis(150);

/// Maximum wait for a started service to return 200 on `/readyz`.
const START_TIMEOUT: Duration = Duration::from_secs(90);
/// Maximum wait for the consumer to apply every event of a scenario.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(240);
/// How long one write is retried through connection failures and 503 responses.
const RETRY_WINDOW: Duration = Duration::from_secs(120);

/// Concurrent clients of the load runs.
const LOAD_CLIENTS: usize = 32;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "stops the broker and kills processes for several minutes; `make chaos` runs it"]
async fn faults_lose_and_repeat_nothing() {
    if sqlite_only() {
        eprintln!("skipped: the fault suite needs PostgreSQL and RabbitMQ");
        return;
    }
    let mut platform = Platform::start().await;
    let _broker = BrokerGuard;
    let mut table = Vec::new();

    for fault in [
        Fault::BrokerRestart,
        Fault::RelayKilled,
        Fault::ConsumerKilled,
        Fault::ConnectionsClosed,
        Fault::PoisonMessage,
        Fault::LongOutage,
    ] {
        table.push(platform.scenario(fault).await);
    }
    platform.database_unreachable().await;
    platform.peer_down().await;
    platform.sigterm_during_request().await;
    table.push(platform.scenario(Fault::TwoInstances).await);

    println!("\n{}", Outcome::header());
    for outcome in &table {
        println!("{}", outcome.row());
    }
    let total: usize = table.iter().map(|o| o.counts.events).sum();
    println!("events checked over the suite: {total}");
    for outcome in &table {
        outcome.assert_clean();
    }
    platform.check_accepted_were_logged().await;
    assert!(
        total >= MIN_EVENTS,
        "the suite checked {total} events, fewer than {MIN_EVENTS}"
    );

    let report = run_load(&platform.endpoints(), &platform.tokens, load_duration()).await;
    report.print("distributed: a process per service, two instances each, PostgreSQL and RabbitMQ");
    let mark = platform.log_end().await;
    let counts = platform
        .settle(report.first_seq.unwrap_or(mark), mark)
        .await;
    println!("load events: {}", counts.summary());
    report.assert_clean();
    assert!(counts.events > 0, "the load run logged no registry events");
    assert_eq!(counts.lost, 0, "the load run lost events");
    assert_eq!(counts.applied_twice, 0, "the load run applied events twice");
    drop(platform);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "runs for a minute; `make chaos` runs it"]
async fn embedded_default_under_load() {
    let data = tempfile::tempdir().expect("a temporary folder");
    let port = free_ports(1)[0];
    let env = vec![
        ("LIAISON_LISTEN".to_owned(), format!("127.0.0.1:{port}")),
        (
            "LIAISON_DATA_DIR".to_owned(),
            data.path().display().to_string(),
        ),
        ("LIAISON_LOG_FORMAT".to_owned(), "json".to_owned()),
        // The load run's clients share a few tokens and send as fast as the platform
        // responds, far above any caller's rate limit.
        ("LIAISON_RATE_LIMIT".to_owned(), "0".to_owned()),
    ];
    let mut process = Process::spawn_all(&env);
    let base = format!("http://127.0.0.1:{port}");
    wait_ready(&mut process, &base).await;
    let tokens = Tokens::mint(data.path(), &format!("load{port}"));
    let endpoints: HashMap<&str, String> = SERVICES
        .iter()
        .map(|service| (*service, base.clone()))
        .collect();

    let report = run_load(&endpoints, &tokens, load_duration()).await;
    report.print("embedded default: serve all, SQLite and in-process events");
    // A batch of 2,000 registrations, then SIGTERM at once, while most of their
    // events are still queued in memory for the consumers.
    let setup = WriterSetup {
        client: reqwest::Client::new(),
        registry: base.clone(),
        tokens: tokens.clone(),
        tag: format!("batch{port}"),
        nanos: u128::from(port) << 20,
        serial: AtomicU64::new(0),
        retries: AtomicU64::new(0),
    };
    let imported = setup
        .client
        .post(format!("{base}/v1/npo-imports"))
        .bearer_auth(&tokens.integrator)
        .header("Content-Type", "text/csv")
        .body(setup.import_body(2_000))
        .send()
        .await
        .expect("the registry answers the import");
    assert_eq!(imported.status(), StatusCode::OK, "the batch import");
    let status = tokio::task::block_in_place(|| process.terminate(Duration::from_secs(30)));
    assert!(
        status.is_some_and(|s| s.success()),
        "serve all did not exit 0 on SIGTERM ({status:?}):\n{}",
        process.tail()
    );
    // The events left in memory reach the consumers after the next start.
    process.restart();
    wait_ready(&mut process, &base).await;
    let (produced, missing) = tokio::task::block_in_place(|| sqlite_undelivered(data.path()));
    let status = tokio::task::block_in_place(|| process.terminate(Duration::from_secs(30)));
    println!(
        "load events: {produced} logged by the registry, {missing} not applied after a restart"
    );
    report.assert_clean();
    assert!(produced > 0, "the load run logged no registry events");
    assert_eq!(missing, 0, "the embedded default lost events under load");
    assert!(
        status.is_some_and(|s| s.success()),
        "serve all did not exit 0 the second time"
    );
}

fn load_duration() -> Duration {
    let seconds = std::env::var("LIAISON_LOAD_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    Duration::from_secs(seconds)
}

/// Starts the RabbitMQ application again when a scenario that stopped it fails.
struct BrokerGuard;

impl Drop for BrokerGuard {
    fn drop(&mut self) {
        if std::thread::panicking() {
            // No panic here: a second one during unwinding would abort the cleanup.
            let started = Command::new("rabbitmqctl").arg("start_app").status();
            if !started.is_ok_and(|s| s.success()) {
                eprintln!("rabbitmqctl start_app failed: start the broker by hand");
            }
        }
    }
}

/// Runs `rabbitmqctl` and returns its standard output.
fn rabbitmqctl(args: &[&str]) -> String {
    let output = Command::new("rabbitmqctl")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("rabbitmqctl {} cannot run: {e}", args.join(" ")));
    assert!(
        output.status.success(),
        "rabbitmqctl {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The faults of the scenarios.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    BrokerRestart,
    RelayKilled,
    ConsumerKilled,
    ConnectionsClosed,
    PoisonMessage,
    LongOutage,
    TwoInstances,
}

impl Fault {
    fn describe(self) -> &'static str {
        match self {
            Self::BrokerRestart => "1 broker stopped and started",
            Self::RelayKilled => "2 relay killed after confirms",
            Self::ConsumerKilled => "3 consumer killed mid-apply",
            Self::ConnectionsClosed => "4 broker closed connections",
            Self::PoisonMessage => "5 poison messages",
            Self::LongOutage => "6 consumer down, then rebuild",
            Self::TwoInstances => "7 two instances, one killed",
        }
    }
}

/// What the check of a scenario's event ids found.
#[derive(Debug, Default, Clone)]
struct Counts {
    events: usize,
    delivered_once: usize,
    lost: usize,
    applied_twice: usize,
    duplicates_absorbed: i64,
    catch_up: Duration,
}

impl Counts {
    fn summary(&self) -> String {
        format!(
            "{} events, {} delivered once, {} lost, {} applied twice, {} redeliveries absorbed, caught up {:.1} s after the writes",
            self.events,
            self.delivered_once,
            self.lost,
            self.applied_twice,
            self.duplicates_absorbed,
            self.catch_up.as_secs_f64()
        )
    }
}

/// A scenario's counts and what its writers saw.
#[derive(Debug)]
struct Outcome {
    fault: Fault,
    counts: Counts,
    requests: usize,
    failed_writes: Vec<String>,
    /// Facts the scenario checked besides the counts, each a failure when false.
    checks: Vec<(String, bool)>,
}

impl Outcome {
    fn header() -> String {
        format!(
            "{:<32} {:>7} {:>9} {:>5} {:>8} {:>10} {:>8} {:>8}",
            "scenario", "events", "once", "lost", "twice", "redelivered", "writes", "failed"
        )
    }

    fn row(&self) -> String {
        format!(
            "{:<32} {:>7} {:>9} {:>5} {:>8} {:>10} {:>8} {:>8}",
            self.fault.describe(),
            self.counts.events,
            self.counts.delivered_once,
            self.counts.lost,
            self.counts.applied_twice,
            self.counts.duplicates_absorbed,
            self.requests,
            self.failed_writes.len()
        )
    }

    fn assert_clean(&self) {
        let name = self.fault.describe();
        assert_eq!(self.counts.lost, 0, "{name}: events lost");
        assert_eq!(self.counts.applied_twice, 0, "{name}: events applied twice");
        assert!(
            self.failed_writes.is_empty(),
            "{name}: writes failed: {:?}",
            self.failed_writes
        );
        for (check, held) in &self.checks {
            assert!(held, "{name}: {check}");
        }
    }
}

/// Development tokens of the actors of the suite.
#[derive(Debug, Clone)]
struct Tokens {
    ministry: String,
    officer: String,
    integrator: String,
}

impl Tokens {
    fn mint(data: &Path, tag: &str) -> Self {
        let body = format!("chaos-body-{tag}");
        Self {
            ministry: mint_token(data, true, &["--role", "ministry"]),
            officer: mint_token(
                data,
                true,
                &[
                    "--role",
                    "officer",
                    "--body",
                    &body,
                    "--subject",
                    "chaos-officer",
                ],
            ),
            integrator: mint_token(data, true, &["--role", "integrator", "--subject", "loader"]),
        }
    }
}

/// One `liaison serve <service>` process and its own port.
struct Instance {
    process: Process,
    port: u16,
}

impl Instance {
    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// An event of the registry's log, as far as the checks need it.
#[derive(Debug, Clone)]
struct Logged {
    seq: i64,
    id: String,
    event_type: String,
    npo_id: Option<String>,
}

/// The platform under test and what the suite has seen of it.
struct Platform {
    tag: String,
    client: reqwest::Client,
    tokens: Tokens,
    data: tempfile::TempDir,
    exchange: String,
    databases: Vec<String>,
    /// URL of each service's database, reached through `postgres`.
    database_template: String,
    /// Every connection of the services to PostgreSQL passes through it.
    postgres: Proxy,
    /// One address per service, in front of its instances.
    gateways: HashMap<&'static str, Proxy>,
    instances: Vec<Instance>,
    /// The registry's log as read so far, and the position read up to.
    log: Vec<Logged>,
    cursor: i64,
    writer: Arc<WriterSetup>,
    /// Ids of the NPOs whose registration returned 201.
    accepted: Vec<String>,
}

impl Platform {
    async fn start() -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("the clock is after 1970")
            .as_nanos();
        let tag = format!(
            "{:010x}",
            (nanos ^ (u128::from(std::process::id()) << 32)) & 0xff_ffff_ffff
        );
        check_broker().await;
        let data = tempfile::tempdir().expect("a temporary folder");
        let tokens = Tokens::mint(data.path(), &tag);

        let admin = postgres_admin_url();
        let root = server_root(&admin).to_owned();
        let host_port = root
            .rsplit_once('@')
            .map_or_else(
                || root.split_once("://").map_or("", |(_, rest)| rest),
                |(_, rest)| rest,
            )
            .to_owned();
        let target = tokio::net::lookup_host(if host_port.contains(':') {
            host_port.clone()
        } else {
            format!("{host_port}:5432")
        })
        .await
        .expect("the PostgreSQL host resolves")
        .next()
        .expect("an address of the PostgreSQL host");
        let postgres = Proxy::start(vec![target]).await;
        let database_template = format!(
            "{}/chaos_{tag}_{{service}}",
            root.replacen(&host_port, &postgres.addr.to_string(), 1)
        );
        let databases = create_databases(&tag);

        let ports = free_ports(SERVICES.len());
        let mut gateways = HashMap::new();
        for (service, port) in SERVICES.iter().zip(&ports) {
            let backend: SocketAddr = format!("127.0.0.1:{port}").parse().expect("an address");
            gateways.insert(*service, Proxy::start(vec![backend]).await);
        }
        // Idle connections close before the services' 5-second keep-alive ends them, so
        // no write goes out on a connection that the server is closing.
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .pool_idle_timeout(Duration::from_secs(2))
            .build()
            .expect("an HTTP client");
        let writer = Arc::new(WriterSetup {
            client: client.clone(),
            registry: gateways["registry"].url(),
            tokens: tokens.clone(),
            tag: tag.clone(),
            nanos,
            serial: AtomicU64::new(0),
            retries: AtomicU64::new(0),
        });
        let mut platform = Self {
            exchange: format!("chaos.{tag}"),
            tag,
            client,
            tokens,
            data,
            databases,
            database_template,
            postgres,
            gateways,
            instances: Vec::new(),
            log: Vec::new(),
            cursor: 0,
            writer,
            accepted: Vec::new(),
        };
        for (service, port) in SERVICES.iter().zip(ports) {
            platform.spawn(service, port);
        }
        platform.wait_all_ready().await;
        platform
    }

    fn environment(&self, port: u16) -> Vec<(String, String)> {
        let mut env = vec![
            ("LIAISON_LISTEN".to_owned(), format!("127.0.0.1:{port}")),
            (
                "LIAISON_DATA_DIR".to_owned(),
                self.data.path().display().to_string(),
            ),
            ("LIAISON_DEVELOPMENT_TOKENS".to_owned(), "1".to_owned()),
            (
                "LIAISON_DATABASE_URL".to_owned(),
                self.database_template.clone(),
            ),
            ("LIAISON_BROKER_URL".to_owned(), amqp_url()),
            ("LIAISON_EXCHANGE".to_owned(), self.exchange.clone()),
            ("LIAISON_LOG_FORMAT".to_owned(), "json".to_owned()),
            // The load runs share a few tokens among 32 clients, and the services'
            // calls to each other arrive by address through the gateways.
            ("LIAISON_RATE_LIMIT".to_owned(), "0".to_owned()),
        ];
        for service in SERVICES {
            let variable = format!(
                "LIAISON_SERVICE_URL_{}",
                service.to_uppercase().replace('-', "_")
            );
            env.push((variable, self.gateways[service].url()));
        }
        env
    }

    fn spawn(&mut self, service: &'static str, port: u16) {
        let process = Process::spawn(service, &self.environment(port));
        self.instances.push(Instance { process, port });
    }

    async fn wait_all_ready(&mut self) {
        for instance in &mut self.instances {
            let url = instance.url();
            wait_ready(&mut instance.process, &url).await;
        }
    }

    /// Returns the index of the first running instance of `service`.
    fn instance_of(&mut self, service: &str) -> usize {
        self.instances
            .iter_mut()
            .position(|i| i.process.service == service && i.process.is_running())
            .unwrap_or_else(|| panic!("no running instance of {service}"))
    }

    /// Kills an instance with SIGKILL and starts it again at once. With `after_commit`
    /// the kill waits until the consumer's inbox grows, so it falls right after a
    /// commit of the consumer.
    async fn crash_and_restart(&mut self, index: usize, after_commit: bool) {
        let inbox = self.aggregation_database();
        let instance = &mut self.instances[index];
        tokio::task::block_in_place(|| {
            if after_commit {
                wait_for_commit(&inbox);
            }
            instance.process.kill();
        });
        instance.process.restart();
        let url = instance.url();
        wait_ready(&mut instance.process, &url).await;
    }

    fn endpoints(&self) -> HashMap<&'static str, String> {
        self.gateways
            .iter()
            .map(|(service, proxy)| (*service, proxy.url()))
            .collect()
    }

    /// Reads the registry's log from the last position read to its end, and returns
    /// that end.
    async fn log_end(&mut self) -> i64 {
        let url = format!("{}/v1/events/registry", self.gateways["registry"].url());
        loop {
            let page: Value = self
                .client
                .get(&url)
                .query(&[("after", self.cursor.to_string()), ("limit", "1000".into())])
                .bearer_auth(&self.tokens.ministry)
                .send()
                .await
                .expect("the registry answers its event log")
                .error_for_status()
                .expect("the event log is readable")
                .json()
                .await
                .expect("the event log page is JSON");
            let items = page["items"].as_array().cloned().unwrap_or_default();
            if items.is_empty() {
                return self.cursor;
            }
            for item in items {
                let event = &item["event"];
                self.log.push(Logged {
                    seq: item["seq"].as_i64().expect("a position"),
                    id: event["id"].as_str().expect("an event id").to_owned(),
                    event_type: event["type"].as_str().unwrap_or_default().to_owned(),
                    npo_id: event["payload"]["npo_id"].as_str().map(str::to_owned),
                });
            }
            self.cursor = self.log.last().map_or(self.cursor, |e| e.seq);
        }
    }

    /// Waits until the consumer applied every event logged after position `from` up to
    /// `to`, or `DRAIN_TIMEOUT` passed, and counts what it finds.
    async fn settle(&mut self, from: i64, to: i64) -> Counts {
        let bound: HashSet<&str> = aggregation::readmodel::EVENT_TYPES
            .iter()
            .copied()
            .collect();
        let expected: Vec<String> = self
            .log
            .iter()
            .filter(|e| e.seq > from && e.seq <= to && bound.contains(e.event_type.as_str()))
            .map(|e| e.id.clone())
            .collect();
        let started = Instant::now();
        let url = self.aggregation_database();
        loop {
            let inbox = tokio::task::block_in_place(|| read_inbox(&url));
            let missing = expected
                .iter()
                .filter(|id| !inbox.rows.contains_key(*id))
                .count();
            if missing == 0 || started.elapsed() > DRAIN_TIMEOUT {
                let applied_twice = expected
                    .iter()
                    .filter(|id| inbox.twice.contains(*id))
                    .count();
                return Counts {
                    events: expected.len(),
                    delivered_once: expected.len() - missing - applied_twice,
                    lost: missing,
                    applied_twice,
                    duplicates_absorbed: expected
                        .iter()
                        .filter_map(|id| inbox.rows.get(id))
                        .map(|d| i64::from(*d))
                        .sum(),
                    catch_up: started.elapsed(),
                };
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// URL of the aggregation database, reached directly, not through the proxy.
    fn aggregation_database(&self) -> String {
        format!(
            "{}/chaos_{}_aggregation",
            server_root(&postgres_admin_url()),
            self.tag
        )
    }

    /// Runs the writers while `fault` happens, until the scenario wrote enough, then
    /// checks every event it wrote.
    async fn scenario(&mut self, fault: Fault) -> Outcome {
        eprintln!("scenario: {}", fault.describe());
        let from = self.log_end().await;
        let retries_before = self.writer.retries.load(Ordering::SeqCst);
        let workload = Workload::start(self.writer.clone(), WRITERS);
        let mut checks = Vec::new();
        match fault {
            Fault::BrokerRestart => {
                tokio::time::sleep(Duration::from_secs(3)).await;
                tokio::task::block_in_place(|| rabbitmqctl(&["stop_app"]));
                tokio::time::sleep(Duration::from_secs(8)).await;
                tokio::task::block_in_place(|| rabbitmqctl(&["start_app"]));
            }
            Fault::RelayKilled => {
                let absorbed = self.crash_until_redelivered("registry", from, false).await;
                checks.push((
                    "a relay killed after the broker's confirms published again, and the inbox absorbed it"
                        .to_owned(),
                    absorbed,
                ));
            }
            Fault::ConsumerKilled => {
                // Replies of the database are held back, so that a kill right after a
                // commit falls before the consumer learns of it and acknowledges.
                self.postgres.set_delay(Duration::from_millis(25));
                let absorbed = self
                    .crash_until_redelivered("aggregation", from, true)
                    .await;
                self.postgres.set_delay(Duration::ZERO);
                checks.push((
                    "a consumer killed after its commit got the message again, and the inbox absorbed it"
                        .to_owned(),
                    absorbed,
                ));
            }
            Fault::ConnectionsClosed => {
                for _ in 0..2 {
                    tokio::time::sleep(Duration::from_secs(3)).await;
                    let closed = tokio::task::block_in_place(|| close_connections(&self.exchange));
                    checks.push((
                        format!("rabbitmqctl closed connections of the services ({closed})"),
                        closed > 0,
                    ));
                }
            }
            Fault::PoisonMessage => checks.extend(self.poison().await),
            Fault::LongOutage => {
                let index = self.instance_of("aggregation");
                let status = tokio::task::block_in_place(|| {
                    self.instances[index]
                        .process
                        .terminate(Duration::from_secs(30))
                });
                checks.push((
                    format!("the consumer's process exited 0 on SIGTERM under load ({status:?})"),
                    status.is_some_and(|s| s.success()),
                ));
                tokio::time::sleep(Duration::from_secs(20)).await;
                let instance = &mut self.instances[index];
                instance.process.restart();
                let url = instance.url();
                wait_ready(&mut instance.process, &url).await;
            }
            Fault::TwoInstances => {
                let ports = free_ports(SERVICES.len());
                for (service, port) in SERVICES.iter().zip(ports) {
                    self.spawn(service, port);
                    let backend: SocketAddr =
                        format!("127.0.0.1:{port}").parse().expect("an address");
                    self.gateways[service].add_backend(backend);
                }
                self.wait_all_ready().await;
                tokio::time::sleep(Duration::from_secs(5)).await;
                for service in SERVICES {
                    let index = self.instance_of(service);
                    tokio::task::block_in_place(|| self.instances[index].process.kill());
                }
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
        }
        workload.until(&self.writer, MIN_SCENARIO_EVENTS).await;
        let report = workload.stop().await;
        self.accepted.extend(report.accepted);
        let retries = self.writer.retries.load(Ordering::SeqCst) - retries_before;
        if matches!(
            fault,
            Fault::BrokerRestart | Fault::ConnectionsClosed | Fault::PoisonMessage
        ) {
            // Writes need only the database, so trouble at the broker never slows them.
            checks.push((
                format!("every write answered 2xx at the first attempt ({retries} retried)"),
                retries == 0,
            ));
        }
        let to = self.log_end().await;
        let counts = self.settle(from, to).await;
        if fault == Fault::LongOutage {
            checks.push(self.rebuild_equals_incremental().await);
        }
        if fault == Fault::TwoInstances {
            for instance in &mut self.instances {
                if !instance.process.is_running() {
                    instance.process.restart();
                    let url = instance.url();
                    wait_ready(&mut instance.process, &url).await;
                }
            }
        }
        eprintln!("  {}", counts.summary());
        Outcome {
            fault,
            counts,
            requests: report.requests,
            failed_writes: report.failures,
            checks,
        }
    }

    /// Kills the first instance of `service` with SIGKILL and starts it again, until the
    /// consumer's inbox shows a redelivered event of this scenario. Returns whether it
    /// did within `KILLS` kills. Kills fall at moments spread over the stream of writes,
    /// and with `after_commit` every second one waits for a commit of the consumer.
    async fn crash_until_redelivered(
        &mut self,
        service: &str,
        from: i64,
        after_commit: bool,
    ) -> bool {
        const KILLS: u64 = 20;
        for round in 0..KILLS {
            tokio::time::sleep(Duration::from_millis(1_000 + 137 * (round % 5))).await;
            let index = self.instance_of(service);
            self.crash_and_restart(index, after_commit && round % 2 == 1)
                .await;
            tokio::time::sleep(Duration::from_secs(3)).await;
            let to = self.log_end().await;
            let inbox = tokio::task::block_in_place(|| read_inbox(&self.aggregation_database()));
            let redelivered = self
                .log
                .iter()
                .filter(|e| e.seq > from && e.seq <= to)
                .any(|e| inbox.rows.get(&e.id).is_some_and(|d| *d > 0));
            if redelivered {
                eprintln!("  a redelivery was absorbed after {} kill(s)", round + 1);
                return true;
            }
        }
        false
    }

    /// Publishes two messages the consumer cannot apply and checks that they reach the
    /// dead-letter queue, the metric and the log, while the writes flow on.
    async fn poison(&mut self) -> Vec<(String, bool)> {
        let queue = format!(
            "{}.dead-letter",
            service_kit::bus::queue_name(&self.exchange, CONSUMER)
        );
        let before = dead_letter_depth(&queue).await;
        tokio::time::sleep(Duration::from_secs(2)).await;
        let malformed = b"{\"not\": \"an event envelope\"".to_vec();
        let envelope = common_models::event::EventEnvelope::new(
            common_models::event::registry::NPO_REGISTERED,
            1,
            "registry",
            json!({"npo_id": 42}),
        );
        let unusable = serde_json::to_vec(&envelope).expect("an envelope serialises");
        publish_raw(&self.exchange, &[malformed, unusable]).await;

        let deadline = Instant::now() + Duration::from_secs(60);
        let mut depth = before;
        while depth < before + 2 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(500)).await;
            depth = dead_letter_depth(&queue).await;
        }
        let index = self.instance_of("aggregation");
        let metrics = self
            .client
            .get(format!("{}/metrics", self.instances[index].url()))
            .send()
            .await
            .expect("the aggregation service answers /metrics")
            .text()
            .await
            .expect("a metrics body");
        let counted = metrics
            .lines()
            .find(|line| {
                line.starts_with("events_dead_lettered_total")
                    && line.contains(&format!("consumer=\"{CONSUMER}\""))
            })
            .and_then(|line| line.rsplit(' ').next())
            .and_then(|value| value.parse::<f64>().ok())
            .unwrap_or(0.0);
        let logged = self
            .instances
            .iter()
            .filter(|i| i.process.service == "aggregation")
            .map(|i| {
                i.process
                    .log()
                    .errors
                    .iter()
                    .filter(|line| line.contains("message moved to the dead-letter queue"))
                    .count()
            })
            .sum::<usize>();
        vec![
            (
                format!("the dead-letter queue grew by 2 (from {before} to {depth})"),
                depth >= before + 2,
            ),
            (
                format!("events_dead_lettered_total counts them ({counted})"),
                counted >= 2.0,
            ),
            (
                format!("an error line names each dead-lettered message ({logged})"),
                logged >= 2,
            ),
        ]
    }

    /// Compares the read models built event by event with a rebuild from the logs.
    async fn rebuild_equals_incremental(&mut self) -> (String, bool) {
        let aggregation = self.gateways["aggregation"].url();
        let digest: Value = self
            .client
            .get(format!("{aggregation}/v1/read-models/digest"))
            .bearer_auth(&self.tokens.ministry)
            .send()
            .await
            .expect("the digest answers")
            .json()
            .await
            .expect("a digest");
        let rebuilt: Value = self
            .client
            .post(format!("{aggregation}/v1/read-models/rebuild"))
            .bearer_auth(&self.tokens.ministry)
            // A rebuild applies every event of the suite again in one transaction.
            .timeout(Duration::from_secs(900))
            .send()
            .await
            .expect("the rebuild answers")
            .json()
            .await
            .expect("a rebuild report");
        let equal = digest["sha256"] == rebuilt["digest"]["sha256"] && digest["records"].is_u64();
        (
            format!(
                "the read models rebuilt from the event logs equal the incremental ones ({} records, {} and {})",
                digest["records"], digest["sha256"], rebuilt["digest"]["sha256"]
            ),
            equal,
        )
    }

    /// Cuts the database off: a write gets 503 with Retry-After naming
    /// the database, then succeeds once it is back, in the same process.
    async fn database_unreachable(&mut self) {
        eprintln!("degraded: database unreachable");
        let from = self.log_end().await;
        let index = self.instance_of("registry");
        let pid = self.instances[index].process.child.id();
        let url = format!("{}/v1/npos", self.instances[index].url());
        let body = self.writer.npo_body();

        self.postgres.cut();
        let started = Instant::now();
        let response = self
            .client
            .post(&url)
            .bearer_auth(&self.tokens.officer)
            .json(&body)
            .send()
            .await
            .expect("the registry answers while its database is down");
        let refused_in = started.elapsed();
        let status = response.status();
        let retry_after = response.headers().get("retry-after").cloned();
        let problem: Value = response.json().await.unwrap_or(Value::Null);
        let ready = self
            .client
            .get(format!("{}/readyz", self.instances[index].url()))
            .send()
            .await
            .expect("the registry answers /readyz")
            .status();
        self.postgres.restore();
        println!(
            "database unreachable: {status} after {:.1} s, Retry-After {retry_after:?}, dependency {}, /readyz {ready}",
            refused_in.as_secs_f64(),
            problem["dependency"]
        );
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{problem}");
        assert!(retry_after.is_some(), "a 503 carries Retry-After");
        assert_eq!(problem["dependency"], "database", "{problem}");
        assert_eq!(ready, StatusCode::SERVICE_UNAVAILABLE);

        let deadline = Instant::now() + Duration::from_secs(60);
        let recovered = loop {
            let response = self
                .client
                .post(&url)
                .bearer_auth(&self.tokens.officer)
                .json(&body)
                .send()
                .await
                .expect("the registry answers");
            if response.status() != StatusCode::SERVICE_UNAVAILABLE || Instant::now() > deadline {
                break response;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        };
        // 201 and not 409: the write refused during the outage left nothing behind.
        assert_eq!(
            recovered.status(),
            StatusCode::CREATED,
            "the write after the database came back"
        );
        let card: Value = recovered.json().await.expect("a card");
        self.accepted
            .push(card["id"].as_str().expect("an id").to_owned());
        assert_eq!(
            self.instances[index].process.child.id(),
            pid,
            "the registry recovered without a restart"
        );
        println!(
            "database back: the same process wrote again {:.1} s after the outage began",
            started.elapsed().as_secs_f64()
        );
        let to = self.log_end().await;
        let counts = self.settle(from, to).await;
        assert_eq!(counts.lost, 0, "events written after the outage were lost");
    }

    /// Stops the registry: a write of the aggregation service that checks a territory
    /// in it gets 503 naming the registry, and writes nothing.
    async fn peer_down(&mut self) {
        eprintln!("degraded: registry down");
        let index = self.instance_of("registry");
        let status = tokio::task::block_in_place(|| {
            self.instances[index]
                .process
                .terminate(Duration::from_secs(30))
        });
        assert!(
            status.is_some_and(|s| s.success()),
            "the registry did not exit 0 on SIGTERM ({status:?})"
        );
        let aggregation = self.gateways["aggregation"].url();
        let id = format!("chaos-peer-{}", self.tag);
        let response = self
            .client
            .post(format!("{aggregation}/v1/government-bodies"))
            .bearer_auth(&self.tokens.ministry)
            .json(&json!({
                "id": id,
                "name_ru": "Управление по делам молодежи области Ұлытау",
                "name_kk": "Ұлытау облысының жастар істері басқармасы",
                "level": "regional_department",
                "territory": REGION,
                "spheres": ["youth"]
            }))
            .send()
            .await
            .expect("the aggregation service answers");
        let status = response.status();
        let problem: Value = response.json().await.unwrap_or(Value::Null);
        let read = self
            .client
            .get(format!("{aggregation}/v1/government-bodies/{id}"))
            .send()
            .await
            .expect("the aggregation service answers")
            .status();
        let instance = &mut self.instances[index];
        instance.process.restart();
        let url = instance.url();
        wait_ready(&mut instance.process, &url).await;
        println!(
            "registry down: {status}, dependency {}, the body afterwards {read}",
            problem["dependency"]
        );
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{problem}");
        assert_eq!(problem["dependency"], "registry", "{problem}");
        assert_eq!(
            read,
            StatusCode::NOT_FOUND,
            "the refused write left nothing"
        );
    }

    /// SIGTERM reaches the registry while a write is in flight on a slow database: the
    /// write completes, the process exits 0, and the write and its event are kept.
    async fn sigterm_during_request(&mut self) {
        eprintln!("degraded: SIGTERM during a request");
        let from = self.log_end().await;
        let index = self.instance_of("registry");
        let url = format!("{}/v1/npos", self.instances[index].url());
        self.postgres.set_delay(Duration::from_millis(150));
        let request = self
            .client
            .post(url)
            .bearer_auth(&self.tokens.officer)
            .json(&self.writer.npo_body())
            .send();
        let in_flight = tokio::spawn(request);
        tokio::time::sleep(Duration::from_millis(400)).await;
        let started = Instant::now();
        let status = tokio::task::block_in_place(|| {
            self.instances[index]
                .process
                .terminate(Duration::from_secs(60))
        });
        let stopped_in = started.elapsed();
        self.postgres.set_delay(Duration::ZERO);
        let response = in_flight
            .await
            .expect("the request task")
            .expect("the in-flight request is answered");
        let answered = response.status();
        let card: Value = response.json().await.unwrap_or(Value::Null);
        let instance = &mut self.instances[index];
        instance.process.restart();
        let base = instance.url();
        wait_ready(&mut instance.process, &base).await;
        println!(
            "SIGTERM during a request: answered {answered}, exit {status:?} after {:.1} s",
            stopped_in.as_secs_f64()
        );
        assert_eq!(answered, StatusCode::CREATED, "{card}");
        assert!(
            status.is_some_and(|s| s.success()),
            "the registry exited {status:?}"
        );
        let id = card["id"].as_str().expect("an id").to_owned();
        let kept = self
            .client
            .get(format!("{base}/v1/npos/{id}"))
            .bearer_auth(&self.tokens.officer)
            .send()
            .await
            .expect("the registry answers")
            .status();
        assert_eq!(
            kept,
            StatusCode::OK,
            "the write finished at shutdown is kept"
        );
        self.accepted.push(id);
        let to = self.log_end().await;
        let counts = self.settle(from, to).await;
        assert!(counts.events > 0, "the write's event is in the log");
        assert_eq!(
            counts.lost, 0,
            "the event of the write finished at shutdown was lost"
        );
    }

    /// Checks that every NPO whose registration returned 201 has its event in the log.
    async fn check_accepted_were_logged(&mut self) {
        self.log_end().await;
        let registered: HashSet<&str> = self
            .log
            .iter()
            .filter(|e| e.event_type == common_models::event::registry::NPO_REGISTERED)
            .filter_map(|e| e.npo_id.as_deref())
            .collect();
        let missing: Vec<&String> = self
            .accepted
            .iter()
            .filter(|id| !registered.contains(id.as_str()))
            .collect();
        println!(
            "accepted registrations: {}, without their event: {}",
            self.accepted.len(),
            missing.len()
        );
        assert!(missing.is_empty(), "accepted but never logged: {missing:?}");
    }
}

impl Drop for Platform {
    fn drop(&mut self) {
        if std::thread::panicking() {
            for instance in &self.instances {
                eprintln!(
                    "--- last log lines of liaison serve {} on port {} ---\n{}",
                    instance.process.service,
                    instance.port,
                    instance.process.tail()
                );
            }
        }
        let mut processes: Vec<Process> = Vec::new();
        for instance in self.instances.drain(..) {
            processes.push(instance.process);
        }
        support::stop_all(&mut processes);
        delete_broker_objects(
            &self.exchange,
            vec![
                CONSUMER.to_owned(),
                recommendations::handover::CONSUMER.to_owned(),
            ],
        );
        drop_databases(&self.databases);
    }
}

fn create_databases(tag: &str) -> Vec<String> {
    let admin = postgres_admin_url();
    let mut conn = PgConnection::establish(&admin).unwrap_or_else(|e| {
        panic!(
            "PostgreSQL is unreachable at {}: {e}",
            support::redact(&admin)
        )
    });
    SERVICES
        .iter()
        .map(|service| {
            let name = format!("chaos_{tag}_{}", service.replace('-', "_"));
            diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
                .execute(&mut conn)
                .unwrap_or_else(|e| panic!("database {name} cannot be created: {e}"));
            name
        })
        .collect()
}

async fn wait_ready(process: &mut Process, base: &str) {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if let Ok(Some(status)) = process.child.try_wait() {
            panic!(
                "liaison serve {} exited ({status}) before it was ready:\n{}",
                process.service,
                process.tail()
            );
        }
        let ready = client.get(format!("{base}/readyz")).send().await;
        if ready.is_ok_and(|r| r.status() == StatusCode::OK) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "liaison serve {} was not ready at {base} within {} s:\n{}",
            process.service,
            START_TIMEOUT.as_secs(),
            process.tail()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The consumer's inbox: redeliveries absorbed per event id, and the ids recorded
/// more than once.
#[derive(Debug, Default)]
struct Inbox {
    rows: HashMap<String, i32>,
    twice: HashSet<String>,
}

#[derive(QueryableByName)]
struct InboxRow {
    #[diesel(sql_type = Text)]
    event_id: String,
    #[diesel(sql_type = Integer)]
    duplicates: i32,
    #[diesel(sql_type = BigInt)]
    recorded: i64,
}

const INBOX_QUERY: &str = "SELECT event_id, CAST(MAX(duplicates) AS INTEGER) AS duplicates, \
     COUNT(*) AS recorded FROM inbox_events WHERE consumer = 'aggregation.read-models' \
     GROUP BY event_id";

/// Returns once the consumer's inbox has more rows than when it was called, or after
/// 10 s.
fn wait_for_commit(url: &str) {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        rows: i64,
    }
    let mut conn = PgConnection::establish(url).expect("the aggregation database answers");
    let mut count = || -> i64 {
        diesel::sql_query("SELECT COUNT(*) AS rows FROM inbox_events")
            .get_result::<Count>(&mut conn)
            .expect("the inbox is readable")
            .rows
    };
    let first = count();
    let deadline = Instant::now() + Duration::from_secs(10);
    while count() == first && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn read_inbox(url: &str) -> Inbox {
    let mut conn = PgConnection::establish(url).expect("the aggregation database answers");
    let rows: Vec<InboxRow> = diesel::sql_query(INBOX_QUERY)
        .load(&mut conn)
        .expect("the inbox is readable");
    inbox_of(rows)
}

fn inbox_of(rows: Vec<InboxRow>) -> Inbox {
    let mut inbox = Inbox::default();
    for row in rows {
        if row.recorded > 1 {
            inbox.twice.insert(row.event_id.clone());
        }
        inbox.rows.insert(row.event_id, row.duplicates);
    }
    inbox
}

/// Counts the registry events of the embedded default's SQLite files, and those of
/// them the aggregation inbox has not recorded, waiting up to `DRAIN_TIMEOUT`.
fn sqlite_undelivered(data: &Path) -> (usize, usize) {
    #[derive(QueryableByName)]
    struct Produced {
        #[diesel(sql_type = Text)]
        id: String,
        #[diesel(sql_type = Text)]
        event_type: String,
    }
    let open = |name: &str| {
        SqliteConnection::establish(&data.join(format!("{name}.db")).display().to_string())
            .expect("the SQLite file opens")
    };
    let bound: HashSet<&str> = aggregation::readmodel::EVENT_TYPES
        .iter()
        .copied()
        .collect();
    let produced: Vec<Produced> = diesel::sql_query("SELECT id, event_type FROM outbox_events")
        .load(&mut open("registry"))
        .expect("the registry outbox is readable");
    let expected: Vec<String> = produced
        .into_iter()
        .filter(|e| bound.contains(e.event_type.as_str()))
        .map(|e| e.id)
        .collect();
    let started = Instant::now();
    loop {
        let rows: Vec<InboxRow> = diesel::sql_query(INBOX_QUERY)
            .load(&mut open("aggregation"))
            .expect("the aggregation inbox is readable");
        let inbox = inbox_of(rows);
        let missing = expected
            .iter()
            .filter(|id| !inbox.rows.contains_key(*id))
            .count();
        if missing == 0 || started.elapsed() > DRAIN_TIMEOUT {
            return (expected.len(), missing);
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// Closes every broker connection whose client-given name carries `exchange`, and
/// returns how many it closed.
fn close_connections(exchange: &str) -> usize {
    // One line per connection: the process id, a tab, the client properties.
    let listing = rabbitmqctl(&["list_connections", "pid", "client_properties", "--silent"]);
    let mut closed = 0;
    for line in listing.lines().filter(|line| line.contains(exchange)) {
        if let Some((pid, _)) = line.split_once('\t') {
            rabbitmqctl(&["close_connection", pid, "closed by the fault suite"]);
            closed += 1;
        }
    }
    closed
}

async fn broker_channel() -> (lapin::Connection, lapin::Channel) {
    let connection =
        lapin::Connection::connect(&amqp_url(), lapin::ConnectionProperties::default())
            .await
            .expect("RabbitMQ accepts a connection");
    let channel = connection.create_channel().await.expect("a channel");
    (connection, channel)
}

/// Returns the number of messages in a queue, which must exist.
async fn dead_letter_depth(queue: &str) -> u32 {
    let (connection, channel) = broker_channel().await;
    let declared = channel
        .queue_declare(
            queue.into(),
            lapin::options::QueueDeclareOptions {
                passive: true,
                ..Default::default()
            },
            lapin::types::FieldTable::default(),
        )
        .await
        .unwrap_or_else(|e| panic!("queue {queue} is not declared: {e}"));
    drop(connection.close(200, "counted".into()).await);
    declared.message_count()
}

/// Publishes `bodies` to the exchange as registry registrations, with confirms.
async fn publish_raw(exchange: &str, bodies: &[Vec<u8>]) {
    let (connection, channel) = broker_channel().await;
    channel
        .confirm_select(Default::default())
        .await
        .expect("confirms");
    for body in bodies {
        channel
            .basic_publish(
                exchange.into(),
                common_models::event::registry::NPO_REGISTERED.into(),
                Default::default(),
                body,
                lapin::BasicProperties::default().with_delivery_mode(2),
            )
            .await
            .expect("the broker takes the message")
            .await
            .expect("the broker confirms the message");
    }
    drop(connection.close(200, "published".into()).await);
}

/// What every writer shares: where to write, as whom, and the next BIN.
#[derive(Debug)]
struct WriterSetup {
    client: reqwest::Client,
    registry: String,
    tokens: Tokens,
    tag: String,
    nanos: u128,
    serial: AtomicU64,
    /// Attempts sent again after a connection failure or a 502, 503 or 504.
    retries: AtomicU64,
}

impl WriterSetup {
    fn next(&self) -> u64 {
        self.serial.fetch_add(1, Ordering::SeqCst)
    }

    /// Returns a valid BIN that no other serial of this run gets: the registration
    /// month and number come from the serial, the year from the run, and a year
    /// further on when that year leaves no valid check digit.
    fn bin(&self, serial: u64) -> String {
        let month = serial / 100_000 % 12 + 1;
        let number = serial % 100_000;
        let first_year = (self.nanos / 1_000_000) as u64 % 100;
        for shift in [0, 50, 25, 75, 12, 62, 37, 87] {
            let year = (first_year + shift) % 100;
            let prefix = format!("{year:02}{month:02}40{number:05}");
            let digits: Vec<u8> = prefix.bytes().map(|b| b - b'0').collect();
            let first11: [u8; 11] = digits.try_into().expect("11 digits");
            if let Some(check) = common_models::bin::check_digit(&first11) {
                return format!("{prefix}{check}");
            }
        }
        panic!("no valid BIN for serial {serial}")
    }

    fn npo_body(&self) -> Value {
        let serial = self.next();
        json!({
            "bin": self.bin(serial),
            "name_ru": format!("Общественное объединение «Жастар» {} {serial}", self.tag),
            "legal_form": "public_association",
            "territories": [VILLAGE],
            "spheres": ["youth"],
            "source": "npo_representatives"
        })
    }

    fn import_body(&self, rows: usize) -> String {
        let mut csv = String::from("bin,name_ru,legal_form,kato,registered_on\n");
        for _ in 0..rows {
            let serial = self.next();
            csv.push_str(&format!(
                "{},Фонд «Білім» {} {serial},public_foundation,{VILLAGE},2020-05-04\n",
                self.bin(serial),
                self.tag
            ));
        }
        csv
    }
}

/// Sends a request built by `build` until it gets an answer other than a connection
/// failure or a 502, 503 or 504, or `RETRY_WINDOW` passed. Returns the answer and
/// whether an earlier attempt may have reached the server.
async fn send_retrying(
    retries: &AtomicU64,
    build: impl Fn() -> RequestBuilder,
) -> Result<(StatusCode, Option<String>, Value, bool), String> {
    let started = Instant::now();
    let mut retried = false;
    loop {
        let outcome = build().send().await;
        match outcome {
            Ok(response)
                if !matches!(
                    response.status(),
                    StatusCode::BAD_GATEWAY
                        | StatusCode::SERVICE_UNAVAILABLE
                        | StatusCode::GATEWAY_TIMEOUT
                ) =>
            {
                let status = response.status();
                let etag = response
                    .headers()
                    .get("etag")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                let body = response.json().await.unwrap_or(Value::Null);
                return Ok((status, etag, body, retried));
            }
            Ok(response) => {
                if started.elapsed() > RETRY_WINDOW {
                    return Err(format!(
                        "still {} after {} s",
                        response.status(),
                        RETRY_WINDOW.as_secs()
                    ));
                }
                eprintln!("  a write is retried: {}", response.status());
            }
            Err(error) => {
                if started.elapsed() > RETRY_WINDOW {
                    return Err(format!(
                        "no answer within {} s: {error}",
                        RETRY_WINDOW.as_secs()
                    ));
                }
                eprintln!("  a write is retried: {error}");
            }
        }
        retried = true;
        retries.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// What the writers of one scenario did.
#[derive(Debug, Default)]
struct WriterReport {
    requests: usize,
    accepted: Vec<String>,
    failures: Vec<String>,
}

/// Writers registering, changing and importing NPOs until stopped.
struct Workload {
    stop: Arc<AtomicBool>,
    tasks: Vec<tokio::task::JoinHandle<WriterReport>>,
    first_serial: u64,
}

impl Workload {
    fn start(setup: Arc<WriterSetup>, writers: usize) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let first_serial = setup.serial.load(Ordering::SeqCst);
        let tasks = (0..writers)
            .map(|index| tokio::spawn(write(setup.clone(), stop.clone(), index as u64)))
            .collect();
        Self {
            stop,
            tasks,
            first_serial,
        }
    }

    /// Waits until the writers registered at least `events` NPOs since they started,
    /// each one event, or three minutes passed.
    async fn until(&self, setup: &WriterSetup, events: usize) {
        let deadline = Instant::now() + Duration::from_secs(180);
        while setup.serial.load(Ordering::SeqCst) < self.first_serial + events as u64
            && Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    async fn stop(self) -> WriterReport {
        self.stop.store(true, Ordering::SeqCst);
        let mut total = WriterReport::default();
        for task in self.tasks {
            let report = task.await.expect("a writer task");
            total.requests += report.requests;
            total.accepted.extend(report.accepted);
            total.failures.extend(report.failures);
        }
        total
    }
}

/// Runs one writer: 15 % imports, 25 % changes of an NPO it registered, the rest single
/// registrations, each retried with the same Idempotency-Key through failures.
async fn write(setup: Arc<WriterSetup>, stop: Arc<AtomicBool>, index: u64) -> WriterReport {
    let mut report = WriterReport::default();
    let mut mine: Vec<(String, String)> = Vec::new();
    let mut state = index.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let client = &setup.client;
    let registry = &setup.registry;
    let mut pace = tokio::time::interval(WRITE_INTERVAL);
    pace.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while !stop.load(Ordering::SeqCst) {
        pace.tick().await;
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let roll = state % 100;
        report.requests += 1;
        if roll < 15 {
            let csv = setup.import_body(IMPORT_ROWS);
            let url = format!("{registry}/v1/npo-imports");
            let outcome = send_retrying(&setup.retries, || {
                client
                    .post(&url)
                    .bearer_auth(&setup.tokens.integrator)
                    .header("Content-Type", "text/csv")
                    .body(csv.clone())
            })
            .await;
            match outcome {
                Ok((StatusCode::OK, ..)) => {}
                Ok((status, _, body, _)) => {
                    report.failures.push(format!("import: {status} {body}"))
                }
                Err(reason) => report.failures.push(format!("import: {reason}")),
            }
        } else if roll < 40 && !mine.is_empty() {
            let pick = (state / 100) as usize % mine.len();
            let (id, etag) = mine[pick].clone();
            let url = format!("{registry}/v1/npos/{id}");
            let change = json!({"name_ru": format!("ОО «Жастар әлемі» {} {}", setup.tag, state % 10_000), "source": "media"});
            let outcome = send_retrying(&setup.retries, || {
                client
                    .patch(&url)
                    .bearer_auth(&setup.tokens.officer)
                    .header("If-Match", &etag)
                    .json(&change)
            })
            .await;
            match outcome {
                Ok((StatusCode::OK, Some(new_etag), ..)) => mine[pick].1 = new_etag,
                // Only this writer changes this NPO, so a precondition failure after a
                // retry means the first attempt was applied.
                Ok((StatusCode::PRECONDITION_FAILED, _, _, true)) => {
                    let read = send_retrying(&setup.retries, || {
                        client.get(&url).bearer_auth(&setup.tokens.officer)
                    })
                    .await;
                    match read {
                        Ok((StatusCode::OK, Some(new_etag), ..)) => mine[pick].1 = new_etag,
                        other => report
                            .failures
                            .push(format!("read after change: {other:?}")),
                    }
                }
                Ok((status, _, body, _)) => {
                    report.failures.push(format!("change: {status} {body}"))
                }
                Err(reason) => report.failures.push(format!("change: {reason}")),
            }
        } else {
            let body = setup.npo_body();
            let key = format!("chaos-{}", body["bin"].as_str().unwrap_or_default());
            let url = format!("{registry}/v1/npos");
            let outcome = send_retrying(&setup.retries, || {
                client
                    .post(&url)
                    .bearer_auth(&setup.tokens.officer)
                    .header("Idempotency-Key", &key)
                    .json(&body)
            })
            .await;
            match outcome {
                Ok((StatusCode::CREATED, Some(etag), card, _)) => {
                    let id = card["id"].as_str().unwrap_or_default().to_owned();
                    report.accepted.push(id.clone());
                    mine.push((id, etag));
                }
                Ok((status, _, body, _)) => report
                    .failures
                    .push(format!("registration: {status} {body}")),
                Err(reason) => report.failures.push(format!("registration: {reason}")),
            }
        }
    }
    report
}

/// Latencies and failures per route of a load run.
#[derive(Debug, Default)]
struct LoadReport {
    duration: Duration,
    routes: BTreeMap<&'static str, Vec<Duration>>,
    errors: Vec<String>,
    error_count: usize,
    /// Position of the registry's log when the run began, for the event check.
    first_seq: Option<i64>,
}

impl LoadReport {
    fn print(&self, mode: &str) {
        println!(
            "\nload run, {mode}: {LOAD_CLIENTS} clients for {} s",
            self.duration.as_secs()
        );
        println!(
            "{:<44} {:>8} {:>8} {:>9} {:>9} {:>9}",
            "route", "requests", "per s", "p50 ms", "p95 ms", "p99 ms"
        );
        let mut total = 0;
        for (route, samples) in &self.routes {
            let mut sorted = samples.clone();
            sorted.sort();
            total += sorted.len();
            let at = |q: f64| {
                sorted
                    .get(((sorted.len() as f64 * q).ceil() as usize).saturating_sub(1))
                    .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
            };
            println!(
                "{route:<44} {:>8} {:>8.1} {:>9.1} {:>9.1} {:>9.1}",
                sorted.len(),
                sorted.len() as f64 / self.duration.as_secs_f64(),
                at(0.50),
                at(0.95),
                at(0.99)
            );
        }
        println!(
            "total {total} requests, {:.1} per s, {} errors",
            total as f64 / self.duration.as_secs_f64(),
            self.error_count
        );
    }

    fn assert_clean(&self) {
        assert_eq!(self.error_count, 0, "load run errors: {:?}", self.errors);
    }
}

/// Runs `LOAD_CLIENTS` clients for `duration`, each choosing reads and writes across
/// the services at random.
async fn run_load(
    endpoints: &HashMap<&'static str, String>,
    tokens: &Tokens,
    duration: Duration,
) -> LoadReport {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .pool_idle_timeout(Duration::from_secs(2))
        .pool_max_idle_per_host(LOAD_CLIENTS)
        .build()
        .expect("an HTTP client");
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_nanos();
    let setup = Arc::new(WriterSetup {
        client: client.clone(),
        registry: endpoints["registry"].clone(),
        tokens: tokens.clone(),
        tag: format!("load{:x}", nanos & 0xff_ffff),
        nanos: nanos.wrapping_add(0x5eed),
        serial: AtomicU64::new(0),
        retries: AtomicU64::new(0),
    });
    let first_seq = log_position(&client, &endpoints["registry"], &tokens.ministry).await;
    let known: Arc<Mutex<Vec<String>>> = Arc::new(Mutex::new(Vec::new()));
    // A few NPOs to read from the first request on.
    for _ in 0..8 {
        let id = register(&setup)
            .await
            .expect("the registry registers an NPO");
        known.lock().expect("the id list").push(id);
    }
    let deadline = Instant::now() + duration;
    let mut tasks = Vec::new();
    for index in 0..LOAD_CLIENTS {
        let setup = setup.clone();
        let known = known.clone();
        let endpoints = endpoints.clone();
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            let mut routes: BTreeMap<&'static str, Vec<Duration>> = BTreeMap::new();
            let mut errors = Vec::new();
            let mut state = (index as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            while Instant::now() < deadline {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let roll = state % 100;
                let started = Instant::now();
                let (route, outcome) = if roll < 20 {
                    let outcome = register(&setup).await.map(|id| {
                        known.lock().expect("the id list").push(id);
                    });
                    ("POST /v1/npos", outcome)
                } else {
                    let id = {
                        let known = known.lock().expect("the id list");
                        known[(state / 100) as usize % known.len()].clone()
                    };
                    let (route, service, path, token) = match roll {
                        20..=49 => (
                            "GET /v1/npos/{id}",
                            "registry",
                            format!("/v1/npos/{id}"),
                            None,
                        ),
                        50..=64 => (
                            "GET /v1/npos?q=",
                            "registry",
                            "/v1/npos?q=%D0%96%D0%B0%D1%81%D1%82%D0%B0%D1%80&limit=20".to_owned(),
                            None,
                        ),
                        65..=72 => (
                            "GET /v1/territories/{code}/children",
                            "registry",
                            format!("/v1/territories/{REGION}/children"),
                            None,
                        ),
                        73..=84 => (
                            "GET /v1/government-bodies",
                            "aggregation",
                            "/v1/government-bodies".to_owned(),
                            None,
                        ),
                        85..=86 => (
                            "GET /v1/analytics/npos",
                            "aggregation",
                            "/v1/analytics/npos".to_owned(),
                            Some(&setup.tokens.ministry),
                        ),
                        87..=91 => (
                            "GET /v1/needs-assessments",
                            "needs",
                            "/v1/needs-assessments".to_owned(),
                            Some(&setup.tokens.officer),
                        ),
                        92..=95 => (
                            "GET /v1/joint-actions",
                            "joint-actions",
                            "/v1/joint-actions".to_owned(),
                            Some(&setup.tokens.officer),
                        ),
                        _ => (
                            "GET /v1/recommendations",
                            "recommendations",
                            "/v1/recommendations".to_owned(),
                            Some(&setup.tokens.officer),
                        ),
                    };
                    let mut request = client.get(format!("{}{path}", endpoints[service]));
                    if let Some(token) = token {
                        request = request.bearer_auth(token);
                    }
                    let outcome = match request.send().await {
                        Ok(response) if response.status().is_success() => {
                            drop(response.bytes().await);
                            Ok(())
                        }
                        Ok(response) => Err(format!("{route}: {}", response.status())),
                        Err(error) => Err(format!("{route}: {error}")),
                    };
                    (route, outcome)
                };
                match outcome {
                    Ok(()) => routes.entry(route).or_default().push(started.elapsed()),
                    Err(error) => errors.push(error),
                }
            }
            (routes, errors)
        }));
    }
    let mut report = LoadReport {
        duration,
        first_seq,
        ..LoadReport::default()
    };
    for task in tasks {
        let (routes, errors) = task.await.expect("a load client");
        for (route, samples) in routes {
            report.routes.entry(route).or_default().extend(samples);
        }
        report.error_count += errors.len();
        report.errors.extend(errors.into_iter().take(5));
    }
    report
}

/// Registers one NPO in one attempt; a load run counts any failure.
async fn register(setup: &WriterSetup) -> Result<String, String> {
    let response = setup
        .client
        .post(format!("{}/v1/npos", setup.registry))
        .bearer_auth(&setup.tokens.officer)
        .json(&setup.npo_body())
        .send()
        .await
        .map_err(|e| format!("POST /v1/npos: {e}"))?;
    if response.status() != StatusCode::CREATED {
        return Err(format!("POST /v1/npos: {}", response.status()));
    }
    let card: Value = response.json().await.map_err(|e| e.to_string())?;
    Ok(card["id"].as_str().unwrap_or_default().to_owned())
}

/// Returns the last position of the registry's log, or `None` when the caller may not
/// read it.
async fn log_position(client: &reqwest::Client, registry: &str, ministry: &str) -> Option<i64> {
    let mut after = 0_i64;
    loop {
        let page: Value = client
            .get(format!("{registry}/v1/events/registry"))
            .query(&[("after", after.to_string()), ("limit", "1000".into())])
            .bearer_auth(ministry)
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        let next = page["next_after"].as_i64()?;
        if next == after {
            return Some(after);
        }
        after = next;
    }
}
