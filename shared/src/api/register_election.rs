//! `POST /elections` (commission): registers an election with its voting window.

use super::views::ElectionView;
use crate::auth::Role;
use crate::clock::Clock;
use crate::domain::election::{Election, VotingWindow};
use crate::domain::ids::ElectionId;
use crate::domain::text::Name;
use crate::error::AppError;
use crate::http::request::{caller_with_role, json_body};
use crate::ports::ElectionStore;
use chrono::{DateTime, Utc};
use lambda_http::Request;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RegisterElectionRequest {
    name: Name,
    voting_starts_at: DateTime<Utc>,
    voting_ends_at: DateTime<Utc>,
}

pub async fn handle(store: &impl ElectionStore, clock: &impl Clock, req: &Request) -> Result<ElectionView, AppError> {
    caller_with_role(req, &[Role::Commission])?;
    let body: RegisterElectionRequest = json_body(req)?;
    let window = VotingWindow::new(body.voting_starts_at, body.voting_ends_at)
        .map_err(|err| AppError::bad_request("invalid-window", err.to_string()))?;
    let now = clock.now();
    if window.ends_at() <= now {
        return Err(AppError::bad_request(
            "invalid-window",
            "votingEndsAt must be in the future",
        ));
    }
    let election = Election {
        id: ElectionId::new(),
        name: body.name,
        window,
        registered_at: now,
    };
    store.insert_election(&election).await?;
    tracing::info!(election_id = %election.id, "election registered");
    Ok(ElectionView::new(&election, now))
}
