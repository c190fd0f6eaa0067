//! Targets of each scenario, and the result rows that compare a figure with its target.

use std::time::Duration;

use crate::ingest::{Ingestion, Method};
use crate::load::LoadResult;
use crate::report::{Row, Verdict};

/// Minimum ingestion rate, in rows per second.
const INGEST_MIN_ROWS_PER_SECOND: f64 = 20_000.0;
/// Maximum ingestion time as a multiple of the baseline's time.
const INGEST_MAX_BASELINE_FACTOR: f64 = 3.0;
/// Maximum 95th percentile latency of a search, in milliseconds.
const SEARCH_MAX_P95_MS: f64 = 20.0;
/// Minimum HTTP throughput as a fraction of the baseline's.
const MIN_THROUGHPUT_RATIO: f64 = 0.5;
/// Maximum peak resident set size of the server during ingestion, in MiB.
const MAX_PEAK_RSS_MIB: f64 = 200.0;
/// Minimum rate at which the outbox relay publishes rows with confirms, in events per
/// second.
const RELAY_MIN_EVENTS_PER_SECOND: f64 = 5_000.0;

/// An HTTP load run and the CPU that the registry and this program used meanwhile.
#[derive(Debug)]
pub struct HttpRun {
    pub load: LoadResult,
    /// Mean number of cores the registry kept busy, warm-up included.
    pub server_cores: f64,
    /// Mean number of cores this program, the load generator, kept busy.
    pub client_cores: f64,
}

impl HttpRun {
    fn cpu_note(&self) -> String {
        format!(
            "CPU cores: registry {:.2}, load generator {:.2}",
            self.server_cores, self.client_cores
        )
    }
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// Builds the ingestion row. A row-by-row load is shown but marked not measured.
pub fn ingestion_row(
    database: &'static str,
    ingestion: &Ingestion,
    rows: usize,
    baseline_name: &str,
    baseline_time: Duration,
) -> Row {
    let rate = ingestion.rows_per_second(rows);
    let factor = ingestion.elapsed.as_secs_f64() / baseline_time.as_secs_f64();
    let scenario = format!("ingestion, {rows} rows in one batch");
    let target = format!(
        "≥ {INGEST_MIN_ROWS_PER_SECOND:.0} rows/s and ≤ {INGEST_MAX_BASELINE_FACTOR}× baseline time"
    );
    let baseline = format!(
        "{baseline_name}: {:.2} s ({:.0} rows/s)",
        baseline_time.as_secs_f64(),
        rows as f64 / baseline_time.as_secs_f64()
    );
    match &ingestion.method {
        Method::BatchEndpoint { .. } => Row {
            scenario,
            database,
            figure: format!(
                "{rate:.0} rows/s ({:.2} s)",
                ingestion.elapsed.as_secs_f64()
            ),
            target,
            baseline,
            ratio: format!("{factor:.1}× baseline time"),
            verdict: Verdict::from_check(
                rate >= INGEST_MIN_ROWS_PER_SECOND && factor <= INGEST_MAX_BASELINE_FACTOR,
            ),
        },
        Method::RowByRow { reason } => Row {
            scenario,
            database,
            figure: format!("{reason}; loaded through POST /v1/npos instead at {rate:.0} rows/s"),
            target,
            baseline,
            ratio: "—".into(),
            verdict: Verdict::NotMeasured,
        },
    }
}

pub fn search_rows(
    clients: usize,
    database: &'static str,
    run: &HttpRun,
    baseline: &str,
    baseline_rate: f64,
) -> Vec<Row> {
    let search = &run.load;
    let scenario = format!("search, name fragment + region, {} clients", clients);
    let p95 = search.percentile_ms(0.95);
    let ratio = search.throughput() / baseline_rate;
    let empty_share = 100.0 * search.empty as f64 / search.requests().max(1) as f64;
    vec![
        Row {
            scenario: format!("{scenario}: latency"),
            database,
            figure: format!(
                "p50 {:.1} / p95 {p95:.1} / p99 {:.1} ms",
                search.percentile_ms(0.5),
                search.percentile_ms(0.99)
            ),
            target: format!("p95 ≤ {SEARCH_MAX_P95_MS:.0} ms"),
            baseline: "—".into(),
            ratio: "—".into(),
            verdict: Verdict::from_check(p95 <= SEARCH_MAX_P95_MS),
        },
        Row {
            scenario: format!("{scenario}: throughput"),
            database,
            figure: format!(
                "{:.0} req/s ({} requests, {empty_share:.0}% empty; {})",
                search.throughput(),
                search.requests(),
                run.cpu_note()
            ),
            target: format!("≥ {MIN_THROUGHPUT_RATIO}× baseline"),
            baseline: baseline.to_owned(),
            ratio: format!("{ratio:.2}"),
            verdict: Verdict::from_check(ratio >= MIN_THROUGHPUT_RATIO),
        },
    ]
}

pub fn by_id_row(
    clients: usize,
    database: &'static str,
    run: &HttpRun,
    baseline: &str,
    baseline_rate: f64,
) -> Row {
    let by_id = &run.load;
    let ratio = by_id.throughput() / baseline_rate;
    Row {
        scenario: format!("NPO by id, {} clients", clients),
        database,
        figure: format!(
            "{:.0} req/s (p95 {:.1} ms; {})",
            by_id.throughput(),
            by_id.percentile_ms(0.95),
            run.cpu_note()
        ),
        target: format!("≥ {MIN_THROUGHPUT_RATIO}× baseline"),
        baseline: baseline.to_owned(),
        ratio: format!("{ratio:.2}"),
        verdict: Verdict::from_check(ratio >= MIN_THROUGHPUT_RATIO),
    }
}

pub fn memory_row(database: &'static str, ingestion: &Ingestion) -> Row {
    let peak = mib(ingestion.peak_rss_kib);
    let figure = format!(
        "VmHWM {peak:.0} MiB (highest VmRSS sampled {:.0} MiB)",
        mib(ingestion.sampled_rss_kib)
    );
    let verdict = match ingestion.method {
        Method::BatchEndpoint { .. } => Verdict::from_check(peak <= MAX_PEAK_RSS_MIB),
        // The peak of a row-by-row load is no measure of a batch import.
        Method::RowByRow { .. } => Verdict::NotMeasured,
    };
    Row {
        scenario: "memory, peak RSS of the registry during ingestion".into(),
        database,
        figure,
        target: format!("≤ {MAX_PEAK_RSS_MIB:.0} MiB"),
        baseline: "—".into(),
        ratio: "—".into(),
        verdict,
    }
}

/// Builds the relay row: `events` outbox rows published by the relay in `relay`, and
/// the same messages published with lapin in batches of `batch` in `baseline`.
pub fn relay_row(
    events: usize,
    batch: usize,
    relay: Duration,
    baseline: Duration,
    mean_message_bytes: f64,
) -> Row {
    let rate = events as f64 / relay.as_secs_f64();
    let baseline_rate = events as f64 / baseline.as_secs_f64();
    Row {
        scenario: format!("relay throughput, {events} outbox rows with confirms"),
        database: "PostgreSQL + RabbitMQ",
        figure: format!(
            "{rate:.0} events/s ({:.2} s; messages of {mean_message_bytes:.0} bytes on average)",
            relay.as_secs_f64()
        ),
        target: format!("≥ {RELAY_MIN_EVENTS_PER_SECOND:.0} events/s"),
        baseline: format!("lapin, confirms per batch of {batch}: {baseline_rate:.0} events/s"),
        ratio: format!("{:.2}", rate / baseline_rate),
        verdict: Verdict::from_check(rate >= RELAY_MIN_EVENTS_PER_SECOND),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relay_row_meets_target() {
        let row = relay_row(
            20_000,
            100,
            Duration::from_secs(2),
            Duration::from_secs(1),
            1_234.4,
        );

        assert_eq!(
            row.scenario,
            "relay throughput, 20000 outbox rows with confirms"
        );
        assert_eq!(row.database, "PostgreSQL + RabbitMQ");
        assert_eq!(
            row.figure,
            "10000 events/s (2.00 s; messages of 1234 bytes on average)"
        );
        assert_eq!(row.target, "≥ 5000 events/s");
        assert_eq!(
            row.baseline,
            "lapin, confirms per batch of 100: 20000 events/s"
        );
        assert_eq!(row.ratio, "0.50");
        assert_eq!(row.verdict, Verdict::Met);
    }

    #[test]
    fn relay_row_below_target() {
        let row = relay_row(
            20_000,
            100,
            Duration::from_secs(5),
            Duration::from_secs(2),
            1_000.0,
        );

        assert!(row.figure.starts_with("4000 events/s"), "{}", row.figure);
        assert_eq!(row.verdict, Verdict::NotMet);
    }

    #[test]
    fn relay_row_at_target() {
        let row = relay_row(
            5_000,
            100,
            Duration::from_secs(1),
            Duration::from_secs(1),
            1_000.0,
        );

        assert_eq!(row.verdict, Verdict::Met);
    }
}
