//! Length-prefixed framing and the hashes built on it (spec 2.2): every field, the tag
//! included, is `u64le(len) ‖ bytes`; a digest is SHA-512 of that; a challenge is the digest
//! reduced mod ℓ (wide reduction).

use curve25519_dalek::scalar::Scalar;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha512};

use crate::group::Point;

/// A SHA-512 digest (64 bytes), lowercase hex in JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Digest(#[serde(with = "crate::group::bytes_hex")] pub [u8; 64]);

/// A framed hash input under construction.
pub struct Framed(Sha512);

impl Framed {
    pub fn new(tag: &str) -> Self {
        Framed(Sha512::new()).bytes(tag.as_bytes())
    }

    pub fn bytes(mut self, field: &[u8]) -> Self {
        self.0.update((field.len() as u64).to_le_bytes());
        self.0.update(field);
        self
    }

    pub fn point(self, p: &Point) -> Self {
        self.bytes(p.bytes())
    }

    pub fn scalar(self, s: &Scalar) -> Self {
        self.bytes(s.as_bytes())
    }

    pub fn digest_field(self, d: &Digest) -> Self {
        self.bytes(&d.0)
    }

    pub fn u64(self, x: u64) -> Self {
        self.bytes(&x.to_le_bytes())
    }

    pub fn text(self, s: &str) -> Self {
        self.bytes(s.as_bytes())
    }

    pub fn digest(self) -> Digest {
        Digest(self.0.finalize().into())
    }

    /// The Fiat–Shamir challenge: `Scalar::from_bytes_mod_order_wide` of the digest.
    pub fn challenge(self) -> Scalar {
        Scalar::from_bytes_mod_order_wide(&self.digest().0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framing_is_length_prefixed_little_endian() {
        let mut expected = Sha512::new();
        expected.update([3, 0, 0, 0, 0, 0, 0, 0]);
        expected.update(b"tag");
        expected.update([8, 0, 0, 0, 0, 0, 0, 0]);
        expected.update(7u64.to_le_bytes());
        expected.update([0u8; 8]);
        let expected: [u8; 64] = expected.finalize().into();
        assert_eq!(Framed::new("tag").u64(7).bytes(b"").digest().0, expected);
    }
}
