//! Verification of the signatures (spec 4) and the commitments of a Chaum–Pedersen proof with
//! base `G` (spec 6.2), shared by the ceremony, ballot and decryption checks.

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::VartimeMultiscalarMul;

use crate::encoding::{self, Point};
use crate::hash::Framed;

/// Schnorr: accept iff `sG == R + cA`, `c = Hs("ee1/signature", A, R, msg)`. `A` was decoded
/// and refused as the identity by the caller.
pub fn signature(a: &Point, msg: &[u8; 64], text: &str) -> Result<(), String> {
    let sig = encoding::bytes::<64>(text).map_err(|e| format!("signature: {e}"))?;
    let (r_bytes, s_bytes) = sig.split_at(32);
    let r = encoding::point_bytes(r_bytes.try_into().expect("32 bytes")).map_err(|e| format!("signature R: {e}"))?;
    let s = encoding::scalar_bytes(s_bytes.try_into().expect("32 bytes")).map_err(|e| format!("signature s: {e}"))?;
    let c = Framed::new("ee1/signature")
        .field(&a.bytes)
        .field(&r.bytes)
        .field(msg)
        .challenge();
    if RistrettoPoint::vartime_double_scalar_mul_basepoint(&-c, &a.point, &s) == r.point {
        Ok(())
    } else {
        Err("signature does not verify".into())
    }
}

/// The commitments `a = vG − cX`, `b = vR − cY` of a proof that `log_G X = log_R Y`,
/// compressed for the challenge.
pub fn dleq_commitments(
    x: &RistrettoPoint,
    r: &RistrettoPoint,
    y: &RistrettoPoint,
    c: &Scalar,
    v: &Scalar,
) -> [[u8; 32]; 2] {
    let a = RistrettoPoint::vartime_double_scalar_mul_basepoint(&-c, x, v);
    let b = RistrettoPoint::vartime_multiscalar_mul([*v, -c], [*r, *y]);
    [a.compress().to_bytes(), b.compress().to_bytes()]
}
