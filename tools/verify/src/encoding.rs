//! Decoding of the record's text values (spec 2.1, 2.3): strict lowercase hex of a fixed
//! length, canonical ristretto255 points, canonical scalars. Every error is a sentence that
//! names what was wrong, for the failing check to print.

use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;

/// A decoded point with the encoding it was read from: hashing needs the bytes, and
/// recompressing would cost an inversion.
#[derive(Clone, Copy, Debug)]
pub struct Point {
    pub point: RistrettoPoint,
    pub bytes: [u8; 32],
}

impl Point {
    pub fn is_identity(&self) -> bool {
        // Only the identity encodes as 32 zero bytes (RFC 9496), so the bytes decide.
        self.bytes == [0; 32]
    }
}

/// Exactly `N` bytes as `2N` lowercase hex digits; upper case is refused (spec 2.3).
pub fn bytes<const N: usize>(text: &str) -> Result<[u8; N], String> {
    if text.len() != 2 * N {
        return Err(format!("{} hex digits where {} are required", text.len(), 2 * N));
    }
    if !text.bytes().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)) {
        return Err("not lowercase hex".into());
    }
    let mut out = [0u8; N];
    hex::decode_to_slice(text, &mut out).map_err(|e| e.to_string())?;
    Ok(out)
}

pub fn point(text: &str) -> Result<Point, String> {
    point_bytes(bytes::<32>(text)?)
}

pub fn point_bytes(bytes: [u8; 32]) -> Result<Point, String> {
    // dalek's decompression is RFC 9496's decode: it refuses every non-canonical encoding.
    match CompressedRistretto(bytes).decompress() {
        Some(point) => Ok(Point { point, bytes }),
        None => Err(format!(
            "{} is not a canonical ristretto255 encoding",
            hex::encode(bytes)
        )),
    }
}

/// A point that must not be the identity (keys, `α`, commitments' constant terms).
pub fn nonidentity_point(text: &str) -> Result<Point, String> {
    let p = point(text)?;
    if p.is_identity() {
        return Err("the identity".into());
    }
    Ok(p)
}

pub fn scalar(text: &str) -> Result<Scalar, String> {
    scalar_bytes(bytes::<32>(text)?)
}

pub fn scalar_bytes(bytes: [u8; 32]) -> Result<Scalar, String> {
    Option::from(Scalar::from_canonical_bytes(bytes))
        .ok_or_else(|| format!("{} is not a scalar below ℓ", hex::encode(bytes)))
}

pub fn digest(text: &str) -> Result<[u8; 64], String> {
    bytes::<64>(text)
}

pub fn ballot_id(text: &str) -> Result<[u8; 16], String> {
    bytes::<16>(text)
}
