//! Who may manage a candidate's pledges: the candidate's own account, or the commission.

use crate::auth::{Caller, Role};
use crate::domain::candidate::Candidate;
use crate::domain::ids::CandidateId;
use crate::error::AppError;
use crate::http::request::{caller, path_id};
use crate::ports::CandidateStore;
use lambda_http::Request;

/// The candidate of the path, if the caller may manage its pledges.
pub async fn candidate_managed_by_caller(
    store: &impl CandidateStore,
    req: &Request,
) -> Result<(Caller, Candidate), AppError> {
    let caller = caller(req)?;
    if !caller.has_any(&[Role::Candidate, Role::Commission]) {
        return Err(AppError::Forbidden(
            "only the candidate or the commission may manage pledges",
        ));
    }
    let candidate_id: CandidateId = path_id(req, "candidateId")?;
    let candidate = store
        .candidate(&candidate_id)
        .await?
        .ok_or(AppError::NotFound("no candidate has this id"))?;
    let owns = caller.roles.contains(&Role::Candidate) && caller.sub == candidate.user_id.as_str();
    if !owns && !caller.has_any(&[Role::Commission]) {
        return Err(AppError::Forbidden("this is another candidate's candidacy"));
    }
    Ok((caller, candidate))
}
