//! The opt-out page at `/opt-out/`, which every message links to with `?token=`. It
//! posts the token to `POST /v1/opt-outs` only when the reader presses its button, so
//! a mail scanner that opens the link opts no address out.

use actix_web::{HttpRequest, HttpResponse, get, web};
use service_kit::ApiError;
use service_kit::pages::{self, PageFile};

/// The page may run only its own script and call only its own origin.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; connect-src 'self'; img-src data:; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

const FILES: &[PageFile] = &[
    PageFile {
        name: "index.html",
        media_type: "text/html; charset=utf-8",
        body: include_bytes!("../../page/index.html"),
    },
    PageFile {
        name: "opt-out.js",
        media_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../page/opt-out.js"),
    },
    PageFile {
        name: "opt-out.css",
        media_type: "text/css; charset=utf-8",
        body: include_bytes!("../../page/opt-out.css"),
    },
];

/// Redirects `/opt-out` to the page, keeping the token in the query.
#[get("/opt-out")]
pub async fn opt_out_root(request: HttpRequest) -> HttpResponse {
    pages::redirect_to_folder("opt-out", request.query_string())
}

/// Serves the page and its files; the empty name is the page itself.
#[get("/opt-out/{file:.*}")]
pub async fn opt_out_file(file: web::Path<String>) -> Result<HttpResponse, ApiError> {
    pages::serve(FILES, &file, CONTENT_SECURITY_POLICY)
}
