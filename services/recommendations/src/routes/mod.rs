//! HTTP handlers: extract, authorise, call the store, respond.

pub mod calls;
pub mod exchanges;
pub mod receptions;
pub mod recommendations;
pub mod registry;

use service_kit::ServiceContext;

/// The recommendations service's state, shared by its handlers.
#[derive(Debug, Clone)]
pub struct Recommendations(pub ServiceContext);

impl std::ops::Deref for Recommendations {
    type Target = ServiceContext;

    fn deref(&self) -> &ServiceContext {
        &self.0
    }
}
