//! Trustees' long-lived keys (spec 4, 5.3): Schnorr signatures over ristretto255 with SHA-512,
//! fingerprints checked out of band, and static Diffie–Hellman receiving keys for shares.

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::error::{ensure, Error};
use crate::group::{decode_scalar, from_hex, Point};
use crate::hash::{Digest, Framed};
use crate::randomness::Randomness;

/// A secret scalar with its public point `xG`; the scalar is wiped on drop.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct KeyPair {
    secret: Scalar,
    #[zeroize(skip)]
    public: Point,
}

impl KeyPair {
    pub fn generate(rng: &mut impl Randomness, label: &str) -> Self {
        KeyPair::from_secret(rng.scalar(label))
    }

    pub fn from_secret(secret: Scalar) -> Self {
        // Fixed-base multiplication by a secret: dalek's table walk is constant time.
        let public = Point::new(&secret * RISTRETTO_BASEPOINT_TABLE);
        KeyPair { secret, public }
    }

    pub fn public(&self) -> &Point {
        &self.public
    }

    pub(crate) fn secret(&self) -> &Scalar {
        &self.secret
    }

    /// Schnorr: `R = kG`, `c = Hs("ee1/signature", A, R, msg)`, `s = k + c·a`.
    pub fn sign(&self, msg: &Digest, rng: &mut impl Randomness, label: &str) -> Signature {
        let mut k = rng.scalar(label);
        let r = Point::new(&k * RISTRETTO_BASEPOINT_TABLE);
        let c = signature_challenge(&self.public, &r, msg);
        let s = k + c * self.secret;
        k.zeroize();
        Signature { r, s }
    }
}

fn signature_challenge(public: &Point, r: &Point, msg: &Digest) -> Scalar {
    Framed::new("ee1/signature")
        .point(public)
        .point(r)
        .digest_field(msg)
        .challenge()
}

/// `R ‖ s`, 64 bytes, one hex string in JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Signature {
    r: Point,
    s: Scalar,
}

impl Signature {
    pub fn to_bytes(&self) -> [u8; 64] {
        let mut out = [0u8; 64];
        out[..32].copy_from_slice(self.r.bytes());
        out[32..].copy_from_slice(self.s.as_bytes());
        out
    }

    pub fn from_bytes(bytes: [u8; 64]) -> Result<Self, Error> {
        let mut r = [0u8; 32];
        let mut s = [0u8; 32];
        r.copy_from_slice(&bytes[..32]);
        s.copy_from_slice(&bytes[32..]);
        Ok(Signature {
            r: Point::decode(r)?,
            s: decode_scalar(s)?,
        })
    }
}

impl Serialize for Signature {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(self.to_bytes()))
    }
}

impl<'de> Deserialize<'de> for Signature {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        from_hex(&text)
            .and_then(Signature::from_bytes)
            .map_err(de::Error::custom)
    }
}

/// Accept iff `sG == R + cA` with `A` not the identity.
pub fn verify_signature(
    public: &Point,
    msg: &Digest,
    sig: &Signature,
    check: &'static str,
    what: &str,
) -> Result<(), Error> {
    ensure(!public.is_identity(), check, || {
        format!("{what}: the signing key is the identity")
    })?;
    let c = signature_challenge(public, &sig.r, msg);
    // sG − cA, in variable time: everything here is public.
    let lhs = RistrettoPoint::vartime_double_scalar_mul_basepoint(&-c, public.point(), &sig.s);
    ensure(lhs == *sig.r.point(), check, || {
        format!("{what}: signature does not verify")
    })
}

/// First 16 bytes of `H("ee1/fingerprint", A)`, as 8 groups of 4 lowercase hex digits.
pub fn fingerprint(public: &Point) -> String {
    let digest = Framed::new("ee1/fingerprint").point(public).digest();
    hex::encode(&digest.0[..16])
        .as_bytes()
        .chunks(4)
        .map(|group| std::str::from_utf8(group).expect("hex is ASCII"))
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::randomness::Seeded;

    #[test]
    fn a_signature_verifies_and_a_changed_message_does_not() {
        let mut rng = Seeded::new(b"keys");
        let key = KeyPair::generate(&mut rng, "key");
        let msg = Framed::new("msg").digest();
        let sig = key.sign(&msg, &mut rng, "nonce");
        assert!(verify_signature(key.public(), &msg, &sig, "V7", "test").is_ok());
        let other = Framed::new("other").digest();
        assert!(verify_signature(key.public(), &other, &sig, "V7", "test").is_err());
        let back: Signature = serde_json::from_str(&serde_json::to_string(&sig).unwrap()).unwrap();
        assert_eq!(back, sig);
    }

    #[test]
    fn fingerprint_is_eight_groups_of_four() {
        let key = KeyPair::generate(&mut Seeded::new(b"keys"), "key");
        let fp = fingerprint(key.public());
        assert_eq!(fp.len(), 39);
        assert_eq!(fp.split('-').count(), 8);
    }
}
