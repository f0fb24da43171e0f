//! One vote's whole journey over HTTP: commands into DynamoDB Local, table streams to the
//! LocalStack bus, the rule to the queue, the projector into the results view.

use crate::support::{clients, eventually, mixed_ballots, rfc3339, stored_participations, stored_votes, unique, Api};
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// Registers an election whose window is `[now + from, now + to)`; returns its id.
pub async fn register_election(api: &Api, commission: &str, from: TimeDelta, to: TimeDelta) -> String {
    let now = Utc::now();
    let body = json!({
        "name": unique("Presidential election"),
        "votingStartsAt": rfc3339(now + from),
        "votingEndsAt": rfc3339(now + to),
    });
    let reply = api.post("/elections", commission, &body).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.body["electionId"].as_str().unwrap().to_owned()
}

/// How long before its opening a test registers an election that is voted in: its roll is
/// written in the time left before the roll closes (the opening, less LOOKUP_TTL and the
/// test stack's clock-skew margin). 5 s left 2.5 s for the roll, and a slow machine once took
/// longer to write the scenario's twenty voters.
const ROLL_LEAD: TimeDelta = TimeDelta::seconds(8);

/// Registers an election that opens in a few seconds, with `voters` on its roll (each the
/// `sub` of their token: their identity key) and open for `open_for`; returns its id once
/// voting has opened.
pub async fn open_election(api: &Api, commission: &str, voters: &[String], open_for: TimeDelta) -> String {
    open_election_after(api, commission, voters, ROLL_LEAD, open_for).await
}

/// The same, opening `lead` after it is registered.
pub async fn open_election_after(
    api: &Api,
    commission: &str,
    voters: &[String],
    lead: TimeDelta,
    open_for: TimeDelta,
) -> String {
    let (election, opens) = schedule_election(api, commission, voters, lead, open_for).await;
    sleep_until(opens).await;
    election
}

/// Sleeps until just after `instant`.
pub async fn sleep_until(instant: DateTime<Utc>) {
    let wait = (instant - Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(wait + Duration::from_millis(20)).await;
}

/// Registers an election that opens `lead` from now with `voters` on its roll, open for
/// `open_for`; returns its id and when it opens, without waiting.
pub async fn schedule_election(
    api: &Api,
    commission: &str,
    voters: &[String],
    lead: TimeDelta,
    open_for: TimeDelta,
) -> (String, DateTime<Utc>) {
    let opens = Utc::now() + lead;
    let body = json!({
        "name": unique("Presidential election"),
        "votingStartsAt": rfc3339(opens),
        "votingEndsAt": rfc3339(opens + open_for),
    });
    let reply = api.post("/elections", commission, &body).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let election = reply.body["electionId"].as_str().unwrap().to_owned();
    enroll(api, commission, &election, voters).await;
    (election, opens)
}

/// Puts `voters` on the election's roll (district `Capital`), by corrections.
pub async fn enroll(api: &Api, commission: &str, election: &str, voters: &[String]) {
    enroll_in(api, commission, election, voters, "Capital").await;
}

/// Puts `voters` on the election's roll in `district`, by corrections: 50 a request, each
/// inside the client's 10 s even while four tests load the stack at once (100 once took
/// longer).
pub async fn enroll_in(api: &Api, commission: &str, election: &str, voters: &[String], district: &str) {
    for chunk in voters.chunks(50) {
        let add: Vec<Value> = chunk
            .iter()
            .map(|v| json!({"identityKey": v, "district": district}))
            .collect();
        let path = format!("/elections/{election}/roll/corrections");
        let reply = api.post(&path, commission, &json!({ "add": add })).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
}

/// `n` new voters' identity keys (the `sub`s of their tokens).
pub fn new_voters(n: usize) -> Vec<String> {
    (0..n).map(|_| unique("voter")).collect()
}

pub async fn register_candidate(api: &Api, commission: &str, election: &str, ballot: u32, name: &str) -> String {
    let body = json!({ "ballotNumber": ballot, "party": format!("Party {ballot}"), "name": name, "userId": unique("candidate") });
    let reply = api
        .post(&format!("/elections/{election}/candidates"), commission, &body)
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.body["candidateId"].as_str().unwrap().to_owned()
}

pub async fn vote(api: &Api, voter: &str, election: &str, candidate: &str) -> crate::support::Reply {
    api.post(
        &format!("/elections/{election}/votes"),
        voter,
        &json!({ "candidateId": candidate }),
    )
    .await
}

/// Polls the live results (an official's `token`) until `done` holds, for at most 30 s;
/// returns the last results.
pub async fn results_within_30s(api: &Api, token: &str, election: &str, done: impl Fn(&Value) -> bool) -> Value {
    // Counts and candidates' names reach the view by different events: wait for both.
    let named = |r: &Value| {
        r["candidates"]
            .as_array()
            .is_some_and(|rows| rows.iter().all(|row| row["name"].is_string()))
    };
    eventually(api, &format!("/elections/{election}/results/live"), token, |r| {
        done(r) && named(r)
    })
    .await
}

pub fn votes_of(results: &Value, candidate: &str) -> u64 {
    results["candidates"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["candidateId"] == candidate))
        .and_then(|r| r["votes"].as_u64())
        .unwrap_or(0)
}

#[tokio::test]
async fn three_voters_are_counted_and_a_repeat_vote_is_refused() {
    let api = Api::from_env();
    let commission = api.token(&unique("officer"), &["commission"]);
    // GIVEN an election open now with two candidates, and three voters on its roll
    let subs = new_voters(3);
    let election = open_election(&api, &commission, &subs, TimeDelta::hours(1)).await;
    let ada = register_candidate(&api, &commission, &election, 1, "Ada Lovelace").await;
    let grace = register_candidate(&api, &commission, &election, 2, "Grace Hopper").await;

    // WHEN the three vote, two for Ada and one for Grace
    let voters: Vec<String> = subs.iter().map(|sub| api.token(sub, &["voter"])).collect();
    for (voter, candidate) in voters.iter().zip([&ada, &ada, &grace]) {
        let reply = vote(&api, voter, &election, candidate).await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        assert!(reply.body["receiptId"].is_string());
    }
    let last_vote = Instant::now();

    // THEN the results show them within 30 s
    let results = results_within_30s(&api, &commission, &election, |r| r["totalVotes"] == 3).await;
    assert!(
        last_vote.elapsed() < Duration::from_secs(10),
        "results took {:?}",
        last_vote.elapsed()
    );
    assert_eq!(results["totalVotes"], 3, "{results}");
    assert_eq!(votes_of(&results, &ada), 2, "{results}");
    assert_eq!(votes_of(&results, &grace), 1, "{results}");
    assert_eq!(results["candidates"][0]["name"], "Ada Lovelace");
    assert_eq!(results["candidates"][1]["ballotNumber"], 2);

    // AND a repeat vote is refused and writes nothing
    let before = stored_votes(&clients().await, &election).await;
    let repeat = vote(&api, &voters[0], &election, &grace).await;
    assert_eq!(repeat.status, 409, "{}", repeat.body);
    assert_eq!(repeat.body["code"], "already-voted");
    assert_eq!(stored_votes(&clients().await, &election).await, before);
}

#[tokio::test]
async fn fifty_concurrent_casts_by_one_voter_store_exactly_one_vote() {
    let api = std::sync::Arc::new(Api::from_env());
    let commission = api.token(&unique("officer"), &["commission"]);
    let sub = new_voters(1);
    let election = open_election(&api, &commission, &sub, TimeDelta::hours(1)).await;
    let candidate = register_candidate(&api, &commission, &election, 1, "Ada Lovelace").await;
    let voter = api.token(&sub[0], &["voter"]);

    let casts = (0..50).map(|_| {
        let (api, voter, election, candidate) = (api.clone(), voter.clone(), election.clone(), candidate.clone());
        tokio::spawn(async move { vote(&api, &voter, &election, &candidate).await.status })
    });
    let mut statuses = Vec::new();
    for cast in casts {
        statuses.push(cast.await.unwrap());
    }
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 49, "{statuses:?}");
    let clients = clients().await;
    assert_eq!(stored_participations(&clients, &election).await.len(), 1);
    assert_eq!(mixed_ballots(&clients, &election, 1).await.len(), 1);
    let results = results_within_30s(&api, &commission, &election, |r| r["totalVotes"] == 1).await;
    assert_eq!(votes_of(&results, &candidate), 1, "{results}");
}

#[tokio::test]
async fn a_vote_in_a_closed_election_is_refused_with_voting_closed() {
    let api = Api::from_env();
    let commission = api.token(&unique("officer"), &["commission"]);
    let sub = new_voters(1);
    let election = open_election(&api, &commission, &sub, TimeDelta::seconds(2)).await;
    let candidate = register_candidate(&api, &commission, &election, 1, "Ada Lovelace").await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let reply = vote(&api, &api.token(&sub[0], &["voter"]), &election, &candidate).await;
    assert_eq!(reply.status, 409, "{}", reply.body);
    assert_eq!(reply.body["code"], "voting-closed");
    assert!(stored_votes(&clients().await, &election).await.is_empty());
}

#[tokio::test]
async fn a_vote_before_the_opening_is_refused_with_voting_not_open() {
    let api = Api::from_env();
    let commission = api.token(&unique("officer"), &["commission"]);
    let election = register_election(&api, &commission, TimeDelta::hours(1), TimeDelta::hours(2)).await;
    let candidate = register_candidate(&api, &commission, &election, 1, "Ada Lovelace").await;
    let reply = vote(&api, &api.token(&unique("voter"), &["voter"]), &election, &candidate).await;
    assert_eq!(reply.status, 409, "{}", reply.body);
    assert_eq!(reply.body["code"], "voting-not-open");
    assert!(stored_votes(&clients().await, &election).await.is_empty());
}

#[tokio::test]
async fn tokens_and_roles_are_checked_at_the_edge() {
    let api = Api::from_env();
    let body = json!({"name": "X", "votingStartsAt": "2030-01-01T00:00:00Z", "votingEndsAt": "2030-01-02T00:00:00Z"});
    let no_token = api.send(reqwest::Method::POST, "/elections", None, Some(&body)).await;
    assert_eq!(no_token.status, 401);
    let forged = Api::from_env().token("mallory", &["commission"]).replace('.', "x.");
    assert_eq!(api.post("/elections", &forged, &body).await.status, 401);
    // A voter's national token is not the user pool's: refused before any function runs.
    let voter = api.token(&unique("voter"), &["voter"]);
    assert_eq!(api.post("/elections", &voter, &body).await.status, 401);
    let candidate = api.token(&unique("candidate"), &["candidate"]);
    let wrong_role = api.post("/elections", &candidate, &body).await;
    assert_eq!(wrong_role.status, 403);
    assert_eq!(wrong_role.body["code"], "forbidden");
}
