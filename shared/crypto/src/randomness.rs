//! Where random scalars come from. Every draw names what it is for (spec 12's labels): the
//! operating system's generator ignores the label; the seeded source derives the value from
//! the seed and the label by SHA-512, so another implementation reproduces the test vectors
//! without sharing a Rust random stream.

use curve25519_dalek::scalar::Scalar;
use rand::rngs::OsRng;
use rand::RngCore;
use zeroize::Zeroize;

use crate::hash::Framed;

pub trait Randomness {
    /// A nonzero scalar, uniform mod ℓ.
    fn scalar(&mut self, label: &str) -> Scalar;
    /// 16 random bytes (a ballot id).
    fn id(&mut self, label: &str) -> [u8; 16];
    /// The source for one sub-task whose labels are relative (e.g. `ballot/3/` for a ballot's).
    fn scoped(&self, prefix: &str) -> Self
    where
        Self: Sized;
}

/// Production randomness: 64 bytes from the operating system, wide-reduced (negligible bias).
pub struct OsRandomness;

impl Randomness for OsRandomness {
    fn scalar(&mut self, _label: &str) -> Scalar {
        loop {
            let mut wide = [0u8; 64];
            OsRng.fill_bytes(&mut wide);
            let s = Scalar::from_bytes_mod_order_wide(&wide);
            wide.zeroize();
            if s != Scalar::ZERO {
                return s;
            }
        }
    }

    fn id(&mut self, _label: &str) -> [u8; 16] {
        let mut id = [0u8; 16];
        OsRng.fill_bytes(&mut id);
        id
    }

    fn scoped(&self, _prefix: &str) -> Self {
        OsRandomness
    }
}

/// Test-vector randomness (spec 12): `derive(label, k) = H("ee1/test-vector", seed, label, u64(k))`.
#[derive(Clone)]
pub struct Seeded {
    seed: Vec<u8>,
    prefix: String,
}

impl Seeded {
    pub fn new(seed: &[u8]) -> Self {
        Seeded {
            seed: seed.to_vec(),
            prefix: String::new(),
        }
    }

    fn derive(&self, label: &str, k: u64) -> [u8; 64] {
        Framed::new("ee1/test-vector")
            .bytes(&self.seed)
            .text(&format!("{}{label}", self.prefix))
            .u64(k)
            .digest()
            .0
    }
}

impl Randomness for Seeded {
    fn scalar(&mut self, label: &str) -> Scalar {
        (0..)
            .map(|k| Scalar::from_bytes_mod_order_wide(&self.derive(label, k)))
            .find(|s| *s != Scalar::ZERO)
            .expect("a nonzero scalar within 2^64 tries")
    }

    fn id(&mut self, label: &str) -> [u8; 16] {
        let mut id = [0u8; 16];
        id.copy_from_slice(&self.derive(label, 0)[..16]);
        id
    }

    /// The same seed, with labels prefixed.
    fn scoped(&self, prefix: &str) -> Self {
        Seeded {
            seed: self.seed.clone(),
            prefix: format!("{}{prefix}", self.prefix),
        }
    }
}

/// Randomness for tests of a ballot that re-uses another ballot's nonce (V19): the draws of
/// one label (say `nonce/0`) from `reused`, every other draw from `fresh`.
pub struct Reusing {
    pub label: &'static str,
    pub reused: Seeded,
    pub fresh: Seeded,
}

impl Randomness for Reusing {
    fn scalar(&mut self, label: &str) -> Scalar {
        if label == self.label {
            self.reused.scalar(label)
        } else {
            self.fresh.scalar(label)
        }
    }

    fn id(&mut self, label: &str) -> [u8; 16] {
        self.fresh.id(label)
    }

    fn scoped(&self, prefix: &str) -> Self {
        Reusing {
            label: self.label,
            reused: self.reused.scoped(prefix),
            fresh: self.fresh.scoped(prefix),
        }
    }
}
