//! HTTP handlers: extract, authorise, call the store, respond.

pub mod access;
pub mod campaigns;
pub mod catalogues;
pub mod imports;
pub mod merges;
pub mod npos;
pub mod open_data;
pub mod projects;
pub mod search;
pub mod territories;

use service_kit::ServiceContext;

/// The registry's state, shared by its handlers.
#[derive(Debug, Clone)]
pub struct Registry(pub ServiceContext);

impl std::ops::Deref for Registry {
    type Target = ServiceContext;

    fn deref(&self) -> &ServiceContext {
        &self.0
    }
}
