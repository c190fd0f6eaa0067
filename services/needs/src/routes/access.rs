//! Access rules of the needs service: the roles that may call each route. The
//! handlers narrow them to the records of the caller's own body or organisation.

use service_kit::Role;
use service_kit::access::Rule;

/// One rule per operation of the service's OpenAPI document.
#[rustfmt::skip]
pub const ACCESS: &[Rule] = &[
    Rule::roles("GET", "/v1/needs-assessment-schedule", &[Role::Officer, Role::Ministry]),
    Rule::public("GET", "/v1/needs-assessments"),
    Rule::roles("POST", "/v1/needs-assessments", &[Role::Officer]),
    Rule::public("GET", "/v1/needs-assessments/{id}"),
    Rule::roles("PATCH", "/v1/needs-assessments/{id}", &[Role::Officer]),
    Rule::public("GET", "/v1/needs-assessments/{id}/activities"),
    Rule::roles("POST", "/v1/needs-assessments/{id}/activities", &[Role::Officer]),
    Rule::signed_in("GET", "/v1/needs-assessments/{id}/joint-action-proposals"),
    Rule::roles("POST", "/v1/needs-assessments/{id}/joint-action-proposals", &[Role::Officer]),
    Rule::roles("POST", "/v1/needs-assessments/{id}/joint-action-proposals/{proposal_id}/approval", &[Role::Officer]),
    Rule::signed_in("GET", "/v1/needs-assessments/{id}/npo-proposals"),
    Rule::roles("POST", "/v1/needs-assessments/{id}/npo-proposals", &[Role::Npo]),
    Rule::public("GET", "/v1/needs-assessments/{id}/priorities"),
    Rule::roles("POST", "/v1/needs-assessments/{id}/priorities", &[Role::Officer]),
    Rule::public("GET", "/v1/needs-assessments/{id}/priorities.csv"),
    Rule::public("GET", "/v1/needs-assessments/{id}/priorities.xlsx"),
    Rule::public("GET", "/v1/needs-assessments/{id}/priorities/{priority_id}"),
    Rule::roles("DELETE", "/v1/needs-assessments/{id}/priorities/{priority_id}", &[Role::Officer]),
    Rule::roles("POST", "/v1/needs-assessments/{id}/status", &[Role::Officer]),
    Rule::public("GET", "/v1/needs-priorities"),
    Rule::public("GET", "/v1/needs-priorities.csv"),
    Rule::public("GET", "/v1/needs-priorities.xlsx"),
];
