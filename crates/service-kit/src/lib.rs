//! What every service of the platform needs, written once. It covers settings, tracing,
//! problem details, JWT verification and roles, and the database pool and migrations for
//! PostgreSQL and SQLite. It also covers the transactional outbox and inbox, the event
//! bus, health, metrics, pagination, preconditions, idempotency and OpenAPI serving.

pub mod access;
pub mod app;
pub mod audit;
pub mod auth;
pub mod bus;
pub mod columns;
pub mod db;
pub mod export;
pub mod extract;
pub mod idempotency;
pub mod inbox;
pub mod metrics;
pub mod openapi;
pub mod outbox;
pub mod pages;
pub mod pagination;
pub mod peer;
pub mod platform;
pub mod problem;
pub mod ratelimit;
pub mod schema;
pub mod settings;
pub mod telemetry;
pub mod validate;

use diesel_migrations::{EmbeddedMigrations, embed_migrations};

pub use app::{ServiceContext, ServiceDef};
pub use auth::{Caller, MaybeCaller, Role};
pub use db::{AnyConnection, Database, MigrationSet, StoreError};
pub use problem::{ApiError, ApiResult, FieldError};
pub use settings::Settings;

/// Returns the current time, truncated to microseconds as PostgreSQL stores it, so both
/// backends keep the same value.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    common_models::time::truncate_to_micros(chrono::Utc::now())
}

const PLATFORM_POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const PLATFORM_SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// Tables every service has: outbox, inbox, idempotency keys and the audit trail.
pub const PLATFORM_MIGRATIONS: MigrationSet = MigrationSet {
    name: "platform",
    postgres: &PLATFORM_POSTGRES,
    sqlite: &PLATFORM_SQLITE,
};

#[cfg(feature = "testing")]
pub mod testing;
