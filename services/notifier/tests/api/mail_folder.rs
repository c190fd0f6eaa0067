//! Without LIAISON_SMTP_URL the notifier writes each message as an .eml file to the
//! data folder's mail/ folder.

use std::time::Duration;

use serde_json::json;
use service_kit::testing::{TestApp, TestBackend};

use crate::{WAIT, event, register_npo};

async fn writes_eml_file(backend: TestBackend) {
    let Some(app) = TestApp::spawn_with(
        &[notifier::SERVICE],
        backend,
        &[("LIAISON_NOTIFIER_POLL_MILLIS", "100")],
    )
    .await
    else {
        return;
    };
    let folder = app.settings.data_dir.join("mail");
    register_npo(
        &app,
        "npo-a",
        "031240100010",
        Some("fund-a@example.kz"),
        &["youth"],
    )
    .await;

    app.publish(&event(
        "recommendations.reception.appointed",
        "recommendations",
        json!({
            "request_id": "reception-7", "government_body": "ulytau-akimat",
            "requested_on": "2027-03-01", "status": "appointed", "appointed_on": "2027-03-25",
            "npo_id": "npo-a", "place": "каб. 305"
        }),
    ))
    .await;
    let deadline = tokio::time::Instant::now() + WAIT;
    let files = loop {
        let files: Vec<_> = std::fs::read_dir(&folder)
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "eml"))
                    .collect()
            })
            .unwrap_or_default();
        if !files.is_empty() || tokio::time::Instant::now() > deadline {
            break files;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };

    assert_eq!(files.len(), 1, "one .eml file in {}", folder.display());
    let raw = std::fs::read_to_string(&files[0]).expect("a readable message");
    assert!(raw.contains("To: fund-a@example.kz"), "{raw}");
    assert!(raw.contains("Subject: "), "{raw}");
    assert!(
        raw.contains("Content-Type: text/plain; charset=utf-8"),
        "{raw}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eml_file_written_on_sqlite() {
    writes_eml_file(TestBackend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eml_file_written_on_postgres() {
    writes_eml_file(TestBackend::Postgres).await;
}
