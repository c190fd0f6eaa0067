//! The distributed platform: each service as its own `liaison serve <service>`
//! process, each with its own PostgreSQL database, all on one RabbitMQ exchange, the
//! way a deployment runs them.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use diesel::{Connection, PgConnection, RunQueryDsl};

use crate::server::{self, Server, ServerConfig};

/// The services in start order.
pub const SERVICES: [&str; 5] = [
    "registry",
    "needs",
    "joint-actions",
    "recommendations",
    "aggregation",
];

/// Consumers that declare queues on the run's exchange.
const CONSUMERS: [&str; 2] = [
    aggregation::readmodel::CONSUMER,
    recommendations::handover::CONSUMER,
];

/// How long a service may take to report ready.
const READY_TIMEOUT: Duration = Duration::from_secs(120);

/// Development tokens of the callers the scenarios act as.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub ministry: String,
    pub integrator: String,
    /// The officer of [`BODY`].
    pub officer: String,
}

/// The government body whose officer writes in the scenarios.
pub const BODY: &str = "bench-youth-ulytau";

/// The region of [`BODY`]: Ulytau.
pub const REGION: &str = "620000000";

/// A village of Ulytau region, where the scenarios' NPOs work.
pub const VILLAGE: &str = "623830100";

/// Five service processes on PostgreSQL and RabbitMQ.
#[derive(Debug)]
pub struct Topology {
    pub tag: String,
    pub exchange: String,
    pub tokens: Tokens,
    /// Base URL of each service.
    pub urls: BTreeMap<&'static str, String>,
    processes: Vec<(&'static str, Server)>,
    config: ServerConfig,
    databases: Vec<String>,
    postgres_url: String,
    amqp_url: String,
    /// Holds the development key and the logs; deleted with the topology.
    _data: tempfile::TempDir,
}

impl Topology {
    /// Creates a database per service, starts every service and waits until each
    /// returns 200 from `/readyz`.
    pub async fn start(liaison: &Path, postgres_url: &str, amqp_url: &str) -> anyhow::Result<Self> {
        let tag = format!("{:08x}", std::process::id() ^ nanos_now());
        let data = tempfile::tempdir()?;
        let postgres_url = postgres_url.trim_end_matches('/').to_owned();
        let databases: Vec<String> = SERVICES
            .iter()
            .map(|service| format!("bench_platform_{}", service.replace('-', "_")))
            .collect();
        recreate_databases(&postgres_url, &databases)?;
        let exchange = format!("bench.platform.{tag}");
        let launched = Self::launch(
            liaison,
            tag,
            exchange.clone(),
            data,
            databases.clone(),
            postgres_url.clone(),
            amqp_url,
        )
        .await;
        if launched.is_err()
            && let Err(error) =
                remove_leftovers(&postgres_url, &databases, amqp_url, &exchange).await
        {
            eprintln!("warning: the failed start left things behind: {error:#}");
        }
        launched
    }

    async fn launch(
        liaison: &Path,
        tag: String,
        exchange: String,
        data: tempfile::TempDir,
        databases: Vec<String>,
        postgres_url: String,
        amqp_url: &str,
    ) -> anyhow::Result<Self> {
        let ports: Vec<u16> = SERVICES
            .iter()
            .map(|_| server::free_port())
            .collect::<anyhow::Result<_>>()?;
        let urls: BTreeMap<&'static str, String> = SERVICES
            .iter()
            .zip(&ports)
            .map(|(service, port)| (*service, format!("http://127.0.0.1:{port}")))
            .collect();
        let mut env = vec![
            ("LIAISON_EXCHANGE".to_owned(), exchange.clone()),
            // Only 127.0.0.1 reaches the processes, and the scenarios mint their
            // tokens from the development key in the data folder.
            ("LIAISON_DEVELOPMENT_TOKENS".to_owned(), "true".to_owned()),
        ];
        for (service, url) in &urls {
            let name = format!(
                "LIAISON_SERVICE_URL_{}",
                service.to_uppercase().replace('-', "_")
            );
            env.push((name, url.clone()));
        }
        let config = ServerConfig {
            binary: liaison.to_owned(),
            data_dir: data.path().to_owned(),
            database_url: format!("{postgres_url}/bench_platform_{{service}}"),
            broker_url: amqp_url.to_owned(),
            env,
        };
        let tokens = Tokens {
            ministry: config.token(&["--role", "ministry", "--subject", "bench-analyst"])?,
            integrator: config.token(&["--role", "integrator", "--subject", "bench-loader"])?,
            officer: config.token(&[
                "--role",
                "officer",
                "--body",
                BODY,
                "--subject",
                "bench-officer",
            ])?,
        };

        let mut topology = Self {
            tag,
            exchange,
            tokens,
            urls,
            processes: Vec::new(),
            config: config.clone(),
            databases,
            postgres_url,
            amqp_url: amqp_url.to_owned(),
            _data: data,
        };
        for (service, port) in SERVICES.iter().zip(ports) {
            let server = config.spawn_on(&[service], &format!("{service}.log"), port)?;
            topology.processes.push((service, server));
        }
        let client = reqwest::Client::new();
        for (service, server) in &topology.processes {
            wait_ready(&client, service, server).await?;
        }
        Ok(topology)
    }

    /// Mints a development token that every service of the topology accepts.
    pub fn token(&self, args: &[&str]) -> anyhow::Result<String> {
        self.config.token(args)
    }

    /// Returns the URL of `path` on `service`.
    pub fn url(&self, service: &str, path: &str) -> String {
        format!("{}{path}", self.urls[service])
    }

    /// Returns the process of each service.
    pub fn processes(&self) -> impl Iterator<Item = (&'static str, &Server)> {
        self.processes
            .iter()
            .map(|(service, server)| (*service, server))
    }

    /// Opens a connection to `service`'s database.
    pub fn connect(&self, service: &str) -> anyhow::Result<PgConnection> {
        let url = format!(
            "{}/bench_platform_{}",
            self.postgres_url,
            service.replace('-', "_")
        );
        PgConnection::establish(&url)
            .with_context(|| format!("cannot connect to the database of {service}"))
    }

    /// Stops every process with SIGTERM, then drops the databases and deletes the
    /// run's queues and exchanges.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        let mut first_error = None;
        for (service, server) in self.processes.drain(..).rev() {
            if let Err(error) = server.stop() {
                first_error.get_or_insert(error.context(format!("{service} did not stop")));
            }
        }
        let removed = remove_leftovers(
            &self.postgres_url,
            &self.databases,
            &self.amqp_url,
            &self.exchange,
        )
        .await;
        match (first_error, removed) {
            (Some(error), _) | (None, Err(error)) => Err(error),
            (None, Ok(())) => Ok(()),
        }
    }
}

/// Drops the run's databases and deletes its queues and exchanges, trying every step
/// and returning the first failure.
async fn remove_leftovers(
    postgres_url: &str,
    databases: &[String],
    amqp_url: &str,
    exchange: &str,
) -> anyhow::Result<()> {
    let mut failures: Vec<anyhow::Error> = Vec::new();
    if let Err(error) = drop_databases(postgres_url, databases) {
        failures.push(error);
    }
    match lapin::Connection::connect(amqp_url, lapin::ConnectionProperties::default()).await {
        Ok(connection) => {
            match connection.create_channel().await {
                Ok(channel) => {
                    let mut queues = Vec::new();
                    for consumer in CONSUMERS {
                        let queue = service_kit::bus::queue_name(exchange, consumer);
                        queues.push(format!("{queue}.dead-letter"));
                        queues.push(queue);
                    }
                    for name in &queues {
                        if let Err(error) = channel
                            .queue_delete(name.as_str().into(), Default::default())
                            .await
                        {
                            failures.push(anyhow::anyhow!("queue {name} was not deleted: {error}"));
                        }
                    }
                    for name in [exchange.to_owned(), format!("{exchange}.dead-letter")] {
                        if let Err(error) = channel
                            .exchange_delete(name.as_str().into(), Default::default())
                            .await
                        {
                            failures
                                .push(anyhow::anyhow!("exchange {name} was not deleted: {error}"));
                        }
                    }
                }
                Err(error) => failures.push(error.into()),
            }
            drop(connection.close(200, "benchmark finished".into()).await);
        }
        Err(error) => failures.push(
            anyhow::Error::new(error)
                .context("cannot connect to RabbitMQ to delete the run's queues"),
        ),
    }
    match failures.into_iter().next() {
        Some(error) => Err(error),
        None => Ok(()),
    }
}

/// Nanoseconds of the wall clock, for run tags.
pub fn nanos_now() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos())
}

/// Waits until `server` returns 200 from `/readyz`.
pub async fn wait_ready(
    client: &reqwest::Client,
    service: &str,
    server: &Server,
) -> anyhow::Result<()> {
    let started = Instant::now();
    loop {
        let ready = client.get(server.url("/readyz")).send().await;
        if ready.is_ok_and(|response| response.status() == reqwest::StatusCode::OK) {
            return Ok(());
        }
        if started.elapsed() > READY_TIMEOUT {
            bail!(
                "{service} was not ready within {} s; the end of its log:\n{}",
                READY_TIMEOUT.as_secs(),
                server::tail(&server.log)
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn recreate_databases(postgres_url: &str, names: &[String]) -> anyhow::Result<()> {
    let mut conn = admin(postgres_url)?;
    for name in names {
        diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .execute(&mut conn)
            .with_context(|| format!("cannot drop the database {name}"))?;
        diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
            .execute(&mut conn)
            .with_context(|| format!("cannot create the database {name}"))?;
    }
    Ok(())
}

fn drop_databases(postgres_url: &str, names: &[String]) -> anyhow::Result<()> {
    let mut conn = admin(postgres_url)?;
    let mut first_error = None;
    for name in names {
        let dropped = diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .execute(&mut conn)
            .with_context(|| format!("cannot drop the database {name}"));
        if let Err(error) = dropped {
            first_error.get_or_insert(error);
        }
    }
    first_error.map_or(Ok(()), Err)
}

fn admin(postgres_url: &str) -> anyhow::Result<PgConnection> {
    let url = format!("{postgres_url}/postgres");
    PgConnection::establish(&url)
        .with_context(|| format!("PostgreSQL is unreachable at {postgres_url}/postgres"))
}
