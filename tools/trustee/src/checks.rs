//! The spec's checks (section 11) as a trustee makes them on what it is handed, piece by piece
//! during the ceremony and whole on the finished `election.json`. A trustee computes `Q`, `K`,
//! `Q̄` and `T` itself and never takes them from a file.

use anyhow::{bail, ensure, Result};
use election_crypto::ceremony::{
    base_hash, extended_base_hash, joint_key, public_share, transcript_hash, verify_commitments, Commitments, Trustee,
    TrusteePublic,
};
use election_crypto::group::Point;
use election_crypto::hash::Digest;
use election_crypto::keys::{fingerprint, verify_signature};
use election_crypto::manifest;
use election_crypto::record::{ElectionFile, FORMAT};

use crate::files::Setup;

/// V1.
pub fn setup(s: &Setup) -> Result<()> {
    ensure!(s.format == FORMAT, "V1: format {:?}, not {FORMAT:?}", s.format);
    Ok(manifest::check(&s.manifest, &s.parameters)?)
}

/// V3 on the trustees' public keys (one per trustee, in any order) and V4's `Q`: the keys in
/// index order, and `Q`.
pub fn keys(s: &Setup, mut keys: Vec<TrusteePublic>) -> Result<(Vec<TrusteePublic>, Digest)> {
    setup(s)?;
    keys.sort_by_key(|k| k.index);
    let n = s.parameters.trustees;
    ensure!(
        keys.iter().map(|k| k.index).eq(1..=n),
        "V3: expected the keys of trustees 1..{n}, got {:?}",
        keys.iter().map(|k| k.index).collect::<Vec<_>>()
    );
    for k in &keys {
        ensure!(
            !k.signing_key.is_identity() && !k.receiving_key.is_identity(),
            "V3: trustee {}: a key is the identity",
            k.index
        );
        ensure!(
            fingerprint(&k.signing_key) == k.fingerprint,
            "V3: trustee {}: the fingerprint does not recompute",
            k.index
        );
    }
    let q = base_hash(&s.manifest, &s.parameters, &keys);
    Ok((keys, q))
}

/// The keys listed at this trustee's index are its own: a swapped key file changes `Q`.
pub fn own_keys(trustee: &Trustee, keys: &[TrusteePublic]) -> Result<()> {
    let i = trustee.index();
    let listed = keys.iter().find(|k| k.index == i);
    ensure!(
        listed == Some(&trustee.public()),
        "the keys listed for trustee {i} are not this trustee's keys"
    );
    Ok(())
}

/// V5–V7 for every trustee's commitments (given in any order); returned in index order.
pub fn commitments(
    q: &Digest,
    threshold: u32,
    keys: &[TrusteePublic],
    mut commitments: Vec<Commitments>,
) -> Result<Vec<Commitments>> {
    commitments.sort_by_key(|c| c.trustee);
    ensure!(
        commitments.iter().map(|c| c.trustee).eq(keys.iter().map(|k| k.index)),
        "V5: expected the commitments of trustees 1..{}, got {:?}",
        keys.len(),
        commitments.iter().map(|c| c.trustee).collect::<Vec<_>>()
    );
    for (k, c) in keys.iter().zip(&commitments) {
        verify_commitments(q, threshold, k, c)?;
    }
    Ok(commitments)
}

/// `K`, `Q̄` and `T` from checked commitments (V8–V10's values).
pub fn transcript(q: &Digest, commitments: &[Commitments]) -> Result<(Point, Digest, Digest)> {
    let k = joint_key(commitments)?;
    let qbar = extended_base_hash(q, &k);
    Ok((k, qbar, transcript_hash(&qbar, &k, commitments)))
}

/// V1–V11 on a finished `election.json`.
pub fn election(e: &ElectionFile) -> Result<()> {
    let s = Setup {
        format: e.format.clone(),
        manifest: e.manifest.clone(),
        parameters: e.parameters.clone(),
    };
    ensure!(
        e.manifest.hash() == e.manifest_hash,
        "V2: the manifest hash does not recompute"
    );
    let (keys, q) = keys(&s, e.trustees.clone())?;
    ensure!(keys == e.trustees, "V3: trustees are not listed 1..n in order");
    ensure!(q == e.base_hash, "V4: the base hash does not recompute");
    let c = &e.ceremony;
    let commitments = commitments(&q, e.parameters.threshold, &keys, c.commitments.clone())?;
    ensure!(
        commitments == c.commitments,
        "V5: commitments are not listed 1..n in order"
    );
    let (k, qbar, t) = transcript(&q, &commitments)?;
    ensure!(
        k == c.joint_key,
        "V8: the joint key is not the sum of the constant terms"
    );
    ensure!(
        qbar == c.extended_base_hash,
        "V9: the extended base hash does not recompute"
    );
    ensure!(t == c.transcript_hash, "V10: the transcript hash does not recompute");
    if !c
        .transcript_signatures
        .iter()
        .map(|s| s.trustee)
        .eq(1..=e.parameters.trustees)
    {
        bail!("V10: transcript signatures are not listed 1..n in order");
    }
    for (key, sig) in keys.iter().zip(&c.transcript_signatures) {
        verify_signature(
            &key.signing_key,
            &t,
            &sig.signature,
            "V10",
            &format!("trustee {} transcript", key.index),
        )?;
    }
    for i in 1..=e.parameters.trustees {
        public_share(i, &commitments)?;
    }
    Ok(())
}
