//! Registers an election with its voting window (commission); a verifiable one names its
//! trustees and threshold, and waits for their key ceremony before it can open.

use super::authorize;
use super::views::ElectionView;
use crate::auth::{Caller, Role};
use crate::clock::Clock;
use crate::domain::election::{Election, Verifiable, VotingWindow};
use crate::domain::ids::ElectionId;
use crate::domain::roll::RollId;
use crate::domain::text::{AccountId, Name};
use crate::ports::ElectionStore;
use crate::problem::{AppError, Code};
use chrono::{DateTime, Utc};

pub const MAY: &[Role] = &[Role::Commission];

pub struct RegisterElection {
    pub name: Name,
    pub voting_starts_at: DateTime<Utc>,
    pub voting_ends_at: DateTime<Utc>,
    /// The trustees' accounts (in index order) and the threshold, for a verifiable election.
    pub verifiable: Option<(Vec<AccountId>, u32)>,
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
    let verifiable = command
        .verifiable
        .map(|(trustees, threshold)| Verifiable::new(trustees, threshold))
        .transpose()
        .map_err(|detail| AppError::bad_request(Code::InvalidTrustees, detail))?;
    let election = Election {
        id: ElectionId::new(),
        name: command.name,
        window,
        registered_at: now,
        registered_by: super::identity(caller)?,
        roll: RollId::initial(),
        verifiable,
    };
    store.insert_election(&election).await?;
    tracing::info!(election_id = %election.id, "election registered");
    Ok(ElectionView::new(&election, now))
}
