//! `/v1/competence-map`: which government body is competent for a sphere and a
//! territory, and `/v1/officer-positions`: the positions an officer may hold per level.
//! Both are public.

use actix_web::{HttpResponse, get, web};
use common_models::{KatoCode, Sphere};
use serde::Deserialize;
use service_kit::extract::ValidQuery;
use service_kit::problem::Problem;
use service_kit::{ApiError, ApiResult, MaybeCaller};
use utoipa::IntoParams;

use super::Aggregation;
use crate::domain::bodies::{CompetentBody, choose_competent};
use crate::domain::positions::{self, LevelPositions};
use crate::domain::{Errors, parse_code};
use crate::store::bodies as store;

/// The sphere and territory of a competence lookup.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CompetenceQuery {
    /// Sphere of the matter.
    #[param(value_type = Sphere, required = true)]
    pub sphere: Option<String>,
    /// KATO code of the matter's territory. Without it only central bodies match.
    #[param(value_type = Option<KatoCode>)]
    pub territory: Option<String>,
}

impl CompetenceQuery {
    fn parse(&self) -> Result<(Sphere, Option<KatoCode>), ApiError> {
        let mut errors = Errors::default();
        let sphere = match self.sphere.as_deref() {
            Some(raw) => errors.check("#/query/sphere", parse_code::<Sphere>(raw)),
            None => {
                errors.add("#/query/sphere", "is required");
                None
            }
        };
        let territory = self
            .territory
            .as_deref()
            .and_then(|raw| errors.check("#/query/territory", KatoCode::parse(raw)));
        errors.into_result()?;
        let sphere = sphere.ok_or_else(|| {
            ApiError::internal(anyhow::anyhow!(
                "a competence query passed its checks without a sphere"
            ))
        })?;
        Ok((sphere, territory))
    }
}

/// Find the government body competent for a sphere and territory.
///
/// Among the bodies competent in the sphere, the answer is the one whose territory
/// contains the given territory most narrowly. A central body matches any territory, so
/// it is the fallback. Among equally narrow bodies the one registered first wins.
/// Public: no token needed.
#[utoipa::path(
    get, path = "/v1/competence-map", tag = "competence-map", params(CompetenceQuery),
    responses(
        (status = 200, body = CompetentBody), (status = 404, body = Problem),
        (status = 422, body = Problem)
    )
)]
#[get("/v1/competence-map")]
pub async fn competent_body(
    service: web::Data<Aggregation>,
    _caller: MaybeCaller,
    query: ValidQuery<CompetenceQuery>,
) -> ApiResult<HttpResponse> {
    let (sphere, territory) = query.parse()?;
    let candidates = service
        .db
        .run(move |conn| store::candidates(conn, sphere).map_err(ApiError::from))
        .await?;
    let described = match &territory {
        Some(code) => format!("competent body for sphere {sphere} in territory {code}"),
        None => format!("central body competent for sphere {sphere}"),
    };
    let found = choose_competent(candidates, territory.as_ref())
        .ok_or_else(|| ApiError::NotFound(described))?;
    Ok(HttpResponse::Ok().json(found))
}

/// List the positions an officer may hold at each level of government body, lowest
/// first, with the minimum of each level. Public: no token needed.
#[utoipa::path(
    get, path = "/v1/officer-positions", tag = "competence-map",
    responses((status = 200, body = Vec<LevelPositions>))
)]
#[get("/v1/officer-positions")]
pub async fn officer_positions() -> HttpResponse {
    HttpResponse::Ok().json(positions::catalogue())
}
