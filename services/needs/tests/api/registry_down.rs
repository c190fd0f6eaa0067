//! Writes that need the registry's NPO or KATO lookups while the registry is unreachable.
//!
//! The needs service runs in a server of its own and calls the registry at a configured
//! address. The tests run on SQLite only, because the failure is in the REST call and not
//! in the database.

use std::net::TcpListener;

use reqwest::StatusCode;
use serde_json::json;
use service_kit::testing::{TestApp, TestBackend};

use crate::{
    BODY, NPO_BIN, advance_through, complete_assessment_body, create_assessment, get_json, id_of,
    npo_proposal_body, post_assessment, post_npo_proposal, problem, register_npo,
};

/// Returns the URL of a loopback port that was free a moment ago, where nothing is expected to listen.
fn unused_local_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port can be bound");
    let port = listener.local_addr().expect("a bound address").port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// Starts the needs service alone, calling the registry at `registry_url`.
async fn spawn_needs(registry_url: &str) -> TestApp {
    TestApp::spawn_with(
        &[needs::SERVICE],
        TestBackend::Sqlite,
        &[("LIAISON_SERVICE_URL_REGISTRY", registry_url)],
    )
    .await
    .expect("SQLite runs always")
}

/// Checks that a response is a 503 problem naming the registry, with a `Retry-After`
/// header in seconds.
async fn expect_unavailable(response: reqwest::Response) {
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|value| value.to_str().unwrap_or_default().to_owned());
    let problem = problem(response, StatusCode::SERVICE_UNAVAILABLE).await;
    assert_eq!(problem["dependency"], "registry", "{problem}");
    let retry_after = retry_after.expect("a Retry-After header");
    assert!(
        retry_after.parse::<u64>().is_ok_and(|seconds| seconds > 0),
        "Retry-After is {retry_after:?}, not a number of seconds"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assessment_create_unavailable() {
    let app = spawn_needs(&unused_local_url()).await;

    let response = post_assessment(&app, BODY, &complete_assessment_body()).await;

    expect_unavailable(response).await;
    let listed = get_json(&app, "/v1/needs-assessments", Some(&app.ministry())).await;
    assert_eq!(listed["items"], json!([]));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn npo_proposal_unavailable() {
    // The assessment has to reach collecting, which needs a territory checked against
    // the registry, so the registry runs until then and stops before the proposal.
    let registry = TestApp::spawn(&[registry::SERVICE], TestBackend::Sqlite)
        .await
        .expect("SQLite runs always");
    register_npo(&registry, NPO_BIN, "Жастар әлемі").await;
    let app = spawn_needs(&registry.base).await;
    let id = id_of(&create_assessment(&app, &complete_assessment_body()).await);
    advance_through(&app, &id, &["collecting"]).await;
    registry.stop().await;

    let response =
        post_npo_proposal(&app, &id, NPO_BIN, &npo_proposal_body("Открыть кружок")).await;

    expect_unavailable(response).await;
    let path = format!("/v1/needs-assessments/{id}/npo-proposals");
    let listed = get_json(&app, &path, Some(&app.officer(BODY))).await;
    assert_eq!(listed["items"], json!([]));
    app.stop().await;
}
