//! Types and rules of needs assessments; nothing here touches the database or HTTP.

pub mod activity;
pub mod assessment;
pub mod priority;
pub mod proposal;
pub mod schedule;

use common_models::Bin;
use service_kit::{Caller, Role};

pub use service_kit::validate::{
    Errors, multiline_text, parse_code, parse_codes, parse_date, present, text,
};

/// Who reads an assessment, which decides what they see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reader {
    /// The officer of the government body that carries out the assessment, or the
    /// ministry: every record with its personal data.
    Owner,
    /// Anyone else: published reports only, without staff names or NPO contacts.
    Public,
}

/// Kind of caller, which decides what the needs service shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Viewer {
    Anonymous,
    Officer(String),
    Ministry,
    Npo(Bin),
    Integrator,
}

impl Viewer {
    /// Classifies a caller; a caller without a token is anonymous.
    pub fn of(caller: Option<&Caller>) -> Self {
        let Some(caller) = caller else {
            return Self::Anonymous;
        };
        match caller.role {
            Role::Officer => caller
                .body()
                .map_or(Self::Anonymous, |body| Self::Officer(body.to_owned())),
            Role::Ministry => Self::Ministry,
            Role::Npo => caller.bin().cloned().map_or(Self::Anonymous, Self::Npo),
            Role::Integrator => Self::Integrator,
        }
    }

    /// Returns how this viewer reads records of `government_body`.
    pub fn reader_of(&self, government_body: &str) -> Reader {
        match self {
            Self::Ministry => Reader::Owner,
            Self::Officer(body) if body == government_body => Reader::Owner,
            _ => Reader::Public,
        }
    }

    /// Returns the body whose unpublished records this viewer also sees in lists:
    /// `Some(None)` for every body (the ministry), `Some(Some(body))` for an officer,
    /// `None` for published records only.
    pub fn unpublished_scope(&self) -> Option<Option<&str>> {
        match self {
            Self::Ministry => Some(None),
            Self::Officer(body) => Some(Some(body)),
            _ => None,
        }
    }
}
