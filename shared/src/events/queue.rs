//! What every queue consumer shares: reading a batch of EventBridge envelopes, and
//! reporting the messages that failed so that only they are retried.

use crate::domain::events::DomainEvent;
use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};

/// A batch, read: the events with their message ids, and the ids of messages that are not
/// events (reported failed).
pub struct Batch {
    pub events: Vec<(String, DomainEvent)>,
    pub failed: Vec<String>,
}

/// Reads every message; one that is not a domain event is reported failed, so that it ends
/// in the dead-letter queue instead of vanishing.
pub fn read(event: SqsEvent) -> Batch {
    let mut batch = Batch {
        events: Vec::new(),
        failed: Vec::new(),
    };
    for message in event.records {
        let id = message.message_id.unwrap_or_default();
        match message.body.as_deref().map(serde_json::from_str::<DomainEvent>) {
            Some(Ok(domain)) => batch.events.push((id, domain)),
            _ => {
                tracing::error!(message_id = %id, "message is not a domain event");
                batch.failed.push(id);
            }
        }
    }
    batch
}

/// The reply naming the failed messages.
pub fn failures(ids: impl IntoIterator<Item = String>) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = ids
        .into_iter()
        .map(|id| {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            failure
        })
        .collect();
    response
}

/// Applies a whole batch in one go with `apply`. If that fails, each event is applied on
/// its own, so that only the messages that still fail are retried (and, in the end, set
/// aside in the dead-letter queue); the others are not held back by them.
pub async fn apply_whole<F, Fut>(event: SqsEvent, apply: F) -> SqsBatchResponse
where
    F: Fn(Vec<DomainEvent>) -> Fut,
    Fut: std::future::Future<Output = Result<(), crate::error::StoreError>>,
{
    let Batch { events, mut failed } = read(event);
    let all: Vec<DomainEvent> = events.iter().map(|(_, e)| e.clone()).collect();
    if let Err(err) = apply(all).await {
        tracing::warn!(error = %err, "batch not applied whole; applying its events one by one");
        for (id, event) in events {
            if let Err(err) = apply(vec![event]).await {
                tracing::warn!(error = %err, message_id = %id, "event not applied; it will be retried");
                failed.push(id);
            }
        }
    }
    failures(failed)
}
