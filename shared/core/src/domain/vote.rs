//! A vote, as two records that nothing in plaintext links, written apart: the voter's
//! participation (they voted in this election, and when; the one-vote guard), which the
//! vote writes, and an anonymous ballot in the ballot box (election, candidate, a coarse
//! time), which the mixer writes later among at least *k* others. What the voter chose is
//! kept for them only sealed, beside their participation; the mixer's copy of the ballot
//! is sealed under a key of its own and leaves the participation once the mixer holds it.

use super::election::{Election, ElectionStatus};
use super::ids::{CandidateId, ElectionId, ReceiptId};
use super::roll::RollId;
use super::text::AccountId;
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

/// That a voter has voted in an election: no choice in it, only the sealed one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Participation {
    pub election_id: ElectionId,
    /// The voter's id: the keyed hash of the identity key in their token, never request data.
    pub voter: AccountId,
    /// The version of the election's roll the voter is on: their entry is the record.
    pub roll: RollId,
    /// [`to_the_minute`]: when they voted, to the minute.
    pub voted_at: DateTime<Utc>,
    /// The voter's [`Choice`], sealed under a key bound to the voter and the election.
    pub sealed_choice: Sealed,
}

/// One anonymous ballot: what it says, and roughly when. It names no voter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ballot {
    pub election_id: ElectionId,
    pub mark: Mark,
    /// What the voter keeps to find their ballot; random, so it says nothing of them.
    pub receipt_id: ReceiptId,
    /// [`coarse`]: the hour, not the instant, so that it does not match the participation.
    pub cast_in_hour: DateTime<Utc>,
}

/// An encrypted ballot as the voter's device made it (spec 7): a ciphertext per candidate,
/// the proofs, and the tracking code.
pub use election_crypto::ballot::Ballot as EncryptedBallot;

/// What checks a verifiable election's ballots once its ceremony is complete: the crate's
/// verifier (the joint key and the extended base hash) and the frozen manifest's candidates,
/// slot by slot (a candidate withdrawn since must be proven 0 in their slot).
pub struct BallotChecks {
    pub verifier: election_crypto::ballot::Verifier,
    pub slots: Vec<CandidateId>,
}

/// What a ballot says. Stored beside the ballot's other fields (flattened): `candidateId`,
/// or `encrypted`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mark {
    /// For this candidate: the default mode.
    #[serde(rename = "candidateId")]
    For(CandidateId),
    #[serde(rename = "encrypted")]
    /// The voter's choice encrypted on their device, with its proofs (a verifiable
    /// election): no server can read it.
    Encrypted(Box<EncryptedBallot>),
}

impl Mark {
    /// The candidate a plaintext ballot is for.
    pub fn candidate(&self) -> Option<&CandidateId> {
        match self {
            Mark::For(candidate) => Some(candidate),
            Mark::Encrypted(_) => None,
        }
    }
}

/// What is sealed for the voter beside their participation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged, rename_all_fields = "camelCase")]
pub enum Choice {
    /// Whom they chose, and their receipt (the default mode).
    For {
        candidate_id: CandidateId,
        receipt_id: ReceiptId,
    },
    /// Their ballot's tracking code and its receipt (a verifiable election): whom they chose
    /// only their device knew.
    Tracked {
        tracking_code: election_crypto::hash::Digest,
        receipt_id: ReceiptId,
    },
}

impl Choice {
    pub fn receipt_id(&self) -> &ReceiptId {
        match self {
            Choice::For { receipt_id, .. } | Choice::Tracked { receipt_id, .. } => receipt_id,
        }
    }
}

/// Something sealed by envelope encryption (a voter's [`Choice`], or a [`SealedBallot`]):
/// the encrypted data key and the ciphertext, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sealed {
    pub sealed_key: Vec<u8>,
    pub ciphertext: Vec<u8>,
}

/// A [`Ballot`] sealed for the mixer: it opens only under the mix key, for its election,
/// and names no voter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealedBallot {
    pub election_id: ElectionId,
    pub sealed: Sealed,
}

/// The time a ballot records: the start of its hour.
pub fn coarse(at: DateTime<Utc>) -> DateTime<Utc> {
    at.duration_trunc(TimeDelta::hours(1)).unwrap_or(at)
}

/// The time a participation records: the start of its minute. Turnout needs the hour, the
/// voter a rough "when"; a finer time would help pair a participation with its ballot.
pub fn to_the_minute(at: DateTime<Utc>) -> DateTime<Utc> {
    at.duration_trunc(TimeDelta::minutes(1)).unwrap_or(at)
}

/// Why a vote cannot be cast at this instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WindowRefusal {
    #[error("voting has not opened yet")]
    NotOpen,
    #[error("voting has closed")]
    Closed,
}

/// Accepts a vote at `now` only inside the election's window.
pub fn check_window(election: &Election, now: DateTime<Utc>) -> Result<(), WindowRefusal> {
    match election.status_at(now) {
        ElectionStatus::KeyCeremony | ElectionStatus::Scheduled => Err(WindowRefusal::NotOpen),
        ElectionStatus::Open => Ok(()),
        ElectionStatus::Closed => Err(WindowRefusal::Closed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ballot_keeps_only_the_hour() {
        let at = DateTime::parse_from_rfc3339("2027-03-01T09:41:17.123Z")
            .unwrap()
            .to_utc();
        assert_eq!(coarse(at).to_rfc3339(), "2027-03-01T09:00:00+00:00");
    }

    #[test]
    fn a_participation_keeps_only_the_minute() {
        let at = DateTime::parse_from_rfc3339("2027-03-01T09:41:17.123Z")
            .unwrap()
            .to_utc();
        assert_eq!(to_the_minute(at).to_rfc3339(), "2027-03-01T09:41:00+00:00");
    }
}
