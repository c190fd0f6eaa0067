//! Access rules of the aggregation service: the roles that may call each route. The
//! handlers narrow them to the records of the caller's own body or organisation.

use service_kit::Role;
use service_kit::access::Rule;

/// One rule per operation of the service's OpenAPI document.
#[rustfmt::skip]
pub const ACCESS: &[Rule] = &[
    Rule::roles("GET", "/v1/analytics/annual-reports", &[Role::Ministry]),
    Rule::roles("GET", "/v1/analytics/compliance", &[Role::Officer, Role::Ministry]),
    Rule::roles("GET", "/v1/analytics/joint-actions", &[Role::Officer, Role::Ministry]),
    Rule::roles("GET", "/v1/analytics/npos", &[Role::Officer, Role::Ministry]),
    Rule::roles("GET", "/v1/analytics/priorities", &[Role::Officer, Role::Ministry]),
    Rule::roles("GET", "/v1/analytics/recommendations", &[Role::Officer, Role::Ministry]),
    Rule::roles("GET", "/v1/annual-reports", &[Role::Officer, Role::Ministry]),
    Rule::roles("POST", "/v1/annual-reports", &[Role::Officer]),
    Rule::roles("GET", "/v1/annual-reports/{id}", &[Role::Officer, Role::Ministry]),
    Rule::roles("PATCH", "/v1/annual-reports/{id}", &[Role::Officer]),
    Rule::roles("GET", "/v1/annual-reports/{id}/report.xlsx", &[Role::Officer, Role::Ministry]),
    Rule::roles("POST", "/v1/annual-reports/{id}/review", &[Role::Ministry]),
    Rule::roles("POST", "/v1/annual-reports/{id}/submission", &[Role::Officer]),
    Rule::roles("GET", "/v1/annual-reports/{id}/versions", &[Role::Officer, Role::Ministry]),
    Rule::roles("GET", "/v1/annual-reports/{id}/versions/{number}", &[Role::Officer, Role::Ministry]),
    Rule::public("GET", "/v1/competence-map"),
    Rule::roles("GET", "/v1/compliance", &[Role::Officer, Role::Ministry]),
    Rule::public("GET", "/v1/government-bodies"),
    Rule::roles("POST", "/v1/government-bodies", &[Role::Ministry]),
    Rule::public("GET", "/v1/government-bodies/{id}"),
    Rule::public("GET", "/v1/government-bodies/{id}/officer"),
    Rule::roles("POST", "/v1/government-bodies/{id}/officer", &[Role::Ministry]),
    Rule::roles("PATCH", "/v1/government-bodies/{id}/officer", &[Role::Officer, Role::Ministry]),
    Rule::roles("POST", "/v1/government-bodies/{id}/officer/dismissal", &[Role::Ministry]),
    Rule::public("GET", "/v1/government-bodies/{id}/officer/photo"),
    Rule::roles("PUT", "/v1/government-bodies/{id}/officer/photo", &[Role::Officer, Role::Ministry]),
    Rule::roles("DELETE", "/v1/government-bodies/{id}/officer/photo", &[Role::Officer, Role::Ministry]),
    Rule::roles("POST", "/v1/government-bodies/{id}/officer/replacement", &[Role::Ministry]),
    Rule::roles("GET", "/v1/government-bodies/{id}/officers", &[Role::Ministry]),
    Rule::public("GET", "/v1/head-meetings"),
    Rule::roles("POST", "/v1/head-meetings", &[Role::Officer, Role::Ministry]),
    Rule::public("GET", "/v1/head-meetings/{id}"),
    Rule::roles("PATCH", "/v1/head-meetings/{id}", &[Role::Officer, Role::Ministry]),
    Rule::roles("POST", "/v1/head-meetings/{id}/cancellation", &[Role::Ministry]),
    Rule::roles("POST", "/v1/head-meetings/{id}/outcome", &[Role::Officer, Role::Ministry]),
    Rule::roles("GET", "/v1/information-requests", &[Role::Officer, Role::Ministry]),
    Rule::roles("POST", "/v1/information-requests", &[Role::Ministry]),
    Rule::roles("GET", "/v1/information-requests/{id}", &[Role::Officer, Role::Ministry]),
    Rule::roles("GET", "/v1/information-requests/{id}/answers", &[Role::Ministry]),
    Rule::roles("POST", "/v1/information-requests/{id}/answers", &[Role::Officer]),
    Rule::public("GET", "/v1/officer-positions"),
    Rule::roles("GET", "/v1/read-models/digest", &[Role::Ministry]),
    Rule::roles("POST", "/v1/read-models/rebuild", &[Role::Ministry]),
    Rule::roles("GET", "/v1/vacancies", &[Role::Ministry]),
];
