use std::time::Duration;

use serde_json::{Value, json};

use crate::{event, mail_tests, register_npo, wait_for_notifications};

/// Builds a meeting at 09:30 UTC on 10 March 2027, which is 14:30 in Kazakhstan (UTC+5).
fn meeting(status: &str, invited: &[&str]) -> Value {
    json!({
        "meeting_id": "meeting-1",
        "government_body": "ulytau-akimat",
        "head": "Аким Ұлытау облысы Д. Әбенов",
        "starts_at": "2027-03-10T09:30:00Z",
        "place": "Жезқазған, Алаш алаңы, 1, мәжіліс залы",
        "online_url": null,
        "agenda": "Жастар саясаты / Молодёжная политика",
        "spheres": ["youth"],
        "territories": ["620000000"],
        "invited_npo_ids": invited,
        "status": status,
        "outcome": null
    })
}

mail_tests! {
    async fn invitation_in_both_languages(app, sink) {
        register_npo(&app, "npo-a", "031240100010", Some("fund-a@example.kz"), &["youth"]).await;
        register_npo(&app, "npo-silent", "940140000385", None, &["youth"]).await;

        let invited = ["npo-a", "npo-silent", "npo-unknown"];
        app.publish(&event("aggregation.meeting.scheduled", "aggregation", meeting("scheduled", &invited))).await;
        let mail = sink.wait_for(1).await;
        tokio::time::sleep(Duration::from_millis(800)).await;

        assert_eq!(sink.messages().len(), 1, "only the NPO with an address gets mail");
        let message = &mail[0];
        assert_eq!(message.envelope_to, "fund-a@example.kz");
        assert!(message.subject.contains("кездесуіне шақыру"), "Kazakh subject: {}", message.subject);
        assert!(message.subject.contains("Приглашение на встречу"), "Russian subject: {}", message.subject);
        assert!(message.text.contains("үкіметтік емес ұйымдарды кездесуге шақырады"), "{}", message.text);
        assert!(message.text.contains("приглашает неправительственные организации"), "{}", message.text);
        assert!(message.text.contains("Уақыты: 14:30"), "Almaty time in Kazakh: {}", message.text);
        assert!(message.text.contains("Время: 14:30"), "Almaty time in Russian: {}", message.text);
        assert!(message.text.contains("10.03.2027"), "{}", message.text);
        assert!(!message.text.contains("09:30"), "UTC time leaked: {}", message.text);
        assert!(
            message.text.find("шақырады") < message.text.find("приглашает"),
            "the Kazakh text comes first"
        );
        let sent = wait_for_notifications(&app, "?status=sent", 1).await;
        assert_eq!(sent[0]["template"], "meeting_invitation");
        assert_eq!(sent[0]["npo_id"], "npo-a");
        assert_eq!(sent[0]["event_type"], "aggregation.meeting.scheduled");
        assert_eq!(sent[0]["attempts"], 1);
    }

    async fn past_meeting_sends_nothing(app, sink) {
        register_npo(&app, "npo-a", "031240100010", Some("fund-a@example.kz"), &["youth"]).await;
        let mut past = meeting("scheduled", &["npo-a"]);
        past["meeting_id"] = json!("meeting-past");
        past["starts_at"] = json!("2020-12-20T05:00:00Z");
        app.publish(&event("aggregation.meeting.scheduled", "aggregation", past)).await;
        app.publish(&event("aggregation.meeting.scheduled", "aggregation", meeting("scheduled", &["npo-a"]))).await;
        sink.wait_for(1).await;
        tokio::time::sleep(Duration::from_millis(800)).await;

        let messages = sink.messages();
        assert_eq!(messages.len(), 1, "only the coming meeting is announced");
        assert!(messages[0].text.contains("10.03.2027"), "{}", messages[0].text);
        assert!(!messages[0].text.contains("20.12.2020"), "{}", messages[0].text);
    }

    async fn change_and_cancellation_follow(app, sink) {
        register_npo(&app, "npo-a", "031240100010", Some("fund-a@example.kz"), &["youth"]).await;
        register_npo(&app, "npo-b", "940140000385", Some("fund-b@example.kz"), &["youth"]).await;
        app.publish(&event("aggregation.meeting.scheduled", "aggregation", meeting("scheduled", &["npo-a"]))).await;
        sink.wait_for(1).await;
        let mut moved = meeting("scheduled", &["npo-a", "npo-b"]);
        moved["starts_at"] = json!("2027-03-11T04:00:00Z");

        app.publish(&event("aggregation.meeting.rescheduled", "aggregation", moved.clone())).await;
        let after_change = sink.wait_for(3).await;
        moved["status"] = json!("cancelled");
        app.publish(&event("aggregation.meeting.cancelled", "aggregation", moved)).await;
        let all = sink.wait_for(5).await;

        let to_a: Vec<_> = after_change.iter().filter(|m| m.envelope_to == "fund-a@example.kz").collect();
        let to_b: Vec<_> = after_change.iter().filter(|m| m.envelope_to == "fund-b@example.kz").collect();
        assert_eq!(to_a.len(), 2);
        assert!(to_a[1].subject.contains("Изменения во встрече"), "{}", to_a[1].subject);
        assert!(to_a[1].text.contains("11.03.2027"), "{}", to_a[1].text);
        assert!(to_a[1].text.contains("Время: 09:00"), "{}", to_a[1].text);
        assert_eq!(to_b.len(), 1);
        assert!(to_b[0].subject.contains("Приглашение"), "a newly invited NPO gets an invitation: {}", to_b[0].subject);
        let cancellations: Vec<_> = all[3..].iter().collect();
        assert!(cancellations.iter().all(|m| m.subject.contains("Отмена встречи")), "{cancellations:?}");
        assert!(cancellations.iter().all(|m| m.text.contains("өтпейді") || m.text.contains("отменена")));
    }
}
