//! `publish-events`: table stream records in, domain events out on the bus.
//!
//! On a failure the reply names the first record not published; the stream then retries
//! from there, in order. Records before it that were published may be published again on
//! a retry, which is safe because every consumer is idempotent by `eventId`. A record that
//! does not read is no failure to retry (it never will read): it is set aside whole, with
//! the reason, and the shard moves on.

use crate::config::Setting;
use adapters::dynamodb::stream::domain_event;
use aws_lambda_events::dynamodb::Event;
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use election_core::ports::EventBus;

/// What the publisher reads from its environment: the bus, and where records are set aside.
pub const SETTINGS: &[Setting] = &[Setting::EventBusName, Setting::UnreadableRecordsQueueUrl];

pub async fn publish_events(bus: &impl EventBus, event: Event) -> DynamoDbEventResponse {
    let mut sequence_numbers = Vec::new();
    let mut events = Vec::new();
    let mut first_failure = None;
    for record in &event.records {
        match domain_event(record) {
            Ok(Some(domain)) => {
                sequence_numbers.push(record.change.sequence_number.clone());
                events.push(domain);
            }
            Ok(None) => {}
            Err(err) => {
                tracing::error!(error = %err, event_id = %record.event_id, "unreadable stream record set aside");
                let kept = serde_json::json!({ "reason": err.to_string(), "record": record });
                if let Err(err) = bus.set_aside(kept.to_string()).await {
                    tracing::error!(error = %err, event_id = %record.event_id, "unreadable record not set aside");
                    first_failure = Some(record.change.sequence_number.clone());
                    break;
                }
            }
        }
    }
    match bus.publish(&events).await {
        Ok(accepted) if accepted == events.len() => {}
        Ok(accepted) => first_failure = Some(sequence_numbers[accepted].clone()),
        Err(err) => {
            tracing::warn!(error = %err, "bus unavailable");
            first_failure = sequence_numbers.first().cloned().or(first_failure);
        }
    }
    let mut response = DynamoDbEventResponse::default();
    if let Some(sequence_number) = first_failure {
        let mut failure = DynamoDbBatchItemFailure::default();
        failure.item_identifier = sequence_number;
        response.batch_item_failures.push(failure);
    }
    response
}
