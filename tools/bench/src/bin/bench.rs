//! `bench`: every scenario of the platform, each figure against its target and a
//! baseline measured in the same run, printed as one table.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use liaison_bench::{
    analytics, liaison_binary, platform, print_results, registry, relay, run_main,
};

/// Groups of scenarios.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Part {
    /// Ingestion, search and reads by id of the registry, on PostgreSQL and SQLite.
    Registry,
    /// Start-up, memory, event latency, annual reports and the mixed load.
    Platform,
    /// Throughput of the outbox relay against publishing straight to RabbitMQ.
    Relay,
    /// The dashboard's analytics endpoints over 100,000 NPOs and 20,000 priorities.
    Analytics,
}

/// Benchmark of the whole platform on PostgreSQL, RabbitMQ and SQLite.
#[derive(Debug, Parser)]
#[command(name = "bench", version)]
struct Arguments {
    /// Groups of scenarios to run, in order.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "registry,platform,relay,analytics"
    )]
    parts: Vec<Part>,
    #[command(flatten)]
    registry: registry::Cli,
    #[command(flatten)]
    platform: platform::Options,
    #[command(flatten)]
    relay: relay::Options,
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
    let cli = Arguments::parse();
    run_main(async move {
        let liaison = liaison_binary(cli.liaison_bin.as_deref())?;
        eprintln!("measuring {}", liaison.display());
        let mut rows = Vec::new();
        for part in &cli.parts {
            match part {
                Part::Registry => rows.extend(registry::run(&cli.registry, &liaison).await?),
                Part::Platform => rows.extend(
                    platform::run(&cli.platform, &cli.registry.postgres_url, &liaison).await?,
                ),
                Part::Relay => rows.extend(relay::run(&cli.relay).await?),
                Part::Analytics => rows.extend(
                    analytics::run(&cli.analytics, &cli.registry.postgres_url, &liaison).await?,
                ),
            }
        }
        print_results(&rows, cli.markdown.as_deref())
    })
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn options_do_not_clash() {
        // Flattened option groups share one namespace, which clap checks only here.
        Arguments::command().debug_assert();
    }
}
