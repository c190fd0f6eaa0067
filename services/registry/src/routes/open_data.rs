//! `/v1/open-data/npos.csv` and `/v1/open-data/npos.json`: the public fields of every
//! NPO that matches the search filters, streamed page by page.

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpResponse, get, web};
use service_kit::extract::ValidQuery;
use service_kit::{ApiError, ApiResult, Database, MaybeCaller};
use tokio::sync::mpsc;

use super::Registry;
use super::search::NpoFilterQuery;
use crate::domain::npo::NpoRecord;
use crate::domain::open_data::{CSV_COLUMNS, OpenDataNpo};
use crate::store::search::{self, NpoSort, Position, ResolvedFilter};

/// NPOs read per query. Each page is encoded and sent before the next is read, so
/// memory stays flat however many NPOs match.
const PAGE: i64 = 1_000;

/// Encoded pages waiting for the client; a slow client makes the reader wait here.
const PAGES_BUFFERED: usize = 2;

const BYTE_ORDER_MARK: &[u8] = b"\xEF\xBB\xBF";

/// Format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Csv,
    Json,
}

impl Format {
    fn content_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8",
            Self::Json => "application/json",
        }
    }

    fn file_name(self) -> &'static str {
        match self {
            Self::Csv => "npos.csv",
            Self::Json => "npos.json",
        }
    }

    /// Returns the bytes before the first NPO: the byte-order mark and header row of
    /// the CSV, or the opening bracket of the JSON array.
    fn start(self) -> Result<Vec<u8>, ApiError> {
        match self {
            Self::Csv => {
                let mut bytes = BYTE_ORDER_MARK.to_vec();
                bytes.extend(csv_rows([CSV_COLUMNS.map(str::to_owned)])?);
                Ok(bytes)
            }
            Self::Json => Ok(b"[".to_vec()),
        }
    }

    /// Encodes one page of NPOs; `first` is true while no NPO has been written.
    fn page(self, records: &[(NpoRecord, Position)], first: bool) -> Result<Vec<u8>, ApiError> {
        let rows = records
            .iter()
            .map(|(record, _)| OpenDataNpo::from_record(record));
        match self {
            Self::Csv => csv_rows(rows.map(|row| row.csv_record())),
            Self::Json => {
                let mut bytes = Vec::new();
                for (index, row) in rows.enumerate() {
                    if !(first && index == 0) {
                        bytes.push(b',');
                    }
                    bytes.push(b'\n');
                    serde_json::to_writer(&mut bytes, &row).map_err(ApiError::internal)?;
                }
                Ok(bytes)
            }
        }
    }

    fn end(self) -> &'static [u8] {
        match self {
            Self::Csv => b"",
            Self::Json => b"\n]\n",
        }
    }
}

/// Writes CSV rows: `,` separator, CRLF line ends, and quotes where RFC 4180 needs them.
fn csv_rows<const N: usize>(
    rows: impl IntoIterator<Item = [String; N]>,
) -> Result<Vec<u8>, ApiError> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    for row in rows {
        writer.write_record(&row).map_err(ApiError::internal)?;
    }
    writer
        .into_inner()
        .map_err(|error| ApiError::internal(anyhow::anyhow!("CSV buffer: {error}")))
}

/// Export NPOs as CSV.
///
/// Open to everyone. Takes the filters of the NPO list and returns every matching NPO
/// in creation order, public fields only: UTF-8 with a byte-order mark, `,` as the
/// separator, CRLF line ends and quoting as in RFC 4180. The header row names the
/// fields of `OpenDataNpo`, in this order:
///
/// `id,bin,name_ru,name_kk,legal_form,legal_form_ru,status,status_ru,registered_on,founded_on,oked,legal_address,territories,spheres,target_groups,forms_of_work,web_resources,work_products,updated_at`
#[utoipa::path(
    get, path = "/v1/open-data/npos.csv", tag = "open-data", params(NpoFilterQuery),
    responses(
        (status = 200, description = "A header row, then one row per NPO",
            content_type = "text/csv", body = Vec<OpenDataNpo>,
            headers(("Content-Disposition" = String, description = "attachment; filename=\"npos.csv\""))),
        (status = 422, body = service_kit::problem::Problem)
    )
)]
#[get("/v1/open-data/npos.csv")]
pub async fn export_npos_csv(
    registry: web::Data<Registry>,
    _caller: MaybeCaller,
    query: ValidQuery<NpoFilterQuery>,
) -> ApiResult<HttpResponse> {
    export(&registry, &query, Format::Csv).await
}

/// Export NPOs as JSON.
///
/// Open to everyone. Takes the filters of the NPO list and returns a JSON array of every
/// matching NPO in creation order, public fields only.
#[utoipa::path(
    get, path = "/v1/open-data/npos.json", tag = "open-data", params(NpoFilterQuery),
    responses(
        (status = 200, description = "Array of NPOs", content_type = "application/json", body = Vec<OpenDataNpo>,
            headers(("Content-Disposition" = String, description = "attachment; filename=\"npos.json\""))),
        (status = 422, body = service_kit::problem::Problem)
    )
)]
#[get("/v1/open-data/npos.json")]
pub async fn export_npos_json(
    registry: web::Data<Registry>,
    _caller: MaybeCaller,
    query: ValidQuery<NpoFilterQuery>,
) -> ApiResult<HttpResponse> {
    export(&registry, &query, Format::Json).await
}

async fn export(
    registry: &Registry,
    query: &NpoFilterQuery,
    format: Format,
) -> ApiResult<HttpResponse> {
    let filter = query.filter()?;
    // The first page is read before the response starts, so that a failure here is a
    // problem response rather than a download cut short.
    let (filter, first_page) = registry
        .db
        .run(move |conn| {
            let Some(filter) = search::resolve(conn, filter)? else {
                return Ok::<_, ApiError>((None, Vec::new()));
            };
            let page = search::list(conn, &filter, NpoSort::Id, None, PAGE)?;
            Ok((Some(filter), page))
        })
        .await?;
    let start = format.start()?;

    let (sender, receiver) = mpsc::channel::<Result<Bytes, ApiError>>(PAGES_BUFFERED);
    let db = registry.db.clone();
    tokio::task::spawn_blocking(move || {
        send_pages(&db, filter.as_ref(), first_page, format, start, &sender);
    });
    let body = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|chunk| (chunk, receiver))
    });

    Ok(HttpResponse::Ok()
        .content_type(format.content_type())
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}\"", format.file_name()),
        ))
        .streaming(body))
}

/// Encodes and sends page after page until the last one. Each page is read with a
/// pooled connection that goes back to the pool before the page is sent, so a slow
/// client keeps no connection busy. Stops when the client disconnects. A failure ends
/// the body with an error, which cuts the response short instead of sending a file that
/// looks complete.
fn send_pages(
    db: &Database,
    filter: Option<&ResolvedFilter>,
    mut page: Vec<(NpoRecord, Position)>,
    format: Format,
    start: Vec<u8>,
    sender: &mpsc::Sender<Result<Bytes, ApiError>>,
) {
    let send = |bytes: Vec<u8>| sender.blocking_send(Ok(Bytes::from(bytes))).is_ok();
    let fail = |error: ApiError| {
        tracing::error!(error = %error, "open-data export failed after the response started");
        // The client may have disconnected already, and then the error has no receiver.
        drop(sender.blocking_send(Err(error)));
    };
    if !send(start) {
        return;
    }
    let mut exported = 0;
    loop {
        let encoded = match format.page(&page, exported == 0) {
            Ok(encoded) => encoded,
            Err(error) => return fail(error),
        };
        exported += page.len();
        if !send(encoded) {
            tracing::info!(
                npos = exported,
                "open-data export stopped: the client disconnected"
            );
            return;
        }
        let full = i64::try_from(page.len()).is_ok_and(|len| len == PAGE);
        let (Some(filter), Some((_, last)), true) = (filter, page.last(), full) else {
            break;
        };
        let after = last.clone();
        page = match db
            .run_blocking(|conn| search::list(conn, filter, NpoSort::Id, Some(&after), PAGE))
        {
            Ok(page) => page,
            Err(error) => return fail(ApiError::from(error)),
        };
    }
    if send(format.end().to_vec()) {
        tracing::info!(npos = exported, format = ?format, "open-data export sent");
    }
}
