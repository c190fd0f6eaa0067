//! `Idempotency-Key` on creating POSTs: the first response is stored in the same
//! transaction as the write, and a retry with the same key gets it again.

use chrono::Utc;
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::db::{AnyConnection, StoreError};
use crate::schema::idempotency_keys;

/// A response stored under an idempotency key.
#[derive(Debug, Clone)]
pub struct StoredResponse {
    pub status: u16,
    pub body: serde_json::Value,
    pub location: Option<String>,
}

/// What a lookup found for a key.
#[derive(Debug)]
pub enum Lookup {
    /// The key is new: perform the write and store its response.
    Fresh,
    /// The same request was made before: return its response again.
    Replay(StoredResponse),
    /// The key was used before with a different request.
    Mismatch,
}

/// Hashes a request body so a reused key with another body is detected.
pub fn fingerprint(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Looks up `key` in `scope` (the caller and the route).
pub fn lookup(conn: &mut AnyConnection, scope: &str, key: &str, hash: &str) -> Result<Lookup, StoreError> {
    let row: Option<(String, i32, String, Option<String>)> = idempotency_keys::table
        .filter(idempotency_keys::scope.eq(scope))
        .filter(idempotency_keys::key.eq(key))
        .select((
            idempotency_keys::request_hash,
            idempotency_keys::status,
            idempotency_keys::response,
            idempotency_keys::location,
        ))
        .first(conn)
        .optional()?;
    Ok(match row {
        None => Lookup::Fresh,
        Some((stored_hash, _, _, _)) if stored_hash != hash => Lookup::Mismatch,
        Some((_, status, response, location)) => Lookup::Replay(StoredResponse {
            status: u16::try_from(status).unwrap_or(200),
            body: serde_json::from_str(&response).map_err(|e| StoreError::Query(e.into()))?,
            location,
        }),
    })
}

/// Stores the response of a fresh request under `key`.
pub fn store(
    conn: &mut AnyConnection,
    scope: &str,
    key: &str,
    hash: &str,
    response: &StoredResponse,
) -> Result<(), StoreError> {
    diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::scope.eq(scope),
            idempotency_keys::key.eq(key),
            idempotency_keys::request_hash.eq(hash),
            idempotency_keys::status.eq(i32::from(response.status)),
            idempotency_keys::response.eq(response.body.to_string()),
            idempotency_keys::location.eq(&response.location),
            idempotency_keys::created_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    Ok(())
}
