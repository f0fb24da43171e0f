//! The API under load: distinct voters casting votes at `clients` concurrent clients for a
//! while, every reply timed and counted, and the results polled to see how long each
//! accepted vote takes to show. A voter either only votes, or makes the web app's whole
//! journey: the ballot document, the vote, then My votes.

use crate::verifiable;
use chrono::{TimeDelta, Utc};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the load saw.
pub struct LoadOutcome {
    pub seconds: f64,
    /// Latency of every reply.
    pub latencies: Vec<Duration>,
    /// Replies by status (0: no reply).
    pub statuses: BTreeMap<u16, u64>,
    /// From each 201 to the results counting that many votes.
    pub tally_lags: Vec<Duration>,
    /// Votes the results counted in the end, beyond those answered 201: stored votes whose
    /// voter was told otherwise (or a view that has not caught up).
    pub counted_beyond_201: i64,
    /// Requests the voters sent (the results' poller apart), and those not answered 200 or
    /// 201 besides the votes' own statuses (a journey's ballot or My votes).
    pub requests: u64,
    pub other_failures: u64,
}

/// What each simulated voter does.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Voter {
    /// Only the vote.
    Votes,
    /// As the web app: `GET …/ballot`, `POST …/votes`, `GET /me/votes`.
    Journey,
}

pub struct Api {
    pub base: String,
    /// Where the public documents are read (on a stage, the edge: `PublicDocumentsUrl`).
    pub public: String,
    pub http: reqwest::Client,
    pub issuers: local_runner::jwt::LocalIssuers,
    /// On a deployed stage: the load test's voter issuer and the claim that is a voter's
    /// key on the roll, and a commission member's token (the stage's user pool signs
    /// officials, not this tool). Locally: the runner's stand-ins sign everyone.
    pub stage: Option<Stage>,
}

pub struct Stage {
    pub voters: local_runner::jwt::SigningIssuer,
    pub identity_claim: String,
    pub commission: String,
}

impl Api {
    /// A token of someone in `group`: a voter's, whose key on the roll is `sub`, or an
    /// official's (on a stage, always the commission member's, who may read what an admin
    /// may here).
    pub fn token(&self, sub: &str, group: &str) -> String {
        let ttl = Duration::from_secs(3600);
        match (&self.stage, group) {
            (Some(stage), "voter") => stage.voters.voter(&stage.identity_claim, sub, ttl),
            (Some(stage), _) => stage.commission.clone(),
            (None, _) => self.issuers.token(sub, &[group.to_owned()], ttl),
        }
    }

    /// A GET's status (0: no reply), its body read through as the web app would; a public
    /// document (no token) from where the web app reads them.
    async fn get(&self, path: &str, token: Option<&str>) -> u16 {
        let base = if token.is_some() { &self.base } else { &self.public };
        let mut request = self.http.get(format!("{base}{path}"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        match request.send().await {
            Ok(reply) => {
                let status = reply.status().as_u16();
                reply.bytes().await.map(|_| status).unwrap_or(0)
            }
            Err(_) => 0,
        }
    }

    async fn post(&self, path: &str, token: &str, body: &Value) -> Result<(u16, Value), reqwest::Error> {
        let reply = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .json(body)
            .send()
            .await?;
        let status = reply.status().as_u16();
        Ok((status, reply.json().await.unwrap_or(Value::Null)))
    }

    /// The votes the views count: the results' total, or in a verifiable election (whose
    /// views count no choice) the turnout's voters.
    async fn total_votes(&self, election: &str, token: &str, verifiable: bool) -> Option<u64> {
        let (view, field) = if verifiable {
            ("turnout", "voted")
        } else {
            ("results", "totalVotes")
        };
        let url = format!("{}/elections/{election}/{view}/live", self.base);
        let reply = self.http.get(url).bearer_auth(token).send().await.ok()?;
        reply.json::<Value>().await.ok()?[field].as_u64()
    }
}

/// The election the load votes in, once it is open.
pub struct Voting {
    pub election: String,
    /// The voters' identity keys, and what each one's vote sends, in the same order.
    pub roll: Vec<String>,
    pub bodies: Vec<Value>,
    /// A verifiable election's trustees.
    pub trustees: Option<verifiable::Trustees>,
}

/// An election with `candidates` candidates and `voters` voters on its roll (uploaded as
/// the commission would, untimed), open for `open_for` (the load's length, and 2 s); returns
/// once it is open. It closes with the load, so that the mixer's final batches come within
/// the measurement: the tally lag of the last votes includes their wait for the close.
/// A verifiable one has its key ceremony run and every voter's ballot encrypted first.
pub async fn election(api: &Api, candidates: usize, voters: usize, open_for: Duration, verifiable: bool) -> Voting {
    let commission = api.token("bench-commission", "commission");
    let run = uuid::Uuid::new_v4().simple().to_string();
    // Time to import the roll before it closes: 20 s, and a second per 500 voters; to encrypt
    // the ballots, a second per 200 more.
    let setup = 20 + voters as i64 / 500 + if verifiable { 10 + voters as i64 / 200 } else { 0 };
    let opens = Utc::now() + TimeDelta::seconds(setup);
    let closes = opens + TimeDelta::from_std(open_for).unwrap_or_default() + TimeDelta::seconds(2);
    let mut body = json!({"name": "Benchmark election", "votingStartsAt": opens, "votingEndsAt": closes});
    let subs = verifiable::trustee_subs(&run);
    if verifiable {
        body["verifiable"] = json!({ "trustees": subs, "threshold": verifiable::THRESHOLD });
    }
    let (_, election) = api
        .post("/elections", &commission, &body)
        .await
        .expect("election registered");
    let election = election["electionId"].as_str().expect("an election id").to_owned();
    let roll: Vec<String> = (0..voters).map(|i| format!("bench-{run}-{i}")).collect();
    let imported = local_runner::roll_upload::upload_roll(
        &api.http,
        &api.base,
        &commission,
        &election,
        &roll,
        &["Bench".to_owned()],
        Duration::from_secs(300),
    )
    .await
    .expect("the roll is imported");
    eprintln!("roll: {} voters imported", imported["rowsDone"]);
    let mut ids = Vec::new();
    for n in 1..=candidates {
        let body = json!({"ballotNumber": n, "party": format!("Party {n}"), "name": format!("Candidate {n}"),
                          "userId": format!("bench-candidate-{n}")});
        let (_, candidate) = api
            .post(&format!("/elections/{election}/candidates"), &commission, &body)
            .await
            .expect("candidate registered");
        ids.push(candidate["candidateId"].as_str().expect("a candidate id").to_owned());
    }
    let (bodies, trustees) = if verifiable {
        let trustees = verifiable::ceremony(api, &election, &commission, &subs).await;
        (
            verifiable::ballots(&trustees.file.context(), voters).await,
            Some(trustees),
        )
    } else {
        let bodies = (0..voters).map(|n| json!({ "candidateId": ids[n % ids.len()] }));
        (bodies.collect(), None)
    };
    if Utc::now() > opens {
        eprintln!("warning: the setup ran past the opening; the load is shorter than asked");
    }
    tokio::time::sleep((opens - Utc::now()).to_std().unwrap_or_default() + Duration::from_millis(50)).await;
    Voting {
        election,
        roll,
        bodies,
        trustees,
    }
}

/// Votes from `clients` concurrent clients for `duration`, each by the next voter of the
/// roll with that voter's body (a worker stops early if the roll is spent); each latency is
/// a vote's, or a whole journey's.
pub async fn votes(
    api: Arc<Api>,
    voting: &Voting,
    voter_does: Voter,
    clients: usize,
    duration: Duration,
) -> LoadOutcome {
    let (election, verifiable) = (voting.election.as_str(), voting.trustees.is_some());
    let roll: Arc<Vec<(String, Value)>> =
        Arc::new(voting.roll.iter().cloned().zip(voting.bodies.iter().cloned()).collect());
    let accepted_at: Arc<Mutex<Vec<Instant>>> = Arc::default();
    let replies: Arc<Mutex<Vec<(u16, Duration)>>> = Arc::default();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (requests, other_failures) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let started = Instant::now();
    let workers: Vec<_> = (0..clients)
        .map(|_| {
            let (api, accepted_at, replies) = (api.clone(), accepted_at.clone(), replies.clone());
            let (election, roll, next) = (election.to_owned(), roll.clone(), next.clone());
            let (requests, other_failures) = (requests.clone(), other_failures.clone());
            tokio::spawn(async move {
                while started.elapsed() < duration {
                    let Some((sub, body)) = roll.get(next.fetch_add(1, Ordering::Relaxed)) else {
                        eprintln!("warning: the roll is spent; raise --voters");
                        break;
                    };
                    let voter = api.token(sub, "voter");
                    let sent = Instant::now();
                    if voter_does == Voter::Journey {
                        requests.fetch_add(1, Ordering::Relaxed);
                        if api.get(&format!("/elections/{election}/ballot"), None).await != 200 {
                            other_failures.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    requests.fetch_add(1, Ordering::Relaxed);
                    let status = match api.post(&format!("/elections/{election}/votes"), &voter, body).await {
                        Ok((status, _)) => status,
                        Err(_) => 0,
                    };
                    let voted = Instant::now();
                    if voter_does == Voter::Journey {
                        requests.fetch_add(1, Ordering::Relaxed);
                        if api.get("/me/votes", Some(&voter)).await != 200 {
                            other_failures.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    let at = Instant::now();
                    if status == 201 {
                        accepted_at.lock().unwrap_or_else(|p| p.into_inner()).push(voted);
                    }
                    replies
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push((status, at - sent));
                }
            })
        })
        .collect();
    // (when, totalVotes) as the results showed them, every 50 ms.
    let seen: Arc<Mutex<Vec<(Instant, u64)>>> = Arc::default();
    let poller = {
        let (api, election, seen) = (api.clone(), election.to_owned(), seen.clone());
        let admin = api.token("bench-admin", "admin");
        tokio::spawn(async move {
            loop {
                if let Some(total) = api.total_votes(&election, &admin, verifiable).await {
                    seen.lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push((Instant::now(), total));
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };
    for worker in workers {
        let _ = worker.await;
    }
    let seconds = started.elapsed().as_secs_f64();
    let accepted = std::mem::take(&mut *accepted_at.lock().unwrap_or_else(|p| p.into_inner()));
    // Stop polling once the results hold every accepted vote (or a minute after the load).
    let admin = api.token("bench-admin", "admin");
    let settle = Instant::now();
    while settle.elapsed() < Duration::from_secs(60)
        && api.total_votes(election, &admin, verifiable).await.unwrap_or(0) < accepted.len() as u64
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let counted = api.total_votes(election, &admin, verifiable).await.unwrap_or(0);
    poller.abort();
    let seen = std::mem::take(&mut *seen.lock().unwrap_or_else(|p| p.into_inner()));
    let mut accepted = accepted;
    accepted.sort();
    let tally_lags = accepted
        .iter()
        .enumerate()
        .filter_map(|(k, at)| {
            let shown = seen.iter().find(|(_, total)| *total > k as u64)?.0;
            Some(shown.saturating_duration_since(*at))
        })
        .collect();
    let replies = std::mem::take(&mut *replies.lock().unwrap_or_else(|p| p.into_inner()));
    let mut statuses = BTreeMap::new();
    for (status, _) in &replies {
        *statuses.entry(*status).or_default() += 1;
    }
    LoadOutcome {
        seconds,
        latencies: replies.into_iter().map(|(_, latency)| latency).collect(),
        statuses,
        tally_lags,
        counted_beyond_201: counted as i64 - accepted.len() as i64,
        requests: requests.load(Ordering::Relaxed),
        other_failures: other_failures.load(Ordering::Relaxed),
    }
}
