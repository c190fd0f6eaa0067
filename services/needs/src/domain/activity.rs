//! Events held to identify needs, such as meetings and surveys: the rows of the annual
//! report's table on needs assessment work.

use chrono::{DateTime, NaiveDate, Utc};
use common_models::event::needs::AssessmentActivity;
use common_models::{AssessmentActivityForm, Catalogue, ParticipantCategory};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Errors, multiline_text, parse_code, parse_codes, parse_date, present, text};

/// Maximum number of responsible staff members of one activity.
const MAX_STAFF: usize = 20;

/// Body of a request that records an activity.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivityInput {
    /// Day the activity was held, `YYYY-MM-DD`.
    #[serde(default)]
    #[schema(value_type = NaiveDate, required = true)]
    pub held_on: String,
    #[serde(default)]
    #[schema(value_type = AssessmentActivityForm, required = true)]
    pub form: String,
    #[serde(default)]
    #[schema(value_type = Vec<ParticipantCategory>)]
    pub participant_categories: Vec<String>,
    /// Number of participants, when counted.
    pub participants: Option<i32>,
    /// Full names of the civil servants responsible. Personal data: shown only to the
    /// body's officer and the ministry.
    #[serde(default)]
    pub responsible_staff: Vec<String>,
    pub description: Option<String>,
}

/// A valid activity.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityFacts {
    pub held_on: NaiveDate,
    pub form: AssessmentActivityForm,
    pub participant_categories: Vec<ParticipantCategory>,
    pub participants: Option<i32>,
    pub responsible_staff: Vec<String>,
    pub description: Option<String>,
}

impl ActivityInput {
    /// Parses the request, listing every invalid field.
    /// The activity must have been held by `today`.
    pub fn parse(&self, today: NaiveDate) -> Result<ActivityFacts, service_kit::ApiError> {
        let mut errors = Errors::default();
        let held_on = present(&mut errors, "/held_on", &self.held_on)
            .and_then(|raw| errors.check("/held_on", parse_date(raw)));
        if let Some(date) = held_on
            && date > today
        {
            errors.add(
                "/held_on",
                format!("{date} is after today ({today}); record an activity once it is held"),
            );
        }
        let form = present(&mut errors, "/form", &self.form)
            .and_then(|raw| errors.check("/form", parse_code::<AssessmentActivityForm>(raw)));
        let participant_categories = parse_codes::<ParticipantCategory>(
            &mut errors,
            "/participant_categories",
            &self.participant_categories,
        );
        if self.participant_categories.is_empty() {
            errors.add("/participant_categories", "name at least one category");
        }
        if self
            .participants
            .is_some_and(|n| !(0..=1_000_000).contains(&n))
        {
            errors.add("/participants", "must be between 0 and 1000000");
        }
        let mut responsible_staff = Vec::new();
        if self.responsible_staff.is_empty() {
            errors.add(
                "/responsible_staff",
                "name at least one responsible staff member",
            );
        } else if self.responsible_staff.len() > MAX_STAFF {
            errors.add("/responsible_staff", format!("at most {MAX_STAFF} names"));
        }
        for (index, name) in self.responsible_staff.iter().take(MAX_STAFF).enumerate() {
            let pointer = format!("/responsible_staff/{index}");
            match errors.check(&pointer, text(Some(name), 200)) {
                Some(Some(name)) => responsible_staff.push(name),
                Some(None) => errors.add(pointer, "must not be empty"),
                None => {}
            }
        }
        let description = errors
            .check(
                "/description",
                multiline_text(self.description.as_deref(), 5000),
            )
            .flatten();

        errors.into_result()?;
        match (held_on, form) {
            (Some(held_on), Some(form)) => Ok(ActivityFacts {
                held_on,
                form,
                participant_categories,
                participants: self.participants,
                responsible_staff,
                description,
            }),
            _ => Err(service_kit::ApiError::internal(anyhow::anyhow!(
                "an activity passed its checks with a field missing"
            ))),
        }
    }
}

/// An activity of a needs assessment.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Activity {
    pub id: String,
    pub assessment_id: String,
    pub held_on: NaiveDate,
    pub form: AssessmentActivityForm,
    pub participant_categories: Vec<ParticipantCategory>,
    pub participants: Option<i32>,
    /// Left out for public readers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub responsible_staff: Option<Vec<String>>,
    pub description: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl Activity {
    /// Describes the activity as the `needs.assessment.published` event carries it: a
    /// row of the annual report's table, with the responsible staff in one cell,
    /// separated by commas.
    pub fn report_row(&self) -> AssessmentActivity {
        AssessmentActivity {
            held_on: self.held_on,
            form: self.form.code().to_owned(),
            participant_categories: self
                .participant_categories
                .iter()
                .map(|c| c.code().to_owned())
                .collect(),
            participants: self.participants.map(i64::from),
            responsible_staff: self
                .responsible_staff
                .as_deref()
                .unwrap_or_default()
                .join(", "),
        }
    }

    /// Removes the names of civil servants, for public readers.
    pub fn public(mut self) -> Self {
        self.responsible_staff = None;
        self
    }
}
