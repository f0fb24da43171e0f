//! Turnout by district and hour. The commission (and admins) see it through the day;
//! everyone once voting has ended.

use crate::auth::{Caller, Role};
use crate::clock::Clock;
use crate::domain::election::ElectionStatus;
use crate::domain::ids::ElectionId;
use crate::domain::roll::{ImportState, Roll};
use crate::ports::{ElectionStore, RollStore, ViewStore};
use crate::problem::AppError;
use crate::projection::turnout::{turnout, Turnout};

/// `caller` is `None` on the public route.
pub async fn get_turnout(
    store: &(impl ElectionStore + RollStore + ViewStore),
    clock: &impl Clock,
    caller: Option<&Caller>,
    election_id: &ElectionId,
) -> Result<Turnout, AppError> {
    let election = store
        .election(election_id)
        .await?
        .ok_or(AppError::NotFound("no election has this id"))?;
    let privileged = caller.is_some_and(|c| c.has_any(&[Role::Admin, Role::Commission]));
    if !privileged && election.status_at(clock.now()) != ElectionStatus::Closed {
        return Err(AppError::Forbidden(
            "turnout is published once voting has ended; until then only the commission sees it",
        ));
    }
    let roll = match store.roll(election_id, &election.roll).await? {
        Some(roll) => roll,
        None => Roll::new(
            election.id.clone(),
            election.roll.clone(),
            ImportState::Done,
            election.registered_by.clone(),
            election.registered_at,
        ),
    };
    let rows = store.turnout_rows(election_id).await?;
    Ok(turnout(election_id, &roll, &rows))
}
