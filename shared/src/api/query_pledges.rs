//! `GET /candidates/{candidateId}/pledges` (anyone signed in).

use super::views::{Listing, PledgeView};
use crate::domain::ids::CandidateId;
use crate::error::AppError;
use crate::http::request::{caller, path_id};
use crate::ports::{CandidateStore, PledgeStore};
use lambda_http::Request;

pub async fn handle(
    store: &(impl CandidateStore + PledgeStore),
    req: &Request,
) -> Result<Listing<PledgeView>, AppError> {
    caller(req)?;
    let candidate_id: CandidateId = path_id(req, "candidateId")?;
    if store.candidate(&candidate_id).await?.is_none() {
        return Err(AppError::NotFound("no candidate has this id"));
    }
    let items = store
        .pledges(&candidate_id)
        .await?
        .iter()
        .map(PledgeView::from)
        .collect();
    Ok(Listing { items })
}
