//! A notification: one e-mail to one recipient, and its delivery state.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// Delivery state of a notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Waiting for its first attempt.
    Pending,
    /// An attempt failed; the next one is due at `next_attempt_at`.
    FailedRetrying,
    /// The SMTP server accepted it, or it was written to the mail folder.
    Sent,
    /// Every attempt failed, or the server rejected it for good; only a retry through
    /// the API sends it again.
    Dead,
    /// Not sent, for the reason in `skip_reason`.
    Skipped,
}

impl Status {
    pub const ALL: &[Self] = &[
        Self::Pending,
        Self::FailedRetrying,
        Self::Sent,
        Self::Dead,
        Self::Skipped,
    ];

    /// Stable code stored in the database and used in the API.
    pub fn code(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::FailedRetrying => "failed_retrying",
            Self::Sent => "sent",
            Self::Dead => "dead",
            Self::Skipped => "skipped",
        }
    }

    /// Looks up the status with this code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|s| s.code() == code)
    }
}

/// Reason of a skipped notification: the recipient opted out.
pub const OPTED_OUT: &str = "opted_out";

/// A notification as the API shows it. The message body is not shown, because the
/// list is for following delivery, not for reading other people's mail.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Notification {
    pub id: String,
    /// E-mail address of the recipient.
    pub recipient: String,
    /// Registry id of the NPO the address belongs to; absent for the author of a
    /// recommendation who gave their own address.
    pub npo_id: Option<String>,
    /// `meeting_invitation`, `meeting_changed`, `meeting_cancelled`,
    /// `recommendation_feedback`, `reception_appointed` or `recommendation_request`.
    pub template: String,
    pub subject: String,
    /// Id and type of the event the notification was made from.
    pub event_id: String,
    pub event_type: String,
    pub status: Status,
    /// `opted_out` for a skipped notification.
    pub skip_reason: Option<String>,
    /// Delivery attempts made so far.
    pub attempts: i32,
    /// When the next attempt is due, for a pending or retrying notification.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// SMTP reply code and text, or the connection failure, of the last failed attempt.
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}
