//! The benchmark's verifiable election: its key ceremony through the API (trustees made in
//! memory), every voter's ballot encrypted and proven before the load (untimed: on a voter's
//! own device, not on this machine's two cores), then after the close the tally's freeze and
//! two trustees' decryptions, timed.

use crate::load::Api;
use election_crypto::ballot::Context;
use election_crypto::ceremony::SecretShare;
use election_crypto::record::ElectionFile;
use local_runner::ceremony::{self, CeremonyApi};
use serde_json::Value;
use std::time::Duration;

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
    let choices: Vec<usize> = (0..voters).map(|n| n % ctx.candidates).collect();
    ceremony::encrypted_votes(ctx, &choices).await.expect("the ballots")
}

/// What the count of a verifiable election took after the close.
pub struct Count {
    /// The freeze: from the read that started it to the first that found it done.
    pub freeze: Duration,
    /// The partial decryption that brought the threshold: checked, combined, counts solved
    /// and the whole record written before its reply.
    pub last_decryption: Duration,
    pub cast: u64,
    pub counted: u64,
}

/// After the close: reads the tally until it freezes (up to 3 minutes: the close, the bound on
/// a vote in flight, the mixer's last batches), then trustees 1 and 3 decrypt it (2 is absent).
pub async fn count(api: &Api, election: &str, trustees: &Trustees) -> Count {
    let (view, freeze) = ceremony::frozen_tally(&api.http, &api.base, election, Duration::from_secs(180))
        .await
        .expect("the tally freezes");
    let ceremony_api = CeremonyApi {
        http: &api.http,
        base: &api.base,
        election,
        commission: "",
        trustees: &trustees.tokens,
    };
    let mut last = (Value::Null, Duration::ZERO);
    for i in [0, 2] {
        last = ceremony::decrypt(&ceremony_api, &trustees.file, &trustees.shares[i], &view)
            .await
            .expect("a partial decryption, kept");
    }
    let counted = last.0["result"]
        .as_array()
        .expect("the counts, once two trustees have decrypted")
        .iter()
        .filter_map(|r| r["count"].as_u64())
        .sum();
    Count {
        freeze,
        last_decryption: last.1,
        cast: view["castCount"].as_u64().expect("a cast count"),
        counted,
    }
}
