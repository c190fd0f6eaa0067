//! Batch ingestion of registration data that other government systems push: CSV, JSON
//! arrays and NDJSON, in the platform's layout or in the layouts of the legal-entity
//! register and the statistical business register, with a result for every row.
//!
//! A batch is read twice. The first pass validates every row and finds, for each NPO,
//! the last valid row about it. The second pass applies those rows in chunks of one
//! transaction each, so accepted rows are committed even when other rows are rejected.
//! Earlier rows about the same NPO are reported as superseded and not applied, which
//! makes a resent batch change nothing.

pub mod apply;
pub mod decode;
pub mod jobs;
pub mod layout;
pub mod rows;

use chrono::{DateTime, Utc};
use common_models::InformationSource;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use apply::{Ingestion, Sink};
pub use decode::Encoding;
pub use layout::Layout;
pub use rows::{Format, ReadError, ReadOptions, RowError};

/// Default of `LIAISON_BATCH_ROWS`, the maximum rows of one batch. A batch of the
/// largest accepted size (`LIAISON_BATCH_LIMIT`, 256 MiB) with rows of about 500 bytes
/// has this many, and the first pass keeps one key per row in memory.
pub const DEFAULT_MAX_ROWS: u64 = 500_000;

/// Returns the maximum rows of one batch from `LIAISON_BATCH_ROWS`.
pub fn max_rows(settings: &service_kit::Settings) -> anyhow::Result<u64> {
    match settings.option("BATCH_ROWS") {
        None => Ok(DEFAULT_MAX_ROWS),
        Some(raw) => raw.parse().ok().filter(|rows| *rows > 0).ok_or_else(|| {
            anyhow::anyhow!(
                "invalid setting LIAISON_BATCH_ROWS={raw:?}: expected a positive whole number"
            )
        }),
    }
}

/// Everything that decides how a batch is read and applied.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Options {
    pub format: Format,
    /// Declared layout; detected from the CSV header when absent.
    pub layout: Option<Layout>,
    /// Declared CSV separator; detected from the header line when absent.
    pub delimiter: Option<u8>,
    /// Declared encoding; detected from the bytes when absent.
    pub encoding: Option<Encoding>,
    /// Source recorded for every field the batch sets.
    pub source: InformationSource,
    /// The system that pushed the batch: the subject of its token.
    pub origin: String,
    /// When the rows were current at the origin, unless a row sets its own `as_of`.
    pub as_of: DateTime<Utc>,
    /// Validate and report without writing.
    pub dry_run: bool,
    /// Trace of the request that submitted the batch, continued by its events.
    pub traceparent: Option<String>,
}

impl Options {
    pub fn read_options(&self) -> ReadOptions {
        ReadOptions {
            format: self.format,
            layout: self.layout,
            delimiter: self.delimiter,
            encoding: self.encoding,
        }
    }
}

/// Outcome of one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// A new NPO was registered.
    Created,
    /// An existing NPO was changed.
    Updated,
    /// The row matches what the registry holds, or is older than what the same
    /// origin sent before; nothing was written.
    Unchanged,
    /// A later row of the same batch is about the same NPO and was applied instead.
    Superseded,
    /// The row is invalid, and `errors` lists the reasons.
    Rejected,
}

impl Outcome {
    pub fn code(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Updated => "updated",
            Self::Unchanged => "unchanged",
            Self::Superseded => "superseded",
            Self::Rejected => "rejected",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        [
            Self::Created,
            Self::Updated,
            Self::Unchanged,
            Self::Superseded,
            Self::Rejected,
        ]
        .into_iter()
        .find(|outcome| outcome.code() == code)
    }
}

/// The result of one row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RowResult {
    /// Line where the row starts in a CSV or NDJSON file, or its position in a JSON
    /// array, counted from 1.
    pub line: u64,
    pub outcome: Outcome,
    /// BIN of the row, normalised when valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bin: Option<String>,
    /// NPO the row created, changed or matched; absent in a dry run for new NPOs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub npo_id: Option<String>,
    /// Line of the later row that replaced this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub superseded_by: Option<u64>,
    /// Reasons the row was rejected.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<RowError>,
}

/// Row counts of a batch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Summary {
    pub rows: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub superseded: u64,
    pub rejected: u64,
}

impl Summary {
    pub fn count(&mut self, outcome: Outcome) {
        self.rows += 1;
        match outcome {
            Outcome::Created => self.created += 1,
            Outcome::Updated => self.updated += 1,
            Outcome::Unchanged => self.unchanged += 1,
            Outcome::Superseded => self.superseded += 1,
            Outcome::Rejected => self.rejected += 1,
        }
    }
}

/// Format, layout, separator and encoding of a batch, with its unknown columns.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Reading {
    #[schema(value_type = Option<Format>)]
    pub format: Option<Format>,
    #[schema(value_type = Option<Layout>)]
    pub layout: Option<Layout>,
    /// CSV separator used.
    pub delimiter: Option<String>,
    #[schema(value_type = Option<Encoding>)]
    pub encoding: Option<Encoding>,
    /// CSV columns that no field of the layout takes; their values were not stored.
    pub unknown_columns: Vec<String>,
}

/// The report of a batch run in the request.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Report {
    pub dry_run: bool,
    #[serde(flatten)]
    pub reading: Reading,
    pub summary: Summary,
    pub rows: Vec<RowResult>,
}
