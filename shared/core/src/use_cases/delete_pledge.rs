//! Deletes a pledge (that candidate, or the commission). Pledges are reached only through
//! their own candidate, so another candidate's pledge id is simply not found.

use super::pledge_owner::ManagedCandidate;
use crate::domain::ids::PledgeId;
use crate::ports::PledgeStore;
use crate::problem::{AppError, PortError};

pub use super::pledge_owner::{candidate_managed_by, MAY};

pub struct DeletePledge {
    pub candidate: ManagedCandidate,
    pub pledge_id: PledgeId,
}

pub async fn delete_pledge(store: &impl PledgeStore, command: DeletePledge) -> Result<(), AppError> {
    let ManagedCandidate(candidate) = command.candidate;
    match store.delete_pledge(&candidate.id, &command.pledge_id).await {
        Err(PortError::Conflict) => Err(AppError::NotFound("this candidate has no pledge with this id")),
        other => other.map_err(AppError::from),
    }?;
    tracing::info!(pledge_id = %command.pledge_id, candidate_id = %candidate.id, "pledge deleted");
    Ok(())
}
