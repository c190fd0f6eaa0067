use chrono::Duration;
use reqwest::{Response, StatusCode};
use serde_json::json;
use service_kit::backend_tests;
use service_kit::testing::TestApp;

use crate::{
    OFFICER_SUBJECT, appointment, create_district, current_etag, get, header, json_body,
    officer_change, officer_token, problem, staffed_district, today_in_kazakhstan,
};

const PHOTO: &str = "/v1/government-bodies/ulytau-district/officer/photo";

/// Largest photo the service accepts, in bytes.
const MAX_PHOTO: usize = 1024 * 1024;

/// Returns `size` bytes that start with the PNG signature.
fn png(size: usize) -> Vec<u8> {
    let mut data = b"\x89PNG\r\n\x1a\n".to_vec();
    data.resize(size, 0x42);
    data
}

/// Returns `size` bytes that start with the JPEG signature.
fn jpeg(size: usize) -> Vec<u8> {
    let mut data = b"\xFF\xD8\xFF\xE0".to_vec();
    data.resize(size, 0x17);
    data
}

/// Sends `data` as the photo of body `ulytau-district` with `content_type`, as `token`.
async fn put_photo(app: &TestApp, token: &str, content_type: &str, data: Vec<u8>) -> Response {
    app.client
        .put(app.url(PHOTO))
        .bearer_auth(token)
        .header("Content-Type", content_type)
        .body(data)
        .send()
        .await
        .expect("the server responds")
}

/// Deletes the photo of body `ulytau-district` as `token`.
async fn delete_photo(app: &TestApp, token: &str) -> Response {
    app.client
        .delete(app.url(PHOTO))
        .bearer_auth(token)
        .send()
        .await
        .expect("the server responds")
}

backend_tests! {
    services: crate::SERVICES;

    async fn photo_stored_and_served(app) {
        staffed_district(&app, "ulytau-district").await;
        let officer = app.officer("ulytau-district");
        let data = png(2048);

        let uploaded = put_photo(&app, &officer, "image/png", data.clone()).await;
        let upload_status = uploaded.status();
        let location = header(&uploaded, "location");
        let upload_etag = header(&uploaded, "etag");
        let served = get(&app, PHOTO, None).await;
        let served_status = served.status();
        let content_type = header(&served, "content-type");
        let etag = header(&served, "etag");
        let nosniff = header(&served, "x-content-type-options");
        let bytes = served.bytes().await.unwrap();
        let profile = json_body(get(&app, "/v1/government-bodies/ulytau-district/officer", None).await, StatusCode::OK).await;

        assert_eq!(upload_status, StatusCode::CREATED);
        assert_eq!(location, PHOTO);
        assert_eq!(served_status, StatusCode::OK);
        assert_eq!(content_type, "image/png");
        assert_eq!(etag, upload_etag);
        assert_eq!(nosniff, "nosniff");
        assert_eq!(bytes.as_ref(), data.as_slice());
        assert_eq!(profile["photo_url"], PHOTO);
        assert_eq!(current_etag(&app, "ulytau-district").await, "\"3\"");
    }

    async fn unchanged_photo_not_modified(app) {
        staffed_district(&app, "ulytau-district").await;
        let uploaded = put_photo(&app, &app.ministry(), "image/jpeg", jpeg(512)).await;
        let etag = header(&uploaded, "etag");

        let same = app.client.get(app.url(PHOTO)).header("If-None-Match", &etag).send().await.unwrap();
        let weak = app.client.get(app.url(PHOTO)).header("If-None-Match", format!("W/{etag}")).send().await.unwrap();
        let other = app.client.get(app.url(PHOTO)).header("If-None-Match", "\"other\"").send().await.unwrap();

        assert_eq!(same.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(header(&same, "etag"), etag);
        assert!(same.bytes().await.unwrap().is_empty());
        assert_eq!(weak.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(other.status(), StatusCode::OK);
        assert_eq!(header(&other, "content-type"), "image/jpeg");
    }

    async fn photo_replaced_then_deleted(app) {
        staffed_district(&app, "ulytau-district").await;
        let officer = app.officer("ulytau-district");
        let first = put_photo(&app, &officer, "image/png", png(100)).await;
        let first_etag = header(&first, "etag");

        let second = put_photo(&app, &officer, "image/jpeg", jpeg(200)).await;
        let second_status = second.status();
        let second_etag = header(&second, "etag");
        let served = get(&app, PHOTO, None).await;
        let served_type = header(&served, "content-type");
        let deleted = delete_photo(&app, &officer).await;
        let deleted_status = deleted.status();
        let again = delete_photo(&app, &officer).await;
        let after_delete = get(&app, PHOTO, None).await;
        let profile = json_body(get(&app, "/v1/government-bodies/ulytau-district/officer", None).await, StatusCode::OK).await;

        assert_eq!(second_status, StatusCode::NO_CONTENT);
        assert_ne!(second_etag, first_etag);
        assert_eq!(served_type, "image/jpeg");
        assert_eq!(deleted_status, StatusCode::NO_CONTENT);
        problem(again, StatusCode::NOT_FOUND).await;
        problem(after_delete, StatusCode::NOT_FOUND).await;
        assert!(profile.get("photo_url").is_none(), "{profile}");
        assert_eq!(current_etag(&app, "ulytau-district").await, "\"5\"");
    }

    async fn photo_signature_checked(app) {
        staffed_district(&app, "ulytau-district").await;
        let officer = app.officer("ulytau-district");
        let gif = b"GIF89a\x01\x00\x01\x00".to_vec();
        let cases = [
            ("image/png", gif.clone()),
            ("image/jpeg", png(64)),
            ("image/png", jpeg(64)),
            ("image/png", Vec::new()),
            ("image/gif", gif),
            ("application/octet-stream", png(64)),
            ("text/plain", b"\x89PNG is a word".to_vec()),
        ];

        for (content_type, data) in cases {
            let response = put_photo(&app, &officer, content_type, data).await;

            problem(response, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
        }
        problem(get(&app, PHOTO, None).await, StatusCode::NOT_FOUND).await;
        assert_eq!(current_etag(&app, "ulytau-district").await, "\"2\"");
    }

    async fn photo_over_limit_rejected(app) {
        staffed_district(&app, "ulytau-district").await;
        let officer = app.officer("ulytau-district");

        let too_large = put_photo(&app, &officer, "image/png", png(MAX_PHOTO + 1)).await;
        problem(too_large, StatusCode::PAYLOAD_TOO_LARGE).await;
        let at_limit = put_photo(&app, &officer, "image/png", png(MAX_PHOTO)).await;

        assert_eq!(at_limit.status(), StatusCode::CREATED);
        let served = get(&app, PHOTO, None).await.bytes().await.unwrap();
        assert_eq!(served.len(), MAX_PHOTO);
    }

    async fn photo_writes_forbidden_to_others(app) {
        staffed_district(&app, "ulytau-district").await;
        staffed_district(&app, "other-district").await;
        let stored = put_photo(&app, &app.officer("ulytau-district"), "image/png", png(64)).await;
        assert_eq!(stored.status(), StatusCode::CREATED);

        for token in [
            app.officer("other-district"),
            officer_token(&app, "predecessor", "ulytau-district"),
            app.token(service_kit::Role::Npo, None, Some("940140000385")),
        ] {
            problem(put_photo(&app, &token, "image/jpeg", jpeg(64)).await, StatusCode::FORBIDDEN).await;
            problem(delete_photo(&app, &token).await, StatusCode::FORBIDDEN).await;
        }
        let anonymous = app.client.put(app.url(PHOTO)).header("Content-Type", "image/png").body(png(64)).send().await.unwrap();
        problem(anonymous, StatusCode::UNAUTHORIZED).await;

        let served = get(&app, PHOTO, None).await;
        assert_eq!(header(&served, "content-type"), "image/png");
    }

    async fn vacant_body_has_no_photo(app) {
        create_district(&app, "ulytau-district").await;

        let upload = put_photo(&app, &app.ministry(), "image/png", png(64)).await;
        let read = get(&app, PHOTO, None).await;

        problem(upload, StatusCode::NOT_FOUND).await;
        problem(read, StatusCode::NOT_FOUND).await;
    }

    async fn dismissal_removes_photo(app) {
        let today = today_in_kazakhstan();
        create_district(&app, "ulytau-district").await;
        let mut first = appointment(OFFICER_SUBJECT, "Ерлан Мұханов", "deputy_akim");
        first["appointed_on"] = json!((today - Duration::days(30)).to_string());
        let appointed = crate::appoint(&app, "ulytau-district", &first).await;
        assert_eq!(appointed.status(), StatusCode::CREATED);
        let stored = put_photo(&app, &app.officer("ulytau-district"), "image/png", png(64)).await;
        assert_eq!(stored.status(), StatusCode::CREATED);
        let dismissal = json!({"reason": "dismissal", "dismissed_on": today.to_string()});
        let dismissed = officer_change(&app, "ulytau-district", "dismissal", &dismissal).await;
        assert_eq!(dismissed.status(), StatusCode::OK);

        let successor = appointment("successor", "Айгүл Сейітова", "akim");
        let appointed = crate::appoint(&app, "ulytau-district", &successor).await;
        assert_eq!(appointed.status(), StatusCode::CREATED);
        let read = get(&app, PHOTO, None).await;
        let profile = json_body(get(&app, "/v1/government-bodies/ulytau-district/officer", None).await, StatusCode::OK).await;

        problem(read, StatusCode::NOT_FOUND).await;
        assert!(profile.get("photo_url").is_none(), "{profile}");
    }
}
