//! The compliance monitor: the deadlines of the regulation that a government body has
//! missed, as of a given day. Each rule is one function over the register and the read
//! models. Nothing here touches the database or HTTP.
//!
//! The rules and their sources in the regulation:
//!
//! - `npo_data_collection`: NPO data is collected at least once a year between
//!   15 April and 31 May, so a year is due from 1 June.
//! - `needs_assessment`: each sphere of the body is assessed at least once every two
//!   years.
//! - `reception`: an NPO representative is received at once or given an appointment
//!   no later than one month after the request.
//! - `recommendation_feedback`: a recommendation's current stage (decision, then
//!   feedback to its author) is done by its due day.
//! - `officer_request`: an officer answers another officer's information request by
//!   its deadline.
//! - `vacancy`: a dismissed or transferred officer is replaced promptly. The
//!   regulation gives no term, so `LIAISON_VACANCY_DAYS` sets it.
//! - `annual_report`: the annual report reaches the ministry by its due day.

use std::collections::{BTreeMap, HashMap};

use anyhow::Context;
use chrono::{Datelike, Months, NaiveDate, TimeDelta};
use common_models::event::recommendations::{
    OfficerRequestChanged, ReceptionChanged, RecommendationChanged,
};
use common_models::event::registry::CampaignRecorded;
use common_models::{Catalogue, KatoCode};
use serde::Serialize;
use service_kit::Settings;
use utoipa::ToSchema;

use super::analytics::RegisteredBody;
use crate::readmodel::Kind;

/// Name of the setting, after the `LIAISON_` prefix, that sets how many days a body
/// may stay without an officer.
pub const VACANCY_DAYS: &str = "VACANCY_DAYS";

/// Days a body may stay without an officer when the setting is absent.
const DEFAULT_VACANCY_DAYS: u32 = 30;

/// Largest value `LIAISON_VACANCY_DAYS` accepts.
const MAX_VACANCY_DAYS: u32 = 365;

/// First day of the yearly NPO data collection, as (month, day).
const COLLECTION_START: (u32, u32) = (4, 15);

/// Last day of the yearly NPO data collection, as (month, day).
const COLLECTION_END: (u32, u32) = (5, 31);

/// Months between two needs assessments of a sphere.
const ASSESSMENT_MONTHS: u32 = 24;

/// Status of a reception request whose representative was received at once.
const RECEIVED_AT_ONCE: &str = "received";

/// Status of a recommendation closed after its author got feedback.
const CLOSED: &str = "closed";

/// Terms of the compliance rules that a deployment sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ComplianceSettings {
    /// Days a body may stay without an officer before it is a finding.
    pub vacancy_days: u32,
    /// Month and day of the following year by which the annual report on a year is due.
    pub report_due: (u32, u32),
}

impl Default for ComplianceSettings {
    fn default() -> Self {
        Self {
            vacancy_days: DEFAULT_VACANCY_DAYS,
            report_due: super::reports::DEFAULT_DUE,
        }
    }
}

impl ComplianceSettings {
    /// Reads `LIAISON_VACANCY_DAYS` (default 30). A value that is not a whole number
    /// of days from 1 to 365 is an error, so the service does not start with it.
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        let report_due = super::reports::due_day(settings)?;
        let Some(raw) = settings.option(VACANCY_DAYS) else {
            return Ok(Self {
                report_due,
                ..Self::default()
            });
        };
        let vacancy_days = raw
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|days| (1..=MAX_VACANCY_DAYS).contains(days))
            .with_context(|| {
                format!(
                    "invalid setting LIAISON_{VACANCY_DAYS}={raw:?}: expected a whole number of days from 1 to {MAX_VACANCY_DAYS}"
                )
            })?;
        Ok(Self {
            vacancy_days,
            report_due,
        })
    }
}

/// A compliance rule, named by a stable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = ComplianceRule)]
pub enum Rule {
    /// No NPO data collection inside 15 April – 31 May of a past window.
    NpoDataCollection,
    /// A sphere of the body without a published needs assessment for two years.
    NeedsAssessment,
    /// A reception request not appointed within a month, or appointed for a later day.
    Reception,
    /// A recommendation past its due day without feedback to its author.
    RecommendationFeedback,
    /// An information request from another officer past its deadline without an
    /// answer.
    OfficerRequest,
    /// A body without an officer for longer than the vacancy term.
    Vacancy,
    /// An annual report not submitted by its due day.
    AnnualReport,
}

impl Rule {
    /// Every rule, in the order of the regulation's duties.
    pub const ALL: &'static [Rule] = &[
        Rule::NpoDataCollection,
        Rule::NeedsAssessment,
        Rule::Reception,
        Rule::RecommendationFeedback,
        Rule::OfficerRequest,
        Rule::Vacancy,
        Rule::AnnualReport,
    ];

    /// Returns the stable code of the rule.
    pub fn code(self) -> &'static str {
        match self {
            Self::NpoDataCollection => "npo_data_collection",
            Self::NeedsAssessment => "needs_assessment",
            Self::Reception => "reception",
            Self::RecommendationFeedback => "recommendation_feedback",
            Self::OfficerRequest => "officer_request",
            Self::Vacancy => "vacancy",
            Self::AnnualReport => "annual_report",
        }
    }

    /// Parses a rule code, listing the valid codes when it is unknown.
    pub fn parse(raw: &str) -> Result<Self, String> {
        Self::ALL
            .iter()
            .copied()
            .find(|rule| rule.code() == raw)
            .ok_or_else(|| {
                let codes: Vec<&str> = Self::ALL.iter().map(|rule| rule.code()).collect();
                format!("unknown rule '{raw}', expected one of {}", codes.join(", "))
            })
    }
}

/// A read-model record a finding concerns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RecordRef {
    /// Kind of the record: `campaign`, `assessment`, `reception`, `recommendation` or
    /// `officer_request`.
    pub kind: String,
    pub id: String,
}

impl RecordRef {
    fn new(kind: Kind, id: &str) -> Self {
        Self {
            kind: kind.code().to_owned(),
            id: id.to_owned(),
        }
    }
}

/// The dates behind a finding; each rule fills those it uses.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct FindingDates {
    /// The body's start in the register, from which its first assessment is counted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_register_since: Option<NaiveDate>,
    /// Day of the body's latest published needs assessment of the sphere.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_assessed_on: Option<NaiveDate>,
    /// Day of the reception request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requested_on: Option<NaiveDate>,
    /// Day the reception is appointed for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appointed_on: Option<NaiveDate>,
    /// Day the recommendation was received.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub received_on: Option<NaiveDate>,
    /// Day the information request was sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sent_on: Option<NaiveDate>,
    /// Day since which the body has no officer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vacant_since: Option<NaiveDate>,
    /// Day the annual report was submitted, when it was submitted late.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub submitted_on: Option<NaiveDate>,
}

/// One missed deadline of one government body.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Finding {
    pub rule: Rule,
    /// Government body that missed the deadline.
    pub government_body: String,
    /// Top-level KATO region of the body's territory; absent for a central body and
    /// for a body that is not in the register.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<KatoCode>,
    /// Last day on which the duty was still on time.
    pub due_on: NaiveDate,
    /// Year of the NPO data collection or annual report concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    /// Sphere code of a missing needs assessment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sphere: Option<String>,
    /// Records the finding concerns, such as the overdue request, or the campaigns of
    /// a year that fell outside the collection window. Empty for a vacancy.
    pub records: Vec<RecordRef>,
    pub dates: FindingDates,
}

impl Finding {
    fn new(rule: Rule, government_body: &str, due_on: NaiveDate) -> Self {
        Self {
            rule,
            government_body: government_body.to_owned(),
            region: None,
            due_on,
            year: None,
            sphere: None,
            records: Vec::new(),
            dates: FindingDates::default(),
        }
    }

    /// Returns the key findings are listed in: due day, rule, body, then what the
    /// finding is about. It is unique per finding and sorts like the findings.
    pub fn key(&self) -> String {
        let subject = self
            .records
            .first()
            .map(|record| record.id.clone())
            .or_else(|| self.sphere.clone())
            .or_else(|| self.year.map(|year| year.to_string()))
            .unwrap_or_default();
        format!(
            "{}|{}|{}|{subject}",
            self.due_on,
            self.rule.code(),
            self.government_body
        )
    }
}

/// A published needs assessment as the rule reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct PublishedAssessment {
    pub assessment_id: String,
    pub government_body: String,
    pub spheres: Vec<String>,
    /// Day the report was completed, or published when its event lacks that.
    pub published_on: NaiveDate,
}

/// An annual report a body owes the ministry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnualReportDue {
    pub government_body: String,
    pub year: i32,
    pub due_on: NaiveDate,
    pub submitted_on: Option<NaiveDate>,
}

/// Everything the rules read.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// The register's bodies; the rules on campaigns, assessments and vacancies look
    /// only at these.
    pub bodies: Vec<RegisteredBody>,
    pub campaigns: Vec<CampaignRecorded>,
    pub assessments: Vec<PublishedAssessment>,
    pub receptions: Vec<ReceptionChanged>,
    pub recommendations: Vec<RecommendationChanged>,
    pub officer_requests: Vec<OfficerRequestChanged>,
    pub annual_reports: Vec<AnnualReportDue>,
}

/// Applies every rule to `inputs` as of `today`, sets each finding's region from the
/// register, and returns the findings in the order of their keys.
pub fn findings(inputs: &Inputs, settings: &ComplianceSettings, today: NaiveDate) -> Vec<Finding> {
    let mut found = Vec::new();
    for body in &inputs.bodies {
        let campaigns: Vec<&CampaignRecorded> = inputs
            .campaigns
            .iter()
            .filter(|campaign| campaign.government_body == body.id)
            .collect();
        found.extend(npo_data_collection(body, &campaigns, today));
        let assessments: Vec<&PublishedAssessment> = inputs
            .assessments
            .iter()
            .filter(|assessment| assessment.government_body == body.id)
            .collect();
        found.extend(needs_assessment(body, &assessments, today));
        found.extend(vacancy(body, settings.vacancy_days, today));
    }
    found.extend(reception(&inputs.receptions, today));
    found.extend(recommendation_feedback(&inputs.recommendations, today));
    found.extend(officer_request(&inputs.officer_requests, today));
    found.extend(annual_report(&inputs.annual_reports, today));

    let regions: HashMap<&str, KatoCode> = inputs
        .bodies
        .iter()
        .filter_map(|body| Some((body.id.as_str(), body.region()?)))
        .collect();
    for finding in &mut found {
        finding.region = regions.get(finding.government_body.as_str()).cloned();
    }
    found.sort_by_cached_key(Finding::key);
    found
}

/// Applies every rule as [`findings`] does and keeps the findings `selection` selects.
pub fn selected(
    inputs: &Inputs,
    settings: &ComplianceSettings,
    today: NaiveDate,
    selection: &FindingFilter,
) -> Vec<Finding> {
    let territories: HashMap<&str, &KatoCode> = inputs
        .bodies
        .iter()
        .filter_map(|body| Some((body.id.as_str(), body.territory.as_ref()?)))
        .collect();
    findings(inputs, settings, today)
        .into_iter()
        .filter(|finding| {
            let territory = territories.get(finding.government_body.as_str()).copied();
            selection.selects(finding, territory)
        })
        .collect()
}

fn month_day(year: i32, (month, day): (u32, u32)) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, month, day)
}

/// Finds the years whose collection window `body` was in the register for, whose
/// window is over by `today`, and in which none of its `campaigns` ran inside the
/// window. Campaigns of such a year outside the window are the records concerned.
pub fn npo_data_collection(
    body: &RegisteredBody,
    campaigns: &[&CampaignRecorded],
    today: NaiveDate,
) -> Vec<Finding> {
    let mut found = Vec::new();
    for year in body.in_register_since.year()..=today.year() {
        let (Some(opens), Some(due_on)) = (
            month_day(year, COLLECTION_START),
            month_day(year, COLLECTION_END),
        ) else {
            continue;
        };
        if body.in_register_since > opens || today <= due_on {
            continue;
        }
        let of_year: Vec<&&CampaignRecorded> = campaigns
            .iter()
            .filter(|campaign| campaign.year == year)
            .collect();
        if of_year.iter().any(|campaign| campaign.inside_window) {
            continue;
        }
        let mut finding = Finding::new(Rule::NpoDataCollection, &body.id, due_on);
        finding.year = Some(year);
        finding.records = of_year
            .iter()
            .map(|campaign| RecordRef::new(Kind::Campaign, &campaign.campaign_id))
            .collect();
        found.push(finding);
    }
    found
}

/// Finds the spheres of `body` whose latest published assessment among `assessments`,
/// or the body's start in the register when that is later, lies more than two years
/// before `today`.
pub fn needs_assessment(
    body: &RegisteredBody,
    assessments: &[&PublishedAssessment],
    today: NaiveDate,
) -> Vec<Finding> {
    let mut found = Vec::new();
    for sphere in &body.spheres {
        let latest = assessments
            .iter()
            .filter(|assessment| assessment.published_on <= today)
            .filter(|assessment| assessment.spheres.iter().any(|s| s == sphere.code()))
            .max_by_key(|assessment| (assessment.published_on, &assessment.assessment_id));
        let counted_from = latest
            .map(|assessment| assessment.published_on)
            .filter(|day| *day >= body.in_register_since)
            .unwrap_or(body.in_register_since);
        let due_on = counted_from
            .checked_add_months(Months::new(ASSESSMENT_MONTHS))
            .unwrap_or(NaiveDate::MAX);
        if today <= due_on {
            continue;
        }
        let mut finding = Finding::new(Rule::NeedsAssessment, &body.id, due_on);
        finding.sphere = Some(sphere.code().to_owned());
        if let Some(assessment) = latest {
            finding.records = vec![RecordRef::new(Kind::Assessment, &assessment.assessment_id)];
            finding.dates.last_assessed_on = Some(assessment.published_on);
        }
        if counted_from == body.in_register_since {
            finding.dates.in_register_since = Some(body.in_register_since);
        }
        found.push(finding);
    }
    found
}

/// Returns the last day a reception requested on `requested_on` may be appointed
/// for: one calendar month later (31 January gives 28 or 29 February).
pub fn latest_appointment(requested_on: NaiveDate) -> NaiveDate {
    requested_on
        .checked_add_months(Months::new(1))
        .unwrap_or(NaiveDate::MAX)
}

/// Finds the reception requests still without an appointment a month after the
/// request, and those appointed for a day after that month, even when that day is
/// still ahead.
pub fn reception(receptions: &[ReceptionChanged], today: NaiveDate) -> Vec<Finding> {
    receptions
        .iter()
        .filter_map(|request| {
            let due_on = latest_appointment(request.requested_on);
            let late = match request.appointed_on {
                Some(appointed_on) => appointed_on > due_on,
                None => request.status != RECEIVED_AT_ONCE && today > due_on,
            };
            if !late {
                return None;
            }
            let mut finding = Finding::new(Rule::Reception, &request.government_body, due_on);
            finding.records = vec![RecordRef::new(Kind::Reception, &request.request_id)];
            finding.dates.requested_on = Some(request.requested_on);
            finding.dates.appointed_on = request.appointed_on;
            Some(finding)
        })
        .collect()
}

/// Finds the recommendations past their `due_on` that are not closed and whose author
/// got no feedback. The body holding the recommendation is the one behind. A
/// recommendation whose events lack `due_on` is never a finding.
pub fn recommendation_feedback(
    recommendations: &[RecommendationChanged],
    today: NaiveDate,
) -> Vec<Finding> {
    recommendations
        .iter()
        .filter(|r| r.status != CLOSED && r.answered_on.is_none())
        .filter_map(|recommendation| {
            let due_on = recommendation.due_on.filter(|due_on| today > *due_on)?;
            let mut finding = Finding::new(
                Rule::RecommendationFeedback,
                &recommendation.government_body,
                due_on,
            );
            finding.records = vec![RecordRef::new(
                Kind::Recommendation,
                &recommendation.recommendation_id,
            )];
            finding.dates.received_on = Some(recommendation.received_on);
            Some(finding)
        })
        .collect()
}

/// Finds the information requests past their deadline without an answer. The asked
/// body (`to_body`) is the one behind.
pub fn officer_request(requests: &[OfficerRequestChanged], today: NaiveDate) -> Vec<Finding> {
    requests
        .iter()
        .filter(|request| request.answered_on.is_none() && today > request.deadline)
        .map(|request| {
            let mut finding =
                Finding::new(Rule::OfficerRequest, &request.to_body, request.deadline);
            finding.records = vec![RecordRef::new(Kind::OfficerRequest, &request.request_id)];
            finding.dates.sent_on = Some(request.sent_on);
            finding
        })
        .collect()
}

/// Finds `body` when it has been without an officer for more than `days` days.
pub fn vacancy(body: &RegisteredBody, days: u32, today: NaiveDate) -> Option<Finding> {
    let vacant_since = body.vacant_since?;
    let due_on = vacant_since
        .checked_add_signed(TimeDelta::days(i64::from(days)))
        .unwrap_or(NaiveDate::MAX);
    if today <= due_on {
        return None;
    }
    let mut finding = Finding::new(Rule::Vacancy, &body.id, due_on);
    finding.dates.vacant_since = Some(vacant_since);
    Some(finding)
}

/// Finds the annual reports not submitted by their due day: those still missing after
/// it, and those submitted after it.
pub fn annual_report(reports: &[AnnualReportDue], today: NaiveDate) -> Vec<Finding> {
    reports
        .iter()
        .filter(|report| match report.submitted_on {
            Some(submitted_on) => submitted_on > report.due_on,
            None => today > report.due_on,
        })
        .map(|report| {
            let mut finding =
                Finding::new(Rule::AnnualReport, &report.government_body, report.due_on);
            finding.year = Some(report.year);
            finding.dates.submitted_on = report.submitted_on;
            finding
        })
        .collect()
}

/// Filter of the findings a request reads. Each present field applies.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct FindingFilter {
    /// Government body whose findings these are.
    pub body: Option<String>,
    pub rule: Option<Rule>,
    /// KATO code: findings of the bodies whose territory is this one or lies inside it.
    pub region: Option<KatoCode>,
}

impl FindingFilter {
    /// Returns whether `finding`, of a body with `territory`, is selected.
    pub fn selects(&self, finding: &Finding, territory: Option<&KatoCode>) -> bool {
        self.body
            .as_ref()
            .is_none_or(|body| *body == finding.government_body)
            && self.rule.is_none_or(|rule| rule == finding.rule)
            && self
                .region
                .as_ref()
                .is_none_or(|region| territory.is_some_and(|own| region.contains(own)))
    }
}

/// Number of findings of one region.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RegionFindings {
    /// KATO code of a top-level region; null for central bodies and bodies not in the
    /// register.
    pub region: Option<KatoCode>,
    pub count: i64,
    /// Findings of the region per rule code; every rule is listed.
    pub by_rule: BTreeMap<String, i64>,
}

/// Number of findings by rule and by region.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FindingCounts {
    /// Day the findings were computed for, in Asia/Almaty.
    pub as_of: NaiveDate,
    pub filter: FindingFilter,
    pub total: i64,
    /// Findings per rule code; every rule is listed.
    pub by_rule: BTreeMap<String, i64>,
    /// Regions with at least one finding, in the order of their codes, then the bodies
    /// without a region.
    pub by_region: Vec<RegionFindings>,
}

fn every_rule() -> BTreeMap<String, i64> {
    Rule::ALL
        .iter()
        .map(|rule| (rule.code().to_owned(), 0))
        .collect()
}

/// Counts `findings` by rule and by region.
pub fn count(findings: &[Finding], filter: FindingFilter, as_of: NaiveDate) -> FindingCounts {
    let mut by_rule = every_rule();
    let mut by_region: BTreeMap<Option<KatoCode>, RegionFindings> = BTreeMap::new();
    for finding in findings {
        *by_rule.entry(finding.rule.code().to_owned()).or_default() += 1;
        let region = by_region
            .entry(finding.region.clone())
            .or_insert_with(|| RegionFindings {
                region: finding.region.clone(),
                count: 0,
                by_rule: every_rule(),
            });
        region.count += 1;
        *region
            .by_rule
            .entry(finding.rule.code().to_owned())
            .or_default() += 1;
    }
    let without_region = by_region.remove(&None);
    let mut regions: Vec<RegionFindings> = by_region.into_values().collect();
    regions.extend(without_region);
    FindingCounts {
        as_of,
        filter,
        total: i64::try_from(findings.len()).unwrap_or(i64::MAX),
        by_rule,
        by_region: regions,
    }
}

#[cfg(test)]
mod tests {
    use common_models::Sphere;

    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn body(since: &str) -> RegisteredBody {
        RegisteredBody {
            id: "district".into(),
            territory: Some(KatoCode::parse("623800000").unwrap()),
            spheres: vec![Sphere::Youth],
            in_register_since: day(since),
            vacant_since: None,
        }
    }

    fn campaign(year: i32, inside_window: bool) -> CampaignRecorded {
        CampaignRecorded {
            campaign_id: format!("campaign-{year}-{inside_window}"),
            government_body: "district".into(),
            year,
            inside_window,
            npos_added: 1,
            npos_updated: 0,
        }
    }

    fn years(found: &[Finding]) -> Vec<i32> {
        found.iter().filter_map(|finding| finding.year).collect()
    }

    #[test]
    fn collection_due_from_june() {
        let body = body("2024-01-10");

        assert_eq!(
            years(&npo_data_collection(&body, &[], day("2024-04-14"))),
            Vec::<i32>::new()
        );
        assert_eq!(
            years(&npo_data_collection(&body, &[], day("2024-05-31"))),
            Vec::<i32>::new()
        );
        assert_eq!(
            years(&npo_data_collection(&body, &[], day("2024-06-01"))),
            vec![2024]
        );
    }

    #[test]
    fn collection_outside_window_not_enough() {
        let body = body("2024-01-10");
        let outside = campaign(2024, false);
        let inside = campaign(2025, true);

        let found = npo_data_collection(&body, &[&outside, &inside], day("2025-12-01"));

        assert_eq!(years(&found), vec![2024]);
        assert_eq!(found[0].records[0].id, "campaign-2024-false");
        assert_eq!(found[0].due_on, day("2024-05-31"));
    }

    #[test]
    fn collection_skips_year_joined_late() {
        let body = body("2024-04-16");

        assert_eq!(
            years(&npo_data_collection(&body, &[], day("2025-06-01"))),
            vec![2025]
        );
    }

    #[test]
    fn assessment_counted_from_register() {
        let young = body("2024-03-01");
        let old_assessment = PublishedAssessment {
            assessment_id: "a1".into(),
            government_body: "district".into(),
            spheres: vec!["youth".into()],
            published_on: day("2023-01-01"),
        };

        assert!(needs_assessment(&young, &[&old_assessment], day("2026-03-01")).is_empty());
        let found = needs_assessment(&young, &[&old_assessment], day("2026-03-02"));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].due_on, day("2026-03-01"));
        assert_eq!(found[0].dates.in_register_since, Some(day("2024-03-01")));
    }

    #[test]
    fn reception_month_boundary() {
        let request = |appointed_on: Option<&str>| ReceptionChanged {
            request_id: "r1".into(),
            government_body: "district".into(),
            requested_on: day("2025-01-31"),
            status: if appointed_on.is_some() {
                "appointed"
            } else {
                "waiting"
            }
            .into(),
            appointed_on: appointed_on.map(day),
            npo_id: None,
            place: None,
        };

        assert!(reception(&[request(None)], day("2025-02-28")).is_empty());
        assert_eq!(reception(&[request(None)], day("2025-03-01")).len(), 1);
        assert!(reception(&[request(Some("2025-02-28"))], day("2025-01-31")).is_empty());
        assert_eq!(
            reception(&[request(Some("2025-03-01"))], day("2025-01-31")).len(),
            1
        );
    }

    #[test]
    fn vacancy_after_term() {
        let mut vacant = body("2024-01-01");
        vacant.vacant_since = Some(day("2025-01-01"));

        assert!(vacancy(&vacant, 30, day("2025-01-31")).is_none());
        assert_eq!(
            vacancy(&vacant, 30, day("2025-02-01")).unwrap().due_on,
            day("2025-01-31")
        );
    }

    #[test]
    fn annual_report_late_or_missing() {
        let report = |submitted_on: Option<&str>| AnnualReportDue {
            government_body: "district".into(),
            year: 2025,
            due_on: day("2026-01-20"),
            submitted_on: submitted_on.map(day),
        };
        let today = day("2026-02-01");

        assert_eq!(annual_report(&[report(None)], today).len(), 1);
        assert_eq!(annual_report(&[report(Some("2026-01-25"))], today).len(), 1);
        assert!(annual_report(&[report(Some("2026-01-20"))], today).is_empty());
        assert!(annual_report(&[report(None)], day("2026-01-20")).is_empty());
    }

    #[test]
    fn settings_reject_bad_vacancy_days() {
        let with = |value: &str| {
            let mut settings = Settings::from_lookup(|_| None).unwrap();
            settings.options = vec![(VACANCY_DAYS.to_owned(), value.to_owned())];
            ComplianceSettings::from_settings(&settings)
        };

        assert_eq!(with("45").unwrap().vacancy_days, 45);
        for bad in ["0", "366", "-1", "thirty", "1.5"] {
            let error = with(bad).unwrap_err().to_string();
            assert!(error.contains("LIAISON_VACANCY_DAYS"), "{bad}: {error}");
        }
    }
}
