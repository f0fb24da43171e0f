//! `DELETE /elections/{electionId}/candidates/{candidateId}` (commission): withdraws a
//! candidate. Votes already cast are kept; new votes for them are refused; their pledges
//! are removed by the `remove-withdrawn-pledges` policy.

use crate::auth::Role;
use crate::clock::Clock;
use crate::domain::ids::{CandidateId, ElectionId};
use crate::error::{AppError, StoreError};
use crate::http::request::{caller_with_role, path_id};
use crate::ports::CandidateStore;
use lambda_http::Request;

pub async fn handle(store: &impl CandidateStore, clock: &impl Clock, req: &Request) -> Result<(), AppError> {
    caller_with_role(req, &[Role::Commission])?;
    let election_id: ElectionId = path_id(req, "electionId")?;
    let candidate_id: CandidateId = path_id(req, "candidateId")?;
    store
        .candidate(&candidate_id)
        .await?
        .filter(|c| c.election_id == election_id)
        .ok_or(AppError::NotFound("no candidate with this id stands in this election"))?;
    match store.withdraw_candidate(&candidate_id, clock.now()).await {
        Err(StoreError::Conflict) => Err(AppError::conflict(
            "candidate-withdrawn",
            "this candidate has already withdrawn",
        )),
        other => other.map_err(AppError::from),
    }?;
    tracing::info!(candidate_id = %candidate_id, "candidate withdrawn");
    Ok(())
}
