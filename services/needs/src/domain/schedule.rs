//! When each sphere and territory of a government body is due for its next needs
//! assessment. The regulation requires one at least every two years, counted from the
//! last day of the last completed assessment.

use chrono::{Months, NaiveDate};
use common_models::Sphere;
use serde::Serialize;
use utoipa::ToSchema;

/// Years between two assessments of the same sphere and territory.
pub const INTERVAL_YEARS: u32 = 2;
/// Days ahead the schedule lists assessments that fall due, when the request names none.
pub const DEFAULT_WITHIN_DAYS: i64 = 90;

/// Returns the date by which the next assessment is due after one completed on
/// `completed_on`. An assessment completed on 29 February is next due on 28 February.
pub fn next_due(completed_on: NaiveDate) -> NaiveDate {
    completed_on
        .checked_add_months(Months::new(12 * INTERVAL_YEARS))
        .unwrap_or(NaiveDate::MAX)
}

/// State of a sphere and territory against their due date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DueState {
    /// The due date has passed without a newer completed assessment.
    Overdue,
    /// The due date falls within the requested number of days.
    DueSoon,
}

/// Returns the state of a due date seen on `today`, or `None` when it is further away
/// than `within_days`.
pub fn due_state(next_due_on: NaiveDate, today: NaiveDate, within_days: i64) -> Option<DueState> {
    if next_due_on < today {
        Some(DueState::Overdue)
    } else if (next_due_on - today).num_days() <= within_days {
        Some(DueState::DueSoon)
    } else {
        None
    }
}

/// The last completed assessment of one sphere and territory of a body.
#[derive(Debug, Clone, PartialEq)]
pub struct LastCompleted {
    pub government_body: String,
    pub sphere: Sphere,
    pub territory: String,
    pub territory_name: Option<String>,
    pub assessment_id: String,
    pub completed_on: NaiveDate,
}

/// One line of the schedule.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DueAssessment {
    pub government_body: String,
    pub sphere: Sphere,
    /// KATO code.
    pub territory: String,
    pub territory_name: Option<String>,
    pub last_assessment_id: String,
    pub last_completed_on: NaiveDate,
    pub next_due_on: NaiveDate,
    pub state: DueState,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn due_two_years_later() {
        assert_eq!(next_due(date(2023, 3, 1)), date(2025, 3, 1));
        assert_eq!(next_due(date(2024, 2, 29)), date(2026, 2, 28));
    }

    #[test]
    fn states_by_distance() {
        let today = date(2026, 12, 4);

        assert_eq!(
            due_state(date(2026, 12, 3), today, 90),
            Some(DueState::Overdue)
        );
        assert_eq!(
            due_state(date(2026, 12, 4), today, 90),
            Some(DueState::DueSoon)
        );
        assert_eq!(
            due_state(date(2027, 3, 4), today, 90),
            Some(DueState::DueSoon)
        );
        assert_eq!(due_state(date(2027, 3, 5), today, 90), None);
    }
}
