//! `mix-ballots`: the participation stream's votes in, the mixer's copies of their ballots
//! pooled apart from the voters and written to the box in shuffled batches of at least *k*
//! ([`election_core::use_cases::mix_ballots`]); and, on its schedule, the pools that no
//! new vote wakes, with the final batches once no vote can commit.

use crate::config::{Bound, Setting};
use crate::services::App;
use adapters::dynamodb::stream::mix_copy;
use adapters::dynamodb::Table;
use aws_lambda_events::dynamodb::Event;
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use election_core::problem::AppError;
use election_core::use_cases::mix_ballots::{self, Mixed, Mixing};

/// What the mixer reads from its environment: the elections (their close), the
/// participations (to remove its copies), the box (its pools), its key and *k*.
pub const SETTINGS: &[Setting] = &[
    Setting::Table(Table::Elections),
    Setting::Table(Table::Participation),
    Setting::Table(Table::BallotBox),
    Setting::BallotMixKey,
    Setting::MixBatchSize,
    Setting::Bound(Bound::Operation),
    Setting::Bound(Bound::ClockSkewMargin),
];

fn mixing(app: &impl App) -> Mixing {
    Mixing {
        batch: app.mix_batch(),
        bounds: *app.bounds(),
    }
}

/// Takes the votes of a batch of participation records. On a failure the reply names the
/// first record, and the stream hands the batch over again: pooling, removing and writing
/// again change nothing. A record that does not read fails from there on, until the stream
/// gives it to its failure destination (an alarm): a ballot is never dropped in silence.
pub async fn mix_ballots(app: &impl App, event: Event) -> DynamoDbEventResponse {
    let mut copies = Vec::new();
    let mut failed_at = None;
    for record in &event.records {
        match mix_copy(record) {
            Ok(Some(copy)) => copies.push(copy),
            Ok(None) => {}
            Err(err) => {
                tracing::error!(error = %err, event_id = %record.event_id, "a vote's record does not read");
                failed_at = Some(record.change.sequence_number.clone());
                break;
            }
        }
    }
    match mix_ballots::take_copies(app.store(), app.sealer(), app.clock(), &mixing(app), &copies).await {
        Ok(mixed) => tracing::info!(pooled = mixed.pooled, written = mixed.written, batches = ?mixed.batches, "mixed"),
        Err(err) => {
            tracing::warn!(error = %err, "copies not taken; the batch comes again");
            failed_at = event.records.first().map(|r| r.change.sequence_number.clone());
        }
    }
    let mut response = DynamoDbEventResponse::default();
    if let Some(sequence_number) = failed_at {
        let mut failure = DynamoDbBatchItemFailure::default();
        failure.item_identifier = sequence_number;
        response.batch_item_failures.push(failure);
    }
    response
}

/// The mixer's tick: every pool of the elections open or lately closed.
pub async fn tick(app: &impl App) -> Result<Mixed, AppError> {
    let mixed = mix_ballots::tick(app.store(), app.sealer(), app.clock(), &mixing(app)).await?;
    tracing::info!(written = mixed.written, batches = ?mixed.batches, "tick");
    Ok(mixed)
}
