use std::time::Duration;

use serde_json::{Value, json};

use crate::{event, mail_tests, register_npo};

fn published(sphere: Option<&str>, invited: &[&str]) -> Value {
    json!({
        "request_id": "request-3",
        "government_body": "ulytau-akimat",
        "sphere": sphere,
        "deadline": "2027-05-15",
        "invited_npo_ids": invited
    })
}

mail_tests! {
    async fn request_reaches_active_npos_of_sphere(app, sink) {
        register_npo(&app, "npo-a", "031240100010", Some("youth-a@example.kz"), &["youth"]).await;
        register_npo(&app, "npo-b", "940140000385", Some("youth-b@example.kz"), &["youth", "culture"]).await;
        register_npo(&app, "npo-c", "171140900016", Some("other@example.kz"), &["culture"]).await;
        register_npo(&app, "npo-d", "031240100020", Some("closed@example.kz"), &["youth"]).await;
        let closed = json!({"npo_id": "npo-d", "from": "active", "to": "liquidated"});
        app.publish(&event("registry.npo.status_changed", "registry", closed)).await;

        app.publish(&event("recommendations.request.published", "recommendations", published(Some("youth"), &[]))).await;
        sink.wait_for(2).await;
        tokio::time::sleep(Duration::from_millis(800)).await;

        let mut recipients: Vec<String> = sink.messages().into_iter().map(|m| m.envelope_to).collect();
        recipients.sort();
        assert_eq!(recipients, ["youth-a@example.kz", "youth-b@example.kz"]);
        let message = &sink.messages()[0];
        assert!(message.subject.contains("запрашивает ваши рекомендации"), "{}", message.subject);
        assert!(message.text.contains("15.05.2027"), "{}", message.text);
        assert!(message.text.contains("«Молодежная политика»"), "{}", message.text);
        assert!(message.text.contains("«Жастар саясаты»"), "{}", message.text);
    }

    async fn request_reaches_only_invited_npos(app, sink) {
        register_npo(&app, "npo-a", "031240100010", Some("youth-a@example.kz"), &["youth"]).await;
        register_npo(&app, "npo-c", "171140900016", Some("other@example.kz"), &["culture"]).await;

        app.publish(&event("recommendations.request.published", "recommendations", published(Some("youth"), &["npo-c"]))).await;
        sink.wait_for(1).await;
        tokio::time::sleep(Duration::from_millis(800)).await;

        let recipients: Vec<String> = sink.messages().into_iter().map(|m| m.envelope_to).collect();
        assert_eq!(recipients, ["other@example.kz"]);
    }

    async fn request_without_sphere_reaches_every_active_npo(app, sink) {
        register_npo(&app, "npo-a", "031240100010", Some("youth-a@example.kz"), &["youth"]).await;
        register_npo(&app, "npo-c", "171140900016", Some("other@example.kz"), &["culture"]).await;

        app.publish(&event("recommendations.request.published", "recommendations", published(None, &[]))).await;
        let mail = sink.wait_for(2).await;

        assert_eq!(mail.len(), 2);
        assert!(mail[0].text.contains("все сферы"), "{}", mail[0].text);
    }
}
