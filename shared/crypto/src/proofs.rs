//! Non-interactive zero-knowledge proofs in compact form (spec 6): the proof holds challenges
//! and responses; the verifier recomputes the commitments and re-hashes. Compact because it is
//! the smallest record and its verification needs no randomness; all first bases are `G`, so
//! each recomputed commitment is one double multiplication.

use curve25519_dalek::constants::{RISTRETTO_BASEPOINT_POINT, RISTRETTO_BASEPOINT_TABLE};
use curve25519_dalek::ristretto::{RistrettoPoint, VartimeRistrettoPrecomputation};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{VartimeMultiscalarMul, VartimePrecomputedMultiscalarMul};
use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

use crate::group::Point;

/// `(c, v)`: a Schnorr proof of knowledge or a Chaum–Pedersen proof of equal discrete logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompactProof {
    #[serde(with = "crate::group::scalar_hex")]
    pub c: Scalar,
    #[serde(with = "crate::group::scalar_hex")]
    pub v: Scalar,
}

/// `(c0, c1, v0, v1)`: a disjunctive Chaum–Pedersen proof that a ciphertext holds 0 or 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RangeProof {
    #[serde(with = "crate::group::scalar_hex")]
    pub c0: Scalar,
    #[serde(with = "crate::group::scalar_hex")]
    pub c1: Scalar,
    #[serde(with = "crate::group::scalar_hex")]
    pub v0: Scalar,
    #[serde(with = "crate::group::scalar_hex")]
    pub v1: Scalar,
}

/// `vG − cX` (public values only: variable time).
fn g_minus(v: &Scalar, c: &Scalar, x: &RistrettoPoint) -> Point {
    Point::new(RistrettoPoint::vartime_double_scalar_mul_basepoint(&-c, x, v))
}

/// `vR − cY`.
fn base_minus(v: &Scalar, r: &RistrettoPoint, c: &Scalar, y: &RistrettoPoint) -> Point {
    Point::new(RistrettoPoint::vartime_multiscalar_mul([*v, -c], [*r, *y]))
}

/// Proof of knowledge of `w` with `X = wG`. `challenge(h)` hashes the statement and `h`.
pub fn prove_knowledge(w: &Scalar, mut u: Scalar, challenge: impl FnOnce(&Point) -> Scalar) -> CompactProof {
    let h = Point::new(&u * RISTRETTO_BASEPOINT_TABLE);
    let c = challenge(&h);
    let v = u + c * w;
    u.zeroize();
    CompactProof { c, v }
}

pub fn verify_knowledge(proof: &CompactProof, x: &Point, challenge: impl FnOnce(&Point) -> Scalar) -> bool {
    challenge(&g_minus(&proof.v, &proof.c, x.point())) == proof.c
}

/// Proof that `log_G X = log_R Y` knowing `w`; `challenge(a, b)` hashes the statement and
/// the commitments `a = uG`, `b = uR`.
pub fn prove_dleq(
    w: &Scalar,
    r: &RistrettoPoint,
    mut u: Scalar,
    challenge: impl FnOnce(&Point, &Point) -> Scalar,
) -> CompactProof {
    let a = Point::new(&u * RISTRETTO_BASEPOINT_TABLE);
    let b = Point::new(u * r);
    let c = challenge(&a, &b);
    let v = u + c * w;
    u.zeroize();
    CompactProof { c, v }
}

pub fn verify_dleq(
    proof: &CompactProof,
    x: &RistrettoPoint,
    r: &RistrettoPoint,
    y: &RistrettoPoint,
    challenge: impl FnOnce(&Point, &Point) -> Scalar,
) -> bool {
    let a = g_minus(&proof.v, &proof.c, x);
    let b = base_minus(&proof.v, r, &proof.c, y);
    challenge(&a, &b) == proof.c
}

/// The randomness of one 0/1 proof: the real branch's `u` and the simulated branch's `c`, `v`.
pub struct RangeNonces {
    pub u: Scalar,
    pub c: Scalar,
    pub v: Scalar,
}

impl Drop for RangeNonces {
    fn drop(&mut self) {
        self.u.zeroize();
        self.c.zeroize();
        self.v.zeroize();
    }
}

/// Prove that `(α, β) = (rG, vG + rK)` with `v ∈ {0, 1}`; `challenge(a0, b0, a1, b1)`.
pub fn prove_range(
    alpha: &Point,
    beta: &Point,
    k: &RistrettoPoint,
    r: &Scalar,
    vote: bool,
    nonces: RangeNonces,
    challenge: impl FnOnce(&Point, &Point, &Point, &Point) -> Scalar,
) -> RangeProof {
    let g = Point::generator();
    let beta_minus_g = beta.point() - g.point();
    let real_a = Point::new(&nonces.u * RISTRETTO_BASEPOINT_TABLE);
    let real_b = Point::new(nonces.u * k);
    // The simulated branch: the other value's equations, solved for the commitments. In
    // constant time, as the real branch: its scalars are published, and which pair of them
    // went through a variable-time path would tell the vote.
    let (sim_c, sim_v) = (nonces.c, nonces.v);
    let sim_a = Point::new(&sim_v * RISTRETTO_BASEPOINT_TABLE - sim_c * alpha.point());
    let simulated_b = |y: &RistrettoPoint| Point::new(sim_v * k - sim_c * y);
    if vote {
        let sim_b = simulated_b(beta.point());
        let c = challenge(&sim_a, &sim_b, &real_a, &real_b);
        let c1 = c - sim_c;
        RangeProof {
            c0: sim_c,
            c1,
            v0: sim_v,
            v1: nonces.u + c1 * r,
        }
    } else {
        let sim_b = simulated_b(&beta_minus_g);
        let c = challenge(&real_a, &real_b, &sim_a, &sim_b);
        let c0 = c - sim_c;
        RangeProof {
            c0,
            c1: sim_c,
            v0: nonces.u + c0 * r,
            v1: sim_v,
        }
    }
}

pub fn verify_range(
    proof: &RangeProof,
    alpha: &Point,
    beta: &Point,
    k: &RistrettoPoint,
    challenge: impl FnOnce(&Point, &Point, &Point, &Point) -> Scalar,
) -> bool {
    let beta_minus_g = beta.point() - Point::generator().point();
    let a0 = g_minus(&proof.v0, &proof.c0, alpha.point());
    let b0 = base_minus(&proof.v0, k, &proof.c0, beta.point());
    let a1 = g_minus(&proof.v1, &proof.c1, alpha.point());
    let b1 = base_minus(&proof.v1, k, &proof.c1, &beta_minus_g);
    challenge(&a0, &b0, &a1, &b1) == proof.c0 + proof.c1
}

/// Precomputed multiples of an election's fixed bases, `G` (dalek's static basepoint table)
/// and the joint key `K` (a table built once per election), for the commitments a ballot's
/// proofs recompute: `a = vG − cP` and `b = vK − cP` with one ballot-dependent point `P`.
///
/// Measured, dalek 4.1: one table of both `G` and `K` for every commitment (`a` as
/// `{G: v, K: 0}, P: −c`, the 1-branch's `b` as `{G: c, K: v}, β: −c`) was slower than this:
/// its precomputed Straus always runs 256 doublings, reads the static scalars as width-5 NAFs
/// and allocates, where `vartime_double_scalar_mul_basepoint` uses a width-8 table of `G` and
/// skips leading zeros; and a `G` term in `b` costs more than subtracting `G` from `β` once.
///
/// The commitments come out halved (every scalar multiplied by `2^{−1}`): dalek's
/// `double_and_compress_batch` then gives the encodings of the commitments themselves, with one
/// field inversion for a whole ballot instead of one per point.
pub struct FixedBases {
    k_table: VartimeRistrettoPrecomputation,
    half: Scalar,
}

impl FixedBases {
    pub fn new(k: &RistrettoPoint) -> Self {
        FixedBases {
            k_table: VartimeRistrettoPrecomputation::new([*k]),
            half: Scalar::from(2u8).invert(),
        }
    }

    /// `(vG − cP) / 2` (public values only: variable time).
    fn half_g(&self, v: Scalar, c: Scalar, p: &RistrettoPoint) -> RistrettoPoint {
        RistrettoPoint::vartime_double_scalar_mul_basepoint(&-(c * self.half), p, &(v * self.half))
    }

    /// `(vK − cP) / 2`.
    fn half_k(&self, v: Scalar, c: Scalar, p: &RistrettoPoint) -> RistrettoPoint {
        let h = self.half;
        self.k_table.vartime_mixed_multiscalar_mul([v * h], [-(c * h)], [*p])
    }

    /// Half of each commitment a 0/1 proof's verification recomputes (spec 6.1):
    /// `a0 = v0 G − c0 α`, `b0 = v0 K − c0 β`, `a1 = v1 G − c1 α`, `b1 = v1 K − c1 (β − G)`.
    pub fn range_commitments_halved(&self, proof: &RangeProof, alpha: &Point, beta: &Point) -> [RistrettoPoint; 4] {
        let RangeProof { c0, c1, v0, v1 } = *proof;
        let (alpha, beta) = (alpha.point(), beta.point());
        [
            self.half_g(v0, c0, alpha),
            self.half_k(v0, c0, beta),
            self.half_g(v1, c1, alpha),
            self.half_k(v1, c1, &(beta - RISTRETTO_BASEPOINT_POINT)),
        ]
    }

    /// Half of each commitment of a ballot's sum proof (spec 6.2), `log_G X = log_K (Y − G)`:
    /// `a = vG − cX`, `b = vK − c(Y − G)`.
    pub fn sum_commitments_halved(
        &self,
        proof: &CompactProof,
        x: &RistrettoPoint,
        y: &RistrettoPoint,
    ) -> [RistrettoPoint; 2] {
        let CompactProof { c, v } = *proof;
        [
            self.half_g(v, c, x),
            self.half_k(v, c, &(y - RISTRETTO_BASEPOINT_POINT)),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::Framed;
    use crate::randomness::{Randomness, Seeded};

    fn range_challenge(a0: &Point, b0: &Point, a1: &Point, b1: &Point) -> Scalar {
        Framed::new("test").point(a0).point(b0).point(a1).point(b1).challenge()
    }

    #[test]
    fn range_proofs_verify_for_0_and_1_and_not_for_2() {
        let mut rng = Seeded::new(b"proofs");
        let k = &rng.scalar("k") * RISTRETTO_BASEPOINT_TABLE;
        for v in 0u64..3 {
            let r = rng.scalar("r");
            let alpha = Point::new(&r * RISTRETTO_BASEPOINT_TABLE);
            let beta = Point::new(&Scalar::from(v) * RISTRETTO_BASEPOINT_TABLE + r * k);
            let nonces = RangeNonces {
                u: rng.scalar("u"),
                c: rng.scalar("c"),
                v: rng.scalar("v"),
            };
            // A cheating prover claiming v = 1 for v = 2.
            let proof = prove_range(&alpha, &beta, &k, &r, v != 0, nonces, range_challenge);
            assert_eq!(
                verify_range(&proof, &alpha, &beta, &k, range_challenge),
                v < 2,
                "v = {v}"
            );
            // The halved commitments, doubled and compressed in a batch, are the generic ones.
            let bases = FixedBases::new(&k);
            let halves = bases.range_commitments_halved(&proof, &alpha, &beta);
            let batch = RistrettoPoint::double_and_compress_batch(&halves);
            let beta_minus_g = beta.point() - RISTRETTO_BASEPOINT_POINT;
            let generic = [
                g_minus(&proof.v0, &proof.c0, alpha.point()),
                base_minus(&proof.v0, &k, &proof.c0, beta.point()),
                g_minus(&proof.v1, &proof.c1, alpha.point()),
                base_minus(&proof.v1, &k, &proof.c1, &beta_minus_g),
            ];
            for (b, g) in batch.iter().zip(&generic) {
                assert_eq!(b.as_bytes(), g.bytes(), "v = {v}");
            }
        }
    }

    #[test]
    fn dleq_verifies_and_fails_for_unequal_logs() {
        let mut rng = Seeded::new(b"proofs");
        let w = rng.scalar("w");
        let r = &rng.scalar("r") * RISTRETTO_BASEPOINT_TABLE;
        let x = &w * RISTRETTO_BASEPOINT_TABLE;
        let ch = |a: &Point, b: &Point| Framed::new("t").point(a).point(b).challenge();
        let proof = prove_dleq(&w, &r, rng.scalar("u"), ch);
        assert!(verify_dleq(&proof, &x, &r, &(w * r), ch));
        assert!(!verify_dleq(&proof, &x, &r, &(w * r + r), ch));
    }

    #[test]
    fn the_sum_commitments_with_fixed_bases_are_the_generic_ones() {
        let mut rng = Seeded::new(b"proofs");
        let k = &rng.scalar("k") * RISTRETTO_BASEPOINT_TABLE;
        let g = RISTRETTO_BASEPOINT_POINT;
        let (x, y) = (&rng.scalar("x") * RISTRETTO_BASEPOINT_TABLE, rng.scalar("y") * k);
        let proof = CompactProof {
            c: rng.scalar("c"),
            v: rng.scalar("v"),
        };
        let halves = FixedBases::new(&k).sum_commitments_halved(&proof, &x, &y);
        let batch = RistrettoPoint::double_and_compress_batch(&halves);
        assert_eq!(batch[0].as_bytes(), g_minus(&proof.v, &proof.c, &x).bytes());
        assert_eq!(
            batch[1].as_bytes(),
            base_minus(&proof.v, &k, &proof.c, &(y - g)).bytes()
        );
    }
}
