//! Registers one candidate in an election (commission); ballot numbers are unique per
//! election.

use super::authorize;
use super::views::CandidateView;
use crate::auth::{Caller, Role};
use crate::clock::Clock;
use crate::domain::candidate::{BallotNumber, Candidate, CandidateStatus};
use crate::domain::ids::{CandidateId, ElectionId};
use crate::domain::text::{AccountId, Name};
use crate::ports::{CandidateStore, CeremonyStore, ElectionStore};
use crate::problem::{AppError, Code, PortError};

pub const MAY: &[Role] = &[Role::Commission];

pub struct RegisterCandidate {
    pub election_id: ElectionId,
    pub ballot_number: BallotNumber,
    pub party: Name,
    pub name: Name,
    /// The `sub` of the candidate's own account.
    pub user_id: AccountId,
}

pub async fn register_candidate(
    store: &(impl ElectionStore + CandidateStore + CeremonyStore),
    clock: &impl Clock,
    caller: &Caller,
    command: RegisterCandidate,
) -> Result<CandidateView, AppError> {
    authorize(caller, MAY)?;
    let election = store
        .election(&command.election_id)
        .await?
        .ok_or(AppError::NotFound("no election has this id"))?;
    if super::key_ceremony::manifest_frozen(store, &election).await? {
        return Err(AppError::conflict(
            Code::ManifestFrozen,
            "this verifiable election's candidates were fixed when its key ceremony started",
        ));
    }
    let candidate = Candidate {
        id: CandidateId::new(),
        election_id: command.election_id,
        ballot_number: command.ballot_number,
        party: command.party,
        name: command.name,
        user_id: command.user_id,
        status: CandidateStatus::Registered,
        registered_at: clock.now(),
        registered_by: super::identity(caller)?,
        pledge_count: 0,
    };
    match store.insert_candidate(&candidate).await {
        Err(PortError::Conflict) => Err(AppError::conflict(
            Code::BallotNumberTaken,
            format!(
                "ballot number {} is already taken in this election",
                candidate.ballot_number.get()
            ),
        )),
        other => other.map_err(AppError::from),
    }?;
    tracing::info!(candidate_id = %candidate.id, election_id = %candidate.election_id, "candidate registered");
    Ok(CandidateView::from(&candidate))
}
