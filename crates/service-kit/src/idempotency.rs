//! `Idempotency-Key` on creating POSTs: the first response is stored in the same
//! transaction as the write, and a retry with the same key gets it again.

use diesel::prelude::*;
use sha2::{Digest, Sha256};

use actix_web::HttpResponse;
use actix_web::http::StatusCode;

use crate::db::{AnyConnection, StoreError};
use crate::extract::IdempotencyKey;
use crate::problem::{ApiError, FieldError};
use crate::schema::idempotency_keys;

/// A response stored under an idempotency key.
#[derive(Debug, Clone)]
pub struct StoredResponse {
    pub status: u16,
    pub body: serde_json::Value,
    pub location: Option<String>,
    pub etag: Option<String>,
}

/// Result of looking up a key.
#[derive(Debug)]
pub enum Lookup {
    /// The key is new: perform the write and store its response.
    Fresh,
    /// The same request was made before: return its response again.
    Replay(StoredResponse),
    /// The key was used before with a different request.
    Mismatch,
}

/// Hashes a request body so a reused key with another body is detected. A JSON body
/// is hashed in canonical form (keys sorted, no whitespace), so a retry that formats
/// the same document differently still matches.
pub fn fingerprint(body: &[u8]) -> String {
    let canonical = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|value| serde_json::to_vec(&value).ok());
    let digest = Sha256::digest(canonical.as_deref().unwrap_or(body));
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Looks up `key` in `scope` (the caller and the route).
pub fn lookup(
    conn: &mut AnyConnection,
    scope: &str,
    key: &str,
    hash: &str,
) -> Result<Lookup, StoreError> {
    type Row = (String, i32, String, Option<String>, Option<String>);
    let row: Option<Row> = idempotency_keys::table
        .filter(idempotency_keys::scope.eq(scope))
        .filter(idempotency_keys::key.eq(key))
        .select((
            idempotency_keys::request_hash,
            idempotency_keys::status,
            idempotency_keys::response,
            idempotency_keys::location,
            idempotency_keys::etag,
        ))
        .first(conn)
        .optional()?;
    Ok(match row {
        None => Lookup::Fresh,
        Some((stored_hash, ..)) if stored_hash != hash => Lookup::Mismatch,
        Some((_, status, response, location, etag)) => Lookup::Replay(StoredResponse {
            status: u16::try_from(status).unwrap_or(200),
            body: crate::columns::from_json("idempotent response", &response)?,
            location,
            etag,
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
            idempotency_keys::etag.eq(&response.etag),
            idempotency_keys::created_at.eq(crate::now().naive_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

/// The response of a successful create.
#[derive(Debug, Clone)]
pub struct Created {
    pub body: serde_json::Value,
    /// Path of the new resource, for the `Location` header.
    pub location: String,
    pub etag: Option<String>,
}

impl Created {
    /// Describes a created resource from its representation, path and ETag.
    pub fn new(
        body: impl serde::Serialize,
        location: String,
        etag: Option<String>,
    ) -> Result<Self, ApiError> {
        Ok(Self {
            body: serde_json::to_value(body).map_err(ApiError::internal)?,
            location,
            etag,
        })
    }
}

/// The outcome of a create that honours `Idempotency-Key`.
#[derive(Debug)]
pub enum Reply {
    Fresh(Created),
    Replayed(StoredResponse),
}

impl Reply {
    /// Builds the HTTP response: 201 with `Location`, or the stored response marked as a replay.
    pub fn into_response(self) -> HttpResponse {
        match self {
            Self::Fresh(created) => {
                let mut response = HttpResponse::Created();
                response.insert_header(("Location", created.location));
                if let Some(etag) = created.etag {
                    response.insert_header(("ETag", etag));
                }
                response.json(created.body)
            }
            Self::Replayed(stored) => {
                let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
                let mut response = HttpResponse::build(status);
                response.insert_header(("Idempotent-Replayed", "true"));
                if let Some(etag) = stored.etag {
                    response.insert_header(("ETag", etag));
                }
                if let Some(location) = stored.location {
                    response.insert_header(("Location", location));
                }
                response.json(stored.body)
            }
        }
    }
}

/// Runs a create once per idempotency key, inside the caller's transaction: a repeat
/// with the same key and body gets the first response, a repeat with another body is
/// rejected with 422, and without a key `work` always runs.
pub fn create_once(
    conn: &mut AnyConnection,
    key: &IdempotencyKey,
    scope: &str,
    body: &[u8],
    work: impl FnOnce(&mut AnyConnection) -> Result<Created, ApiError>,
) -> Result<Reply, ApiError> {
    let Some(key) = key.0.as_deref() else {
        return work(conn).map(Reply::Fresh);
    };
    let hash = fingerprint(body);
    match lookup(conn, scope, key, &hash)? {
        Lookup::Replay(stored) => return Ok(Reply::Replayed(stored)),
        Lookup::Mismatch => {
            return Err(ApiError::invalid(vec![FieldError::new(
                "#/header/idempotency-key",
                "was already used with a different request body; use a new key for a new request",
            )]));
        }
        Lookup::Fresh => {}
    }
    let created = work(conn)?;
    store(
        conn,
        scope,
        key,
        &hash,
        &StoredResponse {
            status: 201,
            body: created.body.clone(),
            location: Some(created.location.clone()),
            etag: created.etag.clone(),
        },
    )?;
    Ok(Reply::Fresh(created))
}
