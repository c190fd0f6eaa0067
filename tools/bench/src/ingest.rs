//! Ingestion of the generated rows through the registry's batch endpoint
//! `POST /v1/npo-imports`, with the server's memory sampled meanwhile.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::generate::NpoRow;
use crate::server::{Server, read_memory};

/// How often the job is polled and the server's memory is read.
const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// Row counts of a finished import, as the endpoint reports them.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub struct ImportSummary {
    #[serde(default)]
    pub created: u64,
    #[serde(default)]
    pub updated: u64,
    #[serde(default)]
    pub unchanged: u64,
    #[serde(default)]
    pub superseded: u64,
    #[serde(default)]
    pub rejected: u64,
}

/// Path by which the rows reached the registry.
#[derive(Debug, Clone)]
pub enum Method {
    /// Through `POST /v1/npo-imports`: the measured path.
    BatchEndpoint { summary: ImportSummary },
    /// Row by row through `POST /v1/npos`, because the batch endpoint does not exist in
    /// the binary under test; the time is not an ingestion figure.
    RowByRow { reason: String },
}

/// Outcome of loading the rows into the registry.
#[derive(Debug, Clone)]
pub struct Ingestion {
    pub method: Method,
    /// From sending the request to the job's `finished` status.
    pub elapsed: Duration,
    /// Peak resident set size of the server (`VmHWM`) right after ingestion, in KiB.
    pub peak_rss_kib: u64,
    /// Highest `VmRSS` seen while sampling during ingestion, in KiB.
    pub sampled_rss_kib: u64,
}

impl Ingestion {
    pub fn rows_per_second(&self, rows: usize) -> f64 {
        rows as f64 / self.elapsed.as_secs_f64()
    }
}

/// Reads a process's `VmRSS` every [`POLL_INTERVAL`] on a thread until finished.
#[derive(Debug)]
pub struct MemorySampler {
    stop: Arc<AtomicBool>,
    max_rss_kib: Arc<AtomicU64>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl MemorySampler {
    pub fn start(pid: u32) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let max_rss_kib = Arc::new(AtomicU64::new(0));
        let thread = {
            let stop = Arc::clone(&stop);
            let max_rss_kib = Arc::clone(&max_rss_kib);
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    if let Ok(memory) = read_memory(pid) {
                        max_rss_kib.fetch_max(memory.rss_kib, Ordering::Relaxed);
                    }
                    std::thread::sleep(POLL_INTERVAL);
                }
            })
        };
        Self {
            stop,
            max_rss_kib,
            thread: Some(thread),
        }
    }

    /// Stops sampling and returns the highest `VmRSS` seen, in KiB.
    pub fn finish(mut self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            drop(thread.join());
        }
        self.max_rss_kib.load(Ordering::Relaxed)
    }
}

/// Sends the CSV to `POST /v1/npo-imports?job=true` and polls the job until it
/// finishes. When the endpoint is missing (404 or 405), loads the rows one by one
/// through `POST /v1/npos` instead, so the read scenarios still have data, and marks
/// the result as [`Method::RowByRow`].
pub async fn ingest(
    server: &Server,
    csv: Vec<u8>,
    rows: &[NpoRow],
    integrator_token: &str,
    officer_token: &str,
    timeout: Duration,
) -> anyhow::Result<Ingestion> {
    let client = reqwest::Client::builder().timeout(timeout).build()?;
    let sampler = MemorySampler::start(server.pid());
    let started = Instant::now();
    let response = send_import(&client, &server.base, csv, integrator_token).await?;
    let status = response.status();
    let method = match status.as_u16() {
        200 => {
            let report: Value = response.json().await?;
            Method::BatchEndpoint {
                summary: summary_of(&report)?,
            }
        }
        202 => {
            let location = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned);
            let job: Value = response.json().await?;
            let path = match (location, job["id"].as_str()) {
                (Some(location), _) => location,
                (None, Some(id)) => format!("/v1/npo-imports/{id}"),
                (None, None) => bail!("the 202 response has neither Location nor an id: {job}"),
            };
            let report = poll_job(
                &client,
                &server.base,
                &path,
                integrator_token,
                started,
                timeout,
            )
            .await?;
            Method::BatchEndpoint {
                summary: summary_of(&report)?,
            }
        }
        404 | 405 => {
            let reason = format!("POST /v1/npo-imports returned {status}");
            eprintln!("{reason}: loading the rows one by one through POST /v1/npos instead");
            let started = Instant::now();
            load_row_by_row(server, rows, officer_token).await?;
            let sampled_rss_kib = sampler.finish();
            return Ok(Ingestion {
                method: Method::RowByRow { reason },
                elapsed: started.elapsed(),
                peak_rss_kib: server.memory()?.peak_kib,
                sampled_rss_kib,
            });
        }
        _ => {
            let body = response.text().await.unwrap_or_default();
            bail!("POST /v1/npo-imports returned {status}: {body}");
        }
    };
    let elapsed = started.elapsed();
    let sampled_rss_kib = sampler.finish();
    Ok(Ingestion {
        method,
        elapsed,
        peak_rss_kib: server.memory()?.peak_kib,
        sampled_rss_kib,
    })
}

/// Sends `csv` to `POST <base>/v1/npo-imports?job=true` as `token`.
async fn send_import(
    client: &reqwest::Client,
    base: &str,
    csv: Vec<u8>,
    token: &str,
) -> anyhow::Result<reqwest::Response> {
    client
        .post(format!("{base}/v1/npo-imports"))
        .query(&[("job", "true")])
        .bearer_auth(token)
        .header(reqwest::header::CONTENT_TYPE, "text/csv")
        .body(csv)
        .send()
        .await
        .context("POST /v1/npo-imports failed")
}

/// Imports `csv` through `POST <base>/v1/npo-imports?job=true` as `token` and
/// waits until the job finishes, failing on any other outcome.
pub async fn import(
    client: &reqwest::Client,
    base: &str,
    csv: String,
    token: &str,
    timeout: Duration,
) -> anyhow::Result<ImportSummary> {
    let started = Instant::now();
    let response = send_import(client, base, csv.into_bytes(), token).await?;
    let status = response.status();
    let report = match status.as_u16() {
        200 => response.json().await?,
        202 => {
            let job: Value = response.json().await?;
            let id = job["id"]
                .as_str()
                .with_context(|| format!("the import job has no id: {job}"))?;
            let path = format!("/v1/npo-imports/{id}");
            poll_job(client, base, &path, token, started, timeout).await?
        }
        _ => {
            let body = response.text().await.unwrap_or_default();
            bail!("POST /v1/npo-imports returned {status}: {body}");
        }
    };
    summary_of(&report)
}

/// Polls `GET <path>` until the job's status is `finished` (returns the job) or
/// `failed` (an error).
async fn poll_job(
    client: &reqwest::Client,
    base: &str,
    path: &str,
    token: &str,
    started: Instant,
    timeout: Duration,
) -> anyhow::Result<Value> {
    let url = if path.starts_with("http") {
        path.to_owned()
    } else {
        format!("{base}{path}")
    };
    let mut last_progress = Instant::now();
    loop {
        let response = client
            .get(&url)
            .bearer_auth(token)
            .send()
            .await
            .with_context(|| format!("GET {url} failed"))?;
        let status = response.status();
        if !status.is_success() {
            let body = response.text().await.unwrap_or_default();
            bail!("GET {url} returned {status}: {body}");
        }
        let job: Value = response.json().await?;
        match job["status"].as_str() {
            Some("finished") => return Ok(job),
            Some("failed") => bail!("the import job failed: {job}"),
            _ => {}
        }
        if started.elapsed() > timeout {
            bail!(
                "the import job did not finish within {} s: {job}",
                timeout.as_secs()
            );
        }
        if last_progress.elapsed() > Duration::from_secs(5) {
            eprintln!(
                "  import job {}: {} of {} rows done",
                job["status"].as_str().unwrap_or("?"),
                job["rows_done"],
                job["rows_total"]
            );
            last_progress = Instant::now();
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

fn summary_of(report: &Value) -> anyhow::Result<ImportSummary> {
    serde_json::from_value(report["summary"].clone())
        .with_context(|| format!("the import report has no valid `summary`: {report}"))
}

/// Registers each row with `POST /v1/npos` from 8 concurrent tasks.
async fn load_row_by_row(
    server: &Server,
    rows: &[NpoRow],
    officer_token: &str,
) -> anyhow::Result<()> {
    const TASKS: usize = 8;
    let bodies: Arc<Vec<Value>> = Arc::new(rows.iter().map(npo_input).collect());
    let next = Arc::new(AtomicU64::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..TASKS {
        let bodies = Arc::clone(&bodies);
        let next = Arc::clone(&next);
        let url = server.url("/v1/npos");
        let token = officer_token.to_owned();
        tasks.spawn(async move {
            let client = reqwest::Client::new();
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed) as usize;
                let Some(body) = bodies.get(index) else {
                    return anyhow::Ok(());
                };
                let response = client
                    .post(&url)
                    .bearer_auth(&token)
                    .json(body)
                    .send()
                    .await?;
                let status = response.status();
                if status != reqwest::StatusCode::CREATED {
                    let text = response.text().await.unwrap_or_default();
                    bail!(
                        "POST /v1/npos of row {} returned {status}: {text}",
                        index + 1
                    );
                }
                if (index + 1).is_multiple_of(10_000) {
                    eprintln!("  {} rows registered", index + 1);
                }
            }
        });
    }
    while let Some(joined) = tasks.join_next().await {
        joined.context("a loading task panicked")??;
    }
    Ok(())
}

/// Builds the body of `POST /v1/npos` for one generated row.
fn npo_input(row: &NpoRow) -> Value {
    json!({
        "bin": row.bin,
        "name_ru": row.name_ru,
        "name_kk": row.name_kk,
        "legal_form": row.legal_form,
        "status": row.status,
        "registered_on": row.registered_on.format("%Y-%m-%d").to_string(),
        "territories": row.kato,
        "spheres": row.spheres,
        "source": "registration_data",
    })
}
