//! Candidates' live pledge counts: `PledgeAdded` and `PledgeDeleted` add to and take from
//! the `pledgeCount` of the candidate's own item, once each and in any order.

use super::{Effect, Guard, RowChange, RowKey};
use crate::domain_events::DomainEvent;

/// What a pledge event does to its candidate's count; other events do nothing.
pub fn effect(event: &DomainEvent) -> Option<Effect> {
    let (e, guard, delta): (_, fn(_) -> Guard, i64) = match event {
        DomainEvent::PledgeAdded(e) => (e, Guard::CountIn, 1),
        DomainEvent::PledgeDeleted(e) => (e, Guard::CountOut, -1),
        _ => return None,
    };
    let marker = RowKey::Pledge(e.pledge_id.clone());
    let candidate = RowKey::CandidateRecord(e.candidate_id.clone());
    let change = RowChange {
        add: [("pledgeCount", delta)].into(),
        ..Default::default()
    };
    Some(Effect::new(guard(marker), vec![(candidate, change)]))
}
