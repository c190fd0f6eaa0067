//! `/v1/government-bodies/{id}/officer` and `…/officer/photo`: the public profile of a
//! body's officer. Anyone reads it; the officer themself or the ministry edits it.
//!
//! The profile is part of the body's card, so every change of it, the photo included,
//! counts in the body's version, and the profile's ETag is the card's.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, put, web};
use chrono::NaiveDate;
use service_kit::audit::{self, Change};
use service_kit::extract::{IfMatch, ValidJson, etag, read_body_within};
use service_kit::problem::Problem;
use service_kit::{AnyConnection, ApiError, ApiResult, Caller, MaybeCaller, Role};
use sha2::{Digest, Sha256};

use super::Aggregation;
use super::bodies::find_card;
use crate::domain::bodies::{GovernmentBody, PublicProfile, is_body_id};
use crate::domain::officers::Appointment;
use crate::domain::profiles::{MAX_PHOTO_BYTES, ProfilePatch, check_photo, photo_format};
use crate::store::{bodies, officers, profiles};

/// A body with an officer: its card, which shows the profile, and the appointment.
struct Staffed {
    card: GovernmentBody,
    profile: PublicProfile,
    appointment: Appointment,
}

/// Returns the 404 of the profile of body `id`, which has no officer since `since`.
fn vacant(id: &str, since: Option<NaiveDate>) -> ApiError {
    match since {
        Some(day) => ApiError::NotFound(format!(
            "officer of government body {id} (vacant since {day})"
        )),
        None => ApiError::NotFound(format!("officer of government body {id}")),
    }
}

/// Reads body `id` with its current officer, or 404 when the body is unknown or vacant.
fn staffed(conn: &mut AnyConnection, id: &str) -> Result<Staffed, ApiError> {
    let not_found = || ApiError::NotFound(format!("government body {id}"));
    if !is_body_id(id) {
        return Err(not_found());
    }
    let card = bodies::find(conn, id)?.ok_or_else(not_found)?;
    let Some(profile) = card.officer.clone() else {
        return Err(vacant(id, card.vacant_since));
    };
    let appointment = officers::current(conn, id)?.ok_or_else(|| vacant(id, card.vacant_since))?;
    Ok(Staffed {
        card,
        profile,
        appointment,
    })
}

/// Fails with 403 unless the caller may edit the profile of body `id`: the ministry, or
/// an officer whose token names that body. [`check_officer`] then checks the subject.
fn require_editor(caller: &Caller, id: &str) -> Result<(), ApiError> {
    caller.require(&[Role::Officer, Role::Ministry])?;
    if caller.role == Role::Officer && caller.body() != Some(id) {
        return Err(ApiError::Forbidden(format!(
            "an officer edits only their own profile, not the one of government body {id}"
        )));
    }
    Ok(())
}

/// Fails with 403 when an officer's token names another officer than the body's current
/// one, such as a predecessor whose token has not expired.
fn check_officer(caller: &Caller, current: &Appointment) -> Result<(), ApiError> {
    if caller.role == Role::Officer && caller.subject != current.officer {
        return Err(ApiError::Forbidden(format!(
            "only the current officer of government body {} edits their profile",
            current.government_body
        )));
    }
    Ok(())
}

/// Counts a profile change in the version of body `id` read at `version`; 412 when
/// another request changed the body meanwhile.
fn count_change(conn: &mut AnyConnection, id: &str, version: i32) -> Result<(), ApiError> {
    if bodies::bump_version(conn, id, version, service_kit::now())? {
        Ok(())
    } else {
        Err(ApiError::PreconditionFailed)
    }
}

/// Responds with the profile on `card` and the card's ETag.
fn respond(card: GovernmentBody) -> ApiResult<HttpResponse> {
    let tag = etag(card.version);
    let id = card.id.clone();
    let profile = card.officer.ok_or_else(|| vacant(&id, card.vacant_since))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, tag))
        .json(profile))
}

/// Read the public profile of a body's officer. Public: no token needed.
///
/// The profile contains no subject of the officer's tokens. 404 when the body is vacant,
/// naming the day since which it is. The ETag is the body card's.
#[utoipa::path(
    get, path = "/v1/government-bodies/{id}/officer", tag = "officers",
    params(("id" = String, Path, description = "Government body id")),
    responses(
        (status = 200, body = PublicProfile, headers(("ETag" = String))),
        (status = 404, body = Problem)
    )
)]
#[get("/v1/government-bodies/{id}/officer")]
pub async fn get_profile(
    service: web::Data<Aggregation>,
    _caller: MaybeCaller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let card = find_card(&service, id.into_inner()).await?;
    respond(card)
}

/// Change the public profile of a body's officer: contacts, reception schedule, work
/// plan and forms of appeal.
///
/// The body's current officer (the token's subject and body) or the ministry, with
/// `If-Match` carrying the ETag of the profile or the body's card. The body is a JSON
/// merge patch; the name and the position change only through an appointment. Every
/// invalid field is listed.
#[utoipa::path(
    patch, path = "/v1/government-bodies/{id}/officer", tag = "officers",
    params(
        ("id" = String, Path, description = "Government body id"),
        ("If-Match" = String, Header, description = "ETag of the profile or the body's card from the last read")
    ),
    request_body = ProfilePatch,
    responses(
        (status = 200, body = PublicProfile, headers(("ETag" = String))),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 412, body = Problem), (status = 422, body = Problem), (status = 428, body = Problem)
    ),
    security(("bearer" = []))
)]
#[patch("/v1/government-bodies/{id}/officer")]
pub async fn update_profile(
    service: web::Data<Aggregation>,
    caller: Caller,
    if_match: IfMatch,
    id: web::Path<String>,
    body: ValidJson<ProfilePatch>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    require_editor(&caller, &id)?;
    let patch = body.value;

    let card = service
        .db
        .transaction(move |conn| {
            let current = staffed(conn, &id)?;
            check_officer(&caller, &current.appointment)?;
            if_match.check(&etag(current.card.version))?;
            let facts = patch.apply(&current.profile)?;
            let changed = facts.changed_fields(&current.profile);
            if changed.is_empty() {
                return Ok(current.card);
            }
            count_change(conn, &id, current.card.version)?;
            let appointment_id = &current.appointment.id;
            profiles::save(conn, appointment_id, &facts, &caller.subject, service_kit::now())?;
            audit::record(
                conn,
                Change {
                    entity: "government_body",
                    entity_id: &id,
                    action: "officer_profile_updated",
                    actor: &caller.subject,
                    government_body: Some(&id),
                    fields: &changed,
                },
            )?;
            tracing::info!(body.id = %id, appointment.id = %appointment_id, "officer profile updated");
            bodies::find(conn, &id)?
                .ok_or_else(|| ApiError::NotFound(format!("government body {id}")))
        })
        .await?;
    respond(card)
}

/// Formats the strong ETag of a photo from the hex SHA-256 of its data.
fn photo_etag(sha256: &str) -> String {
    format!("\"{sha256}\"")
}

/// Returns whether an `If-None-Match` value names `tag`. The comparison is weak (RFC
/// 9110, 13.1.2), so `W/"x"` names `"x"`.
fn none_match_names(value: &str, tag: &str) -> bool {
    value
        .split(',')
        .map(str::trim)
        .any(|listed| listed == "*" || listed.trim_start_matches("W/") == tag)
}

/// Read the photo of a body's officer. Public: no token needed.
///
/// Served with the content type it was uploaded with and an ETag; a request whose
/// `If-None-Match` names that ETag gets 304. 404 when the body is vacant or the officer
/// has no photo.
#[utoipa::path(
    get, path = "/v1/government-bodies/{id}/officer/photo", tag = "officers",
    params(
        ("id" = String, Path, description = "Government body id"),
        ("If-None-Match" = Option<String>, Header, description = "ETag of the photo from the last read")
    ),
    responses(
        (status = 200, description = "The photo", content(("image/jpeg"), ("image/png")), headers(("ETag" = String))),
        (status = 304, description = "The photo has the ETag of `If-None-Match`"),
        (status = 404, body = Problem)
    )
)]
#[get("/v1/government-bodies/{id}/officer/photo")]
pub async fn get_photo(
    service: web::Data<Aggregation>,
    _caller: MaybeCaller,
    request: HttpRequest,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let photo = service
        .db
        .run(move |conn| {
            let current = staffed(conn, &id)?;
            profiles::photo(conn, &current.appointment.id)?.ok_or_else(|| {
                ApiError::NotFound(format!("photo of the officer of government body {id}"))
            })
        })
        .await?;

    let tag = photo_etag(&photo.sha256);
    let unchanged = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| none_match_names(value, &tag));
    let mut response = if unchanged {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, tag))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
    if unchanged {
        return Ok(response.finish());
    }
    Ok(response.content_type(photo.content_type).body(photo.data))
}

/// Upload the photo of a body's officer, replacing the one it had.
///
/// The body's current officer or the ministry. The body is the image itself, a JPEG or
/// PNG of at most 1 MiB (413 above). `Content-Type` must be `image/jpeg` or
/// `image/png` and match the image's signature bytes (415 otherwise). 201 when the
/// officer had no photo, 204 when it was replaced; both carry the photo's ETag. No
/// `If-Match` is needed, because the photo is replaced whole, but a concurrent change of
/// the body that commits first makes the upload fail with 412; send it again.
#[utoipa::path(
    put, path = "/v1/government-bodies/{id}/officer/photo", tag = "officers",
    params(("id" = String, Path, description = "Government body id")),
    request_body(description = "A JPEG or PNG image of at most 1 MiB", content(("image/jpeg"), ("image/png"))),
    responses(
        (status = 201, description = "Stored; the officer had no photo", headers(("Location" = String), ("ETag" = String))),
        (status = 204, description = "Replaced the photo", headers(("ETag" = String))),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 412, body = Problem), (status = 413, body = Problem), (status = 415, body = Problem)
    ),
    security(("bearer" = []))
)]
#[put("/v1/government-bodies/{id}/officer/photo")]
pub async fn put_photo(
    service: web::Data<Aggregation>,
    caller: Caller,
    request: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    require_editor(&caller, &id)?;
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok());
    let format = photo_format(content_type)?;
    let mut payload = payload.into_inner();
    let data = read_body_within(&request, &mut payload, MAX_PHOTO_BYTES).await?;
    check_photo(format, &data)?;
    let sha256: String = Sha256::digest(&data)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    let tag = photo_etag(&sha256);
    let location = format!("/v1/government-bodies/{id}/officer/photo");

    let replaced = service
        .db
        .transaction(move |conn| {
            let current = staffed(conn, &id)?;
            check_officer(&caller, &current.appointment)?;
            count_change(conn, &id, current.card.version)?;
            let appointment_id = &current.appointment.id;
            let now = service_kit::now();
            let replaced = profiles::put_photo(
                conn,
                appointment_id,
                format,
                &data,
                &sha256,
                &caller.subject,
                now,
            )?;
            audit::record(
                conn,
                Change {
                    entity: "government_body",
                    entity_id: &id,
                    action: "officer_photo_uploaded",
                    actor: &caller.subject,
                    government_body: Some(&id),
                    fields: &["photo".to_owned()],
                },
            )?;
            tracing::info!(
                body.id = %id,
                appointment.id = %appointment_id,
                photo.bytes = data.len(),
                "officer photo stored"
            );
            Ok::<_, ApiError>(replaced)
        })
        .await?;

    if replaced {
        Ok(HttpResponse::NoContent()
            .insert_header((header::ETAG, tag))
            .finish())
    } else {
        Ok(HttpResponse::Created()
            .insert_header((header::LOCATION, location))
            .insert_header((header::ETAG, tag))
            .finish())
    }
}

/// Delete the photo of a body's officer.
///
/// The body's current officer or the ministry. 404 when the officer has no photo.
#[utoipa::path(
    delete, path = "/v1/government-bodies/{id}/officer/photo", tag = "officers",
    params(("id" = String, Path, description = "Government body id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)
    ),
    security(("bearer" = []))
)]
#[delete("/v1/government-bodies/{id}/officer/photo")]
pub async fn delete_photo(
    service: web::Data<Aggregation>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    require_editor(&caller, &id)?;

    service
        .db
        .transaction(move |conn| {
            let current = staffed(conn, &id)?;
            check_officer(&caller, &current.appointment)?;
            let appointment_id = &current.appointment.id;
            if !profiles::delete_photo(conn, appointment_id)? {
                return Err(ApiError::NotFound(format!(
                    "photo of the officer of government body {id}"
                )));
            }
            count_change(conn, &id, current.card.version)?;
            audit::record(
                conn,
                Change {
                    entity: "government_body",
                    entity_id: &id,
                    action: "officer_photo_deleted",
                    actor: &caller.subject,
                    government_body: Some(&id),
                    fields: &["photo".to_owned()],
                },
            )?;
            tracing::info!(body.id = %id, appointment.id = %appointment_id, "officer photo deleted");
            Ok::<_, ApiError>(())
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn none_match_compares_weakly() {
        let tag = "\"ab12\"";

        assert!(none_match_names("\"ab12\"", tag));
        assert!(none_match_names("W/\"ab12\"", tag));
        assert!(none_match_names("\"x\", \"ab12\"", tag));
        assert!(none_match_names("*", tag));
        assert!(!none_match_names("\"ab1\"", tag));
    }
}
