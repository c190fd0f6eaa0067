//! The NPO registry: organisations and their projects, the yearly collection
//! campaigns of government bodies, catalogues and the KATO territories.

pub mod domain;
pub mod ingest;
pub mod routes;
pub mod schema;
pub mod store;

use actix_web::web;
use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use service_kit::{MigrationSet, ServiceContext, ServiceDef};
use utoipa::OpenApi;

pub use store::territories;

use routes::{
    Registry, campaigns, catalogues, imports, merges, npos, open_data, projects, search,
    territories as territory_routes,
};

const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// The registry as the binary runs it.
pub const SERVICE: ServiceDef = ServiceDef {
    name: "registry",
    migrations: MigrationSet {
        name: "registry",
        postgres: &POSTGRES,
        sqlite: &SQLITE,
    },
    openapi,
    configure,
    on_start,
    consumers: |_| Vec::new(),
    background: |context, stop| vec![Box::pin(ingest::jobs::run_pending(context.clone(), stop))],
    access: routes::access::ACCESS,
    peers: &[],
    optional_peers: &[],
};

/// The registry's OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "NPO registry",
        description = "Registry of non-governmental organisations kept by the liaison officers of government bodies of Kazakhstan: NPOs, their projects, yearly collection campaigns, catalogues and KATO territories."
    ),
    paths(
        npos::create_npo,
        npos::list_npos,
        npos::get_npo,
        npos::update_npo,
        npos::npo_history,
        merges::list_duplicates,
        merges::merge_npos,
        imports::submit_import,
        imports::get_import,
        imports::import_rows,
        search::npo_facets,
        open_data::export_npos_csv,
        open_data::export_npos_json,
        projects::create_project,
        projects::list_projects,
        projects::get_project,
        campaigns::create_campaign,
        campaigns::list_campaigns,
        campaigns::window_check,
        campaigns::get_campaign,
        territory_routes::search_territories,
        territory_routes::get_territory,
        territory_routes::territory_children,
        territory_routes::territory_path,
        catalogues::list_catalogues,
        catalogues::get_catalogue,
    ),
    // Referenced only as the type of the `sort` parameter, which utoipa does not collect.
    components(schemas(search::NpoSortCode))
)]
struct RegistryApi;

fn openapi() -> utoipa::openapi::OpenApi {
    RegistryApi::openapi()
}

fn configure(cfg: &mut web::ServiceConfig, context: &ServiceContext) {
    cfg.app_data(web::Data::new(Registry(context.clone())))
        .service(npos::create_npo)
        .service(npos::list_npos)
        .service(npos::npo_history)
        .service(npos::get_npo)
        .service(npos::update_npo)
        .service(merges::list_duplicates)
        .service(merges::merge_npos)
        .service(imports::submit_import)
        .service(imports::import_rows)
        .service(imports::get_import)
        .service(search::npo_facets)
        .service(open_data::export_npos_csv)
        .service(open_data::export_npos_json)
        .service(projects::create_project)
        .service(projects::list_projects)
        .service(projects::get_project)
        .service(campaigns::window_check)
        .service(campaigns::create_campaign)
        .service(campaigns::list_campaigns)
        .service(campaigns::get_campaign)
        .service(territory_routes::search_territories)
        .service(territory_routes::territory_children)
        .service(territory_routes::territory_path)
        .service(territory_routes::get_territory)
        .service(catalogues::list_catalogues)
        .service(catalogues::get_catalogue);
}

/// Checks `LIAISON_BATCH_ROWS`, fills the name collation keys of NPOs stored before
/// they existed, and loads the bundled KATO classifier into an empty territory table.
fn on_start(context: &ServiceContext) -> anyhow::Result<()> {
    ingest::max_rows(&context.settings)?;
    let sorted = context.db.run_blocking(store::search::backfill_sort_keys)?;
    if sorted > 0 {
        tracing::info!(npos = sorted, "name collation keys filled");
    }
    let loaded = context.db.run_blocking(territories::count)?;
    if loaded > 0 {
        return Ok(());
    }
    let summary = context.db.run_blocking(|conn| {
        territories::import_csv(conn, territories::BUNDLED_KATO)
            .map_err(service_kit::StoreError::Query)
    })?;
    tracing::info!(
        territories = summary.territories,
        repaired = summary.repaired_names,
        "KATO classifier loaded"
    );
    Ok(())
}
