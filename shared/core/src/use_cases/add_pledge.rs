//! Adds a pledge to a candidacy (that candidate, or the commission).

use super::pledge_owner::ManagedCandidate;
use super::views::PledgeView;
use crate::clock::Clock;
use crate::domain::candidate::CandidateStatus;
use crate::domain::ids::PledgeId;
use crate::domain::pledge::Pledge;
use crate::domain::text::{LongText, Name};
use crate::ports::PledgeStore;
use crate::problem::{AppError, PortError};

pub use super::pledge_owner::{candidate_managed_by, MAY};

pub struct AddPledge {
    pub candidate: ManagedCandidate,
    pub theme: Name,
    pub title: Name,
    pub description: LongText,
}

pub async fn add_pledge(
    store: &impl PledgeStore,
    clock: &impl Clock,
    command: AddPledge,
) -> Result<PledgeView, AppError> {
    let ManagedCandidate(candidate) = command.candidate;
    if candidate.status == CandidateStatus::Withdrawn {
        return Err(AppError::candidate_withdrawn());
    }
    let pledge = Pledge {
        id: PledgeId::new(),
        candidate_id: candidate.id,
        election_id: candidate.election_id,
        theme: command.theme,
        title: command.title,
        description: command.description,
        added_at: clock.now(),
    };
    match store.insert_pledge(&pledge).await {
        Err(PortError::Precondition) => Err(AppError::candidate_withdrawn()),
        other => other.map_err(AppError::from),
    }?;
    tracing::info!(pledge_id = %pledge.id, candidate_id = %pledge.candidate_id, "pledge added");
    Ok(PledgeView::from(&pledge))
}
