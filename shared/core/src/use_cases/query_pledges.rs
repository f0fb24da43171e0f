//! Lists a candidate's pledges (anyone signed in).

use super::views::{Listing, PledgeView};
use crate::domain::ids::CandidateId;
use crate::ports::{CandidateStore, PledgeStore};
use crate::problem::AppError;

pub async fn list_pledges(
    store: &(impl CandidateStore + PledgeStore),
    candidate_id: &CandidateId,
) -> Result<Listing<PledgeView>, AppError> {
    if store.candidate(candidate_id).await?.is_none() {
        return Err(AppError::NotFound("no candidate has this id"));
    }
    let items = store
        .pledges(candidate_id)
        .await?
        .iter()
        .map(PledgeView::from)
        .collect();
    Ok(Listing { items })
}
