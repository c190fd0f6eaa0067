//! HTTP handlers: extract, authorise, call the store, respond.

pub mod access;
pub mod actions;
pub mod groups;
pub mod memoranda;
pub mod monitoring;
pub mod parties;
pub mod plans;
pub mod registry;

use service_kit::{ApiError, Caller, ServiceContext};

/// The joint-actions service's state, shared by its handlers.
#[derive(Debug, Clone)]
pub struct JointActions(pub ServiceContext);

impl std::ops::Deref for JointActions {
    type Target = ServiceContext;

    fn deref(&self) -> &ServiceContext {
        &self.0
    }
}

/// Query of a list that takes no parameters, so a misspelt one is rejected.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct NoParams {}

/// Returns the government body whose records the caller reads, as an owned value for
/// the store's closures.
pub(crate) fn reading_scope(caller: &Caller) -> Result<Option<String>, ApiError> {
    Ok(caller.reading_scope()?.map(str::to_owned))
}

/// Fails with 404 unless the caller reads records of `government_body`, so another
/// body's records stay private.
pub(crate) fn check_read(
    caller: &Caller,
    government_body: &str,
    what: impl FnOnce() -> String,
) -> Result<(), ApiError> {
    match reading_scope(caller)? {
        Some(body) if body != government_body => Err(ApiError::NotFound(what())),
        _ => Ok(()),
    }
}

/// Fails unless the caller is the officer of `government_body`: 403 for callers who
/// are not officers, and 404 for another body's officer, whose reads do not find the
/// record either, so its existence stays private.
pub(crate) fn check_write(
    caller: &Caller,
    government_body: &str,
    what: impl FnOnce() -> String,
) -> Result<(), ApiError> {
    let body = caller.officer_body()?;
    if body != government_body {
        return Err(ApiError::NotFound(what()));
    }
    Ok(())
}
