//! The benchmark's verifiable election: its key ceremony through the API (trustees made in
//! memory), every voter's ballot encrypted and proven before the load (untimed: on a voter's
//! own device, not on this machine's two cores), then after the close the tally's freeze and
//! two trustees' decryptions, timed.

use crate::load::Api;
use election_crypto::ballot::{encrypt, Context};
use election_crypto::ceremony::{public_share, SecretShare};
use election_crypto::decryption::partial_decrypt;
use election_crypto::randomness::OsRandomness;
use election_crypto::record::ElectionFile;
use election_crypto::tally::EncryptedTally;
use local_runner::ceremony::{self, CeremonyApi};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

pub const TRUSTEES: usize = 3;
pub const THRESHOLD: u32 = 2;

/// Each trustee's account, as the election registers them.
pub fn trustee_subs(run: &str) -> Vec<String> {
    (1..=TRUSTEES).map(|i| format!("bench-{run}-trustee-{i}")).collect()
}

/// A verifiable election's trustees once its ceremony is complete.
pub struct Trustees {
    pub file: ElectionFile,
    pub shares: Vec<SecretShare>,
    pub tokens: Vec<String>,
}

/// Runs the election's key ceremony (its candidates registered).
pub async fn ceremony(api: &Api, election: &str, commission: &str, subs: &[String]) -> Trustees {
    let tokens: Vec<String> = subs.iter().map(|s| api.token(s, "trustee")).collect();
    let ceremony_api = CeremonyApi {
        http: &api.http,
        base: &api.base,
        election,
        commission,
        trustees: &tokens,
    };
    let (file, shares) = ceremony::complete(&ceremony_api, THRESHOLD)
        .await
        .expect("the key ceremony completes");
    Trustees { file, shares, tokens }
}

/// One request body a voter: an encrypted ballot for candidate position `n mod m`, on the
/// machine's every core.
pub async fn ballots(ctx: &Context, voters: usize) -> Vec<Value> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let workers: Vec<_> = (0..cores)
        .map(|core| {
            let ctx = ctx.clone();
            tokio::task::spawn_blocking(move || {
                (core..voters)
                    .step_by(cores)
                    .map(|n| {
                        let (ballot, _) = encrypt(&ctx, n % ctx.candidates, &mut OsRandomness).expect("a ballot");
                        (n, json!({ "ballot": ballot }))
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut bodies = vec![Value::Null; voters];
    for worker in workers {
        for (n, body) in worker.await.expect("encryption") {
            bodies[n] = body;
        }
    }
    bodies
}

/// What the count of a verifiable election took after the close.
pub struct Count {
    /// The first read that froze the tally (its request).
    pub freeze: Duration,
    /// The partial decryption that brought the threshold: checked, combined, counts solved
    /// and the whole record written before its reply.
    pub last_decryption: Duration,
    pub cast: u64,
    pub counted: u64,
}

async fn send(
    api: &Api,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> (u16, Value) {
    let mut request = api.http.request(method, format!("{}{path}", api.base));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    match request.send().await {
        Ok(reply) => (reply.status().as_u16(), reply.json().await.unwrap_or(Value::Null)),
        Err(_) => (0, Value::Null),
    }
}

/// After the close: reads the tally until it freezes (up to 3 minutes: the close, the bound on
/// a vote in flight, the mixer's last batches), then trustees 1 and 3 decrypt it (2 is absent).
pub async fn count(api: &Api, election: &str, trustees: &Trustees) -> Count {
    let path = format!("/elections/{election}/tally");
    let deadline = Instant::now() + Duration::from_secs(180);
    let (view, freeze) = loop {
        let sent = Instant::now();
        let (status, view) = send(api, reqwest::Method::GET, &path, None, None).await;
        if status == 200 {
            break (view, sent.elapsed());
        }
        assert!(
            Instant::now() < deadline,
            "the tally did not freeze in 3 minutes: {status} {view}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let tally = EncryptedTally {
        entries: serde_json::from_value(view["encryptedTally"].clone()).expect("the encrypted tally"),
        cast_count: view["castCount"].as_u64().expect("a cast count"),
        cast_digest: serde_json::from_value(view["castDigest"].clone()).expect("the cast digest"),
    };
    let ctx = trustees.file.context();
    let commitments = &trustees.file.ceremony.commitments;
    let mut last = (Duration::ZERO, Value::Null);
    for i in [0, 2] {
        let share = &trustees.shares[i];
        let k = public_share(share.index, commitments).expect("a public share");
        let partial = partial_decrypt(&ctx, share, &k, &tally, &mut OsRandomness);
        let body = serde_json::to_value(partial).expect("a partial decryption");
        let sent = Instant::now();
        let path = format!("/elections/{election}/decryption");
        let (status, reply) = send(api, reqwest::Method::PUT, &path, Some(&trustees.tokens[i]), Some(&body)).await;
        assert_eq!(status, 200, "{reply}");
        last = (sent.elapsed(), reply);
    }
    let counted = last.1["result"]
        .as_array()
        .expect("the counts, once two trustees have decrypted")
        .iter()
        .filter_map(|r| r["count"].as_u64())
        .sum();
    Count {
        freeze,
        last_decryption: last.0,
        cast: tally.cast_count,
        counted,
    }
}
