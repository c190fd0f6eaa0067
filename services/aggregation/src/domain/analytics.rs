//! Figures of the national dashboard, computed from the read models: active NPOs,
//! published priorities, joint actions with their monitoring indicators, and the
//! recommendations funnel. Nothing here touches the database or HTTP.
//!
//! Records name territories by KATO code. A region filter keeps the territories that
//! lie inside it, and figures "by region" count each record once under each top-level
//! region (oblast or city of republican significance) of its kept territories.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::RangeInclusive;
use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use common_models::event::joint_actions::{ActionStateChanged, IndicatorState, MonitoringChanged};
use common_models::event::needs::PriorityIdentified;
use common_models::event::recommendations::RecommendationChanged;
use common_models::{ActionStatus, Catalogue, KatoCode, RiskLevel, Sphere};
use serde::Serialize;
use utoipa::ToSchema;

/// Years the `year` filter accepts.
pub const YEARS: RangeInclusive<i32> = 2000..=2100;

/// Status of an NPO that counts in the figures.
const ACTIVE: &str = "active";

/// Status of a priority whose assessment report is published.
pub const PUBLISHED: &str = "published";

/// Statuses of a recommendation that show a decision was made, for records whose
/// events lack `decided_on`.
const DECIDED_STATUSES: &[&str] = &["rejected", "included_in_plans", "implemented", "closed"];

/// Filter of the figures of a dashboard endpoint. Each present field applies.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
#[schema(as = AnalyticsFilter)]
pub struct Filter {
    /// Calendar year of the day each endpoint counts its records by.
    pub year: Option<i32>,
    /// KATO code: records of this territory or of a territory inside it.
    pub region: Option<KatoCode>,
    pub sphere: Option<Sphere>,
    /// Government body whose figures these are; absent for the national figures.
    pub body: Option<String>,
}

/// A government body as the register describes it to the dashboard and the
/// compliance monitor.
#[derive(Debug, Clone, PartialEq)]
pub struct RegisteredBody {
    pub id: String,
    /// Territory of the body; `None` for a central body.
    pub territory: Option<KatoCode>,
    pub spheres: Vec<Sphere>,
    /// The day the body was added to the register, or the day of its first recorded
    /// officer appointment when that is earlier, because the ministry may record an
    /// officer appointed before the body was added.
    pub in_register_since: NaiveDate,
    /// Day since which the body has no officer.
    pub vacant_since: Option<NaiveDate>,
}

impl RegisteredBody {
    /// Returns the top-level region of the body's territory; `None` for a central body.
    pub fn region(&self) -> Option<KatoCode> {
        self.territory.as_ref().map(region_of)
    }

    /// Returns whether `territory` is where the body works: it contains the body's
    /// territory or lies inside it. A central body works everywhere.
    pub fn works_in(&self, territory: &KatoCode) -> bool {
        self.territory
            .as_ref()
            .is_none_or(|own| own.contains(territory) || territory.contains(own))
    }

    fn has_sphere(&self, code: &str) -> bool {
        self.spheres.iter().any(|sphere| sphere.code() == code)
    }
}

/// Returns the top-level region (level 1) that contains `code`.
pub fn region_of(code: &KatoCode) -> KatoCode {
    let mut region = code.clone();
    while let Some(parent) = region.parent() {
        region = parent;
    }
    region
}

/// A territory of a record, parsed once with the top-level region that contains it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Territory {
    pub code: KatoCode,
    /// Top-level region of `code`, as [`region_of`] returns it.
    pub region: KatoCode,
}

impl Territory {
    /// Parses `raw` as a KATO code, or returns `None` when it is not a valid one.
    pub fn parse(raw: &str) -> Option<Self> {
        let code = KatoCode::parse(raw).ok()?;
        Some(Self {
            region: region_of(&code),
            code,
        })
    }

    /// Parses every valid KATO code of `raw`, skipping the others, because the figures
    /// leave out territories that are not valid KATO codes.
    pub fn parse_all<'a>(raw: impl IntoIterator<Item = &'a String>) -> Vec<Self> {
        raw.into_iter()
            .filter_map(|code| Self::parse(code))
            .collect()
    }
}

/// A record as the figures read it: the day it counts for and its data, with the
/// territories of the data parsed by [`Territory::parse_all`].
#[derive(Debug, Clone, Copy)]
pub struct Counted<'a, T> {
    pub day: Option<NaiveDate>,
    pub territories: &'a [Territory],
    pub data: &'a T,
}

/// The top-level regions and the spheres one record counts under, after the filter,
/// each listed once in order. They borrow from the records counted.
#[derive(Debug, Default)]
struct Facets<'a> {
    regions: Vec<&'a KatoCode>,
    spheres: Vec<&'a str>,
}

impl Filter {
    /// Returns whether `day` falls in the filter's year. A record without a day is in
    /// no year.
    pub fn in_year(&self, day: Option<NaiveDate>) -> bool {
        self.year
            .is_none_or(|year| day.is_some_and(|day| day.year() == year))
    }

    /// Fills `facets` with the regions and spheres a record of `territories` and
    /// `spheres` counts under, and returns whether the filter keeps the record. With
    /// `area`, only the territories where that body works and the body's spheres
    /// count. The caller leaves out territories that are not valid KATO codes when it
    /// parses them. Callers pass one `facets` for every record, so counting allocates
    /// no memory per record.
    fn facets<'a>(
        &self,
        territories: impl IntoIterator<Item = &'a Territory>,
        spheres: impl IntoIterator<Item = &'a str>,
        area: Option<&RegisteredBody>,
        facets: &mut Facets<'a>,
    ) -> bool {
        facets.regions.clear();
        facets.spheres.clear();
        facets.regions.extend(
            territories
                .into_iter()
                .filter(|t| self.region.as_ref().is_none_or(|r| r.contains(&t.code)))
                .filter(|t| area.is_none_or(|body| body.works_in(&t.code)))
                .map(|t| &t.region),
        );
        let territory_required =
            self.region.is_some() || area.is_some_and(|body| body.territory.is_some());
        if territory_required && facets.regions.is_empty() {
            return false;
        }

        facets.spheres.extend(
            spheres
                .into_iter()
                .filter(|code| self.sphere.is_none_or(|s| s.code() == *code))
                .filter(|code| area.is_none_or(|body| body.has_sphere(code))),
        );
        let sphere_required = self.sphere.is_some() || area.is_some();
        if sphere_required && facets.spheres.is_empty() {
            return false;
        }

        facets.regions.sort_unstable();
        facets.regions.dedup();
        facets.spheres.sort_unstable();
        facets.spheres.dedup();
        true
    }
}

/// Sums of `T` over every counted record, per region and per sphere.
#[derive(Debug, Default)]
struct Tally<T> {
    total: T,
    by_region: BTreeMap<KatoCode, T>,
    by_sphere: BTreeMap<String, T>,
}

impl<T: Default> Tally<T> {
    /// Applies `apply` to the total and to the sum of each of the record's regions and
    /// spheres. A key is copied only the first time it is counted.
    fn add(&mut self, facets: &Facets, apply: impl Fn(&mut T)) {
        apply(&mut self.total);
        for region in &facets.regions {
            match self.by_region.get_mut(*region) {
                Some(sum) => apply(sum),
                None => apply(self.by_region.entry((*region).clone()).or_default()),
            }
        }
        for sphere in &facets.spheres {
            match self.by_sphere.get_mut(*sphere) {
                Some(sum) => apply(sum),
                None => apply(self.by_sphere.entry((*sphere).to_owned()).or_default()),
            }
        }
    }
}

/// Number of records in one region.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RegionCount {
    /// KATO code of a top-level region.
    pub region: KatoCode,
    pub count: i64,
}

/// Number of records in one sphere.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SphereCount {
    /// Sphere code.
    pub sphere: String,
    pub count: i64,
}

/// Active NPOs by region and by sphere.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct NpoFigures {
    pub filter: Filter,
    /// NPOs counted, each once.
    pub total: i64,
    /// An NPO working in several regions counts in each; NPOs without a territory
    /// count in the total only.
    pub by_region: Vec<RegionCount>,
    /// An NPO of several spheres counts in each.
    pub by_sphere: Vec<SphereCount>,
}

/// Facts of one NPO that the NPO figures count. The values are shared pointers, so
/// that NPOs with equal statuses, territories or spheres can share one copy: counting
/// 100,000 NPOs then reads a few thousand distinct values rather than 100,000
/// scattered ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NpoFacts {
    pub status: Arc<str>,
    pub registered_on: Option<NaiveDate>,
    /// The KATO codes the registry sent that are valid, as [`Territory::parse_all`]
    /// keeps them.
    pub territories: Arc<[Territory]>,
    /// Sphere codes as the registry sent them.
    pub spheres: Arc<[Arc<str>]>,
}

/// Counts the active NPOs among `npos` that the filter keeps. With `area`, only the
/// NPOs working in that body's territory in one of its spheres count.
pub fn npo_figures<'a>(
    filter: &Filter,
    npos: impl IntoIterator<Item = &'a NpoFacts>,
    area: Option<&RegisteredBody>,
) -> NpoFigures {
    let mut tally: Tally<i64> = Tally::default();
    let mut facets = Facets::default();
    for npo in npos {
        if &*npo.status != ACTIVE || !filter.in_year(npo.registered_on) {
            continue;
        }
        let spheres = npo.spheres.iter().map(|sphere| &**sphere);
        if filter.facets(npo.territories.iter(), spheres, area, &mut facets) {
            tally.add(&facets, |count| *count += 1);
        }
    }
    NpoFigures {
        filter: filter.clone(),
        total: tally.total,
        by_region: tally
            .by_region
            .into_iter()
            .map(|(region, count)| RegionCount { region, count })
            .collect(),
        by_sphere: tally
            .by_sphere
            .into_iter()
            .map(|(sphere, count)| SphereCount { sphere, count })
            .collect(),
    }
}

/// Published priorities in total and per risk level.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, ToSchema)]
pub struct RiskCounts {
    /// Every counted priority, including one whose risk level is not a catalogue code.
    pub total: i64,
    pub high: i64,
    pub medium: i64,
    pub low: i64,
}

impl RiskCounts {
    fn add(&mut self, level: Option<RiskLevel>) {
        self.total += 1;
        match level {
            Some(RiskLevel::High) => self.high += 1,
            Some(RiskLevel::Medium) => self.medium += 1,
            Some(RiskLevel::Low) => self.low += 1,
            None => {}
        }
    }
}

/// Published priorities of one region per risk level.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RegionRisks {
    /// KATO code of a top-level region.
    pub region: KatoCode,
    #[serde(flatten)]
    pub counts: RiskCounts,
}

/// Published priorities of one sphere per risk level.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SphereRisks {
    /// Sphere code.
    pub sphere: String,
    #[serde(flatten)]
    pub counts: RiskCounts,
}

/// Published priorities by region and by sphere, per risk level.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PriorityFigures {
    pub filter: Filter,
    pub total: RiskCounts,
    pub by_region: Vec<RegionRisks>,
    pub by_sphere: Vec<SphereRisks>,
}

/// Counts the `priorities` that the filter keeps, each by the day it counts for. The
/// territories of each are those of its `territory`.
pub fn priority_figures(
    filter: &Filter,
    priorities: &[Counted<'_, PriorityIdentified>],
) -> PriorityFigures {
    let mut tally: Tally<RiskCounts> = Tally::default();
    let mut facets = Facets::default();
    for counted in priorities {
        if !filter.in_year(counted.day) {
            continue;
        }
        let priority = counted.data;
        let level = RiskLevel::from_code(&priority.risk_level);
        let sphere = [priority.sphere.as_str()];
        if filter.facets(counted.territories, sphere, None, &mut facets) {
            tally.add(&facets, |counts| counts.add(level));
        }
    }
    PriorityFigures {
        filter: filter.clone(),
        total: tally.total,
        by_region: tally
            .by_region
            .into_iter()
            .map(|(region, counts)| RegionRisks { region, counts })
            .collect(),
        by_sphere: tally
            .by_sphere
            .into_iter()
            .map(|(sphere, counts)| SphereRisks { sphere, counts })
            .collect(),
    }
}

/// Planned and actual indicators of monitoring plans.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, ToSchema)]
pub struct IndicatorCounts {
    /// Indicators with a planned value.
    pub total: i64,
    /// Indicators with at least one measurement.
    pub measured: i64,
    /// Indicators whose latest measurement reached the target: at or above it when
    /// higher is better, at or below it otherwise.
    pub met: i64,
}

impl IndicatorCounts {
    fn add(&mut self, indicator: &IndicatorState) {
        self.total += 1;
        let Some(actual) = indicator.actual else {
            return;
        };
        self.measured += 1;
        if indicator_met(indicator.target, actual, indicator.higher_is_better) {
            self.met += 1;
        }
    }
}

/// Returns whether `actual` reached `target`.
pub fn indicator_met(target: f64, actual: f64, higher_is_better: bool) -> bool {
    if higher_is_better {
        actual >= target
    } else {
        actual <= target
    }
}

/// Joint actions per status and their indicators.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ActionCounts {
    pub actions: i64,
    /// Actions per status code. Every status of the catalogue is listed, with 0 when
    /// no action has it.
    pub statuses: BTreeMap<String, i64>,
    pub indicators: IndicatorCounts,
}

impl Default for ActionCounts {
    fn default() -> Self {
        Self {
            actions: 0,
            statuses: ActionStatus::all()
                .iter()
                .map(|status| (status.code().to_owned(), 0))
                .collect(),
            indicators: IndicatorCounts::default(),
        }
    }
}

/// Joint actions of one region.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RegionActions {
    /// KATO code of a top-level region.
    pub region: KatoCode,
    #[serde(flatten)]
    pub counts: ActionCounts,
}

/// Joint actions of one sphere.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SphereActions {
    /// Sphere code.
    pub sphere: String,
    #[serde(flatten)]
    pub counts: ActionCounts,
}

/// Joint actions per status with their planned and actual indicators, in total, by
/// region and by sphere.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct JointActionFigures {
    pub filter: Filter,
    #[serde(flatten)]
    pub total: ActionCounts,
    pub by_region: Vec<RegionActions>,
    pub by_sphere: Vec<SphereActions>,
}

/// Counts `actions` and the indicators of their monitoring plans, each record by the
/// day it counts for. The territories of each action are those of its `territory`. A
/// monitoring plan of an action the read models do not hold counts by its own day, in
/// the total only.
pub fn joint_action_figures(
    filter: &Filter,
    actions: &[Counted<'_, ActionStateChanged>],
    monitoring: &[(Option<NaiveDate>, &MonitoringChanged)],
) -> JointActionFigures {
    let plans: HashMap<&str, &MonitoringChanged> = monitoring
        .iter()
        .map(|(_, plan)| (plan.action_id.as_str(), *plan))
        .collect();
    let mut tally: Tally<ActionCounts> = Tally::default();
    let mut facets = Facets::default();
    for counted in actions {
        if !filter.in_year(counted.day) {
            continue;
        }
        let action = counted.data;
        let spheres = action.spheres.iter().map(String::as_str);
        if !filter.facets(counted.territories, spheres, None, &mut facets) {
            continue;
        }
        let plan = plans.get(action.action_id.as_str()).copied();
        tally.add(&facets, |counts| {
            counts.actions += 1;
            *counts.statuses.entry(action.to.clone()).or_default() += 1;
            for indicator in plan.iter().flat_map(|p| indicators(p)) {
                counts.indicators.add(indicator);
            }
        });
    }

    let known_actions: BTreeSet<&str> = actions
        .iter()
        .map(|counted| counted.data.action_id.as_str())
        .collect();
    let unfiltered = filter.region.is_none() && filter.sphere.is_none();
    for (day, plan) in monitoring {
        if unfiltered && filter.in_year(*day) && !known_actions.contains(plan.action_id.as_str()) {
            for indicator in indicators(plan) {
                tally.total.indicators.add(indicator);
            }
        }
    }

    JointActionFigures {
        filter: filter.clone(),
        total: tally.total,
        by_region: tally
            .by_region
            .into_iter()
            .map(|(region, counts)| RegionActions { region, counts })
            .collect(),
        by_sphere: tally
            .by_sphere
            .into_iter()
            .map(|(sphere, counts)| SphereActions { sphere, counts })
            .collect(),
    }
}

fn indicators(plan: &MonitoringChanged) -> impl Iterator<Item = &IndicatorState> {
    plan.rows.iter().flat_map(|row| row.indicators.iter())
}

/// The recommendations funnel: received, forwarded, decided and answered, with the
/// median number of days each step took from receipt.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RecommendationFigures {
    pub filter: Filter,
    /// Recommendations received. With a body, those the body held at any stage.
    pub received: i64,
    /// Recommendations forwarded to another body at least once. With a body, those the
    /// body passed on and no longer holds.
    pub forwarded: i64,
    /// Recommendations with a decision on how they are handled. With a body, those it
    /// decided itself.
    pub decided: i64,
    /// Recommendations whose author got feedback (`answered_on`). With a body, those it
    /// answered itself.
    pub feedback_given: i64,
    /// Median of the days from `received_on` to `decided_on`, over the decided
    /// recommendations whose events carry `decided_on`; absent when there are none.
    pub median_days_to_decision: Option<f64>,
    /// Median of the days from `received_on` to `answered_on`; absent when no
    /// recommendation was answered.
    pub median_days_to_feedback: Option<f64>,
}

/// Builds the funnel of `recommendations` that the filter keeps. With a body in the
/// filter, `recommendations` are those the body held at any stage. The territories of
/// each are those of its `territory`. Its day is not read, because it counts by
/// `received_on`.
pub fn recommendation_figures(
    filter: &Filter,
    recommendations: &[Counted<'_, RecommendationChanged>],
) -> RecommendationFigures {
    let mut received = 0;
    let mut forwarded = 0;
    let mut decided = 0;
    let mut feedback_given = 0;
    let mut days_to_decision = Vec::new();
    let mut days_to_feedback = Vec::new();
    let mut facets = Facets::default();
    for counted in recommendations {
        let recommendation = counted.data;
        let sphere = [recommendation.sphere.as_str()];
        if !filter.in_year(Some(recommendation.received_on))
            || !filter.facets(counted.territories, sphere, None, &mut facets)
        {
            continue;
        }
        received += 1;
        let is_current_body = filter
            .body
            .as_ref()
            .is_none_or(|body| *body == recommendation.government_body);
        let was_forwarded = match &filter.body {
            Some(_) => !is_current_body,
            None => {
                recommendation.forwarded_on.is_some()
                    || recommendation.forwarded_from.is_some()
                    || recommendation.status == "forwarded"
            }
        };
        if was_forwarded {
            forwarded += 1;
        }
        if is_current_body && is_decided(recommendation) {
            decided += 1;
            if let Some(day) = recommendation.decided_on {
                days_to_decision.push((day - recommendation.received_on).num_days());
            }
        }
        if is_current_body && let Some(day) = recommendation.answered_on {
            feedback_given += 1;
            days_to_feedback.push((day - recommendation.received_on).num_days());
        }
    }
    RecommendationFigures {
        filter: filter.clone(),
        received,
        forwarded,
        decided,
        feedback_given,
        median_days_to_decision: median(days_to_decision),
        median_days_to_feedback: median(days_to_feedback),
    }
}

fn is_decided(recommendation: &RecommendationChanged) -> bool {
    recommendation.decided_on.is_some()
        || recommendation.handling.is_some()
        || DECIDED_STATUSES.contains(&recommendation.status.as_str())
}

/// Returns the median of `values`: the mean of the two middle values for an even
/// count, `None` for none.
pub fn median(mut values: Vec<i64>) -> Option<f64> {
    values.sort_unstable();
    let middle = values.len() / 2;
    match values.len() {
        0 => None,
        n if n % 2 == 1 => Some(values[middle] as f64),
        _ => Some((values[middle - 1] + values[middle]) as f64 / 2.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kato(code: &str) -> KatoCode {
        KatoCode::parse(code).unwrap()
    }

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn npo(territories: &[&str], spheres: &[&str], registered_on: &str) -> NpoFacts {
        NpoFacts {
            status: ACTIVE.into(),
            territories: territories
                .iter()
                .filter_map(|t| Territory::parse(t))
                .collect(),
            spheres: spheres.iter().map(|s| Arc::from(*s)).collect(),
            registered_on: Some(day(registered_on)),
        }
    }

    #[test]
    fn region_of_walks_to_top() {
        assert_eq!(region_of(&kato("623830100")), kato("620000000"));
        assert_eq!(region_of(&kato("620000000")), kato("620000000"));
    }

    #[test]
    fn median_of_even_count() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![7]), Some(7.0));
        assert_eq!(median(vec![10, 2, 4]), Some(4.0));
        assert_eq!(median(vec![1, 4, 2, 10]), Some(3.0));
    }

    #[test]
    fn indicator_met_respects_direction() {
        assert!(indicator_met(10.0, 10.0, true));
        assert!(!indicator_met(10.0, 9.0, true));
        assert!(indicator_met(5.0, 3.0, false));
        assert!(!indicator_met(5.0, 6.0, false));
        assert!(!indicator_met(5.0, f64::NAN, true));
    }

    #[test]
    fn body_area_keeps_overlapping_territories() {
        let district = RegisteredBody {
            id: "district".into(),
            territory: Some(kato("623800000")),
            spheres: vec![Sphere::Youth],
            in_register_since: day("2025-01-01"),
            vacant_since: None,
        };
        let npos = vec![
            npo(&["620000000"], &["youth"], "2025-02-01"),
            npo(&["623830100"], &["youth", "ecology"], "2025-02-01"),
            npo(&["711210000"], &["youth"], "2025-02-01"),
            npo(&["623830100"], &["ecology"], "2025-02-01"),
        ];

        let figures = npo_figures(&Filter::default(), &npos, Some(&district));

        assert_eq!(figures.total, 2);
        assert_eq!(
            figures.by_sphere,
            vec![SphereCount {
                sphere: "youth".into(),
                count: 2
            }]
        );
    }

    #[test]
    fn year_counts_local_day() {
        let npos = vec![
            npo(&["620000000"], &["youth"], "2024-12-31"),
            npo(&["620000000"], &["youth"], "2025-01-01"),
        ];
        let filter = Filter {
            year: Some(2025),
            ..Filter::default()
        };

        assert_eq!(npo_figures(&filter, &npos, None).total, 1);
    }
}
