//! Diesel table definitions of the notifier.

diesel::table! {
    npo_contacts (npo_id) {
        npo_id -> Text,
        bin -> Nullable<Text>,
        email -> Nullable<Text>,
        status -> Text,
        spheres -> Text,
        territories -> Text,
        merged_into -> Nullable<Text>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    notifications (id) {
        id -> Text,
        recipient -> Text,
        npo_id -> Nullable<Text>,
        template -> Text,
        subject -> Text,
        body -> Text,
        event_id -> Text,
        event_type -> Text,
        topic -> Text,
        status -> Text,
        skip_reason -> Nullable<Text>,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    opt_outs (address) {
        address -> Text,
        source -> Text,
        opted_out_at -> Timestamp,
    }
}
