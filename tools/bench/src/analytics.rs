//! The analytics scenario. It seeds the aggregation read models with 100,000 NPOs,
//! 20,000 published priorities and the joint actions, recommendations and compliance
//! inputs of a few dozen bodies. Then it runs the release `liaison serve all` on
//! PostgreSQL and measures each endpoint of the national dashboard under a mix of
//! filters.
//!
//! Each endpoint is compared with a baseline measured in the same run. The baseline
//! calls the aggregation store functions that read the endpoint's records from the
//! database for one request (`npo_facts`, `records_in`, `compliance_inputs`,
//! `annual_reports_due`) through diesel, from as many threads as there are HTTP
//! clients. That is the floor of any endpoint that reads its records per request.

pub mod mix;
pub mod seed;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aggregation::domain::compliance::ComplianceSettings;
use aggregation::readmodel::{GONE, Kind};
use aggregation::store::analytics as store;
use anyhow::{Context, bail};
use chrono::NaiveDate;
use clap::Args;
use common_models::event::EventEnvelope;
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use service_kit::{AnyConnection, Database, StoreError};

use crate::generate::{self, Classifier, Rng};
use crate::load::{self, LoadPlan, LoadResult};
use crate::postgres::Postgres;
use crate::report::{Row, Verdict};
use crate::server::{Server, ServerConfig};
pub use mix::{Endpoint, Query, query_mix};
use seed::{Body, Volume};

/// Maximum 95th percentile latency of a dashboard query, in milliseconds.
const MAX_P95_MS: f64 = 50.0;

/// Services that `liaison serve all` runs, each with its own database.
const SERVICES: &[&str] = &[
    "registry",
    "needs",
    "joint-actions",
    "recommendations",
    "aggregation",
];

/// Events applied to the read models per transaction while seeding.
const SEED_BATCH: usize = 1_000;

/// Requests each client may pick from, per endpoint.
const QUERIES_PER_ENDPOINT: usize = 240;

/// Options of the analytics scenario.
#[derive(Debug, Clone, Args)]
#[group(id = "analytics-options")]
pub struct Options {
    /// NPOs in the read models.
    #[arg(
        id = "analytics_npos",
        long = "analytics-npos",
        default_value_t = 100_000
    )]
    pub npos: usize,
    /// Published priorities in the read models, eight per assessment.
    #[arg(
        id = "analytics_priorities",
        long = "analytics-priorities",
        default_value_t = 20_000
    )]
    pub priorities: usize,
    /// Joint actions, about 60% of them with a monitoring plan.
    #[arg(
        id = "analytics_actions",
        long = "analytics-actions",
        default_value_t = 5_000
    )]
    pub actions: usize,
    /// Recommendations, at every stage.
    #[arg(
        id = "analytics_recommendations",
        long = "analytics-recommendations",
        default_value_t = 10_000
    )]
    pub recommendations: usize,
    /// Reception requests, for the compliance rules.
    #[arg(
        id = "analytics_receptions",
        long = "analytics-receptions",
        default_value_t = 2_000
    )]
    pub receptions: usize,
    /// Information requests between officers, for the compliance rules.
    #[arg(
        id = "analytics_officer_requests",
        long = "analytics-officer-requests",
        default_value_t = 1_000
    )]
    pub officer_requests: usize,
    /// Seed of the data and request generators; the same seed gives the same data.
    #[arg(
        id = "analytics_seed",
        long = "analytics-seed",
        default_value_t = 20_251_212
    )]
    pub seed: u64,
    /// Concurrent clients of each endpoint, for HTTP and for the baseline.
    #[arg(
        id = "analytics_clients",
        long = "analytics-clients",
        default_value_t = 4
    )]
    pub clients: usize,
    /// Unmeasured warm-up before each measurement, in seconds.
    #[arg(
        id = "analytics_warmup",
        long = "analytics-warmup",
        default_value_t = 2
    )]
    pub warmup: u64,
    /// Measured duration per endpoint and per baseline, in seconds.
    #[arg(id = "analytics_secs", long = "analytics-secs", default_value_t = 10)]
    pub duration: u64,
    /// Endpoints to measure, in order.
    #[arg(
        id = "analytics_endpoints",
        long = "analytics-endpoints",
        value_enum,
        value_delimiter = ',',
        default_value = "npos,priorities,joint-actions,recommendations,annual-reports,compliance"
    )]
    pub endpoints: Vec<Endpoint>,
    /// Prefix of the databases, one per service, that every run drops and creates.
    #[arg(
        id = "analytics_database_prefix",
        long = "analytics-database-prefix",
        default_value = "bench_analytics"
    )]
    pub database_prefix: String,
    /// Keep the databases after the run, for EXPLAIN ANALYZE on the seeded data.
    #[arg(id = "analytics_keep_databases", long = "analytics-keep-databases")]
    pub keep_databases: bool,
}

impl Options {
    fn plan(&self, seed: u64) -> LoadPlan {
        LoadPlan {
            clients: self.clients,
            warmup: Duration::from_secs(self.warmup),
            duration: Duration::from_secs(self.duration),
            seed,
        }
    }

    fn volume(&self) -> Volume {
        Volume {
            npos: self.npos,
            priorities: self.priorities,
            actions: self.actions,
            recommendations: self.recommendations,
            receptions: self.receptions,
            officer_requests: self.officer_requests,
        }
    }

    fn database(&self, server_url: &str, service: &str) -> Postgres {
        Postgres {
            server_url: server_url.to_owned(),
            database: format!("{}_{}", self.database_prefix, service.replace('-', "_")),
        }
    }
}

/// Latency percentiles and throughput of one load run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub per_second: f64,
}

impl Summary {
    pub fn of(load: &LoadResult) -> Self {
        Self {
            p50_ms: load.percentile_ms(0.5),
            p95_ms: load.percentile_ms(0.95),
            p99_ms: load.percentile_ms(0.99),
            per_second: load.throughput(),
        }
    }
}

/// Builds the result row of `endpoint`: its p95 against the target, and its p95 as a
/// multiple of the baseline's.
pub fn endpoint_row(endpoint: Endpoint, clients: usize, http: Summary, baseline: Summary) -> Row {
    Row {
        scenario: format!("GET {}, {clients} clients, mixed filters", endpoint.path()),
        database: "PostgreSQL",
        figure: format!(
            "p50 {:.1} / p95 {:.1} / p99 {:.1} ms, {:.0} req/s",
            http.p50_ms, http.p95_ms, http.p99_ms, http.per_second
        ),
        target: format!("p95 ≤ {MAX_P95_MS:.0} ms"),
        baseline: format!(
            "per-request store reads through diesel, {clients} threads: p95 {:.1} ms, {:.0} q/s",
            baseline.p95_ms, baseline.per_second
        ),
        ratio: format!("{:.1}× baseline p95", http.p95_ms / baseline.p95_ms),
        verdict: Verdict::from_check(http.p95_ms <= MAX_P95_MS),
    }
}

/// Runs the analytics scenario and returns one row per endpoint.
/// `postgres_url` is the PostgreSQL server URL without a database name.
pub async fn run(
    options: &Options,
    postgres_url: &str,
    liaison: &Path,
) -> anyhow::Result<Vec<Row>> {
    if options.npos == 0 || options.clients == 0 || options.duration == 0 {
        bail!("--analytics-npos, --analytics-clients and --analytics-secs must be positive");
    }
    let classifier = Classifier::parse(registry::territories::BUNDLED_KATO)?;
    let bodies = seed::bodies(&classifier, options.seed);

    for service in SERVICES {
        options
            .database(postgres_url, service)
            .recreate_database()?;
    }
    let outcome = measure(options, postgres_url, liaison, classifier, &bodies).await;
    if !options.keep_databases {
        for service in SERVICES {
            if let Err(error) = options.database(postgres_url, service).drop_database() {
                eprintln!("warning: {error:#}");
            }
        }
    }
    outcome
}

async fn measure(
    options: &Options,
    postgres_url: &str,
    liaison: &Path,
    classifier: Classifier,
    bodies: &[Body],
) -> anyhow::Result<Vec<Row>> {
    let data = tempfile::tempdir()?;
    let config = ServerConfig::new(
        liaison,
        data.path(),
        options.database(postgres_url, "{service}").database_url(),
    );
    let token = config.token(&["--role", "ministry", "--subject", "bench-analytics"])?;
    let server = config.start_services(&["all"], "server.log")?;
    eprintln!(
        "liaison serve all listening on {} (pid {})",
        server.base,
        server.pid()
    );

    register_bodies(&server, &token, bodies).await?;
    let aggregation = options.database(postgres_url, "aggregation");
    let started = Instant::now();
    let volume = options.volume();
    let seed_bodies = bodies.to_vec();
    let url = aggregation.database_url();
    let seed = options.seed;
    tokio::task::spawn_blocking(move || {
        seed_read_models(&url, volume, &classifier, &seed_bodies, seed)
    })
    .await??;
    // Autovacuum would analyze the tables and mark their pages all-visible shortly after
    // such a bulk write; the run does not wait for it.
    aggregation
        .connect()?
        .batch_execute("VACUUM ANALYZE")
        .context("VACUUM ANALYZE of the read models failed")?;
    eprintln!(
        "seeded the read models in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let body_ids: Vec<String> = bodies.iter().map(|body| body.id.clone()).collect();
    let memory = crate::ingest::MemorySampler::start(server.pid());
    let mut rows = Vec::new();
    for (number, endpoint) in options.endpoints.iter().enumerate() {
        let seed = options.seed ^ (number as u64 + 1);
        let queries = Arc::new(query_mix(*endpoint, &body_ids, QUERIES_PER_ENDPOINT, seed));
        eprintln!("GET {} over HTTP…", endpoint.path());
        let http = http_load(
            options,
            &server,
            &token,
            *endpoint,
            Arc::clone(&queries),
            seed,
        )
        .await;
        let http = http.with_context(|| {
            format!(
                "the load on {} failed; the last lines of the server log:\n{}",
                endpoint.path(),
                crate::server::tail(&server.log)
            )
        })?;
        eprintln!("{} with diesel…", endpoint.path());
        let baseline = baseline_load(options, &aggregation, *endpoint, queries, seed).await?;
        let row = endpoint_row(
            *endpoint,
            options.clients,
            Summary::of(&http),
            Summary::of(&baseline),
        );
        eprintln!(
            "{}: {}; baseline {}",
            endpoint.path(),
            row.figure,
            row.baseline
        );
        rows.push(row);
    }
    let peak_kib = memory.finish();
    eprintln!(
        "liaison serve all: highest VmRSS {:.1} MiB during the analytics loads",
        peak_kib as f64 / 1024.0
    );
    server.stop()?;
    Ok(rows)
}

/// Adds `bodies` to the register through its API, as the ministry.
async fn register_bodies(server: &Server, token: &str, bodies: &[Body]) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    for body in bodies {
        let response = client
            .post(server.url("/v1/government-bodies"))
            .bearer_auth(token)
            .json(&body.input())
            .send()
            .await
            .with_context(|| format!("POST of government body {} failed", body.id))?;
        let status = response.status();
        if status != reqwest::StatusCode::CREATED {
            let text = response.text().await.unwrap_or_default();
            bail!(
                "POST of government body {} returned {status}: {text}",
                body.id
            );
        }
    }
    Ok(())
}

/// Applies `events` to the read models, `SEED_BATCH` per transaction.
fn apply(db: &Database, events: &[EventEnvelope]) -> anyhow::Result<()> {
    for batch in events.chunks(SEED_BATCH) {
        db.run_blocking(|conn| {
            service_kit::db::in_transaction(conn, |conn| {
                for event in batch {
                    aggregation::readmodel::apply(conn, event)?;
                }
                Ok::<_, StoreError>(())
            })
        })
        .context("applying generated events to the read models failed")?;
    }
    Ok(())
}

/// Generates the read models' events and applies them through the projection.
fn seed_read_models(
    url: &str,
    volume: Volume,
    classifier: &Classifier,
    bodies: &[Body],
    seed: u64,
) -> anyhow::Result<()> {
    let db = Database::connect(url).with_context(|| format!("cannot connect to {url}"))?;
    let started = Instant::now();
    let rows = generate::generate(volume.npos, seed, classifier);
    for (chunk, batch) in rows.chunks(SEED_BATCH).enumerate() {
        let first = chunk * SEED_BATCH;
        let events: Vec<EventEnvelope> = batch
            .iter()
            .enumerate()
            .map(|(offset, row)| seed::npo_registration(first + offset, row))
            .collect();
        apply(&db, &events)?;
    }
    apply(&db, &seed::npo_changes(volume.npos, seed ^ 11))?;
    eprintln!(
        "applied {} NPOs in {:.1} s",
        volume.npos,
        started.elapsed().as_secs_f64()
    );

    let started = Instant::now();
    let events = seed::assessment_events(volume.priorities, bodies, classifier, seed ^ 12);
    apply(&db, &events)?;
    eprintln!(
        "applied {} assessments with {} priorities in {:.1} s",
        events.len(),
        volume.priorities,
        started.elapsed().as_secs_f64()
    );

    let started = Instant::now();
    apply(
        &db,
        &seed::action_events(volume.actions, bodies, classifier, seed ^ 13),
    )?;
    let recommendations =
        seed::recommendation_events(volume.recommendations, bodies, classifier, seed ^ 14);
    apply(&db, &recommendations)?;
    let compliance = seed::compliance_events(
        volume.receptions,
        volume.officer_requests,
        bodies,
        seed ^ 15,
    );
    apply(&db, &compliance)?;
    eprintln!(
        "applied {} actions, {} recommendations and {} compliance inputs in {:.1} s",
        volume.actions,
        volume.recommendations,
        compliance.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn http_load(
    options: &Options,
    server: &Server,
    token: &str,
    endpoint: Endpoint,
    queries: Arc<Vec<Query>>,
    seed: u64,
) -> anyhow::Result<LoadResult> {
    let base = server.url(endpoint.path());
    let urls: Arc<Vec<String>> = Arc::new(
        queries
            .iter()
            .map(|query| format!("{base}?{}", query.query_string()))
            .collect(),
    );
    let next = Arc::new(move |rng: &mut Rng| rng.pick(&urls).clone());
    load::http_get(options.plan(seed), next, Some(token), None).await
}

/// State shared by the baseline threads: the compliance settings and today's date.
struct Shared {
    compliance: ComplianceSettings,
    today: NaiveDate,
}

async fn baseline_load(
    options: &Options,
    database: &Postgres,
    endpoint: Endpoint,
    queries: Arc<Vec<Query>>,
    seed: u64,
) -> anyhow::Result<LoadResult> {
    let url = database.database_url();
    let plan = options.plan(seed ^ 0xBA5E);
    tokio::task::spawn_blocking(move || {
        let shared = Arc::new(Shared {
            compliance: ComplianceSettings::default(),
            today: common_models::time::today(),
        });
        load::threads(
            plan,
            move || connect(&url),
            move |conn, rng| {
                let query = rng.pick(&queries);
                run_store_functions(conn, endpoint, query, &shared)?;
                Ok(false)
            },
        )
    })
    .await?
}

fn connect(url: &str) -> anyhow::Result<AnyConnection> {
    let conn = PgConnection::establish(url).with_context(|| format!("cannot connect to {url}"))?;
    Ok(AnyConnection::Postgresql(conn))
}

/// Runs the store functions that read the records of `endpoint` for `query` from the
/// database.
fn run_store_functions(
    conn: &mut AnyConnection,
    endpoint: Endpoint,
    query: &Query,
    shared: &Shared,
) -> anyhow::Result<()> {
    let filter = query.filter()?;
    let body = filter.body.as_deref();
    match endpoint {
        Endpoint::Npos => {
            store::npo_facts(conn, filter.year)?;
        }
        Endpoint::Priorities => {
            store::records_in(conn, Kind::Priority, filter.year, body, GONE)?;
        }
        Endpoint::JointActions => {
            store::records_in(conn, Kind::Action, filter.year, body, &[])?;
            store::records_in(conn, Kind::Monitoring, None, body, &[])?;
        }
        Endpoint::Recommendations => {
            store::records_in(conn, Kind::Recommendation, filter.year, body, &[])?;
        }
        Endpoint::AnnualReports => {
            let bodies = store::registered_bodies(conn, None)?;
            store::annual_reports_due(conn, &bodies, shared.compliance.report_due, shared.today)?;
        }
        Endpoint::Compliance => {
            store::compliance_inputs(conn, body, shared.compliance.report_due, shared.today)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_compares_p95_with_target_and_baseline() {
        let http = Summary {
            p50_ms: 10.0,
            p95_ms: 40.0,
            p99_ms: 60.0,
            per_second: 150.0,
        };
        let baseline = Summary {
            p95_ms: 20.0,
            per_second: 300.0,
            ..http
        };

        let row = endpoint_row(Endpoint::Npos, 4, http, baseline);

        assert_eq!(row.figure, "p50 10.0 / p95 40.0 / p99 60.0 ms, 150 req/s");
        assert_eq!(row.target, "p95 ≤ 50 ms");
        assert_eq!(row.ratio, "2.0× baseline p95");
        assert_eq!(row.verdict, Verdict::Met);
        assert!(row.scenario.contains("/v1/analytics/npos"));
        assert!(row.baseline.contains("p95 20.0 ms"), "{}", row.baseline);
    }

    #[test]
    fn row_over_target_is_not_met() {
        let slow = Summary {
            p50_ms: 30.0,
            p95_ms: 50.1,
            p99_ms: 70.0,
            per_second: 80.0,
        };

        let row = endpoint_row(Endpoint::Priorities, 4, slow, slow);

        assert_eq!(row.verdict, Verdict::NotMet);
        assert_eq!(row.ratio, "1.0× baseline p95");
    }
}
