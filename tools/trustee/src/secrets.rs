//! What a trustee keeps between the steps, in its sealed file `secret.sealed`: its index, its
//! signing and receiving keys, then the base hash `Q` and the polynomial drawn under it (from
//! `commit` until the transcript is signed), its share `s_i` and the transcript hash `T` it
//! is valid for (from `receive`), whether it signed `T`, and the cast digest `D` of the one
//! tally it decrypted (from `decrypt`). `Q`, `T` and `D` are not secret: they are kept here so
//! that what the trustee committed to cannot be swapped on disk.
//!
//! Binary layout (little endian), a version byte first:
//! `2 ‖ u32 index ‖ a (32) ‖ x (32) ‖ opt Q (64) ‖ u32 t ‖ t coefficients (32 each) ‖
//! opt s_i (32) ‖ opt T (64) ‖ u8 signed ‖ opt D (64)`, where `opt v` is a byte 0 or `1 ‖ v`.

use anyhow::{bail, ensure, Result};
use curve25519_dalek::scalar::Scalar;
use election_crypto::ceremony::{Polynomial, SecretShare, Trustee};
use election_crypto::group::decode_scalar;
use election_crypto::hash::Digest;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

const VERSION: u8 = 2;

#[derive(Zeroize, ZeroizeOnDrop)]
pub struct Secrets {
    #[zeroize(skip)]
    pub index: u32,
    signing: Scalar,
    receiving: Scalar,
    #[zeroize(skip)]
    pub base_hash: Option<Digest>,
    polynomial: Vec<Scalar>,
    share: Option<Scalar>,
    #[zeroize(skip)]
    pub transcript: Option<Digest>,
    #[zeroize(skip)]
    pub signed: bool,
    /// The cast digest of the tally this trustee decrypted: it decrypts no other (two
    /// tallies of ballot lists that differ by one ballot would reveal that ballot).
    #[zeroize(skip)]
    pub decrypted: Option<Digest>,
}

impl Secrets {
    pub fn new(trustee: &Trustee) -> Self {
        Secrets {
            index: trustee.index(),
            signing: *trustee.signing_secret(),
            receiving: *trustee.receiving_secret(),
            base_hash: None,
            polynomial: Vec::new(),
            share: None,
            transcript: None,
            signed: false,
            decrypted: None,
        }
    }

    pub fn trustee(&self) -> Trustee {
        Trustee::from_secrets(self.index, self.signing, self.receiving)
    }

    /// A fresh receiving key for a restarted ceremony; the signing key (whose fingerprint the
    /// commission checked) stays, everything drawn for the failed run is forgotten.
    pub fn restart(&mut self, fresh: &Trustee) {
        self.receiving = *fresh.receiving_secret();
        self.base_hash = None;
        self.polynomial.zeroize();
        self.polynomial.clear();
        self.share.zeroize();
        self.share = None;
        self.transcript = None;
        self.signed = false;
    }

    pub fn polynomial(&self) -> Option<Polynomial> {
        (!self.polynomial.is_empty()).then(|| Polynomial::from_coefficients(Zeroizing::new(self.polynomial.clone())))
    }

    pub fn set_polynomial(&mut self, q: Digest, poly: &Polynomial) {
        self.base_hash = Some(q);
        self.polynomial = poly.coefficients().to_vec();
    }

    pub fn share(&self) -> Option<SecretShare> {
        self.share
            .map(|s| SecretShare::from_secret(self.index, Zeroizing::new(s)))
    }

    pub fn set_share(&mut self, share: &SecretShare, transcript: Digest) {
        self.share = Some(*share.secret_scalar());
        self.transcript = Some(transcript);
    }

    /// The ceremony is over for this trustee: the polynomial is no longer needed, so it goes.
    pub fn mark_signed(&mut self) {
        self.polynomial.zeroize();
        self.polynomial.clear();
        self.signed = true;
    }

    pub fn encode(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(
            1 + 4 + 64 + 65 + 4 + 32 * self.polynomial.len() + 33 + 65 + 1 + 65,
        ));
        out.push(VERSION);
        out.extend_from_slice(&self.index.to_le_bytes());
        out.extend_from_slice(self.signing.as_bytes());
        out.extend_from_slice(self.receiving.as_bytes());
        put_opt(&mut out, self.base_hash.as_ref().map(|d| &d.0[..]));
        out.extend_from_slice(&(self.polynomial.len() as u32).to_le_bytes());
        for c in &self.polynomial {
            out.extend_from_slice(c.as_bytes());
        }
        put_opt(&mut out, self.share.as_ref().map(|s| &s.as_bytes()[..]));
        put_opt(&mut out, self.transcript.as_ref().map(|d| &d.0[..]));
        out.push(u8::from(self.signed));
        put_opt(&mut out, self.decrypted.as_ref().map(|d| &d.0[..]));
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader(bytes);
        ensure!(r.take::<1>()? == [VERSION], "unknown secret file version");
        let index = u32::from_le_bytes(r.take()?);
        let signing = r.scalar()?;
        let receiving = r.scalar()?;
        let base_hash = r.opt()?.then(|| r.take().map(Digest)).transpose()?;
        let t = u32::from_le_bytes(r.take()?);
        let polynomial = (0..t).map(|_| r.scalar()).collect::<Result<Vec<_>>>()?;
        let share = r.opt()?.then(|| r.scalar()).transpose()?;
        let transcript = r.opt()?.then(|| r.take().map(Digest)).transpose()?;
        let signed = r.opt()?;
        let decrypted = r.opt()?.then(|| r.take().map(Digest)).transpose()?;
        ensure!(r.0.is_empty(), "trailing bytes in the secret file");
        Ok(Secrets {
            index,
            signing,
            receiving,
            base_hash,
            polynomial,
            share,
            transcript,
            signed,
            decrypted,
        })
    }
}

fn put_opt(out: &mut Vec<u8>, value: Option<&[u8]>) {
    match value {
        Some(v) => {
            out.push(1);
            out.extend_from_slice(v);
        }
        None => out.push(0),
    }
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N]> {
        ensure!(self.0.len() >= N, "the secret file is truncated");
        let (head, rest) = self.0.split_at(N);
        self.0 = rest;
        Ok(head.try_into().expect("N bytes"))
    }

    fn scalar(&mut self) -> Result<Scalar> {
        let bytes = Zeroizing::new(self.take::<32>()?);
        // The crate's error quotes the bytes: not for a secret.
        decode_scalar(*bytes).map_err(|_| anyhow::anyhow!("a secret scalar is not canonical"))
    }

    fn opt(&mut self) -> Result<bool> {
        match self.take::<1>()? {
            [0] => Ok(false),
            [1] => Ok(true),
            _ => bail!("a flag in the secret file is neither 0 nor 1"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use election_crypto::randomness::OsRandomness;

    #[test]
    fn encodes_and_decodes_every_stage() {
        let mut rng = OsRandomness;
        let trustee = Trustee::new(2, &mut rng);
        let mut s = Secrets::new(&trustee);
        let back = Secrets::decode(&s.encode()).unwrap();
        assert_eq!(back.encode(), s.encode());
        let q = Digest([7; 64]);
        let (poly, _) = trustee.commit(&q, 3, &mut rng);
        s.set_polynomial(q, &poly);
        s.set_share(&SecretShare::from_secret(2, poly.share_for(2)), Digest([9; 64]));
        s.mark_signed();
        s.decrypted = Some(Digest([3; 64]));
        let back = Secrets::decode(&s.encode()).unwrap();
        assert_eq!(back.encode(), s.encode());
        assert_eq!(back.decrypted, Some(Digest([3; 64])));
        assert_eq!((back.index, back.signed, back.base_hash), (2, true, Some(q)));
        assert!(Secrets::decode(&s.encode()[..10]).is_err());
    }
}
