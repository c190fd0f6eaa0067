//! Hands a body's open items to its officer as the ministry announces officers: an
//! appointment to a body without one takes the items nobody is responsible for, and a
//! replacement passes every open item of the officer who leaves to the successor.

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

/// Name of the consumer, which is also its inbox name and queue.
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
            "event {} of type {} has an unreadable payload: {e}",
            event.id,
            event.event_type
        ))
    })
}

fn apply(conn: &mut AnyConnection, event: &EventEnvelope) -> Result<(), StoreError> {
    match event.event_type.as_str() {
        OFFICER_APPOINTED => {
            let appointed: OfficerAppointed = payload(event)?;
            let officer = Responsible {
                officer: appointed.officer,
                name: Some(appointed.full_name),
            };
            officers::set(
                conn,
                &appointed.government_body,
                &officer,
                appointed.appointed_on,
            )?;
            hand_over(conn, event, &appointed.government_body, None, &officer)
        }
        OFFICER_REPLACED => {
            let replaced: OfficerReplaced = payload(event)?;
            let successor = Responsible {
                officer: replaced.successor,
                name: Some(replaced.successor_name),
            };
            officers::set(
                conn,
                &replaced.government_body,
                &successor,
                replaced.replaced_on,
            )?;
            hand_over(
                conn,
                event,
                &replaced.government_body,
                Some(&replaced.officer),
                &successor,
            )
        }
        // Bindings deliver only the two types above.
        _ => Ok(()),
    }
}

/// Passes the open items of `body` that nobody or `from` is responsible for to `to`,
/// with an audit entry for each.
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
