//! Recommendations of NPOs to government bodies, accepted into work on arrival and
//! closed only after feedback to their authors, with clarifications. Also requests of
//! NPO representatives to be received by the officer, requests for information between
//! officers, the register of experts and expert groups, expert and consultation
//! support, officers' requests for recommendations of NPOs, and the correspondence
//! register of each body.

pub mod domain;
pub mod handover;
pub mod routes;
pub mod schema;
pub mod store;

use std::sync::Arc;

use actix_web::web;
use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use service_kit::{MigrationSet, ServiceContext, ServiceDef};
use utoipa::OpenApi;

use domain::deadlines::StageDeadlines;
use routes::{
    Recommendations, calls, competence, correspondence, exchanges, experts, receptions,
    recommendations, registry,
};

const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// The recommendations service as the binary runs it.
pub const SERVICE: ServiceDef = ServiceDef {
    name: "recommendations",
    migrations: MigrationSet {
        name: "recommendations",
        postgres: &POSTGRES,
        sqlite: &SQLITE,
    },
    openapi,
    configure,
    on_start: log_deadlines,
    consumers: handover::consumers,
    background: |_, _| Vec::new(),
    access: routes::access::ACCESS,
    peers: &[registry::REGISTRY],
    optional_peers: &[competence::AGGREGATION],
};

/// The recommendations service's OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Recommendations and receptions",
        description = "Recommendations of NPOs to the government bodies of Kazakhstan, their routing to the competent body, handling, clarifications and the feedback to their authors, officers' requests for recommendations, requests of NPO representatives to be received by the liaison officer, requests for information between officers, the register of experts and expert groups, expert and consultation support, and the correspondence register of each body."
    ),
    paths(
        recommendations::create_recommendation,
        recommendations::list_recommendations,
        recommendations::overdue_by_body,
        recommendations::get_recommendation,
        recommendations::forward,
        recommendations::decide,
        recommendations::give_feedback,
        recommendations::close,
        recommendations::ask_clarification,
        recommendations::answer_clarification,
        receptions::create_request,
        receptions::appoint,
        receptions::list_requests,
        receptions::get_request,
        exchanges::create_request,
        exchanges::answer_request,
        exchanges::list_requests,
        exchanges::get_request,
        exchanges::create_consultation,
        exchanges::list_consultations,
        experts::create_expert,
        experts::list_experts,
        experts::get_expert,
        experts::create_group,
        experts::list_groups,
        experts::get_group,
        calls::create_recommendation_request,
        calls::list_recommendation_requests,
        calls::get_recommendation_request,
        calls::close_recommendation_request,
        correspondence::create_entry,
        correspondence::list_entries,
        correspondence::overdue_entries,
        correspondence::get_entry,
        correspondence::update_entry,
    )
)]
struct RecommendationsApi;

fn openapi() -> utoipa::openapi::OpenApi {
    RecommendationsApi::openapi()
}

fn configure(cfg: &mut web::ServiceConfig, context: &ServiceContext) {
    // The settings were checked when the service started.
    let deadlines = StageDeadlines::from_settings(&context.settings)
        .expect("the deadline settings were valid at start");
    cfg.app_data(web::Data::new(Recommendations {
        context: context.clone(),
        deadlines: Arc::new(deadlines),
    }))
    .service(recommendations::create_recommendation)
    .service(recommendations::list_recommendations)
    .service(recommendations::overdue_by_body)
    .service(recommendations::get_recommendation)
    .service(recommendations::forward)
    .service(recommendations::decide)
    .service(recommendations::give_feedback)
    .service(recommendations::close)
    .service(recommendations::ask_clarification)
    .service(recommendations::answer_clarification)
    .service(receptions::create_request)
    .service(receptions::appoint)
    .service(receptions::list_requests)
    .service(receptions::get_request)
    .service(exchanges::create_request)
    .service(exchanges::answer_request)
    .service(exchanges::list_requests)
    .service(exchanges::get_request)
    .service(exchanges::create_consultation)
    .service(exchanges::list_consultations)
    .service(experts::create_expert)
    .service(experts::list_experts)
    .service(experts::get_expert)
    .service(experts::create_group)
    .service(experts::list_groups)
    .service(experts::get_group)
    .service(calls::create_recommendation_request)
    .service(calls::list_recommendation_requests)
    .service(calls::get_recommendation_request)
    .service(calls::close_recommendation_request)
    .service(correspondence::create_entry)
    .service(correspondence::list_entries)
    .service(correspondence::overdue_entries)
    .service(correspondence::get_entry)
    .service(correspondence::update_entry);
}

/// Checks the deadline settings, so the service does not start with invalid ones, and
/// logs what the deadlines are counted with.
fn log_deadlines(context: &ServiceContext) -> anyhow::Result<()> {
    let deadlines = StageDeadlines::from_settings(&context.settings)?;
    tracing::info!(
        decision_days = deadlines.decision_days,
        feedback_days = deadlines.feedback_days,
        calendar = context
            .settings
            .option("HOLIDAYS_FILE")
            .unwrap_or("built-in"),
        listed_days_off = deadlines.calendar.listed_days_off(),
        "recommendation deadlines counted in working days"
    );
    Ok(())
}
