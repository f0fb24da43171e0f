//! The framing of every hash input (spec 2.2): the tag and each field written as
//! `u64(len) ‖ bytes`, SHA-512 over the lot, and `Hs`, the digest reduced mod ℓ (spec 1).

use curve25519_dalek::scalar::Scalar;
use sha2::{Digest, Sha512};

pub struct Framed(Sha512);

impl Framed {
    pub fn new(tag: &str) -> Self {
        Framed(Sha512::new()).field(tag.as_bytes())
    }

    /// One field; a list field (`[x_1 ‖ ... ‖ x_k]`) is one field of the items' concatenation.
    pub fn field(mut self, bytes: &[u8]) -> Self {
        self.0.update((bytes.len() as u64).to_le_bytes());
        self.0.update(bytes);
        self
    }

    /// A list field written item by item: `len`, the total of the items' lengths, then each
    /// item with `item`, without gathering them in one buffer first.
    pub fn list(mut self, len: usize) -> Self {
        self.0.update((len as u64).to_le_bytes());
        self
    }

    /// Bytes of the list field that `list` opened.
    pub fn item(mut self, bytes: &[u8]) -> Self {
        self.0.update(bytes);
        self
    }

    /// An integer field: `u64(x)`, itself framed as an 8-byte field.
    pub fn u64(self, x: u64) -> Self {
        self.field(&x.to_le_bytes())
    }

    pub fn digest(self) -> [u8; 64] {
        self.0.finalize().into()
    }

    /// `Hs`: the digest as a little-endian 512-bit integer mod ℓ.
    pub fn challenge(self) -> Scalar {
        Scalar::from_bytes_mod_order_wide(&self.digest())
    }
}
