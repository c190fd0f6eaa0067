//! Diesel table definitions of the needs assessments.

diesel::table! {
    needs_assessments (id) {
        id -> Text,
        government_body -> Text,
        title -> Text,
        status -> Text,
        territory -> Nullable<Text>,
        territory_name -> Nullable<Text>,
        period_start -> Nullable<Date>,
        period_end -> Nullable<Date>,
        target_groups -> Text,
        methods -> Nullable<Text>,
        instruments -> Text,
        information_sources -> Text,
        report_course -> Nullable<Text>,
        report_conclusions -> Nullable<Text>,
        report_recommendations -> Nullable<Text>,
        completed_on -> Nullable<Date>,
        version -> Integer,
        created_at -> Timestamp,
        created_by -> Text,
        updated_at -> Timestamp,
        published_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    needs_assessment_spheres (assessment_id, sphere) {
        assessment_id -> Text,
        sphere -> Text,
    }
}

diesel::table! {
    needs_activities (id) {
        id -> Text,
        assessment_id -> Text,
        held_on -> Date,
        form -> Text,
        participant_categories -> Text,
        participants -> Nullable<Integer>,
        responsible_staff -> Text,
        description -> Nullable<Text>,
        created_at -> Timestamp,
        created_by -> Text,
    }
}

diesel::table! {
    needs_priorities (id) {
        id -> Text,
        assessment_id -> Text,
        sphere -> Text,
        territory -> Text,
        territory_name -> Nullable<Text>,
        target_group -> Text,
        problem -> Text,
        information_source -> Text,
        source_details -> Nullable<Text>,
        risks -> Text,
        risk_level -> Text,
        risk_rank -> Integer,
        people_affected -> Nullable<BigInt>,
        people_rank -> BigInt,
        created_at -> Timestamp,
        created_by -> Text,
    }
}

diesel::table! {
    needs_joint_action_proposals (id) {
        id -> Text,
        assessment_id -> Text,
        title -> Text,
        description -> Nullable<Text>,
        addressees -> Text,
        priority_ids -> Text,
        status -> Text,
        agreed_on -> Nullable<Date>,
        agreed_by -> Nullable<Text>,
        agreement_document -> Nullable<Text>,
        created_at -> Timestamp,
        created_by -> Text,
    }
}

diesel::table! {
    needs_npo_proposals (id) {
        id -> Text,
        assessment_id -> Text,
        npo_id -> Text,
        npo_bin -> Text,
        npo_name -> Nullable<Text>,
        text -> Text,
        sphere -> Nullable<Text>,
        target_group -> Nullable<Text>,
        territory -> Nullable<Text>,
        contact -> Nullable<Text>,
        submitted_at -> Timestamp,
        submitted_by -> Text,
    }
}

diesel::table! {
    needs_overdue_notices (government_body, sphere, territory, next_due_on) {
        government_body -> Text,
        sphere -> Text,
        territory -> Text,
        next_due_on -> Date,
        noticed_at -> Timestamp,
    }
}

diesel::joinable!(needs_assessment_spheres -> needs_assessments (assessment_id));
diesel::joinable!(needs_priorities -> needs_assessments (assessment_id));

diesel::allow_tables_to_appear_in_same_query!(
    needs_assessments,
    needs_assessment_spheres,
    needs_activities,
    needs_priorities,
    needs_joint_action_proposals,
    needs_npo_proposals,
    needs_overdue_notices,
);
