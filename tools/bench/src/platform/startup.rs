//! Start-up of the embedded default: `liaison serve all` on SQLite with in-process
//! events, timed from the process's start until `/readyz` returns 200. The first
//! start on an empty folder applies every migration; the timed restarts find
//! NPOs already stored. The baseline is the same binary printing its version, the
//! cost of starting the process at all.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use super::{data, percentile, sorted_ms};
use crate::report::{Row, Verdict};
use crate::server::{self, Server, ServerConfig};

/// Timed restarts with data stored.
const RESTARTS: usize = 5;

const TARGET_MS: f64 = 1_000.0;
const IDLE_TARGET_MIB: f64 = 100.0;

/// How long a start may take before the run fails.
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// Runs the first start, stores `npos` NPOs, times the restarts, reads the idle
/// memory of the last one, and returns the rows.
pub async fn run(liaison: &Path, npos: u64) -> anyhow::Result<Vec<Row>> {
    let folder = tempfile::tempdir()?;
    let config = ServerConfig::new(
        liaison,
        folder.path(),
        format!("sqlite://{}/{{service}}.db", folder.path().display()),
    );
    let client = reqwest::Client::new();
    let integrator = config.token(&["--role", "integrator", "--subject", "bench-loader"])?;

    let (server, first) = start(&config, &client, "first.log").await?;
    eprintln!(
        "serve all: first start in {:.0} ms; importing {npos} NPOs…",
        first.as_secs_f64() * 1000.0
    );
    let summary = crate::ingest::import(
        &client,
        &server.base,
        data::import_csv(0, 1..=npos),
        &integrator,
        Duration::from_secs(600),
    )
    .await?;
    if summary.created != npos {
        bail!("the import created {} NPOs, not {npos}", summary.created);
    }
    server.stop()?;

    let mut restarts = Vec::with_capacity(RESTARTS);
    let mut idle_kib = 0;
    for round in 0..RESTARTS {
        let (server, took) = start(&config, &client, &format!("restart-{round}.log")).await?;
        restarts.push(took);
        if round + 1 == RESTARTS {
            // The idle figure is read once the start-up work has settled.
            tokio::time::sleep(Duration::from_secs(3)).await;
            idle_kib = server.memory()?.rss_kib;
        }
        server.stop()?;
    }
    let version = version_runs(liaison)?;
    Ok(vec![
        start_row(npos, first, &restarts, &version),
        memory_row(npos, idle_kib),
    ])
}

/// Starts `serve all` on a free port and returns it once `/readyz` returns 200,
/// with the time since the process was spawned.
async fn start(
    config: &ServerConfig,
    client: &reqwest::Client,
    log_name: &str,
) -> anyhow::Result<(Server, Duration)> {
    let port = server::free_port()?;
    let started = Instant::now();
    let server = config.spawn_on(&["all"], log_name, port)?;
    let ready = server.url("/readyz");
    loop {
        let answer = client.get(&ready).send().await;
        if answer.is_ok_and(|response| response.status() == reqwest::StatusCode::OK) {
            return Ok((server, started.elapsed()));
        }
        if started.elapsed() > START_TIMEOUT {
            bail!(
                "serve all was not ready within {} s; the end of its log:\n{}",
                START_TIMEOUT.as_secs(),
                server::tail(&server.log)
            );
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Times `liaison --version` [`RESTARTS`] times.
fn version_runs(liaison: &Path) -> anyhow::Result<Vec<Duration>> {
    (0..RESTARTS)
        .map(|_| {
            let started = Instant::now();
            let output = Command::new(liaison)
                .arg("--version")
                .output()
                .with_context(|| format!("cannot run {}", liaison.display()))?;
            if !output.status.success() {
                bail!("liaison --version exited with {}", output.status);
            }
            Ok(started.elapsed())
        })
        .collect()
}

fn start_row(npos: u64, first: Duration, restarts: &[Duration], version: &[Duration]) -> Row {
    let sorted = sorted_ms(restarts.iter().copied());
    let base = sorted_ms(version.iter().copied());
    let median = percentile(&sorted, 0.5);
    let slowest = percentile(&sorted, 1.0);
    let base_median = percentile(&base, 0.5);
    Row {
        scenario: format!("start-up, serve all until /readyz is 200, {npos} NPOs stored"),
        database: "SQLite",
        figure: format!(
            "median {median:.0} / slowest {slowest:.0} ms over {} restarts; first start on an empty folder {:.0} ms",
            sorted.len(),
            first.as_secs_f64() * 1000.0
        ),
        target: format!("≤ {TARGET_MS:.0} ms"),
        baseline: format!("liaison --version: median {base_median:.1} ms"),
        ratio: format!("{:.0}× baseline median", median / base_median),
        verdict: Verdict::from_check(slowest <= TARGET_MS),
    }
}

fn memory_row(npos: u64, idle_kib: u64) -> Row {
    let mib = idle_kib as f64 / 1024.0;
    Row {
        scenario: format!("memory, serve all idle, {npos} NPOs stored"),
        database: "SQLite",
        figure: format!("VmRSS {mib:.1} MiB, 3 s after ready"),
        target: format!("≤ {IDLE_TARGET_MIB:.0} MiB"),
        baseline: "—".into(),
        ratio: "—".into(),
        verdict: Verdict::from_check(mib <= IDLE_TARGET_MIB),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_row_judges_the_slowest_restart() {
        let ms = |values: &[u64]| -> Vec<Duration> {
            values.iter().map(|&v| Duration::from_millis(v)).collect()
        };
        let version = ms(&[2, 2, 2, 2, 2]);

        let met = start_row(
            10,
            Duration::from_secs(2),
            &ms(&[300, 310, 320, 330, 990]),
            &version,
        );
        let missed = start_row(
            10,
            Duration::from_secs(2),
            &ms(&[300, 310, 320, 330, 1010]),
            &version,
        );

        assert_eq!(met.verdict, Verdict::Met);
        assert_eq!(missed.verdict, Verdict::NotMet);
        assert_eq!(met.ratio, "160× baseline median");
    }
}
