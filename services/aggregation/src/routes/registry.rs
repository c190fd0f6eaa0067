//! Territory lookups in the registry's KATO classifier over REST.

use common_models::KatoCode;
use serde::Deserialize;
use service_kit::{ApiError, ServiceContext};

/// Name of the registry service among the peers.
pub const REGISTRY: &str = "registry";

#[derive(Debug, Deserialize)]
struct Territory {
    code: String,
}

/// Checks that the KATO classifier of the registry has `code`, failing with 422 at
/// `pointer` when it does not.
pub async fn check_territory(
    context: &ServiceContext,
    code: &KatoCode,
    pointer: &str,
) -> Result<(), ApiError> {
    let path = format!("/v1/territories/{code}");
    let territory: Option<Territory> = context.peer(REGISTRY)?.get_json(&path, &[]).await?;
    match territory {
        Some(territory) if territory.code == code.as_str() => Ok(()),
        _ => Err(ApiError::field(
            pointer,
            format!("{code} is not in the KATO classifier"),
        )),
    }
}
