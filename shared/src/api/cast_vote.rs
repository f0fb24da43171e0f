//! `POST /elections/{electionId}/votes` (voter): casts the caller's one vote in an election.

use super::views::VoteReceipt;
use crate::auth::Role;
use crate::clock::Clock;
use crate::domain::candidate::CandidateStatus;
use crate::domain::ids::{CandidateId, ElectionId, ReceiptId};
use crate::domain::text::Name;
use crate::domain::vote::{check_window, Vote, WindowRefusal};
use crate::error::{AppError, StoreError};
use crate::http::request::{caller_with_role, json_body, path_id};
use crate::ports::{CandidateStore, ElectionStore, VoteStore};
use lambda_http::Request;
use serde::Deserialize;

/// The voter is the caller: a `voterId` in the body is refused as an unknown field.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CastVoteRequest {
    candidate_id: CandidateId,
}

pub async fn handle(
    store: &(impl ElectionStore + CandidateStore + VoteStore),
    clock: &impl Clock,
    req: &Request,
) -> Result<VoteReceipt, AppError> {
    let caller = caller_with_role(req, &[Role::Voter])?;
    let voter_id = Name::parse(&caller.sub).map_err(|_| AppError::Unauthenticated)?;
    let election_id: ElectionId = path_id(req, "electionId")?;
    let body: CastVoteRequest = json_body(req)?;

    let election = store
        .election(&election_id)
        .await?
        .ok_or(AppError::NotFound("no election has this id"))?;
    let now = clock.now();
    check_window(&election, now).map_err(|refusal| match refusal {
        WindowRefusal::NotOpen => AppError::conflict("voting-not-open", "voting in this election has not opened yet"),
        WindowRefusal::Closed => AppError::conflict("voting-closed", "voting in this election has closed"),
    })?;
    let candidate = store
        .candidate(&body.candidate_id)
        .await?
        .filter(|c| c.election_id == election_id)
        .ok_or(AppError::NotFound("no candidate with this id stands in this election"))?;
    if candidate.status == CandidateStatus::Withdrawn {
        return Err(AppError::conflict(
            "candidate-withdrawn",
            "this candidate has withdrawn",
        ));
    }

    let vote = Vote {
        election_id,
        voter_id,
        candidate_id: candidate.id,
        cast_at: now,
        receipt_id: ReceiptId::new(),
    };
    match store.insert_vote(&vote).await {
        Err(StoreError::Conflict) => Err(AppError::conflict(
            "already-voted",
            "you have already voted in this election",
        )),
        Err(StoreError::Precondition) => Err(AppError::conflict(
            "candidate-withdrawn",
            "this candidate has withdrawn",
        )),
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
