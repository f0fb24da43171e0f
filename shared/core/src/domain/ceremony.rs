//! The key ceremony of a verifiable election (docs/election-record.md §5) as the server relays
//! it: the messages in, the step open, and every check the server can make of a message before
//! it stores it. The trustees' secrets never come here: a share travels sealed to its recipient.
//! After the close, the same messages keep the frozen tally and each trustee's checked partial
//! decryption of it.

use election_crypto::ceremony::{
    base_hash, envelope_signed, extended_base_hash, joint_key, judge, public_share, transcript_hash,
    verify_commitments, Ceremony as Published, Commitments, Complaint, Envelope, Fault, TranscriptSignature,
    TrusteePublic,
};
use election_crypto::decryption::{verify_partial, PartialDecryption};
use election_crypto::hash::Digest;
use election_crypto::keys::{fingerprint, verify_signature, Signature};
use election_crypto::manifest::{Manifest, Parameters};
use election_crypto::record::ElectionFile;
use election_crypto::tally::EncryptedTally;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What a message is: the manifest the commission freezes, then each trustee's steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    Manifest,
    Keys,
    CommitmentHash,
    Commitments,
    Shares,
    Complaint,
    TranscriptSignature,
    /// After the close: the encrypted tally, frozen once (by the system, trustee 0).
    Tally,
    /// A trustee's partial decryption of the frozen tally, with its proofs.
    PartialDecryption,
    /// When the record is published (by the system): the tracking codes of the ballots that
    /// reached the box after the tally froze, never counted.
    LateBallots,
}

impl Step {
    /// The steps a trustee posts, by their name in the API's path.
    pub const POSTED: [Step; 6] = [
        Step::Keys,
        Step::CommitmentHash,
        Step::Commitments,
        Step::Shares,
        Step::Complaint,
        Step::TranscriptSignature,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Step::Manifest => "manifest",
            Step::Keys => "keys",
            Step::CommitmentHash => "commitment-hash",
            Step::Commitments => "commitments",
            Step::Shares => "shares",
            Step::Complaint => "complaint",
            Step::TranscriptSignature => "transcript-signature",
            Step::Tally => "tally",
            Step::PartialDecryption => "partial-decryption",
            Step::LateBallots => "late-ballots",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        std::iter::once(Step::Manifest)
            .chain(Step::POSTED)
            .chain([Step::Tally, Step::PartialDecryption, Step::LateBallots])
            .find(|s| s.as_str() == name)
    }
}

/// A message as stored: its step, who posted it (0: the commission), the ceremony's attempt
/// (0, then one more at each restart) and its JSON, written once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub step: Step,
    pub trustee: u32,
    pub attempt: u32,
    pub body: String,
}

/// Where a ceremony stands: the step open, or its end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// The commission has not frozen the manifest yet.
    NotStarted,
    Keys,
    CommitmentHashes,
    Commitments,
    Shares,
    TranscriptSignatures,
    /// A complaint that is not void: a trustee is at fault (the view names it).
    Stopped,
    Complete,
}

/// Step 2: the commitment hash, signed, published before any commitment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommitmentHash {
    pub trustee: u32,
    pub commitment_hash: Digest,
    pub signature: Signature,
}

impl CommitmentHash {
    /// What a trustee publishes first of its commitments.
    pub fn of(commitments: &Commitments) -> Self {
        Self {
            trustee: commitments.trustee,
            commitment_hash: commitments.commitment_hash,
            signature: commitments.signature,
        }
    }
}

/// Step 4: a trustee's envelopes, one for every other trustee.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shares {
    pub trustee: u32,
    pub envelopes: Vec<Envelope>,
}

/// A complaint with the server's judgement (anyone can judge it again from the record).
#[derive(Clone, Debug, Serialize)]
pub struct Judged {
    pub complaint: Complaint,
    /// The trustee the complaint shows at fault: the accused, or a false complainer.
    pub at_fault: u32,
}

/// Why a message is not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Not this step's turn: the step before is not complete, or this one is over.
    #[error("{0}")]
    OutOfStep(String),
    /// The message does not parse, or a check of it fails: it is not stored.
    #[error("{0}")]
    Invalid(String),
}

fn invalid(detail: impl std::fmt::Display) -> Refusal {
    Refusal::Invalid(detail.to_string())
}

/// The ceremony so far, rebuilt from its stored messages.
#[derive(Clone, Debug)]
pub struct Ceremony {
    /// Which run of the ceremony this is: a complaint that is not void stops one, and the
    /// commission restarts it, every trustee posting afresh (spec 5.1, step 5).
    pub attempt: u32,
    pub manifest: Option<Manifest>,
    pub parameters: Parameters,
    pub keys: BTreeMap<u32, TrusteePublic>,
    pub hashes: BTreeMap<u32, CommitmentHash>,
    pub commitments: BTreeMap<u32, Commitments>,
    pub shares: BTreeMap<u32, Shares>,
    pub complaints: Vec<Judged>,
    pub signatures: BTreeMap<u32, TranscriptSignature>,
}

fn parse<T: DeserializeOwned>(body: &str) -> Result<T, Refusal> {
    serde_json::from_str(body).map_err(invalid)
}

fn from<T: DeserializeOwned>(body: serde_json::Value) -> Result<T, Refusal> {
    serde_json::from_value(body).map_err(invalid)
}

fn canonical(value: &impl Serialize) -> String {
    serde_json::to_string(value).expect("the ceremony's messages serialize")
}

impl Ceremony {
    /// The commission freezes the manifest (the candidates and their order): the ceremony starts.
    pub fn freeze(&self, manifest: Manifest) -> Result<Message, Refusal> {
        if self.manifest.is_some() {
            return Err(Refusal::OutOfStep("the ceremony has started already".into()));
        }
        election_crypto::manifest::check(&manifest, &self.parameters).map_err(invalid)?;
        Ok(Message {
            step: Step::Manifest,
            trustee: 0,
            attempt: 0,
            body: canonical(&manifest),
        })
    }

    /// The stored messages of an election of `trustees` and `threshold` that belong to
    /// `attempt` (the manifest belongs to all), each checked when it was stored; one that no
    /// longer parses is an error (the store is corrupt).
    pub fn rebuild(trustees: u32, threshold: u32, attempt: u32, messages: &[Message]) -> Result<Self, Refusal> {
        let mut ceremony = Ceremony {
            attempt,
            manifest: None,
            parameters: Parameters::new(trustees, threshold),
            keys: BTreeMap::new(),
            hashes: BTreeMap::new(),
            commitments: BTreeMap::new(),
            shares: BTreeMap::new(),
            complaints: Vec::new(),
            signatures: BTreeMap::new(),
        };
        let mut sorted: Vec<&Message> = messages
            .iter()
            .filter(|m| m.step == Step::Manifest || m.attempt == attempt)
            .collect();
        sorted.sort_by_key(|m| (m.step, m.trustee));
        for m in sorted {
            let i = m.trustee;
            match m.step {
                Step::Manifest => ceremony.manifest = Some(parse(&m.body)?),
                Step::Keys => _ = ceremony.keys.insert(i, parse(&m.body)?),
                Step::CommitmentHash => _ = ceremony.hashes.insert(i, parse(&m.body)?),
                Step::Commitments => _ = ceremony.commitments.insert(i, parse(&m.body)?),
                Step::Shares => _ = ceremony.shares.insert(i, parse(&m.body)?),
                Step::Complaint => {
                    let complaint: Complaint = parse(&m.body)?;
                    let at_fault = ceremony.fault_of(&complaint)?;
                    ceremony.complaints.push(Judged { complaint, at_fault });
                }
                Step::TranscriptSignature => _ = ceremony.signatures.insert(i, parse(&m.body)?),
                // The decryption's messages: read by the tally (use_cases::tally).
                Step::Tally | Step::PartialDecryption | Step::LateBallots => {}
            }
        }
        Ok(ceremony)
    }

    fn n(&self) -> usize {
        self.parameters.trustees as usize
    }

    pub fn phase(&self) -> Phase {
        let n = self.n();
        if self.manifest.is_none() {
            Phase::NotStarted
        } else if !self.complaints.is_empty() {
            Phase::Stopped
        } else if self.keys.len() < n {
            Phase::Keys
        } else if self.hashes.len() < n {
            Phase::CommitmentHashes
        } else if self.commitments.len() < n {
            Phase::Commitments
        } else if self.shares.len() < n {
            Phase::Shares
        } else if self.signatures.len() < n {
            Phase::TranscriptSignatures
        } else {
            Phase::Complete
        }
    }

    /// `Q`, once every trustee's keys are in.
    pub fn base_hash(&self) -> Option<Digest> {
        let manifest = self.manifest.as_ref()?;
        (self.keys.len() == self.n()).then(|| {
            let publics: Vec<TrusteePublic> = self.keys.values().cloned().collect();
            base_hash(manifest, &self.parameters, &publics)
        })
    }

    /// `(K, Q̄, T)`, once every trustee's commitments are in.
    pub fn joint(&self) -> Option<(election_crypto::group::Point, Digest, Digest)> {
        let q = self.base_hash()?;
        if self.commitments.len() < self.n() {
            return None;
        }
        let commitments: Vec<Commitments> = self.commitments.values().cloned().collect();
        let k = joint_key(&commitments).ok()?;
        let qbar = extended_base_hash(&q, &k);
        Some((k, qbar, transcript_hash(&qbar, &k, &commitments)))
    }

    /// The election file of the record (spec 9.1), once the ceremony is complete.
    pub fn election_file(&self) -> Option<ElectionFile> {
        if self.phase() != Phase::Complete {
            return None;
        }
        let (joint_key, extended_base_hash, transcript_hash) = self.joint()?;
        let published = Published {
            commitments: self.commitments.values().cloned().collect(),
            joint_key,
            extended_base_hash,
            transcript_hash,
            transcript_signatures: self.signatures.values().cloned().collect(),
        };
        Some(ElectionFile::new(
            self.manifest.clone()?,
            self.parameters.clone(),
            self.keys.values().cloned().collect(),
            published,
        ))
    }

    /// The envelopes addressed to trustee `j`.
    pub fn envelopes_for(&self, j: u32) -> Vec<Envelope> {
        self.shares
            .values()
            .flat_map(|s| s.envelopes.iter().filter(|e| e.recipient == j).cloned())
            .collect()
    }

    fn open(&self, step: Step, phase: Phase) -> Result<(), Refusal> {
        let now = self.phase();
        if now == phase {
            Ok(())
        } else {
            Err(Refusal::OutOfStep(format!(
                "the ceremony is at {}: a {} message is not taken now",
                serde_json::to_value(now).map(|v| v.to_string()).unwrap_or_default(),
                step.as_str()
            )))
        }
    }

    fn public(&self, i: u32) -> Result<&TrusteePublic, Refusal> {
        self.keys
            .get(&i)
            .ok_or_else(|| invalid(format!("trustee {i} has no keys")))
    }

    fn fault_of(&self, complaint: &Complaint) -> Result<u32, Refusal> {
        let q = self.base_hash().ok_or_else(|| invalid("a complaint before the keys"))?;
        let (j, i) = (complaint.complainer, complaint.accused);
        let commitments = self
            .commitments
            .get(&i)
            .ok_or_else(|| invalid(format!("trustee {i} has no commitments")))?;
        match judge(&q, complaint, self.public(j)?, self.public(i)?, commitments) {
            Fault::Void => Err(invalid(
                "the complaint is void: its proof or signature fails, or the envelope is not the accused's",
            )),
            Fault::Accused => Ok(i),
            Fault::Complainer => Ok(j),
        }
    }

    /// Checks trustee `i`'s message for `step` and answers it as it is stored (canonical JSON).
    pub fn accept(&self, step: Step, i: u32, body: serde_json::Value) -> Result<Message, Refusal> {
        let body = match step {
            Step::Manifest => return Err(invalid("the manifest is frozen by the commission, not posted")),
            Step::Keys => {
                self.open(step, Phase::Keys)?;
                let keys: TrusteePublic = from(body)?;
                self.check_keys(i, &keys)?;
                canonical(&keys)
            }
            Step::CommitmentHash => {
                self.open(step, Phase::CommitmentHashes)?;
                let signed: CommitmentHash = from(body)?;
                self.check_index(i, signed.trustee)?;
                verify_signature(
                    &self.public(i)?.signing_key,
                    &signed.commitment_hash,
                    &signed.signature,
                    "V7",
                    "commitment hash",
                )
                .map_err(invalid)?;
                canonical(&signed)
            }
            Step::Commitments => {
                self.open(step, Phase::Commitments)?;
                let c: Commitments = from(body)?;
                self.check_index(i, c.trustee)?;
                let q = self.base_hash().ok_or_else(|| invalid("no base hash"))?;
                verify_commitments(&q, self.parameters.threshold, self.public(i)?, &c).map_err(invalid)?;
                let announced = &self.hashes[&i];
                if c.commitment_hash != announced.commitment_hash {
                    return Err(invalid("the commitments are not the ones whose hash was published"));
                }
                canonical(&c)
            }
            Step::Shares => {
                self.open(step, Phase::Shares)?;
                let shares: Shares = from(body)?;
                self.check_shares(i, &shares)?;
                canonical(&shares)
            }
            Step::Complaint => {
                let phase = self.phase();
                if !matches!(phase, Phase::Shares | Phase::TranscriptSignatures) || self.signatures.contains_key(&i) {
                    return Err(Refusal::OutOfStep(
                        "a complaint is taken after the shares and before the complainer signs the transcript".into(),
                    ));
                }
                let complaint: Complaint = from(body)?;
                self.check_index(i, complaint.complainer)?;
                let sent = self.shares.get(&complaint.accused).map(|s| &s.envelopes);
                if !sent.is_some_and(|envelopes| envelopes.contains(&complaint.envelope)) {
                    return Err(invalid("the complaint is about an envelope the accused did not post"));
                }
                self.fault_of(&complaint)?;
                canonical(&complaint)
            }
            Step::TranscriptSignature => {
                self.open(step, Phase::TranscriptSignatures)?;
                let signed: TranscriptSignature = from(body)?;
                self.check_index(i, signed.trustee)?;
                let (_, _, t) = self.joint().ok_or_else(|| invalid("no transcript yet"))?;
                verify_signature(&self.public(i)?.signing_key, &t, &signed.signature, "V10", "transcript")
                    .map_err(invalid)?;
                canonical(&signed)
            }
            Step::Tally | Step::PartialDecryption | Step::LateBallots => {
                return Err(invalid(
                    "the tally is frozen by the system, and decrypted at its own route",
                ))
            }
        };
        Ok(Message {
            step,
            trustee: i,
            attempt: self.attempt,
            body,
        })
    }

    /// The tally frozen after the close, as the message that keeps it.
    pub fn freeze_tally(&self, tally: &EncryptedTally) -> Message {
        Message {
            step: Step::Tally,
            trustee: 0,
            attempt: self.attempt,
            body: canonical(tally),
        }
    }

    /// The late ballots' tracking codes, kept when the record is published.
    pub fn late_ballots(&self, codes: &[Digest]) -> Message {
        Message {
            step: Step::LateBallots,
            trustee: 0,
            attempt: self.attempt,
            body: canonical(&codes),
        }
    }

    /// Checks trustee `i`'s partial decryption of `tally` (V21: its public share is the one
    /// the commitments give; V22: every proof) and answers the message that keeps it.
    pub fn accept_partial(&self, tally: &EncryptedTally, i: u32, body: serde_json::Value) -> Result<Message, Refusal> {
        let file = self
            .election_file()
            .ok_or_else(|| Refusal::OutOfStep("the key ceremony is not complete".into()))?;
        let partial: PartialDecryption = from(body)?;
        self.check_index(i, partial.trustee)?;
        let expected = public_share(i, &file.ceremony.commitments).map_err(invalid)?;
        if partial.public_share != expected {
            return Err(invalid("V21: the public share is not the one the commitments give"));
        }
        verify_partial(&file.context(), tally, &partial).map_err(invalid)?;
        Ok(Message {
            step: Step::PartialDecryption,
            trustee: i,
            attempt: self.attempt,
            body: canonical(&partial),
        })
    }

    fn check_index(&self, caller: u32, claimed: u32) -> Result<(), Refusal> {
        if caller == claimed {
            Ok(())
        } else {
            Err(invalid(format!(
                "you are trustee {caller}, and the message is trustee {claimed}'s"
            )))
        }
    }

    fn check_keys(&self, i: u32, keys: &TrusteePublic) -> Result<(), Refusal> {
        self.check_index(i, keys.index)?;
        if keys.signing_key.is_identity() || keys.receiving_key.is_identity() {
            return Err(invalid("a key is the identity"));
        }
        if keys.fingerprint != fingerprint(&keys.signing_key) {
            return Err(invalid("the fingerprint is not the signing key's"));
        }
        let reused = self.keys.values().any(|other| {
            [other.signing_key, other.receiving_key].contains(&keys.signing_key)
                || [other.signing_key, other.receiving_key].contains(&keys.receiving_key)
        });
        if reused || keys.signing_key == keys.receiving_key {
            return Err(invalid("a key is already another trustee's, or used twice"));
        }
        Ok(())
    }

    fn check_shares(&self, i: u32, shares: &Shares) -> Result<(), Refusal> {
        self.check_index(i, shares.trustee)?;
        let q = self.base_hash().ok_or_else(|| invalid("no base hash"))?;
        let mut recipients: Vec<u32> = shares.envelopes.iter().map(|e| e.recipient).collect();
        recipients.sort_unstable();
        let others: Vec<u32> = (1..=self.parameters.trustees).filter(|j| *j != i).collect();
        if recipients != others {
            return Err(invalid(format!(
                "expected one envelope for each of trustees {others:?}"
            )));
        }
        for e in &shares.envelopes {
            if e.sender != i || e.ciphertext.len() != 48 {
                return Err(invalid(format!(
                    "the envelope to trustee {} is not well formed",
                    e.recipient
                )));
            }
            envelope_signed(&q, e, self.public(i)?).map_err(invalid)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use election_crypto::ceremony::{Polynomial, ShareRefused, Trustee};
    use election_crypto::manifest::Candidate;
    use election_crypto::randomness::Seeded;
    use serde_json::to_value;
    use zeroize::Zeroizing;

    /// The ceremony's messages so far, each accepted before it was added.
    struct Run {
        trustees: Vec<Trustee>,
        messages: Vec<Message>,
        rng: Seeded,
    }

    impl Run {
        fn new() -> Self {
            let mut rng = Seeded::new(b"ceremony domain tests");
            let trustees = (1..=3).map(|i| Trustee::new(i, &mut rng)).collect();
            let mut run = Run {
                trustees,
                messages: Vec::new(),
                rng,
            };
            let manifest = Manifest {
                election_id: "e".into(),
                candidates: ["a", "b", "c"]
                    .map(|c| Candidate {
                        id: c.into(),
                        name: c.to_uppercase(),
                    })
                    .to_vec(),
            };
            let frozen = run.now().freeze(manifest).unwrap();
            run.messages.push(frozen);
            run
        }

        fn now(&self) -> Ceremony {
            Ceremony::rebuild(3, 2, 0, &self.messages).unwrap()
        }

        fn post(&mut self, step: Step, i: u32, body: serde_json::Value) -> Result<(), Refusal> {
            let message = self.now().accept(step, i, body)?;
            self.messages.push(message);
            Ok(())
        }

        /// Keys, commitment hashes and commitments from everyone; the polynomials.
        fn commit_all(&mut self) -> Vec<Polynomial> {
            let publics: Vec<TrusteePublic> = self.trustees.iter().map(Trustee::public).collect();
            for p in publics {
                self.post(Step::Keys, p.index, to_value(&p).unwrap()).unwrap();
            }
            let q = self.now().base_hash().unwrap();
            let mut polys = Vec::new();
            let mut all = Vec::new();
            for t in &self.trustees {
                let (poly, c) = t.commit(&q, 2, &mut self.rng);
                polys.push(poly);
                all.push(c);
            }
            for c in &all {
                let hash = to_value(CommitmentHash::of(c)).unwrap();
                self.post(Step::CommitmentHash, c.trustee, hash).unwrap();
            }
            for c in &all {
                self.post(Step::Commitments, c.trustee, to_value(c).unwrap()).unwrap();
            }
            polys
        }

        fn shares_of(&mut self, sender: usize, poly: &Polynomial) -> Shares {
            let c = self.now();
            let q = c.base_hash().unwrap();
            let t = &self.trustees[sender];
            let envelopes = c
                .keys
                .values()
                .filter(|k| k.index != t.index())
                .map(|k| t.seal_share(&q, poly, k, &mut self.rng))
                .collect();
            Shares {
                trustee: t.index(),
                envelopes,
            }
        }
    }

    #[test]
    fn a_whole_ceremony_completes_and_gives_the_election_file() {
        let mut run = Run::new();
        assert_eq!(run.now().phase(), Phase::Keys);
        let polys = run.commit_all();
        assert_eq!(run.now().phase(), Phase::Shares);
        for (s, poly) in polys.iter().enumerate() {
            let shares = run.shares_of(s, poly);
            run.post(Step::Shares, s as u32 + 1, to_value(shares).unwrap()).unwrap();
        }
        // Every recipient opens its envelopes: each is its sender's and matches.
        let c = run.now();
        let q = c.base_hash().unwrap();
        for t in &run.trustees {
            let envelopes = c.envelopes_for(t.index());
            assert_eq!(envelopes.len(), 2);
            for e in &envelopes {
                let sender = &c.keys[&e.sender];
                assert!(t
                    .open_share(&q, e, sender, &c.commitments[&e.sender], &mut run.rng.clone())
                    .is_ok());
            }
        }
        let (_, _, transcript) = c.joint().unwrap();
        assert!(c.election_file().is_none());
        let signed: Vec<TranscriptSignature> = run
            .trustees
            .iter()
            .map(|t| t.sign_transcript(&transcript, &mut run.rng))
            .collect();
        for s in signed {
            run.post(Step::TranscriptSignature, s.trustee, to_value(&s).unwrap())
                .unwrap();
        }
        let done = run.now();
        assert_eq!(done.phase(), Phase::Complete);
        let file = done.election_file().unwrap();
        assert_eq!(file.base_hash, q);
        assert_eq!(file.ceremony.transcript_signatures.len(), 3);
        // Nothing more is taken.
        let again = run.trustees[0].sign_transcript(&transcript, &mut run.rng);
        assert!(matches!(
            done.accept(Step::TranscriptSignature, 1, to_value(again).unwrap()),
            Err(Refusal::OutOfStep(_))
        ));
    }

    #[test]
    fn messages_out_of_step_or_for_another_trustee_or_with_bad_proofs_are_refused() {
        let mut run = Run::new();
        let t1 = run.trustees[0].public();
        // Another trustee's keys, or a fingerprint that is not the key's.
        assert!(matches!(
            run.post(Step::Keys, 2, to_value(&t1).unwrap()),
            Err(Refusal::Invalid(_))
        ));
        let mut wrong = t1.clone();
        wrong.fingerprint = "0000-0000-0000-0000-0000-0000-0000-0000".into();
        assert!(matches!(
            run.post(Step::Keys, 1, to_value(&wrong).unwrap()),
            Err(Refusal::Invalid(_))
        ));
        run.post(Step::Keys, 1, to_value(&t1).unwrap()).unwrap();
        // The same keys again, as trustee 2's: refused (a key is one trustee's).
        let mut copied = t1.clone();
        copied.index = 2;
        assert!(matches!(
            run.post(Step::Keys, 2, to_value(&copied).unwrap()),
            Err(Refusal::Invalid(_))
        ));
        // A commitment hash before every key is in.
        let body = serde_json::json!({"trustee": 1});
        assert!(matches!(
            run.post(Step::CommitmentHash, 1, body),
            Err(Refusal::OutOfStep(_))
        ));
        let others: Vec<TrusteePublic> = run.trustees[1..].iter().map(Trustee::public).collect();
        for p in others {
            run.post(Step::Keys, p.index, to_value(&p).unwrap()).unwrap();
        }
        let q = run.now().base_hash().unwrap();
        let (_, c1) = run.trustees[0].commit(&q, 2, &mut run.rng);
        // A hash signed by another trustee's key.
        let (_, c2) = run.trustees[1].commit(&q, 2, &mut run.rng);
        let forged = CommitmentHash {
            trustee: 1,
            commitment_hash: c1.commitment_hash,
            signature: c2.signature,
        };
        assert!(matches!(
            run.post(Step::CommitmentHash, 1, to_value(forged).unwrap()),
            Err(Refusal::Invalid(_))
        ));
        assert!(run.now().hashes.is_empty());
        // Commitments whose proof fails (V6), once every hash is in.
        let mut all = vec![c1, c2];
        all.push(run.trustees[2].commit(&q, 2, &mut run.rng).1);
        for c in &all {
            let hash = to_value(CommitmentHash::of(c)).unwrap();
            run.post(Step::CommitmentHash, c.trustee, hash).unwrap();
        }
        let mut bad = all[0].clone();
        bad.proofs[1] = bad.proofs[0];
        assert!(matches!(
            run.post(Step::Commitments, 1, to_value(bad).unwrap()),
            Err(Refusal::Invalid(_))
        ));
        // Another polynomial's commitments than the hash published (signed, valid proofs).
        let (_, other) = run.trustees[0].commit(&q, 2, &mut Seeded::new(b"another polynomial"));
        assert!(matches!(
            run.post(Step::Commitments, 1, to_value(other).unwrap()),
            Err(Refusal::Invalid(_))
        ));
        run.post(Step::Commitments, 1, to_value(&all[0]).unwrap()).unwrap();
        assert_eq!(run.now().commitments.len(), 1);
    }

    #[test]
    fn a_bad_share_brings_a_complaint_that_stops_the_ceremony_naming_the_sender() {
        let mut run = Run::new();
        let polys = run.commit_all();
        // Trustee 1 seals shares of another polynomial than the one it committed to.
        let rogue = Polynomial::from_coefficients(Zeroizing::new(vec![
            election_crypto::randomness::Randomness::scalar(&mut run.rng, "rogue/0"),
            election_crypto::randomness::Randomness::scalar(&mut run.rng, "rogue/1"),
        ]));
        let rogue_shares = run.shares_of(0, &rogue);
        run.post(Step::Shares, 1, to_value(&rogue_shares).unwrap()).unwrap();
        for (s, poly) in polys.iter().enumerate().skip(1) {
            let shares = run.shares_of(s, poly);
            run.post(Step::Shares, s as u32 + 1, to_value(shares).unwrap()).unwrap();
        }
        let c = run.now();
        let q = c.base_hash().unwrap();
        let envelope = c.envelopes_for(2).into_iter().find(|e| e.sender == 1).unwrap();
        let refused = run.trustees[1].open_share(&q, &envelope, &c.keys[&1], &c.commitments[&1], &mut run.rng);
        let Err(ShareRefused::Complaint(complaint)) = refused else {
            panic!("the rogue share opens")
        };
        // Trustee 3 cannot post trustee 2's complaint; trustee 2 can.
        assert!(matches!(
            run.post(Step::Complaint, 3, to_value(&*complaint).unwrap()),
            Err(Refusal::Invalid(_))
        ));
        run.post(Step::Complaint, 2, to_value(&*complaint).unwrap()).unwrap();
        let stopped = run.now();
        assert_eq!(stopped.phase(), Phase::Stopped);
        assert_eq!(stopped.complaints[0].at_fault, 1);
        assert!(stopped.election_file().is_none());
        // The next run sees none of this one's messages but the manifest.
        let next = Ceremony::rebuild(3, 2, 1, &run.messages).unwrap();
        assert_eq!((next.phase(), next.keys.len()), (Phase::Keys, 0));
        let keys = next
            .accept(Step::Keys, 1, to_value(run.trustees[0].public()).unwrap())
            .unwrap();
        assert_eq!(keys.attempt, 1);
    }

    #[test]
    fn a_complaint_about_a_good_share_names_the_complainer() {
        let mut run = Run::new();
        let polys = run.commit_all();
        for (s, poly) in polys.iter().enumerate() {
            let shares = run.shares_of(s, poly);
            run.post(Step::Shares, s as u32 + 1, to_value(shares).unwrap()).unwrap();
        }
        // Trustee 2 complains about trustee 1's honest envelope: a complaint built as the crate
        // builds one, through a share refused by a wrong copy of the commitments.
        let c = run.now();
        let q = c.base_hash().unwrap();
        let envelope = c.envelopes_for(2).into_iter().find(|e| e.sender == 1).unwrap();
        let mut wrong = c.commitments[&1].clone();
        wrong.coefficients.swap(0, 1);
        let Err(ShareRefused::Complaint(complaint)) =
            run.trustees[1].open_share(&q, &envelope, &c.keys[&1], &wrong, &mut run.rng)
        else {
            panic!("the share matched the wrong commitments")
        };
        run.post(Step::Complaint, 2, to_value(&*complaint).unwrap()).unwrap();
        assert_eq!(run.now().complaints[0].at_fault, 2);
    }
}
