//! The competence map of the aggregation service over REST: which government body is
//! competent for a sphere and a territory, and whether a body exists.
//!
//! Every lookup of the service goes through [`CompetenceMap`]. It reads two public
//! routes of the aggregation service, without a token:
//!
//! - `GET /v1/competence-map?sphere=<code>&territory=<KATO code>` returns the competent
//!   body as `{"government_body": "<id>", "name_ru": …, "name_kk": …}`, or 404 when no
//!   body is competent; `territory` is left out for a recommendation without one;
//! - `GET /v1/government-bodies/<id>` returns the body's card, or 404.

use common_models::{Catalogue, KatoCode, Sphere};
use serde::Deserialize;
use service_kit::{ApiError, ServiceContext};

/// Name of the aggregation service among the peers.
pub const AGGREGATION: &str = "aggregation";

/// The competent body for a sphere and territory, as the competence map returns it.
#[derive(Debug, Clone, Deserialize)]
pub struct CompetentBody {
    pub government_body: String,
}

#[derive(Debug, Deserialize)]
struct BodyCard {
    id: String,
}

/// Client of the competence map.
#[derive(Debug, Clone, Copy)]
pub struct CompetenceMap<'a> {
    context: &'a ServiceContext,
}

impl<'a> CompetenceMap<'a> {
    /// Returns the client of the service's aggregation peer.
    pub fn of(context: &'a ServiceContext) -> Self {
        Self { context }
    }

    /// Returns the body competent for `sphere` in `territory`, or `None` when the map
    /// has none. 503 when the aggregation service is not configured or not reachable.
    pub async fn competent_body(
        &self,
        sphere: Sphere,
        territory: Option<&KatoCode>,
    ) -> Result<Option<String>, ApiError> {
        let mut query = vec![("sphere", sphere.code())];
        if let Some(territory) = territory {
            query.push(("territory", territory.as_str()));
        }
        let found: Option<CompetentBody> = self
            .context
            .peer(AGGREGATION)?
            .get_json("/v1/competence-map", &query)
            .await?;
        match found {
            Some(body) if is_body_id(&body.government_body) => Ok(Some(body.government_body)),
            Some(_) => Err(ApiError::dependency(
                AGGREGATION,
                "the competence map of the aggregation service returned an invalid government body id",
            )),
            None => Ok(None),
        }
    }

    /// Checks that the ministry's register contains body `id`, which a caller named at
    /// `pointer`; 422 when it does not. Without a configured aggregation service the
    /// name is taken as given.
    pub async fn check_named_body(&self, id: &str, pointer: &str) -> Result<(), ApiError> {
        // NOTE: until the aggregation service is configured, a body named by an NPO is
        // not checked, so a misspelt body receives items no officer reads.
        if self.context.peer(AGGREGATION).is_err() {
            return Ok(());
        }
        if self.has_body(id).await? {
            Ok(())
        } else {
            Err(ApiError::field(
                pointer,
                format!("the ministry's register has no government body '{id}'"),
            ))
        }
    }

    /// Returns whether the aggregation service's register contains body `id`.
    pub async fn has_body(&self, id: &str) -> Result<bool, ApiError> {
        if !is_body_id(id) {
            return Ok(false);
        }
        let card: Option<BodyCard> = self
            .context
            .peer(AGGREGATION)?
            .get_json(&format!("/v1/government-bodies/{id}"), &[])
            .await?;
        Ok(card.is_some_and(|card| card.id == id))
    }
}

/// Returns whether `id` has the form of a government body id: 1 to 200 letters, digits,
/// `-` and `_`, so it is safe in a URL path.
fn is_body_id(id: &str) -> bool {
    !id.is_empty()
        && id.chars().count() <= 200
        && id
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_'))
}
