//! `tools/bench`, a tool that never deploys: the benchmark, run by `scripts/bench.sh`
//! (never by the tests). `meter` is the proxy that counts every DynamoDB write the local
//! stack makes; `edge` caches the public documents as CloudFront would; `run` measures and reports (with `--verifiable`, in a verifiable election); `recount` times a recount of many ballots;
//! `roll` times the import of a roll of many voters; `issuer` makes the load test's voter
//! issuer for a deployed stage.

mod cpu;
mod edge;
mod invocations;
mod issuer;
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
        /// An experiment: answer the PartiQL inserts into this table (`ClaimsTable`) as
        /// applied, without DynamoDB Local, to see what their cost there takes from the rate.
        #[arg(long)]
        answer_inserts_into: Option<String>,
    },
    /// Serve a stand-in for the edge (the public documents' CloudFront) in front of the
    /// local API until killed: the journey reads the ballot through it, as on AWS.
    Edge {
        #[arg(long)]
        listen: u16,
        #[arg(long, default_value = "http://127.0.0.1:3000")]
        origin: String,
    },
    /// Measure everything and print one table; write the figures as JSON too.
    Run(report::RunOptions),
    /// Make the load test's voter issuer for a deployed stage: its key (once) and the
    /// documents to publish at its URL (docs/election-day.md).
    Issuer(issuer::IssuerOptions),
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
            answer_inserts_into,
        } => meter::serve(listen, dynamodb, &template, answer_inserts_into).await,
        Command::Edge { listen, origin } => edge::serve(listen, origin).await,
        Command::Run(options) => report::run(options).await,
        Command::Issuer(options) => issuer::publish(options),
        Command::Invocations { api, requests } => invocations::measure(&api, requests).await,
        Command::Recount(options) => recount::measure(options).await,
        Command::Roll(options) => roll::measure(options).await,
    }
}
