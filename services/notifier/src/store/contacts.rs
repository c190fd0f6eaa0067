//! The directory of NPO contacts, kept from the registry's events.

use diesel::prelude::*;
use service_kit::{AnyConnection, StoreError};

use crate::schema::npo_contacts;

/// Registry status of an NPO that receives requests for recommendations.
pub const ACTIVE: &str = "active";

/// Merges an NPO may have been through before its address is found; more means a cycle.
const MAX_MERGE_HOPS: usize = 8;

/// The contact record of an NPO.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub npo_id: String,
    pub bin: Option<String>,
    pub email: Option<String>,
    pub status: String,
    pub spheres: Vec<String>,
    pub territories: Vec<String>,
    pub merged_into: Option<String>,
}

type Row = (
    String,
    Option<String>,
    Option<String>,
    String,
    String,
    String,
    Option<String>,
);

fn from_row(row: Row) -> Result<Contact, StoreError> {
    let (npo_id, bin, email, status, spheres, territories, merged_into) = row;
    Ok(Contact {
        npo_id,
        bin,
        email,
        status,
        spheres: decode(&spheres)?,
        territories: decode(&territories)?,
        merged_into,
    })
}

fn decode(text: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Query(e.into()))
}

fn encode(codes: &[String]) -> Result<String, StoreError> {
    serde_json::to_string(codes).map_err(|e| StoreError::Query(e.into()))
}

const COLUMNS: (
    npo_contacts::npo_id,
    npo_contacts::bin,
    npo_contacts::email,
    npo_contacts::status,
    npo_contacts::spheres,
    npo_contacts::territories,
    npo_contacts::merged_into,
) = (
    npo_contacts::npo_id,
    npo_contacts::bin,
    npo_contacts::email,
    npo_contacts::status,
    npo_contacts::spheres,
    npo_contacts::territories,
    npo_contacts::merged_into,
);

/// Reads the contact of NPO `npo_id`.
pub fn get(conn: &mut AnyConnection, npo_id: &str) -> Result<Option<Contact>, StoreError> {
    let row: Option<Row> = npo_contacts::table
        .find(npo_id)
        .select(COLUMNS)
        .first(conn)
        .optional()?;
    row.map(from_row).transpose()
}

/// Stores `contact`, replacing what was kept of the NPO.
pub fn put(conn: &mut AnyConnection, contact: &Contact) -> Result<(), StoreError> {
    let spheres = encode(&contact.spheres)?;
    let territories = encode(&contact.territories)?;
    let now = service_kit::now().naive_utc();
    let exists = get(conn, &contact.npo_id)?.is_some();
    if exists {
        diesel::update(npo_contacts::table.find(&contact.npo_id))
            .set((
                npo_contacts::bin.eq(&contact.bin),
                npo_contacts::email.eq(&contact.email),
                npo_contacts::status.eq(&contact.status),
                npo_contacts::spheres.eq(&spheres),
                npo_contacts::territories.eq(&territories),
                npo_contacts::merged_into.eq(&contact.merged_into),
                npo_contacts::updated_at.eq(now),
            ))
            .execute(conn)?;
    } else {
        diesel::insert_into(npo_contacts::table)
            .values((
                npo_contacts::npo_id.eq(&contact.npo_id),
                npo_contacts::bin.eq(&contact.bin),
                npo_contacts::email.eq(&contact.email),
                npo_contacts::status.eq(&contact.status),
                npo_contacts::spheres.eq(&spheres),
                npo_contacts::territories.eq(&territories),
                npo_contacts::merged_into.eq(&contact.merged_into),
                npo_contacts::updated_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Returns the NPO whose address is used for `npo_id` and that address. For a merged
/// NPO this is the NPO it went into. Returns `None` when the NPO is unknown or has no
/// e-mail.
pub fn address_of(
    conn: &mut AnyConnection,
    npo_id: &str,
) -> Result<Option<(String, String)>, StoreError> {
    let mut current = npo_id.to_owned();
    for _ in 0..MAX_MERGE_HOPS {
        let Some(contact) = get(conn, &current)? else {
            return Ok(None);
        };
        match contact.merged_into {
            Some(next) => current = next,
            None => return Ok(contact.email.map(|email| (contact.npo_id, email))),
        }
    }
    Ok(None)
}

/// Lists the active NPOs that have an address and work in `sphere`, or every active NPO
/// with an address when `sphere` is `None`.
pub fn active_with_email(
    conn: &mut AnyConnection,
    sphere: Option<&str>,
) -> Result<Vec<Contact>, StoreError> {
    let rows: Vec<Row> = npo_contacts::table
        .filter(npo_contacts::status.eq(ACTIVE))
        .filter(npo_contacts::email.is_not_null())
        .filter(npo_contacts::merged_into.is_null())
        .order(npo_contacts::npo_id)
        .select(COLUMNS)
        .load(conn)?;
    let contacts = rows
        .into_iter()
        .map(from_row)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(contacts
        .into_iter()
        .filter(|c| sphere.is_none_or(|s| c.spheres.iter().any(|own| own == s)))
        .collect())
}

/// Lists the addresses of the NPOs registered with `bin`.
pub fn emails_of_bin(conn: &mut AnyConnection, bin: &str) -> Result<Vec<String>, StoreError> {
    let emails: Vec<Option<String>> = npo_contacts::table
        .filter(npo_contacts::bin.eq(bin))
        .filter(npo_contacts::merged_into.is_null())
        .select(npo_contacts::email)
        .load(conn)?;
    Ok(emails.into_iter().flatten().collect())
}
