//! Votes per candidate. Admin and commission may read them at any time; anyone, signed in
//! or not, once voting has ended.

use crate::auth::{Caller, Role};
use crate::clock::Clock;
use crate::domain::election::ElectionStatus;
use crate::domain::ids::ElectionId;
use crate::domain::results::Results;
use crate::ports::{ElectionStore, ViewStore};
use crate::problem::{AppError, PortError};
use crate::projection::dashboard;

pub async fn get_results(
    store: &(impl ElectionStore + ViewStore),
    clock: &impl Clock,
    caller: Option<&Caller>,
    election_id: &ElectionId,
) -> Result<Results, AppError> {
    let election = store
        .election(election_id)
        .await?
        .ok_or(AppError::NotFound("no election has this id"))?;
    let privileged = caller.is_some_and(|c| c.has_any(&[Role::Admin, Role::Commission]));
    if !privileged && election.status_at(clock.now()) != ElectionStatus::Closed {
        return Err(AppError::Forbidden("results are public once voting has ended"));
    }
    Ok(read_results(store, election_id).await?)
}

/// The results view of an election as it stands, whoever asks.
pub async fn read_results(store: &impl ViewStore, election_id: &ElectionId) -> Result<Results, PortError> {
    Ok(dashboard::results(
        election_id,
        &store.election_rows(election_id).await?,
    ))
}
