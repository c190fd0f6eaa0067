use serde_json::{Value, json};

use crate::{event, mail_tests, register_npo, wait_for_notifications};

fn answered(npo_id: Option<&str>, author_email: Option<&str>) -> Value {
    json!({
        "recommendation_id": "rec-1",
        "government_body": "ulytau-akimat",
        "sphere": "youth",
        "npo_id": npo_id,
        "status": "answered",
        "received_on": "2027-02-01",
        "answered_on": "2027-02-20",
        "author_kind": "person",
        "author_name": "Айгүл Серікқызы",
        "handling": "included_in_plans",
        "responsible_name": "Ерлан Мұханов",
        "author_email": author_email
    })
}

fn reception(npo_id: &str) -> Value {
    json!({
        "request_id": "reception-7",
        "government_body": "ulytau-akimat",
        "requested_on": "2027-03-01",
        "status": "appointed",
        "appointed_on": "2027-03-25",
        "npo_id": npo_id,
        "place": "Жезқазған, Алаш алаңы, 1, каб. 305"
    })
}

mail_tests! {
    async fn feedback_goes_to_author_email(app, sink) {
        register_npo(&app, "npo-a", "031240100010", Some("fund-a@example.kz"), &["youth"]).await;

        let answer = answered(Some("npo-a"), Some("author@example.kz"));
        app.publish(&event("recommendations.recommendation.answered", "recommendations", answer)).await;
        let mail = sink.wait_for(1).await;

        assert_eq!(mail[0].envelope_to, "author@example.kz");
        assert!(mail[0].subject.contains("Обратная связь по вашей рекомендации"), "{}", mail[0].subject);
        assert!(mail[0].text.contains("Шешім: жоспарларға енгізілді"), "{}", mail[0].text);
        assert!(mail[0].text.contains("Решение: включена в планы"), "{}", mail[0].text);
        assert!(mail[0].text.contains("01.02.2027"), "{}", mail[0].text);
        let sent = wait_for_notifications(&app, "?template=recommendation_feedback&status=sent", 1).await;
        assert_eq!(sent[0]["recipient"], "author@example.kz");
    }

    async fn feedback_without_author_email_goes_to_npo(app, sink) {
        register_npo(&app, "npo-a", "031240100010", Some("fund-a@example.kz"), &["youth"]).await;

        let answer = answered(Some("npo-a"), None);
        app.publish(&event("recommendations.recommendation.answered", "recommendations", answer)).await;
        let mail = sink.wait_for(1).await;

        assert_eq!(mail[0].envelope_to, "fund-a@example.kz");
    }

    async fn reception_day_and_place_sent(app, sink) {
        register_npo(&app, "npo-a", "031240100010", Some("fund-a@example.kz"), &["youth"]).await;

        app.publish(&event("recommendations.reception.appointed", "recommendations", reception("npo-a"))).await;
        let mail = sink.wait_for(1).await;

        assert_eq!(mail[0].envelope_to, "fund-a@example.kz");
        assert!(mail[0].subject.contains("День и место приёма"), "{}", mail[0].subject);
        assert!(mail[0].text.contains("Қабылдау күні: 25.03.2027"), "{}", mail[0].text);
        assert!(mail[0].text.contains("День приёма: 25.03.2027"), "{}", mail[0].text);
        assert!(mail[0].text.contains("каб. 305"), "{}", mail[0].text);
    }

    async fn merged_npo_mail_goes_to_successor(app, sink) {
        register_npo(&app, "npo-old", "031240100010", Some("old@example.kz"), &["youth"]).await;
        register_npo(&app, "npo-new", "940140000385", Some("new@example.kz"), &["youth"]).await;
        let merge = json!({"npo_id": "npo-new", "merged_id": "npo-old"});
        app.publish(&event("registry.npo.merged", "registry", merge)).await;

        app.publish(&event("recommendations.reception.appointed", "recommendations", reception("npo-old"))).await;
        let mail = sink.wait_for(1).await;

        assert_eq!(mail[0].envelope_to, "new@example.kz");
    }
}
