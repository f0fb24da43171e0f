//! The ceiling: the very writes a vote makes, straight to DynamoDB Local from as many
//! concurrent clients as the API gets, and a plain conditional `PutItem` for reference.

use adapters::dynamodb::DynamoStore;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::Utc;
use election_core::domain::ids::ElectionId;
use election_core::domain::roll::{District, EntrySource, RollEntry, RollId};
use election_core::domain::text::AccountId;
use election_core::domain::vote::{Participation, Sealed, SealedBallot};
use election_core::ports::{RollStore, VoteStore, VoteWrite};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Successful operations a second, over `duration`, from `clients` concurrent loops.
async fn rate<F, Fut>(clients: usize, duration: Duration, operation: F) -> f64
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let done = Arc::new(AtomicU64::new(0));
    let operation = Arc::new(operation);
    let started = Instant::now();
    let workers: Vec<_> = (0..clients)
        .map(|worker| {
            let (done, operation) = (done.clone(), operation.clone());
            tokio::spawn(async move {
                let mut i = 0u64;
                while started.elapsed() < duration {
                    if operation(worker as u64 * 1_000_000_000 + i).await {
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                    i += 1;
                }
            })
        })
        .collect();
    for worker in workers {
        let _ = worker.await;
    }
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

/// Voters put on the roll before the clock starts: more than the writes a run makes here.
const ROLL_POOL: usize = 30_000;

/// A participation and a ballot shaped as a real vote's: same tables, keys, conditions and
/// transaction, with a sealed choice of the real size.
/// A vote as cast-vote writes it: the participation, with the mixer's sealed copy (bytes of
/// a real seal's size: the write, not the seal, is measured here).
fn vote(election: &ElectionId, voter: AccountId) -> (Participation, SealedBallot) {
    let now = Utc::now();
    let participation = Participation {
        election_id: election.clone(),
        voter,
        roll: RollId::initial(),
        voted_at: now,
        sealed_choice: Sealed {
            sealed_key: vec![7; 184],
            ciphertext: vec![9; 120],
        },
    };
    let mix_copy = SealedBallot {
        election_id: election.clone(),
        sealed: Sealed {
            sealed_key: vec![7; 184],
            ciphertext: vec![9; 140],
        },
    };
    (participation, mix_copy)
}

/// Votes' writes a second, at `clients` concurrent clients, by voters on the roll (put
/// first, untimed).
pub async fn vote_writes(store: DynamoStore, clients: usize, duration: Duration) -> f64 {
    let election = ElectionId::new();
    let voter = |n: usize| AccountId::parse(&format!("raw-voter-{n:06}")).unwrap_or_else(|_| unreachable!());
    let district = District::parse("Bench").unwrap_or_else(|_| unreachable!());
    let entries: Vec<RollEntry> = (0..ROLL_POOL)
        .map(|n| RollEntry {
            election_id: election.clone(),
            roll: RollId::initial(),
            voter: voter(n),
            district: district.clone(),
            source: EntrySource::Line(n as u64 + 1),
        })
        .collect();
    for chunk in entries.chunks(1_000) {
        store.put_entries(chunk).await.expect("the raw run's roll is written");
    }
    let store = Arc::new(store);
    let next = Arc::new(AtomicUsize::new(0));
    let rate = rate(clients, duration, move |_| {
        let n = next.fetch_add(1, Ordering::Relaxed);
        let (store, (participation, mix_copy)) = (store.clone(), vote(&election, voter(n)));
        async move {
            n < ROLL_POOL
                && matches!(
                    store.insert_vote(&participation, &mix_copy).await,
                    Ok(VoteWrite::Stored)
                )
        }
    })
    .await;
    if rate * duration.as_secs_f64() >= ROLL_POOL as f64 * 0.99 {
        eprintln!("warning: the raw run used its whole roll of {ROLL_POOL}; its rate is a floor");
    }
    rate
}

/// Conditional `PutItem`s a second into `table` (keyed by `voterId`, `entry`).
pub async fn conditional_puts(
    client: aws_sdk_dynamodb::Client,
    table: String,
    clients: usize,
    duration: Duration,
) -> f64 {
    let election = ElectionId::new().to_string();
    rate(clients, duration, move |n| {
        let request = client
            .put_item()
            .table_name(&table)
            .item(
                "voterId",
                AttributeValue::S(format!("raw-put-{}-{n}", uuid::Uuid::new_v4())),
            )
            .item("entry", AttributeValue::S(election.clone()))
            .condition_expression("attribute_not_exists(voterId)");
        async move { request.send().await.is_ok() }
    })
    .await
}
