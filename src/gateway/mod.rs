//! `liaison gateway`: a reverse proxy that sends each request to the service that
//! serves its path ([`routes`]), so that clients see the distributed platform on one
//! address, as they see `serve all`.
//!
//! Request and response bodies are streamed in both directions. The method, the query
//! and every end-to-end header go to the service unchanged, among them
//! `Authorization`, `If-Match` and `Idempotency-Key`. `traceparent` carries the
//! request's trace, which the gateway starts when the client sent none. The gateway appends the
//! client's address to `X-Forwarded-For` and sets `X-Forwarded-Proto` and
//! `X-Forwarded-Host`. Redirects of the services, such as that of a merged NPO, reach
//! the client unchanged. A service that cannot be reached gets a 502 problem, and one
//! that does not respond in time a 504 problem.

pub mod routes;

use std::collections::HashMap;
use std::io;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use actix_web::body::{BodyStream, MessageBody, SizedStream};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::{Next, from_fn};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, ResponseError, web};
use anyhow::{Context, bail};
use futures_util::StreamExt;
use service_kit::ApiError;
use service_kit::Settings;
use service_kit::problem::{PROBLEM_JSON, Problem, RETRY_AFTER_SECS};
use tokio::sync::mpsc;

/// Maximum time to open a connection to a service.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Maximum time between two reads from a service, for the response head as for each
/// piece of its body.
// NOTE: a longer request, such as a read-model rebuild of a large database, gets 504
// from the gateway while the service goes on and finishes it.
const READ_TIMEOUT: Duration = Duration::from_secs(120);

/// Pieces of a request body buffered between the client and the service.
const BODY_CHANNEL_PIECES: usize = 8;

/// Headers that describe one connection and are never forwarded (RFC 9110, section
/// 7.6.1), the `Host` that the service's address replaces, and the forwarding headers
/// the gateway writes itself.
const NOT_FORWARDED: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    // The gateway handled any `Expect: 100-continue` itself when it read the body.
    "expect",
    "host",
    "content-length",
    "traceparent",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-proto",
    // Marks calls between services of one process; no client of the gateway sends it.
    service_kit::ratelimit::PEER_HEADER,
];

/// The services' base URLs and the client that calls them.
#[derive(Debug)]
struct Upstreams {
    client: reqwest::Client,
    /// Base URL of each service, such as `http://registry:8080`, without a final `/`.
    urls: HashMap<&'static str, String>,
}

/// Runs the gateway on `settings.listen` until SIGINT or SIGTERM. Every service of the
/// route table needs its address in `LIAISON_SERVICE_URL_<SERVICE>`.
pub async fn run(settings: Settings) -> anyhow::Result<()> {
    let urls = upstream_urls(&settings)?;
    for (service, url) in &urls {
        tracing::info!(service = *service, upstream = %url, "gateway route");
    }
    let client = reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .read_timeout(READ_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .context("failed to build the HTTP client of the gateway")?;
    let upstreams = web::Data::new(Upstreams { client, urls });

    let server = HttpServer::new(move || {
        App::new()
            .wrap(from_fn(service_kit::telemetry::request_span))
            .wrap(from_fn(assign_request_id))
            .app_data(upstreams.clone())
            .route("/healthz", web::get().to(healthz))
            // A pattern, not the default service, so the log names a route.
            .route("/{path:.*}", web::route().to(forward))
    })
    .shutdown_timeout(30)
    .bind(settings.listen)
    .with_context(|| format!("cannot bind {}", settings.listen))?;
    let listen = server
        .addrs()
        .first()
        .copied()
        .context("the gateway bound no address")?;
    tracing::info!(listen = %listen, "gateway listening");
    server
        .run()
        .await
        .context("the gateway's HTTP server failed")?;
    tracing::info!("gateway stopped");
    Ok(())
}

/// Reads the base URL of every service from the settings, failing on the first one
/// missing or invalid.
fn upstream_urls(settings: &Settings) -> anyhow::Result<HashMap<&'static str, String>> {
    let mut urls = HashMap::new();
    for service in routes::services() {
        let variable = format!(
            "LIAISON_SERVICE_URL_{}",
            service.to_uppercase().replace('-', "_")
        );
        let Some(url) = settings.service_url(service) else {
            bail!("{variable} is not set: the gateway needs the address of every service");
        };
        let parsed = reqwest::Url::parse(&url)
            .with_context(|| format!("invalid setting {variable}={url:?}"))?;
        let bare = matches!(parsed.scheme(), "http" | "https")
            && parsed.host().is_some()
            && parsed.path() == "/"
            && parsed.query().is_none()
            && parsed.username().is_empty();
        if !bare {
            bail!(
                "invalid setting {variable}={url:?}: expected http(s)://host:port with no \
                 path, such as http://registry:8080"
            );
        }
        urls.insert(service, url.trim_end_matches('/').to_owned());
    }
    Ok(urls)
}

/// Gives a request without `X-Request-Id` a new one, so that the gateway's log and the
/// service's log name the request by the same id.
async fn assign_request_id(
    mut request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let header = HeaderName::from_static(service_kit::telemetry::REQUEST_ID);
    if !request.headers().contains_key(&header) {
        let id = uuid::Uuid::now_v7().to_string();
        if let Ok(value) = HeaderValue::from_str(&id) {
            request.headers_mut().insert(header, value);
        }
    }
    next.call(request).await
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

/// Sends the request to the service that serves its path and streams the response back.
async fn forward(
    request: HttpRequest,
    payload: web::Payload,
    upstreams: web::Data<Upstreams>,
) -> HttpResponse {
    let Some(route) = routes::resolve(request.path()) else {
        return ApiError::NotFound(format!("route {} {}", request.method(), request.path()))
            .error_response();
    };
    let base = &upstreams.urls[route.service];
    let mut url = format!("{base}{}", route.path);
    if !request.query_string().is_empty() {
        url.push('?');
        url.push_str(request.query_string());
    }
    let Ok(method) = reqwest::Method::from_bytes(request.method().as_str().as_bytes()) else {
        return ApiError::BadRequest(format!("invalid method {}", request.method()))
            .error_response();
    };

    let mut outgoing = upstreams.client.request(method, &url);
    for (name, value) in forwarded_headers(&request) {
        outgoing = outgoing.header(name, value);
    }
    if has_body(&request) {
        outgoing = outgoing.body(reqwest::Body::wrap(stream_payload(payload)));
    }

    match outgoing.send().await {
        Ok(response) => relay_response(response, route.service),
        Err(error) => {
            tracing::error!(
                service = route.service,
                upstream = %base,
                error = %error,
                "the service did not answer the gateway"
            );
            if error.is_timeout() {
                upstream_problem(
                    StatusCode::GATEWAY_TIMEOUT,
                    route.service,
                    format!("the {} service did not answer in time", route.service),
                )
            } else {
                upstream_problem(
                    StatusCode::BAD_GATEWAY,
                    route.service,
                    format!("the {} service cannot be reached", route.service),
                )
            }
        }
    }
}

/// Returns the headers to send to the service: the client's end-to-end headers, the
/// request's trace and the forwarding headers.
fn forwarded_headers(request: &HttpRequest) -> Vec<(String, Vec<u8>)> {
    let connection_listed: Vec<String> = request
        .headers()
        .get_all("connection")
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|name| name.trim().to_ascii_lowercase())
        .collect();
    let mut headers: Vec<(String, Vec<u8>)> = request
        .headers()
        .iter()
        .filter(|(name, _)| {
            let name = name.as_str();
            !NOT_FORWARDED.contains(&name) && !connection_listed.iter().any(|c| c == name)
        })
        .map(|(name, value)| (name.as_str().to_owned(), value.as_bytes().to_vec()))
        .collect();
    if let Some(length) = request.headers().get("content-length") {
        headers.push(("content-length".into(), length.as_bytes().to_vec()));
    }
    if let Some(traceparent) = service_kit::telemetry::current_traceparent() {
        headers.push(("traceparent".into(), traceparent.into_bytes()));
    }

    let client = request
        .peer_addr()
        .map(|addr| addr.ip().to_string())
        .unwrap_or_else(|| "unknown".into());
    let forwarded_for = match request
        .headers()
        .get("x-forwarded-for")
        .and_then(|value| value.to_str().ok())
    {
        Some(earlier) => format!("{earlier}, {client}"),
        None => client,
    };
    headers.push(("x-forwarded-for".into(), forwarded_for.into_bytes()));
    let info = request.connection_info();
    headers.push((
        "x-forwarded-proto".into(),
        info.scheme().as_bytes().to_vec(),
    ));
    headers.push(("x-forwarded-host".into(), info.host().as_bytes().to_vec()));
    headers
}

/// Returns whether the request carries a body: a length other than 0, or a chunked one.
fn has_body(request: &HttpRequest) -> bool {
    let headers = request.headers();
    let length = headers
        .get("content-length")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok());
    match length {
        Some(length) => length > 0,
        None => headers.contains_key("transfer-encoding"),
    }
}

/// Moves the request body from actix-web's payload, which must stay on its worker
/// thread, to a channel that the HTTP client reads from any thread.
fn stream_payload(mut payload: web::Payload) -> ChannelBody {
    let (sender, receiver) = mpsc::channel(BODY_CHANNEL_PIECES);
    actix_web::rt::spawn(async move {
        while let Some(piece) = payload.next().await {
            let piece = piece.map_err(|error| io::Error::other(error.to_string()));
            let failed = piece.is_err();
            if sender.send(piece).await.is_err() || failed {
                break;
            }
        }
    });
    ChannelBody { receiver }
}

/// A request body read from a channel; an error in the channel aborts the request to
/// the service.
struct ChannelBody {
    receiver: mpsc::Receiver<io::Result<web::Bytes>>,
}

impl http_body::Body for ChannelBody {
    type Data = web::Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        self.receiver
            .poll_recv(cx)
            .map(|piece| piece.map(|piece| piece.map(http_body::Frame::data)))
    }
}

/// Builds the client's response from the service's: its status, its end-to-end
/// headers and its body as a stream.
fn relay_response(response: reqwest::Response, service: &'static str) -> HttpResponse {
    let status = StatusCode::from_u16(response.status().as_u16())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut builder = HttpResponse::build(status);
    for (name, value) in response.headers() {
        if NOT_FORWARDED.contains(&name.as_str()) {
            continue;
        }
        builder.append_header((name.as_str(), value.as_bytes()));
    }
    let length = response.content_length();
    let body = futures_util::stream::unfold(Some(response), move |state| async move {
        let mut response = state?;
        match response.chunk().await {
            Ok(Some(piece)) => Some((Ok(piece), Some(response))),
            Ok(None) => None,
            Err(error) => {
                tracing::warn!(
                    service,
                    error = %error,
                    "the service's response body broke off; the client's connection is closed"
                );
                Some((Err(io::Error::other(error.to_string())), None))
            }
        }
    });
    match length {
        Some(length) => builder.body(SizedStream::new(length, Box::pin(body))),
        None => builder.body(BodyStream::new(Box::pin(body))),
    }
}

/// Builds the RFC 9457 problem of a service that failed to respond, with the service
/// as its `dependency`, as the services name theirs in a 503.
fn upstream_problem(status: StatusCode, service: &str, detail: String) -> HttpResponse {
    let slug = if status == StatusCode::GATEWAY_TIMEOUT {
        "gateway-timeout"
    } else {
        "bad-gateway"
    };
    let body = Problem {
        problem_type: format!("/problems/{slug}"),
        title: status
            .canonical_reason()
            .unwrap_or("Bad Gateway")
            .to_owned(),
        status: status.as_u16(),
        detail: Some(detail),
        errors: Vec::new(),
        dependency: Some(service.to_owned()),
    };
    HttpResponse::build(status)
        .content_type(PROBLEM_JSON)
        .insert_header(("Retry-After", RETRY_AFTER_SECS.to_string()))
        .json(body)
}
