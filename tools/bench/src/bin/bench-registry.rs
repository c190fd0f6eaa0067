//! `bench-registry`: the registry scenarios alone, on PostgreSQL and SQLite.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use liaison_bench::{liaison_binary, print_results, registry, run_main};

/// Benchmark of the NPO registry: ingestion, search and reads by id on PostgreSQL and
/// SQLite, each against a baseline measured in the same run.
#[derive(Debug, Parser)]
#[command(name = "bench-registry", version)]
struct Cli {
    #[command(flatten)]
    registry: registry::Cli,
    /// The `liaison` binary to measure [default: `liaison` beside this program].
    #[arg(long, env = "BENCH_LIAISON_BIN", value_name = "PATH")]
    liaison_bin: Option<PathBuf>,
    /// Also write the results table as Markdown to this file.
    #[arg(long, value_name = "FILE")]
    markdown: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    run_main(async move {
        let liaison = liaison_binary(cli.liaison_bin.as_deref())?;
        eprintln!("measuring {}", liaison.display());
        let rows = registry::run(&cli.registry, &liaison).await?;
        print_results(&rows, cli.markdown.as_deref())
    })
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn options_do_not_clash() {
        Cli::command().debug_assert();
    }
}
