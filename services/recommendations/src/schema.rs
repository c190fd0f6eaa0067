//! Diesel table definitions of recommendations, receptions, exchanges between officers,
//! the register of experts and the correspondence register.

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
        territory -> Nullable<Text>,
        received_by -> Text,
        responsible -> Nullable<Text>,
        responsible_name -> Nullable<Text>,
        due_on -> Nullable<Date>,
        request_id -> Nullable<Text>,
        decided_version -> Nullable<Integer>,
        feedback_version -> Nullable<Integer>,
        handling -> Nullable<Text>,
        decided_on -> Nullable<Date>,
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
        responsible -> Nullable<Text>,
        responsible_name -> Nullable<Text>,
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
        responsible -> Nullable<Text>,
        responsible_name -> Nullable<Text>,
        asked_officer -> Nullable<Text>,
        asked_officer_name -> Nullable<Text>,
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
        expert_id -> Nullable<Text>,
        expert_group_id -> Nullable<Text>,
    }
}

diesel::table! {
    recommendation_forwardings (recommendation_id, number) {
        recommendation_id -> Text,
        number -> Integer,
        from_body -> Text,
        to_body -> Text,
        reason -> Nullable<Text>,
        routed_by -> Text,
        forwarded_on -> Date,
        forwarded_by -> Text,
    }
}

diesel::table! {
    body_officers (government_body) {
        government_body -> Text,
        officer -> Text,
        full_name -> Text,
        since -> Date,
    }
}

diesel::allow_tables_to_appear_in_same_query!(recommendations, recommendation_forwardings);

diesel::table! {
    experts (id) {
        id -> Text,
        government_body -> Text,
        full_name -> Text,
        organisation -> Nullable<Text>,
        npo_id -> Nullable<Text>,
        expertise -> Text,
        contacts -> Nullable<Text>,
        created_at -> Timestamp,
        created_by -> Text,
    }
}

diesel::table! {
    expert_spheres (expert_id, sphere) {
        expert_id -> Text,
        sphere -> Text,
        position -> Integer,
    }
}

diesel::table! {
    expert_groups (id) {
        id -> Text,
        government_body -> Text,
        name -> Text,
        purpose -> Text,
        sphere -> Nullable<Text>,
        formed_on -> Date,
        created_at -> Timestamp,
        created_by -> Text,
    }
}

diesel::table! {
    expert_group_members (group_id, expert_id) {
        group_id -> Text,
        expert_id -> Text,
        position -> Integer,
    }
}

diesel::joinable!(expert_spheres -> experts (expert_id));
diesel::joinable!(expert_group_members -> expert_groups (group_id));
diesel::joinable!(expert_group_members -> experts (expert_id));
diesel::allow_tables_to_appear_in_same_query!(
    experts,
    expert_spheres,
    expert_groups,
    expert_group_members
);

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
        responsible -> Nullable<Text>,
        responsible_name -> Nullable<Text>,
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

diesel::table! {
    correspondence (id) {
        id -> Text,
        government_body -> Text,
        direction -> Text,
        kind -> Text,
        number -> Text,
        registered_on -> Date,
        counterpart_kind -> Text,
        counterpart_npo_id -> Nullable<Text>,
        counterpart_body -> Nullable<Text>,
        counterpart_name -> Nullable<Text>,
        subject -> Text,
        channel -> Text,
        form -> Text,
        answers_id -> Nullable<Text>,
        answer_due_on -> Nullable<Date>,
        status -> Nullable<Text>,
        answered_on -> Nullable<Date>,
        answered_by_id -> Nullable<Text>,
        recommendation_id -> Nullable<Text>,
        officer_request_id -> Nullable<Text>,
        file_ref -> Nullable<Text>,
        version -> Integer,
        created_at -> Timestamp,
        created_by -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    correspondence_sequences (government_body, direction, year) {
        government_body -> Text,
        direction -> Text,
        year -> Integer,
        last_number -> Integer,
    }
}
