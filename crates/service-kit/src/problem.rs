//! RFC 9457 problem details: the one error type every handler returns.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Media type of every error response.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Name of the service's own database in a 503 problem's `dependency`.
pub const DATABASE: &str = "database";

/// Seconds a client should wait before retrying a 503, sent as `Retry-After`.
pub const RETRY_AFTER_SECS: u32 = 5;

/// One invalid input field: where it is (a JSON pointer) and why it is invalid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FieldError {
    /// JSON pointer to the field in the request, such as `/bin` or `/territories/0`.
    /// Query parameters use `#/query/<name>` and headers `#/header/<name>`.
    pub pointer: String,
    /// Reason the value is invalid.
    pub message: String,
}

impl FieldError {
    /// Creates a field error for the given pointer.
    pub fn new(pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            pointer: pointer.into(),
            message: message.into(),
        }
    }
}

/// The RFC 9457 body.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Problem {
    /// URI reference naming the problem type.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// Short summary of the problem type.
    pub title: String,
    /// HTTP status code.
    pub status: u16,
    /// Explanation of this occurrence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Invalid fields, for validation problems.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Dependency the service could not reach, for a 503: `database`, or the name of
    /// another service of the platform such as `registry`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dependency: Option<String>,
}

/// Every error an HTTP handler can return, mapped to a status in one place.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is well-formed JSON but some fields are invalid (422), or it is not
    /// valid JSON at all (400).
    #[error("invalid request: {}", summarise(.errors))]
    Validation {
        status: StatusCode,
        errors: Vec<FieldError>,
    },
    #[error("{0}")]
    BadRequest(String),
    #[error("authentication required: {0}")]
    Unauthorized(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(String),
    /// The route exists but does not take this method (405); `allowed` lists the methods
    /// it takes, as sent in the `Allow` header.
    #[error("method {method} is not allowed on this route; use {allowed}")]
    MethodNotAllowed { method: String, allowed: String },
    #[error("conflict: {0}")]
    Conflict(String),
    /// A state change that the record is not ready for (409), with each missing item.
    #[error("conflict: {reason}: {}", summarise(.missing))]
    NotReady {
        reason: String,
        missing: Vec<FieldError>,
    },
    #[error("the resource changed since it was read; read it again and retry with the new ETag")]
    PreconditionFailed,
    #[error("this update needs an If-Match header with the ETag from the last read")]
    PreconditionRequired,
    #[error("request body exceeds the limit of {0} bytes")]
    PayloadTooLarge(usize),
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The caller sent more requests than the rate limit allows (429).
    #[error(
        "too many requests from this caller; retry after {retry_after_secs} s, and send \
         requests at a steadier pace"
    )]
    TooManyRequests { retry_after_secs: u64 },
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// The service could not reach something it needs for this request (503).
    #[error("{dependency} unavailable: {reason}")]
    DependencyUnavailable { dependency: String, reason: String },
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

fn summarise(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{}: {}", e.pointer, e.message))
        .collect::<Vec<_>>()
        .join("; ")
}

impl ApiError {
    /// Creates a 422 problem with one invalid field.
    pub fn field(pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Self::invalid(vec![FieldError::new(pointer, message)])
    }

    /// Creates a 422 problem listing every invalid field.
    pub fn invalid(errors: Vec<FieldError>) -> Self {
        Self::Validation {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            errors,
        }
    }

    /// Creates a 503 problem naming the `dependency` that could not be reached.
    pub fn dependency(dependency: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::DependencyUnavailable {
            dependency: dependency.into(),
            reason: reason.into(),
        }
    }

    /// Wraps an unexpected failure, which is logged and returned as a 500.
    pub fn internal(error: impl Into<anyhow::Error>) -> Self {
        Self::Internal(error.into())
    }

    fn title(&self) -> &'static str {
        match self {
            Self::Validation { status, .. } if *status == StatusCode::BAD_REQUEST => {
                "Malformed request"
            }
            Self::Validation { .. } => "Invalid request",
            Self::BadRequest(_) => "Bad request",
            Self::Unauthorized(_) => "Unauthorized",
            Self::Forbidden(_) => "Forbidden",
            Self::NotFound(_) => "Not found",
            Self::MethodNotAllowed { .. } => "Method not allowed",
            Self::Conflict(_) | Self::NotReady { .. } => "Conflict",
            Self::PreconditionFailed => "Precondition failed",
            Self::PreconditionRequired => "Precondition required",
            Self::PayloadTooLarge(_) => "Payload too large",
            Self::UnsupportedMediaType(_) => "Unsupported media type",
            Self::TooManyRequests { .. } => "Too many requests",
            Self::Unavailable(_) | Self::DependencyUnavailable { .. } => "Service unavailable",
            Self::Internal(_) => "Internal server error",
        }
    }

    fn slug(&self) -> &'static str {
        match self {
            Self::Validation { status, .. } if *status == StatusCode::BAD_REQUEST => {
                "malformed-request"
            }
            Self::Validation { .. } => "validation",
            Self::BadRequest(_) => "bad-request",
            Self::Unauthorized(_) => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) => "not-found",
            Self::MethodNotAllowed { .. } => "method-not-allowed",
            Self::Conflict(_) | Self::NotReady { .. } => "conflict",
            Self::PreconditionFailed => "precondition-failed",
            Self::PreconditionRequired => "precondition-required",
            Self::PayloadTooLarge(_) => "payload-too-large",
            Self::UnsupportedMediaType(_) => "unsupported-media-type",
            Self::TooManyRequests { .. } => "too-many-requests",
            Self::Unavailable(_) | Self::DependencyUnavailable { .. } => "unavailable",
            Self::Internal(_) => "internal",
        }
    }

    /// Builds the problem body of this error.
    pub fn problem(&self) -> Problem {
        let (detail, errors) = match self {
            Self::Validation { errors, .. } => (
                Some(format!("{} invalid field(s)", errors.len())),
                errors.clone(),
            ),
            Self::NotReady { reason, missing } => (Some(reason.clone()), missing.clone()),
            Self::Internal(_) => (
                Some("the request failed; the request id in the response header identifies it in the log".into()),
                Vec::new(),
            ),
            other => (Some(other.to_string()), Vec::new()),
        };
        Problem {
            problem_type: format!("/problems/{}", self.slug()),
            title: self.title().to_owned(),
            status: self.status_code().as_u16(),
            detail,
            errors,
            dependency: match self {
                Self::DependencyUnavailable { dependency, .. } => Some(dependency.clone()),
                _ => None,
            },
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Validation { status, .. } => *status,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) | Self::NotReady { .. } => StatusCode::CONFLICT,
            Self::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            Self::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) | Self::DependencyUnavailable { .. } => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Internal(error) => {
                tracing::error!(error = format!("{error:#}"), "request failed")
            }
            Self::Unavailable(reason) => tracing::warn!(%reason, "dependency unavailable"),
            Self::DependencyUnavailable { dependency, reason } => {
                tracing::warn!(%dependency, %reason, "dependency unavailable");
            }
            _ => {}
        }
        let mut response = HttpResponse::build(self.status_code());
        response.content_type(PROBLEM_JSON);
        if matches!(self, Self::Unauthorized(_)) {
            response.insert_header(("WWW-Authenticate", "Bearer"));
        }
        if let Self::MethodNotAllowed { allowed, .. } = self {
            response.insert_header(("Allow", allowed.as_str()));
        }
        if matches!(
            self,
            Self::Unavailable(_) | Self::DependencyUnavailable { .. }
        ) {
            response.insert_header(("Retry-After", RETRY_AFTER_SECS.to_string()));
        }
        if let Self::TooManyRequests { retry_after_secs } = self {
            response.insert_header(("Retry-After", retry_after_secs.to_string()));
        }
        response.json(self.problem())
    }
}

impl From<crate::db::StoreError> for ApiError {
    fn from(error: crate::db::StoreError) -> Self {
        use crate::db::StoreError;
        match error {
            StoreError::NotFound => Self::NotFound("resource".into()),
            StoreError::Unavailable(reason) => {
                // The driver's message names the database's host, port and name, which
                // are for the log and not for clients.
                tracing::warn!(%reason, "database unavailable");
                Self::dependency(DATABASE, "the database is unreachable or busy")
            }
            StoreError::Conflict(constraint) => {
                // The database's message names a constraint, which means nothing to a
                // client; a concurrent write of the same record is the cause.
                tracing::info!(constraint = %constraint, "write lost a race with a concurrent one");
                Self::Conflict(
                    "a concurrent request wrote the same record first; read it again and retry"
                        .into(),
                )
            }
            StoreError::Query(error) => Self::internal(error),
        }
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(error: diesel::result::Error) -> Self {
        crate::db::StoreError::from(error).into()
    }
}

/// Shortcut for handler results.
pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_problem_lists_fields() {
        let error = ApiError::field("/bin", "check digit does not match");

        let problem = error.problem();

        assert_eq!(problem.status, 422);
        assert_eq!(problem.errors[0].pointer, "/bin");
        assert!(problem.problem_type.ends_with("/validation"));
    }
}
