//! HTTP handlers: extract, authorise, call the store, respond.

pub mod access;
pub mod notifications;
pub mod opt_outs;
pub mod page;

use service_kit::ServiceContext;

use crate::domain::opt_out::OptOutKey;

/// The notifier's state, shared by its handlers.
#[derive(Debug, Clone)]
pub struct Notifier {
    pub context: ServiceContext,
    pub key: OptOutKey,
}

impl std::ops::Deref for Notifier {
    type Target = ServiceContext;

    fn deref(&self) -> &ServiceContext {
        &self.context
    }
}
