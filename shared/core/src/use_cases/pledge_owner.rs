//! Who may manage a candidate's pledges: the candidate's own account, or the commission.

use crate::auth::{Caller, Role};
use crate::domain::candidate::Candidate;
use crate::domain::ids::CandidateId;
use crate::ports::CandidateStore;
use crate::problem::AppError;

/// Who may manage pledges at all; [`candidate_managed_by`] then checks whose.
pub const MAY: &[Role] = &[Role::Candidate, Role::Commission];

/// A candidate whose pledges the caller may manage. Only [`candidate_managed_by`] makes
/// one, so a pledge use case cannot run without the ownership check.
pub struct ManagedCandidate(pub(super) Candidate);

/// The candidate, if the caller may manage its pledges: checked before the request body
/// is read, so that a stranger learns nothing from the validation.
pub async fn candidate_managed_by(
    store: &impl CandidateStore,
    caller: &Caller,
    candidate_id: &CandidateId,
) -> Result<ManagedCandidate, AppError> {
    if !caller.has_any(MAY) {
        return Err(AppError::Forbidden(
            "only the candidate or the commission may manage pledges",
        ));
    }
    let candidate = store
        .candidate(candidate_id)
        .await?
        .ok_or(AppError::NotFound("no candidate has this id"))?;
    let owns = caller.roles.contains(&Role::Candidate) && caller.sub == candidate.user_id.as_str();
    if !owns && !caller.has_any(&[Role::Commission]) {
        return Err(AppError::Forbidden("this is another candidate's candidacy"));
    }
    Ok(ManagedCandidate(candidate))
}
