//! Mixed load: closed-loop clients, each choosing at random among registrations and
//! reads across every service, with the memory of each process sampled meanwhile.
//! The baseline is the same clients asking the registry's `/healthz`, the cheapest
//! route, for the HTTP floor of these processes on this machine.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use super::topology::{REGION, Topology};
use super::{Actors, data, percentile, sorted_ms};
use crate::generate::Rng;
use crate::ingest::MemorySampler;
use crate::load::{self, LoadPlan};
use crate::report::{Row, Verdict};
use crate::server::Memory;

/// Idle resident set size at most, per service process, in MiB.
const IDLE_SERVICE_MIB: f64 = 30.0;
/// Resident set size under the load at most, per service process, in MiB.
const LOADED_SERVICE_MIB: f64 = 150.0;

/// Serials of the load's registrations, above those of the other scenarios.
const FIRST_SERIAL: u64 = 1_000_000;

/// Reads every process's memory; called before any data is written.
pub fn idle_memory(topology: &Topology) -> anyhow::Result<BTreeMap<&'static str, Memory>> {
    // Give each process a moment to settle after its start.
    std::thread::sleep(Duration::from_secs(2));
    topology
        .processes()
        .map(|(service, process)| Ok((service, process.memory()?)))
        .collect()
}

/// One route of the mix.
struct Route {
    name: &'static str,
    service: &'static str,
    path: String,
    token: Option<String>,
}

/// Latencies and failures of one route.
#[derive(Debug, Default)]
struct Tally {
    times: Vec<Duration>,
    errors: usize,
    first_error: Option<String>,
}

/// Runs the load and the baseline, and returns a row per route, the total and one
/// memory row per service.
pub async fn run(
    topology: &Topology,
    actors: &Actors,
    clients: usize,
    duration: Duration,
    idle: &BTreeMap<&'static str, Memory>,
) -> anyhow::Result<Vec<Row>> {
    eprintln!(
        "mixed load: {clients} clients for {} s…",
        duration.as_secs()
    );
    let samplers: Vec<(&'static str, MemorySampler)> = topology
        .processes()
        .map(|(service, process)| (service, MemorySampler::start(process.pid())))
        .collect();
    let started = Instant::now();
    let tallies = drive(topology, actors, clients, duration).await?;
    let elapsed = started.elapsed();
    let loaded: HashMap<&'static str, u64> = samplers
        .into_iter()
        .map(|(service, sampler)| (service, sampler.finish()))
        .collect();
    if let Some((service, _)) = loaded.iter().find(|(_, peak)| **peak == 0) {
        bail!("the memory of {service} could not be read during the mixed load; did it exit?");
    }

    eprintln!("mixed load baseline: GET /healthz from {clients} clients…");
    let health = topology.url("registry", "/healthz");
    let baseline = load::http_get(
        LoadPlan {
            clients,
            warmup: Duration::from_secs(1),
            duration: Duration::from_secs(5),
            seed: 7,
        },
        Arc::new(move |_: &mut Rng| health.clone()),
        None,
        None,
    )
    .await
    .context("the /healthz baseline failed")?;

    let mut rows = route_rows(clients, duration, elapsed, &tallies, baseline.throughput());
    for (service, memory) in idle {
        let peak = loaded.get(service).copied().unwrap_or_default();
        rows.push(memory_row(service, memory.rss_kib, peak));
    }
    Ok(rows)
}

async fn drive(
    topology: &Topology,
    actors: &Actors,
    clients: usize,
    duration: Duration,
) -> anyhow::Result<BTreeMap<&'static str, Tally>> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .pool_idle_timeout(Duration::from_secs(2))
        .pool_max_idle_per_host(clients)
        .build()?;
    let known = Arc::new(Mutex::new(vec![actors.npo_id.clone()]));
    let serial = Arc::new(std::sync::atomic::AtomicU64::new(FIRST_SERIAL));
    let reads = Arc::new(reads(actors));
    let deadline = Instant::now() + duration;
    let mut tasks = tokio::task::JoinSet::new();
    for index in 0..clients {
        let client = client.clone();
        let known = Arc::clone(&known);
        let serial = Arc::clone(&serial);
        let reads = Arc::clone(&reads);
        let urls = topology.urls.clone();
        let actors = actors.clone();
        tasks.spawn(async move {
            let mut rng = Rng::new(index as u64 + 1);
            let mut tallies: BTreeMap<&'static str, Tally> = BTreeMap::new();
            while Instant::now() < deadline {
                let roll = rng.below(100);
                let started = Instant::now();
                let (name, outcome) = if roll < 20 {
                    let serial = serial.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let body = data::npo(&data::bin(actors.run, serial), serial);
                    let sent = client
                        .post(format!("{}/v1/npos", urls["registry"]))
                        .bearer_auth(&actors.officer)
                        .json(&body)
                        .send()
                        .await;
                    let outcome = match sent {
                        Ok(response) if response.status() == reqwest::StatusCode::CREATED => {
                            let card: serde_json::Value = response.json().await.unwrap_or_default();
                            if let Some(id) = card["id"].as_str() {
                                known.lock().expect("the id list").push(id.to_owned());
                            }
                            Ok(())
                        }
                        Ok(response) => Err(format!("{}", response.status())),
                        Err(error) => Err(error.to_string()),
                    };
                    ("POST /v1/npos", outcome)
                } else if roll < 50 {
                    let id = {
                        let known = known.lock().expect("the id list");
                        known[rng.below(known.len())].clone()
                    };
                    let url = format!("{}/v1/npos/{id}", urls["registry"]);
                    ("GET /v1/npos/{id}", get(&client, &url, None).await)
                } else {
                    let route = &reads[rng.below(reads.len())];
                    let url = format!("{}{}", urls[route.service], route.path);
                    (route.name, get(&client, &url, route.token.as_deref()).await)
                };
                let tally = tallies.entry(name).or_default();
                match outcome {
                    Ok(()) => tally.times.push(started.elapsed()),
                    Err(error) => {
                        tally.errors += 1;
                        tally.first_error.get_or_insert(error);
                    }
                }
            }
            tallies
        });
    }
    let mut merged: BTreeMap<&'static str, Tally> = BTreeMap::new();
    while let Some(joined) = tasks.join_next().await {
        for (name, tally) in joined.context("a load client panicked")? {
            let into = merged.entry(name).or_default();
            into.times.extend(tally.times);
            into.errors += tally.errors;
            if into.first_error.is_none() {
                into.first_error = tally.first_error;
            }
        }
    }
    Ok(merged)
}

/// Returns the read routes of the mix, each repeated by its weight.
fn reads(actors: &Actors) -> Vec<Route> {
    let search = "/v1/npos?q=%D0%96%D0%B0%D1%81%D1%82%D0%B0%D1%80&limit=20".to_owned();
    let children = format!("/v1/territories/{REGION}/children");
    let ministry = Some(actors.ministry.clone());
    let officer = Some(actors.officer.clone());
    #[rustfmt::skip]
    let weighted = [
        ("GET /v1/npos?q=", "registry", search, None, 15),
        ("GET /v1/territories/{code}/children", "registry", children, None, 8),
        ("GET /v1/government-bodies", "aggregation", "/v1/government-bodies".to_owned(), None, 12),
        ("GET /v1/analytics/npos", "aggregation", "/v1/analytics/npos".to_owned(), ministry, 2),
        ("GET /v1/needs-assessments", "needs", "/v1/needs-assessments".to_owned(), officer.clone(), 5),
        ("GET /v1/joint-actions", "joint-actions", "/v1/joint-actions".to_owned(), officer.clone(), 4),
        ("GET /v1/recommendations", "recommendations", "/v1/recommendations".to_owned(), officer, 4),
    ];
    weighted
        .into_iter()
        .flat_map(|(name, service, path, token, weight)| {
            (0..weight).map(move |_| Route {
                name,
                service,
                path: path.clone(),
                token: token.clone(),
            })
        })
        .collect()
}

async fn get(client: &reqwest::Client, url: &str, token: Option<&str>) -> Result<(), String> {
    let mut request = client.get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    match request.send().await {
        Ok(response) if response.status() == reqwest::StatusCode::OK => {
            drop(response.bytes().await);
            Ok(())
        }
        Ok(response) => Err(response.status().to_string()),
        Err(error) => Err(error.to_string()),
    }
}

fn route_rows(
    clients: usize,
    duration: Duration,
    elapsed: Duration,
    tallies: &BTreeMap<&'static str, Tally>,
    health_throughput: f64,
) -> Vec<Row> {
    let secs = elapsed.as_secs_f64();
    let scenario = |what: &str| {
        format!(
            "mixed load, {clients} clients for {} s: {what}",
            duration.as_secs()
        )
    };
    let mut rows = Vec::new();
    let mut total = 0;
    let mut errors = 0;
    let mut all = Vec::new();
    for (name, tally) in tallies {
        let sorted = sorted_ms(tally.times.iter().copied());
        total += sorted.len();
        errors += tally.errors;
        all.extend(sorted.iter().copied());
        let mut figure = format!(
            "{:.1} req/s, p50 {:.1} / p99 {:.1} ms, {} errors",
            sorted.len() as f64 / secs,
            percentile(&sorted, 0.5),
            percentile(&sorted, 0.99),
            tally.errors
        );
        if let Some(error) = &tally.first_error {
            figure.push_str(&format!(" (first: {error})"));
        }
        rows.push(Row {
            scenario: scenario(name),
            database: "PostgreSQL + RabbitMQ",
            figure,
            target: "0 errors".into(),
            baseline: "—".into(),
            ratio: "—".into(),
            verdict: Verdict::from_check(tally.errors == 0),
        });
    }
    all.sort_by(f64::total_cmp);
    let throughput = total as f64 / secs;
    rows.push(Row {
        scenario: scenario("all routes"),
        database: "PostgreSQL + RabbitMQ",
        figure: format!(
            "{throughput:.0} req/s, p50 {:.1} / p99 {:.1} ms, {errors} errors",
            percentile(&all, 0.5),
            percentile(&all, 0.99)
        ),
        target: "0 errors".into(),
        baseline: format!("GET /healthz, {clients} clients: {health_throughput:.0} req/s"),
        ratio: format!("{:.2}", throughput / health_throughput),
        verdict: Verdict::from_check(errors == 0 && total > 0),
    });
    rows
}

fn memory_row(service: &str, idle_kib: u64, loaded_kib: u64) -> Row {
    let mib = |kib: u64| kib as f64 / 1024.0;
    Row {
        scenario: format!("memory, liaison serve {service}"),
        database: "PostgreSQL + RabbitMQ",
        figure: format!(
            "idle {:.1} MiB, under the mixed load {:.1} MiB (highest VmRSS sampled)",
            mib(idle_kib),
            mib(loaded_kib)
        ),
        target: format!(
            "≤ {IDLE_SERVICE_MIB:.0} MiB idle, ≤ {LOADED_SERVICE_MIB:.0} MiB under load"
        ),
        baseline: "—".into(),
        ratio: "—".into(),
        verdict: Verdict::from_check(
            mib(idle_kib) <= IDLE_SERVICE_MIB && mib(loaded_kib) <= LOADED_SERVICE_MIB,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_error_fails_the_route_and_the_total() {
        let mut tallies = BTreeMap::new();
        tallies.insert(
            "GET /a",
            Tally {
                times: vec![Duration::from_millis(2); 10],
                errors: 0,
                first_error: None,
            },
        );
        tallies.insert(
            "GET /b",
            Tally {
                times: vec![Duration::from_millis(4); 10],
                errors: 1,
                first_error: Some("503 Service Unavailable".into()),
            },
        );

        let rows = route_rows(
            32,
            Duration::from_secs(10),
            Duration::from_secs(10),
            &tallies,
            40.0,
        );

        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].verdict, Verdict::Met);
        assert_eq!(rows[1].verdict, Verdict::NotMet);
        assert!(rows[1].figure.contains("first: 503"), "{}", rows[1].figure);
        assert_eq!(rows[2].verdict, Verdict::NotMet);
        assert_eq!(rows[2].ratio, "0.05");
    }

    #[test]
    fn memory_row_checks_both_limits() {
        assert_eq!(
            memory_row("needs", 20 * 1024, 100 * 1024).verdict,
            Verdict::Met
        );
        assert_eq!(
            memory_row("needs", 31 * 1024, 100 * 1024).verdict,
            Verdict::NotMet
        );
        assert_eq!(
            memory_row("needs", 20 * 1024, 151 * 1024).verdict,
            Verdict::NotMet
        );
    }
}
