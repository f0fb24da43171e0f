//! Group elements and scalars with their canonical encodings (spec 2.1, 2.3): 32-byte
//! compressed ristretto255 and 32-byte little-endian scalars below ℓ, as lowercase hex in JSON
//! (and as the bytes themselves in a binary format: the mixer's sealed copy of a ballot).
//! Decoding rejects anything non-canonical.

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

use crate::Error;

/// A group element that keeps its encoding: hashing needs the bytes, and compressing a point
/// costs an inversion, so it is done once.
#[derive(Clone, Copy, Debug)]
pub struct Point {
    point: RistrettoPoint,
    bytes: [u8; 32],
}

impl Point {
    pub fn new(point: RistrettoPoint) -> Self {
        Point {
            point,
            bytes: point.compress().to_bytes(),
        }
    }

    pub fn generator() -> Self {
        Point::new(RISTRETTO_BASEPOINT_POINT)
    }

    /// Canonical decoding only: dalek's ristretto decompression refuses non-canonical bytes.
    pub fn decode(bytes: [u8; 32]) -> Result<Self, Error> {
        let point = CompressedRistretto(bytes)
            .decompress()
            .ok_or_else(|| Error::Encoding(format!("not a canonical point: {}", hex::encode(bytes))))?;
        Ok(Point { point, bytes })
    }

    pub fn from_hex(text: &str) -> Result<Self, Error> {
        Point::decode(from_hex(text)?)
    }

    pub fn point(&self) -> &RistrettoPoint {
        &self.point
    }

    pub fn bytes(&self) -> &[u8; 32] {
        &self.bytes
    }

    /// The identity encodes as 32 zero bytes, and only it.
    pub fn is_identity(&self) -> bool {
        self.bytes == [0u8; 32]
    }
}

impl PartialEq for Point {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

impl Eq for Point {}

impl Serialize for Point {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        put_bytes(&self.bytes, s)
    }
}

impl<'de> Deserialize<'de> for Point {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Point::decode(take_bytes(d)?).map_err(de::Error::custom)
    }
}

/// `bytes` as lowercase hex in a format for people (JSON: the spec's), and as a byte string
/// in a binary one, at half the size.
fn put_bytes<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    if s.is_human_readable() {
        s.serialize_str(&hex::encode(bytes))
    } else {
        s.serialize_bytes(bytes)
    }
}

/// Exactly the `N` bytes that [`put_bytes`] wrote.
fn take_bytes<'de, D: Deserializer<'de>, const N: usize>(d: D) -> Result<[u8; N], D::Error> {
    struct Exactly<const N: usize>;
    impl<const N: usize> de::Visitor<'_> for Exactly<N> {
        type Value = [u8; N];
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            write!(f, "a byte string of {N} bytes")
        }
        fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> Result<[u8; N], E> {
            bytes.try_into().map_err(|_| E::invalid_length(bytes.len(), &self))
        }
    }
    if d.is_human_readable() {
        let text = String::deserialize(d)?;
        from_hex(&text).map_err(de::Error::custom)
    } else {
        d.deserialize_bytes(Exactly::<N>)
    }
}

/// Canonical scalar decoding: a value ≥ ℓ is refused.
pub fn decode_scalar(bytes: [u8; 32]) -> Result<Scalar, Error> {
    Option::from(Scalar::from_canonical_bytes(bytes))
        .ok_or_else(|| Error::Encoding(format!("not a canonical scalar: {}", hex::encode(bytes))))
}

/// Lowercase hex of exactly `N` bytes (spec 2.3 refuses upper case).
pub fn from_hex<const N: usize>(text: &str) -> Result<[u8; N], Error> {
    if text.len() != 2 * N {
        return Err(Error::Encoding(format!(
            "expected {} hex characters, got {}",
            2 * N,
            text.len()
        )));
    }
    if !text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return Err(Error::Encoding(format!("not lowercase hex: {text}")));
    }
    let mut out = [0u8; N];
    hex::decode_to_slice(text, &mut out).map_err(|e| Error::Encoding(e.to_string()))?;
    Ok(out)
}

/// Serde for a scalar field: `#[serde(with = "crate::group::scalar_hex")]`.
pub mod scalar_hex {
    use super::*;

    pub fn serialize<S: Serializer>(x: &Scalar, s: S) -> Result<S::Ok, S::Error> {
        put_bytes(x.as_bytes(), s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Scalar, D::Error> {
        decode_scalar(take_bytes(d)?).map_err(de::Error::custom)
    }
}

/// Serde for a list of scalars (a Benaloh reveal's nonces).
pub mod scalars_hex {
    use super::*;

    pub fn serialize<S: Serializer>(xs: &[Scalar], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(xs.iter().map(|x| hex::encode(x.as_bytes())))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Scalar>, D::Error> {
        Vec::<String>::deserialize(d)?
            .iter()
            .map(|text| from_hex(text).and_then(decode_scalar))
            .collect::<Result<_, _>>()
            .map_err(de::Error::custom)
    }
}

/// Serde for fixed-size byte strings (ballot ids, digests) as lowercase hex.
pub mod bytes_hex {
    use super::*;

    pub fn serialize<S: Serializer, const N: usize>(x: &[u8; N], s: S) -> Result<S::Ok, S::Error> {
        put_bytes(x, s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>, const N: usize>(d: D) -> Result<[u8; N], D::Error> {
        take_bytes(d)
    }
}

/// `x` as a scalar (trustee and candidate indices, counts).
pub fn scalar_of(x: u64) -> Scalar {
    Scalar::from(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generator_has_the_rfc_9496_encoding() {
        assert_eq!(
            hex::encode(Point::generator().bytes()),
            "e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76"
        );
    }

    #[test]
    fn non_canonical_points_are_refused() {
        // RFC 9496 A.2: non-canonical field encodings and negative s.
        for bad in [
            "00ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
            "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            "0100000000000000000000000000000000000000000000000000000000000000",
            "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        ] {
            assert!(Point::from_hex(bad).is_err(), "{bad}");
        }
        assert!(Point::from_hex(&"0".repeat(64)).unwrap().is_identity());
    }

    #[test]
    fn non_canonical_scalars_and_upper_case_hex_are_refused() {
        // ℓ itself, little endian.
        let ell = "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010";
        assert!(from_hex::<32>(ell).and_then(decode_scalar).is_err());
        let below = "ecd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010";
        assert!(from_hex::<32>(below).and_then(decode_scalar).is_ok());
        assert!(from_hex::<32>(&below.to_uppercase()).is_err());
        assert!(from_hex::<32>("00").is_err());
    }
}
