//! The EventBridge adapter: puts domain events on the bus (ballots packed), ten entries per
//! call, and checks every entry, because a 200 reply can still carry failed entries. Beside
//! the bus, the queue where records that cannot become events are set aside (SQS).

use aws_sdk_eventbridge::primitives::DateTime;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use aws_sdk_eventbridge::Client;
use aws_sdk_sqs::types::QueueAttributeName;
use election_core::domain_events::{bus_entries, BusEntry, DomainEvent};
use election_core::ports::EventBus;
use election_core::problem::PortError;

/// Most entries one PutEvents call takes.
const ENTRIES_PER_CALL: usize = 10;

/// The bus and its queues, each part only where the function uses it.
#[derive(Clone, Debug, Default)]
pub struct EventBridgeBus {
    /// The bus events are put on: only the publisher has one.
    bus: Option<(Client, String)>,
    /// Where unreadable records go: only the publisher has one.
    set_aside_queue: Option<(aws_sdk_sqs::Client, String)>,
    /// Every queue of the pipeline, dead-letter queues included, for its backlog.
    pipeline_queues: Option<(aws_sdk_sqs::Client, Vec<String>)>,
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
                .source(entry.source)
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
        let entries = bus_entries(events);
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
}
