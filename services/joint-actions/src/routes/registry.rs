//! NPO lookups in the registry over REST.

use serde::Deserialize;
use service_kit::{ApiError, ServiceContext};

/// Name of the registry service among the peers.
pub const REGISTRY: &str = "registry";

/// An NPO as the registry's public card shows it.
#[derive(Debug, Clone, Deserialize)]
pub struct RegisteredNpo {
    pub id: String,
    #[serde(default)]
    pub bin: Option<String>,
    pub name_ru: Option<String>,
    pub name_kk: Option<String>,
    pub status: String,
}

impl RegisteredNpo {
    /// Returns the Russian name, or the Kazakh one, or the id.
    pub fn display_name(&self) -> String {
        self.name_ru
            .clone()
            .or_else(|| self.name_kk.clone())
            .unwrap_or_else(|| self.id.clone())
    }
}

/// Reads the NPO with registry id `id`, failing with 422 at `pointer` when the registry
/// does not have it or it is liquidated. A merged id resolves to the NPO it was merged
/// into.
pub async fn npo(
    context: &ServiceContext,
    id: &str,
    pointer: &str,
) -> Result<RegisteredNpo, ApiError> {
    let valid_id = !id.is_empty()
        && id.len() <= 64
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !valid_id {
        return Err(ApiError::field(
            pointer,
            format!("'{id}' is not a registry id"),
        ));
    }
    let found: Option<RegisteredNpo> = context
        .peer(REGISTRY)?
        .get_json(&format!("/v1/npos/{id}"), &[])
        .await?;
    let npo =
        found.ok_or_else(|| ApiError::field(pointer, format!("no NPO {id} is in the registry")))?;
    if npo.status == common_models::NpoStatus::Liquidated.to_string() {
        return Err(ApiError::field(
            pointer,
            format!("NPO {id} is liquidated in the registry"),
        ));
    }
    Ok(npo)
}

#[derive(Debug, Deserialize)]
struct Territory {
    code: String,
}

/// Checks that a KATO code is in the registry's classifier, failing with 422 at
/// `pointer` when it is not.
pub async fn check_territory(
    context: &ServiceContext,
    code: &common_models::KatoCode,
    pointer: &str,
) -> Result<(), ApiError> {
    let found: Option<Territory> = context
        .peer(REGISTRY)?
        .get_json(&format!("/v1/territories/{code}"), &[])
        .await?;
    match found {
        Some(territory) if territory.code == code.as_str() => Ok(()),
        _ => Err(ApiError::field(
            pointer,
            format!("{code} is not in the KATO classifier"),
        )),
    }
}
