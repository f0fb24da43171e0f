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

/// The ballots of one election, cast one after another, carried as one bus entry
/// (`detail-type` `BallotPack`). At a national peak one entry per vote would be 10,000
/// entries a second, each delivered to its target on its own: past EventBridge's target
/// invocation quota in most regions, and the whole cost of the local bus. A pack is only
/// transport: the consumers read it back into its `BallotCast` events, each counted once
/// by its own `eventId`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BallotPack {
    pub election_id: ElectionId,
    pub ballots: Vec<BallotCast>,
}

const BALLOT_PACK: &str = "BallotPack";

/// Most ballots in one entry: about 250 bytes each, so that ten entries (one `PutEvents`
/// call) stay well under the call's 256 KB.
pub const BALLOTS_PER_ENTRY: usize = 50;

/// One entry for the bus, and how many of the events it was made from it carries.
#[derive(Clone, Debug, PartialEq)]
pub struct BusEntry {
    pub source: &'static str,
    pub detail_type: &'static str,
    pub detail: String,
    /// The envelope's time: the event's own (a ballot's hour), never the moment it is
    /// published, which would date the vote.
    pub time: DateTime<Utc>,
    pub events: usize,
}

/// The bus entries for `events`, in order: each event on its own, except runs of ballots
/// of one election, packed [`BALLOTS_PER_ENTRY`] at a time.
pub fn bus_entries(events: &[DomainEvent]) -> Vec<BusEntry> {
    let mut entries = Vec::new();
    let mut rest = events;
    while let Some(first) = rest.first() {
        let DomainEvent::BallotCast(ballot) = first else {
            entries.push(BusEntry {
                source: first.source(),
                detail_type: first.detail_type(),
                detail: first.detail_json(),
                time: first.occurred_at(),
                events: 1,
            });
            rest = &rest[1..];
            continue;
        };
        let ballots: Vec<BallotCast> = rest
            .iter()
            .take(BALLOTS_PER_ENTRY)
            .map_while(|event| match event {
                DomainEvent::BallotCast(b) if b.election_id == ballot.election_id => Some(b.clone()),
                _ => None,
            })
            .collect();
        let pack = BallotPack {
            election_id: ballot.election_id.clone(),
            ballots,
        };
        entries.push(BusEntry {
            source: first.source(),
            detail_type: BALLOT_PACK,
            detail: serde_json::to_string(&pack).unwrap_or_default(),
            time: ballot.occurred_at,
            events: pack.ballots.len(),
        });
        rest = &rest[pack.ballots.len()..];
    }
    entries
}

/// The domain events an EventBridge envelope (as a queue receives it) carries: one, or a
/// pack of ballots.
pub fn events_in(envelope: &str) -> Result<Vec<DomainEvent>, serde_json::Error> {
    let envelope: serde_json::Value = serde_json::from_str(envelope)?;
    if envelope["detail-type"] == BALLOT_PACK {
        let pack = BallotPack::deserialize(&envelope["detail"])?;
        return Ok(pack.ballots.into_iter().map(DomainEvent::BallotCast).collect());
    }
    Ok(vec![DomainEvent::deserialize(&envelope)?])
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

    fn ballot(election: &ElectionId) -> DomainEvent {
        let receipt = ReceiptId::new();
        DomainEvent::BallotCast(BallotCast {
            event_id: format!("BallotCast-{receipt}"),
            occurred_at: Utc::now(),
            election_id: election.clone(),
            candidate_id: CandidateId::new(),
            receipt_id: receipt,
        })
    }

    fn envelope(entry: &BusEntry) -> String {
        format!(
            r#"{{"version":"0","id":"x","detail-type":"{}","source":"{}","detail":{}}}"#,
            entry.detail_type, entry.source, entry.detail
        )
    }

    #[test]
    fn packs_runs_of_one_elections_ballots_in_order_and_reads_them_back() {
        let (a, b) = (ElectionId::new(), ElectionId::new());
        let withdrawn = DomainEvent::CandidateWithdrawn(CandidateWithdrawn {
            event_id: "CandidateWithdrawn-1".into(),
            occurred_at: Utc::now(),
            election_id: a.clone(),
            candidate_id: CandidateId::new(),
        });
        let mut events: Vec<DomainEvent> = (0..BALLOTS_PER_ENTRY + 3).map(|_| ballot(&a)).collect();
        events.push(withdrawn);
        events.extend((0..2).map(|_| ballot(&a)));
        events.extend((0..4).map(|_| ballot(&b)));

        let entries = bus_entries(&events);

        let shape: Vec<(&str, usize)> = entries.iter().map(|e| (e.detail_type, e.events)).collect();
        assert_eq!(
            shape,
            [
                ("BallotPack", BALLOTS_PER_ENTRY),
                ("BallotPack", 3),
                ("CandidateWithdrawn", 1),
                ("BallotPack", 2),
                ("BallotPack", 4),
            ]
        );
        let read: Vec<DomainEvent> = entries.iter().flat_map(|e| events_in(&envelope(e)).unwrap()).collect();
        assert_eq!(read, events);
        let call: usize = entries.iter().take(10).map(|e| e.detail.len()).sum();
        assert!(call < 256 * 1024, "{call} bytes in one PutEvents call");
    }

    #[test]
    fn an_envelope_that_is_no_event_is_an_error() {
        assert!(events_in(r#"{"detail-type":"BallotPack","detail":{"ballots":[{}]}}"#).is_err());
        assert!(events_in(r#"{"detail-type":"Unknown","detail":{}}"#).is_err());
        assert!(events_in("not json").is_err());
    }
}
