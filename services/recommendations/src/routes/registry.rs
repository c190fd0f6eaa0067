//! NPO lookups in the registry over REST.

use common_models::{Bin, KatoCode, NpoStatus};
use serde::Deserialize;
use service_kit::pagination::Page;
use service_kit::{ApiError, ServiceContext};

/// Name of the registry service among the peers.
pub const REGISTRY: &str = "registry";

/// An NPO as the registry's public card shows it.
#[derive(Debug, Clone, Deserialize)]
pub struct RegisteredNpo {
    pub id: String,
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

    fn check_active(self, pointer: &str) -> Result<Self, ApiError> {
        if self.status == NpoStatus::Liquidated.to_string() {
            return Err(ApiError::field(
                pointer,
                format!("NPO {} is liquidated in the registry", self.id),
            ));
        }
        Ok(self)
    }
}

/// Finds the NPO with `bin`, failing with 422 at `#/token/bin` when the registry does
/// not have it or it is liquidated.
pub async fn npo_by_bin(context: &ServiceContext, bin: &Bin) -> Result<RegisteredNpo, ApiError> {
    let bin_text = bin.to_string();
    let page: Option<Page<RegisteredNpo>> = context
        .peer(REGISTRY)?
        .get_json("/v1/npos", &[("bin", bin_text.as_str()), ("limit", "1")])
        .await?;
    page.and_then(|page| page.items.into_iter().next())
        .ok_or_else(|| {
            ApiError::field(
                "#/token/bin",
                format!(
                    "no NPO with BIN {bin_text} is in the registry; an officer registers it first"
                ),
            )
        })?
        .check_active("#/token/bin")
}

/// Reads the NPO with registry id `id`, failing with 422 at `pointer` when the registry
/// does not have it or it is liquidated.
pub async fn npo_by_id(
    context: &ServiceContext,
    id: &str,
    pointer: &str,
) -> Result<RegisteredNpo, ApiError> {
    let valid = !id.is_empty()
        && id.len() <= 64
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !valid {
        return Err(ApiError::field(
            pointer,
            format!("'{id}' is not a registry id"),
        ));
    }
    let found: Option<RegisteredNpo> = context
        .peer(REGISTRY)?
        .get_json(&format!("/v1/npos/{id}"), &[])
        .await?;
    found
        .ok_or_else(|| ApiError::field(pointer, format!("no NPO {id} is in the registry")))?
        .check_active(pointer)
}

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
