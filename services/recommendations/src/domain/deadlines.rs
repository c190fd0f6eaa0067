//! Deadlines of the stages of a recommendation, counted in working days of the holiday
//! calendar. The regulation sets no terms, so the defaults below are settings that a
//! deployment changes:
//!
//! - `LIAISON_RECOMMENDATION_DECISION_DAYS` (default 15): from arrival at a body to its
//!   decision;
//! - `LIAISON_RECOMMENDATION_FEEDBACK_DAYS` (default 5): from the decision to the
//!   feedback to the author;
//! - `LIAISON_HOLIDAYS_FILE`: a calendar of days off and transferred working days
//!   (`YYYY-MM-DD off|working note` per line) instead of the built-in one of
//!   Kazakhstan's public holidays.

use anyhow::Context;
use chrono::NaiveDate;
use common_models::WorkingCalendar;
use service_kit::Settings;

use super::recommendation::Stage;

/// Maximum length of a stage in the settings, in working days.
const MAX_DAYS: u32 = 365;

/// Working days each stage may take, and the calendar they are counted in.
#[derive(Debug, Clone)]
pub struct StageDeadlines {
    pub decision_days: u32,
    pub feedback_days: u32,
    pub calendar: WorkingCalendar,
}

impl StageDeadlines {
    /// Reads the settings. A value that is not a whole number from 1 to 365, or a
    /// calendar that cannot be read, is an error, so the service does not start.
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        let calendar = match settings.option("HOLIDAYS_FILE") {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("invalid setting LIAISON_HOLIDAYS_FILE={path:?}"))?;
                WorkingCalendar::parse(&text)
                    .with_context(|| format!("invalid setting LIAISON_HOLIDAYS_FILE={path:?}"))?
            }
            None => WorkingCalendar::kazakhstan(),
        };
        Ok(Self {
            decision_days: days(settings, "RECOMMENDATION_DECISION_DAYS", 15)?,
            feedback_days: days(settings, "RECOMMENDATION_FEEDBACK_DAYS", 5)?,
            calendar,
        })
    }

    /// Returns the day `stage`, started on `start`, is due.
    pub fn due(&self, stage: Stage, start: NaiveDate) -> NaiveDate {
        let days = match stage {
            Stage::Decision => self.decision_days,
            Stage::Feedback => self.feedback_days,
        };
        self.calendar.add_working_days(start, days)
    }
}

fn days(settings: &Settings, name: &str, default: u32) -> anyhow::Result<u32> {
    let Some(raw) = settings.option(name) else {
        return Ok(default);
    };
    raw.trim()
        .parse::<u32>()
        .ok()
        .filter(|days| (1..=MAX_DAYS).contains(days))
        .ok_or_else(|| {
            anyhow::anyhow!(
                "invalid setting LIAISON_{name}={raw:?}: expected a whole number of working days from 1 to {MAX_DAYS}"
            )
        })
}
