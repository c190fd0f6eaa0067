//! Processes, databases, broker objects and tokens of the tests that run the platform
//! as separate `liaison` processes on PostgreSQL and RabbitMQ.

// Each test binary that includes this module uses a different part of it.
#![allow(dead_code)]

pub mod proxy;

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::{Connection, PgConnection, RunQueryDsl};
use serde_json::Value;

pub const BINARY: &str = env!("CARGO_BIN_EXE_liaison");

/// Number of log lines kept per process, printed when the test fails.
const LOG_TAIL: usize = 40;

pub fn sqlite_only() -> bool {
    std::env::var("LIAISON_TEST_SQLITE_ONLY").is_ok_and(|v| v == "1" || v == "true")
}

pub fn postgres_admin_url() -> String {
    std::env::var("LIAISON_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

pub fn amqp_url() -> String {
    std::env::var("LIAISON_TEST_AMQP_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
}

/// Builds the `index`-th valid BIN of a run from the clock: a registration month and
/// serial number that differ between runs, a resident head office, and the check digit.
pub fn unique_bin(nanos: u128, index: u32) -> String {
    let seed = (nanos / 1000) as u64;
    let mut serial = (seed % 90_000) as u32 + index * 7;
    let month = (seed / 90_000 % 12) as u32 + 1;
    let year = (seed / 1_080_000 % 100) as u32;
    loop {
        let prefix = format!("{year:02}{month:02}40{:05}", serial % 100_000);
        let digits: Vec<u8> = prefix.bytes().map(|b| b - b'0').collect();
        let first11: [u8; 11] = digits.try_into().expect("11 digits");
        if let Some(check) = common_models::bin::check_digit(&first11) {
            return format!("{prefix}{check}");
        }
        serial += 1;
    }
}

/// Returns `count` distinct ports that were free a moment ago on 127.0.0.1.
pub fn free_ports(count: usize) -> Vec<u16> {
    let listeners: Vec<TcpListener> = (0..count)
        .map(|_| TcpListener::bind("127.0.0.1:0").expect("a free port on 127.0.0.1"))
        .collect();
    listeners
        .iter()
        .map(|l| l.local_addr().expect("a bound address").port())
        .collect()
}

/// Returns the server part of a PostgreSQL URL, without the database name.
pub fn server_root(url: &str) -> &str {
    match url.rfind('/') {
        Some(slash) if slash > url.find("://").map_or(0, |i| i + 2) => &url[..slash],
        _ => url,
    }
}

/// Replaces the password of a URL with `***`.
pub fn redact(url: &str) -> String {
    service_kit::db::redact(url)
}

pub async fn check_broker() {
    let url = amqp_url();
    let connected = tokio::time::timeout(
        Duration::from_secs(5),
        lapin::Connection::connect(&url, lapin::ConnectionProperties::default()),
    )
    .await;
    match connected {
        Ok(Ok(connection)) => service_kit::testing::close_connection(&connection, "checked").await,
        Ok(Err(error)) => panic!(
            "RabbitMQ is unreachable at {} ({error}). Start it with `rabbitmq-server \
             -detached`, point LIAISON_TEST_AMQP_URL at another broker, or run `make \
             test-sqlite`.",
            redact(&url)
        ),
        Err(_) => panic!("RabbitMQ did not respond within 5 s at {}", redact(&url)),
    }
}

/// Deletes the consumers' queues with their dead-letter queues, and the run's exchange
/// with its dead-letter exchange. A failure only leaves them behind.
pub fn delete_broker_objects(exchange: &str, consumers: Vec<String>) {
    let exchange = exchange.to_owned();
    // Drop may run on a thread of the test's runtime, which cannot start another.
    let cleanup = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime for the cleanup");
        runtime.block_on(async {
            let connection =
                lapin::Connection::connect(&amqp_url(), lapin::ConnectionProperties::default())
                    .await?;
            let channel = connection.create_channel().await?;
            for consumer in &consumers {
                let queue = service_kit::bus::queue_name(&exchange, consumer);
                for name in [format!("{queue}.dead-letter"), queue] {
                    channel
                        .queue_delete(name.as_str().into(), Default::default())
                        .await?;
                }
            }
            for name in [exchange.clone(), format!("{exchange}.dead-letter")] {
                channel
                    .exchange_delete(name.as_str().into(), Default::default())
                    .await?;
            }
            connection.close(200, "flow finished".into()).await
        })
    });
    match cleanup.join() {
        Ok(Ok(())) => {}
        Ok(Err(error)) => eprintln!("the run's RabbitMQ queues were not all deleted: {error}"),
        Err(_) => eprintln!("the RabbitMQ cleanup panicked"),
    }
}

/// Creates a database `<prefix>_<service>` per service, with `_` for `-`, adds each
/// name to `created` as soon as it exists, and returns the `LIAISON_DATABASE_URL`
/// template that names them.
pub fn create_service_databases(
    prefix: &str,
    services: &[&str],
    created: &mut Vec<String>,
) -> String {
    let admin = postgres_admin_url();
    let mut conn = PgConnection::establish(&admin).unwrap_or_else(|e| {
        panic!(
            "PostgreSQL is unreachable at {} ({e}). Start it with `pg_ctlcluster \
             --skip-systemctl-redirect $(ls /etc/postgresql) main start`, point \
             LIAISON_TEST_DATABASE_URL at another server, or run `make test-sqlite`.",
            redact(&admin)
        )
    });
    for service in services {
        let name = format!("{prefix}_{}", service.replace('-', "_"));
        diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
            .execute(&mut conn)
            .unwrap_or_else(|e| panic!("database {name} cannot be created: {e}"));
        created.push(name);
    }
    format!("{}/{prefix}_{{service}}", server_root(&admin))
}

/// Waits until `url` returns 200. Panics with the log tail of `processes` when one of
/// them exits first, or when `deadline` passes.
pub async fn wait_until_ok(
    client: &reqwest::Client,
    url: &str,
    processes: &mut [Process],
    deadline: Instant,
) {
    loop {
        for process in processes.iter_mut() {
            if let Ok(Some(status)) = process.child.try_wait() {
                panic!(
                    "liaison {} exited ({status}) before it was ready:\n{}",
                    process.service,
                    process.tail()
                );
            }
        }
        let ready = client.get(url).send().await;
        if ready.is_ok_and(|r| r.status() == reqwest::StatusCode::OK) {
            return;
        }
        if Instant::now() >= deadline {
            let tails: Vec<String> = processes
                .iter()
                .map(|process| format!("liaison {}:\n{}", process.service, process.tail()))
                .collect();
            panic!("{url} did not return 200 in time:\n{}", tails.join("\n"));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

pub fn drop_databases(names: &[String]) {
    if names.is_empty() {
        return;
    }
    let admin = postgres_admin_url();
    let mut conn = match PgConnection::establish(&admin) {
        Ok(conn) => conn,
        Err(error) => {
            eprintln!("the run's databases {names:?} were not dropped: {error}");
            return;
        }
    };
    for name in names {
        // FORCE ends the connections a killed process may have left behind.
        let dropped = diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .execute(&mut conn);
        if let Err(error) = dropped {
            eprintln!("database {name} was not dropped: {error}");
        }
    }
}

/// One `liaison serve` process, the tail of its log and how to start it again.
pub struct Process {
    pub service: &'static str,
    pub child: Child,
    log: Arc<Mutex<Log>>,
    args: Vec<String>,
    env: Vec<(String, String)>,
}

/// Error lines kept per process, for checks that a failure was logged.
const ERROR_LINES: usize = 1_000;

/// The last lines a process printed, other than requests it completed without an
/// error, the consumers it subscribed, and its error lines.
#[derive(Debug, Default)]
pub struct Log {
    pub lines: VecDeque<String>,
    pub consumers: Vec<String>,
    pub errors: Vec<String>,
    /// Address from the `listening` line, once the server has bound it.
    pub listen: Option<String>,
    /// Counts of every line, kept or not, that contains a watched string.
    pub watch: Watch,
}

/// Counts the log lines that contain each of a set of strings, as they stream by, so a
/// test can show that a value never reached the log without keeping the whole log.
#[derive(Debug, Default)]
pub struct Watch {
    needles: Vec<String>,
    /// Number of lines that contained each needle, in the order of `needles`.
    counts: Vec<usize>,
    /// First line that contained each needle, for the failure message.
    first_lines: Vec<Option<String>>,
}

impl Watch {
    /// Watches for each of `needles`; empty strings are left out, because every line
    /// contains them.
    pub fn new<S: Into<String>>(needles: impl IntoIterator<Item = S>) -> Self {
        let needles: Vec<String> = needles
            .into_iter()
            .map(Into::into)
            .filter(|needle| !needle.is_empty())
            .collect();
        Self {
            counts: vec![0; needles.len()],
            first_lines: vec![None; needles.len()],
            needles,
        }
    }

    fn scan(&mut self, line: &str) {
        for (index, needle) in self.needles.iter().enumerate() {
            if line.contains(needle.as_str()) {
                self.counts[index] += 1;
                self.first_lines[index].get_or_insert_with(|| line.to_owned());
            }
        }
    }

    /// Returns the number of lines that contained `needle`; 0 for a string not watched.
    pub fn count(&self, needle: &str) -> usize {
        self.needles
            .iter()
            .position(|watched| watched == needle)
            .map_or(0, |index| self.counts[index])
    }

    /// Returns each watched string that at least one line contained, with the number
    /// of such lines and the first of them.
    pub fn seen(&self) -> Vec<(&str, usize, &str)> {
        self.needles
            .iter()
            .zip(&self.counts)
            .zip(&self.first_lines)
            .filter(|((_, count), _)| **count > 0)
            .map(|((needle, count), first)| {
                (
                    needle.as_str(),
                    *count,
                    first.as_deref().unwrap_or_default(),
                )
            })
            .collect()
    }
}

impl Log {
    fn push(&mut self, line: String) {
        self.watch.scan(&line);
        let entry: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
        let completed = entry["message"] == "request completed"
            && entry["http.status"]
                .as_u64()
                .is_some_and(|status| status < 400);
        if completed {
            return;
        }
        if entry["message"] == "consumer subscribed"
            && let Some(consumer) = entry["consumer"].as_str()
            && !self.consumers.iter().any(|c| c == consumer)
        {
            self.consumers.push(consumer.to_owned());
        }
        if entry["message"] == "listening"
            && let Some(listen) = entry["listen"].as_str()
        {
            self.listen = Some(listen.to_owned());
        }
        if entry["level"] == "ERROR" && self.errors.len() < ERROR_LINES {
            self.errors.push(line.clone());
        }
        if self.lines.len() == LOG_TAIL {
            self.lines.pop_front();
        }
        self.lines.push_back(line);
    }
}

impl Process {
    /// Starts `liaison serve <service>` with only the `LIAISON_*` settings in `env`.
    pub fn spawn(service: &'static str, env: &[(String, String)]) -> Self {
        Self::start(service, vec!["serve".into(), service.into()], env.to_vec())
    }

    /// Starts `liaison serve <service>` and counts its log lines that contain the
    /// strings of `watch`, from the first line on.
    pub fn spawn_watching(service: &'static str, env: &[(String, String)], watch: Watch) -> Self {
        let log = Log {
            watch,
            ..Log::default()
        };
        let args = vec!["serve".into(), service.into()];
        Self::start_with(service, args, env.to_vec(), log)
    }

    /// Starts `liaison gateway` with only the `LIAISON_*` settings in `env`.
    pub fn spawn_gateway(env: &[(String, String)]) -> Self {
        Self::start("gateway", vec!["gateway".into()], env.to_vec())
    }

    /// Starts `liaison serve all`, every service in one process.
    pub fn spawn_all(env: &[(String, String)]) -> Self {
        Self::spawn_all_watching(env, Watch::default())
    }

    /// Starts `liaison serve all` and counts its log lines that contain the strings of
    /// `watch`, from the first line on.
    pub fn spawn_all_watching(env: &[(String, String)], watch: Watch) -> Self {
        let log = Log {
            watch,
            ..Log::default()
        };
        Self::start_with("all", vec!["serve".into(), "all".into()], env.to_vec(), log)
    }

    fn start(service: &'static str, args: Vec<String>, env: Vec<(String, String)>) -> Self {
        Self::start_with(service, args, env, Log::default())
    }

    fn start_with(
        service: &'static str,
        args: Vec<String>,
        env: Vec<(String, String)>,
        log: Log,
    ) -> Self {
        let log = Arc::new(Mutex::new(log));
        let child = launch(service, &args, &env, &log);
        Self {
            service,
            child,
            log,
            args,
            env,
        }
    }

    /// Starts the process again with the same arguments and settings, after it exited
    /// or was killed. Its log goes on in the same tail.
    pub fn restart(&mut self) {
        self.child = launch(self.service, &self.args, &self.env, &self.log);
    }

    /// Kills the process with SIGKILL, as a crash or an out-of-memory kill would.
    pub fn kill(&mut self) {
        drop(self.child.kill());
        drop(self.child.wait());
    }

    /// Sends SIGTERM and waits up to `timeout` for the process to exit. Returns its
    /// exit status, or `None` when it was still running and had to be killed.
    pub fn terminate(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let pid = self.child.id().to_string();
        drop(Command::new("kill").args(["-TERM", &pid]).status());
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.kill();
        None
    }

    /// Returns whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Locks the log. A reader thread that panicked leaves it readable, because Drop
    /// must not panic while the test unwinds.
    pub fn log(&self) -> std::sync::MutexGuard<'_, Log> {
        self.log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn tail(&self) -> String {
        let log = self.log();
        log.lines.iter().cloned().collect::<Vec<_>>().join("\n")
    }
}

impl Drop for Process {
    /// Kills a process still running, so a failed test leaves none behind.
    fn drop(&mut self) {
        if self.is_running() {
            self.kill();
        }
    }
}

fn launch(
    service: &str,
    args: &[String],
    env: &[(String, String)],
    log: &Arc<Mutex<Log>>,
) -> Child {
    let mut command = Command::new(BINARY);
    command.args(args);
    clear_liaison_env(&mut command);
    let mut child = command
        .envs(env.iter().map(|(name, value)| (name, value)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("liaison {} ({service}) cannot start: {e}", args.join(" ")));
    let stdout = child.stdout.take().expect("stdout is piped");
    let stderr = child.stderr.take().expect("stderr is piped");
    collect(stdout, log.clone());
    collect(stderr, log.clone());
    child
}

/// Reads `stream` line by line into `log` until it closes, so the process never blocks
/// on a full pipe.
pub fn collect(stream: impl Read + Send + 'static, log: Arc<Mutex<Log>>) {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            log.lock().expect("the log lock").push(line);
        }
    });
}

/// Removes every `LIAISON_*` variable of the test's environment from `command`, so
/// that only the settings the test gives reach the process.
pub fn clear_liaison_env(command: &mut Command) {
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("LIAISON_") {
            command.env_remove(name);
        }
    }
}

/// Sends SIGTERM to every process still running, waits up to 20 s for them to drain,
/// then kills the ones still running.
pub fn stop_all(processes: &mut [Process]) {
    for process in processes.iter_mut() {
        if !process.is_running() {
            continue;
        }
        let pid = process.child.id().to_string();
        drop(Command::new("kill").args(["-TERM", &pid]).status());
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    for process in processes.iter_mut() {
        while Instant::now() < deadline {
            if let Ok(Some(_)) = process.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        if let Ok(None) = process.child.try_wait() {
            eprintln!(
                "liaison {} did not stop on SIGTERM; killing it",
                process.args.join(" ")
            );
            drop(process.child.kill());
            drop(process.child.wait());
        }
    }
}

pub fn mint_token(data: &Path, clean: bool, args: &[&str]) -> String {
    let mut command = Command::new(BINARY);
    if clean {
        clear_liaison_env(&mut command);
    }
    let output = command
        .arg("token")
        .args(args)
        .env("LIAISON_DATA_DIR", data)
        .output()
        .expect("the token command runs");
    assert!(
        output.status.success(),
        "liaison token {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .expect("the token is text")
        .trim()
        .to_owned()
}
