//! The platform under test: the release `liaison serve` of one service or of all of them,
//! as a child process.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::Value;

/// How long the server may take to apply migrations, load KATO and bind.
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// A running `liaison serve` whose JSON log goes to a file.
#[derive(Debug)]
pub struct Server {
    child: Child,
    pub base: String,
    pub log: PathBuf,
}

/// Settings of the child process: its binary, services, data folder and database.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub binary: PathBuf,
    /// Services that `liaison serve` runs: one service's name, such as `registry`, or `all`.
    pub services: &'static str,
    pub data_dir: PathBuf,
    /// Database URL, in which `{service}` stands for each service's name.
    pub database_url: String,
}

impl ServerConfig {
    /// Returns a `liaison` command with only the settings the benchmark chooses, so
    /// LIAISON_* variables of the calling shell cannot change what is measured.
    fn command(&self) -> Command {
        let mut command = Command::new(&self.binary);
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("LIAISON_") {
                command.env_remove(name);
            }
        }
        command
            .env_remove("RUST_LOG")
            .env("LIAISON_LISTEN", "127.0.0.1:0")
            .env("LIAISON_DATABASE_URL", &self.database_url)
            .env("LIAISON_BROKER_URL", "memory")
            .env("LIAISON_DEVELOPMENT_TOKENS", "true")
            .env("LIAISON_DATA_DIR", &self.data_dir)
            .env("LIAISON_LOG_FORMAT", "json")
            // The benchmark measures the server, not the per-caller rate limit.
            .env("LIAISON_RATE_LIMIT", "0");
        command
    }

    /// Mints a development token with `liaison token`, signed with the key in the data
    /// folder that the server trusts.
    pub fn token(&self, args: &[&str]) -> anyhow::Result<String> {
        let output = self
            .command()
            .arg("token")
            .args(args)
            .output()
            .with_context(|| format!("failed to run {}", self.binary.display()))?;
        if !output.status.success() {
            bail!(
                "liaison token {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        Ok(String::from_utf8(output.stdout)
            .context("the token is not UTF-8")?
            .trim()
            .to_owned())
    }

    /// Starts `liaison serve` with the services of the configuration on a free port and
    /// waits for its `listening` log line. The log goes to a file rather than a pipe, so reading it costs the
    /// benchmark no CPU while it measures.
    pub fn start(&self) -> anyhow::Result<Server> {
        let log = self.data_dir.join("server.log");
        let stdout = File::create(&log)
            .with_context(|| format!("cannot create the server log {}", log.display()))?;
        let stderr = stdout.try_clone()?;
        let mut child = self
            .command()
            .args(["serve", self.services])
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .with_context(|| format!("failed to start {}", self.binary.display()))?;
        let started = Instant::now();
        loop {
            if let Some(address) = listening_address(&log)? {
                return Ok(Server {
                    child,
                    base: format!("http://{address}"),
                    log,
                });
            }
            if let Some(status) = child.try_wait()? {
                bail!(
                    "liaison serve {} exited with {status} before listening; its log is {}:\n{}",
                    self.services,
                    log.display(),
                    tail(&log)
                );
            }
            if started.elapsed() > START_TIMEOUT {
                drop(child.kill());
                bail!(
                    "liaison serve {} did not log `listening` within {} s; its log is {}",
                    self.services,
                    START_TIMEOUT.as_secs(),
                    log.display()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn listening_address(log: &Path) -> anyhow::Result<Option<String>> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    for line in text.lines() {
        let Ok(entry) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        if entry["message"] == "listening" {
            let address = entry["listen"]
                .as_str()
                .context("the `listening` log line has no `listen` field")?;
            return Ok(Some(address.to_owned()));
        }
    }
    Ok(None)
}

/// Returns the last lines of a log, for error messages.
pub fn tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// Memory of a process from `/proc/<pid>/status`, in KiB.
#[derive(Debug, Clone, Copy, Default)]
pub struct Memory {
    /// Resident set size now (`VmRSS`).
    pub rss_kib: u64,
    /// Peak resident set size since the process started (`VmHWM`).
    pub peak_kib: u64,
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Reads the server's current and peak resident set size.
    pub fn memory(&self) -> anyhow::Result<Memory> {
        read_memory(self.pid())
    }

    /// Sends SIGTERM and waits up to 30 s for a clean exit, then kills the process.
    pub fn stop(mut self) -> anyhow::Result<()> {
        let pid = self.child.id().to_string();
        // std offers no SIGTERM and the workspace forbids unsafe code, so `kill` sends it.
        let signalled = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .is_ok_and(|status| status.success());
        let deadline = Instant::now() + Duration::from_secs(30);
        while signalled && Instant::now() < deadline {
            if let Some(status) = self.child.try_wait()? {
                if !status.success() {
                    eprintln!("warning: the server exited with {status} after SIGTERM");
                }
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        eprintln!("warning: the server did not stop within 30 s of SIGTERM; killing it");
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // A benchmark that fails half-way must not leave the server running.
        if matches!(self.child.try_wait(), Ok(None)) {
            drop(self.child.kill());
            drop(self.child.wait());
        }
    }
}

/// Reads `VmRSS` and `VmHWM` of a process.
pub fn read_memory(pid: u32) -> anyhow::Result<Memory> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path).with_context(|| format!("cannot read {path}"))?;
    let field = |name: &str| -> anyhow::Result<u64> {
        let line = status
            .lines()
            .find(|line| line.starts_with(name))
            .with_context(|| format!("{path} has no {name} line"))?;
        line.split_whitespace()
            .nth(1)
            .and_then(|value| value.parse().ok())
            .with_context(|| format!("cannot parse `{line}` in {path}"))
    };
    Ok(Memory {
        rss_kib: field("VmRSS:")?,
        peak_kib: field("VmHWM:")?,
    })
}

/// Returns the CPU time (user and system, all threads) that a process has used so far,
/// from fields 14 and 15 of `/proc/<pid>/stat`.
pub fn cpu_time(pid: u32) -> anyhow::Result<Duration> {
    let path = format!("/proc/{pid}/stat");
    let stat = std::fs::read_to_string(&path).with_context(|| format!("cannot read {path}"))?;
    // The command name in field 2 may contain spaces, so fields are counted after it.
    let after_name = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .with_context(|| format!("cannot parse {path}"))?;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |index: usize| -> anyhow::Result<u64> {
        fields
            .get(index)
            .and_then(|value| value.parse().ok())
            .with_context(|| format!("cannot parse field {} of {path}", index + 3))
    };
    let total = ticks(11)? + ticks(12)?;
    Ok(Duration::from_secs_f64(
        total as f64 / clock_ticks_per_second(),
    ))
}

/// Returns the kernel's clock ticks per second from `getconf CLK_TCK`, or 100 when
/// `getconf` cannot be run, because std does not expose `sysconf` and the workspace
/// forbids unsafe code.
fn clock_ticks_per_second() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|output| String::from_utf8(output.stdout).ok())
            .and_then(|text| text.trim().parse().ok())
            .unwrap_or(100.0)
    })
}
