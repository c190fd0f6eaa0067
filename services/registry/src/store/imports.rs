//! Storage of batch import jobs: their options and progress, the uploaded body in
//! parts, and the result of every row.

use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use diesel::prelude::*;
use service_kit::{AnyConnection, StoreError, with_backend};

use super::{from_json, to_json, utc};
use crate::ingest::{Outcome, Reading, RowError, RowResult, Summary};
use crate::schema::{import_job_parts, import_job_rows, import_jobs};

/// State of a job.
pub mod status {
    /// The body is still being uploaded.
    pub const RECEIVING: &str = "receiving";
    pub const QUEUED: &str = "queued";
    pub const RUNNING: &str = "running";
    pub const FINISHED: &str = "finished";
    pub const FAILED: &str = "failed";
}

/// A job as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = import_jobs)]
pub struct JobRow {
    pub id: String,
    pub status: String,
    pub options: String,
    pub bytes: i64,
    pub rows_total: Option<i32>,
    pub rows_done: i32,
    pub line_done: i64,
    pub summary: String,
    pub reading: Option<String>,
    pub error: Option<String>,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
}

impl JobRow {
    pub fn summary(&self) -> Result<Summary, StoreError> {
        from_json("summary", &self.summary)
    }

    pub fn reading(&self) -> Result<Option<Reading>, StoreError> {
        self.reading
            .as_deref()
            .map(|raw| from_json("reading", raw))
            .transpose()
    }

    pub fn created_at(&self) -> DateTime<Utc> {
        utc(self.created_at)
    }

    pub fn updated_at(&self) -> DateTime<Utc> {
        utc(self.updated_at)
    }

    pub fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.finished_at.map(utc)
    }
}

/// Creates a job that is receiving its body.
pub fn create(
    conn: &mut AnyConnection,
    id: &str,
    options: &str,
    created_by: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let now = now.naive_utc();
    diesel::insert_into(import_jobs::table)
        .values((
            import_jobs::id.eq(id),
            import_jobs::status.eq(status::RECEIVING),
            import_jobs::options.eq(options),
            import_jobs::bytes.eq(0i64),
            import_jobs::rows_done.eq(0),
            import_jobs::line_done.eq(0i64),
            import_jobs::summary.eq(to_json(&Summary::default())?),
            import_jobs::created_by.eq(created_by),
            import_jobs::created_at.eq(now),
            import_jobs::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Stores part `seq` of a job's body.
pub fn append_part(
    conn: &mut AnyConnection,
    id: &str,
    seq: i32,
    data: &[u8],
) -> Result<(), StoreError> {
    diesel::insert_into(import_job_parts::table)
        .values((
            import_job_parts::job_id.eq(id),
            import_job_parts::seq.eq(seq),
            import_job_parts::data.eq(data),
        ))
        .execute(conn)?;
    Ok(())
}

/// Reads part `seq` of a job's body, or `None` after the last one.
pub fn read_part(
    conn: &mut AnyConnection,
    id: &str,
    seq: i32,
) -> Result<Option<Vec<u8>>, StoreError> {
    Ok(import_job_parts::table
        .filter(import_job_parts::job_id.eq(id))
        .filter(import_job_parts::seq.eq(seq))
        .select(import_job_parts::data)
        .first(conn)
        .optional()?)
}

/// Marks a received job as waiting to run.
pub fn queue(conn: &mut AnyConnection, id: &str, bytes: i64) -> Result<(), StoreError> {
    diesel::update(import_jobs::table.filter(import_jobs::id.eq(id)))
        .set((
            import_jobs::status.eq(status::QUEUED),
            import_jobs::bytes.eq(bytes),
            import_jobs::updated_at.eq(service_kit::now().naive_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Deletes a job with its parts and rows.
pub fn delete(conn: &mut AnyConnection, id: &str) -> Result<(), StoreError> {
    diesel::delete(import_job_rows::table.filter(import_job_rows::job_id.eq(id))).execute(conn)?;
    diesel::delete(import_job_parts::table.filter(import_job_parts::job_id.eq(id)))
        .execute(conn)?;
    diesel::delete(import_jobs::table.filter(import_jobs::id.eq(id))).execute(conn)?;
    Ok(())
}

/// Takes a job for `lease` if it is queued, or running under an expired lease;
/// returns whether it was taken.
pub fn claim(conn: &mut AnyConnection, id: &str, lease: TimeDelta) -> Result<bool, StoreError> {
    let now = service_kit::now().naive_utc();
    let taken = diesel::update(
        import_jobs::table.filter(import_jobs::id.eq(id)).filter(
            import_jobs::status
                .eq(status::QUEUED)
                .or(import_jobs::status
                    .eq(status::RUNNING)
                    .and(import_jobs::lease_until.lt(now))),
        ),
    )
    .set((
        import_jobs::status.eq(status::RUNNING),
        import_jobs::lease_until.eq(now + lease),
        import_jobs::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(taken == 1)
}

/// Extends the lease of a running job.
pub fn renew(conn: &mut AnyConnection, id: &str, lease: TimeDelta) -> Result<(), StoreError> {
    let now = service_kit::now().naive_utc();
    diesel::update(import_jobs::table.filter(import_jobs::id.eq(id)))
        .set((
            import_jobs::lease_until.eq(now + lease),
            import_jobs::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Lists jobs that no process is running: queued, or running under an expired lease.
pub fn claimable(conn: &mut AnyConnection) -> Result<Vec<String>, StoreError> {
    let now = service_kit::now().naive_utc();
    Ok(import_jobs::table
        .filter(
            import_jobs::status
                .eq(status::QUEUED)
                .or(import_jobs::status
                    .eq(status::RUNNING)
                    .and(import_jobs::lease_until.lt(now))),
        )
        .order(import_jobs::created_at.asc())
        .select(import_jobs::id)
        .limit(10)
        .load(conn)?)
}

/// Deletes jobs whose upload stopped before it was complete, received before `before`.
pub fn delete_abandoned(
    conn: &mut AnyConnection,
    before: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let ids: Vec<String> = import_jobs::table
        .filter(import_jobs::status.eq(status::RECEIVING))
        .filter(import_jobs::updated_at.lt(before.naive_utc()))
        .select(import_jobs::id)
        .load(conn)?;
    for id in &ids {
        delete(conn, id)?;
    }
    Ok(ids.len())
}

/// Records the number of rows the job has.
pub fn set_total(conn: &mut AnyConnection, id: &str, rows: u64) -> Result<(), StoreError> {
    diesel::update(import_jobs::table.filter(import_jobs::id.eq(id)))
        .set(import_jobs::rows_total.eq(i32::try_from(rows).unwrap_or(i32::MAX)))
        .execute(conn)?;
    Ok(())
}

/// Stores the results of one chunk and moves the job's progress past `last_line`.
/// Call it in the chunk's transaction.
pub fn record_rows(
    conn: &mut AnyConnection,
    id: &str,
    results: &[RowResult],
    last_line: u64,
    lease: TimeDelta,
) -> Result<(), StoreError> {
    let mut rows = Vec::with_capacity(results.len());
    for result in results {
        let errors = if result.errors.is_empty() {
            None
        } else {
            Some(to_json(&result.errors)?)
        };
        rows.push((
            import_job_rows::job_id.eq(id),
            import_job_rows::line.eq(as_i64(result.line)),
            import_job_rows::outcome.eq(result.outcome.code()),
            import_job_rows::bin.eq(result.bin.clone()),
            import_job_rows::npo_id.eq(result.npo_id.clone()),
            import_job_rows::superseded_by.eq(result.superseded_by.map(as_i64)),
            import_job_rows::errors.eq(errors),
        ));
    }
    for part in rows.chunks(1_000) {
        let insert = diesel::insert_into(import_job_rows::table).values(part);
        with_backend!(conn, |c| insert.execute(c))?;
    }

    let job: JobRow = import_jobs::table
        .filter(import_jobs::id.eq(id))
        .select(JobRow::as_select())
        .first(conn)?;
    let mut summary = job.summary()?;
    for result in results {
        summary.count(result.outcome);
    }
    let now = service_kit::now().naive_utc();
    diesel::update(import_jobs::table.filter(import_jobs::id.eq(id)))
        .set((
            import_jobs::rows_done.eq(i32::try_from(summary.rows).unwrap_or(i32::MAX)),
            import_jobs::line_done.eq(as_i64(last_line)),
            import_jobs::summary.eq(to_json(&summary)?),
            import_jobs::lease_until.eq(now + lease),
            import_jobs::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Marks a job finished, keeps how it was read, and drops its body.
pub fn finish(conn: &mut AnyConnection, id: &str, reading: &Reading) -> Result<(), StoreError> {
    let now = service_kit::now().naive_utc();
    diesel::update(import_jobs::table.filter(import_jobs::id.eq(id)))
        .set((
            import_jobs::status.eq(status::FINISHED),
            import_jobs::reading.eq(to_json(reading)?),
            import_jobs::lease_until.eq(None::<NaiveDateTime>),
            import_jobs::updated_at.eq(now),
            import_jobs::finished_at.eq(now),
        ))
        .execute(conn)?;
    diesel::delete(import_job_parts::table.filter(import_job_parts::job_id.eq(id)))
        .execute(conn)?;
    Ok(())
}

/// Marks a job failed with the reason; the rows before the failure stay applied.
pub fn fail(conn: &mut AnyConnection, id: &str, error: &str) -> Result<(), StoreError> {
    let now = service_kit::now().naive_utc();
    diesel::update(import_jobs::table.filter(import_jobs::id.eq(id)))
        .set((
            import_jobs::status.eq(status::FAILED),
            import_jobs::error.eq(error),
            import_jobs::lease_until.eq(None::<NaiveDateTime>),
            import_jobs::updated_at.eq(now),
            import_jobs::finished_at.eq(now),
        ))
        .execute(conn)?;
    diesel::delete(import_job_parts::table.filter(import_job_parts::job_id.eq(id)))
        .execute(conn)?;
    Ok(())
}

/// Finds a job by its id.
pub fn find(conn: &mut AnyConnection, id: &str) -> Result<Option<JobRow>, StoreError> {
    Ok(import_jobs::table
        .filter(import_jobs::id.eq(id))
        .select(JobRow::as_select())
        .first(conn)
        .optional()?)
}

type ResultRow = (
    i64,
    String,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<String>,
);

/// Lists the row results of a job in line order after line `after`, optionally only
/// those with `outcome`.
pub fn rows(
    conn: &mut AnyConnection,
    id: &str,
    outcome: Option<Outcome>,
    after: i64,
    limit: i64,
) -> Result<Vec<RowResult>, StoreError> {
    let mut query = import_job_rows::table
        .filter(import_job_rows::job_id.eq(id))
        .filter(import_job_rows::line.gt(after))
        .into_boxed();
    if let Some(outcome) = outcome {
        query = query.filter(import_job_rows::outcome.eq(outcome.code()));
    }
    let rows: Vec<ResultRow> = query
        .order(import_job_rows::line.asc())
        .limit(limit)
        .select((
            import_job_rows::line,
            import_job_rows::outcome,
            import_job_rows::bin,
            import_job_rows::npo_id,
            import_job_rows::superseded_by,
            import_job_rows::errors,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(line, outcome, bin, npo_id, superseded_by, errors)| {
            let errors: Vec<RowError> = match errors {
                Some(raw) => from_json("errors", &raw)?,
                None => Vec::new(),
            };
            Ok(RowResult {
                line: u64::try_from(line).unwrap_or_default(),
                outcome: Outcome::from_code(&outcome).ok_or_else(|| {
                    StoreError::Query(anyhow::anyhow!("stored outcome '{outcome}' is unknown"))
                })?,
                bin,
                npo_id,
                superseded_by: superseded_by.and_then(|l| u64::try_from(l).ok()),
                errors,
            })
        })
        .collect()
}

fn as_i64(line: u64) -> i64 {
    i64::try_from(line).unwrap_or(i64::MAX)
}
