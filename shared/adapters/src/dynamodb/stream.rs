//! Turns table stream records into domain events: inserts of elections, candidates,
//! ballots and pledges; a candidate's status moving to withdrawn; a roll entry that votes;
//! a pledge's removal. Markers, ballot claims, roll entries written or removed, pooled
//! copies and counter updates raise none. A roll entry that votes also hands the mixer its
//! copy of the ballot ([`mix_copy`]).

use super::items::{EntityTag, Item, ParticipationItem, ENTITIES};
use aws_lambda_events::dynamodb::EventRecord;
use election_core::domain::candidate::CandidateStatus;
use election_core::domain::vote::{coarse, Sealed, SealedBallot};
use election_core::domain_events::{
    BallotCast, CandidateRegistered, CandidateWithdrawn, DomainEvent, ElectionRegistered, PledgeChanged, VoterTurnedOut,
};
use election_core::use_cases::mix_ballots::MixCopy;
use sha2::{Digest, Sha256};

/// A stream record that cannot be read as an item of ours.
#[derive(Debug, thiserror::Error)]
#[error("unreadable stream record: {0}")]
pub struct UnreadableRecord(String);

/// Reads an image as one of our items; `None` for markers and other bookkeeping.
fn item(image: &serde_dynamo::Item) -> Result<Option<Item>, UnreadableRecord> {
    let tag: EntityTag = serde_dynamo::from_item(image.clone()).map_err(|e| UnreadableRecord(e.to_string()))?;
    match tag.entity.as_deref() {
        Some(entity) if ENTITIES.contains(&entity) => serde_dynamo::from_item(image.clone())
            .map(Some)
            .map_err(|e| UnreadableRecord(e.to_string())),
        _ => Ok(None),
    }
}

/// The domain event a stream record stands for, if any.
pub fn domain_event(record: &EventRecord) -> Result<Option<DomainEvent>, UnreadableRecord> {
    let change = &record.change;
    Ok(match record.event_name.as_str() {
        "INSERT" => item(&change.new_image)?.and_then(inserted),
        "MODIFY" => match (item(&change.old_image)?, item(&change.new_image)?) {
            (Some(Item::Candidate(old)), Some(Item::Candidate(new)))
                if old.status == CandidateStatus::Registered && new.status == CandidateStatus::Withdrawn =>
            {
                Some(DomainEvent::CandidateWithdrawn(CandidateWithdrawn {
                    event_id: format!("CandidateWithdrawn-{}", new.id),
                    occurred_at: new.withdrawn_at.unwrap_or(change.approximate_creation_date_time),
                    election_id: new.election_id,
                    candidate_id: new.id,
                }))
            }
            (Some(Item::Participation(old)), Some(Item::Participation(new)))
                if old.voted_at.is_none() && new.voted_at.is_some() =>
            {
                Some(DomainEvent::VoterTurnedOut(turned_out(new)))
            }
            _ => None,
        },
        "REMOVE" => match item(&change.old_image)? {
            Some(Item::Pledge(p)) => Some(DomainEvent::PledgeDeleted(PledgeChanged {
                event_id: format!("PledgeDeleted-{}", p.pledge_id),
                occurred_at: change.approximate_creation_date_time,
                election_id: p.election_id,
                candidate_id: p.candidate_id,
                pledge_id: p.pledge_id,
            })),
            _ => None,
        },
        _ => None,
    })
}

/// The mixer's copy a stream record hands over: that of a roll entry that votes. `None`
/// for any other record (the copy's removal, a roll's import, a correction).
pub fn mix_copy(record: &EventRecord) -> Result<Option<MixCopy>, UnreadableRecord> {
    if record.event_name != "MODIFY" {
        return Ok(None);
    }
    let change = &record.change;
    let (Some(Item::Participation(old)), Some(Item::Participation(new))) =
        (item(&change.old_image)?, item(&change.new_image)?)
    else {
        return Ok(None);
    };
    if old.voted_at.is_some() || new.voted_at.is_none() {
        return Ok(None);
    }
    let (Some(sealed_key), Some(ciphertext)) = (new.mix_key, new.mix_ballot) else {
        return Err(UnreadableRecord(format!(
            "a vote on {} without the mixer's copy of its ballot",
            new.entry
        )));
    };
    Ok(Some(MixCopy {
        voter: new.voter_id,
        roll: new.roll_id,
        ballot: SealedBallot {
            election_id: new.election_id,
            sealed: Sealed { sealed_key, ciphertext },
        },
    }))
}

/// The turnout a vote raises: the district and the hour, and an id that is the same however
/// often the record is read, from which the entry cannot be found without its keys.
fn turned_out(entry: ParticipationItem) -> VoterTurnedOut {
    let digest = Sha256::digest(format!("{}\n{}", entry.voter_id.as_str(), entry.entry));
    VoterTurnedOut {
        event_id: format!("VoterTurnedOut-{}", hex::encode(&digest[..16])),
        occurred_at: entry.voted_at.map(coarse).unwrap_or_default(),
        election_id: entry.election_id,
        district: entry.district,
    }
}

fn inserted(item: Item) -> Option<DomainEvent> {
    match item {
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
        Item::Ballot(b) => Some(DomainEvent::BallotCast(BallotCast::of(&b.into()))),
        Item::Pledge(p) => Some(DomainEvent::PledgeAdded(PledgeChanged {
            event_id: format!("PledgeAdded-{}", p.pledge_id),
            occurred_at: p.added_at,
            election_id: p.election_id,
            candidate_id: p.candidate_id,
            pledge_id: p.pledge_id,
        })),
        // A roll entry raises no event until it votes; then only turnout (above). A copy
        // waiting in a mixer's pool raises none: its ballot will, once in the box. A
        // challenged ballot is never cast.
        Item::BallotClaim(_) | Item::Participation(_) | Item::PooledBallot(_) | Item::ChallengedBallot(_) => None,
    }
}
