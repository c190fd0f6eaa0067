//! Closed-loop load: a fixed number of clients, each sending its next request as soon
//! as the response to the previous one arrives, for a warm-up and then a measured interval.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::generate::Rng;

/// Clients, warm-up and measured interval of one load run.
#[derive(Debug, Clone, Copy)]
pub struct LoadPlan {
    pub clients: usize,
    pub warmup: Duration,
    pub duration: Duration,
    pub seed: u64,
}

/// Latencies and counts of the requests started inside the measured interval.
#[derive(Debug, Clone, Default)]
pub struct LoadResult {
    /// Latency of each successful request, sorted.
    latencies: Vec<Duration>,
    /// Successful requests whose result was empty (a search that found nothing).
    pub empty: usize,
    pub measured: Duration,
}

impl LoadResult {
    fn merge(parts: Vec<ClientTally>, measured: Duration) -> Self {
        let mut latencies: Vec<Duration> = Vec::new();
        let mut empty = 0;
        for part in parts {
            latencies.extend(part.latencies);
            empty += part.empty;
        }
        latencies.sort_unstable();
        Self {
            latencies,
            empty,
            measured,
        }
    }

    pub fn requests(&self) -> usize {
        self.latencies.len()
    }

    /// Returns completed requests per second of the measured interval.
    pub fn throughput(&self) -> f64 {
        self.requests() as f64 / self.measured.as_secs_f64()
    }

    /// Returns the latency at `quantile` (0 to 1) in milliseconds, by the nearest-rank
    /// method.
    pub fn percentile_ms(&self, quantile: f64) -> f64 {
        if self.latencies.is_empty() {
            return f64::NAN;
        }
        let rank = (quantile * self.latencies.len() as f64).ceil() as usize;
        let index = rank.clamp(1, self.latencies.len()) - 1;
        self.latencies[index].as_secs_f64() * 1000.0
    }
}

/// Latencies and counts recorded by one client.
#[derive(Debug, Default)]
struct ClientTally {
    latencies: Vec<Duration>,
    empty: usize,
}

/// Sends HTTP GET requests from `plan.clients` tokio tasks, each with its own
/// keep-alive connection, to the URLs that `next_url` picks, with `token` as the
/// bearer token when given. Any response other than 200 fails the run, because a
/// figure that counts errors is not a measurement.
///
/// `empty_marker` is a byte string whose presence in a body marks an empty result.
pub async fn http_get(
    plan: LoadPlan,
    next_url: Arc<dyn Fn(&mut Rng) -> String + Send + Sync>,
    token: Option<&str>,
    empty_marker: Option<&'static [u8]>,
) -> anyhow::Result<LoadResult> {
    let start = Instant::now() + Duration::from_millis(100);
    let measure_from = start + plan.warmup;
    let measure_until = measure_from + plan.duration;
    let mut tasks = tokio::task::JoinSet::new();
    for client_index in 0..plan.clients {
        let next_url = Arc::clone(&next_url);
        let token = token.map(str::to_owned);
        let mut rng = Rng::new(plan.seed ^ (client_index as u64 + 1).wrapping_mul(0x9E37));
        tasks.spawn(async move {
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .timeout(Duration::from_secs(30))
                .build()?;
            let mut tally = ClientTally::default();
            tokio::time::sleep_until(start.into()).await;
            loop {
                let sent = Instant::now();
                if sent >= measure_until {
                    break;
                }
                let url = next_url(&mut rng);
                let mut request = client.get(&url);
                if let Some(token) = &token {
                    request = request.bearer_auth(token);
                }
                let response = request
                    .send()
                    .await
                    .with_context(|| format!("GET {url} failed"))?;
                let status = response.status();
                let body = response
                    .bytes()
                    .await
                    .with_context(|| format!("reading the response body of GET {url} failed"))?;
                if status != reqwest::StatusCode::OK {
                    bail!(
                        "GET {url} returned {status}: {}",
                        String::from_utf8_lossy(&body)
                    );
                }
                if sent >= measure_from {
                    tally.latencies.push(sent.elapsed());
                    if empty_marker.is_some_and(|marker| contains(&body, marker)) {
                        tally.empty += 1;
                    }
                }
            }
            anyhow::Ok(tally)
        });
    }
    let mut parts = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        parts.push(joined.context("a load client panicked")??);
    }
    Ok(LoadResult::merge(parts, plan.duration))
}

/// Runs `work` from `plan.clients` OS threads, each with the state `setup` made for
/// it (such as its own database connection). `work` returns whether its result was
/// empty.
pub fn threads<S, Setup, Work>(
    plan: LoadPlan,
    setup: Setup,
    work: Work,
) -> anyhow::Result<LoadResult>
where
    S: Send + 'static,
    Setup: Fn() -> anyhow::Result<S>,
    Work: Fn(&mut S, &mut Rng) -> anyhow::Result<bool> + Send + Sync + 'static,
{
    let work = Arc::new(work);
    let mut states = Vec::new();
    for _ in 0..plan.clients {
        states.push(setup()?);
    }
    let start = Instant::now() + Duration::from_millis(100);
    let measure_from = start + plan.warmup;
    let measure_until = measure_from + plan.duration;
    let handles: Vec<_> = states
        .into_iter()
        .enumerate()
        .map(|(client_index, mut state)| {
            let work = Arc::clone(&work);
            let mut rng = Rng::new(plan.seed ^ (client_index as u64 + 1).wrapping_mul(0x9E37));
            std::thread::spawn(move || -> anyhow::Result<ClientTally> {
                let mut tally = ClientTally::default();
                std::thread::sleep(start.saturating_duration_since(Instant::now()));
                loop {
                    let sent = Instant::now();
                    if sent >= measure_until {
                        break;
                    }
                    let empty = work(&mut state, &mut rng)?;
                    if sent >= measure_from {
                        tally.latencies.push(sent.elapsed());
                        if empty {
                            tally.empty += 1;
                        }
                    }
                }
                Ok(tally)
            })
        })
        .collect();
    let mut parts = Vec::new();
    for handle in handles {
        let tally = handle
            .join()
            .map_err(|_| anyhow::anyhow!("a load thread panicked"))??;
        parts.push(tally);
    }
    Ok(LoadResult::merge(parts, plan.duration))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(millis: &[u64]) -> LoadResult {
        LoadResult::merge(
            vec![ClientTally {
                latencies: millis.iter().map(|&ms| Duration::from_millis(ms)).collect(),
                empty: 0,
            }],
            Duration::from_secs(2),
        )
    }

    #[test]
    fn percentile_nearest_rank() {
        let load = result(&[5, 1, 4, 2, 3, 10, 9, 8, 7, 6]);

        assert_eq!(load.percentile_ms(0.5), 5.0);
        assert_eq!(load.percentile_ms(0.95), 10.0);
        assert_eq!(load.percentile_ms(0.0), 1.0);
    }

    #[test]
    fn throughput_per_second() {
        assert_eq!(result(&[1, 1, 1, 1]).throughput(), 2.0);
    }

    #[test]
    fn contains_finds_marker() {
        assert!(contains(br#"{"items":[],"next":null}"#, br#""items":[]"#));
        assert!(!contains(br#"{"items":[{}]}"#, br#""items":[]"#));
    }
}
