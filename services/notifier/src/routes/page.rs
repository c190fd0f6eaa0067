//! The opt-out page at `/opt-out/`, which every message links to with `?token=`. It
//! posts the token to `POST /v1/opt-outs` when the reader presses its button, so that a
//! mail scanner that opens the link opts nobody out.

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use service_kit::ApiError;

/// The page may run only its own script and call only its own origin.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; connect-src 'self'; img-src data:; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

/// The page's files: name, media type and content.
const FILES: &[(&str, &str, &[u8])] = &[
    (
        "index.html",
        "text/html; charset=utf-8",
        include_bytes!("../../page/index.html"),
    ),
    (
        "opt-out.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../page/opt-out.js"),
    ),
    (
        "opt-out.css",
        "text/css; charset=utf-8",
        include_bytes!("../../page/opt-out.css"),
    ),
];

/// Sends `/opt-out` to the page, so that its relative links resolve under the folder.
#[get("/opt-out")]
pub async fn opt_out_root(request: actix_web::HttpRequest) -> HttpResponse {
    let query = request.query_string();
    let location = if query.is_empty() {
        "/opt-out/".to_owned()
    } else {
        format!("/opt-out/?{query}")
    };
    HttpResponse::PermanentRedirect()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// Serves the page and its files; the empty name is the page itself.
#[get("/opt-out/{file:.*}")]
pub async fn opt_out_file(file: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let name = match file.as_str() {
        "" => "index.html",
        name => name,
    };
    let (media_type, body) = FILES
        .iter()
        .find(|(file, _, _)| *file == name)
        .map(|(_, media_type, body)| (*media_type, *body))
        .ok_or_else(|| ApiError::NotFound(format!("opt-out page file {name}")))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, media_type))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        // The address carries the token, which must not leak to another site.
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .body(body))
}
