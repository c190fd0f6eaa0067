//! The notifier's settings, read from `LIAISON_*` variables and checked at start-up.

use std::path::PathBuf;
use std::time::Duration;

use lettre::message::Mailbox;
use service_kit::Settings;

/// Default of `LIAISON_MAIL_FROM`.
pub const DEFAULT_FROM: &str = "NPO liaison platform <no-reply@localhost>";
/// Default of `LIAISON_NOTIFIER_RETRY_BASE_SECS`: the delay before the second attempt.
pub const DEFAULT_RETRY_BASE_SECS: u64 = 60;
/// Default of `LIAISON_NOTIFIER_RETRY_CAP_SECS`: the longest delay between attempts.
pub const DEFAULT_RETRY_CAP_SECS: u64 = 6 * 3600;
/// Default of `LIAISON_NOTIFIER_MAX_ATTEMPTS`. With the default base and cap the eighth
/// attempt comes about 2 hours after the first (1+2+4+8+16+32+64 minutes).
pub const DEFAULT_MAX_ATTEMPTS: i32 = 8;
/// Default of `LIAISON_NOTIFIER_POLL_MILLIS`: how often the delivery loop looks for due
/// notifications.
pub const DEFAULT_POLL_MILLIS: u64 = 2000;
/// Default of `LIAISON_SMTP_TIMEOUT_SECS`.
pub const DEFAULT_SMTP_TIMEOUT_SECS: u64 = 30;
/// Default of `LIAISON_NOTIFIER_OPT_OUT_URL`.
pub const DEFAULT_OPT_OUT_URL: &str = "http://127.0.0.1:8080/opt-out/";

/// The destination of outgoing mail.
#[derive(Clone)]
pub enum Destination {
    /// An SMTP server, from `LIAISON_SMTP_URL`; `server` is its host:port, with no
    /// credentials, for the log.
    Smtp { url: String, server: String },
    /// `.eml` files in a folder, when no SMTP server is configured.
    Folder(PathBuf),
}

impl std::fmt::Debug for Destination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Smtp { server, .. } => write!(f, "Smtp({server})"),
            Self::Folder(path) => write!(f, "Folder({})", path.display()),
        }
    }
}

/// The settings of the notifier.
#[derive(Debug, Clone)]
pub struct NotifierSettings {
    pub destination: Destination,
    pub from: Mailbox,
    pub retry_base: Duration,
    pub retry_cap: Duration,
    pub max_attempts: i32,
    pub poll: Duration,
    pub smtp_timeout: Duration,
    /// Address of the opt-out page; each message links to it with `?token=`.
    pub opt_out_url: String,
    /// Text of `LIAISON_NOTIFIER_OPT_OUT_KEY`, when set.
    pub opt_out_key: Option<String>,
    pub data_dir: PathBuf,
}

impl NotifierSettings {
    /// Reads and checks the settings.
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        let destination = match settings.option("SMTP_URL") {
            Some(url) => Destination::Smtp {
                server: smtp_server(url)?,
                url: url.to_owned(),
            },
            None => Destination::Folder(settings.data_dir.join("mail")),
        };

        let from_text = settings.option("MAIL_FROM").unwrap_or(DEFAULT_FROM);
        let from: Mailbox = from_text.parse().map_err(|e| {
            anyhow::anyhow!(
                "invalid setting LIAISON_MAIL_FROM={from_text:?}: {e}; expected an address \
                 such as \"Name <no-reply@example.kz>\""
            )
        })?;

        let retry_base = number(
            settings,
            "NOTIFIER_RETRY_BASE_SECS",
            DEFAULT_RETRY_BASE_SECS,
        )?;
        let retry_cap = number(settings, "NOTIFIER_RETRY_CAP_SECS", DEFAULT_RETRY_CAP_SECS)?;
        if retry_cap < retry_base {
            anyhow::bail!(
                "invalid setting LIAISON_NOTIFIER_RETRY_CAP_SECS={retry_cap}: expected at least \
                 LIAISON_NOTIFIER_RETRY_BASE_SECS ({retry_base})"
            );
        }
        let max_attempts = number(
            settings,
            "NOTIFIER_MAX_ATTEMPTS",
            DEFAULT_MAX_ATTEMPTS as u64,
        )?;
        if !(1..=100).contains(&max_attempts) {
            anyhow::bail!(
                "invalid setting LIAISON_NOTIFIER_MAX_ATTEMPTS={max_attempts}: expected 1 to 100"
            );
        }

        let poll = number(settings, "NOTIFIER_POLL_MILLIS", DEFAULT_POLL_MILLIS)?.max(10);
        let smtp_timeout = number(settings, "SMTP_TIMEOUT_SECS", DEFAULT_SMTP_TIMEOUT_SECS)?.max(1);

        let opt_out_url = settings
            .option("NOTIFIER_OPT_OUT_URL")
            .unwrap_or(DEFAULT_OPT_OUT_URL)
            .to_owned();
        if !(opt_out_url.starts_with("http://") || opt_out_url.starts_with("https://"))
            || opt_out_url.contains(['?', '#'])
            || opt_out_url
                .chars()
                .any(|c| c.is_control() || c.is_whitespace())
        {
            anyhow::bail!(
                "invalid setting LIAISON_NOTIFIER_OPT_OUT_URL={opt_out_url:?}: expected an \
                 http(s) address with no query, such as https://npo.example.kz/opt-out"
            );
        }

        Ok(Self {
            destination,
            from,
            retry_base: Duration::from_secs(retry_base),
            retry_cap: Duration::from_secs(retry_cap),
            max_attempts: max_attempts as i32,
            poll: Duration::from_millis(poll),
            smtp_timeout: Duration::from_secs(smtp_timeout),
            opt_out_url,
            opt_out_key: settings.option("NOTIFIER_OPT_OUT_KEY").map(str::to_owned),
            data_dir: settings.data_dir.clone(),
        })
    }

    /// Returns the delay before the next attempt after `attempts` failed ones: the base,
    /// doubled for each further failure, and never more than the cap.
    pub fn backoff(&self, attempts: i32) -> Duration {
        let doublings = attempts.saturating_sub(1).clamp(0, 30) as u32;
        self.retry_base
            .saturating_mul(2u32.saturating_pow(doublings))
            .min(self.retry_cap)
    }

    /// Returns the link that opts out the holder of `token`.
    pub fn opt_out_link(&self, token: &str) -> String {
        format!("{}?token={token}", self.opt_out_url)
    }
}

fn number(settings: &Settings, name: &str, default: u64) -> anyhow::Result<u64> {
    match settings.option(name) {
        None => Ok(default),
        Some(raw) => raw.parse().map_err(|_| {
            anyhow::anyhow!("invalid setting LIAISON_{name}={raw:?}: expected a whole number")
        }),
    }
}

/// Returns the host:port of an SMTP URL, checking the scheme lettre accepts.
fn smtp_server(url: &str) -> anyhow::Result<String> {
    let invalid = |reason: &str| {
        anyhow::anyhow!(
            "invalid setting LIAISON_SMTP_URL: {reason}; expected smtp://host:port for plain \
             SMTP, smtp://host:port?tls=required for STARTTLS or smtps://host:port, with \
             user:password@ before the host when the server needs them"
        )
    };
    let (scheme, rest) = url.split_once("://").ok_or_else(|| invalid("no scheme"))?;
    let default_port = match scheme {
        "smtp" => 25,
        "smtps" => 465,
        _ => return Err(invalid("unknown scheme")),
    };
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host_port.is_empty() {
        return Err(invalid("no host"));
    }
    let has_port = host_port
        .rsplit_once(':')
        .is_some_and(|(_, port)| port.parse::<u16>().is_ok());
    lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(url)
        .map_err(|e| invalid(&e.to_string()))?;
    Ok(if has_port {
        host_port.to_owned()
    } else {
        format!("{host_port}:{default_port}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> anyhow::Result<NotifierSettings> {
        let mut settings = Settings::from_lookup(|_| None).unwrap();
        settings.options = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        NotifierSettings::from_settings(&settings)
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let s = settings(&[
            ("NOTIFIER_RETRY_BASE_SECS", "2"),
            ("NOTIFIER_RETRY_CAP_SECS", "10"),
        ])
        .unwrap();

        let delays: Vec<u64> = (1..=5).map(|n| s.backoff(n).as_secs()).collect();

        assert_eq!(delays, [2, 4, 8, 10, 10]);
    }

    #[test]
    fn smtp_server_leaves_out_credentials() {
        let s = settings(&[("SMTP_URL", "smtp://user:secret@127.0.0.1:2525")]).unwrap();

        let Destination::Smtp { server, .. } = s.destination else {
            panic!("an SMTP destination")
        };
        assert_eq!(server, "127.0.0.1:2525");
    }

    #[test]
    fn unset_smtp_url_writes_to_the_data_folder() {
        let s = settings(&[]).unwrap();

        assert!(matches!(s.destination, Destination::Folder(ref p) if p.ends_with("mail")));
    }

    #[test]
    fn unknown_scheme_is_rejected() {
        assert!(settings(&[("SMTP_URL", "http://127.0.0.1:25")]).is_err());
    }
}
