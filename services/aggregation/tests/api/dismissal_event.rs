use std::time::Duration as WaitTime;

use chrono::Duration;
use common_models::event::aggregation::OFFICER_DISMISSED;
use reqwest::StatusCode;
use serde_json::json;
use service_kit::backend_tests;

use crate::{
    OFFICER_SUBJECT, appoint, appointment, create_district, expect_event_for, officer_change,
    post_as, problem, today_in_kazakhstan,
};

backend_tests! {
    services: crate::SERVICES;

    async fn dismissal_published(app) {
        let today = today_in_kazakhstan();
        create_district(&app, "ulytau-district").await;
        let mut first = appointment(OFFICER_SUBJECT, "Ерлан Мұханов", "deputy_akim");
        first["appointed_on"] = json!((today - Duration::days(30)).to_string());
        assert_eq!(appoint(&app, "ulytau-district", &first).await.status(), StatusCode::CREATED);
        let mut events = app.observe(&[OFFICER_DISMISSED]).await;
        let dismissed_on = (today - Duration::days(2)).to_string();
        let dismissal = json!({"reason": "transfer", "dismissed_on": dismissed_on});

        let response = officer_change(&app, "ulytau-district", "dismissal", &dismissal).await;
        assert_eq!(response.status(), StatusCode::OK);
        let observed = expect_event_for(&mut events, OFFICER_DISMISSED, "ulytau-district").await;
        events.close().await;

        assert_eq!(
            observed,
            json!({
                "government_body": "ulytau-district",
                "officer": OFFICER_SUBJECT,
                "dismissed_on": dismissed_on
            })
        );
    }

    async fn rejected_dismissal_unpublished(app) {
        create_district(&app, "ulytau-district").await;
        let appointed = appoint(&app, "ulytau-district", &appointment(OFFICER_SUBJECT, "Ерлан Мұханов", "deputy_akim")).await;
        assert_eq!(appointed.status(), StatusCode::CREATED);
        let mut events = app.observe(&[OFFICER_DISMISSED]).await;
        let dismissal = json!({"reason": "dismissal", "dismissed_on": today_in_kazakhstan().to_string()});
        let path = "/v1/government-bodies/ulytau-district/officer/dismissal";

        let stale = post_as(&app, path, &app.ministry(), Some("\"1\""), &dismissal).await;
        problem(stale, StatusCode::PRECONDITION_FAILED).await;
        let seen = events.drain(WaitTime::from_millis(500)).await;
        events.close().await;

        assert!(seen.is_empty(), "no event for a rejected dismissal: {seen:?}");
    }
}
