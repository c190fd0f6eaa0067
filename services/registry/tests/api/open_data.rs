use std::collections::{BTreeMap, HashSet};

use chrono::Utc;
use registry::domain::npo::NpoInput;
use registry::store::npos::{self, Author};
use reqwest::StatusCode;
use serde_json::{Value, json};
use service_kit::db::in_transaction;
use service_kit::testing::TestApp;
use service_kit::{Database, StoreError, backend_tests};
use uuid::Uuid;

use crate::{SERVICES, create_npo, pointers, problem};

/// The header row the API documents, in order.
const COLUMNS: &str = "id,bin,name_ru,name_kk,legal_form,legal_form_ru,status,status_ru,registered_on,founded_on,oked,legal_address,territories,spheres,target_groups,forms_of_work,web_resources,work_products,updated_at";

fn full_npo() -> Value {
    json!({
        "bin": "940140000385",
        "name_ru": "Общественное объединение «Жастар әлемі», \"ЖӘ\"",
        "name_kk": "«Жастар әлемі» қоғамдық бірлестігі",
        "legal_form": "public_association",
        "registered_on": "2003-12-15",
        "territories": ["620000000", "623800000"],
        "spheres": ["youth", "ecology"],
        "target_groups": ["youth"],
        "forms_of_work": ["consultations"],
        "key_staff": [{"full_name": "Айгерім Сейітова", "position": "председатель"}],
        "contacts": {"phone": "+7 701 000 00 00", "email": "info@example.kz", "address": "ул. Абая 1"},
        "web_resources": ["https://example.kz"],
        "work_products": [{"kind": "study", "title": "Исследование молодёжи", "year": 2022}],
        "source": "npo_representatives"
    })
}

async fn download(app: &TestApp, path: &str) -> (reqwest::header::HeaderMap, Vec<u8>) {
    let response = app.client.get(app.url(path)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    let headers = response.headers().clone();
    (headers, response.bytes().await.unwrap().to_vec())
}

fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    let body = bytes
        .strip_prefix(b"\xEF\xBB\xBF")
        .expect("the CSV starts with a byte-order mark");
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(body)
        .records()
        .map(|record| record.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

/// Stores `count` NPOs straight through the registry's store, in one transaction,
/// because registering a thousand NPOs over HTTP takes tens of seconds.
async fn seed_npos(app: &TestApp, count: usize) {
    let url = app.settings.database_url_for("registry");
    tokio::task::spawn_blocking(move || {
        let db = Database::connect(&url).expect("the test database accepts connections");
        let author = Author {
            subject: "test-seed",
            body: None,
        };
        db.run_blocking(|conn| {
            in_transaction::<_, StoreError, _>(conn, |conn| {
                for index in 0..count {
                    let input = NpoInput {
                        name_ru: Some(format!("Фонд {index}")),
                        legal_form: "public_foundation".into(),
                        source: "media".into(),
                        ..NpoInput::default()
                    };
                    let (facts, _) = input.parse().expect("the seed NPO is valid");
                    let id = Uuid::now_v7().to_string();
                    npos::insert(conn, &id, &facts, &BTreeMap::new(), author, Utc::now())?;
                }
                Ok(())
            })
        })
        .expect("the seed NPOs are stored");
    })
    .await
    .expect("seeding finished");
}

fn personal_data_absent(text: &str) {
    for personal in [
        "Сейітова",
        "председатель",
        "info@example.kz",
        "+7 701",
        "Абая",
    ] {
        assert!(
            !text.contains(personal),
            "the export contains personal data: {personal}"
        );
    }
}

backend_tests! {
    services: SERVICES;

    async fn csv_export_documented_layout(app) {
        create_npo(&app, &full_npo()).await;

        let (headers, bytes) = download(&app, "/v1/open-data/npos.csv").await;

        assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
        assert_eq!(headers["content-disposition"], "attachment; filename=\"npos.csv\"");
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "no byte-order mark");
        let text = String::from_utf8(bytes.clone()).unwrap();
        let first_line = text.trim_start_matches('\u{feff}').split("\r\n").next().unwrap();
        assert_eq!(first_line, COLUMNS);
        assert!(text.ends_with("\r\n"));
        assert!(!text.replace("\r\n", "").contains('\n'), "a line ends without CR");
        // RFC 4180: a field with a comma or quote is quoted, and quotes are doubled.
        assert!(text.contains(r#""Общественное объединение «Жастар әлемі», ""ЖӘ""""#), "{text}");
        let rows = csv_rows(&bytes);
        assert_eq!(rows.len(), 2);
        let row: std::collections::HashMap<&str, &str> = COLUMNS.split(',').zip(rows[1].iter().map(String::as_str)).collect();
        assert_eq!(row["bin"], "940140000385");
        assert_eq!(row["name_ru"], "Общественное объединение «Жастар әлемі», \"ЖӘ\"");
        assert_eq!(row["legal_form"], "public_association");
        assert_eq!(row["legal_form_ru"], "Общественное объединение");
        assert_eq!(row["status_ru"], "Действующая");
        assert_eq!(row["registered_on"], "2003-12-15");
        assert_eq!(row["founded_on"], "");
        assert_eq!(row["territories"], "620000000;623800000");
        assert_eq!(row["spheres"], "youth;ecology");
        assert_eq!(row["work_products"], "Исследование молодёжи");
        personal_data_absent(&text);
    }

    async fn json_export_parses_as_array(app) {
        create_npo(&app, &full_npo()).await;
        let mut other = full_npo();
        other["bin"] = json!("171140900016");
        other["spheres"] = json!(["culture"]);
        create_npo(&app, &other).await;

        let (headers, bytes) = download(&app, "/v1/open-data/npos.json").await;
        let (_, empty) = download(&app, "/v1/open-data/npos.json?sphere=sport").await;
        let (_, culture) = download(&app, "/v1/open-data/npos.json?sphere=culture").await;

        assert_eq!(headers["content-type"], "application/json");
        assert_eq!(headers["content-disposition"], "attachment; filename=\"npos.json\"");
        let items: Value = serde_json::from_slice(&bytes).expect("the export is JSON");
        let items = items.as_array().expect("the export is an array");
        assert_eq!(items.len(), 2);
        let names: Vec<&str> = items[0].as_object().unwrap().keys().map(String::as_str).collect();
        let mut columns: Vec<&str> = COLUMNS.split(',').collect();
        columns.sort_unstable();
        assert_eq!(names, columns);
        assert_eq!(items[0]["spheres"], json!(["youth", "ecology"]));
        assert_eq!(items[0]["status_ru"], "Действующая");
        assert_eq!(serde_json::from_slice::<Value>(&empty).unwrap(), json!([]));
        let culture: Value = serde_json::from_slice(&culture).unwrap();
        assert_eq!(culture.as_array().unwrap().len(), 1);
        assert_eq!(culture[0]["bin"], "171140900016");
        personal_data_absent(&String::from_utf8(bytes).unwrap());
    }

    async fn export_crosses_read_pages(app) {
        // More NPOs than one read page of the export (1,000).
        let total = 1_005;
        seed_npos(&app, total).await;

        let (_, csv) = download(&app, "/v1/open-data/npos.csv").await;
        let (_, json) = download(&app, "/v1/open-data/npos.json").await;

        let rows = csv_rows(&csv);
        assert_eq!(rows.len(), total + 1);
        let ids: HashSet<&str> = rows[1..].iter().map(|row| row[0].as_str()).collect();
        assert_eq!(ids.len(), total, "the CSV repeats an NPO");
        let items: Vec<Value> = serde_json::from_slice(&json).unwrap();
        assert_eq!(items.len(), total);
        let names: HashSet<&str> = items.iter().map(|item| item["name_ru"].as_str().unwrap()).collect();
        assert_eq!(names.len(), total, "the JSON repeats an NPO");
    }

    async fn export_rejects_list_parameters(app) {
        let sorted = app.client.get(app.url("/v1/open-data/npos.csv?sort=name_ru")).send().await.unwrap();
        let invalid = app.client.get(app.url("/v1/open-data/npos.json?territory=12")).send().await.unwrap();

        assert_eq!(pointers(&problem(sorted, StatusCode::UNPROCESSABLE_ENTITY).await), ["#/query/sort"]);
        assert_eq!(pointers(&problem(invalid, StatusCode::UNPROCESSABLE_ENTITY).await), ["#/query/territory"]);
    }

    async fn open_data_columns_documented(app) {
        let document: Value = app.client.get(app.url("/openapi/registry.json")).send().await.unwrap().json().await.unwrap();

        let schema = &document["components"]["schemas"]["OpenDataNpo"];
        let properties = schema["properties"].as_object().expect("OpenDataNpo is documented");
        let mut documented: Vec<&str> = properties.keys().map(String::as_str).collect();
        documented.sort_unstable();
        let mut columns: Vec<&str> = COLUMNS.split(',').collect();
        columns.sort_unstable();
        assert_eq!(documented, columns);
        for (name, property) in properties {
            assert!(property["description"].as_str().is_some_and(|d| !d.is_empty()), "column {name} has no description");
        }
        let csv_description = document["paths"]["/v1/open-data/npos.csv"]["get"]["description"].as_str().unwrap_or_default();
        assert!(csv_description.contains(COLUMNS), "the CSV route does not list the header row: {csv_description}");
        for (path, media_type) in [("/v1/open-data/npos.csv", "text/csv"), ("/v1/open-data/npos.json", "application/json")] {
            let content = &document["paths"][path]["get"]["responses"]["200"]["content"][media_type];
            assert_eq!(content["schema"]["items"]["$ref"], "#/components/schemas/OpenDataNpo", "{path}");
        }
    }
}
