//! Events the read models cannot apply go to the dead letters with a reason that is
//! logged, so the reason must not quote personal data from the payload.

use std::time::{Duration, Instant};

use common_models::event::EventEnvelope;
use diesel::prelude::*;
use serde_json::json;
use service_kit::backend_tests;
use service_kit::schema::dead_letters;
use service_kit::testing::TestApp;
use service_kit::{Database, StoreError};

use crate::SERVICES;

/// Name and phone of a key staff member that the broken event carries.
const STAFF: [&str; 2] = ["Аружан Құпиятова", "+77015550101"];

/// Waits up to 30 s for the dead letter of event `id` and returns its reason.
async fn dead_letter_reason(app: &TestApp, id: &str) -> String {
    let url = app.settings.database_url_for("aggregation");
    let id = id.to_owned();
    let started = Instant::now();
    loop {
        let (url, event_id) = (url.clone(), id.clone());
        let reason = tokio::task::spawn_blocking(move || {
            let db = Database::connect(&url).expect("the test database accepts connections");
            db.run_blocking(move |conn| {
                Ok::<_, StoreError>(
                    dead_letters::table
                        .filter(dead_letters::event_id.eq(event_id))
                        .select(dead_letters::reason)
                        .first::<String>(conn)
                        .optional()?,
                )
            })
            .expect("the dead letters can be read")
        })
        .await
        .expect("the database work finished");
        if let Some(reason) = reason {
            return reason;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "event {id} was not dead-lettered within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

backend_tests! {
    services: SERVICES;

    async fn dead_letter_reason_withholds_payload(app) {
        let [name, phone] = STAFF;
        let event = EventEnvelope::new("registry.npo.registered", 1, "registry", json!({
            "npo_id": "0190c1c8-0000-7000-8000-00000000abcd", "bin": null, "name_ru": "Фонд",
            "name_kk": null, "legal_form": "public_foundation", "status": "active",
            "territories": [], "spheres": [],
            "card": {"key_staff": format!("{name}, {phone}")}
        }));

        app.publish(&event).await;
        let reason = dead_letter_reason(&app, &event.id.to_string()).await;

        assert!(reason.contains("unreadable payload"), "{reason}");
        assert!(reason.contains("expected a sequence"), "{reason}");
        assert!(!reason.contains(name), "the reason quotes the staff name: {reason}");
        assert!(!reason.contains(phone), "the reason quotes the phone: {reason}");
    }
}
