//! One trace across two services, exported over OTLP/HTTP. The registry and the
//! aggregation service run as `liaison serve` processes on PostgreSQL and RabbitMQ,
//! with `LIAISON_OTLP_ENDPOINT` pointing at a receiver in this test. An officer
//! registers an NPO with a known `traceparent`. The receiver must get the registry's
//! `http.request` span as a child of the sent span. It must also get the aggregation
//! consumer's span for the `registry.npo.registered` event as a child of that request
//! span, whose id the outbox row and the AMQP header carried.
//!
//! Afterwards, also when the test fails, the processes, databases, queues and
//! exchanges are removed. With `LIAISON_TEST_SQLITE_ONLY=1` the test is skipped.

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;
use reqwest::StatusCode;
use serde_json::json;
use support::{
    Process, amqp_url, check_broker, create_service_databases, delete_broker_objects,
    drop_databases, free_ports, mint_token, sqlite_only, stop_all, unique_bin, wait_until_ok,
};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

const SERVICES: [&str; 2] = ["registry", "aggregation"];

/// Trace id and parent span id of the `traceparent` the test sends.
const TRACE_ID: &str = "0af7651916cd43dd8448eb211c80319c";
const PARENT_SPAN_ID: &str = "b7ad6b7169203331";

/// KATO code of the Ulytau region, which the registry's migrations load.
const REGION: &str = "620000000";

/// Maximum wait for the processes to start and for the spans to arrive.
const WAIT: Duration = Duration::from_secs(90);

/// Largest OTLP request body the receiver reads, in bytes.
const MAX_EXPORT: usize = 16 * 1024 * 1024;

/// A span as the receiver stores it: ids in lowercase hex, and the `service.name` of
/// the process that exported it.
#[derive(Debug, Clone)]
struct Received {
    service: String,
    name: String,
    trace_id: String,
    span_id: String,
    parent_span_id: String,
    attributes: Vec<(String, String)>,
}

impl Received {
    fn attribute(&self, key: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value.as_str())
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn string_value(value: Option<&any_value::Value>) -> String {
    match value {
        Some(any_value::Value::StringValue(text)) => text.clone(),
        Some(any_value::Value::IntValue(number)) => number.to_string(),
        Some(any_value::Value::BoolValue(flag)) => flag.to_string(),
        Some(any_value::Value::DoubleValue(number)) => number.to_string(),
        _ => String::new(),
    }
}

fn received(service: &str, span: &Span) -> Received {
    Received {
        service: service.to_owned(),
        name: span.name.clone(),
        trace_id: hex(&span.trace_id),
        span_id: hex(&span.span_id),
        parent_span_id: hex(&span.parent_span_id),
        attributes: span
            .attributes
            .iter()
            .map(|kv| {
                let value = kv.value.as_ref().and_then(|v| v.value.as_ref());
                (kv.key.clone(), string_value(value))
            })
            .collect(),
    }
}

/// An OTLP/HTTP receiver on 127.0.0.1 that accepts protobuf on `POST /v1/traces`
/// and keeps the decoded spans. It speaks just enough HTTP/1.1 for the exporter:
/// bodies with `content-length` on kept-alive connections.
struct Receiver {
    endpoint: String,
    spans: Arc<Mutex<Vec<Received>>>,
    paths: Arc<Mutex<Vec<String>>>,
}

impl Receiver {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port on 127.0.0.1");
        let address = listener.local_addr().expect("a bound address");
        let spans = Arc::new(Mutex::new(Vec::new()));
        let paths = Arc::new(Mutex::new(Vec::new()));
        let (stored, seen) = (spans.clone(), paths.clone());
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve_connection(stream, stored.clone(), seen.clone()));
            }
        });
        Self {
            endpoint: format!("http://{address}"),
            spans,
            paths,
        }
    }

    fn spans(&self) -> Vec<Received> {
        self.spans.lock().expect("the span list lock").clone()
    }
}

async fn serve_connection(
    stream: tokio::net::TcpStream,
    spans: Arc<Mutex<Vec<Received>>>,
    paths: Arc<Mutex<Vec<String>>>,
) {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).await.unwrap_or(0) == 0 {
            return;
        }
        let mut length = 0;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        if length > MAX_EXPORT {
            return;
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).await.is_err() {
            return;
        }
        let path = request_line
            .split_whitespace()
            .nth(1)
            .unwrap_or_default()
            .to_owned();
        let status = if request_line.starts_with("POST /v1/traces ") {
            match ExportTraceServiceRequest::decode(body.as_slice()) {
                Ok(export) => {
                    let mut stored = spans.lock().expect("the span list lock");
                    for resource_spans in &export.resource_spans {
                        let service = resource_spans
                            .resource
                            .iter()
                            .flat_map(|r| &r.attributes)
                            .find(|kv| kv.key == "service.name")
                            .map(|kv| {
                                string_value(kv.value.as_ref().and_then(|v| v.value.as_ref()))
                            })
                            .unwrap_or_default();
                        for scope in &resource_spans.scope_spans {
                            stored.extend(scope.spans.iter().map(|span| received(&service, span)));
                        }
                    }
                    "200 OK"
                }
                Err(_) => "400 Bad Request",
            }
        } else {
            "404 Not Found"
        };
        paths.lock().expect("the path list lock").push(path);
        let response = format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n"
        );
        if write.write_all(response.as_bytes()).await.is_err() {
            return;
        }
    }
}

/// The registry and the aggregation service as processes. Dropping it stops them,
/// then deletes the run's queues, exchanges and databases.
struct Pair {
    urls: Vec<String>,
    processes: Vec<Process>,
    databases: Vec<String>,
    exchange: String,
    data: tempfile::TempDir,
}

impl Pair {
    async fn start(tag: &str, endpoint: &str) -> Self {
        let data = tempfile::tempdir().expect("a temporary folder");
        let ports = free_ports(SERVICES.len());
        let mut pair = Self {
            urls: ports
                .iter()
                .map(|port| format!("http://127.0.0.1:{port}"))
                .collect(),
            processes: Vec::new(),
            databases: Vec::new(),
            exchange: format!("trace-export.{tag}"),
            data,
        };
        check_broker().await;
        let template = pair.create_databases(tag);
        for (index, service) in SERVICES.iter().enumerate() {
            let env = vec![
                (
                    "LIAISON_LISTEN".to_owned(),
                    format!("127.0.0.1:{}", ports[index]),
                ),
                (
                    "LIAISON_DATA_DIR".to_owned(),
                    pair.data.path().display().to_string(),
                ),
                ("LIAISON_DEVELOPMENT_TOKENS".to_owned(), "1".to_owned()),
                ("LIAISON_DATABASE_URL".to_owned(), template.clone()),
                ("LIAISON_BROKER_URL".to_owned(), amqp_url()),
                ("LIAISON_EXCHANGE".to_owned(), pair.exchange.clone()),
                ("LIAISON_LOG_FORMAT".to_owned(), "json".to_owned()),
                ("LIAISON_OTLP_ENDPOINT".to_owned(), endpoint.to_owned()),
                (
                    "LIAISON_SERVICE_URL_REGISTRY".to_owned(),
                    pair.urls[0].clone(),
                ),
                // Export each batch after 200 ms instead of the default 5 s.
                ("OTEL_BSP_SCHEDULE_DELAY".to_owned(), "200".to_owned()),
            ];
            pair.processes.push(Process::spawn(service, &env));
        }
        pair.wait_until_ready().await;
        pair
    }

    /// Creates a database per service and returns the URL template that names them.
    fn create_databases(&mut self, tag: &str) -> String {
        create_service_databases(
            &format!("trace_export_{tag}"),
            &SERVICES,
            &mut self.databases,
        )
    }

    async fn wait_until_ready(&mut self) {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + WAIT;
        for index in 0..SERVICES.len() {
            let url = format!("{}/readyz", self.urls[index]);
            let process = std::slice::from_mut(&mut self.processes[index]);
            wait_until_ok(&client, &url, process, deadline).await;
        }
    }
}

impl Drop for Pair {
    fn drop(&mut self) {
        if std::thread::panicking() {
            for process in &self.processes {
                eprintln!(
                    "--- last log lines of {} ---\n{}",
                    process.service,
                    process.tail()
                );
            }
        }
        stop_all(&mut self.processes);
        let mut consumers = vec![aggregation::readmodel::CONSUMER.to_owned()];
        for process in &self.processes {
            consumers.extend(process.log().consumers.clone());
        }
        consumers.sort();
        consumers.dedup();
        delete_broker_objects(&self.exchange, consumers);
        drop_databases(&self.databases);
    }
}

/// Waits until the receiver has a span that `matches` accepts, and returns it.
async fn wait_for_span(
    receiver: &Receiver,
    description: &str,
    matches: impl Fn(&Received) -> bool,
) -> Received {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(span) = receiver.spans().into_iter().find(|span| matches(span)) {
            return span;
        }
        assert!(
            Instant::now() < deadline,
            "no {description} arrived within {} s; spans of the trace: {:#?}; request paths: {:?}",
            WAIT.as_secs(),
            receiver
                .spans()
                .into_iter()
                .filter(|span| span.trace_id == TRACE_ID)
                .collect::<Vec<_>>(),
            receiver.paths.lock().expect("the path list lock"),
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn npo_registration_traced_to_consumer() {
    if sqlite_only() {
        eprintln!(
            "skipped: the services run on PostgreSQL and RabbitMQ, and \
             LIAISON_TEST_SQLITE_ONLY is set"
        );
        return;
    }
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_nanos();
    let tag = format!(
        "{:012x}",
        (nanos ^ (u128::from(std::process::id()) << 40)) & 0xffff_ffff_ffff
    );
    let receiver = Receiver::start().await;
    let pair = Pair::start(&tag, &receiver.endpoint).await;
    let body = format!("ulytau-youth-{tag}");
    let officer = mint_token(
        pair.data.path(),
        true,
        &["--role", "officer", "--body", &body, "--subject", "aigerim"],
    );

    let registration = json!({
        "bin": unique_bin(nanos, 0), "name_ru": format!("Общественное объединение «Жастар» {tag}"),
        "legal_form": "public_association", "territories": [REGION], "spheres": ["youth"],
        "source": "npo_representatives"
    });
    let response = reqwest::Client::new()
        .post(format!("{}/v1/npos", pair.urls[0]))
        .bearer_auth(&officer)
        .header("content-type", "application/json")
        .header("traceparent", format!("00-{TRACE_ID}-{PARENT_SPAN_ID}-01"))
        .body(registration.to_string())
        .send()
        .await
        .expect("the registry responds");
    let status = response.status();
    let text = response.text().await.expect("a body");
    assert_eq!(
        status,
        StatusCode::CREATED,
        "the officer registers an NPO: {text}"
    );

    let request = wait_for_span(&receiver, "http.request span of the registry", |span| {
        span.trace_id == TRACE_ID
            && span.name == "http.request"
            && span.attribute("http.route") == Some("/v1/npos")
    })
    .await;
    assert_eq!(request.service, "liaison-registry");
    assert_eq!(request.parent_span_id, PARENT_SPAN_ID);
    assert_ne!(request.span_id, PARENT_SPAN_ID);
    assert_eq!(request.attribute("http.method"), Some("POST"));
    assert_eq!(request.attribute("http.status"), Some("201"));

    let consumed = wait_for_span(&receiver, "event.consume span of aggregation", |span| {
        span.trace_id == TRACE_ID && span.name == "event.consume"
    })
    .await;
    assert_eq!(consumed.service, "liaison-aggregation");
    assert_eq!(consumed.parent_span_id, request.span_id);
    assert_eq!(
        consumed.attribute("event.type"),
        Some("registry.npo.registered")
    );
    assert_eq!(
        consumed.attribute("consumer"),
        Some(aggregation::readmodel::CONSUMER)
    );

    // Attribute values are ids, names of routes and types, and numbers, never the
    // NPO's name or the caller's token.
    for span in receiver.spans() {
        for (key, value) in &span.attributes {
            assert!(
                !value.contains("Жастар"),
                "{key} of {} carries the name",
                span.name
            );
            assert!(
                !value.contains(&officer),
                "{key} of {} carries the token",
                span.name
            );
        }
    }
}
