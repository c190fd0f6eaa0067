//! Assembling services into one HTTP server: migrations, relays, consumers, health,
//! metrics, the event logs and the OpenAPI documents.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpResponse, HttpServer, web};
use common_models::event::EventEnvelope;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use utoipa::openapi::OpenApi;

use crate::access::{self, AccessRules};
use crate::auth::{Caller, Verifier};
use crate::bus::{self, EventBus, InProcessBus};
use crate::db::{Database, MigrationSet, redact};
use crate::extract::BodyLimit;
use crate::inbox::Consumer;
use crate::outbox::{OutgoingEvent, Relay};
use crate::peer::Peer;
use crate::problem::ApiError;
use crate::settings::Settings;
use crate::{PLATFORM_MIGRATIONS, platform, telemetry};

/// Definition of a service: its routes, migrations, document and consumers.
#[derive(Clone, Copy)]
pub struct ServiceDef {
    /// Short name, used for the database, the queue and the event log route.
    pub name: &'static str,
    pub migrations: MigrationSet,
    /// The service's OpenAPI document.
    pub openapi: fn() -> OpenApi,
    /// Registers the service's routes and its state.
    pub configure: fn(&mut web::ServiceConfig, &ServiceContext),
    /// Work done once after migrations, before the server accepts requests.
    pub on_start: fn(&ServiceContext) -> anyhow::Result<()>,
    /// Event consumers of the service.
    pub consumers: fn(&ServiceContext) -> Vec<Consumer>,
    /// Background loops of the service, such as a job runner. Each one returns when
    /// the token is cancelled.
    pub background: fn(&ServiceContext, CancellationToken) -> Vec<BackgroundTask>,
    /// Access rules of each route of the service's document; see [`crate::access`].
    pub access: &'static [crate::access::Rule],
    /// Services this one calls over REST. Each must run in the same process or have
    /// its address in `LIAISON_SERVICE_URL_<NAME>`.
    pub peers: &'static [&'static str],
    /// Services this one calls when they run in the same process or have an address in
    /// the settings; without either, the routes that need them respond 503.
    pub optional_peers: &'static [&'static str],
}

/// A background loop of a service, started once the server has bound its address.
pub type BackgroundTask = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

impl std::fmt::Debug for ServiceDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceDef")
            .field("name", &self.name)
            .finish()
    }
}

/// A service's handle on its database, its outbox relay and the settings.
#[derive(Debug, Clone)]
pub struct ServiceContext {
    pub name: &'static str,
    pub db: Database,
    pub settings: Arc<Settings>,
    relay_wake: Arc<Notify>,
    /// Clients of the services in `ServiceDef::peers`, set once the server has bound
    /// its address, because a peer in the same process is called on that address.
    peers: Arc<OnceLock<Vec<Peer>>>,
}

impl ServiceContext {
    /// Starts building the events of one request, stamped with the caller and the
    /// request's trace. Call it in the handler, where the trace context is known,
    /// and use the factory inside the database transaction.
    pub fn events_for(&self, caller: Option<&Caller>) -> EventFactory {
        EventFactory {
            service: self.name,
            actor: caller.map(|c| c.subject.clone()),
            government_body: caller.and_then(|c| c.body().map(str::to_owned)),
            traceparent: telemetry::current_traceparent(),
        }
    }

    /// Runs a create in one transaction, once per idempotency key, wakes the relay for
    /// its events, and builds the 201 response (or the stored one, for a replay).
    pub async fn create<F>(
        &self,
        key: crate::extract::IdempotencyKey,
        scope: String,
        body: web::Bytes,
        work: F,
    ) -> Result<HttpResponse, ApiError>
    where
        F: FnOnce(&mut crate::db::AnyConnection) -> Result<crate::idempotency::Created, ApiError>
            + Send
            + 'static,
    {
        let reply = self
            .db
            .transaction(move |conn| {
                crate::idempotency::create_once(conn, &key, &scope, &body, work)
            })
            .await?;
        self.events_committed();
        Ok(reply.into_response())
    }

    /// Starts building events made by `actor` outside a request handler, such as a
    /// background job, continuing the trace `traceparent` of the request behind it.
    pub fn events_as(
        &self,
        actor: &str,
        government_body: Option<&str>,
        traceparent: Option<String>,
    ) -> EventFactory {
        EventFactory {
            service: self.name,
            actor: Some(actor.to_owned()),
            government_body: government_body.map(str::to_owned),
            traceparent,
        }
    }

    /// Tells the relay that new events are committed.
    pub fn events_committed(&self) {
        self.relay_wake.notify_one();
    }

    /// Returns the client of service `name`, which must be one of the service's peers.
    pub fn peer(&self, name: &str) -> Result<&Peer, ApiError> {
        self.peers
            .get()
            .and_then(|peers| peers.iter().find(|peer| peer.name() == name))
            .ok_or_else(|| {
                ApiError::dependency(name, format!(
                    "the {name} service is not configured for {}: set {}SERVICE_URL_{} to its address",
                    self.name,
                    crate::settings::PREFIX,
                    name.to_uppercase().replace('-', "_")
                ))
            })
    }
}

/// Builds the events of one request.
#[derive(Debug, Clone)]
pub struct EventFactory {
    service: &'static str,
    actor: Option<String>,
    government_body: Option<String>,
    traceparent: Option<String>,
}

impl EventFactory {
    /// Builds an event of `event_type` with `payload`, ready for the outbox.
    pub fn event(
        &self,
        event_type: &str,
        payload: impl serde::Serialize,
    ) -> Result<OutgoingEvent, ApiError> {
        let payload = serde_json::to_value(payload).map_err(ApiError::internal)?;
        let envelope = EventEnvelope::new(event_type, 1, self.service, payload)
            .by(self.actor.clone(), self.government_body.clone());
        Ok(OutgoingEvent {
            envelope,
            traceparent: self.traceparent.clone(),
        })
    }
}

/// A running process: its address and how to stop it.
#[derive(Debug)]
pub struct Running {
    pub addr: SocketAddr,
    server: ServerHandle,
    stop: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
    server_task: JoinHandle<std::io::Result<()>>,
    pub contexts: Vec<ServiceContext>,
    pub bus: Arc<dyn EventBus>,
    /// Names of the consumers this process runs.
    pub consumers: Vec<String>,
}

impl Running {
    /// Drains in-flight requests, then stops relays and consumers.
    pub async fn stop(self) {
        self.server.stop(true).await;
        self.stop.cancel();
        for task in self.tasks {
            if let Err(error) = task.await {
                tracing::warn!(error = %error, "background task ended abnormally");
            }
        }
        drop(self.server_task.await);
    }

    /// Waits until the server stops, as on SIGINT or SIGTERM.
    pub async fn wait(self) -> std::io::Result<()> {
        let Self {
            server_task,
            stop,
            tasks,
            ..
        } = self;
        let outcome = server_task.await.map_err(std::io::Error::other)?;
        stop.cancel();
        for task in tasks {
            drop(task.await);
        }
        tracing::info!("stopped");
        outcome
    }
}

/// Opens a service's database and applies its migrations.
pub fn open_database(settings: &Settings, service: &ServiceDef) -> anyhow::Result<Database> {
    let url = settings.database_url_for(service.name);
    let db = Database::connect(&url).map_err(|e| {
        anyhow::anyhow!(
            "cannot open the database of {} at {}: {e}",
            service.name,
            redact(&url)
        )
    })?;
    db.migrate(&[PLATFORM_MIGRATIONS, service.migrations])?;
    Ok(db)
}

/// Opens a service's database, applies its migrations and runs its start-up work.
async fn prepare(settings: &Arc<Settings>, service: &ServiceDef) -> anyhow::Result<ServiceContext> {
    let db = {
        let settings = settings.clone();
        let service = *service;
        tokio::task::spawn_blocking(move || open_database(&settings, &service)).await??
    };
    let context = ServiceContext {
        name: service.name,
        db,
        settings: settings.clone(),
        relay_wake: Arc::new(Notify::new()),
        peers: Arc::new(OnceLock::new()),
    };
    let on_start = service.on_start;
    let starting = context.clone();
    tokio::task::spawn_blocking(move || on_start(&starting)).await??;
    Ok(context)
}

/// Starts `services` in one HTTP server on `settings.listen` (port 0 picks a free one).
pub async fn start(
    settings: Settings,
    services: &[ServiceDef],
    handle_signals: bool,
) -> anyhow::Result<Running> {
    check_peers(&settings, services)?;
    let settings = Arc::new(settings);
    let verifier = web::Data::new(Verifier::from_settings(&settings).await?);
    let bus = bus::open(
        &settings.broker_url,
        &settings.exchange,
        settings.publish_timeout_secs,
    )?;
    let stop = CancellationToken::new();

    let mut contexts = Vec::new();
    for service in services {
        contexts.push(prepare(&settings, service).await?);
    }

    let per_service: Vec<(&'static str, OpenApi)> = services
        .iter()
        .map(|s| (s.name, service_document(s)))
        .collect();
    let access = web::Data::new(AccessRules::build(
        services
            .iter()
            .zip(&per_service)
            .map(|(service, (name, document))| (*name, service.access, document)),
    )?);
    // The documents are served as JSON encoded once, which every worker shares.
    let merged = web::Bytes::from(serde_json::to_vec(&merged_openapi(services))?);
    let per_service: Vec<(&'static str, web::Bytes)> = per_service
        .into_iter()
        .map(|(name, document)| Ok((name, web::Bytes::from(serde_json::to_vec(&document)?))))
        .collect::<serde_json::Result<_>>()?;
    let body_limit = settings.body_limit;
    let rate_limit = crate::ratelimit::RateLimit::from_settings(&settings);
    let app_services: Vec<ServiceDef> = services.to_vec();
    let app_contexts = contexts.clone();
    let databases = platform::Databases {
        services: contexts.iter().map(|c| (c.name, c.db.clone())).collect(),
        bus: bus.clone(),
        consumers: services
            .iter()
            .zip(&contexts)
            .flat_map(|(s, c)| (s.consumers)(c).into_iter().map(|d| (c.name, d.name)))
            .collect(),
    };

    let server = HttpServer::new(move || {
        let mut app = App::new()
            .wrap(from_fn(access::enforce))
            .wrap(rate_limit.clone())
            .wrap(from_fn(platform::reject_control_characters))
            .wrap(from_fn(telemetry::request_span))
            .app_data(verifier.clone())
            .app_data(access.clone())
            .app_data(BodyLimit(body_limit))
            .app_data(
                web::QueryConfig::default()
                    .error_handler(|error, _| platform::query_error(&error).into()),
            )
            .app_data(web::PathConfig::default().error_handler(|error, _| {
                ApiError::NotFound(format!("path parameter ({error})")).into()
            }))
            .app_data(web::Data::new(databases.clone()))
            .service(platform::healthz)
            .service(platform::readyz)
            .service(platform::metrics)
            .service(platform::event_log)
            .service(platform::audit_trail_route());
        for (service, context) in app_services.iter().zip(&app_contexts) {
            app = app.configure(|cfg| (service.configure)(cfg, context));
        }
        for (name, doc) in &per_service {
            app = app.route(&format!("/openapi/{name}.json"), json_document(doc.clone()));
        }
        app.route("/openapi.json", json_document(merged.clone()))
            .route(
                "/docs",
                web::get().to(|| async {
                    HttpResponse::PermanentRedirect()
                        .insert_header(("Location", "/docs/"))
                        .finish()
                }),
            )
            .service(
                utoipa_swagger_ui::SwaggerUi::new("/docs/{_:.*}")
                    // The page must work without internet, so it never calls the public
                    // validator that Swagger UI uses by default.
                    .config(
                        utoipa_swagger_ui::Config::new(["/openapi.json"]).validator_url("none"),
                    ),
            )
            .default_service(web::to(platform::not_found))
    })
    .workers(workers())
    .shutdown_timeout(30);
    let server = if handle_signals {
        server
    } else {
        server.disable_signals()
    };
    let server = server.bind(settings.listen)?;
    // Background work starts once the address is bound, so a second process that
    // cannot bind never relays or consumes.
    let mut tasks = Vec::new();
    let mut consumer_names = Vec::new();
    // The in-process bus loses what it held when the process stopped, so its consumers
    // first apply what they missed from the event logs of the services in this process.
    let catch_up_sources: Vec<(&'static str, Database)> = if bus.kind() == InProcessBus::KIND {
        contexts.iter().map(|c| (c.name, c.db.clone())).collect()
    } else {
        Vec::new()
    };
    // Every consumer's queue exists before any relay publishes, so no event of this
    // process is published to a bus with no queue bound to receive it.
    for (service, context) in services.iter().zip(&contexts) {
        for consumer in (service.consumers)(context) {
            let first = match consumer.subscribe(&bus).await {
                Ok(subscription) => Some(subscription),
                Err(error) => {
                    tracing::warn!(consumer = %consumer.name, error = %error, "subscribe failed; the consumer retries in the background");
                    None
                }
            };
            consumer_names.push(consumer.name.clone());
            let db = context.db.clone();
            let sources = catch_up_sources.clone();
            let bus = bus.clone();
            let stop = stop.clone();
            tasks.push(tokio::spawn(async move {
                if !sources.is_empty() {
                    match consumer.catch_up(&db, &sources, &stop).await {
                        Ok(applied) => tracing::info!(consumer = %consumer.name, applied, "consumer caught up from the event logs"),
                        Err(error) => tracing::warn!(consumer = %consumer.name, error = %error, "catching up from the event logs failed; the next start tries again"),
                    }
                }
                consumer.run(db, bus, stop, first).await;
            }));
        }
    }
    for (service, context) in services.iter().zip(&contexts) {
        for task in (service.background)(context, stop.clone()) {
            tasks.push(tokio::spawn(task));
        }
    }
    for context in &contexts {
        let relay = Relay::new(
            context.name,
            context.db.clone(),
            bus.clone(),
            context.relay_wake.clone(),
        );
        tasks.push(tokio::spawn(relay.run(stop.clone())));
    }
    tasks.push(tokio::spawn(release_freed_memory(stop.clone())));
    let addr = server
        .addrs()
        .first()
        .copied()
        .ok_or_else(|| anyhow::anyhow!("the server bound no address"))?;
    connect_peers(services, &contexts, addr)?;
    let server = server.run();
    let handle = server.handle();
    let server_task = tokio::spawn(server);
    let names: Vec<&str> = services.iter().map(|s| s.name).collect();
    tracing::info!(
        listen = %addr,
        services = names.join(","),
        bus = bus.kind(),
        "listening"
    );
    Ok(Running {
        addr,
        server: handle,
        stop,
        tasks,
        server_task,
        contexts,
        bus,
        consumers: consumer_names,
    })
}

/// Fails when a service calls another that neither runs in this process nor has an
/// address in the settings.
fn check_peers(settings: &Settings, services: &[ServiceDef]) -> anyhow::Result<()> {
    for service in services {
        for peer in service.optional_peers {
            if let Some(url) = settings.service_url(peer) {
                check_service_url(peer, &url)?;
            }
        }
        for peer in service.peers {
            let local = services.iter().any(|s| s.name == *peer);
            if let Some(url) = settings.service_url(peer) {
                check_service_url(peer, &url)?;
            } else if !local {
                anyhow::bail!(
                    "the {} service calls the {peer} service, which this process does not run: \
                     run both, or set {}SERVICE_URL_{} to its address",
                    service.name,
                    crate::settings::PREFIX,
                    peer.to_uppercase().replace('-', "_")
                );
            }
        }
    }
    Ok(())
}

/// Fails unless `url` is an http or https address with a host and nothing after it,
/// because the service's routes are appended to it.
fn check_service_url(service: &str, url: &str) -> anyhow::Result<()> {
    let variable = format!(
        "{}SERVICE_URL_{}",
        crate::settings::PREFIX,
        service.to_uppercase().replace('-', "_")
    );
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| anyhow::anyhow!("invalid setting {variable}={url:?}: {e}"))?;
    let bare = matches!(parsed.scheme(), "http" | "https")
        && parsed.host().is_some()
        && parsed.path() == "/"
        && parsed.query().is_none()
        && parsed.fragment().is_none()
        && parsed.username().is_empty();
    if !bare {
        anyhow::bail!(
            "invalid setting {variable}={url:?}: expected http(s)://host:port with no path, \
             such as http://registry:8080"
        );
    }
    Ok(())
}

/// Gives every service its peer clients: the configured address of a peer, or this
/// process's own address for a peer running here.
fn connect_peers(
    services: &[ServiceDef],
    contexts: &[ServiceContext],
    addr: SocketAddr,
) -> anyhow::Result<()> {
    let mut loopback = addr;
    if loopback.ip().is_unspecified() {
        loopback.set_ip(match addr {
            SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    let local = format!("http://{loopback}");
    for (service, context) in services.iter().zip(contexts) {
        let mut peers = Vec::new();
        for name in service.peers {
            let base = context
                .settings
                .service_url(name)
                .unwrap_or_else(|| local.clone());
            peers.push(Peer::new(name, &base)?);
        }
        for name in service.optional_peers {
            let base = match context.settings.service_url(name) {
                Some(url) => url,
                None if services.iter().any(|s| s.name == *name) => local.clone(),
                None => {
                    tracing::info!(
                        service = service.name,
                        peer = *name,
                        "peer service not configured; the routes that call it answer 503"
                    );
                    continue;
                }
            };
            peers.push(Peer::new(name, &base)?);
        }
        // A context is connected once; a second set would only repeat the same clients.
        drop(context.peers.set(peers));
    }
    Ok(())
}

/// Returns a GET route that sends `document`, an encoded OpenAPI document.
fn json_document(document: web::Bytes) -> actix_web::Route {
    web::get().to(move || {
        let document = document.clone();
        async move {
            HttpResponse::Ok()
                .content_type(actix_web::http::header::ContentType::json())
                .body(document)
        }
    })
}

/// Delay of the first trim after the address is bound: by then start-up's migrations,
/// reference data and documents are freed.
const FIRST_TRIM: Duration = Duration::from_secs(1);
/// Interval of the later trims, which return what bursts of requests left behind.
const TRIM_EVERY: Duration = Duration::from_secs(60);

/// Gives the heap memory that the allocator keeps after it was freed back to the
/// operating system, once start-up is over and then every `TRIM_EVERY`, until `stop`.
async fn release_freed_memory(stop: CancellationToken) {
    let first = tokio::time::Instant::now() + FIRST_TRIM;
    let mut ticks = tokio::time::interval_at(first, TRIM_EVERY);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = ticks.tick() => {
                // A trim walks every heap under its lock, so it runs off the async workers.
                drop(tokio::task::spawn_blocking(heap_trim::release_free_memory).await);
            }
        }
    }
}

fn workers() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get().min(4))
}

/// Builds the OpenAPI document of one service, with the platform routes every service has.
pub fn service_document(service: &ServiceDef) -> OpenApi {
    let mut document = (service.openapi)();
    document.merge(<platform::PlatformApi as utoipa::OpenApi>::openapi());
    utoipa::Modify::modify(&crate::openapi::PlatformConventions, &mut document);
    document
}

/// Merges the documents of `services` into one, as served by `serve all`.
pub fn merged_openapi(services: &[ServiceDef]) -> OpenApi {
    let mut docs = services.iter().map(service_document);
    let mut merged = docs.next().unwrap_or_else(|| {
        OpenApi::new(
            utoipa::openapi::Info::new("liaison", env!("CARGO_PKG_VERSION")),
            utoipa::openapi::Paths::new(),
        )
    });
    for doc in docs {
        merged.merge(doc);
    }
    if services.len() > 1 {
        merged.info.title = "NPO liaison platform".into();
        merged.info.description = Some("All services of the platform on one address.".into());
    }
    merged
}
