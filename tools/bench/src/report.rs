//! One benchmark run: every figure measured in order on the same stack, printed as one
//! table and written as JSON.

use crate::load::{self, Api};
use crate::meter::Tally;
use crate::{lambda_start, raw, verifiable};
use local_runner::clients::{Clients, Ports};
use local_runner::template::Template;
use serde_json::json;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(clap::Args)]
pub struct RunOptions {
    /// The local API.
    #[arg(long, default_value = "http://127.0.0.1:3000")]
    api: String,
    /// The metering proxy the stack's DynamoDB clients go through.
    #[arg(long)]
    meter: u16,
    #[arg(long, default_value_t = 200)]
    clients: usize,
    /// Seconds of API load.
    #[arg(long, default_value_t = 30)]
    seconds: u64,
    /// Seconds of each raw write run.
    #[arg(long, default_value_t = 10)]
    raw_seconds: u64,
    #[arg(long, default_value_t = 5)]
    candidates: usize,
    /// Voters on the election's roll: more than the load casts (it stops when they are all
    /// spent, and says so), and not many more: DynamoDB Local slows every write to a table
    /// as its stream's records grow, and each entry is one.
    #[arg(long, default_value_t = 8_000)]
    voters: usize,
    /// Where the release function binaries are.
    #[arg(long)]
    bin_dir: PathBuf,
    #[arg(long, default_value = "template.yaml")]
    template: PathBuf,
    /// The JSON report.
    #[arg(long)]
    out: PathBuf,
    /// Vote in a verifiable election: each voter's ballot encrypted beforehand; after the
    /// load, the tally's freeze and two trustees' decryptions are timed too.
    #[arg(long)]
    verifiable: bool,
}

/// The target rate the design is for.
const NATIONAL_PEAK_VOTES_PER_SECOND: f64 = 10_000.0;

/// The `p` quantile of `values`, in milliseconds.
pub(crate) fn percentile(values: &mut [Duration], p: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort();
    let index = ((values.len() - 1) as f64 * p).round() as usize;
    values[index].as_secs_f64() * 1000.0
}

async fn meter(http: &reqwest::Client, port: u16, reset: bool) -> Tally {
    let url = format!("http://127.0.0.1:{port}/__meter");
    if reset {
        let _ = http.post(format!("{url}/reset")).send().await;
        return Tally::default();
    }
    match http.get(url).send().await {
        Ok(reply) => reply.json().await.unwrap_or_default(),
        Err(_) => Tally::default(),
    }
}

pub async fn run(options: RunOptions) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let template = Template::load(&options.template)?;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(options.clients)
        .build()?;
    let raw_for = Duration::from_secs(options.raw_seconds);

    eprintln!(
        "API: {} clients, {} s of votes by distinct voters",
        options.clients, options.seconds
    );
    let api = Arc::new(Api {
        base: options.api.clone(),
        http: http.clone(),
        issuers: local_runner::jwt::LocalIssuers::new(options.api.clone(), local_runner::jwt::secret_from_env()),
    });
    let voting = load::election(
        &api,
        options.candidates,
        options.voters,
        Duration::from_secs(options.seconds),
        options.verifiable,
    )
    .await;
    meter(&http, options.meter, true).await;
    let mut outcome = load::votes(
        api.clone(),
        &voting,
        options.clients,
        Duration::from_secs(options.seconds),
    )
    .await;
    let writes = meter(&http, options.meter, false).await;
    let count = match &voting.trustees {
        Some(trustees) => {
            eprintln!("the count: the tally's freeze after the close, then two trustees' decryptions");
            Some(verifiable::count(&api, &voting.election, trustees).await)
        }
        None => None,
    };

    // After the API: at 200 clients DynamoDB Local's transactions collapse and stay slow for
    // a while, which would spoil whatever ran next.
    eprintln!(
        "raw writes: {} clients, {} s each",
        options.clients, options.raw_seconds
    );
    // Straight to DynamoDB Local, not through the meter that the stack's clients use.
    let ports = Ports::from_env();
    let direct = Clients::local(Ports {
        dynamodb_endpoint: ports.dynamodb,
        ..ports
    })
    .await;
    let services = local_runner::local_services(&direct, &template)?;
    // The same writes from a tenth of the clients: where DynamoDB Local's own ceiling is.
    let few = (options.clients / 10).max(1);
    let raw_votes_few = raw::vote_writes(services.store.clone(), few, raw_for).await;
    let participation = template.names["PARTICIPATION_TABLE"].clone();
    let raw_puts = raw::conditional_puts(direct.dynamodb.clone(), participation, options.clients, raw_for).await;
    // Last: the run that collapses.
    let raw_votes = raw::vote_writes(services.store, options.clients, raw_for).await;

    eprintln!("bootstraps: sizes and start to first `next`");
    let mut functions = Vec::new();
    for (name, size) in lambda_start::sizes(&template, &options.bin_dir) {
        let runs = if name == "cast-vote" { 30 } else { 10 };
        let start = match size {
            Some(_) => lambda_start::median_start(&options.bin_dir.join(&name), &template, runs).await,
            None => None,
        };
        functions.push((name, size, start));
    }

    let accepted = *outcome.statuses.get(&201).unwrap_or(&0);
    let api_rate = accepted as f64 / outcome.seconds;
    let server_errors: u64 = outcome
        .statuses
        .iter()
        .filter(|(s, _)| **s >= 500 || **s == 0)
        .map(|(_, n)| n)
        .sum();
    let per_vote = |n: f64| if accepted > 0 { n / accepted as f64 } else { f64::NAN };
    let total_items: u64 = writes.by_operation.values().map(|w| w.items).sum();
    let total_units: f64 = writes.by_operation.values().map(|w| w.write_units).sum();
    let (hot_key, hot_writes) = writes
        .by_key
        .iter()
        .max_by_key(|(_, n)| **n)
        .map(|(k, n)| (k.clone(), *n))
        .unwrap_or_default();
    let hot_share = if total_items > 0 {
        hot_writes as f64 / total_items as f64
    } else {
        f64::NAN
    };
    let projected_hot = hot_share * per_vote(total_items as f64) * NATIONAL_PEAK_VOTES_PER_SECOND;
    // By AWS's rules (sizes, transactions twice): the key's units a vote, at the peak.
    let aws_units: f64 = writes.units_by_key.values().sum();
    let (hot_units_key, hot_units) = writes
        .units_by_key
        .iter()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(k, u)| (k.clone(), *u))
        .unwrap_or_default();
    let projected_hot_units = per_vote(hot_units) * NATIONAL_PEAK_VOTES_PER_SECOND;
    let figures = json!({
        "clients": options.clients,
        "rawVoteWritesPerSecond": raw_votes,
        "rawConditionalPutsPerSecond": raw_puts,
        "rawVoteWritesPerSecondFewClients": { "clients": few, "perSecond": raw_votes_few },
        "apiVotesPerSecond": api_rate,
        "apiToRawRatio": api_rate / raw_votes,
        "loadSeconds": outcome.seconds,
        "statuses": outcome.statuses,
        "serverErrors": server_errors,
        "countedBeyond201": outcome.counted_beyond_201,
        "latencyMs": { "p50": percentile(&mut outcome.latencies, 0.5), "p99": percentile(&mut outcome.latencies, 0.99) },
        "tallyLagMs": { "p50": percentile(&mut outcome.tally_lags, 0.5), "p99": percentile(&mut outcome.tally_lags, 0.99),
                        "sampled": outcome.tally_lags.len() },
        "writeUnitsPerVote": writes.by_operation.iter()
            .map(|(op, w)| (op.clone(), json!({ "items": per_vote(w.items as f64), "writeUnits": per_vote(w.write_units) })))
            .collect::<serde_json::Map<_, _>>(),
        "writeUnitsPerVoteTotal": per_vote(total_units),
        "hottestKey": { "key": hot_key, "shareOfWrites": hot_share, "projectedWritesPerSecondAt10k": projected_hot },
        "awsRules": { "writeUnitsPerVote": per_vote(aws_units), "hottestKey": hot_units_key,
                      "hottestKeyUnitsPerSecondAt10k": projected_hot_units },
        "verifiable": count.as_ref().map(|c| json!({
            "freezeMs": c.freeze.as_secs_f64() * 1000.0,
            "lastDecryptionToResultsMs": c.last_decryption.as_secs_f64() * 1000.0,
            "cast": c.cast, "counted": c.counted,
        })),
        "functions": functions.iter().map(|(name, size, start)| json!({
            "name": name, "bootstrapBytes": size, "startToNextMs": start.map(|d| d.as_secs_f64() * 1000.0),
        })).collect::<Vec<_>>(),
    });
    if let Some(dir) = options.out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&options.out, serde_json::to_string_pretty(&figures)?)?;

    println!("| figure | value |");
    println!("|---|---|");
    println!(
        "| raw vote writes/s (participation + ballot transaction, c={}) | {raw_votes:.0} |",
        options.clients
    );
    println!("| raw conditional PutItem/s (c={}) | {raw_puts:.0} |", options.clients);
    println!("| raw vote writes/s at c={few}, for reference | {raw_votes_few:.0} |");
    println!(
        "| API votes/s (c={}, {:.0} s, distinct voters) | {api_rate:.0} |",
        options.clients, outcome.seconds
    );
    println!("| API ÷ raw vote writes | {:.2} |", api_rate / raw_votes);
    println!(
        "| replies by status | {} |",
        outcome
            .statuses
            .iter()
            .map(|(s, n)| format!("{s}: {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!("| 5xx or no reply | {server_errors} |");
    if let Some(c) = &count {
        println!(
            "| verifiable: tally frozen by one read (ballots checked and summed) | {:.0} ms, {} ballots |",
            c.freeze.as_secs_f64() * 1000.0,
            c.cast
        );
        println!(
            "| verifiable: the last partial decryption to results and record published | {:.0} ms ({} counted) |",
            c.last_decryption.as_secs_f64() * 1000.0,
            c.counted
        );
    }
    println!(
        "| votes counted beyond the 201s (stored, voter told otherwise) | {} |",
        outcome.counted_beyond_201
    );
    println!(
        "| latency p50 / p99 | {:.0} ms / {:.0} ms |",
        figures["latencyMs"]["p50"].as_f64().unwrap_or(f64::NAN),
        figures["latencyMs"]["p99"].as_f64().unwrap_or(f64::NAN)
    );
    println!(
        "| tally lag p50 / p99 ({} votes) | {:.0} ms / {:.0} ms |",
        outcome.tally_lags.len(),
        figures["tallyLagMs"]["p50"].as_f64().unwrap_or(f64::NAN),
        figures["tallyLagMs"]["p99"].as_f64().unwrap_or(f64::NAN)
    );
    for (op, w) in &writes.by_operation {
        println!(
            "| per vote: {op} | {:.2} items, {:.2} WCU |",
            per_vote(w.items as f64),
            per_vote(w.write_units)
        );
    }
    println!(
        "| write units per vote, views included | {:.2} WCU |",
        per_vote(total_units)
    );
    println!(
        "| hottest key | `{hot_key}`: {:.2}% of writes → {projected_hot:.0} writes/s at 10,000 votes/s |",
        hot_share * 100.0
    );
    println!(
        "| by AWS's rules (item sizes, transactions twice; updates and deletes at the size the request shows) | {:.2} write units a vote; hottest key `{hot_units_key}`: {projected_hot_units:.0} units/s at 10,000 votes/s |",
        per_vote(aws_units)
    );
    for (name, size, start) in &functions {
        let size = size
            .map(|b| format!("{:.1} MB", b as f64 / 1e6))
            .unwrap_or_else(|| "not built".into());
        let start = start
            .map(|d| format!("{:.1} ms", d.as_secs_f64() * 1000.0))
            .unwrap_or_else(|| "-".into());
        println!("| `{name}` bootstrap / start to first `next` | {size} / {start} |");
    }
    eprintln!("figures written to {}", options.out.display());
    Ok(())
}
