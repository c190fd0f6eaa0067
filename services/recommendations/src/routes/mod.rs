//! HTTP handlers: extract, authorise, call the store, respond.

pub mod access;
pub mod calls;
pub mod competence;
pub mod correspondence;
pub mod exchanges;
pub mod experts;
pub mod receptions;
pub mod recommendations;
pub mod registry;

use std::sync::Arc;

use service_kit::ServiceContext;

use crate::domain::deadlines::StageDeadlines;

/// The recommendations service's state, shared by its handlers.
#[derive(Debug, Clone)]
pub struct Recommendations {
    pub context: ServiceContext,
    pub deadlines: Arc<StageDeadlines>,
}

impl std::ops::Deref for Recommendations {
    type Target = ServiceContext;

    fn deref(&self) -> &ServiceContext {
        &self.context
    }
}
