//! A verifiable election's key ceremony over HTTP: registered with 3 trustees and threshold 2,
//! its manifest frozen by the commission, each trustee's messages made by the crate the
//! `trustee` tool runs and posted step by step. Every refusal writes nothing; the election
//! waits in `key-ceremony` until the last transcript signature, and one whose ceremony misses
//! its start never opens.

use crate::support::{repo_root, rfc3339, unique, workspace_binary, Api, Reply};
use crate::walking_skeleton::register_candidate;
use chrono::{TimeDelta, Utc};
use election_core::domain::ceremony::CommitmentHash;
use election_crypto::ceremony::{
    share_matches, Commitments, Envelope, Polynomial, SecretShare, ShareRefused, Trustee, TrusteePublic,
};
use election_crypto::hash::Digest;
use election_crypto::randomness::OsRandomness;
use election_crypto::record::ElectionFile;
use reqwest::Method;
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;
use zeroize::Zeroizing;

pub struct Stage {
    pub api: Api,
    pub commission: String,
    pub election: String,
    /// Each trustee's token, in index order.
    pub tokens: Vec<String>,
}

impl Stage {
    pub async fn put(&self, i: usize, step: &str, body: &Value) -> Reply {
        let path = format!("/elections/{}/ceremony/{step}", self.election);
        self.api
            .send(Method::PUT, &path, Some(&self.tokens[i]), Some(body))
            .await
    }

    /// Trustee `i`'s message for `step` is the `i`th body (from 0), each taken (200).
    pub async fn post_each(&self, step: &str, bodies: impl Iterator<Item = Value>) {
        for (i, body) in bodies.enumerate() {
            let reply = self.put(i, step, &body).await;
            assert_eq!(reply.status, 200, "{step} by trustee {}: {}", i + 1, reply.body);
        }
    }

    /// Every trustee's commitments, then their shares sealed to every other; the keys.
    pub async fn commitments_then_shares(
        &self,
        trustees: &[Trustee],
        q: &Digest,
        polys: &[Polynomial],
        commitments: &[Commitments],
    ) -> Vec<TrusteePublic> {
        self.post_each(
            "commitments",
            commitments.iter().map(|c| serde_json::to_value(c).unwrap()),
        )
        .await;
        let publics: Vec<TrusteePublic> = parse(&self.view().await["keys"]);
        self.post_each("shares", sealed_shares(trustees, q, polys, &publics).into_iter())
            .await;
        publics
    }

    /// Each trustee fetches the envelopes sealed to it, opens each (checked against its
    /// sender's commitments) and adds its own: its secret share, which matches the commitments.
    pub async fn received_shares(
        &self,
        trustees: &[Trustee],
        q: &Digest,
        polys: &[Polynomial],
        publics: &[TrusteePublic],
        commitments: &[Commitments],
    ) -> Vec<SecretShare> {
        let mut shares = Vec::new();
        for (i, t) in trustees.iter().enumerate() {
            let path = format!("/elections/{}/ceremony/envelopes", self.election);
            let reply = self.api.get(&path, &self.tokens[i]).await;
            assert_eq!(reply.status, 200, "{}", reply.body);
            let envelopes: Vec<Envelope> = parse(&reply.body);
            assert_eq!(envelopes.len(), trustees.len() - 1);
            let mut secret = polys[i].share_for(t.index());
            for e in &envelopes {
                let s = (e.sender - 1) as usize;
                let share = t
                    .open_share(q, e, &publics[s], &commitments[s], &mut OsRandomness)
                    .unwrap_or_else(|refused| panic!("trustee {} refuses a share: {refused}", t.index()));
                *secret += *share;
            }
            let share = SecretShare::from_secret(t.index(), Zeroizing::new(*secret));
            share_matches(&share, commitments).unwrap();
            shares.push(share);
        }
        shares
    }

    /// The commission starts the ceremony (201).
    pub async fn start(&self) -> Reply {
        let path = format!("/elections/{}/ceremony", self.election);
        let started = self.api.post(&path, &self.commission, &json!({})).await;
        assert_eq!(started.status, 201, "{}", started.body);
        started
    }

    pub async fn view(&self) -> Value {
        let reply = self
            .api
            .send(
                Method::GET,
                &format!("/elections/{}/ceremony", self.election),
                None,
                None,
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.body
    }

    pub async fn election(&self) -> Value {
        let reply = self
            .api
            .send(Method::GET, &format!("/elections/{}", self.election), None, None)
            .await;
        reply.body
    }
}

/// Registers a verifiable election opening `opens_in` from now, with three new trustees.
pub async fn verifiable_election(opens_in: TimeDelta) -> Stage {
    verifiable_election_for(opens_in, TimeDelta::hours(1)).await
}

/// The same, open for `open_for`.
pub async fn verifiable_election_for(opens_in: TimeDelta, open_for: TimeDelta) -> Stage {
    let api = Api::from_env();
    let commission = api.token(&unique("officer"), &["commission"]);
    let subs: Vec<String> = (1..=3).map(|i| unique(&format!("trustee-{i}"))).collect();
    let now = Utc::now();
    let body = json!({
        "name": unique("Verifiable presidential election"),
        "votingStartsAt": rfc3339(now + opens_in),
        "votingEndsAt": rfc3339(now + opens_in + open_for),
        "verifiable": { "trustees": subs, "threshold": 2 },
    });
    let reply = api.post("/elections", &commission, &body).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_eq!(reply.body["status"], "key-ceremony", "{}", reply.body);
    assert_eq!(reply.body["verifiable"]["threshold"], 2);
    let election = reply.body["electionId"].as_str().unwrap().to_owned();
    let tokens = subs.iter().map(|s| api.token(s, &["trustee"])).collect();
    Stage {
        api,
        commission,
        election,
        tokens,
    }
}

/// Each trustee's shares message: an envelope sealed to every other trustee.
pub fn sealed_shares(trustees: &[Trustee], q: &Digest, polys: &[Polynomial], publics: &[TrusteePublic]) -> Vec<Value> {
    trustees
        .iter()
        .zip(polys)
        .map(|(t, poly)| {
            let envelopes: Vec<Envelope> = publics
                .iter()
                .filter(|p| p.index != t.index())
                .map(|p| t.seal_share(q, poly, p, &mut OsRandomness))
                .collect();
            json!({"trustee": t.index(), "envelopes": envelopes})
        })
        .collect()
}

pub fn parse<T: serde::de::DeserializeOwned>(value: &Value) -> T {
    serde_json::from_value(value.clone()).unwrap()
}

pub fn assert_problem(reply: &Reply, status: u16, code: &str) {
    assert_eq!(reply.status, status, "{}", reply.body);
    assert_eq!(reply.body["code"], code, "{}", reply.body);
}

#[tokio::test]
async fn a_key_ceremony_runs_through_the_api_and_the_election_waits_for_it() {
    let stage = verifiable_election(TimeDelta::minutes(10)).await;
    let (api, election) = (&stage.api, &stage.election);
    for (n, name) in ["Ada", "Grace", "Edsger"].iter().enumerate() {
        register_candidate(api, &stage.commission, election, n as u32 + 1, name).await;
    }
    // A plaintext vote is no ballot here (before any roll or window rule).
    let voter = api.token(&unique("voter"), &["voter"]);
    let vote = api
        .post(
            &format!("/elections/{election}/votes"),
            &voter,
            &json!({"candidateId": uuid::Uuid::new_v4().to_string()}),
        )
        .await;
    assert_problem(&vote, 400, "invalid-ballot");

    let trustees: Vec<Trustee> = (1..=3).map(|i| Trustee::new(i, &mut OsRandomness)).collect();
    let keys = |i: usize| serde_json::to_value(trustees[i].public()).unwrap();
    // Before the commission starts it, and by anyone but the commission, nothing is taken.
    assert_problem(&stage.put(0, "keys", &keys(0)).await, 409, "ceremony-out-of-step");
    let start = format!("/elections/{election}/ceremony");
    assert_eq!(api.post(&start, &stage.tokens[0], &json!({})).await.status, 403);
    let started = api.post(&start, &stage.commission, &json!({})).await;
    assert_eq!(started.status, 201, "{}", started.body);
    assert_eq!(started.body["phase"], "keys");
    assert_eq!(started.body["manifest"]["candidates"].as_array().unwrap().len(), 3);
    // The `trustee` tool's input: election.json before the ceremony.
    assert_eq!(started.body["setup"]["format"], "ee1");
    assert_eq!(started.body["setup"]["parameters"]["threshold"], 2);
    assert_problem(
        &api.post(&start, &stage.commission, &json!({})).await,
        409,
        "ceremony-out-of-step",
    );
    let late = api
        .post(
            &format!("/elections/{election}/candidates"),
            &stage.commission,
            &json!({"ballotNumber": 4, "party": "Late", "name": "Late", "userId": unique("c")}),
        )
        .await;
    assert_problem(&late, 409, "manifest-frozen");

    // Keys: a trustee group member the election does not name is refused; so is another's keys.
    let outsider = api.token(&unique("trustee"), &["trustee"]);
    let path = format!("/elections/{election}/ceremony/keys");
    assert_eq!(
        api.send(Method::PUT, &path, Some(&outsider), Some(&keys(0)))
            .await
            .status,
        403
    );
    assert_problem(&stage.put(1, "keys", &keys(0)).await, 400, "invalid-ceremony-message");
    for i in 0..3 {
        assert_eq!(stage.put(i, "keys", &keys(i)).await.status, 200);
    }
    // The same message again is answered as stored; another is refused.
    assert_eq!(stage.put(0, "keys", &keys(0)).await.status, 200);
    let other = serde_json::to_value(Trustee::new(1, &mut OsRandomness).public()).unwrap();
    assert_problem(&stage.put(0, "keys", &other).await, 409, "conflict");
    let view = stage.view().await;
    assert_eq!(view["phase"], "commitment-hashes", "{view}");
    for (k, t) in view["keys"].as_array().unwrap().iter().zip(&trustees) {
        assert_eq!(k["fingerprint"], t.public().fingerprint);
    }
    let q: Digest = parse(&view["baseHash"]);

    // Commitment hashes first, then commitments (a tampered one refused and not stored).
    let (polys, commitments): (Vec<_>, Vec<Commitments>) =
        trustees.iter().map(|t| t.commit(&q, 2, &mut OsRandomness)).unzip();
    assert_problem(
        &stage
            .put(0, "commitments", &serde_json::to_value(&commitments[0]).unwrap())
            .await,
        409,
        "ceremony-out-of-step",
    );
    for (i, c) in commitments.iter().enumerate() {
        let hash = serde_json::to_value(CommitmentHash::of(c)).unwrap();
        assert_eq!(stage.put(i, "commitment-hash", &hash).await.status, 200);
    }
    let mut tampered = commitments[0].clone();
    tampered.proofs.swap(0, 1);
    assert_problem(
        &stage
            .put(0, "commitments", &serde_json::to_value(&tampered).unwrap())
            .await,
        400,
        "invalid-ceremony-message",
    );
    assert_eq!(stage.view().await["commitments"], json!([]));
    // Then shares: each trustee seals one to every other, and fetches its own.
    let publics = stage.commitments_then_shares(&trustees, &q, &polys, &commitments).await;
    stage
        .received_shares(&trustees, &q, &polys, &publics, &commitments)
        .await;

    // The transcript: signed by all three, the election waits until the last.
    let view = stage.view().await;
    assert_eq!(view["phase"], "transcript-signatures", "{view}");
    let transcript: Digest = parse(&view["transcriptHash"]);
    for (i, t) in trustees.iter().enumerate() {
        assert_eq!(stage.election().await["status"], "key-ceremony");
        let signed = serde_json::to_value(t.sign_transcript(&transcript, &mut OsRandomness)).unwrap();
        assert_eq!(stage.put(i, "transcript-signature", &signed).await.status, 200);
    }
    let view = stage.view().await;
    assert_eq!(view["phase"], "complete", "{view}");
    let file: ElectionFile = parse(&view["election"]);
    assert_eq!(file.base_hash, q);
    assert_eq!(file.ceremony.transcript_hash, transcript);
    let status = stage.election().await;
    assert_eq!(status["status"], "scheduled", "{status}");
    assert!(status["verifiable"]["ceremonyCompletedAt"].is_string(), "{status}");
    // Complete: nothing new is taken.
    let hash =
        json!({"trustee": 1, "commitment_hash": commitments[0].commitment_hash, "signature": commitments[0].signature});
    assert_eq!(stage.put(0, "commitment-hash", &hash).await.status, 200);
    assert_problem(
        &stage.put(0, "complaint", &json!({})).await,
        409,
        "ceremony-out-of-step",
    );
}

#[tokio::test]
async fn a_verifiable_election_whose_ceremony_misses_its_start_never_opens() {
    let stage = verifiable_election(TimeDelta::seconds(2)).await;
    let opened = Utc::now() + TimeDelta::seconds(3);
    if let Ok(wait) = (opened - Utc::now()).to_std() {
        tokio::time::sleep(wait).await;
    }
    assert_eq!(stage.election().await["status"], "closed");
    let start = format!("/elections/{}/ceremony", stage.election);
    let reply = stage.api.post(&start, &stage.commission, &json!({})).await;
    assert_problem(&reply, 409, "ceremony-out-of-step");
    assert_eq!(stage.view().await["phase"], "not-started");
}

/// Runs `trustee` in `dir` with a test passphrase (weak Argon2 parameters: tests only); its output.
fn trustee(dir: &Path, args: &[String]) -> String {
    let out = Command::new(workspace_binary("trustee"))
        .current_dir(dir)
        .args(args)
        .env("TRUSTEE_PASSPHRASE", "a test passphrase")
        .env("TRUSTEE_ARGON2_TEST_PARAMS", "1")
        .output()
        .expect("the trustee tool runs");
    assert!(
        out.status.success(),
        "trustee {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn read(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Writes each item of a list to `<prefix>-<n>.json` (n from 1) in `dir`; their names.
fn write_each(dir: &Path, prefix: &str, items: &Value) -> Vec<String> {
    let items = items.as_array().unwrap();
    (1..=items.len())
        .map(|n| {
            let name = format!("{prefix}-{n}.json");
            std::fs::write(dir.join(&name), items[n - 1].to_string()).unwrap();
            name
        })
        .collect()
}

fn args(words: &[&str], more: &[String]) -> Vec<String> {
    words
        .iter()
        .map(|w| w.to_string())
        .chain(more.iter().cloned())
        .collect()
}

#[tokio::test]
async fn the_trustee_tool_runs_a_whole_ceremony_against_the_api() {
    // GIVEN a verifiable election whose ceremony the commission has started
    let stage = verifiable_election(TimeDelta::minutes(10)).await;
    let (api, election) = (&stage.api, &stage.election);
    for (n, name) in ["Ada", "Grace"].iter().enumerate() {
        register_candidate(api, &stage.commission, election, n as u32 + 1, name).await;
    }
    let started = stage.start().await;
    // Each trustee's machine is a directory of its own; the published files sit beside them.
    let work = repo_root().join(".local/ceremony").join(election);
    std::fs::create_dir_all(&work).unwrap();
    std::fs::write(work.join("election.json"), started.body["setup"].to_string()).unwrap();
    let home = |i: usize| format!("t{i}");
    let file = |i: usize, name: String| work.join(home(i)).join(name);
    let put = |i: usize, step: &'static str, body: Value| {
        let stage = &stage;
        async move {
            let reply = stage.put(i - 1, step, &body).await;
            assert_eq!(reply.status, 200, "{step} by trustee {i}: {}", reply.body);
        }
    };

    // WHEN each trustee runs its tool's steps, and posts what each writes
    for i in 1..=3 {
        let index = i.to_string();
        trustee(
            &work,
            &args(
                &[
                    "keygen",
                    "--index",
                    &index,
                    "--election",
                    "election.json",
                    "--out-dir",
                    &home(i),
                ],
                &[],
            ),
        );
        put(i, "keys", read(&file(i, format!("trustee-{i}.json")))).await;
    }
    let keys = args(&["--keys"], &write_each(&work, "keys", &stage.view().await["keys"]));
    let step = |i: usize, command: &str| args(&[command, "--dir", &home(i), "--election", "election.json"], &keys);
    for i in 1..=3 {
        trustee(&work, &step(i, "commit"));
        let c = read(&file(i, format!("commitments-{i}.json")));
        let hash =
            json!({"trustee": c["trustee"], "commitment_hash": c["commitment_hash"], "signature": c["signature"]});
        put(i, "commitment-hash", hash).await;
    }
    for i in 1..=3 {
        put(i, "commitments", read(&file(i, format!("commitments-{i}.json")))).await;
    }
    let commitments = args(
        &["--commitments"],
        &write_each(&work, "commitments", &stage.view().await["commitments"]),
    );
    for i in 1..=3 {
        trustee(&work, &step(i, "shares"));
        let envelopes: Vec<Value> = (1..=3)
            .filter(|j| *j != i)
            .map(|j| read(&file(i, format!("share-{i}-to-{j}.json"))))
            .collect();
        put(i, "shares", json!({"trustee": i, "envelopes": envelopes})).await;
    }
    let mut joint_keys = Vec::new();
    for i in 1..=3 {
        let mine = api
            .get(
                &format!("/elections/{election}/ceremony/envelopes"),
                &stage.tokens[i - 1],
            )
            .await;
        let received = write_each(&work.join(home(i)), "received", &mine.body);
        let received: Vec<String> = received.iter().map(|name| format!("{}/{name}", home(i))).collect();
        let mut receive = args(&["receive"], &received);
        receive.extend(args(&["--dir", &home(i), "--election", "election.json"], &keys));
        receive.extend(commitments.iter().cloned());
        trustee(&work, &receive);
        let mut sign = step(i, "sign-transcript");
        sign.extend(commitments.iter().cloned());
        let printed = trustee(&work, &sign);
        joint_keys.extend(
            printed
                .lines()
                .filter_map(|l| l.strip_prefix("joint key K: "))
                .map(str::to_owned),
        );
        put(
            i,
            "transcript-signature",
            read(&file(i, format!("transcript-signature-{i}.json"))),
        )
        .await;
    }

    // THEN the ceremony is complete with the joint key every trustee's tool computed
    let view = stage.view().await;
    assert_eq!(view["phase"], "complete", "{view}");
    assert_eq!(joint_keys.len(), 3);
    assert!(
        joint_keys.iter().all(|k| view["jointKey"] == k.as_str()),
        "{joint_keys:?} {view}"
    );
    assert_eq!(stage.election().await["status"], "scheduled");
    std::fs::remove_dir_all(&work).unwrap();
}

#[tokio::test]
async fn a_complaint_stops_the_ceremony_and_the_commission_restarts_it_without_the_trustee_at_fault() {
    // GIVEN a ceremony at its shares, trustee 1 sealing shares of another polynomial than the
    // one it committed to
    let mut stage = verifiable_election(TimeDelta::minutes(10)).await;
    let election = stage.election.clone();
    for (n, name) in ["Ada", "Grace"].iter().enumerate() {
        register_candidate(&stage.api, &stage.commission, &election, n as u32 + 1, name).await;
    }
    let start = format!("/elections/{election}/ceremony");
    assert_eq!(stage.api.post(&start, &stage.commission, &json!({})).await.status, 201);
    let trustees: Vec<Trustee> = (1..=3).map(|i| Trustee::new(i, &mut OsRandomness)).collect();
    for (i, t) in trustees.iter().enumerate() {
        assert_eq!(
            stage
                .put(i, "keys", &serde_json::to_value(t.public()).unwrap())
                .await
                .status,
            200
        );
    }
    let q: Digest = parse(&stage.view().await["baseHash"]);
    let (polys, commitments): (Vec<_>, Vec<Commitments>) =
        trustees.iter().map(|t| t.commit(&q, 2, &mut OsRandomness)).unzip();
    for (i, c) in commitments.iter().enumerate() {
        let hash = serde_json::to_value(CommitmentHash::of(c)).unwrap();
        assert_eq!(stage.put(i, "commitment-hash", &hash).await.status, 200);
    }
    stage
        .post_each(
            "commitments",
            commitments.iter().map(|c| serde_json::to_value(c).unwrap()),
        )
        .await;
    let publics: Vec<TrusteePublic> = parse(&stage.view().await["keys"]);
    let rogue = trustees[0].commit(&q, 2, &mut OsRandomness).0;
    for (i, t) in trustees.iter().enumerate() {
        let poly = if i == 0 { &rogue } else { &polys[i] };
        let envelopes: Vec<Envelope> = publics
            .iter()
            .filter(|p| p.index != t.index())
            .map(|p| t.seal_share(&q, poly, p, &mut OsRandomness))
            .collect();
        let body = json!({"trustee": t.index(), "envelopes": envelopes});
        assert_eq!(stage.put(i, "shares", &body).await.status, 200);
    }
    // WHEN trustee 2 finds trustee 1's share bad and posts the complaint its tool makes
    let mine = stage
        .api
        .get(&format!("/elections/{election}/ceremony/envelopes"), &stage.tokens[1])
        .await;
    let envelopes: Vec<Envelope> = parse(&mine.body);
    let from_1 = envelopes.iter().find(|e| e.sender == 1).unwrap();
    let Err(ShareRefused::Complaint(complaint)) =
        trustees[1].open_share(&q, from_1, &publics[0], &commitments[0], &mut OsRandomness)
    else {
        panic!("the rogue share opened")
    };
    let reply = stage
        .put(1, "complaint", &serde_json::to_value(&*complaint).unwrap())
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    // THEN the ceremony stops, naming trustee 1; no signature is taken
    let view = stage.view().await;
    assert_eq!(view["phase"], "stopped", "{view}");
    assert_eq!(view["complaints"][0]["at_fault"], 1);
    let restart = format!("/elections/{election}/ceremony/restart");
    let replacement = unique("trustee-replacement");
    assert_eq!(
        stage
            .api
            .post(&restart, &stage.tokens[0], &json!({"replace": replacement}))
            .await
            .status,
        403
    );
    // AND the commission restarts it with another trustee in trustee 1's place
    let restarted = stage
        .api
        .post(&restart, &stage.commission, &json!({"replace": replacement}))
        .await;
    assert_eq!(restarted.status, 200, "{}", restarted.body);
    assert_eq!(
        (restarted.body["phase"].clone(), restarted.body["attempt"].clone()),
        (json!("keys"), json!(1))
    );
    assert_problem(
        &stage
            .api
            .post(&restart, &stage.commission, &json!({"replace": unique("t")}))
            .await,
        409,
        "ceremony-out-of-step",
    );
    // The trustee at fault may post nothing more; the replacement posts fresh keys as trustee 1.
    let fresh = serde_json::to_value(Trustee::new(1, &mut OsRandomness).public()).unwrap();
    assert_eq!(stage.put(0, "keys", &fresh).await.status, 403);
    stage.tokens[0] = stage.api.token(&replacement, &["trustee"]);
    assert_eq!(stage.put(0, "keys", &fresh).await.status, 200);
    let view = stage.view().await;
    assert_eq!(
        (view["attempt"].clone(), view["keys"].as_array().unwrap().len()),
        (json!(1), 1)
    );
}
