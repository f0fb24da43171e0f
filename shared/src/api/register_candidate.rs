//! `POST /elections/{electionId}/candidates` (commission): registers one candidate.

use super::views::CandidateView;
use crate::auth::Role;
use crate::clock::Clock;
use crate::domain::candidate::{BallotNumber, Candidate, CandidateStatus};
use crate::domain::ids::{CandidateId, ElectionId};
use crate::domain::text::Name;
use crate::error::{AppError, StoreError};
use crate::http::request::{caller_with_role, json_body, path_id};
use crate::ports::{CandidateStore, ElectionStore};
use lambda_http::Request;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RegisterCandidateRequest {
    ballot_number: BallotNumber,
    party: Name,
    name: Name,
    user_id: Name,
}

pub async fn handle(
    store: &(impl ElectionStore + CandidateStore),
    clock: &impl Clock,
    req: &Request,
) -> Result<CandidateView, AppError> {
    caller_with_role(req, &[Role::Commission])?;
    let election_id: ElectionId = path_id(req, "electionId")?;
    let body: RegisterCandidateRequest = json_body(req)?;
    if store.election(&election_id).await?.is_none() {
        return Err(AppError::NotFound("no election has this id"));
    }
    let candidate = Candidate {
        id: CandidateId::new(),
        election_id,
        ballot_number: body.ballot_number,
        party: body.party,
        name: body.name,
        user_id: body.user_id,
        status: CandidateStatus::Registered,
        registered_at: clock.now(),
        pledge_count: 0,
    };
    match store.insert_candidate(&candidate).await {
        Err(StoreError::Conflict) => Err(AppError::conflict(
            "ballot-number-taken",
            format!(
                "ballot number {} is already taken in this election",
                candidate.ballot_number.get()
            ),
        )),
        other => other.map_err(AppError::from),
    }?;
    tracing::info!(candidate_id = %candidate.id, election_id = %candidate.election_id, "candidate registered");
    Ok(CandidateView::from(&candidate))
}
