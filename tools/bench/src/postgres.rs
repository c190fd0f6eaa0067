//! PostgreSQL side of the benchmark: the database the registry runs on, the `COPY`
//! baseline of ingestion and the pgbench baselines of the read paths.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use diesel::connection::SimpleConnection;
use diesel::pg::{CopyFormat, CopyHeader};
use diesel::prelude::*;

diesel::table! {
    /// A bare table with the CSV's columns and no index, constraint or trigger.
    bench_copy_baseline (bin) {
        bin -> Nullable<Text>,
        name_ru -> Nullable<Text>,
        name_kk -> Nullable<Text>,
        legal_form -> Text,
        status -> Text,
        registered_on -> Date,
        kato -> Text,
        spheres -> Text,
        oked -> Nullable<Text>,
    }
}

diesel::table! {
    /// The ids of the NPOs, numbered from 1, so pgbench can pick one at random.
    bench_ids (k) {
        k -> Integer,
        id -> Text,
    }
}

/// Location of the PostgreSQL server and the database the benchmark owns.
#[derive(Debug, Clone)]
pub struct Postgres {
    /// URL of the server without a database name, such as `postgres://postgres@127.0.0.1:5432`.
    pub server_url: String,
    /// Database the benchmark drops and creates on every run.
    pub database: String,
}

impl Postgres {
    pub fn database_url(&self) -> String {
        format!(
            "{}/{}",
            self.server_url.trim_end_matches('/'),
            self.database
        )
    }

    /// Connects to the benchmark's database.
    pub fn connect(&self) -> anyhow::Result<PgConnection> {
        let url = self.database_url();
        PgConnection::establish(&url).with_context(|| format!("cannot connect to {url}"))
    }

    /// Drops the benchmark's database, with any sessions still on it, and creates it
    /// empty.
    pub fn recreate_database(&self) -> anyhow::Result<()> {
        let admin_url = format!("{}/postgres", self.server_url.trim_end_matches('/'));
        let mut admin = PgConnection::establish(&admin_url).with_context(|| {
            format!("cannot connect to {admin_url}; start PostgreSQL or pass --postgres-url")
        })?;
        let name = quote_identifier(&self.database);
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .with_context(|| format!("cannot drop the database {name}"))?;
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .with_context(|| format!("cannot create the database {name}"))?;
        Ok(())
    }

    /// Drops the benchmark's database, with any sessions still on it.
    pub fn drop_database(&self) -> anyhow::Result<()> {
        let admin_url = format!("{}/postgres", self.server_url.trim_end_matches('/'));
        let mut admin = PgConnection::establish(&admin_url)
            .with_context(|| format!("cannot connect to {admin_url}"))?;
        let name = quote_identifier(&self.database);
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .with_context(|| format!("cannot drop the database {name}"))
    }

    /// Returns the server's version string, such as `PostgreSQL 15.20 …`.
    pub fn version(&self) -> anyhow::Result<String> {
        #[derive(QueryableByName)]
        struct Version {
            #[diesel(sql_type = diesel::sql_types::Text)]
            version: String,
        }
        let row: Version = diesel::sql_query("SELECT version() AS version")
            .get_result(&mut self.connect()?)
            .context("cannot read the PostgreSQL version")?;
        Ok(row.version)
    }

    /// Copies the CSV into a new bare table with `COPY … FROM STDIN` and returns the
    /// time from the start of `COPY` to its end. The table is dropped afterwards.
    pub fn copy_baseline(&self, csv: &[u8]) -> anyhow::Result<Duration> {
        let mut conn = self.connect()?;
        conn.batch_execute(
            "DROP TABLE IF EXISTS bench_copy_baseline; \
             CREATE TABLE bench_copy_baseline (bin TEXT, name_ru TEXT, name_kk TEXT, \
             legal_form TEXT NOT NULL, status TEXT NOT NULL, registered_on DATE NOT NULL, \
             kato TEXT NOT NULL, spheres TEXT NOT NULL, oked TEXT)",
        )
        .context("cannot create the COPY baseline table")?;
        let started = Instant::now();
        let copied = diesel::copy_from(bench_copy_baseline::table)
            .from_raw_data(bench_copy_baseline::table, |sink| {
                sink.write_all(csv)
                    .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))
            })
            .with_format(CopyFormat::Csv)
            .with_header(CopyHeader::Set(true))
            .execute(&mut conn)
            .context("COPY of the generated rows failed")?;
        let elapsed = started.elapsed();
        conn.batch_execute("DROP TABLE bench_copy_baseline")?;
        let rows = csv.iter().filter(|&&b| b == b'\n').count() - 1;
        if copied != rows {
            bail!("COPY stored {copied} rows of {rows}");
        }
        Ok(elapsed)
    }

    /// Refreshes planner statistics, as autovacuum would shortly after a bulk load, so
    /// the registry and pgbench both run on plans for the loaded data.
    pub fn analyze(&self) -> anyhow::Result<()> {
        self.connect()?
            .batch_execute("ANALYZE")
            .context("ANALYZE failed")
    }

    /// Returns the ids of all NPOs in id order.
    pub fn npo_ids(&self) -> anyhow::Result<Vec<String>> {
        use registry::schema::npos;
        npos::table
            .select(npos::id)
            .order(npos::id.asc())
            .load(&mut self.connect()?)
            .context("cannot read the NPO ids")
    }

    /// Stores `ids` numbered from 1 in `bench_ids`, for [`crate::queries::pgbench_find_script`].
    pub fn store_ids(&self, ids: &[String]) -> anyhow::Result<()> {
        let mut conn = self.connect()?;
        conn.batch_execute(
            "DROP TABLE IF EXISTS bench_ids; \
             CREATE TABLE bench_ids (k INTEGER PRIMARY KEY, id TEXT NOT NULL)",
        )?;
        let mut data = Vec::with_capacity(ids.len() * 44);
        for (index, id) in ids.iter().enumerate() {
            writeln!(data, "{},{id}", index + 1)?;
        }
        diesel::copy_from(bench_ids::table)
            .from_raw_data(bench_ids::table, |sink| {
                sink.write_all(&data)
                    .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))
            })
            .with_format(CopyFormat::Csv)
            .execute(&mut conn)
            .context("cannot store the NPO ids for pgbench")?;
        conn.batch_execute("ANALYZE bench_ids")?;
        Ok(())
    }
}

fn quote_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Result of one pgbench run.
#[derive(Debug, Clone, Copy)]
pub struct PgbenchResult {
    /// Transactions per second, without the initial connection time.
    pub tps: f64,
    /// Mean latency of a transaction in milliseconds.
    pub latency_ms: f64,
}

/// Finds pgbench: the configured path, then `PATH`, then the Debian and Ubuntu package
/// folders `/usr/lib/postgresql/<version>/bin`, newest version first.
pub fn find_pgbench(configured: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(path) = configured {
        return Ok(path.to_owned());
    }
    let in_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .map(|dir| dir.join("pgbench"))
        .find(|candidate| candidate.is_file());
    if let Some(path) = in_path {
        return Ok(path);
    }
    let mut packaged: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path().join("bin/pgbench"))
        .filter(|path| path.is_file())
        .collect();
    // Sorts by the major version folder as a number, so 16 comes after 9.
    packaged.sort_by_key(|path| {
        path.ancestors()
            .nth(2)
            .and_then(|dir| dir.file_name()?.to_str()?.parse::<u32>().ok())
            .unwrap_or(0)
    });
    packaged.pop().context(
        "pgbench not found in PATH or /usr/lib/postgresql/*/bin; install the PostgreSQL \
         client (Debian package postgresql-client or postgresql-contrib) or pass --pgbench",
    )
}

/// The protocol that pgbench uses to send a script's statements (its `-M` option).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryMode {
    /// Parse, bind and execute in one round trip, planned with the values each time:
    /// what diesel does for a statement it keeps out of its cache (`PQsendQueryParams`).
    Extended,
    /// Prepared once per connection, then executed: what diesel does for a statement
    /// it caches.
    Prepared,
}

impl QueryMode {
    /// Returns the value of pgbench's `-M` option.
    pub fn pgbench_arg(self) -> &'static str {
        match self {
            Self::Extended => "extended",
            Self::Prepared => "prepared",
        }
    }
}

/// Runs `pgbench -n -M <mode> -c <clients> -j 2 -T <seconds> -f <script>` against the
/// benchmark's database: first for the warm-up, unmeasured, then for the measured
/// interval.
pub fn pgbench(
    binary: &Path,
    database_url: &str,
    script: &Path,
    mode: QueryMode,
    clients: usize,
    warmup: Duration,
    duration: Duration,
) -> anyhow::Result<PgbenchResult> {
    if !warmup.is_zero() {
        run_pgbench(binary, database_url, script, mode, clients, warmup)?;
    }
    run_pgbench(binary, database_url, script, mode, clients, duration)
}

fn run_pgbench(
    binary: &Path,
    database_url: &str,
    script: &Path,
    mode: QueryMode,
    clients: usize,
    duration: Duration,
) -> anyhow::Result<PgbenchResult> {
    let seconds = duration.as_secs().max(1).to_string();
    let clients = clients.to_string();
    let threads = if clients == "1" { "1" } else { "2" };
    let output = Command::new(binary)
        .args([
            "-n",
            "-M",
            mode.pgbench_arg(),
            "-c",
            &clients,
            "-j",
            threads,
            "-T",
            &seconds,
        ])
        .arg("-f")
        .arg(script)
        .arg(database_url)
        .env("PGCLIENTENCODING", "UTF8")
        .output()
        .with_context(|| format!("failed to run {}", binary.display()))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        bail!(
            "pgbench with {} failed ({}): {}{}",
            script.display(),
            output.status,
            stdout.trim(),
            stderr.trim()
        );
    }
    parse_pgbench(&stdout).with_context(|| {
        format!("cannot read tps and latency from the pgbench output:\n{stdout}{stderr}")
    })
}

/// Reads `tps = …` and `latency average = … ms` from pgbench's report; a run with
/// failed transactions is rejected.
fn parse_pgbench(report: &str) -> anyhow::Result<PgbenchResult> {
    let number_after = |prefix: &str| -> Option<f64> {
        report
            .lines()
            .find_map(|line| line.trim().strip_prefix(prefix))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|value| value.parse().ok())
    };
    if let Some(failed) = number_after("number of failed transactions:")
        && failed > 0.0
    {
        bail!("pgbench reported {failed} failed transactions");
    }
    Ok(PgbenchResult {
        tps: number_after("tps =").context("no `tps =` line")?,
        latency_ms: number_after("latency average =").context("no `latency average =` line")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = "\
transaction type: search.sql
scaling factor: 1
query mode: prepared
number of clients: 8
number of threads: 2
maximum number of tries: 1
duration: 10 s
number of transactions actually processed: 12345
number of failed transactions: 0 (0.000%)
latency average = 6.481 ms
initial connection time = 12.345 ms
tps = 1234.567890 (without initial connection time)
";

    #[test]
    fn parse_pgbench_report() {
        let result = parse_pgbench(REPORT).unwrap();

        assert_eq!(result.tps, 1234.56789);
        assert_eq!(result.latency_ms, 6.481);
    }

    #[test]
    fn parse_pgbench_rejects_failures() {
        let report = REPORT.replace(
            "failed transactions: 0 (0.000%)",
            "failed transactions: 3 (0.1%)",
        );

        assert!(parse_pgbench(&report).is_err());
    }

    #[test]
    fn identifier_quoting() {
        assert_eq!(quote_identifier("bench_registry"), "\"bench_registry\"");
        assert_eq!(quote_identifier("a\"b"), "\"a\"\"b\"");
    }
}
