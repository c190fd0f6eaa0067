//! Diesel table definitions of the register of government bodies and officers, the
//! read models, the annual reports, the information requests and the schedule of
//! meetings of the bodies' heads with NPOs.

diesel::table! {
    government_bodies (id) {
        id -> Text,
        name_ru -> Text,
        name_kk -> Text,
        level -> Text,
        territory -> Nullable<Text>,
        vacant_since -> Nullable<Date>,
        version -> Integer,
        created_at -> Timestamp,
        created_by -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    government_body_spheres (body_id, sphere) {
        body_id -> Text,
        sphere -> Text,
        position -> Integer,
    }
}

diesel::table! {
    officer_appointments (id) {
        id -> Text,
        government_body -> Text,
        officer -> Text,
        full_name -> Text,
        position -> Text,
        appointed_on -> Date,
        contacts -> Nullable<Text>,
        reception_schedule -> Nullable<Text>,
        ended_on -> Nullable<Date>,
        end_reason -> Nullable<Text>,
        created_at -> Timestamp,
        created_by -> Text,
        ended_by -> Nullable<Text>,
    }
}

diesel::joinable!(government_body_spheres -> government_bodies (body_id));
diesel::joinable!(officer_appointments -> government_bodies (government_body));
diesel::allow_tables_to_appear_in_same_query!(
    government_bodies,
    government_body_spheres,
    officer_appointments,
    read_records,
    read_record_tags,
    annual_reports,
    annual_report_versions
);

diesel::table! {
    read_records (kind, id) {
        kind -> Text,
        id -> Text,
        government_body -> Nullable<Text>,
        status -> Text,
        day -> Nullable<Date>,
        day_end -> Nullable<Date>,
        event_at -> Timestamp,
        event_id -> Text,
        data -> Text,
        change_seq -> BigInt,
    }
}

diesel::table! {
    read_model_changes (id) {
        id -> Integer,
        generation -> BigInt,
        seq -> BigInt,
    }
}

diesel::table! {
    read_record_tags (kind, id, dimension, value) {
        kind -> Text,
        id -> Text,
        dimension -> Text,
        value -> Text,
    }
}

diesel::table! {
    annual_reports (id) {
        id -> Text,
        government_body -> Text,
        year -> Integer,
        status -> Text,
        due_on -> Date,
        narrative -> Text,
        submitted_on -> Nullable<Date>,
        accepted_on -> Nullable<Date>,
        current_version -> Integer,
        version -> Integer,
        created_at -> Timestamp,
        created_by -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    annual_report_versions (report_id, number) {
        report_id -> Text,
        number -> Integer,
        content -> Text,
        submitted_on -> Date,
        submitted_by -> Text,
        review -> Nullable<Text>,
        comments -> Nullable<Text>,
        reviewed_on -> Nullable<Date>,
        reviewed_by -> Nullable<Text>,
    }
}

diesel::table! {
    officer_profiles (appointment_id) {
        appointment_id -> Text,
        work_plan -> Nullable<Text>,
        appeal_forms -> Text,
        updated_at -> Timestamp,
        updated_by -> Text,
    }
}

diesel::table! {
    officer_photos (appointment_id) {
        appointment_id -> Text,
        content_type -> Text,
        data -> Binary,
        sha256 -> Text,
        uploaded_at -> Timestamp,
        uploaded_by -> Text,
    }
}

diesel::table! {
    information_requests (id) {
        id -> Text,
        subject -> Text,
        text -> Text,
        sent_on -> Date,
        deadline -> Date,
        all_bodies -> Bool,
        created_at -> Timestamp,
        created_by -> Text,
    }
}

diesel::table! {
    information_request_bodies (request_id, government_body) {
        request_id -> Text,
        government_body -> Text,
        answer -> Nullable<Text>,
        answered_on -> Nullable<Date>,
        answered_at -> Nullable<Timestamp>,
        answered_by -> Nullable<Text>,
    }
}

diesel::joinable!(information_request_bodies -> information_requests (request_id));
diesel::joinable!(information_request_bodies -> government_bodies (government_body));
diesel::allow_tables_to_appear_in_same_query!(
    government_bodies,
    information_requests,
    information_request_bodies
);

diesel::table! {
    head_meetings (id) {
        id -> Text,
        government_body -> Text,
        head_position -> Text,
        head_full_name -> Text,
        starts_at -> Timestamp,
        place -> Nullable<Text>,
        online_url -> Nullable<Text>,
        agenda -> Text,
        status -> Text,
        outcome -> Nullable<Text>,
        cancellation_reason -> Nullable<Text>,
        version -> Integer,
        created_at -> Timestamp,
        created_by -> Text,
        updated_at -> Timestamp,
        updated_by -> Text,
    }
}

diesel::table! {
    head_meeting_spheres (meeting_id, sphere) {
        meeting_id -> Text,
        sphere -> Text,
        position -> Integer,
    }
}

diesel::table! {
    head_meeting_territories (meeting_id, territory) {
        meeting_id -> Text,
        territory -> Text,
        position -> Integer,
    }
}

diesel::table! {
    head_meeting_invitations (meeting_id, npo_id) {
        meeting_id -> Text,
        npo_id -> Text,
    }
}

diesel::joinable!(head_meeting_spheres -> head_meetings (meeting_id));
diesel::joinable!(head_meeting_territories -> head_meetings (meeting_id));
diesel::joinable!(head_meeting_invitations -> head_meetings (meeting_id));
diesel::allow_tables_to_appear_in_same_query!(
    head_meetings,
    head_meeting_spheres,
    head_meeting_territories,
    head_meeting_invitations
);
