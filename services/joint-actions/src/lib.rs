//! Joint planning and joint actions of government bodies with NPOs: working groups and
//! their meetings, consultative bodies, versioned joint work plans, joint actions with
//! their parties and steps, and the monitoring and evaluation of each action.

pub mod domain;
pub mod routes;
pub mod schema;
pub mod store;

use actix_web::web;
use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use service_kit::{MigrationSet, ServiceContext, ServiceDef};
use utoipa::OpenApi;

use routes::{JointActions, actions, groups, memoranda, monitoring, parties, plans, registry};

const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// The joint-actions service as the binary runs it.
pub const SERVICE: ServiceDef = ServiceDef {
    name: "joint-actions",
    migrations: MigrationSet {
        name: "joint-actions",
        postgres: &POSTGRES,
        sqlite: &SQLITE,
    },
    openapi,
    configure,
    on_start: |_| Ok(()),
    consumers: |_| Vec::new(),
    background: |context, stop| {
        vec![Box::pin(memoranda::run_expiry_sweeps(
            context.clone(),
            stop,
        ))]
    },
    access: routes::access::ACCESS,
    peers: &[registry::REGISTRY],
    optional_peers: &[],
};

/// The joint-actions service's OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Joint planning and joint actions",
        description = "Cross-sector working groups, consultative bodies and versioned joint work plans of the government bodies of Kazakhstan, and their joint actions with NPOs: parties with zones of responsibility, steps, monitoring and evaluation, and memoranda of cooperation with NPOs with their term, signing, termination and expiry."
    ),
    paths(
        actions::create_action,
        actions::list_actions,
        actions::get_action,
        actions::update_action,
        actions::change_status,
        actions::evaluate_action,
        parties::add_party,
        parties::update_party,
        parties::add_step,
        parties::remove_party,
        parties::remove_step,
        monitoring::add_row,
        monitoring::record_measurement,
        monitoring::monitoring_report,
        monitoring::export_plan_csv,
        monitoring::export_plan_xlsx,
        monitoring::overdue_measurements,
        groups::create_group,
        groups::list_groups,
        groups::get_group,
        groups::add_report,
        groups::add_meeting,
        groups::list_meetings,
        groups::create_consultative,
        groups::list_consultative,
        groups::get_consultative,
        groups::add_progress,
        plans::create_plan,
        plans::list_plans,
        plans::get_plan,
        plans::replace_rows,
        plans::approve_plan,
        plans::list_versions,
        plans::plan_changes,
        plans::export_plan_csv,
        plans::export_plan_xlsx,
        memoranda::create_memorandum,
        memoranda::list_memoranda,
        memoranda::expiring_memoranda,
        memoranda::get_memorandum,
        memoranda::update_memorandum,
        memoranda::sign_memorandum,
        memoranda::terminate_memorandum,
        memoranda::link_action,
        memoranda::unlink_action,
    )
)]
struct JointActionsApi;

fn openapi() -> utoipa::openapi::OpenApi {
    JointActionsApi::openapi()
}

fn configure(cfg: &mut web::ServiceConfig, context: &ServiceContext) {
    cfg.app_data(web::Data::new(JointActions(context.clone())))
        .service(actions::create_action)
        .service(actions::list_actions)
        .service(actions::get_action)
        .service(actions::update_action)
        .service(actions::change_status)
        .service(actions::evaluate_action)
        .service(parties::add_party)
        .service(parties::update_party)
        .service(parties::add_step)
        .service(parties::remove_party)
        .service(parties::remove_step)
        .service(monitoring::add_row)
        .service(monitoring::record_measurement)
        .service(monitoring::monitoring_report)
        .service(monitoring::export_plan_csv)
        .service(monitoring::export_plan_xlsx)
        .service(monitoring::overdue_measurements)
        .service(groups::create_group)
        .service(groups::list_groups)
        .service(groups::get_group)
        .service(groups::add_report)
        .service(groups::add_meeting)
        .service(groups::list_meetings)
        .service(groups::create_consultative)
        .service(groups::list_consultative)
        .service(groups::get_consultative)
        .service(groups::add_progress)
        .service(plans::create_plan)
        .service(plans::list_plans)
        .service(plans::get_plan)
        .service(plans::replace_rows)
        .service(plans::approve_plan)
        .service(plans::list_versions)
        .service(plans::plan_changes)
        .service(plans::export_plan_csv)
        .service(plans::export_plan_xlsx)
        // The expiring list is registered before `/v1/memoranda/{id}`, which would
        // otherwise take `expiring` for an id.
        .service(memoranda::expiring_memoranda)
        .service(memoranda::create_memorandum)
        .service(memoranda::list_memoranda)
        .service(memoranda::get_memorandum)
        .service(memoranda::update_memorandum)
        .service(memoranda::sign_memorandum)
        .service(memoranda::terminate_memorandum)
        .service(memoranda::link_action)
        .service(memoranda::unlink_action);
}
