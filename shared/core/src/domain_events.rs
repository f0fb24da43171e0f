//! Domain events: what happened in one context, as the bus carries it to the others: a
//! kind (what happened), the context that raised it, and a detail.
//!
//! Version 1 of every shape. `eventId` is derived from the aggregate that raised the event,
//! so it is the same however often the stream record is read or the event redelivered.

use crate::domain::candidate::BallotNumber;
use crate::domain::ids::{CandidateId, ElectionId, PledgeId, ReceiptId};
use crate::domain::roll::District;
use crate::domain::vote::Ballot;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Every domain event, by kind.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "detail")]
pub enum DomainEvent {
    ElectionRegistered(ElectionRegistered),
    CandidateRegistered(CandidateRegistered),
    CandidateWithdrawn(CandidateWithdrawn),
    PledgeAdded(PledgeChanged),
    PledgeDeleted(PledgeChanged),
    BallotCast(BallotCast),
    VoterTurnedOut(VoterTurnedOut),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ElectionRegistered {
    pub event_id: String,
    pub occurred_at: DateTime<Utc>,
    pub election_id: ElectionId,
    pub name: String,
    pub voting_starts_at: DateTime<Utc>,
    pub voting_ends_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CandidateRegistered {
    pub event_id: String,
    pub occurred_at: DateTime<Utc>,
    pub election_id: ElectionId,
    pub candidate_id: CandidateId,
    pub ballot_number: BallotNumber,
    pub party: String,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CandidateWithdrawn {
    pub event_id: String,
    pub occurred_at: DateTime<Utc>,
    pub election_id: ElectionId,
    pub candidate_id: CandidateId,
}

/// The detail of `PledgeAdded` and `PledgeDeleted`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PledgeChanged {
    pub event_id: String,
    pub occurred_at: DateTime<Utc>,
    pub election_id: ElectionId,
    pub candidate_id: CandidateId,
    pub pledge_id: PledgeId,
}

/// A ballot went into the ballot box. It names no voter, and `occurredAt` is the ballot's
/// hour, not the instant of the vote. An encrypted ballot's event names no candidate and
/// carries no ciphertext: the pipeline learns only that it was cast.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BallotCast {
    pub event_id: String,
    pub occurred_at: DateTime<Utc>,
    pub election_id: ElectionId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub candidate_id: Option<CandidateId>,
    pub receipt_id: ReceiptId,
}

/// A voter on the roll voted: where they are registered, and the hour. It names no voter
/// and no choice, and comes from the participation, never from a ballot, so that turnout is
/// counted apart from the results.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VoterTurnedOut {
    pub event_id: String,
    /// The hour the voter voted in.
    pub occurred_at: DateTime<Utc>,
    pub election_id: ElectionId,
    pub district: District,
}

impl BallotCast {
    /// The event a ballot raises: its id comes from the receipt, so the pipeline and a
    /// recount that replays the ballot box name the same event, and count it once.
    pub fn of(ballot: &Ballot) -> Self {
        Self {
            event_id: format!("BallotCast-{}", ballot.receipt_id),
            occurred_at: ballot.cast_in_hour,
            election_id: ballot.election_id.clone(),
            candidate_id: ballot.mark.candidate().cloned(),
            receipt_id: ballot.receipt_id.clone(),
        }
    }
}

impl DomainEvent {
    pub fn event_id(&self) -> &str {
        match self {
            Self::ElectionRegistered(e) => &e.event_id,
            Self::CandidateRegistered(e) => &e.event_id,
            Self::CandidateWithdrawn(e) => &e.event_id,
            Self::PledgeAdded(e) | Self::PledgeDeleted(e) => &e.event_id,
            Self::BallotCast(e) => &e.event_id,
            Self::VoterTurnedOut(e) => &e.event_id,
        }
    }

    pub fn occurred_at(&self) -> DateTime<Utc> {
        match self {
            Self::ElectionRegistered(e) => e.occurred_at,
            Self::CandidateRegistered(e) => e.occurred_at,
            Self::CandidateWithdrawn(e) => e.occurred_at,
            Self::PledgeAdded(e) | Self::PledgeDeleted(e) => e.occurred_at,
            Self::BallotCast(e) => e.occurred_at,
            Self::VoterTurnedOut(e) => e.occurred_at,
        }
    }

    /// What happened: the event's name.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::ElectionRegistered(_) => "ElectionRegistered",
            Self::CandidateRegistered(_) => "CandidateRegistered",
            Self::CandidateWithdrawn(_) => "CandidateWithdrawn",
            Self::PledgeAdded(_) => "PledgeAdded",
            Self::PledgeDeleted(_) => "PledgeDeleted",
            Self::BallotCast(_) => "BallotCast",
            Self::VoterTurnedOut(_) => "VoterTurnedOut",
        }
    }

    /// The bounded context that raised it.
    pub fn context(&self) -> &'static str {
        match self {
            Self::ElectionRegistered(_) => "elections",
            Self::CandidateRegistered(_) | Self::CandidateWithdrawn(_) => "candidates",
            Self::PledgeAdded(_) | Self::PledgeDeleted(_) => "pledges",
            Self::BallotCast(_) => "votes",
            Self::VoterTurnedOut(_) => "turnout",
        }
    }

    /// The event's detail: the versioned shape the consumers read.
    pub fn detail(&self) -> Result<serde_json::Value, serde_json::Error> {
        match serde_json::to_value(self)? {
            serde_json::Value::Object(mut tagged) => Ok(tagged.remove("detail").unwrap_or_default()),
            other => Ok(other),
        }
    }

    /// The event of this kind with this detail.
    pub fn from_parts(kind: &str, detail: serde_json::Value) -> Result<Self, serde_json::Error> {
        Self::deserialize(serde_json::json!({ "kind": kind, "detail": detail }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_reads_back_from_its_kind_and_detail() {
        let event = DomainEvent::BallotCast(BallotCast {
            event_id: "BallotCast-1".into(),
            occurred_at: Utc::now(),
            election_id: ElectionId::new(),
            candidate_id: Some(CandidateId::new()),
            receipt_id: ReceiptId::new(),
        });
        let detail = event.detail().unwrap();
        assert!(detail.get("candidateId").is_some(), "{detail}");
        assert_eq!(DomainEvent::from_parts(event.kind(), detail).unwrap(), event);
    }

    #[test]
    fn a_detail_that_is_no_event_is_an_error() {
        assert!(DomainEvent::from_parts("BallotCast", serde_json::json!({})).is_err());
        assert!(DomainEvent::from_parts("Unknown", serde_json::json!({})).is_err());
    }
}
