//! Personal data stays out of the log and out of every response an anonymous caller
//! gets. The test registers NPOs with key staff and contacts, appoints officers, and
//! records recommendations, needs assessment activities, joint-action parties, experts,
//! consultations and requests between officers, each naming people. It also sends
//! writes that fail with 400, 409 and 422 while carrying those names, because error
//! paths are where a value most easily reaches a log line. Then it reads every route
//! that takes anonymous callers and checks each response and the whole log.
//!
//! What the regulation publishes on purpose is the public profile of each body's current
//! liaison officer. The body keeps it on its web site, in its building and on social
//! networks, with the full name, photo, work plan, reception schedule, forms of appeal
//! and contacts (room, phone and e-mail). So the current officers' names, phones and
//! e-mails may appear in anonymous responses, but only on the routes that serve the
//! register of bodies with those profiles. The profile of a replaced or dismissed
//! officer is no longer current, so their data is private like anyone else's. Nobody's
//! personal data, officers' included, may appear in the log, because officers are
//! logged by the subject of their token only.

use std::io::{Cursor, Read};
use std::time::Duration;

use chrono::{Datelike, Days, FixedOffset, NaiveDate, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::platform::{BODY_A, BODY_B, Platform, Reply, Who, bin_x, bin_y, read};
use crate::support::unique_bin;

/// KATO code of the Ulytau region, the territory of the bodies.
const REGION: &str = "620000000";

/// Full name, phone and e-mail of the officer of body A, appointed as the successor of
/// `FORMER_OFFICER`. Published in the officer's public profile.
const OFFICER_A: [&str; 3] = [
    "Гаухар Уәкілова",
    "+77102559911",
    "gaukhar.uakilova@example.kz",
];

/// Full name, phone and e-mail of the officer of body B. Published in the officer's
/// public profile.
const OFFICER_B: [&str; 3] = [
    "Самал Екіншіева",
    "+77102559922",
    "samal.ekinshi@example.kz",
];

/// Full name, phone and e-mail of the officer of body A before the replacement.
const FORMER_OFFICER: [&str; 3] = [
    "Нұрлан Бұрынғыұлы",
    "+77102559900",
    "nurlan.buryngy@example.kz",
];

/// Full name, phone and e-mail of the officer of body D, dismissed without a successor.
const DISMISSED_OFFICER: [&str; 3] = ["Қанат Кеткенов", "+77102559933", "kanat.ketken@example.kz"];

/// Government body whose officer is dismissed, leaving it vacant.
const BODY_D: &str = "security-body-d";

/// Key staff of NPO X.
const STAFF_X: [&str; 2] = ["Аружан Құпиятова", "Бекзат Жасырынов"];
/// Phone, e-mail and address of NPO X.
const CONTACTS_X: [&str; 3] = [
    "+77015550101",
    "aruzhan.kupiyatova@example.kz",
    "Жезказган, ул. Тихая, 7, кв. 12",
];
/// Key staff, phone and e-mail of NPO Y.
const PEOPLE_Y: [&str; 3] = [
    "Динара Белгісізова",
    "+77015550111",
    "dinara.belgisiz@example.kz",
];
/// Contact person of NPO X's recommendation, with phone and e-mail.
const RECOMMENDATION_CONTACT: [&str; 3] =
    ["Мәди Ұсынысов", "+77015550202", "madi.usynys@example.kz"];
/// Author of a recommendation received on paper, with phone.
const PAPER_AUTHOR: [&str; 2] = ["Салтанат Авторова", "+77015550212"];
/// Member of the body's staff responsible for activities and a joint-action party.
const STAFF_MEMBER: &str = "Ерасыл Жауаптыұлы";
/// Expert of body A, with phone and e-mail.
const EXPERT: [&str; 3] = [
    "Әлия Сарапшыева",
    "+77015550303",
    "aliya.sarapshy@example.kz",
];
/// Counterpart of a consultation, with e-mail.
const CONSULTANT: [&str; 2] = ["Тимур Кеңесов", "timur.kenes@example.kz"];
/// Contact person of officer B's request to officer A, with phone.
const REQUEST_CONTACT: [&str; 2] = ["Мейрамгүл Көмекшіова", "+77015550404"];
/// Head, phone and e-mail of an NPO that an integrator pushes, and the head of a row
/// of the same batch that is rejected.
const IMPORTED: [&str; 4] = [
    "Ербол Импортов",
    "+77015550505",
    "erbol.import@example.kz",
    "Жанар Қабылданбаған",
];

/// Routes whose responses may contain the current officers' public profiles: the
/// register of bodies, each body's card and officer, and the competence map.
const PROFILE_ROUTES: [&str; 2] = ["/v1/government-bodies", "/v1/competence-map"];

/// Personal data that neither the log nor any anonymous response may contain.
fn private_data() -> Vec<&'static str> {
    let mut data = Vec::new();
    data.extend(FORMER_OFFICER);
    data.extend(DISMISSED_OFFICER);
    data.extend(IMPORTED);
    data.extend(STAFF_X);
    data.extend(CONTACTS_X);
    data.extend(PEOPLE_Y);
    data.extend(RECOMMENDATION_CONTACT);
    data.extend(PAPER_AUTHOR);
    data.push(STAFF_MEMBER);
    data.extend(EXPERT);
    data.extend(CONSULTANT);
    data.extend(REQUEST_CONTACT);
    data
}

/// Public profile data of the current officers: never in the log, and in anonymous
/// responses only on `PROFILE_ROUTES`.
fn officer_data() -> Vec<&'static str> {
    OFFICER_A.into_iter().chain(OFFICER_B).collect()
}

/// Returns today's date in Kazakhstan, which uses UTC+5 all year since 1 March 2024.
fn today() -> NaiveDate {
    let kazakhstan = FixedOffset::east_opt(5 * 3600).expect("a valid offset");
    Utc::now().with_timezone(&kazakhstan).date_naive()
}

fn id_of(resource: &Value) -> String {
    resource["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {resource}"))
        .to_owned()
}

/// The platform, with the named token of officer A, who acts in most steps.
struct Scenario {
    platform: Platform,
    officer_a: String,
}

impl Scenario {
    /// Sends `method path` with `token`, the JSON `body` and `If-Match` when given.
    async fn send(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<&Value>,
        if_match: Option<&str>,
    ) -> Reply {
        let mut request = self
            .platform
            .client
            .request(method, self.platform.url(path))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(body);
        }
        if let Some(etag) = if_match {
            request = request.header("If-Match", etag);
        }
        read(request).await
    }

    fn token(&self, who: Who) -> &str {
        self.platform.token(who).expect("a token")
    }

    /// Creates a record as `token` and returns it, failing the test unless the status
    /// is 201.
    async fn create(&self, token: &str, path: &str, body: &Value) -> Value {
        let reply = self.send(token, Method::POST, path, Some(body), None).await;
        assert_eq!(
            reply.status,
            StatusCode::CREATED,
            "POST {path}: {}",
            reply.text
        );
        reply.body
    }

    /// Reads the ETag of `path` as `token`.
    async fn etag(&self, token: &str, path: &str) -> String {
        let reply = self.send(token, Method::GET, path, None, None).await;
        assert_eq!(reply.status, StatusCode::OK, "GET {path}: {}", reply.text);
        reply
            .etag
            .unwrap_or_else(|| panic!("GET {path} sent no ETag"))
    }

    /// Sends `body` to `path` with the current ETag of `resource`, failing the test
    /// unless the status is 200.
    async fn change(&self, token: &str, method: Method, resource: &str, path: &str, body: &Value) {
        let etag = self.etag(token, resource).await;
        let reply = self
            .send(token, method, path, Some(body), Some(&etag))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.text);
    }

    /// Sends a write that must fail with `expected`.
    async fn fail(&self, token: &str, path: &str, body: &Value, expected: StatusCode) {
        let reply = self.send(token, Method::POST, path, Some(body), None).await;
        assert_eq!(reply.status, expected, "POST {path}: {}", reply.text);
    }
}

/// Registers bodies A, B and D, appoints officer B, appoints the former officer of A
/// and replaces them with officer A, and appoints an officer of D and dismisses them.
async fn register_bodies(scenario: &Scenario) {
    let ministry = scenario.token(Who::Ministry);
    let bodies = [
        json!({
            "id": BODY_A, "name_ru": "Управление по делам молодежи области Ұлытау",
            "name_kk": "Ұлытау облысының жастар істері басқармасы",
            "level": "regional_department", "territory": REGION, "spheres": ["youth", "education"]
        }),
        json!({
            "id": BODY_B, "name_ru": "Аппарат акима области Ұлытау",
            "name_kk": "Ұлытау облысы әкімінің аппараты",
            "level": "regional", "territory": REGION, "spheres": ["culture", "social_protection"]
        }),
    ];
    for body in &bodies {
        scenario
            .create(ministry, "/v1/government-bodies", body)
            .await;
    }
    dismiss_officer_of_d(scenario).await;
    let [name, phone, email] = FORMER_OFFICER;
    let former = json!({
        "officer": "officer-a-former", "full_name": name, "position": "deputy_head_of_department",
        "contacts": {"room": "305", "phone": phone, "email": email},
        "reception_schedule": "Вторник, 15:00–18:00"
    });
    let officer_path = format!("/v1/government-bodies/{BODY_A}/officer");
    scenario.create(ministry, &officer_path, &former).await;
    let [name, phone, email] = OFFICER_B;
    let officer_b = json!({
        "officer": "officer-b", "full_name": name, "position": "deputy_head_of_akim_office",
        "contacts": {"room": "112", "phone": phone, "email": email}
    });
    scenario
        .create(
            ministry,
            &format!("/v1/government-bodies/{BODY_B}/officer"),
            &officer_b,
        )
        .await;

    let [name, phone, email] = OFFICER_A;
    let replacement = json!({
        "reason": "transfer", "replaced_on": today().to_string(),
        "successor": {
            "officer": "officer-a", "full_name": name, "position": "deputy_head_of_department",
            "contacts": {"room": "306", "phone": phone}
        }
    });
    let body_path = format!("/v1/government-bodies/{BODY_A}");
    let replaced = format!("{officer_path}/replacement");
    let etag = scenario.etag(ministry, &body_path).await;
    let reply = scenario
        .send(
            ministry,
            Method::POST,
            &replaced,
            Some(&replacement),
            Some(&etag),
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::CREATED,
        "replacement: {}",
        reply.text
    );
    let profile = json!({
        "contacts": {"email": email},
        "appeal_forms": [{"channel": "email", "address": email}]
    });
    let officer_a = scenario.officer_a.clone();
    scenario
        .change(
            &officer_a,
            Method::PATCH,
            &officer_path,
            &officer_path,
            &profile,
        )
        .await;
}

/// Registers body D, appoints its officer and dismisses them without a successor.
async fn dismiss_officer_of_d(scenario: &Scenario) {
    let ministry = scenario.token(Who::Ministry);
    let body = json!({
        "id": BODY_D, "name_ru": "Управление здравоохранения области Ұлытау",
        "name_kk": "Ұлытау облысының денсаулық сақтау басқармасы",
        "level": "regional_department", "territory": REGION, "spheres": ["health"]
    });
    scenario
        .create(ministry, "/v1/government-bodies", &body)
        .await;
    let [name, phone, email] = DISMISSED_OFFICER;
    let appointment = json!({
        "officer": "officer-d", "full_name": name, "position": "deputy_head_of_department",
        "contacts": {"room": "201", "phone": phone, "email": email}
    });
    let officer_path = format!("/v1/government-bodies/{BODY_D}/officer");
    scenario.create(ministry, &officer_path, &appointment).await;
    let dismissal = json!({"reason": "dismissal", "dismissed_on": today().to_string()});
    let etag = scenario
        .etag(ministry, &format!("/v1/government-bodies/{BODY_D}"))
        .await;
    let reply = scenario
        .send(
            ministry,
            Method::POST,
            &format!("{officer_path}/dismissal"),
            Some(&dismissal),
            Some(&etag),
        )
        .await;
    assert!(
        reply.status.is_success(),
        "dismissal: {} {}",
        reply.status,
        reply.text
    );
}

/// Pushes a batch as an integrator: a valid row naming the NPO's head and contacts,
/// and a rejected row naming another head.
async fn import_npos(scenario: &Scenario) {
    let [head, phone, email, rejected_head] = IMPORTED;
    let rows = json!([
        {
            "bin": unique_bin(7_000_000_001, 2), "name_ru": "Ассоциация «Ұлытау жастары»",
            "legal_form": "public_association", "territories": [REGION], "head": head,
            "contacts": {"phone": phone, "email": email}
        },
        {
            "bin": "123", "name_ru": "Объединение с ошибкой", "legal_form": "public_association",
            "head": rejected_head, "contacts": {"email": format!("{rejected_head} {email}")}
        }
    ]);
    let reply = scenario
        .send(
            scenario.token(Who::Integrator),
            Method::POST,
            "/v1/npo-imports",
            Some(&rows),
            None,
        )
        .await;
    assert!(
        reply.status.is_success(),
        "import: {} {}",
        reply.status,
        reply.text
    );
}

/// Registers NPOs X and Y with key staff and contacts, and a project of X. Returns the
/// ids of X and Y.
async fn register_npos(scenario: &Scenario) -> (String, String) {
    let [chair, deputy] = STAFF_X;
    let [phone, email, address] = CONTACTS_X;
    let x = json!({
        "bin": bin_x(), "name_ru": "Общественное объединение «Жастар қолдауы»",
        "legal_form": "public_association", "registered_on": "2015-03-10",
        "territories": [REGION], "spheres": ["youth"], "target_groups": ["youth"],
        "key_staff": [
            {"full_name": chair, "position": "председатель"},
            {"full_name": deputy, "position": "заместитель председателя"}
        ],
        "contacts": {"phone": phone, "email": email, "address": address},
        "source": "npo_representatives"
    });
    let [name, phone, email] = PEOPLE_Y;
    let y = json!({
        "bin": bin_y(), "name_ru": "Фонд «Білім болашағы»", "legal_form": "public_foundation",
        "territories": [REGION], "spheres": ["education"],
        "key_staff": [{"full_name": name}],
        "contacts": {"phone": phone, "email": email},
        "source": "npo_representatives"
    });
    let officer = scenario.officer_a.clone();

    let x = id_of(&scenario.create(&officer, "/v1/npos", &x).await);
    let y = id_of(&scenario.create(&officer, "/v1/npos", &y).await);

    let project = json!({
        "name": "Молодёжный центр в Жезказгане", "funding_source": "государственный социальный заказ",
        "sphere": "youth", "territory": REGION
    });
    scenario
        .create(&officer, &format!("/v1/npos/{x}/projects"), &project)
        .await;

    let patch = json!({
        "key_staff": [{"full_name": PEOPLE_Y[0], "position": "директор"}],
        "source": "npo_representatives"
    });
    scenario
        .change(
            &officer,
            Method::PATCH,
            &format!("/v1/npos/{y}"),
            &format!("/v1/npos/{y}"),
            &patch,
        )
        .await;
    (x, y)
}

/// Runs a needs assessment with an activity naming its responsible staff, an NPO
/// proposal and a priority, and publishes it. Returns the assessment's id.
async fn assess_needs(scenario: &Scenario) -> String {
    let officer = scenario.officer_a.clone();
    let start = NaiveDate::from_ymd_opt(today().year(), 1, 1).expect("1 January");
    let assessment = json!({
        "title": "Потребности молодежи области Ұлытау",
        "spheres": ["youth"], "territory": REGION,
        "period_start": start.to_string(), "period_end": today().to_string(),
        "target_groups": [{"group": "youth", "participants": 120}],
        "methods": "Анкетирование и фокус-группы в районах области",
        "instruments": [{"description": "Анкета из 20 вопросов"}],
        "information_sources": [{"source": "official_statistics"}, {"source": "npo_meetings"}],
        "report": {"conclusions": "Досуг подростков в селах не организован"}
    });
    let id = id_of(
        &scenario
            .create(&officer, "/v1/needs-assessments", &assessment)
            .await,
    );
    let path = format!("/v1/needs-assessments/{id}");

    let activity = json!({
        "held_on": today().to_string(), "form": "round_table",
        "participant_categories": ["npo", "experts"], "participants": 35,
        "responsible_staff": [OFFICER_A[0], STAFF_MEMBER],
        "description": "Круглый стол о досуге молодежи"
    });
    scenario
        .create(&officer, &format!("{path}/activities"), &activity)
        .await;
    let priority = json!({
        "sphere": "youth", "territory": REGION, "target_group": "youth",
        "problem": "Нет кружков в сельских округах", "information_source": "npo_meetings",
        "risks": "Отток молодежи из сел", "risk_level": "high", "people_affected": 4200
    });
    scenario
        .create(&officer, &format!("{path}/priorities"), &priority)
        .await;

    scenario
        .change(
            &officer,
            Method::POST,
            &path,
            &format!("{path}/status"),
            &json!({"status": "collecting"}),
        )
        .await;
    let proposal = json!({"text": "В селах нет кружков для подростков"});
    scenario
        .create(
            scenario.token(Who::NpoX),
            &format!("{path}/npo-proposals"),
            &proposal,
        )
        .await;

    for status in ["analysed", "published"] {
        scenario
            .change(
                &officer,
                Method::POST,
                &path,
                &format!("{path}/status"),
                &json!({"status": status}),
            )
            .await;
    }
    id
}

/// Forms a working group with named members and a meeting, and drafts a joint action
/// whose parties name their representatives. Returns the joint action's id.
async fn work_jointly(scenario: &Scenario, npo_x: &str) -> String {
    let officer = scenario.officer_a.clone();
    let group = json!({
        "name": "Рабочая группа по молодежной политике", "origin": "created",
        "format": "Ежемесячные заседания", "spheres": ["youth"],
        "members": [
            {"kind": "officer", "government_body": BODY_A, "name": OFFICER_A[0], "role": "Председатель"},
            {"kind": "npo", "npo_id": npo_x, "name": STAFF_X[0], "role": "Член группы"},
            {"kind": "other", "name": STAFF_MEMBER, "role": "Секретарь"}
        ]
    });
    let group = id_of(
        &scenario
            .create(&officer, "/v1/working-groups", &group)
            .await,
    );
    let meeting = json!({
        "held_on": today().to_string(), "form": "Круглый стол",
        "participant_categories": ["npo"], "participants": 12,
        "responsible_staff": [STAFF_MEMBER], "minutes": "Протокол №1"
    });
    scenario
        .create(
            &officer,
            &format!("/v1/working-groups/{group}/meetings"),
            &meeting,
        )
        .await;

    let action = json!({
        "title": "Кружки для подростков в селах", "initiator": "officer", "spheres": ["youth"],
        "territory": REGION, "goals": ["Досуг подростков в селах"], "tasks": ["Открыть 5 кружков"]
    });
    let action = id_of(
        &scenario
            .create(&officer, "/v1/joint-actions", &action)
            .await,
    );
    let parties = format!("/v1/joint-actions/{action}/parties");
    let npo_party = json!({
        "kind": "npo", "npo_id": npo_x, "zone_of_responsibility": "Занятия в кружках",
        "representative": STAFF_X[0], "consent_on": today().to_string(), "consent_document": "Письмо №7"
    });
    let body_party = json!({
        "kind": "government_body", "name": "Управление по делам молодежи области Ұлытау",
        "zone_of_responsibility": "Помещения", "representative": STAFF_MEMBER
    });
    scenario.create(&officer, &parties, &npo_party).await;
    scenario.create(&officer, &parties, &body_party).await;
    action
}

/// Records recommendations with contact persons, decides one and gives feedback on it,
/// forwards the other, and records an expert, a consultation, a request between officers and a
/// reception.
async fn exchange(scenario: &Scenario) {
    let officer = scenario.officer_a.clone();
    let [name, phone, email] = RECOMMENDATION_CONTACT;
    let from_npo = json!({
        "government_body": BODY_A, "sphere": "youth", "territory": REGION,
        "text": "Открыть молодежный центр в Жезказгане",
        "contacts": {"name": name, "phone": phone, "email": email}
    });
    let from_npo = id_of(
        &scenario
            .create(scenario.token(Who::NpoX), "/v1/recommendations", &from_npo)
            .await,
    );
    let [author, phone] = PAPER_AUTHOR;
    let paper = json!({
        "sphere": "culture", "text": "Провести фестиваль национальной культуры",
        "author_name": author, "author_kind": "person", "received_on": today().to_string(),
        "contacts": {"name": author, "phone": phone}
    });
    let paper = id_of(
        &scenario
            .create(&officer, "/v1/recommendations", &paper)
            .await,
    );
    let path = format!("/v1/recommendations/{from_npo}");
    let steps = [
        (
            "decision",
            json!({"handling": "included_in_plans", "reason": "Включено в план"}),
        ),
        (
            "feedback",
            json!({"feedback": "Центр включен в план работы управления"}),
        ),
    ];
    for (step, body) in &steps {
        scenario
            .change(
                &officer,
                Method::POST,
                &path,
                &format!("{path}/{step}"),
                body,
            )
            .await;
    }
    let path = format!("/v1/recommendations/{paper}");
    scenario
        .change(
            &officer,
            Method::POST,
            &path,
            &format!("{path}/forwarding"),
            &json!({"to_body": BODY_B}),
        )
        .await;

    let [name, phone, email] = EXPERT;
    let expert = json!({
        "full_name": name, "organisation": "Назарбаев Университет", "spheres": ["youth"],
        "expertise": "Оценка социальных проектов",
        "contacts": {"name": name, "phone": phone, "email": email}
    });
    scenario.create(&officer, "/v1/experts", &expert).await;
    let [name, email] = CONSULTANT;
    let consultation = json!({
        "direction": "received", "held_on": today().to_string(), "counterpart": name,
        "contacts": {"name": name, "email": email}, "sphere": "youth",
        "question": "Экспертиза программы летнего отдыха", "form": "экспертное заключение"
    });
    scenario
        .create(&officer, "/v1/consultations", &consultation)
        .await;

    let [name, phone] = REQUEST_CONTACT;
    let deadline = today()
        .checked_add_days(Days::new(10))
        .expect("a date ten days on");
    let request = json!({
        "to_body": BODY_A, "question": "Сколько молодежных НПО работает в районах области?",
        "sphere": "youth", "format": "письмо", "contacts": {"name": name, "phone": phone},
        "deadline": deadline.to_string()
    });
    let sent = scenario
        .create(
            scenario.token(Who::OfficerB),
            "/v1/officer-requests",
            &request,
        )
        .await;
    let answer = json!({"answer": "42 НПО в шести районах", "result": "Данные включены в план"});
    let reply = scenario
        .send(
            &officer,
            Method::POST,
            &format!("/v1/officer-requests/{}/answer", id_of(&sent)),
            Some(&answer),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "answer: {}", reply.text);
    let reception = json!({"government_body": BODY_A, "topic": "Помещение для кружков"});
    scenario
        .create(
            scenario.token(Who::NpoX),
            "/v1/reception-requests",
            &reception,
        )
        .await;
}

/// Sends writes that carry personal data and fail: invalid fields (422), conflicts
/// (409) and malformed JSON (400).
async fn fail_with_names(scenario: &Scenario, action_path: &str) {
    let officer = scenario.officer_a.clone();
    let ministry = scenario.token(Who::Ministry).to_owned();
    let [chair, deputy] = STAFF_X;
    let [phone_x, email_x, address_x] = CONTACTS_X;

    let invalid_npo = json!({
        "name_ru": "Фонд без формы", "legal_form": "guild",
        "key_staff": [{"full_name": deputy, "position": chair}],
        "contacts": {
            "phone": format!("{phone_x} {deputy}"),
            "email": format!("{chair} at {email_x}"),
            "address": address_x
        },
        "source": "npo_representatives"
    });
    scenario
        .fail(
            &officer,
            "/v1/npos",
            &invalid_npo,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    let taken_bin = json!({
        "bin": bin_x(), "name_ru": "Второе объединение", "legal_form": "public_association",
        "key_staff": [{"full_name": chair}], "contacts": {"email": email_x},
        "source": "npo_representatives"
    });
    scenario
        .fail(&officer, "/v1/npos", &taken_bin, StatusCode::CONFLICT)
        .await;

    let [former, former_phone, former_email] = FORMER_OFFICER;
    let staffed = json!({
        "officer": "officer-a-former", "full_name": former,
        "position": "deputy_head_of_department",
        "contacts": {"phone": former_phone, "email": former_email}
    });
    let officer_path = format!("/v1/government-bodies/{BODY_A}/officer");
    scenario
        .fail(&ministry, &officer_path, &staffed, StatusCode::CONFLICT)
        .await;
    let body_c = json!({
        "id": "security-body-c", "name_ru": "Отдел образования района Ұлытау",
        "name_kk": "Ұлытау ауданының білім бөлімі",
        "level": "district", "territory": "623800000", "spheres": ["education"]
    });
    scenario
        .create(&ministry, "/v1/government-bodies", &body_c)
        .await;
    let too_low = json!({
        "officer": "officer-c", "full_name": former, "position": "chief_specialist",
        "contacts": {"phone": former_phone, "email": format!("{former} <{former_email}>")}
    });
    scenario
        .fail(
            &ministry,
            "/v1/government-bodies/security-body-c/officer",
            &too_low,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;

    let [expert, _, expert_email] = EXPERT;
    let invalid_expert = json!({
        "full_name": expert, "spheres": ["astrology"], "expertise": "",
        "contacts": {"name": expert, "phone": format!("звонить {expert}"), "email": format!("{expert}@{expert_email}")}
    });
    scenario
        .fail(
            &officer,
            "/v1/experts",
            &invalid_expert,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    let [name_y, phone_y, _] = PEOPLE_Y;
    let wrong_type = json!({"full_name": name_y, "spheres": name_y, "contacts": [name_y, phone_y]});
    scenario
        .fail(
            &officer,
            "/v1/experts",
            &wrong_type,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;

    let [contact, contact_phone, contact_email] = RECOMMENDATION_CONTACT;
    let invalid_recommendation = json!({
        "government_body": BODY_A, "sphere": contact, "text": "",
        "contacts": {"name": contact, "phone": format!("{contact_phone}{contact}"), "email": contact_email}
    });
    scenario
        .fail(
            scenario.token(Who::NpoX),
            "/v1/recommendations",
            &invalid_recommendation,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    let [consultant, consultant_email] = CONSULTANT;
    let invalid_consultation = json!({
        "direction": consultant, "held_on": consultant_email, "counterpart": consultant,
        "contacts": {"name": consultant, "email": consultant}, "question": "", "form": ""
    });
    scenario
        .fail(
            &officer,
            "/v1/consultations",
            &invalid_consultation,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    let invalid_party = json!({
        "kind": STAFF_MEMBER, "representative": STAFF_MEMBER, "npo_id": email_x,
        "consent_document": phone_x
    });
    scenario
        .fail(
            &officer,
            &format!("{action_path}/parties"),
            &invalid_party,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;

    let malformed =
        format!("{{\"full_name\": \"{name_y}\", \"contacts\": {{\"phone\": \"{phone_y}\"");
    let reply = read(
        scenario
            .platform
            .client
            .post(scenario.platform.url("/v1/experts"))
            .bearer_auth(&officer)
            .header("content-type", "application/json")
            .body(malformed),
    )
    .await;
    assert_eq!(
        reply.status,
        StatusCode::BAD_REQUEST,
        "malformed JSON: {}",
        reply.text
    );
}

/// Reads the text of every part of an XLSX workbook.
fn workbook_text(bytes: &[u8]) -> String {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("the XLSX is a ZIP archive");
    let mut text = String::new();
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).expect("a part of the workbook");
        let mut part = String::new();
        if entry.read_to_string(&mut part).is_ok() {
            text.push_str(&part);
        }
    }
    text
}

/// Reads `path` anonymously and returns the status and the text of the body, with an
/// XLSX workbook unpacked.
async fn read_anonymously(platform: &Platform, path: &str) -> (StatusCode, String) {
    let response = platform
        .client
        .get(platform.url(path))
        .send()
        .await
        .expect("the platform responds");
    let status = response.status();
    let bytes = response.bytes().await.expect("the body is read");
    let text = if bytes.starts_with(b"PK") {
        workbook_text(&bytes)
    } else {
        String::from_utf8_lossy(&bytes).into_owned()
    };
    (status, text)
}

/// Returns the strings of `needles` that `text` contains.
fn found_in<'a>(text: &str, needles: &[&'a str]) -> Vec<&'a str> {
    needles
        .iter()
        .copied()
        .filter(|needle| text.contains(needle))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn personal_data_kept_private() {
    let private = private_data();
    let officers = officer_data();
    let mut watched = private.clone();
    watched.extend(&officers);
    // The body's id is in many log lines, so its count shows that the watch reads the log.
    watched.push(BODY_A);
    let platform = Platform::start_watching(&[], &watched).await;
    let officer_a = platform.mint(&[
        "--role",
        "officer",
        "--body",
        BODY_A,
        "--subject",
        "officer-a",
        "--name",
        OFFICER_A[0],
    ]);
    let scenario = Scenario {
        platform,
        officer_a,
    };

    register_bodies(&scenario).await;
    let (npo_x, npo_y) = register_npos(&scenario).await;
    import_npos(&scenario).await;
    let assessment = assess_needs(&scenario).await;
    let action = work_jointly(&scenario, &npo_x).await;
    exchange(&scenario).await;
    fail_with_names(&scenario, &format!("/v1/joint-actions/{action}")).await;
    // The events of the writes reach the other services' consumers in the background.
    tokio::time::sleep(Duration::from_secs(2)).await;

    let platform = &scenario.platform;
    let catalogues = read_anonymously(platform, "/v1/catalogues").await.1;
    let catalogues: Value = serde_json::from_str(&catalogues).expect("a list of catalogues");
    let priorities = read_anonymously(
        platform,
        &format!("/v1/needs-assessments/{assessment}/priorities"),
    )
    .await
    .1;
    let priorities: Value = serde_json::from_str(&priorities).expect("a page of priorities");
    let priority = priorities["items"][0]["id"]
        .as_str()
        .expect("a priority")
        .to_owned();
    let projects = read_anonymously(platform, &format!("/v1/npos/{npo_x}/projects"))
        .await
        .1;
    let projects: Value = serde_json::from_str(&projects).expect("a page of projects");
    let project = projects["items"][0]["id"]
        .as_str()
        .expect("a project")
        .to_owned();

    let mut public = vec![
        "/v1/npos".to_owned(),
        "/v1/npos?limit=200&sort=name_ru".to_owned(),
        format!("/v1/npos?q={}", "Жастар"),
        format!("/v1/npos/{npo_x}"),
        format!("/v1/npos/{npo_y}"),
        format!("/v1/npos/{npo_x}/projects"),
        format!("/v1/npos/{npo_x}/projects/{project}"),
        format!("/v1/npo-facets?territory={REGION}"),
        "/v1/open-data/npos.csv".to_owned(),
        "/v1/open-data/npos.json".to_owned(),
        "/v1/territories?q=ұлытау".to_owned(),
        format!("/v1/territories/{REGION}"),
        format!("/v1/territories/{REGION}/children"),
        "/v1/territories/623830100/path".to_owned(),
        "/v1/catalogues".to_owned(),
        "/v1/needs-assessments".to_owned(),
        format!("/v1/needs-assessments/{assessment}"),
        format!("/v1/needs-assessments/{assessment}/activities"),
        format!("/v1/needs-assessments/{assessment}/priorities"),
        format!("/v1/needs-assessments/{assessment}/priorities/{priority}"),
        format!("/v1/needs-assessments/{assessment}/priorities.csv"),
        format!("/v1/needs-assessments/{assessment}/priorities.xlsx"),
        format!("/v1/needs-priorities?territory={REGION}"),
        "/v1/needs-priorities.csv".to_owned(),
        "/v1/needs-priorities.xlsx".to_owned(),
        "/v1/government-bodies".to_owned(),
        format!("/v1/government-bodies/{BODY_A}"),
        format!("/v1/government-bodies/{BODY_B}"),
        format!("/v1/government-bodies/{BODY_A}/officer"),
        format!("/v1/government-bodies/{BODY_B}/officer"),
        format!("/v1/government-bodies/{BODY_D}"),
        format!("/v1/competence-map?sphere=youth&territory={REGION}"),
        "/v1/competence-map?sphere=culture&territory=623830100".to_owned(),
        "/v1/officer-positions".to_owned(),
    ];
    for name in catalogues["catalogues"]
        .as_array()
        .expect("a list of catalogues")
    {
        let name = name.as_str().expect("a catalogue name");
        public.push(format!("/v1/catalogues/{name}"));
    }
    let for_callers_only = [
        format!("/v1/npos/{npo_x}/history"),
        "/v1/vacancies".to_owned(),
        format!("/v1/government-bodies/{BODY_A}/officers"),
        "/v1/joint-actions".to_owned(),
        format!("/v1/joint-actions/{action}"),
        "/v1/working-groups".to_owned(),
        "/v1/recommendations".to_owned(),
        "/v1/experts".to_owned(),
        "/v1/consultations".to_owned(),
        "/v1/officer-requests".to_owned(),
        "/v1/reception-requests".to_owned(),
        format!("/v1/needs-assessments/{assessment}/npo-proposals"),
        "/v1/audit/registry".to_owned(),
        "/v1/events/registry".to_owned(),
    ];

    for path in &public {
        let (status, text) = read_anonymously(platform, path).await;
        assert_eq!(status, StatusCode::OK, "anonymous GET {path}: {text}");
        let leaked = found_in(&text, &private);
        assert!(
            leaked.is_empty(),
            "anonymous GET {path} returned {leaked:?}: {text}"
        );
        if !PROFILE_ROUTES.iter().any(|route| path.starts_with(route)) {
            let leaked = found_in(&text, &officers);
            assert!(
                leaked.is_empty(),
                "anonymous GET {path} returned officer data {leaked:?}: {text}"
            );
        }
    }
    let (_, profile) =
        read_anonymously(platform, &format!("/v1/government-bodies/{BODY_A}/officer")).await;
    for published in OFFICER_A {
        assert!(
            profile.contains(published),
            "the public profile lacks {published}: {profile}"
        );
    }
    for path in &for_callers_only {
        let (status, text) = read_anonymously(platform, path).await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "anonymous GET {path}: {text}"
        );
        let leaked = found_in(&text, &watched[..watched.len() - 1]);
        assert!(
            leaked.is_empty(),
            "anonymous GET {path} returned {leaked:?}: {text}"
        );
    }
    for name in STAFF_X.into_iter().chain([PEOPLE_Y[0]]) {
        let (_, found) = read_anonymously(platform, &format!("/v1/npos?q={name}")).await;
        let found: Value = serde_json::from_str(&found).expect("a page of NPOs");
        assert_eq!(
            found["items"],
            json!([]),
            "a search by the staff name {name} found an NPO"
        );
    }

    let mut scenario = scenario;
    let stopped = scenario.platform.process.terminate(Duration::from_secs(20));
    assert!(
        stopped.is_some(),
        "liaison serve all did not stop on SIGTERM"
    );
    // The reader threads take the last lines from the closed pipes.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let log = scenario.platform.process.log();
    assert!(
        log.watch.count(BODY_A) > 0,
        "the watch saw no log line naming body {BODY_A}"
    );
    let leaked: Vec<String> = log
        .watch
        .seen()
        .into_iter()
        .filter(|(needle, _, _)| *needle != BODY_A)
        .map(|(needle, lines, first)| format!("{needle} in {lines} line(s), first: {first}"))
        .collect();
    assert!(
        leaked.is_empty(),
        "the log contains personal data:\n{}",
        leaked.join("\n")
    );
}
