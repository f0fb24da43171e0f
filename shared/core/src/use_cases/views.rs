//! What the use cases answer, kept apart from the domain types they show.

use crate::domain::candidate::{Candidate, CandidateStatus};
use crate::domain::election::{Election, ElectionStatus};
use crate::domain::ids::{CandidateId, ElectionId, PledgeId, ReceiptId};
use crate::domain::pledge::Pledge;
use crate::domain::vote::{Ballot, Mark};
use chrono::{DateTime, Utc};
use election_crypto::hash::Digest;
use serde::Serialize;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ElectionView {
    pub election_id: ElectionId,
    pub name: String,
    pub voting_starts_at: DateTime<Utc>,
    pub voting_ends_at: DateTime<Utc>,
    pub status: ElectionStatus,
    /// A verifiable election's trustees (how many), threshold and ceremony.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verifiable: Option<VerifiableView>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifiableView {
    pub trustees: usize,
    pub threshold: u32,
    pub ceremony_completed_at: Option<DateTime<Utc>>,
}

impl ElectionView {
    pub fn new(election: &Election, now: DateTime<Utc>) -> Self {
        Self {
            election_id: election.id.clone(),
            name: election.name.as_str().to_owned(),
            voting_starts_at: election.window.starts_at(),
            voting_ends_at: election.window.ends_at(),
            status: election.status_at(now),
            verifiable: election.verifiable.as_ref().map(|v| VerifiableView {
                trustees: v.trustees.len(),
                threshold: v.threshold,
                ceremony_completed_at: v.ceremony_completed_at,
            }),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CandidateView {
    pub candidate_id: CandidateId,
    pub election_id: ElectionId,
    pub ballot_number: u32,
    pub party: String,
    pub name: String,
    pub user_id: String,
    pub status: CandidateStatus,
    pub pledge_count: u64,
}

impl From<&Candidate> for CandidateView {
    fn from(c: &Candidate) -> Self {
        Self {
            candidate_id: c.id.clone(),
            election_id: c.election_id.clone(),
            ballot_number: c.ballot_number.get(),
            party: c.party.as_str().to_owned(),
            name: c.name.as_str().to_owned(),
            user_id: c.user_id.as_str().to_owned(),
            status: c.status,
            pledge_count: c.pledge_count,
        }
    }
}

/// What a voter gets back for a stored vote.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VoteReceipt {
    pub receipt_id: ReceiptId,
    pub election_id: ElectionId,
    /// The candidate of a plaintext vote.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub candidate_id: Option<CandidateId>,
    /// The tracking code of an encrypted ballot: the voter finds it on the board.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracking_code: Option<Digest>,
    pub cast_at: DateTime<Utc>,
}

impl VoteReceipt {
    pub fn of(ballot: &Ballot, cast_at: DateTime<Utc>) -> Self {
        Self {
            receipt_id: ballot.receipt_id.clone(),
            election_id: ballot.election_id.clone(),
            candidate_id: ballot.mark.candidate().cloned(),
            tracking_code: match &ballot.mark {
                Mark::Encrypted(encrypted) => Some(encrypted.tracking_code),
                Mark::For(_) => None,
            },
            cast_at,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PledgeView {
    pub pledge_id: PledgeId,
    pub candidate_id: CandidateId,
    pub theme: String,
    pub title: String,
    pub description: String,
    pub added_at: DateTime<Utc>,
}

impl From<&Pledge> for PledgeView {
    fn from(p: &Pledge) -> Self {
        Self {
            pledge_id: p.id.clone(),
            candidate_id: p.candidate_id.clone(),
            theme: p.theme.as_str().to_owned(),
            title: p.title.as_str().to_owned(),
            description: p.description.as_str().to_owned(),
            added_at: p.added_at,
        }
    }
}

/// A list reply: `{"items": [...]}`, so that fields can be added beside the items later.
#[derive(Debug, Serialize)]
pub struct Listing<T> {
    pub items: Vec<T>,
}
