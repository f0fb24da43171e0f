//! Plays Lambda's event source mappings: polls table streams and queues, hands each batch
//! to its function in the shape Lambda would, and honours partial batch failures.

use crate::clients::{describe, Clients};
use crate::lambdas::Lambdas;
use adapters::retry::Backoff;
use aws_lambda_events::dynamodb;
use aws_lambda_events::sqs::{SqsEvent, SqsMessage};
use aws_sdk_dynamodbstreams::error::ProvideErrorMetadata;
use aws_sdk_dynamodbstreams::types::{AttributeValue, Record, ShardIteratorType};
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, Message, MessageSystemAttributeName};
use chrono::DateTime;
use election_core::bounds::Bounds;
use handlers::functions::{Function, QueueFunction, StreamFunction};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

const IDLE_PAUSE: Duration = Duration::from_millis(200);
/// How often a stream is asked for new shards.
const SHARD_DISCOVERY_PAUSE: Duration = Duration::from_secs(2);
/// Waits between retries of a failing stream batch, or of a failing queue poll.
const RETRY_BACKOFF: Backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(5));

/// How often a schedule is played locally, whatever its rate in the template.
pub const LOCAL_TICK: Duration = Duration::from_secs(2);

/// Plays a function's schedule until the task is aborted: one run at a time, as an
/// EventBridge schedule with the function at one instance would.
pub async fn run_schedule(lambdas: Arc<Lambdas>, function: StreamFunction) {
    loop {
        tokio::time::sleep(LOCAL_TICK).await;
        if let Err(err) = lambdas.tick(function).await {
            tracing::warn!(error = %err, function = Function::Stream(function).name(), "scheduled run failed");
        }
    }
}

/// A stream event source mapping.
pub struct StreamMapping {
    pub function: StreamFunction,
    pub stream_arn: String,
    pub batch_size: i32,
    /// `None`: retry without limit.
    pub max_retries: Option<u32>,
    pub on_failure_queue_url: Option<String>,
    /// The event names let through (`None`: all), as the mapping's filter says.
    pub event_names: Option<Vec<String>>,
}

/// A queue event source mapping.
#[derive(Clone)]
pub struct QueueMapping {
    pub function: QueueFunction,
    pub queue_url: String,
    pub queue_arn: String,
    pub batch_size: i32,
}

/// A stream record as Lambda hands it to a function.
fn event_record(record: &Record, stream_arn: &str) -> dynamodb::EventRecord {
    let change = record.dynamodb();
    let image =
        |image: Option<&HashMap<String, AttributeValue>>| serde_dynamo::Item::from(image.cloned().unwrap_or_default());
    let mut stream_record = dynamodb::StreamRecord::default();
    stream_record.approximate_creation_date_time = change
        .and_then(|c| c.approximate_creation_date_time())
        .and_then(|t| DateTime::from_timestamp(t.secs(), 0))
        .unwrap_or_default();
    stream_record.keys = image(change.and_then(|c| c.keys.as_ref()));
    stream_record.new_image = image(change.and_then(|c| c.new_image.as_ref()));
    stream_record.old_image = image(change.and_then(|c| c.old_image.as_ref()));
    stream_record.sequence_number = change.and_then(|c| c.sequence_number()).map(str::to_owned);
    stream_record.size_bytes = change.and_then(|c| c.size_bytes()).unwrap_or_default();
    stream_record.stream_view_type = change
        .and_then(|c| c.stream_view_type())
        .and_then(|v| serde_json::from_value(Value::String(v.as_str().to_owned())).ok());
    let mut event_record = dynamodb::EventRecord::default();
    event_record.aws_region = "us-east-1".into();
    event_record.change = stream_record;
    event_record.event_id = record.event_id().unwrap_or_default().to_owned();
    event_record.event_name = record.event_name().map(|n| n.as_str()).unwrap_or_default().to_owned();
    event_record.event_source = Some("aws:dynamodb".into());
    event_record.event_version = record.event_version().map(str::to_owned);
    event_record.event_source_arn = Some(stream_arn.to_owned());
    event_record
}

/// A queue message as Lambda hands it to a function.
fn sqs_message(message: &Message, queue_arn: &str) -> SqsMessage {
    let mut sqs_message = SqsMessage::default();
    sqs_message.message_id = message.message_id.clone();
    sqs_message.receipt_handle = message.receipt_handle.clone();
    sqs_message.body = message.body.clone();
    sqs_message.md5_of_body = message.md5_of_body.clone();
    sqs_message.attributes = message
        .attributes()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.as_str().to_owned(), v.clone()))
        .collect();
    sqs_message.event_source = Some("aws:sqs".into());
    sqs_message.event_source_arn = Some(queue_arn.to_owned());
    sqs_message.aws_region = Some("us-east-1".into());
    sqs_message
}

fn sequence_number(record: &Record) -> Option<&str> {
    record.dynamodb().and_then(|c| c.sequence_number())
}

/// Reads one shard from where the mapping stands, until the shard closes.
struct ShardCursor {
    shard_id: String,
    iterator: Option<String>,
    /// The last record handed over successfully, to resume after if the iterator lapses.
    last_done: Option<String>,
    /// The record the last batch failed at, and how many times it has.
    failing: Option<(String, u32)>,
}

/// Runs a stream mapping until the task is aborted.
pub async fn run_stream(clients: Clients, lambdas: Arc<Lambdas>, mapping: StreamMapping) {
    let mut cursors: Vec<ShardCursor> = Vec::new();
    let mut known: HashSet<String> = HashSet::new();
    let mut next_discovery = tokio::time::Instant::now();
    loop {
        // New shards are rare: look for them now and then, not on every poll.
        if tokio::time::Instant::now() >= next_discovery {
            if let Err(err) = discover_shards(&clients, &mapping, &mut cursors, &mut known).await {
                tracing::warn!(error = %err, stream = %mapping.stream_arn, "describe stream failed");
            }
            next_discovery = tokio::time::Instant::now() + SHARD_DISCOVERY_PAUSE;
        }
        let mut busy = false;
        for cursor in &mut cursors {
            match poll_shard(&clients, &lambdas, &mapping, cursor).await {
                Ok(had_records) => busy |= had_records,
                Err(err) => {
                    tracing::warn!(error = %err, shard = %cursor.shard_id, "stream poll failed")
                }
            }
        }
        cursors.retain(|c| c.iterator.is_some());
        if !busy {
            tokio::time::sleep(IDLE_PAUSE).await;
        }
    }
}

async fn discover_shards(
    clients: &Clients,
    mapping: &StreamMapping,
    cursors: &mut Vec<ShardCursor>,
    known: &mut HashSet<String>,
) -> Result<(), String> {
    let description = clients
        .streams
        .describe_stream()
        .stream_arn(&mapping.stream_arn)
        .send()
        .await
        .map_err(describe)?;
    for shard in description.stream_description().map(|d| d.shards()).unwrap_or_default() {
        let Some(shard_id) = shard.shard_id() else {
            continue;
        };
        if !known.insert(shard_id.to_owned()) {
            continue;
        }
        let iterator = shard_iterator(clients, mapping, shard_id, ShardIteratorType::TrimHorizon, None).await?;
        cursors.push(ShardCursor {
            shard_id: shard_id.to_owned(),
            iterator,
            last_done: None,
            failing: None,
        });
    }
    Ok(())
}

/// Polls a shard once; returns whether it had records.
async fn poll_shard(
    clients: &Clients,
    lambdas: &Lambdas,
    mapping: &StreamMapping,
    cursor: &mut ShardCursor,
) -> Result<bool, String> {
    let Some(iterator) = cursor.iterator.clone() else {
        return Ok(false);
    };
    let output = match clients
        .streams
        .get_records()
        .shard_iterator(iterator)
        .limit(mapping.batch_size)
        .send()
        .await
    {
        Ok(output) => output,
        Err(err)
            if matches!(
                err.code(),
                Some("TrimmedDataAccessException" | "ExpiredIteratorException")
            ) =>
        {
            // DynamoDB Local lapses iterators taken before a shard's first record: take a fresh one.
            let from = cursor.last_done.clone();
            let kind = if from.is_some() {
                ShardIteratorType::AfterSequenceNumber
            } else {
                ShardIteratorType::TrimHorizon
            };
            cursor.iterator = shard_iterator(clients, mapping, &cursor.shard_id, kind, from).await?;
            return Ok(false);
        }
        Err(err) => return Err(describe(err)),
    };
    let records = output.records();
    if records.is_empty() {
        cursor.iterator = output.next_shard_iterator;
        return Ok(false);
    }
    let mut event = dynamodb::Event::default();
    event.records = records
        .iter()
        .map(|r| event_record(r, &mapping.stream_arn))
        .filter(|r| {
            mapping
                .event_names
                .as_ref()
                .is_none_or(|names| names.contains(&r.event_name))
        })
        .collect();
    // As Lambda does, a batch its filter leaves empty invokes nothing.
    let handled = match event.records.is_empty() {
        true => Ok(Default::default()),
        false => lambdas.stream(mapping.function, event).await,
    };
    let failed_at = match handled {
        Ok(response) => response
            .batch_item_failures
            .first()
            .and_then(|f| f.item_identifier.clone()),
        Err(err) => {
            tracing::error!(error = %err, "stream batch not handled; retrying it from its first record");
            records.first().and_then(sequence_number).map(str::to_owned)
        }
    };
    let Some(failed_at) = failed_at else {
        cursor.failing = None;
        cursor.last_done = records.last().and_then(sequence_number).map(str::to_owned);
        cursor.iterator = output.next_shard_iterator;
        return Ok(true);
    };
    // Attempts are counted per failing record, as Lambda counts retries of a batch.
    let attempts = match cursor.failing.take() {
        Some((at, n)) if at == failed_at => n + 1,
        _ => 1,
    };
    let (iterator_type, from) = if mapping.max_retries.is_some_and(|max| attempts > max) {
        // Out of retries: record the failed record on the failure queue and move past it.
        let failed: Vec<&Record> = records
            .iter()
            .filter(|r| sequence_number(r) == Some(failed_at.as_str()))
            .collect();
        send_to_failure_queue(clients, mapping, &failed).await;
        (ShardIteratorType::AfterSequenceNumber, failed_at)
    } else {
        tracing::warn!(attempt = attempts, sequence_number = %failed_at, "stream batch failed; retrying from the failed record");
        RETRY_BACKOFF.wait(attempts).await;
        cursor.failing = Some((failed_at.clone(), attempts));
        (ShardIteratorType::AtSequenceNumber, failed_at)
    };
    cursor.iterator = shard_iterator(clients, mapping, &cursor.shard_id, iterator_type, Some(from)).await?;
    Ok(true)
}

async fn shard_iterator(
    clients: &Clients,
    mapping: &StreamMapping,
    shard_id: &str,
    kind: ShardIteratorType,
    sequence_number: Option<String>,
) -> Result<Option<String>, String> {
    let output = clients
        .streams
        .get_shard_iterator()
        .stream_arn(&mapping.stream_arn)
        .shard_id(shard_id)
        .shard_iterator_type(kind)
        .set_sequence_number(sequence_number)
        .send()
        .await
        .map_err(describe)?;
    Ok(output.shard_iterator)
}

async fn send_to_failure_queue(clients: &Clients, mapping: &StreamMapping, records: &[&Record]) {
    let Some(queue_url) = &mapping.on_failure_queue_url else {
        tracing::error!(stream = %mapping.stream_arn, "stream batch dropped after retries, no on-failure destination");
        return;
    };
    let info = json!({ "DDBStreamBatchInfo": {
        "streamArn": mapping.stream_arn,
        "startSequenceNumber": records.first().and_then(|r| sequence_number(r)),
        "endSequenceNumber": records.last().and_then(|r| sequence_number(r)),
        "batchSize": records.len(),
    }});
    if let Err(err) = clients
        .sqs
        .send_message()
        .queue_url(queue_url)
        .message_body(info.to_string())
        .send()
        .await
    {
        tracing::error!(error = %describe(err), "could not record a failed stream batch");
    }
}

/// Batches of one queue handled at once: `OMP_QUEUE_CONCURRENCY`, by default 4.
pub fn queue_concurrency() -> usize {
    crate::count_from_env("OMP_QUEUE_CONCURRENCY", 4)
}

/// Runs one poller of a queue mapping until the task is aborted.
pub async fn run_queue(clients: Clients, lambdas: Arc<Lambdas>, mapping: QueueMapping) {
    let patient = adapters::aws::timeouts(Bounds::DEFAULT.operation)
        .to_builder()
        .operation_attempt_timeout(RECEIVE_REPLY_TIMEOUT)
        .operation_timeout(RECEIVE_REPLY_TIMEOUT)
        .build();
    let receiver = aws_sdk_sqs::Client::from_conf(clients.sqs.config().to_builder().timeout_config(patient).build());
    let mut failures = 0;
    loop {
        match poll_queue(&clients, &receiver, &lambdas, &mapping).await {
            Ok(()) => failures = 0,
            Err(err) => {
                failures += 1;
                tracing::warn!(error = %err, queue = %mapping.queue_url, attempt = failures, "queue poll failed");
                RETRY_BACKOFF.wait(failures).await;
            }
        }
    }
}

/// How long a receive waits for messages, and how long the poller waits for its reply. The
/// reply must never be given up on: messages in a reply that comes too late are invisible
/// for the queue's visibility timeout (30 s) with no one handling them. On a loaded machine
/// LocalStack can answer a 1 s long poll seconds late, past the functions' fail-fast timeouts.
const RECEIVE_WAIT_SECONDS: i32 = 1;
const RECEIVE_REPLY_TIMEOUT: Duration = Duration::from_secs(20);

async fn poll_queue(
    clients: &Clients,
    receiver: &aws_sdk_sqs::Client,
    lambdas: &Lambdas,
    mapping: &QueueMapping,
) -> Result<(), String> {
    let output = receiver
        .receive_message()
        .queue_url(&mapping.queue_url)
        .max_number_of_messages(mapping.batch_size)
        .wait_time_seconds(RECEIVE_WAIT_SECONDS)
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .send()
        .await
        .map_err(describe)?;
    let messages = output.messages();
    if messages.is_empty() {
        return Ok(());
    }
    let mut event = SqsEvent::default();
    event.records = messages.iter().map(|m| sqs_message(m, &mapping.queue_arn)).collect();
    let response = lambdas
        .queue(mapping.function, event)
        .await
        .map_err(|e| format!("queue batch not handled: {e}"))?;
    let failed: HashSet<&str> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    // As Lambda does: an empty identifier fails the whole batch.
    if failed.contains("") {
        return Err("the consumer failed the whole batch".into());
    }
    // Failed messages stay on the queue: they come back after the visibility timeout, and
    // go to the dead-letter queue after maxReceiveCount receipts.
    let entries = messages
        .iter()
        .filter(|m| !failed.contains(m.message_id().unwrap_or_default()))
        .enumerate()
        .filter_map(|(i, m)| {
            DeleteMessageBatchRequestEntry::builder()
                .id(i.to_string())
                .set_receipt_handle(m.receipt_handle.clone())
                .build()
                .ok()
        })
        .collect::<Vec<_>>();
    if !entries.is_empty() {
        clients
            .sqs
            .delete_message_batch()
            .queue_url(&mapping.queue_url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(describe)?;
    }
    Ok(())
}
