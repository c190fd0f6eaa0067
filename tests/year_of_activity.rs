//! A year of one government body's work with NPOs, driven through the public APIs of
//! the five services, and the annual report the aggregation service assembles from it
//! (appendix 4 of the regulation: tables 1 to 7 and their attachments).
//!
//! By default the test starts each service as its own `liaison serve <service>`
//! process with its own PostgreSQL database, all on one RabbitMQ exchange made for the
//! run. Afterwards, also when the test fails, it removes the processes, databases,
//! queues and exchanges. `LIAISON_TEST_DATABASE_URL` and `LIAISON_TEST_AMQP_URL` name
//! the servers, as for the other tests. With `LIAISON_TEST_SQLITE_ONLY=1` the test is
//! skipped.
//!
//! With `LIAISON_FLOW_URL` set, the test drives a platform that already runs every
//! service at that address instead, such as `make run`, and mints its tokens with the
//! development key in `LIAISON_FLOW_DATA_DIR` (default `./data`). Each run registers
//! bodies, officers and NPOs of its own, so it can be repeated on the same data.
//!
//! On the platform it starts, the test then opens the reference dashboard in headless
//! Chromium and checks every panel against the year's figures (`tests/browser`).

mod browser;
mod support;

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use chrono::{Datelike, Days, NaiveDate};
use reqwest::{RequestBuilder, StatusCode};
use serde_json::{Value, json};
use support::{
    Process, amqp_url, check_broker, create_service_databases, delete_broker_objects,
    drop_databases, free_ports, mint_token, sqlite_only, stop_all, unique_bin, wait_until_ok,
};

/// Services in the order they start, as `liaison serve` names them.
const SERVICES: [&str; 5] = [
    "registry",
    "needs",
    "joint-actions",
    "recommendations",
    "aggregation",
];

/// KATO code of the Ulytau region, the territory of the reporting body.
const REGION: &str = "620000000";

/// KATO code of the village of Ulytau, inside the region.
const VILLAGE: &str = "623830100";

/// KATO code of the Ulytau district, inside the region, with the village in it.
const DISTRICT: &str = "623800000";

/// KATO code of the Yesil district of Astana, outside the region.
const ASTANA: &str = "711210000";

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Maximum wait for a started service to return 200 on `/readyz`.
const START_TIMEOUT: Duration = Duration::from_secs(90);

/// Maximum wait for the read models to show the year's work in the report.
const CATCH_UP_TIMEOUT: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn year_of_activity_reported() {
    let started = Instant::now();
    let run = Run::new();
    let (platform, tokens) = match std::env::var("LIAISON_FLOW_URL") {
        Ok(url) if !url.trim().is_empty() => {
            let data = std::env::var("LIAISON_FLOW_DATA_DIR").unwrap_or_else(|_| "data".into());
            let tokens = Tokens::mint(&run, Path::new(&data), false);
            (
                Platform::Running(url.trim_end_matches('/').to_owned()),
                tokens,
            )
        }
        _ if sqlite_only() => {
            eprintln!(
                "skipped: the year of activity runs on PostgreSQL and RabbitMQ, and \
                 LIAISON_TEST_SQLITE_ONLY is set"
            );
            return;
        }
        _ => {
            let data = tempfile::tempdir().expect("a temporary folder can be created");
            // The first token creates the development key, so every process trusts it.
            let tokens = Tokens::mint(&run, data.path(), true);
            (Platform::Started(Cluster::start(&run, data).await), tokens)
        }
    };
    let flow = Flow::new(&platform, tokens, run);

    let year = flow.drive_year().await;
    let (report, differences) = flow.open_report(&year).await;
    flow.review_report(&report).await;
    flow.rebuild_read_models(platform.is_fresh()).await;
    if platform.is_fresh() {
        flow.check_dashboard().await;
    }

    eprintln!(
        "year of activity driven and reported in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert!(
        differences.is_empty(),
        "the annual report of {} differs from the year's work:\n  {}",
        flow.run.body,
        differences.join("\n  ")
    );
    drop(platform);
}

/// Names that are unique to one run, so runs never meet on a shared platform.
#[derive(Debug)]
struct Run {
    tag: String,
    /// The reporting body: the youth department of the Ulytau region.
    body: String,
    /// The second body: the akimat of the Ulytau region.
    other_body: String,
    /// Subjects of the officers' tokens.
    officer: String,
    other_officer: String,
    /// BINs of the NPOs the run registers.
    bins: Vec<String>,
}

const OFFICER_NAME: &str = "Айгерім Сейітова";
const OTHER_OFFICER_NAME: &str = "Ерлан Мұханов";

impl Run {
    fn new() -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("the clock is after 1970")
            .as_nanos();
        let mixed = nanos ^ (u128::from(std::process::id()) << 40);
        let tag = format!("{:012x}", mixed & 0xffff_ffff_ffff);
        let bins = (0..4).map(|i| unique_bin(nanos, i)).collect();
        Self {
            body: format!("ulytau-youth-{tag}"),
            other_body: format!("ulytau-akimat-{tag}"),
            officer: format!("officer-{tag}"),
            other_officer: format!("other-officer-{tag}"),
            bins,
            tag,
        }
    }
}

/// Where the services run.
enum Platform {
    /// Started by this test, one process per service.
    Started(Cluster),
    /// Already running at this base URL, every service in one process.
    Running(String),
}

impl Platform {
    fn url(&self, service: &str) -> String {
        match self {
            Self::Started(cluster) => cluster.urls[service].clone(),
            Self::Running(url) => url.clone(),
        }
    }

    /// Returns whether the platform contains nothing but this run's data.
    fn is_fresh(&self) -> bool {
        matches!(self, Self::Started(_))
    }
}

/// The five services, each a `liaison serve <service>` process with its own PostgreSQL
/// database, on one RabbitMQ exchange of the run. Dropping it stops the processes, then
/// deletes the run's queues, exchanges and databases.
struct Cluster {
    urls: HashMap<&'static str, String>,
    processes: Vec<Process>,
    databases: Vec<String>,
    exchange: String,
    /// Data folder with the development key that every process trusts.
    data: tempfile::TempDir,
}

impl Cluster {
    async fn start(run: &Run, data: tempfile::TempDir) -> Self {
        let ports = free_ports(SERVICES.len());
        let urls: HashMap<&'static str, String> = SERVICES
            .iter()
            .zip(&ports)
            .map(|(service, port)| (*service, format!("http://127.0.0.1:{port}")))
            .collect();
        let mut cluster = Self {
            urls,
            processes: Vec::new(),
            databases: Vec::new(),
            exchange: format!("flow.{}", run.tag),
            data,
        };
        check_broker().await;
        let template = cluster.create_databases(&run.tag);

        for (service, port) in SERVICES.iter().zip(&ports) {
            let mut env = vec![
                ("LIAISON_LISTEN".to_owned(), format!("127.0.0.1:{port}")),
                (
                    "LIAISON_DATA_DIR".to_owned(),
                    cluster.data.path().display().to_string(),
                ),
                ("LIAISON_DEVELOPMENT_TOKENS".to_owned(), "1".to_owned()),
                ("LIAISON_DATABASE_URL".to_owned(), template.clone()),
                ("LIAISON_BROKER_URL".to_owned(), amqp_url()),
                ("LIAISON_EXCHANGE".to_owned(), cluster.exchange.clone()),
                ("LIAISON_LOG_FORMAT".to_owned(), "json".to_owned()),
            ];
            for other in SERVICES.iter().filter(|other| *other != service) {
                let variable = format!(
                    "LIAISON_SERVICE_URL_{}",
                    other.to_uppercase().replace('-', "_")
                );
                env.push((variable, cluster.urls[*other].clone()));
            }
            cluster.processes.push(Process::spawn(service, &env));
        }
        cluster.wait_until_ready().await;
        cluster
    }

    /// Creates a database per service and returns the URL template that names them.
    fn create_databases(&mut self, tag: &str) -> String {
        create_service_databases(&format!("flow_{tag}"), &SERVICES, &mut self.databases)
    }

    async fn wait_until_ready(&mut self) {
        let client = reqwest::Client::new();
        for process in &mut self.processes {
            let url = format!("{}/readyz", self.urls[process.service]);
            let deadline = Instant::now() + START_TIMEOUT;
            wait_until_ok(&client, &url, std::slice::from_mut(process), deadline).await;
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if std::thread::panicking() {
            for process in &self.processes {
                eprintln!(
                    "--- last log lines of liaison serve {} ---\n{}",
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
        if !self.processes.is_empty() {
            delete_broker_objects(&self.exchange, consumers);
        }
        drop_databases(&self.databases);
    }
}

/// Development tokens of everyone who acts in the year.
#[derive(Debug)]
struct Tokens {
    ministry: String,
    officer: String,
    other_officer: String,
    /// Representatives of the first and the second NPO.
    npo: String,
    other_npo: String,
}

impl Tokens {
    /// Mints the tokens with the development key in `data`, creating the key when it is
    /// missing. `clean` leaves out the test's `LIAISON_*` variables, for a platform the
    /// test starts with its own settings.
    fn mint(run: &Run, data: &Path, clean: bool) -> Self {
        let mint = |args: &[&str]| mint_token(data, clean, args);
        Self {
            ministry: mint(&["--role", "ministry"]),
            officer: mint(&[
                "--role",
                "officer",
                "--body",
                &run.body,
                "--subject",
                &run.officer,
                "--name",
                OFFICER_NAME,
            ]),
            other_officer: mint(&[
                "--role",
                "officer",
                "--body",
                &run.other_body,
                "--subject",
                &run.other_officer,
                "--name",
                OTHER_OFFICER_NAME,
            ]),
            npo: mint(&["--role", "npo", "--bin", &run.bins[0]]),
            other_npo: mint(&["--role", "npo", "--bin", &run.bins[1]]),
        }
    }
}

/// A response read whole.
#[derive(Debug)]
struct Reply {
    status: StatusCode,
    etag: Option<String>,
    content_type: Option<String>,
    /// The JSON body, or `Value::Null` for any other body.
    body: Value,
    bytes: Vec<u8>,
    url: String,
}

impl Reply {
    async fn read(request: RequestBuilder) -> Self {
        let response = request.send().await.expect("the service responds");
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let etag = header("etag");
        let content_type = header("content-type");
        let status = response.status();
        let url = response.url().to_string();
        let bytes = response.bytes().await.expect("a body").to_vec();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Self {
            status,
            etag,
            content_type,
            body,
            bytes,
            url,
        }
    }

    /// Returns the body, failing the test unless the status is `expected`.
    fn expect(self, expected: StatusCode, what: &str) -> Value {
        assert_eq!(
            self.status,
            expected,
            "{what}: {} answered {}",
            self.url,
            String::from_utf8_lossy(&self.bytes)
        );
        self.body
    }

    fn created(self, what: &str) -> Value {
        self.expect(StatusCode::CREATED, what)
    }

    fn ok(self, what: &str) -> Value {
        self.expect(StatusCode::OK, what)
    }
}

fn id_of(resource: &Value) -> String {
    resource["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{resource} has a string id"))
        .to_owned()
}

/// The HTTP client of the flow, the services' addresses and the actors' tokens.
struct Flow {
    client: reqwest::Client,
    urls: HashMap<&'static str, String>,
    tokens: Tokens,
    run: Run,
    today: NaiveDate,
}

impl Flow {
    fn new(platform: &Platform, tokens: Tokens, run: Run) -> Self {
        Self {
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .expect("an HTTP client"),
            urls: SERVICES.iter().map(|s| (*s, platform.url(s))).collect(),
            tokens,
            run,
            // NOTE: a run that crosses midnight of 31 December in Asia/Almaty opens the
            // report on the new year, which its earlier work does not belong to.
            today: common_models::time::today(),
        }
    }

    fn url(&self, service: &str, path: &str) -> String {
        format!("{}{path}", self.urls[service])
    }

    async fn get(&self, service: &str, path: &str, token: &str) -> Reply {
        Reply::read(self.client.get(self.url(service, path)).bearer_auth(token)).await
    }

    async fn post(&self, service: &str, path: &str, token: &str, body: &Value) -> Reply {
        let request = self.client.post(self.url(service, path));
        Reply::read(request.bearer_auth(token).json(body)).await
    }

    /// Sends a POST with `If-Match: etag`.
    async fn post_if(
        &self,
        service: &str,
        path: &str,
        token: &str,
        etag: &str,
        body: &Value,
    ) -> Reply {
        let request = self.client.post(self.url(service, path));
        Reply::read(
            request
                .bearer_auth(token)
                .header("If-Match", etag)
                .json(body),
        )
        .await
    }

    async fn patch_if(
        &self,
        service: &str,
        path: &str,
        token: &str,
        etag: &str,
        body: &Value,
    ) -> Reply {
        let request = self.client.patch(self.url(service, path));
        Reply::read(
            request
                .bearer_auth(token)
                .header("If-Match", etag)
                .json(body),
        )
        .await
    }

    /// Reads the ETag of the resource at `path`.
    async fn etag(&self, service: &str, path: &str, token: &str) -> String {
        let reply = self.get(service, path, token).await;
        assert_eq!(reply.status, StatusCode::OK, "{path} is readable");
        reply
            .etag
            .unwrap_or_else(|| panic!("{path} is served with an ETag"))
    }

    /// Returns `days` days before today, but not before 1 January, so that every date
    /// of the flow lies in the reporting year and none in the future.
    fn days_ago(&self, days: u64) -> NaiveDate {
        let first = NaiveDate::from_ymd_opt(self.today.year(), 1, 1).expect("1 January");
        (self.today - Days::new(days)).max(first)
    }
}

/// The year's work as the report should show it.
#[derive(Debug, Default)]
struct Year {
    /// The second body and its name in the register.
    other_body: String,
    other_body_name: String,
    /// NPOs of table 1, as the registry registered them.
    npos: Vec<Value>,
    /// Ids of NPOs outside the body's territory or spheres, which table 1 leaves out.
    other_npos: Vec<String>,
    project: Value,
    assessment_id: String,
    assessment_title: String,
    activity: Value,
    priority: Value,
    meeting: Value,
    plan_id: String,
    plan_title: String,
    plan_rows: Value,
    action_id: String,
    action_title: String,
    action_status: String,
    monitoring_row: Value,
    measurement: Value,
    decided: Recommendation,
    forwarded: Recommendation,
    given: Value,
    received: Value,
    request: Value,
    answer: Value,
}

/// A recommendation as its officer reads it, and how table 5 shows it.
#[derive(Debug, Default)]
struct Recommendation {
    id: String,
    author: Value,
    sphere: Value,
    received_on: Value,
    answered_on: Value,
    handling: &'static str,
    /// Full name of the officer who handles it.
    responsible: &'static str,
    /// One of the contacts the author gave.
    contact: &'static str,
}

impl Flow {
    /// Drives the body's year through the services' public APIs.
    async fn drive_year(&self) -> Year {
        let mut year = Year::default();
        self.register_bodies(&mut year).await;
        self.register_npos(&mut year).await;
        self.assess_needs(&mut year).await;
        self.plan_jointly(&mut year).await;
        self.run_joint_action(&mut year).await;
        self.handle_recommendations(&mut year).await;
        self.exchange_with_others(&mut year).await;
        year
    }

    /// Registers the reporting body and a second body of the region as the ministry,
    /// and appoints their officers.
    async fn register_bodies(&self, year: &mut Year) {
        let ministry = &self.tokens.ministry;
        let bodies = [
            json!({
                "id": self.run.body,
                "name_ru": format!("Управление по делам молодежи области Ұлытау {}", self.run.tag),
                "name_kk": format!("Ұлытау облысының жастар істері басқармасы {}", self.run.tag),
                "level": "regional_department",
                "territory": REGION,
                "spheres": ["youth", "education"]
            }),
            json!({
                "id": self.run.other_body,
                "name_ru": format!("Аппарат акима области Ұлытау {}", self.run.tag),
                "name_kk": format!("Ұлытау облысы әкімінің аппараты {}", self.run.tag),
                "level": "regional",
                "territory": REGION,
                "spheres": ["culture", "social_protection"]
            }),
        ];
        for body in &bodies {
            self.post("aggregation", "/v1/government-bodies", ministry, body)
                .await
                .created("the ministry registers a body");
        }
        let appointments = [
            (
                &self.run.body,
                json!({
                    "officer": self.run.officer, "full_name": OFFICER_NAME,
                    "position": "deputy_head_of_department",
                    "contacts": {"room": "305", "phone": "+77102123456", "email": "youth@example.kz"},
                    "reception_schedule": "Вторник, 15:00–18:00"
                }),
            ),
            (
                &self.run.other_body,
                json!({
                    "officer": self.run.other_officer, "full_name": OTHER_OFFICER_NAME,
                    "position": "deputy_head_of_akim_office",
                    "contacts": {"room": "112", "phone": "+77102654321", "email": "akimat@example.kz"}
                }),
            ),
        ];
        for (body, appointment) in &appointments {
            let path = format!("/v1/government-bodies/{body}/officer");
            self.post("aggregation", &path, ministry, appointment)
                .await
                .created("the ministry appoints an officer");
        }
        year.other_body = self.run.other_body.clone();
        year.other_body_name = bodies[1]["name_ru"].as_str().unwrap_or_default().to_owned();
    }

    /// Registers, as the officer, two NPOs of the body's territory and spheres with key
    /// staff and contacts, a project of the first, and two NPOs the report leaves out.
    async fn register_npos(&self, year: &mut Year) {
        let tag = &self.run.tag;
        let listed = [
            json!({
                "bin": self.run.bins[0],
                "name_ru": format!("Общественное объединение «Жастар әлемі» {tag}"),
                "legal_form": "public_association",
                "registered_on": "2015-03-10",
                "founded_on": "2015-03-01",
                "territories": [VILLAGE],
                "spheres": ["youth"],
                "target_groups": ["youth", "children"],
                "forms_of_work": ["consultations", "joint_events"],
                "key_staff": [{"full_name": "Айгүл Сапарова", "position": "председатель"}],
                "contacts": {"phone": "+77102000001", "email": "info@jastar.example.kz", "address": "Ұлытау, ул. Абая, 5"},
                "web_resources": ["https://jastar.example.kz"],
                "source": "npo_representatives"
            }),
            json!({
                "bin": self.run.bins[1],
                "name_ru": format!("Фонд «Білім» {tag}"),
                "legal_form": "public_foundation",
                "founded_on": "2019-09-01",
                "territories": [REGION],
                "spheres": ["education"],
                "target_groups": ["children"],
                "key_staff": [{"full_name": "Серік Омаров"}],
                "contacts": {"email": "bilim@example.kz"},
                "source": "npo_representatives"
            }),
        ];
        let left_out = [
            json!({
                "bin": self.run.bins[2],
                "name_ru": format!("Общественное объединение «Денсаулық» {tag}"),
                "legal_form": "public_association",
                "territories": [VILLAGE],
                "spheres": ["health"],
                "source": "npo_representatives"
            }),
            json!({
                "bin": self.run.bins[3],
                "name_ru": format!("Общественное объединение «Астана жастары» {tag}"),
                "legal_form": "public_association",
                "territories": [ASTANA],
                "spheres": ["youth"],
                "source": "npo_representatives"
            }),
        ];
        for npo in &listed {
            let card = self
                .post("registry", "/v1/npos", &self.tokens.officer, npo)
                .await
                .created("the officer registers an NPO");
            year.npos.push(card);
        }
        for npo in &left_out {
            let card = self
                .post("registry", "/v1/npos", &self.tokens.officer, npo)
                .await
                .created("the officer registers an NPO of another territory or sphere");
            year.other_npos.push(id_of(&card));
        }

        let project = json!({
            "name": format!("Молодёжный центр в Ұлытау {tag}"),
            "starts_on": self.days_ago(200).to_string(),
            "ends_on": format!("{}-12-31", self.today.year()),
            "funding_source": "государственный социальный заказ",
            "sphere": "youth",
            "territory": VILLAGE
        });
        let path = format!("/v1/npos/{}/projects", id_of(&year.npos[0]));
        self.post("registry", &path, &self.tokens.officer, &project)
            .await
            .created("the officer records a project of the NPO");
        year.project = project;
    }

    /// Assesses the needs of the region's youth as the officer, with a round table and
    /// a priority, and publishes the assessment's report.
    async fn assess_needs(&self, year: &mut Year) {
        let officer = &self.tokens.officer;
        let title = format!("Потребности молодежи области Ұлытау {}", self.run.tag);
        let start = NaiveDate::from_ymd_opt(self.today.year(), 1, 1).expect("1 January");
        let assessment = self
            .post(
                "needs",
                "/v1/needs-assessments",
                officer,
                &json!({
                    "title": title,
                    "spheres": ["youth"],
                    "territory": REGION,
                    "period_start": start.to_string(),
                    "period_end": self.today.to_string(),
                    "target_groups": [{"group": "youth", "participants": 120}],
                    "methods": "Анкетирование и фокус-группы в районах области",
                    "instruments": [{"description": "Анкета из 20 вопросов"}],
                    "information_sources": [{"source": "official_statistics"}, {"source": "npo_meetings"}],
                    "report": {"conclusions": "Досуг подростков в селах не организован"}
                }),
            )
            .await
            .created("the officer starts a needs assessment");
        let id = id_of(&assessment);
        let path = format!("/v1/needs-assessments/{id}");

        let activity = json!({
            "held_on": self.days_ago(60).to_string(),
            "form": "round_table",
            "participant_categories": ["npo", "experts"],
            "participants": 35,
            "responsible_staff": [OFFICER_NAME, "Нурлан Бекенов"],
            "description": "Круглый стол о досуге молодежи"
        });
        self.post("needs", &format!("{path}/activities"), officer, &activity)
            .await
            .created("the officer records a round table");
        let priority = json!({
            "sphere": "youth",
            "territory": REGION,
            "target_group": "youth",
            "problem": format!("Нет кружков в сельских округах {}", self.run.tag),
            "information_source": "npo_meetings",
            "risks": "Отток молодежи из сел",
            "risk_level": "high",
            "people_affected": 4200
        });
        self.post("needs", &format!("{path}/priorities"), officer, &priority)
            .await
            .created("the officer identifies a priority");
        for status in ["collecting", "analysed", "published"] {
            let etag = self.etag("needs", &path, officer).await;
            let body = json!({"status": status});
            self.post_if("needs", &format!("{path}/status"), officer, &etag, &body)
                .await
                .ok(&format!("the assessment moves to {status}"));
        }

        year.assessment_id = id;
        year.assessment_title = title;
        year.activity = activity;
        year.priority = priority;
    }

    /// Forms a working group with the first NPO, records its meeting and approves a
    /// joint plan.
    async fn plan_jointly(&self, year: &mut Year) {
        let officer = &self.tokens.officer;
        let group = self
            .post(
                "joint-actions",
                "/v1/working-groups",
                officer,
                &json!({
                    "name": format!("Рабочая группа по молодежной политике {}", self.run.tag),
                    "origin": "created",
                    "format": "Ежемесячные заседания",
                    "spheres": ["youth"],
                    "members": [
                        {"kind": "officer", "government_body": self.run.body, "name": OFFICER_NAME,
                         "role": "Председатель", "responsibilities": "Созыв заседаний"},
                        {"kind": "npo", "npo_id": id_of(&year.npos[0]), "name": year.npos[0]["name_ru"],
                         "role": "Член группы", "responsibilities": "Предложения по программе"}
                    ]
                }),
            )
            .await
            .created("the officer forms a working group");
        let group_id = id_of(&group);

        let meeting = json!({
            "held_on": self.days_ago(45).to_string(),
            "form": "Круглый стол",
            "participant_categories": ["npo", "government_bodies"],
            "participants": 25,
            "responsible_staff": [OFFICER_NAME],
            "minutes": "Протокол №3",
            "result": "Согласован проект совместного плана"
        });
        let path = format!("/v1/working-groups/{group_id}/meetings");
        self.post("joint-actions", &path, officer, &meeting)
            .await
            .created("the working group meets");

        let title = format!(
            "Совместный план {} года {}",
            self.today.year(),
            self.run.tag
        );
        let rows = json!([
            {
                "activity": "Круглый стол с НПО о летнем отдыхе",
                "completion_form": "Протокол",
                "deadline": format!("{}-12-20", self.today.year()),
                "responsible": "Управление по делам молодежи",
                "participants": "НПО области Ұлытау",
                "participation_form": "Очное участие"
            },
            {
                "activity": "Семинар по грантам для НПО",
                "completion_form": "Отчет",
                "deadline": format!("{}-12-25", self.today.year()),
                "responsible": "Управление по делам молодежи",
                "participants": "Молодежные НПО",
                "participation_form": "Онлайн"
            }
        ]);
        let plan = self
            .post(
                "joint-actions",
                "/v1/joint-plans",
                officer,
                &json!({"title": title, "working_group_id": group_id, "rows": rows}),
            )
            .await
            .created("the officer drafts a joint plan");
        let plan_id = id_of(&plan);
        let path = format!("/v1/joint-plans/{plan_id}");
        let etag = self.etag("joint-actions", &path, officer).await;
        self.post_if(
            "joint-actions",
            &format!("{path}/approval"),
            officer,
            &etag,
            &json!({}),
        )
        .await
        .ok("the joint plan is approved");

        year.meeting = meeting;
        year.plan_id = plan_id;
        year.plan_title = title;
        year.plan_rows = rows;
    }

    /// Runs a joint action with the first NPO: parties, a step, agreement, start, a
    /// monitoring row with a measurement, completion and evaluation.
    async fn run_joint_action(&self, year: &mut Year) {
        let officer = &self.tokens.officer;
        let title = format!("Кружки для подростков в селах {}", self.run.tag);
        let action = self
            .post(
                "joint-actions",
                "/v1/joint-actions",
                officer,
                &json!({
                    "title": title, "initiator": "officer", "spheres": ["youth"],
                    "territory": REGION, "goals": ["Досуг подростков в селах"],
                    "tasks": ["Открыть 5 кружков"]
                }),
            )
            .await
            .created("the officer plans a joint action");
        let id = id_of(&action);
        let path = format!("/v1/joint-actions/{id}");
        let parties = [
            json!({
                "kind": "npo", "npo_id": id_of(&year.npos[0]),
                "zone_of_responsibility": "Занятия в кружках", "representative": "Айгүл Сапарова",
                "consent_on": self.days_ago(30).to_string(), "consent_document": "Письмо №12"
            }),
            json!({
                "kind": "government_body", "name": "Управление по делам молодежи области Ұлытау",
                "zone_of_responsibility": "Помещения", "representative": OFFICER_NAME
            }),
        ];
        for party in &parties {
            self.post("joint-actions", &format!("{path}/parties"), officer, party)
                .await
                .created("the officer adds a party");
        }
        let step = json!({
            "order": 1, "title": "Набор участников",
            "deadline": format!("{}-12-31", self.today.year()), "expected_result": "100 подростков"
        });
        self.post("joint-actions", &format!("{path}/steps"), officer, &step)
            .await
            .created("the officer adds a step");
        self.move_action(&path, "agreed").await;
        self.move_action(&path, "in_progress").await;

        let row = json!({
            "activity": "Занятия кружков", "frequency": "monthly",
            "indicators": [{"name": "Участники", "unit": "человек", "target": 100, "higher_is_better": true}]
        });
        let created = self
            .post(
                "joint-actions",
                &format!("{path}/monitoring-rows"),
                officer,
                &row,
            )
            .await
            .created("the officer adds a monitoring row");
        let measurement = json!({
            "indicator": "Участники", "measured_on": self.today.to_string(),
            "value": 112, "evidence": "журнал посещений"
        });
        let measurements = format!("{path}/monitoring-rows/{}/measurements", id_of(&created));
        self.post("joint-actions", &measurements, officer, &measurement)
            .await
            .created("the officer records a measurement");
        self.move_action(&path, "completed").await;
        let etag = self.etag("joint-actions", &path, officer).await;
        let evaluated = self
            .post_if(
                "joint-actions",
                &format!("{path}/evaluation"),
                officer,
                &etag,
                &json!({"effectiveness": "Цели достигнуты", "results": "112 подростков в 5 кружках"}),
            )
            .await
            .ok("the officer evaluates the joint action");

        year.action_id = id;
        year.action_title = title;
        year.action_status = evaluated["status"].as_str().unwrap_or_default().to_owned();
        year.monitoring_row = row;
        year.measurement = measurement;
    }

    async fn move_action(&self, path: &str, status: &str) {
        let officer = &self.tokens.officer;
        let etag = self.etag("joint-actions", path, officer).await;
        let body = json!({"status": status});
        self.post_if(
            "joint-actions",
            &format!("{path}/status"),
            officer,
            &etag,
            &body,
        )
        .await
        .ok(&format!("the joint action moves to {status}"));
    }

    /// Sends a recommendation from each NPO. The body includes the first in its plans
    /// and gives feedback, and forwards the second, on culture, to the akimat.
    async fn handle_recommendations(&self, year: &mut Year) {
        let officer = &self.tokens.officer;
        let decided = self
            .post(
                "recommendations",
                "/v1/recommendations",
                &self.tokens.npo,
                &json!({
                    "government_body": self.run.body, "sphere": "youth", "territory": REGION,
                    "text": "Открыть молодежный центр в Жезказгане",
                    "contacts": {"name": "Айгүл Сапарова", "email": "info@jastar.example.kz"}
                }),
            )
            .await
            .created("the first NPO sends a recommendation");
        let path = format!("/v1/recommendations/{}", id_of(&decided));
        let steps = [
            (
                "decision",
                json!({"handling": "included_in_plans", "reason": "Включено в план на следующий год"}),
            ),
            (
                "feedback",
                json!({"feedback": "Центр включен в план работы управления"}),
            ),
            ("close", json!({})),
        ];
        for (step, body) in &steps {
            let etag = self.etag("recommendations", &path, officer).await;
            self.post_if(
                "recommendations",
                &format!("{path}/{step}"),
                officer,
                &etag,
                body,
            )
            .await
            .ok(&format!(
                "the officer records the {step} of the recommendation"
            ));
        }
        let decided = self
            .get("recommendations", &path, officer)
            .await
            .ok("the officer reads the recommendation");

        let forwarded = self
            .post(
                "recommendations",
                "/v1/recommendations",
                &self.tokens.other_npo,
                &json!({
                    "government_body": self.run.body, "sphere": "culture", "territory": REGION,
                    "text": "Провести фестиваль национальной культуры в Ұлытау",
                    "contacts": {"name": "Серік Омаров", "phone": "+77102000002"}
                }),
            )
            .await
            .created("the second NPO sends a recommendation");
        let path = format!("/v1/recommendations/{}", id_of(&forwarded));
        let etag = self.etag("recommendations", &path, officer).await;
        let body = json!({"to_body": self.run.other_body});
        let forwarded = self
            .post_if(
                "recommendations",
                &format!("{path}/forwarding"),
                officer,
                &etag,
                &body,
            )
            .await
            .ok("the officer forwards the recommendation to the akimat");

        assert_eq!(decided["status"], "closed", "{decided}");
        assert_eq!(
            decided["answered_on"],
            self.today.to_string().as_str(),
            "{decided}"
        );
        year.decided = Recommendation::of(
            &decided,
            "included_in_plans",
            OFFICER_NAME,
            "info@jastar.example.kz",
        );
        // The akimat's officer handles the forwarded recommendation from then on.
        year.forwarded =
            Recommendation::of(&forwarded, "forwarded", OTHER_OFFICER_NAME, "+77102000002");
    }

    /// Records a consultation given and one received, a request of the akimat's officer
    /// with the body's answer, and a reception.
    async fn exchange_with_others(&self, year: &mut Year) {
        let officer = &self.tokens.officer;
        let given = json!({
            "direction": "given", "held_on": self.days_ago(20).to_string(),
            "counterpart": year.npos[0]["name_ru"], "npo_id": id_of(&year.npos[0]),
            "sphere": "youth", "question": "Подготовка заявки на грант", "form": "консультация"
        });
        let received = json!({
            "direction": "received", "held_on": self.days_ago(10).to_string(),
            "counterpart": year.npos[1]["name_ru"], "npo_id": id_of(&year.npos[1]),
            "contacts": {"name": "Серік Омаров", "email": "bilim@example.kz"},
            "sphere": "education", "question": "Экспертиза программы летнего отдыха",
            "form": "экспертное заключение"
        });
        for consultation in [&given, &received] {
            self.post(
                "recommendations",
                "/v1/consultations",
                officer,
                consultation,
            )
            .await
            .created("the officer records a consultation");
        }

        let request = json!({
            "to_body": self.run.body,
            "question": "Сколько молодежных НПО работает в районах области?",
            "sphere": "youth", "format": "письмо",
            "contacts": {"name": OTHER_OFFICER_NAME, "phone": "+77102654321"},
            "deadline": (self.today + Days::new(10)).to_string()
        });
        let sent = self
            .post(
                "recommendations",
                "/v1/officer-requests",
                &self.tokens.other_officer,
                &request,
            )
            .await
            .created("the akimat's officer asks the body's officer");
        let answer =
            json!({"answer": "42 НПО в шести районах", "result": "Данные включены в план акимата"});
        let path = format!("/v1/officer-requests/{}/answer", id_of(&sent));
        self.post("recommendations", &path, officer, &answer)
            .await
            .ok("the body's officer answers the request");

        let reception = self
            .post(
                "recommendations",
                "/v1/reception-requests",
                &self.tokens.npo,
                &json!({"government_body": self.run.body, "topic": "Помещение для кружков"}),
            )
            .await
            .created("the first NPO asks for a reception");
        let path = format!("/v1/reception-requests/{}/appointment", id_of(&reception));
        let appointment = json!({
            "appointed_on": (self.today + Days::new(7)).to_string(), "place": "Кабинет 305"
        });
        self.post("recommendations", &path, officer, &appointment)
            .await
            .ok("the officer appoints the reception");

        year.given = given;
        year.received = received;
        year.request = request;
        year.answer = answer;
    }
}

impl Recommendation {
    fn of(
        read: &Value,
        handling: &'static str,
        responsible: &'static str,
        contact: &'static str,
    ) -> Self {
        Self {
            id: id_of(read),
            author: read["author_name"].clone(),
            sphere: read["sphere"].clone(),
            received_on: read["received_on"].clone(),
            answered_on: read["answered_on"].clone(),
            handling,
            responsible,
            contact,
        }
    }
}

/// Differences between the assembled report and the year's work, one line each.
#[derive(Debug, Default)]
struct Findings(Vec<String>);

impl Findings {
    /// Notes `what` unless `actual` equals `expected`.
    fn equal(&mut self, what: impl std::fmt::Display, actual: &Value, expected: impl Into<Value>) {
        let expected = expected.into();
        if *actual != expected {
            self.0
                .push(format!("{what} is {actual}, expected {expected}"));
        }
    }

    fn note(&mut self, finding: String) {
        self.0.push(finding);
    }

    /// Returns the item of `list` whose `field` equals `value`, noting its absence.
    fn find<'a>(
        &mut self,
        what: &str,
        list: &'a Value,
        field: &str,
        value: &Value,
    ) -> Option<&'a Value> {
        let items = list.as_array().map_or(&[][..], Vec::as_slice);
        let found = items.iter().find(|item| item[field] == *value);
        if items.is_empty() {
            self.note(format!("{what}: no rows at all"));
        } else if found.is_none() {
            self.note(format!("{what}: no row with {field} {value} among {list}"));
        }
        found
    }

    /// Notes `what` when `list` has rows, but not `count` of them.
    fn count(&mut self, what: &str, list: &Value, count: usize) {
        let found = list.as_array().map_or(0, Vec::len);
        if found > 0 && found != count {
            self.note(format!("{what} has {found} rows, expected {count}: {list}"));
        }
    }
}

/// Compares the content of the report with the year's work, table by table.
fn check_report(content: &Value, year: &Year, today: NaiveDate) -> Vec<String> {
    let mut findings = Findings::default();
    let tables = &content["tables"];
    let attachments = &content["attachments"];
    check_npos(&mut findings, tables, year);
    check_needs(&mut findings, tables, attachments, year);
    check_planning(&mut findings, tables, attachments, year);
    check_actions(&mut findings, tables, attachments, year);
    check_recommendations(&mut findings, tables, year);
    check_consultations(&mut findings, tables, year);
    check_officers(&mut findings, tables, year, today);
    findings.0
}

/// Table 1: the NPOs of the body's territory and spheres with key staff and contacts,
/// and the project of the year.
fn check_npos(findings: &mut Findings, tables: &Value, year: &Year) {
    let rows = &tables["npos"];
    for card in &year.npos {
        let what = format!("table 1, NPO {}", card["id"]);
        let Some(row) = findings.find(&what, rows, "npo_id", &card["id"]) else {
            continue;
        };
        findings.equal(
            format!("{what}: name"),
            &row["name"],
            card["name_ru"].clone(),
        );
        findings.equal(
            format!("{what}: spheres"),
            &row["spheres"],
            card["spheres"].clone(),
        );
        findings.equal(
            format!("{what}: territories"),
            &row["territories"],
            card["territories"].clone(),
        );
        findings.equal(
            format!("{what}: target groups"),
            &row["target_groups"],
            card["target_groups"].clone(),
        );
        findings.equal(
            format!("{what}: forms of work"),
            &row["forms_of_work"],
            card["forms_of_work"].clone(),
        );
        findings.equal(
            format!("{what}: founded on"),
            &row["founded_on"],
            card["founded_on"].clone(),
        );
        let staff: Vec<String> = card["key_staff"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|s| match s["position"].as_str() {
                Some(position) => format!(
                    "{}, {position}",
                    s["full_name"].as_str().unwrap_or_default()
                ),
                None => s["full_name"].as_str().unwrap_or_default().to_owned(),
            })
            .collect();
        findings.equal(format!("{what}: key staff"), &row["key_staff"], staff);
        let contacts: Vec<Value> = ["phone", "email", "address"]
            .iter()
            .map(|field| card["contacts"][field].clone())
            .filter(|value| !value.is_null())
            .chain(
                card["web_resources"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .cloned(),
            )
            .collect();
        findings.equal(format!("{what}: contacts"), &row["contacts"], contacts);
    }
    for id in &year.other_npos {
        let listed = rows
            .as_array()
            .is_some_and(|items| items.iter().any(|row| row["npo_id"] == *id.as_str()));
        if listed {
            findings.note(format!(
                "table 1 lists NPO {id}, which works outside the body's territory or spheres"
            ));
        }
    }

    let what = "table 1, project";
    if let Some(project) = findings.find(what, &tables["projects"], "name", &year.project["name"]) {
        findings.equal(
            format!("{what}: organisation"),
            &project["organisation"],
            year.npos[0]["name_ru"].clone(),
        );
        findings.equal(
            format!("{what}: start"),
            &project["starts_on"],
            year.project["starts_on"].clone(),
        );
        findings.equal(
            format!("{what}: end"),
            &project["ends_on"],
            year.project["ends_on"].clone(),
        );
        findings.equal(
            format!("{what}: funding source"),
            &project["funding_source"],
            year.project["funding_source"].clone(),
        );
    }
}

/// Table 2: the round table of the needs assessment, and the form of identified
/// priorities it refers to.
fn check_needs(findings: &mut Findings, tables: &Value, attachments: &Value, year: &Year) {
    let rows = &tables["needs"];
    findings.count("table 2", rows, 1);
    if let Some(row) = findings.find("table 2", rows, "held_on", &year.activity["held_on"]) {
        findings.equal("table 2: form", &row["form"], year.activity["form"].clone());
        findings.equal(
            "table 2: participant categories",
            &row["participant_categories"],
            year.activity["participant_categories"].clone(),
        );
        let staff: Vec<&str> = year.activity["responsible_staff"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        findings.equal(
            "table 2: responsible staff",
            &row["responsible_staff"],
            staff.join(", "),
        );
        findings.equal("table 2: attachment", &row["attachment"], 1);
    }

    let forms = &attachments["priorities"];
    findings.count("attachments of priorities", forms, 1);
    let id = Value::from(year.assessment_id.clone());
    if let Some(form) = findings.find("attachment of priorities", forms, "assessment_id", &id) {
        findings.equal("attachment of priorities: number", &form["number"], 1);
        findings.equal(
            "attachment of priorities: title",
            &form["title"],
            year.assessment_title.clone(),
        );
        findings.count("attachment of priorities", &form["rows"], 1);
        let what = "attachment of priorities, row";
        if let Some(row) = findings.find(what, &form["rows"], "problem", &year.priority["problem"])
        {
            for field in [
                "sphere",
                "territory",
                "target_group",
                "information_source",
                "risks",
                "risk_level",
            ] {
                findings.equal(
                    format!("{what}: {field}"),
                    &row[field],
                    year.priority[field].clone(),
                );
            }
        }
    }
}

/// Table 3: the working group's meeting, and the approved joint plan.
fn check_planning(findings: &mut Findings, tables: &Value, attachments: &Value, year: &Year) {
    let rows = &tables["planning"];
    findings.count("table 3", rows, 1);
    if let Some(row) = findings.find("table 3", rows, "held_on", &year.meeting["held_on"]) {
        for field in ["form", "participant_categories", "participants", "result"] {
            findings.equal(
                format!("table 3: {field}"),
                &row[field],
                year.meeting[field].clone(),
            );
        }
        findings.equal(
            "table 3: responsible staff",
            &row["responsible_staff"],
            OFFICER_NAME,
        );
    }

    let forms = &attachments["joint_plans"];
    findings.count("attachments of joint plans", forms, 1);
    let id = Value::from(year.plan_id.clone());
    if let Some(form) = findings.find("attachment of joint plans", forms, "plan_id", &id) {
        findings.equal("attachment of joint plans: number", &form["number"], 1);
        findings.equal(
            "attachment of joint plans: title",
            &form["title"],
            year.plan_title.clone(),
        );
        findings.equal("attachment of joint plans: version", &form["version"], 1);
        findings.equal(
            "attachment of joint plans: rows",
            &form["rows"],
            year.plan_rows.clone(),
        );
    }
}

/// Table 4: the joint action, and its monitoring and evaluation plan with the planned
/// and the measured value.
fn check_actions(findings: &mut Findings, tables: &Value, attachments: &Value, year: &Year) {
    let rows = &tables["actions"];
    findings.count("table 4", rows, 1);
    let id = Value::from(year.action_id.clone());
    if let Some(row) = findings.find("table 4", rows, "action_id", &id) {
        findings.equal("table 4: title", &row["title"], year.action_title.clone());
        findings.equal(
            "table 4: status",
            &row["status"],
            year.action_status.clone(),
        );
        findings.equal("table 4: attachment", &row["attachment"], 1);
    }

    let forms = &attachments["monitoring_plans"];
    findings.count("attachments of monitoring plans", forms, 1);
    let Some(form) = findings.find("attachment of monitoring plans", forms, "action_id", &id)
    else {
        return;
    };
    findings.equal("attachment of monitoring plans: number", &form["number"], 1);
    findings.count("attachment of monitoring plans", &form["rows"], 1);
    let what = "attachment of monitoring plans, row";
    let activity = &year.monitoring_row["activity"];
    let Some(row) = findings.find(what, &form["rows"], "activity", activity) else {
        return;
    };
    findings.equal(
        format!("{what}: frequency"),
        &row["frequency"],
        year.monitoring_row["frequency"].clone(),
    );
    let planned = &year.monitoring_row["indicators"][0];
    let what = "attachment of monitoring plans, indicator";
    if let Some(indicator) = findings.find(what, &row["indicators"], "name", &planned["name"]) {
        findings.equal(
            format!("{what}: unit"),
            &indicator["unit"],
            planned["unit"].clone(),
        );
        findings.equal(
            format!("{what}: planned value"),
            &indicator["target"],
            100.0,
        );
        findings.equal(format!("{what}: actual value"), &indicator["actual"], 112.0);
        findings.equal(
            format!("{what}: evidence"),
            &indicator["evidence"],
            json!([year.measurement["evidence"]]),
        );
    }
}

/// Table 5: both recommendations, the one decided with its feedback and the one
/// forwarded to the akimat.
fn check_recommendations(findings: &mut Findings, tables: &Value, year: &Year) {
    let rows = &tables["recommendations"];
    findings.count("table 5", rows, 2);
    for recommendation in [&year.decided, &year.forwarded] {
        let what = format!("table 5, recommendation {}", recommendation.id);
        let id = Value::from(recommendation.id.clone());
        let Some(row) = findings.find(&what, rows, "recommendation_id", &id) else {
            continue;
        };
        findings.equal(
            format!("{what}: handling"),
            &row["handling"],
            recommendation.handling,
        );
        findings.equal(
            format!("{what}: sphere"),
            &row["sphere"],
            recommendation.sphere.clone(),
        );
        findings.equal(
            format!("{what}: received on"),
            &row["received_on"],
            recommendation.received_on.clone(),
        );
        findings.equal(
            format!("{what}: answered on"),
            &row["answered_on"],
            recommendation.answered_on.clone(),
        );
        findings.equal(
            format!("{what}: author"),
            &row["author"],
            recommendation.author.clone(),
        );
        findings.equal(format!("{what}: initiator"), &row["initiator"], "npo");
        findings.equal(
            format!("{what}: responsible"),
            &row["responsible"],
            recommendation.responsible,
        );
        let contacts = row["contacts"].as_str().unwrap_or_default();
        if !contacts.contains(recommendation.contact) {
            findings.note(format!(
                "{what}: contacts {contacts:?} lack {:?}, which the author gave",
                recommendation.contact
            ));
        }
    }
}

/// Table 6: the consultation given to the first NPO and the expert opinion received
/// from the second, given first.
fn check_consultations(findings: &mut Findings, tables: &Value, year: &Year) {
    let rows = &tables["consultations"];
    findings.count("table 6", rows, 2);
    for consultation in [&year.given, &year.received] {
        let direction = &consultation["direction"];
        let what = format!("table 6, support {direction}");
        let Some(row) = findings.find(&what, rows, "direction", direction) else {
            continue;
        };
        for field in ["held_on", "counterpart", "sphere", "question", "form"] {
            findings.equal(
                format!("{what}: {field}"),
                &row[field],
                consultation[field].clone(),
            );
        }
    }
    if let Some(first) = rows.get(0)
        && first["direction"] != "given"
    {
        findings.note(format!(
            "table 6 lists {} support first, not the support given",
            first["direction"]
        ));
    }
    if let Some(row) = rows
        .as_array()
        .into_iter()
        .flatten()
        .find(|row| row["direction"] == "received")
    {
        let contacts = row["contacts"].as_str().unwrap_or_default();
        if !contacts.contains("bilim@example.kz") {
            findings.note(format!(
                "table 6, support received: contacts {contacts:?} lack the e-mail given"
            ));
        }
    }
}

/// Table 7: the akimat's request, answered by the body.
fn check_officers(findings: &mut Findings, tables: &Value, year: &Year, today: NaiveDate) {
    let rows = &tables["officers"];
    findings.count("table 7", rows, 1);

    let what = "table 7";
    let other = Value::from(year.other_body.clone());
    let Some(row) = findings.find(what, rows, "government_body", &other) else {
        return;
    };
    findings.equal(
        format!("{what}: name of the other body"),
        &row["government_body_name"],
        year.other_body_name.clone(),
    );

    findings.equal(format!("{what}: initiator"), &row["initiator"], "other");
    findings.equal(
        format!("{what}: sent on"),
        &row["sent_on"],
        today.to_string(),
    );
    for field in ["question", "sphere", "format"] {
        findings.equal(
            format!("{what}: {field}"),
            &row[field],
            year.request[field].clone(),
        );
    }
    findings.equal(
        format!("{what}: result"),
        &row["result"],
        year.answer["result"].clone(),
    );
    let contacts = row["contacts"].as_str().unwrap_or_default();
    if !contacts.contains("+77102654321") {
        findings.note(format!(
            "{what}: contacts {contacts:?} lack the phone of the asking officer"
        ));
    }
}

impl Flow {
    /// Opens the body's report on the year as its officer and reads it until the read
    /// models show every table as the year's work made it. Returns the last read and
    /// what still differed when the wait timed out.
    async fn open_report(&self, year: &Year) -> (Value, Vec<String>) {
        let officer = &self.tokens.officer;
        let opened = self
            .post(
                "aggregation",
                "/v1/annual-reports",
                officer,
                &json!({"year": self.today.year()}),
            )
            .await
            .created("the officer opens the annual report");
        assert_eq!(opened["status"], "draft");
        assert_eq!(opened["government_body"], self.run.body.as_str());
        assert_eq!(opened["content"]["year"], self.today.year());
        let path = format!("/v1/annual-reports/{}", id_of(&opened));

        let deadline = Instant::now() + CATCH_UP_TIMEOUT;
        loop {
            let report = self
                .get("aggregation", &path, officer)
                .await
                .ok("the officer reads the report");
            let findings = check_report(&report["content"], year, self.today);
            if findings.is_empty() {
                return (report, findings);
            }
            if Instant::now() >= deadline {
                eprintln!(
                    "{} s after the year's work, the annual report of {} still differs \
                     from it; the test goes on and fails at the end:\n  {}",
                    CATCH_UP_TIMEOUT.as_secs(),
                    self.run.body,
                    findings.join("\n  ")
                );
                return (report, findings);
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// Saves the narrative and submits the report. The ministry returns it with
    /// comments, the officer corrects and resubmits it, and the ministry accepts it.
    async fn review_report(&self, report: &Value) {
        let officer = &self.tokens.officer;
        let ministry = &self.tokens.ministry;
        let path = format!("/v1/annual-reports/{}", id_of(report));
        let etag_of = |report: &Value| format!("\"{}\"", report["version"]);
        // Every part is given, because the report returns the parts left out as null.
        let first = json!({"narrative": {
            "summary": "Год совместной работы с молодежными НПО области",
            "npos": "Сведения о НПО обновлены",
            "needs": "Проведен круглый стол, выявлен один приоритет",
            "planning": "Рабочая группа утвердила совместный план",
            "actions": "Открыты кружки для подростков",
            "recommendations": null,
            "consultations": "Оказана одна консультация, получено одно заключение",
            "officers": "Дан ответ на запрос акимата"
        }});
        let mut corrected = first.clone();
        corrected["narrative"]["recommendations"] =
            json!("Одна рекомендация включена в планы, одна передана акимату");
        let comments = "Опишите учет рекомендаций";

        let saved = self
            .patch_if("aggregation", &path, officer, &etag_of(report), &first)
            .await
            .ok("the officer saves the narrative");
        let submitted = self
            .post_if(
                "aggregation",
                &format!("{path}/submission"),
                officer,
                &etag_of(&saved),
                &json!({}),
            )
            .await
            .ok("the officer submits the report");
        let returned = self
            .post_if(
                "aggregation",
                &format!("{path}/review"),
                ministry,
                &etag_of(&submitted),
                &json!({"decision": "returned", "comments": comments}),
            )
            .await
            .ok("the ministry returns the report");
        let resaved = self
            .patch_if(
                "aggregation",
                &path,
                officer,
                &etag_of(&returned),
                &corrected,
            )
            .await
            .ok("the officer corrects the narrative");
        let resubmitted = self
            .post_if(
                "aggregation",
                &format!("{path}/submission"),
                officer,
                &etag_of(&resaved),
                &json!({}),
            )
            .await
            .ok("the officer resubmits the report");
        let accepted = self
            .post_if(
                "aggregation",
                &format!("{path}/review"),
                ministry,
                &etag_of(&resubmitted),
                &json!({"decision": "accepted"}),
            )
            .await
            .ok("the ministry accepts the report");
        let versions = self
            .get("aggregation", &format!("{path}/versions"), ministry)
            .await
            .ok("the ministry lists the versions");
        let second = self
            .get("aggregation", &format!("{path}/versions/2"), officer)
            .await
            .ok("the officer reads version 2");
        let first_version = self
            .get("aggregation", &format!("{path}/versions/1"), ministry)
            .await
            .ok("the ministry reads version 1");
        let workbook = self
            .get("aggregation", &format!("{path}/report.xlsx"), ministry)
            .await;

        let today = self.today.to_string();
        assert_eq!(saved["content"]["narrative"], first["narrative"]);
        assert_eq!(submitted["status"], "submitted");
        assert_eq!(submitted["current_version"], 1);
        assert_eq!(submitted["submitted_on"], today.as_str());
        assert_eq!(returned["status"], "returned");
        assert_eq!(resubmitted["status"], "submitted");
        assert_eq!(resubmitted["current_version"], 2);
        assert_eq!(accepted["status"], "accepted");
        assert_eq!(accepted["accepted_on"], today.as_str());
        assert_eq!(accepted["submitted_on"], today.as_str());
        assert_eq!(accepted["late"], false);
        assert_eq!(accepted["content"]["narrative"], corrected["narrative"]);
        assert_eq!(
            accepted["content"]["tables"], report["content"]["tables"],
            "the accepted tables are those the officer read"
        );
        assert_eq!(
            accepted["content"]["attachments"],
            report["content"]["attachments"]
        );

        let numbers: Vec<i64> = versions
            .as_array()
            .expect("a list of versions")
            .iter()
            .filter_map(|v| v["number"].as_i64())
            .collect();
        assert_eq!(numbers, [1, 2]);
        assert_eq!(versions[0]["review"], "returned");
        assert_eq!(versions[0]["comments"], comments);
        assert_eq!(versions[0]["reviewed_on"], today.as_str());
        assert_eq!(versions[1]["review"], "accepted");
        assert!(versions[1]["comments"].is_null(), "{}", versions[1]);
        assert_eq!(first_version["content"]["narrative"], first["narrative"]);
        assert_eq!(second["content"], accepted["content"]);

        assert_eq!(
            workbook.status,
            StatusCode::OK,
            "{}",
            String::from_utf8_lossy(&workbook.bytes)
        );
        assert_eq!(workbook.content_type.as_deref(), Some(XLSX));
        assert!(
            workbook.bytes.starts_with(b"PK"),
            "the workbook is a ZIP file"
        );
    }

    /// Rebuilds the read models from the services' event logs and checks that they hold
    /// what the events delivered one by one. Events still arriving would change the
    /// digest, so it is read once it has stopped changing.
    async fn rebuild_read_models(&self, fresh: bool) {
        let ministry = &self.tokens.ministry;
        let before = self.settled_digest().await;

        let rebuilt = self
            .post(
                "aggregation",
                "/v1/read-models/rebuild",
                ministry,
                &json!({}),
            )
            .await
            .ok("the ministry rebuilds the read models");
        let after = self
            .get("aggregation", "/v1/read-models/digest", ministry)
            .await
            .ok("the ministry reads the digest");

        if fresh {
            assert_eq!(
                rebuilt["skipped"],
                json!([]),
                "every event of the run applies: {rebuilt}"
            );
        }
        assert_eq!(
            rebuilt["digest"], before,
            "the rebuilt read models equal those built from the events as they came: {rebuilt}"
        );
        assert_eq!(after, before);
    }

    /// Opens the reference dashboard in a browser and compares its panels with the
    /// analytics figures, which on a fresh platform hold this run's year alone.
    async fn check_dashboard(&self) {
        let base = &self.urls["aggregation"];
        let ministry = &self.tokens.ministry;
        self.leave_reception_waiting().await;
        let expect = browser::expectations(
            &self.client,
            base,
            ministry,
            self.today.year(),
            REGION,
            DISTRICT,
            "youth",
        )
        .await;
        eprintln!("dashboard figures: {expect}");

        // The year's work as the figures count it: four active NPOs, three of them in
        // the region and two in its Ulytau district, one high-risk priority, one joint
        // action whose one indicator was measured and met, two recommendations with one
        // forwarded, the report accepted on time, and the waiting reception.
        let national = &expect["national"];
        assert_eq!(national["npos"]["total"], 4, "NPOs: {}", national["npos"]);
        assert_eq!(expect["regional"]["npos"]["total"], 3);
        assert_eq!(expect["district_figures"]["npos"]["total"], 2);
        assert_eq!(national["priorities"]["total"]["high"], 1);
        assert_eq!(national["actions"]["actions"], 1);
        assert_eq!(national["actions"]["indicators"]["met"], 1);
        assert_eq!(national["recommendations"]["received"], 2);
        assert_eq!(national["recommendations"]["forwarded"], 1);
        assert_eq!(national["reports"]["regions"][0]["on_time"], 1);
        assert_eq!(national["compliance"]["by_rule"]["reception"], 1);
        assert_eq!(
            national["findings"]["items"][0]["records"][0]["kind"],
            "reception"
        );

        browser::run(base, ministry, &expect);
    }

    /// Records a reception request of 45 days ago that got no appointment, so that the
    /// compliance panel has a finding with a record to link to, and waits until the
    /// aggregation service counts it.
    async fn leave_reception_waiting(&self) {
        let requested_on = self.today - Days::new(45);
        self.post(
            "recommendations",
            "/v1/reception-requests",
            &self.tokens.officer,
            &json!({"topic": "Аренда помещения для молодежного центра", "requested_on": requested_on}),
        )
        .await
        .created("the officer records a reception request");
        let deadline = Instant::now() + CATCH_UP_TIMEOUT;
        loop {
            let counts = self
                .get(
                    "aggregation",
                    "/v1/analytics/compliance",
                    &self.tokens.ministry,
                )
                .await
                .ok("the ministry reads the compliance figures");
            if counts["by_rule"]["reception"] == 1 {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the waiting reception is not a finding after {CATCH_UP_TIMEOUT:?}: {counts}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    async fn settled_digest(&self) -> Value {
        let ministry = &self.tokens.ministry;
        let deadline = Instant::now() + CATCH_UP_TIMEOUT;
        let mut last = Value::Null;
        loop {
            let digest = self
                .get("aggregation", "/v1/read-models/digest", ministry)
                .await
                .ok("the ministry reads the digest");
            if digest == last {
                return digest;
            }
            assert!(
                Instant::now() < deadline,
                "the read models kept changing for {} s",
                CATCH_UP_TIMEOUT.as_secs()
            );
            last = digest;
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}
