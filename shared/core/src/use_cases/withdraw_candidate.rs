//! Withdraws a candidate (commission). Votes already cast are kept; new votes for them
//! are refused; their pledges are removed by the `remove-withdrawn-pledges` policy.

use super::authorize;
use crate::auth::{Caller, Role};
use crate::clock::Clock;
use crate::domain::ids::{CandidateId, ElectionId};
use crate::ports::CandidateStore;
use crate::problem::{AppError, Code, PortError};

pub const MAY: &[Role] = &[Role::Commission];

pub struct WithdrawCandidate {
    pub election_id: ElectionId,
    pub candidate_id: CandidateId,
}

pub async fn withdraw_candidate(
    store: &impl CandidateStore,
    clock: &impl Clock,
    caller: &Caller,
    command: WithdrawCandidate,
) -> Result<(), AppError> {
    authorize(caller, MAY)?;
    let WithdrawCandidate {
        election_id,
        candidate_id,
    } = command;
    store
        .candidate(&candidate_id)
        .await?
        .filter(|c| c.election_id == election_id)
        .ok_or(AppError::NotFound("no candidate with this id stands in this election"))?;
    match store
        .withdraw_candidate(&candidate_id, clock.now(), &super::identity(caller)?)
        .await
    {
        Err(PortError::Conflict) => Err(AppError::conflict(
            Code::CandidateWithdrawn,
            "this candidate has already withdrawn",
        )),
        other => other.map_err(AppError::from),
    }?;
    tracing::info!(candidate_id = %candidate_id, "candidate withdrawn");
    Ok(())
}
