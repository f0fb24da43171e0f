//! Domain events: what happened in one context, as the bus carries it to the others
//! (EventBridge `detail-type` and `detail`).
//!
//! Version 1 of every shape. `eventId` is derived from the aggregate that raised the event,
//! so it is the same however often the stream record is read or the event redelivered.

use crate::domain::candidate::BallotNumber;
use crate::domain::ids::{CandidateId, ElectionId, PledgeId, ReceiptId};
use crate::domain::vote::Ballot;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Every domain event, tagged the way an EventBridge envelope carries it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "detail-type", content = "detail")]
pub enum DomainEvent {
    ElectionRegistered(ElectionRegistered),
    CandidateRegistered(CandidateRegistered),
    CandidateWithdrawn(CandidateWithdrawn),
    PledgeAdded(PledgeChanged),
    PledgeDeleted(PledgeChanged),
    BallotCast(BallotCast),
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
/// hour, not the instant of the vote.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BallotCast {
    pub event_id: String,
    pub occurred_at: DateTime<Utc>,
    pub election_id: ElectionId,
    pub candidate_id: CandidateId,
    pub receipt_id: ReceiptId,
}

impl BallotCast {
    /// The event a ballot raises: its id comes from the receipt, so the pipeline and a
    /// recount that replays the ballot box name the same event, and count it once.
    pub fn of(ballot: &Ballot) -> Self {
        Self {
            event_id: format!("BallotCast-{}", ballot.receipt_id),
            occurred_at: ballot.cast_in_hour,
            election_id: ballot.election_id.clone(),
            candidate_id: ballot.candidate_id.clone(),
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
        }
    }

    pub fn occurred_at(&self) -> DateTime<Utc> {
        match self {
            Self::ElectionRegistered(e) => e.occurred_at,
            Self::CandidateRegistered(e) => e.occurred_at,
            Self::CandidateWithdrawn(e) => e.occurred_at,
            Self::PledgeAdded(e) | Self::PledgeDeleted(e) => e.occurred_at,
            Self::BallotCast(e) => e.occurred_at,
        }
    }

    /// EventBridge `detail-type`.
    pub fn detail_type(&self) -> &'static str {
        match self {
            Self::ElectionRegistered(_) => "ElectionRegistered",
            Self::CandidateRegistered(_) => "CandidateRegistered",
            Self::CandidateWithdrawn(_) => "CandidateWithdrawn",
            Self::PledgeAdded(_) => "PledgeAdded",
            Self::PledgeDeleted(_) => "PledgeDeleted",
            Self::BallotCast(_) => "BallotCast",
        }
    }

    /// EventBridge `source`: `omp.<bounded context>`.
    pub fn source(&self) -> &'static str {
        match self {
            Self::ElectionRegistered(_) => "omp.elections",
            Self::CandidateRegistered(_) | Self::CandidateWithdrawn(_) => "omp.candidates",
            Self::PledgeAdded(_) | Self::PledgeDeleted(_) => "omp.pledges",
            Self::BallotCast(_) => "omp.votes",
        }
    }

    /// EventBridge `detail`, as JSON text.
    pub fn detail_json(&self) -> String {
        let detail = match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(mut envelope)) => envelope.remove("detail"),
            _ => None,
        };
        detail.map(|d| d.to_string()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_an_eventbridge_envelope() {
        let envelope = r#"{"version":"0","id":"x","detail-type":"BallotCast","source":"omp.votes",
            "account":"000000000000","time":"2027-03-01T09:00:00Z","region":"us-east-1","resources":[],
            "detail":{"eventId":"BallotCast-1","occurredAt":"2027-03-01T09:00:00Z",
            "electionId":"6f1c1d52-4a63-4c1e-9d9c-9a3f4c1b2a10","candidateId":"0b8f3f6e-8a43-4c55-9a6e-3f1f8b2d9c11",
            "receiptId":"9d2a5c1e-3b4f-4d6a-8e7f-1a2b3c4d5e6f"}}"#;
        let event: DomainEvent = serde_json::from_str(envelope).unwrap();
        assert_eq!(event.detail_type(), "BallotCast");
        assert_eq!(event.event_id(), "BallotCast-1");
        assert!(event.detail_json().contains("\"candidateId\""));
    }
}
