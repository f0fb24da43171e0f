//! Turns table stream records into domain events. Only inserts raise events so far; the
//! ballot claims that sit beside candidates raise none.

use super::items::Item;
use crate::domain::events::{CandidateRegistered, DomainEvent, ElectionRegistered, Voted};
use aws_lambda_events::dynamodb::EventRecord;

/// A stream record that cannot be read as an item of ours.
#[derive(Debug, thiserror::Error)]
#[error("unreadable stream record: {0}")]
pub struct UnreadableRecord(String);

/// The domain event a stream record stands for, if any.
pub fn domain_event(record: &EventRecord) -> Result<Option<DomainEvent>, UnreadableRecord> {
    if record.event_name != "INSERT" {
        return Ok(None);
    }
    let item: Item = serde_dynamo::from_item(record.change.new_image.clone())
        .map_err(|e| UnreadableRecord(e.to_string()))?;
    Ok(match item {
        Item::Election(e) => Some(DomainEvent::ElectionRegistered(ElectionRegistered {
            event_id: format!("ElectionRegistered-{}", e.election_id),
            occurred_at: e.registered_at,
            election_id: e.election_id,
            name: e.name.into(),
            voting_starts_at: e.voting_starts_at,
            voting_ends_at: e.voting_ends_at,
        })),
        Item::Candidate(c) => Some(DomainEvent::CandidateRegistered(CandidateRegistered {
            event_id: format!("CandidateRegistered-{}", c.id),
            occurred_at: c.registered_at,
            election_id: c.election_id,
            candidate_id: c.id,
            ballot_number: c.ballot_number,
            party: c.party.into(),
            name: c.name.into(),
        })),
        Item::Vote(v) => Some(DomainEvent::Voted(Voted {
            event_id: format!("Voted-{}", v.receipt_id),
            occurred_at: v.cast_at,
            election_id: v.election_id,
            candidate_id: v.candidate_id,
            voter_id: v.voter_id.into(),
            receipt_id: v.receipt_id,
        })),
        Item::BallotClaim(_) => None,
    })
}
