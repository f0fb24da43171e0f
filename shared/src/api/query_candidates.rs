//! `GET /elections/{electionId}/candidates` and `GET /candidates/{candidateId}` (anyone
//! signed in), each candidate with its live `pledgeCount` and status.

use super::views::{CandidateView, Listing, OneOrMany};
use crate::domain::ids::{CandidateId, ElectionId};
use crate::error::AppError;
use crate::http::request::{caller, has_path_parameter, path_id};
use crate::ports::{CandidateStore, ElectionStore};
use lambda_http::Request;

pub async fn handle(
    store: &(impl ElectionStore + CandidateStore),
    req: &Request,
) -> Result<OneOrMany<CandidateView>, AppError> {
    caller(req)?;
    if has_path_parameter(req, "candidateId") {
        let id: CandidateId = path_id(req, "candidateId")?;
        let candidate = store
            .candidate(&id)
            .await?
            .ok_or(AppError::NotFound("no candidate has this id"))?;
        return Ok(OneOrMany::One(CandidateView::from(&candidate)));
    }
    let election_id: ElectionId = path_id(req, "electionId")?;
    if store.election(&election_id).await?.is_none() {
        return Err(AppError::NotFound("no election has this id"));
    }
    let items = store
        .candidates_in(&election_id)
        .await?
        .iter()
        .map(CandidateView::from)
        .collect();
    Ok(OneOrMany::Many(Listing { items }))
}
