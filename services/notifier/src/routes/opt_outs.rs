//! `/v1/opt-outs`: requests to stop all mail from the platform to an address.

use actix_web::{HttpResponse, post, web};
use serde::{Deserialize, Serialize};
use service_kit::audit::{self, Change};
use service_kit::extract::ValidJson;
use service_kit::problem::Problem;
use service_kit::{ApiError, ApiResult, MaybeCaller, Role};
use utoipa::ToSchema;

use super::Notifier;
use crate::domain::opt_out::normalise;
use crate::store::{contacts, opt_outs};

/// Maximum length of a token: an address of 254 characters and its HMAC, encoded.
const MAX_TOKEN_LEN: usize = 512;

/// An opt-out request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OptOutInput {
    /// Token from the opt-out link of a message. Without it, an NPO user opts out the
    /// e-mail address of its own organisation.
    pub token: Option<String>,
}

/// The addresses that receive no more mail after the request.
#[derive(Debug, Serialize, ToSchema)]
pub struct OptOutResult {
    pub addresses: Vec<String>,
}

/// Stop all mail to an address.
///
/// With the token of a message's opt-out link anyone may call it, with or without a
/// token of the platform. An NPO user may instead send no token and opt out its own
/// organisation's address, as the registry gave it. Later notifications to the address
/// are stored as skipped (`opted_out`) and not sent. Asking twice changes nothing.
#[utoipa::path(
    post, path = "/v1/opt-outs", tag = "opt-outs", request_body = OptOutInput,
    responses(
        (status = 200, body = OptOutResult), (status = 400, body = Problem),
        (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)
    )
)]
#[post("/v1/opt-outs")]
pub async fn opt_out(
    service: web::Data<Notifier>,
    caller: MaybeCaller,
    body: ValidJson<OptOutInput>,
) -> ApiResult<HttpResponse> {
    let caller = caller.0;
    let (addresses, source) = match &body.value.token {
        Some(token) => {
            let address = (token.len() <= MAX_TOKEN_LEN)
                .then(|| service.key.verify(token))
                .flatten()
                .ok_or_else(|| {
                    ApiError::field("#/token", "is not an opt-out token of this platform")
                })?;
            (vec![address], "link")
        }
        None => {
            let bin = caller
                .as_ref()
                .filter(|c| c.role == Role::Npo)
                .and_then(|c| c.bin())
                .map(|bin| bin.as_str().to_owned())
                .ok_or_else(|| {
                    ApiError::field(
                        "#/token",
                        "is required unless an NPO user opts out its own organisation",
                    )
                })?;
            let addresses = service
                .db
                .run(move |conn| contacts::emails_of_bin(conn, &bin))
                .await?;
            if addresses.is_empty() {
                return Err(ApiError::NotFound(
                    "e-mail address of the organisation in the notifier's directory".into(),
                ));
            }
            (addresses, "npo")
        }
    };
    let actor = caller
        .as_ref()
        .map_or_else(|| "opt-out-link".to_owned(), |c| c.subject.clone());

    let addresses: Vec<String> = addresses.iter().map(|a| normalise(a)).collect();
    let stored = addresses.clone();
    service
        .db
        .transaction(move |conn| -> Result<(), ApiError> {
            for address in &stored {
                if opt_outs::add(conn, address, source)? {
                    audit::record(
                        conn,
                        Change {
                            entity: "opt_out",
                            entity_id: address,
                            action: "created",
                            actor: &actor,
                            government_body: None,
                            fields: &["address".to_owned(), "source".to_owned()],
                        },
                    )?;
                }
            }
            Ok(())
        })
        .await?;
    tracing::info!(
        opt_out.source = source,
        addresses = addresses.len(),
        "opt-out recorded"
    );
    Ok(HttpResponse::Ok().json(OptOutResult { addresses }))
}
