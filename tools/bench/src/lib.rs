//! Benchmarks of the platform, each figure against a baseline measured in the same
//! run. `bench-registry` runs the registry scenarios alone; `bench` runs every
//! scenario and prints one table.

pub mod analytics;
pub mod generate;
pub mod ingest;
pub mod load;
pub mod platform;
pub mod postgres;
pub mod queries;
pub mod registry;
pub mod relay;
pub mod report;
pub mod server;
pub mod sqlite;
pub mod targets;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};

/// Returns the `liaison` binary to measure: the configured path, or the one that the same
/// `cargo build --release` put beside this program.
pub fn liaison_binary(configured: Option<&Path>) -> anyhow::Result<PathBuf> {
    let path = match configured {
        Some(path) => path.to_owned(),
        None => std::env::current_exe()?
            .parent()
            .context("this program's path has no folder")?
            .join("liaison"),
    };
    if !path.is_file() {
        bail!(
            "{} does not exist: build it with `cargo build --release --bin liaison` or pass --liaison-bin",
            path.display()
        );
    }
    Ok(path)
}

/// Runs `work` on a multi-threaded tokio runtime and turns its outcome into the
/// process's exit code, printing the error chain on failure.
pub fn run_main(work: impl Future<Output = anyhow::Result<()>>) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: failed to start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(work) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Prints the results table, and writes it as Markdown to `markdown` when given.
pub fn print_results(rows: &[report::Row], markdown: Option<&Path>) -> anyhow::Result<()> {
    print!("{}", report::text_table(rows));
    if let Some(path) = markdown {
        std::fs::write(path, report::markdown_table(rows))
            .with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}
