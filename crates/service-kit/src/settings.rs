//! Settings read from environment variables, each with a documented default.

use std::net::SocketAddr;
use std::path::PathBuf;

use thiserror::Error;

/// Environment variable prefix shared by every setting.
pub const PREFIX: &str = "LIAISON_";

/// Default of `LIAISON_RATE_LIMIT`: requests per second per caller. A person working in
/// a browser sends a few requests a second, and the integration clients of the test
/// suites stay below it.
pub const DEFAULT_RATE_LIMIT: u32 = 50;
/// Default of `LIAISON_RATE_BURST`: enough for a page that loads dozens of resources at
/// once, or a script that starts with a quick series of reads.
pub const DEFAULT_RATE_BURST: u32 = 200;

/// Runtime settings of one process, whichever services it runs.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Folder for SQLite files and the development signing key (`LIAISON_DATA_DIR`).
    pub data_dir: PathBuf,
    /// Database URL template; `{service}` is replaced by the service name, with `_` for `-`
    /// (`LIAISON_DATABASE_URL`). A service-specific URL wins
    /// (`LIAISON_DATABASE_URL_REGISTRY`).
    pub database_url: String,
    /// `memory` for the in-process bus, or an `amqp://` URL (`LIAISON_BROKER_URL`).
    pub broker_url: String,
    /// Topic exchange every event is published to (`LIAISON_EXCHANGE`).
    pub exchange: String,
    /// Address the HTTP server binds (`LIAISON_LISTEN`).
    pub listen: SocketAddr,
    /// Expected `iss` claim (`LIAISON_JWT_ISSUER`).
    pub jwt_issuer: String,
    /// Expected `aud` claim (`LIAISON_JWT_AUDIENCE`).
    pub jwt_audience: String,
    /// Comma-separated PEM public key files; each key's `kid` is its file stem
    /// (`LIAISON_JWT_PUBLIC_KEYS`).
    pub jwt_public_keys: Vec<PathBuf>,
    /// JWKS URL to fetch verification keys from (`LIAISON_JWT_JWKS_URL`).
    pub jwt_jwks_url: Option<String>,
    /// `pretty` for terminals or `json` for log collectors (`LIAISON_LOG_FORMAT`).
    pub log_format: LogFormat,
    /// Maximum accepted request body in bytes (`LIAISON_BODY_LIMIT`).
    pub body_limit: usize,
    /// Maximum body of a batch upload in bytes, such as a registration-data file
    /// (`LIAISON_BATCH_LIMIT`).
    pub batch_limit: usize,
    /// Batch bodies larger than this many bytes, or without a length, run as a
    /// background job (`LIAISON_BATCH_JOB_THRESHOLD`).
    pub batch_job_threshold: usize,
    /// Seconds a publish or a publisher confirm may take (`LIAISON_PUBLISH_TIMEOUT`).
    pub publish_timeout_secs: u64,
    /// Sustained requests per second each caller may send; 0 turns the rate limit off
    /// (`LIAISON_RATE_LIMIT`).
    pub rate_limit: u32,
    /// Requests a caller may send at once above the sustained rate
    /// (`LIAISON_RATE_BURST`).
    pub rate_burst: u32,
    /// Whether the services trust the development key in the data folder when no
    /// other keys are configured (`LIAISON_DEVELOPMENT_TOKENS`). The default is on for
    /// SQLite with the in-process bus and off otherwise.
    pub development_tokens: bool,
    /// Base URL of the OTLP/HTTP receiver that spans are exported to, such as
    /// `http://collector:4318` (`LIAISON_OTLP_ENDPOINT`, else the standard
    /// `OTEL_EXPORTER_OTLP_ENDPOINT`). Unset, no spans are exported.
    pub otlp_endpoint: Option<String>,
    /// Database URLs of single services, from `LIAISON_DATABASE_URL_<SERVICE>`.
    pub database_url_overrides: Vec<(String, String)>,
    /// Base URLs of services that run in other processes, from
    /// `LIAISON_SERVICE_URL_<SERVICE>`, such as `http://registry:8080`.
    pub service_urls: Vec<(String, String)>,
    /// Every non-empty `LIAISON_*` variable, without the prefix, for the settings of
    /// single services such as `RECOMMENDATION_DECISION_DAYS`.
    pub options: Vec<(String, String)>,
}

/// Output format of the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines for a terminal.
    Pretty,
    /// One JSON object per line.
    Json,
}

/// A setting that is present but cannot be used.
#[derive(Debug, Error)]
#[error("invalid setting {name}={value:?}: {reason}")]
pub struct SettingsError {
    name: String,
    value: String,
    reason: String,
}

impl Settings {
    /// Reads every setting from the process environment.
    pub fn from_env() -> Result<Self, SettingsError> {
        let mut settings = Self::from_lookup(|name| std::env::var(name).ok())?;
        settings.database_url_overrides = per_service("DATABASE_URL_");
        settings.service_urls = per_service("SERVICE_URL_");
        settings.options = per_service("")
            .into_iter()
            .map(|(name, value)| (name.to_uppercase().replace('-', "_"), value))
            .collect();
        Ok(settings)
    }

    /// Reads every setting through `lookup`, which returns a variable's value by full name.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let get = |name: &str| lookup(&format!("{PREFIX}{name}")).filter(|v| !v.is_empty());

        let data_dir = PathBuf::from(get("DATA_DIR").unwrap_or_else(|| "./data".into()));
        let database_url = get("DATABASE_URL")
            .unwrap_or_else(|| format!("sqlite://{}/{{service}}.db", data_dir.display()));
        let listen_raw = get("LISTEN").unwrap_or_else(|| "127.0.0.1:8080".into());
        let listen = resolve(&listen_raw).ok_or_else(|| {
            invalid(
                "LISTEN",
                &listen_raw,
                "expected host:port, such as 127.0.0.1:8080 or localhost:8080",
            )
        })?;
        let log_format = match get("LOG_FORMAT").as_deref() {
            None | Some("pretty") => LogFormat::Pretty,
            Some("json") => LogFormat::Json,
            Some(other) => return Err(invalid("LOG_FORMAT", other, "expected pretty or json")),
        };
        let body_limit = parse_number(get("BODY_LIMIT"), "BODY_LIMIT", 1024 * 1024)?;
        let batch_limit = parse_number(get("BATCH_LIMIT"), "BATCH_LIMIT", 256 * 1024 * 1024)?;
        let batch_job_threshold = parse_number(
            get("BATCH_JOB_THRESHOLD"),
            "BATCH_JOB_THRESHOLD",
            1024 * 1024,
        )?;
        let publish_timeout_secs = parse_number(get("PUBLISH_TIMEOUT"), "PUBLISH_TIMEOUT", 5)?;
        let rate_limit = match get("RATE_LIMIT") {
            None => DEFAULT_RATE_LIMIT,
            Some(raw) => raw.parse().map_err(|_| {
                invalid(
                    "RATE_LIMIT",
                    &raw,
                    "expected a whole number of requests per second, or 0 to turn the limit off",
                )
            })?,
        };
        let rate_burst = parse_number(get("RATE_BURST"), "RATE_BURST", DEFAULT_RATE_BURST)?;
        let broker_url = get("BROKER_URL").unwrap_or_else(|| "memory".into());
        let embedded = database_url.starts_with("sqlite:") && broker_url == "memory";
        let development_tokens = match get("DEVELOPMENT_TOKENS").as_deref() {
            None => embedded,
            Some("1" | "true") => true,
            Some("0" | "false") => false,
            Some(other) => return Err(invalid("DEVELOPMENT_TOKENS", other, "expected 1 or 0")),
        };
        let jwt_public_keys = get("JWT_PUBLIC_KEYS")
            .map(|list| list.split(',').map(|p| PathBuf::from(p.trim())).collect())
            .unwrap_or_default();

        let otlp_endpoint = match get("OTLP_ENDPOINT") {
            Some(endpoint) => Some((format!("{PREFIX}OTLP_ENDPOINT"), endpoint)),
            None => lookup("OTEL_EXPORTER_OTLP_ENDPOINT")
                .filter(|v| !v.is_empty())
                .map(|endpoint| ("OTEL_EXPORTER_OTLP_ENDPOINT".to_owned(), endpoint)),
        };
        if let Some((name, endpoint)) = &otlp_endpoint
            && !(endpoint.starts_with("http://") || endpoint.starts_with("https://"))
        {
            return Err(SettingsError {
                name: name.clone(),
                value: endpoint.clone(),
                reason: "expected an http:// or https:// URL, such as http://collector:4318"
                    .to_owned(),
            });
        }
        let otlp_endpoint = otlp_endpoint.map(|(_, endpoint)| endpoint);

        Ok(Self {
            data_dir,
            database_url,
            broker_url,
            exchange: get("EXCHANGE").unwrap_or_else(|| "liaison.events".into()),
            listen,
            jwt_issuer: get("JWT_ISSUER").unwrap_or_else(|| "liaison-dev".into()),
            jwt_audience: get("JWT_AUDIENCE").unwrap_or_else(|| "liaison".into()),
            jwt_public_keys,
            jwt_jwks_url: get("JWT_JWKS_URL"),
            log_format,
            body_limit,
            batch_limit,
            batch_job_threshold,
            publish_timeout_secs,
            rate_limit,
            rate_burst,
            development_tokens,
            otlp_endpoint,
            database_url_overrides: Vec::new(),
            service_urls: Vec::new(),
            options: Vec::new(),
        })
    }

    /// Returns the configured base URL of service `service`, if it runs elsewhere.
    pub fn service_url(&self, service: &str) -> Option<String> {
        self.service_urls
            .iter()
            .find(|(name, _)| name == service)
            .map(|(_, url)| url.clone())
    }

    /// Returns the value of `LIAISON_<name>`, when it is set and not empty.
    pub fn option(&self, name: &str) -> Option<&str> {
        self.options
            .iter()
            .find(|(option, _)| option == name)
            .map(|(_, value)| value.as_str())
    }

    /// Returns the database URL of one service: its own variable, or the template.
    pub fn database_url_for(&self, service: &str) -> String {
        self.database_url_overrides
            .iter()
            .find(|(name, _)| name == service)
            .map_or_else(
                // Database names cannot hold `-` without quoting, so `joint-actions`
                // becomes `joint_actions`.
                || {
                    self.database_url
                        .replace("{service}", &service.replace('-', "_"))
                },
                |(_, url)| url.clone(),
            )
    }

    /// Returns whether keys come from the development key in the data folder, because none
    /// were configured.
    pub fn uses_development_key(&self) -> bool {
        self.jwt_public_keys.is_empty() && self.jwt_jwks_url.is_none()
    }
}

/// Reads the non-empty variables `LIAISON_<kind><SERVICE>` as (service name, value),
/// where the service name is lower case with `-` for `_`.
fn per_service(kind: &str) -> Vec<(String, String)> {
    let prefix = format!("{PREFIX}{kind}");
    std::env::vars()
        .filter(|(_, value)| !value.is_empty())
        .filter_map(|(name, value)| {
            let service = name.strip_prefix(&prefix)?;
            Some((service.to_lowercase().replace('_', "-"), value))
        })
        .collect()
}

fn resolve(address: &str) -> Option<SocketAddr> {
    use std::net::ToSocketAddrs;
    address.to_socket_addrs().ok()?.next()
}

fn parse_number<T: std::str::FromStr + PartialOrd + Default>(
    raw: Option<String>,
    name: &str,
    default: T,
) -> Result<T, SettingsError> {
    match raw {
        None => Ok(default),
        Some(value) => value
            .parse()
            .ok()
            .filter(|number| *number > T::default())
            .ok_or_else(|| invalid(name, &value, "expected a positive whole number")),
    }
}

fn invalid(name: &str, value: &str, reason: &str) -> SettingsError {
    SettingsError {
        name: format!("{PREFIX}{name}"),
        value: value.to_owned(),
        reason: reason.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_without_variables() {
        let settings = Settings::from_lookup(|_| None).expect("defaults are valid");

        assert_eq!(settings.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(settings.broker_url, "memory");
        assert_eq!(settings.database_url, "sqlite://./data/{service}.db");
        assert!(settings.uses_development_key());
    }

    #[test]
    fn development_tokens_only_embedded_by_default() {
        let embedded = Settings::from_lookup(|_| None).unwrap();
        let distributed = Settings::from_lookup(|name| {
            (name == "LIAISON_BROKER_URL")
                .then(|| "amqp://guest:guest@127.0.0.1:5672/%2f".to_owned())
        })
        .unwrap();

        assert!(embedded.development_tokens);
        assert!(!distributed.development_tokens);
    }

    #[test]
    fn zero_limit_rejected() {
        let error =
            Settings::from_lookup(|name| (name == "LIAISON_BODY_LIMIT").then(|| "0".to_owned()));

        assert!(error.is_err());
    }

    #[test]
    fn rate_limit_zero_turns_off() {
        let lookup = |name: &str| match name {
            "LIAISON_RATE_LIMIT" => Some("0".to_owned()),
            "LIAISON_RATE_BURST" => Some("7".to_owned()),
            _ => None,
        };

        let settings = Settings::from_lookup(lookup).unwrap();

        assert_eq!(settings.rate_limit, 0);
        assert_eq!(settings.rate_burst, 7);
    }

    #[test]
    fn rate_settings_validated() {
        let burst =
            Settings::from_lookup(|name| (name == "LIAISON_RATE_BURST").then(|| "0".to_owned()));
        let limit =
            Settings::from_lookup(|name| (name == "LIAISON_RATE_LIMIT").then(|| "-1".to_owned()));
        let defaults = Settings::from_lookup(|_| None).unwrap();

        assert!(burst.is_err());
        assert!(limit.is_err());
        assert_eq!(defaults.rate_limit, DEFAULT_RATE_LIMIT);
        assert_eq!(defaults.rate_burst, DEFAULT_RATE_BURST);
    }

    #[test]
    fn invalid_listen_names_variable() {
        let error =
            Settings::from_lookup(|name| (name == "LIAISON_LISTEN").then(|| "nowhere".to_owned()))
                .expect_err("an address without a port is invalid");

        assert!(error.to_string().contains("LIAISON_LISTEN"));
    }

    #[test]
    fn otlp_endpoint_sources() {
        let unset = Settings::from_lookup(|_| None).expect("defaults are valid");
        assert_eq!(unset.otlp_endpoint, None);

        let standard = Settings::from_lookup(|name| {
            (name == "OTEL_EXPORTER_OTLP_ENDPOINT").then(|| "http://collector:4318".to_owned())
        })
        .expect("an http URL is valid");
        assert_eq!(
            standard.otlp_endpoint.as_deref(),
            Some("http://collector:4318")
        );

        let both = Settings::from_lookup(|name| match name {
            "LIAISON_OTLP_ENDPOINT" => Some("http://own:4318".to_owned()),
            "OTEL_EXPORTER_OTLP_ENDPOINT" => Some("http://collector:4318".to_owned()),
            _ => None,
        })
        .expect("http URLs are valid");
        assert_eq!(both.otlp_endpoint.as_deref(), Some("http://own:4318"));

        let error = Settings::from_lookup(|name| {
            (name == "OTEL_EXPORTER_OTLP_ENDPOINT").then(|| "collector:4317".to_owned())
        })
        .expect_err("a URL without a scheme is invalid");
        assert!(error.to_string().contains("OTEL_EXPORTER_OTLP_ENDPOINT"));
    }
}
