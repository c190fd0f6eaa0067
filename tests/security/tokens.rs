//! Hostile bearer tokens against an authenticated route of every service: each one
//! must get a 401 problem with a detail, and no key id may be followed to a file or
//! a URL.

use reqwest::{Method, StatusCode};
use service_kit::testing::tokens::HostileTokens;

use crate::platform::{Platform, Who, read};

/// One route of every service that reads the caller, and a caller it serves.
const ROUTES: &[(&str, &str, Who)] = &[
    ("registry", "/v1/collection-campaigns", Who::OfficerA),
    ("registry", "/v1/npos", Who::Anonymous),
    ("needs", "/v1/needs-assessment-schedule", Who::OfficerA),
    ("joint-actions", "/v1/joint-actions", Who::OfficerA),
    ("recommendations", "/v1/recommendations", Who::OfficerA),
    ("aggregation", "/v1/information-requests", Who::Ministry),
    ("notifier", "/v1/notifications", Who::Ministry),
    ("platform", "/v1/events/registry", Who::Ministry),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_tokens_rejected_everywhere() {
    let mut platform = Platform::start(&[]).await;
    let hostile = HostileTokens::new(&platform.development_key(), "liaison-dev", "liaison")
        .expect("the cases can be built");

    let mut failures = Vec::new();
    let mut sent = 0;
    for (service, path, who) in ROUTES {
        let control = platform.get(*who, path).await;
        sent += 1;
        if control.status == StatusCode::UNAUTHORIZED || control.status.is_server_error() {
            failures.push(format!(
                "{service} GET {path} as {}: {} {}",
                who.column(),
                control.status,
                control.text
            ));
        }
        for case in &hostile.cases {
            let request = platform
                .request(Who::Anonymous, Method::GET, path)
                .header("authorization", &case.authorization);
            let reply = read(request).await;
            sent += 1;
            let detail = reply.body["detail"].as_str().unwrap_or_default();
            let rejected = reply.status == StatusCode::UNAUTHORIZED
                && reply.content_type.as_deref() == Some("application/problem+json")
                && reply.body["status"] == 401
                && !detail.is_empty();
            if !rejected {
                let text: String = reply.text.chars().take(300).collect();
                failures.push(format!(
                    "{service} GET {path}, {}: {} {:?} {text}",
                    case.name, reply.status, reply.content_type
                ));
            }
        }
    }
    println!(
        "hostile tokens: {sent} requests, {} cases on {} routes",
        hostile.cases.len(),
        ROUTES.len()
    );

    assert!(
        failures.is_empty(),
        "{} answers were not a 401 problem:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        !hostile.kid_url_contacted(),
        "the platform connected to an address named in a token"
    );
    assert!(
        platform.process.is_running(),
        "the platform stopped:\n{}",
        platform.process.tail()
    );
}
