//! The officer's annual report to the ministry (appendix 4 of the regulation): tables
//! 1 to 7 assembled from the read models, their attachments, the narrative the
//! officer writes, and the review by the ministry.

use chrono::{Datelike, NaiveDate};
use common_models::event::{joint_actions as ja, needs, recommendations as rec, registry};
use common_models::{Catalogue, KatoCode};
use serde::{Deserialize, Serialize};
use service_kit::ApiError;
use service_kit::export::{Cell, Table};
use service_kit::settings::Settings;
use utoipa::ToSchema;

use super::{Errors, codes, multiline_text};
use crate::readmodel::NpoState;

/// Maximum length of one narrative part, in characters.
const MAX_NARRATIVE: usize = 20_000;

/// Setting naming the day, as `MM-DD` of the following year, by which the report on
/// a year is due.
pub const DUE_SETTING: &str = "ANNUAL_REPORT_DUE";

/// Month and day of the following year by which a report is due when the setting is
/// not given.
pub const DEFAULT_DUE: (u32, u32) = (1, 15);

/// Reads the submission deadline of the annual reports from the settings.
pub fn due_day(settings: &Settings) -> anyhow::Result<(u32, u32)> {
    let Some(raw) = settings.option(DUE_SETTING) else {
        return Ok(DEFAULT_DUE);
    };
    let parsed = raw.split_once('-').and_then(|(month, day)| {
        let month: u32 = month.parse().ok()?;
        let day: u32 = day.parse().ok()?;
        // 2023 is not a leap year, so 29 February is refused as a yearly deadline.
        NaiveDate::from_ymd_opt(2023, month, day).map(|_| (month, day))
    });
    parsed.ok_or_else(|| {
        anyhow::anyhow!(
            "LIAISON_{DUE_SETTING}={raw} is not a day of the year as MM-DD, such as 01-15"
        )
    })
}

/// Returns the deadline of the report on `year` for the deadline day `report_due`, as
/// (month, day) of the following year.
pub fn due_on(report_due: (u32, u32), year: i32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year + 1, report_due.0, report_due.1)
}

/// Stage of an annual report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportStatus {
    /// The officer is preparing it; its tables follow the read models.
    Draft,
    /// Sent to the ministry; its content is frozen in a version.
    Submitted,
    /// The ministry sent it back with comments; the officer corrects and resubmits.
    Returned,
    /// The ministry accepted it.
    Accepted,
}

codes!(ReportStatus as "annual_report_status" {
    Draft = "draft" { "Черновик", "Жоба", "Draft" },
    Submitted = "submitted" { "Представлен", "Ұсынылды", "Submitted" },
    Returned = "returned" { "Возвращён на доработку", "Пысықтауға қайтарылды", "Returned" },
    Accepted = "accepted" { "Принят", "Қабылданды", "Accepted" },
});

impl ReportStatus {
    /// Returns whether the officer may change the narrative and submit.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Draft | Self::Returned)
    }
}

/// The parts of the report the officer writes, one per section of appendix 4 and a
/// summary. Each is free text; absent parts are empty in the exports.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Narrative {
    pub summary: Option<String>,
    /// Section 1: collecting and updating information about NPOs.
    pub npos: Option<String>,
    /// Section 2: needs assessment and priorities.
    pub needs: Option<String>,
    /// Section 3: joint planning.
    pub planning: Option<String>,
    /// Section 4: joint actions.
    pub actions: Option<String>,
    /// Section 5: recommendations.
    pub recommendations: Option<String>,
    /// Section 6: expert and consultation work.
    pub consultations: Option<String>,
    /// Section 7: interaction with other officers.
    pub officers: Option<String>,
}

impl Narrative {
    /// Checks every part, listing each that is too long or contains control characters.
    pub fn parse(&self) -> Result<Narrative, ApiError> {
        let mut errors = Errors::default();
        let mut part = |name: &str, value: &Option<String>| {
            errors
                .check(
                    format!("/narrative/{name}"),
                    multiline_text(value.as_deref(), MAX_NARRATIVE),
                )
                .flatten()
        };
        let parsed = Narrative {
            summary: part("summary", &self.summary),
            npos: part("npos", &self.npos),
            needs: part("needs", &self.needs),
            planning: part("planning", &self.planning),
            actions: part("actions", &self.actions),
            recommendations: part("recommendations", &self.recommendations),
            consultations: part("consultations", &self.consultations),
            officers: part("officers", &self.officers),
        };
        errors.into_result()?;
        Ok(parsed)
    }

    fn parts(&self) -> [(&'static str, &Option<String>); 8] {
        [
            ("Общие итоги", &self.summary),
            (
                "1) Сбор и актуализация сведений о деятельности НПО",
                &self.npos,
            ),
            ("2) Оценка нужд и потребностей общества", &self.needs),
            ("3) Совместное планирование", &self.planning),
            ("4) Реализация совместных действий", &self.actions),
            ("5) Учёт рекомендаций", &self.recommendations),
            (
                "6) Экспертная и консультационная работа",
                &self.consultations,
            ),
            (
                "7) Взаимодействие с другими Уполномоченными",
                &self.officers,
            ),
        ]
    }
}

/// Register entry of the body a report is about.
#[derive(Debug, Clone)]
pub struct ReportBody {
    pub id: String,
    pub name_ru: String,
    pub territory: Option<KatoCode>,
    pub spheres: Vec<String>,
}

/// Names of other bodies, for table 7.
pub type BodyNames = std::collections::HashMap<String, String>;

/// The read-model records an annual report is assembled from.
#[derive(Debug, Default)]
pub struct Sources {
    pub npos: Vec<NpoState>,
    pub projects: Vec<registry::ProjectRecorded>,
    pub assessments: Vec<needs::AssessmentPublished>,
    pub meetings: Vec<ja::MeetingRecorded>,
    pub plans: Vec<ja::PlanVersioned>,
    pub actions: Vec<ja::ActionStateChanged>,
    pub monitoring: Vec<ja::MonitoringChanged>,
    pub recommendations: Vec<rec::RecommendationChanged>,
    pub consultations: Vec<rec::ConsultationRecorded>,
    pub officer_requests: Vec<rec::OfficerRequestChanged>,
}

/// The assembled content of an annual report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ReportContent {
    pub government_body: String,
    pub government_body_name: String,
    pub year: i32,
    /// Day the tables were assembled, in Asia/Almaty.
    pub assembled_on: NaiveDate,
    pub tables: ReportTables,
    pub attachments: Attachments,
    pub narrative: Narrative,
}

/// Tables 1 to 7 of appendix 4.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ReportTables {
    /// Table 1: NPOs working in the body's territory and spheres.
    pub npos: Vec<NpoRow>,
    /// Table 1, continued: NPO projects of the year in the body's territory and spheres.
    pub projects: Vec<ProjectRow>,
    /// Table 2: activities to identify needs.
    pub needs: Vec<NeedsRow>,
    /// Table 3: joint planning.
    pub planning: Vec<PlanningRow>,
    /// Table 4: joint actions.
    pub actions: Vec<ActionRow>,
    /// Table 5: recommendations received and how they were taken into account.
    pub recommendations: Vec<RecommendationRow>,
    /// Table 6: expert and consultation work, support given to NPOs and received.
    pub consultations: Vec<ConsultationRow>,
    /// Table 7: interaction with other officers.
    pub officers: Vec<OfficerRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct NpoRow {
    pub npo_id: String,
    pub name: String,
    pub spheres: Vec<String>,
    pub target_groups: Vec<String>,
    pub territories: Vec<String>,
    pub forms_of_work: Vec<String>,
    pub founded_on: Option<NaiveDate>,
    pub key_staff: Vec<String>,
    pub contacts: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ProjectRow {
    pub name: String,
    pub organisation: String,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub funding_source: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct NeedsRow {
    pub held_on: NaiveDate,
    pub form: String,
    pub participant_categories: Vec<String>,
    pub responsible_staff: String,
    /// Number of the attachment holding the assessment's priorities form.
    pub attachment: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PlanningRow {
    pub held_on: NaiveDate,
    pub form: String,
    pub participant_categories: Vec<String>,
    pub participants: Option<i64>,
    pub responsible_staff: String,
    pub result: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ActionRow {
    pub action_id: String,
    pub title: String,
    pub status: String,
    /// Number of the attachment holding the action's monitoring and evaluation plan,
    /// when it has one.
    pub attachment: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RecommendationRow {
    pub recommendation_id: String,
    pub sphere: String,
    pub author: Option<String>,
    pub contacts: Option<String>,
    pub received_on: NaiveDate,
    pub answered_on: Option<NaiveDate>,
    pub initiator: Option<String>,
    pub responsible: Option<String>,
    /// `accepted`, `rejected` … once decided, `forwarded` when another body handles
    /// it, `in_work` before a decision.
    pub handling: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ConsultationRow {
    /// `given` to NPOs or `received` from them.
    pub direction: String,
    pub held_on: NaiveDate,
    pub counterpart: String,
    pub contacts: Option<String>,
    pub sphere: Option<String>,
    pub question: String,
    pub form: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OfficerRow {
    /// The other body.
    pub government_body: String,
    pub government_body_name: Option<String>,
    pub contacts: Option<String>,
    pub sphere: Option<String>,
    pub question: String,
    pub sent_on: NaiveDate,
    /// `own` when this body asked, `other` when the other body did.
    pub initiator: String,
    pub format: Option<String>,
    pub result: Option<String>,
}

/// The forms attached to the report, numbered from 1 in each list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Attachments {
    /// Form "Identified priorities" of each assessment in table 2.
    pub priorities: Vec<PrioritiesForm>,
    /// Form "Joint work plan" of each plan approved or changed in the year.
    pub joint_plans: Vec<JointPlanForm>,
    /// Form "Monitoring and evaluation plan" of each action in table 4.
    pub monitoring_plans: Vec<MonitoringForm>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PrioritiesForm {
    pub number: usize,
    pub assessment_id: String,
    pub title: Option<String>,
    #[schema(value_type = Vec<Object>)]
    pub rows: Vec<needs::PriorityIdentified>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct JointPlanForm {
    pub number: usize,
    pub plan_id: String,
    pub title: Option<String>,
    pub version: i32,
    #[schema(value_type = Vec<Object>)]
    pub rows: Vec<ja::JointPlanRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MonitoringForm {
    pub number: usize,
    pub action_id: String,
    pub title: Option<String>,
    #[schema(value_type = Vec<Object>)]
    pub rows: Vec<ja::MonitoringRow>,
}

fn in_year(day: NaiveDate, year: i32) -> bool {
    day.year() == year
}

fn overlaps_year(start: Option<NaiveDate>, end: Option<NaiveDate>, year: i32) -> bool {
    let starts_before_end = start.is_none_or(|s| s.year() <= year);
    let ends_after_start = end.is_none_or(|e| e.year() >= year);
    starts_before_end && ends_after_start
}

/// Returns whether one of `territories` lies in the body's territory or contains it.
/// Every territory does for a central body.
fn within(body: &ReportBody, territories: &[String]) -> bool {
    let Some(home) = &body.territory else {
        return true;
    };
    territories.iter().any(|code| {
        KatoCode::parse(code).is_ok_and(|code| home.contains(&code) || code.contains(home))
    })
}

fn npo_name(npo: &NpoState) -> String {
    npo.name_ru
        .clone()
        .or_else(|| npo.name_kk.clone())
        .or_else(|| npo.bin.clone())
        .unwrap_or_else(|| npo.npo_id.clone())
}

/// Assembles the report of `body` for `year` from `sources`, as of `today`.
pub fn assemble(
    body: &ReportBody,
    names: &BodyNames,
    year: i32,
    today: NaiveDate,
    sources: Sources,
    narrative: Narrative,
) -> ReportContent {
    let works_here = |spheres: &[String], territories: &[String]| {
        spheres.iter().any(|s| body.spheres.contains(s)) && within(body, territories)
    };

    let mut npos: Vec<&NpoState> = sources
        .npos
        .iter()
        .filter(|n| n.status != "liquidated" && works_here(&n.spheres, &n.territories))
        .filter(|n| {
            let founded = n.card.as_ref().and_then(|card| card.founded_on);
            founded.is_none_or(|day| day.year() <= year)
        })
        .collect();
    npos.sort_by_key(|n| (npo_name(n), n.npo_id.clone()));
    let npo_rows = npos
        .iter()
        .map(|n| {
            let card = n.card.clone().unwrap_or_default();
            NpoRow {
                npo_id: n.npo_id.clone(),
                name: npo_name(n),
                spheres: n.spheres.clone(),
                target_groups: card.target_groups,
                territories: n.territories.clone(),
                forms_of_work: card.forms_of_work,
                founded_on: card.founded_on,
                key_staff: card
                    .key_staff
                    .iter()
                    .map(|s| match &s.position {
                        Some(position) => format!("{}, {position}", s.full_name),
                        None => s.full_name.clone(),
                    })
                    .collect(),
                contacts: [card.phone, card.email, card.address]
                    .into_iter()
                    .flatten()
                    .chain(card.web_resources)
                    .collect(),
            }
        })
        .collect();

    let organisation = |npo_id: &str| {
        sources
            .npos
            .iter()
            .find(|n| n.npo_id == npo_id)
            .map_or_else(|| npo_id.to_owned(), npo_name)
    };
    let mut projects: Vec<ProjectRow> = sources
        .projects
        .iter()
        .filter(|p| overlaps_year(p.starts_on, p.ends_on, year))
        .filter(|p| {
            let npo = sources.npos.iter().find(|n| n.npo_id == p.npo_id);
            let spheres = p.sphere.clone().map_or_else(
                || npo.map(|n| n.spheres.clone()).unwrap_or_default(),
                |s| vec![s],
            );
            let territories = p.territory.clone().map_or_else(
                || npo.map(|n| n.territories.clone()).unwrap_or_default(),
                |t| vec![t],
            );
            works_here(&spheres, &territories)
        })
        .map(|p| ProjectRow {
            name: p.name.clone().unwrap_or_else(|| p.project_id.clone()),
            organisation: organisation(&p.npo_id),
            starts_on: p.starts_on,
            ends_on: p.ends_on,
            funding_source: p.funding_source.clone(),
        })
        .collect();
    projects.sort_by(|a, b| (a.starts_on, &a.name).cmp(&(b.starts_on, &b.name)));

    let mut priorities_forms = Vec::new();
    let mut needs_rows = Vec::new();
    let mut assessments: Vec<&needs::AssessmentPublished> = sources
        .assessments
        .iter()
        .filter(|a| a.activities.iter().any(|x| in_year(x.held_on, year)))
        .collect();
    assessments.sort_by_key(|a| (a.period_start, a.assessment_id.clone()));
    for assessment in assessments {
        let number = priorities_forms.len() + 1;
        priorities_forms.push(PrioritiesForm {
            number,
            assessment_id: assessment.assessment_id.clone(),
            title: assessment.title.clone(),
            rows: assessment.priorities.clone(),
        });
        needs_rows.extend(
            assessment
                .activities
                .iter()
                .filter(|x| in_year(x.held_on, year))
                .map(|x| NeedsRow {
                    held_on: x.held_on,
                    form: x.form.clone(),
                    participant_categories: x.participant_categories.clone(),
                    responsible_staff: x.responsible_staff.clone(),
                    attachment: number,
                }),
        );
    }
    needs_rows.sort_by_key(|r| (r.held_on, r.attachment));

    let mut planning: Vec<PlanningRow> = sources
        .meetings
        .iter()
        .filter(|m| in_year(m.held_on, year))
        .map(|m| PlanningRow {
            held_on: m.held_on,
            form: m.form.clone(),
            participant_categories: m.participant_categories.clone(),
            participants: m.participants,
            responsible_staff: m.responsible_staff.clone(),
            result: m.result.clone(),
        })
        .collect();
    planning.sort_by(|a, b| (a.held_on, &a.form).cmp(&(b.held_on, &b.form)));

    let mut plans: Vec<&ja::PlanVersioned> = sources
        .plans
        .iter()
        .filter(|p| p.approved_on.is_none_or(|d| in_year(d, year)))
        .collect();
    plans.sort_by_key(|p| (p.approved_on, p.plan_id.clone()));
    let joint_plans = plans
        .iter()
        .enumerate()
        .map(|(index, p)| JointPlanForm {
            number: index + 1,
            plan_id: p.plan_id.clone(),
            title: p.title.clone(),
            version: p.version,
            rows: p.rows.clone(),
        })
        .collect();

    let mut actions: Vec<&ja::ActionStateChanged> = sources
        .actions
        .iter()
        .filter(|a| a.to != "planned" || a.started_on.is_some())
        .filter(|a| overlaps_year(a.started_on, a.completed_on, year))
        .collect();
    actions.sort_by_key(|a| (a.started_on, a.action_id.clone()));
    let mut monitoring_plans = Vec::new();
    let action_rows = actions
        .iter()
        .map(|a| {
            let plan = sources
                .monitoring
                .iter()
                .find(|m| m.action_id == a.action_id);
            let attachment = plan.map(|m| {
                let number = monitoring_plans.len() + 1;
                monitoring_plans.push(MonitoringForm {
                    number,
                    action_id: a.action_id.clone(),
                    title: a.title.clone(),
                    rows: m.rows.clone(),
                });
                number
            });
            ActionRow {
                action_id: a.action_id.clone(),
                title: a.title.clone().unwrap_or_else(|| a.action_id.clone()),
                status: a.to.clone(),
                attachment,
            }
        })
        .collect();

    let mut recommendations: Vec<RecommendationRow> = sources
        .recommendations
        .iter()
        .filter(|r| in_year(r.received_on, year))
        .map(|r| RecommendationRow {
            recommendation_id: r.recommendation_id.clone(),
            sphere: r.sphere.clone(),
            author: r.author_name.clone(),
            contacts: r.contacts.clone(),
            received_on: r.received_on,
            answered_on: r.answered_on,
            initiator: r.initiator.clone(),
            responsible: r.responsible_name.clone(),
            handling: if r.government_body != body.id {
                "forwarded".to_owned()
            } else {
                r.handling.clone().unwrap_or_else(|| "in_work".to_owned())
            },
        })
        .collect();
    recommendations.sort_by(|a, b| {
        (a.received_on, &a.recommendation_id).cmp(&(b.received_on, &b.recommendation_id))
    });

    let mut consultations: Vec<ConsultationRow> = sources
        .consultations
        .iter()
        .filter(|c| in_year(c.held_on, year))
        .map(|c| ConsultationRow {
            direction: c.direction.clone(),
            held_on: c.held_on,
            counterpart: c.counterpart.clone(),
            contacts: c.contacts.clone(),
            sphere: c.sphere.clone(),
            question: c.question.clone(),
            form: c.form.clone(),
        })
        .collect();
    consultations.sort_by(|a, b| {
        (a.direction != "given", a.held_on, &a.counterpart).cmp(&(
            b.direction != "given",
            b.held_on,
            &b.counterpart,
        ))
    });

    let mut officers: Vec<OfficerRow> = sources
        .officer_requests
        .iter()
        .filter(|r| in_year(r.sent_on, year))
        .map(|r| {
            let own = r.from_body == body.id;
            let other = if own { &r.to_body } else { &r.from_body };
            OfficerRow {
                government_body: other.clone(),
                government_body_name: names.get(other).cloned(),
                contacts: r.contacts.clone(),
                sphere: r.sphere.clone(),
                question: r.question.clone(),
                sent_on: r.sent_on,
                initiator: if own { "own" } else { "other" }.to_owned(),
                format: r.format.clone(),
                result: r.result.clone(),
            }
        })
        .collect();
    officers.sort_by(|a, b| (a.sent_on, &a.government_body).cmp(&(b.sent_on, &b.government_body)));

    ReportContent {
        government_body: body.id.clone(),
        government_body_name: body.name_ru.clone(),
        year,
        assembled_on: today,
        tables: ReportTables {
            npos: npo_rows,
            projects,
            needs: needs_rows,
            planning,
            actions: action_rows,
            recommendations,
            consultations,
            officers,
        },
        attachments: Attachments {
            priorities: priorities_forms,
            joint_plans,
            monitoring_plans,
        },
        narrative,
    }
}

/// Russian label of a catalogue code, or the code itself when the catalogue lacks it.
fn label<C: Catalogue>(code: &str) -> String {
    C::from_code(code).map_or_else(|| code.to_owned(), |c| c.labels().ru.to_owned())
}

fn labels<C: Catalogue>(codes: &[String]) -> String {
    codes
        .iter()
        .map(|c| label::<C>(c))
        .collect::<Vec<_>>()
        .join("; ")
}

fn date(day: Option<NaiveDate>) -> Cell {
    day.map_or(Cell::Empty, |d| {
        Cell::Text(d.format("%d.%m.%Y").to_string())
    })
}

fn text(value: &Option<String>) -> Cell {
    value.clone().into()
}

fn number(index: usize) -> Cell {
    Cell::Number(index as f64 + 1.0)
}

/// Returns the information source of a priority in Russian with its details, such as
/// "Официальная статистика: Бюро национальной статистики, 2023".
fn source(priority: &needs::PriorityIdentified) -> Option<String> {
    let label = priority
        .information_source
        .as_deref()
        .map(label::<common_models::NeedsInformationSource>);
    match (label, &priority.source_details) {
        (Some(label), Some(details)) => Some(format!("{label}: {details}")),
        (label, details) => label.or_else(|| details.clone()),
    }
}

fn handling_label(code: &str) -> String {
    match code {
        "accepted" => "Принята в работу",
        "included_in_plans" => "Включена в планы",
        "rejected" => "Отклонена",
        "forwarded" => "Передана в компетентный орган",
        "in_work" => "На рассмотрении",
        "implemented" => "Реализована",
        other => other,
    }
    .to_owned()
}

fn headings(list: &[&str]) -> Vec<String> {
    list.iter().map(|h| (*h).to_owned()).collect()
}

impl ReportContent {
    /// Lays out the report as sheets with the Russian headings of appendix 4: the
    /// narrative, tables 1 to 7, and the attached forms.
    pub fn sheets(&self) -> Vec<Table> {
        use common_models::{FormOfWork, ParticipantCategory, Sphere, TargetGroup};
        let t = &self.tables;
        let mut sheets = vec![Table {
            title: "Отчёт".to_owned(),
            headings: headings(&["Раздел", "Содержание"]),
            rows: std::iter::once(vec![
                Cell::from("Государственный орган"),
                Cell::from(self.government_body_name.clone()),
            ])
            .chain(std::iter::once(vec![
                Cell::from("Отчётный год"),
                Cell::from(i64::from(self.year)),
            ]))
            .chain(
                self.narrative
                    .parts()
                    .into_iter()
                    .map(|(title, value)| vec![Cell::from(title), text(value)]),
            )
            .collect(),
        }];

        let mut table1: Vec<Vec<Cell>> = t
            .npos
            .iter()
            .enumerate()
            .map(|(i, r)| {
                vec![
                    number(i),
                    Cell::from(r.name.clone()),
                    Cell::from(labels::<Sphere>(&r.spheres)),
                    Cell::from(labels::<TargetGroup>(&r.target_groups)),
                    Cell::from(r.territories.join("; ")),
                    Cell::from(labels::<FormOfWork>(&r.forms_of_work)),
                    date(r.founded_on),
                    Cell::from(r.key_staff.join("; ")),
                    Cell::from(r.contacts.join("; ")),
                ]
            })
            .collect();
        if !t.projects.is_empty() {
            table1.push(vec![Cell::Empty; 9]);
            table1.push(vec![
                Cell::Empty,
                Cell::from(
                    "Список проектов НПО, реализуемых в отчетном периоде на территории и по направлениям деятельности государственного органа",
                ),
            ]);
            table1.extend(t.projects.iter().enumerate().map(|(i, p)| {
                let period = format!(
                    "{} – {}",
                    p.starts_on
                        .map(|d| d.format("%d.%m.%Y").to_string())
                        .unwrap_or_default(),
                    p.ends_on
                        .map(|d| d.format("%d.%m.%Y").to_string())
                        .unwrap_or_default()
                );
                vec![
                    number(i),
                    Cell::from(p.name.clone()),
                    Cell::from(p.organisation.clone()),
                    Cell::from(period),
                    text(&p.funding_source),
                ]
            }));
        }
        sheets.push(Table {
            title: "Таблица 1".to_owned(),
            headings: headings(&[
                "№",
                "Название организации",
                "Направления деятельности",
                "Целевые группы",
                "Территория работы",
                "Возможные формы работы",
                "Дата создания",
                "Ключевые сотрудники",
                "Контакты и электронные ресурсы",
            ]),
            rows: table1,
        });

        sheets.push(Table {
            title: "Таблица 2".to_owned(),
            headings: headings(&[
                "№",
                "Дата проведения",
                "Форма проведения",
                "Категории участников",
                "Ответственные сотрудники",
                "Приложение",
            ]),
            rows: t
                .needs
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    vec![
                        number(i),
                        date(Some(r.held_on)),
                        Cell::from(label::<common_models::AssessmentActivityForm>(&r.form)),
                        Cell::from(labels::<ParticipantCategory>(&r.participant_categories)),
                        Cell::from(r.responsible_staff.clone()),
                        Cell::from(format!("Приложение {}", r.attachment)),
                    ]
                })
                .collect(),
        });

        sheets.push(Table {
            title: "Таблица 3".to_owned(),
            headings: headings(&[
                "№",
                "Дата проведения",
                "Форма проведения",
                "Категории и количество участников",
                "Ответственные сотрудники",
                "Результат",
            ]),
            rows: t
                .planning
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let categories = labels::<ParticipantCategory>(&r.participant_categories);
                    let who = match r.participants {
                        Some(count) => format!("{categories} ({count})"),
                        None => categories,
                    };
                    vec![
                        number(i),
                        date(Some(r.held_on)),
                        Cell::from(r.form.clone()),
                        Cell::from(who),
                        Cell::from(r.responsible_staff.clone()),
                        text(&r.result),
                    ]
                })
                .collect(),
        });

        sheets.push(Table {
            title: "Таблица 4".to_owned(),
            headings: headings(&[
                "№",
                "Действие",
                "Номер приложения Плана мониторинга и оценки",
            ]),
            rows: t
                .actions
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    vec![
                        number(i),
                        Cell::from(r.title.clone()),
                        r.attachment
                            .map_or(Cell::Empty, |n| Cell::from(format!("Приложение {n}"))),
                    ]
                })
                .collect(),
        });

        sheets.push(Table {
            title: "Таблица 5".to_owned(),
            headings: headings(&[
                "№",
                "Сфера",
                "Автор (Название/Ф.И.О.)",
                "Контакты",
                "Дата поступления",
                "Дата ответа",
                "Инициатор (Госорган/НПО)",
                "Ответственный за обработку",
                "Как учтены",
            ]),
            rows: t
                .recommendations
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    vec![
                        number(i),
                        Cell::from(label::<Sphere>(&r.sphere)),
                        text(&r.author),
                        text(&r.contacts),
                        date(Some(r.received_on)),
                        date(r.answered_on),
                        Cell::from(match r.initiator.as_deref() {
                            Some("government_body") => "Госорган".to_owned(),
                            Some("npo") => "НПО".to_owned(),
                            other => other.unwrap_or_default().to_owned(),
                        }),
                        text(&r.responsible),
                        Cell::from(handling_label(&r.handling)),
                    ]
                })
                .collect(),
        });

        let consultation_rows = |direction: &str| {
            t.consultations
                .iter()
                .filter(|c| c.direction == direction)
                .map(|c| {
                    let topic = match &c.sphere {
                        Some(sphere) => format!("{} / {}", label::<Sphere>(sphere), c.question),
                        None => c.question.clone(),
                    };
                    vec![
                        date(Some(c.held_on)),
                        Cell::from(c.counterpart.clone()),
                        text(&c.contacts),
                        Cell::from(topic),
                        Cell::from(c.form.clone()),
                    ]
                })
                .collect::<Vec<_>>()
        };
        let mut table6 = vec![vec![Cell::Empty, Cell::from("Оказание поддержки НПО")]];
        let given = consultation_rows("given");
        let received = consultation_rows("received");
        let mut n = 0;
        for row in given {
            table6.push(std::iter::once(number(n)).chain(row).collect());
            n += 1;
        }
        table6.push(vec![Cell::Empty, Cell::from("Получение поддержки от НПО")]);
        for row in received {
            table6.push(std::iter::once(number(n)).chain(row).collect());
            n += 1;
        }
        sheets.push(Table {
            title: "Таблица 6".to_owned(),
            headings: headings(&[
                "№",
                "Дата",
                "Ф.И.О./название организации",
                "Контакты",
                "Сфера/вопрос",
                "Форма поддержки",
            ]),
            rows: table6,
        });

        sheets.push(Table {
            title: "Таблица 7".to_owned(),
            headings: headings(&[
                "№",
                "Наименование госоргана",
                "Контакты",
                "Сфера/вопрос",
                "Дата",
                "Инициатор",
                "Формат/форма работы",
                "Результат",
            ]),
            rows: t
                .officers
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let topic = match &r.sphere {
                        Some(sphere) => format!("{} / {}", label::<Sphere>(sphere), r.question),
                        None => r.question.clone(),
                    };
                    vec![
                        number(i),
                        Cell::from(
                            r.government_body_name
                                .clone()
                                .unwrap_or_else(|| r.government_body.clone()),
                        ),
                        text(&r.contacts),
                        Cell::from(topic),
                        date(Some(r.sent_on)),
                        Cell::from(if r.initiator == "own" {
                            self.government_body_name.clone()
                        } else {
                            r.government_body_name
                                .clone()
                                .unwrap_or_else(|| r.government_body.clone())
                        }),
                        text(&r.format),
                        text(&r.result),
                    ]
                })
                .collect(),
        });

        for form in &self.attachments.priorities {
            sheets.push(Table {
                title: format!("Приоритеты {}", form.number),
                headings: headings(&[
                    "№",
                    "Сфера",
                    "Территория",
                    "Целевая группа",
                    "Проблема / задача / потребность",
                    "Источник информации",
                    "Риски в случае нерешения",
                    "Уровень риска",
                ]),
                rows: form
                    .rows
                    .iter()
                    .enumerate()
                    .map(|(i, p)| {
                        vec![
                            number(i),
                            Cell::from(label::<Sphere>(&p.sphere)),
                            Cell::from(p.territory.clone()),
                            Cell::from(label::<TargetGroup>(&p.target_group)),
                            text(&p.problem),
                            Cell::from(source(p)),
                            text(&p.risks),
                            Cell::from(label::<common_models::RiskLevel>(&p.risk_level)),
                        ]
                    })
                    .collect(),
            });
        }
        for form in &self.attachments.joint_plans {
            sheets.push(Table {
                title: format!("План совместных работ {}", form.number),
                headings: headings(&[
                    "№",
                    "Мероприятие",
                    "Форма завершения",
                    "Срок реализации",
                    "Ответственный",
                    "Участники",
                    "Форма участия",
                ]),
                rows: form
                    .rows
                    .iter()
                    .enumerate()
                    .map(|(i, r)| {
                        vec![
                            number(i),
                            Cell::from(r.activity.clone()),
                            text(&r.completion_form),
                            date(r.deadline),
                            text(&r.responsible),
                            text(&r.participants),
                            text(&r.participation_form),
                        ]
                    })
                    .collect(),
            });
        }
        for form in &self.attachments.monitoring_plans {
            sheets.push(Table {
                title: format!("План мониторинга {}", form.number),
                headings: headings(&[
                    "№",
                    "Мероприятие",
                    "Плановые показатели",
                    "Фактические показатели",
                    "Доказательства / источники информации",
                    "Периодичность измерения",
                    "Комментарии",
                ]),
                rows: form
                    .rows
                    .iter()
                    .enumerate()
                    .map(|(i, r)| {
                        let show = |value: f64, unit: &Option<String>| match unit {
                            Some(unit) => format!("{value} {unit}"),
                            None => value.to_string(),
                        };
                        let planned = r
                            .indicators
                            .iter()
                            .map(|x| format!("{}: {}", x.name, show(x.target, &x.unit)))
                            .collect::<Vec<_>>()
                            .join("; ");
                        let actual = r
                            .indicators
                            .iter()
                            .map(|x| match x.actual {
                                Some(value) => format!("{}: {}", x.name, show(value, &x.unit)),
                                None => format!("{}: —", x.name),
                            })
                            .collect::<Vec<_>>()
                            .join("; ");
                        let evidence = r
                            .indicators
                            .iter()
                            .flat_map(|x| x.evidence.iter().cloned())
                            .collect::<Vec<_>>()
                            .join("; ");
                        vec![
                            number(i),
                            Cell::from(r.activity.clone()),
                            Cell::from(planned),
                            Cell::from(actual),
                            Cell::from(evidence),
                            Cell::from(label::<common_models::MeasurementFrequency>(&r.frequency)),
                            text(&r.comments),
                        ]
                    })
                    .collect(),
            });
        }
        sheets
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn priority(code: Option<&str>, details: Option<&str>) -> needs::PriorityIdentified {
        needs::PriorityIdentified {
            priority_id: "p".into(),
            assessment_id: "a".into(),
            government_body: "b".into(),
            sphere: "youth".into(),
            territory: "620000000".into(),
            target_group: "youth".into(),
            risk_level: "high".into(),
            people_affected: None,
            problem: None,
            information_source: code.map(str::to_owned),
            source_details: details.map(str::to_owned),
            risks: None,
        }
    }

    #[test]
    fn source_joins_label_and_details() {
        let both = source(&priority(Some("official_statistics"), Some("БНС, 2023")));
        let label_only = source(&priority(Some("official_statistics"), None));
        let details_only = source(&priority(None, Some("БНС, 2023")));

        let label = label::<common_models::NeedsInformationSource>("official_statistics");
        assert_eq!(both, Some(format!("{label}: БНС, 2023")));
        assert_eq!(label_only, Some(label));
        assert_eq!(details_only.as_deref(), Some("БНС, 2023"));
        assert_eq!(source(&priority(None, None)), None);
    }
}
