//! The monitoring and evaluation plan of a joint action: one row per activity with
//! planned indicators, the measurements of their actual values, the measurements that
//! are due, and the plan as the regulation's form.

use chrono::{DateTime, Months, NaiveDate, Utc};
use common_models::event::joint_actions as event;
use common_models::{Catalogue, MeasurementFrequency};
use serde::{Deserialize, Serialize};
use service_kit::ApiError;
use service_kit::export::{Cell, Table};
use utoipa::ToSchema;

use super::{Errors, multiline_text, parse_code, parse_date, present, text};

/// Maximum number of indicators of one row.
const MAX_INDICATORS: usize = 20;

/// Headings of the "monitoring and evaluation plan" form, in the regulation's order.
pub const FORM_HEADINGS: [&str; 7] = [
    "№",
    "Мероприятие",
    "Плановые показатели",
    "Фактические показатели",
    "Подтверждение/Источники информации",
    "Периодичность измерения",
    "Комментарии",
];
/// Title of the form, used as the sheet name.
pub const FORM_TITLE: &str = "План мониторинга и оценки";

/// A planned indicator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Indicator {
    pub name: String,
    /// Unit of the values, such as "человек".
    pub unit: Option<String>,
    pub target: f64,
    /// Whether reaching or exceeding the target is good (false: staying at or below it).
    pub higher_is_better: bool,
}

impl Indicator {
    /// Returns whether `value` meets the target.
    pub fn met_by(&self, value: f64) -> bool {
        if self.higher_is_better {
            value >= self.target
        } else {
            value <= self.target
        }
    }
}

/// An indicator in a request.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IndicatorInput {
    #[serde(default)]
    #[schema(required = true)]
    pub name: String,
    pub unit: Option<String>,
    pub target: Option<f64>,
    pub higher_is_better: Option<bool>,
}

/// Body of a request that adds a row to the monitoring plan.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RowInput {
    #[serde(default)]
    #[schema(required = true)]
    pub activity: String,
    #[serde(default)]
    #[schema(value_type = MeasurementFrequency, required = true)]
    pub frequency: String,
    #[serde(default)]
    pub indicators: Vec<IndicatorInput>,
    pub comments: Option<String>,
}

/// A valid row.
#[derive(Debug, Clone, PartialEq)]
pub struct RowFacts {
    pub activity: String,
    pub frequency: MeasurementFrequency,
    pub indicators: Vec<Indicator>,
    pub comments: Option<String>,
}

impl RowInput {
    /// Parses the request, listing every invalid field.
    pub fn parse(&self) -> Result<RowFacts, ApiError> {
        let mut errors = Errors::default();
        let activity = errors
            .check("/activity", text(Some(&self.activity), 500))
            .flatten();
        if activity.is_none() && !errors.has("/activity") {
            errors.add("/activity", "is required");
        }
        let frequency = present(&mut errors, "/frequency", &self.frequency)
            .and_then(|raw| errors.check("/frequency", parse_code::<MeasurementFrequency>(raw)));
        if self.indicators.is_empty() {
            errors.add("/indicators", "plan at least one indicator");
        }
        if self.indicators.len() > MAX_INDICATORS {
            errors.add(
                "/indicators",
                format!("at most {MAX_INDICATORS} indicators"),
            );
        }
        let mut indicators: Vec<Indicator> = Vec::new();
        for (index, input) in self.indicators.iter().take(MAX_INDICATORS).enumerate() {
            let pointer = format!("/indicators/{index}");
            let name = errors
                .check(format!("{pointer}/name"), text(Some(&input.name), 200))
                .flatten();
            if name.is_none() && !errors.has(&format!("{pointer}/name")) {
                errors.add(format!("{pointer}/name"), "is required");
            }
            if let Some(name) = &name
                && indicators.iter().any(|i| &i.name == name)
            {
                errors.add(
                    format!("{pointer}/name"),
                    format!("'{name}' is listed twice"),
                );
            }
            let unit = errors
                .check(format!("{pointer}/unit"), text(input.unit.as_deref(), 50))
                .flatten();
            let target = match input.target {
                Some(target) if target.is_finite() => Some(target),
                Some(_) => {
                    errors.add(format!("{pointer}/target"), "must be a finite number");
                    None
                }
                None => {
                    errors.add(format!("{pointer}/target"), "is required");
                    None
                }
            };
            if let (Some(name), Some(target)) = (name, target) {
                indicators.push(Indicator {
                    name,
                    unit,
                    target,
                    higher_is_better: input.higher_is_better.unwrap_or(true),
                });
            }
        }
        let comments = errors
            .check("/comments", multiline_text(self.comments.as_deref(), 5000))
            .flatten();

        errors.into_result()?;
        Ok(RowFacts {
            activity: activity.unwrap_or_default(),
            frequency: frequency.unwrap_or(MeasurementFrequency::Once),
            indicators,
            comments,
        })
    }
}

/// Body of a request that records a measurement.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeasurementInput {
    /// Name of one of the row's indicators.
    #[serde(default)]
    #[schema(required = true)]
    pub indicator: String,
    #[serde(default)]
    #[schema(value_type = NaiveDate, required = true)]
    pub measured_on: String,
    pub value: Option<f64>,
    /// Evidence or source of the value, such as a list of participants.
    pub evidence: Option<String>,
}

/// A valid measurement.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Measurement {
    pub indicator: String,
    pub measured_on: NaiveDate,
    pub value: f64,
    pub evidence: Option<String>,
}

impl MeasurementInput {
    /// Parses the request against the row's indicators. The date lies between
    /// `started_on`, the day the action started, and `today`.
    pub fn parse(
        &self,
        indicators: &[Indicator],
        started_on: Option<NaiveDate>,
        today: NaiveDate,
    ) -> Result<Measurement, ApiError> {
        let mut errors = Errors::default();
        let indicator = present(&mut errors, "/indicator", &self.indicator).map(str::to_owned);
        if let Some(name) = &indicator
            && !indicators.iter().any(|i| &i.name == name)
        {
            let known: Vec<&str> = indicators.iter().map(|i| i.name.as_str()).collect();
            errors.add(
                "/indicator",
                format!(
                    "'{name}' is not an indicator of this row ({})",
                    known.join(", ")
                ),
            );
        }
        let measured_on = present(&mut errors, "/measured_on", &self.measured_on)
            .and_then(|raw| errors.check("/measured_on", parse_date(raw)));
        if let Some(date) = measured_on
            && date > today
        {
            errors.add("/measured_on", format!("{date} is after today ({today})"));
        }
        if let (Some(date), Some(start)) = (measured_on, started_on)
            && date < start
        {
            errors.add(
                "/measured_on",
                format!("{date} is before the action started ({start})"),
            );
        }
        let value = match self.value {
            Some(value) if value.is_finite() => Some(value),
            Some(_) => {
                errors.add("/value", "must be a finite number");
                None
            }
            None => {
                errors.add("/value", "is required");
                None
            }
        };
        let evidence = errors
            .check("/evidence", multiline_text(self.evidence.as_deref(), 2000))
            .flatten();

        errors.into_result()?;
        match (indicator, measured_on, value) {
            (Some(indicator), Some(measured_on), Some(value)) => Ok(Measurement {
                indicator,
                measured_on,
                value,
                evidence,
            }),
            _ => Err(ApiError::internal(anyhow::anyhow!(
                "a measurement passed its checks with a field missing"
            ))),
        }
    }
}

/// A stored row with its measurements, oldest first.
#[derive(Debug, Clone)]
pub struct RowRecord {
    pub id: String,
    pub facts: RowFacts,
    pub measurements: Vec<Measurement>,
    pub created_at: DateTime<Utc>,
}

/// An indicator with its planned and actual values.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IndicatorProgress {
    pub name: String,
    pub unit: Option<String>,
    pub target: f64,
    pub higher_is_better: bool,
    /// Latest measured value.
    pub actual: Option<f64>,
    /// Whether the latest value meets the target; null before the first measurement.
    pub met: Option<bool>,
    pub measurements: Vec<Measurement>,
}

/// A row of the monitoring plan with its progress.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MonitoringRow {
    pub id: String,
    pub activity: String,
    pub frequency: MeasurementFrequency,
    pub comments: Option<String>,
    pub indicators: Vec<IndicatorProgress>,
    /// Due dates that passed without a measurement.
    pub overdue: Vec<NaiveDate>,
}

/// The monitoring report of an action.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MonitoringReport {
    pub rows: Vec<MonitoringRow>,
    pub indicators_met: i64,
    pub indicators_total: i64,
}

impl RowRecord {
    /// Returns the row with its progress. Measurements are due from `started_on` up to
    /// `until`, which is today for a running action and its completion date otherwise.
    pub fn progress(&self, started_on: Option<NaiveDate>, until: NaiveDate) -> MonitoringRow {
        let indicators = self
            .facts
            .indicators
            .iter()
            .map(|indicator| {
                let measurements: Vec<Measurement> = self
                    .measurements
                    .iter()
                    .filter(|m| m.indicator == indicator.name)
                    .cloned()
                    .collect();
                let actual = latest(&measurements).map(|m| m.value);
                IndicatorProgress {
                    name: indicator.name.clone(),
                    unit: indicator.unit.clone(),
                    target: indicator.target,
                    higher_is_better: indicator.higher_is_better,
                    actual,
                    met: actual.map(|value| indicator.met_by(value)),
                    measurements,
                }
            })
            .collect();
        let overdue = match started_on {
            Some(start) => overdue_dates(self.facts.frequency, start, until, &self.measurements),
            None => Vec::new(),
        };
        MonitoringRow {
            id: self.id.clone(),
            activity: self.facts.activity.clone(),
            frequency: self.facts.frequency,
            comments: self.facts.comments.clone(),
            indicators,
            overdue,
        }
    }
}

/// Builds the payload of `joint_actions.monitoring.changed`: the whole monitoring plan
/// of the action `action_id` of `government_body`, from its rows with their progress.
pub fn monitoring_changed(
    action_id: &str,
    government_body: &str,
    rows: &[MonitoringRow],
) -> event::MonitoringChanged {
    event::MonitoringChanged {
        action_id: action_id.to_owned(),
        government_body: government_body.to_owned(),
        rows: rows.iter().map(MonitoringRow::report_row).collect(),
    }
}

impl MonitoringRow {
    fn report_row(&self) -> event::MonitoringRow {
        event::MonitoringRow {
            row_id: self.id.clone(),
            activity: self.activity.clone(),
            frequency: self.frequency.code().to_owned(),
            indicators: self
                .indicators
                .iter()
                .map(IndicatorProgress::report_state)
                .collect(),
            comments: self.comments.clone(),
        }
    }
}

impl IndicatorProgress {
    fn report_state(&self) -> event::IndicatorState {
        event::IndicatorState {
            name: self.name.clone(),
            unit: self.unit.clone(),
            target: self.target,
            higher_is_better: self.higher_is_better,
            actual: self.actual,
            evidence: self
                .measurements
                .iter()
                .filter_map(|m| m.evidence.clone())
                .collect(),
        }
    }
}

fn latest(measurements: &[Measurement]) -> Option<&Measurement> {
    measurements.iter().max_by_key(|m| m.measured_on)
}

/// Returns the due dates before `until` that have no measurement in their period. A
/// periodic row is due at the end of each period counted from `start`. A row measured
/// once has no due date of its own, so it is never listed.
pub fn overdue_dates(
    frequency: MeasurementFrequency,
    start: NaiveDate,
    until: NaiveDate,
    measurements: &[Measurement],
) -> Vec<NaiveDate> {
    let Some(months) = frequency.months() else {
        return Vec::new();
    };
    let mut overdue = Vec::new();
    let mut period_start = start;
    for period in 1u32.. {
        let Some(due) = start.checked_add_months(Months::new(months * period)) else {
            break;
        };
        if due >= until {
            break;
        }
        // The first period includes its first day; later ones start after the
        // previous due date.
        let measured = measurements.iter().any(|m| {
            let after_start = if period == 1 {
                m.measured_on >= period_start
            } else {
                m.measured_on > period_start
            };
            after_start && m.measured_on <= due
        });
        if !measured {
            overdue.push(due);
        }
        period_start = due;
    }
    overdue
}

/// Builds the "monitoring and evaluation plan" form from rows in creation order.
pub fn form(rows: &[MonitoringRow]) -> Table {
    let table_rows = rows
        .iter()
        .enumerate()
        .map(|(index, row)| {
            let planned: Vec<String> = row
                .indicators
                .iter()
                .map(|i| format!("{}: {}{}", i.name, number(i.target), unit(&i.unit)))
                .collect();
            let actual: Vec<String> = row
                .indicators
                .iter()
                .filter_map(|i| {
                    i.actual
                        .map(|value| format!("{}: {}{}", i.name, number(value), unit(&i.unit)))
                })
                .collect();
            let evidence: Vec<String> = row
                .indicators
                .iter()
                .flat_map(|i| i.measurements.iter())
                .filter_map(|m| {
                    m.evidence
                        .as_ref()
                        .map(|e| format!("{} ({})", e, m.measured_on.format("%d.%m.%Y")))
                })
                .collect();
            vec![
                Cell::from(index as i64 + 1),
                row.activity.clone().into(),
                planned.join("\n").into(),
                actual.join("\n").into(),
                evidence.join("\n").into(),
                row.frequency.labels().ru.into(),
                row.comments.clone().into(),
            ]
        })
        .collect();
    Table {
        title: FORM_TITLE.to_owned(),
        headings: FORM_HEADINGS.iter().map(|h| (*h).to_owned()).collect(),
        rows: table_rows,
    }
}

fn number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        value.to_string()
    }
}

fn unit(unit: &Option<String>) -> String {
    unit.as_ref().map(|u| format!(" {u}")).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn measured(on: NaiveDate) -> Measurement {
        Measurement {
            indicator: "x".into(),
            measured_on: on,
            value: 1.0,
            evidence: None,
        }
    }

    #[test]
    fn monthly_gaps_are_overdue() {
        let start = date(2026, 1, 15);
        let measurements = [measured(date(2026, 2, 10))];

        let overdue = overdue_dates(
            MeasurementFrequency::Monthly,
            start,
            date(2026, 4, 20),
            &measurements,
        );

        assert_eq!(overdue, [date(2026, 3, 15), date(2026, 4, 15)]);
    }

    #[test]
    fn nothing_due_in_first_period() {
        let overdue = overdue_dates(
            MeasurementFrequency::Quarterly,
            date(2026, 12, 4),
            date(2026, 12, 4),
            &[],
        );

        assert!(overdue.is_empty());
    }

    #[test]
    fn once_never_overdue_while_running() {
        let overdue = overdue_dates(
            MeasurementFrequency::Once,
            date(2020, 1, 1),
            date(2026, 1, 1),
            &[],
        );

        assert!(overdue.is_empty());
    }

    #[test]
    fn lower_is_better_target() {
        let indicator = Indicator {
            name: "Жалобы".into(),
            unit: None,
            target: 5.0,
            higher_is_better: false,
        };

        assert!(indicator.met_by(3.0));
        assert!(!indicator.met_by(6.0));
    }
}
