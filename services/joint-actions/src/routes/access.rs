//! Access rules of the joint-actions service: the roles that may call each route. The
//! handlers narrow them to the records of the caller's own body or organisation.

use service_kit::Role;
use service_kit::access::Rule;

/// One rule per operation of the service's OpenAPI document.
#[rustfmt::skip]
pub const ACCESS: &[Rule] = &[
    Rule::roles("GET", "/v1/consultative-bodies", &[Role::Officer, Role::Ministry]),
    Rule::roles("POST", "/v1/consultative-bodies", &[Role::Officer]),
    Rule::roles("GET", "/v1/consultative-bodies/{id}", &[Role::Officer, Role::Ministry]),
    Rule::roles("POST", "/v1/consultative-bodies/{id}/progress", &[Role::Officer]),
    Rule::roles("GET", "/v1/joint-actions", &[Role::Officer, Role::Ministry]),
    Rule::roles("POST", "/v1/joint-actions", &[Role::Officer]),
    Rule::roles("GET", "/v1/joint-actions-overdue-measurements", &[Role::Officer, Role::Ministry]),
    Rule::roles("GET", "/v1/joint-actions/{id}", &[Role::Officer, Role::Ministry]),
    Rule::roles("PATCH", "/v1/joint-actions/{id}", &[Role::Officer]),
    Rule::roles("POST", "/v1/joint-actions/{id}/evaluation", &[Role::Officer]),
    Rule::roles("GET", "/v1/joint-actions/{id}/monitoring", &[Role::Officer, Role::Ministry]),
    Rule::roles("GET", "/v1/joint-actions/{id}/monitoring-plan.csv", &[Role::Officer, Role::Ministry]),
    Rule::roles("GET", "/v1/joint-actions/{id}/monitoring-plan.xlsx", &[Role::Officer, Role::Ministry]),
    Rule::roles("POST", "/v1/joint-actions/{id}/monitoring-rows", &[Role::Officer]),
    Rule::roles("POST", "/v1/joint-actions/{id}/monitoring-rows/{row_id}/measurements", &[Role::Officer]),
    Rule::roles("POST", "/v1/joint-actions/{id}/parties", &[Role::Officer]),
    Rule::roles("DELETE", "/v1/joint-actions/{id}/parties/{party_id}", &[Role::Officer]),
    Rule::roles("PATCH", "/v1/joint-actions/{id}/parties/{party_id}", &[Role::Officer]),
    Rule::roles("POST", "/v1/joint-actions/{id}/status", &[Role::Officer]),
    Rule::roles("POST", "/v1/joint-actions/{id}/steps", &[Role::Officer]),
    Rule::roles("DELETE", "/v1/joint-actions/{id}/steps/{step_id}", &[Role::Officer]),
    Rule::roles("GET", "/v1/joint-plans", &[Role::Officer, Role::Ministry]),
    Rule::roles("POST", "/v1/joint-plans", &[Role::Officer]),
    Rule::roles("GET", "/v1/joint-plans/{id}", &[Role::Officer, Role::Ministry]),
    Rule::roles("POST", "/v1/joint-plans/{id}/approval", &[Role::Officer]),
    Rule::roles("GET", "/v1/joint-plans/{id}/changes", &[Role::Officer, Role::Ministry]),
    Rule::roles("GET", "/v1/joint-plans/{id}/plan.csv", &[Role::Officer, Role::Ministry]),
    Rule::roles("GET", "/v1/joint-plans/{id}/plan.xlsx", &[Role::Officer, Role::Ministry]),
    Rule::roles("PUT", "/v1/joint-plans/{id}/rows", &[Role::Officer]),
    Rule::roles("GET", "/v1/joint-plans/{id}/versions", &[Role::Officer, Role::Ministry]),
    Rule::roles("GET", "/v1/working-groups", &[Role::Officer, Role::Ministry]),
    Rule::roles("POST", "/v1/working-groups", &[Role::Officer]),
    Rule::roles("GET", "/v1/working-groups/{id}", &[Role::Officer, Role::Ministry]),
    Rule::roles("GET", "/v1/working-groups/{id}/meetings", &[Role::Officer, Role::Ministry]),
    Rule::roles("POST", "/v1/working-groups/{id}/meetings", &[Role::Officer]),
    Rule::roles("POST", "/v1/working-groups/{id}/reports", &[Role::Officer]),
];
