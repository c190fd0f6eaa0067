//! Diesel table definitions of joint planning and joint actions.

diesel::table! {
    joint_actions (id) {
        id -> Text,
        government_body -> Text,
        title -> Text,
        initiator -> Text,
        initiating_npo_id -> Nullable<Text>,
        fit_assessment -> Nullable<Text>,
        spheres -> Text,
        territory -> Nullable<Text>,
        goals -> Text,
        tasks -> Text,
        status -> Text,
        started_on -> Nullable<Date>,
        completed_on -> Nullable<Date>,
        evaluation -> Nullable<Text>,
        version -> Integer,
        created_at -> Timestamp,
        created_by -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    joint_action_parties (id) {
        id -> Text,
        action_id -> Text,
        kind -> Text,
        npo_id -> Nullable<Text>,
        name -> Text,
        zone_of_responsibility -> Nullable<Text>,
        representative -> Nullable<Text>,
        consent_on -> Nullable<Date>,
        consent_document -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    joint_action_steps (id) {
        id -> Text,
        action_id -> Text,
        position -> Integer,
        title -> Text,
        deadline -> Nullable<Date>,
        expected_result -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    monitoring_rows (id) {
        id -> Text,
        action_id -> Text,
        activity -> Text,
        frequency -> Text,
        indicators -> Text,
        comments -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    measurements (id) {
        id -> Text,
        row_id -> Text,
        action_id -> Text,
        indicator -> Text,
        measured_on -> Date,
        value -> Double,
        evidence -> Nullable<Text>,
        created_at -> Timestamp,
        created_by -> Text,
    }
}

diesel::table! {
    working_groups (id) {
        id -> Text,
        government_body -> Text,
        name -> Text,
        origin -> Text,
        goal_match -> Nullable<Text>,
        format -> Nullable<Text>,
        spheres -> Text,
        members -> Text,
        closed -> Bool,
        created_at -> Timestamp,
        created_by -> Text,
    }
}

diesel::table! {
    working_group_reports (id) {
        id -> Text,
        group_id -> Text,
        kind -> Text,
        reported_on -> Date,
        summary -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    working_group_meetings (id) {
        id -> Text,
        group_id -> Text,
        held_on -> Date,
        form -> Text,
        participant_categories -> Text,
        participants -> Nullable<Integer>,
        responsible_staff -> Text,
        minutes -> Nullable<Text>,
        result -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    consultative_bodies (id) {
        id -> Text,
        government_body -> Text,
        name -> Text,
        sphere -> Nullable<Text>,
        role -> Nullable<Text>,
        joined_on -> Nullable<Date>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    consultative_progress (id) {
        id -> Text,
        consultative_body_id -> Text,
        noted_on -> Date,
        note -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    joint_plans (id) {
        id -> Text,
        government_body -> Text,
        working_group_id -> Nullable<Text>,
        title -> Text,
        status -> Text,
        current_version -> Integer,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    joint_plan_versions (plan_id, number) {
        plan_id -> Text,
        number -> Integer,
        rows -> Text,
        created_at -> Timestamp,
        created_by -> Text,
    }
}

diesel::table! {
    memoranda (id) {
        id -> Text,
        government_body -> Text,
        subject -> Text,
        spheres -> Text,
        signed_on -> Nullable<Date>,
        valid_until -> Nullable<Date>,
        body_signatory_name -> Nullable<Text>,
        body_signatory_position -> Nullable<Text>,
        document_ref -> Nullable<Text>,
        status -> Text,
        terminated_on -> Nullable<Date>,
        termination_reason -> Nullable<Text>,
        version -> Integer,
        created_at -> Timestamp,
        created_by -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    memorandum_parties (memorandum_id, npo_id) {
        memorandum_id -> Text,
        npo_id -> Text,
        position -> Integer,
        npo_bin -> Nullable<Text>,
        npo_name -> Text,
        signatory_name -> Nullable<Text>,
        signatory_position -> Nullable<Text>,
    }
}

diesel::table! {
    memorandum_actions (memorandum_id, action_id) {
        memorandum_id -> Text,
        action_id -> Text,
        linked_at -> Timestamp,
        linked_by -> Text,
    }
}

diesel::allow_tables_to_appear_in_same_query!(memoranda, memorandum_parties);
