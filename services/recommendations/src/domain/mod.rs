//! Types and rules of recommendations, receptions, exchanges between officers, the
//! register of experts and the correspondence register. Nothing here touches the database or HTTP.

pub mod calls;
pub mod correspondence;
pub mod deadlines;
pub mod exchange;
pub mod experts;
pub mod reception;
pub mod recommendation;

pub use service_kit::validate::{Errors, multiline_text, parse_code, parse_date, present, text};

use serde::Serialize;
use utoipa::ToSchema;

/// The officer responsible for an item: the subject of their tokens and their name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Responsible {
    /// Subject of the officer's tokens; left out for NPO users, who see the name only.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub officer: String,
    pub name: Option<String>,
}

impl Responsible {
    /// Removes the token subject from `responsible`, for a reader outside government.
    pub fn hide_subject(responsible: &mut Option<Self>) {
        if let Some(responsible) = responsible {
            responsible.officer.clear();
        }
    }

    /// Reads the stored pair; without an officer, no one is responsible yet.
    pub fn from_columns(officer: Option<String>, name: Option<String>) -> Option<Self> {
        officer.map(|officer| Self { officer, name })
    }
}
