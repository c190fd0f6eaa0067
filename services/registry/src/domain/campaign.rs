//! The yearly collection of NPO data a government body runs. The regulation places it
//! between 15 April and 31 May, local dates in Kazakhstan.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use common_models::InformationSource;
use common_models::time::{in_collection_window, local_date, parse_instant};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Errors, multiline_text, parse_codes};

/// Body of a request that records a collection campaign.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignInput {
    /// When the collection started: RFC 3339 with any offset; it is converted to UTC
    /// and to the local date in Kazakhstan.
    #[schema(value_type = DateTime<Utc>)]
    pub started_at: String,
    /// When the collection finished, not before `started_at`.
    #[schema(value_type = DateTime<Utc>)]
    pub finished_at: String,
    /// Sources the collection used.
    #[serde(default)]
    #[schema(value_type = Vec<InformationSource>)]
    pub sources: Vec<String>,
    /// NPOs added to the registry by this collection.
    #[serde(default)]
    pub npos_added: i32,
    /// NPOs whose data this collection updated.
    #[serde(default)]
    pub npos_updated: i32,
    pub notes: Option<String>,
}

/// A valid campaign.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignFacts {
    pub year: i32,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub started_on: NaiveDate,
    pub finished_on: NaiveDate,
    pub sources: Vec<InformationSource>,
    pub npos_added: i32,
    pub npos_updated: i32,
    pub notes: Option<String>,
}

impl CampaignFacts {
    /// Returns whether the whole collection happened inside 15 April – 31 May.
    pub fn inside_window(&self) -> bool {
        in_collection_window(self.started_on) && in_collection_window(self.finished_on)
    }
}

impl CampaignInput {
    /// Parses the request, listing every invalid field.
    pub fn parse(&self) -> Result<CampaignFacts, service_kit::ApiError> {
        let mut errors = Errors::default();
        let started_at = errors.check("/started_at", instant(&self.started_at));
        let finished_at = errors.check("/finished_at", instant(&self.finished_at));

        let sources = parse_codes::<InformationSource>(&mut errors, "/sources", &self.sources);
        for (field, count) in [
            ("npos_added", self.npos_added),
            ("npos_updated", self.npos_updated),
        ] {
            if !(0..=1_000_000).contains(&count) {
                errors.add(format!("/{field}"), "must be between 0 and 1000000");
            }
        }
        let notes = errors
            .check("/notes", multiline_text(self.notes.as_deref(), 2000))
            .flatten();

        let (Some(started_at), Some(finished_at)) = (started_at, finished_at) else {
            errors.into_result()?;
            return Err(service_kit::ApiError::field("/started_at", "is required"));
        };
        if finished_at < started_at {
            errors.add("/finished_at", "must not be before started_at");
        }

        let started_on = local_date(started_at);
        let finished_on = local_date(finished_at);
        if finished_on.year() != started_on.year() {
            errors.add(
                "/finished_at",
                "must be in the same year as started_at (local dates)",
            );
        }

        // A small allowance for clocks that run ahead of the server's.
        let now = Utc::now() + chrono::Duration::minutes(5);
        if started_at > now {
            errors.add("/started_at", "must not be in the future");
        }
        if finished_at > now {
            errors.add(
                "/finished_at",
                "must not be in the future: record a collection once it has ended",
            );
        }
        if started_on.year() < 2000 {
            errors.add("/started_at", "must be in the year 2000 or later");
        }

        errors.into_result()?;
        Ok(CampaignFacts {
            year: started_on.year(),
            started_at,
            finished_at,
            started_on,
            finished_on,
            sources,
            npos_added: self.npos_added,
            npos_updated: self.npos_updated,
            notes,
        })
    }
}

fn instant(raw: &str) -> Result<DateTime<Utc>, String> {
    let parsed = parse_instant(raw.trim()).map_err(|_| {
        format!("'{raw}' is not an RFC 3339 instant such as 2025-04-20T09:00:00+05:00")
    })?;
    // chrono keeps a leap second as a 60th second, which PostgreSQL stores as the next
    // minute; rejecting it keeps both backends equal.
    if chrono::Timelike::nanosecond(&parsed) >= 1_000_000_000 {
        return Err(format!("'{raw}' is a leap second, which is not accepted"));
    }
    Ok(common_models::time::truncate_to_micros(parsed))
}

/// A recorded campaign.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Campaign {
    pub id: String,
    pub government_body: String,
    pub year: i32,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    /// Local date in Kazakhstan of `started_at`.
    pub started_on: NaiveDate,
    /// Local date in Kazakhstan of `finished_at`.
    pub finished_on: NaiveDate,
    pub sources: Vec<InformationSource>,
    pub npos_added: i32,
    pub npos_updated: i32,
    pub notes: Option<String>,
    pub inside_window: bool,
    pub created_at: DateTime<Utc>,
}

/// Whether a body ran its collection inside the window in a year.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WindowCheck {
    pub government_body: String,
    pub year: i32,
    /// First day of the window, 15 April of `year`.
    pub window_opens_on: NaiveDate,
    /// Last day of the window, 31 May of `year`.
    pub window_closes_on: NaiveDate,
    /// Whether any collection was recorded for the year.
    pub collected: bool,
    /// Whether at least one recorded collection lies wholly inside the window.
    pub inside_window: bool,
    pub campaigns: Vec<Campaign>,
}

impl WindowCheck {
    /// Builds the check for `government_body` and `year` from its campaigns.
    pub fn new(government_body: String, year: i32, campaigns: Vec<Campaign>) -> Option<Self> {
        Some(Self {
            window_opens_on: NaiveDate::from_ymd_opt(year, 4, 15)?,
            window_closes_on: NaiveDate::from_ymd_opt(year, 5, 31)?,
            collected: !campaigns.is_empty(),
            inside_window: campaigns.iter().any(|c| c.inside_window),
            government_body,
            year,
            campaigns,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(started: &str, finished: &str) -> CampaignFacts {
        CampaignInput {
            started_at: started.into(),
            finished_at: finished.into(),
            ..CampaignInput::default()
        }
        .parse()
        .unwrap()
    }

    #[test]
    fn window_uses_local_dates() {
        assert!(!at("2025-04-14T18:59:59Z", "2025-04-14T18:59:59Z").inside_window());
        assert!(at("2025-04-14T19:00:00Z", "2025-05-31T18:59:59Z").inside_window());
        assert!(!at("2025-05-01T00:00:00Z", "2025-05-31T19:00:00Z").inside_window());
    }

    #[test]
    fn offset_is_converted() {
        let facts = at("2026-05-31T12:00:00+06:00", "2026-05-31T12:00:00+06:00");

        assert_eq!(
            facts.started_on,
            NaiveDate::from_ymd_opt(2026, 5, 31).unwrap()
        );
        assert!(facts.inside_window());
    }

    #[test]
    fn finish_before_start_rejected() {
        let error = CampaignInput {
            started_at: "2025-05-01T00:00:00Z".into(),
            finished_at: "2025-04-20T00:00:00Z".into(),
            ..CampaignInput::default()
        }
        .parse()
        .unwrap_err();

        assert_eq!(error.problem().errors[0].pointer, "/finished_at");
    }
}
