//! Runs the `liaison` binary as a separate process, the way the README's first steps
//! do: `serve all` on the embedded default, a token from `liaison token`, then HTTP.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const BINARY: &str = env!("CARGO_BIN_EXE_liaison");

struct Server {
    child: Child,
    base: String,
}

impl Server {
    /// Starts `liaison serve all` on a free port and waits until it listens.
    fn start(data: &std::path::Path) -> Self {
        let mut child = Command::new(BINARY)
            .args(["serve", "all"])
            .env("LIAISON_DATA_DIR", data)
            .env("LIAISON_LISTEN", "127.0.0.1:0")
            .env("LIAISON_LOG_FORMAT", "json")
            .env_remove("LIAISON_DATABASE_URL")
            .env_remove("LIAISON_BROKER_URL")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the binary starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut lines = BufReader::new(stdout).lines();
        let started = Instant::now();
        let address = loop {
            let line = lines
                .next()
                .expect("the server logs until it listens")
                .expect("a log line");
            let entry: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
            if entry["message"] == "listening" {
                break entry["listen"]
                    .as_str()
                    .expect("the listen address is logged")
                    .to_owned();
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the server did not start within 60 s"
            );
        };
        // Keep reading so the server never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Self {
            child,
            base: format!("http://{address}"),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends SIGTERM and returns whether the process exited cleanly within 30 s.
    fn terminate(mut self) -> bool {
        let pid = self.child.id().to_string();
        let signalled = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .is_ok_and(|s| s.success());
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return signalled && status.success();
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        drop(self.child.kill());
        false
    }
}

fn token(data: &std::path::Path, args: &[&str]) -> String {
    let output = Command::new(BINARY)
        .arg("token")
        .args(args)
        .env("LIAISON_DATA_DIR", data)
        .output()
        .expect("the token command runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .expect("the token is text")
        .trim()
        .to_owned()
}

#[tokio::test]
async fn readme_walkthrough_works() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path());
    let client = reqwest::Client::new();
    let officer = token(
        data.path(),
        &["--role", "officer", "--body", "akimat-ulytau"],
    );

    let health = client.get(server.url("/healthz")).send().await.unwrap();
    let territories: Value = client
        .get(server.url("/v1/territories"))
        .query(&[("q", "ұлытау")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let created = client
        .post(server.url("/v1/npos"))
        .bearer_auth(&officer)
        .json(&json!({
            "bin": "940140000385",
            "name_ru": "Общественное объединение «Жастар әлемі»",
            "legal_form": "public_association",
            "registered_on": "2003-12-15",
            "territories": ["620000000"],
            "spheres": ["youth"],
            "key_staff": [{"full_name": "Айгерім Сейітова"}],
            "source": "npo_representatives"
        }))
        .send()
        .await
        .unwrap();
    let created_status = created.status();
    let card: Value = created.json().await.unwrap();
    let found: Value = client
        .get(server.url("/v1/npos"))
        .query(&[("q", "ЖАСТАР")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let public: Value = client
        .get(server.url(&format!("/v1/npos/{}", card["id"].as_str().unwrap())))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let sorted: Value = client
        .get(server.url("/v1/npos?sphere=youth&registered_from=2000-01-01&sort=name_kk"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let facets: Value = client
        .get(server.url("/v1/npo-facets?territory=620000000"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let export = client
        .get(server.url("/v1/open-data/npos.csv?territory=620000000"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();

    assert_eq!(health.status(), 200);
    assert_eq!(territories["items"][0]["code"], "620000000");
    assert_eq!(created_status, 201);
    assert_eq!(found["items"][0]["id"], card["id"]);
    assert!(public.get("key_staff").is_none());
    assert_eq!(sorted["items"][0]["id"], card["id"]);
    assert_eq!(facets["total"], 1);
    assert_eq!(facets["regions"], json!({"620000000": 1}));
    assert!(export.starts_with('\u{feff}'));
    assert!(export.contains(card["id"].as_str().unwrap()));
    assert!(!export.contains("Сейітова"));
    assert!(server.terminate(), "the server stops cleanly on SIGTERM");
}

/// Sends `request` and returns the status and the JSON body, or `Value::Null`.
async fn send(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.expect("the server answers");
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

#[tokio::test]
async fn readme_assessment_works() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path());
    let client = reqwest::Client::new();
    let officer = token(
        data.path(),
        &["--role", "officer", "--body", "akimat-ulytau"],
    );
    let npo = token(data.path(), &["--role", "npo", "--bin", "940140000385"]);
    let registered = client
        .post(server.url("/v1/npos"))
        .bearer_auth(&officer)
        .json(&json!({
            "bin": "940140000385",
            "name_ru": "Общественное объединение «Жастар әлемі»",
            "legal_form": "public_association",
            "territories": ["620000000"],
            "source": "npo_representatives"
        }));
    assert_eq!(send(registered).await.0, 201);

    let (created, assessment) = send(
        client
            .post(server.url("/v1/needs-assessments"))
            .bearer_auth(&officer)
            .json(&json!({
                "title": "Потребности молодежи области Ұлытау",
                "spheres": ["youth"],
                "territory": "620000000",
                "period_start": "2024-02-01",
                "period_end": "2024-05-31",
                "target_groups": [{"group": "youth", "participants": 120}],
                "methods": "Анкетирование и фокус-группы в районах области",
                "instruments": [{"description": "Анкета из 20 вопросов"}],
                "information_sources": [{"source": "official_statistics"}, {"source": "npo_meetings"}]
            })),
    )
    .await;
    let a = server.url(&format!(
        "/v1/needs-assessments/{}",
        assessment["id"].as_str().unwrap()
    ));
    let status = |etag: &str, to: &str| {
        client
            .post(format!("{a}/status"))
            .bearer_auth(&officer)
            .header("If-Match", format!("\"{etag}\""))
            .json(&json!({"status": to}))
    };
    let collecting = send(status("1", "collecting")).await.0;
    let (proposed, proposal) = send(
        client
            .post(format!("{a}/npo-proposals"))
            .bearer_auth(&npo)
            .json(&json!({"text": "В селах нет кружков для подростков"})),
    )
    .await;
    let activity = send(
        client.post(format!("{a}/activities")).bearer_auth(&officer).json(&json!({
            "held_on": "2024-03-12", "form": "round_table",
            "participant_categories": ["npo", "experts"], "responsible_staff": ["Айгерим Сейтова"]
        })),
    )
    .await
    .0;
    let reported = send(
        client
            .patch(&a)
            .bearer_auth(&officer)
            .header("If-Match", "\"2\"")
            .json(&json!({"report": {"conclusions": "Досуг подростков в селах не организован"}})),
    )
    .await
    .0;
    let priority = send(
        client
            .post(format!("{a}/priorities"))
            .bearer_auth(&officer)
            .json(&json!({
                "sphere": "youth", "territory": "620000000", "target_group": "youth",
                "problem": "Нет кружков в сельских округах", "information_source": "npo_meetings",
                "risks": "Отток молодежи", "risk_level": "high", "people_affected": 4200
            })),
    )
    .await
    .0;
    let analysed = send(status("3", "analysed")).await.0;
    let published = send(status("4", "published")).await.0;
    let (_, public) = send(client.get(&a)).await;
    let (_, activities) = send(client.get(format!("{a}/activities"))).await;
    let form = client
        .get(format!("{a}/priorities.xlsx"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let (_, schedule) = send(
        client
            .get(server.url("/v1/needs-assessment-schedule"))
            .bearer_auth(&officer),
    )
    .await;

    assert_eq!(created, 201, "{assessment}");
    assert_eq!(collecting, 200);
    assert_eq!(proposed, 201, "{proposal}");
    assert!(proposal["npo_id"].is_string());
    assert_eq!(activity, 201);
    assert_eq!(reported, 200);
    assert_eq!(priority, 201);
    assert_eq!(analysed, 200);
    assert_eq!(published, 200);
    assert_eq!(public["status"], "published");
    assert_eq!(public["priorities"][0]["risk_level"], "high");
    assert!(activities["items"][0].get("responsible_staff").is_none());
    assert!(form.starts_with(b"PK"));
    assert_eq!(schedule["items"][0]["state"], "overdue");
    assert!(server.terminate(), "the server stops cleanly on SIGTERM");
}

#[tokio::test]
async fn readme_joint_action_works() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path());
    let client = reqwest::Client::new();
    let officer = token(
        data.path(),
        &["--role", "officer", "--body", "akimat-ulytau"],
    );
    let (_, npo) = send(
        client
            .post(server.url("/v1/npos"))
            .bearer_auth(&officer)
            .json(&json!({
                "bin": "940140000385",
                "name_ru": "Общественное объединение «Жастар әлемі»",
                "legal_form": "public_association",
                "source": "npo_representatives"
            })),
    )
    .await;
    let j = server.url("/v1/joint-actions");
    let post = |path: String, body: Value| client.post(path).bearer_auth(&officer).json(&body);
    let (created, action) = send(post(j.clone(), json!({
        "title": "Кружки для подростков в селах", "initiator": "officer", "spheres": ["youth"],
        "territory": "620000000", "goals": ["Досуг подростков в селах"], "tasks": ["Открыть 5 кружков"]
    })))
    .await;
    let a = format!("{j}/{}", action["id"].as_str().unwrap());
    let at = |etag: &str, to: &str| {
        client
            .post(format!("{a}/status"))
            .bearer_auth(&officer)
            .header("If-Match", format!("\"{etag}\""))
            .json(&json!({"status": to}))
    };
    let (_, party) = send(post(
        format!("{a}/parties"),
        json!({
            "kind": "npo", "npo_id": npo["id"], "zone_of_responsibility": "Занятия в кружках",
            "consent_on": "2026-11-20", "consent_document": "письмо №12"
        }),
    ))
    .await;
    let own = send(post(
        format!("{a}/parties"),
        json!({
            "kind": "government_body", "name": "Акимат области Ұлытау",
            "zone_of_responsibility": "Помещения", "representative": "Ерлан Сапаров"
        }),
    ))
    .await
    .0;
    let step = send(post(format!("{a}/steps"), json!({
        "order": 1, "title": "Набор участников", "deadline": "2027-02-01", "expected_result": "100 подростков"
    })))
    .await
    .0;
    let agreed = send(at("4", "agreed")).await.0;
    let (premature, blocked) = send(at("5", "in_progress")).await;
    let named = send(
        client
            .patch(format!("{a}/parties/{}", party["id"].as_str().unwrap()))
            .bearer_auth(&officer)
            .header("If-Match", "\"5\"")
            .json(&json!({"representative": "Айгерім Сейітова"})),
    )
    .await
    .0;
    let started = send(at("6", "in_progress")).await.0;
    let (_, row) = send(post(format!("{a}/monitoring-rows"), json!({
        "activity": "Занятия кружков", "frequency": "monthly",
        "indicators": [{"name": "Участники", "unit": "человек", "target": 100, "higher_is_better": true}]
    })))
    .await;
    let today = common_models::time::today().to_string();
    let measured = send(post(
        format!("{a}/monitoring-rows/{}/measurements", row["id"].as_str().unwrap()),
        json!({"indicator": "Участники", "measured_on": today, "value": 112, "evidence": "журнал посещений"}),
    ))
    .await
    .0;
    let completed = send(at("8", "completed")).await.0;
    let (evaluated, final_action) = send(
        client
            .post(format!("{a}/evaluation"))
            .bearer_auth(&officer)
            .header("If-Match", "\"9\"")
            .json(&json!({"effectiveness": "Цели достигнуты", "results": "112 подростков в 5 кружках"})),
    )
    .await;
    let (_, monitoring) = send(client.get(format!("{a}/monitoring")).bearer_auth(&officer)).await;

    assert_eq!(created, 201, "{action}");
    assert_eq!(own, 201);
    assert_eq!(step, 201);
    assert_eq!(agreed, 200);
    assert_eq!(premature, 409);
    let pointer = format!("/parties/{}/representative", party["id"].as_str().unwrap());
    assert_eq!(blocked["errors"][0]["pointer"], pointer.as_str());
    assert_eq!(named, 200);
    assert_eq!(started, 200);
    assert_eq!(measured, 201);
    assert_eq!(completed, 200);
    assert_eq!(evaluated, 200, "{final_action}");
    assert_eq!(final_action["status"], "evaluated");
    assert_eq!(monitoring["indicators_met"], 1);
    assert!(server.terminate(), "the server stops cleanly on SIGTERM");
}

/// Returns today's date in Kazakhstan (UTC+5), as `TZ=Asia/Almaty date +%F` prints it.
fn today_in_kazakhstan() -> String {
    (chrono::Utc::now() + chrono::Duration::hours(5))
        .date_naive()
        .to_string()
}

#[tokio::test]
async fn readme_recommendation_works() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path());
    let client = reqwest::Client::new();
    let ministry = token(data.path(), &["--role", "ministry"]);
    let officer = token(
        data.path(),
        &["--role", "officer", "--body", "akimat-ulytau"],
    );
    let department_officer = token(
        data.path(),
        &["--role", "officer", "--body", "ulytau-youth-department"],
    );
    let npo = token(data.path(), &["--role", "npo", "--bin", "940140000385"]);
    let registered = send(
        client
            .post(server.url("/v1/npos"))
            .bearer_auth(&officer)
            .json(&json!({
                "bin": "940140000385",
                "name_ru": "Общественное объединение «Жастар әлемі»",
                "legal_form": "public_association",
                "source": "npo_representatives"
            })),
    )
    .await
    .0;
    let b = server.url("/v1/government-bodies");
    let akimat = send(client.post(&b).bearer_auth(&ministry).json(&json!({
        "id": "akimat-ulytau", "name_ru": "Аппарат акима области Ұлытау",
        "name_kk": "Ұлытау облысы әкімінің аппараты", "level": "regional",
        "territory": "620000000", "spheres": ["social_protection", "culture"]
    })))
    .await
    .0;
    let department = send(client.post(&b).bearer_auth(&ministry).json(&json!({
        "id": "ulytau-youth-department",
        "name_ru": "Управление по делам молодежи области Ұлытау",
        "name_kk": "Ұлытау облысының жастар істері басқармасы",
        "level": "regional_department", "territory": "620000000", "spheres": ["youth"]
    })))
    .await
    .0;
    let (appointed, _) = send(
        client
            .post(format!("{b}/ulytau-youth-department/officer"))
            .bearer_auth(&ministry)
            .json(&json!({
                "officer": "aigerim", "full_name": "Айгерім Сейітова",
                "position": "deputy_head_of_department",
                "contacts": {"room": "305", "phone": "+77102123456"},
                "reception_schedule": "Вторник, 15:00–18:00"
            })),
    )
    .await;
    let (_, competent) =
        send(client.get(server.url("/v1/competence-map?sphere=youth&territory=623830100"))).await;
    let r = server.url("/v1/recommendations");
    let post_as = |token: &str, path: String, etag: &str, body: Value| {
        client
            .post(path)
            .bearer_auth(token)
            .header("If-Match", format!("\"{etag}\""))
            .json(&body)
    };

    let (created, recommendation) = send(client.post(&r).bearer_auth(&npo).json(&json!({
        "government_body": "akimat-ulytau", "sphere": "youth", "territory": "620000000",
        "text": "Открыть молодежный центр в Жезказгане",
        "contacts": {"name": "Айгерім Сейітова", "email": "info@example.kz"}
    })))
    .await;
    let rec = format!("{r}/{}", recommendation["id"].as_str().unwrap());
    let (forwarded, routed) = send(post_as(
        &officer,
        format!("{rec}/forwarding"),
        "1",
        json!({}),
    ))
    .await;
    let (early, missing) = send(post_as(
        &department_officer,
        format!("{rec}/close"),
        "2",
        json!({}),
    ))
    .await;
    let decided = send(post_as(
        &department_officer,
        format!("{rec}/decision"),
        "2",
        json!({"handling": "included_in_plans", "reason": "В плане на 2027 год"}),
    ))
    .await
    .0;
    let answered = send(post_as(
        &department_officer,
        format!("{rec}/feedback"),
        "3",
        json!({"feedback": "Центр включен в план работы на 2027 год"}),
    ))
    .await
    .0;
    let closed = send(post_as(
        &department_officer,
        format!("{rec}/close"),
        "4",
        json!({}),
    ))
    .await
    .0;
    let (_, seen_by_npo) = send(client.get(&rec).bearer_auth(&npo)).await;
    let replaced = send(
        client
            .post(format!("{b}/ulytau-youth-department/officer/replacement"))
            .bearer_auth(&ministry)
            .header("If-Match", "\"2\"")
            .json(&json!({
                "reason": "transfer",
                "replaced_on": today_in_kazakhstan(),
                "successor": {
                    "officer": "erlan", "full_name": "Ерлан Мұханов",
                    "position": "head_of_department"
                }
            })),
    )
    .await
    .0;

    assert_eq!(akimat, 201);
    assert_eq!(department, 201);
    assert_eq!(appointed, 201);
    assert_eq!(competent["government_body"], "ulytau-youth-department");
    assert_eq!(replaced, 201);
    assert_eq!(registered, 201);
    assert_eq!(created, 201, "{recommendation}");
    assert_eq!(recommendation["status"], "in_work");
    assert_eq!(forwarded, 200, "{routed}");
    assert_eq!(routed["government_body"], "ulytau-youth-department");
    assert_eq!(routed["forwarding"][0]["routed_by"], "competence_map");
    assert_eq!(early, 409);
    assert_eq!(missing["errors"].as_array().unwrap().len(), 2);
    assert_eq!(decided, 200);
    assert_eq!(answered, 200);
    assert_eq!(closed, 200);
    assert_eq!(seen_by_npo["status"], "closed");
    assert_eq!(seen_by_npo["government_body"], "ulytau-youth-department");
    assert_eq!(seen_by_npo["received_by"], "akimat-ulytau");
    assert_eq!(
        seen_by_npo["feedback"],
        "Центр включен в план работы на 2027 год"
    );
    assert!(server.terminate(), "the server stops cleanly on SIGTERM");
}

#[tokio::test]
async fn data_survives_restart() {
    let data = tempfile::tempdir().unwrap();
    let first = Server::start(data.path());
    let officer = token(
        data.path(),
        &["--role", "officer", "--body", "akimat-ulytau"],
    );
    let client = reqwest::Client::new();
    let created = client
        .post(first.url("/v1/npos"))
        .bearer_auth(&officer)
        .json(&json!({"name_kk": "Қамқорлық қоры", "legal_form": "public_foundation", "source": "media"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    assert!(first.terminate());

    let second = Server::start(data.path());
    let found: Value = client
        .get(second.url("/v1/npos"))
        .query(&[("q", "ҚАМҚОРЛЫҚ")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let still_valid = client
        .get(second.url("/v1/collection-campaigns"))
        .bearer_auth(&officer)
        .send()
        .await
        .unwrap();

    assert_eq!(found["items"].as_array().unwrap().len(), 1);
    assert_eq!(still_valid.status(), 200);
    assert!(second.terminate());
}

/// The spreadsheet export that the README pushes.
const README_PUSH: &str = "\u{FEFF}bin;name_ru;legal_form;registered_on;kato\r\n\
    031240100020;Ассоциация экологов Ұлытау;association_of_legal_entities;02.12.2003;620000000\r\n\
    031240100021;Неверный БИН;public_association;03.12.2003;620000000\r\n";

async fn wait_for_job(client: &reqwest::Client, url: &str, token: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let job: Value = client
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if job["status"] == "finished" || job["status"] == "failed" {
            return job;
        }
        assert!(Instant::now() < deadline, "the job did not end: {job}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn readme_batch_push_works() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path());
    let loader = token(
        data.path(),
        &["--role", "integrator", "--subject", "justice-loader"],
    );
    let client = reqwest::Client::new();

    let report: Value = client
        .post(server.url("/v1/npo-imports"))
        .bearer_auth(&loader)
        .header("content-type", "text/csv")
        .body(README_PUSH)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    assert_eq!(report["summary"]["created"], 1, "{report}");
    assert_eq!(report["summary"]["rejected"], 1, "{report}");
    assert_eq!(report["rows"][1]["errors"][0]["field"], "/bin");
    assert!(server.terminate());
}

/// A job accepted with 202 finishes after the process is killed and started again.
#[tokio::test]
async fn batch_job_survives_kill() {
    let data = tempfile::tempdir().unwrap();
    let first = Server::start(data.path());
    let loader = token(
        data.path(),
        &["--role", "integrator", "--subject", "justice-loader"],
    );
    let client = reqwest::Client::new();
    let mut csv = String::from("name_ru,legal_form,kato\n");
    for i in 0..20_000 {
        csv.push_str(&format!(
            "Фонд помощи номер {i},public_foundation,750000000\n"
        ));
    }

    let accepted = client
        .post(first.url("/v1/npo-imports?job=true"))
        .bearer_auth(&loader)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 202);
    let location = accepted.headers()["location"].to_str().unwrap().to_owned();
    let mut first = first;
    first.child.kill().unwrap();
    first.child.wait().unwrap();

    let second = Server::start(data.path());
    let job = wait_for_job(&client, &second.url(&location), &loader).await;

    assert_eq!(job["status"], "finished", "{job}");
    assert_eq!(job["rows_done"], 20_000);
    assert_eq!(job["summary"]["created"], 20_000, "{job}");
    assert!(second.terminate());
}

#[test]
fn import_kato_replaces_classifier() {
    let data = tempfile::tempdir().unwrap();
    let file = data.path().join("regions.csv");
    std::fs::write(&file, "code,name_ru,parent_code,level\n620000000,область Ұлытау,,1\n623800000,Улытауский район,620000000,2\n").unwrap();

    let output = Command::new(BINARY)
        .args(["import", "kato"])
        .arg(&file)
        .env("LIAISON_DATA_DIR", data.path())
        .output()
        .unwrap();

    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(printed.contains("2 territories imported"), "{printed}");
}
