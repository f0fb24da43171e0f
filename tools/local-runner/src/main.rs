//! `local-runner up` starts the local stack; `local-runner token` prints a bearer token;
//! `local-runner recount` recounts an election on the running stack, and `local-runner
//! redrive` moves dead-lettered messages back to their queues; `seed-samples` and
//! `function-env` serve `scripts/invoke.sh`.

use clap::{Parser, Subcommand};
use local_runner::clients::Ports;
use local_runner::{jwt, up, LambdaMode, UpOptions};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser)]
#[command(about = "Runs the election system locally on DynamoDB Local and LocalStack, without Docker")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the emulators, provision template.yaml, serve the API until Ctrl-C.
    Up {
        #[arg(long, default_value = "template.yaml")]
        template: PathBuf,
        /// Logs and emulator state.
        #[arg(long, default_value = ".local")]
        work_dir: PathBuf,
        /// `runtime`: every invocation to the functions' real binaries (built beside this
        /// one) through the Lambda Runtime API, each function's processes started on demand
        /// as Lambda starts instances; `in-process`: the same handlers inside this process,
        /// as a library. Runtime is the default: it is as fast (see the README).
        #[arg(long, value_enum, default_value_t = LambdaMode::Runtime)]
        lambdas: LambdaMode,
        /// Record every request of the stack's to DynamoDB, SQS, EventBridge, KMS and S3 in
        /// this file, as a CloudTrail data-event trail would.
        #[arg(long)]
        trail: Option<PathBuf>,
    },
    /// Print a bearer token signed with LOCAL_JWT_SECRET.
    Token {
        #[arg(long)]
        sub: String,
        /// Comma-separated groups: commission, admin, candidate, voter.
        #[arg(long, value_delimiter = ',', default_value = "")]
        groups: Vec<String>,
        #[arg(long, default_value_t = 60)]
        ttl_minutes: u64,
    },
    /// Count an election's ballot box and compare it with the results; exits 1 on a
    /// difference. With --repair, replay the ballots into the results first (idempotent).
    Recount {
        election_id: String,
        #[arg(long)]
        repair: bool,
        #[arg(long, default_value = "template.yaml")]
        template: PathBuf,
    },
    /// Move every dead-letter queue's messages back to their queues, to be consumed again
    /// (each event still counts once).
    Redrive {
        #[arg(long, default_value = "template.yaml")]
        template: PathBuf,
    },
    /// Load the election, candidate and pledge the sample events in events/ refer to.
    SeedSamples {
        #[arg(long, default_value = "template.yaml")]
        template: PathBuf,
    },
    /// Print a sample event with a fresh bearer token for the caller its claims name.
    SignSample {
        /// The event file (events/<function>.json).
        event: PathBuf,
    },
    /// Print, as KEY=VALUE lines, the environment a function's real binary runs with
    /// locally: the template's variables, resolved, and the emulators' endpoints.
    FunctionEnv {
        /// The function's folder name under functions/.
        function: String,
        #[arg(long, default_value = "template.yaml")]
        template: PathBuf,
    },
}

fn outcome(result: Result<(), local_runner::BoxError>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    lambda_http::tracing::init_default_subscriber();
    match Cli::parse().command {
        Command::Up {
            template,
            work_dir,
            lambdas,
            trail,
        } => outcome(
            up(UpOptions {
                template,
                work_dir,
                ports: Ports::from_env(),
                lambdas,
                trail,
            })
            .await,
        ),
        Command::Recount {
            election_id,
            repair,
            template,
        } => match local_runner::operations::recount(&template, &election_id, repair).await {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::from(1),
            Err(err) => {
                eprintln!("error: {err}");
                ExitCode::from(2)
            }
        },
        Command::Redrive { template } => match local_runner::operations::redrive(&template).await {
            Ok(_) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("error: {err}");
                ExitCode::from(2)
            }
        },
        Command::SeedSamples { template } => outcome(local_runner::operations::seed_samples(&template).await),
        Command::SignSample { event } => outcome(
            std::fs::read_to_string(&event)
                .map_err(Into::into)
                .and_then(|text| local_runner::samples::signed(&text, &jwt::LocalIssuers::from_env()))
                .map(|signed| println!("{signed}")),
        ),
        Command::FunctionEnv { function, template } => {
            outcome(local_runner::operations::print_function_env(&template, &function).await)
        }
        Command::Token {
            sub,
            groups,
            ttl_minutes,
        } => {
            let groups: Vec<String> = groups.into_iter().filter(|g| !g.is_empty()).collect();
            println!(
                "{}",
                jwt::LocalIssuers::from_env().token(&sub, &groups, Duration::from_secs(ttl_minutes * 60))
            );
            ExitCode::SUCCESS
        }
    }
}
