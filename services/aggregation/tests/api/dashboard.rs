//! The reference dashboard's files: served without a token, with their media types and
//! a content security policy that keeps the page to its own origin.

use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, LOCATION};
use serde_json::Value;
use service_kit::testing::{TestApp, TestBackend};

use crate::{SERVICES, problem};

async fn start() -> TestApp {
    TestApp::spawn(SERVICES, TestBackend::Sqlite).await.unwrap()
}

fn header(response: &reqwest::Response, name: reqwest::header::HeaderName) -> &str {
    response
        .headers()
        .get(&name)
        .unwrap_or_else(|| panic!("{name} is set"))
        .to_str()
        .unwrap()
}

#[tokio::test]
async fn page_and_files_are_served_to_anyone() {
    let app = start().await;
    for (path, media_type, marker) in [
        ("/dashboard/", "text/html", "<script src=\"app.js\">"),
        ("/dashboard/index.html", "text/html", "data-panel=\"npos\""),
        ("/dashboard/app.js", "text/javascript", "v1/analytics/npos"),
        ("/dashboard/style.css", "text/css", ".panels"),
    ] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert!(
            header(&response, CONTENT_TYPE).starts_with(media_type),
            "{path}"
        );
        assert_eq!(header(&response, CACHE_CONTROL), "no-cache");
        let policy = header(&response, CONTENT_SECURITY_POLICY).to_owned();
        assert!(policy.contains("connect-src 'self'"), "{path}: {policy}");
        assert!(policy.contains("script-src 'self'"), "{path}: {policy}");
        assert!(!policy.contains("unsafe"), "{path}: {policy}");
        let text = response.text().await.unwrap();
        assert!(text.contains(marker), "{path} holds {marker}");
    }
    app.stop().await;
}

#[tokio::test]
async fn bare_folder_redirects_to_the_page() {
    let app = start().await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = client.get(app.url("/dashboard")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(header(&response, LOCATION), "/dashboard/");
    app.stop().await;
}

#[tokio::test]
async fn territories_hold_every_region_with_its_districts() {
    let app = start().await;
    let regions: Vec<Value> = app
        .client
        .get(app.url("/dashboard/territories.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // 17 regions and the 3 cities of republican significance.
    assert_eq!(regions.len(), 20);
    let ulytau = regions
        .iter()
        .find(|r| r["code"] == crate::ULYTAU_REGION)
        .expect("the Ulytau region is listed");
    assert_eq!(ulytau["kk"], "Ұлытау облысы");
    let districts = ulytau["districts"].as_array().unwrap();
    assert!(
        districts
            .iter()
            .any(|d| d["code"] == crate::ULYTAU_DISTRICT),
        "the Ulytau district is one of the region's: {districts:?}"
    );
    assert!(
        regions
            .iter()
            .all(|r| !r["kk"].as_str().unwrap().is_empty())
    );
    app.stop().await;
}

#[tokio::test]
async fn catalogues_carry_kazakh_and_russian_labels() {
    let app = start().await;
    let catalogues: Value = app
        .client
        .get(app.url("/dashboard/catalogues.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for name in ["sphere", "risk_level", "action_status"] {
        let entries = catalogues[name].as_array().unwrap();
        assert!(!entries.is_empty(), "{name} has entries");
        for entry in entries {
            assert!(
                entry["labels"]["ru"]
                    .as_str()
                    .is_some_and(|l| !l.is_empty())
            );
            assert!(
                entry["labels"]["kk"]
                    .as_str()
                    .is_some_and(|l| !l.is_empty())
            );
        }
    }
    let risk: Vec<&str> = catalogues["risk_level"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_str().unwrap())
        .collect();
    for level in ["high", "medium", "low"] {
        assert!(risk.contains(&level), "{level} is a risk level: {risk:?}");
    }
    app.stop().await;
}

#[tokio::test]
async fn unknown_files_are_not_found() {
    let app = start().await;
    for path in [
        "/dashboard/secret.txt",
        "/dashboard/..%2fmetrics",
        "/dashboard/dist/app.js",
    ] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        let body = problem(response, StatusCode::NOT_FOUND).await;
        assert_eq!(body["status"], 404, "{path}: {body}");
    }
    app.stop().await;
}
