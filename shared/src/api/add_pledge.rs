//! `POST /candidates/{candidateId}/pledges` (that candidate, or the commission).

use super::pledge_owner::candidate_managed_by_caller;
use super::views::PledgeView;
use crate::clock::Clock;
use crate::domain::candidate::CandidateStatus;
use crate::domain::ids::PledgeId;
use crate::domain::pledge::Pledge;
use crate::domain::text::{LongText, Name};
use crate::error::{AppError, StoreError};
use crate::http::request::json_body;
use crate::ports::{CandidateStore, PledgeStore};
use lambda_http::Request;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AddPledgeRequest {
    theme: Name,
    title: Name,
    description: LongText,
}

pub async fn handle(
    store: &(impl CandidateStore + PledgeStore),
    clock: &impl Clock,
    req: &Request,
) -> Result<PledgeView, AppError> {
    let (_, candidate) = candidate_managed_by_caller(store, req).await?;
    let body: AddPledgeRequest = json_body(req)?;
    if candidate.status == CandidateStatus::Withdrawn {
        return Err(AppError::conflict(
            "candidate-withdrawn",
            "this candidate has withdrawn",
        ));
    }
    let pledge = Pledge {
        id: PledgeId::new(),
        candidate_id: candidate.id,
        election_id: candidate.election_id,
        theme: body.theme,
        title: body.title,
        description: body.description,
        added_at: clock.now(),
    };
    match store.insert_pledge(&pledge).await {
        Err(StoreError::Precondition) => Err(AppError::conflict(
            "candidate-withdrawn",
            "this candidate has withdrawn",
        )),
        other => other.map_err(AppError::from),
    }?;
    tracing::info!(pledge_id = %pledge.id, candidate_id = %pledge.candidate_id, "pledge added");
    Ok(PledgeView::from(&pledge))
}
