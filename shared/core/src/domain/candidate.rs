//! Candidates standing in one election, each with a ballot number unique in that election.

use super::ids::{CandidateId, ElectionId};
use super::text::{AccountId, Name};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Highest ballot number accepted.
pub const MAX_BALLOT_NUMBER: u32 = 999;

/// A ballot number, 1 to [`MAX_BALLOT_NUMBER`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct BallotNumber(u32);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("ballotNumber must be between 1 and {MAX_BALLOT_NUMBER}")]
pub struct InvalidBallotNumber;

impl BallotNumber {
    pub fn get(self) -> u32 {
        self.0
    }
}

impl TryFrom<u32> for BallotNumber {
    type Error = InvalidBallotNumber;
    fn try_from(n: u32) -> Result<Self, InvalidBallotNumber> {
        if (1..=MAX_BALLOT_NUMBER).contains(&n) {
            Ok(Self(n))
        } else {
            Err(InvalidBallotNumber)
        }
    }
}

impl From<BallotNumber> for u32 {
    fn from(n: BallotNumber) -> u32 {
        n.0
    }
}

/// Whether a candidate still stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CandidateStatus {
    Registered,
    Withdrawn,
}

/// A candidate registered in an election.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub id: CandidateId,
    pub election_id: ElectionId,
    pub ballot_number: BallotNumber,
    pub party: Name,
    pub name: Name,
    /// The `sub` of the candidate's own account, which may manage its pledges.
    pub user_id: AccountId,
    pub status: CandidateStatus,
    pub registered_at: DateTime<Utc>,
    /// The commission member who registered the candidate.
    pub registered_by: AccountId,
    /// Pledges currently standing, kept by the `count-pledges` policy.
    pub pledge_count: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ballot_numbers_are_bounded() {
        assert_eq!(BallotNumber::try_from(0), Err(InvalidBallotNumber));
        assert_eq!(BallotNumber::try_from(1).map(u32::from), Ok(1));
        assert_eq!(BallotNumber::try_from(999).map(u32::from), Ok(999));
        assert_eq!(BallotNumber::try_from(1000), Err(InvalidBallotNumber));
    }
}
