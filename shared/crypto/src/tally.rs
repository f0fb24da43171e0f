//! The encrypted tally (spec 8.1): componentwise sums of the cast ballots, the digests that
//! bind a decryption to the exact list of cast ballots, and the recomputation a trustee does
//! before it decrypts anything (every proof checked, copies refused).

use std::collections::HashSet;

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::traits::Identity;
use serde::{Deserialize, Serialize};

use crate::ballot::{self, Ballot, BallotId, Context, SpoiledBallot};
use crate::error::{ensure, Error};
use crate::group::Point;
use crate::hash::{Digest, Framed};

/// At most this many ballots a chunk file (spec 10).
pub const CHUNK_SIZE: usize = 10_000;

/// `(A_j, B_j)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TallyEntry {
    pub a: Point,
    pub b: Point,
}

/// The tally a trustee decrypts: sums, the number of cast ballots and their digest `D`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncryptedTally {
    pub entries: Vec<TallyEntry>,
    pub cast_count: u64,
    pub cast_digest: Digest,
}

/// Which list a digest covers (spec 8.1's tags).
#[derive(Clone, Copy, Debug)]
pub enum List {
    Cast,
    Spoiled,
}

impl List {
    fn tags(self) -> (&'static str, &'static str) {
        match self {
            List::Cast => ("ee1/cast-chunk", "ee1/cast"),
            List::Spoiled => ("ee1/spoiled-chunk", "ee1/spoiled"),
        }
    }
}

/// `H("ee1/cast-chunk", Q̄, u64(q), u64(c_q), [tracking codes])`.
pub fn chunk_digest(qbar: &Digest, list: List, chunk: usize, codes: &[Digest]) -> Digest {
    let body: Vec<u8> = codes.iter().flat_map(|c| c.0).collect();
    Framed::new(list.tags().0)
        .digest_field(qbar)
        .u64(chunk as u64)
        .u64(codes.len() as u64)
        .bytes(&body)
        .digest()
}

/// `H("ee1/cast", Q̄, u64(N), u64(chunks), [chunk digests])`.
pub fn list_digest(qbar: &Digest, list: List, count: u64, chunk_digests: &[Digest]) -> Digest {
    let body: Vec<u8> = chunk_digests.iter().flat_map(|c| c.0).collect();
    Framed::new(list.tags().1)
        .digest_field(qbar)
        .u64(count)
        .u64(chunk_digests.len() as u64)
        .bytes(&body)
        .digest()
}

/// The chunk digests and the list digest of ballots in record order, `CHUNK_SIZE` a chunk.
pub fn digests<'a>(
    qbar: &Digest,
    list: List,
    ballots: impl ExactSizeIterator<Item = &'a Ballot>,
) -> (Vec<Digest>, Digest) {
    let count = ballots.len() as u64;
    let codes: Vec<Digest> = ballots.map(|b| b.tracking_code).collect();
    let chunks: Vec<Digest> = codes
        .chunks(CHUNK_SIZE)
        .enumerate()
        .map(|(q, c)| chunk_digest(qbar, list, q, c))
        .collect();
    let digest = list_digest(qbar, list, count, &chunks);
    (chunks, digest)
}

/// Componentwise sums of the ballots' ciphertexts (the empty sum is the identity).
pub fn sum<'a>(candidates: usize, ballots: impl IntoIterator<Item = &'a Ballot>) -> Vec<TallyEntry> {
    let mut sums = vec![(RistrettoPoint::identity(), RistrettoPoint::identity()); candidates];
    for ballot in ballots {
        for (s, c) in sums.iter_mut().zip(&ballot.ciphertexts) {
            s.0 += c.alpha.point();
            s.1 += c.beta.point();
        }
    }
    sums.into_iter()
        .map(|(a, b)| TallyEntry {
            a: Point::new(a),
            b: Point::new(b),
        })
        .collect()
}

/// Two sums of ciphertexts added componentwise, as a ballot-box part's sums are merged with
/// another's. An empty sum (a part with no ballot) adds nothing; sums of unequal length are
/// added as far as both go, the rest kept, so that they can never equal a tally they differ from.
pub fn add(left: &[TallyEntry], right: &[TallyEntry]) -> Vec<TallyEntry> {
    let (long, short) = if left.len() >= right.len() {
        (left, right)
    } else {
        (right, left)
    };
    long.iter()
        .enumerate()
        .map(|(j, l)| match short.get(j) {
            Some(s) => TallyEntry {
                a: Point::new(l.a.point() + s.a.point()),
                b: Point::new(l.b.point() + s.b.point()),
            },
            None => *l,
        })
        .collect()
}

/// V12–V19: every cast and spoiled ballot verifies, every reveal checks; among the cast
/// ballots no ballot id, tracking code or `α` twice (V15); among the spoiled ballots no ballot
/// id or tracking code twice (V17); no spoiled ballot's id or tracking code among the cast
/// ballots, and no cast `α` equal to a spoiled `α`, whose nonce the reveal made public (V19).
pub fn check_ballots(ctx: &Context, cast: &[Ballot], spoiled: &[SpoiledBallot]) -> Result<(), Error> {
    let verifier = ballot::Verifier::new(ctx);
    let mut list = ListChecks::new(&verifier, spoiled)?;
    for b in cast {
        verifier.verify(b)?;
        list.cast(b)?;
    }
    Ok(())
}

/// The checks of V15, V17 and V19 that take the cast ballots one by one, after their own
/// proofs (V12–V14): a whole list's in [`check_ballots`], or one part of it at a time.
pub struct ListChecks {
    spoiled_ids: HashSet<BallotId>,
    spoiled_codes: HashSet<Digest>,
    spoiled_alphas: HashSet<[u8; 32]>,
    ids: HashSet<BallotId>,
    codes: HashSet<Digest>,
    alphas: HashSet<[u8; 32]>,
}

impl ListChecks {
    /// Checks the spoiled ballots (V17), to check cast ballots against them then.
    pub fn new(verifier: &ballot::Verifier, spoiled: &[SpoiledBallot]) -> Result<Self, Error> {
        let mut checks = ListChecks {
            spoiled_ids: HashSet::with_capacity(spoiled.len()),
            spoiled_codes: HashSet::with_capacity(spoiled.len()),
            spoiled_alphas: HashSet::with_capacity(spoiled.len() * verifier.context().candidates),
            ids: HashSet::new(),
            codes: HashSet::new(),
            alphas: HashSet::new(),
        };
        for s in spoiled {
            verifier.verify(&s.ballot).map_err(|e| match e {
                Error::Check { detail, .. } => crate::error::fail("V17", format!("spoiled: {detail}")),
                other => other,
            })?;
            ballot::check_reveal(verifier.context(), &s.ballot, &s.reveal)?;
            ensure(
                checks.spoiled_ids.insert(s.ballot.ballot_id) && checks.spoiled_codes.insert(s.ballot.tracking_code),
                "V17",
                || format!("spoiled ballot {} appears twice", hex::encode(s.ballot.ballot_id.0)),
            )?;
            checks
                .spoiled_alphas
                .extend(s.ballot.ciphertexts.iter().map(|c| *c.alpha.bytes()));
        }
        Ok(checks)
    }

    /// A cast ballot, its proofs already checked: not spoiled (V19), not a copy of one
    /// checked before (V15).
    pub fn cast(&mut self, b: &Ballot) -> Result<(), Error> {
        let name = || hex::encode(b.ballot_id.0);
        ensure(
            !self.spoiled_ids.contains(&b.ballot_id) && !self.spoiled_codes.contains(&b.tracking_code),
            "V19",
            || format!("ballot {} was spoiled and is cast", name()),
        )?;
        ensure(
            self.ids.insert(b.ballot_id) && self.codes.insert(b.tracking_code),
            "V15",
            || format!("ballot {} is cast twice", name()),
        )?;
        for (j, c) in b.ciphertexts.iter().enumerate() {
            ensure(!self.spoiled_alphas.contains(c.alpha.bytes()), "V19", || {
                format!(
                    "ballot {}: alpha {j} is a spoiled ballot's, whose nonce is public",
                    name()
                )
            })?;
            ensure(self.alphas.insert(*c.alpha.bytes()), "V15", || {
                format!("ballot {} copies a ciphertext of another cast ballot", name())
            })?;
        }
        Ok(())
    }
}

/// What a trustee decrypts: a tally it recomputed itself from the published ballots after
/// checking all of them.
pub fn recompute(ctx: &Context, cast: &[Ballot], spoiled: &[SpoiledBallot]) -> Result<EncryptedTally, Error> {
    check_ballots(ctx, cast, spoiled)?;
    let (_, cast_digest) = digests(&ctx.extended_base_hash, List::Cast, cast.iter());
    Ok(EncryptedTally {
        entries: sum(ctx.candidates, cast),
        cast_count: cast.len() as u64,
        cast_digest,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ballot::{encrypt, tests::context};
    use crate::randomness::{Randomness, Reusing, Seeded};

    #[test]
    fn a_copied_ballot_is_refused() {
        let ctx = context(3);
        let rng = Seeded::new(b"tally");
        let ballots: Vec<Ballot> = (0..3)
            .map(|b| {
                encrypt(&ctx, b % 3, &mut rng.scoped(&format!("ballot/{b}/")))
                    .unwrap()
                    .0
            })
            .collect();
        assert!(recompute(&ctx, &ballots, &[]).is_ok());
        let mut copied = ballots.clone();
        copied.push(ballots[1].clone());
        assert!(matches!(
            recompute(&ctx, &copied, &[]),
            Err(Error::Check { check: "V15", .. })
        ));
    }

    #[test]
    fn a_spoiled_ballot_cannot_be_cast() {
        let ctx = context(3);
        let (ballot, secrets) = encrypt(&ctx, 0, &mut Seeded::new(b"s")).unwrap();
        let spoiled = SpoiledBallot {
            ballot: ballot.clone(),
            reveal: secrets.reveal(),
        };
        assert!(recompute(&ctx, &[], std::slice::from_ref(&spoiled)).is_ok());
        assert!(matches!(
            recompute(&ctx, &[ballot], std::slice::from_ref(&spoiled)),
            Err(Error::Check { check: "V19", .. })
        ));
        // Spoiled twice.
        assert!(matches!(
            recompute(&ctx, &[], &[spoiled.clone(), spoiled]),
            Err(Error::Check { check: "V17", .. })
        ));
    }

    #[test]
    fn a_cast_ballot_reusing_a_spoiled_nonce_is_refused() {
        let ctx = context(3);
        let (challenged, secrets) = encrypt(&ctx, 1, &mut Seeded::new(b"spoiled")).unwrap();
        let spoiled = SpoiledBallot {
            ballot: challenged,
            reveal: secrets.reveal(),
        };
        let mut rng = Reusing {
            label: "nonce/0",
            reused: Seeded::new(b"spoiled"),
            fresh: Seeded::new(b"cast"),
        };
        let (cast, _) = encrypt(&ctx, 2, &mut rng).unwrap();
        assert_eq!(cast.ciphertexts[0].alpha, spoiled.ballot.ciphertexts[0].alpha);
        assert_ne!(cast.ballot_id, spoiled.ballot.ballot_id);
        // Valid on its own, and the nonce exposes its choice at position 0.
        ballot::verify(&ctx, &cast).unwrap();
        assert!(matches!(
            recompute(&ctx, &[cast], std::slice::from_ref(&spoiled)),
            Err(Error::Check { check: "V19", .. })
        ));
    }

    #[test]
    fn sums_of_parts_merge_to_the_whole_sum() {
        let ctx = context(3);
        let rng = Seeded::new(b"parts");
        let ballots: Vec<Ballot> = (0..5)
            .map(|b| {
                encrypt(&ctx, b % 3, &mut rng.scoped(&format!("ballot/{b}/")))
                    .unwrap()
                    .0
            })
            .collect();
        let whole = sum(3, &ballots);
        let (first, second) = ballots.split_at(2);
        assert_eq!(add(&sum(3, first), &sum(3, second)), whole);
        assert_eq!(add(&[], &whole), whole);
        // One ballot short: not the whole sum.
        assert_ne!(add(&sum(3, first), &sum(3, &second[1..])), whole);
    }
}
