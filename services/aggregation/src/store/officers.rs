//! Storage of officer appointments. A body's current officer is its appointment
//! without an end, and a unique index keeps at most one such row per body.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use common_models::Catalogue;
use diesel::prelude::*;
use service_kit::{AnyConnection, StoreError};

use super::{from_code, from_json, to_json, utc};
use crate::domain::officers::{Appointment, AppointmentFacts, Contacts, EndReason};
use crate::schema::officer_appointments as appointments;

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = appointments)]
pub(crate) struct AppointmentRow {
    id: String,
    government_body: String,
    officer: String,
    full_name: String,
    position: String,
    appointed_on: NaiveDate,
    contacts: Option<String>,
    reception_schedule: Option<String>,
    ended_on: Option<NaiveDate>,
    end_reason: Option<String>,
    created_at: NaiveDateTime,
}

impl AppointmentRow {
    pub(crate) fn into_appointment(self) -> Result<Appointment, StoreError> {
        Ok(Appointment {
            contacts: self
                .contacts
                .as_deref()
                .map(|raw| from_json::<Contacts>("contacts", raw))
                .transpose()?,
            end_reason: self
                .end_reason
                .as_deref()
                .map(from_code::<EndReason>)
                .transpose()?,
            id: self.id,
            government_body: self.government_body,
            officer: self.officer,
            full_name: self.full_name,
            position: self.position,
            appointed_on: self.appointed_on,
            reception_schedule: self.reception_schedule,
            ended_on: self.ended_on,
            created_at: utc(self.created_at),
        })
    }
}

/// Returns the current appointment of `body`, when it has an officer.
pub fn current(conn: &mut AnyConnection, body: &str) -> Result<Option<Appointment>, StoreError> {
    appointments::table
        .filter(appointments::government_body.eq(body))
        .filter(appointments::ended_on.is_null())
        .select(AppointmentRow::as_select())
        .first::<AppointmentRow>(conn)
        .optional()?
        .map(AppointmentRow::into_appointment)
        .transpose()
}

/// Returns the current appointments of `bodies`.
pub fn current_of(
    conn: &mut AnyConnection,
    bodies: &[String],
) -> Result<Vec<Appointment>, StoreError> {
    appointments::table
        .filter(appointments::government_body.eq_any(bodies))
        .filter(appointments::ended_on.is_null())
        .select(AppointmentRow::as_select())
        .load::<AppointmentRow>(conn)?
        .into_iter()
        .map(AppointmentRow::into_appointment)
        .collect()
}

/// Returns the day the last officer of `body` left, when one ever left.
pub fn last_left_on(conn: &mut AnyConnection, body: &str) -> Result<Option<NaiveDate>, StoreError> {
    let days: Vec<NaiveDate> = appointments::table
        .filter(appointments::government_body.eq(body))
        .filter(appointments::ended_on.is_not_null())
        .select(appointments::ended_on.assume_not_null())
        .order(appointments::ended_on.desc())
        .limit(1)
        .load(conn)?;
    Ok(days.into_iter().next())
}

/// Inserts the appointment `id` of an officer to `body`.
pub fn insert(
    conn: &mut AnyConnection,
    id: &str,
    body: &str,
    facts: &AppointmentFacts,
    created_by: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let contacts = facts.contacts.as_ref().map(to_json).transpose()?;
    diesel::insert_into(appointments::table)
        .values((
            appointments::id.eq(id),
            appointments::government_body.eq(body),
            appointments::officer.eq(&facts.officer),
            appointments::full_name.eq(&facts.full_name),
            appointments::position.eq(facts.position.code),
            appointments::appointed_on.eq(facts.appointed_on),
            appointments::contacts.eq(contacts),
            appointments::reception_schedule.eq(&facts.reception_schedule),
            appointments::created_at.eq(now.naive_utc()),
            appointments::created_by.eq(created_by),
        ))
        .execute(conn)?;
    Ok(())
}

/// Ends the current appointment `id` on `day` for `reason`. Returns false when it had
/// already ended.
pub fn end(
    conn: &mut AnyConnection,
    id: &str,
    day: NaiveDate,
    reason: EndReason,
    ended_by: &str,
) -> Result<bool, StoreError> {
    let changed = diesel::update(
        appointments::table
            .filter(appointments::id.eq(id))
            .filter(appointments::ended_on.is_null()),
    )
    .set((
        appointments::ended_on.eq(day),
        appointments::end_reason.eq(reason.code()),
        appointments::ended_by.eq(ended_by),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Lists every appointment of `body`, newest first.
pub fn history(conn: &mut AnyConnection, body: &str) -> Result<Vec<Appointment>, StoreError> {
    appointments::table
        .filter(appointments::government_body.eq(body))
        .order((
            appointments::appointed_on.desc(),
            appointments::created_at.desc(),
            appointments::id.desc(),
        ))
        .select(AppointmentRow::as_select())
        .load::<AppointmentRow>(conn)?
        .into_iter()
        .map(AppointmentRow::into_appointment)
        .collect()
}
