//! The notifier: e-mail to NPOs in Kazakh and Russian. It keeps its own directory of
//! NPO contacts from the registry's events, turns meeting, recommendation, reception
//! and request events into notifications, and sends them over SMTP with retries,
//! a dead-letter list and opt-out.

pub mod delivery;
pub mod domain;
pub mod events;
pub mod routes;
pub mod schema;
pub mod store;

use actix_web::web;
use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use service_kit::app::BackgroundTask;
use service_kit::{MigrationSet, ServiceContext, ServiceDef};
use tokio_util::sync::CancellationToken;
use utoipa::OpenApi;

use domain::opt_out::OptOutKey;
use domain::settings::{Destination, NotifierSettings};
use routes::{Notifier, notifications, opt_outs};

const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// The notifier as the binary runs it.
pub const SERVICE: ServiceDef = ServiceDef {
    name: "notifier",
    migrations: MigrationSet {
        name: "notifier",
        postgres: &POSTGRES,
        sqlite: &SQLITE,
    },
    openapi,
    configure,
    on_start,
    consumers: events::consumers,
    background,
    access: routes::access::ACCESS,
    peers: &[],
    optional_peers: &[],
};

/// The notifier's OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Notifier: e-mail to NPOs",
        description = "E-mail to NPOs in Kazakh and Russian, made from the platform's events: invitations to meetings of a body's head with NPOs and their changes and cancellations, feedback on a recommendation, the day and place of a reception, and requests for recommendations. Each message is sent over SMTP with retries and exponential backoff; one that fails every attempt goes to the dead-letter list, from which the ministry can requeue it. Every message carries an opt-out link."
    ),
    paths(
        notifications::list_notifications,
        notifications::list_dead_letters,
        notifications::retry_notification,
        opt_outs::opt_out,
    )
)]
struct NotifierApi;

fn openapi() -> utoipa::openapi::OpenApi {
    NotifierApi::openapi()
}

fn configure(cfg: &mut web::ServiceConfig, context: &ServiceContext) {
    // The settings and the key were checked and created by `on_start`.
    let settings = NotifierSettings::from_settings(&context.settings)
        .expect("the notifier settings were valid at start");
    let key = OptOutKey::load(settings.opt_out_key.as_deref(), &settings.data_dir)
        .expect("the opt-out key was readable at start");
    cfg.app_data(web::Data::new(Notifier {
        context: context.clone(),
        key,
    }))
    .service(notifications::list_dead_letters)
    .service(notifications::list_notifications)
    .service(notifications::retry_notification)
    .service(opt_outs::opt_out)
    .service(routes::page::opt_out_root)
    .service(routes::page::opt_out_file);
}

/// Checks the settings, creates the opt-out key when none is configured, and logs
/// where mail goes.
fn on_start(context: &ServiceContext) -> anyhow::Result<()> {
    let settings = NotifierSettings::from_settings(&context.settings)?;
    OptOutKey::load(settings.opt_out_key.as_deref(), &settings.data_dir)?;
    delivery::Mailer::new(&settings)?;
    match &settings.destination {
        Destination::Smtp { server, .. } => {
            tracing::info!(smtp.server = %server, "mail goes to the SMTP server {server}");
        }
        Destination::Folder(folder) => {
            tracing::info!(
                mail.folder = %folder.display(),
                "no SMTP server configured (LIAISON_SMTP_URL): mail is written as .eml files to {}",
                folder.display()
            );
        }
    }
    Ok(())
}

fn background(context: &ServiceContext, stop: CancellationToken) -> Vec<BackgroundTask> {
    let settings = NotifierSettings::from_settings(&context.settings)
        .expect("the notifier settings were valid at start");
    let mailer = delivery::Mailer::new(&settings).expect("the mailer was valid at start");
    vec![Box::pin(delivery::run(
        context.db.clone(),
        settings,
        mailer,
        stop,
    ))]
}
