//! One diesel connection type over PostgreSQL and SQLite, chosen by the URL scheme,
//! pooled with r2d2 and used from async handlers through a blocking thread pool.

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::{PgConnection, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness};
use thiserror::Error;

/// A connection to either backend; queries are written once against this type.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

impl std::fmt::Debug for AnyConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Postgresql(_) => "AnyConnection::Postgresql",
            Self::Sqlite(_) => "AnyConnection::Sqlite",
        })
    }
}

/// Runs one expression with the concrete connection of either backend. Use it for the
/// few queries `MultiConnection` does not compile, such as upserts.
#[macro_export]
macro_rules! with_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::AnyConnection::Postgresql($c) => $body,
            $crate::db::AnyConnection::Sqlite($c) => $body,
        }
    };
}

/// The database product behind a URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    /// Picks the backend from the URL scheme.
    pub fn from_url(url: &str) -> Result<Self, ConnectError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else {
            Err(ConnectError(format!(
                "unsupported database URL scheme in {}: use postgres:// or sqlite://",
                redact(url)
            )))
        }
    }
}

/// A failed connection attempt, with the driver's own message.
#[derive(Debug, Error)]
#[error("{0}")]
pub struct ConnectError(String);

/// Errors of the storage layer, already sorted into what a caller can act on.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Query(anyhow::Error),
}

impl From<DieselError> for StoreError {
    fn from(error: DieselError) -> Self {
        match error {
            DieselError::NotFound => Self::NotFound,
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                Self::Conflict(info.message().to_owned())
            }
            DieselError::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::SerializationFailure,
                info,
            ) => Self::Unavailable(info.message().to_owned()),
            // PostgreSQL ended one of two transactions that waited for each other.
            DieselError::DatabaseError(_, info) if info.message().contains("deadlock detected") => {
                Self::Unavailable(info.message().to_owned())
            }
            // SQLite reports a writer that waited out the busy timeout this way.
            DieselError::DatabaseError(_, info)
                if info.message().contains("database is locked") =>
            {
                Self::Unavailable(info.message().to_owned())
            }
            other => Self::Query(other.into()),
        }
    }
}

impl StoreError {
    /// Returns whether retrying later may succeed: the database was unreachable or busy.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

/// Runs `work` in one transaction on `conn`; nothing is written unless it returns `Ok`.
///
/// On SQLite the transaction takes the write lock at `BEGIN IMMEDIATE`, because every
/// handler here reads before it writes. A deferred transaction that writes after
/// another connection committed fails at once with `SQLITE_BUSY` instead of waiting.
pub fn in_transaction<T, E, F>(conn: &mut AnyConnection, work: F) -> Result<T, E>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, E>,
    E: From<DieselError>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    type Manager = <AnyConnection as Connection>::TransactionManager;

    let AnyConnection::Sqlite(sqlite) = conn else {
        return conn.transaction(work);
    };
    AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?;
    match work(conn) {
        Ok(value) => {
            Manager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(error) => {
            if let Err(rollback) = Manager::rollback_transaction(conn) {
                tracing::warn!(error = %rollback, "rollback failed");
            }
            Err(error)
        }
    }
}

impl From<r2d2::Error> for StoreError {
    fn from(error: r2d2::Error) -> Self {
        Self::Unavailable(error.to_string())
    }
}

/// Creates connections for the pool; SQLite connections get their PRAGMAs here.
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    url: String,
    backend: Backend,
}

impl ConnectionManager {
    /// Creates a manager for `url`, rejecting unknown schemes.
    pub fn new(url: &str) -> Result<Self, ConnectError> {
        Ok(Self {
            url: url.to_owned(),
            backend: Backend::from_url(url)?,
        })
    }
}

fn sqlite_path(url: &str) -> &str {
    url.strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url)
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = AnyConnection;
    type Error = ConnectError;

    fn connect(&self) -> Result<AnyConnection, ConnectError> {
        match self.backend {
            Backend::Postgres => PgConnection::establish(&self.url)
                .map(AnyConnection::Postgresql)
                .map_err(|e| ConnectError(e.to_string())),
            Backend::Sqlite => {
                let mut conn = SqliteConnection::establish(sqlite_path(&self.url))
                    .map_err(|e| ConnectError(e.to_string()))?;
                // WAL lets readers run beside the one writer; the busy timeout makes a
                // second writer wait instead of failing with "database is locked".
                // The busy timeout comes first, so a connection that finds another one
                // switching the file to WAL waits for it instead of failing. The page
                // cache of up to 16 MiB (the default is 2 MiB) keeps the index pages
                // that a large batch touches at random, which SQLite would otherwise
                // read again from the file for every chunk.
                conn.batch_execute(
                    "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
                     PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; \
                     PRAGMA cache_size = -16384;",
                )
                .map_err(|e| ConnectError(e.to_string()))?;
                Ok(AnyConnection::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), ConnectError> {
        conn.batch_execute("SELECT 1")
            .map_err(|e| ConnectError(e.to_string()))
    }

    fn has_broken(&self, conn: &mut AnyConnection) -> bool {
        // A connection given back while its thread panicked may still be inside a
        // transaction; it must not serve the next request.
        std::thread::panicking() || diesel::r2d2::R2D2Connection::is_broken(conn)
    }
}

/// Logs failed connection attempts of the pool, at most one line per 10 seconds, so an
/// outage does not flood the log while the pool keeps retrying.
#[derive(Debug, Default)]
struct ThrottledErrorHandler {
    last: std::sync::Mutex<Option<std::time::Instant>>,
}

impl r2d2::HandleError<ConnectError> for ThrottledErrorHandler {
    fn handle_error(&self, error: ConnectError) {
        let Ok(mut last) = self.last.lock() else {
            return;
        };
        if last.is_some_and(|at| at.elapsed() < Duration::from_secs(10)) {
            return;
        }
        *last = Some(std::time::Instant::now());
        tracing::warn!(error = %error, "database connection failed; the pool keeps retrying");
    }
}

/// A pool of connections to one service's database.
#[derive(Clone)]
pub struct Database {
    pool: r2d2::Pool<ConnectionManager>,
    backend: Backend,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("backend", &self.backend)
            .finish()
    }
}

impl Database {
    /// Opens a pool; for SQLite the file's folder is created first.
    pub fn connect(url: &str) -> Result<Self, ConnectError> {
        let manager = ConnectionManager::new(url)?;
        let backend = manager.backend;
        if backend == Backend::Sqlite {
            let path = std::path::Path::new(sqlite_path(url));
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(|e| {
                    ConnectError(format!("cannot create {}: {e}", parent.display()))
                })?;
            }
        }
        let max_size = match backend {
            Backend::Postgres => 10,
            Backend::Sqlite => 4,
        };
        // One connection up front reports the driver's own error, such as a missing
        // database, instead of the pool's timeout.
        r2d2::ManageConnection::connect(&manager)
            .map_err(|e| ConnectError(format!("{}: {e}", redact(url))))?;
        let pool = r2d2::Pool::builder()
            .max_size(max_size)
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(5))
            .error_handler(Box::new(ThrottledErrorHandler::default()))
            .build(manager)
            .map_err(|e| ConnectError(format!("{}: {e}", redact(url))))?;
        Ok(Self { pool, backend })
    }

    /// Returns the backend behind this pool.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Applies pending migrations from each source in order.
    pub fn migrate(&self, sources: &[MigrationSet]) -> anyhow::Result<()> {
        let mut conn = self.pool.get()?;
        for set in sources {
            let migrations = match self.backend {
                Backend::Postgres => set.postgres,
                Backend::Sqlite => set.sqlite,
            };
            let applied = match &mut *conn {
                AnyConnection::Postgresql(c) => c
                    .run_pending_migrations(Borrowed(migrations))
                    .map(|v| v.len()),
                AnyConnection::Sqlite(c) => c
                    .run_pending_migrations(Borrowed(migrations))
                    .map(|v| v.len()),
            }
            .map_err(|e| anyhow::anyhow!("migrations of {} failed: {e}", set.name))?;
            if applied > 0 {
                tracing::info!(
                    migrations.set = set.name,
                    migrations.applied = applied,
                    "migrations applied"
                );
            }
        }
        Ok(())
    }

    /// Runs `work` with a pooled connection on tokio's blocking thread pool, so the
    /// async workers that serve requests do not block on the database.
    pub async fn run<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().map_err(StoreError::from)?;
            work(&mut conn)
        })
        .await
        .map_err(|e| {
            E::from(StoreError::Query(anyhow::anyhow!(
                "database task failed: {e}"
            )))
        })?
    }

    /// Runs `work` inside one transaction; nothing is written unless it returns `Ok`.
    pub async fn transaction<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + From<DieselError> + Send + 'static,
    {
        self.run(move |conn| in_transaction(conn, work)).await
    }

    /// Runs `work` on the calling thread, for commands outside the async runtime.
    pub fn run_blocking<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, E>,
        E: From<StoreError>,
    {
        let mut conn = self.pool.get().map_err(StoreError::from)?;
        work(&mut conn)
    }

    /// Returns the pool's open and idle connections and its maximum size.
    pub fn pool_state(&self) -> PoolState {
        let state = self.pool.state();
        PoolState {
            connections: state.connections,
            idle: state.idle_connections,
            max_size: self.pool.max_size(),
        }
    }

    /// Checks that a connection can be had and that it runs a query.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.run(|conn| -> Result<(), StoreError> {
            conn.batch_execute("SELECT 1")?;
            Ok(())
        })
        .await
    }
}

/// Connection counts of a pool at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolState {
    /// Open connections, idle or in use.
    pub connections: u32,
    /// Open connections that no caller holds.
    pub idle: u32,
    /// Maximum number of open connections.
    pub max_size: u32,
}

/// The embedded migrations of one component, one folder per backend.
#[derive(Clone, Copy)]
pub struct MigrationSet {
    pub name: &'static str,
    pub postgres: &'static EmbeddedMigrations,
    pub sqlite: &'static EmbeddedMigrations,
}

/// Lets a `'static` set of embedded migrations be run without moving it.
struct Borrowed(&'static EmbeddedMigrations);

impl<DB: diesel::backend::Backend> diesel::migration::MigrationSource<DB> for Borrowed
where
    EmbeddedMigrations: diesel::migration::MigrationSource<DB>,
{
    fn migrations(
        &self,
    ) -> diesel::migration::Result<Vec<Box<dyn diesel::migration::Migration<DB>>>> {
        self.0.migrations()
    }
}

impl std::fmt::Debug for MigrationSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MigrationSet")
            .field("name", &self.name)
            .finish()
    }
}

/// Removes the password from a database URL before it is logged or shown.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_hides_password() {
        assert_eq!(
            redact("postgres://app:secret@db:5432/registry"),
            "postgres://app:***@db:5432/registry"
        );
        assert_eq!(redact("sqlite://./data/x.db"), "sqlite://./data/x.db");
    }

    #[test]
    fn backend_from_scheme() {
        assert_eq!(
            Backend::from_url("postgres://h/db").ok(),
            Some(Backend::Postgres)
        );
        assert_eq!(
            Backend::from_url("sqlite://x.db").ok(),
            Some(Backend::Sqlite)
        );
        assert!(Backend::from_url("mysql://h/db").is_err());
    }
}
