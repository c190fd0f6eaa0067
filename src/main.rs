//! The `liaison` binary: runs services of the NPO liaison platform in one HTTP server,
//! runs the gateway in front of services in separate processes, applies migrations,
//! mints development tokens, imports reference data and writes the OpenAPI documents.

mod gateway;

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::str::FromStr;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use common_models::Bin;
use service_kit::auth::{DevelopmentKey, TokenRequest};
use service_kit::db::redact;
use service_kit::{Role, ServiceDef, Settings};

/// Returns every service this binary can run, in start order.
fn services() -> Vec<ServiceDef> {
    vec![
        registry::SERVICE,
        needs::SERVICE,
        joint_actions::SERVICE,
        recommendations::SERVICE,
        aggregation::SERVICE,
        notifier::SERVICE,
    ]
}

const SETTINGS_HELP: &str = "\
Settings come from environment variables, among them:
  LIAISON_LISTEN         address the HTTP server binds [default: 127.0.0.1:8080]
  LIAISON_DATA_DIR       folder for SQLite files and the development key [default: ./data]
  LIAISON_DATABASE_URL   database URL; {service} is replaced by the service name (_ for -)
                         [default: sqlite://<LIAISON_DATA_DIR>/{service}.db]
  LIAISON_BROKER_URL     `memory` for in-process events, or an amqp:// URL [default: memory]
  LIAISON_LOG_FORMAT     `pretty` or `json` [default: pretty]
  LIAISON_RATE_LIMIT     sustained requests per second per caller; 0 turns the limit
                         off [default: 50]
  LIAISON_RATE_BURST     requests a caller may send at once above that rate [default: 200]
  LIAISON_SMTP_URL       SMTP server of the notifier: smtp://host:port, with ?tls=required
                         for STARTTLS, or smtps://host:port; unset, mail is written as
                         .eml files to <LIAISON_DATA_DIR>/mail
  LIAISON_MAIL_FROM      sender of the notifier's mail
                         [default: NPO liaison platform <no-reply@localhost>]
  LIAISON_NOTIFIER_*     retries, opt-out link and key of the notifier; see
                         docs/operations.md
  RUST_LOG               log filter [default: info]";

#[derive(Debug, Parser)]
#[command(name = "liaison", version, about, after_help = SETTINGS_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Runs services in one HTTP server on LIAISON_LISTEN until SIGINT or SIGTERM.
    ///
    /// Each service's migrations are applied before the server accepts requests.
    Serve {
        /// Services to run, or `all` for every service.
        #[arg(value_name = "SERVICE", required = true, value_parser = service_name_parser())]
        services: Vec<String>,
    },
    /// Runs the gateway on LIAISON_LISTEN until SIGINT or SIGTERM: a reverse proxy that
    /// sends each request to the service that serves its path.
    ///
    /// Every service needs its address in LIAISON_SERVICE_URL_<SERVICE>, such as
    /// LIAISON_SERVICE_URL_JOINT_ACTIONS=http://joint-actions:8080. The services' own
    /// /healthz, /readyz and /openapi.json are at /services/<service>/..., and the
    /// gateway serves /healthz itself.
    Gateway,
    /// Sends GET to a path of the server on LIAISON_LISTEN and exits 0 when the response
    /// is 2xx within 5 s, as a container health check that needs no HTTP client in the
    /// image.
    Probe {
        /// Path to request, such as /readyz or /healthz.
        #[arg(value_name = "PATH", default_value = "/readyz")]
        path: String,
    },
    /// Applies pending database migrations of services and exits.
    Migrate {
        /// Services to migrate, or `all` [default: all].
        #[arg(value_name = "SERVICE", value_parser = service_name_parser())]
        services: Vec<String>,
    },
    /// Prints a JWT signed with the development key in LIAISON_DATA_DIR.
    ///
    /// Only the token goes to stdout, so `TOKEN=$(liaison token --role ministry)` works.
    /// The `iss` and `aud` claims come from LIAISON_JWT_ISSUER and LIAISON_JWT_AUDIENCE.
    /// Services accept these tokens only while neither LIAISON_JWT_PUBLIC_KEYS nor
    /// LIAISON_JWT_JWKS_URL is set, when they read the same LIAISON_DATA_DIR, and, on
    /// PostgreSQL or RabbitMQ, with LIAISON_DEVELOPMENT_TOKENS=1.
    Token(TokenArgs),
    /// Imports reference data into a service's database.
    Import {
        #[command(subcommand)]
        source: ImportSource,
    },
    /// Writes the OpenAPI document of each service to <OUT>/<service>.json.
    Openapi {
        /// Folder for the documents, created when missing.
        #[arg(long, value_name = "DIR", default_value = "openapi")]
        out: PathBuf,
    },
}

#[derive(Debug, Args)]
struct TokenArgs {
    /// Role of the caller (`role` claim): officer, ministry, integrator or npo.
    #[arg(long, value_name = "ROLE", value_parser = Role::from_str)]
    role: Role,
    /// Government body of the officer (`body` claim), required with --role officer.
    #[arg(long, value_name = "TEXT")]
    body: Option<String>,
    /// 12-digit BIN of the NPO the caller represents (`bin` claim), required with --role npo.
    #[arg(long, value_name = "BIN")]
    bin: Option<String>,
    /// User id (`sub` claim) [default: dev-<ROLE>].
    #[arg(long, value_name = "TEXT")]
    subject: Option<String>,
    /// Display name of the user (`name` claim), left out of the token when not given.
    #[arg(long, value_name = "TEXT")]
    name: Option<String>,
    /// Lifetime of the token in hours, from 1 to 8760 (one year).
    #[arg(
        long,
        value_name = "HOURS",
        default_value_t = 12,
        value_parser = clap::value_parser!(u64).range(1..=8760)
    )]
    ttl_hours: u64,
}

#[derive(Debug, Subcommand)]
enum ImportSource {
    /// Replaces the KATO classifier of administrative-territorial objects in the
    /// registry database, in one transaction.
    Kato {
        /// UTF-8 CSV file with the columns id;parent_id;code;name (such as
        /// services/registry/data/kato-2022-10-17-ru.csv) or code,name_ru,parent_code,level.
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // `{:#}` prints the message with its causes and never a backtrace.
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve { services } => {
            let settings = load_settings()?;
            let selected = select_services(&services)?;
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .context("failed to start the async runtime")?;
            let names: Vec<&str> = selected.iter().map(|s| s.name).collect();
            let exporter = init_telemetry(&runtime, &settings, &names.join("+"));
            let outcome = runtime.block_on(serve(settings, &selected));
            if let Some(exporter) = exporter {
                exporter.shutdown();
            }
            outcome
        }
        Command::Gateway => {
            let settings = load_settings()?;
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .context("failed to start the async runtime")?;
            let exporter = init_telemetry(&runtime, &settings, "gateway");
            let outcome = runtime.block_on(gateway::run(settings));
            if let Some(exporter) = exporter {
                exporter.shutdown();
            }
            outcome
        }
        Command::Probe { path } => {
            let settings = load_settings()?;
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("failed to start the async runtime")?;
            runtime.block_on(probe(settings.listen, &path))
        }
        Command::Migrate { services } => {
            let settings = load_settings()?;
            service_kit::telemetry::init(settings.log_format, None);
            migrate(&settings, &select_services(&services)?)
        }
        Command::Token(args) => {
            // No logging here: the log goes to stdout, which must carry only the token.
            let settings = load_settings()?;
            let token = mint_token(&settings, &args)?;
            println!("{token}");
            Ok(())
        }
        Command::Import {
            source: ImportSource::Kato { file },
        } => {
            let settings = load_settings()?;
            service_kit::telemetry::init(settings.log_format, None);
            import_kato(&settings, &file)
        }
        Command::Openapi { out } => write_openapi(&out, &services()),
    }
}

/// Installs logging and, when an OTLP endpoint is configured, the span exporter on
/// `runtime`, with the `service.name` `liaison-<part>`.
fn init_telemetry(
    runtime: &tokio::runtime::Runtime,
    settings: &Settings,
    part: &str,
) -> Option<service_kit::telemetry::SpanExporter> {
    let export =
        settings
            .otlp_endpoint
            .as_ref()
            .map(|endpoint| service_kit::telemetry::OtlpExport {
                endpoint: endpoint.clone(),
                service_name: format!("liaison-{part}"),
            });
    let _entered = runtime.enter();
    service_kit::telemetry::init(settings.log_format, export.as_ref())
}

/// Accepts the name of a service from [`services`], or `all`.
fn service_name_parser() -> clap::builder::PossibleValuesParser {
    let names = services().into_iter().map(|s| s.name);
    clap::builder::PossibleValuesParser::new(std::iter::once("all").chain(names))
}

fn load_settings() -> anyhow::Result<Settings> {
    Ok(Settings::from_env()?)
}

/// Resolves service names from the command line. `all`, or no names at all, selects
/// every service, and a name given twice is kept once.
fn select_services(names: &[String]) -> anyhow::Result<Vec<ServiceDef>> {
    let known = services();
    if names.is_empty() || names.iter().any(|name| name == "all") {
        return Ok(known);
    }
    let mut selected: Vec<ServiceDef> = Vec::new();
    for name in names {
        let Some(service) = known.iter().find(|s| s.name == name) else {
            let known_names: Vec<&str> = known.iter().map(|s| s.name).collect();
            bail!(
                "unknown service '{name}': expected one of {}, or all",
                known_names.join(", ")
            );
        };
        if !selected.iter().any(|s| s.name == service.name) {
            selected.push(*service);
        }
    }
    Ok(selected)
}

async fn serve(settings: Settings, selected: &[ServiceDef]) -> anyhow::Result<()> {
    let listen = settings.listen;
    let names: Vec<&str> = selected.iter().map(|s| s.name).collect();
    let running = service_kit::app::start(settings, selected, true)
        .await
        .with_context(|| format!("failed to start {} on {listen}", names.join(", ")))?;
    running.wait().await.context("the HTTP server failed")?;
    Ok(())
}

/// Returns the URL of `path` on the server that listens on `listen`, on the loopback
/// address when it listens on every address.
fn probe_url(listen: SocketAddr, path: &str) -> anyhow::Result<String> {
    if !path.starts_with('/') {
        bail!("invalid path '{path}': expected an absolute path such as /readyz");
    }
    let mut address = listen;
    if address.ip().is_unspecified() {
        address.set_ip(match listen {
            SocketAddr::V4(_) => Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => Ipv6Addr::LOCALHOST.into(),
        });
    }
    Ok(format!("http://{address}{path}"))
}

async fn probe(listen: SocketAddr, path: &str) -> anyhow::Result<()> {
    let url = probe_url(listen, path)?;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .no_proxy()
        .build()
        .context("failed to build the HTTP client")?;
    let response = client
        .get(&url)
        .send()
        .await
        .with_context(|| format!("GET {url} failed"))?;
    let status = response.status();
    if !status.is_success() {
        bail!("GET {url} returned {status}");
    }
    Ok(())
}

fn migrate(settings: &Settings, selected: &[ServiceDef]) -> anyhow::Result<()> {
    for service in selected {
        service_kit::app::open_database(settings, service)?;
        tracing::info!(
            service = service.name,
            database = %redact(&settings.database_url_for(service.name)),
            "database migrations are up to date"
        );
    }
    Ok(())
}

/// Checks the claims requested on the command line and fills in the defaults.
fn token_request(args: &TokenArgs) -> anyhow::Result<TokenRequest> {
    let body = non_empty(args.body.as_deref());
    if args.role == Role::Officer && body.is_none() {
        bail!("--role officer requires --body with the government body the officer works for");
    }
    let bin = match (args.role, args.bin.as_deref()) {
        (Role::Npo, Some(raw)) => {
            let bin = Bin::parse(raw).with_context(|| format!("invalid --bin '{raw}'"))?;
            Some(bin.to_string())
        }
        (Role::Npo, None) => {
            bail!("--role npo requires --bin with the 12-digit BIN of the organisation")
        }
        // Services read the `bin` claim of npo tokens only, so it would be ignored.
        (role, Some(_)) => bail!("--bin is only valid with --role npo, not with --role {role}"),
        (_, None) => None,
    };
    let subject = match args.subject.as_deref() {
        Some(subject) => non_empty(Some(subject)).context(
            "--subject is blank: give a user id, or leave out --subject to use dev-<ROLE>",
        )?,
        None => format!("dev-{}", args.role),
    };
    Ok(TokenRequest {
        subject,
        name: non_empty(args.name.as_deref()),
        role: args.role,
        body,
        bin,
    })
}

fn non_empty(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

fn mint_token(settings: &Settings, args: &TokenArgs) -> anyhow::Result<String> {
    let request = token_request(args)?;
    if !settings.uses_development_key() {
        eprintln!(
            "warning: LIAISON_JWT_PUBLIC_KEYS or LIAISON_JWT_JWKS_URL is set, so services \
             started with these settings verify tokens against those keys and reject this one"
        );
    }
    let key_path = DevelopmentKey::path(&settings.data_dir);
    let key_existed = key_path.exists();
    let key = DevelopmentKey::load_or_create(&settings.data_dir)
        .with_context(|| format!("cannot load the development key {}", key_path.display()))?;
    if !key_existed {
        eprintln!(
            "generated the development signing key {}",
            key_path.display()
        );
    }
    let ttl = Duration::from_secs(args.ttl_hours * 3600);
    key.mint(settings, &request, ttl)
        .context("failed to sign the token")
}

fn import_kato(settings: &Settings, file: &Path) -> anyhow::Result<()> {
    let db = service_kit::app::open_database(settings, &registry::SERVICE)?;
    let summary = registry::territories::import_kato_file(&db, file)
        .with_context(|| format!("KATO import from {} failed", file.display()))?;
    println!("{summary}");
    Ok(())
}

fn write_openapi(out: &Path, selected: &[ServiceDef]) -> anyhow::Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    for service in selected {
        let path = out.join(format!("{}.json", service.name));
        let mut json = service_kit::app::service_document(service)
            .to_pretty_json()
            .with_context(|| {
                format!("cannot serialise the OpenAPI document of {}", service.name)
            })?;
        json.push('\n');
        std::fs::write(&path, json).with_context(|| format!("cannot write {}", path.display()))?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("liaison").chain(args.iter().copied()))
    }

    fn token_args(args: &[&str]) -> TokenArgs {
        match parse(&[&["token"], args].concat()) {
            Ok(Cli {
                command: Command::Token(args),
            }) => args,
            other => panic!("expected the token command, got {other:?}"),
        }
    }

    fn names(selected: &[ServiceDef]) -> Vec<&'static str> {
        selected.iter().map(|s| s.name).collect()
    }

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn select_all_and_empty() {
        let every = names(&services());

        assert_eq!(names(&select_services(&[]).unwrap()), every);
        assert_eq!(names(&select_services(&["all".into()]).unwrap()), every);
    }

    #[test]
    fn select_removes_duplicates() {
        let selected = select_services(&["registry".into(), "registry".into()]).unwrap();

        assert_eq!(names(&selected), ["registry"]);
    }

    #[test]
    fn select_unknown_lists_known() {
        let message = select_services(&["nowhere".into()])
            .unwrap_err()
            .to_string();

        assert!(message.contains("'nowhere'"), "{message}");
        assert!(message.contains("registry"), "{message}");
    }

    #[test]
    fn serve_requires_service() {
        assert!(parse(&["serve"]).is_err());
    }

    #[test]
    fn serve_rejects_unknown_name() {
        let message = parse(&["serve", "nowhere"]).unwrap_err().to_string();

        assert!(message.contains("nowhere"), "{message}");
        assert!(message.contains("registry"), "{message}");
    }

    #[test]
    fn gateway_takes_no_arguments() {
        assert!(matches!(
            parse(&["gateway"]).map(|cli| cli.command),
            Ok(Command::Gateway)
        ));
        assert!(parse(&["gateway", "registry"]).is_err());
    }

    #[test]
    fn probe_url_uses_loopback() {
        let any_v4: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        let any_v6: SocketAddr = "[::]:9000".parse().unwrap();
        let fixed: SocketAddr = "10.1.2.3:8081".parse().unwrap();

        assert_eq!(
            probe_url(any_v4, "/readyz").unwrap(),
            "http://127.0.0.1:8080/readyz"
        );
        assert_eq!(
            probe_url(any_v6, "/healthz").unwrap(),
            "http://[::1]:9000/healthz"
        );
        assert_eq!(
            probe_url(fixed, "/readyz").unwrap(),
            "http://10.1.2.3:8081/readyz"
        );
        assert!(probe_url(any_v4, "readyz").is_err());
    }

    #[test]
    fn token_defaults() {
        let args = token_args(&["--role", "ministry"]);
        let request = token_request(&args).unwrap();

        assert_eq!(args.ttl_hours, 12);
        assert_eq!(request.subject, "dev-ministry");
        assert_eq!(request.role, Role::Ministry);
        assert!(request.body.is_none());
        assert!(request.bin.is_none());
    }

    #[test]
    fn token_officer_requires_body() {
        let missing = token_request(&token_args(&["--role", "officer"])).unwrap_err();
        let blank = token_request(&token_args(&["--role", "officer", "--body", " "])).unwrap_err();
        let with_body = token_request(&token_args(&[
            "--role",
            "officer",
            "--body",
            "akimat-almaty",
        ]));

        assert!(missing.to_string().contains("--body"), "{missing}");
        assert!(blank.to_string().contains("--body"), "{blank}");
        assert_eq!(with_body.unwrap().body.as_deref(), Some("akimat-almaty"));
    }

    #[test]
    fn token_npo_requires_bin() {
        let missing = token_request(&token_args(&["--role", "npo"])).unwrap_err();
        let invalid = token_request(&token_args(&["--role", "npo", "--bin", "12345"])).unwrap_err();

        assert!(missing.to_string().contains("--bin"), "{missing}");
        assert!(format!("{invalid:#}").contains("12345"), "{invalid:#}");
    }

    #[test]
    fn token_bin_is_normalised() {
        let request = token_request(&token_args(&["--role", "npo", "--bin", "9401 4000 0385"]));

        assert_eq!(request.unwrap().bin.as_deref(), Some("940140000385"));
    }

    #[test]
    fn token_bin_rejected_for_other_roles() {
        let error = token_request(&token_args(&[
            "--role",
            "ministry",
            "--bin",
            "940140000385",
        ]))
        .unwrap_err();

        assert!(error.to_string().contains("--role npo"), "{error}");
    }

    #[test]
    fn token_rejects_unknown_role() {
        assert!(parse(&["token", "--role", "admin"]).is_err());
    }

    #[test]
    fn token_ttl_range() {
        assert!(parse(&["token", "--role", "ministry", "--ttl-hours", "0"]).is_err());
        assert!(parse(&["token", "--role", "ministry", "--ttl-hours", "8761"]).is_err());
        assert_eq!(
            token_args(&["--role", "ministry", "--ttl-hours", "8760"]).ttl_hours,
            8760
        );
    }
}
