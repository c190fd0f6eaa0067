//! Static pages compiled into a service's binary, such as the ministry's dashboard and
//! the notifier's opt-out page: their files, served with a content security policy.

use actix_web::HttpResponse;
use actix_web::http::header;

use crate::problem::ApiError;

/// One file of a page: its name under the page's folder, media type and content.
#[derive(Debug, Clone, Copy)]
pub struct PageFile {
    pub name: &'static str,
    pub media_type: &'static str,
    pub body: &'static [u8],
}

/// Returns a permanent redirect from `/<folder>` to `/<folder>/`, keeping the query, so
/// that the page's relative links resolve under the folder.
pub fn redirect_to_folder(folder: &str, query: &str) -> HttpResponse {
    let location = if query.is_empty() {
        format!("/{folder}/")
    } else {
        format!("/{folder}/?{query}")
    };
    HttpResponse::PermanentRedirect()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// Serves file `name` of `files` (`index.html` for the empty name) with the policy
/// `content_security_policy`, or returns 404 for a name that is not one of them.
pub fn serve(
    files: &[PageFile],
    name: &str,
    content_security_policy: &'static str,
) -> Result<HttpResponse, ApiError> {
    let name = if name.is_empty() { "index.html" } else { name };
    let file = files
        .iter()
        .find(|file| file.name == name)
        .ok_or_else(|| ApiError::NotFound(format!("page file {name}")))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, file.media_type))
        // The files change with the binary, and their names carry no version.
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::CONTENT_SECURITY_POLICY, content_security_policy))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        // A page's address may carry a token, which must not leak to another site.
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .body(file.body))
}
