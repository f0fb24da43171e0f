//! The record's verifier (spec 11): checks V1..V25 in order and stops at the first failure.

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;

use crate::ballot::Context;
use crate::ceremony::{extended_base_hash, joint_key, public_share, transcript_hash, verify_commitments};
use crate::decryption::{combine, verify_partial};
use crate::error::{ensure, Error};
use crate::keys::{fingerprint, verify_signature};
use crate::manifest;
use crate::record::{chunk_file, ListIndex, Record, FORMAT};
use crate::tally::{self, chunk_digest, list_digest, List, CHUNK_SIZE};

/// What a valid record says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    pub cast: u64,
    pub spoiled: u64,
    pub counts: Vec<u64>,
}

pub fn verify_record(r: &Record) -> Result<Summary, Error> {
    let e = &r.election;
    let (n, t) = (e.parameters.trustees, e.parameters.threshold);
    // Parameters.
    ensure(e.format == FORMAT, "V1", || format!("format {:?}", e.format))?;
    manifest::check(&e.manifest, &e.parameters)?;
    ensure(e.manifest.hash() == e.manifest_hash, "V2", || "manifest hash".into())?;
    ensure(e.trustees.iter().map(|t| t.index).eq(1..=n), "V3", || {
        "trustees are not 1..n in order".into()
    })?;
    for tr in &e.trustees {
        ensure(
            !tr.signing_key.is_identity() && !tr.receiving_key.is_identity(),
            "V3",
            || format!("trustee {}: a key is the identity", tr.index),
        )?;
        ensure(fingerprint(&tr.signing_key) == tr.fingerprint, "V3", || {
            format!("trustee {}: fingerprint", tr.index)
        })?;
    }
    let q = crate::ceremony::base_hash(&e.manifest, &e.parameters, &e.trustees);
    ensure(q == e.base_hash, "V4", || "base hash".into())?;

    // Ceremony.
    let c = &e.ceremony;
    ensure(c.commitments.len() == n as usize, "V5", || {
        "one commitment set per trustee".into()
    })?;
    for (tr, com) in e.trustees.iter().zip(&c.commitments) {
        verify_commitments(&q, t, tr, com)?;
    }
    let k = joint_key(&c.commitments)?;
    ensure(k == c.joint_key, "V8", || {
        "joint key is not the sum of the constant terms".into()
    })?;
    let qbar = extended_base_hash(&q, &k);
    ensure(qbar == c.extended_base_hash, "V9", || "extended base hash".into())?;
    let transcript = transcript_hash(&qbar, &k, &c.commitments);
    ensure(transcript == c.transcript_hash, "V10", || "transcript hash".into())?;
    ensure(
        c.transcript_signatures.iter().map(|s| s.trustee).eq(1..=n),
        "V10",
        || "transcript signatures are not 1..n in order".into(),
    )?;
    for (tr, sig) in e.trustees.iter().zip(&c.transcript_signatures) {
        verify_signature(
            &tr.signing_key,
            &transcript,
            &sig.signature,
            "V10",
            &format!("trustee {} transcript", tr.index),
        )?;
    }
    let public_shares = (1..=n)
        .map(|i| public_share(i, &c.commitments))
        .collect::<Result<Vec<_>, _>>()?;

    // Ballots, cast and spoiled (V12–V19).
    let ctx: Context = e.context();
    let cast: Vec<_> = r.cast_ballots().cloned().collect();
    let spoiled: Vec<_> = r.spoiled_ballots().cloned().collect();
    tally::check_ballots(&ctx, &cast, &spoiled)?;
    ensure(r.index.chunk_size == CHUNK_SIZE as u64, "V16", || {
        format!("chunk size {}", r.index.chunk_size)
    })?;
    let cast_chunks: Vec<(u64, &str, Vec<_>)> = r
        .cast
        .iter()
        .map(|ch| {
            (
                ch.chunk,
                ch.kind.as_str(),
                ch.ballots.iter().map(|b| b.tracking_code).collect(),
            )
        })
        .collect();
    check_list(&qbar, List::Cast, &r.index.cast, &cast_chunks, "V16")?;
    let spoiled_chunks: Vec<(u64, &str, Vec<_>)> = r
        .spoiled
        .iter()
        .map(|ch| {
            (
                ch.chunk,
                ch.kind.as_str(),
                ch.ballots.iter().map(|b| b.ballot.tracking_code).collect(),
            )
        })
        .collect();
    check_list(&qbar, List::Spoiled, &r.index.spoiled, &spoiled_chunks, "V17")?;

    // Tally.
    let tf = &r.tally;
    let big_n = cast.len() as u64;
    ensure(
        tf.cast_count == big_n && tf.cast_digest == r.index.cast.digest,
        "V20",
        || "cast count or cast digest differs from the ballots".into(),
    )?;
    ensure(tf.encrypted_tally == tally::sum(ctx.candidates, &cast), "V20", || {
        "the encrypted tally is not the sum of the cast ballots".into()
    })?;

    // Decryption.
    let enc = tf.encrypted();
    for p in &tf.decryption.partials {
        ensure(
            p.trustee >= 1 && p.trustee <= n && public_shares[(p.trustee - 1) as usize] == p.public_share,
            "V21",
            || format!("trustee {}: public share differs from the commitments", p.trustee),
        )?;
        verify_partial(&ctx, &enc, p)?;
    }
    let combined = combine(&enc, &tf.decryption, n, t)?;

    // Result.
    ensure(
        tf.result
            .iter()
            .map(|x| x.candidate.as_str())
            .eq(e.manifest.candidates.iter().map(|c| c.id.as_str())),
        "V24",
        || "result does not list the candidates in order".into(),
    )?;
    for (j, (p, x)) in combined.iter().zip(&tf.result).enumerate() {
        ensure(*p == RistrettoPoint::mul_base(&Scalar::from(x.count)), "V23", || {
            format!("candidate {j}: decryption is not count·G")
        })?;
    }
    let counts: Vec<u64> = tf.result.iter().map(|x| x.count).collect();
    ensure(
        counts.iter().all(|c| *c <= big_n) && counts.iter().sum::<u64>() == big_n,
        "V24",
        || format!("counts {counts:?} do not add up to {big_n} cast ballots"),
    )?;
    // Late ballots: listed apart, never among the counted or spoiled ones.
    ensure(tf.late.windows(2).all(|w| w[0] < w[1]), "V25", || {
        "late tracking codes are not strictly ascending".into()
    })?;
    let boarded = cast
        .iter()
        .chain(spoiled.iter().map(|s| &s.ballot))
        .map(|b| b.tracking_code);
    for code in boarded {
        ensure(tf.late.binary_search(&code).is_err(), "V25", || {
            "a late tracking code is a cast or spoiled ballot's".into()
        })?;
    }
    Ok(Summary {
        cast: big_n,
        spoiled: spoiled.len() as u64,
        counts,
    })
}

/// V16 (V17 for spoiled): chunk names, numbers, kinds, sizes and digests, and the list digest.
fn check_list(
    qbar: &crate::hash::Digest,
    list: List,
    index: &ListIndex,
    chunks: &[(u64, &str, Vec<crate::hash::Digest>)],
    check: &'static str,
) -> Result<(), Error> {
    let kind = match list {
        List::Cast => "cast",
        List::Spoiled => "spoiled",
    };
    ensure(index.chunks.len() == chunks.len(), check, || {
        "index and chunks differ in number".into()
    })?;
    let last = chunks.len().saturating_sub(1);
    let mut total = 0u64;
    let mut digests = Vec::with_capacity(chunks.len());
    for (q, (r, (number, k, codes))) in index.chunks.iter().zip(chunks).enumerate() {
        let size_ok = codes.len() <= CHUNK_SIZE && (q == last || codes.len() == CHUNK_SIZE) && !codes.is_empty();
        ensure(
            r.file == chunk_file(list, q)
                && *number == q as u64
                && *k == kind
                && r.count == codes.len() as u64
                && size_ok,
            check,
            || format!("{kind} chunk {q}: name, number, kind or size"),
        )?;
        let d = chunk_digest(qbar, list, q, codes);
        ensure(d == r.digest, check, || format!("{kind} chunk {q}: digest"))?;
        digests.push(d);
        total += r.count;
    }
    ensure(
        total == index.count && list_digest(qbar, list, total, &digests) == index.digest,
        check,
        || format!("{kind} list: count or digest"),
    )
}
