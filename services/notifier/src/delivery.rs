//! The delivery loop: it sends due notifications over SMTP, or writes them as `.eml`
//! files when no SMTP server is configured, and schedules retries with exponential
//! backoff until a notification is sent or dead.

use std::path::PathBuf;
use std::time::Duration;

use chrono::NaiveDateTime;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use service_kit::{Database, StoreError};
use tokio_util::sync::CancellationToken;

use crate::domain::notification::{OPTED_OUT, Status};
use crate::domain::settings::{Destination, NotifierSettings};
use crate::domain::templates::header_safe;
use crate::store::notifications::{self, Due};
use crate::store::opt_outs;

/// Notifications one round of the loop takes.
const BATCH: i64 = 20;

/// Maximum length of the error text stored with a notification.
const MAX_ERROR_LEN: usize = 500;

/// The transport of outgoing mail.
#[derive(Clone)]
pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Folder(PathBuf),
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Smtp(_) => f.write_str("Mailer::Smtp"),
            Self::Folder(path) => write!(f, "Mailer::Folder({})", path.display()),
        }
    }
}

/// A failed attempt.
#[derive(Debug, Clone)]
pub struct Failure {
    /// The server rejected the message for good (an SMTP 5xx reply).
    pub permanent: bool,
    /// The SMTP reply code and text, or the connection failure, on one line.
    pub text: String,
}

impl Mailer {
    /// Builds the mailer of `settings`.
    pub fn new(settings: &NotifierSettings) -> anyhow::Result<Self> {
        Ok(match &settings.destination {
            Destination::Smtp { url, .. } => Self::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)?
                    .timeout(Some(settings.smtp_timeout))
                    .build(),
            ),
            Destination::Folder(path) => Self::Folder(path.clone()),
        })
    }

    /// Sends `message`, the notification `id`.
    async fn send(&self, id: &str, message: Message) -> Result<(), Failure> {
        match self {
            Self::Smtp(transport) => match transport.send(message).await {
                Ok(_) => Ok(()),
                Err(error) => Err(Failure {
                    permanent: error.is_permanent(),
                    text: one_line(&error.to_string()),
                }),
            },
            Self::Folder(folder) => {
                write_eml(folder, id, &message.formatted())
                    .await
                    .map_err(|error| Failure {
                        permanent: false,
                        text: one_line(&format!("writing to the mail folder failed: {error}")),
                    })
            }
        }
    }
}

fn one_line(text: &str) -> String {
    header_safe(text).chars().take(MAX_ERROR_LEN).collect()
}

/// Writes `bytes` to `<folder>/<id>.eml` through a temporary file, so a reader of the
/// folder never reads half a message.
async fn write_eml(folder: &std::path::Path, id: &str, bytes: &[u8]) -> std::io::Result<()> {
    tokio::fs::create_dir_all(folder).await?;
    let partial = folder.join(format!("{id}.eml.part"));
    tokio::fs::write(&partial, bytes).await?;
    tokio::fs::rename(&partial, folder.join(format!("{id}.eml"))).await
}

/// Builds the message of notification `due`.
fn message(settings: &NotifierSettings, due: &Due) -> Result<Message, String> {
    let to: Mailbox = due
        .recipient
        .parse()
        .map_err(|e| format!("invalid recipient address: {e}"))?;
    Message::builder()
        .from(settings.from.clone())
        .to(to)
        .subject(header_safe(&due.subject))
        .message_id(Some(format!("<{}@liaison.notifier>", due.id)))
        .header(ContentType::TEXT_PLAIN)
        .body(due.body.clone())
        .map_err(|e| format!("the message cannot be built: {e}"))
}

/// Runs the delivery loop until `stop` is cancelled.
pub async fn run(
    db: Database,
    settings: NotifierSettings,
    mailer: Mailer,
    stop: CancellationToken,
) {
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(settings.poll) => {}
        }
        loop {
            match deliver_due(&db, &settings, &mailer, &stop).await {
                Ok(taken) if taken as i64 == BATCH && !stop.is_cancelled() => continue,
                Ok(_) => break,
                Err(error) => {
                    tracing::warn!(error = %error, "delivery round failed; the next round tries again");
                    break;
                }
            }
        }
    }
}

/// Attempts every due notification of one batch. Returns how many were due.
async fn deliver_due(
    db: &Database,
    settings: &NotifierSettings,
    mailer: &Mailer,
    stop: &CancellationToken,
) -> Result<usize, StoreError> {
    let now = service_kit::now().naive_utc();
    let due = db
        .run(move |conn| notifications::due(conn, now, BATCH))
        .await?;
    let taken = due.len();
    for item in due {
        if stop.is_cancelled() {
            break;
        }
        attempt(db, settings, mailer, item).await?;
    }
    Ok(taken)
}

/// Makes one attempt at `due` and stores its outcome.
async fn attempt(
    db: &Database,
    settings: &NotifierSettings,
    mailer: &Mailer,
    due: Due,
) -> Result<(), StoreError> {
    // The lease outlasts an attempt, so a second process on the same database does not
    // take the notification while this one sends it.
    let lease = settings.smtp_timeout * 3 + Duration::from_secs(60);
    let lease_until = later(service_kit::now().naive_utc(), lease);
    let claimed = {
        let due = due.clone();
        db.run(move |conn| notifications::claim(conn, &due, lease_until))
            .await?
    };
    if !claimed {
        return Ok(());
    }
    let recipient = due.recipient.clone();
    if db
        .run(move |conn| opt_outs::contains(conn, &recipient))
        .await?
    {
        let id = due.id.clone();
        db.run(move |conn| notifications::skip(conn, &id, OPTED_OUT))
            .await?;
        tracing::info!(notification.id = %due.id, "notification skipped: the recipient opted out");
        return Ok(());
    }

    let attempts = due.attempts + 1;
    let outcome = match message(settings, &due) {
        Ok(message) => mailer.send(&due.id, message).await,
        Err(text) => Err(Failure {
            permanent: true,
            text,
        }),
    };
    let now = service_kit::now().naive_utc();
    let (status, next_attempt_at, error) = match outcome {
        Ok(()) => {
            tracing::info!(notification.id = %due.id, attempts, "notification sent");
            (Status::Sent, now, None)
        }
        Err(failure) if failure.permanent || attempts >= settings.max_attempts => {
            tracing::warn!(
                notification.id = %due.id,
                attempts,
                error = %failure.text,
                "notification dead: no more attempts"
            );
            (Status::Dead, now, Some(failure.text))
        }
        Err(failure) => {
            let delay = settings.backoff(attempts);
            tracing::warn!(
                notification.id = %due.id,
                attempts,
                retry_in_secs = delay.as_secs(),
                error = %failure.text,
                "notification attempt failed; retrying"
            );
            (
                Status::FailedRetrying,
                later(now, delay),
                Some(failure.text),
            )
        }
    };
    let id = due.id;
    db.run(move |conn| {
        notifications::record_attempt(
            conn,
            &id,
            status,
            attempts,
            next_attempt_at,
            error.as_deref(),
        )
    })
    .await
}

fn later(at: NaiveDateTime, delay: Duration) -> NaiveDateTime {
    at + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::days(3650))
}
