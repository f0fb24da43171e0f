//! `DELETE /candidates/{candidateId}/pledges/{pledgeId}` (that candidate, or the
//! commission). Pledges are reached only through their own candidate, so another
//! candidate's pledge id is simply not found.

use super::pledge_owner::candidate_managed_by_caller;
use crate::domain::ids::PledgeId;
use crate::error::{AppError, StoreError};
use crate::http::request::path_id;
use crate::ports::{CandidateStore, PledgeStore};
use lambda_http::Request;

pub async fn handle(store: &(impl CandidateStore + PledgeStore), req: &Request) -> Result<(), AppError> {
    let pledge_id: PledgeId = path_id(req, "pledgeId")?;
    let (_, candidate) = candidate_managed_by_caller(store, req).await?;
    match store.delete_pledge(&candidate.id, &pledge_id).await {
        Err(StoreError::Conflict) => Err(AppError::NotFound("this candidate has no pledge with this id")),
        other => other.map_err(AppError::from),
    }?;
    tracing::info!(pledge_id = %pledge_id, candidate_id = %candidate.id, "pledge deleted");
    Ok(())
}
