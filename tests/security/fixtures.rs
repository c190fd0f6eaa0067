//! Records of every kind the routes of the six services address, created through the
//! public API on a running platform, with the path and a valid body for each route.
//!
//! The records belong to government body `BODY_A` and to NPO X. Routes that change a
//! record's status, or need a state that excludes other routes, get a record of their
//! own, so that each write route is valid once in the state the fixtures leave.

mod check;
mod inputs;
mod setup;

use chrono::{Datelike, Days, NaiveDate};
use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};

use crate::platform::{BODY_A, Platform};
use inputs::{
    NEW_NPO_STAFF, action_input, activity_input, appointment_input, assessment_input, body_input,
    body_party, campaign_input, consultation_input, consultative_body_input, correspondence_input,
    expert_group_input, expert_input, import_csv, information_request_input, joint_proposal_input,
    meeting_input, memorandum_input, monitoring_row_input, npo_input, npo_proposal_input,
    officer_request_input, plan_rows, png, priority_input, project_input, reception_input,
    recommendation_input, recommendation_request_input, step_input, working_group_input,
};
use setup::{Setup, head_meeting_input};

/// Body that receives the recommendation officer A forwards and the request officer A
/// sends, so that officer B's body stays outside body A's records.
pub const BODY_C: &str = "security-body-c";
/// Body without an officer, which the appointment route staffs.
pub const BODY_VACANT: &str = "security-body-vacant";
/// Body whose officer the dismissal route dismisses.
pub const BODY_DISMISSAL: &str = "security-body-dismissal";
/// Body whose officer the replacement route replaces.
pub const BODY_REPLACEMENT: &str = "security-body-replacement";
/// Government body that the request body of `POST /v1/government-bodies` registers.
const BODY_NEW: &str = "security-body-new";

/// Subject of officer A's token, as `Platform::start` mints it.
const OFFICER_A: &str = "officer-a";
/// Subject of officer B's token, as `Platform::start` mints it.
const OFFICER_B: &str = "officer-b";

/// KATO code of the Ulytau region, the territory of every fixture body.
const REGION: &str = "620000000";
/// KATO code of the village of Ulytau, inside the region.
const VILLAGE: &str = "623830100";

/// Name of the indicator of the monitoring rows, which measurements name.
const INDICATOR: &str = "Участники";

/// A request body: JSON, or raw bytes with their content type.
#[derive(Debug, Clone)]
pub enum Body {
    Json(Value),
    Raw {
        content_type: &'static str,
        bytes: Vec<u8>,
    },
}

impl Body {
    /// Adds the body and its `Content-Type` to `request`.
    pub fn attach(&self, request: RequestBuilder) -> RequestBuilder {
        match self {
            Self::Json(value) => request.json(value),
            Self::Raw {
                content_type,
                bytes,
            } => request
                .header("Content-Type", *content_type)
                .body(bytes.clone()),
        }
    }
}

/// Ids of the fixture records, by what each is for.
#[derive(Debug, Default)]
pub struct Fixtures {
    /// Local date in Kazakhstan on which the fixtures were created, from which the
    /// dates in request bodies derive.
    today: NaiveDate,

    npo_x: String,
    /// Two records of one NPO without a BIN, for the duplicate list and the merge.
    npo_duplicate: String,
    npo_duplicate_merged: String,
    project: String,
    campaign: String,
    /// Import job of the integrator, finished.
    import_job: String,

    /// Draft assessment that no write route changes, so it stays private.
    assessment_draft: String,
    /// Assessment collecting information, which the edit, activity, priority and NPO
    /// proposal routes address.
    assessment_collecting: String,
    priority: String,
    priority_to_delete: String,
    /// Analysed assessment, which takes joint action proposals.
    assessment_analysed: String,
    priority_analysed: String,
    joint_proposal: String,
    /// Draft assessment whose status the status route moves on.
    assessment_to_advance: String,

    working_group: String,
    /// Draft plan that the rows and approval routes change.
    plan_draft: String,
    /// Approved plan with versions 1 and 2.
    plan_approved: String,
    consultative_body: String,
    /// Draft action with an NPO party, a body party and two steps.
    action_draft: String,
    party_npo: String,
    party_to_delete: String,
    step_to_delete: String,
    /// Action in progress with a monitoring row and a measurement.
    action_running: String,
    monitoring_row: String,
    /// Action in progress that the status route completes.
    action_to_complete: String,
    /// Completed action that the evaluation route evaluates.
    action_completed: String,
    /// Draft memorandum with NPO X, to which the draft action is linked.
    memorandum_draft: String,
    /// Draft memorandum with every signatory, which the signing route signs.
    memorandum_to_sign: String,
    /// Signed memorandum, which the termination route terminates.
    memorandum_signed: String,

    /// NPO X's recommendation in work, with clarification 1 asked and not answered.
    recommendation: String,
    recommendation_to_forward: String,
    /// Recommendation decided, with feedback, so that it can be closed.
    recommendation_to_close: String,
    /// Open request of body A that invites NPO X.
    recommendation_request: String,
    recommendation_request_to_close: String,
    reception_request: String,
    expert: String,
    expert_group: String,
    /// Request of officer A to body C.
    officer_request: String,
    /// Request of officer B to body A, not answered.
    officer_request_to_answer: String,
    /// Incoming appeal of NPO X in body A's correspondence register, awaiting an answer.
    correspondence_entry: String,

    /// Request of the ministry to body A, not answered.
    information_request: String,
    /// Meeting of body A's head with NPOs, a month ahead, which the change route
    /// changes.
    head_meeting: String,
    /// Meeting of body A's head that the cancellation route cancels.
    head_meeting_to_cancel: String,
    /// Meeting of body A's head that started yesterday, whose outcome the outcome route
    /// records.
    head_meeting_to_hold: String,
    /// Body A's report on the current year, a draft.
    report_draft: String,
    /// Body A's report on two years ago, a draft that the submission route submits.
    report_to_submit: String,
    /// Body A's report on the previous year, submitted, with version 1.
    report_submitted: String,

    /// A notification the notifier composed from the fixtures' events.
    notification: String,
}

impl Fixtures {
    /// Creates, through the public API, one record of every kind the routes address,
    /// and registers NPO X and NPO Y with key staff and contacts, so that every route
    /// has a target. Body A owns the records: officer A creates them, the ministry
    /// creates them for body A, or NPO X submits them to body A, as the domain requires.
    pub async fn create(platform: &Platform) -> Self {
        let mut fixtures = Self {
            today: common_models::time::today(),
            ..Self::default()
        };
        let setup = Setup {
            platform,
            today: fixtures.today,
        };
        setup.register_bodies().await;
        setup.fill_registry(&mut fixtures).await;
        setup.assess_needs(&mut fixtures).await;
        setup.plan_jointly(&mut fixtures).await;
        setup.run_joint_actions(&mut fixtures).await;
        setup.sign_memoranda(&mut fixtures).await;
        setup.exchange(&mut fixtures).await;
        setup.report(&mut fixtures).await;
        setup.await_notification(&mut fixtures).await;
        setup.schedule_head_meetings(&mut fixtures).await;
        fixtures
    }

    /// Returns the concrete path for the OpenAPI path `template` of a route, such as
    /// "/v1/joint-actions/{id}/parties/{party_id}", with every placeholder replaced by
    /// the id of the fixture record of body A or NPO X that the route addresses. Routes
    /// whose handler requires query parameters get them too. Panics naming the
    /// template when it has placeholders this module does not know.
    pub fn path(&self, method: &reqwest::Method, template: &str) -> String {
        let query = match template {
            "/v1/competence-map" => format!("?sphere=youth&territory={VILLAGE}"),
            "/v1/collection-campaigns/window-check" => {
                format!("?year={}&government_body={BODY_A}", self.today.year())
            }
            "/v1/joint-plans/{id}/changes" => "?from=1&to=2".to_owned(),
            _ => String::new(),
        };
        if !template.contains('{') {
            return format!("{template}{query}");
        }
        let values = self
            .placeholders(method, template)
            .unwrap_or_else(|| panic!("no fixture for the placeholders of {method} {template}"));
        let mut path = String::new();
        let mut rest = template;
        let mut values = values.into_iter();
        while let Some(start) = rest.find('{') {
            let end = rest[start..]
                .find('}')
                .map(|offset| start + offset)
                .unwrap_or_else(|| panic!("{template} has an unclosed placeholder"));
            let value = values
                .next()
                .unwrap_or_else(|| panic!("too few fixture ids for {method} {template}"));
            path.push_str(&rest[..start]);
            path.push_str(value);
            rest = &rest[end + 1..];
        }
        assert!(
            values.next().is_none(),
            "too many fixture ids for {method} {template}"
        );
        path.push_str(rest);
        format!("{path}{query}")
    }

    /// Returns the values of the placeholders of `template`, in their order, or `None`
    /// for an unknown template.
    fn placeholders(&self, method: &Method, template: &str) -> Option<Vec<&str>> {
        let get = *method == Method::GET;
        let values: Vec<&str> = match template {
            "/v1/events/{service}" | "/v1/audit/{service}" => vec!["registry"],

            "/v1/catalogues/{name}" => vec!["spheres"],
            "/v1/territories/{code}"
            | "/v1/territories/{code}/children"
            | "/v1/territories/{code}/path" => vec![REGION],
            "/v1/npos/{id}" | "/v1/npos/{id}/history" | "/v1/npos/{id}/projects" => {
                vec![&self.npo_x]
            }
            "/v1/npos/{id}/projects/{project_id}" => vec![&self.npo_x, &self.project],
            "/v1/collection-campaigns/{id}" => vec![&self.campaign],
            "/v1/npo-imports/{id}" | "/v1/npo-imports/{id}/rows" => vec![&self.import_job],

            "/v1/needs-assessments/{id}"
            | "/v1/needs-assessments/{id}/activities"
            | "/v1/needs-assessments/{id}/priorities"
            | "/v1/needs-assessments/{id}/priorities.csv"
            | "/v1/needs-assessments/{id}/priorities.xlsx"
            | "/v1/needs-assessments/{id}/npo-proposals" => vec![&self.assessment_collecting],
            "/v1/needs-assessments/{id}/priorities/{priority_id}" if get => {
                vec![&self.assessment_collecting, &self.priority]
            }
            "/v1/needs-assessments/{id}/priorities/{priority_id}" => {
                vec![&self.assessment_collecting, &self.priority_to_delete]
            }
            "/v1/needs-assessments/{id}/status" => vec![&self.assessment_to_advance],
            "/v1/needs-assessments/{id}/joint-action-proposals" => {
                vec![&self.assessment_analysed]
            }
            "/v1/needs-assessments/{id}/joint-action-proposals/{proposal_id}/approval" => {
                vec![&self.assessment_analysed, &self.joint_proposal]
            }

            "/v1/working-groups/{id}"
            | "/v1/working-groups/{id}/meetings"
            | "/v1/working-groups/{id}/reports" => vec![&self.working_group],
            "/v1/joint-plans/{id}/approval" | "/v1/joint-plans/{id}/rows" => {
                vec![&self.plan_draft]
            }
            "/v1/joint-plans/{id}"
            | "/v1/joint-plans/{id}/versions"
            | "/v1/joint-plans/{id}/changes"
            | "/v1/joint-plans/{id}/plan.csv"
            | "/v1/joint-plans/{id}/plan.xlsx" => vec![&self.plan_approved],
            "/v1/consultative-bodies/{id}" | "/v1/consultative-bodies/{id}/progress" => {
                vec![&self.consultative_body]
            }
            "/v1/joint-actions/{id}"
            | "/v1/joint-actions/{id}/parties"
            | "/v1/joint-actions/{id}/steps" => vec![&self.action_draft],
            "/v1/joint-actions/{id}/parties/{party_id}" if *method == Method::DELETE => {
                vec![&self.action_draft, &self.party_to_delete]
            }
            "/v1/joint-actions/{id}/parties/{party_id}" => {
                vec![&self.action_draft, &self.party_npo]
            }
            "/v1/joint-actions/{id}/steps/{step_id}" => {
                vec![&self.action_draft, &self.step_to_delete]
            }
            "/v1/joint-actions/{id}/monitoring"
            | "/v1/joint-actions/{id}/monitoring-plan.csv"
            | "/v1/joint-actions/{id}/monitoring-plan.xlsx"
            | "/v1/joint-actions/{id}/monitoring-rows" => vec![&self.action_running],
            "/v1/joint-actions/{id}/monitoring-rows/{row_id}/measurements" => {
                vec![&self.action_running, &self.monitoring_row]
            }
            "/v1/joint-actions/{id}/status" => vec![&self.action_to_complete],
            "/v1/joint-actions/{id}/evaluation" => vec![&self.action_completed],
            "/v1/memoranda/{id}" | "/v1/memoranda/{id}/actions" => vec![&self.memorandum_draft],
            "/v1/memoranda/{id}/actions/{action_id}" => {
                vec![&self.memorandum_draft, &self.action_draft]
            }
            "/v1/memoranda/{id}/signing" => vec![&self.memorandum_to_sign],
            "/v1/memoranda/{id}/termination" => vec![&self.memorandum_signed],

            "/v1/recommendations/{id}"
            | "/v1/recommendations/{id}/decision"
            | "/v1/recommendations/{id}/feedback"
            | "/v1/recommendations/{id}/clarification-requests" => vec![&self.recommendation],
            "/v1/recommendations/{id}/clarifications/{number}/answer" => {
                vec![&self.recommendation, "1"]
            }
            "/v1/recommendations/{id}/forwarding" => vec![&self.recommendation_to_forward],
            "/v1/recommendations/{id}/close" => vec![&self.recommendation_to_close],
            "/v1/recommendation-requests/{id}" => vec![&self.recommendation_request],
            "/v1/recommendation-requests/{id}/close" => {
                vec![&self.recommendation_request_to_close]
            }
            "/v1/reception-requests/{id}" | "/v1/reception-requests/{id}/appointment" => {
                vec![&self.reception_request]
            }
            "/v1/experts/{id}" => vec![&self.expert],
            "/v1/expert-groups/{id}" => vec![&self.expert_group],
            "/v1/officer-requests/{id}" => vec![&self.officer_request],
            "/v1/officer-requests/{id}/answer" => vec![&self.officer_request_to_answer],
            "/v1/correspondence/{id}" => vec![&self.correspondence_entry],

            "/v1/government-bodies/{id}/officer" if *method == Method::POST => vec![BODY_VACANT],
            "/v1/government-bodies/{id}"
            | "/v1/government-bodies/{id}/officer"
            | "/v1/government-bodies/{id}/officer/photo"
            | "/v1/government-bodies/{id}/officers" => vec![BODY_A],
            "/v1/government-bodies/{id}/officer/dismissal" => vec![BODY_DISMISSAL],
            "/v1/government-bodies/{id}/officer/replacement" => vec![BODY_REPLACEMENT],
            "/v1/information-requests/{id}" | "/v1/information-requests/{id}/answers" => {
                vec![&self.information_request]
            }
            "/v1/head-meetings/{id}" => vec![&self.head_meeting],
            "/v1/head-meetings/{id}/cancellation" => vec![&self.head_meeting_to_cancel],
            "/v1/head-meetings/{id}/outcome" => vec![&self.head_meeting_to_hold],
            "/v1/annual-reports/{id}" | "/v1/annual-reports/{id}/report.xlsx" => {
                vec![&self.report_draft]
            }
            "/v1/annual-reports/{id}/submission" => vec![&self.report_to_submit],
            "/v1/annual-reports/{id}/review" | "/v1/annual-reports/{id}/versions" => {
                vec![&self.report_submitted]
            }
            "/v1/annual-reports/{id}/versions/{number}" => vec![&self.report_submitted, "1"],
            "/v1/notifications/{id}/retry" => vec![&self.notification],
            _ => return None,
        };
        Some(values)
    }

    /// Returns a valid request body for the write route `method template`, for which
    /// its owner gets a 2xx when sending it once to [`Fixtures::path`], or `None` for
    /// routes that take no body. Panics naming the route for a write route it does not
    /// know.
    pub fn body(&self, method: &reqwest::Method, template: &str) -> Option<Body> {
        let today = self.today;
        let year = today.year();
        let value = match (method.as_str(), template) {
            ("GET" | "DELETE", _)
            | (
                "POST",
                "/v1/annual-reports/{id}/submission"
                | "/v1/joint-plans/{id}/approval"
                | "/v1/read-models/rebuild"
                | "/v1/recommendations/{id}/close"
                | "/v1/recommendation-requests/{id}/close"
                | "/v1/notifications/{id}/retry",
            ) => return None,

            // A token of no address, so no caller opts anything out.
            ("POST", "/v1/opt-outs") => json!({"token": "not-an-opt-out-token"}),

            ("POST", "/v1/npo-imports") => {
                return Some(Body::Raw {
                    content_type: "text/csv",
                    bytes: import_csv("Волонтёры импорта").into_bytes(),
                });
            }
            ("PUT", "/v1/government-bodies/{id}/officer/photo") => {
                return Some(Body::Raw {
                    content_type: "image/png",
                    bytes: png(2048),
                });
            }

            ("POST", "/v1/npos") => {
                npo_input(None, "Общественный фонд «Жаңа толқын»", &NEW_NPO_STAFF)
            }
            ("PATCH", "/v1/npos/{id}") => json!({
                "name_kk": "«Жастар әлемі» қоғамдық бірлестігі",
                "source": "npo_representatives"
            }),
            ("POST", "/v1/npos/{id}/projects") => project_input("Летняя школа волонтёров", today),
            ("POST", "/v1/npo-merges") => json!({
                "keep": self.npo_duplicate,
                "merge": self.npo_duplicate_merged
            }),
            ("POST", "/v1/collection-campaigns") => campaign_input(year - 1),

            ("POST", "/v1/needs-assessments") => {
                assessment_input("Оценка потребностей детей", year)
            }
            ("PATCH", "/v1/needs-assessments/{id}") => {
                json!({"title": "Оценка потребностей молодёжи области Ұлытау, уточнённая"})
            }
            ("POST", "/v1/needs-assessments/{id}/status") => json!({"status": "collecting"}),
            ("POST", "/v1/needs-assessments/{id}/activities") => activity_input(year),
            ("POST", "/v1/needs-assessments/{id}/priorities") => {
                priority_input("Нет спортивных секций в сёлах")
            }
            ("POST", "/v1/needs-assessments/{id}/npo-proposals") => npo_proposal_input(),
            ("POST", "/v1/needs-assessments/{id}/joint-action-proposals") => {
                joint_proposal_input("Спортивные секции при школах", &self.priority_analysed)
            }
            (
                "POST",
                "/v1/needs-assessments/{id}/joint-action-proposals/{proposal_id}/approval",
            ) => {
                json!({
                    "approved_on": today.to_string(),
                    "approved_by": "Заместитель акима области",
                    "document": "Протокол №5"
                })
            }

            ("POST", "/v1/working-groups") => {
                working_group_input("Рабочая группа по делам детей", &self.npo_x)
            }
            ("POST", "/v1/working-groups/{id}/meetings") => meeting_input(today),
            ("POST", "/v1/working-groups/{id}/reports") => json!({
                "kind": "intermediate",
                "reported_on": today.to_string(),
                "summary": "Подготовлен проект программы летнего отдыха"
            }),
            ("POST", "/v1/joint-plans") => json!({
                "title": format!("Совместный план на {} год по делам детей", year + 1),
                "working_group_id": self.working_group,
                "rows": plan_rows(year, "Форум детских НПО")
            }),
            ("PUT", "/v1/joint-plans/{id}/rows") => {
                json!({"rows": plan_rows(year, "Семинар по отчётности НПО")})
            }
            ("POST", "/v1/consultative-bodies") => {
                consultative_body_input("Общественный совет по делам детей", today)
            }
            ("POST", "/v1/consultative-bodies/{id}/progress") => json!({
                "on": today.to_string(),
                "note": "Предложения совета включены в план"
            }),
            ("POST", "/v1/joint-actions") => action_input("Спортивные секции для детей"),
            ("PATCH", "/v1/joint-actions/{id}") => {
                json!({"title": "Кружки для подростков в сёлах, второй набор"})
            }
            ("POST", "/v1/joint-actions/{id}/parties") => {
                body_party("Отдел образования района Ұлытау")
            }
            ("PATCH", "/v1/joint-actions/{id}/parties/{party_id}") => {
                json!({"representative": "Ерлан Досов"})
            }
            ("POST", "/v1/joint-actions/{id}/steps") => step_input(3, "Отчёт о наборе", year),
            ("POST", "/v1/joint-actions/{id}/status") => json!({"status": "completed"}),
            ("POST", "/v1/joint-actions/{id}/evaluation") => json!({
                "effectiveness": "Цели достигнуты",
                "results": "112 подростков в 5 кружках"
            }),
            ("POST", "/v1/joint-actions/{id}/monitoring-rows") => {
                monitoring_row_input("Выездные занятия кружков")
            }
            ("POST", "/v1/joint-actions/{id}/monitoring-rows/{row_id}/measurements") => json!({
                "indicator": INDICATOR,
                "measured_on": today.to_string(),
                "value": 64,
                "evidence": "журнал посещений"
            }),
            ("POST", "/v1/memoranda") => memorandum_input(
                "Сотрудничество в развитии детского спорта",
                &self.npo_x,
                today,
            ),
            ("PATCH", "/v1/memoranda/{id}") => {
                json!({"subject": "Сотрудничество в поддержке молодёжных инициатив, уточнённое"})
            }
            ("POST", "/v1/memoranda/{id}/actions") => json!({"action_id": self.action_running}),
            ("POST", "/v1/memoranda/{id}/signing") => json!({"signed_on": today.to_string()}),
            ("POST", "/v1/memoranda/{id}/termination") => {
                json!({"reason": "НПО прекратило работу с молодёжью"})
            }

            ("POST", "/v1/recommendations") => {
                recommendation_input("Открыть спортивную секцию в Сатпаеве")
            }
            ("POST", "/v1/recommendations/{id}/decision") => json!({
                "handling": "included_in_plans",
                "reason": "Включено в план на следующий год"
            }),
            ("POST", "/v1/recommendations/{id}/feedback") => {
                json!({"feedback": "Центр включен в план работы управления"})
            }
            ("POST", "/v1/recommendations/{id}/clarification-requests") => {
                json!({"question": "Сколько подростков будет заниматься?"})
            }
            ("POST", "/v1/recommendations/{id}/clarifications/{number}/answer") => {
                json!({"answer": "В Жезказгане"})
            }
            ("POST", "/v1/recommendations/{id}/forwarding") => json!({
                "to_body": BODY_C,
                "reason": "Вопрос в компетенции другого органа"
            }),
            ("POST", "/v1/recommendation-requests") => recommendation_request_input(
                "Предложения к плану на следующий год",
                today,
                &self.npo_x,
            ),
            ("POST", "/v1/reception-requests") => reception_input("Аренда помещения"),
            ("POST", "/v1/reception-requests/{id}/appointment") => json!({
                "appointed_on": (today + Days::new(7)).to_string(),
                "place": "Кабинет 305"
            }),
            ("POST", "/v1/consultations") => consultation_input(today, &self.npo_x),
            ("POST", "/v1/experts") => expert_input("Марат Ахметов"),
            ("POST", "/v1/expert-groups") => {
                expert_group_input("Экспертный совет по делам детей", &self.expert)
            }
            ("POST", "/v1/officer-requests") => {
                officer_request_input(BODY_C, "Сколько детских НПО в районах?", today)
            }
            ("POST", "/v1/correspondence") => {
                correspondence_input(today, &self.npo_x, "О грантах для детских НПО")
            }
            ("PATCH", "/v1/correspondence/{id}") => json!({"file_ref": "edo://2026/vh/1"}),
            ("POST", "/v1/officer-requests/{id}/answer") => json!({
                "answer": "42 НПО в шести районах",
                "result": "Данные включены в план акимата"
            }),

            ("POST", "/v1/government-bodies") => body_input(BODY_NEW, "Управление спорта"),
            ("POST", "/v1/government-bodies/{id}/officer") => {
                appointment_input("officer-vacant", "Нурлан Бекенов", None)
            }
            ("PATCH", "/v1/government-bodies/{id}/officer") => {
                json!({"reception_schedule": "Среда, 10:00–13:00"})
            }
            ("POST", "/v1/government-bodies/{id}/officer/dismissal") => json!({
                "reason": "dismissal",
                "dismissed_on": today.to_string()
            }),
            ("POST", "/v1/government-bodies/{id}/officer/replacement") => json!({
                "reason": "transfer",
                "replaced_on": today.to_string(),
                "successor": appointment_input("officer-successor", "Дана Ахметова", None)
            }),
            ("POST", "/v1/head-meetings") => head_meeting_input(today + Days::new(40)),
            ("PATCH", "/v1/head-meetings/{id}") => {
                json!({"agenda": "Итоги года и планы молодёжных НПО"})
            }
            ("POST", "/v1/head-meetings/{id}/cancellation") => {
                json!({"reason": "Аким в командировке; новая дата будет объявлена"})
            }
            ("POST", "/v1/head-meetings/{id}/outcome") => {
                json!({"outcome": "Решено провести форум молодёжных НПО"})
            }
            ("POST", "/v1/information-requests") => {
                information_request_input("Число НПО с грантами", today)
            }
            ("POST", "/v1/information-requests/{id}/answers") => {
                json!({"text": "Гранты получили 12 НПО на 48 млн тенге"})
            }
            ("POST", "/v1/annual-reports") => json!({"year": year - 3}),
            ("PATCH", "/v1/annual-reports/{id}") => json!({"narrative": {
                "summary": "Год совместной работы с молодежными НПО области",
                "npos": "Сведения о НПО обновлены",
                "needs": "Проведен круглый стол",
                "planning": "Рабочая группа утвердила совместный план",
                "actions": "Открыты кружки для подростков",
                "recommendations": "Одна рекомендация включена в планы",
                "consultations": "Оказана одна консультация",
                "officers": "Дан ответ на запрос акимата"
            }}),
            ("POST", "/v1/annual-reports/{id}/review") => json!({"decision": "accepted"}),

            _ => panic!("no fixture body for {method} {template}"),
        };
        Some(Body::Json(value))
    }

    /// Returns the ids, as JSON responses show them, of the records that belong to body
    /// A or NPO X and are not public, each with the GET template that reads it. Every
    /// template has the one placeholder `{id}`, which the id replaces.
    pub fn private_records(&self) -> Vec<(String, &'static str)> {
        let records = [
            (&self.campaign, "/v1/collection-campaigns/{id}"),
            (&self.assessment_draft, "/v1/needs-assessments/{id}"),
            (&self.assessment_analysed, "/v1/needs-assessments/{id}"),
            (&self.working_group, "/v1/working-groups/{id}"),
            (&self.plan_draft, "/v1/joint-plans/{id}"),
            (&self.plan_approved, "/v1/joint-plans/{id}"),
            (&self.consultative_body, "/v1/consultative-bodies/{id}"),
            (&self.action_draft, "/v1/joint-actions/{id}"),
            (&self.action_running, "/v1/joint-actions/{id}"),
            (&self.action_completed, "/v1/joint-actions/{id}"),
            (&self.memorandum_draft, "/v1/memoranda/{id}"),
            (&self.memorandum_signed, "/v1/memoranda/{id}"),
            (&self.recommendation, "/v1/recommendations/{id}"),
            (&self.recommendation_to_close, "/v1/recommendations/{id}"),
            (
                &self.recommendation_request,
                "/v1/recommendation-requests/{id}",
            ),
            (&self.reception_request, "/v1/reception-requests/{id}"),
            (&self.expert, "/v1/experts/{id}"),
            (&self.expert_group, "/v1/expert-groups/{id}"),
            (&self.officer_request, "/v1/officer-requests/{id}"),
            (&self.correspondence_entry, "/v1/correspondence/{id}"),
            (&self.information_request, "/v1/information-requests/{id}"),
            (&self.report_draft, "/v1/annual-reports/{id}"),
            (&self.report_to_submit, "/v1/annual-reports/{id}"),
            (&self.report_submitted, "/v1/annual-reports/{id}"),
        ];
        records
            .into_iter()
            .map(|(id, template)| (id.clone(), template))
            .collect()
    }
}
