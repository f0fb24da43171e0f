//! What every queue consumer shares: reading a batch of EventBridge envelopes, and
//! reporting the messages that failed so that only they are retried.

use crate::domain::events::DomainEvent;
use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};

/// A batch, read: the events with their message ids, and the messages that are not events.
pub struct Batch {
    pub events: Vec<(String, DomainEvent)>,
    pub unreadable: Vec<String>,
}

/// Reads every message; one that is not a domain event is reported failed, so that it ends
/// in the dead-letter queue instead of vanishing.
pub fn read(event: SqsEvent) -> Batch {
    let mut batch = Batch {
        events: Vec::new(),
        unreadable: Vec::new(),
    };
    for message in event.records {
        let id = message.message_id.unwrap_or_default();
        match message.body.as_deref().map(serde_json::from_str::<DomainEvent>) {
            Some(Ok(domain)) => batch.events.push((id, domain)),
            _ => {
                tracing::error!(message_id = %id, "message is not a domain event");
                batch.unreadable.push(id);
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

/// Applies a whole batch in one go with `apply`; if that fails, every message is retried.
pub async fn apply_whole<F, Fut>(event: SqsEvent, apply: F) -> SqsBatchResponse
where
    F: FnOnce(Vec<DomainEvent>) -> Fut,
    Fut: std::future::Future<Output = Result<(), crate::error::StoreError>>,
{
    let Batch { events, mut unreadable } = read(event);
    let (ids, events): (Vec<String>, Vec<DomainEvent>) = events.into_iter().unzip();
    if let Err(err) = apply(events).await {
        tracing::warn!(error = %err, "batch not applied; it will be retried");
        unreadable.extend(ids);
    }
    failures(unreadable)
}
