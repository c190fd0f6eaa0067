//! A needs assessment: what was studied, where, with whom and how, its analysis report,
//! and the rules of its lifecycle from draft to published report.

use chrono::{DateTime, NaiveDate, Utc};
use common_models::{AssessmentStatus, KatoCode, NeedsInformationSource, Sphere, TargetGroup};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::priority::Priority;
use super::{Errors, multiline_text, parse_code, parse_codes, parse_date, present, text};

/// Maximum number of entries in each list of an assessment.
pub const MAX_ENTRIES: usize = 50;
/// Maximum number of representatives of one target group.
const MAX_PARTICIPANTS: i64 = 10_000_000;
/// Maximum length of the long free-text fields, in characters.
const LONG_TEXT: usize = 20_000;

/// A target group and the number of its representatives involved in the assessment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TargetGroupCount {
    pub group: TargetGroup,
    pub participants: i64,
}

/// A data collection instrument, such as a questionnaire, with an example of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Instrument {
    pub description: String,
    pub example: Option<String>,
}

/// An information source used, with what exactly was used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SourceUse {
    pub source: NeedsInformationSource,
    /// Publication, statistics table, meeting or study used.
    pub details: Option<String>,
}

impl SourceUse {
    /// Returns `primary` for information the body collected itself, else `secondary`.
    pub fn kind(&self) -> &'static str {
        if self.source.is_primary() {
            "primary"
        } else {
            "secondary"
        }
    }
}

/// The analysis report, in free form.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Report {
    /// Course of the analysis.
    pub course: Option<String>,
    pub conclusions: Option<String>,
    pub recommendations: Option<String>,
}

/// A valid assessment as the officer describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct AssessmentFacts {
    pub title: String,
    pub spheres: Vec<Sphere>,
    pub territory: Option<KatoCode>,
    pub period_start: Option<NaiveDate>,
    pub period_end: Option<NaiveDate>,
    pub target_groups: Vec<TargetGroupCount>,
    pub methods: Option<String>,
    pub instruments: Vec<Instrument>,
    pub information_sources: Vec<SourceUse>,
    pub report: Report,
}

/// A target group in a request.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetGroupInput {
    #[serde(default)]
    #[schema(value_type = TargetGroup, required = true)]
    pub group: String,
    /// Number of the group's representatives involved, 0 or more.
    pub participants: Option<i64>,
}

/// A data collection instrument in a request.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InstrumentInput {
    #[serde(default)]
    #[schema(required = true)]
    pub description: String,
    pub example: Option<String>,
}

/// An information source in a request.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SourceInput {
    #[serde(default)]
    #[schema(value_type = NeedsInformationSource, required = true)]
    pub source: String,
    pub details: Option<String>,
}

/// The analysis report in a request.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportInput {
    pub course: Option<String>,
    pub conclusions: Option<String>,
    pub recommendations: Option<String>,
}

/// Body of a request that starts an assessment. Only the title is required while the
/// assessment is a draft.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssessmentInput {
    #[serde(default)]
    #[schema(required = true)]
    pub title: String,
    #[serde(default)]
    #[schema(value_type = Vec<Sphere>)]
    pub spheres: Vec<String>,
    /// KATO code of the territory covered.
    #[schema(value_type = Option<String>, example = "620000000")]
    pub territory: Option<String>,
    /// First day of the assessment, `YYYY-MM-DD`.
    #[schema(value_type = Option<NaiveDate>)]
    pub period_start: Option<String>,
    /// Last day of the assessment, `YYYY-MM-DD`, not before `period_start`.
    #[schema(value_type = Option<NaiveDate>)]
    pub period_end: Option<String>,
    #[serde(default)]
    pub target_groups: Vec<TargetGroupInput>,
    /// Approaches and methods of the assessment.
    pub methods: Option<String>,
    #[serde(default)]
    pub instruments: Vec<InstrumentInput>,
    #[serde(default)]
    pub information_sources: Vec<SourceInput>,
    pub report: Option<ReportInput>,
}

/// Body of a request that changes an assessment: fields left out stay as they are, and
/// `null` clears a field.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssessmentPatch {
    pub title: Option<String>,
    #[serde(default, deserialize_with = "service_kit::extract::nullable")]
    #[schema(value_type = Option<Vec<Sphere>>)]
    pub spheres: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "service_kit::extract::nullable")]
    #[schema(value_type = Option<String>)]
    pub territory: Option<Option<String>>,
    #[serde(default, deserialize_with = "service_kit::extract::nullable")]
    #[schema(value_type = Option<NaiveDate>)]
    pub period_start: Option<Option<String>>,
    #[serde(default, deserialize_with = "service_kit::extract::nullable")]
    #[schema(value_type = Option<NaiveDate>)]
    pub period_end: Option<Option<String>>,
    #[serde(default, deserialize_with = "service_kit::extract::nullable")]
    #[schema(value_type = Option<Vec<TargetGroupInput>>)]
    pub target_groups: Option<Option<Vec<TargetGroupInput>>>,
    #[serde(default, deserialize_with = "service_kit::extract::nullable")]
    #[schema(value_type = Option<String>)]
    pub methods: Option<Option<String>>,
    #[serde(default, deserialize_with = "service_kit::extract::nullable")]
    #[schema(value_type = Option<Vec<InstrumentInput>>)]
    pub instruments: Option<Option<Vec<InstrumentInput>>>,
    #[serde(default, deserialize_with = "service_kit::extract::nullable")]
    #[schema(value_type = Option<Vec<SourceInput>>)]
    pub information_sources: Option<Option<Vec<SourceInput>>>,
    #[serde(default, deserialize_with = "service_kit::extract::nullable")]
    #[schema(value_type = Option<ReportInput>)]
    pub report: Option<Option<ReportInput>>,
}

impl AssessmentInput {
    /// Parses the request, listing every invalid field.
    pub fn parse(&self) -> Result<AssessmentFacts, service_kit::ApiError> {
        let mut errors = Errors::default();
        let title = errors
            .check("/title", text(Some(&self.title), 300))
            .flatten();
        if title.is_none() && !errors.has("/title") {
            errors.add("/title", "must not be empty");
        }
        if self.spheres.len() > MAX_ENTRIES {
            errors.add("/spheres", format!("at most {MAX_ENTRIES} spheres"));
        }
        let spheres = parse_codes::<Sphere>(&mut errors, "/spheres", &self.spheres);
        let territory = self
            .territory
            .as_deref()
            .and_then(|raw| errors.check("/territory", KatoCode::parse(raw)));
        let period_start = self
            .period_start
            .as_deref()
            .and_then(|raw| errors.check("/period_start", parse_date(raw)));
        let period_end = self
            .period_end
            .as_deref()
            .and_then(|raw| errors.check("/period_end", parse_date(raw)));
        if let (Some(start), Some(end)) = (period_start, period_end)
            && end < start
        {
            errors.add(
                "/period_end",
                format!("{end} is before period_start {start}"),
            );
        }
        let target_groups = parse_target_groups(&mut errors, &self.target_groups);
        let methods = errors
            .check(
                "/methods",
                multiline_text(self.methods.as_deref(), LONG_TEXT),
            )
            .flatten();
        let instruments = parse_instruments(&mut errors, &self.instruments);
        let information_sources = parse_sources(&mut errors, &self.information_sources);
        let report = parse_report(&mut errors, self.report.as_ref());

        errors.into_result()?;
        Ok(AssessmentFacts {
            title: title.unwrap_or_default(),
            spheres,
            territory,
            period_start,
            period_end,
            target_groups,
            methods,
            instruments,
            information_sources,
            report,
        })
    }

    /// Describes `facts` as a request, so that a patch can be laid over it and the
    /// result parsed with the same checks as a create.
    pub fn from_facts(facts: &AssessmentFacts) -> Self {
        Self {
            title: facts.title.clone(),
            spheres: facts.spheres.iter().map(ToString::to_string).collect(),
            territory: facts.territory.as_ref().map(ToString::to_string),
            period_start: facts.period_start.map(|d| d.to_string()),
            period_end: facts.period_end.map(|d| d.to_string()),
            target_groups: facts
                .target_groups
                .iter()
                .map(|g| TargetGroupInput {
                    group: g.group.to_string(),
                    participants: Some(g.participants),
                })
                .collect(),
            methods: facts.methods.clone(),
            instruments: facts
                .instruments
                .iter()
                .map(|i| InstrumentInput {
                    description: i.description.clone(),
                    example: i.example.clone(),
                })
                .collect(),
            information_sources: facts
                .information_sources
                .iter()
                .map(|s| SourceInput {
                    source: s.source.to_string(),
                    details: s.details.clone(),
                })
                .collect(),
            report: Some(ReportInput {
                course: facts.report.course.clone(),
                conclusions: facts.report.conclusions.clone(),
                recommendations: facts.report.recommendations.clone(),
            }),
        }
    }
}

impl AssessmentPatch {
    /// Lays the patch over `current` and parses the result.
    pub fn apply(
        &self,
        current: &AssessmentFacts,
    ) -> Result<AssessmentFacts, service_kit::ApiError> {
        let mut input = AssessmentInput::from_facts(current);
        if let Some(title) = &self.title {
            input.title = title.clone();
        }
        if let Some(spheres) = &self.spheres {
            input.spheres = spheres.clone().unwrap_or_default();
        }
        if let Some(territory) = &self.territory {
            input.territory = territory.clone();
        }
        if let Some(start) = &self.period_start {
            input.period_start = start.clone();
        }
        if let Some(end) = &self.period_end {
            input.period_end = end.clone();
        }
        if let Some(groups) = &self.target_groups {
            input.target_groups = groups.clone().unwrap_or_default();
        }
        if let Some(methods) = &self.methods {
            input.methods = methods.clone();
        }
        if let Some(instruments) = &self.instruments {
            input.instruments = instruments.clone().unwrap_or_default();
        }
        if let Some(sources) = &self.information_sources {
            input.information_sources = sources.clone().unwrap_or_default();
        }
        if let Some(report) = &self.report {
            input.report = report.clone();
        }
        input.parse()
    }
}

fn parse_target_groups(errors: &mut Errors, groups: &[TargetGroupInput]) -> Vec<TargetGroupCount> {
    if groups.len() > MAX_ENTRIES {
        errors.add("/target_groups", format!("at most {MAX_ENTRIES} groups"));
        return Vec::new();
    }
    let mut parsed: Vec<TargetGroupCount> = Vec::new();
    for (index, input) in groups.iter().enumerate() {
        let pointer = format!("/target_groups/{index}");
        let group_pointer = format!("{pointer}/group");
        let group = present(errors, &group_pointer, &input.group)
            .and_then(|raw| errors.check(&group_pointer, parse_code::<TargetGroup>(raw)));
        let participants = match input.participants {
            Some(n) if (0..=MAX_PARTICIPANTS).contains(&n) => Some(n),
            Some(_) => {
                errors.add(
                    format!("{pointer}/participants"),
                    format!("must be between 0 and {MAX_PARTICIPANTS}"),
                );
                None
            }
            None => Some(0),
        };
        if let Some(group) = group
            && parsed.iter().any(|g| g.group == group)
        {
            errors.add(
                format!("{pointer}/group"),
                format!("{group} is listed twice"),
            );
            continue;
        }
        if let (Some(group), Some(participants)) = (group, participants) {
            parsed.push(TargetGroupCount {
                group,
                participants,
            });
        }
    }
    parsed
}

fn parse_instruments(errors: &mut Errors, instruments: &[InstrumentInput]) -> Vec<Instrument> {
    if instruments.len() > MAX_ENTRIES {
        errors.add("/instruments", format!("at most {MAX_ENTRIES} instruments"));
        return Vec::new();
    }
    let mut parsed = Vec::new();
    for (index, input) in instruments.iter().enumerate() {
        let pointer = format!("/instruments/{index}");
        let description = errors
            .check(
                format!("{pointer}/description"),
                multiline_text(Some(&input.description), 2000),
            )
            .flatten();
        if description.is_none() && !errors.has(&format!("{pointer}/description")) {
            errors.add(format!("{pointer}/description"), "must not be empty");
        }
        let example = errors
            .check(
                format!("{pointer}/example"),
                multiline_text(input.example.as_deref(), LONG_TEXT),
            )
            .flatten();
        if let Some(description) = description {
            parsed.push(Instrument {
                description,
                example,
            });
        }
    }
    parsed
}

fn parse_sources(errors: &mut Errors, sources: &[SourceInput]) -> Vec<SourceUse> {
    if sources.len() > MAX_ENTRIES {
        errors.add(
            "/information_sources",
            format!("at most {MAX_ENTRIES} sources"),
        );
        return Vec::new();
    }
    let mut parsed = Vec::new();
    for (index, input) in sources.iter().enumerate() {
        let pointer = format!("/information_sources/{index}");
        let source_pointer = format!("{pointer}/source");
        let source = present(errors, &source_pointer, &input.source).and_then(|raw| {
            errors.check(&source_pointer, parse_code::<NeedsInformationSource>(raw))
        });
        let details = errors
            .check(
                format!("{pointer}/details"),
                multiline_text(input.details.as_deref(), 2000),
            )
            .flatten();
        if let Some(source) = source {
            parsed.push(SourceUse { source, details });
        }
    }
    parsed
}

fn parse_report(errors: &mut Errors, report: Option<&ReportInput>) -> Report {
    let Some(report) = report else {
        return Report::default();
    };
    let mut field = |name: &str, raw: &Option<String>| {
        errors
            .check(
                format!("/report/{name}"),
                multiline_text(raw.as_deref(), LONG_TEXT),
            )
            .flatten()
    };
    Report {
        course: field("course", &report.course),
        conclusions: field("conclusions", &report.conclusions),
        recommendations: field("recommendations", &report.recommendations),
    }
}

/// A stored assessment with its lifecycle.
#[derive(Debug, Clone)]
pub struct AssessmentRecord {
    pub id: String,
    pub government_body: String,
    pub status: AssessmentStatus,
    pub facts: AssessmentFacts,
    pub territory_name: Option<String>,
    pub completed_on: Option<NaiveDate>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
}

impl AssessmentRecord {
    /// Fails with 409 unless the assessment can still be changed: a published report
    /// stays as it was published.
    pub fn check_editable(&self) -> Result<(), service_kit::ApiError> {
        if self.status == AssessmentStatus::Published {
            return Err(service_kit::ApiError::Conflict(format!(
                "assessment {} is published; its report can no longer change",
                self.id
            )));
        }
        Ok(())
    }

    /// Removes the analysis report, which public readers see only once it is published.
    pub fn without_report(mut self) -> Self {
        self.facts.report = Report::default();
        self
    }

    /// Builds the response body, with `priorities` in ranking order.
    pub fn view(&self, priorities: Vec<Priority>) -> Assessment {
        let facts = &self.facts;
        Assessment {
            id: self.id.clone(),
            government_body: self.government_body.clone(),
            title: facts.title.clone(),
            status: self.status,
            spheres: facts.spheres.clone(),
            territory: facts.territory.as_ref().map(ToString::to_string),
            territory_name: self.territory_name.clone(),
            period_start: facts.period_start,
            period_end: facts.period_end,
            target_groups: facts.target_groups.clone(),
            participants: facts.target_groups.iter().map(|g| g.participants).sum(),
            methods: facts.methods.clone(),
            instruments: facts.instruments.clone(),
            information_sources: facts
                .information_sources
                .iter()
                .map(|s| SourceView {
                    source: s.source,
                    kind: s.kind(),
                    details: s.details.clone(),
                })
                .collect(),
            report: facts.report.clone(),
            completed_on: self.completed_on,
            next_due_on: self.completed_on.map(super::schedule::next_due),
            priorities,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
            published_at: self.published_at,
        }
    }
}

/// An information source as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SourceView {
    pub source: NeedsInformationSource,
    /// `primary` (collected by the body itself) or `secondary`.
    pub kind: &'static str,
    pub details: Option<String>,
}

/// A needs assessment. The same fields are public once the report is published: none
/// of them contains personal data.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Assessment {
    pub id: String,
    /// Government body that carries out the assessment.
    pub government_body: String,
    pub title: String,
    pub status: AssessmentStatus,
    pub spheres: Vec<Sphere>,
    /// KATO code of the territory covered.
    pub territory: Option<String>,
    /// Russian name of the territory in the KATO classifier.
    pub territory_name: Option<String>,
    pub period_start: Option<NaiveDate>,
    pub period_end: Option<NaiveDate>,
    pub target_groups: Vec<TargetGroupCount>,
    /// Representatives of all target groups together.
    pub participants: i64,
    pub methods: Option<String>,
    pub instruments: Vec<Instrument>,
    pub information_sources: Vec<SourceView>,
    pub report: Report,
    /// Last day of the assessment, once it is analysed.
    pub completed_on: Option<NaiveDate>,
    /// Date by which the next assessment of the same spheres and territory is due.
    pub next_due_on: Option<NaiveDate>,
    /// Identified priorities, highest risk first.
    pub priorities: Vec<Priority>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
}

/// Body of a status change.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    /// The next status: collecting, analysed or published.
    #[schema(value_type = AssessmentStatus)]
    pub status: String,
}

/// Returns the status that follows `status`, if any.
pub fn next_status(status: AssessmentStatus) -> Option<AssessmentStatus> {
    match status {
        AssessmentStatus::Draft => Some(AssessmentStatus::Collecting),
        AssessmentStatus::Collecting => Some(AssessmentStatus::Analysed),
        AssessmentStatus::Analysed => Some(AssessmentStatus::Published),
        AssessmentStatus::Published => None,
    }
}

/// Checks what an assessment must hold to enter `target`, listing every missing item.
/// `priorities` is the number of identified priorities and `today` the local date.
pub fn check_transition(
    facts: &AssessmentFacts,
    target: AssessmentStatus,
    priorities: i64,
    today: NaiveDate,
) -> Result<(), service_kit::ApiError> {
    let mut errors = Errors::default();
    match target {
        AssessmentStatus::Draft => {}
        AssessmentStatus::Collecting => {
            require_scope(&mut errors, facts);
        }
        AssessmentStatus::Analysed => {
            require_scope(&mut errors, facts);
            require_dates(&mut errors, facts);
            if let Some(end) = facts.period_end
                && end > today
            {
                errors.add(
                    "/period_end",
                    format!("the assessment ends on {end}, after today ({today}); it can be analysed once it has ended"),
                );
            }
            if facts.report.conclusions.is_none() {
                errors.add(
                    "/report/conclusions",
                    "the analysis report needs its conclusions",
                );
            }
        }
        AssessmentStatus::Published => check_public_report(&mut errors, facts, priorities),
    }
    errors.into_result()
}

fn require_scope(errors: &mut Errors, facts: &AssessmentFacts) {
    if facts.spheres.is_empty() {
        errors.add(
            "/spheres",
            "name at least one sphere the assessment studies",
        );
    }
    if facts.territory.is_none() {
        errors.add("/territory", "name the territory the assessment covers");
    }
}

fn require_dates(errors: &mut Errors, facts: &AssessmentFacts) {
    if facts.period_start.is_none() {
        errors.add(
            "/period_start",
            "the first day of the assessment is missing",
        );
    }
    if facts.period_end.is_none() {
        errors.add("/period_end", "the last day of the assessment is missing");
    }
}

/// Lists every item of the public report that is missing. The regulation requires the
/// sphere, the target groups with the number of representatives involved, the
/// territory, the approaches and methods, the data collection instruments, the
/// information sources, the dates and the results with the prioritised needs.
fn check_public_report(errors: &mut Errors, facts: &AssessmentFacts, priorities: i64) {
    if facts.spheres.is_empty() {
        errors.add("/spheres", "a public report names the sphere studied");
    }
    if facts.target_groups.is_empty() {
        errors.add(
            "/target_groups",
            "a public report describes the target groups with the number of representatives involved",
        );
    }
    for (index, group) in facts.target_groups.iter().enumerate() {
        if group.participants == 0 {
            errors.add(
                format!("/target_groups/{index}/participants"),
                format!(
                    "a public report gives the number of {} representatives involved",
                    group.group
                ),
            );
        }
    }
    if facts.territory.is_none() {
        errors.add("/territory", "a public report names the territory covered");
    }
    if facts.methods.is_none() {
        errors.add(
            "/methods",
            "a public report describes the approaches and methods",
        );
    }
    if facts.instruments.is_empty() {
        errors.add(
            "/instruments",
            "a public report describes the data collection instruments or gives examples",
        );
    }
    if facts.information_sources.is_empty() {
        errors.add(
            "/information_sources",
            "a public report lists the information sources",
        );
    }
    require_dates(errors, facts);
    if facts.report.conclusions.is_none() {
        errors.add(
            "/report/conclusions",
            "a public report gives the results of the analysis",
        );
    }
    if priorities == 0 {
        errors.add(
            "/priorities",
            "a public report includes the prioritised needs; identify at least one priority",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete() -> AssessmentFacts {
        AssessmentFacts {
            title: "Оценка".into(),
            spheres: vec![Sphere::Education],
            territory: Some(KatoCode::parse("620000000").unwrap()),
            period_start: NaiveDate::from_ymd_opt(2024, 2, 1),
            period_end: NaiveDate::from_ymd_opt(2024, 5, 31),
            target_groups: vec![TargetGroupCount {
                group: TargetGroup::Youth,
                participants: 120,
            }],
            methods: Some("Опрос".into()),
            instruments: vec![Instrument {
                description: "Анкета".into(),
                example: None,
            }],
            information_sources: vec![SourceUse {
                source: NeedsInformationSource::OfficialStatistics,
                details: None,
            }],
            report: Report {
                course: None,
                conclusions: Some("Выводы".into()),
                recommendations: None,
            },
        }
    }

    fn pointers(result: Result<(), service_kit::ApiError>) -> Vec<String> {
        match result {
            Ok(()) => Vec::new(),
            Err(error) => error
                .problem()
                .errors
                .into_iter()
                .map(|e| e.pointer)
                .collect(),
        }
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 4).unwrap()
    }

    #[test]
    fn complete_report_publishes() {
        let result = check_transition(&complete(), AssessmentStatus::Published, 1, today());

        assert!(result.is_ok());
    }

    #[test]
    fn empty_report_lists_all_items() {
        let empty = AssessmentInput::from_facts(&complete());
        let facts = AssessmentInput {
            title: empty.title,
            ..serde_json::from_str(r#"{"title": "x"}"#).unwrap()
        }
        .parse()
        .unwrap();

        let found = pointers(check_transition(
            &facts,
            AssessmentStatus::Published,
            0,
            today(),
        ));

        assert_eq!(
            found,
            [
                "/spheres",
                "/target_groups",
                "/territory",
                "/methods",
                "/instruments",
                "/information_sources",
                "/period_start",
                "/period_end",
                "/report/conclusions",
                "/priorities"
            ]
        );
    }

    #[test]
    fn zero_participants_blocks_publication() {
        let mut facts = complete();
        facts.target_groups[0].participants = 0;

        let found = pointers(check_transition(
            &facts,
            AssessmentStatus::Published,
            1,
            today(),
        ));

        assert_eq!(found, ["/target_groups/0/participants"]);
    }

    #[test]
    fn future_end_blocks_analysis() {
        let mut facts = complete();
        facts.period_end = NaiveDate::from_ymd_opt(2026, 12, 5);

        let found = pointers(check_transition(
            &facts,
            AssessmentStatus::Analysed,
            0,
            today(),
        ));

        assert_eq!(found, ["/period_end"]);
    }

    #[test]
    fn patch_clears_and_keeps() {
        let patch: AssessmentPatch =
            serde_json::from_str(r#"{"methods": null, "title": "Новая"}"#).unwrap();

        let facts = patch.apply(&complete()).unwrap();

        assert_eq!(facts.title, "Новая");
        assert_eq!(facts.methods, None);
        assert_eq!(facts.spheres, vec![Sphere::Education]);
    }
}
