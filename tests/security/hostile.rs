//! Hostile strings in every query parameter and string path parameter of every GET
//! operation of the platform: SQL, long Cyrillic text, emoji, control characters,
//! right-to-left marks, NUL, long numbers and wildcards. Every response must be a 4xx
//! problem or a 2xx with a correct result, never a 5xx.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::task::JoinSet;

use crate::openapi::{Operation, operations};
use crate::platform::{Platform, Reply, Who, read};

/// Requests in flight at once.
const CONCURRENCY: usize = 8;

/// Name of the NPO the fixtures register; no hostile value matches it.
const FIXTURE_NAME: &str = "Общественный фонд «Контрольный»";

fn hostile_values() -> Vec<(&'static str, String)> {
    let kazakh = "Қазақстан Республикасының үкіметтік емес ұйымдары ";
    vec![
        ("SQL quote", "' OR '1'='1".into()),
        ("SQL statement", "1; DROP TABLE npos;--".into()),
        (
            "SQL union",
            "%' UNION SELECT id, name_ru FROM npos WHERE '%'='".into(),
        ),
        (
            "10,000 characters of Kazakh",
            kazakh.chars().cycle().take(10_000).collect(),
        ),
        ("emoji", "🇰🇿👨‍👩‍👧‍👦🏳️‍🌈😀".into()),
        ("control characters", "a\u{1}b\u{1b}[31mc".into()),
        ("right-to-left marks", "\u{202e}абв\u{200f}gh".into()),
        ("NUL", "a\u{0}b".into()),
        ("long number", "9".repeat(400)),
        ("number beyond i64", "-9223372036854775809".into()),
        ("float overflow", "1e309".into()),
        ("percent wildcard", "%".into()),
        ("underscore wildcard", "_".into()),
        ("backslash", "\\".into()),
        ("path climb", "../../etc/passwd".into()),
    ]
}

/// One request of the run, and what to check in its response.
struct Probe {
    label: String,
    request: reqwest::RequestBuilder,
    /// Whether a 2xx list must leave out the fixture, because the value filters names.
    filters_names: bool,
}

/// Builds the probes of one parameter of `op` with every hostile value.
fn probes_for(
    platform: &Platform,
    op: &Operation,
    parameter: &Value,
    callers: &[Who],
) -> Vec<Probe> {
    let name = parameter["name"].as_str().unwrap_or_default().to_owned();
    let location = parameter["in"].as_str().unwrap_or_default().to_owned();
    let mut probes = Vec::new();
    for (value_name, value) in hostile_values() {
        let path = op.path_with(|path_name, schema| {
            if location == "path" && path_name == name {
                value.clone()
            } else {
                op.sample(path_name, schema)
            }
        });
        let query: Vec<(String, String)> = op
            .parameters("query")
            .into_iter()
            .filter_map(|p| {
                let other = p["name"].as_str().unwrap_or_default();
                if location == "query" && other == name {
                    Some((other.to_owned(), value.clone()))
                } else if p["required"] == true {
                    Some((other.to_owned(), op.sample(other, &p["schema"])))
                } else {
                    None
                }
            })
            .collect();
        for who in callers {
            probes.push(Probe {
                label: format!(
                    "{} GET {} {location} {name} = {value_name}, as {}",
                    op.service,
                    op.path,
                    who.column()
                ),
                request: platform.request(*who, Method::GET, &path).query(&query),
                filters_names: location == "query" && name == "q",
            });
        }
    }
    probes
}

/// Returns why `reply` is wrong, if it is.
fn check(reply: &Reply, filters_names: bool, fixture_id: &str) -> Option<String> {
    let text: String = reply.text.chars().take(300).collect();
    if reply.status.is_server_error() {
        return Some(format!("{} {text}", reply.status));
    }
    if reply.status.is_client_error() {
        let problem = reply.content_type.as_deref() == Some("application/problem+json")
            && reply.body["status"] == reply.status.as_u16();
        return (!problem).then(|| format!("{} without a problem body: {text}", reply.status));
    }
    let json = reply
        .content_type
        .as_deref()
        .is_some_and(|t| t.starts_with("application/json"));
    if json && reply.body.is_null() {
        return Some(format!(
            "{} with a body that is not JSON: {text}",
            reply.status
        ));
    }
    if filters_names && reply.text.contains(fixture_id) {
        return Some(format!(
            "{} lists the fixture, which the value does not match",
            reply.status
        ));
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_strings_never_fail() {
    let mut platform = Platform::start(&[]).await;
    let fixture = platform
        .post(
            Who::OfficerA,
            "/v1/npos",
            &json!({
                "name_ru": FIXTURE_NAME,
                "legal_form": "public_foundation",
                "source": "npo_representatives"
            }),
        )
        .await
        .ok("the fixture NPO");
    let fixture_id = fixture["id"]
        .as_str()
        .expect("the NPO has an id")
        .to_owned();
    let operations = operations(&platform).await;

    let mut probes = Vec::new();
    for op in operations.iter().filter(|op| op.method == Method::GET) {
        let callers: &[Who] = if op.is_public() {
            &[Who::OfficerA, Who::Anonymous]
        } else {
            &[Who::OfficerA]
        };
        let parameters = op.parameters("query").into_iter().chain(
            op.parameters("path")
                .into_iter()
                .filter(|p| crate::openapi::type_of(op.resolve(&p["schema"])) == Some("string")),
        );
        for parameter in parameters {
            probes.extend(probes_for(&platform, op, parameter, callers));
        }
    }

    let sent = probes.len();
    let mut failures = Vec::new();
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    let mut probes = probes.into_iter();
    loop {
        let mut batch = JoinSet::new();
        for probe in probes.by_ref().take(CONCURRENCY) {
            batch.spawn(
                async move { (probe.label, probe.filters_names, read(probe.request).await) },
            );
        }
        if batch.is_empty() {
            break;
        }
        while let Some(joined) = batch.join_next().await {
            let (label, filters_names, reply) = joined.expect("a probe ran");
            *statuses.entry(reply.status.as_u16()).or_default() += 1;
            if let Some(reason) = check(&reply, filters_names, &fixture_id) {
                failures.push(format!("{label}: {reason}"));
            }
        }
    }
    println!("hostile strings: {sent} requests, by status {statuses:?}");

    assert!(sent > 1000, "only {sent} requests were built");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(platform.process.is_running(), "{}", platform.process.tail());
    let still = platform
        .get(Who::Anonymous, &format!("/v1/npos/{fixture_id}"))
        .await;
    assert_eq!(
        still.status,
        StatusCode::OK,
        "the fixture survived: {}",
        still.text
    );
}
