//! `GET /elections/{electionId}/results`: votes per candidate. Admin and commission may
//! read them at any time; anyone signed in once voting has ended.

use crate::auth::Role;
use crate::clock::Clock;
use crate::domain::election::ElectionStatus;
use crate::domain::ids::ElectionId;
use crate::domain::results::Results;
use crate::error::AppError;
use crate::http::request::{caller, path_id};
use crate::ports::{DashboardStore, ElectionStore};
use lambda_http::Request;

pub async fn handle(
    store: &(impl ElectionStore + DashboardStore),
    clock: &impl Clock,
    req: &Request,
) -> Result<Results, AppError> {
    let caller = caller(req)?;
    let election_id: ElectionId = path_id(req, "electionId")?;
    let election = store
        .election(&election_id)
        .await?
        .ok_or(AppError::NotFound("no election has this id"))?;
    let privileged = caller.has_any(&[Role::Admin, Role::Commission]);
    if !privileged && election.window.status_at(clock.now()) != ElectionStatus::Closed {
        return Err(AppError::Forbidden("results are public once voting has ended"));
    }
    Ok(store.results(&election_id).await?)
}
