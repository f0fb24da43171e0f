//! `project-dashboard`: domain events from its SQS queue into the results view.
//!
//! The whole batch is applied in one go (one counter update per candidate). A message
//! that is not a domain event is reported failed, so it ends in the dead-letter queue
//! instead of vanishing; if the store fails, every message is reported failed and retried.

use crate::domain::events::DomainEvent;
use crate::ports::DashboardStore;
use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};

pub async fn handle(store: &impl DashboardStore, event: SqsEvent) -> SqsBatchResponse {
    let mut failed = Vec::new();
    let mut applied_ids = Vec::new();
    let mut events = Vec::new();
    for message in event.records {
        let id = message.message_id.unwrap_or_default();
        let _span = tracing::info_span!("message", message_id = %id).entered();
        match message
            .body
            .as_deref()
            .map(serde_json::from_str::<DomainEvent>)
        {
            Some(Ok(domain)) => {
                applied_ids.push(id);
                events.push(domain);
            }
            _ => {
                tracing::error!("message is not a domain event");
                failed.push(id);
            }
        }
    }
    if let Err(err) = store.apply(&events).await {
        tracing::warn!(error = %err, "results view not updated; the batch will be retried");
        failed.extend(applied_ids);
    }
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = failed
        .into_iter()
        .map(|id| {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            failure
        })
        .collect();
    response
}
