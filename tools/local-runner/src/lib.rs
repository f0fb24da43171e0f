//! `tools/local-runner`, a tool that never deploys: `sam local` without Docker. It starts
//! DynamoDB Local and LocalStack, provisions `template.yaml` on them, serves the template's
//! HTTP routes with the same handlers the Lambdas run, and plays the event source mappings.

pub mod authorizer;
pub mod ceremony;
pub mod clients;
pub mod emulators;
pub mod function_env;
pub mod gateway;
pub mod jwt;
pub mod lambdas;
pub mod operations;
pub mod pollers;
pub mod provision;
pub mod roll_upload;
pub mod runtime_api;
pub mod samples;
pub mod template;
pub mod trail;
pub mod web;

use adapters::dynamodb::{DynamoStore, Table, Tables};
use adapters::eventbridge::EventBridgeBus;
use adapters::kms::{KeyIds, KmsKeys};
use adapters::s3::S3Files;
use clients::{Clients, Ports};
use election_core::bounds::Bounds;
use election_core::clock::SystemClock;
use emulators::Emulator;
use gateway::Gateway;
use handlers::config::{Bound, Setting, Settings};
use handlers::functions::{Function, StreamFunction};
use handlers::http::tokens::Tokens;
use handlers::services::{LiveServices, Services};
use lambdas::Lambdas;
use pollers::{QueueMapping, StreamMapping};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use template::{Template, Trigger};

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Where `up` sends invocations (see [`lambdas`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LambdaMode {
    InProcess,
    Runtime,
}

/// Settings for `up`.
pub struct UpOptions {
    pub template: PathBuf,
    /// Logs and emulator state go here.
    pub work_dir: PathBuf,
    pub ports: Ports,
    pub lambdas: LambdaMode,
    /// Where the data-event trail is appended, if one is kept (see [`trail`]).
    pub trail: Option<PathBuf>,
}

/// A positive count from the environment variable `name`, else `default`.
pub fn count_from_env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|n| n.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(default)
}

/// The queue the template gives the publisher (`UNREADABLE_RECORDS_QUEUE_URL`) for stream
/// records that do not read.
pub const UNREADABLE_RECORDS_QUEUE: &str = "UnreadableRecordsQueue";

/// The queue of the ballot box's part workers (`RECOUNT_QUEUE_URL`): a certification's
/// recount and a verifiable tally's freeze.
pub const RECOUNT_QUEUE: &str = "RecountQueue";

/// The functions' services on the local emulators, with the names the template gives.
pub fn local_services(clients: &Clients, template: &Template) -> Result<LiveServices, BoxError> {
    let name = |setting: Setting| {
        let variable = setting.variable();
        template
            .names
            .get(variable)
            .cloned()
            .ok_or_else(|| format!("no function of the template is given {variable}"))
    };
    let mut tables = Tables::default();
    for table in Table::ALL {
        tables = tables.with(table, name(Setting::Table(table))?);
    }
    Ok(Services {
        store: DynamoStore::new(clients.dynamodb.clone(), tables),
        bus: EventBridgeBus::default().with_bus(clients.events.clone(), name(Setting::EventBusName)?),
        clock: SystemClock,
        sealer: KmsKeys::new(
            clients.kms.clone(),
            KeyIds {
                seal: Some(name(Setting::BallotSealKey)?),
                identity: Some(name(Setting::VoterIdentityKey)?),
                mix: Some(name(Setting::BallotMixKey)?),
            },
        ),
        files: S3Files::new(
            clients.s3.clone(),
            Some(name(Setting::RollFilesBucket)?),
            Some(name(Setting::RecordsBucket)?),
        ),
        bounds: template_bounds(template)?,
        mix_batch: Settings::read(&[Setting::MixBatchSize], |v| template.names.get(v).cloned())?.mix_batch()?,
        voter_identity_claim: name(Setting::VoterIdentityClaim)?,
        tokens: local_tokens(template)?,
    })
}

/// The issuers the functions check tokens against, as their environment names them here.
fn local_tokens(template: &Template) -> Result<Tokens, BoxError> {
    let local = authorizer::local_token_settings(template, &jwt::LocalIssuers::from_env())?;
    let wanted = [
        Setting::OfficialsIssuer,
        Setting::OfficialsAudience,
        Setting::VoterIssuer,
        Setting::VoterAudience,
    ];
    Ok(Settings::read(&wanted, |v| local.get(v).cloned())?.tokens()?)
}

/// The bounds the template gives its functions (parameters, overrides included).
fn template_bounds(template: &Template) -> Result<Bounds, BoxError> {
    let given: Vec<Setting> = Bound::ALL
        .into_iter()
        .map(Setting::Bound)
        .filter(|s| template.names.contains_key(s.variable()))
        .collect();
    Ok(Settings::read(&given, |v| template.names.get(v).cloned())?.bounds()?)
}

async fn start_emulators(options: &UpOptions, clients: &Clients) -> Result<Vec<Emulator>, BoxError> {
    let logs = options.work_dir.join("logs");
    std::fs::create_dir_all(&logs)?;
    let mut started: Vec<Emulator> = Vec::new();
    let result: Result<(), BoxError> = async {
        started.push(
            emulators::start_dynamodb_local(options.ports.dynamodb, &logs, &options.work_dir.join("dynamodb-local"))
                .await?,
        );
        let state = options.work_dir.join("localstack");
        started.push(emulators::start_localstack(options.ports.localstack, &logs, &state).await?);
        let dynamodb_ready = || async { clients.dynamodb.list_tables().send().await.is_ok() };
        started[0].wait_ready(Duration::from_secs(60), dynamodb_ready).await?;
        let localstack_ready = || async {
            clients.sqs.list_queues().send().await.is_ok()
                && clients.events.list_event_buses().send().await.is_ok()
                && clients.kms.list_keys().send().await.is_ok()
                && clients.s3.list_buckets().send().await.is_ok()
        };
        started[1]
            .wait_ready(Duration::from_secs(120), localstack_ready)
            .await?;
        Ok(())
    }
    .await;
    if let Err(err) = result {
        stop_all(started).await;
        return Err(err);
    }
    Ok(started)
}

/// Signals every emulator first, so that their grace periods run at the same time.
async fn stop_all(emulators: Vec<Emulator>) {
    for emulator in &emulators {
        emulator.terminate();
    }
    for emulator in emulators {
        emulator.stop().await;
    }
}

/// The event source mappings of the template, resolved to provisioned resources.
struct Mappings {
    streams: Vec<StreamMapping>,
    queues: Vec<QueueMapping>,
    /// The functions on a schedule.
    schedules: Vec<StreamFunction>,
}

fn mappings(template: &Template, provisioned: &provision::Provisioned) -> Result<Mappings, BoxError> {
    let mut streams = Vec::new();
    let mut queues = Vec::new();
    let mut schedules = Vec::new();
    for def in &template.functions {
        let function = Function::from_name(&def.name)
            .ok_or_else(|| format!("the runner has no handler for function '{}'", def.name))?;
        for trigger in &def.triggers {
            match (trigger, function) {
                (Trigger::Http(_), Function::Http(_)) => {}
                (
                    Trigger::Stream {
                        table,
                        batch_size,
                        max_retries,
                        on_failure_queue,
                        event_names,
                    },
                    Function::Stream(f),
                ) => streams.push(StreamMapping {
                    function: f,
                    stream_arn: provisioned
                        .stream_arns
                        .get(table)
                        .cloned()
                        .ok_or_else(|| format!("table {table} has no stream"))?,
                    batch_size: *batch_size,
                    max_retries: *max_retries,
                    on_failure_queue_url: on_failure_queue
                        .as_ref()
                        .and_then(|q| provisioned.queue_urls.get(q).cloned()),
                    event_names: event_names.clone(),
                }),
                (Trigger::Queue { queue, batch_size }, Function::Queue(f)) => queues.push(QueueMapping {
                    function: f,
                    queue_url: provisioned
                        .queue_urls
                        .get(queue)
                        .cloned()
                        .ok_or_else(|| format!("no queue {queue}"))?,
                    queue_arn: provisioned.queue_arns.get(queue).cloned().unwrap_or_default(),
                    batch_size: *batch_size,
                }),
                (Trigger::Schedule, Function::Stream(f)) => schedules.push(f),
                _ => return Err(format!("function '{}' has a trigger its handler does not take", def.name).into()),
            }
        }
    }
    Ok(Mappings {
        streams,
        queues,
        schedules,
    })
}

/// The issuer the template's voter routes trust, as the web app is told it.
fn voter_issuer(template: &Template) -> String {
    template.parameters.get("VoterIssuer").cloned().unwrap_or_default()
}

/// Starts everything, serves until Ctrl-C or SIGTERM, then stops everything it started.
pub async fn up(mut options: UpOptions) -> Result<(), BoxError> {
    if let Some(path) = &options.trail {
        options.ports = trail::record(path, options.ports).await?;
    }
    let mut template = Template::load(&options.template)?;
    // `OMP_UNSTREAMED_TABLES` (comma-separated): the roll benchmark's tables without streams.
    let unstreamed: Vec<String> = std::env::var("OMP_UNSTREAMED_TABLES")
        .unwrap_or_default()
        .split(',')
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect();
    template.drop_streams(&unstreamed);
    let routes = gateway::compile_routes(&template)?;
    let clients = Clients::local(options.ports).await;
    let emulators = start_emulators(&options, &clients).await?;
    let result = serve(&options, &template, routes, &clients).await;
    stop_all(emulators).await;
    result
}

async fn serve(
    options: &UpOptions,
    template: &Template,
    routes: Vec<gateway::CompiledRoute>,
    clients: &Clients,
) -> Result<(), BoxError> {
    let provisioned = provision::provision(clients, template).await?;
    let lambdas = Arc::new(match options.lambdas {
        LambdaMode::InProcess => {
            let mut services = local_services(clients, template)?;
            if let Some(queue_url) = provisioned.queue_urls.get(UNREADABLE_RECORDS_QUEUE) {
                services.bus = services
                    .bus
                    .with_set_aside_queue(clients.sqs.clone(), queue_url.clone());
            }
            if let Some(queue_url) = provisioned.queue_urls.get(RECOUNT_QUEUE) {
                services.bus = services.bus.with_recount_queue(clients.sqs.clone(), queue_url.clone());
            }
            // Every queue of the template is in the pipeline (the template's PIPELINE_QUEUE_URLS).
            let pipeline = provisioned.queue_urls.values().cloned().collect();
            services.bus = services.bus.with_pipeline_queues(clients.sqs.clone(), pipeline);
            Lambdas::InProcess(Arc::new(services))
        }
        // The function binaries sit beside the runner's (one `cargo build --workspace`).
        LambdaMode::Runtime => {
            let bin_dir = std::env::current_exe()?
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default();
            let logs = options.work_dir.join("logs");
            // As many instances as may be asked for at once: the gateway's limit per HTTP
            // function, the pollers' batches at once per queue, one per stream or schedule.
            let triggers = |function: Function| {
                let def = template.functions.iter().find(|def| def.name == function.name());
                def.map_or(1, |def| def.triggers.len())
            };
            let max_instances = |function| match function {
                Function::Http(_) => gateway::function_concurrency(),
                Function::Queue(_) => pollers::queue_concurrency(),
                Function::Stream(_) => triggers(function),
                Function::Operation(_) => 1,
            };
            Lambdas::runtime(template, clients, options.ports, &bin_dir, &logs, max_instances).await?
        }
    });
    let Mappings {
        streams,
        queues,
        schedules,
    } = mappings(template, &provisioned)?;
    let mut tasks = Vec::new();
    for function in schedules {
        tasks.push(tokio::spawn(pollers::run_schedule(lambdas.clone(), function)));
    }
    for mapping in streams {
        tasks.push(tokio::spawn(pollers::run_stream(
            clients.clone(),
            lambdas.clone(),
            mapping,
        )));
    }
    // Lambda runs many batches of one queue at once; so does the runner, so that races
    // between concurrent consumers show up here and not first on AWS.
    let concurrency = pollers::queue_concurrency();
    for mapping in queues {
        for _ in 0..concurrency {
            tasks.push(tokio::spawn(pollers::run_queue(
                clients.clone(),
                lambdas.clone(),
                mapping.clone(),
            )));
        }
    }
    let issuers = jwt::LocalIssuers::new(
        format!("http://127.0.0.1:{}", options.ports.api),
        jwt::secret_from_env(),
    );
    let gateway = Arc::new(Gateway::new(
        routes,
        lambdas,
        authorizer::local_authorizers(template, &issuers)?,
        std::fs::read_to_string(options.template.with_file_name("openapi.json"))?,
    ));
    let site = options.template.with_file_name("web");
    let app = gateway::router(gateway).merge(web::router(site, issuers, voter_issuer(template)));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", options.ports.api)).await?;
    print_banner(options.ports.api, &options.work_dir);
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await;
    for task in tasks {
        task.abort();
    }
    served.map_err(Into::into)
}

async fn shutdown_signal() {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = async { match terminate.as_mut() { Some(s) => { s.recv().await; } None => std::future::pending().await } } => {}
    }
    eprintln!("shutting down: stopping the emulators");
}

fn print_banner(api_port: u16, work_dir: &Path) {
    println!("local stack ready");
    println!("  API:    http://127.0.0.1:{api_port}   (contract: http://127.0.0.1:{api_port}/openapi.json)");
    println!("  web:    http://127.0.0.1:{api_port}/   (development sign-in: any sub, any roles)");
    println!("  token:  scripts/token.sh <sub> <group>[,<group>…]   e.g. scripts/token.sh alice commission");
    println!("  try:    curl -H \"Authorization: Bearer $(scripts/token.sh alice commission)\" \\");
    println!("            -d '{{\"name\":\"Demo\",\"votingStartsAt\":\"2026-01-01T00:00:00Z\",\"votingEndsAt\":\"2030-01-01T00:00:00Z\"}}' \\");
    println!("            http://127.0.0.1:{api_port}/elections");
    println!("  logs:   {}", work_dir.join("logs").display());
    println!("  stop:   Ctrl-C");
}
