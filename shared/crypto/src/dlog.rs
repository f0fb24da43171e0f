//! The discrete log of a count (spec 8.2): baby-step giant-step over `0..=N`. Only the counter
//! needs it; a verifier checks `count·G` directly.

use std::collections::HashMap;

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::Identity;

/// The baby steps `jG` for `j < m` (keyed by encoding), with `m = ⌈√(N+1)⌉`, built once for
/// all candidates.
pub struct BabyGiant {
    baby: HashMap<[u8; 32], u64>,
    m: u64,
    max: u64,
}

impl BabyGiant {
    pub fn new(max: u64) -> Self {
        let m = ((max + 1) as f64).sqrt().ceil() as u64;
        let mut baby = HashMap::with_capacity(m as usize);
        let mut p = RistrettoPoint::identity();
        for j in 0..m {
            baby.insert(p.compress().to_bytes(), j);
            p += RISTRETTO_BASEPOINT_POINT;
        }
        BabyGiant { baby, m, max }
    }

    /// `x` in `0..=N` with `xG == target`, if any: giant steps subtract `mG` until a baby step matches.
    pub fn solve(&self, target: &RistrettoPoint) -> Option<u64> {
        let giant = RistrettoPoint::mul_base(&Scalar::from(self.m));
        let mut p = *target;
        for i in 0..=self.max / self.m {
            if let Some(j) = self.baby.get(&p.compress().to_bytes()) {
                let x = i * self.m + j;
                return (x <= self.max).then_some(x);
            }
            p -= giant;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_small_count_and_refuses_beyond_the_bound() {
        let table = BabyGiant::new(1000);
        for x in [0u64, 1, 2, 31, 32, 33, 999, 1000] {
            assert_eq!(table.solve(&RistrettoPoint::mul_base(&Scalar::from(x))), Some(x));
        }
        assert_eq!(table.solve(&RistrettoPoint::mul_base(&Scalar::from(1001u64))), None);
        assert_eq!(table.solve(&RistrettoPoint::mul_base(&Scalar::from(5000u64))), None);
    }
}
