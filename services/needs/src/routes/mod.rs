//! HTTP handlers: extract, authorise, call the store, respond.

pub mod access;
pub mod activities;
pub mod assessments;
pub mod priorities;
pub mod proposals;
pub mod registry;
pub mod schedule;

use common_models::AssessmentStatus;
use service_kit::{AnyConnection, ApiError, Caller, ServiceContext};

use crate::domain::assessment::AssessmentRecord;
use crate::domain::{Reader, Viewer};
use crate::store::assessments as stored;

/// The needs service's state, shared by its handlers.
#[derive(Debug, Clone)]
pub struct Needs(pub ServiceContext);

impl std::ops::Deref for Needs {
    type Target = ServiceContext;

    fn deref(&self) -> &ServiceContext {
        &self.0
    }
}

/// Loads an assessment the viewer may read, with how they read it. Public readers read
/// published assessments, and NPO users also those collecting information, which take
/// their proposals. Any other assessment of another body is reported as not found, so
/// its existence stays private.
pub(crate) fn readable(
    conn: &mut AnyConnection,
    id: &str,
    viewer: &Viewer,
) -> Result<(AssessmentRecord, Reader), ApiError> {
    let record = stored::find(conn, id)?
        .ok_or_else(|| ApiError::NotFound(format!("needs assessment {id}")))?;
    let reader = viewer.reader_of(&record.government_body);
    let open_call =
        record.status == AssessmentStatus::Collecting && matches!(viewer, Viewer::Npo(_));
    if reader == Reader::Public && record.status != AssessmentStatus::Published && !open_call {
        return Err(ApiError::NotFound(format!("needs assessment {id}")));
    }
    Ok((record, reader))
}

/// Loads an assessment whose report the viewer may read: like [`readable`], but a
/// public reader needs the report to be published, since priorities and activities are
/// part of it.
pub(crate) fn readable_report(
    conn: &mut AnyConnection,
    id: &str,
    viewer: &Viewer,
) -> Result<(AssessmentRecord, Reader), ApiError> {
    let (record, reader) = readable(conn, id, viewer)?;
    if reader == Reader::Public && record.status != AssessmentStatus::Published {
        return Err(ApiError::NotFound(format!(
            "the report of needs assessment {id}"
        )));
    }
    Ok((record, reader))
}

/// Loads an assessment by id, without checking who may read it.
pub(crate) fn existing(conn: &mut AnyConnection, id: &str) -> Result<AssessmentRecord, ApiError> {
    stored::find(conn, id)?.ok_or_else(|| ApiError::NotFound(format!("needs assessment {id}")))
}

/// Loads an assessment that the calling officer's body carries out, for a change. The
/// officer of another body gets 403 for a published assessment, which everyone reads,
/// and 404 for an unpublished one, whose existence is not theirs to learn.
pub(crate) fn owned(
    conn: &mut AnyConnection,
    id: &str,
    caller: &Caller,
) -> Result<AssessmentRecord, ApiError> {
    let body = caller.officer_body()?;
    let record = existing(conn, id)?;
    if record.government_body != body {
        if record.status != AssessmentStatus::Published {
            return Err(ApiError::NotFound(format!("needs assessment {id}")));
        }
        return Err(ApiError::Forbidden(format!(
            "needs assessment {id} belongs to {}; only its officer changes it",
            record.government_body
        )));
    }
    Ok(record)
}
