//! A vote: one per voter per election, checked against the voting window at cast time.

use super::election::{Election, ElectionStatus};
use super::ids::{CandidateId, ElectionId, ReceiptId};
use super::text::Name;
use chrono::{DateTime, Utc};

/// A stored vote. The voter is the authenticated caller's `sub`, never request data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vote {
    pub election_id: ElectionId,
    pub voter_id: Name,
    pub candidate_id: CandidateId,
    pub cast_at: DateTime<Utc>,
    pub receipt_id: ReceiptId,
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
    match election.window.status_at(now) {
        ElectionStatus::Scheduled => Err(WindowRefusal::NotOpen),
        ElectionStatus::Open => Ok(()),
        ElectionStatus::Closed => Err(WindowRefusal::Closed),
    }
}
