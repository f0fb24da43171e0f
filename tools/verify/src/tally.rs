//! `tally.json`: the encrypted tally (V20), the threshold decryption (V21–V23), the result
//! (V24) and the late ballots' list (V25).

use std::collections::HashSet;

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;

use crate::ceremony::Election;
use crate::chunks::Lists;
use crate::encoding::{self, Point};
use crate::hash::Framed;
use crate::proofs;
use crate::record::TallyFile;
use crate::report::Report;

/// V25's own part: the late tracking codes decode and ascend strictly. Returns those that
/// decode, for the chunk checks to find among the cast and spoiled ballots.
pub fn late_codes(t: &TallyFile, report: &mut Report) -> HashSet<[u8; 64]> {
    let mut codes = HashSet::new();
    let mut previous: Option<[u8; 64]> = None;
    for (i, text) in t.late.iter().enumerate() {
        match encoding::digest(text) {
            Ok(code) => {
                if previous.is_some_and(|p| p >= code) {
                    report.fail(
                        25,
                        format!("late code {i} does not follow the one before in ascending order"),
                    );
                }
                previous = Some(code);
                codes.insert(code);
            }
            Err(e) => report.fail(25, format!("late code {i}: {e}")),
        }
    }
    codes
}

/// Runs V20–V24.
pub fn check(t: &TallyFile, e: &Election, lists: &Lists, report: &mut Report) {
    let n = lists.cast.count;
    let tally = encrypted_tally(t, e, lists, report);
    let shares = decryption(t, e, tally.as_deref(), lists.cast.digest.as_ref(), report);
    match (tally, shares) {
        (Some(tally), Some(shares)) => counts(t, e, &tally, &shares, report),
        _ => report.fail(
            23,
            "not checked: the tally or a partial decryption does not decode (V20–V22)",
        ),
    }
    result(t, e, n, report);
}

/// V20; returns the published `(A_j, B_j)` where they all decode.
fn encrypted_tally(t: &TallyFile, e: &Election, lists: &Lists, report: &mut Report) -> Option<Vec<(Point, Point)>> {
    let cast = &lists.cast;
    if t.cast_count != cast.count {
        report.fail(
            20,
            format!("cast_count {} but {} cast ballots", t.cast_count, cast.count),
        );
    }
    match (encoding::digest(&t.cast_digest), cast.digest) {
        (Ok(d), Some(recomputed)) if d == recomputed => {}
        (Ok(_), Some(_)) => report.fail(20, "cast_digest is not D"),
        (Err(err), _) => report.fail(20, format!("cast_digest: {err}")),
        (_, None) => report.fail(20, "cast_digest not compared: D was not recomputed (V16)"),
    }
    if t.encrypted_tally.len() != e.m() {
        report.fail(
            20,
            format!("{} tally entries, {} candidates", t.encrypted_tally.len(), e.m()),
        );
        return None;
    }
    let tally: Result<Vec<(Point, Point)>, String> = t
        .encrypted_tally
        .iter()
        .map(|entry| Ok((encoding::point(&entry.a)?, encoding::point(&entry.b)?)))
        .collect();
    let tally = tally
        .map_err(|err| report.fail(20, format!("encrypted_tally: {err}")))
        .ok()?;
    match &cast.sums {
        Some(sums) => {
            for (j, ((a, b), (sa, sb))) in tally.iter().zip(sums).enumerate() {
                if a.point != *sa || b.point != *sb {
                    report.fail(
                        20,
                        format!("candidate {j}: encrypted tally is not the sum of the cast ballots"),
                    );
                }
            }
        }
        None => report.fail(20, "sums not recomputed: a cast ballot or chunk is unusable (V12, V16)"),
    }
    Some(tally)
}

/// V21 and V22; returns each present trustee's index and shares `M_{i,j}` where they decode.
fn decryption(
    t: &TallyFile,
    e: &Election,
    tally: Option<&[(Point, Point)]>,
    d: Option<&[u8; 64]>,
    report: &mut Report,
) -> Option<Vec<(u64, Vec<RistrettoPoint>)>> {
    let present = &t.decryption.present;
    if present.windows(2).any(|w| w[0] >= w[1]) {
        report.fail(21, format!("present {present:?} is not strictly increasing"));
    }
    if present.iter().any(|i| !(1..=e.trustees).contains(i)) {
        report.fail(
            21,
            format!("present {present:?} names a trustee outside 1..{}", e.trustees),
        );
    }
    if (present.len() as u64) < e.threshold {
        report.fail(
            21,
            format!("{} trustees present, threshold {}", present.len(), e.threshold),
        );
    }
    let partials = &t.decryption.partials;
    if partials.len() != present.len() {
        report.fail(
            21,
            format!(
                "{} partial decryptions, {} trustees present",
                partials.len(),
                present.len()
            ),
        );
    }
    let mut all = Some(Vec::new());
    for (p, i) in partials.iter().zip(present) {
        if p.trustee != *i {
            report.fail(
                21,
                format!("partial decryption of trustee {} where present lists {i}", p.trustee),
            );
        }
        if p.shares.len() != e.m() {
            report.fail(
                21,
                format!("trustee {}: {} shares, {} candidates", p.trustee, p.shares.len(), e.m()),
            );
        }
        let recomputed = e
            .public_shares
            .as_ref()
            .and_then(|k| k.get((p.trustee as usize).wrapping_sub(1)));
        match (encoding::point(&p.public_share), recomputed) {
            (Ok(k), Some(r)) if k.point == *r => {}
            (Ok(_), Some(_)) => report.fail(21, format!("trustee {}: public_share is not K_i", p.trustee)),
            (Ok(_), None) => report.fail(21, format!("trustee {}: K_i not recomputed (V5, V11)", p.trustee)),
            (Err(err), _) => report.fail(21, format!("trustee {}: public_share: {err}", p.trustee)),
        }
        // V22 takes `K_i` as recomputed from the commitments (spec 6.2), not as published.
        let public_share = recomputed.map(|r| Point {
            point: *r,
            bytes: r.compress().to_bytes(),
        });
        let mut ms = Some(Vec::new());
        for (j, share) in p.shares.iter().enumerate() {
            let at = format!("trustee {} candidate {j}", p.trustee);
            let decoded = encoding::point(&share.m)
                .and_then(|m| Ok((m, encoding::scalar(&share.proof.c)?, encoding::scalar(&share.proof.v)?)));
            let (m, c, v) = match decoded {
                Ok(x) => x,
                Err(err) => {
                    report.fail(22, format!("{at}: {err}"));
                    ms = None;
                    continue;
                }
            };
            if let Some(ms) = ms.as_mut() {
                ms.push(m.point);
            }
            let (Some(k), Some(tally), Some(d)) = (&public_share, tally, d) else {
                report.fail(
                    22,
                    format!("{at}: not checked, K_i, the tally or D is unusable (V5, V16, V20)"),
                );
                continue;
            };
            let Some((a, b)) = tally.get(j) else { continue };
            let [ca, cb] = proofs::dleq_commitments(&k.point, &a.point, &m.point, &c, &v);
            let recomputed = Framed::new("ee1/partial")
                .field(e.extended_base_hash.as_slice())
                .field(d)
                .u64(p.trustee)
                .u64(j as u64)
                .field(&k.bytes)
                .field(&a.bytes)
                .field(&b.bytes)
                .field(&m.bytes)
                .field(&ca)
                .field(&cb)
                .challenge();
            if recomputed != c {
                report.fail(22, format!("{at}: partial decryption proof does not verify"));
            }
        }
        match (ms, all.as_mut()) {
            (Some(ms), Some(all)) => all.push((p.trustee, ms)),
            _ => all = None,
        }
    }
    all
}

/// V23: `B_j − Σ_{i∈S} λ_i M_{i,j} == count_j·G`.
fn counts(
    t: &TallyFile,
    e: &Election,
    tally: &[(Point, Point)],
    shares: &[(u64, Vec<RistrettoPoint>)],
    report: &mut Report,
) {
    let indices: Vec<u64> = shares.iter().map(|(i, _)| *i).collect();
    let Some(lambdas) = lagrange(&indices) else {
        return report.fail(23, format!("no Lagrange coefficients for present {indices:?}"));
    };
    for (j, (_, b)) in tally.iter().enumerate() {
        let Some(entry) = t.result.get(j) else {
            report.fail(23, format!("candidate {j}: no count in result"));
            continue;
        };
        let Some(m) = shares
            .iter()
            .zip(&lambdas)
            .map(|((_, ms), l)| ms.get(j).map(|m| l * m))
            .sum::<Option<RistrettoPoint>>()
        else {
            report.fail(23, format!("candidate {j}: a share is missing (V21)"));
            continue;
        };
        if b.point - m != RistrettoPoint::mul_base(&Scalar::from(entry.count)) {
            let id = e.candidate_ids.get(j).map_or("?", String::as_str);
            report.fail(
                23,
                format!(
                    "candidate {j} ({id}): count {} does not decrypt from the tally",
                    entry.count
                ),
            );
        }
    }
}

/// `λ_i = Π_{l≠i} l·(l − i)^{−1}`; `None` unless the indices are distinct and nonzero.
fn lagrange(indices: &[u64]) -> Option<Vec<Scalar>> {
    let mut distinct = indices.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() != indices.len() || indices.contains(&0) {
        return None;
    }
    let coefficient = |i: u64| {
        indices.iter().filter(|&&l| l != i).fold(Scalar::ONE, |acc, &l| {
            acc * Scalar::from(l) * (Scalar::from(l) - Scalar::from(i)).invert()
        })
    };
    Some(indices.iter().map(|&i| coefficient(i)).collect())
}

/// V24: the manifest's candidates in order, each count in `0..=N`, summing to `N`.
fn result(t: &TallyFile, e: &Election, n: u64, report: &mut Report) {
    let ids: Vec<&str> = t.result.iter().map(|r| r.candidate.as_str()).collect();
    if ids != e.candidate_ids.iter().map(String::as_str).collect::<Vec<_>>() {
        report.fail(24, format!("result lists {ids:?}, the manifest {:?}", e.candidate_ids));
    }
    for r in &t.result {
        if r.count > n {
            report.fail(
                24,
                format!("{}: count {} above the {n} cast ballots", r.candidate, r.count),
            );
        }
    }
    let total: u128 = t.result.iter().map(|r| r.count as u128).sum();
    if total != n as u128 {
        report.fail(24, format!("counts sum to {total}, {n} ballots were cast"));
    }
}
