//! Writes that need the registry's NPO lookups while the registry is unreachable.
//!
//! The joint-actions service runs in a server of its own and calls the registry at a
//! loopback port where nothing listens. The tests run on SQLite only, because the
//! failure is in the REST call and not in the database.

use std::net::TcpListener;

use reqwest::StatusCode;
use serde_json::json;
use service_kit::testing::{TestApp, TestBackend};

use crate::{
    UNKNOWN_NPO_ID, action_body, create_action, get_action, get_json, id_of, npo_party_body,
    post_officer, post_party, problem,
};

/// Returns the URL of a loopback port that was free a moment ago, where nothing is expected to listen.
fn unused_local_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port can be bound");
    let port = listener.local_addr().expect("a bound address").port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// Starts the joint-actions service alone, calling the registry at an unused port.
async fn spawn_without_registry() -> TestApp {
    let registry_url = unused_local_url();
    TestApp::spawn_with(
        &[joint_actions::SERVICE],
        TestBackend::Sqlite,
        &[("LIAISON_SERVICE_URL_REGISTRY", registry_url.as_str())],
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
async fn npo_party_unavailable() {
    let app = spawn_without_registry().await;
    // The territory is checked in the registry too, so this action names none.
    let mut body = action_body();
    body.as_object_mut().unwrap().remove("territory");
    let id = id_of(&create_action(&app, &body).await);

    let response = post_party(&app, &id, &npo_party_body(UNKNOWN_NPO_ID)).await;

    expect_unavailable(response).await;
    let action = get_action(&app, &id).await;
    assert_eq!(action["parties"], json!([]));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn npo_initiative_unavailable() {
    let app = spawn_without_registry().await;
    let mut body = action_body();
    body["initiator"] = json!("npo");
    body["initiating_npo_id"] = json!(UNKNOWN_NPO_ID);
    body["fit_assessment"] = json!("Цели НПО совпадают со сферой молодёжной политики");

    let response = post_officer(&app, "/v1/joint-actions", &body).await;

    expect_unavailable(response).await;
    let listed = get_json(&app, "/v1/joint-actions", Some(&app.ministry())).await;
    assert_eq!(listed["items"], json!([]));
    app.stop().await;
}
