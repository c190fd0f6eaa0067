//! The per-caller rate limit with a low limit set through the settings.

use std::time::Duration;

use reqwest::{Method, StatusCode};

use crate::platform::{Platform, Reply, Who, read};

/// Sustained requests per second of the platform under test.
const RATE: &str = "1";
/// Burst of the platform under test.
const BURST: usize = 3;

const ROUTE: &str = "/v1/joint-actions";

/// Reads the `Retry-After` of a reply as whole seconds.
async fn retry_after(platform: &Platform, who: Who) -> (Reply, Option<u64>) {
    let response = platform
        .request(who, Method::GET, ROUTE)
        .send()
        .await
        .expect("the platform responds");
    let seconds = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let text = response.text().await.expect("a body");
    let reply = Reply {
        status,
        content_type,
        etag: None,
        body: serde_json::from_str(&text).unwrap_or_default(),
        text,
    };
    (reply, seconds)
}

fn warnings_about(platform: &Platform, actor: &str) -> usize {
    platform
        .process
        .log()
        .lines
        .iter()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|entry| entry["level"] == "WARN" && entry["actor"] == actor)
        .filter(|entry| {
            entry["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("rate limit exceeded"))
        })
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn burst_limited_per_caller() {
    let platform = Platform::start(&[
        ("LIAISON_RATE_LIMIT", RATE),
        ("LIAISON_RATE_BURST", &BURST.to_string()),
    ])
    .await;

    for attempt in 0..BURST {
        let reply = platform.get(Who::OfficerA, ROUTE).await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "request {attempt} of the burst"
        );
    }
    let (limited, seconds) = retry_after(&platform, Who::OfficerA).await;
    // More rejections within the minute, which log no further warning. A slow machine
    // may refill a token meanwhile, so the test counts the 429s it got.
    let mut rejected = usize::from(limited.status == StatusCode::TOO_MANY_REQUESTS);
    for _ in 0..3 {
        let again = platform.get(Who::OfficerA, ROUTE).await;
        rejected += usize::from(again.status == StatusCode::TOO_MANY_REQUESTS);
    }
    let other = platform.get(Who::OfficerB, ROUTE).await;
    let anonymous = platform.get(Who::Anonymous, "/v1/npos").await;
    let health: Vec<StatusCode> = {
        let mut statuses = Vec::new();
        for _ in 0..10 {
            statuses.push(platform.get(Who::OfficerA, "/healthz").await.status);
        }
        statuses
    };

    assert_eq!(
        limited.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        limited.text
    );
    assert_eq!(
        limited.content_type.as_deref(),
        Some("application/problem+json")
    );
    assert_eq!(limited.body["status"], 429);
    assert!(
        limited.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("retry after")),
        "{}",
        limited.text
    );
    let seconds = seconds.expect("Retry-After is a whole number of seconds");
    assert!(seconds >= 1, "Retry-After {seconds}");
    assert_eq!(
        other.status,
        StatusCode::OK,
        "officer B has a bucket of their own"
    );
    assert_eq!(
        anonymous.status,
        StatusCode::OK,
        "an anonymous caller is not officer A"
    );
    assert!(
        health.iter().all(|s| *s == StatusCode::OK),
        "health checks are never limited: {health:?}"
    );

    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let served = platform.get(Who::OfficerA, ROUTE).await;
    assert_eq!(served.status, StatusCode::OK, "served after Retry-After");

    let metrics = platform.get(Who::Anonymous, "/metrics").await;
    let counted = format!("http_requests_rate_limited_total{{caller=\"officer\"}} {rejected}");
    assert!(
        metrics.text.lines().any(|line| line == counted),
        "no line {counted}:\n{}",
        metrics.text
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        warnings_about(&platform, "officer-a"),
        1,
        "{}",
        platform.process.tail()
    );
    let token = platform
        .token(Who::OfficerA)
        .expect("officer A has a token");
    assert!(
        !platform.process.tail().contains(token),
        "a token was logged"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_tokens_share_address_bucket() {
    let platform = Platform::start(&[
        ("LIAISON_RATE_LIMIT", RATE),
        ("LIAISON_RATE_BURST", &BURST.to_string()),
    ])
    .await;

    let mut statuses = Vec::new();
    for index in 0..=BURST {
        // Every token differs, so a bucket per token string would never run dry.
        let request = platform
            .request(Who::Anonymous, Method::GET, ROUTE)
            .bearer_auth(format!("invented.token.{index}"));
        statuses.push(read(request).await.status);
    }
    let anonymous = platform.get(Who::Anonymous, "/v1/npos").await;
    let officer = platform.get(Who::OfficerA, ROUTE).await;

    assert_eq!(
        statuses[..BURST],
        vec![StatusCode::UNAUTHORIZED; BURST],
        "the burst of invalid tokens"
    );
    assert_eq!(statuses[BURST], StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        anonymous.status,
        StatusCode::TOO_MANY_REQUESTS,
        "anonymous requests from the same address share the bucket"
    );
    assert_eq!(
        officer.status,
        StatusCode::OK,
        "a valid token has its own bucket"
    );
}
