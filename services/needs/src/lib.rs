//! Needs assessments of government bodies: the assessment and its analysis report,
//! the activities held, the identified priorities and their ranking, proposals for
//! joint action, NPO proposals, and the schedule of assessments due.

pub mod domain;
pub mod routes;
pub mod schema;
pub mod store;

use actix_web::web;
use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use service_kit::{MigrationSet, ServiceContext, ServiceDef};
use utoipa::OpenApi;

use routes::{Needs, activities, assessments, priorities, proposals, registry, schedule};

const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// The needs service as the binary runs it.
pub const SERVICE: ServiceDef = ServiceDef {
    name: "needs",
    migrations: MigrationSet {
        name: "needs",
        postgres: &POSTGRES,
        sqlite: &SQLITE,
    },
    openapi,
    configure,
    on_start: |_| Ok(()),
    consumers: |_| Vec::new(),
    background: |context, stop| {
        vec![Box::pin(schedule::run_overdue_checks(
            context.clone(),
            stop,
        ))]
    },
    access: routes::access::ACCESS,
    peers: &[registry::REGISTRY],
    optional_peers: &[],
};

/// The needs service's OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Needs assessments",
        description = "Assessments of society's needs by the liaison officers of government bodies of Kazakhstan: the analysis report, the activities held, the identified priorities and their ranking, proposals for joint action, NPO proposals and the schedule of assessments due every two years."
    ),
    paths(
        assessments::create_assessment,
        assessments::list_assessments,
        assessments::get_assessment,
        assessments::update_assessment,
        assessments::change_status,
        activities::create_activity,
        activities::list_activities,
        priorities::create_priority,
        priorities::list_priorities,
        priorities::get_priority,
        priorities::delete_priority,
        priorities::export_assessment_csv,
        priorities::export_assessment_xlsx,
        priorities::ranked_priorities,
        priorities::export_ranked_csv,
        priorities::export_ranked_xlsx,
        proposals::create_joint_proposal,
        proposals::list_joint_proposals,
        proposals::approve_joint_proposal,
        proposals::create_npo_proposal,
        proposals::list_npo_proposals,
        schedule::due_assessments,
    )
)]
struct NeedsApi;

fn openapi() -> utoipa::openapi::OpenApi {
    NeedsApi::openapi()
}

fn configure(cfg: &mut web::ServiceConfig, context: &ServiceContext) {
    cfg.app_data(web::Data::new(Needs(context.clone())))
        .service(assessments::create_assessment)
        .service(assessments::list_assessments)
        .service(assessments::get_assessment)
        .service(assessments::update_assessment)
        .service(assessments::change_status)
        .service(activities::create_activity)
        .service(activities::list_activities)
        .service(priorities::export_assessment_csv)
        .service(priorities::export_assessment_xlsx)
        .service(priorities::create_priority)
        .service(priorities::list_priorities)
        .service(priorities::get_priority)
        .service(priorities::delete_priority)
        .service(priorities::export_ranked_csv)
        .service(priorities::export_ranked_xlsx)
        .service(priorities::ranked_priorities)
        .service(proposals::create_joint_proposal)
        .service(proposals::list_joint_proposals)
        .service(proposals::approve_joint_proposal)
        .service(proposals::create_npo_proposal)
        .service(proposals::list_npo_proposals)
        .service(schedule::due_assessments);
}
