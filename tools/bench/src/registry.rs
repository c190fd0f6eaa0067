//! The registry scenarios: generates realistic NPOs, loads them into the registry
//! through its batch ingestion endpoint and measures ingestion, search and reads by
//! id on PostgreSQL and on SQLite. Each figure is compared with a baseline measured in
//! the same run: `COPY` and pgbench on PostgreSQL, plain diesel on the SQLite file.
//!
//! The registry runs as a child process (`liaison serve registry`, release build), so
//! the figures include HTTP, JSON and the connection pool, as clients see them.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};

use crate::generate::{Classifier, NpoRow, Rng};
use crate::ingest::{Ingestion, Method};
use crate::load::{LoadPlan, LoadResult};
use crate::postgres::Postgres;
use crate::report::Row;
use crate::server::{Server, ServerConfig};
use crate::targets::{HttpRun, by_id_row, ingestion_row, memory_row, search_rows};
use crate::{generate, ingest, load, postgres, queries, server, sqlite};

/// Page size of a search request.
const SEARCH_LIMIT: i64 = 20;

/// Name fragments sent as `q`, in mixed letter case. Each occurs in generated names.
const FRAGMENTS: &[&str] = &[
    "жастар",
    "ҚАМҚОР",
    "Болашақ",
    "мейірім",
    "ЭКОЛОГ",
    "Ұлытау",
    "қоры",
    "Милосерд",
    "ШАҢЫРАҚ",
    "достық",
    "ассоциация",
    "Өркен",
];

/// Regions sent as `territory`: Almaty, Astana, Ұлытау, Shymkent, Karaganda,
/// Turkistan, East Kazakhstan and Abai.
const REGIONS: &[&str] = &[
    "750000000",
    "710000000",
    "620000000",
    "790000000",
    "350000000",
    "610000000",
    "630000000",
    "100000000",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Database {
    Postgres,
    Sqlite,
}

impl Database {
    fn label(self) -> &'static str {
        match self {
            Self::Postgres => "PostgreSQL",
            Self::Sqlite => "SQLite",
        }
    }
}

/// Options of the registry scenarios.
#[derive(Debug, Clone, Args)]
#[group(id = "registry-options")]
pub struct Cli {
    /// Number of NPOs to generate and ingest.
    #[arg(long, default_value_t = 100_000)]
    pub rows: usize,
    /// Seed of the data and request generators; the same seed gives the same rows.
    #[arg(long, default_value_t = 20_251_204)]
    pub seed: u64,
    /// Concurrent clients of the read scenarios, for HTTP and for the baselines.
    #[arg(long, default_value_t = 8)]
    pub clients: usize,
    /// Unmeasured warm-up before each read scenario, in seconds.
    #[arg(long, default_value_t = 2)]
    pub warmup: u64,
    /// Measured duration of each read scenario, in seconds.
    #[arg(long, default_value_t = 10)]
    pub duration: u64,
    /// Maximum time the ingestion may take before the run fails, in seconds.
    #[arg(long, default_value_t = 900)]
    pub ingest_timeout: u64,
    /// Databases to measure, in order.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "postgres,sqlite"
    )]
    pub databases: Vec<Database>,
    /// PostgreSQL server URL without a database name.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432")]
    pub postgres_url: String,
    /// PostgreSQL database that every run drops and creates.
    #[arg(long, default_value = "bench_registry")]
    pub database: String,
    /// The pgbench binary [default: from PATH or /usr/lib/postgresql/*/bin].
    #[arg(long, value_name = "PATH")]
    pub pgbench: Option<PathBuf>,
}

impl Cli {
    fn plan(&self, seed: u64) -> LoadPlan {
        LoadPlan {
            clients: self.clients,
            warmup: Duration::from_secs(self.warmup),
            duration: Duration::from_secs(self.duration),
            seed,
        }
    }
}

/// Runs the registry scenarios on every database of `cli` and returns their rows.
pub async fn run(cli: &Cli, liaison: &Path) -> anyhow::Result<Vec<Row>> {
    if cli.rows == 0 || cli.clients == 0 || cli.duration == 0 {
        bail!("--rows, --clients and --duration must be positive");
    }

    let started = Instant::now();
    let classifier = Classifier::parse(registry::territories::BUNDLED_KATO)?;
    let rows = generate::generate(cli.rows, cli.seed, &classifier);
    let csv = generate::to_csv(&rows)?;
    eprintln!(
        "generated {} NPOs ({:.1} MiB of CSV) in {:.1} s",
        rows.len(),
        csv.len() as f64 / 1_048_576.0,
        started.elapsed().as_secs_f64()
    );

    let mut results = Vec::new();
    for database in &cli.databases {
        eprintln!("== {}", database.label());
        let measured = match database {
            Database::Postgres => bench_postgres(cli, liaison, &rows, &csv).await,
            Database::Sqlite => bench_sqlite(cli, liaison, &rows, &csv).await,
        };
        results.extend(measured.with_context(|| format!("the {} run failed", database.label()))?);
    }

    Ok(results)
}

/// Mints the tokens the benchmark needs and starts the server.
fn start_server(config: &ServerConfig) -> anyhow::Result<(Server, String, String)> {
    let integrator = config.token(&["--role", "integrator", "--subject", "bench-loader"])?;
    let officer = config.token(&[
        "--role",
        "officer",
        "--body",
        "bench-loader",
        "--subject",
        "bench-loader",
    ])?;
    let server = config.start()?;
    eprintln!(
        "registry listening on {} (pid {})",
        server.base,
        server.pid()
    );
    Ok((server, integrator, officer))
}

async fn run_ingestion(
    cli: &Cli,
    server: &Server,
    rows: &[NpoRow],
    csv: &[u8],
    tokens: (&str, &str),
) -> anyhow::Result<Ingestion> {
    let ingestion = ingest::ingest(
        server,
        csv.to_vec(),
        rows,
        tokens.0,
        tokens.1,
        Duration::from_secs(cli.ingest_timeout),
    )
    .await
    .with_context(|| {
        format!(
            "ingestion failed; the last lines of the server log:\n{}",
            server::tail(&server.log)
        )
    })?;
    if let Method::BatchEndpoint { summary } = &ingestion.method {
        eprintln!(
            "ingested in {:.2} s: {} created, {} updated, {} unchanged, {} superseded, {} rejected",
            ingestion.elapsed.as_secs_f64(),
            summary.created,
            summary.updated,
            summary.unchanged,
            summary.superseded,
            summary.rejected
        );
        let expected = (rows.len() as u64).saturating_sub(summary.rejected);
        if summary.created != expected {
            bail!(
                "the import created {} NPOs, but {} rows less {} rejected is {expected}",
                summary.created,
                rows.len(),
                summary.rejected
            );
        }
    } else {
        eprintln!(
            "loaded row by row in {:.1} s",
            ingestion.elapsed.as_secs_f64()
        );
    }
    Ok(ingestion)
}

/// Search URLs for every fragment and region; a client picks one at random, as
/// pgbench picks a fragment and a region independently.
fn search_urls(server: &Server) -> anyhow::Result<Vec<String>> {
    let mut urls = Vec::new();
    for fragment in FRAGMENTS {
        for region in REGIONS {
            let limit = SEARCH_LIMIT.to_string();
            let url = reqwest::Url::parse_with_params(
                &server.url("/v1/npos"),
                [("q", *fragment), ("territory", region), ("limit", &limit)],
            )?;
            urls.push(url.to_string());
        }
    }
    Ok(urls)
}

/// Awaits `run` and measures the CPU time that the registry and this program used
/// meanwhile.
async fn with_cpu(
    server: &Server,
    run: impl Future<Output = anyhow::Result<LoadResult>>,
) -> anyhow::Result<HttpRun> {
    let server_before = server::cpu_time(server.pid())?;
    let client_before = server::cpu_time(std::process::id())?;
    let started = Instant::now();
    let load = run.await?;
    let wall = started.elapsed().as_secs_f64();
    let server_used = server::cpu_time(server.pid())? - server_before;
    let client_used = server::cpu_time(std::process::id())? - client_before;
    Ok(HttpRun {
        load,
        server_cores: server_used.as_secs_f64() / wall,
        client_cores: client_used.as_secs_f64() / wall,
    })
}

async fn http_search(cli: &Cli, server: &Server) -> anyhow::Result<HttpRun> {
    let urls = Arc::new(search_urls(server)?);
    let next = Arc::new(move |rng: &mut Rng| rng.pick(&urls).clone());
    let run = load::http_get(cli.plan(cli.seed ^ 1), next, None, Some(br#""items":[]"#));
    with_cpu(server, run).await
}

async fn http_by_id(cli: &Cli, server: &Server, ids: Vec<String>) -> anyhow::Result<HttpRun> {
    let base = server.url("/v1/npos/");
    let ids = Arc::new(ids);
    let next = Arc::new(move |rng: &mut Rng| format!("{base}{}", rng.pick(&ids)));
    with_cpu(
        server,
        load::http_get(cli.plan(cli.seed ^ 2), next, None, None),
    )
    .await
}

async fn bench_postgres(
    cli: &Cli,
    liaison: &Path,
    rows: &[NpoRow],
    csv: &[u8],
) -> anyhow::Result<Vec<Row>> {
    let pg = Postgres {
        server_url: cli.postgres_url.clone(),
        database: cli.database.clone(),
    };
    let pgbench = postgres::find_pgbench(cli.pgbench.as_deref())?;
    pg.recreate_database()?;
    eprintln!("{}", pg.version()?);
    let copy_time = pg.copy_baseline(csv)?;
    eprintln!("COPY baseline: {:.2} s", copy_time.as_secs_f64());

    let data = tempfile::tempdir()?;
    let config = ServerConfig::new(liaison, data.path(), pg.database_url());
    let (server, integrator, officer) = start_server(&config)?;
    let ingestion = run_ingestion(cli, &server, rows, csv, (&integrator, &officer)).await?;
    pg.analyze()?;
    let ids = pg.npo_ids()?;
    check_count(&ingestion, rows.len(), ids.len())?;

    eprintln!("search over HTTP…");
    let search = http_search(cli, &server).await?;
    eprintln!("search with pgbench…");
    let script = data.path().join("search.sql");
    let search_script = queries::pgbench_search_script(FRAGMENTS, REGIONS, SEARCH_LIMIT)?;
    std::fs::write(&script, &search_script.text)?;
    let search_baseline = postgres::pgbench(
        &pgbench,
        &pg.database_url(),
        &script,
        search_script.mode,
        cli.clients,
        Duration::from_secs(cli.warmup),
        Duration::from_secs(cli.duration),
    )?;

    eprintln!("reads by id over HTTP…");
    pg.store_ids(&ids)?;
    let id_count = ids.len();
    let by_id = http_by_id(cli, &server, ids).await?;
    eprintln!("reads by id with pgbench…");
    let script = data.path().join("by-id.sql");
    let find_script = queries::pgbench_find_script(id_count)?;
    std::fs::write(&script, &find_script.text)?;
    let by_id_baseline = postgres::pgbench(
        &pgbench,
        &pg.database_url(),
        &script,
        find_script.mode,
        cli.clients,
        Duration::from_secs(cli.warmup),
        Duration::from_secs(cli.duration),
    )?;
    server.stop()?;

    let label = Database::Postgres.label();
    let mut table = vec![ingestion_row(
        label,
        &ingestion,
        rows.len(),
        "COPY FROM STDIN into a bare table",
        copy_time,
    )];
    table.extend(search_rows(
        cli.clients,
        label,
        &search,
        &format!(
            "pgbench: {:.0} tps (mean {:.1} ms)",
            search_baseline.tps, search_baseline.latency_ms
        ),
        search_baseline.tps,
    ));
    table.push(by_id_row(
        cli.clients,
        label,
        &by_id,
        &format!(
            "pgbench: {:.0} tps (mean {:.1} ms)",
            by_id_baseline.tps, by_id_baseline.latency_ms
        ),
        by_id_baseline.tps,
    ));
    table.push(memory_row(label, &ingestion));
    Ok(table)
}

async fn bench_sqlite(
    cli: &Cli,
    liaison: &Path,
    rows: &[NpoRow],
    csv: &[u8],
) -> anyhow::Result<Vec<Row>> {
    let data = tempfile::tempdir()?;
    let insert_time = sqlite::insert_baseline(&data.path().join("baseline.db"), rows)?;
    eprintln!("insert baseline: {:.2} s", insert_time.as_secs_f64());

    let database_file = data.path().join("registry.db");
    let config = ServerConfig::new(
        liaison,
        data.path(),
        format!("sqlite://{}/{{service}}.db", data.path().display()),
    );
    let (server, integrator, officer) = start_server(&config)?;
    let ingestion = run_ingestion(cli, &server, rows, csv, (&integrator, &officer)).await?;
    let ids = sqlite::npo_ids(&database_file)?;
    check_count(&ingestion, rows.len(), ids.len())?;

    eprintln!("search over HTTP…");
    let search = http_search(cli, &server).await?;
    eprintln!("search with diesel on the SQLite file…");
    let patterns: Arc<Vec<String>> = Arc::new(
        FRAGMENTS
            .iter()
            .map(|f| queries::like_contains(f))
            .collect(),
    );
    let search_baseline = {
        let file = database_file.clone();
        let plan = cli.plan(cli.seed ^ 3);
        tokio::task::spawn_blocking(move || {
            load::threads(
                plan,
                move || sqlite::connect(&file),
                move |conn, rng| {
                    let pattern = rng.pick(&patterns);
                    let region = rng.pick(REGIONS);
                    Ok(queries::search_sqlite(conn, pattern, region, SEARCH_LIMIT)?)
                },
            )
        })
    };
    let search_baseline = search_baseline.await??;

    eprintln!("reads by id over HTTP…");
    let shared_ids = Arc::new(ids.clone());
    let by_id = http_by_id(cli, &server, ids).await?;
    eprintln!("reads by id with diesel on the SQLite file…");
    let by_id_baseline = {
        let file = database_file.clone();
        let plan = cli.plan(cli.seed ^ 4);
        tokio::task::spawn_blocking(move || {
            load::threads(
                plan,
                move || sqlite::connect(&file),
                move |conn, rng| Ok(queries::find_sqlite(conn, rng.pick::<String>(&shared_ids))?),
            )
        })
    };
    let by_id_baseline = by_id_baseline.await??;
    if by_id_baseline.empty > 0 {
        bail!(
            "the SQLite baseline found no NPO for {} ids",
            by_id_baseline.empty
        );
    }
    server.stop()?;

    let label = Database::Sqlite.label();
    let mut table = vec![ingestion_row(
        label,
        &ingestion,
        rows.len(),
        "INSERT into a bare table, one transaction",
        insert_time,
    )];
    table.extend(search_rows(
        cli.clients,
        label,
        &search,
        &format!(
            "diesel, {} threads: {:.0} q/s",
            cli.clients,
            search_baseline.throughput()
        ),
        search_baseline.throughput(),
    ));
    table.push(by_id_row(
        cli.clients,
        label,
        &by_id,
        &format!(
            "diesel, {} threads: {:.0} q/s",
            cli.clients,
            by_id_baseline.throughput()
        ),
        by_id_baseline.throughput(),
    ));
    table.push(memory_row(label, &ingestion));
    Ok(table)
}

fn check_count(ingestion: &Ingestion, rows: usize, stored: usize) -> anyhow::Result<()> {
    let expected = match &ingestion.method {
        Method::BatchEndpoint { summary } => rows.saturating_sub(summary.rejected as usize),
        Method::RowByRow { .. } => rows,
    };
    if stored != expected {
        bail!("the registry's database contains {stored} NPOs, expected {expected}");
    }
    Ok(())
}
