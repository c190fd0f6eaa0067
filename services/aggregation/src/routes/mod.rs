//! HTTP handlers: extract, authorise, call the store, respond.

pub mod access;
pub mod analytics;
pub mod bodies;
pub mod competence;
pub mod compliance;
pub mod dashboard;
pub mod head_meetings;
pub mod information_requests;
pub mod officers;
pub mod profiles;
pub mod readmodels;
pub mod registry;
pub mod reports;

use service_kit::ServiceContext;

/// The aggregation service's state, shared by its handlers.
#[derive(Debug, Clone)]
pub struct Aggregation {
    pub context: ServiceContext,
    /// Records the analytics and the compliance monitor count, kept in memory.
    pub snapshots: std::sync::Arc<crate::snapshot::Snapshots>,
}

impl std::ops::Deref for Aggregation {
    type Target = ServiceContext;

    fn deref(&self) -> &ServiceContext {
        &self.context
    }
}
