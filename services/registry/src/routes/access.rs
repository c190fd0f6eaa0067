//! Access rules of the registry service: the roles that may call each route. The
//! handlers narrow them to the records of the caller's own body or organisation.

use service_kit::Role;
use service_kit::access::Rule;

/// One rule per operation of the service's OpenAPI document.
#[rustfmt::skip]
pub const ACCESS: &[Rule] = &[
    Rule::public("GET", "/v1/catalogues"),
    Rule::public("GET", "/v1/catalogues/{name}"),
    Rule::roles("GET", "/v1/collection-campaigns", &[Role::Officer, Role::Ministry]),
    Rule::roles("POST", "/v1/collection-campaigns", &[Role::Officer]),
    Rule::roles("GET", "/v1/collection-campaigns/window-check", &[Role::Officer, Role::Ministry]),
    Rule::roles("GET", "/v1/collection-campaigns/{id}", &[Role::Officer, Role::Ministry]),
    Rule::roles("GET", "/v1/npo-duplicates", &[Role::Officer, Role::Ministry]),
    Rule::public("GET", "/v1/npo-facets"),
    Rule::roles("POST", "/v1/npo-imports", &[Role::Integrator]),
    Rule::roles("GET", "/v1/npo-imports/{id}", &[Role::Ministry, Role::Integrator]),
    Rule::roles("GET", "/v1/npo-imports/{id}/rows", &[Role::Ministry, Role::Integrator]),
    Rule::roles("POST", "/v1/npo-merges", &[Role::Officer]),
    Rule::public("GET", "/v1/npos"),
    Rule::roles("POST", "/v1/npos", &[Role::Officer]),
    Rule::public("GET", "/v1/npos/{id}"),
    Rule::roles("PATCH", "/v1/npos/{id}", &[Role::Officer]),
    Rule::roles("GET", "/v1/npos/{id}/history", &[Role::Officer, Role::Ministry]),
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
