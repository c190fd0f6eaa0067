//! Storage of officers' public profiles. The contacts and the reception schedule stay
//! in the appointment row. The work plan, the forms of appeal and the photo are kept
//! per appointment beside it, so a successor starts with none of them.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use service_kit::{AnyConnection, StoreError};

use super::{from_json, to_json};
use crate::domain::profiles::{AppealForm, PhotoFormat, ProfileFacts};
use crate::schema::{
    officer_appointments as appointments, officer_photos as photos, officer_profiles as profiles,
};

/// The parts of an officer's public profile kept beside the appointment.
#[derive(Debug, Clone, Default)]
pub struct ProfileExtras {
    pub work_plan: Option<String>,
    pub appeal_forms: Vec<AppealForm>,
    pub has_photo: bool,
}

/// A stored photo, as `GET …/officer/photo` serves it.
#[derive(Debug, Clone)]
pub struct StoredPhoto {
    pub content_type: String,
    pub data: Vec<u8>,
    /// Hex SHA-256 of the data.
    pub sha256: String,
}

/// Loads the profile parts of the appointments `ids`; an appointment without any has
/// no entry.
pub fn extras_of(
    conn: &mut AnyConnection,
    ids: &[String],
) -> Result<HashMap<String, ProfileExtras>, StoreError> {
    let rows: Vec<(String, Option<String>, String)> = profiles::table
        .filter(profiles::appointment_id.eq_any(ids))
        .select((
            profiles::appointment_id,
            profiles::work_plan,
            profiles::appeal_forms,
        ))
        .load(conn)?;
    let with_photo: HashSet<String> = photos::table
        .filter(photos::appointment_id.eq_any(ids))
        .select(photos::appointment_id)
        .load::<String>(conn)?
        .into_iter()
        .collect();
    let mut found = HashMap::new();
    for (id, work_plan, appeal_forms) in rows {
        let extras = ProfileExtras {
            work_plan,
            appeal_forms: from_json("appeal_forms", &appeal_forms)?,
            has_photo: with_photo.contains(&id),
        };
        found.insert(id, extras);
    }
    for id in with_photo {
        found.entry(id).or_insert_with(|| ProfileExtras {
            has_photo: true,
            ..ProfileExtras::default()
        });
    }
    Ok(found)
}

/// Stores the editable part of the profile of appointment `id`.
pub fn save(
    conn: &mut AnyConnection,
    id: &str,
    facts: &ProfileFacts,
    updated_by: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let contacts = facts.contacts.as_ref().map(to_json).transpose()?;
    diesel::update(appointments::table.filter(appointments::id.eq(id)))
        .set((
            appointments::contacts.eq(contacts),
            appointments::reception_schedule.eq(&facts.reception_schedule),
        ))
        .execute(conn)?;

    let appeal_forms = to_json(&facts.appeal_forms)?;
    let updated = diesel::update(profiles::table.filter(profiles::appointment_id.eq(id)))
        .set((
            profiles::work_plan.eq(&facts.work_plan),
            profiles::appeal_forms.eq(&appeal_forms),
            profiles::updated_at.eq(now.naive_utc()),
            profiles::updated_by.eq(updated_by),
        ))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(profiles::table)
            .values((
                profiles::appointment_id.eq(id),
                profiles::work_plan.eq(&facts.work_plan),
                profiles::appeal_forms.eq(&appeal_forms),
                profiles::updated_at.eq(now.naive_utc()),
                profiles::updated_by.eq(updated_by),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Returns the photo of appointment `id`, when it has one.
pub fn photo(conn: &mut AnyConnection, id: &str) -> Result<Option<StoredPhoto>, StoreError> {
    let row: Option<(String, Vec<u8>, String)> = photos::table
        .filter(photos::appointment_id.eq(id))
        .select((photos::content_type, photos::data, photos::sha256))
        .first(conn)
        .optional()?;
    Ok(row.map(|(content_type, data, sha256)| StoredPhoto {
        content_type,
        data,
        sha256,
    }))
}

/// Stores `data` as the photo of appointment `id`, replacing the one it had. Returns
/// whether there was one.
pub fn put_photo(
    conn: &mut AnyConnection,
    id: &str,
    format: PhotoFormat,
    data: &[u8],
    sha256: &str,
    uploaded_by: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let replaced = delete_photo(conn, id)?;
    diesel::insert_into(photos::table)
        .values((
            photos::appointment_id.eq(id),
            photos::content_type.eq(format.media_type()),
            photos::data.eq(data),
            photos::sha256.eq(sha256),
            photos::uploaded_at.eq(now.naive_utc()),
            photos::uploaded_by.eq(uploaded_by),
        ))
        .execute(conn)?;
    Ok(replaced)
}

/// Deletes the photo of appointment `id`. Returns whether there was one.
pub fn delete_photo(conn: &mut AnyConnection, id: &str) -> Result<bool, StoreError> {
    let deleted =
        diesel::delete(photos::table.filter(photos::appointment_id.eq(id))).execute(conn)?;
    Ok(deleted > 0)
}
