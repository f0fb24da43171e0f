//! `election.json`: parameters, manifest, trustee keys and the key ceremony (V1–V11).
//!
//! Each published value (manifest hash, `Q`, `h_i`, `K`, `Q̄`) is compared once with its
//! recomputation, by its own check; later checks use the published value. A single wrong
//! value thus fails the check that covers it rather than every check downstream.

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::Identity;

use crate::encoding::{self, Point};
use crate::hash::Framed;
use crate::proofs;
use crate::record::ElectionFile;
use crate::report::Report;

/// What the ballot, tally and decryption checks need from the election.
pub struct Election {
    pub candidate_ids: Vec<String>,
    pub trustees: u64,
    pub threshold: u64,
    pub joint_key: Point,
    pub extended_base_hash: [u8; 64],
    /// `A_i` for trustee `i` at position `i − 1`, where it decoded.
    pub signing_keys: Vec<Option<Point>>,
    /// `K_i` recomputed from the commitments (5.1), where they all decoded.
    pub public_shares: Option<Vec<RistrettoPoint>>,
}

impl Election {
    pub fn m(&self) -> usize {
        self.candidate_ids.len()
    }
}

/// Runs V1–V11. `None` when what the later checks need (`K`, `Q̄`) cannot be read.
pub fn check(e: &ElectionFile, report: &mut Report) -> Option<Election> {
    parameters(e, report);
    let manifest_hash = manifest_hash(e, report);
    let signing_keys = trustee_keys(e, report);
    let base_hash = base_hash(e, manifest_hash, report);
    let coefficients = commitments(e, report);
    if let Some(q) = &base_hash {
        coefficient_proofs(e, q, &coefficients, &signing_keys, report);
    } else {
        report.fail(6, "not checked: the base hash does not decode (V4)");
        report.fail(7, "not checked: the base hash does not decode (V4)");
    }
    let joint_key = joint_key(e, &coefficients, report);
    let extended_base_hash = extended_base_hash(e, base_hash.as_ref(), joint_key.as_ref(), report);
    if let (Some(k), Some(qbar)) = (&joint_key, &extended_base_hash) {
        transcript(e, qbar, k, &signing_keys, report);
    } else {
        report.fail(10, "not checked: K or Q̄ does not decode (V8, V9)");
    }
    let public_shares = public_shares(&coefficients, report);
    Some(Election {
        candidate_ids: e.manifest.candidates.iter().map(|c| c.id.clone()).collect(),
        trustees: e.parameters.trustees,
        threshold: e.parameters.threshold,
        joint_key: joint_key?,
        extended_base_hash: extended_base_hash?,
        signing_keys,
        public_shares,
    })
}

fn parameters(e: &ElectionFile, report: &mut Report) {
    let p = &e.parameters;
    if e.format != "ee1" {
        report.fail(1, format!("format is {:?}, not \"ee1\"", e.format));
    }
    if p.group != "ristretto255" {
        report.fail(1, format!("group is {:?}", p.group));
    }
    if p.hash != "SHA-512" {
        report.fail(1, format!("hash is {:?}", p.hash));
    }
    if !(1 <= p.threshold && p.threshold <= p.trustees) {
        report.fail(1, format!("threshold {} with {} trustees", p.threshold, p.trustees));
    }
    if e.manifest.election_id.is_empty() {
        report.fail(1, "empty election id");
    }
    let candidates = &e.manifest.candidates;
    if candidates.len() < 2 {
        report.fail(1, format!("{} candidates, at least 2 required", candidates.len()));
    }
    for (j, c) in candidates.iter().enumerate() {
        if c.id.is_empty() {
            report.fail(1, format!("candidate {j} has an empty id"));
        }
        if candidates[..j].iter().any(|d| d.id == c.id) {
            report.fail(1, format!("candidate id {:?} appears twice", c.id));
        }
    }
}

/// V2; returns the published manifest hash where it decodes.
fn manifest_hash(e: &ElectionFile, report: &mut Report) -> Option<[u8; 64]> {
    let m = &e.manifest;
    let mut h = Framed::new("ee1/manifest")
        .field(m.election_id.as_bytes())
        .u64(m.candidates.len() as u64);
    for c in &m.candidates {
        h = h.field(c.id.as_bytes()).field(c.name.as_bytes());
    }
    let recomputed = h.digest();
    match encoding::digest(&e.manifest_hash) {
        Ok(published) if published == recomputed => Some(published),
        Ok(published) => {
            report.fail(2, "manifest_hash differs from the manifest's hash");
            Some(published)
        }
        Err(err) => {
            report.fail(2, format!("manifest_hash: {err}"));
            None
        }
    }
}

/// V3; returns each trustee's signing key `A_i` where it decoded.
fn trustee_keys(e: &ElectionFile, report: &mut Report) -> Vec<Option<Point>> {
    let n = e.parameters.trustees;
    if e.trustees.len() as u64 != n {
        report.fail(
            3,
            format!("{} trustees listed, {n} in the parameters", e.trustees.len()),
        );
    }
    let mut keys = Vec::new();
    for (pos, t) in e.trustees.iter().enumerate() {
        let i = pos as u64 + 1;
        if t.index != i {
            report.fail(3, format!("trustee at position {i} has index {}", t.index));
        }
        let a = encoding::nonidentity_point(&t.signing_key)
            .map_err(|err| report.fail(3, format!("trustee {i} signing key: {err}")))
            .ok();
        if let Err(err) = encoding::nonidentity_point(&t.receiving_key) {
            report.fail(3, format!("trustee {i} receiving key: {err}"));
        }
        if let Some(a) = &a {
            if fingerprint(a) != t.fingerprint {
                report.fail(
                    3,
                    format!(
                        "trustee {i} fingerprint {:?} should be {}",
                        t.fingerprint,
                        fingerprint(a)
                    ),
                );
            }
        }
        keys.push(a);
    }
    keys
}

/// The first 16 bytes of `H("ee1/fingerprint", A)` as 8 groups of 4 hex digits (spec 4).
pub fn fingerprint(a: &Point) -> String {
    let h = hex::encode(&Framed::new("ee1/fingerprint").field(&a.bytes).digest()[..16]);
    let groups: Vec<&str> = (0..8).map(|g| &h[4 * g..4 * g + 4]).collect();
    groups.join("-")
}

/// V4; returns the published `Q` where it decodes.
fn base_hash(e: &ElectionFile, manifest_hash: Option<[u8; 64]>, report: &mut Report) -> Option<[u8; 64]> {
    let published = encoding::digest(&e.base_hash)
        .map_err(|err| report.fail(4, format!("base_hash: {err}")))
        .ok();
    let keys: Result<Vec<_>, String> = e
        .trustees
        .iter()
        .map(|t| Ok((encoding::point(&t.signing_key)?, encoding::point(&t.receiving_key)?)))
        .collect();
    match (manifest_hash, keys) {
        (Some(mh), Ok(keys)) => {
            let signing: Vec<u8> = keys.iter().flat_map(|(a, _)| a.bytes).collect();
            let receiving: Vec<u8> = keys.iter().flat_map(|(_, x)| x.bytes).collect();
            let q = Framed::new("ee1/base")
                .field(&mh)
                .field(b"ristretto255")
                .u64(e.parameters.trustees)
                .u64(e.parameters.threshold)
                .field(&signing)
                .field(&receiving)
                .digest();
            if published.is_some_and(|p| p != q) {
                report.fail(4, "base_hash differs from Q recomputed (section 3)");
            }
        }
        _ => report.fail(
            4,
            "not recomputed: the manifest hash or a trustee key does not decode (V2, V3)",
        ),
    }
    published
}

/// V5; returns each trustee's decoded commitments `C_{i,k}`, `None` for a trustee whose list is
/// unusable.
fn commitments(e: &ElectionFile, report: &mut Report) -> Vec<Option<Vec<Point>>> {
    let (n, t) = (e.parameters.trustees, e.parameters.threshold);
    let list = &e.ceremony.commitments;
    if list.len() as u64 != n {
        report.fail(5, format!("{} commitment lists, {n} trustees", list.len()));
    }
    list.iter()
        .enumerate()
        .map(|(pos, c)| {
            let i = pos as u64 + 1;
            if c.trustee != i {
                report.fail(5, format!("commitments at position {i} name trustee {}", c.trustee));
            }
            if c.coefficients.len() as u64 != t || c.proofs.len() as u64 != t {
                report.fail(
                    5,
                    format!(
                        "trustee {i}: {} coefficients and {} proofs, threshold {t}",
                        c.coefficients.len(),
                        c.proofs.len()
                    ),
                );
            }
            let points: Result<Vec<Point>, String> = c.coefficients.iter().map(|p| encoding::point(p)).collect();
            match points {
                Ok(points) if points.first().is_some_and(Point::is_identity) => {
                    report.fail(5, format!("trustee {i}: C_{{{i},0}} is the identity"));
                    Some(points)
                }
                Ok(points) => Some(points),
                Err(err) => {
                    report.fail(5, format!("trustee {i} coefficient: {err}"));
                    None
                }
            }
        })
        .collect()
}

/// V6 and V7 (both hash `Q`).
fn coefficient_proofs(
    e: &ElectionFile,
    q: &[u8; 64],
    coefficients: &[Option<Vec<Point>>],
    signing_keys: &[Option<Point>],
    report: &mut Report,
) {
    for (pos, (c, points)) in e.ceremony.commitments.iter().zip(coefficients).enumerate() {
        let i = pos as u64 + 1;
        let Some(points) = points else {
            report.fail(
                6,
                format!("trustee {i}: not checked, a coefficient does not decode (V5)"),
            );
            report.fail(
                7,
                format!("trustee {i}: not checked, a coefficient does not decode (V5)"),
            );
            continue;
        };
        let mut proof_bytes = Vec::with_capacity(64 * c.proofs.len());
        for (k, (proof, point)) in c.proofs.iter().zip(points).enumerate() {
            let decoded = encoding::scalar(&proof.c).and_then(|cc| Ok((cc, encoding::scalar(&proof.v)?)));
            let Ok((cc, v)) = decoded else {
                report.fail(6, format!("trustee {i} proof {k}: a scalar does not decode"));
                continue;
            };
            proof_bytes.extend_from_slice(cc.as_bytes());
            proof_bytes.extend_from_slice(v.as_bytes());
            let h = RistrettoPoint::vartime_double_scalar_mul_basepoint(&-cc, &point.point, &v);
            let recomputed = Framed::new("ee1/coefficient")
                .field(q)
                .u64(i)
                .u64(k as u64)
                .field(&point.bytes)
                .field(h.compress().as_bytes())
                .challenge();
            if recomputed != cc {
                report.fail(6, format!("trustee {i}: proof of coefficient {k} does not verify"));
            }
        }
        let listed: Vec<u8> = points.iter().flat_map(|p| p.bytes).collect();
        let recomputed = Framed::new("ee1/commitments")
            .field(q)
            .u64(i)
            .field(&listed)
            .field(&proof_bytes)
            .digest();
        match encoding::digest(&c.commitment_hash) {
            Ok(h) => {
                if h != recomputed {
                    report.fail(7, format!("trustee {i}: commitment_hash does not recompute"));
                }
                match signing_keys.get(pos).copied().flatten() {
                    Some(a) => {
                        if let Err(err) = proofs::signature(&a, &h, &c.signature) {
                            report.fail(7, format!("trustee {i}: commitment hash {err}"));
                        }
                    }
                    None => report.fail(7, format!("trustee {i}: no usable signing key (V3)")),
                }
            }
            Err(err) => report.fail(7, format!("trustee {i}: commitment_hash: {err}")),
        }
    }
}

/// V8; returns the published `K` where it decodes.
fn joint_key(e: &ElectionFile, coefficients: &[Option<Vec<Point>>], report: &mut Report) -> Option<Point> {
    let k = encoding::point(&e.ceremony.joint_key)
        .map_err(|err| report.fail(8, format!("joint_key: {err}")))
        .ok()?;
    if k.is_identity() {
        report.fail(8, "joint_key is the identity");
    }
    let constant_terms: Option<Vec<RistrettoPoint>> = coefficients
        .iter()
        .map(|c| c.as_ref().and_then(|c| c.first()).map(|p| p.point))
        .collect();
    match constant_terms {
        Some(terms) if terms.iter().sum::<RistrettoPoint>() == k.point => {}
        Some(_) => report.fail(8, "joint_key is not the sum of the constant terms C_{i,0}"),
        None => report.fail(8, "not recomputed: a commitment does not decode (V5)"),
    }
    Some(k)
}

/// V9; returns the published `Q̄` where it decodes.
fn extended_base_hash(
    e: &ElectionFile,
    q: Option<&[u8; 64]>,
    k: Option<&Point>,
    report: &mut Report,
) -> Option<[u8; 64]> {
    let published = encoding::digest(&e.ceremony.extended_base_hash)
        .map_err(|err| report.fail(9, format!("extended_base_hash: {err}")))
        .ok()?;
    match (q, k) {
        (Some(q), Some(k)) => {
            if Framed::new("ee1/extended-base").field(q).field(&k.bytes).digest() != published {
                report.fail(9, "extended_base_hash differs from H(\"ee1/extended-base\", Q, K)");
            }
        }
        _ => report.fail(9, "not recomputed: Q or K does not decode (V4, V8)"),
    }
    Some(published)
}

/// V10: `T` over the published `h_i`, and every trustee's signature on it.
fn transcript(e: &ElectionFile, qbar: &[u8; 64], k: &Point, signing_keys: &[Option<Point>], report: &mut Report) {
    let c = &e.ceremony;
    let published = match encoding::digest(&c.transcript_hash) {
        Ok(t) => t,
        Err(err) => return report.fail(10, format!("transcript_hash: {err}")),
    };
    let hashes: Result<Vec<[u8; 64]>, String> = c
        .commitments
        .iter()
        .map(|c| encoding::digest(&c.commitment_hash))
        .collect();
    match hashes {
        Ok(hashes) => {
            let t = hashes
                .iter()
                .fold(Framed::new("ee1/transcript").field(qbar).field(&k.bytes), |h, hi| {
                    h.field(hi)
                });
            if t.digest() != published {
                report.fail(10, "transcript_hash differs from T recomputed (5.1 step 7)");
            }
        }
        Err(_) => report.fail(10, "not recomputed: a commitment hash does not decode (V7)"),
    }
    let n = e.parameters.trustees;
    if c.transcript_signatures.len() as u64 != n {
        report.fail(
            10,
            format!("{} transcript signatures, {n} trustees", c.transcript_signatures.len()),
        );
    }
    for (pos, s) in c.transcript_signatures.iter().enumerate() {
        let i = pos as u64 + 1;
        if s.trustee != i {
            report.fail(
                10,
                format!("transcript signature at position {i} names trustee {}", s.trustee),
            );
            continue;
        }
        match signing_keys.get(pos).copied().flatten() {
            Some(a) => {
                if let Err(err) = proofs::signature(&a, &published, &s.signature) {
                    report.fail(10, format!("trustee {i}: transcript {err}"));
                }
            }
            None => report.fail(10, format!("trustee {i}: no usable signing key (V3)")),
        }
    }
}

/// V11: `K_i = Σ_k i^k (Σ_j C_{j,k})` for `i` in `1..n`, none the identity (`n` as listed:
/// V5 holds the list to the parameters).
fn public_shares(coefficients: &[Option<Vec<Point>>], report: &mut Report) -> Option<Vec<RistrettoPoint>> {
    let Some(lists) = coefficients.iter().cloned().collect::<Option<Vec<Vec<Point>>>>() else {
        report.fail(11, "not computed: a commitment does not decode (V5)");
        return None;
    };
    let degree = lists.iter().map(Vec::len).max().unwrap_or(0);
    let summed: Vec<RistrettoPoint> = (0..degree)
        .map(|k| lists.iter().filter_map(|l| l.get(k)).map(|p| p.point).sum())
        .collect();
    let shares: Vec<RistrettoPoint> = (1..=lists.len() as u64)
        .map(|i| {
            let x = Scalar::from(i);
            let mut power = Scalar::ONE;
            let mut share = RistrettoPoint::identity();
            for c in &summed {
                share += power * c;
                power *= x;
            }
            share
        })
        .collect();
    for (pos, share) in shares.iter().enumerate() {
        if *share == RistrettoPoint::identity() {
            report.fail(11, format!("K_{} is the identity", pos + 1));
        }
    }
    Some(shares)
}
