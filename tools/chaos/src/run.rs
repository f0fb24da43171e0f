//! One chaos run: an election, the proxy armed, the votes cast while the bus is paused and a
//! malformed record slips into the ballot box, then the drain and the audit, printed as one
//! table and written as JSON.

use crate::audit::{self, Stack};
use crate::proxy::{Plan, Report};
use crate::verifiable;
use crate::voters::{self, Api};
use local_runner::clients::{Clients, Ports};
use local_runner::template::Template;
use serde_json::json;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(clap::Args)]
pub struct RunOptions {
    /// The local API.
    #[arg(long, default_value = "http://127.0.0.1:3000")]
    api: String,
    /// A port of the fault-injecting proxy, for its controls.
    #[arg(long)]
    control: u16,
    #[arg(long, default_value_t = 10_000)]
    votes: usize,
    #[arg(long, default_value_t = 32)]
    clients: usize,
    /// The share of the stack's requests that fail.
    #[arg(long, default_value_t = 0.2)]
    fault_rate: f64,
    /// Seconds the bus is paused, from a fifth of the votes on.
    #[arg(long, default_value_t = 60)]
    bus_pause: u64,
    /// Every n-th consumer batch is killed between its writes and its acknowledgement.
    #[arg(long, default_value_t = 10)]
    kill_every_nth_batch: u64,
    /// Voters of the verifiable election voting beside the default one (0: none).
    #[arg(long, default_value_t = 100)]
    verifiable_votes: usize,
    /// The longest wait for the pipeline to drain after the votes, in seconds.
    #[arg(long, default_value_t = 1800)]
    drain_limit: u64,
    #[arg(long, default_value = "template.yaml")]
    template: PathBuf,
    /// The JSON report.
    #[arg(long)]
    out: PathBuf,
    /// The stack's data-event trail (`local-runner up --trail`), read for the mixing.
    #[arg(long)]
    trail: PathBuf,
}

/// Waits until `started` reaches `mark`, saying how far the votes are every 30 s.
async fn until_started(started: &AtomicUsize, mark: usize, since: Instant) {
    let mut next_word = Instant::now();
    while started.load(Ordering::SeqCst) < mark {
        if Instant::now() >= next_word {
            let n = started.load(Ordering::SeqCst);
            eprintln!("votes: {n} begun in {:.0} s", since.elapsed().as_secs_f64());
            next_word += Duration::from_secs(30);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn run(options: RunOptions) -> Result<bool, BoxError> {
    let template = Template::load(&options.template)?;
    // Straight to the emulators: the audit's reads must not meet the faults.
    let clients = Clients::local(Ports::from_env()).await;
    let services = local_runner::local_services(&clients, &template)?;
    let stack = Stack {
        clients: &clients,
        template: &template,
        services: &services,
    };
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(options.clients)
        .build()?;
    let api = Arc::new(Api {
        base: options.api.clone(),
        http: http.clone(),
        issuers: local_runner::jwt::LocalIssuers::new(options.api.clone(), local_runner::jwt::secret_from_env()),
    });
    // The verifiable election first, opening a few seconds after the default one (whose roll
    // takes 20 s from its registration, after this one's few seconds of ceremony and
    // ballots), so that its voters vote in the storm and the bus's pause.
    let verifiable = match options.verifiable_votes {
        0 => None,
        n => {
            let open_for = chrono::TimeDelta::milliseconds(60_000.max(options.votes as i64 * 60));
            let opens_in = chrono::TimeDelta::seconds(30 + options.votes as i64 / 500);
            Some(Arc::new(verifiable::election(&api, n, opens_in, open_for).await?))
        }
    };
    let (election, candidates, roll) = voters::election(&api, options.votes).await?;
    let roll = Arc::new(roll);
    let control = format!("http://127.0.0.1:{}/__chaos", options.control);
    let plan = Plan {
        fault_rate: options.fault_rate,
        kill_every_nth_batch: options.kill_every_nth_batch,
        duplicate_events: true,
    };
    http.post(format!("{control}/arm"))
        .json(&plan)
        .send()
        .await?
        .error_for_status()?;
    eprintln!(
        "{} votes from {} clients; faults on {:.0}% of the stack's requests, every event put twice, \
         every {}th consumer batch killed before its acknowledgement",
        options.votes,
        options.clients,
        options.fault_rate * 100.0,
        options.kill_every_nth_batch
    );

    let started = Arc::new(AtomicUsize::new(0));
    let since = Instant::now();
    let load = {
        let (api, election, candidates, started) = (api.clone(), election.clone(), candidates.clone(), started.clone());
        let clients = options.clients;
        tokio::spawn(async move { voters::cast(api, &election, &candidates, roll, clients, started).await })
    };
    let verifiable_load = verifiable.clone().map(|election| {
        let api = api.clone();
        tokio::spawn(verifiable::cast(api, election, 4))
    });
    until_started(&started, options.votes / 5, since).await;
    eprintln!("pausing the bus for {} s", options.bus_pause);
    http.post(format!("{control}/pause-bus"))
        .json(&json!({ "seconds": options.bus_pause }))
        .send()
        .await?
        .error_for_status()?;
    until_started(&started, options.votes / 2, since).await;
    let malformed = audit::put_malformed_ballot(&stack, &election).await?;
    eprintln!("a malformed ballot is in the box: receipt {malformed}");
    let voters = load.await?;
    let load_seconds = since.elapsed().as_secs_f64();

    eprintln!("votes done in {load_seconds:.0} s; waiting for the pipeline to drain (faults still on)");
    let drain = audit::drain(&stack, &election, Duration::from_secs(options.drain_limit)).await?;
    http.post(format!("{control}/disarm"))
        .send()
        .await?
        .error_for_status()?;
    let injected: Report = http.get(format!("{control}/report")).send().await?.json().await?;
    let audit = audit::audit(&stack, &election, &voters).await?;
    let set_aside = audit::find_set_aside(&stack, &malformed).await?;
    let k = template
        .parameters
        .get("MixBatchSize")
        .and_then(|k| k.parse().ok())
        .unwrap_or(1);
    let mixing = crate::mixing::mixing(&stack, &election, &voters, &options.trail, k).await?;
    let verifiable_count = match (&verifiable, verifiable_load) {
        (Some(election), Some(load)) => {
            let casts = load.await?;
            audit::clear_set_aside(&stack).await?;
            eprintln!("counting the verifiable election: freeze, two trustees' decryptions, certification, verify");
            Some(verifiable::count(&api, election, &casts, &std::env::current_dir()?).await?)
        }
        _ => None,
    };

    let mut statuses: BTreeMap<u16, u64> = BTreeMap::new();
    for reply in voters.iter().flat_map(|v| &v.replies) {
        *statuses.entry(reply.status).or_default() += 1;
    }
    let checks = [
        ("the pipeline drained", drain.drained),
        ("recount difference is 0", audit.recount_difference == 0),
        (
            "no 201 receipt is missing from the ballot box",
            audit.receipts_missing == 0,
        ),
        (
            "no vote is stored for a request answered 4xx",
            audit.stored_for_4xx == 0,
        ),
        (
            "no vote is stored for a request answered 5xx (but outcome-unknown) or unanswered",
            audit.stored_for_5xx_or_no_reply == 0,
        ),
        ("no voter holds two receipts", audit.voters_with_two_receipts == 0),
        (
            "every ballot has its participation",
            audit.ballots == audit.participations,
        ),
        (
            "the malformed record is unreadable to the recount",
            audit.unreadable.len() == 1,
        ),
        ("the malformed record waits in its queue", set_aside.is_some()),
        (
            "each ballot hid among at least k before the close, one time to a batch",
            mixing.holds(),
        ),
        (
            "the verifiable election: every 201 on the board, counts = the choices on it, certified, record verified",
            verifiable_count.as_ref().is_none_or(verifiable::Count::holds),
        ),
    ];

    let mut rows = vec![
        ("voters", format!("{} ({} clients)", voters.len(), options.clients)),
        ("votes accepted (201)", audit.accepted.to_string()),
        ("replies by status (0: none)", format!("{statuses:?}")),
        (
            "faults injected",
            format!(
                "{} of {} requests: {} throttled, {} 500, {} reset, {} replies dropped after the write, \
                 {} held by the paused bus, {} consumer batches killed before their ack, \
                 {} mixer batches cut short after a write",
                injected.faults(),
                injected.requests,
                injected.throttled,
                injected.server_errors,
                injected.resets,
                injected.replies_dropped,
                injected.bus_held,
                injected.batches_killed,
                injected.mixer_batches_cut
            ),
        ),
        (
            "bus entries put twice (a pack of ballots is one)",
            injected.events_duplicated.to_string(),
        ),
        ("redeliveries seen by the consumers", injected.redeliveries.to_string()),
        ("dead-lettered events redriven", drain.redriven.to_string()),
        (
            "ballots in the box / participations",
            format!("{} / {}", audit.ballots, audit.participations),
        ),
        ("recount difference (must be 0)", audit.recount_difference.to_string()),
        (
            "201 receipts missing from the ballot box (must be 0)",
            audit.receipts_missing.to_string(),
        ),
        (
            "votes stored for a request answered 4xx (must be 0)",
            audit.stored_for_4xx.to_string(),
        ),
        (
            "votes stored for a request answered 5xx (but outcome-unknown) or not at all (must be 0)",
            audit.stored_for_5xx_or_no_reply.to_string(),
        ),
        (
            "votes stored for a voter told outcome-unknown (allowed: told to look in My votes)",
            audit.stored_for_outcome_unknown.to_string(),
        ),
        (
            "voters given two receipts (must be 0)",
            audit.voters_with_two_receipts.to_string(),
        ),
        (
            "malformed record",
            set_aside.clone().unwrap_or_else(|| "NOT FOUND".into()),
        ),
        (
            "mixer's batches before the close (k, smallest, count)",
            format!(
                "k = {}, smallest {}, {} batches; {} ballots without a batch",
                mixing.k,
                mixing.before_close.first().copied().unwrap_or_default(),
                mixing.before_close.len(),
                mixing.unbatched
            ),
        ),
        (
            "final flush after the close (batch sizes)",
            format!("{:?}", mixing.final_flush),
        ),
        (
            "chance of pairing a participation with its ballot (≤ 1/k)",
            format!("{:.4} (1/k = {:.4})", mixing.pairing_chance, 1.0 / mixing.k as f64),
        ),
        (
            "batches with two stored times (must be 0)",
            mixing.batches_with_two_times.to_string(),
        ),
        (
            "rank correlation, write order to cast order (about 0)",
            format!("{:+.3}", mixing.order_correlation),
        ),
        (
            "seconds: votes / drain",
            format!("{load_seconds:.0} / {:.0}", drain.seconds),
        ),
    ];
    if let Some(count) = &verifiable_count {
        rows.extend([
            (
                "verifiable election: voters / 201 / ballots on the board / late",
                format!(
                    "{} / {} / {} / {}",
                    count.voters, count.accepted, count.on_board, count.late
                ),
            ),
            (
                "verifiable: 201 missing from the board (must be 0)",
                count.accepted_missing.to_string(),
            ),
            (
                "verifiable: decrypted counts / the choices on the board",
                format!("{:?} / {:?}", count.counts, count.expected),
            ),
            (
                "verifiable: certified (the recount sums the box to the tally) / record",
                format!(
                    "{} / {}",
                    count.certification["state"].as_str().unwrap_or("?"),
                    if count.record_valid {
                        "VALID (verify)"
                    } else {
                        "NOT VALID"
                    }
                ),
            ),
            (
                "verifiable: seconds to count after the drain",
                format!("{:.0}", count.seconds),
            ),
        ]);
    }
    println!();
    for (name, value) in rows {
        println!("{name:<66} {value}");
    }
    let failed: Vec<&str> = checks.iter().filter(|(_, ok)| !ok).map(|(name, _)| *name).collect();
    for name in &failed {
        println!("FAILED: {name}");
    }
    if failed.is_empty() {
        println!("chaos: every check holds");
    }

    let report = json!({
        "votes": options.votes, "clients": options.clients, "faultRate": options.fault_rate,
        "busPauseSeconds": options.bus_pause, "killEveryNthBatch": options.kill_every_nth_batch,
        "electionId": election, "statuses": statuses, "injected": injected, "drain": drain,
        "audit": audit, "mixing": mixing, "malformedRecord": set_aside, "loadSeconds": load_seconds, "failed": failed,
        "verifiable": verifiable_count,
    });
    std::fs::write(&options.out, serde_json::to_string_pretty(&report)?)?;
    Ok(failed.is_empty())
}
