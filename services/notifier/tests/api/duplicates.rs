use std::time::Duration;

use serde_json::json;

use crate::{event, mail_tests, notifications, register_npo};

mail_tests! {
    async fn duplicate_event_sends_once(app, sink) {
        register_npo(&app, "npo-a", "031240100010", Some("fund-a@example.kz"), &["youth"]).await;
        let appointed = event("recommendations.reception.appointed", "recommendations", json!({
            "request_id": "reception-7", "government_body": "ulytau-akimat",
            "requested_on": "2027-03-01", "status": "appointed", "appointed_on": "2027-03-25",
            "npo_id": "npo-a", "place": "каб. 305"
        }));

        app.publish(&appointed).await;
        app.publish(&appointed).await;
        sink.wait_for(1).await;
        tokio::time::sleep(Duration::from_millis(1500)).await;

        assert_eq!(sink.messages().len(), 1, "the redelivered event sent nothing");
        assert_eq!(notifications(&app, "").await.len(), 1);
    }
}
