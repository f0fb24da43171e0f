//! Threshold decryption (spec 8.2): each present trustee's partial decryptions with
//! Chaum–Pedersen proofs against its public share, combination by Lagrange coefficients over
//! the trustees present, and the counts.

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::VartimeMultiscalarMul;
use serde::{Deserialize, Serialize};

use crate::ballot::Context;
use crate::ceremony::SecretShare;
use crate::dlog::BabyGiant;
use crate::error::{ensure, fail, Error};
use crate::group::{scalar_of, Point};
use crate::hash::{Digest, Framed};
use crate::proofs::{prove_dleq, verify_dleq, CompactProof};
use crate::randomness::Randomness;
use crate::tally::EncryptedTally;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartialShare {
    pub m: Point,
    pub proof: CompactProof,
}

/// One trustee's `M_{i,j}` for every candidate `j` (spec 9.5 `partials`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartialDecryption {
    pub trustee: u32,
    pub public_share: Point,
    pub shares: Vec<PartialShare>,
}

/// The trustees present and their partial decryptions (spec 9.5 `decryption`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decryption {
    pub present: Vec<u32>,
    pub partials: Vec<PartialDecryption>,
}

/// `Hs("ee1/partial", Q̄, D, u64(i), u64(j), K_i, A_j, B_j, M_{i,j}, a, b)`: `points` in that order.
fn partial_challenge(qbar: &Digest, d: &Digest, i: u32, j: usize, points: [&Point; 6]) -> Scalar {
    points
        .iter()
        .fold(
            Framed::new("ee1/partial")
                .digest_field(qbar)
                .digest_field(d)
                .u64(i.into())
                .u64(j as u64),
            |h, p| h.point(p),
        )
        .challenge()
}

/// `M_{i,j} = s_i A_j` for every `j`, each with its proof. Labels: `trustee/{i}/partial/{j}/u`.
pub fn partial_decrypt(
    ctx: &Context,
    share: &SecretShare,
    public_share: &Point,
    tally: &EncryptedTally,
    rng: &mut impl Randomness,
) -> PartialDecryption {
    let i = share.index;
    let shares = tally
        .entries
        .iter()
        .enumerate()
        .map(|(j, e)| {
            // Constant-time: s_i is secret.
            let m = Point::new(share.secret() * e.a.point());
            let u = rng.scalar(&format!("trustee/{i}/partial/{j}/u"));
            let proof = prove_dleq(share.secret(), e.a.point(), u, |ca, cb| {
                partial_challenge(
                    &ctx.extended_base_hash,
                    &tally.cast_digest,
                    i,
                    j,
                    [public_share, &e.a, &e.b, &m, ca, cb],
                )
            });
            PartialShare { m, proof }
        })
        .collect();
    PartialDecryption {
        trustee: i,
        public_share: *public_share,
        shares,
    }
}

/// V22 for one trustee (the caller checks `public_share` against the commitments: V21).
pub fn verify_partial(ctx: &Context, tally: &EncryptedTally, p: &PartialDecryption) -> Result<(), Error> {
    let i = p.trustee;
    ensure(p.shares.len() == tally.entries.len(), "V21", || {
        format!(
            "trustee {i}: {} partial decryptions for {} candidates",
            p.shares.len(),
            tally.entries.len()
        )
    })?;
    for (j, (s, e)) in p.shares.iter().zip(&tally.entries).enumerate() {
        ensure(
            verify_dleq(&s.proof, p.public_share.point(), e.a.point(), s.m.point(), |ca, cb| {
                partial_challenge(
                    &ctx.extended_base_hash,
                    &tally.cast_digest,
                    i,
                    j,
                    [&p.public_share, &e.a, &e.b, &s.m, ca, cb],
                )
            }),
            "V22",
            || format!("trustee {i}: partial decryption proof {j} fails"),
        )?;
    }
    Ok(())
}

/// `λ_i = Π_{l ∈ S, l ≠ i} l / (l − i)` mod ℓ.
pub fn lagrange(present: &[u32], i: u32) -> Scalar {
    present
        .iter()
        .filter(|l| **l != i)
        .map(|l| scalar_of((*l).into()) * (scalar_of((*l).into()) - scalar_of(i.into())).invert())
        .product()
}

/// V21 (shape) and the combination: `B_j − Σ_{i ∈ S} λ_i M_{i,j}` for every `j`, which is `count_j·G`.
pub fn combine(
    tally: &EncryptedTally,
    decryption: &Decryption,
    trustees: u32,
    threshold: u32,
) -> Result<Vec<RistrettoPoint>, Error> {
    let present = &decryption.present;
    ensure(
        present.windows(2).all(|w| w[0] < w[1])
            && present.iter().all(|i| (1..=trustees).contains(i))
            && present.len() >= threshold as usize,
        "V21",
        || format!("present trustees {present:?} are not {threshold} or more distinct indices in 1..={trustees}"),
    )?;
    ensure(
        decryption
            .partials
            .iter()
            .map(|p| p.trustee)
            .eq(present.iter().copied()),
        "V21",
        || "partial decryptions do not follow the present trustees".into(),
    )?;
    let lambdas: Vec<Scalar> = present.iter().map(|i| lagrange(present, *i)).collect();
    tally
        .entries
        .iter()
        .enumerate()
        .map(|(j, e)| {
            let shares = decryption
                .partials
                .iter()
                .map(|p| {
                    p.shares
                        .get(j)
                        .map(|s| *s.m.point())
                        .ok_or_else(|| fail("V21", format!("trustee {}: no share {j}", p.trustee)))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let m: RistrettoPoint = RistrettoPoint::vartime_multiscalar_mul(&lambdas, &shares);
            Ok(e.b.point() - m)
        })
        .collect()
}

/// The counts: each `count_j·G` solved by baby-step giant-step over `0..=N`.
pub fn counts(combined: &[RistrettoPoint], table: &BabyGiant) -> Result<Vec<u64>, Error> {
    combined
        .iter()
        .enumerate()
        .map(|(j, p)| {
            table
                .solve(p)
                .ok_or_else(|| fail("V23", format!("candidate {j}: no count in range")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lagrange_coefficients_interpolate_at_zero_for_any_subset() {
        // P(x) = 5 + 3x + 2x²: any 3 points give P(0).
        let p = |x: u64| scalar_of(5 + 3 * x + 2 * x * x);
        for present in [[1u32, 2, 3], [1, 3, 5], [2, 4, 5]] {
            let at_zero: Scalar = present.iter().map(|i| lagrange(&present, *i) * p((*i).into())).sum();
            assert_eq!(at_zero, scalar_of(5));
        }
    }
}
