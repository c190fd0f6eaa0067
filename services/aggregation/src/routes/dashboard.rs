//! The ministry's reference dashboard at `/dashboard/`: static files compiled into the
//! binary, built from `dashboard/` with `npm run build`. The page reads the analytics
//! routes with the caller's own token, so these files are public and hold no data.

use std::sync::LazyLock;

use actix_web::{HttpRequest, HttpResponse, get, web};
use common_models::catalogue::{ActionStatus, RiskLevel, Sphere, entries};
use service_kit::ApiError;
use service_kit::pages::{self, PageFile};

/// The page allows only its own script, style sheet and API calls, and no framing.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

/// The built files, and the catalogue labels the panels show in every language of the
/// platform, generated once from common-models.
static FILES: LazyLock<Vec<PageFile>> = LazyLock::new(|| {
    let catalogues = serde_json::json!({
        "sphere": entries::<Sphere>(),
        "risk_level": entries::<RiskLevel>(),
        "action_status": entries::<ActionStatus>(),
    });
    let catalogues = serde_json::to_vec(&catalogues).expect("catalogue labels serialise");
    vec![
        PageFile {
            name: "index.html",
            media_type: "text/html; charset=utf-8",
            body: include_bytes!("../../dashboard/dist/index.html"),
        },
        PageFile {
            name: "app.js",
            media_type: "text/javascript; charset=utf-8",
            body: include_bytes!("../../dashboard/dist/app.js"),
        },
        PageFile {
            name: "style.css",
            media_type: "text/css; charset=utf-8",
            body: include_bytes!("../../dashboard/dist/style.css"),
        },
        PageFile {
            name: "territories.json",
            media_type: "application/json",
            body: include_bytes!("../../dashboard/dist/territories.json"),
        },
        PageFile {
            name: "catalogues.json",
            media_type: "application/json",
            body: catalogues.leak(),
        },
    ]
});

/// Redirects `/dashboard` to the page, so that its relative links resolve under the
/// folder.
#[get("/dashboard")]
pub async fn dashboard_root(request: HttpRequest) -> HttpResponse {
    pages::redirect_to_folder("dashboard", request.query_string())
}

/// Serves the page and its files; the empty name is the page itself.
#[get("/dashboard/{file:.*}")]
pub async fn dashboard_file(file: web::Path<String>) -> Result<HttpResponse, ApiError> {
    pages::serve(&FILES, &file, CONTENT_SECURITY_POLICY)
}
