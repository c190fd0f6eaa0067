//! Event latency: writes on the registry and the recommendations service at a fixed
//! rate, and the time from each event's `occurred_at` until the aggregation read
//! models applied it. The baseline sends messages of the same size through RabbitMQ alone at
//! the same rate: published with confirms to a quorum queue and consumed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures_util::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, ConfirmSelectOptions,
    QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{BasicProperties, Connection, ConnectionProperties};
use tokio::sync::Semaphore;

use super::topology::Topology;
use super::{Actors, data, events, percentile, sorted_ms};
use crate::report::{Row, Verdict};

/// Maximum writes in flight. A write due while this many are open waits, and the
/// achieved rate shows it.
const MAX_IN_FLIGHT: usize = 256;

/// Percent of the writes that are NPO registrations; the rest are recommendations.
const REGISTRATIONS_PERCENT: u64 = 70;

/// Size of a baseline message, close to that of an NPO registration event.
const MESSAGE_BYTES: usize = 1_200;

const TARGET_P99_MS: f64 = 100.0;

/// Share of the scheduled write rate that the run must achieve for its latency to be
/// a measurement at that rate.
const MIN_RATE_SHARE: f64 = 0.95;

/// How long the read models may take to catch up after the writes stop.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(120);

/// Outcome of the writes.
#[derive(Debug, Default)]
struct Writes {
    failed: u64,
    first_failure: Option<String>,
    times: Vec<Duration>,
    elapsed: Duration,
}

/// Runs the writes, waits for the read models, runs the baseline and returns the row.
pub async fn run(
    topology: &Topology,
    client: &reqwest::Client,
    actors: &Actors,
    rate: u32,
    duration: Duration,
    amqp_url: &str,
) -> anyhow::Result<Vec<Row>> {
    if rate == 0 {
        bail!("--write-rate must be positive");
    }
    eprintln!(
        "event latency: {rate} writes/s for {} s…",
        duration.as_secs()
    );
    let since = chrono::Utc::now().naive_utc();
    let writes = write_at_rate(topology, client, actors, rate, duration).await;
    let delivered = events::wait_delivered(topology, since, DRAIN_TIMEOUT).await?;
    let lost = delivered.iter().filter(|d| d.applied_at.is_none()).count();
    let latencies = sorted_ms(delivered.iter().filter_map(events::Delivery::latency));

    eprintln!("event latency baseline: RabbitMQ alone at {rate} messages/s…");
    let baseline = broker_round_trips(amqp_url, rate, duration.min(Duration::from_secs(10)))
        .await
        .context("the RabbitMQ baseline failed")?;
    let baseline = sorted_ms(baseline);

    Ok(vec![row(
        rate, duration, &writes, &latencies, lost, &baseline,
    )])
}

/// Sends writes on a fixed schedule of `rate` per second for `duration`, without
/// waiting for earlier ones, up to [`MAX_IN_FLIGHT`] at a time.
async fn write_at_rate(
    topology: &Topology,
    client: &reqwest::Client,
    actors: &Actors,
    rate: u32,
    duration: Duration,
) -> Writes {
    let interval = Duration::from_secs_f64(1.0 / f64::from(rate));
    let total = (duration.as_secs_f64() * f64::from(rate)) as u64;
    let limit = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    let registry = topology.url("registry", "/v1/npos");
    let recommendations = topology.url("recommendations", "/v1/recommendations");
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    // Serials above those of the annual report's import.
    let first_serial = 100_000;
    for index in 0..total {
        tokio::time::sleep_until((started + interval.mul_f64(index as f64)).into()).await;
        let Ok(permit) = Arc::clone(&limit).acquire_owned().await else {
            break;
        };
        let serial = first_serial + index;
        // A write held back by the in-flight limit is late, and its time shows it.
        let scheduled = started + interval.mul_f64(index as f64);
        let request = if index % 100 < REGISTRATIONS_PERCENT {
            client
                .post(&registry)
                .bearer_auth(&actors.officer)
                .json(&data::npo(&data::bin(actors.run, serial), serial))
        } else {
            client
                .post(&recommendations)
                .bearer_auth(&actors.npo)
                .json(&data::recommendation(serial))
        };
        tasks.spawn(async move {
            let sent = scheduled;
            let outcome = match request.send().await {
                Ok(response) if response.status() == reqwest::StatusCode::CREATED => {
                    drop(response.bytes().await);
                    Ok(sent.elapsed())
                }
                Ok(response) => {
                    let status = response.status();
                    let body = response.text().await.unwrap_or_default();
                    Err(format!("{status}: {body}"))
                }
                Err(error) => Err(error.to_string()),
            };
            drop(permit);
            outcome
        });
    }
    let mut writes = Writes::default();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(Ok(time)) => writes.times.push(time),
            Ok(Err(reason)) => {
                writes.first_failure.get_or_insert(reason);
            }
            Err(error) => {
                writes.first_failure.get_or_insert(error.to_string());
            }
        }
    }
    writes.elapsed = started.elapsed();
    writes.failed = total - writes.times.len() as u64;
    writes
}

/// Publishes persistent messages at `rate` per second for `duration` to a fresh
/// quorum queue on a confirm channel, consumes them on a second connection, and
/// returns the time from each publish to its delivery.
async fn broker_round_trips(
    amqp_url: &str,
    rate: u32,
    duration: Duration,
) -> anyhow::Result<Vec<Duration>> {
    let queue = format!("bench.latency.{:08x}", super::topology::nanos_now());
    let publisher = Connection::connect(amqp_url, ConnectionProperties::default()).await?;
    let consumer = Connection::connect(amqp_url, ConnectionProperties::default()).await?;
    let channel = publisher.create_channel().await?;
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await?;
    let mut arguments = FieldTable::default();
    arguments.insert(
        "x-queue-type".into(),
        AMQPValue::LongString("quorum".into()),
    );
    channel
        .queue_declare(
            queue.as_str().into(),
            QueueDeclareOptions {
                durable: true,
                ..QueueDeclareOptions::default()
            },
            arguments,
        )
        .await?;
    let measured = publish_and_consume(&channel, &consumer, &queue, rate, duration).await;
    // The queue is durable, so it is deleted whether or not the measurement worked.
    let deleted = channel
        .queue_delete(queue.as_str().into(), QueueDeleteOptions::default())
        .await;
    drop(publisher.close(200, "benchmark finished".into()).await);
    drop(consumer.close(200, "benchmark finished".into()).await);
    let times = measured?;
    deleted.with_context(|| format!("the baseline queue {queue} was not deleted"))?;
    Ok(times)
}

/// Publishes at `rate` per second for `duration` on `channel` to `queue`, consuming
/// on a channel of `consumer`, and returns each message's time from publish to
/// delivery.
async fn publish_and_consume(
    channel: &lapin::Channel,
    consumer: &Connection,
    queue: &str,
    rate: u32,
    duration: Duration,
) -> anyhow::Result<Vec<Duration>> {
    let receiving = consumer.create_channel().await?;
    let mut deliveries = receiving
        .basic_consume(
            queue.into(),
            "bench-latency".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await?;

    let origin = Instant::now();
    let total = (duration.as_secs_f64() * f64::from(rate)) as u64;
    let receiver = tokio::spawn(async move {
        let mut times = Vec::with_capacity(total as usize);
        while (times.len() as u64) < total {
            let next = tokio::time::timeout(Duration::from_secs(30), deliveries.next()).await;
            let Ok(Some(Ok(delivery))) = next else {
                break;
            };
            let arrived = origin.elapsed();
            let sent_nanos = delivery
                .data
                .get(..8)
                .and_then(|bytes| bytes.try_into().ok())
                .map_or(0, u64::from_be_bytes);
            times.push(arrived.saturating_sub(Duration::from_nanos(sent_nanos)));
            delivery.ack(BasicAckOptions::default()).await?;
        }
        anyhow::Ok(times)
    });

    let interval = Duration::from_secs_f64(1.0 / f64::from(rate));
    let mut confirms = tokio::task::JoinSet::new();
    for index in 0..total {
        tokio::time::sleep_until((origin + interval.mul_f64(index as f64)).into()).await;
        let mut body = vec![b' '; MESSAGE_BYTES];
        let sent = origin.elapsed().as_nanos() as u64;
        body[..8].copy_from_slice(&sent.to_be_bytes());
        let confirm = channel
            .basic_publish(
                "".into(),
                queue.into(),
                BasicPublishOptions::default(),
                &body,
                BasicProperties::default().with_delivery_mode(2),
            )
            .await?;
        confirms.spawn(confirm);
    }
    while let Some(confirmed) = confirms.join_next().await {
        if confirmed??.is_nack() {
            bail!("RabbitMQ rejected a baseline message");
        }
    }
    let times = receiver.await??;
    if (times.len() as u64) < total {
        bail!("only {} of {total} messages arrived", times.len());
    }
    Ok(times)
}

fn row(
    rate: u32,
    duration: Duration,
    writes: &Writes,
    latencies: &[f64],
    lost: usize,
    baseline: &[f64],
) -> Row {
    let p99 = percentile(latencies, 0.99);
    let base_p99 = percentile(baseline, 0.99);
    let write_times = sorted_ms(writes.times.iter().copied());
    let achieved = writes.times.len() as f64 / writes.elapsed.as_secs_f64();
    let rate_kept = achieved >= MIN_RATE_SHARE * f64::from(rate);
    // Every accepted write emits at least one event that the read models consume.
    let all_counted = latencies.len() >= writes.times.len();
    let mut figure = format!(
        "p50 {:.1} / p95 {:.1} / p99 {p99:.1} ms over {} events, {lost} lost; writes: {achieved:.0}/s achieved, p99 {:.1} ms, {} failed",
        percentile(latencies, 0.5),
        percentile(latencies, 0.95),
        latencies.len(),
        percentile(&write_times, 0.99),
        writes.failed,
    );
    if let Some(reason) = &writes.first_failure {
        figure.push_str(&format!(
            " (first: {})",
            reason.chars().take(120).collect::<String>()
        ));
    }
    Row {
        scenario: format!(
            "event latency, write to read model, {rate} writes/s for {} s",
            duration.as_secs()
        ),
        database: "PostgreSQL + RabbitMQ",
        figure,
        target: format!(
            "p99 ≤ {TARGET_P99_MS:.0} ms, nothing lost, ≥ {:.0} writes/s achieved",
            MIN_RATE_SHARE * f64::from(rate)
        ),
        baseline: format!(
            "RabbitMQ alone, publish with confirm to consume, {} messages: p99 {base_p99:.1} ms",
            baseline.len()
        ),
        ratio: format!("{:.1}× baseline p99", p99 / base_p99),
        verdict: Verdict::from_check(
            p99 <= TARGET_P99_MS
                && lost == 0
                && writes.failed == 0
                && rate_kept
                && all_counted
                && !latencies.is_empty(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn writes(failed: u64) -> Writes {
        Writes {
            failed,
            first_failure: None,
            times: vec![Duration::from_millis(4); 100],
            elapsed: Duration::from_secs(1),
        }
    }

    #[test]
    fn row_requires_nothing_lost_and_no_failed_write() {
        let latencies: Vec<f64> = (1..=100).map(f64::from).collect();
        let baseline = vec![2.0; 100];
        let duration = Duration::from_secs(1);

        let met = row(100, duration, &writes(0), &latencies, 0, &baseline);
        let lost = row(100, duration, &writes(0), &latencies, 1, &baseline);
        let failed = row(100, duration, &writes(1), &latencies, 0, &baseline);
        let slow = row(100, duration, &writes(0), &[150.0], 0, &baseline);
        let behind = row(200, duration, &writes(0), &latencies, 0, &baseline);
        let uncounted = row(100, duration, &writes(0), &latencies[..99], 0, &baseline);

        assert_eq!(met.verdict, Verdict::Met);
        assert_eq!(lost.verdict, Verdict::NotMet);
        assert_eq!(failed.verdict, Verdict::NotMet);
        assert_eq!(slow.verdict, Verdict::NotMet);
        assert_eq!(behind.verdict, Verdict::NotMet);
        assert_eq!(uncounted.verdict, Verdict::NotMet);
        assert_eq!(met.ratio, "49.5× baseline p99");
    }
}
