//! `bench-analytics`: the dashboard endpoints on 100,000 NPOs and 20,000 priorities.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use liaison_bench::{analytics, liaison_binary, print_results, run_main};

/// Benchmark of the national dashboard: every analytics endpoint of `liaison serve all`
/// on seeded PostgreSQL read models, each against the same store functions run from as
/// many threads in the same run.
#[derive(Debug, Parser)]
#[command(name = "bench-analytics", version)]
struct Cli {
    #[command(flatten)]
    analytics: analytics::Options,
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
        let rows = analytics::run(&cli.analytics, &liaison).await?;
        print_results(&rows, cli.markdown.as_deref())
    })
}
