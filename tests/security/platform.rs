//! A running platform and the seven callers the security tests act as.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::Value;
use service_kit::auth::DevelopmentKey;

use crate::support::{Process, Watch, mint_token, unique_bin};

/// Government body of officer A, whose records the fixtures create.
pub const BODY_A: &str = "security-body-a";
/// Government body of officer B, who must not reach the records of body A.
pub const BODY_B: &str = "security-body-b";

/// Everyone a route may be asked by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Who {
    Anonymous,
    OfficerA,
    OfficerB,
    Ministry,
    Integrator,
    /// Representative of NPO X, which the fixtures register.
    NpoX,
    /// Representative of NPO Y, another registered NPO.
    NpoY,
}

impl Who {
    /// Every caller, in the column order of the access tables.
    pub const ALL: [Self; 7] = [
        Self::Anonymous,
        Self::OfficerA,
        Self::OfficerB,
        Self::Ministry,
        Self::Integrator,
        Self::NpoX,
        Self::NpoY,
    ];

    /// Column name of the caller in the access tables.
    pub fn column(self) -> &'static str {
        match self {
            Self::Anonymous => "anonymous",
            Self::OfficerA => "officer_a",
            Self::OfficerB => "officer_b",
            Self::Ministry => "ministry",
            Self::Integrator => "integrator",
            Self::NpoX => "npo_x",
            Self::NpoY => "npo_y",
        }
    }
}

/// BIN of NPO X.
pub fn bin_x() -> String {
    unique_bin(7_000_000_001, 0)
}

/// BIN of NPO Y.
pub fn bin_y() -> String {
    unique_bin(7_000_000_001, 1)
}

/// A response read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub content_type: Option<String>,
    pub etag: Option<String>,
    /// The JSON body, or `Value::Null` for any other body.
    pub body: Value,
    pub text: String,
}

impl Reply {
    /// Returns the body of a 2xx reply and fails the test with `what` otherwise.
    pub fn ok(self, what: &str) -> Value {
        assert!(
            self.status.is_success(),
            "{what}: {} {}",
            self.status,
            self.text
        );
        self.body
    }
}

/// `liaison serve all` in a process of its own, with a fresh data folder.
pub struct Platform {
    pub process: Process,
    pub base: String,
    pub client: reqwest::Client,
    tokens: HashMap<Who, String>,
    _data: tempfile::TempDir,
}

impl Platform {
    /// Starts the platform on a port the system picks, with `extra` settings, and
    /// mints a token for every caller but the anonymous one.
    pub async fn start(extra: &[(&str, &str)]) -> Self {
        Self::start_watching(extra, &[]).await
    }

    /// Starts the platform as [`Platform::start`] does, and counts the log lines that
    /// contain each of `needles` from the first line on.
    pub async fn start_watching(extra: &[(&str, &str)], needles: &[&str]) -> Self {
        let data = tempfile::tempdir().expect("a temporary folder");
        let folder = data.path().display().to_string();
        let mut env: Vec<(String, String)> = vec![
            ("LIAISON_DATA_DIR".into(), folder),
            ("LIAISON_LISTEN".into(), "127.0.0.1:0".into()),
            ("LIAISON_LOG_FORMAT".into(), "json".into()),
            // The suite sends requests faster than people do; a test of the rate limit
            // sets it in `extra`.
            ("LIAISON_RATE_LIMIT".into(), "0".into()),
        ];
        env.extend(
            extra
                .iter()
                .map(|(name, value)| ((*name).to_owned(), (*value).to_owned())),
        );
        // The key exists before the process and the token commands start, because
        // each of them creates it when it is missing and the second one would fail.
        DevelopmentKey::load_or_create(data.path()).expect("the development key is created");
        let process = Process::spawn_all_watching(&env, Watch::new(needles.iter().copied()));
        let mint = |args: &[&str]| mint_token(data.path(), true, args);
        let tokens = HashMap::from([
            (
                Who::OfficerA,
                mint(&[
                    "--role",
                    "officer",
                    "--body",
                    BODY_A,
                    "--subject",
                    "officer-a",
                ]),
            ),
            (
                Who::OfficerB,
                mint(&[
                    "--role",
                    "officer",
                    "--body",
                    BODY_B,
                    "--subject",
                    "officer-b",
                ]),
            ),
            (
                Who::Ministry,
                mint(&["--role", "ministry", "--subject", "analyst"]),
            ),
            (
                Who::Integrator,
                mint(&["--role", "integrator", "--subject", "egov-loader"]),
            ),
            (
                Who::NpoX,
                mint(&["--role", "npo", "--bin", &bin_x(), "--subject", "npo-x"]),
            ),
            (
                Who::NpoY,
                mint(&["--role", "npo", "--bin", &bin_y(), "--subject", "npo-y"]),
            ),
        ]);
        // Idle connections close before the server's 5-second keep-alive ends them, so
        // no request goes out on a connection that the server is closing.
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .pool_idle_timeout(Duration::from_secs(2))
            .build()
            .expect("an HTTP client");
        let mut platform = Self {
            process,
            base: String::new(),
            client,
            tokens,
            _data: data,
        };
        platform.base = format!("http://{}", platform.wait_until_ready().await);
        platform
    }

    /// Waits for the `listening` line and a ready answer on `/readyz`, and returns the
    /// address.
    async fn wait_until_ready(&mut self) -> String {
        let started = Instant::now();
        loop {
            assert!(
                self.process.is_running(),
                "liaison serve all exited:\n{}",
                self.process.tail()
            );
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "liaison serve all was not ready within 60 s:\n{}",
                self.process.tail()
            );
            let listen = self.process.log().listen.clone();
            if let Some(listen) = listen {
                let ready = self
                    .client
                    .get(format!("http://{listen}/readyz"))
                    .send()
                    .await
                    .is_ok_and(|r| r.status() == StatusCode::OK);
                if ready {
                    return listen;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Returns the development key the platform trusts, from its data folder, for tests
    /// that craft their own tokens.
    pub fn development_key(&self) -> DevelopmentKey {
        DevelopmentKey::load_or_create(self._data.path()).expect("the development key is readable")
    }

    /// Mints one more token with the arguments of `liaison token`, such as a token with
    /// a `--name`.
    pub fn mint(&self, args: &[&str]) -> String {
        mint_token(self._data.path(), true, args)
    }

    /// Returns the bearer token of `who`; none for the anonymous caller.
    pub fn token(&self, who: Who) -> Option<&str> {
        self.tokens.get(&who).map(String::as_str)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Starts a request as `who`.
    pub fn request(&self, who: Who, method: Method, path: &str) -> reqwest::RequestBuilder {
        let request = self.client.request(method, self.url(path));
        match self.token(who) {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    /// Sends `method path` as `who`, with `body` as JSON when given.
    pub async fn send(&self, who: Who, method: Method, path: &str, body: Option<&Value>) -> Reply {
        let mut request = self.request(who, method, path);
        if let Some(body) = body {
            request = request.json(body);
        }
        read(request).await
    }

    pub async fn get(&self, who: Who, path: &str) -> Reply {
        self.send(who, Method::GET, path, None).await
    }

    pub async fn post(&self, who: Who, path: &str, body: &Value) -> Reply {
        self.send(who, Method::POST, path, Some(body)).await
    }
}

/// Sends `request` and reads the whole response.
pub async fn read(request: reqwest::RequestBuilder) -> Reply {
    let response = request.send().await.expect("the platform responds");
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let content_type = header("content-type");
    let etag = header("etag");
    let status = response.status();
    let bytes = response.bytes().await.expect("the body is read");
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Reply {
        status,
        content_type,
        etag,
        body,
        text,
    }
}
