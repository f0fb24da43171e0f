//! The key ceremony (spec 5): Feldman VSS with Schnorr proofs of the coefficients, commitment
//! hashes published before the commitments, shares sealed by ephemeral-static Diffie–Hellman and
//! AES-256-GCM, publicly decidable complaints, the joint key, the extended base hash and the
//! signed transcript.

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::VartimeMultiscalarMul;
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

use crate::error::{ensure, fail, Error};
use crate::group::{decode_scalar, scalar_of, Point};
use crate::hash::{Digest, Framed};
use crate::keys::{fingerprint, verify_signature, KeyPair, Signature};
use crate::manifest::{Manifest, Parameters, GROUP};
use crate::proofs::{prove_dleq, prove_knowledge, verify_dleq, verify_knowledge, CompactProof};
use crate::randomness::Randomness;

/// A trustee's public keys as published (spec 9.1 `trustees`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrusteePublic {
    pub index: u32,
    pub signing_key: Point,
    pub receiving_key: Point,
    pub fingerprint: String,
}

/// `Q = H("ee1/base", manifest_hash, "ristretto255", u64(n), u64(t), [A_i...], [X_i...])`.
pub fn base_hash(manifest: &Manifest, parameters: &Parameters, trustees: &[TrusteePublic]) -> Digest {
    let signing: Vec<u8> = trustees.iter().flat_map(|t| *t.signing_key.bytes()).collect();
    let receiving: Vec<u8> = trustees.iter().flat_map(|t| *t.receiving_key.bytes()).collect();
    Framed::new("ee1/base")
        .digest_field(&manifest.hash())
        .text(GROUP)
        .u64(parameters.trustees.into())
        .u64(parameters.threshold.into())
        .bytes(&signing)
        .bytes(&receiving)
        .digest()
}

/// A trustee's secrets: its signing key and its receiving key (both wiped on drop).
pub struct Trustee {
    index: u32,
    signing: KeyPair,
    receiving: KeyPair,
}

/// A random polynomial of degree t−1; its coefficients are wiped on drop.
pub struct Polynomial(Zeroizing<Vec<Scalar>>);

impl Polynomial {
    /// `P(x)` mod ℓ by Horner's rule.
    fn eval(&self, x: u32) -> Zeroizing<Scalar> {
        let x = scalar_of(x.into());
        Zeroizing::new(self.0.iter().rev().fold(Scalar::ZERO, |acc, c| acc * x + c))
    }
}

/// A trustee's published commitments and proofs (spec 9.1 `ceremony.commitments`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Commitments {
    pub trustee: u32,
    pub coefficients: Vec<Point>,
    pub proofs: Vec<CompactProof>,
    pub commitment_hash: Digest,
    pub signature: Signature,
}

/// A share in transit from `sender` to `recipient` (spec 5.3); not part of the record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    pub sender: u32,
    pub recipient: u32,
    pub ephemeral: Point,
    #[serde(with = "hex")]
    pub ciphertext: Vec<u8>,
    pub signature: Signature,
}

/// A recipient's signed complaint about an envelope (spec 5.4), revealing its shared point.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Complaint {
    pub complainer: u32,
    pub accused: u32,
    pub reason: String,
    pub envelope: Envelope,
    pub shared: Point,
    pub proof: CompactProof,
    pub signature: Signature,
}

/// Who a complaint shows at fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The complaint's proof or signature fails: it proves nothing.
    Void,
    /// The sender's envelope was bad.
    Accused,
    /// The envelope was good: a false complaint.
    Complainer,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TranscriptSignature {
    pub trustee: u32,
    pub signature: Signature,
}

/// The ceremony's published result (spec 9.1 `ceremony`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ceremony {
    pub commitments: Vec<Commitments>,
    pub joint_key: Point,
    pub extended_base_hash: Digest,
    pub transcript_hash: Digest,
    pub transcript_signatures: Vec<TranscriptSignature>,
}

/// Trustee `i`'s share of the joint secret, `s_i = Σ_j P_j(i)`, wiped on drop.
pub struct SecretShare {
    pub index: u32,
    secret: Zeroizing<Scalar>,
}

impl SecretShare {
    pub(crate) fn secret(&self) -> &Scalar {
        &self.secret
    }
}

fn coefficient_challenge(q: &Digest, i: u32, k: usize, c: &Point, h: &Point) -> Scalar {
    Framed::new("ee1/coefficient")
        .digest_field(q)
        .u64(i.into())
        .u64(k as u64)
        .point(c)
        .point(h)
        .challenge()
}

/// `h_i = H("ee1/commitments", Q, u64(i), [C_{i,k}...], [c ‖ v ...])`.
pub fn commitment_hash(q: &Digest, i: u32, coefficients: &[Point], proofs: &[CompactProof]) -> Digest {
    let points: Vec<u8> = coefficients.iter().flat_map(|c| *c.bytes()).collect();
    let responses: Vec<u8> = proofs
        .iter()
        .flat_map(|p| [*p.c.as_bytes(), *p.v.as_bytes()].concat())
        .collect();
    Framed::new("ee1/commitments")
        .digest_field(q)
        .u64(i.into())
        .bytes(&points)
        .bytes(&responses)
        .digest()
}

fn share_key(q: &Digest, i: u32, j: u32, e: &Point, s: &Point) -> Zeroizing<[u8; 32]> {
    let digest = Framed::new("ee1/share-key")
        .digest_field(q)
        .u64(i.into())
        .u64(j.into())
        .point(e)
        .point(s)
        .digest();
    let mut key = Zeroizing::new([0u8; 32]);
    key.copy_from_slice(&digest.0[..32]);
    key
}

/// The associated data: the framing of ("ee1/share-ad", Q, u64(i), u64(j), E), not hashed.
fn share_aad(q: &Digest, i: u32, j: u32, e: &Point) -> Vec<u8> {
    let fields: [&[u8]; 5] = [
        b"ee1/share-ad",
        &q.0,
        &u64::from(i).to_le_bytes(),
        &u64::from(j).to_le_bytes(),
        e.bytes(),
    ];
    fields
        .iter()
        .flat_map(|f| [&(f.len() as u64).to_le_bytes()[..], f].concat())
        .collect()
}

fn envelope_message(q: &Digest, i: u32, j: u32, e: &Point, ciphertext: &[u8]) -> Digest {
    Framed::new("ee1/share-envelope")
        .digest_field(q)
        .u64(i.into())
        .u64(j.into())
        .point(e)
        .bytes(ciphertext)
        .digest()
}

pub fn envelope_signed(q: &Digest, env: &Envelope, sender: &TrusteePublic) -> Result<(), Error> {
    let msg = envelope_message(q, env.sender, env.recipient, &env.ephemeral, &env.ciphertext);
    verify_signature(&sender.signing_key, &msg, &env.signature, "ceremony", "envelope")
}

/// AES-256-GCM with a zero nonce: each key seals exactly one share (it depends on a fresh `E`).
fn cipher(key: &[u8; 32]) -> Aes256Gcm {
    Aes256Gcm::new_from_slice(key).expect("a 32-byte key")
}

/// Opens an envelope with its shared point; the share is checked against the sender's commitments.
fn open_with(
    q: &Digest,
    env: &Envelope,
    shared: &Point,
    commitments: &Commitments,
) -> Result<Zeroizing<Scalar>, String> {
    let key = share_key(q, env.sender, env.recipient, &env.ephemeral, shared);
    let aad = share_aad(q, env.sender, env.recipient, &env.ephemeral);
    let plain = Zeroizing::new(
        cipher(&key)
            .decrypt(
                &Nonce::default(),
                Payload {
                    msg: &env.ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| "the envelope does not open".to_string())?,
    );
    let bytes: [u8; 32] = plain[..]
        .try_into()
        .map_err(|_| "the share is not 32 bytes".to_string())?;
    let share = Zeroizing::new(decode_scalar(bytes).map_err(|e| e.to_string())?);
    if &*share * RISTRETTO_BASEPOINT_TABLE != expected_share(env.recipient, commitments) {
        return Err("the share does not match the sender's commitments".into());
    }
    Ok(share)
}

/// `Σ_k j^k C_k`: what `P(j)·G` must be.
pub fn expected_share(j: u32, commitments: &Commitments) -> RistrettoPoint {
    let x = scalar_of(j.into());
    // dalek's multiscalar multiplication wants exact lengths: collect the powers.
    let powers: Vec<Scalar> = std::iter::successors(Some(Scalar::ONE), |p| Some(p * x))
        .take(commitments.coefficients.len())
        .collect();
    RistrettoPoint::vartime_multiscalar_mul(powers, commitments.coefficients.iter().map(|c| *c.point()))
}

/// `Hs("ee1/complaint", Q, u64(j), u64(i), X_j, E, S, a, b)`: `points` in that order.
fn complaint_challenge(q: &Digest, j: u32, i: u32, points: [&Point; 5]) -> Scalar {
    points
        .iter()
        .fold(
            Framed::new("ee1/complaint").digest_field(q).u64(j.into()).u64(i.into()),
            |h, p| h.point(p),
        )
        .challenge()
}

fn complaint_message(q: &Digest, j: u32, env: &Envelope, shared: &Point, proof: &CompactProof) -> Digest {
    Framed::new("ee1/complaint-signed")
        .digest_field(q)
        .u64(j.into())
        .u64(env.sender.into())
        .point(&env.ephemeral)
        .bytes(&env.ciphertext)
        .point(shared)
        .scalar(&proof.c)
        .scalar(&proof.v)
        .digest()
}

impl Trustee {
    pub fn new(index: u32, rng: &mut impl Randomness) -> Self {
        Trustee {
            index,
            signing: KeyPair::generate(rng, &format!("trustee/{index}/signing-key")),
            receiving: KeyPair::generate(rng, &format!("trustee/{index}/receiving-key")),
        }
    }

    pub fn index(&self) -> u32 {
        self.index
    }

    pub fn public(&self) -> TrusteePublic {
        TrusteePublic {
            index: self.index,
            signing_key: *self.signing.public(),
            receiving_key: *self.receiving.public(),
            fingerprint: fingerprint(self.signing.public()),
        }
    }

    /// Step 2: a random polynomial of degree `t−1`, its commitments with proofs, and the signed
    /// commitment hash (publish `commitment_hash` and `signature` first, the rest after).
    pub fn commit(&self, q: &Digest, threshold: u32, rng: &mut impl Randomness) -> (Polynomial, Commitments) {
        let i = self.index;
        let poly = Polynomial(Zeroizing::new(
            (0..threshold)
                .map(|k| rng.scalar(&format!("trustee/{i}/coefficient/{k}")))
                .collect(),
        ));
        let coefficients: Vec<Point> = poly
            .0
            .iter()
            .map(|p| Point::new(p * RISTRETTO_BASEPOINT_TABLE))
            .collect();
        let proofs: Vec<CompactProof> = poly
            .0
            .iter()
            .zip(&coefficients)
            .enumerate()
            .map(|(k, (p, c))| {
                let u = rng.scalar(&format!("trustee/{i}/coefficient-proof/{k}"));
                prove_knowledge(p, u, |h| coefficient_challenge(q, i, k, c, h))
            })
            .collect();
        let commitment_hash = commitment_hash(q, i, &coefficients, &proofs);
        let signature = self
            .signing
            .sign(&commitment_hash, rng, &format!("trustee/{i}/sign/commitments"));
        let commitments = Commitments {
            trustee: i,
            coefficients,
            proofs,
            commitment_hash,
            signature,
        };
        (poly, commitments)
    }

    /// Step 4: `P_i(j)` sealed to trustee `j`'s receiving key, signed.
    pub fn seal_share(
        &self,
        q: &Digest,
        poly: &Polynomial,
        recipient: &TrusteePublic,
        rng: &mut impl Randomness,
    ) -> Envelope {
        let (i, j) = (self.index, recipient.index);
        let mut e = rng.scalar(&format!("trustee/{i}/share/{j}/ephemeral"));
        let ephemeral = Point::new(&e * RISTRETTO_BASEPOINT_TABLE);
        let shared = Point::new(e * recipient.receiving_key.point());
        e.zeroize();
        let key = share_key(q, i, j, &ephemeral, &shared);
        let aad = share_aad(q, i, j, &ephemeral);
        let share = poly.eval(j);
        let ciphertext = cipher(&key)
            .encrypt(
                &Nonce::default(),
                Payload {
                    msg: share.as_bytes(),
                    aad: &aad,
                },
            )
            .expect("AES-GCM seals 32 bytes");
        let msg = envelope_message(q, i, j, &ephemeral, &ciphertext);
        let signature = self.signing.sign(&msg, rng, &format!("trustee/{i}/sign/share/{j}"));
        Envelope {
            sender: i,
            recipient: j,
            ephemeral,
            ciphertext,
            signature,
        }
    }

    /// Step 5: opens an envelope from `sender` and checks it against the sender's commitments.
    /// An envelope not addressed from this sender to this trustee, or not signed by the
    /// sender, is refused without a complaint: nothing attributes it to the sender (anyone
    /// could have made it), so it must be asked for again, and the shared point of an
    /// envelope someone else chose is never revealed. A signed envelope that fails to open
    /// or whose share does not match the commitments becomes a signed complaint.
    pub fn open_share(
        &self,
        q: &Digest,
        env: &Envelope,
        sender: &TrusteePublic,
        commitments: &Commitments,
        rng: &mut impl Randomness,
    ) -> Result<Zeroizing<Scalar>, ShareRefused> {
        if env.recipient != self.index || env.sender != sender.index || commitments.trustee != sender.index {
            return Err(ShareRefused::NotFromSender(
                "the envelope is not addressed from this sender to this trustee".into(),
            ));
        }
        envelope_signed(q, env, sender).map_err(|e| ShareRefused::NotFromSender(e.to_string()))?;
        let shared = Point::new(self.receiving.secret() * env.ephemeral.point());
        open_with(q, env, &shared, commitments)
            .map_err(|reason| ShareRefused::Complaint(Box::new(self.complain(q, env, shared, reason, rng))))
    }

    fn complain(
        &self,
        q: &Digest,
        env: &Envelope,
        shared: Point,
        reason: String,
        rng: &mut impl Randomness,
    ) -> Complaint {
        let (j, i) = (self.index, env.sender);
        let u = rng.scalar(&format!("trustee/{j}/complaint/{i}/u"));
        let x = *self.receiving.public();
        let proof = prove_dleq(self.receiving.secret(), env.ephemeral.point(), u, |a, b| {
            complaint_challenge(q, j, i, [&x, &env.ephemeral, &shared, a, b])
        });
        let msg = complaint_message(q, j, env, &shared, &proof);
        let signature = self.signing.sign(&msg, rng, &format!("trustee/{j}/sign/complaint/{i}"));
        Complaint {
            complainer: j,
            accused: i,
            reason,
            envelope: env.clone(),
            shared,
            proof,
            signature,
        }
    }

    /// Step 7: the signature on the transcript hash `T`.
    pub fn sign_transcript(&self, transcript: &Digest, rng: &mut impl Randomness) -> TranscriptSignature {
        TranscriptSignature {
            trustee: self.index,
            signature: self
                .signing
                .sign(transcript, rng, &format!("trustee/{}/sign/transcript", self.index)),
        }
    }
}

/// Why a share was not accepted.
#[derive(Debug)]
pub enum ShareRefused {
    /// The envelope is not the sender's (not addressed, or not signed by it): ask for it
    /// again; it blames no one.
    NotFromSender(String),
    /// The sender's own envelope fails: a complaint that names it.
    Complaint(Box<Complaint>),
}

impl std::fmt::Display for ShareRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ShareRefused::NotFromSender(why) => write!(f, "an envelope that is not its sender's ({why})"),
            ShareRefused::Complaint(complaint) => write!(
                f,
                "a complaint against trustee {}: {}",
                complaint.accused, complaint.reason
            ),
        }
    }
}

/// Decides a complaint (spec 5.4): anyone can, from the public keys and commitments.
pub fn judge(
    q: &Digest,
    complaint: &Complaint,
    complainer: &TrusteePublic,
    accused: &TrusteePublic,
    commitments: &Commitments,
) -> Fault {
    let env = &complaint.envelope;
    let (j, i) = (complaint.complainer, complaint.accused);
    let proof_ok = verify_dleq(
        &complaint.proof,
        complainer.receiving_key.point(),
        env.ephemeral.point(),
        complaint.shared.point(),
        |a, b| {
            complaint_challenge(
                q,
                j,
                i,
                [&complainer.receiving_key, &env.ephemeral, &complaint.shared, a, b],
            )
        },
    );
    let msg = complaint_message(q, j, env, &complaint.shared, &complaint.proof);
    let signed = verify_signature(
        &complainer.signing_key,
        &msg,
        &complaint.signature,
        "ceremony",
        "complaint",
    )
    .is_ok();
    let addressed = env.recipient == j
        && env.sender == i
        && complainer.index == j
        && accused.index == i
        && commitments.trustee == i;
    // An envelope the accused did not sign is not the accused's: it proves nothing against it.
    if !(proof_ok && signed && addressed) || envelope_signed(q, env, accused).is_err() {
        return Fault::Void;
    }
    if open_with(q, env, &complaint.shared, commitments).is_ok() {
        Fault::Complainer
    } else {
        Fault::Accused
    }
}

/// V5–V7 for one trustee: `t` coefficients, `C_0` not the identity, every proof, the
/// commitment hash and its signature.
pub fn verify_commitments(q: &Digest, threshold: u32, trustee: &TrusteePublic, c: &Commitments) -> Result<(), Error> {
    let i = trustee.index;
    ensure(
        c.trustee == i && c.coefficients.len() == threshold as usize && c.proofs.len() == threshold as usize,
        "V5",
        || format!("trustee {i}: expected {threshold} coefficients and proofs"),
    )?;
    ensure(!c.coefficients[0].is_identity(), "V5", || {
        format!("trustee {i}: the constant-term commitment is the identity")
    })?;
    for (k, (point, proof)) in c.coefficients.iter().zip(&c.proofs).enumerate() {
        ensure(
            verify_knowledge(proof, point, |h| coefficient_challenge(q, i, k, point, h)),
            "V6",
            || format!("trustee {i}: coefficient proof {k} fails"),
        )?;
    }
    ensure(
        commitment_hash(q, i, &c.coefficients, &c.proofs) == c.commitment_hash,
        "V7",
        || format!("trustee {i}: commitment hash does not recompute"),
    )?;
    verify_signature(
        &trustee.signing_key,
        &c.commitment_hash,
        &c.signature,
        "V7",
        &format!("trustee {i} commitment hash"),
    )
}

/// `K = Σ_i C_{i,0}`, refused if the identity.
pub fn joint_key(commitments: &[Commitments]) -> Result<Point, Error> {
    let k = Point::new(commitments.iter().map(|c| c.coefficients[0].point()).sum());
    ensure(!k.is_identity(), "V8", || "the joint key is the identity".into())?;
    Ok(k)
}

/// `Q̄ = H("ee1/extended-base", Q, K)`.
pub fn extended_base_hash(q: &Digest, k: &Point) -> Digest {
    Framed::new("ee1/extended-base").digest_field(q).point(k).digest()
}

/// `T = H("ee1/transcript", Q̄, K, h_1, ..., h_n)`.
pub fn transcript_hash(qbar: &Digest, k: &Point, commitments: &[Commitments]) -> Digest {
    commitments
        .iter()
        .fold(Framed::new("ee1/transcript").digest_field(qbar).point(k), |h, c| {
            h.digest_field(&c.commitment_hash)
        })
        .digest()
}

/// `K_i = Σ_j Σ_k i^k C_{j,k}`, refused if the identity.
pub fn public_share(i: u32, commitments: &[Commitments]) -> Result<Point, Error> {
    let k = Point::new(commitments.iter().map(|c| expected_share(i, c)).sum());
    ensure(!k.is_identity(), "V11", || {
        format!("trustee {i}'s public share is the identity")
    })?;
    Ok(k)
}

/// The whole ceremony run in one process (tests, vectors, benchmarks): every step in order,
/// with every check; a complaint stops it (the ceremony restarts).
pub fn run(
    manifest: &Manifest,
    parameters: &Parameters,
    trustees: &[Trustee],
    rng: &mut impl Randomness,
) -> Result<(Ceremony, Vec<SecretShare>), ShareRefused> {
    let publics: Vec<TrusteePublic> = trustees.iter().map(Trustee::public).collect();
    let q = base_hash(manifest, parameters, &publics);
    let (polys, commitments): (Vec<Polynomial>, Vec<Commitments>) =
        trustees.iter().map(|t| t.commit(&q, parameters.threshold, rng)).unzip();
    let mut shares = Vec::with_capacity(trustees.len());
    for recipient in trustees {
        let mut secret = Zeroizing::new(Scalar::ZERO);
        for (sender, poly) in trustees.iter().zip(&polys) {
            let s = if sender.index == recipient.index {
                poly.eval(recipient.index)
            } else {
                let env = sender.seal_share(&q, poly, &publics[(recipient.index - 1) as usize], rng);
                recipient.open_share(
                    &q,
                    &env,
                    &publics[(sender.index - 1) as usize],
                    &commitments[(sender.index - 1) as usize],
                    rng,
                )?
            };
            *secret += *s;
        }
        shares.push(SecretShare {
            index: recipient.index,
            secret,
        });
    }
    let joint_key = joint_key(&commitments).expect("random commitments sum to a non-identity key");
    let qbar = extended_base_hash(&q, &joint_key);
    let transcript = transcript_hash(&qbar, &joint_key, &commitments);
    let transcript_signatures = trustees.iter().map(|t| t.sign_transcript(&transcript, rng)).collect();
    Ok((
        Ceremony {
            commitments,
            joint_key,
            extended_base_hash: qbar,
            transcript_hash: transcript,
            transcript_signatures,
        },
        shares,
    ))
}

/// Spec 5.1's identity `s_i G == K_i`, for a trustee checking its own share.
pub fn share_matches(share: &SecretShare, commitments: &[Commitments]) -> Result<(), Error> {
    let expected = public_share(share.index, commitments)?;
    if Point::new(share.secret() * RISTRETTO_BASEPOINT_TABLE) == expected {
        Ok(())
    } else {
        Err(fail(
            "V11",
            format!("trustee {}'s share does not match its public share", share.index),
        ))
    }
}

impl std::fmt::Debug for SecretShare {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretShare {{ index: {}, .. }}", self.index)
    }
}

/// Storing and restoring a trustee's secrets between the ceremony's steps, when each step is a
/// separate process (the `trustee` tool keeps them sealed on disk in between).
impl Trustee {
    pub fn from_secrets(index: u32, signing: Scalar, receiving: Scalar) -> Self {
        Trustee {
            index,
            signing: KeyPair::from_secret(signing),
            receiving: KeyPair::from_secret(receiving),
        }
    }

    pub fn signing_secret(&self) -> &Scalar {
        self.signing.secret()
    }

    pub fn receiving_secret(&self) -> &Scalar {
        self.receiving.secret()
    }
}

impl Polynomial {
    pub fn from_coefficients(coefficients: Zeroizing<Vec<Scalar>>) -> Self {
        Polynomial(coefficients)
    }

    pub fn coefficients(&self) -> &[Scalar] {
        &self.0
    }

    /// `P(j)`: the share a trustee keeps for itself (`j = i`) is never sealed in an envelope.
    pub fn share_for(&self, j: u32) -> Zeroizing<Scalar> {
        self.eval(j)
    }
}

impl SecretShare {
    /// `s_i` as summed by the trustee itself from its own `P_i(i)` and the shares it opened.
    pub fn from_secret(index: u32, secret: Zeroizing<Scalar>) -> Self {
        SecretShare { index, secret }
    }

    pub fn secret_scalar(&self) -> &Scalar {
        &self.secret
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Candidate;
    use crate::randomness::Seeded;

    /// Two candidates, `a` and `b`.
    fn manifest() -> Manifest {
        let candidate = |id: &str| Candidate {
            id: id.into(),
            name: id.to_uppercase(),
        };
        Manifest {
            election_id: "e".into(),
            candidates: vec![candidate("a"), candidate("b")],
        }
    }

    fn setup(n: u32) -> (Vec<Trustee>, Vec<TrusteePublic>, Digest, Seeded) {
        let mut rng = Seeded::new(b"ceremony tests");
        let trustees: Vec<Trustee> = (1..=n).map(|i| Trustee::new(i, &mut rng)).collect();
        let publics: Vec<TrusteePublic> = trustees.iter().map(Trustee::public).collect();
        let q = base_hash(&manifest(), &Parameters::new(n, 2), &publics);
        (trustees, publics, q, rng)
    }

    #[test]
    fn an_honest_ceremony_gives_shares_that_match_their_public_shares() {
        let (trustees, _, _, mut rng) = setup(3);
        let (ceremony, shares) = run(&manifest(), &Parameters::new(3, 2), &trustees, &mut rng).unwrap();
        for share in &shares {
            share_matches(share, &ceremony.commitments).unwrap();
        }
    }

    #[test]
    fn a_share_that_does_not_match_its_commitments_is_refused_with_a_complaint() {
        let (trustees, publics, q, mut rng) = setup(3);
        let (_, published) = trustees[0].commit(&q, 2, &mut rng);
        let (other_poly, _) = trustees[0].commit(&q, 2, &mut rng.scoped("again/"));
        let env = trustees[0].seal_share(&q, &other_poly, &publics[1], &mut rng);
        let Err(ShareRefused::Complaint(complaint)) =
            trustees[1].open_share(&q, &env, &publics[0], &published, &mut rng)
        else {
            panic!("a complaint")
        };
        assert_eq!((complaint.complainer, complaint.accused), (2, 1));
        assert!(complaint.reason.contains("commitments"));
        assert_eq!(
            judge(&q, &complaint, &publics[1], &publics[0], &published),
            Fault::Accused
        );
        // A tampered complaint proves nothing.
        let mut tampered = complaint.clone();
        tampered.shared = publics[2].receiving_key;
        assert_eq!(judge(&q, &tampered, &publics[1], &publics[0], &published), Fault::Void);
    }

    #[test]
    fn a_false_complaint_names_the_complainer() {
        let (trustees, publics, q, mut rng) = setup(3);
        let (poly, published) = trustees[0].commit(&q, 2, &mut rng);
        let env = trustees[0].seal_share(&q, &poly, &publics[2], &mut rng);
        assert!(trustees[2]
            .open_share(&q, &env, &publics[0], &published, &mut rng)
            .is_ok());
        let shared = Point::new(trustees[2].receiving.secret() * env.ephemeral.point());
        let lie = trustees[2].complain(&q, &env, shared, "lie".into(), &mut rng);
        assert_eq!(judge(&q, &lie, &publics[2], &publics[0], &published), Fault::Complainer);
    }

    #[test]
    fn an_envelope_the_sender_did_not_sign_blames_no_one() {
        let (trustees, publics, q, mut rng) = setup(3);
        let (poly, published) = trustees[0].commit(&q, 2, &mut rng);
        let mut forged = trustees[0].seal_share(&q, &poly, &publics[1], &mut rng);
        forged.ciphertext[0] ^= 1;
        // The recipient refuses it without a complaint: it must be asked for again.
        assert!(matches!(
            trustees[1].open_share(&q, &forged, &publics[0], &published, &mut rng),
            Err(ShareRefused::NotFromSender(_))
        ));
        // And a complaint made about it anyway (by a recipient, or by whoever forged it)
        // proves nothing against the sender.
        let shared = Point::new(trustees[1].receiving.secret() * forged.ephemeral.point());
        let complaint = trustees[1].complain(&q, &forged, shared, "forged".into(), &mut rng);
        assert_eq!(judge(&q, &complaint, &publics[1], &publics[0], &published), Fault::Void);
    }

    #[test]
    fn identity_constant_terms_and_an_identity_joint_key_are_refused() {
        let (trustees, publics, q, mut rng) = setup(2);
        let (_, mut a) = trustees[0].commit(&q, 2, &mut rng);
        let (_, mut b) = trustees[1].commit(&q, 2, &mut rng);
        verify_commitments(&q, 2, &publics[0], &a).unwrap();
        b.coefficients[0] = Point::new(-a.coefficients[0].point());
        assert!(matches!(
            joint_key(&[a.clone(), b]),
            Err(Error::Check { check: "V8", .. })
        ));
        a.coefficients[0] = Point::new(RistrettoPoint::default());
        assert!(matches!(
            verify_commitments(&q, 2, &publics[0], &a),
            Err(Error::Check { check: "V5", .. })
        ));
    }
}
