//! Ballots (spec 7): one exponential-ElGamal ciphertext per candidate with a 0/1 proof each,
//! a sum proof binding all of them (exactly one choice: no blank vote), the tracking code, and
//! the Benaloh challenge's reveal and its check.

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

use crate::error::{ensure, fail, Error};
use crate::group::Point;
use crate::hash::{Digest, Framed};
use crate::proofs::{prove_dleq, prove_range, verify_dleq, CompactProof, FixedBases, RangeNonces, RangeProof};
use crate::randomness::Randomness;

/// What every ballot operation needs: the joint key, the extended base hash `Q̄`, and `m`.
#[derive(Clone, Debug)]
pub struct Context {
    pub joint_key: Point,
    pub extended_base_hash: Digest,
    pub candidates: usize,
}

/// 16 random bytes chosen by the voting device; a proof's position "which ballot".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BallotId(#[serde(with = "crate::group::bytes_hex")] pub [u8; 16]);

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ciphertext {
    pub alpha: Point,
    pub beta: Point,
    pub proof: RangeProof,
}

/// A proof that the ciphertext at `slot` encrypts 0: what a ballot carries for a candidate
/// withdrawn after the manifest was frozen (spec 7.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZeroProof {
    pub slot: u32,
    pub proof: CompactProof,
}

/// An encrypted ballot as published (spec 9.2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ballot {
    pub ballot_id: BallotId,
    pub tracking_code: Digest,
    pub ciphertexts: Vec<Ciphertext>,
    pub sum_proof: CompactProof,
    /// In increasing slot order; none (and absent from the JSON) before any withdrawal.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub zero_proofs: Vec<ZeroProof>,
}

impl Ballot {
    /// Whether the ballot proves that its ciphertext at `slot` encrypts 0 (the proof itself
    /// is checked by [`Verifier::verify`]).
    pub fn proves_zero(&self, slot: usize) -> bool {
        self.zero_proofs.iter().any(|z| z.slot as usize == slot)
    }
}

/// A Benaloh reveal: the choices and the nonces of a challenged ballot (spec 7.3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reveal {
    pub choices: Vec<u8>,
    #[serde(with = "crate::group::scalars_hex")]
    pub nonces: Vec<Scalar>,
}

/// A spoiled ballot with its reveal, as published (spec 9.3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpoiledBallot {
    pub ballot: Ballot,
    pub reveal: Reveal,
}

/// What the device keeps until the voter casts (then drops: wiped) or challenges (then reveals).
pub struct BallotSecrets {
    choices: Zeroizing<Vec<u8>>,
    nonces: Zeroizing<Vec<Scalar>>,
}

impl BallotSecrets {
    /// The Benaloh challenge: the ballot becomes spoiled and these values are published.
    pub fn reveal(self) -> Reveal {
        Reveal {
            choices: self.choices.to_vec(),
            nonces: self.nonces.to_vec(),
        }
    }
}

/// `Hs("ee1/range", Q̄, id, u64(j), α, β, a0, b0, a1, b1)`: the points' encodings in that order.
fn range_challenge(ctx: &Context, id: &BallotId, j: usize, points: [&[u8; 32]; 6]) -> Scalar {
    points
        .iter()
        .fold(
            Framed::new("ee1/range")
                .digest_field(&ctx.extended_base_hash)
                .bytes(&id.0)
                .u64(j as u64),
            |h, p| h.bytes(*p),
        )
        .challenge()
}

/// `Hs("ee1/sum", Q̄, id, u64(m), [α_0 ‖ β_0 ‖ ...], a, b)`, `a` and `b` encoded.
fn sum_challenge(ctx: &Context, id: &BallotId, ciphertexts: &[Ciphertext], a: &[u8; 32], b: &[u8; 32]) -> Scalar {
    let pairs: Vec<u8> = ciphertexts
        .iter()
        .flat_map(|c| [*c.alpha.bytes(), *c.beta.bytes()].concat())
        .collect();
    Framed::new("ee1/sum")
        .digest_field(&ctx.extended_base_hash)
        .bytes(&id.0)
        .u64(ciphertexts.len() as u64)
        .bytes(&pairs)
        .bytes(a)
        .bytes(b)
        .challenge()
}

/// `Hs("ee1/zero", Q̄, id, u64(j), α, β, a, b)`.
fn zero_challenge(ctx: &Context, id: &BallotId, j: usize, c: &Ciphertext, a: &[u8; 32], b: &[u8; 32]) -> Scalar {
    Framed::new("ee1/zero")
        .digest_field(&ctx.extended_base_hash)
        .bytes(&id.0)
        .u64(j as u64)
        .bytes(c.alpha.bytes())
        .bytes(c.beta.bytes())
        .bytes(a)
        .bytes(b)
        .challenge()
}

/// `H("ee1/ballot", Q̄, id, u64(m), [α ‖ β ‖ c0 ‖ c1 ‖ v0 ‖ v1 ...], c ‖ v)` (spec 7.2), and
/// with zero proofs, two more fields: `u64(z)`, `[u64(slot) ‖ c ‖ v ...]`.
pub fn tracking_code(
    ctx: &Context,
    id: &BallotId,
    ciphertexts: &[Ciphertext],
    sum_proof: &CompactProof,
    zero_proofs: &[ZeroProof],
) -> Digest {
    let body: Vec<u8> = ciphertexts
        .iter()
        .flat_map(|c| {
            let p = &c.proof;
            [
                *c.alpha.bytes(),
                *c.beta.bytes(),
                *p.c0.as_bytes(),
                *p.c1.as_bytes(),
                *p.v0.as_bytes(),
                *p.v1.as_bytes(),
            ]
            .concat()
        })
        .collect();
    let framed = Framed::new("ee1/ballot")
        .digest_field(&ctx.extended_base_hash)
        .bytes(&id.0)
        .u64(ciphertexts.len() as u64)
        .bytes(&body)
        .bytes(&[*sum_proof.c.as_bytes(), *sum_proof.v.as_bytes()].concat());
    if zero_proofs.is_empty() {
        return framed.digest();
    }
    let zeros: Vec<u8> = zero_proofs
        .iter()
        .flat_map(|z| {
            [
                &u64::from(z.slot).to_le_bytes()[..],
                z.proof.c.as_bytes(),
                z.proof.v.as_bytes(),
            ]
            .concat()
        })
        .collect();
    framed.u64(zero_proofs.len() as u64).bytes(&zeros).digest()
}

/// The first 80 bits of a tracking code in base32 (RFC 4648), 4 groups of 4: `MFRG-GZDF-MZTW-Q2LK`.
pub fn short_code(code: &Digest) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let bits = code.0[..10].iter().fold(0u128, |acc, b| (acc << 8) | u128::from(*b));
    let chars: Vec<char> = (0..16)
        .map(|k| ALPHABET[((bits >> (75 - 5 * k)) & 31) as usize] as char)
        .collect();
    chars
        .chunks(4)
        .map(|g| g.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// Encrypts one ciphertext with its 0/1 proof, drawing the proof's randomness.
fn encrypt_one(
    ctx: &Context,
    id: &BallotId,
    j: usize,
    vote: bool,
    r: &Scalar,
    rng: &mut impl Randomness,
) -> Ciphertext {
    let k = ctx.joint_key.point();
    let v = Scalar::from(u8::from(vote));
    // Constant-time multiplications: r and v are secret.
    let alpha = Point::new(r * RISTRETTO_BASEPOINT_TABLE);
    let beta = Point::new(&v * RISTRETTO_BASEPOINT_TABLE + r * k);
    let nonces = RangeNonces {
        u: rng.scalar(&format!("range/{j}/u")),
        c: rng.scalar(&format!("range/{j}/c")),
        v: rng.scalar(&format!("range/{j}/v")),
    };
    let proof = prove_range(&alpha, &beta, k, r, vote, nonces, |a0, b0, a1, b1| {
        range_challenge(
            ctx,
            id,
            j,
            [
                alpha.bytes(),
                beta.bytes(),
                a0.bytes(),
                b0.bytes(),
                a1.bytes(),
                b1.bytes(),
            ],
        )
    });
    Ciphertext { alpha, beta, proof }
}

/// Encrypts 0/1 choices and draws the nonces; no check on their sum (the caller's job).
fn encrypt_choices(
    ctx: &Context,
    id: &BallotId,
    choices: &[u8],
    rng: &mut impl Randomness,
) -> (Vec<Ciphertext>, Zeroizing<Vec<Scalar>>) {
    let nonces: Zeroizing<Vec<Scalar>> =
        Zeroizing::new((0..choices.len()).map(|j| rng.scalar(&format!("nonce/{j}"))).collect());
    let ciphertexts = choices
        .iter()
        .zip(nonces.iter())
        .enumerate()
        .map(|(j, (v, r))| encrypt_one(ctx, id, j, *v == 1, r, rng))
        .collect();
    (ciphertexts, nonces)
}

/// Encrypts a vote for candidate position `choice` with every proof; the secrets allow a
/// Benaloh reveal. Labels drawn (spec 12, under the caller's scope): `id`, `nonce/{j}`,
/// `range/{j}/u|c|v`, `sum/u`.
pub fn encrypt(ctx: &Context, choice: usize, rng: &mut impl Randomness) -> Result<(Ballot, BallotSecrets), Error> {
    encrypt_with(ctx, choice, &[], rng)
}

/// [`encrypt`], with a proof that each `withdrawn` position encrypts 0 (spec 7.4; label
/// `zero/{j}/u`). The choice cannot be a withdrawn position.
pub fn encrypt_with(
    ctx: &Context,
    choice: usize,
    withdrawn: &[usize],
    rng: &mut impl Randomness,
) -> Result<(Ballot, BallotSecrets), Error> {
    if choice >= ctx.candidates {
        return Err(Error::Usage(format!("no candidate at position {choice}")));
    }
    let mut withdrawn = withdrawn.to_vec();
    withdrawn.sort_unstable();
    withdrawn.dedup();
    if let Some(j) = withdrawn.iter().find(|j| **j == choice || **j >= ctx.candidates) {
        return Err(Error::Usage(format!("position {j} cannot be proven 0 on this ballot")));
    }
    let id = BallotId(rng.id("id"));
    let choices: Zeroizing<Vec<u8>> = Zeroizing::new((0..ctx.candidates).map(|j| u8::from(j == choice)).collect());
    let (ciphertexts, nonces) = encrypt_choices(ctx, &id, &choices, rng);
    let mut total: Scalar = nonces.iter().sum();
    let u = rng.scalar("sum/u");
    let sum_proof = prove_dleq(&total, ctx.joint_key.point(), u, |a, b| {
        sum_challenge(ctx, &id, &ciphertexts, a.bytes(), b.bytes())
    });
    total.zeroize();
    let zero_proofs: Vec<ZeroProof> = withdrawn
        .iter()
        .map(|&j| ZeroProof {
            slot: j as u32,
            proof: prove_dleq(
                &nonces[j],
                ctx.joint_key.point(),
                rng.scalar(&format!("zero/{j}/u")),
                |a, b| zero_challenge(ctx, &id, j, &ciphertexts[j], a.bytes(), b.bytes()),
            ),
        })
        .collect();
    let tracking_code = tracking_code(ctx, &id, &ciphertexts, &sum_proof, &zero_proofs);
    let ballot = Ballot {
        ballot_id: id,
        tracking_code,
        ciphertexts,
        sum_proof,
        zero_proofs,
    };
    Ok((ballot, BallotSecrets { choices, nonces }))
}

/// V12–V15 for one ballot (its own part of V15: the tracking code). Builds the tables of `G`
/// and `K` for this one ballot: to check many, build a [`Verifier`] once.
pub fn verify(ctx: &Context, ballot: &Ballot) -> Result<(), Error> {
    Verifier::new(ctx).verify(ballot)
}

/// Checks the ballots of one election, with the tables of its fixed bases `G` and `K` built
/// once (spec 6: every recomputed commitment of a ballot's proofs has the form
/// `g·G + k·K + d·P`).
pub struct Verifier {
    ctx: Context,
    bases: FixedBases,
}

impl Verifier {
    pub fn new(ctx: &Context) -> Self {
        Verifier {
            ctx: ctx.clone(),
            bases: FixedBases::new(ctx.joint_key.point()),
        }
    }

    pub fn context(&self) -> &Context {
        &self.ctx
    }

    /// V12–V15 for one ballot (its own part of V15: the tracking code).
    pub fn verify(&self, ballot: &Ballot) -> Result<(), Error> {
        let ctx = &self.ctx;
        let id = &ballot.ballot_id;
        let name = || hex::encode(id.0);
        ensure(ballot.ciphertexts.len() == ctx.candidates, "V12", || {
            format!(
                "ballot {}: {} ciphertexts for {} candidates",
                name(),
                ballot.ciphertexts.len(),
                ctx.candidates
            )
        })?;
        for (j, c) in ballot.ciphertexts.iter().enumerate() {
            ensure(!c.alpha.is_identity(), "V12", || {
                format!("ballot {}: alpha {j} is the identity", name())
            })?;
        }
        // Every commitment of the 0/1 proofs, then the sum proof's, halved, then doubled and
        // compressed together (one inversion for the ballot).
        let mut halves = Vec::with_capacity(4 * ctx.candidates + 2);
        for c in &ballot.ciphertexts {
            halves.extend(self.bases.range_commitments_halved(&c.proof, &c.alpha, &c.beta));
        }
        let alpha_sum: RistrettoPoint = ballot.ciphertexts.iter().map(|c| c.alpha.point()).sum();
        let beta_sum: RistrettoPoint = ballot.ciphertexts.iter().map(|c| c.beta.point()).sum();
        halves.extend(
            self.bases
                .sum_commitments_halved(&ballot.sum_proof, &alpha_sum, &beta_sum),
        );
        let commitments = RistrettoPoint::double_and_compress_batch(&halves);
        let encoded = |i: usize| commitments[i].as_bytes();
        for (j, c) in ballot.ciphertexts.iter().enumerate() {
            let points = [
                c.alpha.bytes(),
                c.beta.bytes(),
                encoded(4 * j),
                encoded(4 * j + 1),
                encoded(4 * j + 2),
                encoded(4 * j + 3),
            ];
            ensure(
                range_challenge(ctx, id, j, points) == c.proof.c0 + c.proof.c1,
                "V13",
                || format!("ballot {}: 0/1 proof {j} fails", name()),
            )?;
        }
        let m = ballot.ciphertexts.len();
        ensure(
            sum_challenge(ctx, id, &ballot.ciphertexts, encoded(4 * m), encoded(4 * m + 1)) == ballot.sum_proof.c,
            "V14",
            || format!("ballot {}: sum proof fails", name()),
        )?;
        let mut previous = None;
        for z in &ballot.zero_proofs {
            let j = z.slot as usize;
            let Some(c) = ballot.ciphertexts.get(j).filter(|_| previous < Some(j)) else {
                return Err(fail(
                    "V13",
                    format!(
                        "ballot {}: zero proofs not in increasing order of positions below {m}",
                        name()
                    ),
                ));
            };
            previous = Some(j);
            let proven = verify_dleq(
                &z.proof,
                c.alpha.point(),
                ctx.joint_key.point(),
                c.beta.point(),
                |a, b| zero_challenge(ctx, id, j, c, a.bytes(), b.bytes()),
            );
            ensure(proven, "V13", || format!("ballot {}: zero proof {j} fails", name()))?;
        }
        ensure(
            tracking_code(ctx, id, &ballot.ciphertexts, &ballot.sum_proof, &ballot.zero_proofs) == ballot.tracking_code,
            "V15",
            || format!("ballot {}: tracking code does not recompute", name()),
        )
    }
}

/// V18: recompute every ciphertext from its nonce and choice.
pub fn check_reveal(ctx: &Context, ballot: &Ballot, reveal: &Reveal) -> Result<(), Error> {
    let name = || hex::encode(ballot.ballot_id.0);
    let m = ctx.candidates;
    ensure(
        reveal.choices.len() == m && reveal.nonces.len() == m && ballot.ciphertexts.len() == m,
        "V18",
        || format!("spoiled ballot {}: reveal does not have {m} choices and nonces", name()),
    )?;
    ensure(
        reveal.choices.iter().all(|v| *v <= 1) && reveal.choices.iter().map(|v| u32::from(*v)).sum::<u32>() == 1,
        "V18",
        || format!("spoiled ballot {}: choices are not one 1 and zeros", name()),
    )?;
    for (j, ((c, v), r)) in ballot
        .ciphertexts
        .iter()
        .zip(&reveal.choices)
        .zip(&reveal.nonces)
        .enumerate()
    {
        ensure(*r != Scalar::ZERO, "V18", || {
            format!("spoiled ballot {}: nonce {j} is zero", name())
        })?;
        let alpha = RistrettoPoint::mul_base(r);
        let beta = RistrettoPoint::mul_base(&Scalar::from(*v)) + r * ctx.joint_key.point();
        ensure(alpha == *c.alpha.point() && beta == *c.beta.point(), "V18", || {
            format!("spoiled ballot {}: ciphertext {j} does not match its reveal", name())
        })?;
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::randomness::Seeded;

    pub(crate) fn context(candidates: usize) -> Context {
        let mut rng = Seeded::new(b"ballot tests");
        Context {
            joint_key: Point::new(RistrettoPoint::mul_base(&rng.scalar("key"))),
            extended_base_hash: Framed::new("qbar").digest(),
            candidates,
        }
    }

    #[test]
    fn an_honest_ballot_verifies_and_its_reveal_checks() {
        let ctx = context(5);
        let mut rng = Seeded::new(b"b");
        let (ballot, secrets) = encrypt(&ctx, 3, &mut rng).unwrap();
        verify(&ctx, &ballot).unwrap();
        let reveal = secrets.reveal();
        assert_eq!(reveal.choices, vec![0, 0, 0, 1, 0]);
        check_reveal(&ctx, &ballot, &reveal).unwrap();
    }

    #[test]
    fn a_wrong_reveal_fails() {
        let ctx = context(5);
        let (ballot, secrets) = encrypt(&ctx, 1, &mut Seeded::new(b"b")).unwrap();
        let honest = secrets.reveal();
        // The device claims another choice.
        let mut other = honest.clone();
        other.choices = vec![1, 0, 0, 0, 0];
        assert!(matches!(
            check_reveal(&ctx, &ballot, &other),
            Err(Error::Check { check: "V18", .. })
        ));
        // Or another nonce.
        let mut nonce = honest.clone();
        nonce.nonces[2] += Scalar::ONE;
        assert!(check_reveal(&ctx, &ballot, &nonce).is_err());
    }

    #[test]
    fn choices_summing_to_2_with_a_copied_sum_proof_fail() {
        let ctx = context(5);
        let mut rng = Seeded::new(b"b");
        let (valid, _) = encrypt(&ctx, 0, &mut rng).unwrap();
        let id = BallotId([7; 16]);
        let (ciphertexts, _) = encrypt_choices(&ctx, &id, &[1, 1, 0, 0, 0], &mut rng);
        let sum_proof = valid.sum_proof;
        let forged = Ballot {
            ballot_id: id,
            tracking_code: tracking_code(&ctx, &id, &ciphertexts, &sum_proof, &[]),
            ciphertexts,
            sum_proof,
            zero_proofs: Vec::new(),
        };
        assert!(matches!(verify(&ctx, &forged), Err(Error::Check { check: "V14", .. })));
    }

    #[test]
    fn an_identity_alpha_and_a_changed_ciphertext_are_refused() {
        let ctx = context(3);
        let (ballot, _) = encrypt(&ctx, 2, &mut Seeded::new(b"b")).unwrap();
        let mut zero = ballot.clone();
        zero.ciphertexts[1].alpha = Point::new(RistrettoPoint::default());
        assert!(matches!(verify(&ctx, &zero), Err(Error::Check { check: "V12", .. })));
        let mut swapped = ballot.clone();
        swapped.ciphertexts.swap(0, 1);
        assert!(matches!(verify(&ctx, &swapped), Err(Error::Check { check: "V13", .. })));
        let mut code = ballot;
        code.tracking_code.0[0] ^= 1;
        assert!(matches!(verify(&ctx, &code), Err(Error::Check { check: "V15", .. })));
    }

    #[test]
    fn a_withdrawn_position_is_proven_0_and_the_proof_is_bound_to_the_ballot() {
        let ctx = context(4);
        let (ballot, _) = encrypt_with(&ctx, 2, &[3, 1, 3], &mut Seeded::new(b"w")).unwrap();
        assert_eq!(ballot.zero_proofs.iter().map(|z| z.slot).collect::<Vec<_>>(), [1, 3]);
        assert!(ballot.proves_zero(1) && ballot.proves_zero(3) && !ballot.proves_zero(0));
        verify(&ctx, &ballot).unwrap();
        // Without its zero proofs the tracking code no longer recomputes: they cannot be
        // stripped, nor added, without a new code.
        let mut stripped = ballot.clone();
        stripped.zero_proofs.clear();
        assert!(matches!(
            verify(&ctx, &stripped),
            Err(Error::Check { check: "V15", .. })
        ));
        // A proof moved to another position, or out of order, fails.
        let mut moved = ballot.clone();
        moved.zero_proofs[0].slot = 0;
        assert!(matches!(verify(&ctx, &moved), Err(Error::Check { check: "V13", .. })));
        let mut reordered = ballot.clone();
        reordered.zero_proofs.reverse();
        assert!(matches!(
            verify(&ctx, &reordered),
            Err(Error::Check { check: "V13", .. })
        ));
        // The chosen position cannot be proven 0: the proof would be false.
        assert!(encrypt_with(&ctx, 1, &[1], &mut Seeded::new(b"w")).is_err());
        assert!(encrypt_with(&ctx, 1, &[4], &mut Seeded::new(b"w")).is_err());
        // A vote for the position, with a proof made as if it held 0, fails.
        let (cast_for_1, secrets) = encrypt(&ctx, 1, &mut Seeded::new(b"v")).unwrap();
        let mut forged = cast_for_1.clone();
        let r = secrets.reveal().nonces[1];
        let proof = prove_dleq(&r, ctx.joint_key.point(), Scalar::from(5u8), |a, b| {
            zero_challenge(&ctx, &forged.ballot_id, 1, &forged.ciphertexts[1], a.bytes(), b.bytes())
        });
        forged.zero_proofs.push(ZeroProof { slot: 1, proof });
        forged.tracking_code = tracking_code(
            &ctx,
            &forged.ballot_id,
            &forged.ciphertexts,
            &forged.sum_proof,
            &forged.zero_proofs,
        );
        assert!(matches!(verify(&ctx, &forged), Err(Error::Check { check: "V13", .. })));
    }

    #[test]
    fn a_blank_vote_cannot_be_encrypted() {
        assert!(encrypt(&context(3), 3, &mut Seeded::new(b"b")).is_err());
    }

    #[test]
    fn short_code_is_16_base32_characters_in_groups() {
        let mut d = Digest([0; 64]);
        d.0[..10].copy_from_slice(b"abcdefghij");
        // RFC 4648: BASE32("abcdefghij") = "MFRGGZDFMZTWQ2LK".
        assert_eq!(short_code(&d), "MFRG-GZDF-MZTW-Q2LK");
    }
}
