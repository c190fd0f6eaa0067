//! Who may call each route of the registry service, by role. The handlers narrow it
//! further to the records of the caller's own body or organisation.

use service_kit::Role;
use service_kit::access::Rule;

/// One rule per operation of the service's OpenAPI document.
pub const ACCESS: &[Rule] = &[
    Rule::public("GET", "/v1/catalogues"),
    Rule::public("GET", "/v1/catalogues/{name}"),
    Rule::signed_in("GET", "/v1/collection-campaigns"),
    Rule::roles(
        "POST",
        "/v1/collection-campaigns",
        &[Role::Ministry, Role::Officer],
    ),
    Rule::signed_in("GET", "/v1/collection-campaigns/window-check"),
    Rule::signed_in("GET", "/v1/collection-campaigns/{id}"),
    Rule::roles(
        "GET",
        "/v1/npo-duplicates",
        &[Role::Ministry, Role::Officer],
    ),
    Rule::public("GET", "/v1/npo-facets"),
    Rule::signed_in("POST", "/v1/npo-imports"),
    Rule::signed_in("GET", "/v1/npo-imports/{id}"),
    Rule::signed_in("GET", "/v1/npo-imports/{id}/rows"),
    Rule::roles("POST", "/v1/npo-merges", &[Role::Officer]),
    Rule::public("GET", "/v1/npos"),
    Rule::roles("POST", "/v1/npos", &[Role::Officer]),
    Rule::public("GET", "/v1/npos/{id}"),
    Rule::roles("PATCH", "/v1/npos/{id}", &[Role::Officer]),
    Rule::roles(
        "GET",
        "/v1/npos/{id}/history",
        &[Role::Ministry, Role::Officer],
    ),
    Rule::public("GET", "/v1/npos/{id}/projects"),
    Rule::roles("POST", "/v1/npos/{id}/projects", &[Role::Officer]),
    Rule::public("GET", "/v1/npos/{id}/projects/{project_id}"),
    Rule::public("GET", "/v1/open-data/npos.csv"),
    Rule::public("GET", "/v1/open-data/npos.json"),
    Rule::public("GET", "/v1/territories"),
    Rule::public("GET", "/v1/territories/{code}"),
    Rule::public("GET", "/v1/territories/{code}/children"),
    Rule::public("GET", "/v1/territories/{code}/path"),
];
