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
    // The simulated branch: the other value's equations, solved for the commitments.
    let (sim_c, sim_v) = (nonces.c, nonces.v);
    let sim_a = g_minus(&sim_v, &sim_c, alpha.point());
    if vote {
        let sim_b = base_minus(&sim_v, k, &sim_c, beta.point());
        let c = challenge(&sim_a, &sim_b, &real_a, &real_b);
        let c1 = c - sim_c;
        RangeProof {
            c0: sim_c,
            c1,
            v0: sim_v,
            v1: nonces.u + c1 * r,
        }
    } else {
        let sim_b = base_minus(&sim_v, k, &sim_c, &beta_minus_g);
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

/// Precomputed multiples of an election's two fixed bases, `G` and the joint key `K`, built
/// once per election: every commitment a ballot's proofs recompute is `g·G + k·K + d·P` with
/// one ballot-dependent point `P` (`α`, `β` or their sums), and the table saves building the
/// lookup tables of `G` and `K` again for each of them.
pub struct FixedBases(VartimeRistrettoPrecomputation);

impl FixedBases {
    pub fn new(k: &RistrettoPoint) -> Self {
        FixedBases(VartimeRistrettoPrecomputation::new([RISTRETTO_BASEPOINT_POINT, *k]))
    }

    /// `g·G + k·K + d·P` (public values only: variable time).
    fn mul(&self, g: Scalar, k: Scalar, d: Scalar, p: &RistrettoPoint) -> Point {
        Point::new(self.0.vartime_mixed_multiscalar_mul([g, k], [d], [*p]))
    }
}

/// [`verify_range`] under the joint key of `bases`: `a0 = v0 G − c0 α`, `b0 = v0 K − c0 β`,
/// `a1 = v1 G − c1 α`, `b1 = v1 K − c1 (β − G) = c1 G + v1 K − c1 β`.
pub fn verify_range_fixed(
    proof: &RangeProof,
    alpha: &Point,
    beta: &Point,
    bases: &FixedBases,
    challenge: impl FnOnce(&Point, &Point, &Point, &Point) -> Scalar,
) -> bool {
    let RangeProof { c0, c1, v0, v1 } = *proof;
    let (alpha, beta) = (alpha.point(), beta.point());
    let a0 = bases.mul(v0, Scalar::ZERO, -c0, alpha);
    let b0 = bases.mul(Scalar::ZERO, v0, -c0, beta);
    let a1 = bases.mul(v1, Scalar::ZERO, -c1, alpha);
    let b1 = bases.mul(c1, v1, -c1, beta);
    challenge(&a0, &b0, &a1, &b1) == c0 + c1
}

/// A ballot's sum proof under the joint key of `bases`: `log_G X = log_K (Y − G)`, so
/// `a = vG − cX` and `b = vK − c(Y − G) = cG + vK − cY`.
pub fn verify_sum_fixed(
    proof: &CompactProof,
    x: &RistrettoPoint,
    y: &RistrettoPoint,
    bases: &FixedBases,
    challenge: impl FnOnce(&Point, &Point) -> Scalar,
) -> bool {
    let CompactProof { c, v } = *proof;
    let a = bases.mul(v, Scalar::ZERO, -c, x);
    let b = bases.mul(c, v, -c, y);
    challenge(&a, &b) == c
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
            let bases = FixedBases::new(&k);
            assert_eq!(
                verify_range_fixed(&proof, &alpha, &beta, &bases, range_challenge),
                v < 2,
                "v = {v}, fixed bases"
            );
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
    fn the_sum_proof_with_fixed_bases_agrees_with_the_generic_one() {
        let mut rng = Seeded::new(b"proofs");
        let w = rng.scalar("w");
        let k = &rng.scalar("k") * RISTRETTO_BASEPOINT_TABLE;
        let g = RISTRETTO_BASEPOINT_POINT;
        let x = &w * RISTRETTO_BASEPOINT_TABLE;
        let y = w * k + g; // log_K (y − G) = w
        let ch = |a: &Point, b: &Point| Framed::new("t").point(a).point(b).challenge();
        let proof = prove_dleq(&w, &k, rng.scalar("u"), ch);
        let bases = FixedBases::new(&k);
        assert!(verify_dleq(&proof, &x, &k, &(y - g), ch));
        assert!(verify_sum_fixed(&proof, &x, &y, &bases, ch));
        assert!(!verify_sum_fixed(&proof, &x, &(y + g), &bases, ch));
    }
}
