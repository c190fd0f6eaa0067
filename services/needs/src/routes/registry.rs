//! Lookups in the NPO registry over REST: KATO territories and NPOs by BIN.

use common_models::{Bin, KatoCode};
use serde::Deserialize;
use service_kit::pagination::Page;
use service_kit::{ApiError, ServiceContext};

use crate::store::proposals::ProposingNpo;

/// Name of the registry service among the peers.
pub const REGISTRY: &str = "registry";

#[derive(Debug, Deserialize)]
struct Territory {
    name_ru: String,
}

#[derive(Debug, Deserialize)]
struct NpoCard {
    id: String,
    name_ru: Option<String>,
    status: String,
}

/// Returns the Russian name of a KATO territory, or a 422 for `pointer` when the
/// classifier does not have it.
pub async fn territory_name(
    context: &ServiceContext,
    code: &KatoCode,
    pointer: &str,
) -> Result<String, ApiError> {
    let path = format!("/v1/territories/{code}");
    let territory: Option<Territory> = context.peer(REGISTRY)?.get_json(&path, &[]).await?;
    territory
        .map(|t| t.name_ru)
        .ok_or_else(|| ApiError::field(pointer, format!("{code} is not in the KATO classifier")))
}

/// Finds the NPO with `bin` in the registry. A liquidated NPO gets a 422, because it no
/// longer acts.
pub async fn npo_by_bin(
    context: &ServiceContext,
    bin: &Bin,
) -> Result<Option<ProposingNpo>, ApiError> {
    let bin_text = bin.to_string();
    let page: Option<Page<NpoCard>> = context
        .peer(REGISTRY)?
        .get_json("/v1/npos", &[("bin", bin_text.as_str()), ("limit", "1")])
        .await?;
    let card = page.and_then(|page| page.items.into_iter().next());
    if let Some(card) = &card
        && card.status == common_models::NpoStatus::Liquidated.to_string()
    {
        return Err(ApiError::field(
            "#/token/bin",
            format!("the NPO with BIN {bin_text} is liquidated in the registry"),
        ));
    }
    Ok(card.map(|card| ProposingNpo {
        id: card.id,
        bin: bin_text,
        name: card.name_ru,
    }))
}
