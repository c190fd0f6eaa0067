//! Scenarios of the whole platform: event latency from a write to the aggregation
//! read models, annual report assembly, a mixed load of 32 clients across every
//! service, the memory of each process, and the start-up of `serve all`.
//!
//! The distributed scenarios run each service as its own release process on
//! PostgreSQL and RabbitMQ ([`topology`]); the start-up scenario runs the embedded
//! default, `serve all` on SQLite.

pub mod annual_report;
pub mod data;
pub mod events;
pub mod latency;
pub mod mixed;
pub mod startup;
pub mod topology;

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use reqwest::RequestBuilder;
use serde_json::Value;

use crate::report::Row;
use topology::Topology;

/// Options of the platform scenarios.
#[derive(Debug, Clone, Args)]
#[group(id = "platform-options")]
pub struct Options {
    /// RabbitMQ URL of the distributed scenarios.
    #[arg(long, default_value = "amqp://guest:guest@127.0.0.1:5672/%2f")]
    pub amqp_url: String,
    /// Writes per second of the event latency scenario.
    #[arg(long, default_value_t = 500)]
    pub write_rate: u32,
    /// Length of the event latency scenario, in seconds.
    #[arg(long, default_value_t = 20)]
    pub latency_secs: u64,
    /// Clients of the mixed load.
    #[arg(long, default_value_t = 32)]
    pub load_clients: usize,
    /// Length of the mixed load, in seconds.
    #[arg(long, default_value_t = 30)]
    pub load_secs: u64,
    /// NPOs in the registry when `serve all` restarts in the start-up scenario.
    #[arg(long, default_value_t = 10_000)]
    pub startup_npos: u64,
}

/// Runs the start-up scenario, then the distributed scenarios on one topology, and
/// returns their rows.
pub async fn run(
    options: &Options,
    postgres_url: &str,
    liaison: &Path,
) -> anyhow::Result<Vec<Row>> {
    let mut rows = Vec::new();
    eprintln!("== start-up and idle memory of serve all (SQLite)");
    rows.extend(startup::run(liaison, options.startup_npos).await?);

    eprintln!("== the distributed platform: five processes on PostgreSQL and RabbitMQ");
    let topology = Topology::start(liaison, postgres_url, &options.amqp_url).await?;
    let outcome = distributed(options, &topology).await;
    let stopped = topology.stop().await;
    rows.extend(outcome?);
    stopped.context("the distributed platform did not stop cleanly")?;
    Ok(rows)
}

async fn distributed(options: &Options, topology: &Topology) -> anyhow::Result<Vec<Row>> {
    let idle = mixed::idle_memory(topology)?;
    let client = client()?;
    let actors = Actors::register(topology, &client).await?;
    let mut rows = annual_report::run(topology, &client, &actors).await?;
    rows.extend(
        latency::run(
            topology,
            &client,
            &actors,
            options.write_rate,
            Duration::from_secs(options.latency_secs),
            &options.amqp_url,
        )
        .await?,
    );
    rows.extend(
        mixed::run(
            topology,
            &actors,
            options.load_clients,
            Duration::from_secs(options.load_secs),
            &idle,
        )
        .await?,
    );
    Ok(rows)
}

/// Returns the HTTP client of the scenarios. Idle connections close before the
/// services' 5-second keep-alive ends them, so no request goes out on a connection
/// that the server is closing.
pub fn client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .pool_idle_timeout(Duration::from_secs(2))
        .pool_max_idle_per_host(64)
        .build()?)
}

/// Sends `request` and returns its JSON body and ETag, failing unless the status is
/// `expected`. `what` names the request in the error.
pub async fn expect(
    request: RequestBuilder,
    expected: u16,
    what: &str,
) -> anyhow::Result<(Value, Option<String>)> {
    let response = request
        .send()
        .await
        .with_context(|| format!("{what}: no response"))?;
    let status = response.status();
    let etag = response
        .headers()
        .get(reqwest::header::ETAG)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let body = response.bytes().await.unwrap_or_default();
    if status.as_u16() != expected {
        bail!(
            "{what}: expected {expected}, got {status}: {}",
            String::from_utf8_lossy(&body)
        );
    }
    let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
    Ok((json, etag))
}

/// The callers every distributed scenario shares: the body in the register with its
/// officer, and an NPO that sends recommendations.
#[derive(Debug, Clone)]
pub struct Actors {
    /// Run number that makes this run's BINs unique.
    pub run: u32,
    pub ministry: String,
    pub officer: String,
    pub integrator: String,
    /// Token of the NPO [`Actors::npo_id`], for recommendations.
    pub npo: String,
    pub npo_id: String,
}

impl Actors {
    /// Registers the body and appoints its officer as the ministry, and registers the
    /// NPO of serial 0 as the officer.
    async fn register(topology: &Topology, client: &reqwest::Client) -> anyhow::Result<Self> {
        let tokens = &topology.tokens;
        expect(
            client
                .post(topology.url("aggregation", "/v1/government-bodies"))
                .bearer_auth(&tokens.ministry)
                .json(&data::body()),
            201,
            "the ministry registers the body",
        )
        .await?;
        let today = chrono::Utc::now().date_naive();
        let path = format!("/v1/government-bodies/{}/officer", topology::BODY);
        expect(
            client
                .post(topology.url("aggregation", &path))
                .bearer_auth(&tokens.ministry)
                .json(&data::appointment(today)),
            201,
            "the ministry appoints the officer",
        )
        .await?;
        let run = topology::nanos_now() % 100;
        let bin = data::bin(run, 0);
        let (npo, _) = expect(
            client
                .post(topology.url("registry", "/v1/npos"))
                .bearer_auth(&tokens.officer)
                .json(&data::npo(&bin, 0)),
            201,
            "the officer registers an NPO",
        )
        .await?;
        let npo_id = npo["id"]
            .as_str()
            .context("the registered NPO has no id")?
            .to_owned();
        let npo = topology.token(&["--role", "npo", "--bin", &bin, "--subject", "bench-npo"])?;
        Ok(Self {
            run,
            ministry: tokens.ministry.clone(),
            officer: tokens.officer.clone(),
            integrator: tokens.integrator.clone(),
            npo,
            npo_id,
        })
    }
}

/// Returns the value at `quantile` (0 to 1) of sorted `values` by the nearest-rank
/// method, or NaN when there are none.
pub fn percentile(sorted: &[f64], quantile: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (quantile * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Returns `values` in milliseconds, sorted.
pub fn sorted_ms(values: impl IntoIterator<Item = Duration>) -> Vec<f64> {
    let mut ms: Vec<f64> = values
        .into_iter()
        .map(|d| d.as_secs_f64() * 1000.0)
        .collect();
    ms.sort_by(f64::total_cmp);
    ms
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_uses_the_nearest_rank() {
        let values: Vec<f64> = (1..=100).map(f64::from).collect();

        assert_eq!(percentile(&values, 0.5), 50.0);
        assert_eq!(percentile(&values, 0.99), 99.0);
        assert_eq!(percentile(&values, 1.0), 100.0);
        assert_eq!(percentile(&values[..1], 0.99), 1.0);
        assert!(percentile(&[], 0.5).is_nan());
    }
}
