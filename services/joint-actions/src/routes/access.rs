//! Who may call each route of the joint-actions service, by role. The handlers narrow it
//! further to the records of the caller's own body or organisation.

use service_kit::Role;
use service_kit::access::Rule;

/// One rule per operation of the service's OpenAPI document.
pub const ACCESS: &[Rule] = &[
    Rule::signed_in("GET", "/v1/consultative-bodies"),
    Rule::roles("POST", "/v1/consultative-bodies", &[Role::Officer]),
    Rule::signed_in("GET", "/v1/consultative-bodies/{id}"),
    Rule::roles(
        "POST",
        "/v1/consultative-bodies/{id}/progress",
        &[Role::Officer],
    ),
    Rule::signed_in("GET", "/v1/joint-actions"),
    Rule::roles("POST", "/v1/joint-actions", &[Role::Officer]),
    Rule::signed_in("GET", "/v1/joint-actions-overdue-measurements"),
    Rule::signed_in("GET", "/v1/joint-actions/{id}"),
    Rule::roles("PATCH", "/v1/joint-actions/{id}", &[Role::Officer]),
    Rule::roles(
        "POST",
        "/v1/joint-actions/{id}/evaluation",
        &[Role::Officer],
    ),
    Rule::signed_in("GET", "/v1/joint-actions/{id}/monitoring"),
    Rule::signed_in("GET", "/v1/joint-actions/{id}/monitoring-plan.csv"),
    Rule::signed_in("GET", "/v1/joint-actions/{id}/monitoring-plan.xlsx"),
    Rule::roles(
        "POST",
        "/v1/joint-actions/{id}/monitoring-rows",
        &[Role::Officer],
    ),
    Rule::roles(
        "POST",
        "/v1/joint-actions/{id}/monitoring-rows/{row_id}/measurements",
        &[Role::Officer],
    ),
    Rule::roles("POST", "/v1/joint-actions/{id}/parties", &[Role::Officer]),
    Rule::signed_in("DELETE", "/v1/joint-actions/{id}/parties/{party_id}"),
    Rule::roles(
        "PATCH",
        "/v1/joint-actions/{id}/parties/{party_id}",
        &[Role::Officer],
    ),
    Rule::roles("POST", "/v1/joint-actions/{id}/status", &[Role::Officer]),
    Rule::roles("POST", "/v1/joint-actions/{id}/steps", &[Role::Officer]),
    Rule::signed_in("DELETE", "/v1/joint-actions/{id}/steps/{step_id}"),
    Rule::signed_in("GET", "/v1/joint-plans"),
    Rule::roles("POST", "/v1/joint-plans", &[Role::Officer]),
    Rule::signed_in("GET", "/v1/joint-plans/{id}"),
    Rule::roles("POST", "/v1/joint-plans/{id}/approval", &[Role::Officer]),
    Rule::signed_in("GET", "/v1/joint-plans/{id}/changes"),
    Rule::signed_in("GET", "/v1/joint-plans/{id}/plan.csv"),
    Rule::signed_in("GET", "/v1/joint-plans/{id}/plan.xlsx"),
    Rule::roles("PUT", "/v1/joint-plans/{id}/rows", &[Role::Officer]),
    Rule::signed_in("GET", "/v1/joint-plans/{id}/versions"),
    Rule::signed_in("GET", "/v1/working-groups"),
    Rule::roles("POST", "/v1/working-groups", &[Role::Officer]),
    Rule::signed_in("GET", "/v1/working-groups/{id}"),
    Rule::signed_in("GET", "/v1/working-groups/{id}/meetings"),
    Rule::roles("POST", "/v1/working-groups/{id}/meetings", &[Role::Officer]),
    Rule::roles("POST", "/v1/working-groups/{id}/reports", &[Role::Officer]),
];
