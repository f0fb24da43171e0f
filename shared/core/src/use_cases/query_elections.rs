//! Lists elections, or reads one (anyone signed in), with the status computed from now.

use super::views::{ElectionView, Listing};
use crate::clock::Clock;
use crate::domain::ids::ElectionId;
use crate::ports::ElectionStore;
use crate::problem::AppError;

pub async fn list_elections(store: &impl ElectionStore, clock: &impl Clock) -> Result<Listing<ElectionView>, AppError> {
    let now = clock.now();
    let items = store
        .elections()
        .await?
        .iter()
        .map(|e| ElectionView::new(e, now))
        .collect();
    Ok(Listing { items })
}

pub async fn get_election(
    store: &impl ElectionStore,
    clock: &impl Clock,
    id: &ElectionId,
) -> Result<ElectionView, AppError> {
    let election = store
        .election(id)
        .await?
        .ok_or(AppError::NotFound("no election has this id"))?;
    Ok(ElectionView::new(&election, clock.now()))
}
