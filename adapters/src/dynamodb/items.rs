//! Item shapes of the command tables, shared by the table adapters and the stream mapping.
//! Each item names its `entity`, so a stream record says what it is.

use chrono::{DateTime, Utc};
use election_core::domain::candidate::{BallotNumber, Candidate, CandidateStatus};
use election_core::domain::election::{Election, VotingWindow};
use election_core::domain::ids::{CandidateId, ElectionId, PledgeId, ReceiptId};
use election_core::domain::pledge::Pledge;
use election_core::domain::text::{LongText, Name};
use election_core::domain::vote::Vote;
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "entity")]
pub(crate) enum Item {
    #[serde(rename = "election")]
    Election(ElectionItem),
    #[serde(rename = "candidate")]
    Candidate(CandidateItem),
    #[serde(rename = "ballot-claim")]
    BallotClaim(BallotClaimItem),
    #[serde(rename = "vote")]
    Vote(VoteItem),
    #[serde(rename = "pledge")]
    Pledge(PledgeItem),
}

/// Just the `entity` of an item, to tell ours from markers before reading the rest.
#[derive(Debug, Deserialize)]
pub(crate) struct EntityTag {
    pub entity: Option<String>,
}

pub(crate) const ENTITIES: &[&str] = &["election", "candidate", "ballot-claim", "vote", "pledge"];

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ElectionItem {
    pub election_id: ElectionId,
    pub name: Name,
    pub voting_starts_at: DateTime<Utc>,
    pub voting_ends_at: DateTime<Utc>,
    pub registered_at: DateTime<Utc>,
}

/// Candidates are keyed by `id` = the candidate id; ballot claims share the table.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CandidateItem {
    pub id: CandidateId,
    pub election_id: ElectionId,
    pub ballot_number: BallotNumber,
    pub party: Name,
    pub name: Name,
    pub user_id: Name,
    pub status: CandidateStatus,
    pub registered_at: DateTime<Utc>,
    /// Signed, so that an item is always readable; never below zero in practice.
    #[serde(default)]
    pub pledge_count: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn_at: Option<DateTime<Utc>>,
}

/// Holds a ballot number in an election, so that no two candidates share it.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BallotClaimItem {
    pub id: String,
    pub candidate_id: CandidateId,
}

impl BallotClaimItem {
    pub fn key(election_id: &ElectionId, ballot_number: BallotNumber) -> String {
        format!("ballot#{election_id}#{}", ballot_number.get())
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct VoteItem {
    pub election_id: ElectionId,
    pub voter_id: Name,
    pub candidate_id: CandidateId,
    pub cast_at: DateTime<Utc>,
    pub receipt_id: ReceiptId,
}

impl From<&Election> for ElectionItem {
    fn from(e: &Election) -> Self {
        Self {
            election_id: e.id.clone(),
            name: e.name.clone(),
            voting_starts_at: e.window.starts_at(),
            voting_ends_at: e.window.ends_at(),
            registered_at: e.registered_at,
        }
    }
}

impl TryFrom<ElectionItem> for Election {
    type Error = election_core::domain::election::EmptyWindow;
    fn try_from(item: ElectionItem) -> Result<Self, Self::Error> {
        Ok(Self {
            id: item.election_id,
            name: item.name,
            window: VotingWindow::new(item.voting_starts_at, item.voting_ends_at)?,
            registered_at: item.registered_at,
        })
    }
}

impl From<&Candidate> for CandidateItem {
    fn from(c: &Candidate) -> Self {
        Self {
            id: c.id.clone(),
            election_id: c.election_id.clone(),
            ballot_number: c.ballot_number,
            party: c.party.clone(),
            name: c.name.clone(),
            user_id: c.user_id.clone(),
            status: c.status,
            registered_at: c.registered_at,
            pledge_count: i64::try_from(c.pledge_count).unwrap_or(i64::MAX),
            withdrawn_at: None,
        }
    }
}

impl From<CandidateItem> for Candidate {
    fn from(item: CandidateItem) -> Self {
        Self {
            id: item.id,
            election_id: item.election_id,
            ballot_number: item.ballot_number,
            party: item.party,
            name: item.name,
            user_id: item.user_id,
            status: item.status,
            registered_at: item.registered_at,
            pledge_count: u64::try_from(item.pledge_count).unwrap_or(0),
        }
    }
}

impl From<&Vote> for VoteItem {
    fn from(v: &Vote) -> Self {
        Self {
            election_id: v.election_id.clone(),
            voter_id: v.voter_id.clone(),
            candidate_id: v.candidate_id.clone(),
            cast_at: v.cast_at,
            receipt_id: v.receipt_id.clone(),
        }
    }
}

/// Pledges are keyed by (`candidateId`, `pledgeId`).
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PledgeItem {
    pub candidate_id: CandidateId,
    pub pledge_id: PledgeId,
    pub election_id: ElectionId,
    pub theme: Name,
    pub title: Name,
    pub description: LongText,
    pub added_at: DateTime<Utc>,
}

impl From<&Pledge> for PledgeItem {
    fn from(p: &Pledge) -> Self {
        Self {
            candidate_id: p.candidate_id.clone(),
            pledge_id: p.id.clone(),
            election_id: p.election_id.clone(),
            theme: p.theme.clone(),
            title: p.title.clone(),
            description: p.description.clone(),
            added_at: p.added_at,
        }
    }
}

impl From<PledgeItem> for Pledge {
    fn from(item: PledgeItem) -> Self {
        Self {
            id: item.pledge_id,
            candidate_id: item.candidate_id,
            election_id: item.election_id,
            theme: item.theme,
            title: item.title,
            description: item.description,
            added_at: item.added_at,
        }
    }
}
