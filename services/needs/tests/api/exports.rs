use std::io::{Cursor, Read};

use reqwest::StatusCode;
use serde_json::json;
use service_kit::backend_tests;
use service_kit::testing::TestApp;

use crate::{
    BODY, DISTRICT, SERVICES, add_priority, complete_assessment_body, create_assessment,
    create_published_assessment, id_of, priority_body, problem,
};

/// Column headings of the government form for prioritised needs, in order.
const HEADINGS: [&str; 8] = [
    "№",
    "Сфера",
    "Территория",
    "Целевая группа",
    "Проблема/задача/потребность",
    "Источник информации",
    "Риски нерешения",
    "Оценка наступления риска (высокий/средний/низкий)",
];

const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Problem text that RFC 4180 must quote, because it contains a comma and double quotes.
const QUOTED_PROBLEM: &str = "Нет мест в кружках, секциях и \"Доме школьников\"";

/// Splits CSV text into records of fields, following RFC 4180 quoting.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    field.push('"');
                    chars.next();
                }
                '"' => quoted = false,
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' => quoted = true,
            ',' => record.push(std::mem::take(&mut field)),
            '\r' if chars.peek() == Some(&'\n') => {
                chars.next();
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            _ => field.push(c),
        }
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push(record);
    }
    records
}

/// Downloads `path` with `token`, or anonymously without one, failing unless it is a 200,
/// and returns the content type and the bytes.
async fn download(app: &TestApp, path: &str, token: Option<&str>) -> (String, Vec<u8>) {
    let mut request = app.client.get(app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("the server responds");
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    let content_type = response.headers()["content-type"]
        .to_str()
        .expect("an ASCII content type")
        .to_owned();
    let bytes = response.bytes().await.expect("a body").to_vec();
    (content_type, bytes)
}

/// Returns the UTF-8 text after the byte order mark, failing the test without one.
fn text_after_bom(bytes: &[u8]) -> &str {
    let text = bytes
        .strip_prefix(b"\xEF\xBB\xBF")
        .expect("the CSV starts with a UTF-8 byte order mark");
    std::str::from_utf8(text).expect("the CSV is UTF-8")
}

/// Reads the shared strings of a workbook, where cell texts are stored.
fn shared_strings(workbook: Vec<u8>) -> String {
    let mut archive =
        zip::ZipArchive::new(Cursor::new(workbook)).expect("the XLSX is a ZIP archive");
    let mut entry = archive
        .by_name("xl/sharedStrings.xml")
        .expect("the workbook has shared strings");
    let mut xml = String::new();
    entry
        .read_to_string(&mut xml)
        .expect("the shared strings are UTF-8");
    xml
}

backend_tests! {
    services: SERVICES;

    async fn assessment_csv_follows_form(app) {
        let id = id_of(&create_assessment(&app, &complete_assessment_body()).await);
        let mut priority = priority_body(QUOTED_PROBLEM, "high", Some(4200));
        priority["territory"] = json!(DISTRICT);
        add_priority(&app, &id, &priority).await;

        let (content_type, bytes) = download(&app, &format!("/v1/needs-assessments/{id}/priorities.csv"), Some(&app.officer(BODY))).await;

        assert!(content_type.starts_with("text/csv"), "{content_type}");
        let text = text_after_bom(&bytes);
        assert!(text.ends_with("\r\n"));
        assert!(!text.replace("\r\n", "").contains('\n'), "a line ends without CR");
        assert_eq!(text.split("\r\n").next().unwrap(), HEADINGS.join(","));
        assert!(text.contains("\"Нет мест в кружках, секциях и \"\"Доме школьников\"\"\""));
        let records = parse_csv(text);
        assert_eq!(records.len(), 2);
        let row = &records[1];
        assert_eq!(row.len(), 8);
        assert_eq!(row[0], "1");
        assert_eq!(row[1], "Образование");
        assert!(row[2].contains("Жанааркинский район"), "{}", row[2]);
        assert!(row[2].contains(DISTRICT), "{}", row[2]);
        assert_eq!(row[3], "Молодежь");
        assert_eq!(row[4], QUOTED_PROBLEM);
        assert!(row[5].contains("Официальная статистика"), "{}", row[5]);
        assert_eq!(row[6], "Рост правонарушений среди подростков");
        assert_eq!(row[7], "высокий");
    }

    async fn ranked_csv_follows_filters(app) {
        let id = id_of(&create_assessment(&app, &complete_assessment_body()).await);
        add_priority(&app, &id, &priority_body("Низкий риск", "low", Some(900))).await;
        add_priority(&app, &id, &priority_body("Средний риск", "medium", Some(50))).await;
        let mut youth_policy = priority_body("Молодёжный центр", "high", Some(1000));
        youth_policy["sphere"] = json!("youth");
        add_priority(&app, &id, &youth_policy).await;

        let (_, bytes) = download(&app, "/v1/needs-priorities.csv?sphere=education", Some(&app.ministry())).await;

        let records = parse_csv(text_after_bom(&bytes));
        assert_eq!(records.len(), 3);
        assert_eq!(records[0], HEADINGS);
        assert_eq!(records[1][0], "1");
        assert_eq!(records[1][4], "Средний риск");
        assert_eq!(records[1][7], "средний");
        assert_eq!(records[2][0], "2");
        assert_eq!(records[2][4], "Низкий риск");
        assert_eq!(records[2][7], "низкий");
    }

    async fn xlsx_contains_headings_and_rows(app) {
        let id = id_of(&create_assessment(&app, &complete_assessment_body()).await);
        add_priority(&app, &id, &priority_body("Не хватает мест в кружках", "high", Some(4200))).await;

        let (content_type, workbook) = download(&app, &format!("/v1/needs-assessments/{id}/priorities.xlsx"), Some(&app.officer(BODY))).await;
        let (ranked_type, ranked_workbook) = download(&app, "/v1/needs-priorities.xlsx?risk_level=high", Some(&app.ministry())).await;

        assert_eq!(content_type, XLSX_TYPE);
        assert!(workbook.starts_with(b"PK"));
        let strings = shared_strings(workbook);
        for heading in HEADINGS {
            assert!(strings.contains(heading), "{heading} missing from the workbook");
        }
        assert!(strings.contains("Не хватает мест в кружках"));
        assert!(strings.contains("Молодежь"));
        assert!(strings.contains("высокий"));
        assert_eq!(ranked_type, XLSX_TYPE);
        assert!(ranked_workbook.starts_with(b"PK"));
        let ranked_strings = shared_strings(ranked_workbook);
        assert!(ranked_strings.contains("Оценка наступления риска (высокий/средний/низкий)"));
        assert!(ranked_strings.contains("Не хватает мест в кружках"));
    }

    async fn exports_hide_unpublished(app) {
        create_published_assessment(&app, "Опубликованная оценка").await;
        let draft = id_of(&create_assessment(&app, &complete_assessment_body()).await);
        add_priority(&app, &draft, &priority_body("Проблема из черновика", "high", Some(9000))).await;

        let draft_csv = app.client.get(app.url(&format!("/v1/needs-assessments/{draft}/priorities.csv"))).send().await.unwrap();
        let (_, ranked) = download(&app, "/v1/needs-priorities.csv", None).await;

        problem(draft_csv, StatusCode::NOT_FOUND).await;
        let records = parse_csv(text_after_bom(&ranked));
        assert_eq!(records.len(), 2);
        assert_eq!(records[1][4], "Не хватает мест в кружках");
    }
}
