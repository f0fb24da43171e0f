//! Casts the caller's one vote in an election (voter), inside the voting window, for a
//! candidate who stands in that election.

use super::authorize;
use super::views::VoteReceipt;
use crate::auth::{Caller, Role};
use crate::clock::Clock;
use crate::domain::candidate::CandidateStatus;
use crate::domain::ids::{CandidateId, ElectionId, ReceiptId};
use crate::domain::text::Name;
use crate::domain::vote::{check_window, Vote, WindowRefusal};
use crate::ports::{CandidateStore, ElectionStore, VoteStore};
use crate::problem::{AppError, Code, StoreError};

pub const MAY: &[Role] = &[Role::Voter];

/// The voter is the authenticated caller, never request data.
pub struct CastVote {
    pub election_id: ElectionId,
    pub candidate_id: CandidateId,
    pub voter: Name,
}

impl CastVote {
    /// The caller's vote: their `sub` is the voter.
    pub fn by(caller: &Caller, election_id: ElectionId, candidate_id: CandidateId) -> Result<Self, AppError> {
        authorize(caller, MAY)?;
        let voter = Name::parse(&caller.sub).map_err(|_| AppError::Unauthenticated)?;
        Ok(Self {
            election_id,
            candidate_id,
            voter,
        })
    }
}

pub async fn cast_vote(
    store: &(impl ElectionStore + CandidateStore + VoteStore),
    clock: &impl Clock,
    command: CastVote,
) -> Result<VoteReceipt, AppError> {
    let CastVote {
        election_id,
        candidate_id,
        voter,
    } = command;
    let election = store
        .election(&election_id)
        .await?
        .ok_or(AppError::NotFound("no election has this id"))?;
    let now = clock.now();
    check_window(&election, now).map_err(|refusal| match refusal {
        WindowRefusal::NotOpen => AppError::conflict(Code::VotingNotOpen, "voting in this election has not opened yet"),
        WindowRefusal::Closed => AppError::conflict(Code::VotingClosed, "voting in this election has closed"),
    })?;
    let candidate = store
        .candidate(&candidate_id)
        .await?
        .filter(|c| c.election_id == election_id)
        .ok_or(AppError::NotFound("no candidate with this id stands in this election"))?;
    if candidate.status == CandidateStatus::Withdrawn {
        return Err(AppError::candidate_withdrawn());
    }

    let vote = Vote {
        election_id,
        voter_id: voter,
        candidate_id: candidate.id,
        cast_at: now,
        receipt_id: ReceiptId::new(),
    };
    match store.insert_vote(&vote).await {
        Err(StoreError::Conflict) => Err(AppError::conflict(
            Code::AlreadyVoted,
            "you have already voted in this election",
        )),
        Err(StoreError::Precondition) => Err(AppError::candidate_withdrawn()),
        other => other.map_err(AppError::from),
    }?;
    tracing::info!(election_id = %vote.election_id, receipt_id = %vote.receipt_id, "vote stored");
    Ok(VoteReceipt {
        receipt_id: vote.receipt_id,
        election_id: vote.election_id,
        candidate_id: vote.candidate_id,
        cast_at: vote.cast_at,
    })
}
