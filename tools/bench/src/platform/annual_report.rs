//! Annual report assembly: the body's officer opens the report on the current year
//! once the read models hold 1,000 NPOs of the body's sphere and territory, 200
//! recommendations to the body and 50 of its joint actions under way; then the report
//! is read as JSON and as XLSX, each read assembling the tables anew.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::Datelike;
use diesel::prelude::*;
use diesel::sql_types::Text;
use futures_util::{StreamExt, stream};
use serde_json::json;

use super::topology::{BODY, Topology};
use super::{Actors, data, events, expect, percentile, sorted_ms};
use crate::report::{Row, Verdict};

/// NPOs of the body's sphere and territory.
pub const NPOS: u64 = 1_000;
/// Recommendations to the body.
pub const RECOMMENDATIONS: u64 = 200;
/// Joint actions of the body under way.
pub const ACTIONS: u64 = 50;

/// Timed reads of each format after two unmeasured ones.
const JSON_READS: usize = 30;
const XLSX_READS: usize = 10;
const WARM_UP_READS: usize = 2;

/// Requests in flight while the data is created.
const CONCURRENCY: usize = 8;

const JSON_TARGET_MS: f64 = 200.0;
const XLSX_TARGET_MS: f64 = 1_000.0;

/// Creates the data, opens the report and times its reads.
pub async fn run(
    topology: &Topology,
    client: &reqwest::Client,
    actors: &Actors,
) -> anyhow::Result<Vec<Row>> {
    eprintln!(
        "annual report: creating {NPOS} NPOs, {RECOMMENDATIONS} recommendations and {ACTIONS} joint actions…"
    );
    let since = chrono::Utc::now().naive_utc() - chrono::Duration::seconds(1);
    let summary = crate::ingest::import(
        client,
        &topology.urls["registry"],
        data::import_csv(actors.run, 1..=NPOS),
        &actors.integrator,
        Duration::from_secs(300),
    )
    .await?;
    if summary.created != NPOS {
        bail!("the import created {} NPOs, not {NPOS}", summary.created);
    }
    send_recommendations(topology, client, actors).await?;
    start_actions(topology, client, actors).await?;
    let delivered = events::wait_delivered(topology, since, Duration::from_secs(120)).await?;
    let pending = delivered.iter().filter(|d| d.applied_at.is_none()).count();
    if pending > 0 {
        bail!("{pending} events did not reach the read models within 120 s");
    }

    let year = chrono::Utc::now().year();
    let (report, _) = expect(
        client
            .post(topology.url("aggregation", "/v1/annual-reports"))
            .bearer_auth(&actors.officer)
            .json(&json!({ "year": year })),
        201,
        "the officer opens the annual report",
    )
    .await?;
    let id = report["id"].as_str().context("the report has no id")?;
    eprintln!("annual report {id} opened");

    let json_url = topology.url("aggregation", &format!("/v1/annual-reports/{id}"));
    let xlsx_url = topology.url(
        "aggregation",
        &format!("/v1/annual-reports/{id}/report.xlsx"),
    );
    let (json_times, json_bytes) =
        timed_reads(client, &json_url, &actors.officer, JSON_READS).await?;
    let (xlsx_times, xlsx_bytes) =
        timed_reads(client, &xlsx_url, &actors.officer, XLSX_READS).await?;
    let (baseline, rows) = tokio::task::block_in_place(|| baseline_reads(topology))?;
    // The report draws on these rows; fewer would make a fast report of less data.
    let expected = (NPOS + RECOMMENDATIONS + ACTIONS) as usize;
    if rows < expected {
        bail!("the read models hold {rows} rows for the report, fewer than the {expected} created");
    }

    Ok(vec![
        row("JSON", &json_times, json_bytes, JSON_TARGET_MS, &baseline),
        row("XLSX", &xlsx_times, xlsx_bytes, XLSX_TARGET_MS, &baseline),
    ])
}

async fn send_recommendations(
    topology: &Topology,
    client: &reqwest::Client,
    actors: &Actors,
) -> anyhow::Result<()> {
    let url = topology.url("recommendations", "/v1/recommendations");
    let results: Vec<anyhow::Result<()>> = stream::iter(0..RECOMMENDATIONS)
        .map(|serial| {
            let request = client
                .post(&url)
                .bearer_auth(&actors.npo)
                .json(&data::recommendation(serial));
            async move {
                expect(request, 201, "the NPO sends a recommendation").await?;
                Ok(())
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    results.into_iter().collect()
}

/// Drafts each joint action with the NPO as its party and one step, agrees it and
/// starts it: each start is a change of stage that reaches the read models.
async fn start_actions(
    topology: &Topology,
    client: &reqwest::Client,
    actors: &Actors,
) -> anyhow::Result<()> {
    let today = chrono::Utc::now().date_naive();
    let actors = Arc::new(actors.clone());
    let results: Vec<anyhow::Result<()>> = stream::iter(0..ACTIONS)
        .map(|serial| {
            let actors = Arc::clone(&actors);
            async move {
                let officer = &actors.officer;
                let (action, _) = expect(
                    client
                        .post(topology.url("joint-actions", "/v1/joint-actions"))
                        .bearer_auth(officer)
                        .json(&data::joint_action(serial)),
                    201,
                    "the officer drafts a joint action",
                )
                .await?;
                let id = action["id"]
                    .as_str()
                    .context("the joint action has no id")?;
                let path = format!("/v1/joint-actions/{id}");
                let party = json!({
                    "kind": "npo",
                    "npo_id": actors.npo_id,
                    "zone_of_responsibility": "Занятия в кружках",
                    "representative": "Жанар Ахметова",
                    "consent_on": today.to_string(),
                    "consent_document": "Письмо №12"
                });
                expect(
                    client
                        .post(topology.url("joint-actions", &format!("{path}/parties")))
                        .bearer_auth(officer)
                        .json(&party),
                    201,
                    "the officer adds the NPO as a party",
                )
                .await?;
                let step = json!({
                    "order": 1,
                    "title": "Набор участников",
                    "deadline": format!("{}-06-01", today.year() + 1),
                    "expected_result": "100 подростков"
                });
                expect(
                    client
                        .post(topology.url("joint-actions", &format!("{path}/steps")))
                        .bearer_auth(officer)
                        .json(&step),
                    201,
                    "the officer adds a step",
                )
                .await?;
                for status in ["agreed", "in_progress"] {
                    expect(
                        client
                            .post(topology.url("joint-actions", &format!("{path}/status")))
                            .bearer_auth(officer)
                            .header("If-Match", "*")
                            .json(&json!({ "status": status })),
                        200,
                        "the joint action moves on",
                    )
                    .await?;
                }
                Ok(())
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    results.into_iter().collect()
}

/// Reads `url` `count` times after [`WARM_UP_READS`] unmeasured reads, one at a
/// time, and returns the times and the size of the last body.
async fn timed_reads(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    count: usize,
) -> anyhow::Result<(Vec<Duration>, usize)> {
    let mut times = Vec::with_capacity(count);
    let mut size = 0;
    for round in 0..WARM_UP_READS + count {
        let started = Instant::now();
        let response = client
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .with_context(|| format!("GET {url} failed"))?;
        let status = response.status();
        let body = response.bytes().await?;
        let elapsed = started.elapsed();
        if !status.is_success() {
            bail!(
                "GET {url} returned {status}: {}",
                String::from_utf8_lossy(&body)
            );
        }
        size = body.len();
        if round >= WARM_UP_READS {
            times.push(elapsed);
        }
    }
    Ok((times, size))
}

#[derive(QueryableByName)]
struct StoredData {
    #[diesel(sql_type = Text)]
    data: String,
}

/// Reads the read-model rows that the report draws on in one statement, with no
/// decoding, [`JSON_READS`] times: the floor of any REST layer over this database.
/// Returns the times and the number of rows.
fn baseline_reads(topology: &Topology) -> anyhow::Result<(Vec<Duration>, usize)> {
    let mut conn = topology.connect("aggregation")?;
    let statement = "SELECT data FROM read_records \
         WHERE status NOT IN ('merged', 'withdrawn') AND (government_body = $1 \
         OR (kind = 'npo' AND id IN (SELECT id FROM read_record_tags \
         WHERE kind = 'npo' AND dimension = 'sphere' AND value IN ('youth', 'education'))))";
    let mut times = Vec::with_capacity(JSON_READS);
    let mut rows = 0;
    for round in 0..WARM_UP_READS + JSON_READS {
        let started = Instant::now();
        let found: Vec<StoredData> = diesel::sql_query(statement)
            .bind::<Text, _>(BODY)
            .load(&mut conn)
            .context("the baseline statement failed")?;
        let elapsed = started.elapsed();
        rows = found.iter().filter(|row| !row.data.is_empty()).count();
        if round >= WARM_UP_READS {
            times.push(elapsed);
        }
    }
    eprintln!("annual report baseline: {rows} read-model rows per read");
    Ok((times, rows))
}

fn row(
    format: &str,
    times: &[Duration],
    bytes: usize,
    target_ms: f64,
    baseline: &[Duration],
) -> Row {
    let sorted = sorted_ms(times.iter().copied());
    let base = sorted_ms(baseline.iter().copied());
    let p50 = percentile(&sorted, 0.5);
    let p95 = percentile(&sorted, 0.95);
    let base_p50 = percentile(&base, 0.5);
    Row {
        scenario: format!(
            "annual report assembly, {format}: {NPOS} NPOs, {RECOMMENDATIONS} recommendations, {ACTIONS} joint actions"
        ),
        database: "PostgreSQL + RabbitMQ",
        figure: format!(
            "p50 {p50:.1} / p95 {p95:.1} ms over {} reads ({} KiB)",
            sorted.len(),
            bytes / 1024
        ),
        target: format!("≤ {target_ms:.0} ms"),
        baseline: format!("SELECT of the rows it draws on: p50 {base_p50:.1} ms"),
        ratio: format!("{:.1}× baseline p50", p50 / base_p50),
        verdict: Verdict::from_check(p95 <= target_ms),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_judges_the_95th_percentile() {
        let times: Vec<Duration> = (1..=20).map(|ms| Duration::from_millis(ms * 10)).collect();
        let baseline = vec![Duration::from_millis(5); 20];

        let met = row("JSON", &times, 2048, 200.0, &baseline);
        let missed = row("JSON", &times, 2048, 150.0, &baseline);

        assert_eq!(met.verdict, Verdict::Met);
        assert_eq!(missed.verdict, Verdict::NotMet);
        assert!(
            met.figure.starts_with("p50 100.0 / p95 190.0 ms"),
            "{}",
            met.figure
        );
        assert_eq!(met.ratio, "20.0× baseline p50");
    }
}
