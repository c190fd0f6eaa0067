//! Diesel table definitions of the registry.

diesel::table! {
    npos (id) {
        id -> Text,
        bin -> Nullable<Text>,
        name_ru -> Nullable<Text>,
        name_kk -> Nullable<Text>,
        search_text -> Text,
        legal_form -> Text,
        status -> Text,
        registered_on -> Nullable<Date>,
        founded_on -> Nullable<Date>,
        profile -> Text,
        personal -> Text,
        provenance -> Text,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        created_by -> Text,
        oked -> Nullable<Text>,
        legal_address -> Nullable<Text>,
        dedup_key -> Nullable<Text>,
        merged_into -> Nullable<Text>,
        sort_ru -> Text,
        sort_kk -> Text,
    }
}

diesel::table! {
    npo_territories (npo_id, kato_code) {
        npo_id -> Text,
        kato_code -> Text,
    }
}

diesel::table! {
    npo_spheres (npo_id, sphere) {
        npo_id -> Text,
        sphere -> Text,
    }
}

diesel::table! {
    npo_target_groups (npo_id, target_group) {
        npo_id -> Text,
        target_group -> Text,
    }
}

diesel::table! {
    npo_projects (id) {
        id -> Text,
        npo_id -> Text,
        name -> Text,
        starts_on -> Nullable<Date>,
        ends_on -> Nullable<Date>,
        funding_source -> Nullable<Text>,
        sphere -> Nullable<Text>,
        territory -> Nullable<Text>,
        created_at -> Timestamp,
        created_by -> Text,
        created_by_body -> Nullable<Text>,
    }
}

diesel::table! {
    collection_campaigns (id) {
        id -> Text,
        government_body -> Text,
        year -> Integer,
        started_at -> Timestamp,
        finished_at -> Timestamp,
        started_on -> Date,
        finished_on -> Date,
        sources -> Text,
        npos_added -> Integer,
        npos_updated -> Integer,
        notes -> Nullable<Text>,
        created_at -> Timestamp,
        created_by -> Text,
    }
}

diesel::table! {
    territories (code) {
        code -> Text,
        name_ru -> Text,
        name_kk -> Nullable<Text>,
        parent_code -> Nullable<Text>,
        level -> Integer,
        path -> Text,
        search_text -> Text,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    npos,
    npo_territories,
    npo_spheres,
    npo_target_groups,
    npo_projects,
    territories
);

diesel::table! {
    import_jobs (id) {
        id -> Text,
        status -> Text,
        options -> Text,
        bytes -> BigInt,
        rows_total -> Nullable<Integer>,
        rows_done -> Integer,
        line_done -> BigInt,
        summary -> Text,
        reading -> Nullable<Text>,
        error -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    import_job_parts (job_id, seq) {
        job_id -> Text,
        seq -> Integer,
        data -> Binary,
    }
}

diesel::table! {
    import_job_rows (job_id, line) {
        job_id -> Text,
        line -> BigInt,
        outcome -> Text,
        bin -> Nullable<Text>,
        npo_id -> Nullable<Text>,
        superseded_by -> Nullable<BigInt>,
        errors -> Nullable<Text>,
    }
}
