//! Lists an election's candidates, or reads one (anyone signed in), each with its live
//! `pledgeCount` and status.

use super::views::{CandidateView, Listing};
use crate::domain::ids::{CandidateId, ElectionId};
use crate::ports::{CandidateStore, ElectionStore};
use crate::problem::AppError;

pub async fn list_candidates(
    store: &(impl ElectionStore + CandidateStore),
    election_id: &ElectionId,
) -> Result<Listing<CandidateView>, AppError> {
    if store.election(election_id).await?.is_none() {
        return Err(AppError::NotFound("no election has this id"));
    }
    let items = store
        .candidates_in(election_id)
        .await?
        .iter()
        .map(CandidateView::from)
        .collect();
    Ok(Listing { items })
}

pub async fn get_candidate(store: &impl CandidateStore, id: &CandidateId) -> Result<CandidateView, AppError> {
    let candidate = store
        .candidate(id)
        .await?
        .ok_or(AppError::NotFound("no candidate has this id"))?;
    Ok(CandidateView::from(&candidate))
}
