//! The ministry's register of government bodies and their liaison officers. It stores
//! each body's level, territory and spheres, and the appointment, replacement and
//! dismissal of its officer with the history of appointments. It lists the vacant
//! bodies, and its competence map names the body competent for a sphere and territory.

pub mod domain;
pub mod routes;
pub mod schema;
pub mod store;

use actix_web::web;
use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use service_kit::{MigrationSet, ServiceContext, ServiceDef};
use utoipa::OpenApi;

use routes::{Aggregation, bodies, competence, officers, registry};
use routes::{information_requests, profiles};

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
    on_start: |_| Ok(()),
    consumers: |_| Vec::new(),
    background: |_, _| Vec::new(),
    peers: &[registry::REGISTRY],
    optional_peers: &[],
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
        profiles::get_profile,
        profiles::update_profile,
        profiles::get_photo,
        profiles::put_photo,
        profiles::delete_photo,
        information_requests::create_request,
        information_requests::list_requests,
        information_requests::get_request,
        information_requests::answer_request,
        information_requests::list_answers,
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
    .service(competence::officer_positions);
    cfg.service(profiles::get_profile)
        .service(profiles::update_profile)
        .service(profiles::get_photo)
        .service(profiles::put_photo)
        .service(profiles::delete_photo)
        .service(information_requests::create_request)
        .service(information_requests::list_requests)
        .service(information_requests::get_request)
        .service(information_requests::answer_request)
        .service(information_requests::list_answers);
}
