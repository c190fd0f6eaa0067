use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use service_kit::backend_tests;
use service_kit::testing::TestApp;

use crate::{BODY, count_npos, problem};

const CASE: &[u8] = include_bytes!("../cases/push-bom-semicolon.csv");
const LOADER: &str = "justice-loader";

async fn push(app: &TestApp, query: &str, content_type: &str, body: Vec<u8>) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/v1/npo-imports{query}")))
        .bearer_auth(app.integrator(LOADER))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("the server answers")
}

/// Pushes a batch that runs in the request and returns its report.
async fn report(app: &TestApp, query: &str, content_type: &str, body: Vec<u8>) -> Value {
    let response = push(app, query, content_type, body).await;
    let status = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{text}");
    serde_json::from_str(&text).unwrap()
}

fn row(report: &Value, line: u64) -> &Value {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["line"] == line)
        .unwrap_or_else(|| panic!("no result for line {line}: {report}"))
}

async fn event_count(app: &TestApp) -> usize {
    let log: Value = app
        .client
        .get(app.url("/v1/events/registry?limit=1000"))
        .bearer_auth(app.ministry())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    log["items"].as_array().unwrap().len()
}

async fn find_by_bin(app: &TestApp, bin: &str) -> Value {
    let page: Value = app
        .client
        .get(app.url("/v1/npos"))
        .query(&[("bin", bin)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = page["items"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no NPO with BIN {bin}"));
    app.client
        .get(app.url(&format!("/v1/npos/{id}")))
        .bearer_auth(app.officer(BODY))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn wait_for_job(app: &TestApp, location: &str) -> Value {
    for _ in 0..300 {
        let job: Value = app
            .client
            .get(app.url(location))
            .bearer_auth(app.integrator(LOADER))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if job["status"] == "finished" || job["status"] == "failed" {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the job at {location} did not finish in 30 s");
}

fn csv_rows(count: usize) -> String {
    let mut csv = String::from("bin,name_ru,legal_form,kato,registered_on\n");
    for i in 0..count {
        csv.push_str(&format!(
            ",Общественное объединение «Волонтёры {i}»,public_association,750000000,01.02.2010\n"
        ));
    }
    csv
}

backend_tests! {
    services: crate::SERVICES;

    async fn case_file_applied_once(app) {
        let first = report(&app, "", "text/csv", CASE.to_vec()).await;
        let events = event_count(&app).await;
        let second = report(&app, "", "text/csv", CASE.to_vec()).await;

        assert_eq!(first["summary"], json!({"rows": 8, "created": 4, "updated": 0, "unchanged": 0, "superseded": 1, "rejected": 3}));
        assert_eq!(first["delimiter"], ";");
        assert_eq!(first["encoding"], "utf-8");
        assert_eq!(first["layout"], "platform");
        assert_eq!(row(&first, 2)["outcome"], "superseded");
        assert_eq!(row(&first, 2)["superseded_by"], 9);
        assert_eq!(row(&first, 9)["outcome"], "created");
        assert_eq!(row(&first, 3)["outcome"], "created");
        assert_eq!(row(&first, 4)["outcome"], "created");
        assert_eq!(row(&first, 8)["outcome"], "created");
        assert_eq!(row(&first, 8)["bin"], "031240100040");
        for (line, field, column) in [(5, "/bin", "bin"), (6, "/bin", "bin"), (7, "/name_ru", "name_ru")] {
            let rejected = row(&first, line);
            assert_eq!(rejected["outcome"], "rejected", "line {line}");
            assert_eq!(rejected["errors"][0]["field"], field, "line {line}");
            assert_eq!(rejected["errors"][0]["column"], column, "line {line}");
            assert!(!rejected["errors"][0]["message"].as_str().unwrap().is_empty());
        }
        assert!(row(&first, 5)["errors"][0]["message"].as_str().unwrap().contains("check digit"), "{first}");
        assert!(row(&first, 6)["errors"][0]["message"].as_str().unwrap().contains("month"), "{first}");
        assert_eq!(count_npos(&app).await, 4);
        assert_eq!(events, 4);
        assert_eq!(second["summary"], json!({"rows": 8, "created": 0, "updated": 0, "unchanged": 4, "superseded": 1, "rejected": 3}));
        assert_eq!(event_count(&app).await, events, "a resent batch publishes nothing");
        assert_eq!(count_npos(&app).await, 4);
    }

    async fn case_file_values_stored(app) {
        report(&app, "", "text/csv", CASE.to_vec()).await;

        let renamed = find_by_bin(&app, "031240100010").await;
        let ulytau = find_by_bin(&app, "031240100020").await;
        let foundation = find_by_bin(&app, "031240100101").await;

        assert_eq!(renamed["name_ru"], "Общественное объединение «Жастар әлемі» (после перерегистрации)");
        assert_eq!(renamed["registered_on"], "2003-12-15");
        assert_eq!(renamed["oked"], "94990");
        assert_eq!(renamed["provenance"]["name_ru"]["source"], "registration_data");
        assert_eq!(renamed["provenance"]["name_ru"]["origin"], LOADER);
        assert_eq!(ulytau["territories"], json!(["620000000"]));
        assert_eq!(foundation["legal_form"], "public_foundation");
        assert_eq!(find_by_bin(&app, "031240100040").await["name_ru"], "ОО «ҚАМҚОРЛЫҚ»");
    }

    async fn dry_run_writes_nothing(app) {
        let dry = report(&app, "?dry_run=true", "text/csv", CASE.to_vec()).await;

        assert_eq!(dry["dry_run"], true);
        assert_eq!(dry["summary"]["created"], 4);
        assert!(row(&dry, 3)["npo_id"].is_null());
        assert_eq!(count_npos(&app).await, 0);
        assert_eq!(event_count(&app).await, 0);
    }

    async fn windows_1251_decoded(app) {
        let text = "БИН;Полное наименование;Дата регистрации;ОКЭД;КАТО\r\n031240100010;Общественный фонд «Милосердие»;15.12.2003;94.99.0;750000000\r\n";
        let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(text);

        let report = report(&app, "", "text/csv", bytes.into_owned()).await;

        assert_eq!(report["encoding"], "windows-1251");
        assert_eq!(report["layout"], "statistics");
        assert_eq!(report["summary"]["created"], 1, "{report}");
        let card = find_by_bin(&app, "031240100010").await;
        assert_eq!(card["name_ru"], "Общественный фонд «Милосердие»");
        assert_eq!(card["oked"], "94990");
        assert_eq!(card["legal_form"], "public_foundation");
    }

    async fn windows_1251_lost_letters_rejected(app) {
        // What a spreadsheet writes for «Қамқорлық» in a code page without Kazakh letters.
        let text = "bin;name_ru;name_kk;legal_form\r\n031240100010;Фонд Забота;?am?orly? ?оры;public_foundation\r\n031240100020;Фонд Надежда;;public_foundation\r\n";
        let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(text);

        let report = report(&app, "", "text/csv; charset=windows-1251", bytes.into_owned()).await;

        let rejected = row(&report, 2);
        assert_eq!(rejected["outcome"], "rejected");
        assert_eq!(rejected["errors"][0]["field"], "/name_kk");
        assert!(rejected["errors"][0]["message"].as_str().unwrap().contains("Windows-1251"));
        assert_eq!(row(&report, 3)["outcome"], "created");
        assert_eq!(count_npos(&app).await, 1);
    }

    async fn utf8_declared_but_not(app) {
        let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode("bin;name_ru\r\n031240100010;Фонд\r\n");

        let response = push(&app, "?encoding=utf-8", "text/csv", bytes.into_owned()).await;

        let problem = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(problem["errors"][0]["message"].as_str().unwrap().contains("Windows-1251"), "{problem}");
        assert_eq!(count_npos(&app).await, 0);
    }

    async fn mojibake_rejected(app) {
        let (garbled, _, _) = encoding_rs::WINDOWS_1251.decode("Общественное объединение".as_bytes());
        let csv = format!("bin,name_ru,legal_form\n031240100010,{garbled},public_association\n");

        let report = report(&app, "", "text/csv", csv.into_bytes()).await;

        assert_eq!(row(&report, 2)["outcome"], "rejected");
        assert_eq!(row(&report, 2)["errors"][0]["field"], "/name_ru");
    }

    async fn justice_layout_applied(app) {
        let csv = "БИН,Наименование на казахском языке,Наименование на русском языке,Дата регистрации,Адрес,Статус,ОКЭД,Руководитель,Примечание\n\
                   031240100010,«Жастар» қоғамдық бірлестігі,Общественное объединение «Жастар»,15.12.2003,\"г. Астана, ул. Абая, 1\",Действующее,94990,Иванов Иван Иванович,x\n";

        let report = report(&app, "", "text/csv", csv.as_bytes().to_vec()).await;
        let officer_view = find_by_bin(&app, "031240100010").await;
        let public_view: Value = app.client.get(app.url(&format!("/v1/npos/{}", officer_view["id"].as_str().unwrap())))
            .send().await.unwrap().json().await.unwrap();

        assert_eq!(report["layout"], "justice");
        assert_eq!(report["unknown_columns"], json!(["Примечание"]));
        assert_eq!(report["summary"]["created"], 1, "{report}");
        assert_eq!(officer_view["legal_form"], "public_association");
        assert_eq!(officer_view["status"], "active");
        assert_eq!(officer_view["legal_address"], "г. Астана, ул. Абая, 1");
        assert_eq!(officer_view["key_staff"][0]["full_name"], "Иванов Иван Иванович");
        assert!(public_view.get("key_staff").is_none());
    }

    async fn json_and_ndjson_rows(app) {
        let array = json!([
            {"bin": "031240100010", "name_ru": "Фонд «Өркен»", "legal_form": "public_foundation", "territories": ["750000000"]},
            {"bin": "031240100020", "name_ru": "Фонд", "legal_form": "public_foundation", "colour": "red"},
            {"bin": "031240100030", "name_ru": "Фонд", "legal_form": "public_foundation", "territories": "750000000"},
            "not an object"
        ]);
        let ndjson = "{\"bin\":\"031240100010\",\"status\":\"suspended\"}\n{broken\n";

        let from_array = report(&app, "", "application/json", array.to_string().into_bytes()).await;
        let from_lines = report(&app, "", "application/x-ndjson", ndjson.as_bytes().to_vec()).await;

        assert_eq!(row(&from_array, 1)["outcome"], "created");
        assert_eq!(row(&from_array, 2)["errors"][0]["field"], "/colour", "{from_array}");
        assert_eq!(row(&from_array, 3)["errors"][0]["field"], "/territories", "{from_array}");
        assert_eq!(row(&from_array, 4)["outcome"], "rejected");
        assert_eq!(row(&from_lines, 1)["outcome"], "updated");
        assert_eq!(row(&from_lines, 2)["outcome"], "rejected");
        assert_eq!(find_by_bin(&app, "031240100010").await["status"], "suspended");
    }

    async fn older_row_from_same_origin_ignored(app) {
        let newer = "bin,name_ru,legal_form,as_of\n031240100010,Фонд новый,public_foundation,2025-06-01\n";
        let older = "bin,name_ru,legal_form,as_of\n031240100010,Фонд старый,public_foundation,01.01.2025\n";

        report(&app, "", "text/csv", newer.as_bytes().to_vec()).await;
        let stale = report(&app, "", "text/csv", older.as_bytes().to_vec()).await;
        let other_origin = app.client.post(app.url("/v1/npo-imports"))
            .bearer_auth(app.integrator("statistics-loader"))
            .header("content-type", "text/csv")
            .body(older.as_bytes().to_vec())
            .send().await.unwrap();

        assert_eq!(row(&stale, 2)["outcome"], "unchanged");
        assert_eq!(other_origin.status(), StatusCode::OK);
        assert_eq!(find_by_bin(&app, "031240100010").await["name_ru"], "Фонд старый");
    }

    async fn rows_without_bin_matched_by_name(app) {
        let csv = "name_ru,legal_form,kato\n\"ОО \"\"Ветераны\"\"\",public_association,750000000\n";

        report(&app, "", "text/csv", csv.as_bytes().to_vec()).await;
        let again = report(&app, "", "text/csv", csv.as_bytes().to_vec()).await;

        assert_eq!(row(&again, 2)["outcome"], "unchanged", "{again}");
        assert_eq!(count_npos(&app).await, 1);
    }

    async fn large_batch_runs_as_job(app) {
        let mut csv = csv_rows(150);
        csv.push_str("031240100021,Неверный БИН,public_association,750000000,01.02.2010\n");

        let response = push(&app, "", "text/csv", csv.into_bytes()).await;
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        let job = wait_for_job(&app, &location).await;
        let rejected: Value = app.client.get(app.url(&format!("{location}/rows?outcome=rejected")))
            .bearer_auth(app.integrator(LOADER)).send().await.unwrap().json().await.unwrap();
        let first_page: Value = app.client.get(app.url(&format!("{location}/rows?limit=100")))
            .bearer_auth(app.integrator(LOADER)).send().await.unwrap().json().await.unwrap();
        let stranger = app.client.get(app.url(&location)).bearer_auth(app.integrator("someone-else")).send().await.unwrap();
        let ministry = app.client.get(app.url(&location)).bearer_auth(app.ministry()).send().await.unwrap();

        assert_eq!(job["status"], "finished", "{job}");
        assert_eq!(job["rows_total"], 151);
        assert_eq!(job["rows_done"], 151);
        assert_eq!(job["summary"]["created"], 150);
        assert_eq!(job["summary"]["rejected"], 1);
        assert_eq!(rejected["items"][0]["line"], 152);
        assert_eq!(rejected["items"][0]["errors"][0]["field"], "/bin");
        assert_eq!(first_page["items"].as_array().unwrap().len(), 100);
        assert!(first_page["next_cursor"].is_string());
        problem(stranger, StatusCode::NOT_FOUND).await;
        assert_eq!(ministry.status(), StatusCode::OK);
        assert_eq!(count_npos(&app).await, 150);
    }

    async fn oversized_batch_rejected(app) {
        let csv = csv_rows(20_000);
        assert!(csv.len() > 1_048_576);

        let response = push(&app, "", "text/csv", csv.into_bytes()).await;

        let problem = problem(response, StatusCode::PAYLOAD_TOO_LARGE).await;
        assert!(problem["detail"].as_str().unwrap().contains("1048576"), "{problem}");
        assert_eq!(count_npos(&app).await, 0);
    }

    async fn integrators_only(app) {
        let officer = app.client.post(app.url("/v1/npo-imports")).bearer_auth(app.officer(BODY))
            .header("content-type", "text/csv").body(CASE.to_vec()).send().await.unwrap();
        let anonymous = app.client.post(app.url("/v1/npo-imports"))
            .header("content-type", "text/csv").body(CASE.to_vec()).send().await.unwrap();

        problem(officer, StatusCode::FORBIDDEN).await;
        problem(anonymous, StatusCode::UNAUTHORIZED).await;
    }

    async fn rejected_row_supersedes_nothing(app) {
        let csv = "bin;name_ru;legal_form;kato\n031240100010;ОО Первое;public_association;620000000\n031240100010;ОО Второе;public_association;999999999\n";

        let report = report(&app, "", "text/csv", csv.as_bytes().to_vec()).await;

        assert_eq!(row(&report, 2)["outcome"], "created", "{report}");
        assert_eq!(row(&report, 3)["outcome"], "rejected");
        assert_eq!(row(&report, 3)["errors"][0]["field"], "/territories/0");
        assert_eq!(row(&report, 3)["errors"][0]["column"], "kato");
        assert_eq!(find_by_bin(&app, "031240100010").await["name_ru"], "ОО Первое");
    }

    async fn register_layout_needs_bin(app) {
        let csv = "БИН/ИИН;Наименование на русском языке;Руководитель\n031240100010;ОО Первое;Иванов\n";

        let response = push(&app, "", "text/csv", csv.as_bytes().to_vec()).await;

        let problem = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(problem["errors"][0]["message"].as_str().unwrap().contains("BIN"), "{problem}");
        assert_eq!(count_npos(&app).await, 0);
    }

    async fn bom_means_utf8(app) {
        let (body, _, _) = encoding_rs::WINDOWS_1251.encode("bin;name_ru;legal_form\r\n031240100010;Фонд;public_foundation\r\n");
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend_from_slice(&body);

        let response = push(&app, "", "text/csv", bytes).await;

        problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(count_npos(&app).await, 0);
    }

    async fn future_as_of_rejected(app) {
        let csv = "bin,name_ru,legal_form,as_of\n031240100010,Фонд,public_foundation,2099-01-01\n";

        let by_row = report(&app, "", "text/csv", csv.as_bytes().to_vec()).await;
        let by_query = push(&app, "?as_of=2099-01-01", "text/csv", CASE.to_vec()).await;

        assert_eq!(row(&by_row, 2)["errors"][0]["field"], "/as_of");
        let problem = problem(by_query, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(problem["errors"][0]["pointer"], "#/query/as_of");
        assert_eq!(count_npos(&app).await, 0);
    }

    async fn impossible_date_named_as_written(app) {
        let csv = "bin;name_ru;legal_form;registered_on\n031240100010;Фонд;public_foundation;31.02.2020\n";

        let report = report(&app, "", "text/csv", csv.as_bytes().to_vec()).await;

        let error = &row(&report, 2)["errors"][0];
        assert_eq!(error["field"], "/registered_on");
        assert!(error["message"].as_str().unwrap().contains("'31.02.2020'"), "{report}");
    }

    async fn head_joins_key_staff(app) {
        let rows = json!([{"bin": "031240100010", "name_ru": "Фонд", "legal_form": "public_foundation",
            "key_staff": [{"full_name": "Бухгалтер Б.", "position": "Бухгалтер"}], "head": "Иванов И."}]);

        report(&app, "", "application/json", rows.to_string().into_bytes()).await;

        let staff = find_by_bin(&app, "031240100010").await["key_staff"].clone();
        assert_eq!(staff.as_array().unwrap().len(), 2, "{staff}");
        assert_eq!(staff[0]["full_name"], "Иванов И.");
    }

    async fn batch_events_carry_card(app) {
        let first = json!([{"bin": "031240100010", "name_ru": "Фонд «Өркен»", "name_kk": "«Өркен» қоры",
            "legal_form": "public_foundation", "founded_on": "2010-03-01", "territories": ["750000000"],
            "spheres": ["youth"], "target_groups": ["children"], "forms_of_work": ["consultations"],
            "head": "Иванов И.", "contacts": {"phone": "+7 701 000 00 00", "email": "orken@example.kz"},
            "web_resources": ["https://orken.example.kz"]}]);
        let second = json!([{"bin": "031240100010", "contacts": {"phone": "+7 702 111 22 33", "address": "г. Алматы, ул. Абая, 1"}}]);
        let mut events = app.observe(&["registry.npo.registered", "registry.npo.updated"]).await;

        report(&app, "", "application/json", first.to_string().into_bytes()).await;
        report(&app, "", "application/json", second.to_string().into_bytes()).await;

        let registered = events.expect("registry.npo.registered").await;
        let card = &registered.event.payload["card"];
        assert_eq!(card["bin"], "031240100010");
        assert_eq!(card["name_ru"], "Фонд «Өркен»");
        assert_eq!(card["name_kk"], "«Өркен» қоры");
        assert_eq!(card["status"], "active");
        assert_eq!(card["founded_on"], "2010-03-01");
        assert_eq!(card["spheres"], json!(["youth"]));
        assert_eq!(card["target_groups"], json!(["children"]));
        assert_eq!(card["territories"], json!(["750000000"]));
        assert_eq!(card["forms_of_work"], json!(["consultations"]));
        assert_eq!(card["key_staff"], json!([{"full_name": "Иванов И.", "position": "Руководитель"}]));
        assert_eq!(card["phone"], "+7 701 000 00 00");
        assert_eq!(card["email"], "orken@example.kz");
        assert_eq!(card["web_resources"], json!(["https://orken.example.kz"]));
        let updated = events.expect("registry.npo.updated").await;
        let card = &updated.event.payload["card"];
        assert_eq!(card["phone"], "+7 702 111 22 33");
        assert_eq!(card["address"], "г. Алматы, ул. Абая, 1");
        assert!(card["email"].is_null(), "{card}");
        assert_eq!(card["key_staff"][0]["full_name"], "Иванов И.");
        assert_eq!(card["founded_on"], "2010-03-01");
        events.close().await;
    }

    async fn cell_line_breaks_become_spaces(app) {
        let csv = "bin,name_ru,legal_form,legal_address\n031240100010,Фонд,public_foundation,\"г. Астана,\r\nул. Абая, 1\"\n";

        report(&app, "", "text/csv", csv.as_bytes().to_vec()).await;

        assert_eq!(find_by_bin(&app, "031240100010").await["legal_address"], "г. Астана, ул. Абая, 1");
    }

    async fn unreadable_batches_rejected(app) {
        let no_format = push(&app, "", "application/octet-stream", b"x".to_vec()).await;
        let bad_header = push(&app, "", "text/csv", b"colour,size\nred,1\n".to_vec()).await;
        let broken_json = push(&app, "", "application/json", b"[{\"bin\": ".to_vec()).await;
        let bad_layout = push(&app, "?layout=excel", "text/csv", CASE.to_vec()).await;

        problem(no_format, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
        problem(bad_header, StatusCode::UNPROCESSABLE_ENTITY).await;
        let malformed = problem(broken_json, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(malformed["errors"][0]["message"].as_str().unwrap().contains("line 1, column 9"), "{malformed}");
        problem(bad_layout, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(count_npos(&app).await, 0);
    }
}

/// Starts the registry on SQLite with batches limited to `max_rows` rows.
async fn with_row_limit(max_rows: &str) -> TestApp {
    TestApp::spawn_with(
        crate::SERVICES,
        service_kit::testing::TestBackend::Sqlite,
        &[("LIAISON_BATCH_ROWS", max_rows)],
    )
    .await
    .expect("SQLite runs always")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_over_row_limit_rejected() {
    let app = with_row_limit("3").await;

    let over = push(&app, "", "text/csv", csv_rows(4).into_bytes()).await;
    let body = problem(over, StatusCode::UNPROCESSABLE_ENTITY).await;
    let at_limit = report(&app, "", "text/csv", csv_rows(3).into_bytes()).await;

    assert_eq!(crate::pointers(&body), ["/"], "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("more than 3 rows")),
        "{body}"
    );
    assert_eq!(at_limit["summary"]["rows"], 3, "{at_limit}");
    assert_eq!(
        count_npos(&app).await,
        3,
        "only the batch within the limit was applied"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_job_over_row_limit_fails() {
    let app = with_row_limit("100").await;
    let csv = csv_rows(300);
    assert!(
        csv.len() > app.settings.batch_job_threshold,
        "the batch runs as a job"
    );

    let response = push(&app, "", "text/csv", csv.into_bytes()).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let job = wait_for_job(&app, &location).await;

    assert_eq!(job["status"], "failed", "{job}");
    assert!(
        job["error"]
            .as_str()
            .is_some_and(|e| e.contains("more than 100 rows")),
        "{job}"
    );
    assert_eq!(count_npos(&app).await, 0, "no row of the batch was applied");
    app.stop().await;
}
