//! A verifiable election's whole key ceremony through the API, each trustee made in memory by
//! the crate the `trustee` tool runs: for the tests and the benchmark, which need a verifiable
//! election ready to vote in rather than the ceremony's steps one by one.

use crate::BoxError;
use election_core::domain::ceremony::CommitmentHash;
use election_crypto::ballot::{encrypt, Context};
use election_crypto::ceremony::{
    public_share, share_matches, Commitments, Envelope, SecretShare, Trustee, TrusteePublic,
};
use election_crypto::decryption::partial_decrypt;
use election_crypto::hash::Digest;
use election_crypto::randomness::OsRandomness;
use election_crypto::record::ElectionFile;
use election_crypto::tally::EncryptedTally;
use reqwest::Method;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// The API of one election's ceremony, as its commission and its trustees call it.
pub struct CeremonyApi<'a> {
    pub http: &'a reqwest::Client,
    /// The API's base URL.
    pub base: &'a str,
    pub election: &'a str,
    pub commission: &'a str,
    /// Each trustee's token, in index order.
    pub trustees: &'a [String],
}

impl CeremonyApi<'_> {
    async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Result<Value, BoxError> {
        let url = format!("{}/elections/{}/ceremony{path}", self.base, self.election);
        let mut request = self.http.request(method, &url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let reply = request.send().await?;
        let status = reply.status();
        let text = reply.text().await?;
        if !status.is_success() {
            return Err(format!("{url}: {status} {text}").into());
        }
        Ok(serde_json::from_str(&text)?)
    }

    /// Trustee `i`'s message for `step` is the `i`th body (from 0).
    async fn put_each(&self, step: &str, bodies: Vec<Value>) -> Result<(), BoxError> {
        for (token, body) in self.trustees.iter().zip(&bodies) {
            self.call(Method::PUT, &format!("/{step}"), Some(token), Some(body))
                .await?;
        }
        Ok(())
    }

    async fn view(&self) -> Result<Value, BoxError> {
        self.call(Method::GET, "", None, None).await
    }
}

fn field<T: serde::de::DeserializeOwned>(view: &Value, name: &str) -> Result<T, BoxError> {
    Ok(serde_json::from_value(view[name].clone())?)
}

/// Starts the ceremony (the commission) and runs every step for every trustee: keys,
/// commitment hashes, commitments, shares sealed to each other trustee, each trustee's
/// envelopes opened and checked, transcript signatures. Returns the published election file
/// and each trustee's secret share, in index order.
pub async fn complete(api: &CeremonyApi<'_>, threshold: u32) -> Result<(ElectionFile, Vec<SecretShare>), BoxError> {
    api.call(Method::POST, "", Some(api.commission), Some(&json!({})))
        .await?;
    let n = api.trustees.len() as u32;
    let trustees: Vec<Trustee> = (1..=n).map(|i| Trustee::new(i, &mut OsRandomness)).collect();
    api.put_each("keys", to_values(trustees.iter().map(Trustee::public))?)
        .await?;
    let q: Digest = field(&api.view().await?, "baseHash")?;
    let (polys, commitments): (Vec<_>, Vec<Commitments>) = trustees
        .iter()
        .map(|t| t.commit(&q, threshold, &mut OsRandomness))
        .unzip();
    api.put_each(
        "commitment-hash",
        to_values(commitments.iter().map(CommitmentHash::of))?,
    )
    .await?;
    api.put_each("commitments", to_values(commitments.iter())?).await?;
    let publics: Vec<TrusteePublic> = field(&api.view().await?, "keys")?;
    let sealed = trustees.iter().zip(&polys).map(|(t, poly)| {
        let envelopes: Vec<Envelope> = publics
            .iter()
            .filter(|p| p.index != t.index())
            .map(|p| t.seal_share(&q, poly, p, &mut OsRandomness))
            .collect();
        json!({"trustee": t.index(), "envelopes": envelopes})
    });
    api.put_each("shares", sealed.collect()).await?;
    let mut shares = Vec::new();
    for ((t, poly), token) in trustees.iter().zip(&polys).zip(api.trustees) {
        let envelopes: Vec<Envelope> =
            serde_json::from_value(api.call(Method::GET, "/envelopes", Some(token), None).await?)?;
        let mut secret = poly.share_for(t.index());
        for e in &envelopes {
            let s = (e.sender - 1) as usize;
            let opened = t.open_share(&q, e, &publics[s], &commitments[s], &mut OsRandomness);
            *secret += *opened.map_err(|refused| format!("trustee {} refuses a share: {refused}", t.index()))?;
        }
        let share = SecretShare::from_secret(t.index(), Zeroizing::new(*secret));
        share_matches(&share, &commitments)?;
        shares.push(share);
    }
    let transcript: Digest = field(&api.view().await?, "transcriptHash")?;
    let signatures = trustees
        .iter()
        .map(|t| t.sign_transcript(&transcript, &mut OsRandomness));
    api.put_each("transcript-signature", to_values(signatures)?).await?;
    let view = api.view().await?;
    if view["phase"] != "complete" {
        return Err(format!("the ceremony did not complete: {view}").into());
    }
    Ok((field(&view, "election")?, shares))
}

fn to_values<T: serde::Serialize>(items: impl Iterator<Item = T>) -> Result<Vec<Value>, BoxError> {
    Ok(items.map(|item| serde_json::to_value(item)).collect::<Result<_, _>>()?)
}

/// Each voter's request body, `{"ballot": …}`: an encrypted ballot for the candidate at
/// position `choices[n]`, encrypted and proven on every core of this machine.
pub async fn encrypted_votes(ctx: &Context, choices: &[usize]) -> Result<Vec<Value>, BoxError> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let workers: Vec<_> = (0..cores)
        .map(|core| {
            let (ctx, choices) = (ctx.clone(), choices.to_vec());
            tokio::task::spawn_blocking(move || {
                (core..choices.len())
                    .step_by(cores)
                    .map(|n| Ok((n, json!({ "ballot": encrypt(&ctx, choices[n], &mut OsRandomness)?.0 }))))
                    .collect::<Result<Vec<_>, election_crypto::Error>>()
            })
        })
        .collect();
    let mut bodies = vec![Value::Null; choices.len()];
    for worker in workers {
        for (n, body) in worker.await?? {
            bodies[n] = body;
        }
    }
    Ok(bodies)
}

/// Reads `GET …/tally` until it answers 200: the first read after the close starts the
/// freeze, which the ballot box's part workers do (at most `wait`: the close, the bound on a
/// vote in flight, the mixer's last batches, the freeze). Returns the frozen tally's view and
/// how long the freeze took, from the read that started it to the first that found it done.
pub async fn frozen_tally(
    http: &reqwest::Client,
    base: &str,
    election: &str,
    wait: Duration,
) -> Result<(Value, Duration), BoxError> {
    let url = format!("{base}/elections/{election}/tally");
    let deadline = Instant::now() + wait;
    let mut freezing_since = None;
    loop {
        let sent = Instant::now();
        let reply = http.get(&url).send().await;
        let (status, view) = match reply {
            Ok(reply) => (reply.status().as_u16(), reply.json().await.unwrap_or(Value::Null)),
            Err(_) => (0, Value::Null),
        };
        if status == 200 {
            return Ok((view, freezing_since.unwrap_or(sent).elapsed()));
        }
        if freezing_since.is_none() && view["detail"].as_str().is_some_and(|d| d.contains("being frozen")) {
            freezing_since = Some(sent);
        }
        if Instant::now() > deadline {
            return Err(format!("the tally did not freeze in {wait:?}: {status} {view}").into());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A trustee's partial decryption of the frozen tally (as `view` shows it), posted with its
/// token: the reply's view, and how long the request took.
pub async fn decrypt(
    api: &CeremonyApi<'_>,
    file: &ElectionFile,
    share: &SecretShare,
    view: &Value,
) -> Result<(Value, Duration), BoxError> {
    let tally = EncryptedTally {
        entries: field(view, "encryptedTally")?,
        cast_count: field(view, "castCount")?,
        cast_digest: field(view, "castDigest")?,
    };
    let k = public_share(share.index, &file.ceremony.commitments)?;
    let partial = partial_decrypt(&file.context(), share, &k, &tally, &mut OsRandomness);
    let token = &api.trustees[share.index as usize - 1];
    let url = format!("{}/elections/{}/decryption", api.base, api.election);
    let sent = Instant::now();
    let reply = api.http.put(&url).bearer_auth(token).json(&partial).send().await?;
    let took = sent.elapsed();
    let status = reply.status();
    let text = reply.text().await?;
    if !status.is_success() {
        return Err(format!("{url}: {status} {text}").into());
    }
    Ok((serde_json::from_str(&text)?, took))
}
