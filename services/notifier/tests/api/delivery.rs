use reqwest::StatusCode;
use serde_json::json;

use crate::{event, get_as, json_body, mail_tests, register_npo, wait_for_notifications};

fn reception() -> serde_json::Value {
    json!({
        "request_id": "reception-7",
        "government_body": "ulytau-akimat",
        "requested_on": "2027-03-01",
        "status": "appointed",
        "appointed_on": "2027-03-25",
        "npo_id": "npo-a",
        "place": "каб. 305"
    })
}

mail_tests! {
    async fn transient_failure_retries_then_dead(app, sink) settings ("LIAISON_NOTIFIER_MAX_ATTEMPTS", "3"); {
        sink.reject_with("451 4.3.0 Mailbox busy, try again later");
        register_npo(&app, "npo-a", "031240100010", Some("fund-a@example.kz"), &["youth"]).await;

        app.publish(&event("recommendations.reception.appointed", "recommendations", reception())).await;
        let dead = wait_for_notifications(&app, "?status=dead", 1).await;

        assert_eq!(dead[0]["attempts"], 3);
        let error = dead[0]["last_error"].as_str().expect("the last SMTP reply");
        assert!(error.contains("451"), "{error}");
        assert!(error.contains("Mailbox busy"), "{error}");
        assert!(!error.contains("каб. 305"), "the error carries no body: {error}");
        let times = sink.rejections();
        assert_eq!(times.len(), 3, "one rejection per attempt: {times:?}");
        assert!(times[1] - times[0] >= 0.9, "the first retry waits the base delay: {times:?}");
        assert!(times[2] - times[1] >= 1.9, "the second retry waits twice as long: {times:?}");
        let listed = json_body(get_as(&app, "/v1/notifications/dead-letters", &app.ministry()).await, StatusCode::OK).await;
        assert_eq!(listed["items"][0]["id"], dead[0]["id"]);
        assert!(sink.messages().is_empty());

        sink.accept();
        let id = dead[0]["id"].as_str().expect("an id");
        let retried = app.client.post(app.url(&format!("/v1/notifications/{id}/retry")))
            .bearer_auth(app.ministry()).send().await.expect("the server responds");
        let retried = json_body(retried, StatusCode::OK).await;
        assert_eq!(retried["status"], "pending");
        assert_eq!(retried["attempts"], 0);
        let mail = sink.wait_for(1).await;
        assert_eq!(mail[0].envelope_to, "fund-a@example.kz");
        let sent = wait_for_notifications(&app, "?status=sent", 1).await;
        assert_eq!(sent[0]["id"], id);
        let listed = json_body(get_as(&app, "/v1/notifications/dead-letters", &app.ministry()).await, StatusCode::OK).await;
        assert_eq!(listed["items"], json!([]));
    }

    async fn permanent_rejection_is_dead_at_once(app, sink) {
        sink.reject_with("550 5.1.1 No such mailbox");
        register_npo(&app, "npo-a", "031240100010", Some("fund-a@example.kz"), &["youth"]).await;

        app.publish(&event("recommendations.reception.appointed", "recommendations", reception())).await;
        let dead = wait_for_notifications(&app, "?status=dead", 1).await;

        assert_eq!(dead[0]["attempts"], 1);
        assert!(dead[0]["last_error"].as_str().unwrap_or_default().contains("550"), "{}", dead[0]);
        assert_eq!(sink.rejections().len(), 1);
    }
}
