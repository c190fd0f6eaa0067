//! Diesel table definitions of recommendations and receptions.

diesel::table! {
    recommendations (id) {
        id -> Text,
        government_body -> Text,
        sphere -> Text,
        text -> Text,
        author_kind -> Text,
        author_name -> Text,
        npo_id -> Nullable<Text>,
        npo_bin -> Nullable<Text>,
        contacts -> Nullable<Text>,
        received_on -> Date,
        initiator -> Text,
        status -> Text,
        reason -> Nullable<Text>,
        feedback -> Nullable<Text>,
        answered_on -> Nullable<Date>,
        version -> Integer,
        created_at -> Timestamp,
        created_by -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    recommendation_clarifications (recommendation_id, number) {
        recommendation_id -> Text,
        number -> Integer,
        question -> Text,
        asked_on -> Date,
        answer -> Nullable<Text>,
        answered_on -> Nullable<Date>,
    }
}

diesel::table! {
    reception_requests (id) {
        id -> Text,
        government_body -> Text,
        npo_id -> Nullable<Text>,
        npo_bin -> Nullable<Text>,
        topic -> Text,
        requested_on -> Date,
        status -> Text,
        appointed_on -> Nullable<Date>,
        place -> Nullable<Text>,
        created_at -> Timestamp,
        created_by -> Text,
    }
}

diesel::table! {
    officer_requests (id) {
        id -> Text,
        from_body -> Text,
        to_body -> Text,
        question -> Text,
        sphere -> Nullable<Text>,
        format -> Nullable<Text>,
        contacts -> Nullable<Text>,
        sent_on -> Date,
        deadline -> Date,
        answer -> Nullable<Text>,
        result -> Nullable<Text>,
        answered_on -> Nullable<Date>,
        created_at -> Timestamp,
        created_by -> Text,
    }
}

diesel::table! {
    consultations (id) {
        id -> Text,
        government_body -> Text,
        direction -> Text,
        held_on -> Date,
        counterpart -> Text,
        npo_id -> Nullable<Text>,
        contacts -> Nullable<Text>,
        sphere -> Nullable<Text>,
        question -> Text,
        form -> Text,
        created_at -> Timestamp,
        created_by -> Text,
    }
}

diesel::table! {
    recommendation_requests (id) {
        id -> Text,
        government_body -> Text,
        topic -> Text,
        sphere -> Nullable<Text>,
        format -> Text,
        sent_on -> Date,
        deadline -> Date,
        open_to_all -> Bool,
        status -> Text,
        closed_on -> Nullable<Date>,
        version -> Integer,
        created_at -> Timestamp,
        created_by -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    recommendation_request_npos (request_id, npo_id) {
        request_id -> Text,
        npo_id -> Text,
        npo_bin -> Nullable<Text>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(recommendation_requests, recommendation_request_npos);
