//! Identified priorities: one row of the "identified priorities" form each, and the
//! form itself as a table.

use chrono::{DateTime, Utc};
use common_models::event::needs::PriorityIdentified;
use common_models::{Catalogue, KatoCode, NeedsInformationSource, RiskLevel, Sphere, TargetGroup};
use serde::{Deserialize, Serialize};
use service_kit::export::{Cell, Table};
use utoipa::ToSchema;

use super::assessment::AssessmentFacts;
use super::{Errors, multiline_text, parse_code, present};

/// Maximum number of priorities of one assessment.
pub const MAX_PER_ASSESSMENT: i64 = 500;
/// Maximum number of people affected a priority may name.
const MAX_PEOPLE: i64 = 100_000_000;

/// Headings of the "identified priorities" form, in the regulation's column order.
pub const FORM_HEADINGS: [&str; 8] = [
    "№",
    "Сфера",
    "Территория",
    "Целевая группа",
    "Проблема/задача/потребность",
    "Источник информации",
    "Риски нерешения",
    "Оценка наступления риска (высокий/средний/низкий)",
];
/// Title of the form, used as the sheet name.
pub const FORM_TITLE: &str = "Сведения о выявленных приоритетах";

/// Body of a request that adds a priority to an assessment.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PriorityInput {
    /// One of the assessment's spheres.
    #[serde(default)]
    #[schema(value_type = Sphere, required = true)]
    pub sphere: String,
    /// KATO code of the assessment's territory or a territory inside it.
    #[serde(default)]
    #[schema(value_type = String, example = "620000000", required = true)]
    pub territory: String,
    #[serde(default)]
    #[schema(value_type = TargetGroup, required = true)]
    pub target_group: String,
    /// The problem, task or need.
    #[serde(default)]
    #[schema(required = true)]
    pub problem: String,
    #[serde(default)]
    #[schema(value_type = NeedsInformationSource, required = true)]
    pub information_source: String,
    /// Publication, statistics, meeting or study the priority comes from.
    pub source_details: Option<String>,
    /// Consequences if the problem stays unsolved.
    #[serde(default)]
    #[schema(required = true)]
    pub risks: String,
    #[serde(default)]
    #[schema(value_type = RiskLevel, required = true)]
    pub risk_level: String,
    /// Number of people the problem affects, when known; ranks priorities of equal risk.
    pub people_affected: Option<i64>,
}

/// A valid priority.
#[derive(Debug, Clone, PartialEq)]
pub struct PriorityFacts {
    pub sphere: Sphere,
    pub territory: KatoCode,
    pub target_group: TargetGroup,
    pub problem: String,
    pub information_source: NeedsInformationSource,
    pub source_details: Option<String>,
    pub risks: String,
    pub risk_level: RiskLevel,
    pub people_affected: Option<i64>,
}

impl PriorityInput {
    /// Parses the request against the assessment it belongs to: the sphere must be one
    /// of the assessment's spheres and the territory inside its territory.
    pub fn parse(
        &self,
        assessment: &AssessmentFacts,
    ) -> Result<PriorityFacts, service_kit::ApiError> {
        let mut errors = Errors::default();
        let sphere = present(&mut errors, "/sphere", &self.sphere)
            .and_then(|raw| errors.check("/sphere", parse_code::<Sphere>(raw)));
        if let Some(sphere) = sphere
            && !assessment.spheres.contains(&sphere)
        {
            let listed: Vec<String> = assessment.spheres.iter().map(ToString::to_string).collect();
            errors.add(
                "/sphere",
                format!(
                    "{sphere} is not a sphere of the assessment ({})",
                    if listed.is_empty() {
                        "none named yet".to_owned()
                    } else {
                        listed.join(", ")
                    }
                ),
            );
        }
        let territory = present(&mut errors, "/territory", &self.territory)
            .and_then(|raw| errors.check("/territory", KatoCode::parse(raw)));
        if let Some(territory) = &territory {
            match &assessment.territory {
                Some(covered) if covered.contains(territory) => {}
                Some(covered) => errors.add(
                    "/territory",
                    format!("{territory} is outside the assessment's territory {covered}"),
                ),
                None => errors.add(
                    "/territory",
                    "the assessment names no territory yet; set it first",
                ),
            }
        }
        let target_group = present(&mut errors, "/target_group", &self.target_group)
            .and_then(|raw| errors.check("/target_group", parse_code::<TargetGroup>(raw)));
        let problem = required(&mut errors, "/problem", &self.problem, 2000);
        let information_source =
            present(&mut errors, "/information_source", &self.information_source).and_then(|raw| {
                errors.check(
                    "/information_source",
                    parse_code::<NeedsInformationSource>(raw),
                )
            });
        let source_details = errors
            .check(
                "/source_details",
                multiline_text(self.source_details.as_deref(), 1000),
            )
            .flatten();
        let risks = required(&mut errors, "/risks", &self.risks, 2000);
        let risk_level = present(&mut errors, "/risk_level", &self.risk_level)
            .and_then(|raw| errors.check("/risk_level", parse_code::<RiskLevel>(raw)));
        let people_affected = match self.people_affected {
            Some(n) if !(0..=MAX_PEOPLE).contains(&n) => {
                errors.add(
                    "/people_affected",
                    format!("must be between 0 and {MAX_PEOPLE}"),
                );
                None
            }
            other => other,
        };

        errors.into_result()?;
        match (
            sphere,
            territory,
            target_group,
            problem,
            information_source,
            risks,
            risk_level,
        ) {
            (
                Some(sphere),
                Some(territory),
                Some(target_group),
                Some(problem),
                Some(information_source),
                Some(risks),
                Some(risk_level),
            ) => Ok(PriorityFacts {
                sphere,
                territory,
                target_group,
                problem,
                information_source,
                source_details,
                risks,
                risk_level,
                people_affected,
            }),
            _ => Err(service_kit::ApiError::internal(anyhow::anyhow!(
                "a priority passed its checks with a field missing"
            ))),
        }
    }
}

fn required(errors: &mut Errors, pointer: &str, raw: &str, max: usize) -> Option<String> {
    let value = errors
        .check(pointer, multiline_text(Some(raw), max))
        .flatten();
    if value.is_none() && !errors.has(pointer) {
        errors.add(pointer, "must not be empty");
    }
    value
}

/// An identified priority.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Priority {
    pub id: String,
    pub assessment_id: String,
    /// Government body whose assessment identified the priority.
    pub government_body: String,
    pub sphere: Sphere,
    /// KATO code.
    pub territory: String,
    /// Russian name of the territory in the KATO classifier.
    pub territory_name: Option<String>,
    pub target_group: TargetGroup,
    pub problem: String,
    pub information_source: NeedsInformationSource,
    pub source_details: Option<String>,
    pub risks: String,
    pub risk_level: RiskLevel,
    pub people_affected: Option<i64>,
    pub created_at: DateTime<Utc>,
}

impl Priority {
    /// Describes the priority as the events carry it.
    pub fn identified(&self) -> PriorityIdentified {
        PriorityIdentified {
            priority_id: self.id.clone(),
            assessment_id: self.assessment_id.clone(),
            government_body: self.government_body.clone(),
            sphere: self.sphere.code().to_owned(),
            territory: self.territory.clone(),
            target_group: self.target_group.code().to_owned(),
            risk_level: self.risk_level.code().to_owned(),
            people_affected: self.people_affected,
            problem: Some(self.problem.clone()),
            information_source: Some(self.information_source.code().to_owned()),
            source_details: self.source_details.clone(),
            risks: Some(self.risks.clone()),
        }
    }
}

/// Fails with 422 when a priority falls outside the spheres or the territory of
/// `assessment`, as after a change of its scope.
pub fn check_fit(
    assessment: &AssessmentFacts,
    priorities: &[Priority],
) -> Result<(), service_kit::ApiError> {
    let mut errors = Errors::default();
    for priority in priorities {
        if !assessment.spheres.contains(&priority.sphere) {
            errors.add(
                "/spheres",
                format!(
                    "priority {} is in sphere {}; keep the sphere or remove the priority first",
                    priority.id, priority.sphere
                ),
            );
        }
        let inside = match (&assessment.territory, KatoCode::parse(&priority.territory)) {
            (Some(covered), Ok(territory)) => covered.contains(&territory),
            _ => false,
        };
        if !inside {
            errors.add(
                "/territory",
                format!(
                    "priority {} is in territory {}; cover it or remove the priority first",
                    priority.id, priority.territory
                ),
            );
        }
    }
    errors.into_result()
}

/// Builds the "identified priorities" form from priorities in ranking order, with the
/// Russian labels of the codes.
pub fn form(priorities: &[Priority]) -> Table {
    let rows = priorities
        .iter()
        .enumerate()
        .map(|(index, p)| {
            let territory = match &p.territory_name {
                Some(name) => format!("{name} ({})", p.territory),
                None => p.territory.clone(),
            };
            let source = match &p.source_details {
                Some(details) => format!("{}: {details}", p.information_source.labels().ru),
                None => p.information_source.labels().ru.to_owned(),
            };
            vec![
                Cell::from(index as i64 + 1),
                p.sphere.labels().ru.into(),
                territory.into(),
                p.target_group.labels().ru.into(),
                p.problem.clone().into(),
                source.into(),
                p.risks.clone().into(),
                p.risk_level.labels().ru.into(),
            ]
        })
        .collect();
    Table {
        title: FORM_TITLE.to_owned(),
        headings: FORM_HEADINGS.iter().map(|h| (*h).to_owned()).collect(),
        rows,
    }
}
