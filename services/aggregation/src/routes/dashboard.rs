//! The ministry's reference dashboard at `/dashboard/`: static files compiled into the
//! binary, built from `dashboard/` with `npm run build`. The page reads the analytics
//! routes with the caller's own token, so these files are public and hold no data.

use std::sync::LazyLock;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, get, web};
use common_models::catalogue::{ActionStatus, RiskLevel, Sphere, entries};
use service_kit::ApiError;

/// The page allows only its own script, style sheet and API calls, and no framing.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

/// The built files: name, media type and content.
const FILES: &[(&str, &str, &[u8])] = &[
    (
        "index.html",
        "text/html; charset=utf-8",
        include_bytes!("../../dashboard/dist/index.html"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../dashboard/dist/app.js"),
    ),
    (
        "style.css",
        "text/css; charset=utf-8",
        include_bytes!("../../dashboard/dist/style.css"),
    ),
    (
        "territories.json",
        "application/json",
        include_bytes!("../../dashboard/dist/territories.json"),
    ),
];

/// The labels of the catalogues the panels show, in every language of the platform.
static CATALOGUES: LazyLock<Vec<u8>> = LazyLock::new(|| {
    let catalogues = serde_json::json!({
        "sphere": entries::<Sphere>(),
        "risk_level": entries::<RiskLevel>(),
        "action_status": entries::<ActionStatus>(),
    });
    serde_json::to_vec(&catalogues).expect("catalogue labels serialise")
});

/// Sends `/dashboard` to the page, so that its relative links resolve under the folder.
#[get("/dashboard")]
pub async fn dashboard_root() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((header::LOCATION, "/dashboard/"))
        .finish()
}

/// Serves the page and its files; the empty name is the page itself.
#[get("/dashboard/{file:.*}")]
pub async fn dashboard_file(file: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let name = match file.as_str() {
        "" => "index.html",
        name => name,
    };
    let (media_type, body) = if name == "catalogues.json" {
        ("application/json", CATALOGUES.as_slice())
    } else {
        FILES
            .iter()
            .find(|(file, _, _)| *file == name)
            .map(|(_, media_type, body)| (*media_type, *body))
            .ok_or_else(|| ApiError::NotFound(format!("dashboard file {name}")))?
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, media_type))
        // The files change with the binary, and the names carry no version.
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .body(body))
}
