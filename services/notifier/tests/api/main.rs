//! HTTP tests of the notifier against a real server and a real SMTP server on
//! loopback (aiosmtpd, installed by scripts/smtp-sink.sh), on SQLite and on
//! PostgreSQL with RabbitMQ. Events are published on the bus as the other services
//! would publish them.

mod delivery;
mod duplicates;
mod feedback;
mod mail_folder;
mod meetings;
mod notifications_api;
mod opt_out;
mod requests;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use common_models::event::EventEnvelope;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
pub use service_kit::testing::{TestApp, TestBackend, pointers, problem};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// How long a test waits for mail or a state that the delivery loop brings about.
pub const WAIT: Duration = Duration::from_secs(30);

/// An SMTP server on 127.0.0.1 that writes what it accepts to a temporary folder.
#[derive(Debug)]
pub struct SmtpSink {
    pub port: u16,
    folder: tempfile::TempDir,
    // Dropping the child closes its standard input, which stops the server.
    _child: Child,
}

impl SmtpSink {
    /// Starts a sink on a free port, installing aiosmtpd on first use.
    pub async fn start() -> Self {
        let folder = tempfile::tempdir().expect("a temporary folder can be created");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/smtp-sink.sh");
        let mut child = Command::new(&script)
            .arg("--dir")
            .arg(folder.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("{} cannot start: {e}", script.display()));
        let stdout = child.stdout.take().expect("the sink's output is piped");
        let mut first = String::new();
        tokio::time::timeout(
            Duration::from_secs(300),
            BufReader::new(stdout).read_line(&mut first),
        )
        .await
        .expect("the SMTP sink starts within 5 minutes, aiosmtpd install included")
        .expect("the SMTP sink prints its port");
        let port = first
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("the SMTP sink printed {first:?} instead of its port"));
        Self {
            port,
            folder,
            _child: child,
        }
    }

    /// Makes the server reply to every message with `reply`, such as
    /// `451 4.3.0 Try again later`, until [`SmtpSink::accept`].
    pub fn reject_with(&self, reply: &str) {
        std::fs::write(self.folder.path().join("reply"), reply).expect("the reply file is written");
    }

    /// Makes the server accept mail again.
    pub fn accept(&self) {
        std::fs::remove_file(self.folder.path().join("reply")).expect("the reply file exists");
    }

    /// Returns the times, in seconds, at which the server rejected a message.
    pub fn rejections(&self) -> Vec<f64> {
        std::fs::read_to_string(self.folder.path().join("rejected.log"))
            .unwrap_or_default()
            .lines()
            .map(|line| line.parse().expect("a time in seconds"))
            .collect()
    }

    /// Returns the decoded messages received so far, in the order they arrived.
    pub fn messages(&self) -> Vec<Mail> {
        let mut files: Vec<(u64, PathBuf)> = std::fs::read_dir(self.folder.path())
            .expect("the sink folder is readable")
            .filter_map(|entry| {
                let path = entry.ok()?.path();
                let number = path
                    .file_name()?
                    .to_str()?
                    .strip_suffix(".txt")?
                    .parse()
                    .ok()?;
                Some((number, path))
            })
            .collect();
        files.sort();
        files
            .into_iter()
            .map(|(number, path)| {
                let decoded = std::fs::read_to_string(&path).expect("a decoded message");
                let raw =
                    std::fs::read_to_string(path.with_extension("eml")).expect("a raw message");
                Mail::parse(number, &decoded, raw)
            })
            .collect()
    }

    /// Waits until at least `count` messages arrived and returns them.
    pub async fn wait_for(&self, count: usize) -> Vec<Mail> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let messages = self.messages();
            if messages.len() >= count {
                return messages;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{count} message(s) expected, {} arrived",
                messages.len()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// A message as the SMTP server received it.
#[derive(Debug, Clone)]
pub struct Mail {
    pub number: u64,
    /// Recipient of the SMTP envelope.
    pub envelope_to: String,
    pub subject: String,
    /// The decoded text.
    pub text: String,
    /// The message as sent, headers and encoded body.
    pub raw: String,
}

impl Mail {
    fn parse(number: u64, decoded: &str, raw: String) -> Self {
        let (head, text) = decoded.split_once("\n\n").expect("headers and a text");
        let header = |name: &str| {
            head.lines()
                .find_map(|line| line.strip_prefix(name))
                .unwrap_or_default()
                .trim()
                .to_owned()
        };
        Self {
            number,
            envelope_to: header("Envelope-To:"),
            subject: header("Subject:"),
            text: text.to_owned(),
            raw,
        }
    }
}

/// Starts the notifier on `backend`, sending to `sink`, with fast polling and retries
/// and the `extra` settings.
pub async fn spawn(
    backend: TestBackend,
    sink: &SmtpSink,
    extra: &[(&str, &str)],
) -> Option<TestApp> {
    let url = format!("smtp://127.0.0.1:{}", sink.port);
    let mut settings: Vec<(&str, &str)> = vec![
        ("LIAISON_SMTP_URL", &url),
        ("LIAISON_MAIL_FROM", "Платформа НПО <no-reply@liaison.test>"),
        ("LIAISON_NOTIFIER_POLL_MILLIS", "100"),
        ("LIAISON_NOTIFIER_RETRY_BASE_SECS", "1"),
        ("LIAISON_NOTIFIER_RETRY_CAP_SECS", "2"),
        (
            "LIAISON_NOTIFIER_OPT_OUT_URL",
            "https://npo.example.kz/opt-out",
        ),
    ];
    for (name, value) in extra {
        settings.retain(|(n, _)| n != name);
        settings.push((name, value));
    }
    TestApp::spawn_with(&[notifier::SERVICE], backend, &settings).await
}

/// Runs each test on SQLite and on PostgreSQL with RabbitMQ, with an SMTP sink of its
/// own: `async fn name(app, sink) { ... }`, or with one extra setting,
/// `async fn name(app, sink) settings ("LIAISON_…", "…"); { ... }`.
#[macro_export]
macro_rules! mail_tests {
    ($( async fn $name:ident($app:ident, $sink:ident) $(settings $extra:expr;)? $body:block )*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let $sink = $crate::SmtpSink::start().await;
                    let extra: &[(&str, &str)] = &[$($extra)?];
                    let $app = $crate::spawn($crate::TestBackend::Sqlite, &$sink, extra)
                        .await
                        .expect("SQLite runs always");
                    $body
                    $app.stop().await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    let $sink = $crate::SmtpSink::start().await;
                    let extra: &[(&str, &str)] = &[$($extra)?];
                    let Some($app) = $crate::spawn($crate::TestBackend::Postgres, &$sink, extra).await else {
                        return;
                    };
                    $body
                    $app.stop().await;
                }
            }
        )*
    };
}

/// Builds an event of `event_type` from `service` with `payload`.
pub fn event(event_type: &str, service: &str, payload: Value) -> EventEnvelope {
    EventEnvelope::new(event_type, 1, service, payload)
}

/// Publishes the registration of NPO `npo_id` with BIN `bin`, e-mail `email` (none
/// when `None`) and `spheres`.
pub async fn register_npo(
    app: &TestApp,
    npo_id: &str,
    bin: &str,
    email: Option<&str>,
    spheres: &[&str],
) {
    let payload = json!({
        "npo_id": npo_id,
        "bin": bin,
        "name_ru": format!("Фонд {npo_id}"),
        "name_kk": format!("{npo_id} қоры"),
        "legal_form": "public_foundation",
        "status": "active",
        "territories": ["620000000"],
        "spheres": spheres,
        "card": {
            "bin": bin,
            "name_ru": format!("Фонд {npo_id}"),
            "name_kk": format!("{npo_id} қоры"),
            "status": "active",
            "founded_on": null,
            "spheres": spheres,
            "target_groups": [],
            "territories": ["620000000"],
            "forms_of_work": [],
            "key_staff": [],
            "phone": null,
            "email": email,
            "address": null,
            "web_resources": []
        }
    });
    app.publish(&event("registry.npo.registered", "registry", payload))
        .await;
}

/// Sends a GET of `path` as `token`.
pub async fn get_as(app: &TestApp, path: &str, token: &str) -> Response {
    app.client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("the server responds")
}

/// Reads a JSON body, failing the test unless the status is `expected`.
pub async fn json_body(response: Response, expected: StatusCode) -> Value {
    let url = response.url().to_string();
    let status = response.status();
    let text = response.text().await.expect("a body");
    assert_eq!(status, expected, "{url}: {text}");
    serde_json::from_str(&text).expect("a JSON body")
}

/// Lists the notifications that `query` (such as `?status=sent`) selects, as the
/// ministry.
pub async fn notifications(app: &TestApp, query: &str) -> Vec<Value> {
    let response = get_as(app, &format!("/v1/notifications{query}"), &app.ministry()).await;
    let page = json_body(response, StatusCode::OK).await;
    page["items"].as_array().expect("a list of items").clone()
}

/// Waits until `query` selects at least `count` notifications and returns them.
pub async fn wait_for_notifications(app: &TestApp, query: &str, count: usize) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let items = notifications(app, query).await;
        if items.len() >= count {
            return items;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{count} notification(s) expected for {query:?}, found {}: {items:?}",
            items.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Returns the opt-out token in the link of `text`.
pub fn opt_out_token(text: &str) -> String {
    let start = text
        .find("https://npo.example.kz/opt-out?token=")
        .expect("the message has an opt-out link")
        + "https://npo.example.kz/opt-out?token=".len();
    text[start..]
        .split_whitespace()
        .next()
        .expect("a token")
        .to_owned()
}
