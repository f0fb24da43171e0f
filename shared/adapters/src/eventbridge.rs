//! The EventBridge adapter: puts domain events on the bus (ballots packed), ten entries per
//! call, and checks every entry, because a 200 reply can still carry failed entries. Beside
//! the bus, the queues (SQS): where records that cannot become events are set aside, the
//! pipeline's backlog, and the recount's work queue.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use aws_sdk_eventbridge::primitives::DateTime;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use aws_sdk_eventbridge::Client;
use aws_sdk_sqs::types::{QueueAttributeName, SendMessageBatchRequestEntry};
use chrono::{DateTime as Instant, Utc};
use election_core::domain::certification::PartRecount;
use election_core::domain::ids::ElectionId;
use election_core::domain_events::DomainEvent;
use election_core::ports::EventBus;
use election_core::problem::PortError;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

/// Most entries one PutEvents call takes.
const ENTRIES_PER_CALL: usize = 10;

/// Events of one kind and one election, raised one after another, carried as one bus
/// entry: ballots (`detail-type` `BallotPack`) and turnout (`TurnoutPack`). At a national
/// peak one entry per vote would be 10,000 entries a second, each delivered to its target on
/// its own: past EventBridge's target invocation quota in most regions, and the whole cost
/// of the local bus. A pack is only transport: the consumers read it back into its events,
/// each counted once by its own `eventId`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pack {
    pub election_id: ElectionId,
    /// The events' details, in order (`ballots` in packs put before turnout travelled too,
    /// which the event archive keeps and a replay reads).
    #[serde(alias = "ballots")]
    pub events: Vec<serde_json::Value>,
}

/// The kinds of event that travel packed, each with its pack's `detail-type`.
const PACKED: [(&str, &str); 2] = [("BallotCast", "BallotPack"), ("VoterTurnedOut", "TurnoutPack")];

/// Most events in one entry: about 250 bytes each, so that ten entries (one `PutEvents`
/// call) stay well under the call's 256 KB.
pub const EVENTS_PER_PACK: usize = 50;

/// The election of an event that travels packed.
fn packed_in(event: &DomainEvent) -> Option<&ElectionId> {
    match event {
        DomainEvent::BallotCast(e) => Some(&e.election_id),
        DomainEvent::VoterTurnedOut(e) => Some(&e.election_id),
        _ => None,
    }
}

/// One entry for the bus, and how many of the events it was made from it carries.
#[derive(Clone, Debug, PartialEq)]
pub struct BusEntry {
    /// `omp.<bounded context>`.
    pub source: String,
    pub detail_type: &'static str,
    pub detail: String,
    /// The envelope's time: the event's own (a ballot's hour), never the moment it is
    /// published, which would date the vote.
    pub time: Instant<Utc>,
    pub events: usize,
}

fn unwritable(err: serde_json::Error) -> PortError {
    PortError::Internal(format!("event detail does not serialize: {err}"))
}

/// The bus entries for `events`, in order: each event on its own, except runs of one kind
/// of one election that travel packed, [`EVENTS_PER_PACK`] at a time, shuffled.
pub fn bus_entries(events: &[DomainEvent]) -> Result<Vec<BusEntry>, PortError> {
    let mut entries = Vec::new();
    let mut rest = events;
    while let Some(first) = rest.first() {
        let source = format!("omp.{}", first.context());
        let packed = packed_in(first).zip(PACKED.iter().find(|(kind, _)| *kind == first.kind()));
        let Some((election, (kind, pack_type))) = packed else {
            entries.push(BusEntry {
                source,
                detail_type: first.kind(),
                detail: first.detail().map_err(unwritable)?.to_string(),
                time: first.occurred_at(),
                events: 1,
            });
            rest = &rest[1..];
            continue;
        };
        let mut run = rest
            .iter()
            .take(EVENTS_PER_PACK)
            .take_while(|event| event.kind() == *kind && packed_in(event) == Some(election))
            .map(|event| event.detail().map_err(unwritable))
            .collect::<Result<Vec<_>, _>>()?;
        // Shuffled: a pack (and the archive that keeps it) must not keep ballots in the order
        // they were cast, which the participations' times would match.
        run.shuffle(&mut rand::thread_rng());
        let pack = Pack {
            election_id: election.clone(),
            events: run,
        };
        entries.push(BusEntry {
            source,
            detail_type: pack_type,
            detail: serde_json::to_string(&pack).map_err(unwritable)?,
            time: first.occurred_at(),
            events: pack.events.len(),
        });
        rest = &rest[pack.events.len()..];
    }
    Ok(entries)
}

/// The domain events an EventBridge envelope (as a queue receives it) carries: one, or a
/// pack.
pub fn events_in(envelope: &str) -> Result<Vec<DomainEvent>, serde_json::Error> {
    let envelope: EventBridgeEvent = serde_json::from_str(envelope)?;
    if let Some((kind, _)) = PACKED.iter().find(|(_, pack)| *pack == envelope.detail_type) {
        let pack = Pack::deserialize(envelope.detail)?;
        return pack
            .events
            .into_iter()
            .map(|detail| DomainEvent::from_parts(kind, detail))
            .collect();
    }
    Ok(vec![DomainEvent::from_parts(&envelope.detail_type, envelope.detail)?])
}

/// The bus and its queues, each part only where the function uses it.
#[derive(Clone, Debug, Default)]
pub struct EventBridgeBus {
    /// The bus events are put on: only the publisher has one.
    bus: Option<(Client, String)>,
    /// Where unreadable records go: only the publisher has one.
    set_aside_queue: Option<(aws_sdk_sqs::Client, String)>,
    /// Every queue of the pipeline, dead-letter queues included, for its backlog.
    pipeline_queues: Option<(aws_sdk_sqs::Client, Vec<String>)>,
    /// The recount's work queue: only certification has one.
    recount_queue: Option<(aws_sdk_sqs::Client, String)>,
}

impl EventBridgeBus {
    /// Puts events on this bus.
    pub fn with_bus(self, client: Client, bus_name: String) -> Self {
        Self {
            bus: Some((client, bus_name)),
            ..self
        }
    }

    /// Counts the backlog over these queues (URLs).
    pub fn with_pipeline_queues(self, client: aws_sdk_sqs::Client, queue_urls: Vec<String>) -> Self {
        Self {
            pipeline_queues: Some((client, queue_urls)),
            ..self
        }
    }

    /// Sends recount parts to this queue.
    pub fn with_recount_queue(self, client: aws_sdk_sqs::Client, queue_url: String) -> Self {
        Self {
            recount_queue: Some((client, queue_url)),
            ..self
        }
    }

    /// Sets records aside into this queue.
    pub fn with_set_aside_queue(self, client: aws_sdk_sqs::Client, queue_url: String) -> Self {
        Self {
            set_aside_queue: Some((client, queue_url)),
            ..self
        }
    }
}

impl EventBridgeBus {
    /// One `PutEvents` call: how many of `entries`, from the first, the bus accepted.
    async fn put_events(&self, entries: &[BusEntry]) -> Result<usize, PortError> {
        let Some((client, bus_name)) = &self.bus else {
            return Err(PortError::Internal("no bus to put events on".into()));
        };
        let request = entries.iter().map(|entry| {
            PutEventsRequestEntry::builder()
                .event_bus_name(bus_name)
                .source(&entry.source)
                .detail_type(entry.detail_type)
                .detail(&entry.detail)
                .time(DateTime::from_secs(entry.time.timestamp()))
                .build()
        });
        let output = client
            .put_events()
            .set_entries(Some(request.collect()))
            .send()
            .await
            .map_err(|e| PortError::Unavailable(aws_sdk_eventbridge::error::DisplayErrorContext(e).to_string()))?;
        if output.failed_entry_count() > 0 {
            tracing::warn!(failed = output.failed_entry_count(), "bus refused entries");
            let first_failed = output.entries().iter().position(|e| e.error_code().is_some());
            return Ok(first_failed.unwrap_or(0));
        }
        Ok(entries.len())
    }
}

impl EventBus for EventBridgeBus {
    /// The events as bus entries (ballots packed: [`bus_entries`]), ten entries per call, in
    /// order, stopping at the first failure: what counts as accepted is the unbroken run of
    /// events from the first, so a retry starts at the first event not known to be on the
    /// bus. (Sending the calls at once was tried: locally it floods LocalStack and starves
    /// the consumers; the chaos suite's drain took longer.)
    #[tracing::instrument(skip_all, fields(events = events.len()))]
    async fn publish(&self, events: &[DomainEvent]) -> Result<usize, PortError> {
        let entries = bus_entries(events)?;
        let mut accepted = 0;
        for call in entries.chunks(ENTRIES_PER_CALL) {
            let carried = |n: usize| call.iter().take(n).map(|e| e.events).sum::<usize>();
            match self.put_events(call).await {
                Ok(n) if n == call.len() => accepted += carried(n),
                Ok(n) => return Ok(accepted + carried(n)),
                Err(err) if accepted == 0 => return Err(err),
                Err(_) => return Ok(accepted),
            }
        }
        Ok(accepted)
    }

    async fn set_aside(&self, record: String) -> Result<(), PortError> {
        let Some((client, queue_url)) = &self.set_aside_queue else {
            return Err(PortError::Internal(
                "no queue to set unreadable records aside in".into(),
            ));
        };
        client
            .send_message()
            .queue_url(queue_url)
            .message_body(record)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| PortError::Unavailable(aws_sdk_sqs::error::DisplayErrorContext(e).to_string()))
    }

    async fn backlog(&self) -> Result<Vec<(String, u64)>, PortError> {
        let Some((client, queue_urls)) = &self.pipeline_queues else {
            return Err(PortError::Internal("no pipeline queues to count".into()));
        };
        let mut backlog = Vec::new();
        for queue_url in queue_urls {
            let output = client
                .get_queue_attributes()
                .queue_url(queue_url)
                .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
                .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
                .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesDelayed)
                .send()
                .await
                .map_err(|e| PortError::Unavailable(aws_sdk_sqs::error::DisplayErrorContext(e).to_string()))?;
            let waiting: u64 = output
                .attributes()
                .into_iter()
                .flat_map(|attributes| attributes.values())
                .filter_map(|n| n.parse::<u64>().ok())
                .sum();
            if waiting > 0 {
                let name = queue_url.rsplit('/').next().unwrap_or(queue_url);
                backlog.push((name.to_owned(), waiting));
            }
        }
        Ok(backlog)
    }

    /// Ten messages a call (SQS's batch limit), one per part.
    async fn request_recounts(&self, parts: &[PartRecount]) -> Result<(), PortError> {
        let Some((client, queue_url)) = &self.recount_queue else {
            return Err(PortError::Internal("no recount queue to send parts to".into()));
        };
        for call in parts.chunks(10) {
            let entries = call
                .iter()
                .map(|part| {
                    let body = serde_json::to_string(part).map_err(unwritable)?;
                    SendMessageBatchRequestEntry::builder()
                        .id(part.part.to_string())
                        .message_body(body)
                        .build()
                        .map_err(|e| PortError::Internal(e.to_string()))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let output = client
                .send_message_batch()
                .queue_url(queue_url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| PortError::Unavailable(aws_sdk_sqs::error::DisplayErrorContext(e).to_string()))?;
            if !output.failed().is_empty() {
                return Err(PortError::Unavailable(format!(
                    "the recount queue refused {} parts",
                    output.failed().len()
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use election_core::domain::ids::{CandidateId, ReceiptId};
    use election_core::domain::roll::District;
    use election_core::domain_events::{BallotCast, CandidateWithdrawn, VoterTurnedOut};

    #[test]
    fn reads_an_eventbridge_envelope() {
        let envelope = r#"{"version":"0","id":"x","detail-type":"BallotCast","source":"omp.votes",
            "account":"000000000000","time":"2027-03-01T09:00:00Z","region":"us-east-1","resources":[],
            "detail":{"eventId":"BallotCast-1","occurredAt":"2027-03-01T09:00:00Z",
            "electionId":"6f1c1d52-4a63-4c1e-9d9c-9a3f4c1b2a10","candidateId":"0b8f3f6e-8a43-4c55-9a6e-3f1f8b2d9c11",
            "receiptId":"9d2a5c1e-3b4f-4d6a-8e7f-1a2b3c4d5e6f"}}"#;
        let events = events_in(envelope).unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].kind(), "BallotCast");
        assert_eq!(events[0].event_id(), "BallotCast-1");
    }

    fn ballot(election: &ElectionId) -> DomainEvent {
        let receipt = ReceiptId::new();
        DomainEvent::BallotCast(BallotCast {
            event_id: format!("BallotCast-{receipt}"),
            occurred_at: Utc::now(),
            election_id: election.clone(),
            candidate_id: Some(CandidateId::new()),
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
    fn packs_runs_of_one_elections_ballots_shuffled_and_reads_them_back() {
        let (a, b) = (ElectionId::new(), ElectionId::new());
        let withdrawn = DomainEvent::CandidateWithdrawn(CandidateWithdrawn {
            event_id: "CandidateWithdrawn-1".into(),
            occurred_at: Utc::now(),
            election_id: a.clone(),
            candidate_id: CandidateId::new(),
        });
        let mut events: Vec<DomainEvent> = (0..EVENTS_PER_PACK + 3).map(|_| ballot(&a)).collect();
        events.push(withdrawn);
        events.extend((0..2).map(|_| ballot(&a)));
        events.extend((0..4).map(|_| ballot(&b)));
        events.extend((0..3).map(|n| {
            DomainEvent::VoterTurnedOut(VoterTurnedOut {
                event_id: format!("VoterTurnedOut-{n}"),
                occurred_at: Utc::now(),
                election_id: b.clone(),
                district: District::parse("North").unwrap(),
            })
        }));

        let entries = bus_entries(&events).unwrap();

        let shape: Vec<(&str, usize)> = entries.iter().map(|e| (e.detail_type, e.events)).collect();
        assert_eq!(
            shape,
            [
                ("BallotPack", EVENTS_PER_PACK),
                ("BallotPack", 3),
                ("CandidateWithdrawn", 1),
                ("BallotPack", 2),
                ("BallotPack", 4),
                ("TurnoutPack", 3),
            ]
        );
        assert_eq!(entries[2].source, "omp.candidates");
        let read: Vec<DomainEvent> = entries.iter().flat_map(|e| events_in(&envelope(e)).unwrap()).collect();
        let ids = |events: &[DomainEvent]| events.iter().map(|e| e.event_id().to_owned()).collect::<Vec<_>>();
        assert_ne!(
            ids(&read[..EVENTS_PER_PACK]),
            ids(&events[..EVENTS_PER_PACK]),
            "a full pack keeps cast order"
        );
        let sorted = |events: &[DomainEvent]| {
            let mut ids = ids(events);
            ids.sort();
            ids
        };
        assert_eq!(sorted(&read), sorted(&events));
        let call: usize = entries.iter().take(10).map(|e| e.detail.len()).sum();
        assert!(call < 256 * 1024, "{call} bytes in one PutEvents call");
    }

    #[test]
    fn a_ballot_pack_of_the_first_shape_still_reads() {
        let ballot = ballot(&ElectionId::new());
        let old = format!(
            r#"{{"version":"0","id":"x","detail-type":"BallotPack","source":"omp.votes","detail":{{"electionId":"{}","ballots":[{}]}}}}"#,
            match &ballot {
                DomainEvent::BallotCast(b) => b.election_id.to_string(),
                _ => unreachable!(),
            },
            ballot.detail().unwrap()
        );
        assert_eq!(events_in(&old).unwrap(), vec![ballot]);
    }

    #[test]
    fn an_envelope_that_is_no_event_is_an_error() {
        assert!(events_in(r#"{"detail-type":"BallotPack","source":"omp.votes","detail":{"electionId":"6f1c1d52-4a63-4c1e-9d9c-9a3f4c1b2a10","events":[{}]}}"#).is_err());
        assert!(events_in(r#"{"detail-type":"Unknown","source":"omp.votes","detail":{}}"#).is_err());
        assert!(events_in("not json").is_err());
    }
}
