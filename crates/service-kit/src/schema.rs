//! Diesel table definitions of the tables every service has.

diesel::table! {
    outbox_events (seq) {
        seq -> BigInt,
        id -> Text,
        event_type -> Text,
        version -> Integer,
        occurred_at -> Timestamp,
        service -> Text,
        actor -> Nullable<Text>,
        government_body -> Nullable<Text>,
        payload -> Text,
        traceparent -> Nullable<Text>,
        published_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    inbox_events (consumer, event_id) {
        consumer -> Text,
        event_id -> Text,
        event_type -> Text,
        applied_at -> Timestamp,
        duplicates -> Integer,
    }
}

diesel::table! {
    idempotency_keys (scope, key) {
        scope -> Text,
        key -> Text,
        request_hash -> Text,
        status -> Integer,
        response -> Text,
        location -> Nullable<Text>,
        etag -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    audit_entries (id) {
        id -> Text,
        entity -> Text,
        entity_id -> Text,
        action -> Text,
        actor -> Text,
        government_body -> Nullable<Text>,
        fields -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    dead_letters (id) {
        id -> Text,
        consumer -> Text,
        event_id -> Nullable<Text>,
        body -> Text,
        reason -> Text,
        at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(dead_letters, inbox_events);
