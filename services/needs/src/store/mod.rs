//! Diesel queries of the needs service, returning domain types.

pub mod activities;
pub mod assessments;
pub mod overdue;
pub mod priorities;
pub mod proposals;

pub(crate) use service_kit::columns::{from_code, from_json, to_json, utc};

/// Range of unpublished records a list shows besides the published ones: none, those
/// of one government body, or all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    PublishedOnly,
    /// Published ones and those collecting information, for NPO users.
    OpenCalls,
    AlsoBody(String),
    Everything,
}

impl Scope {
    /// Builds the scope from [`crate::domain::Viewer::unpublished_scope`].
    pub fn from_viewer(viewer: &crate::domain::Viewer) -> Self {
        if matches!(viewer, crate::domain::Viewer::Npo(_)) {
            return Self::OpenCalls;
        }
        match viewer.unpublished_scope() {
            None => Self::PublishedOnly,
            Some(None) => Self::Everything,
            Some(Some(body)) => Self::AlsoBody(body.to_owned()),
        }
    }
}

/// Builds the LIKE pattern of a KATO subtree. KATO prefixes are ASCII digits, so
/// nothing needs escaping.
pub(crate) fn like_prefix(prefix: &str) -> String {
    format!("{prefix}%")
}
