//! `/v1/catalogues`: enum codes with their Russian, Kazakh and English labels.

use actix_web::{HttpResponse, get, web};
use common_models::{
    ActionStatus, AssessmentActivityForm, AssessmentStatus, CatalogueEntry, FormOfWork,
    InformationSource, InteractionChannel, InteractionForm, LegalForm, MeasurementFrequency,
    NeedsInformationSource, NpoStatus, ParticipantCategory, ProposalStatus, RiskLevel, Sphere,
    TargetGroup, entries,
};
use serde::Serialize;
use service_kit::{ApiError, ApiResult};
use utoipa::ToSchema;

/// Names of the catalogues served, in the order listed.
const NAMES: &[&str] = &[
    "spheres",
    "target-groups",
    "legal-forms",
    "npo-statuses",
    "forms-of-work",
    "information-sources",
    "needs-information-sources",
    "interaction-forms",
    "interaction-channels",
    "assessment-statuses",
    "risk-levels",
    "assessment-activity-forms",
    "participant-categories",
    "proposal-statuses",
    "action-statuses",
    "measurement-frequencies",
];

fn catalogue(name: &str) -> Option<Vec<CatalogueEntry>> {
    Some(match name {
        "spheres" => entries::<Sphere>(),
        "target-groups" => entries::<TargetGroup>(),
        "legal-forms" => entries::<LegalForm>(),
        "npo-statuses" => entries::<NpoStatus>(),
        "forms-of-work" => entries::<FormOfWork>(),
        "information-sources" => entries::<InformationSource>(),
        "needs-information-sources" => entries::<NeedsInformationSource>(),
        "interaction-forms" => entries::<InteractionForm>(),
        "interaction-channels" => entries::<InteractionChannel>(),
        "assessment-statuses" => entries::<AssessmentStatus>(),
        "risk-levels" => entries::<RiskLevel>(),
        "assessment-activity-forms" => entries::<AssessmentActivityForm>(),
        "participant-categories" => entries::<ParticipantCategory>(),
        "proposal-statuses" => entries::<ProposalStatus>(),
        "action-statuses" => entries::<ActionStatus>(),
        "measurement-frequencies" => entries::<MeasurementFrequency>(),
        _ => return None,
    })
}

/// The list of catalogues.
#[derive(Debug, Serialize, ToSchema)]
pub struct CatalogueList {
    pub catalogues: Vec<&'static str>,
}

/// List the catalogues.
#[utoipa::path(get, path = "/v1/catalogues", tag = "catalogues", responses((status = 200, body = CatalogueList)))]
#[get("/v1/catalogues")]
pub async fn list_catalogues() -> HttpResponse {
    HttpResponse::Ok().json(CatalogueList {
        catalogues: NAMES.to_vec(),
    })
}

/// Read one catalogue: every code with its labels.
#[utoipa::path(
    get, path = "/v1/catalogues/{name}", tag = "catalogues",
    params(("name" = String, Path, description = "Catalogue name, such as spheres")),
    responses((status = 200, body = Vec<CatalogueEntry>), (status = 404, body = service_kit::problem::Problem))
)]
#[get("/v1/catalogues/{name}")]
pub async fn get_catalogue(name: web::Path<String>) -> ApiResult<HttpResponse> {
    let entries = catalogue(&name).ok_or_else(|| {
        ApiError::NotFound(format!(
            "catalogue '{name}' (the catalogues are {})",
            NAMES.join(", ")
        ))
    })?;
    Ok(HttpResponse::Ok().json(entries))
}
