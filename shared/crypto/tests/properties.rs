//! Random ballots always verify, and their homomorphic sum always decrypts to the plaintext count.

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use election_crypto::ballot::{encrypt, verify, Context};
use election_crypto::group::Point;
use election_crypto::hash::Framed;
use election_crypto::randomness::{Randomness, Seeded};
use election_crypto::tally::sum;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn random_ballots_verify_and_sum_to_their_count(
        seed in any::<[u8; 16]>(),
        candidates in 2usize..6,
        votes in proptest::collection::vec(any::<prop::sample::Index>(), 0..8),
    ) {
        let mut rng = Seeded::new(&seed);
        let secret = rng.scalar("key");
        let ctx = Context {
            joint_key: Point::new(RistrettoPoint::mul_base(&secret)),
            extended_base_hash: Framed::new("qbar").bytes(&seed).digest(),
            candidates,
        };
        let choices: Vec<usize> = votes.iter().map(|v| v.index(candidates)).collect();
        let ballots: Vec<_> = choices
            .iter()
            .enumerate()
            .map(|(b, c)| encrypt(&ctx, *c, &mut rng.scoped(&format!("ballot/{b}/"))).unwrap().0)
            .collect();
        for b in &ballots {
            prop_assert!(verify(&ctx, b).is_ok());
        }
        for (j, entry) in sum(candidates, &ballots).iter().enumerate() {
            let count = choices.iter().filter(|c| **c == j).count() as u64;
            let decrypted = entry.b.point() - secret * entry.a.point();
            prop_assert_eq!(decrypted, RistrettoPoint::mul_base(&Scalar::from(count)));
        }
    }
}
