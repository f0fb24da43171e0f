//! A verifiable election's key ceremony over HTTP: registered with 3 trustees and threshold 2,
//! its manifest frozen by the commission, each trustee's messages made by the crate the
//! `trustee` tool runs and posted step by step. Every refusal writes nothing; the election
//! waits in `key-ceremony` until the last transcript signature, and one whose ceremony misses
//! its start never opens.

use crate::support::{rfc3339, unique, Api, Reply};
use crate::walking_skeleton::register_candidate;
use chrono::{TimeDelta, Utc};
use election_core::domain::ceremony::CommitmentHash;
use election_crypto::ceremony::{share_matches, Commitments, Envelope, SecretShare, Trustee, TrusteePublic};
use election_crypto::hash::Digest;
use election_crypto::randomness::OsRandomness;
use election_crypto::record::ElectionFile;
use reqwest::Method;
use serde_json::{json, Value};
use zeroize::Zeroizing;

struct Stage {
    api: Api,
    commission: String,
    election: String,
    /// Each trustee's token, in index order.
    tokens: Vec<String>,
}

impl Stage {
    async fn put(&self, i: usize, step: &str, body: &Value) -> Reply {
        let path = format!("/elections/{}/ceremony/{step}", self.election);
        self.api
            .send(Method::PUT, &path, Some(&self.tokens[i]), Some(body))
            .await
    }

    async fn view(&self) -> Value {
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

    async fn election(&self) -> Value {
        let reply = self
            .api
            .send(Method::GET, &format!("/elections/{}", self.election), None, None)
            .await;
        reply.body
    }
}

/// Registers a verifiable election opening `opens_in` from now, with three new trustees.
async fn verifiable_election(opens_in: TimeDelta) -> Stage {
    let api = Api::from_env();
    let commission = api.token(&unique("officer"), &["commission"]);
    let subs: Vec<String> = (1..=3).map(|i| unique(&format!("trustee-{i}"))).collect();
    let now = Utc::now();
    let body = json!({
        "name": unique("Verifiable presidential election"),
        "votingStartsAt": rfc3339(now + opens_in),
        "votingEndsAt": rfc3339(now + opens_in + TimeDelta::hours(1)),
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

fn parse<T: serde::de::DeserializeOwned>(value: &Value) -> T {
    serde_json::from_value(value.clone()).unwrap()
}

fn assert_problem(reply: &Reply, status: u16, code: &str) {
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
    for (i, c) in commitments.iter().enumerate() {
        assert_eq!(
            stage
                .put(i, "commitments", &serde_json::to_value(c).unwrap())
                .await
                .status,
            200
        );
    }

    // Shares: each trustee seals one to every other, and fetches its own.
    let publics: Vec<TrusteePublic> = parse(&stage.view().await["keys"]);
    for (i, t) in trustees.iter().enumerate() {
        let envelopes: Vec<Envelope> = publics
            .iter()
            .filter(|p| p.index != t.index())
            .map(|p| t.seal_share(&q, &polys[i], p, &mut OsRandomness))
            .collect();
        let body = json!({"trustee": t.index(), "envelopes": envelopes});
        assert_eq!(stage.put(i, "shares", &body).await.status, 200);
    }
    for (i, t) in trustees.iter().enumerate() {
        let reply = api
            .get(&format!("/elections/{election}/ceremony/envelopes"), &stage.tokens[i])
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let envelopes: Vec<Envelope> = parse(&reply.body);
        assert_eq!(envelopes.len(), 2);
        let mut secret = polys[i].share_for(t.index());
        for e in &envelopes {
            let s = (e.sender - 1) as usize;
            let share = t
                .open_share(&q, e, &publics[s], &commitments[s], &mut OsRandomness)
                .unwrap_or_else(|refused| panic!("trustee {} refuses a share: {refused}", t.index()));
            *secret += *share;
        }
        let share = SecretShare::from_secret(t.index(), Zeroizing::new(*secret));
        share_matches(&share, &commitments).unwrap();
    }

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
