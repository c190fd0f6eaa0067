//! Hands a body's open items to its officer as the ministry announces officers.
//!
//! An appointment gives the new officer the unassigned items and those of the body's
//! previous officer. A replacement passes the leaving officer's open items, and the
//! unassigned ones, to the successor. An event dated before the current officer took
//! office is ignored.

use std::sync::Arc;

use common_models::event::EventEnvelope;
use common_models::event::aggregation::{
    OFFICER_APPOINTED, OFFICER_REPLACED, OfficerAppointed, OfficerReplaced,
};
use service_kit::audit::{self, Change};
use service_kit::inbox::Consumer;
use service_kit::{AnyConnection, ServiceContext, StoreError};

use crate::domain::Responsible;
use crate::store::{calls, exchanges, officers, receptions, recommendations};

/// Name of the consumer in the inbox; its queue is `<exchange>.<name>`.
pub const CONSUMER: &str = "recommendations.officers";

/// Returns the consumer of the officer events of the aggregation service.
pub fn consumers(_: &ServiceContext) -> Vec<Consumer> {
    vec![Consumer {
        name: CONSUMER.to_owned(),
        bindings: vec![OFFICER_APPOINTED.to_owned(), OFFICER_REPLACED.to_owned()],
        handler: Arc::new(apply),
    }]
}

fn payload<T: serde::de::DeserializeOwned>(event: &EventEnvelope) -> Result<T, StoreError> {
    serde_json::from_value(event.payload.clone()).map_err(|e| {
        StoreError::Query(anyhow::anyhow!(
            "event {} of type {} has an unreadable payload: {}",
            event.id,
            event.event_type,
            service_kit::telemetry::describe_json_error(&e)
        ))
    })
}

/// Fails unless every one of `fields` is a non-empty text without control characters,
/// so an event without an officer is dead-lettered rather than applied.
fn check_names(event: &EventEnvelope, fields: &[(&str, &str)]) -> Result<(), StoreError> {
    for (name, value) in fields {
        if value.trim().is_empty() || value.chars().any(char::is_control) {
            return Err(StoreError::Query(anyhow::anyhow!(
                "event {} of type {} has an empty or invalid '{name}'",
                event.id,
                event.event_type
            )));
        }
    }
    Ok(())
}

/// Returns whether the event, dated `on`, is older than the appointment of the body's
/// current officer, which means it arrived late and is out of date.
fn is_stale(
    conn: &mut AnyConnection,
    event: &EventEnvelope,
    body: &str,
    on: chrono::NaiveDate,
) -> Result<bool, StoreError> {
    let stale = officers::since(conn, body)?.is_some_and(|since| on < since);
    if stale {
        tracing::warn!(
            event.id = %event.id,
            body.id = %body,
            "officer event dated before the body's current officer took office; ignored"
        );
    }
    Ok(stale)
}

fn apply(conn: &mut AnyConnection, event: &EventEnvelope) -> Result<(), StoreError> {
    let (body, leaving, officer, on) = match event.event_type.as_str() {
        OFFICER_APPOINTED => {
            let appointed: OfficerAppointed = payload(event)?;
            check_names(
                event,
                &[
                    ("government_body", &appointed.government_body),
                    ("officer", &appointed.officer),
                    ("full_name", &appointed.full_name),
                ],
            )?;
            let officer = Responsible {
                officer: appointed.officer,
                name: Some(appointed.full_name),
            };
            (
                appointed.government_body,
                None,
                officer,
                appointed.appointed_on,
            )
        }
        OFFICER_REPLACED => {
            let replaced: OfficerReplaced = payload(event)?;
            check_names(
                event,
                &[
                    ("government_body", &replaced.government_body),
                    ("officer", &replaced.officer),
                    ("successor", &replaced.successor),
                    ("successor_name", &replaced.successor_name),
                ],
            )?;
            let successor = Responsible {
                officer: replaced.successor,
                name: Some(replaced.successor_name),
            };
            (
                replaced.government_body,
                Some(replaced.officer),
                successor,
                replaced.replaced_on,
            )
        }
        // Bindings deliver only the two types above.
        _ => return Ok(()),
    };
    officers::lock(conn, &body)?;
    if is_stale(conn, event, &body, on)? {
        return Ok(());
    }
    // An appointment after a dismissal, which sends no event, also takes over the open
    // items of the body's previous officer.
    let leaving = match leaving {
        Some(leaving) => Some(leaving),
        None => officers::current(conn, &body)?
            .map(|previous| previous.officer)
            .filter(|previous| *previous != officer.officer),
    };
    officers::set(conn, &body, &officer, on)?;
    hand_over(conn, event, &body, leaving.as_deref(), &officer)
}

/// Passes the open items of `body` without a responsible officer, or with `from`, to
/// `to`, with an audit entry for each.
fn hand_over(
    conn: &mut AnyConnection,
    event: &EventEnvelope,
    body: &str,
    from: Option<&str>,
    to: &Responsible,
) -> Result<(), StoreError> {
    let now = service_kit::now();
    let moved = [
        (
            "recommendation",
            recommendations::reassign(conn, body, from, to, now)?,
        ),
        (
            "reception_request",
            receptions::reassign(conn, body, from, to)?,
        ),
        (
            "officer_request",
            exchanges::reassign_requests(conn, body, from, to)?,
        ),
        (
            "recommendation_request",
            calls::reassign(conn, body, from, to)?,
        ),
    ];
    let actor = event.actor.as_deref().unwrap_or("aggregation");
    for (entity, ids) in &moved {
        for id in ids {
            audit::record(
                conn,
                Change {
                    entity,
                    entity_id: id,
                    action: "handed_over",
                    actor,
                    government_body: Some(body),
                    fields: &["responsible".to_owned()],
                },
            )?;
        }
    }
    tracing::info!(
        event.id = %event.id,
        body.id = %body,
        recommendations = moved[0].1.len(),
        reception_requests = moved[1].1.len(),
        officer_requests = moved[2].1.len(),
        recommendation_requests = moved[3].1.len(),
        "open items handed to the body's officer"
    );
    Ok(())
}
