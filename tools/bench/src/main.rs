//! `tools/bench`, a tool that never deploys: the benchmark, run by `scripts/bench.sh`
//! (never by the tests). `meter` is the proxy that counts every DynamoDB write the local
//! stack makes; `run` measures and reports (with `--verifiable`, in a verifiable election); `recount` times a recount of many ballots;
//! `roll` times the import of a roll of many voters.

mod cpu;
mod invocations;
mod lambda_start;
mod load;
mod meter;
mod raw;
mod recount;
mod report;
mod roll;
mod verifiable;

use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser)]
#[command(about = "Measures the vote path on the local stack")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve a metering proxy in front of DynamoDB Local until killed.
    Meter {
        #[arg(long)]
        listen: u16,
        #[arg(long)]
        dynamodb: u16,
        #[arg(long, default_value = "template.yaml")]
        template: PathBuf,
    },
    /// Measure everything and print one table; write the figures as JSON too.
    Run(report::RunOptions),
    /// Time per invocation through the running local API, one request at a time.
    Invocations {
        #[arg(long, default_value = "http://127.0.0.1:3000")]
        api: String,
        #[arg(long, default_value_t = 100)]
        requests: usize,
    },
    /// Seed a ballot box of its own on DynamoDB Local, then time its recount (by hand:
    /// scripts/bench-recount.sh).
    Recount(recount::RecountOptions),
    /// Time the import of a roll of many voters through the running local API (by hand:
    /// scripts/bench-roll.sh).
    Roll(roll::RollOptions),
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    match Cli::parse().command {
        Command::Meter {
            listen,
            dynamodb,
            template,
        } => meter::serve(listen, dynamodb, &template).await,
        Command::Run(options) => report::run(options).await,
        Command::Invocations { api, requests } => invocations::measure(&api, requests).await,
        Command::Recount(options) => recount::measure(options).await,
        Command::Roll(options) => roll::measure(options).await,
    }
}
