//! One benchmark run: every figure measured in order on the same stack, printed as one
//! table and written as JSON.

use crate::cpu;
use crate::load::{self, Api, Voter};
use crate::meter::Tally;
use crate::{issuer, lambda_start, raw, verifiable};
use local_runner::clients::{Clients, Ports};
use local_runner::template::Template;
use serde_json::json;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(clap::Args)]
pub struct RunOptions {
    /// The local API.
    #[arg(long, default_value = "http://127.0.0.1:3000")]
    api: String,
    /// Where a journey reads the ballot document: on a stage, its `PublicDocumentsUrl` (the
    /// edge); the API by default.
    #[arg(long)]
    public_url: Option<String>,
    /// The metering proxy the stack's DynamoDB clients go through. Without it (a deployed
    /// stage: docs/election-day.md), only the API is measured: no write units, raw rates,
    /// CPU or bootstraps.
    #[arg(long)]
    meter: Option<u16>,
    /// On a deployed stage: the load test's voter issuer (`bench issuer`), its key file,
    /// and the stage's `VoterAudience` and `VoterIdentityClaim`.
    #[arg(long, requires_all = ["voter_key", "voter_audience", "commission_token"])]
    voter_issuer: Option<String>,
    #[arg(long)]
    voter_key: Option<PathBuf>,
    #[arg(long)]
    voter_audience: Option<String>,
    #[arg(long, default_value = "sub")]
    voter_claim: String,
    /// On a deployed stage: a file holding a commission member's ID token from the user
    /// pool (it registers the elections, imports their rolls and reads the live results).
    #[arg(long)]
    commission_token: Option<PathBuf>,
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

impl RunOptions {
    /// A tenth of the clients: where DynamoDB Local's own ceiling is, for reference.
    fn few_clients(&self) -> usize {
        (self.clients / 10).max(1)
    }
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

/// A metered key's family of shards, and how many keys the family has. A key drawn at
/// random per call or per item (a mixer pool, a ballot box shard, a vote or turnout counter
/// shard) takes its family's writes spread over them at the peak, where about 100 calls
/// a second land at random. A local run makes a few dozen calls, which fall on a few keys:
/// its hottest single key is not the peak's shape (it is reported too). Any other key is a
/// family of one.
fn family(key: &str) -> (String, u32) {
    use adapters::dynamodb::{BALLOT_BOX_SHARDS, MIX_POOLS, VOTE_COUNTER_SHARDS};
    let Some((stem, shard)) = key.rsplit_once('#') else {
        return (key.to_owned(), 1);
    };
    let shards = if shard.parse::<u32>().is_err() {
        1
    } else if stem.ends_with("#pool") {
        MIX_POOLS
    } else if stem.starts_with("DashboardTable votes#") || stem.starts_with("DashboardTable turnout#") {
        VOTE_COUNTER_SHARDS
    } else if stem.starts_with("BallotBoxTable ") {
        BALLOT_BOX_SHARDS
    } else {
        1
    };
    match shards {
        1 => (key.to_owned(), 1),
        shards => (stem.to_owned(), shards),
    }
}

/// The key with the most write units at the peak, as a share of its family's, and those
/// units a vote.
fn hottest_at_peak(units_by_key: &std::collections::HashMap<String, f64>) -> (String, f64) {
    let mut families: std::collections::HashMap<String, (f64, u32)> = std::collections::HashMap::new();
    for (key, units) in units_by_key {
        let (stem, shards) = family(key);
        families.entry(stem).or_insert((0.0, shards)).0 += units;
    }
    families
        .into_iter()
        .map(|(stem, (units, shards))| match shards {
            1 => (stem, units),
            shards => (format!("{stem}#<one of {shards}>"), units / f64::from(shards)),
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap_or_default()
}

async fn meter(http: &reqwest::Client, port: Option<u16>, reset: bool) -> Tally {
    let Some(port) = port else {
        return Tally::default();
    };
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

/// What only the local stack can show: the raw write rates straight to DynamoDB Local,
/// and each function's bootstrap; after the API, as at 200 clients DynamoDB Local's
/// transactions collapse and stay slow for a while.
async fn local_ceilings(
    options: &RunOptions,
    template: &Template,
) -> Result<(f64, f64, f64, Vec<Bootstrap>), Box<dyn std::error::Error + Send + Sync>> {
    let raw_for = Duration::from_secs(options.raw_seconds);
    eprintln!(
        "raw writes: {} clients, {} s each",
        options.clients, options.raw_seconds
    );
    // Straight to DynamoDB Local, not through the meter that the stack's clients use; and a
    // client that waits (the SDK's retries, no timeouts), not the functions' fail-fast one,
    // so that the ceiling is what DynamoDB Local can take, not where 3 s run out.
    let ports = Ports::from_env();
    let direct = Clients::local(Ports {
        dynamodb_endpoint: ports.dynamodb,
        ..ports
    })
    .await;
    let waiting = direct
        .dynamodb
        .config()
        .to_builder()
        .timeout_config(aws_sdk_dynamodb::config::timeout::TimeoutConfig::disabled())
        .build();
    let direct = Clients {
        dynamodb: aws_sdk_dynamodb::Client::from_conf(waiting),
        ..direct
    };
    let services = local_runner::local_services(&direct, template)?;
    let raw_votes_few = raw::vote_writes(services.store.clone(), options.few_clients(), raw_for).await;
    let participation = template.names["PARTICIPATION_TABLE"].clone();
    let raw_puts = raw::conditional_puts(direct.dynamodb.clone(), participation, options.clients, raw_for).await;
    // Last: the run that collapses.
    let raw_votes = raw::vote_writes(services.store, options.clients, raw_for).await;

    eprintln!("bootstraps: sizes and start to first `next`");
    let mut functions = Vec::new();
    for (name, size) in lambda_start::sizes(template, &options.bin_dir) {
        let runs = if name == "cast-vote" { 30 } else { 10 };
        let start = match size {
            Some(_) => lambda_start::median_start(&options.bin_dir.join(&name), template, runs).await,
            None => None,
        };
        functions.push((name, size, start));
    }

    Ok((raw_votes_few, raw_puts, raw_votes, functions))
}

/// `voter_does` at `options.clients` clients for `options.seconds`, in a default-mode election
/// of its own on the same stack.
async fn load_in_a_default_election(api: &Arc<Api>, options: &RunOptions, voter_does: Voter) -> load::LoadOutcome {
    let voting = load::election(
        api,
        options.candidates,
        options.voters,
        Duration::from_secs(options.seconds),
        false,
    )
    .await;
    load::votes(
        api.clone(),
        &voting,
        voter_does,
        options.clients,
        Duration::from_secs(options.seconds),
    )
    .await
}

/// Replies by status, as `201: n, 409: m`.
fn statuses_text(statuses: &BTreeMap<u16, u64>) -> String {
    statuses
        .iter()
        .map(|(s, n)| format!("{s}: {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Votes accepted a second in a load.
fn accepted_rate(outcome: &load::LoadOutcome) -> f64 {
    *outcome.statuses.get(&201).unwrap_or(&0) as f64 / outcome.seconds
}

/// A function's name, its bootstrap's size and its median start to the first `next`.
type Bootstrap = (String, Option<u64>, Option<Duration>);

pub async fn run(options: RunOptions) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let template = Template::load(&options.template)?;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(options.clients)
        .build()?;

    eprintln!(
        "API: {} clients, {} s of votes by distinct voters",
        options.clients, options.seconds
    );
    let stage = match (
        &options.voter_issuer,
        &options.voter_key,
        &options.voter_audience,
        &options.commission_token,
    ) {
        (Some(url), Some(key), Some(audience), Some(commission)) => Some(load::Stage {
            voters: issuer::issuer(url, audience, key)?,
            identity_claim: options.voter_claim.clone(),
            commission: std::fs::read_to_string(commission)?.trim().to_owned(),
        }),
        _ => None,
    };
    let api = Arc::new(Api {
        base: options.api.clone(),
        public: options.public_url.clone().unwrap_or_else(|| options.api.clone()),
        http: http.clone(),
        issuers: local_runner::jwt::LocalIssuers::new(options.api.clone(), local_runner::jwt::secret_from_env()),
        stage,
    });
    let local = options.meter.is_some();
    // A verifiable run measures the default mode first, the same way on the same stack, so
    // that the ratio of the two is of runs a minute apart on one machine, not two runs that
    // this shared machine may have served at different speeds. Its pipeline has drained
    // when it returns; the verifiable load then meets the fuller tables.
    let default_mode = if options.verifiable {
        eprintln!("the default mode first, on the same stack: the same load in an election of its own");
        Some(load_in_a_default_election(&api, &options, Voter::Votes).await)
    } else {
        None
    };
    let voting = load::election(
        &api,
        options.candidates,
        options.voters,
        Duration::from_secs(options.seconds),
        options.verifiable,
    )
    .await;
    meter(&http, options.meter, true).await;
    let cpu_before = cpu::snapshot();
    let mut outcome = load::votes(
        api.clone(),
        &voting,
        Voter::Votes,
        options.clients,
        Duration::from_secs(options.seconds),
    )
    .await;
    // The load and the wait until the results held its votes: everything the votes cost.
    let cpu_used = cpu::since(&cpu_before);
    let writes = meter(&http, options.meter, false).await;
    let count = match &voting.trustees {
        Some(trustees) => {
            eprintln!("the count: the tally's freeze after the close, then two trustees' decryptions");
            Some(verifiable::count(&api, &voting.election, trustees).await)
        }
        None => None,
    };

    // The web app's whole journey in an election of its own, after the votes alone (so on a
    // stack whose tables hold more: if anything, this run is the slower one).
    let mut journeys = if options.verifiable {
        None
    } else {
        eprintln!(
            "journeys: {} clients, {} s, the ballot, the vote, My votes",
            options.clients, options.seconds
        );
        Some(load_in_a_default_election(&api, &options, Voter::Journey).await)
    };

    let (raw_votes_few, raw_puts, raw_votes, functions) = if local {
        local_ceilings(&options, &template).await?
    } else {
        (f64::NAN, f64::NAN, f64::NAN, Vec::new())
    };
    let few = options.few_clients();

    let accepted = *outcome.statuses.get(&201).unwrap_or(&0);
    let api_rate = accepted_rate(&outcome);
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
    let (hot_units_key, hot_units) = hottest_at_peak(&writes.units_by_key);
    let projected_hot_units = per_vote(hot_units) * NATIONAL_PEAK_VOTES_PER_SECOND;
    let (hottest_here_key, hottest_here) = writes
        .units_by_key
        .iter()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(k, u)| (k.clone(), per_vote(*u) * NATIONAL_PEAK_VOTES_PER_SECOND))
        .unwrap_or_default();
    let journey = journeys.as_mut().map(|j| {
        let accepted = *j.statuses.get(&201).unwrap_or(&0);
        let completed = j.latencies.len() as f64;
        json!({
            "perSecond": accepted as f64 / j.seconds,
            "toVotesPerSecond": accepted as f64 / j.seconds / api_rate,
            "requestsPerJourney": j.requests as f64 / completed,
            "latencyMs": { "p50": percentile(&mut j.latencies, 0.5), "p99": percentile(&mut j.latencies, 0.99) },
            "votes": j.statuses,
            "ballotOrMyVotesFailures": j.other_failures,
        })
    });
    let cpu_ms_per_vote: BTreeMap<&str, f64> = cpu_used.iter().map(|(kind, s)| (*kind, per_vote(s * 1000.0))).collect();
    let requests_per_vote: BTreeMap<&String, f64> = writes
        .requests
        .iter()
        .map(|(op, n)| (op, per_vote(*n as f64)))
        .collect();
    let figures = json!({
        "journeys": journey,
        "cpuMsPerVote": cpu_ms_per_vote,
        "dynamodbRequestsPerVote": requests_per_vote,
        "clients": options.clients,
        "rawVoteWritesPerSecond": raw_votes,
        "rawConditionalPutsPerSecond": raw_puts,
        "rawVoteWritesPerSecondFewClients": { "clients": few, "perSecond": raw_votes_few },
        "apiVotesPerSecond": api_rate,
        "defaultModeSameRun": default_mode.as_ref().map(|d| json!({
            "apiVotesPerSecond": accepted_rate(d), "verifiableToDefault": api_rate / accepted_rate(d),
            "statuses": d.statuses,
        })),
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
                      "hottestKeyUnitsPerSecondAt10k": projected_hot_units,
                      "hottestKeyOfThisRun": hottest_here_key, "itsUnitsPerSecondAt10k": hottest_here },
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
    if local {
        println!(
            "| raw vote writes/s (a vote's write, from a client that waits, c={}) | {raw_votes:.0} |",
            options.clients
        );
        println!("| raw conditional PutItem/s (c={}) | {raw_puts:.0} |", options.clients);
        println!("| raw vote writes/s at c={few}, a client that waits | {raw_votes_few:.0} |");
    }
    println!(
        "| API votes/s (c={}, {:.0} s, distinct voters) | {api_rate:.0} |",
        options.clients, outcome.seconds
    );
    if let Some(d) = &default_mode {
        let rate = accepted_rate(d);
        println!(
            "| API votes/s in the default mode, the same load on the same stack just before ({:.0} s; replies {}) | {rate:.0} |",
            d.seconds,
            statuses_text(&d.statuses)
        );
        println!(
            "| API votes/s, verifiable ÷ default mode, this run | {:.2} |",
            api_rate / rate
        );
    }
    if local {
        println!(
            "| API ÷ raw vote writes at c={} (at c={few}) | {:.2} ({:.2}) |",
            options.clients,
            api_rate / raw_votes,
            api_rate / raw_votes_few
        );
    }
    if let Some(j) = &journey {
        println!(
            "| journeys/s (the ballot, the vote, My votes; c={}) and ÷ API votes/s | {:.0} and {:.2} |",
            options.clients,
            j["perSecond"].as_f64().unwrap_or(f64::NAN),
            j["toVotesPerSecond"].as_f64().unwrap_or(f64::NAN)
        );
        println!(
            "| requests a journey; journey p50 / p99; ballot or My votes not 200 | {:.2}; {:.0} ms / {:.0} ms; {} |",
            j["requestsPerJourney"].as_f64().unwrap_or(f64::NAN),
            j["latencyMs"]["p50"].as_f64().unwrap_or(f64::NAN),
            j["latencyMs"]["p99"].as_f64().unwrap_or(f64::NAN),
            j["ballotOrMyVotesFailures"]
        );
    }
    for (kind, ms) in &cpu_ms_per_vote {
        println!("| CPU a vote, {kind} (the load and its count) | {ms:.1} ms |");
    }
    for (operation, n) in &requests_per_vote {
        println!("| DynamoDB requests a vote: {operation} | {n:.2} |");
    }
    println!("| replies by status | {} |", statuses_text(&outcome.statuses));
    println!("| 5xx or no reply | {server_errors} |");
    if let Some(c) = &count {
        println!(
            "| verifiable: tally frozen by the part workers (ballots counted, checked, summed, laid out) | {:.0} ms, {} ballots |",
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
    println!(
        "| this run's hottest single key (its few calls fell on a few shards: not the peak's shape) | `{hottest_here_key}`: {hottest_here:.0} units/s at 10,000 votes/s |"
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_drawn_at_random_are_one_family_and_other_keys_their_own() {
        let e = "7b0250c0-da56-4330-9b6f-8559c33091c8";
        let pools = adapters::dynamodb::MIX_POOLS;
        assert_eq!(
            family(&format!("BallotBoxTable {e}#pool#3")),
            (format!("BallotBoxTable {e}#pool"), pools)
        );
        assert_eq!(
            family(&format!("BallotBoxTable {e}#7")).1,
            adapters::dynamodb::BALLOT_BOX_SHARDS
        );
        assert_eq!(
            family(&format!("DashboardTable votes#{e}#0")).1,
            adapters::dynamodb::VOTE_COUNTER_SHARDS
        );
        assert_eq!(
            family(&format!("DashboardTable election#{e}")),
            (format!("DashboardTable election#{e}"), 1)
        );
        assert_eq!(
            family("BallotBoxTable mix#waiting"),
            ("BallotBoxTable mix#waiting".to_owned(), 1)
        );
        // A pool family's 1,280 units are 10 a pool; a lone key's 50 are its own, and hotter.
        let units = std::collections::HashMap::from([
            (format!("BallotBoxTable {e}#pool#3"), 1_000.0),
            (format!("BallotBoxTable {e}#pool#9"), 280.0),
            ("BallotBoxTable mix#waiting".to_owned(), 50.0),
        ]);
        let expected = 1_280.0 / f64::from(pools);
        assert!(expected < 50.0);
        assert_eq!(hottest_at_peak(&units), ("BallotBoxTable mix#waiting".to_owned(), 50.0));
    }
}
