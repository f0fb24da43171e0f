//! Policies: what the system does when domain events arrive. Each is idempotent, because
//! the bus delivers at least once.

use crate::clock::Clock;
use crate::domain::ids::CandidateId;
use crate::domain_events::DomainEvent;
use crate::ports::{PledgeStore, ViewStore};
use crate::problem::PortError;
use crate::projection::{dashboard, pledge_count, View};

/// `project-dashboard`: events into the results and my-votes views, a whole batch in one
/// go (one counter update per row).
pub async fn project_dashboard(
    store: &impl ViewStore,
    clock: &impl Clock,
    events: &[DomainEvent],
) -> Result<(), PortError> {
    let effects = dashboard::effects(events, clock.now());
    store.apply(View::Dashboard, effects).await
}

/// `count-pledges`: `PledgeAdded`/`PledgeDeleted` into each candidate's live
/// `pledgeCount`, exact in any order and never below zero.
pub async fn count_pledges(store: &impl ViewStore, events: &[DomainEvent]) -> Result<(), PortError> {
    let effects = events.iter().filter_map(pledge_count::effect).collect();
    store.apply(View::Candidates, effects).await
}

/// `remove-withdrawn-pledges`: on `CandidateWithdrawn`, deletes that candidate's pledges.
/// A pledge already gone is skipped, and each deletion raises `PledgeDeleted`, which
/// brings the pledge counts down. Votes are never touched.
pub async fn remove_withdrawn_pledges(store: &impl PledgeStore, event: &DomainEvent) -> Result<(), PortError> {
    let DomainEvent::CandidateWithdrawn(withdrawn) = event else {
        return Ok(());
    };
    remove_pledges(store, &withdrawn.candidate_id).await
}

async fn remove_pledges(store: &impl PledgeStore, candidate: &CandidateId) -> Result<(), PortError> {
    for pledge in store.pledges(candidate).await? {
        match store.delete_pledge(candidate, &pledge.id).await {
            Ok(()) | Err(PortError::Conflict) => {}
            Err(err) => return Err(err),
        }
    }
    Ok(())
}
