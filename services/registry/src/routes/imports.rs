//! `/v1/npo-imports`: registration data pushed in batches by other government
//! systems, with a result for every row.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use common_models::InformationSource;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use service_kit::extract::ValidQuery;
use service_kit::pagination::{Page, PageParams};
use service_kit::{ApiError, ApiResult, Caller, Role, StoreError};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::Registry;
use crate::domain::parse_code;
use crate::ingest::apply::IngestError;
use crate::ingest::{
    Encoding, Format, Ingestion, Layout, Options, Outcome, ReadError, Reading, Report, RowResult,
    Sink, Summary, jobs,
};
use crate::store::imports::{self, JobRow};

/// Parameters of a batch upload.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// `csv`, `json` (an array of objects) or `ndjson`. Default: from the
    /// Content-Type (`text/csv`, `application/json`, `application/x-ndjson`).
    #[param(value_type = Option<Format>)]
    pub format: Option<String>,
    /// Column layout of a CSV file. Default: detected from the header row.
    #[param(value_type = Option<Layout>)]
    pub layout: Option<String>,
    /// CSV separator: `,`, `;` or `tab`. Default: detected from the header row.
    pub delimiter: Option<String>,
    /// `utf-8`, `utf-16` or `windows-1251`. Default: the charset of the Content-Type,
    /// else detected from the bytes.
    #[param(value_type = Option<Encoding>)]
    pub encoding: Option<String>,
    /// Source recorded for every field set. Default: `registration_data`.
    #[param(value_type = Option<InformationSource>)]
    pub source: Option<String>,
    /// When the rows were current in the sending register: an RFC 3339 instant or
    /// a local date. A row's own `as_of` wins. Default: the time of the request.
    pub as_of: Option<String>,
    /// `true` validates every row and reports what would happen, writing nothing.
    pub dry_run: Option<bool>,
    /// `true` runs the batch as a job whatever its size.
    pub job: Option<bool>,
}

/// A batch job and its progress.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportJob {
    pub id: String,
    /// `receiving`, `queued`, `running`, `finished` or `failed`.
    pub status: String,
    pub dry_run: bool,
    /// Size of the uploaded body in bytes.
    pub bytes: i64,
    /// Rows in the batch, once the job has counted them.
    pub rows_total: Option<i32>,
    /// Rows with a committed result.
    pub rows_done: i32,
    pub summary: Summary,
    /// Format, layout, separator and encoding of the batch, once the job has finished.
    pub reading: Option<Reading>,
    /// Reason the job failed; rows before the failure stay applied.
    pub error: Option<String>,
    /// Path of the list of row results.
    pub rows_url: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl ImportJob {
    fn from_row(row: &JobRow) -> Result<Self, ApiError> {
        let options: Options = serde_json::from_str(&row.options).map_err(ApiError::internal)?;
        Ok(Self {
            id: row.id.clone(),
            status: row.status.clone(),
            dry_run: options.dry_run,
            bytes: row.bytes,
            rows_total: row.rows_total,
            rows_done: row.rows_done,
            summary: row.summary()?,
            reading: row.reading()?,
            error: row.error.clone(),
            rows_url: format!("/v1/npo-imports/{}/rows", row.id),
            created_at: row.created_at(),
            updated_at: row.updated_at(),
            finished_at: row.finished_at(),
        })
    }
}

fn options(
    query: &ImportQuery,
    request: &HttpRequest,
    caller: &Caller,
) -> Result<Options, ApiError> {
    let mut errors = crate::domain::Errors::default();
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let mime = content_type.split(';').next().unwrap_or_default().trim();
    let charset = content_type
        .split(';')
        .skip(1)
        .filter_map(|param| param.trim().strip_prefix("charset="))
        .map(|value| value.trim_matches('"'))
        .next();

    let format = match query.format.as_deref() {
        Some("csv") => Some(Format::Csv),
        Some("json") => Some(Format::Json),
        Some("ndjson") => Some(Format::Ndjson),
        Some(_) => {
            errors.add("#/query/format", "must be csv, json or ndjson");
            None
        }
        None => match mime {
            "text/csv" | "application/csv" | "text/plain" => Some(Format::Csv),
            "application/json" => Some(Format::Json),
            "application/x-ndjson" | "application/ndjson" | "application/jsonl" => {
                Some(Format::Ndjson)
            }
            other => {
                return Err(ApiError::UnsupportedMediaType(format!(
                    "Content-Type '{other}' is not a batch format; send text/csv, \
                     application/json or application/x-ndjson, or name the format \
                     with ?format="
                )));
            }
        },
    };
    let layout = query.layout.as_deref().and_then(|raw| {
        let layout = Layout::from_code(raw);
        if layout.is_none() {
            errors.add("#/query/layout", "must be platform, justice or statistics");
        }
        layout
    });
    let delimiter = match query.delimiter.as_deref() {
        None => None,
        Some(",") => Some(b','),
        Some(";") => Some(b';'),
        Some("tab" | "\t") => Some(b'\t'),
        Some(_) => {
            errors.add("#/query/delimiter", "must be ',', ';' or 'tab'");
            None
        }
    };
    let encoding = match query.encoding.as_deref() {
        Some(raw) => {
            let encoding = Encoding::from_label(raw);
            if encoding.is_none() {
                errors.add("#/query/encoding", "must be utf-8, utf-16 or windows-1251");
            }
            encoding
        }
        None => match charset {
            Some(raw) => {
                let encoding = Encoding::from_label(raw);
                if encoding.is_none() {
                    errors.add(
                        "#/header/content-type",
                        format!(
                            "charset '{raw}' is not supported; use utf-8, utf-16 or windows-1251"
                        ),
                    );
                }
                encoding
            }
            None => None,
        },
    };
    let source = match query.source.as_deref() {
        Some(raw) => errors.check("#/query/source", parse_code::<InformationSource>(raw)),
        None => Some(InformationSource::RegistrationData),
    };
    let as_of = match query.as_of.as_deref() {
        None => Some(service_kit::now()),
        Some(raw) => {
            let parsed = common_models::time::parse_instant(raw).ok().or_else(|| {
                crate::domain::parse_date(&crate::ingest::apply::normalise_date(raw))
                    .ok()
                    .map(common_models::time::start_of_local_day)
            });
            if parsed.is_none() {
                errors.add(
                    "#/query/as_of",
                    "must be an RFC 3339 instant or a date (YYYY-MM-DD or DD.MM.YYYY)",
                );
            }
            if parsed.is_some_and(crate::ingest::apply::is_future) {
                errors.add("#/query/as_of", "must not be in the future");
            }
            parsed
        }
    };
    errors.into_result()?;
    let (Some(format), Some(source), Some(as_of)) = (format, source, as_of) else {
        return Err(ApiError::internal(anyhow::anyhow!(
            "a batch option was dropped without an error"
        )));
    };
    Ok(Options {
        format,
        layout,
        delimiter,
        encoding,
        source,
        origin: caller.subject.clone(),
        as_of,
        dry_run: query.dry_run.unwrap_or(false),
        traceparent: service_kit::telemetry::current_traceparent(),
    })
}

/// Collects the results of a batch run in the request.
#[derive(Debug, Default)]
struct Collect {
    results: Vec<RowResult>,
    /// Last line whose chunk is committed.
    committed: u64,
}

impl Sink for Collect {
    fn chunk(
        &mut self,
        _conn: &mut service_kit::AnyConnection,
        results: &[RowResult],
        _last_line: u64,
    ) -> Result<(), StoreError> {
        self.results.extend_from_slice(results);
        Ok(())
    }

    fn committed(&mut self, last_line: u64) {
        self.committed = last_line;
    }
}

fn ingest_error(error: IngestError) -> ApiError {
    match error {
        IngestError::Store(error) => error.into(),
        IngestError::Read(ReadError::Io(error)) => ApiError::internal(error),
        IngestError::Read(error) => ApiError::field("/", error.to_string()),
    }
}

fn declared_length(request: &HttpRequest) -> Option<usize> {
    request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse().ok())
}

/// Push registration data.
///
/// Integrators only. Accepts CSV (UTF-8 with or without a byte-order mark, or
/// Windows-1251; `,`, `;` or tab; dates as `YYYY-MM-DD` or `DD.MM.YYYY`), a JSON array
/// of objects, or NDJSON. Rows match NPOs by BIN, or by name and first territory for
/// NPOs without one. Valid rows are committed even when others are rejected, and the
/// last row about an NPO wins over earlier ones in the same batch. A field that the
/// same sender set from a newer record is left as it is. Resending a batch changes
/// nothing and publishes no events.
///
/// Bodies up to the job threshold run in the request and return the report of every
/// row; larger ones, bodies without a Content-Length and `job=true` return 202 with a
/// job to poll.
#[utoipa::path(
    post, path = "/v1/npo-imports", tag = "npo-imports", params(ImportQuery),
    request_body(content = String, description = "The batch", content_type = "text/csv"),
    responses(
        (status = 200, description = "Applied in the request", body = Report),
        (status = 202, description = "Running as a job", body = ImportJob, headers(("Location" = String))),
        (status = 401, body = service_kit::problem::Problem), (status = 403, body = service_kit::problem::Problem),
        (status = 413, description = "Larger than the batch limit", body = service_kit::problem::Problem),
        (status = 415, body = service_kit::problem::Problem),
        (status = 422, description = "Unreadable batch or invalid parameters", body = service_kit::problem::Problem)
    ),
    security(("bearer" = []))
)]
#[post("/v1/npo-imports")]
pub async fn submit_import(
    registry: web::Data<Registry>,
    caller: Caller,
    request: HttpRequest,
    query: ValidQuery<ImportQuery>,
    mut payload: web::Payload,
) -> ApiResult<HttpResponse> {
    caller.require(&[Role::Integrator])?;
    let options = options(&query, &request, &caller)?;
    let limit = registry.settings.batch_limit;
    let threshold = registry.settings.batch_job_threshold;
    let length = declared_length(&request);
    if length.is_some_and(|length| length > limit) {
        return Err(ApiError::PayloadTooLarge(limit));
    }
    let as_job = query.job.unwrap_or(false) || length.is_none_or(|length| length > threshold);
    if as_job {
        return submit_job(&registry, &caller, options, payload, limit).await;
    }

    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::BadRequest(format!("the body cannot be read: {e}")))?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge(limit));
        }
        body.extend_from_slice(&chunk);
    }
    let body = body.freeze();
    let events = registry.events_for(Some(&caller));
    // The start-up work rejects an invalid LIAISON_BATCH_ROWS, so the default is a
    // fallback that a running server does not reach.
    let max_rows =
        crate::ingest::max_rows(&registry.settings).unwrap_or(crate::ingest::DEFAULT_MAX_ROWS);
    let dry_run = options.dry_run;
    let (reading, results) = registry
        .db
        .run(move |conn| {
            let open = || -> std::io::Result<Box<dyn std::io::Read + Send>> {
                Ok(Box::new(std::io::Cursor::new(body.clone())))
            };
            let mut sink = Collect::default();
            let ingestion = Ingestion {
                options: &options,
                events: &events,
                resume_after: 0,
                max_rows,
            };
            let reading = match ingestion.run(conn, &open, &mut sink) {
                Ok(reading) => reading,
                Err(IngestError::Store(error)) if sink.committed > 0 => {
                    tracing::warn!(error = %error, committed_through = sink.committed, "batch stopped after some chunks were committed");
                    return Err(ApiError::dependency(service_kit::problem::DATABASE, format!(
                        "the database failed after the rows up to line {} were committed; \
                         send the whole batch again, because committed rows come back unchanged",
                        sink.committed
                    )));
                }
                Err(error) => return Err(ingest_error(error)),
            };
            Ok::<_, ApiError>((reading, sink.results))
        })
        .await?;
    registry.events_committed();

    let mut summary = Summary::default();
    for result in &results {
        summary.count(result.outcome);
    }
    tracing::info!(
        rows = summary.rows,
        created = summary.created,
        updated = summary.updated,
        rejected = summary.rejected,
        dry_run,
        "batch applied"
    );
    Ok(HttpResponse::Ok().json(Report {
        dry_run,
        reading,
        summary,
        rows: results,
    }))
}

async fn submit_job(
    registry: &Registry,
    caller: &Caller,
    options: Options,
    mut payload: web::Payload,
    limit: usize,
) -> ApiResult<HttpResponse> {
    let id = Uuid::now_v7().to_string();
    let stored = serde_json::to_string(&options).map_err(ApiError::internal)?;
    {
        let (id, subject) = (id.clone(), caller.subject.clone());
        registry
            .db
            .run(move |conn| imports::create(conn, &id, &stored, &subject, service_kit::now()))
            .await?;
    }
    let received = receive_parts(registry, &id, &mut payload, limit).await;
    let bytes = match received {
        Ok(bytes) => bytes,
        Err(error) => {
            let failed = id.clone();
            if let Err(cleanup) = registry
                .db
                .run(move |conn| imports::delete(conn, &failed))
                .await
            {
                tracing::warn!(job.id = %id, error = %cleanup, "incomplete batch upload not deleted; it is deleted within an hour");
            }
            return Err(error);
        }
    };
    let queued = id.clone();
    let job = registry
        .db
        .run(move |conn| {
            imports::queue(conn, &queued, i64::try_from(bytes).unwrap_or(i64::MAX))?;
            imports::find(conn, &queued)
        })
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("batch job {id}")))?;
    tracing::info!(job.id = %id, bytes, "batch job queued");
    jobs::start(registry.0.clone(), id.clone());
    Ok(HttpResponse::Accepted()
        .insert_header((header::LOCATION, format!("/v1/npo-imports/{id}")))
        .json(ImportJob::from_row(&job)?))
}

/// Stores the body in parts as it arrives; returns its size.
async fn receive_parts(
    registry: &Registry,
    id: &str,
    payload: &mut web::Payload,
    limit: usize,
) -> Result<usize, ApiError> {
    let mut part = Vec::with_capacity(jobs::PART);
    let mut seq = 0;
    let mut total = 0;
    loop {
        let chunk = payload.next().await;
        let last = chunk.is_none();
        if let Some(chunk) = chunk {
            let chunk =
                chunk.map_err(|e| ApiError::BadRequest(format!("the body cannot be read: {e}")))?;
            total += chunk.len();
            if total > limit {
                return Err(ApiError::PayloadTooLarge(limit));
            }
            part.extend_from_slice(&chunk);
        }
        if part.len() >= jobs::PART || (last && !part.is_empty()) {
            let data = std::mem::replace(&mut part, Vec::with_capacity(jobs::PART));
            let id = id.to_owned();
            registry
                .db
                .run(move |conn| imports::append_part(conn, &id, seq, &data))
                .await?;
            seq += 1;
        }
        if last {
            return Ok(total);
        }
    }
}

async fn load_job(registry: &Registry, caller: &Caller, id: String) -> ApiResult<JobRow> {
    caller.require(&[Role::Integrator, Role::Ministry])?;
    let lookup = id.clone();
    let job = registry
        .db
        .run(move |conn| imports::find(conn, &lookup).map_err(ApiError::from))
        .await?;
    // Another integrator's jobs are reported as absent, not forbidden, so that their
    // ids cannot be probed.
    job.filter(|job| caller.role == Role::Ministry || job.created_by == caller.subject)
        .ok_or_else(|| ApiError::NotFound(format!("batch job {id}")))
}

/// Read a batch job's progress.
///
/// The integrator that submitted it, and the ministry.
#[utoipa::path(
    get, path = "/v1/npo-imports/{id}", tag = "npo-imports",
    params(("id" = String, Path, description = "Job id")),
    responses(
        (status = 200, body = ImportJob),
        (status = 403, description = "Only integrators and the ministry read import jobs", body = service_kit::problem::Problem),
        (status = 404, body = service_kit::problem::Problem)
    ),
    security(("bearer" = []))
)]
#[get("/v1/npo-imports/{id}")]
pub async fn get_import(
    registry: web::Data<Registry>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let job = load_job(&registry, &caller, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(ImportJob::from_row(&job)?))
}

/// Filters of a job's row results.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RowQuery {
    /// Only rows with this outcome.
    #[param(value_type = Option<Outcome>)]
    pub outcome: Option<String>,
    /// Items per page, 1 to 200 (default 50).
    pub limit: Option<i64>,
    /// Cursor from the previous page.
    pub cursor: Option<String>,
}

/// List the result of every row of a batch job, in line order.
///
/// The integrator that submitted it, and the ministry.
#[utoipa::path(
    get, path = "/v1/npo-imports/{id}/rows", tag = "npo-imports",
    params(("id" = String, Path, description = "Job id"), RowQuery),
    responses(
        (status = 200, body = inline(Page<RowResult>)),
        (status = 403, description = "Only integrators and the ministry read import jobs", body = service_kit::problem::Problem),
        (status = 404, body = service_kit::problem::Problem), (status = 422, body = service_kit::problem::Problem)
    ),
    security(("bearer" = []))
)]
#[get("/v1/npo-imports/{id}/rows")]
pub async fn import_rows(
    registry: web::Data<Registry>,
    caller: Caller,
    id: web::Path<String>,
    query: ValidQuery<RowQuery>,
) -> ApiResult<HttpResponse> {
    let query = query.into_inner();
    let outcome = match query.outcome.as_deref() {
        None => None,
        Some(raw) => Some(Outcome::from_code(raw).ok_or_else(|| {
            ApiError::field(
                "#/query/outcome",
                "must be created, updated, unchanged, superseded or rejected",
            )
        })?),
    };
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor,
    };
    let limit = page.limit()?;
    let after = match page.after()? {
        None => 0,
        Some(raw) => raw.parse::<i64>().map_err(|_| {
            ApiError::field("#/query/cursor", "is not a cursor returned by this API")
        })?,
    };
    let job = load_job(&registry, &caller, id.into_inner()).await?;
    let rows = registry
        .db
        .run(move |conn| {
            imports::rows(conn, &job.id, outcome, after, limit + 1).map_err(ApiError::from)
        })
        .await?;
    Ok(
        HttpResponse::Ok().json(Page::from_overfetch(rows, limit, |row| {
            row.line.to_string()
        })),
    )
}
