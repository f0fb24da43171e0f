//! The results view: votes per candidate, as projected from events.

use super::ids::{CandidateId, ElectionId, ReceiptId};
use chrono::{DateTime, Utc};
use election_crypto::hash::Digest;
use serde::Serialize;

/// One candidate's line in the results.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CandidateTally {
    pub candidate_id: CandidateId,
    pub ballot_number: Option<u32>,
    pub party: Option<String>,
    pub name: Option<String>,
    pub pledge_count: u64,
    pub votes: u64,
    pub withdrawn: bool,
}

/// One of a voter's own votes, as the my-votes view shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MyVote {
    pub election_id: ElectionId,
    pub election_name: Option<String>,
    /// Whom a plaintext vote chose. An encrypted ballot's choice is not here: only the
    /// voter's device knew it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub candidate_id: Option<CandidateId>,
    pub candidate_name: Option<String>,
    pub ballot_number: Option<u32>,
    pub candidate_withdrawn: bool,
    /// An encrypted ballot's tracking code: the voter looks it up on the board.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracking_code: Option<Digest>,
    pub cast_at: DateTime<Utc>,
    pub receipt_id: ReceiptId,
}

impl CandidateTally {
    /// A line with no votes and nothing known yet.
    pub fn empty(candidate_id: CandidateId) -> Self {
        Self {
            candidate_id,
            ballot_number: None,
            party: None,
            name: None,
            pledge_count: 0,
            votes: 0,
            withdrawn: false,
        }
    }
}

/// The results of one election as far as the projection has got.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Results {
    pub election_id: ElectionId,
    pub candidates: Vec<CandidateTally>,
    pub total_votes: u64,
    /// The last time an event changed this view; `None` before the first.
    pub as_of: Option<DateTime<Utc>>,
    /// Certified by the commission: voting over, the pipeline drained, a recount matching.
    /// Until then the results are provisional.
    #[serde(rename = "final")]
    pub is_final: bool,
    pub certified_at: Option<DateTime<Utc>>,
    /// The commission member who certified them.
    pub certified_by: Option<String>,
    /// Ballots that reached the count after the results were final: set aside, not in
    /// these figures. Anything but 0 is for the commission to look into.
    pub late_ballots: u64,
}

/// Who certified an election's results, and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Certification {
    pub at: DateTime<Utc>,
    pub by: String,
    /// Ballots set aside since, as late.
    pub late_ballots: u64,
}

impl Results {
    /// Builds the view from its rows, ordered by ballot number.
    pub fn from_tallies(
        election_id: ElectionId,
        mut candidates: Vec<CandidateTally>,
        as_of: Option<DateTime<Utc>>,
        certification: Option<Certification>,
    ) -> Self {
        candidates.sort_by_key(|c| (c.ballot_number.unwrap_or(u32::MAX), c.candidate_id.clone()));
        let total_votes = candidates.iter().map(|c| c.votes).sum();
        Self {
            election_id,
            candidates,
            total_votes,
            as_of,
            is_final: certification.is_some(),
            certified_at: certification.as_ref().map(|c| c.at),
            late_ballots: certification.as_ref().map_or(0, |c| c.late_ballots),
            certified_by: certification.map(|c| c.by),
        }
    }
}
