//! Access rules of the notifier: the roles that may call each route. Notifications are
//! mail to NPOs of every body, so only the ministry reads and requeues them; officers
//! do not read other bodies' mail.

use service_kit::Role;
use service_kit::access::Rule;

/// One rule per operation of the service's OpenAPI document.
#[rustfmt::skip]
pub const ACCESS: &[Rule] = &[
    Rule::roles("GET", "/v1/notifications", &[Role::Ministry]),
    Rule::roles("GET", "/v1/notifications/dead-letters", &[Role::Ministry]),
    Rule::roles("POST", "/v1/notifications/{id}/retry", &[Role::Ministry]),
    // The holder of a message's opt-out token needs no account; an NPO user without a
    // token opts out its own organisation's address.
    Rule::public("POST", "/v1/opt-outs"),
];
