//! The ministry's service. It keeps the register of government bodies and their
//! liaison officers with their public profiles, the competence map and the express
//! information requests, and the national schedule of meetings of the bodies' heads
//! with NPOs. From every other service's events it builds read models, and from those
//! the officers' annual reports, the national dashboard's analytics and the NPOs each
//! meeting invites. It serves a reference dashboard of those analytics at `/dashboard/`.

pub mod domain;
pub mod readmodel;
pub mod routes;
pub mod schema;
pub mod snapshot;
pub mod store;

use actix_web::web;
use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use service_kit::{MigrationSet, ServiceContext, ServiceDef};
use utoipa::OpenApi;

use routes::{Aggregation, bodies, competence, officers, readmodels, registry, reports};
use routes::{head_meetings, information_requests, profiles};

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
    on_start: check_settings,
    consumers: readmodel::consumers,
    background: |_, _| Vec::new(),
    access: routes::access::ACCESS,
    peers: &[registry::REGISTRY],
    optional_peers: &["needs", "joint-actions", "recommendations"],
};

/// The aggregation service's OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Ministry: bodies, officers, annual reports and analytics",
        description = "The service of the Ministry of Information and Social Development of Kazakhstan: the register of government bodies (level, territory, spheres), the appointment, replacement and dismissal of each body's liaison officer with the officers' public profiles, the vacant bodies, the competence map that names the body competent for a sphere and territory, express information requests to officers, the national schedule of meetings of the bodies' heads with NPOs, read models built from every service's events, the officers' annual reports (appendix 4 of the regulation) and the analytics of the national dashboard."
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
        reports::open_report,
        reports::list_reports,
        reports::get_report,
        reports::save_narrative,
        reports::submit_report,
        reports::review_report,
        reports::list_versions,
        reports::get_version,
        reports::export_report,
        reports::timeliness,
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
        head_meetings::create_meeting,
        head_meetings::list_meetings,
        head_meetings::get_meeting,
        head_meetings::update_meeting,
        head_meetings::cancel_meeting,
        head_meetings::record_outcome,
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
        snapshots: snapshot::Snapshots::of(context),
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
    .service(readmodels::read_digest)
    .service(reports::open_report)
    .service(reports::list_reports)
    .service(reports::get_report)
    .service(reports::save_narrative)
    .service(reports::submit_report)
    .service(reports::review_report)
    .service(reports::list_versions)
    .service(reports::get_version)
    .service(reports::export_report)
    .service(reports::timeliness);
    cfg.service(profiles::get_profile)
        .service(profiles::update_profile)
        .service(profiles::get_photo)
        .service(profiles::put_photo)
        .service(profiles::delete_photo)
        .service(information_requests::create_request)
        .service(information_requests::list_requests)
        .service(information_requests::get_request)
        .service(information_requests::answer_request)
        .service(information_requests::list_answers)
        .service(head_meetings::create_meeting)
        .service(head_meetings::list_meetings)
        .service(head_meetings::get_meeting)
        .service(head_meetings::update_meeting)
        .service(head_meetings::cancel_meeting)
        .service(head_meetings::record_outcome);
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
    cfg.service(routes::dashboard::dashboard_root)
        .service(routes::dashboard::dashboard_file);
}

/// Checks the settings of the annual report deadline and the compliance monitor, so the
/// service does not start with invalid ones, and logs the vacancy term.
fn check_settings(context: &ServiceContext) -> anyhow::Result<()> {
    domain::reports::due_day(&context.settings)?;
    let settings = domain::compliance::ComplianceSettings::from_settings(&context.settings)?;
    tracing::info!(
        vacancy_days = settings.vacancy_days,
        "compliance monitor finds bodies vacant for longer than the vacancy term"
    );
    Ok(())
}
