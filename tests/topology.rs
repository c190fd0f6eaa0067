//! The distributed topology that the compose file and the Kubernetes manifests deploy,
//! as processes on 127.0.0.1: each service a `liaison serve <service>` process with its
//! own PostgreSQL database, one RabbitMQ exchange made for the run, and `liaison
//! gateway` in front of them. A short cross-service flow goes only through the
//! gateway. The ministry registers two bodies and appoints their officers. An officer
//! registers an NPO and changes it, and the aggregation service's read models count
//! it. The NPO sends a recommendation that the officer forwards to the other body, and
//! an integrator pushes a CSV batch. Then the gateway's own routes are checked, and a
//! stopped service gets a 502 from the gateway.
//!
//! Afterwards, also when the test fails, the processes, databases, queues and
//! exchanges are removed. With `LIAISON_TEST_SQLITE_ONLY=1` the test is skipped.

mod support;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use support::{
    Process, Watch, amqp_url, check_broker, create_service_databases, delete_broker_objects,
    drop_databases, free_ports, mint_token, sqlite_only, stop_all, unique_bin, wait_until_ok,
};

const SERVICES: [&str; 6] = [
    "registry",
    "needs",
    "joint-actions",
    "recommendations",
    "aggregation",
    "notifier",
];

/// KATO code of the Ulytau region.
const REGION: &str = "620000000";

/// Trace id of the request whose `traceparent` the registry must receive.
const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

/// Request id of the same request, which the registry must log too.
const REQUEST_ID: &str = "topology-request-0001";

/// Maximum wait for the processes to start and for events to reach the read models.
const WAIT: Duration = Duration::from_secs(90);

/// The five services and the gateway as processes. Dropping it stops them, then
/// deletes the run's queues, exchanges and databases.
struct Topology {
    gateway: String,
    processes: Vec<Process>,
    databases: Vec<String>,
    exchange: String,
    data: tempfile::TempDir,
}

impl Topology {
    async fn start(tag: &str) -> Self {
        let data = tempfile::tempdir().expect("a temporary folder");
        let ports = free_ports(SERVICES.len() + 1);
        let mut topology = Self {
            gateway: format!("http://127.0.0.1:{}", ports[SERVICES.len()]),
            processes: Vec::new(),
            databases: Vec::new(),
            exchange: format!("topology.{tag}"),
            data,
        };
        check_broker().await;
        let template = topology.create_databases(tag);
        let service_urls: Vec<(String, String)> = SERVICES
            .iter()
            .zip(&ports)
            .map(|(service, port)| {
                let variable = format!(
                    "LIAISON_SERVICE_URL_{}",
                    service.to_uppercase().replace('-', "_")
                );
                (variable, format!("http://127.0.0.1:{port}"))
            })
            .collect();

        for (service, port) in SERVICES.iter().zip(&ports) {
            let mut env = vec![
                ("LIAISON_LISTEN".to_owned(), format!("127.0.0.1:{port}")),
                (
                    "LIAISON_DATA_DIR".to_owned(),
                    topology.data.path().display().to_string(),
                ),
                ("LIAISON_DEVELOPMENT_TOKENS".to_owned(), "1".to_owned()),
                ("LIAISON_DATABASE_URL".to_owned(), template.clone()),
                ("LIAISON_BROKER_URL".to_owned(), amqp_url()),
                ("LIAISON_EXCHANGE".to_owned(), topology.exchange.clone()),
                ("LIAISON_LOG_FORMAT".to_owned(), "json".to_owned()),
            ];
            env.extend(service_urls.iter().cloned());
            let process = if *service == "registry" {
                Process::spawn_watching(service, &env, Watch::new([TRACE_ID, REQUEST_ID]))
            } else {
                Process::spawn(service, &env)
            };
            topology.processes.push(process);
        }
        let mut env = vec![
            (
                "LIAISON_LISTEN".to_owned(),
                format!("127.0.0.1:{}", ports[SERVICES.len()]),
            ),
            ("LIAISON_LOG_FORMAT".to_owned(), "json".to_owned()),
        ];
        env.extend(service_urls);
        topology.processes.push(Process::spawn_gateway(&env));
        topology.wait_until_ready().await;
        topology
    }

    /// Creates a database per service and returns the URL template that names them.
    fn create_databases(&mut self, tag: &str) -> String {
        create_service_databases(&format!("topology_{tag}"), &SERVICES, &mut self.databases)
    }

    /// Waits until the gateway returns 200 on its own /healthz, then until every
    /// service returns 200 on /readyz through the gateway.
    async fn wait_until_ready(&mut self) {
        let client = reqwest::Client::new();
        let mut paths = vec!["/healthz".to_owned()];
        for service in SERVICES {
            paths.push(format!("/services/{service}/readyz"));
        }
        let deadline = Instant::now() + WAIT;
        for path in paths {
            let url = format!("{}{path}", self.gateway);
            wait_until_ok(&client, &url, &mut self.processes, deadline).await;
        }
    }

    fn process(&mut self, name: &str) -> &mut Process {
        self.processes
            .iter_mut()
            .find(|p| p.service == name)
            .unwrap_or_else(|| panic!("no {name} process"))
    }
}

impl Drop for Topology {
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
        let mut consumers = vec![
            aggregation::readmodel::CONSUMER.to_owned(),
            recommendations::handover::CONSUMER.to_owned(),
        ];
        for process in &self.processes {
            consumers.extend(process.log().consumers.clone());
        }
        consumers.sort();
        consumers.dedup();
        delete_broker_objects(&self.exchange, consumers);
        drop_databases(&self.databases);
    }
}

/// A response read whole.
#[derive(Debug)]
struct Reply {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: Value,
    text: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Returns the body, failing the test unless the status is `expected`.
    fn expect(self, expected: StatusCode, action: &str) -> Value {
        assert_eq!(self.status, expected, "{action}: {}", self.text);
        self.body
    }
}

/// The HTTP client that talks to the gateway only.
struct Client {
    http: reqwest::Client,
    gateway: String,
}

impl Client {
    async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<reqwest::Body>,
    ) -> Reply {
        let mut request = self.http.request(method, format!("{}{path}", self.gateway));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.body(body);
        }
        let response = request.send().await.expect("the gateway responds");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("a body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
            text,
        }
    }

    async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.send(Method::GET, path, token, &[], None).await
    }

    async fn post(&self, path: &str, token: &str, body: &Value) -> Reply {
        let json = [("content-type", "application/json")];
        let body = reqwest::Body::from(body.to_string());
        self.send(Method::POST, path, Some(token), &json, Some(body))
            .await
    }

    /// Reads the ministry's figures at `path` until `done` accepts them.
    async fn wait_for(&self, path: &str, token: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let figures = self
                .get(path, Some(token))
                .await
                .expect(StatusCode::OK, path);
            if done(&figures) {
                return figures;
            }
            assert!(
                Instant::now() < deadline,
                "{path} did not reach the expected figures within {} s: {figures}",
                WAIT.as_secs()
            );
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }
}

fn id_of(resource: &Value) -> String {
    resource["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{resource} has a string id"))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flow_through_gateway() {
    if sqlite_only() {
        eprintln!(
            "skipped: the topology runs on PostgreSQL and RabbitMQ, and \
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
    let mut topology = Topology::start(&tag).await;
    let data = topology.data.path().to_owned();
    let body = format!("ulytau-youth-{tag}");
    let other_body = format!("ulytau-akimat-{tag}");
    let bins = [unique_bin(nanos, 0), unique_bin(nanos, 1)];
    let mint = |args: &[&str]| mint_token(&data, true, args);
    let ministry = mint(&["--role", "ministry"]);
    let officer = mint(&["--role", "officer", "--body", &body, "--subject", "aigerim"]);
    let other_officer = mint(&["--role", "officer", "--body", &other_body]);
    let npo = mint(&["--role", "npo", "--bin", &bins[0]]);
    let integrator = mint(&["--role", "integrator", "--subject", "justice-loader"]);
    let client = Client {
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client"),
        gateway: topology.gateway.clone(),
    };

    // The ministry registers two bodies (aggregation, which checks the territory in
    // the registry) and appoints their officers.
    let bodies = [
        json!({"id": body, "name_ru": format!("Управление по делам молодежи {tag}"),
               "name_kk": format!("Жастар істері басқармасы {tag}"),
               "level": "regional_department", "territory": REGION,
               "spheres": ["youth"]}),
        json!({"id": other_body, "name_ru": format!("Аппарат акима области Ұлытау {tag}"),
               "name_kk": format!("Ұлытау облысы әкімінің аппараты {tag}"),
               "level": "regional", "territory": REGION, "spheres": ["culture"]}),
    ];
    for registered in &bodies {
        client
            .post("/v1/government-bodies", &ministry, registered)
            .await
            .expect(StatusCode::CREATED, "the ministry registers a body");
    }
    let appointments = [
        (
            &body,
            "aigerim",
            "Айгерім Сейітова",
            "deputy_head_of_department",
        ),
        (
            &other_body,
            "erlan",
            "Ерлан Мұханов",
            "deputy_head_of_akim_office",
        ),
    ];
    for (at, officer_id, full_name, position) in appointments {
        let appointment =
            json!({"officer": officer_id, "full_name": full_name, "position": position});
        client
            .post(
                &format!("/v1/government-bodies/{at}/officer"),
                &ministry,
                &appointment,
            )
            .await
            .expect(StatusCode::CREATED, "the ministry appoints an officer");
    }

    // The officer registers an NPO with a trace context, then changes it with the
    // ETag of the last read.
    let traceparent = format!("00-{TRACE_ID}-00f067aa0ba902b7-01");
    let registration = json!({
        "bin": bins[0], "name_ru": format!("Общественное объединение «Жастар» {tag}"),
        "legal_form": "public_association", "territories": [REGION], "spheres": ["youth"],
        "source": "npo_representatives"
    });
    let created = client
        .send(
            Method::POST,
            "/v1/npos",
            Some(&officer),
            &[
                ("content-type", "application/json"),
                ("traceparent", &traceparent),
                ("x-request-id", REQUEST_ID),
                ("idempotency-key", &format!("topology-{tag}")),
            ],
            Some(reqwest::Body::from(registration.to_string())),
        )
        .await;
    let request_id = created.header("x-request-id").map(str::to_owned);
    let created = created.expect(StatusCode::CREATED, "the officer registers an NPO");
    let npo_id = id_of(&created);
    let read = client
        .get(&format!("/v1/npos/{npo_id}"), Some(&officer))
        .await;
    let etag = read.header("etag").expect("an ETag").to_owned();
    let change = json!({"spheres": ["youth", "education"], "source": "registration_data"});
    let stale = client
        .send(
            Method::PATCH,
            &format!("/v1/npos/{npo_id}"),
            Some(&officer),
            &[
                ("content-type", "application/json"),
                ("if-match", "\"999\""),
            ],
            Some(reqwest::Body::from(change.to_string())),
        )
        .await;
    let changed = client
        .send(
            Method::PATCH,
            &format!("/v1/npos/{npo_id}"),
            Some(&officer),
            &[("content-type", "application/json"), ("if-match", &etag)],
            Some(reqwest::Body::from(change.to_string())),
        )
        .await
        .expect(StatusCode::OK, "the officer changes the NPO");

    // The registry's events reach the aggregation service's read models.
    let npos = client
        .wait_for("/v1/analytics/npos", &ministry, |figures| {
            figures["total"] == 1 && figures["by_sphere"].to_string().contains("education")
        })
        .await;

    // The NPO sends a recommendation (recommendations, which checks the NPO in the
    // registry and the body in aggregation), and the officer forwards it.
    let sent = client
        .post(
            "/v1/recommendations",
            &npo,
            &json!({"government_body": body, "sphere": "culture", "territory": REGION,
                    "text": "Провести фестиваль национальной культуры",
                    "contacts": {"name": "Серік Омаров", "phone": "+77102000002"}}),
        )
        .await
        .expect(StatusCode::CREATED, "the NPO sends a recommendation");
    let path = format!("/v1/recommendations/{}", id_of(&sent));
    let etag = client
        .get(&path, Some(&officer))
        .await
        .header("etag")
        .expect("an ETag")
        .to_owned();
    let forwarded = client
        .send(
            Method::POST,
            &format!("{path}/forwarding"),
            Some(&officer),
            &[("content-type", "application/json"), ("if-match", &etag)],
            Some(reqwest::Body::from(
                json!({"to_body": other_body}).to_string(),
            )),
        )
        .await
        .expect(StatusCode::OK, "the officer forwards the recommendation");
    let at_other_body = client.get(&path, Some(&other_officer)).await;
    let recommendations = client
        .wait_for("/v1/analytics/recommendations", &ministry, |figures| {
            figures["received"] == 1 && figures["forwarded"] == 1
        })
        .await;

    // An integrator pushes a CSV batch: a body other than JSON, passed on as sent.
    let csv = format!(
        "bin;name_ru;legal_form;registered_on;kato\r\n{};Фонд «Білім» {tag};public_foundation;02.12.2019;{REGION}\r\n",
        bins[1]
    );
    let batch = client
        .send(
            Method::POST,
            "/v1/npo-imports",
            Some(&integrator),
            &[("content-type", "text/csv")],
            Some(reqwest::Body::from(csv)),
        )
        .await
        .expect(StatusCode::OK, "the integrator pushes a batch");

    // The gateway's own routes and the per-service routes.
    let document = client.get("/openapi/registry.json", None).await;
    let health = client.get("/services/needs/healthz", None).await;
    let events = client.get("/v1/events/registry", Some(&ministry)).await;
    let unknown = client.get("/v1/nowhere", None).await;
    let metrics = client.get("/metrics", None).await;

    // A stopped service: the gateway returns 502 for its routes, the others still work.
    let needs = topology.process("needs");
    let stopped = needs.terminate(Duration::from_secs(30));
    let down = client.get("/v1/needs-assessments", Some(&officer)).await;
    let registry_still = client.get(&format!("/v1/npos/{npo_id}"), None).await;
    let traced = topology.process("registry").log().watch.count(TRACE_ID);
    let identified = topology.process("registry").log().watch.count(REQUEST_ID);

    assert_eq!(
        stale.status,
        StatusCode::PRECONDITION_FAILED,
        "{}",
        stale.text
    );
    assert_eq!(changed["spheres"], json!(["youth", "education"]));
    assert_eq!(npos["total"], 1, "{npos}");
    assert_eq!(forwarded["status"], "forwarded", "{forwarded}");
    assert_eq!(
        at_other_body.status,
        StatusCode::OK,
        "{}",
        at_other_body.text
    );
    assert_eq!(recommendations["forwarded"], 1, "{recommendations}");
    assert_eq!(batch["rows"][0]["outcome"], "created", "{batch}");
    assert_eq!(document.status, StatusCode::OK);
    assert_eq!(document.body["info"]["title"], "NPO registry");
    assert_eq!(health.status, StatusCode::OK, "{}", health.text);
    assert_eq!(events.status, StatusCode::OK, "{}", events.text);
    assert!(
        events.text.contains("registry.npo.registered"),
        "{}",
        events.text
    );
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(
        unknown.header("content-type"),
        Some("application/problem+json")
    );
    assert_eq!(metrics.status, StatusCode::NOT_FOUND);
    assert!(
        stopped.is_some_and(|status| status.success()),
        "needs exits 0 on SIGTERM"
    );
    assert_eq!(down.status, StatusCode::BAD_GATEWAY, "{}", down.text);
    assert_eq!(
        down.header("content-type"),
        Some("application/problem+json")
    );
    assert_eq!(down.body["dependency"], "needs", "{}", down.text);
    assert_eq!(registry_still.status, StatusCode::OK);
    assert!(
        traced > 0,
        "the registry logged no line of trace {TRACE_ID}"
    );
    assert_eq!(request_id.as_deref(), Some(REQUEST_ID));
    assert!(
        identified > 0,
        "the registry logged no line of request {REQUEST_ID}"
    );
    drop(topology);
}
