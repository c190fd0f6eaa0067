//! The national schedule of meetings of bodies' heads with NPOs: the NPOs each meeting
//! invites, the checks of a meeting, its statuses, its events, the schedule's filters
//! and who may do what.

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use common_models::event::aggregation::{
    MEETING_CANCELLED, MEETING_HELD, MEETING_RESCHEDULED, MEETING_SCHEDULED,
};
use common_models::event::registry::NPO_REGISTERED;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use service_kit::Role;
use service_kit::backend_tests;
use service_kit::testing::{EventObserver, TestApp};

use crate::analytics::{await_records, publish};
use crate::{
    ASTANA_YESIL, SERVICES, ULYTAU_DISTRICT, ULYTAU_REGION, ULYTAU_VILLAGE, body_input,
    create_body, get, header, item_strings, json_body, pointers, post_as, problem,
};

const PATH: &str = "/v1/head-meetings";

/// Regional body of the Ulytau region whose head meets NPOs.
const BODY: &str = "akimat-ulytau";

/// Body of Astana, for meetings of another body and region.
const OTHER_BODY: &str = "akimat-astana";

/// Every event type a meeting publishes.
const MEETING_EVENTS: &[&str] = &[
    MEETING_SCHEDULED,
    MEETING_RESCHEDULED,
    MEETING_CANCELLED,
    MEETING_HELD,
];

/// Formats `at` as RFC 3339 in Kazakhstan's offset, as a client in Kazakhstan sends it.
fn local(at: DateTime<Utc>) -> String {
    let offset = chrono::FixedOffset::east_opt(5 * 3600).expect("UTC+5");
    at.with_timezone(&offset)
        .to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Returns a start `days` days from now, in the past for a negative number.
fn in_days(days: i64) -> String {
    local(Utc::now() + chrono::Duration::days(days))
}

/// Builds a meeting of `body` at `starts_at` inviting NPOs of `spheres` in
/// `territories`, held in person.
fn meeting(body: &str, starts_at: &str, spheres: &[&str], territories: &[&str]) -> Value {
    json!({
        "government_body": body,
        "head_position": "Аким области Ұлытау",
        "head_full_name": "Бердибек Сапарбаев",
        "starts_at": starts_at,
        "place": "г. Жезказган, ул. Алашахана, 1, актовый зал",
        "agenda": "Поддержка молодёжных инициатив",
        "spheres": spheres,
        "territories": territories,
    })
}

/// Registers the two bodies whose heads meet NPOs.
async fn register_bodies(app: &TestApp) {
    create_body(
        app,
        &body_input(BODY, "regional", Some(ULYTAU_REGION), &["youth"]),
    )
    .await;
    create_body(
        app,
        &body_input(OTHER_BODY, "regional", Some("710000000"), &["youth"]),
    )
    .await;
}

/// Builds the payload of the registration of NPO `id`.
fn npo(id: &str, status: &str, territories: &[&str], spheres: &[&str]) -> Value {
    json!({
        "npo_id": id,
        "bin": null,
        "name_ru": format!("НПО {id}"),
        "name_kk": null,
        "legal_form": "public_association",
        "status": status,
        "territories": territories,
        "spheres": spheres,
    })
}

/// Feeds the read model NPOs around the Ulytau region and waits until it contains them.
async fn publish_npos(app: &TestApp) {
    let npos = [
        npo("district-youth", "active", &[ULYTAU_DISTRICT], &["youth"]),
        npo(
            "village-youth",
            "active",
            &[ULYTAU_VILLAGE],
            &["youth", "ecology"],
        ),
        npo("astana-youth", "active", &[ASTANA_YESIL], &["youth"]),
        npo(
            "liquidated-youth",
            "liquidated",
            &[ULYTAU_DISTRICT],
            &["youth"],
        ),
        npo(
            "district-ecology",
            "active",
            &[ULYTAU_DISTRICT],
            &["ecology"],
        ),
    ];
    for payload in npos {
        publish(app, NPO_REGISTERED, payload).await;
    }
    await_records(app, 5).await;
}

/// Sends `body` to the schedule as `token`.
async fn create(app: &TestApp, token: &str, body: &Value) -> Response {
    post_as(app, PATH, token, None, body).await
}

/// Schedules `body` as the ministry and returns the created meeting.
async fn scheduled(app: &TestApp, body: &Value) -> Value {
    json_body(
        create(app, &app.ministry(), body).await,
        StatusCode::CREATED,
    )
    .await
}

fn id_of(meeting: &Value) -> String {
    meeting["id"]
        .as_str()
        .expect("the meeting has an id")
        .to_owned()
}

/// Returns the ETag of meeting `meeting`, from its version.
fn etag_of(meeting: &Value) -> String {
    format!("\"{}\"", meeting["version"])
}

/// Sends the merge patch `body` to meeting `meeting` as `token`, with its ETag.
async fn change(app: &TestApp, token: &str, meeting: &Value, body: &Value) -> Response {
    app.client
        .patch(app.url(&format!("{PATH}/{}", id_of(meeting))))
        .bearer_auth(token)
        .header("If-Match", etag_of(meeting))
        .json(body)
        .send()
        .await
        .expect("the server responds")
}

/// Sends `body` to the `action` of meeting `meeting` as `token`, with its ETag.
async fn act(app: &TestApp, token: &str, meeting: &Value, action: &str, body: &Value) -> Response {
    let path = format!("{PATH}/{}/{action}", id_of(meeting));
    post_as(app, &path, token, Some(&etag_of(meeting)), body).await
}

/// Reads `path` without a token, failing the test unless it is 200.
async fn read(app: &TestApp, path: &str) -> Value {
    json_body(get(app, path, None).await, StatusCode::OK).await
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .expect("an array")
        .iter()
        .map(|item| item.as_str().expect("a string").to_owned())
        .collect()
}

/// Collects the meeting events that arrive within 3 s, as (type, payload).
async fn drain(events: &mut EventObserver) -> Vec<(String, Value)> {
    events
        .drain(Duration::from_secs(3))
        .await
        .into_iter()
        .map(|observed| (observed.event.event_type, observed.event.payload))
        .collect()
}

/// Returns the events of meeting `id` among `events`, in the order they arrived.
fn of_meeting(events: &[(String, Value)], id: &str) -> Vec<(String, Value)> {
    events
        .iter()
        .filter(|(_, payload)| payload["meeting_id"] == id)
        .cloned()
        .collect()
}

backend_tests! {
    services: SERVICES;

    async fn invitations_by_sphere_and_territory(app) {
        register_bodies(&app).await;
        publish_npos(&app).await;
        let mut events = app.observe(&[MEETING_SCHEDULED]).await;

        let youth = scheduled(&app, &meeting(BODY, &in_days(10), &["youth"], &[ULYTAU_REGION])).await;
        let every_sphere = scheduled(&app, &meeting(BODY, &in_days(11), &[], &[ULYTAU_REGION])).await;
        let district = scheduled(&app, &meeting(BODY, &in_days(12), &["youth"], &[ULYTAU_VILLAGE])).await;
        let read_back = read(&app, &format!("{PATH}/{}", id_of(&youth))).await;
        let published = of_meeting(&drain(&mut events).await, &id_of(&youth));

        assert_eq!(strings(&youth["invited_npo_ids"]), vec!["district-youth", "village-youth"]);
        assert_eq!(youth["invited_count"], 2);
        assert_eq!(
            strings(&every_sphere["invited_npo_ids"]),
            vec!["district-ecology", "district-youth", "village-youth"]
        );
        assert_eq!(strings(&district["invited_npo_ids"]), vec!["village-youth"]);
        assert_eq!(read_back, youth);
        assert_eq!(published.len(), 1, "{published:?}");
        assert_eq!(published[0].0, MEETING_SCHEDULED);
        assert_eq!(
            strings(&published[0].1["invited_npo_ids"]),
            vec!["district-youth", "village-youth"]
        );
    }

    async fn meeting_stored_as_given(app) {
        register_bodies(&app).await;
        let mut input = meeting(BODY, "2027-03-15T15:30:00+05:00", &["youth", "ecology"], &[ULYTAU_REGION, ULYTAU_DISTRICT]);
        input["online_url"] = json!("https://meet.example.kz/ulytau");

        let response = create(&app, &app.ministry(), &input).await;
        let location = header(&response, "location");
        let etag = header(&response, "etag");
        let created = json_body(response, StatusCode::CREATED).await;

        assert_eq!(location, format!("{PATH}/{}", id_of(&created)));
        assert_eq!(etag, "\"1\"");
        assert_eq!(created["starts_at"], "2027-03-15T10:30:00Z");
        assert_eq!(created["status"], "scheduled");
        assert_eq!(created["spheres"], json!(["youth", "ecology"]));
        assert_eq!(created["territories"], json!([ULYTAU_REGION, ULYTAU_DISTRICT]));
        assert_eq!(created["online_url"], "https://meet.example.kz/ulytau");
        assert_eq!(created["outcome"], Value::Null);
        assert_eq!(created["invited_npo_ids"], json!([]));
    }

    async fn venue_and_link_checked(app) {
        register_bodies(&app).await;
        let mut neither = meeting(BODY, &in_days(5), &[], &[ULYTAU_REGION]);
        neither.as_object_mut().unwrap().remove("place");
        let mut ftp = neither.clone();
        ftp["online_url"] = json!("ftp://files.example.kz/meeting");
        let mut script = neither.clone();
        script["online_url"] = json!("javascript:alert(1)");
        let mut online_only = neither.clone();
        online_only["online_url"] = json!("https://meet.example.kz/ulytau");

        let neither = problem(create(&app, &app.ministry(), &neither).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        let ftp = problem(create(&app, &app.ministry(), &ftp).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        let script = problem(create(&app, &app.ministry(), &script).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        let online = scheduled(&app, &online_only).await;
        let cleared = change(&app, &app.ministry(), &online, &json!({"online_url": null})).await;
        let cleared = problem(cleared, StatusCode::UNPROCESSABLE_ENTITY).await;
        let listed = read(&app, PATH).await;

        assert_eq!(pointers(&neither), vec!["/place", "/online_url"]);
        assert_eq!(pointers(&ftp), vec!["/online_url"]);
        assert_eq!(pointers(&script), vec!["/online_url"]);
        assert_eq!(online["place"], Value::Null);
        assert_eq!(pointers(&cleared), vec!["/place", "/online_url"]);
        assert_eq!(item_strings(&listed, "id"), vec![id_of(&online)]);
        assert_eq!(listed["items"][0]["online_url"], "https://meet.example.kz/ulytau");
    }

    async fn unknown_codes_rejected(app) {
        register_bodies(&app).await;
        let cases = [
            ("spheres", json!(["youth", "astrology"]), "/spheres/1"),
            ("territories", json!(["999999999"]), "/territories/0"),
            ("territories", json!([ULYTAU_REGION, "62"]), "/territories/1"),
            ("territories", json!([]), "/territories"),
            ("government_body", json!("akimat-nowhere"), "/government_body"),
            ("starts_at", json!("2027-03-15T15:30:00"), "/starts_at"),
            ("starts_at", json!("15.03.2027 15:30"), "/starts_at"),
        ];

        for (field, value, pointer) in cases {
            let mut input = meeting(BODY, &in_days(5), &["youth"], &[ULYTAU_REGION]);
            input[field] = value.clone();
            let response = create(&app, &app.ministry(), &input).await;
            let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
            assert_eq!(pointers(&body), vec![pointer], "{field} = {value}");
        }
        let listed = read(&app, PATH).await;
        assert_eq!(listed["items"], json!([]));
    }

    async fn unknown_territory_on_change(app) {
        register_bodies(&app).await;
        let created = scheduled(&app, &meeting(BODY, &in_days(5), &["youth"], &[ULYTAU_REGION])).await;

        let response = change(&app, &app.ministry(), &created, &json!({"territories": ["999999999"]})).await;
        let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        let sphere = change(&app, &app.ministry(), &created, &json!({"spheres": ["astrology"]})).await;
        let sphere = problem(sphere, StatusCode::UNPROCESSABLE_ENTITY).await;
        let stored = read(&app, &format!("{PATH}/{}", id_of(&created))).await;

        assert_eq!(pointers(&body), vec!["/territories/0"]);
        assert_eq!(pointers(&sphere), vec!["/spheres/0"]);
        assert_eq!(stored, created);
    }

    async fn holding_needs_outcome_and_start(app) {
        register_bodies(&app).await;
        let future = scheduled(&app, &meeting(BODY, &in_days(3), &[], &[ULYTAU_REGION])).await;
        let past = scheduled(&app, &meeting(BODY, &in_days(-1), &[], &[ULYTAU_REGION])).await;
        let outcome = json!({"outcome": "Решено открыть три молодёжных центра"});

        let early = act(&app, &app.ministry(), &future, "outcome", &outcome).await;
        let early = problem(early, StatusCode::CONFLICT).await;
        let blank = act(&app, &app.ministry(), &past, "outcome", &json!({"outcome": "  "})).await;
        let blank = problem(blank, StatusCode::UNPROCESSABLE_ENTITY).await;
        let missing = act(&app, &app.ministry(), &past, "outcome", &json!({})).await;
        let missing = problem(missing, StatusCode::UNPROCESSABLE_ENTITY).await;
        let still_future = read(&app, &format!("{PATH}/{}", id_of(&future))).await;
        let held = act(&app, &app.ministry(), &past, "outcome", &outcome).await;
        let held = json_body(held, StatusCode::OK).await;

        assert!(early["detail"].as_str().unwrap().contains("once it has started"), "{early}");
        assert_eq!(still_future["status"], "scheduled");
        assert_eq!(pointers(&blank), vec!["/outcome"]);
        assert_eq!(pointers(&missing), vec!["/outcome"]);
        assert_eq!(held["status"], "held");
        assert_eq!(held["outcome"], "Решено открыть три молодёжных центра");
        assert_eq!(held["version"], 2);
    }

    async fn closed_meeting_cannot_change(app) {
        register_bodies(&app).await;
        let to_cancel = scheduled(&app, &meeting(BODY, &in_days(-2), &[], &[ULYTAU_REGION])).await;
        let to_hold = scheduled(&app, &meeting(BODY, &in_days(-2), &[], &[ULYTAU_REGION])).await;

        let reason = json!({"reason": "Аким в командировке"});
        let cancelled = json_body(act(&app, &app.ministry(), &to_cancel, "cancellation", &reason).await, StatusCode::OK).await;
        let held = act(&app, &app.ministry(), &to_hold, "outcome", &json!({"outcome": "Приняты предложения НПО"})).await;
        let held = json_body(held, StatusCode::OK).await;
        let agenda = json!({"agenda": "Новая повестка"});
        let changes = [
            change(&app, &app.ministry(), &cancelled, &agenda).await,
            act(&app, &app.ministry(), &cancelled, "outcome", &json!({"outcome": "Проведена"})).await,
            act(&app, &app.ministry(), &cancelled, "cancellation", &json!({})).await,
            change(&app, &app.ministry(), &held, &agenda).await,
            act(&app, &app.ministry(), &held, "cancellation", &json!({})).await,
            act(&app, &app.ministry(), &held, "outcome", &json!({"outcome": "Другой итог"})).await,
        ];

        assert_eq!(cancelled["status"], "cancelled");
        assert_eq!(cancelled["cancellation_reason"], "Аким в командировке");
        for response in changes {
            let url = response.url().to_string();
            let body = problem(response, StatusCode::CONFLICT).await;
            assert!(body["detail"].as_str().unwrap().contains("cannot change"), "{url}: {body}");
        }
        assert_eq!(read(&app, &format!("{PATH}/{}", id_of(&cancelled))).await, cancelled);
        assert_eq!(read(&app, &format!("{PATH}/{}", id_of(&held))).await, held);
    }

    async fn stale_etag_rejected(app) {
        register_bodies(&app).await;
        let created = scheduled(&app, &meeting(BODY, &in_days(5), &[], &[ULYTAU_REGION])).await;
        let changed = json_body(change(&app, &app.ministry(), &created, &json!({"agenda": "Первая правка"})).await, StatusCode::OK).await;

        let stale = change(&app, &app.ministry(), &created, &json!({"agenda": "Вторая правка"})).await;
        let unconditional = app.client
            .patch(app.url(&format!("{PATH}/{}", id_of(&created))))
            .bearer_auth(app.ministry())
            .json(&json!({"agenda": "Третья правка"}))
            .send()
            .await
            .unwrap();

        assert_eq!(changed["version"], 2);
        problem(stale, StatusCode::PRECONDITION_FAILED).await;
        problem(unconditional, StatusCode::PRECONDITION_REQUIRED).await;
    }

    async fn each_change_publishes_one_event(app) {
        register_bodies(&app).await;
        publish_npos(&app).await;
        let mut events = app.observe(MEETING_EVENTS).await;

        let created = scheduled(&app, &meeting(BODY, &in_days(-1), &["youth"], &[ULYTAU_REGION])).await;
        let id = id_of(&created);
        let same = json_body(change(&app, &app.ministry(), &created, &json!({"agenda": created["agenda"]})).await, StatusCode::OK).await;
        let moved = json!({"starts_at": in_days(-2), "spheres": ["ecology"], "place": null, "online_url": "https://meet.example.kz/ulytau"});
        let moved = json_body(change(&app, &app.ministry(), &same, &moved).await, StatusCode::OK).await;
        publish(&app, NPO_REGISTERED, npo("village-ecology", "active", &[ULYTAU_VILLAGE], &["ecology"])).await;
        await_records(&app, 6).await;
        let agenda = json!({"agenda": "Экологические проекты НПО"});
        let reinvited = json_body(change(&app, &app.ministry(), &moved, &agenda).await, StatusCode::OK).await;
        let held = act(&app, &app.ministry(), &reinvited, "outcome", &json!({"outcome": "Поддержаны три проекта"})).await;
        let held = json_body(held, StatusCode::OK).await;
        let other = scheduled(&app, &meeting(BODY, &in_days(9), &[], &[ULYTAU_DISTRICT])).await;
        let cancelled = json_body(act(&app, &app.ministry(), &other, "cancellation", &json!({})).await, StatusCode::OK).await;
        let observed = drain(&mut events).await;
        let published = of_meeting(&observed, &id);
        let other_published = of_meeting(&observed, &id_of(&other));

        assert_eq!(same["version"], 1, "a change of nothing is no change");
        let types: Vec<&str> = published.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(types, vec![MEETING_SCHEDULED, MEETING_RESCHEDULED, MEETING_RESCHEDULED, MEETING_HELD]);
        let invited: Vec<Vec<String>> = published.iter().map(|(_, p)| strings(&p["invited_npo_ids"])).collect();
        assert_eq!(invited[0], vec!["district-youth", "village-youth"]);
        assert_eq!(invited[1], vec!["district-ecology", "village-youth"]);
        assert_eq!(invited[2], vec!["district-ecology", "village-ecology", "village-youth"]);
        assert_eq!(invited[3], invited[2]);
        assert_eq!(published[1].1["starts_at"], moved["starts_at"]);
        assert_eq!(published[1].1["place"], Value::Null);
        assert_eq!(published[1].1["online_url"], "https://meet.example.kz/ulytau");
        assert_eq!(published[1].1["spheres"], json!(["ecology"]));
        assert_eq!(published[2].1["agenda"], "Экологические проекты НПО");
        assert_eq!(published[3].1["status"], "held");
        assert_eq!(published[3].1["outcome"], "Поддержаны три проекта");
        assert_eq!(published[0].1["head"], "Аким области Ұлытау Бердибек Сапарбаев");
        assert_eq!(published[0].1["government_body"], BODY);
        assert_eq!(published[0].1["territories"], json!([ULYTAU_REGION]));
        assert_eq!(strings(&held["invited_npo_ids"]), invited[3]);
        let other_types: Vec<&str> = other_published.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(other_types, vec![MEETING_SCHEDULED, MEETING_CANCELLED]);
        assert_eq!(other_published[1].1["status"], "cancelled");
        assert_eq!(other_published[1].1["invited_npo_ids"], json!(["district-ecology", "district-youth", "village-ecology", "village-youth"]));
        assert_eq!(cancelled["status"], "cancelled");
    }

    async fn schedule_filters(app) {
        register_bodies(&app).await;
        // 20:00 UTC on 31 March is 01:00 on 1 April in Kazakhstan.
        let april_night = scheduled(&app, &meeting(BODY, "2027-03-31T20:00:00Z", &["youth"], &[ULYTAU_DISTRICT])).await;
        let march = scheduled(&app, &meeting(BODY, "2027-03-10T11:00:00+05:00", &[], &[ULYTAU_REGION])).await;
        let astana = scheduled(&app, &meeting(OTHER_BODY, "2027-04-20T11:00:00+05:00", &["ecology"], &["710000000"])).await;
        let next_year = scheduled(&app, &meeting(BODY, "2028-01-15T11:00:00+05:00", &["ecology"], &[ULYTAU_VILLAGE])).await;
        json_body(act(&app, &app.ministry(), &next_year, "cancellation", &json!({})).await, StatusCode::OK).await;
        let ids = |page: &Value| item_strings(page, "id");
        let [april_night, march, astana, next_year] = [&april_night, &march, &astana, &next_year].map(id_of);

        let all = read(&app, PATH).await;
        let year = read(&app, &format!("{PATH}?year=2027")).await;
        let april = read(&app, &format!("{PATH}?year=2027&month=4")).await;
        let march_page = read(&app, &format!("{PATH}?year=2027&month=3")).await;
        let range = read(&app, &format!("{PATH}?from=2027-03-10&to=2027-03-31")).await;
        let body = read(&app, &format!("{PATH}?government_body={OTHER_BODY}")).await;
        let region = read(&app, &format!("{PATH}?territory={ULYTAU_REGION}")).await;
        let village = read(&app, &format!("{PATH}?territory={ULYTAU_VILLAGE}")).await;
        let astana_only = read(&app, &format!("{PATH}?territory={ASTANA_YESIL}")).await;
        let youth = read(&app, &format!("{PATH}?sphere=youth")).await;
        let cancelled = read(&app, &format!("{PATH}?status=cancelled")).await;
        let scheduled_ulytau = read(&app, &format!("{PATH}?status=scheduled&government_body={BODY}&year=2027")).await;
        let first_page = read(&app, &format!("{PATH}?limit=2")).await;
        let cursor = first_page["next_cursor"].as_str().unwrap().to_owned();
        let second_page = read(&app, &format!("{PATH}?limit=2&cursor={cursor}")).await;

        assert_eq!(ids(&all), vec![march.clone(), april_night.clone(), astana.clone(), next_year.clone()]);
        assert_eq!(all["items"][0]["invited_count"], 0);
        assert!(all["items"][0].get("invited_npo_ids").is_none(), "{all}");
        assert_eq!(ids(&year), vec![march.clone(), april_night.clone(), astana.clone()]);
        assert_eq!(ids(&april), vec![april_night.clone(), astana.clone()]);
        assert_eq!(ids(&march_page), vec![march.clone()]);
        assert_eq!(ids(&range), vec![march.clone()]);
        assert_eq!(ids(&body), vec![astana.clone()]);
        assert_eq!(ids(&region), vec![march.clone(), april_night.clone(), next_year.clone()]);
        assert_eq!(ids(&village), vec![march.clone(), april_night.clone(), next_year.clone()]);
        assert_eq!(ids(&astana_only), vec![astana.clone()]);
        assert_eq!(ids(&youth), vec![march.clone(), april_night.clone()]);
        assert_eq!(ids(&cancelled), vec![next_year.clone()]);
        assert_eq!(ids(&scheduled_ulytau), vec![march.clone(), april_night.clone()]);
        assert_eq!(ids(&first_page), vec![march, april_night]);
        assert_eq!(ids(&second_page), vec![astana, next_year]);
        assert_eq!(second_page["next_cursor"], Value::Null);
    }

    async fn schedule_filters_checked(app) {
        let cases = [
            ("month=4", "#/query/month"),
            ("year=2027&month=13", "#/query/month"),
            ("year=99999", "#/query/year"),
            ("from=2027-04-02&to=2027-04-01", "#/query/to"),
            ("from=01.04.2027", "#/query/from"),
            ("territory=71", "#/query/territory"),
            ("sphere=astrology", "#/query/sphere"),
            ("status=postponed", "#/query/status"),
        ];

        for (query, pointer) in cases {
            let response = get(&app, &format!("{PATH}?{query}"), None).await;
            let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
            assert_eq!(pointers(&body), vec![pointer], "{query}");
        }
    }

    async fn access_rules(app) {
        register_bodies(&app).await;
        let input = meeting(BODY, &in_days(-1), &[], &[ULYTAU_REGION]);
        let own = app.officer(BODY);
        let other = app.officer(OTHER_BODY);
        let npo = app.token(Role::Npo, None, Some("940140000385"));
        let integrator = app.integrator("egov");

        let anonymous_create = app.client.post(app.url(PATH)).json(&input).send().await.unwrap();
        let by_other = create(&app, &other, &input).await;
        let by_npo = create(&app, &npo, &input).await;
        let by_integrator = create(&app, &integrator, &input).await;
        let by_own = json_body(create(&app, &own, &input).await, StatusCode::CREATED).await;
        let path = format!("{PATH}/{}", id_of(&by_own));
        let anonymous_list = read(&app, PATH).await;
        let anonymous_one = read(&app, &path).await;
        let npo_one = json_body(get(&app, &path, Some(&npo)).await, StatusCode::OK).await;
        let agenda = json!({"agenda": "Уточнённая повестка"});
        let other_change = change(&app, &other, &by_own, &agenda).await;
        let npo_change = change(&app, &npo, &by_own, &agenda).await;
        let other_outcome = act(&app, &other, &by_own, "outcome", &json!({"outcome": "Итог"})).await;
        let own_cancel = act(&app, &own, &by_own, "cancellation", &json!({})).await;
        let own_change = json_body(change(&app, &own, &by_own, &agenda).await, StatusCode::OK).await;
        let own_outcome = act(&app, &own, &own_change, "outcome", &json!({"outcome": "Итог встречи"})).await;
        let own_outcome = json_body(own_outcome, StatusCode::OK).await;
        let other_meeting = scheduled(&app, &meeting(OTHER_BODY, &in_days(4), &[], &["710000000"])).await;
        let ministry_cancel = act(&app, &app.ministry(), &other_meeting, "cancellation", &json!({})).await;

        problem(anonymous_create, StatusCode::UNAUTHORIZED).await;
        problem(by_other, StatusCode::FORBIDDEN).await;
        problem(by_npo, StatusCode::FORBIDDEN).await;
        problem(by_integrator, StatusCode::FORBIDDEN).await;
        assert_eq!(item_strings(&anonymous_list, "id"), vec![id_of(&by_own)]);
        assert_eq!(anonymous_one, by_own);
        assert_eq!(npo_one, by_own);
        let mut fields: Vec<&String> = anonymous_one.as_object().unwrap().keys().collect();
        fields.sort();
        assert_eq!(fields, [
            "agenda", "cancellation_reason", "created_at", "government_body", "head_full_name",
            "head_position", "id", "invited_count", "invited_npo_ids", "online_url", "outcome",
            "place", "spheres", "starts_at", "status", "territories", "updated_at", "version",
        ]);
        problem(other_change, StatusCode::FORBIDDEN).await;
        problem(npo_change, StatusCode::FORBIDDEN).await;
        problem(other_outcome, StatusCode::FORBIDDEN).await;
        problem(own_cancel, StatusCode::FORBIDDEN).await;
        assert_eq!(own_change["agenda"], "Уточнённая повестка");
        assert_eq!(own_outcome["status"], "held");
        assert_eq!(json_body(ministry_cancel, StatusCode::OK).await["status"], "cancelled");
    }
}
