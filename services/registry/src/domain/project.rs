//! Projects of NPOs: what they did, when, and who paid for it.

use chrono::{DateTime, NaiveDate, Utc};
use common_models::{KatoCode, Sphere};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Errors, parse_code, parse_date, text};

/// Body of a request that records a project of an NPO.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectInput {
    pub name: String,
    /// `YYYY-MM-DD`.
    #[schema(value_type = Option<NaiveDate>)]
    pub starts_on: Option<String>,
    /// `YYYY-MM-DD`, not before `starts_on`.
    #[schema(value_type = Option<NaiveDate>)]
    pub ends_on: Option<String>,
    /// Funder of the project, such as a state social order, a grant or own funds.
    pub funding_source: Option<String>,
    #[schema(value_type = Option<Sphere>)]
    pub sphere: Option<String>,
    /// KATO code of the territory.
    #[schema(value_type = Option<KatoCode>)]
    pub territory: Option<String>,
}

/// A valid project.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectFacts {
    pub name: String,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub funding_source: Option<String>,
    pub sphere: Option<Sphere>,
    pub territory: Option<KatoCode>,
}

impl ProjectInput {
    /// Parses the request, listing every invalid field.
    pub fn parse(&self) -> Result<ProjectFacts, service_kit::ApiError> {
        let mut errors = Errors::default();
        let name = errors.check("/name", text(Some(&self.name), 500)).flatten();
        if name.is_none() && errors.is_empty() {
            errors.add("/name", "must not be empty");
        }

        let starts_on = self
            .starts_on
            .as_deref()
            .and_then(|raw| errors.check("/starts_on", parse_date(raw)));
        let ends_on = self
            .ends_on
            .as_deref()
            .and_then(|raw| errors.check("/ends_on", parse_date(raw)));
        if let (Some(start), Some(end)) = (starts_on, ends_on)
            && end < start
        {
            errors.add("/ends_on", "must not be before starts_on");
        }

        let funding_source = errors
            .check("/funding_source", text(self.funding_source.as_deref(), 300))
            .flatten();
        let sphere = self
            .sphere
            .as_deref()
            .and_then(|raw| errors.check("/sphere", parse_code::<Sphere>(raw)));
        let territory = self
            .territory
            .as_deref()
            .and_then(|raw| errors.check("/territory", KatoCode::parse(raw)));

        errors.into_result()?;
        Ok(ProjectFacts {
            name: name.unwrap_or_default(),
            starts_on,
            ends_on,
            funding_source,
            sphere,
            territory,
        })
    }
}

/// A recorded project.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Project {
    pub id: String,
    pub npo_id: String,
    pub name: String,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub funding_source: Option<String>,
    pub sphere: Option<Sphere>,
    #[schema(value_type = Option<String>)]
    pub territory: Option<KatoCode>,
    pub created_at: DateTime<Utc>,
}
