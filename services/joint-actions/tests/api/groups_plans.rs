use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use service_kit::backend_tests;
use service_kit::testing::TestApp;

use crate::{
    BODY, NPO_BIN, NPO_NAME, OTHER_BODY, SERVICES, UNKNOWN_NPO_ID, XLSX_TYPE, download, etag_of,
    get_json, id_of, item_strings, json_body, parse_csv, pointers, post_officer, problem,
    register_npo, shared_strings, text_after_bom, today_in_kazakhstan,
};

/// Column headings of the government form of a joint plan, in order.
const PLAN_HEADINGS: [&str; 7] = [
    "№",
    "Мероприятие",
    "Форма завершения",
    "Срок реализации",
    "Ответственный",
    "Участники",
    "Форма участия",
];

/// Builds a working group of `origin` with an officer, the NPO `npo_id` and an expert as members.
fn group_body(origin: &str, npo_id: &str) -> Value {
    json!({
        "name": "Рабочая группа по молодёжной политике",
        "origin": origin,
        "format": "Ежемесячные заседания",
        "spheres": ["youth"],
        "members": [
            {"kind": "officer", "government_body": BODY, "name": "Айгерим Сейтова",
             "role": "Председатель", "responsibilities": "Созыв заседаний"},
            {"kind": "npo", "npo_id": npo_id, "name": NPO_NAME,
             "role": "Член группы", "responsibilities": "Предложения по программе"},
            {"kind": "other", "name": "Ерболат Касымов",
             "role": "Эксперт", "responsibilities": "Методическая помощь"}
        ]
    })
}

/// Registers the NPO with `NPO_BIN` and creates a working group of origin created.
async fn create_group(app: &TestApp) -> Value {
    let npo_id = id_of(&register_npo(app, NPO_BIN, NPO_NAME).await);
    let response = post_officer(app, "/v1/working-groups", &group_body("created", &npo_id)).await;
    json_body(response, StatusCode::CREATED).await
}

/// Builds a report of `kind` on a working group.
fn report_body(kind: &str) -> Value {
    json!({
        "kind": kind,
        "reported_on": "2026-11-30",
        "summary": "Подготовлен проект программы летнего отдыха"
    })
}

/// Builds a meeting with every field of the meetings table.
fn meeting_body() -> Value {
    json!({
        "held_on": "2026-11-25",
        "form": "Круглый стол",
        "participant_categories": ["npo", "government_bodies"],
        "participants": 25,
        "responsible_staff": ["Айгерим Сейтова"],
        "minutes": "Протокол №3",
        "result": "Согласован перечень смен лагеря"
    })
}

/// Builds a plan row for `activity` with `deadline`.
fn plan_row(activity: &str, deadline: &str) -> Value {
    json!({
        "activity": activity,
        "completion_form": "Протокол",
        "deadline": deadline,
        "responsible": "Управление внутренней политики",
        "participants": "НПО области Ұлытау",
        "participation_form": "Очное участие"
    })
}

/// Rows of the first version of the plan that most tests create.
fn first_rows() -> Value {
    json!([
        plan_row("Круглый стол с НПО", "2027-03-01"),
        plan_row("Семинар по грантам", "2027-04-15")
    ])
}

/// Creates a joint plan with `first_rows` and returns it with its ETag.
async fn create_plan(app: &TestApp) -> (Value, String) {
    let body = json!({"title": "Совместный план на 2027 год", "rows": first_rows()});
    let response = post_officer(app, "/v1/joint-plans", &body).await;
    let etag = etag_of(&response);
    (json_body(response, StatusCode::CREATED).await, etag)
}

/// Sends a replacement of the rows of the plan `id` with `if_match`, or without it.
async fn put_rows(app: &TestApp, id: &str, if_match: Option<&str>, rows: &Value) -> Response {
    let mut request = app
        .client
        .put(app.url(&format!("/v1/joint-plans/{id}/rows")))
        .bearer_auth(app.officer(BODY))
        .json(&json!({"rows": rows}));
    if let Some(etag) = if_match {
        request = request.header("If-Match", etag);
    }
    request.send().await.expect("the server responds")
}

/// Sends the approval of the plan `id` with `etag`.
async fn approve(app: &TestApp, id: &str, etag: &str) -> Response {
    app.client
        .post(app.url(&format!("/v1/joint-plans/{id}/approval")))
        .bearer_auth(app.officer(BODY))
        .header("If-Match", etag)
        .json(&json!({}))
        .send()
        .await
        .expect("the server responds")
}

/// Creates a plan, approves it and replaces its rows once, so it has versions 1 and 2.
/// Version 2 moves the round table's deadline, drops the seminar and adds a forum.
async fn plan_with_two_versions(app: &TestApp) -> String {
    let (plan, created_etag) = create_plan(app).await;
    let id = id_of(&plan);
    let approved = approve(app, &id, &created_etag).await;
    assert_eq!(approved.status(), StatusCode::OK, "the plan is approved");
    let approved_etag = etag_of(&approved);
    let second_rows = json!([
        plan_row("Круглый стол с НПО", "2027-05-01"),
        plan_row("Форум волонтёров", "2027-09-10")
    ]);
    let changed = put_rows(app, &id, Some(&approved_etag), &second_rows).await;
    json_body(changed, StatusCode::OK).await;
    id
}

/// Returns the version numbers of a `{items}` list of plan versions.
fn version_numbers(versions: &Value) -> Vec<u64> {
    versions["items"]
        .as_array()
        .expect("a list of versions")
        .iter()
        .map(|version| version["version"].as_u64().expect("a version number"))
        .collect()
}

/// Returns the activities of a list of plan rows.
fn activities(rows: &Value) -> Vec<String> {
    rows.as_array()
        .expect("a list of rows")
        .iter()
        .map(|row| row["activity"].as_str().unwrap_or_default().to_owned())
        .collect()
}

backend_tests! {
    services: SERVICES;

    async fn working_group_created_with_members(app) {
        let npo_id = id_of(&register_npo(&app, NPO_BIN, NPO_NAME).await);

        let response = post_officer(&app, "/v1/working-groups", &group_body("created", &npo_id)).await;

        let group = json_body(response, StatusCode::CREATED).await;
        let path = format!("/v1/working-groups/{}", id_of(&group));
        assert_eq!(group["origin"], "created");
        assert_eq!(group["government_body"], BODY);
        assert!(group["goal_match"].is_null());
        assert_eq!(group["members"].as_array().unwrap().len(), 3);
        assert_eq!(group["members"][1]["kind"], "npo");
        assert_eq!(group["members"][1]["npo_id"], npo_id.as_str());
        let fetched = get_json(&app, &path, Some(&app.ministry())).await;
        assert_eq!(fetched["name"], "Рабочая группа по молодёжной политике");
        assert_eq!(fetched["members"][2]["role"], "Эксперт");
        let listed = get_json(&app, "/v1/working-groups", Some(&app.officer(BODY))).await;
        assert_eq!(item_strings(&listed, "id"), vec![id_of(&group)]);
        let by_other_body = app.client.get(app.url(&path)).bearer_auth(app.officer(OTHER_BODY)).send().await.unwrap();
        problem(by_other_body, StatusCode::NOT_FOUND).await;
    }

    async fn joined_group_needs_goal_match(app) {
        let npo_id = id_of(&register_npo(&app, NPO_BIN, NPO_NAME).await);
        let mut with_assessment = group_body("joined", &npo_id);
        with_assessment["goal_match"] = json!("Цели группы совпадают с задачами молодёжной политики области");

        let without_goal_match = post_officer(&app, "/v1/working-groups", &group_body("joined", &npo_id)).await;
        let with_goal_match = post_officer(&app, "/v1/working-groups", &with_assessment).await;

        assert_eq!(pointers(&problem(without_goal_match, StatusCode::UNPROCESSABLE_ENTITY).await), vec!["/goal_match"]);
        let joined = json_body(with_goal_match, StatusCode::CREATED).await;
        assert_eq!(joined["origin"], "joined");
        assert_eq!(joined["goal_match"], with_assessment["goal_match"]);
    }

    async fn unknown_npo_member_rejected(app) {
        register_npo(&app, NPO_BIN, NPO_NAME).await;

        let response = post_officer(&app, "/v1/working-groups", &group_body("created", UNKNOWN_NPO_ID)).await;

        let problem = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(pointers(&problem), vec!["/members/1/npo_id"]);
        let listed = get_json(&app, "/v1/working-groups", Some(&app.officer(BODY))).await;
        assert_eq!(listed["items"], json!([]));
    }

    async fn final_report_closes_group(app) {
        let group = create_group(&app).await;
        let path = format!("/v1/working-groups/{}/reports", id_of(&group));

        let intermediate = post_officer(&app, &path, &report_body("intermediate")).await;
        let final_report = post_officer(&app, &path, &report_body("final")).await;
        let after_final = post_officer(&app, &path, &report_body("intermediate")).await;
        let second_final = post_officer(&app, &path, &report_body("final")).await;

        let intermediate = json_body(intermediate, StatusCode::CREATED).await;
        assert_eq!(intermediate["kind"], "intermediate");
        assert_eq!(intermediate["reported_on"], "2026-11-30");
        let final_report = json_body(final_report, StatusCode::CREATED).await;
        assert_eq!(final_report["kind"], "final");
        problem(after_final, StatusCode::CONFLICT).await;
        problem(second_final, StatusCode::CONFLICT).await;
    }

    async fn meeting_keeps_table_fields(app) {
        let group = create_group(&app).await;
        let path = format!("/v1/working-groups/{}/meetings", id_of(&group));

        let response = post_officer(&app, &path, &meeting_body()).await;

        let meeting = json_body(response, StatusCode::CREATED).await;
        let listed = get_json(&app, &path, Some(&app.officer(BODY))).await;
        assert_eq!(listed["items"].as_array().unwrap().len(), 1);
        let stored = &listed["items"][0];
        assert_eq!(stored["id"], meeting["id"]);
        for field in ["held_on", "form", "participant_categories", "participants", "responsible_staff", "minutes", "result"] {
            assert_eq!(stored[field], meeting_body()[field], "{field}");
        }
    }

    async fn meeting_event_carries_table_row(app) {
        let group = create_group(&app).await;
        let path = format!("/v1/working-groups/{}/meetings", id_of(&group));
        let mut body = meeting_body();
        body["responsible_staff"] = json!(["Айгерим Сейтова", "Ерлан Мұханов"]);
        let mut events = app.observe(&["joint_actions.meeting.recorded"]).await;

        let meeting = json_body(post_officer(&app, &path, &body).await, StatusCode::CREATED).await;

        let payload = events.expect("joint_actions.meeting.recorded").await.event.payload;
        events.close().await;
        assert_eq!(payload["meeting_id"], meeting["id"]);
        assert_eq!(payload["working_group_id"], group["id"]);
        assert_eq!(payload["government_body"], BODY);
        assert_eq!(payload["held_on"], "2026-11-25");
        assert_eq!(payload["form"], "Круглый стол");
        assert_eq!(payload["participant_categories"], json!(["npo", "government_bodies"]));
        assert_eq!(payload["participants"], 25);
        assert_eq!(payload["responsible_staff"], "Айгерим Сейтова, Ерлан Мұханов");
        assert_eq!(payload["result"], "Согласован перечень смен лагеря");
    }

    async fn rejected_meeting_publishes_nothing(app) {
        let group = create_group(&app).await;
        let path = format!("/v1/working-groups/{}/meetings", id_of(&group));
        let npo_id = group["members"][1]["npo_id"].as_str().expect("the NPO member's id").to_owned();
        let mut events = app.observe(&["joint_actions.meeting.recorded"]).await;

        let invalid = post_officer(&app, &path, &json!({"form": "Круглый стол"})).await;
        let first = post_officer(&app, &path, &meeting_body()).await;
        let report_path = format!("/v1/working-groups/{}/reports", id_of(&group));
        let closing = post_officer(&app, &report_path, &report_body("final")).await;
        let after_close = post_officer(&app, &path, &meeting_body()).await;
        let other_group = post_officer(&app, "/v1/working-groups", &group_body("created", &npo_id)).await;
        let other_group = json_body(other_group, StatusCode::CREATED).await;
        let other_path = format!("/v1/working-groups/{}/meetings", id_of(&other_group));
        let second = post_officer(&app, &other_path, &meeting_body()).await;

        problem(invalid, StatusCode::UNPROCESSABLE_ENTITY).await;
        let first = json_body(first, StatusCode::CREATED).await;
        assert_eq!(closing.status(), StatusCode::CREATED);
        problem(after_close, StatusCode::CONFLICT).await;
        let second = json_body(second, StatusCode::CREATED).await;
        // The outbox publishes in the order of the writes, so an event of a rejected
        // write would arrive before the event of the meeting recorded after it.
        let published_first = events.expect("joint_actions.meeting.recorded").await.event.payload;
        let published_second = events.expect("joint_actions.meeting.recorded").await.event.payload;
        let published_later = events.drain(std::time::Duration::from_millis(500)).await;
        events.close().await;
        assert_eq!(published_first["meeting_id"], first["id"]);
        assert_eq!(published_second["meeting_id"], second["id"]);
        assert!(published_later.is_empty(), "{} more events", published_later.len());
    }

    async fn meeting_required_fields_listed(app) {
        let group = create_group(&app).await;
        let path = format!("/v1/working-groups/{}/meetings", id_of(&group));

        let response = post_officer(&app, &path, &json!({"minutes": "Протокол №4"})).await;

        let found = pointers(&problem(response, StatusCode::UNPROCESSABLE_ENTITY).await);
        for expected in ["/held_on", "/form"] {
            assert!(found.contains(&expected.to_owned()), "{expected} missing from {found:?}");
        }
        let listed = get_json(&app, &path, Some(&app.officer(BODY))).await;
        assert_eq!(listed["items"], json!([]));
    }

    async fn consultative_body_tracks_progress(app) {
        let body = json!({
            "name": "Молодёжный совет при акиме области",
            "sphere": "youth",
            "role": "member",
            "joined_on": "2026-02-10"
        });
        let created = json_body(post_officer(&app, "/v1/consultative-bodies", &body).await, StatusCode::CREATED).await;
        let path = format!("/v1/consultative-bodies/{}", id_of(&created));

        let first = post_officer(&app, &format!("{path}/progress"), &json!({"on": "2026-06-01", "note": "Внесены предложения по летнему отдыху"})).await;
        let second = post_officer(&app, &format!("{path}/progress"), &json!({"on": "2026-11-15", "note": "Предложения включены в план"})).await;

        assert_eq!(first.status(), StatusCode::CREATED);
        assert_eq!(second.status(), StatusCode::CREATED);
        let fetched = get_json(&app, &path, Some(&app.officer(BODY))).await;
        assert_eq!(fetched["name"], "Молодёжный совет при акиме области");
        assert_eq!(fetched["joined_on"], "2026-02-10");
        let progress = fetched["progress"].as_array().expect("the body lists progress");
        assert_eq!(progress.len(), 2);
        assert_eq!(progress[0]["on"], "2026-06-01");
        assert_eq!(progress[1]["note"], "Предложения включены в план");
        let listed = get_json(&app, "/v1/consultative-bodies", Some(&app.ministry())).await;
        assert_eq!(item_strings(&listed, "id"), vec![id_of(&created)]);
    }

    async fn draft_plan_edited_in_place(app) {
        let group = create_group(&app).await;
        let body = json!({"title": "Совместный план на 2027 год", "working_group_id": group["id"], "rows": first_rows()});
        let response = post_officer(&app, "/v1/joint-plans", &body).await;
        let etag = etag_of(&response);
        let plan = json_body(response, StatusCode::CREATED).await;
        let id = id_of(&plan);
        let new_rows = json!([plan_row("Форум волонтёров", "2027-09-10")]);

        let replaced = put_rows(&app, &id, Some(&etag), &new_rows).await;
        let versions = get_json(&app, &format!("/v1/joint-plans/{id}/versions"), Some(&app.officer(BODY))).await;

        assert_eq!(plan["status"], "draft");
        assert_eq!(plan["version"], 1);
        assert_eq!(plan["working_group_id"], group["id"]);
        assert_eq!(activities(&plan["rows"]), vec!["Круглый стол с НПО", "Семинар по грантам"]);
        let replaced = json_body(replaced, StatusCode::OK).await;
        assert_eq!(replaced["status"], "draft");
        assert_eq!(replaced["version"], 1);
        assert_eq!(activities(&replaced["rows"]), vec!["Форум волонтёров"]);
        let listed_versions = version_numbers(&versions);
        assert_eq!(listed_versions, vec![1]);
    }

    async fn plan_rows_need_if_match(app) {
        let (plan, etag) = create_plan(&app).await;
        let id = id_of(&plan);
        let new_rows = json!([plan_row("Форум волонтёров", "2027-09-10")]);

        let missing = put_rows(&app, &id, None, &new_rows).await;
        let stale = put_rows(&app, &id, Some("\"99\""), &new_rows).await;
        let current = put_rows(&app, &id, Some(&etag), &new_rows).await;

        problem(missing, StatusCode::PRECONDITION_REQUIRED).await;
        problem(stale, StatusCode::PRECONDITION_FAILED).await;
        let current = json_body(current, StatusCode::OK).await;
        assert_eq!(activities(&current["rows"]), vec!["Форум волонтёров"]);
    }

    async fn approved_plan_change_adds_version(app) {
        let (plan, created_etag) = create_plan(&app).await;
        let id = id_of(&plan);
        let mut approved_events = app.observe(&["joint_actions.plan.approved"]).await;
        let mut changed_events = app.observe(&["joint_actions.plan.changed"]).await;
        let new_rows = json!([plan_row("Форум волонтёров", "2027-09-10")]);

        let approved = approve(&app, &id, &created_etag).await;
        let approved_etag = etag_of(&approved);
        let changed = put_rows(&app, &id, Some(&approved_etag), &new_rows).await;
        let versions = get_json(&app, &format!("/v1/joint-plans/{id}/versions"), Some(&app.officer(BODY))).await;

        let approved = json_body(approved, StatusCode::OK).await;
        assert_eq!(approved["status"], "approved");
        let changed = json_body(changed, StatusCode::OK).await;
        assert_eq!(changed["version"], 2);
        assert_eq!(changed["status"], "approved");
        assert_eq!(activities(&changed["rows"]), vec!["Форум волонтёров"]);
        let listed_versions = version_numbers(&versions);
        assert_eq!(listed_versions, vec![1, 2]);
        let approval_event = approved_events.expect("joint_actions.plan.approved").await.event.payload;
        assert!(approval_event.to_string().contains(&id), "{approval_event}");
        let change_event = changed_events.expect("joint_actions.plan.changed").await.event.payload;
        assert!(change_event.to_string().contains(&id), "{change_event}");
        approved_events.close().await;
        changed_events.close().await;
    }

    async fn plan_events_carry_rows(app) {
        let group = create_group(&app).await;
        let body = json!({"title": "Совместный план на 2027 год", "working_group_id": group["id"], "rows": first_rows()});
        let created = post_officer(&app, "/v1/joint-plans", &body).await;
        let created_etag = etag_of(&created);
        let id = id_of(&json_body(created, StatusCode::CREATED).await);
        let mut events = app.observe(&["joint_actions.plan.approved", "joint_actions.plan.changed"]).await;
        let new_rows = json!([plan_row("Форум волонтёров", "2027-09-10")]);

        let approved = approve(&app, &id, &created_etag).await;
        let approved_etag = etag_of(&approved);
        let changed = put_rows(&app, &id, Some(&approved_etag), &new_rows).await;

        assert_eq!(approved.status(), StatusCode::OK);
        assert_eq!(changed.status(), StatusCode::OK);
        let approval = events.expect("joint_actions.plan.approved").await.event.payload;
        let change = events.expect("joint_actions.plan.changed").await.event.payload;
        events.close().await;
        let today = today_in_kazakhstan().to_string();
        for (payload, version) in [(&approval, 1), (&change, 2)] {
            assert_eq!(payload["plan_id"], id.as_str(), "version {version}");
            assert_eq!(payload["government_body"], BODY, "version {version}");
            assert_eq!(payload["version"], version, "version {version}");
            assert_eq!(payload["title"], "Совместный план на 2027 год", "version {version}");
            assert_eq!(payload["working_group_id"], group["id"], "version {version}");
            assert_eq!(payload["approved_on"], today.as_str(), "version {version}");
        }
        assert_eq!(approval["activities"], 2);
        assert_eq!(approval["rows"], first_rows());
        assert_eq!(change["activities"], 1);
        assert_eq!(change["rows"], new_rows);
    }

    async fn plan_changes_list_differences(app) {
        let id = plan_with_two_versions(&app).await;

        let changes = get_json(&app, &format!("/v1/joint-plans/{id}/changes?from=1&to=2"), Some(&app.officer(BODY))).await;

        assert_eq!(activities(&changes["added"]), vec!["Форум волонтёров"]);
        assert_eq!(activities(&changes["removed"]), vec!["Семинар по грантам"]);
        let changed = changes["changed"].as_array().expect("a list of changed rows");
        assert_eq!(changed.len(), 1);
        assert_eq!(changed[0]["activity"], "Круглый стол с НПО");
        let fields = changed[0]["fields"].as_object().expect("the changed fields");
        let field_names: Vec<&str> = fields.keys().map(String::as_str).collect();
        assert_eq!(field_names, vec!["deadline"]);
        assert_eq!(fields["deadline"]["from"], "2027-03-01");
        assert_eq!(fields["deadline"]["to"], "2027-05-01");
    }

    async fn plan_csv_follows_form(app) {
        let (plan, _) = create_plan(&app).await;

        let (content_type, bytes) = download(&app, &format!("/v1/joint-plans/{}/plan.csv", id_of(&plan))).await;

        assert!(content_type.starts_with("text/csv"), "{content_type}");
        let text = text_after_bom(&bytes);
        assert_eq!(text.split("\r\n").next().unwrap(), PLAN_HEADINGS.join(","));
        let records = parse_csv(text);
        assert_eq!(records.len(), 3);
        assert_eq!(records[1].len(), PLAN_HEADINGS.len());
        assert_eq!(records[1][0], "1");
        assert_eq!(records[1][1], "Круглый стол с НПО");
        assert_eq!(records[1][2], "Протокол");
        assert!(records[1][3].contains("2027"), "{}", records[1][3]);
        assert_eq!(records[1][4], "Управление внутренней политики");
        assert_eq!(records[1][5], "НПО области Ұлытау");
        assert_eq!(records[1][6], "Очное участие");
        assert_eq!(records[2][0], "2");
        assert_eq!(records[2][1], "Семинар по грантам");
    }

    async fn plan_xlsx_has_headings(app) {
        let (plan, _) = create_plan(&app).await;

        let (content_type, workbook) = download(&app, &format!("/v1/joint-plans/{}/plan.xlsx", id_of(&plan))).await;

        assert_eq!(content_type, XLSX_TYPE);
        assert!(workbook.starts_with(b"PK"));
        let strings = shared_strings(workbook);
        for heading in PLAN_HEADINGS {
            assert!(strings.contains(heading), "{heading} missing from the workbook");
        }
        assert!(strings.contains("Круглый стол с НПО"));
    }
}
