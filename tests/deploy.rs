//! Checks that the deployment files declare what the services do. The RabbitMQ
//! definitions that the broker loads at boot must declare every consumer's quorum
//! queue, dead-letter queue and bindings as the consumers declare them at start, and
//! the copy that Kustomize reads must equal the original. The alert rules must name
//! only metrics that the services export.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

const EXCHANGE: &str = "liaison.events";

fn read_json(relative: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// Returns the consumers of every service with their bindings, from the services'
/// definitions, by starting them all in one process on SQLite.
async fn consumers() -> Vec<(String, BTreeSet<String>)> {
    let data = tempfile::tempdir().expect("a temporary folder");
    let data_dir = data.path().display().to_string();
    let settings = service_kit::Settings::from_lookup(|name| match name {
        "LIAISON_DATA_DIR" => Some(data_dir.clone()),
        "LIAISON_LISTEN" => Some("127.0.0.1:0".into()),
        _ => None,
    })
    .expect("valid settings");
    let services = [
        registry::SERVICE,
        needs::SERVICE,
        joint_actions::SERVICE,
        recommendations::SERVICE,
        aggregation::SERVICE,
        notifier::SERVICE,
    ];
    let running = service_kit::app::start(settings, &services, false)
        .await
        .expect("serve all starts on SQLite");
    let mut found = Vec::new();
    for (service, context) in services.iter().zip(&running.contexts) {
        for consumer in (service.consumers)(context) {
            found.push((consumer.name, consumer.bindings.into_iter().collect()));
        }
    }
    running.stop().await;
    found
}

fn named<'a>(list: &'a Value, key: &str, name: &str) -> Option<&'a Value> {
    list[key]
        .as_array()
        .and_then(|items| items.iter().find(|item| item["name"] == name))
}

/// Returns the routing keys that bind `source` to the queue `destination`.
fn bindings(definitions: &Value, source: &str, destination: &str) -> BTreeSet<String> {
    definitions["bindings"]
        .as_array()
        .expect("a list of bindings")
        .iter()
        .filter(|b| b["source"] == source && b["destination"] == destination)
        .map(|b| b["routing_key"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn definitions_match_consumers() {
    let definitions = read_json("deploy/rabbitmq/definitions.json");
    let dead_letter_exchange = format!("{EXCHANGE}.dead-letter");
    let consumers = consumers().await;

    let exchange = named(&definitions, "exchanges", EXCHANGE).expect("the event exchange");
    assert_eq!(exchange["type"], "topic");
    assert_eq!(exchange["durable"], true);
    let dead = named(&definitions, "exchanges", &dead_letter_exchange).expect("the DLX");
    assert_eq!(dead["type"], "direct");
    assert_eq!(dead["durable"], true);
    assert!(
        consumers.len() >= 2,
        "the services define consumers: {consumers:?}"
    );

    let mut declared_queues = BTreeSet::new();
    for (consumer, expected_bindings) in &consumers {
        let queue = service_kit::bus::queue_name(EXCHANGE, consumer);
        let dead_queue = format!("{queue}.dead-letter");
        let declared = named(&definitions, "queues", &queue)
            .unwrap_or_else(|| panic!("definitions.json declares no queue {queue}"));
        let arguments = &declared["arguments"];
        assert_eq!(declared["durable"], true, "{queue}");
        assert_eq!(arguments["x-queue-type"], "quorum", "{queue}");
        assert_eq!(
            arguments["x-dead-letter-exchange"],
            dead_letter_exchange.as_str(),
            "{queue}"
        );
        assert_eq!(
            arguments["x-dead-letter-routing-key"],
            queue.as_str(),
            "{queue}"
        );
        let declared_dead = named(&definitions, "queues", &dead_queue)
            .unwrap_or_else(|| panic!("definitions.json declares no queue {dead_queue}"));
        assert_eq!(declared_dead["arguments"]["x-queue-type"], "quorum");
        assert_eq!(
            &bindings(&definitions, EXCHANGE, &queue),
            expected_bindings,
            "bindings of {queue}"
        );
        assert_eq!(
            bindings(&definitions, &dead_letter_exchange, &dead_queue),
            BTreeSet::from([queue.clone()]),
            "binding of {dead_queue}"
        );
        declared_queues.insert(queue);
        declared_queues.insert(dead_queue);
    }

    let all_queues: BTreeSet<String> = definitions["queues"]
        .as_array()
        .expect("a list of queues")
        .iter()
        .filter_map(|q| q["name"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(all_queues, declared_queues, "queues of no consumer");
}

#[test]
fn kustomize_copy_of_definitions_equal() {
    let original = read_json("deploy/rabbitmq/definitions.json");
    let copy = read_json("deploy/k8s/components/operators/definitions.json");

    // Compared without assert_eq, whose message would print both files whole.
    assert!(
        copy == original,
        "deploy/k8s/components/operators/definitions.json differs from \
         deploy/rabbitmq/definitions.json: copy the original over it"
    );
}

/// Returns the names that look like metric names (they contain `_`) in the `expr` of
/// every rule of a Prometheus rule file, with the functions of PromQL left out.
fn metrics_in_rules(rules: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut in_expression = false;
    for line in rules.lines() {
        let line = line.trim_start();
        if line.starts_with("expr:") {
            in_expression = true;
        } else if line.starts_with("for:") {
            in_expression = false;
        }
        if !in_expression {
            continue;
        }
        let expression = line.strip_prefix("expr:").unwrap_or(line);
        for token in expression.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
            if token.contains('_') && token != "histogram_quantile" {
                names.insert(token.to_owned());
            }
        }
    }
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alert_rules_name_exported_metrics() {
    use service_kit::testing::{TestApp, TestBackend};

    let services = [
        registry::SERVICE,
        needs::SERVICE,
        joint_actions::SERVICE,
        recommendations::SERVICE,
        aggregation::SERVICE,
        notifier::SERVICE,
    ];
    let app = TestApp::spawn(&services, TestBackend::Sqlite)
        .await
        .expect("SQLite runs always");
    // One request, so that the request counter and histogram have series.
    app.client
        .get(app.url("/v1/npos"))
        .send()
        .await
        .expect("the server responds");
    let scrape = app.metrics().await;
    app.stop().await;
    let mut exported = BTreeSet::new();
    for line in scrape.lines() {
        let Some(declaration) = line.strip_prefix("# TYPE ") else {
            continue;
        };
        let (name, kind) = declaration
            .split_once(' ')
            .expect("a TYPE line has a name and a type");
        exported.insert(name.to_owned());
        if kind == "histogram" {
            for suffix in ["_bucket", "_sum", "_count"] {
                exported.insert(format!("{name}{suffix}"));
            }
        }
    }
    // Only RabbitMQ has dead-letter queues; the aggregation service's API tests check
    // this gauge on it.
    exported.insert("consumer_dead_letter_queue_messages".to_owned());
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/prometheus/alerts.yml");
    let rules = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));

    let named = metrics_in_rules(&rules);

    assert!(
        named.contains("outbox_oldest_pending_age_seconds"),
        "{named:?}"
    );
    let unknown: Vec<&String> = named.difference(&exported).collect();
    assert!(
        unknown.is_empty(),
        "deploy/prometheus/alerts.yml names metrics that /metrics does not export: {unknown:?}"
    );
}
