//! The consumer of the notifier: registry events keep the directory of NPO contacts,
//! and meeting, recommendation, reception and request events become notifications.
//!
//! A notification is stored in the transaction that marks its event applied in the
//! inbox, so an event delivered twice makes its notifications once, and the delivery
//! loop sends them later.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use common_models::Catalogue;
use common_models::catalogue::Sphere;
use common_models::event::{EventEnvelope, aggregation as agg, recommendations as rec, registry};
use service_kit::inbox::Consumer;
use service_kit::{AnyConnection, ServiceContext, StoreError};
use uuid::Uuid;

use crate::domain::notification::{OPTED_OUT, Status};
use crate::domain::opt_out::{OptOutKey, normalise};
use crate::domain::settings::NotifierSettings;
use crate::domain::templates::{self, Template, Values};
use crate::store::contacts::{self, Contact};
use crate::store::notifications::{self, NewNotification};
use crate::store::opt_outs;

/// Name of the consumer in the inbox; its queue is `<exchange>.<name>`.
pub const CONSUMER: &str = "notifier.mail";

/// Event types the notifier consumes.
pub const EVENT_TYPES: &[&str] = &[
    registry::NPO_REGISTERED,
    registry::NPO_UPDATED,
    registry::NPO_STATUS_CHANGED,
    registry::NPO_MERGED,
    agg::MEETING_SCHEDULED,
    agg::MEETING_RESCHEDULED,
    agg::MEETING_CANCELLED,
    rec::RECOMMENDATION_ANSWERED,
    rec::RECEPTION_APPOINTED,
    rec::REQUEST_PUBLISHED,
];

/// Reason of a skipped notification whose address is not a valid e-mail address.
const INVALID_ADDRESS: &str = "invalid_address";

/// Text of a value an event does not give.
const NONE: &str = "—";

/// Settings and key the consumer composes notifications with.
#[derive(Debug)]
pub struct Composer {
    pub settings: NotifierSettings,
    pub key: OptOutKey,
}

/// Returns the notifier's consumer.
pub fn consumers(context: &ServiceContext) -> Vec<Consumer> {
    // The settings and the key were checked and created by `on_start`.
    let settings = NotifierSettings::from_settings(&context.settings)
        .expect("the notifier settings were valid at start");
    let key = OptOutKey::load(settings.opt_out_key.as_deref(), &settings.data_dir)
        .expect("the opt-out key was readable at start");
    let composer = Arc::new(Composer { settings, key });
    vec![Consumer {
        name: CONSUMER.into(),
        bindings: EVENT_TYPES.iter().map(|t| (*t).to_owned()).collect(),
        handler: Arc::new(move |conn, event| apply(conn, &composer, event)),
    }]
}

fn payload<T: serde::de::DeserializeOwned>(event: &EventEnvelope) -> Result<T, StoreError> {
    serde_json::from_value(event.payload.clone()).map_err(|e| {
        StoreError::Query(anyhow::anyhow!(
            "event {} of type {} has an invalid payload: {e}",
            event.id,
            event.event_type
        ))
    })
}

/// Applies one event.
pub fn apply(
    conn: &mut AnyConnection,
    composer: &Composer,
    event: &EventEnvelope,
) -> Result<(), StoreError> {
    match event.event_type.as_str() {
        registry::NPO_REGISTERED => {
            let p: registry::NpoRegistered = payload(event)?;
            let held = contacts::get(conn, &p.npo_id)?;
            contacts::put(
                conn,
                &Contact {
                    npo_id: p.npo_id,
                    bin: p.bin,
                    email: p.card.as_ref().and_then(|c| c.email.clone()),
                    status: p.status,
                    spheres: p.spheres,
                    territories: p.territories,
                    merged_into: held.and_then(|h| h.merged_into),
                },
            )
        }
        registry::NPO_UPDATED => {
            let p: registry::NpoUpdated = payload(event)?;
            let held = contacts::get(conn, &p.npo_id)?;
            let mut contact = held.unwrap_or_else(|| Contact {
                npo_id: p.npo_id.clone(),
                bin: None,
                email: None,
                status: contacts::ACTIVE.into(),
                spheres: Vec::new(),
                territories: Vec::new(),
                merged_into: None,
            });
            contact.spheres = p.spheres;
            contact.territories = p.territories;
            if let Some(card) = p.card {
                contact.email = card.email;
                contact.bin = card.bin.or(contact.bin);
                if contact.merged_into.is_none() {
                    contact.status = card.status;
                }
            }
            contacts::put(conn, &contact)
        }
        registry::NPO_STATUS_CHANGED => {
            let p: registry::NpoStatusChanged = payload(event)?;
            match contacts::get(conn, &p.npo_id)? {
                Some(mut contact) => {
                    contact.status = p.to;
                    contacts::put(conn, &contact)
                }
                // An NPO the notifier never heard of has no address to keep.
                None => Ok(()),
            }
        }
        registry::NPO_MERGED => {
            let p: registry::NpoMerged = payload(event)?;
            let mut contact = contacts::get(conn, &p.merged_id)?.unwrap_or(Contact {
                npo_id: p.merged_id.clone(),
                bin: None,
                email: None,
                status: String::new(),
                spheres: Vec::new(),
                territories: Vec::new(),
                merged_into: None,
            });
            contact.status = "merged".into();
            contact.merged_into = Some(p.npo_id);
            contacts::put(conn, &contact)
        }
        agg::MEETING_SCHEDULED | agg::MEETING_RESCHEDULED | agg::MEETING_CANCELLED => {
            let p: agg::HeadMeetingChanged = payload(event)?;
            meeting(conn, composer, event, &p)
        }
        rec::RECOMMENDATION_ANSWERED => {
            let p: rec::RecommendationChanged = payload(event)?;
            feedback(conn, composer, event, &p)
        }
        rec::RECEPTION_APPOINTED => {
            let p: rec::ReceptionChanged = payload(event)?;
            reception(conn, composer, event, &p)
        }
        rec::REQUEST_PUBLISHED => {
            let p: rec::RequestPublished = payload(event)?;
            request(conn, composer, event, &p)
        }
        _ => Ok(()),
    }
}

/// A recipient of a notification.
#[derive(Debug, Clone)]
struct Recipient {
    address: String,
    npo_id: Option<String>,
}

/// Returns the recipients of the NPOs `npo_ids`, once per address, leaving out NPOs
/// without an address.
fn npo_recipients(
    conn: &mut AnyConnection,
    npo_ids: &[String],
) -> Result<Vec<Recipient>, StoreError> {
    let mut by_address = BTreeMap::new();
    for id in npo_ids {
        if let Some((npo_id, address)) = contacts::address_of(conn, id)? {
            by_address.entry(normalise(&address)).or_insert(Recipient {
                address,
                npo_id: Some(npo_id),
            });
        }
    }
    Ok(by_address.into_values().collect())
}

fn local_date(date: NaiveDate) -> String {
    date.format("%d.%m.%Y").to_string()
}

fn local_date_time(at: DateTime<Utc>) -> (String, String) {
    let local = at.with_timezone(&common_models::time::KAZAKHSTAN_TZ);
    (
        local.format("%d.%m.%Y").to_string(),
        local.format("%H:%M").to_string(),
    )
}

fn meeting(
    conn: &mut AnyConnection,
    composer: &Composer,
    event: &EventEnvelope,
    p: &agg::HeadMeetingChanged,
) -> Result<(), StoreError> {
    // A meeting put on the schedule after it began is a record of the past. No NPO can
    // still come, so no invitation, change or cancellation is sent.
    if p.starts_at <= event.occurred_at {
        tracing::info!(
            event.id = %event.id,
            meeting.id = %p.meeting_id,
            "meeting began before the change; no mail"
        );
        return Ok(());
    }
    let (date, time) = local_date_time(p.starts_at);
    let mut values = Values::default();
    values
        .set("head", &p.head)
        .set("date", date)
        .set("time", time)
        .set("place", p.place.as_deref().unwrap_or(NONE))
        .set("online_url", p.online_url.as_deref().unwrap_or(NONE))
        .set("agenda", &p.agenda)
        .set("government_body", &p.government_body);
    let topic = format!("meeting:{}", p.meeting_id);

    for recipient in npo_recipients(conn, &p.invited_npo_ids)? {
        let template = match event.event_type.as_str() {
            agg::MEETING_CANCELLED => Template::MeetingCancelled,
            // An NPO invited by the change gets an invitation, not news of a change to
            // a meeting it never heard of.
            agg::MEETING_RESCHEDULED
                if notifications::notified_about(conn, &topic, &recipient.address)? =>
            {
                Template::MeetingChanged
            }
            _ => Template::MeetingInvitation,
        };
        compose(conn, composer, event, &topic, template, &values, recipient)?;
    }
    // NOTE: an NPO dropped from the invitations by a rescheduling gets no message,
    // because the event lists only the NPOs invited after the change.
    Ok(())
}

fn feedback(
    conn: &mut AnyConnection,
    composer: &Composer,
    event: &EventEnvelope,
    p: &rec::RecommendationChanged,
) -> Result<(), StoreError> {
    let recipient = match (&p.author_email, &p.npo_id) {
        (Some(address), _) if !address.trim().is_empty() => Recipient {
            address: address.trim().to_owned(),
            npo_id: p.npo_id.clone(),
        },
        (_, Some(npo_id)) => match npo_recipients(conn, std::slice::from_ref(npo_id))?.pop() {
            Some(recipient) => recipient,
            None => return Ok(()),
        },
        _ => return Ok(()),
    };
    let (handling_kk, handling_ru) = match p.handling.as_deref() {
        Some("rejected") => ("қабылданбады", "отклонена"),
        Some("included_in_plans") => ("жоспарларға енгізілді", "включена в планы"),
        Some("implemented") => ("іске асырылды", "реализована"),
        _ => ("жұмысқа қабылданды", "принята в работу"),
    };
    let mut values = Values::default();
    values
        .set("recommendation_id", &p.recommendation_id)
        .set("government_body", &p.government_body)
        .set("received_on", local_date(p.received_on))
        .set(
            "answered_on",
            p.answered_on.map_or_else(|| NONE.to_owned(), local_date),
        )
        .set_each("handling", handling_kk, handling_ru)
        .set("responsible", p.responsible_name.as_deref().unwrap_or(NONE));
    let topic = format!("recommendation:{}", p.recommendation_id);
    compose(
        conn,
        composer,
        event,
        &topic,
        Template::RecommendationFeedback,
        &values,
        recipient,
    )
}

fn reception(
    conn: &mut AnyConnection,
    composer: &Composer,
    event: &EventEnvelope,
    p: &rec::ReceptionChanged,
) -> Result<(), StoreError> {
    // A representative received at once needs no appointment message.
    let (Some(day), Some(npo_id)) = (p.appointed_on, &p.npo_id) else {
        return Ok(());
    };
    let Some(recipient) = npo_recipients(conn, std::slice::from_ref(npo_id))?.pop() else {
        return Ok(());
    };
    let mut values = Values::default();
    values
        .set("request_id", &p.request_id)
        .set("government_body", &p.government_body)
        .set("requested_on", local_date(p.requested_on))
        .set("date", local_date(day))
        .set("place", p.place.as_deref().unwrap_or(NONE));
    let topic = format!("reception:{}", p.request_id);
    compose(
        conn,
        composer,
        event,
        &topic,
        Template::ReceptionAppointed,
        &values,
        recipient,
    )
}

fn request(
    conn: &mut AnyConnection,
    composer: &Composer,
    event: &EventEnvelope,
    p: &rec::RequestPublished,
) -> Result<(), StoreError> {
    let recipients = if p.invited_npo_ids.is_empty() {
        let ids: Vec<String> = contacts::active_with_email(conn, p.sphere.as_deref())?
            .into_iter()
            .map(|c| c.npo_id)
            .collect();
        npo_recipients(conn, &ids)?
    } else {
        npo_recipients(conn, &p.invited_npo_ids)?
    };
    let (sphere_kk, sphere_ru) = match p.sphere.as_deref() {
        Some(code) => match Sphere::from_code(code) {
            Some(sphere) => (sphere.labels().kk.to_owned(), sphere.labels().ru.to_owned()),
            None => (code.to_owned(), code.to_owned()),
        },
        None => ("барлық салалар".to_owned(), "все сферы".to_owned()),
    };
    let mut values = Values::default();
    values
        .set("request_id", &p.request_id)
        .set("government_body", &p.government_body)
        .set("deadline", local_date(p.deadline))
        .set_each("sphere", sphere_kk, sphere_ru);
    let topic = format!("request:{}", p.request_id);
    for recipient in recipients {
        compose(
            conn,
            composer,
            event,
            &topic,
            Template::RecommendationRequest,
            &values,
            recipient,
        )?;
    }
    Ok(())
}

/// Renders `template` for `recipient` and stores the notification: due at once, or
/// skipped when the address opted out or is not a valid address.
fn compose(
    conn: &mut AnyConnection,
    composer: &Composer,
    event: &EventEnvelope,
    topic: &str,
    template: Template,
    values: &Values,
    recipient: Recipient,
) -> Result<(), StoreError> {
    let address = templates::header_safe(&recipient.address);
    let token = composer.key.token(&address);
    let rendered = templates::render(template, values, &composer.settings.opt_out_link(&token))
        .map_err(|e| StoreError::Query(e.into()))?;
    let (status, skip_reason) = if address.parse::<lettre::Address>().is_err() {
        (Status::Skipped, Some(INVALID_ADDRESS))
    } else if opt_outs::contains(conn, &address)? {
        (Status::Skipped, Some(OPTED_OUT))
    } else {
        (Status::Pending, None)
    };
    let id = Uuid::now_v7().to_string();
    notifications::insert(
        conn,
        &NewNotification {
            id: id.clone(),
            recipient: address,
            npo_id: recipient.npo_id,
            template: template.code(),
            subject: rendered.subject,
            body: rendered.body,
            event_id: event.id.to_string(),
            event_type: event.event_type.clone(),
            topic: topic.to_owned(),
            status,
            skip_reason,
        },
    )?;
    tracing::info!(
        notification.id = %id,
        event.id = %event.id,
        template = template.code(),
        status = status.code(),
        "notification composed"
    );
    Ok(())
}
