//! Who may call each route of the aggregation service, by role. The handlers narrow it
//! further to the records of the caller's own body or organisation.

use service_kit::Role;
use service_kit::access::Rule;

/// One rule per operation of the service's OpenAPI document.
pub const ACCESS: &[Rule] = &[
    Rule::roles("GET", "/v1/analytics/annual-reports", &[Role::Ministry]),
    Rule::signed_in("GET", "/v1/analytics/compliance"),
    Rule::signed_in("GET", "/v1/analytics/joint-actions"),
    Rule::signed_in("GET", "/v1/analytics/npos"),
    Rule::signed_in("GET", "/v1/analytics/priorities"),
    Rule::signed_in("GET", "/v1/analytics/recommendations"),
    Rule::signed_in("GET", "/v1/annual-reports"),
    Rule::roles("POST", "/v1/annual-reports", &[Role::Officer]),
    Rule::signed_in("GET", "/v1/annual-reports/{id}"),
    Rule::signed_in("PATCH", "/v1/annual-reports/{id}"),
    Rule::signed_in("GET", "/v1/annual-reports/{id}/report.xlsx"),
    Rule::roles("POST", "/v1/annual-reports/{id}/review", &[Role::Ministry]),
    Rule::signed_in("POST", "/v1/annual-reports/{id}/submission"),
    Rule::signed_in("GET", "/v1/annual-reports/{id}/versions"),
    Rule::signed_in("GET", "/v1/annual-reports/{id}/versions/{number}"),
    Rule::public("GET", "/v1/competence-map"),
    Rule::roles("GET", "/v1/compliance", &[Role::Ministry, Role::Officer]),
    Rule::public("GET", "/v1/government-bodies"),
    Rule::roles("POST", "/v1/government-bodies", &[Role::Ministry]),
    Rule::public("GET", "/v1/government-bodies/{id}"),
    Rule::public("GET", "/v1/government-bodies/{id}/officer"),
    Rule::roles(
        "POST",
        "/v1/government-bodies/{id}/officer",
        &[Role::Ministry],
    ),
    Rule::signed_in("PATCH", "/v1/government-bodies/{id}/officer"),
    Rule::roles(
        "POST",
        "/v1/government-bodies/{id}/officer/dismissal",
        &[Role::Ministry],
    ),
    Rule::public("GET", "/v1/government-bodies/{id}/officer/photo"),
    Rule::signed_in("PUT", "/v1/government-bodies/{id}/officer/photo"),
    Rule::signed_in("DELETE", "/v1/government-bodies/{id}/officer/photo"),
    Rule::roles(
        "POST",
        "/v1/government-bodies/{id}/officer/replacement",
        &[Role::Ministry],
    ),
    Rule::roles(
        "GET",
        "/v1/government-bodies/{id}/officers",
        &[Role::Ministry],
    ),
    Rule::roles(
        "GET",
        "/v1/information-requests",
        &[Role::Ministry, Role::Officer],
    ),
    Rule::roles("POST", "/v1/information-requests", &[Role::Ministry]),
    Rule::roles(
        "GET",
        "/v1/information-requests/{id}",
        &[Role::Ministry, Role::Officer],
    ),
    Rule::roles(
        "GET",
        "/v1/information-requests/{id}/answers",
        &[Role::Ministry],
    ),
    Rule::roles(
        "POST",
        "/v1/information-requests/{id}/answers",
        &[Role::Officer],
    ),
    Rule::public("GET", "/v1/officer-positions"),
    Rule::roles("GET", "/v1/read-models/digest", &[Role::Ministry]),
    Rule::roles("POST", "/v1/read-models/rebuild", &[Role::Ministry]),
    Rule::roles("GET", "/v1/vacancies", &[Role::Ministry]),
];
