//! The ministry's register of government bodies and their liaison officers. It stores
//! each body's level, territory and spheres, and the appointment, replacement and
//! dismissal of its officer with the history of appointments. It lists the vacant
//! bodies, and its competence map names the body competent for a sphere and territory.

pub mod domain;
pub mod readmodel;
pub mod routes;
pub mod schema;
pub mod store;

use actix_web::web;
use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use service_kit::{MigrationSet, ServiceContext, ServiceDef};
use utoipa::OpenApi;

use routes::{Aggregation, bodies, competence, officers, readmodels, registry};

const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// The aggregation service as the binary runs it.
pub const SERVICE: ServiceDef = ServiceDef {
    name: "aggregation",
    migrations: MigrationSet {
        name: "aggregation",
        postgres: &POSTGRES,
        sqlite: &SQLITE,
    },
    openapi,
    configure,
    on_start: check_compliance_settings,
    consumers: readmodel::consumers,
    background: |_, _| Vec::new(),
    peers: &[registry::REGISTRY],
    optional_peers: &["needs", "joint-actions", "recommendations"],
};

/// The aggregation service's OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Government bodies and officers",
        description = "The register of government bodies of Kazakhstan that the Ministry of Information and Social Development keeps: their level, territory and spheres, the appointment, replacement and dismissal of each body's liaison officer with the officers' public profiles, the vacant bodies, and the competence map that names the body competent for a sphere and territory."
    ),
    paths(
        bodies::create_body,
        bodies::list_bodies,
        bodies::get_body,
        officers::appoint,
        officers::replace,
        officers::dismiss,
        officers::officer_history,
        officers::list_vacancies,
        competence::competent_body,
        competence::officer_positions,
        readmodels::rebuild,
        readmodels::read_digest,
        routes::analytics::npos,
        routes::analytics::priorities,
        routes::analytics::joint_actions,
        routes::analytics::recommendations,
        routes::compliance::count_findings,
        routes::compliance::list_findings,
    )
)]
struct AggregationApi;

fn openapi() -> utoipa::openapi::OpenApi {
    AggregationApi::openapi()
}

fn configure(cfg: &mut web::ServiceConfig, context: &ServiceContext) {
    cfg.app_data(web::Data::new(Aggregation {
        context: context.clone(),
    }))
    .service(bodies::create_body)
    .service(bodies::list_bodies)
    .service(bodies::get_body)
    .service(officers::appoint)
    .service(officers::replace)
    .service(officers::dismiss)
    .service(officers::officer_history)
    .service(officers::list_vacancies)
    .service(competence::competent_body)
    .service(competence::officer_positions)
    .service(readmodels::rebuild)
    .service(readmodels::read_digest);
    // The settings were checked when the service started.
    let compliance_settings =
        domain::compliance::ComplianceSettings::from_settings(&context.settings)
            .expect("the compliance settings were valid at start");
    cfg.app_data(web::Data::new(compliance_settings))
        .service(routes::analytics::npos)
        .service(routes::analytics::priorities)
        .service(routes::analytics::joint_actions)
        .service(routes::analytics::recommendations)
        .service(routes::compliance::count_findings)
        .service(routes::compliance::list_findings);
}

/// Checks the compliance settings, so the service does not start with invalid ones, and
/// logs the vacancy term.
fn check_compliance_settings(context: &ServiceContext) -> anyhow::Result<()> {
    let settings = domain::compliance::ComplianceSettings::from_settings(&context.settings)?;
    tracing::info!(
        vacancy_days = settings.vacancy_days,
        "compliance monitor finds bodies vacant for longer than the vacancy term"
    );
    Ok(())
}
