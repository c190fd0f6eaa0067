//! The reference dashboard in headless Chromium: after a year of work, every panel must
//! show the analytics figures of its filters, the filters must change them, and the
//! Kazakh interface must show the same figures. The browser part is
//! `services/aggregation/dashboard/tests/dashboard.test.mjs`, run with Node.js and
//! playwright-core on Debian's Chromium; it saves a screenshot of every panel in
//! `<target>/dashboard-screenshots/`.
//!
//! `make test` installs playwright-core with `npm ci`; Chromium comes from Debian's
//! `chromium` package. With `LIAISON_TEST_SKIP_BROWSER=1` this stage is skipped, and
//! the test prints that it was.

use std::path::{Path, PathBuf};
use std::process::Command;

use reqwest::StatusCode;
use serde_json::{Map, Value, json};

/// Returns the dashboard's folder in the repository.
fn dashboard_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("services/aggregation/dashboard")
}

/// Returns the folder for the screenshots: beside the build, so every run replaces the
/// last one's.
pub fn screenshot_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("../dashboard-screenshots")
}

/// Filters of one state of the page, as its selects set them.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub year: i32,
    pub region: Option<String>,
    pub sphere: Option<String>,
}

/// Reads the figures every panel shows for `filters` from the analytics routes.
pub async fn figures(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    filters: &Filters,
) -> Value {
    let mut query = vec![("year", filters.year.to_string())];
    query.extend(filters.region.clone().map(|r| ("region", r)));
    query.extend(filters.sphere.clone().map(|s| ("sphere", s)));
    let region: Vec<(&str, String)> = filters
        .region
        .clone()
        .map(|r| ("region", r))
        .into_iter()
        .collect();
    let mut findings_query = region.clone();
    findings_query.push(("limit", "25".into()));

    let mut figures = Map::new();
    for (name, path, query) in [
        ("npos", "/v1/analytics/npos", &query),
        ("priorities", "/v1/analytics/priorities", &query),
        ("actions", "/v1/analytics/joint-actions", &query),
        ("recommendations", "/v1/analytics/recommendations", &query),
        ("reports", "/v1/analytics/annual-reports", &query),
        ("compliance", "/v1/analytics/compliance", &region),
        ("findings", "/v1/compliance", &findings_query),
    ] {
        let response = client
            .get(format!("{base}{path}"))
            .query(query)
            .bearer_auth(token)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{path} answers: {e}"));
        assert_eq!(response.status(), StatusCode::OK, "{path} with {query:?}");
        let body: Value = response.json().await.expect("the figures are JSON");
        figures.insert(name.to_owned(), body);
    }
    Value::Object(figures)
}

/// Runs the browser tests against the dashboard of the aggregation service at `base`,
/// with the figures of each state in `expect`. Panics with the test output when one
/// fails, or when Node.js, playwright-core or Chromium is missing.
pub fn run(base: &str, token: &str, expect: &Value) {
    if std::env::var("LIAISON_TEST_SKIP_BROWSER").is_ok_and(|v| v == "1") {
        eprintln!("skipped: the dashboard's browser tests, as LIAISON_TEST_SKIP_BROWSER=1 asks");
        return;
    }
    let dir = dashboard_dir();
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists(),
        "the dashboard's browser tests need Chromium at {chromium}: install Debian's \
         chromium package (apt-get install chromium), or set CHROMIUM, or skip them with \
         LIAISON_TEST_SKIP_BROWSER=1"
    );
    assert!(
        dir.join("node_modules/playwright-core").exists(),
        "the dashboard's browser tests need playwright-core: run `npm ci --prefix {}` \
         (make test does), or skip them with LIAISON_TEST_SKIP_BROWSER=1",
        dir.display()
    );
    let expect_file = tempfile::NamedTempFile::new().expect("a temporary file");
    std::fs::write(expect_file.path(), expect.to_string()).expect("the figures are written");
    let screenshots = screenshot_dir();

    let output = Command::new("node")
        .arg("--test")
        .arg("--test-reporter=spec")
        .arg("tests/")
        .current_dir(&dir)
        .env("DASHBOARD_URL", format!("{base}/dashboard/"))
        .env("DASHBOARD_TOKEN", token)
        .env("DASHBOARD_EXPECT", expect_file.path())
        .env("DASHBOARD_SCREENSHOTS", &screenshots)
        .env("CHROMIUM", &chromium)
        .output()
        .expect("node runs: install Node.js 20 or later");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "the dashboard's browser tests failed:\n{report}"
    );
    eprintln!(
        "dashboard browser tests passed; screenshots in {}\n{report}",
        screenshots.display()
    );
}

/// Reads the figures of each state the browser tests visit, with the filters that
/// make them.
pub async fn expectations(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    year: i32,
    region: &str,
    district: &str,
    sphere: &str,
) -> Value {
    let state = |region: Option<&str>, sphere: Option<&str>| Filters {
        year,
        region: region.map(str::to_owned),
        sphere: sphere.map(str::to_owned),
    };
    json!({
        "year": year,
        "region": region,
        "district": district,
        "sphere": sphere,
        "national": figures(client, base, token, &state(None, None)).await,
        "regional": figures(client, base, token, &state(Some(region), None)).await,
        "district_figures": figures(client, base, token, &state(Some(district), None)).await,
        "sphere_figures": figures(client, base, token, &state(Some(region), Some(sphere))).await,
    })
}
