//! REST calls to another service of the platform, for checks whose result a write
//! needs at once, such as whether an NPO is in the registry.
//!
//! Reads are retried with backoff, because they are idempotent. When the other service
//! stays unreachable the call fails with [`ApiError::Unavailable`], which the caller
//! returns as a 503 with `Retry-After` before writing anything.

use std::sync::OnceLock;
use std::time::Duration;

use serde::de::DeserializeOwned;

use crate::problem::ApiError;
use crate::telemetry;

/// Attempts of one read before the other service counts as unavailable.
const ATTEMPTS: u32 = 3;
/// Wait before the second attempt; each later wait doubles it.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
/// Time one attempt may take, connection included.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(3);
/// Largest response body read, in bytes; the lookups return one record or one page.
const MAX_BODY: usize = 1024 * 1024;

/// Returns the HTTP client of all peers, built on first use. Building a client loads
/// and parses the system's root certificates, which costs tens of milliseconds and
/// several MiB that stay allocated, so the peers share one.
fn shared_client() -> Result<reqwest::Client, reqwest::Error> {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    if let Some(client) = CLIENT.get() {
        return Ok(client.clone());
    }
    // A redirect would send the call, and its trace context, to another address
    // than the configured one, so it counts as a failed call.
    let client = reqwest::Client::builder()
        .timeout(ATTEMPT_TIMEOUT)
        .connect_timeout(ATTEMPT_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    Ok(CLIENT.get_or_init(|| client).clone())
}

/// Client of one other service at a base URL, such as `http://127.0.0.1:8080`.
#[derive(Debug, Clone)]
pub struct Peer {
    name: &'static str,
    base: String,
    client: reqwest::Client,
}

impl Peer {
    /// Creates a client of service `name` at `base`. Every peer of the process shares
    /// one connection pool and one TLS configuration.
    pub fn new(name: &'static str, base: &str) -> Result<Self, reqwest::Error> {
        Ok(Self {
            name,
            base: base.trim_end_matches('/').to_owned(),
            client: shared_client()?,
        })
    }

    /// Returns the name of the service this client calls.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Reads `path` with `query` as JSON. Returns `None` on 404. Connection
    /// failures, timeouts and 5xx responses are retried, then fail with a 503 problem.
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Option<T>, ApiError> {
        self.get_json_as(path, query, None).await
    }

    /// Reads `path` like [`Peer::get_json`], presenting `bearer` as the caller's token,
    /// for reads the other service allows only to some roles.
    pub async fn get_json_as<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
        bearer: Option<&str>,
    ) -> Result<Option<T>, ApiError> {
        let url = format!("{}{path}", self.base);
        let mut backoff = FIRST_BACKOFF;
        let mut attempt = 1;
        loop {
            match self.attempt(&url, query, bearer).await {
                Ok(answer) => return self.decode(path, answer).await,
                Err(reason) if attempt < ATTEMPTS => {
                    tracing::warn!(
                        peer = self.name,
                        path,
                        attempt,
                        retry_in_ms = backoff.as_millis() as u64,
                        reason = %reason,
                        "call to another service failed; retrying"
                    );
                    tokio::time::sleep(backoff).await;
                    backoff *= 2;
                    attempt += 1;
                }
                Err(reason) => {
                    return Err(ApiError::dependency(
                        self.name,
                        format!(
                            "the call of the {} service at {path} failed {ATTEMPTS} times ({reason})",
                            self.name
                        ),
                    ));
                }
            }
        }
    }

    /// Sends one request; an error is a failure worth retrying.
    async fn attempt(
        &self,
        url: &str,
        query: &[(&str, &str)],
        bearer: Option<&str>,
    ) -> Result<reqwest::Response, String> {
        // The header exempts the call from the rate limit when it reaches this process.
        // Another process has a different value, so it counts the call by address.
        let mut request = self.client.get(url).query(query).header(
            crate::ratelimit::PEER_HEADER,
            crate::ratelimit::peer_secret(),
        );
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        if let Some(traceparent) = telemetry::current_traceparent() {
            request = request.header("traceparent", traceparent);
        }
        let response = request.send().await.map_err(|e| describe(&e))?;
        if response.status().is_server_error() {
            return Err(format!("status {}", response.status()));
        }
        Ok(response)
    }

    async fn decode<T: DeserializeOwned>(
        &self,
        path: &str,
        response: reqwest::Response,
    ) -> Result<Option<T>, ApiError> {
        let status = response.status();
        if status == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !status.is_success() {
            return Err(ApiError::dependency(
                self.name,
                format!(
                    "the {} service responded to {path} with status {status}",
                    self.name
                ),
            ));
        }
        let mut response = response;
        let mut body = Vec::new();
        loop {
            let chunk = response.chunk().await.map_err(|e| {
                ApiError::dependency(
                    self.name,
                    format!(
                        "the response of the {} service to {path} broke off ({})",
                        self.name,
                        describe(&e)
                    ),
                )
            })?;
            let Some(chunk) = chunk else { break };
            if body.len() + chunk.len() > MAX_BODY {
                return Err(ApiError::dependency(
                    self.name,
                    format!(
                        "the response of the {} service to {path} is larger than {MAX_BODY} bytes",
                        self.name
                    ),
                ));
            }
            body.extend_from_slice(&chunk);
        }
        serde_json::from_slice(&body).map(Some).map_err(|e| {
            ApiError::dependency(
                self.name,
                format!(
                    "the {} service responded to {path} with a body of another shape: {}",
                    self.name,
                    telemetry::describe_json_error(&e)
                ),
            )
        })
    }
}

/// Describes a request failure without its URL, which may carry query values.
fn describe(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "connection failed"
    } else if error.is_body() || error.is_decode() {
        "reading the body failed"
    } else {
        "request failed"
    };
    match std::error::Error::source(error) {
        Some(cause) => format!("{kind}: {cause}"),
        None => kind.to_owned(),
    }
}
