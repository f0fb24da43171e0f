//! The recount at size: seeds an election's ballot box with many ballots, straight into a
//! table of its own on DynamoDB Local (no stream, so the pipeline never sees them), then
//! counts it as the recount does, every part at once, and times the whole and each part.

use crate::report::percentile;
use adapters::dynamodb::{DynamoStore, Table, Tables};
use aws_sdk_dynamodb::types::{AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType};
use chrono::Utc;
use election_core::bounds::Bounds;
use election_core::clock::SystemClock;
use election_core::domain::certification::PartCount;
use election_core::domain::ids::{CandidateId, ElectionId, ReceiptId};
use election_core::domain::vote::{coarse, Ballot, Mark};
use election_core::ports::BallotBox;
use election_core::use_cases::recount::{count_part, PARTS_AT_ONCE};
use futures::{StreamExt, TryStreamExt};
use local_runner::clients::{Clients, Ports};
use std::time::{Duration, Instant};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(clap::Args)]
pub struct RecountOptions {
    /// Ballots to seed.
    #[arg(long, default_value_t = 1_000_000)]
    ballots: usize,
    #[arg(long, default_value_t = 5)]
    candidates: usize,
    /// Seeding requests at once.
    #[arg(long, default_value_t = 8)]
    writers: usize,
}

async fn create_table(client: &aws_sdk_dynamodb::Client, name: &str) -> Result<(), BoxError> {
    let attribute = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
    };
    let key = |name: &str, kind| KeySchemaElement::builder().attribute_name(name).key_type(kind).build();
    client
        .create_table()
        .table_name(name)
        .attribute_definitions(attribute("box")?)
        .attribute_definitions(attribute("receiptId")?)
        .key_schema(key("box", KeyType::Hash)?)
        .key_schema(key("receiptId", KeyType::Range)?)
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await?;
    Ok(())
}

pub async fn measure(options: RecountOptions) -> Result<(), BoxError> {
    // The reasons of failed reads are logged, not carried in the error.
    lambda_http::tracing::init_default_subscriber();
    // DynamoDB Local serves a strongly consistent 1 MB page of a million-item table in
    // seconds when eight are read at once, not in the tens of milliseconds of DynamoDB:
    // the recount's reads here get longer than the vote path's 3 s.
    let patient = adapters::aws::timeouts(Bounds::DEFAULT.operation)
        .to_builder()
        .operation_timeout(Duration::from_secs(120))
        .operation_attempt_timeout(Duration::from_secs(120))
        .build();
    let local = Clients::local(Ports::from_env()).await.dynamodb;
    let client = aws_sdk_dynamodb::Client::from_conf(local.config().to_builder().timeout_config(patient).build());
    let table = format!("RecountBench-{}", uuid::Uuid::new_v4().simple());
    create_table(&client, &table).await?;
    let store = DynamoStore::new(client.clone(), Tables::default().with(Table::BallotBox, &table));
    let outcome = seed_and_count(&store, &options).await;
    if let Err(err) = &outcome {
        eprintln!("the recount failed: {err}");
    }
    if let Err(err) = client.delete_table().table_name(&table).send().await {
        eprintln!("the table {table} is left behind: {err}");
    }
    outcome
}

async fn seed_and_count(store: &DynamoStore, options: &RecountOptions) -> Result<(), BoxError> {
    let election = ElectionId::new();
    let candidates: Vec<CandidateId> = (0..options.candidates).map(|_| CandidateId::new()).collect();
    let hour = coarse(Utc::now());
    println!(
        "seeding {} ballots into a table of their own ({} writers)",
        options.ballots, options.writers
    );
    let seeding = Instant::now();
    let per_writer = options.ballots.div_ceil(options.writers);
    let writers: Vec<_> = (0..options.writers)
        .map(|w| {
            let (store, election, candidates) = (store.clone(), election.clone(), candidates.clone());
            let count = per_writer.min(options.ballots.saturating_sub(w * per_writer));
            tokio::spawn(async move {
                for start in (0..count).step_by(1_000) {
                    let ballots: Vec<Ballot> = (start..count.min(start + 1_000))
                        .map(|i| Ballot {
                            election_id: election.clone(),
                            mark: Mark::For(candidates[i % candidates.len()].clone()),
                            receipt_id: ReceiptId::new(),
                            cast_in_hour: hour,
                        })
                        .collect();
                    store.put_ballots("bench", &ballots).await?;
                }
                Ok::<(), election_core::problem::PortError>(())
            })
        })
        .collect();
    for writer in writers {
        writer.await??;
    }
    let seeded = seeding.elapsed();
    println!(
        "seeded in {:.0} s ({:.0} ballots/s)",
        seeded.as_secs_f64(),
        options.ballots as f64 / seeded.as_secs_f64()
    );

    // One page alone first: what a page costs with nothing else running.
    let alone = Instant::now();
    match store.ballots(&election, 0, None).await {
        Ok(page) => println!(
            "one page alone: {} ballots in {:.2} s",
            page.ballots.len(),
            alone.elapsed().as_secs_f64()
        ),
        Err(err) => {
            return Err(format!(
                "one page alone failed after {:.1} s: {err:?}",
                alone.elapsed().as_secs_f64()
            )
            .into())
        }
    }
    // The recount's reads, as it makes them, each part timed.
    let counting = Instant::now();
    let counted: Vec<(PartCount, Duration)> = futures::stream::iter(0..store.parts())
        .map(|part| {
            let election = &election;
            async move {
                let started = Instant::now();
                let count = count_part(store, &SystemClock, election, part, false, &Default::default()).await?;
                Ok::<_, election_core::problem::AppError>((count, started.elapsed()))
            }
        })
        .buffer_unordered(PARTS_AT_ONCE)
        .try_collect()
        .await?;
    let wall = counting.elapsed();
    let total: u64 = counted.iter().flat_map(|(c, _)| c.ballots.values()).sum();
    let pages: Vec<u64> = counted.iter().map(|(c, _)| c.pages).collect();
    let mut times: Vec<Duration> = counted.iter().map(|(_, t)| *t).collect();
    println!(
        "counted {total} ballots in {} parts, {PARTS_AT_ONCE} at a time (seeded {})",
        counted.len(),
        options.ballots
    );
    println!(
        "recount wall time: {:.1} s ({:.0} ballots/s)",
        wall.as_secs_f64(),
        total as f64 / wall.as_secs_f64()
    );
    println!(
        "per part: median {:.1} s, max {:.1} s; pages per part: {}-{}; {:.2} s a page",
        percentile(&mut times, 0.5) / 1000.0,
        percentile(&mut times, 1.0) / 1000.0,
        pages.iter().min().unwrap_or(&0),
        pages.iter().max().unwrap_or(&0),
        times.iter().map(Duration::as_secs_f64).sum::<f64>() / pages.iter().sum::<u64>().max(1) as f64
    );
    if total != options.ballots as u64 {
        return Err(format!("counted {total}, seeded {}", options.ballots).into());
    }
    Ok(())
}
