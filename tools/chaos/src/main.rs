//! `tools/chaos`, a tool that never deploys: the chaos suite, run by `scripts/chaos.sh`.
//! `proxy` serves the fault-injecting proxy in front of DynamoDB Local and LocalStack;
//! `run` casts the votes through the storm, then audits the count and prints what happened.

mod audit;
mod mixing;
mod proxy;
mod run;
mod verifiable;
mod voters;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(about = "Votes through injected faults, then proves the count")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the fault-injecting proxy (disarmed until `run` arms it) until killed.
    Proxy {
        #[arg(long)]
        dynamodb_listen: u16,
        #[arg(long)]
        dynamodb: u16,
        #[arg(long)]
        localstack_listen: u16,
        #[arg(long)]
        localstack: u16,
        /// The same seed fails the same requests (in the order they come).
        #[arg(long, default_value_t = 2026)]
        seed: u64,
    },
    /// Cast the votes through the faults, audit, print the figures; exit 1 if one is wrong.
    Run(run::RunOptions),
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    match Cli::parse().command {
        Command::Proxy {
            dynamodb_listen,
            dynamodb,
            localstack_listen,
            localstack,
            seed,
        } => {
            let chaos = proxy::Chaos::new(seed);
            tokio::try_join!(
                proxy::serve(dynamodb_listen, dynamodb, chaos.clone()),
                proxy::serve(localstack_listen, localstack, chaos),
            )?;
            Ok(())
        }
        Command::Run(options) => {
            if !run::run(options).await? {
                std::process::exit(1);
            }
            Ok(())
        }
    }
}
