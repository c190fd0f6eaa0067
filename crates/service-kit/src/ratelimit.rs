//! Per-caller rate limit: a token bucket for each caller, which refills at
//! `LIAISON_RATE_LIMIT` requests per second and contains at most `LIAISON_RATE_BURST`.
//!
//! A request with a valid token is counted against its role and subject. A request
//! without a token, or with one that fails verification, is counted against the client
//! address (the /64 network for IPv6), so that invented tokens cannot each get a
//! bucket of their own. Over the limit, the answer is a 429 problem with
//! `Retry-After`. Health, readiness and metrics are never limited, and neither are
//! the calls between services of one process, which carry [`PEER_HEADER`].
//!
//! Each process keeps its own buckets, so a caller reaching several processes gets the
//! limit in each of them.

use std::collections::HashMap;
use std::future::{Ready, ready};
use std::net::{IpAddr, Ipv6Addr};
use std::rc::Rc;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use actix_web::body::EitherBody;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::{HttpMessage, ResponseError, web};
use futures_util::future::LocalBoxFuture;

use crate::auth::{self, Role, Verifier};
use crate::problem::ApiError;
use crate::settings::Settings;

/// Maximum number of buckets one process keeps. Each takes about 200 bytes (an
/// estimate for a subject of a few dozen characters), so the table stays below about
/// 20 MB.
pub const MAX_BUCKETS: usize = 100_000;

/// Header that marks a call from another service of this process. Its value is
/// [`peer_secret`], which no other process receives unless a peer call sends it there.
pub const PEER_HEADER: &str = "x-liaison-peer";

/// Routes that are never limited: probes and scrapes come often and carry no token.
pub const EXEMPT_PATHS: &[&str] = &["/healthz", "/readyz", "/metrics"];

/// Time between two warnings about the same caller.
const WARNING_INTERVAL: Duration = Duration::from_secs(60);

/// Time between two sweeps of idle buckets while the table is full.
const SWEEP_INTERVAL: Duration = Duration::from_secs(1);

static PEER_SECRET: LazyLock<String> = LazyLock::new(|| {
    let mut bytes = [0u8; 32];
    if getrandom::fill(&mut bytes).is_err() {
        // NOTE: without randomness, two time-ordered ids are weaker, because their
        // timestamps can be guessed, but they still differ per process.
        bytes[..16].copy_from_slice(uuid::Uuid::now_v7().as_bytes());
        bytes[16..].copy_from_slice(uuid::Uuid::now_v7().as_bytes());
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
});

/// Returns the value of [`PEER_HEADER`] that this process accepts, random per process.
pub fn peer_secret() -> &'static str {
    &PEER_SECRET
}

/// Whom a bucket belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum CallerKey {
    /// A caller whose token was verified.
    Caller { role: Role, subject: String },
    /// A caller without a valid token, by client address.
    Address(IpAddr),
    /// Every new caller while the table contains `MAX_BUCKETS` active buckets.
    Overflow,
}

impl CallerKey {
    /// Returns the metric label of the caller: its role, or `address`.
    fn label(&self) -> &'static str {
        match self {
            Self::Caller { role, .. } => match role {
                Role::Officer => "officer",
                Role::Ministry => "ministry",
                Role::Integrator => "integrator",
                Role::Npo => "npo",
            },
            Self::Address(_) => "address",
            Self::Overflow => "overflow",
        }
    }
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    updated: Instant,
    /// When the last warning about this caller was logged.
    warned: Option<Instant>,
    /// Requests rejected since the last warning.
    rejected: u64,
}

/// Outcome of one request's turn at its bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decision {
    Allowed,
    /// Rejected. `warn` carries the number of requests rejected since the last warning
    /// when a warning is due.
    Limited {
        retry_after_secs: u64,
        warn: Option<u64>,
    },
}

/// Token buckets of the callers of one process.
#[derive(Debug)]
struct Limiter {
    /// Tokens added per second.
    rate: f64,
    /// Bucket size.
    burst: f64,
    max_buckets: usize,
    state: Mutex<Table>,
}

#[derive(Debug, Default)]
struct Table {
    buckets: HashMap<CallerKey, Bucket>,
    last_sweep: Option<Instant>,
}

impl Limiter {
    fn new(rate: u32, burst: u32, max_buckets: usize) -> Self {
        Self {
            rate: f64::from(rate),
            burst: f64::from(burst.max(1)),
            max_buckets,
            state: Mutex::new(Table::default()),
        }
    }

    /// Takes one token from the bucket of `key` at `now`.
    fn acquire(&self, key: CallerKey, now: Instant) -> (CallerKey, Decision) {
        let mut table = match self.state.lock() {
            Ok(table) => table,
            // A panic while the lock was held leaves at worst one stale bucket.
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut key = key;

        if !table.buckets.contains_key(&key) && table.buckets.len() >= self.max_buckets {
            self.sweep(&mut table, now);
            if table.buckets.len() >= self.max_buckets {
                key = CallerKey::Overflow;
            }
        }
        let burst = self.burst;
        let bucket = table.buckets.entry(key.clone()).or_insert(Bucket {
            tokens: burst,
            updated: now,
            warned: None,
            rejected: 0,
        });
        self.refill(bucket, now);

        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            return (key, Decision::Allowed);
        }
        let missing = 1.0 - bucket.tokens;
        let retry_after_secs = ((missing / self.rate).ceil() as u64).max(1);

        bucket.rejected += 1;
        let warn = if bucket
            .warned
            .is_none_or(|at| now.saturating_duration_since(at) >= WARNING_INTERVAL)
        {
            bucket.warned = Some(now);
            Some(std::mem::take(&mut bucket.rejected))
        } else {
            None
        };
        (
            key,
            Decision::Limited {
                retry_after_secs,
                warn,
            },
        )
    }

    fn refill(&self, bucket: &mut Bucket, now: Instant) {
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.rate).min(self.burst);
        bucket.updated = now;
    }

    /// Removes the buckets that are full again and have no warning of the last minute,
    /// because a new bucket would behave the same. Runs at most once per
    /// `SWEEP_INTERVAL`, so a full table of active callers costs one pass a second.
    fn sweep(&self, table: &mut Table, now: Instant) {
        if table
            .last_sweep
            .is_some_and(|at| now.saturating_duration_since(at) < SWEEP_INTERVAL)
        {
            return;
        }
        table.last_sweep = Some(now);
        let before = table.buckets.len();
        table.buckets.retain(|_, bucket| {
            self.refill(bucket, now);
            let full = bucket.tokens >= self.burst;
            let warned_recently = bucket
                .warned
                .is_some_and(|at| now.saturating_duration_since(at) < WARNING_INTERVAL);
            !full || warned_recently
        });
        tracing::debug!(
            removed = before - table.buckets.len(),
            kept = table.buckets.len(),
            "idle rate-limit buckets removed"
        );
    }
}

/// Middleware that applies the per-caller rate limit; wrap the whole application.
#[derive(Debug, Clone)]
pub struct RateLimit {
    /// `None` when `LIAISON_RATE_LIMIT` is 0.
    limiter: Option<Arc<Limiter>>,
}

impl RateLimit {
    /// Builds the limit of `LIAISON_RATE_LIMIT` and `LIAISON_RATE_BURST`. Build it
    /// once per process, outside the application factory, so that every worker
    /// shares the same buckets.
    pub fn from_settings(settings: &Settings) -> Self {
        Self::new(settings.rate_limit, settings.rate_burst)
    }

    /// Builds a limit of `rate` requests per second with bursts of `burst`; a rate of
    /// 0 turns it off.
    pub fn new(rate: u32, burst: u32) -> Self {
        Self {
            limiter: (rate > 0).then(|| Arc::new(Limiter::new(rate, burst, MAX_BUCKETS))),
        }
    }
}

impl<S, B> Transform<S, ServiceRequest> for RateLimit
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Transform = RateLimitService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(RateLimitService {
            service: Rc::new(service),
            limiter: self.limiter.clone(),
        }))
    }
}

/// The service [`RateLimit`] wraps around the application.
#[derive(Debug)]
pub struct RateLimitService<S> {
    service: Rc<S>,
    limiter: Option<Arc<Limiter>>,
}

impl<S, B> Service<ServiceRequest> for RateLimitService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let service = self.service.clone();
        let limiter = match &self.limiter {
            Some(limiter) if !exempt(&req) => limiter.clone(),
            _ => {
                return Box::pin(async move {
                    service
                        .call(req)
                        .await
                        .map(ServiceResponse::map_into_left_body)
                });
            }
        };
        Box::pin(async move {
            let key = caller_key(&req).await;
            let (key, decision) = limiter.acquire(key, Instant::now());
            let Decision::Limited {
                retry_after_secs,
                warn,
            } = decision
            else {
                return service
                    .call(req)
                    .await
                    .map(ServiceResponse::map_into_left_body);
            };
            crate::metrics::rate_limited(key.label());
            if let Some(rejected) = warn {
                log_limited(&key, rejected, retry_after_secs);
            }
            let response = ApiError::TooManyRequests { retry_after_secs }.error_response();
            Ok(req.into_response(response).map_into_right_body())
        })
    }
}

/// Returns whether the request skips the limit: a probe, a scrape, or a call from
/// another service of this process.
fn exempt(req: &ServiceRequest) -> bool {
    if EXEMPT_PATHS.contains(&req.path()) {
        return true;
    }
    req.headers()
        .get(PEER_HEADER)
        .is_some_and(|value| constant_time_eq(value.as_bytes(), peer_secret().as_bytes()))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Finds whom the request counts against. A verified caller is kept in the request's
/// extensions, so the `Caller` extractor does not verify the token again.
async fn caller_key(req: &ServiceRequest) -> CallerKey {
    let token = auth::bearer_token(req.request()).ok().flatten();
    let verifier = req.app_data::<web::Data<Verifier>>().cloned();
    if let (Some(token), Some(verifier)) = (token, verifier)
        && let Ok(caller) = verifier.verify(&token).await
    {
        let key = CallerKey::Caller {
            role: caller.role,
            subject: caller.subject.clone(),
        };
        req.extensions_mut().insert(auth::Verified(caller));
        return key;
    }
    let address = req
        .peer_addr()
        .map_or(IpAddr::from([0, 0, 0, 0]), |addr| addr.ip());
    CallerKey::Address(network_of(address))
}

/// Returns the address a bucket is kept for: an IPv4 address as it is, and the /64
/// network of an IPv6 address, because one client usually has a whole /64.
fn network_of(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(Ipv6Addr::from(prefix))
            }
        },
    }
}

/// Logs one warning about a limited caller: its role and token subject, which the
/// logging rules allow, or its address. Never the token.
fn log_limited(key: &CallerKey, rejected: u64, retry_after_secs: u64) {
    match key {
        CallerKey::Caller { role, subject } => tracing::warn!(
            caller.role = %role,
            actor = %subject,
            rejected,
            retry_after_s = retry_after_secs,
            "rate limit exceeded; rejecting the caller's requests with 429"
        ),
        CallerKey::Address(address) => tracing::warn!(
            client.address = %address,
            rejected,
            retry_after_s = retry_after_secs,
            "rate limit exceeded; rejecting the address's requests with 429"
        ),
        CallerKey::Overflow => tracing::warn!(
            rejected,
            retry_after_s = retry_after_secs,
            max_buckets = MAX_BUCKETS,
            "rate limit exceeded by callers beyond the bucket table; rejecting with 429"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn officer(subject: &str) -> CallerKey {
        CallerKey::Caller {
            role: Role::Officer,
            subject: subject.to_owned(),
        }
    }

    #[test]
    fn burst_then_limited() {
        let limiter = Limiter::new(2, 3, 10);
        let now = Instant::now();

        let decisions: Vec<Decision> = (0..4)
            .map(|_| limiter.acquire(officer("a"), now).1)
            .collect();

        assert_eq!(decisions[..3], [Decision::Allowed; 3]);
        assert_eq!(
            decisions[3],
            Decision::Limited {
                retry_after_secs: 1,
                warn: Some(1)
            }
        );
    }

    #[test]
    fn callers_have_separate_buckets() {
        let limiter = Limiter::new(1, 1, 10);
        let now = Instant::now();

        let first = limiter.acquire(officer("a"), now).1;
        let again = limiter.acquire(officer("a"), now).1;
        let other = limiter.acquire(officer("b"), now).1;

        assert_eq!(first, Decision::Allowed);
        assert!(matches!(again, Decision::Limited { .. }));
        assert_eq!(other, Decision::Allowed);
    }

    #[test]
    fn refills_at_rate() {
        let limiter = Limiter::new(2, 1, 10);
        let now = Instant::now();
        limiter.acquire(officer("a"), now);

        let early = limiter
            .acquire(officer("a"), now + Duration::from_millis(100))
            .1;
        let later = limiter
            .acquire(officer("a"), now + Duration::from_millis(700))
            .1;

        assert!(matches!(early, Decision::Limited { .. }));
        assert_eq!(later, Decision::Allowed);
    }

    #[test]
    fn retry_after_covers_slow_rate() {
        let limiter = Limiter::new(1, 1, 10);
        let now = Instant::now();
        limiter.acquire(officer("a"), now);

        let decision = limiter.acquire(officer("a"), now).1;

        assert_eq!(
            decision,
            Decision::Limited {
                retry_after_secs: 1,
                warn: Some(1)
            }
        );
    }

    #[test]
    fn one_warning_per_minute() {
        let limiter = Limiter::new(1, 1, 10);
        let now = Instant::now();
        limiter.acquire(officer("a"), now);

        let warnings: Vec<Option<u64>> = [0, 1, 2, 61]
            .into_iter()
            .map(|offset_ms| {
                // Each attempt comes before the bucket has a whole token again.
                let at = now + Duration::from_millis(offset_ms);
                match limiter.acquire(officer("a"), at).1 {
                    Decision::Limited { warn, .. } => warn,
                    Decision::Allowed => panic!("allowed at {offset_ms} ms"),
                }
            })
            .collect();
        let after_a_minute = limiter.acquire(officer("a"), now + Duration::from_secs(61));
        let after_a_minute_again = limiter
            .acquire(officer("a"), now + Duration::from_secs(61))
            .1;

        assert_eq!(warnings, [Some(1), None, None, None]);
        assert_eq!(after_a_minute.1, Decision::Allowed);
        assert_eq!(
            after_a_minute_again,
            Decision::Limited {
                retry_after_secs: 1,
                warn: Some(4)
            }
        );
    }

    #[test]
    fn table_stays_bounded() {
        let limiter = Limiter::new(1, 1, 3);
        let now = Instant::now();

        for index in 0..10 {
            limiter.acquire(officer(&format!("caller-{index}")), now);
        }
        let size = limiter.state.lock().unwrap().buckets.len();
        let (key, _) = limiter.acquire(officer("late"), now);

        assert_eq!(size, 4, "three callers and the shared overflow bucket");
        assert_eq!(key, CallerKey::Overflow);
    }

    #[test]
    fn idle_buckets_evicted() {
        let limiter = Limiter::new(10, 1, 2);
        let now = Instant::now();
        limiter.acquire(officer("a"), now);
        limiter.acquire(officer("b"), now);

        let (key, decision) = limiter.acquire(officer("c"), now + Duration::from_secs(2));

        assert_eq!(key, officer("c"));
        assert_eq!(decision, Decision::Allowed);
        assert_eq!(limiter.state.lock().unwrap().buckets.len(), 1);
    }

    #[test]
    fn ipv6_keyed_by_network() {
        let one: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let two: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();

        assert_eq!(network_of(one), network_of(two));
        assert_eq!(network_of(one).to_string(), "2001:db8:1:2::");
        assert_eq!(network_of(mapped).to_string(), "192.0.2.7");
    }

    #[test]
    fn peer_secret_compared_whole() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert_eq!(peer_secret().len(), 64);
    }
}
