//! Registers an election with its voting window (commission).

use super::authorize;
use super::views::ElectionView;
use crate::auth::{Caller, Role};
use crate::clock::Clock;
use crate::domain::election::{Election, VotingWindow};
use crate::domain::ids::ElectionId;
use crate::domain::roll::RollId;
use crate::domain::text::Name;
use crate::ports::ElectionStore;
use crate::problem::{AppError, Code};
use chrono::{DateTime, Utc};

pub const MAY: &[Role] = &[Role::Commission];

pub struct RegisterElection {
    pub name: Name,
    pub voting_starts_at: DateTime<Utc>,
    pub voting_ends_at: DateTime<Utc>,
}

pub async fn register_election(
    store: &impl ElectionStore,
    clock: &impl Clock,
    caller: &Caller,
    command: RegisterElection,
) -> Result<ElectionView, AppError> {
    authorize(caller, MAY)?;
    let window = VotingWindow::new(command.voting_starts_at, command.voting_ends_at)
        .map_err(|err| AppError::bad_request(Code::InvalidWindow, err.to_string()))?;
    let now = clock.now();
    if window.ends_at() <= now {
        return Err(AppError::bad_request(
            Code::InvalidWindow,
            "votingEndsAt must be in the future",
        ));
    }
    let election = Election {
        id: ElectionId::new(),
        name: command.name,
        window,
        registered_at: now,
        registered_by: super::identity(caller)?,
        roll: RollId::initial(),
    };
    store.insert_election(&election).await?;
    tracing::info!(election_id = %election.id, "election registered");
    Ok(ElectionView::new(&election, now))
}
