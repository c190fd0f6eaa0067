//! Large batches run as jobs. The body is stored in the database in parts as it
//! arrives, so a job survives a restart and any instance can run it. A job is
//! claimed under a lease that each committed chunk renews. When a process dies, the
//! lease runs out and the job resumes after its last committed line.

use std::io::Read;
use std::time::Duration;

use chrono::TimeDelta;
use service_kit::{AnyConnection, Database, ServiceContext, StoreError};
use tokio_util::sync::CancellationToken;

use super::apply::{IngestError, Ingestion, Sink};
use super::{Options, RowResult};
use crate::store::imports;

/// Bytes of the body stored per part.
pub const PART: usize = 1024 * 1024;
/// How long a job stays taken without progress before another run may take it. Each
/// committed chunk, and every 10,000 rows of the first pass, renews it.
const LEASE: TimeDelta = TimeDelta::seconds(30);
/// Interval at which each process looks for jobs that no process runs.
const POLL: Duration = Duration::from_secs(5);
/// Age after which an upload that never completed is deleted.
const ABANDONED: TimeDelta = TimeDelta::hours(1);

/// Reads a job's body part by part from the database.
struct Parts {
    db: Database,
    job: String,
    next: i32,
    current: std::io::Cursor<Vec<u8>>,
}

impl Read for Parts {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let read = self.current.read(buf)?;
            if read > 0 || buf.is_empty() {
                return Ok(read);
            }
            let (job, seq) = (self.job.clone(), self.next);
            let part = self
                .db
                .run_blocking(|conn| imports::read_part(conn, &job, seq))
                .map_err(std::io::Error::other)?;
            match part {
                Some(data) => {
                    self.next += 1;
                    self.current = std::io::Cursor::new(data);
                }
                None => return Ok(0),
            }
        }
    }
}

/// Stores each chunk's results with the job.
struct JobSink<'a> {
    job: &'a str,
}

impl Sink for JobSink<'_> {
    fn chunk(
        &mut self,
        conn: &mut AnyConnection,
        results: &[RowResult],
        last_line: u64,
    ) -> Result<(), StoreError> {
        imports::record_rows(conn, self.job, results, last_line, LEASE)
    }

    fn total(&mut self, conn: &mut AnyConnection, rows: u64) -> Result<(), StoreError> {
        imports::set_total(conn, self.job, rows)?;
        imports::renew(conn, self.job, LEASE)
    }

    fn counting(&mut self, conn: &mut AnyConnection, _rows: u64) -> Result<(), StoreError> {
        imports::renew(conn, self.job, LEASE)
    }
}

/// Starts running job `id` in the background, unless another run has claimed it.
pub fn start(context: ServiceContext, id: String) {
    tokio::spawn(async move {
        let running = context.clone();
        match tokio::task::spawn_blocking(move || run(&running, &id)).await {
            Ok(()) => {}
            Err(error) => tracing::error!(error = %error, "batch job task panicked"),
        }
        context.events_committed();
    });
}

/// Runs job `id` to its end on the calling thread.
fn run(context: &ServiceContext, id: &str) {
    let db = &context.db;
    let claimed = db.run_blocking(|conn| imports::claim(conn, id, LEASE));
    match claimed {
        Ok(true) => {}
        Ok(false) => return,
        Err(error) => {
            tracing::warn!(job.id = %id, error = %error, "batch job cannot be claimed; retrying later");
            return;
        }
    }
    let job = match db.run_blocking(|conn| imports::find(conn, id)) {
        Ok(Some(job)) => job,
        Ok(None) => return,
        Err(error) => {
            tracing::warn!(job.id = %id, error = %error, "batch job cannot be read; retrying later");
            return;
        }
    };
    let options: Options = match serde_json::from_str(&job.options) {
        Ok(options) => options,
        Err(error) => {
            let reason = format!("stored options are unreadable: {error}");
            tracing::error!(job.id = %id, error = %reason, "batch job failed");
            drop(db.run_blocking(|conn| imports::fail(conn, id, &reason)));
            return;
        }
    };
    tracing::info!(
        job.id = %id,
        resume_after = job.line_done,
        bytes = job.bytes,
        dry_run = options.dry_run,
        "batch job started"
    );
    let events = context.events_as(&options.origin, None, options.traceparent.clone());
    let ingestion = Ingestion {
        options: &options,
        events: &events,
        resume_after: u64::try_from(job.line_done).unwrap_or_default(),
        max_rows: super::max_rows(&context.settings).unwrap_or(super::DEFAULT_MAX_ROWS),
    };
    let open = || -> std::io::Result<Box<dyn Read + Send>> {
        Ok(Box::new(Parts {
            db: db.clone(),
            job: id.to_owned(),
            next: 0,
            current: std::io::Cursor::new(Vec::new()),
        }))
    };
    let mut sink = JobSink { job: id };
    let outcome = db.run_blocking(|conn| ingestion.run(conn, &open, &mut sink));
    let finished = match outcome {
        Ok(reading) => db.run_blocking(|conn| imports::finish(conn, id, &reading)),
        Err(IngestError::Store(error)) if error.is_transient() => {
            tracing::warn!(job.id = %id, error = %error, "batch job interrupted; it resumes when its lease ends");
            return;
        }
        Err(error) => {
            let reason = error.to_string();
            tracing::warn!(job.id = %id, error = %reason, "batch job failed");
            db.run_blocking(|conn| imports::fail(conn, id, &reason))
        }
    };
    match finished {
        Ok(()) => {
            if let Ok(Some(job)) = db.run_blocking(|conn| imports::find(conn, id)) {
                tracing::info!(job.id = %id, status = %job.status, rows = job.rows_done, "batch job ended");
            }
        }
        Err(error) => {
            tracing::warn!(job.id = %id, error = %error, "batch job end cannot be recorded; it resumes when its lease ends");
        }
    }
}

/// Runs the jobs that no process runs: those queued while this process was down,
/// and those whose process died.
pub async fn run_pending(context: ServiceContext, stop: CancellationToken) {
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(POLL) => {}
        }
        let found = context
            .db
            .run(|conn| {
                let before = service_kit::now() - ABANDONED;
                let abandoned = imports::delete_abandoned(conn, before)?;
                Ok::<_, StoreError>((imports::claimable(conn)?, abandoned))
            })
            .await;
        match found {
            Ok((ids, abandoned)) => {
                if abandoned > 0 {
                    tracing::warn!(
                        jobs = abandoned,
                        "deleted batch uploads that never completed"
                    );
                }
                for id in ids {
                    let running = context.clone();
                    drop(tokio::task::spawn_blocking(move || run(&running, &id)).await);
                    context.events_committed();
                }
            }
            Err(error) => {
                tracing::warn!(error = %error, "batch jobs cannot be listed; retrying");
            }
        }
    }
}
