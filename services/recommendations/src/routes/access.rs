//! Access rules of the recommendations service: the roles that may call each route. The
//! handlers narrow them to the records of the caller's own body or organisation.

use service_kit::Role;
use service_kit::access::Rule;

/// One rule per operation of the service's OpenAPI document.
#[rustfmt::skip]
pub const ACCESS: &[Rule] = &[
    Rule::roles("GET", "/v1/consultations", &[Role::Officer, Role::Ministry]),
    Rule::roles("POST", "/v1/consultations", &[Role::Officer]),
    Rule::roles("GET", "/v1/correspondence", &[Role::Officer, Role::Ministry]),
    Rule::roles("POST", "/v1/correspondence", &[Role::Officer]),
    Rule::roles("GET", "/v1/correspondence/overdue", &[Role::Officer, Role::Ministry]),
    Rule::roles("GET", "/v1/correspondence/{id}", &[Role::Officer, Role::Ministry]),
    Rule::roles("PATCH", "/v1/correspondence/{id}", &[Role::Officer]),
    Rule::roles("GET", "/v1/expert-groups", &[Role::Officer, Role::Ministry]),
    Rule::roles("POST", "/v1/expert-groups", &[Role::Officer]),
    Rule::roles("GET", "/v1/expert-groups/{id}", &[Role::Officer, Role::Ministry]),
    Rule::roles("GET", "/v1/experts", &[Role::Officer, Role::Ministry]),
    Rule::roles("POST", "/v1/experts", &[Role::Officer]),
    Rule::roles("GET", "/v1/experts/{id}", &[Role::Officer, Role::Ministry]),
    Rule::roles("GET", "/v1/officer-requests", &[Role::Officer, Role::Ministry]),
    Rule::roles("POST", "/v1/officer-requests", &[Role::Officer]),
    Rule::roles("GET", "/v1/officer-requests/{id}", &[Role::Officer, Role::Ministry]),
    Rule::roles("POST", "/v1/officer-requests/{id}/answer", &[Role::Officer]),
    Rule::roles("GET", "/v1/reception-requests", &[Role::Officer, Role::Ministry, Role::Npo]),
    Rule::roles("POST", "/v1/reception-requests", &[Role::Officer, Role::Npo]),
    Rule::signed_in("GET", "/v1/reception-requests/{id}"),
    Rule::roles("POST", "/v1/reception-requests/{id}/appointment", &[Role::Officer]),
    Rule::roles("GET", "/v1/recommendation-requests", &[Role::Officer, Role::Ministry, Role::Npo]),
    Rule::roles("POST", "/v1/recommendation-requests", &[Role::Officer]),
    Rule::roles("GET", "/v1/recommendation-requests/{id}", &[Role::Officer, Role::Ministry, Role::Npo]),
    Rule::roles("POST", "/v1/recommendation-requests/{id}/close", &[Role::Officer]),
    Rule::roles("GET", "/v1/recommendations", &[Role::Officer, Role::Ministry, Role::Npo]),
    Rule::roles("POST", "/v1/recommendations", &[Role::Officer, Role::Npo]),
    Rule::roles("GET", "/v1/recommendations/overdue-by-body", &[Role::Officer, Role::Ministry]),
    Rule::signed_in("GET", "/v1/recommendations/{id}"),
    Rule::roles("POST", "/v1/recommendations/{id}/clarification-requests", &[Role::Officer]),
    Rule::roles("POST", "/v1/recommendations/{id}/clarifications/{number}/answer", &[Role::Npo]),
    Rule::roles("POST", "/v1/recommendations/{id}/close", &[Role::Officer]),
    Rule::roles("POST", "/v1/recommendations/{id}/decision", &[Role::Officer]),
    Rule::roles("POST", "/v1/recommendations/{id}/feedback", &[Role::Officer]),
    Rule::roles("POST", "/v1/recommendations/{id}/forwarding", &[Role::Officer]),
];
