//! One ballot: well formed (V12), its 0/1 proofs (V13), its sum proof (V14), its tracking code
//! (V15), and a spoiled ballot's reveal (V18).

use std::fmt;

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT as G;
use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint, VartimeRistrettoPrecomputation};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::VartimePrecomputedMultiscalarMul;

use crate::encoding::{self, Point};
use crate::hash::Framed;
use crate::record::{Ballot, Reveal};
use crate::report::Report;

/// What every ballot check needs: `K` (with a table of its multiples, built once, for the
/// multiplications that have it as a base), `Q̄` and `m`. Multiplications by `G` use dalek's
/// own table of it (`vartime_double_scalar_mul_basepoint`, width 8): measured with dalek 4.1,
/// putting `G` in this table too was slower (its precomputed Straus reads static scalars as
/// width-5 NAFs and always runs 256 doublings).
pub struct Context {
    table: VartimeRistrettoPrecomputation,
    /// `2^{−1} mod ℓ`: commitments are computed halved so that one batch doubles and
    /// compresses them all with a single field inversion (see `commitments`).
    half: Scalar,
    qbar: [u8; 64],
    m: usize,
}

impl Context {
    pub fn new(k: RistrettoPoint, qbar: [u8; 64], m: usize) -> Self {
        Context {
            table: VartimeRistrettoPrecomputation::new([k]),
            half: Scalar::from(2u8).invert(),
            qbar,
            m,
        }
    }

    pub fn m(&self) -> usize {
        self.m
    }

    pub fn qbar(&self) -> &[u8; 64] {
        &self.qbar
    }

    /// `k·K + d·P`.
    fn times_k_plus(&self, k: Scalar, d: Scalar, p: RistrettoPoint) -> RistrettoPoint {
        self.table.vartime_mixed_multiscalar_mul([k], [d], [p])
    }
}

/// The check numbers a ballot's failures are reported under: V12–V15 for a cast ballot, all
/// under V17 for a spoiled one (spec 11, V17).
pub struct Checks {
    pub form: usize,
    pub range: usize,
    pub sum: usize,
    pub code: usize,
}

pub const CAST: Checks = Checks {
    form: 12,
    range: 13,
    sum: 14,
    code: 15,
};
pub const SPOILED: Checks = Checks {
    form: 17,
    range: 17,
    sum: 17,
    code: 17,
};

pub struct Encrypted {
    pub alpha: Point,
    pub beta: Point,
    /// `c0, c1, v0, v1`.
    proof: [Scalar; 4],
}

/// A ballot that passed V12; what the chunk checks need of it.
pub struct Checked {
    pub encrypted: Vec<Encrypted>,
}

/// Checks one ballot; `at` names it in failures (formatted only on a failure). `id` and `code`
/// are the ballot's id and tracking code as decoded by the caller, which keeps them too.
/// Returns its ciphertexts when it is well formed.
pub fn check(
    ctx: &Context,
    b: &Ballot,
    id: &Result<[u8; 16], String>,
    code: &Result<[u8; 64], String>,
    at: &dyn fmt::Display,
    checks: &Checks,
    report: &mut Report,
) -> Option<Checked> {
    let id = id
        .as_ref()
        .map_err(|e| report.fail(checks.form, format!("{at}: ballot id: {e}")));
    let encrypted = decode(ctx, b).map_err(|e| report.fail(checks.form, format!("{at}: {e}")));
    let sum = encoding::scalar(&b.sum_proof.c)
        .and_then(|c| Ok((c, encoding::scalar(&b.sum_proof.v)?)))
        .map_err(|e| report.fail(checks.form, format!("{at}: sum proof: {e}")));
    let (Ok(id), Ok(encrypted), Ok((c, v))) = (id, encrypted, sum) else {
        return None;
    };

    let commitments = commitments(ctx, &encrypted, c, v);
    for (j, (e, abab)) in encrypted.iter().zip(commitments.chunks_exact(4)).enumerate() {
        if !range_proof(ctx, id, j, e, abab) {
            report.fail(
                checks.range,
                format!("{at}: 0/1 proof of candidate {j} does not verify"),
            );
        }
    }
    if !sum_proof(ctx, id, &encrypted, c, &commitments[4 * encrypted.len()..]) {
        report.fail(checks.sum, format!("{at}: sum proof does not verify"));
    }
    match code {
        Ok(code) if *code == tracking_code(ctx, id, &encrypted, c, v) => {}
        Ok(_) => report.fail(checks.code, format!("{at}: tracking code does not recompute")),
        Err(e) => report.fail(checks.code, format!("{at}: tracking code: {e}")),
    }
    Some(Checked { encrypted })
}

/// V12: exactly `m` ciphertexts, each `α`, `β` a canonical point, `α` not the identity, each
/// proof scalar canonical.
fn decode(ctx: &Context, b: &Ballot) -> Result<Vec<Encrypted>, String> {
    if b.ciphertexts.len() != ctx.m {
        return Err(format!("{} ciphertexts, {} candidates", b.ciphertexts.len(), ctx.m));
    }
    b.ciphertexts
        .iter()
        .enumerate()
        .map(|(j, c)| {
            let alpha = encoding::nonidentity_point(&c.alpha).map_err(|e| format!("candidate {j} α: {e}"))?;
            let beta = encoding::point(&c.beta).map_err(|e| format!("candidate {j} β: {e}"))?;
            let p = &c.proof;
            let mut proof = [Scalar::ZERO; 4];
            for (s, text) in proof.iter_mut().zip([&p.c0, &p.c1, &p.v0, &p.v1]) {
                *s = encoding::scalar(text).map_err(|e| format!("candidate {j} 0/1 proof: {e}"))?;
            }
            Ok(Encrypted { alpha, beta, proof })
        })
        .collect()
}

/// The commitments every proof of the ballot recomputes, compressed: for each position `j`
/// (spec 6.1) `a0 = v0·G − c0·α`, `b0 = v0·K − c0·β`, `a1 = v1·G − c1·α`,
/// `b1 = v1·K − c1·(β − G)`, then the sum proof's (spec 6.2) `a = v·G − c·Σα`,
/// `b = v·K − c·(Σβ − G)`. Each is computed at half its value with halved scalars, and
/// dalek's `double_and_compress_batch` gives the encodings of the doubles with one inversion
/// for the lot instead of one per point.
fn commitments(ctx: &Context, encrypted: &[Encrypted], c: Scalar, v: Scalar) -> Vec<CompressedRistretto> {
    let h = ctx.half;
    let mut halves = Vec::with_capacity(4 * encrypted.len() + 2);
    for e in encrypted {
        let [c0, c1, v0, v1] = e.proof.map(|s| s * h);
        let (alpha, beta) = (e.alpha.point, e.beta.point);
        // `G` from dalek's basepoint table, `K` from the election's; the ballot's point dynamic.
        halves.push(RistrettoPoint::vartime_double_scalar_mul_basepoint(&-c0, &alpha, &v0));
        halves.push(ctx.times_k_plus(v0, -c0, beta));
        halves.push(RistrettoPoint::vartime_double_scalar_mul_basepoint(&-c1, &alpha, &v1));
        halves.push(ctx.times_k_plus(v1, -c1, beta - G));
    }
    let alpha: RistrettoPoint = encrypted.iter().map(|e| e.alpha.point).sum();
    let beta: RistrettoPoint = encrypted.iter().map(|e| e.beta.point).sum();
    let (c, v) = (c * h, v * h);
    halves.push(RistrettoPoint::vartime_double_scalar_mul_basepoint(&-c, &alpha, &v));
    halves.push(ctx.times_k_plus(v, -c, beta - G));
    RistrettoPoint::double_and_compress_batch(&halves)
}

/// Spec 6.1: `c0 + c1 == Hs("ee1/range", Q̄, id, u64(j), α, β, a0, b0, a1, b1)`.
fn range_proof(ctx: &Context, id: &[u8; 16], j: usize, e: &Encrypted, commitments: &[CompressedRistretto]) -> bool {
    let [c0, c1, ..] = e.proof;
    let mut h = Framed::new("ee1/range")
        .field(&ctx.qbar)
        .field(id)
        .u64(j as u64)
        .field(&e.alpha.bytes)
        .field(&e.beta.bytes);
    for p in commitments {
        h = h.field(p.as_bytes());
    }
    h.challenge() == c0 + c1
}

/// Spec 6.2, sum proof: `c == Hs("ee1/sum", Q̄, id, u64(m), [α_0 ‖ β_0 ‖ ...], a, b)`.
fn sum_proof(ctx: &Context, id: &[u8; 16], encrypted: &[Encrypted], c: Scalar, ab: &[CompressedRistretto]) -> bool {
    let mut h = Framed::new("ee1/sum")
        .field(&ctx.qbar)
        .field(id)
        .u64(encrypted.len() as u64)
        .list(64 * encrypted.len());
    for e in encrypted {
        h = h.item(&e.alpha.bytes).item(&e.beta.bytes);
    }
    let recomputed = h.field(ab[0].as_bytes()).field(ab[1].as_bytes()).challenge();
    recomputed == c
}

/// Spec 7.2.
fn tracking_code(ctx: &Context, id: &[u8; 16], encrypted: &[Encrypted], c: Scalar, v: Scalar) -> [u8; 64] {
    let mut h = Framed::new("ee1/ballot")
        .field(&ctx.qbar)
        .field(id)
        .u64(encrypted.len() as u64)
        .list(192 * encrypted.len());
    for e in encrypted {
        h = h.item(&e.alpha.bytes).item(&e.beta.bytes);
        for s in &e.proof {
            h = h.item(s.as_bytes());
        }
    }
    h.list(64).item(c.as_bytes()).item(v.as_bytes()).digest()
}

/// V18: `m` choices, each 0 or 1, summing to 1; `m` nonzero nonces; `α_j == r_j G` and
/// `β_j == v_j G + r_j K`.
pub fn check_reveal(ctx: &Context, ballot: &Checked, reveal: &Reveal, at: &dyn fmt::Display, report: &mut Report) {
    let m = ctx.m;
    if reveal.choices.len() != m || reveal.nonces.len() != m {
        return report.fail(
            18,
            format!(
                "{at}: {} choices and {} nonces, {m} candidates",
                reveal.choices.len(),
                reveal.nonces.len()
            ),
        );
    }
    if reveal.choices.iter().any(|v| *v > 1) || reveal.choices.iter().sum::<u64>() != 1 {
        report.fail(
            18,
            format!("{at}: choices {:?} are not one 1 and zeros", reveal.choices),
        );
    }
    for (j, text) in reveal.nonces.iter().enumerate() {
        let r = match encoding::scalar(text) {
            Ok(r) if r != Scalar::ZERO => r,
            Ok(_) => {
                report.fail(18, format!("{at}: nonce of candidate {j} is zero"));
                continue;
            }
            Err(e) => {
                report.fail(18, format!("{at}: nonce of candidate {j}: {e}"));
                continue;
            }
        };
        let v = Scalar::from(reveal.choices[j]);
        let beta =
            RistrettoPoint::mul_base(&v) + ctx.table.vartime_mixed_multiscalar_mul([r], [Scalar::ZERO; 0], [G; 0]);
        let e = &ballot.encrypted[j];
        if RistrettoPoint::mul_base(&r) != e.alpha.point || beta != e.beta.point {
            report.fail(
                18,
                format!("{at}: candidate {j}'s ciphertext is not the revealed choice under the revealed nonce"),
            );
        }
    }
}
