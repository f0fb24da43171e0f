//! `BatchGetItem` and `BatchWriteItem`, whole: a list cut into DynamoDB's batch sizes, what
//! DynamoDB leaves unprocessed sent again, and a throttled or unanswered batch tried again
//! after a jittered pause, a bounded number of times. A batch of reads or of unconditional
//! puts and deletes changes nothing when sent twice. [`again`] does the same for any one
//! request that may be sent twice.

use super::errors::{classify, classify_read};
use super::RawItem;
use crate::retry::Backoff;
use aws_sdk_dynamodb::types::{KeysAndAttributes, PutRequest, WriteRequest};
use aws_sdk_dynamodb::Client;
use election_core::problem::PortError;

/// How often a batch (or what is left of it) is sent while throttled or unanswered.
const TRIES: u32 = 8;
const BACKOFF: Backoff = Backoff::new(std::time::Duration::from_millis(50), std::time::Duration::from_secs(2));
/// DynamoDB's limits: keys per `BatchGetItem`, requests per `BatchWriteItem`.
pub(super) const GET_BATCH: usize = 100;
pub(super) const WRITE_BATCH: usize = 25;

/// Sends a request that changes nothing more when sent twice (a read, or a write whose
/// condition its own earlier send meets) until it is answered, or the tries run out.
pub(super) async fn again<T, Sent>(mut send: impl FnMut() -> Sent) -> Result<T, PortError>
where
    Sent: std::future::Future<Output = Result<T, PortError>>,
{
    let mut tries = 1;
    loop {
        match send().await {
            Err(PortError::Unavailable(_) | PortError::Unknown(_)) if tries < TRIES => {
                BACKOFF.wait(tries).await;
                tries += 1;
            }
            answered => return answered,
        }
    }
}

/// Reads the items at `keys` (strongly consistent), shaped by `shape` (a projection); keys
/// with no item are left out.
pub(super) async fn get_all(
    client: &Client,
    table: &str,
    keys: Vec<RawItem>,
    shape: impl Fn(
        aws_sdk_dynamodb::types::builders::KeysAndAttributesBuilder,
    ) -> aws_sdk_dynamodb::types::builders::KeysAndAttributesBuilder,
) -> Result<Vec<RawItem>, PortError> {
    let mut found = Vec::new();
    for chunk in keys.chunks(GET_BATCH) {
        let mut request = Some(
            shape(
                KeysAndAttributes::builder()
                    .set_keys(Some(chunk.to_vec()))
                    .consistent_read(true),
            )
            .build()
            .map_err(|e| PortError::Internal(e.to_string()))?,
        );
        let mut tries = 0;
        while let Some(keys) = request.take() {
            if tries > 0 {
                BACKOFF.wait(tries).await;
            }
            tries += 1;
            let sent = client.batch_get_item().request_items(table, keys.clone()).send().await;
            let output = match sent.map_err(classify_read) {
                Ok(output) => output,
                // Throttled or unanswered: a read, so try it again.
                Err(PortError::Unavailable(_)) if tries < TRIES => {
                    request = Some(keys);
                    continue;
                }
                Err(err) => return Err(err),
            };
            found.extend(output.responses.and_then(|mut r| r.remove(table)).unwrap_or_default());
            request = output
                .unprocessed_keys
                .and_then(|mut u| u.remove(table))
                .filter(|k| !k.keys().is_empty());
            if request.is_some() && tries >= TRIES {
                return Err(PortError::Unavailable(format!("reads of {table} throttled")));
            }
        }
    }
    Ok(found)
}

/// A put of `item`, for [`write_all`].
pub(super) fn put(item: RawItem) -> Result<WriteRequest, PortError> {
    let put = PutRequest::builder()
        .set_item(Some(item))
        .build()
        .map_err(|e| PortError::Internal(e.to_string()))?;
    Ok(WriteRequest::builder().put_request(put).build())
}

/// Sends every put and delete in `requests`, in order, 25 to a batch.
pub(super) async fn write_all(client: &Client, table: &str, requests: Vec<WriteRequest>) -> Result<(), PortError> {
    for chunk in requests.chunks(WRITE_BATCH) {
        write_batch(client, table, chunk.to_vec()).await?;
    }
    Ok(())
}

async fn write_batch(client: &Client, table: &str, mut requests: Vec<WriteRequest>) -> Result<(), PortError> {
    for tries in 0..TRIES {
        if tries > 0 {
            BACKOFF.wait(tries).await;
        }
        let sent = client
            .batch_write_item()
            .request_items(table, requests.clone())
            .send()
            .await;
        let output = match sent.map_err(classify) {
            Ok(output) => output,
            // Throttled, or unanswered: the same puts and deletes again change nothing more.
            Err(PortError::Unavailable(_) | PortError::Unknown(_)) => continue,
            Err(err) => return Err(err),
        };
        requests = output
            .unprocessed_items
            .and_then(|mut u| u.remove(table))
            .unwrap_or_default();
        if requests.is_empty() {
            return Ok(());
        }
    }
    Err(PortError::Unavailable(format!("writes to {table} throttled")))
}
