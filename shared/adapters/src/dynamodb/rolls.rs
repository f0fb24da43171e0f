//! The rolls table (one item per version of an election's roll: its import's progress and
//! its counts by district, keyed by (`electionId`, `rollId`)), and the roll entries, which
//! live in the participation table: each is the voter's participation record to be.

use super::errors::{cancellation, classify, classify_read, corrupt, Cancelled};
use super::items::{Item, ParticipationItem, RollItem};
use super::keys::roll_entry;
use super::votes::entry_from;
use super::DynamoStore;
use super::Table;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Delete, Put, TransactWriteItem, Update};
use chrono::Utc;
use election_core::domain::ids::ElectionId;
use election_core::domain::roll::{District, EntrySource, EntryWrite, ImportState, Roll, RollEntry, RollId};
use election_core::domain::text::AccountId;
use election_core::ports::RollStore;
use election_core::problem::PortError;
use futures::stream::{self, StreamExt, TryStreamExt};
use std::collections::HashMap;

/// How many batch requests of an import are in flight at once.
const CONCURRENT_BATCHES: usize = 8;

fn internal(err: impl std::fmt::Display) -> PortError {
    PortError::Internal(err.to_string())
}

fn text(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn number(n: u64) -> AttributeValue {
    AttributeValue::N(n.to_string())
}

fn state(state: ImportState) -> Result<AttributeValue, PortError> {
    match serde_dynamo::to_attribute_value(state).map_err(corrupt)? {
        AttributeValue::S(s) => Ok(AttributeValue::S(s)),
        other => Err(internal(format!("an import state is text, not {other:?}"))),
    }
}

impl DynamoStore {
    /// The whole roll item, as a put that replaces it on condition that no run saved past
    /// `expected_next_line`.
    fn progress_put(&self, roll: &Roll, expected_next_line: u64) -> Result<Put, PortError> {
        let item = serde_dynamo::to_item(RollItem::from(roll)).map_err(corrupt)?;
        Put::builder()
            .table_name(self.table(Table::Rolls)?)
            .set_item(Some(item))
            .condition_expression("nextLine = :expected AND #state IN (:awaiting, :importing)")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":expected", number(expected_next_line))
            .expression_attribute_values(":awaiting", state(ImportState::AwaitingUpload)?)
            .expression_attribute_values(":importing", state(ImportState::Importing)?)
            .build()
            .map_err(internal)
    }

    /// A change of a district's count on a roll's item, which is made if it is not there
    /// (the initial roll has none until it is corrected).
    async fn count(
        &self,
        election: &ElectionId,
        roll: &RollId,
        district: &District,
        by: i64,
    ) -> Result<Update, PortError> {
        let table = self.table(Table::Rolls)?;
        let now = Utc::now();
        // One expression cannot make the map and add to a path in it: make it first.
        let fresh = Roll::new(
            election.clone(),
            roll.clone(),
            ImportState::Done,
            AccountId::parse("commission").map_err(internal)?,
            now,
        );
        let item = serde_dynamo::to_item(RollItem::from(&fresh)).map_err(corrupt)?;
        match self
            .client
            .put_item()
            .table_name(table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(rollId)")
            .send()
            .await
        {
            Ok(_) => {}
            Err(err) if is_condition_failure(&err) => {}
            Err(err) => return Err(classify(err)),
        }
        Update::builder()
            .table_name(table)
            .key("electionId", text(election.to_string()))
            .key("rollId", text(roll.as_str()))
            .update_expression("SET districts.#d = if_not_exists(districts.#d, :zero) + :by, updatedAt = :now")
            .condition_expression("#state = :done")
            .expression_attribute_names("#d", district.as_str())
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":zero", AttributeValue::N("0".into()))
            .expression_attribute_values(":by", AttributeValue::N(by.to_string()))
            .expression_attribute_values(":now", text(now.to_rfc3339()))
            .expression_attribute_values(":done", state(ImportState::Done)?)
            .build()
            .map_err(internal)
    }

    /// The check that `roll` is the election's roll in force (the initial roll is, on an
    /// election that has never adopted another).
    fn roll_in_force(&self, election: &ElectionId, roll: &RollId) -> Result<TransactWriteItem, PortError> {
        let condition = match *roll == RollId::initial() {
            true => "attribute_not_exists(rollId) OR rollId = :roll",
            false => "rollId = :roll",
        };
        let check = ConditionCheck::builder()
            .table_name(self.table(Table::Elections)?)
            .key("electionId", text(election.to_string()))
            .condition_expression(condition)
            .expression_attribute_values(":roll", text(roll.as_str()))
            .build()
            .map_err(internal)?;
        Ok(TransactWriteItem::builder().condition_check(check).build())
    }
}

impl DynamoStore {
    /// The entries of `chunk` that are there, by key, with the line each came from.
    async fn lines_there(
        &self,
        table: &str,
        chunk: &[RollEntry],
    ) -> Result<Vec<((String, String), Option<u64>)>, PortError> {
        let keys = chunk
            .iter()
            .map(|e| {
                HashMap::from([
                    ("voterId".to_owned(), text(e.voter.as_str())),
                    ("entry".to_owned(), text(roll_entry(&e.election_id, &e.roll))),
                ])
            })
            .collect();
        let items = super::batches::get_all(&self.client, table, keys, |shape| {
            shape
                .projection_expression("voterId, #entry, #line")
                .expression_attribute_names("#entry", "entry")
                .expression_attribute_names("#line", "line")
        })
        .await?;
        let mut found = Vec::new();
        for item in items {
            let text_of = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
            let line = item
                .get("line")
                .and_then(|v| v.as_n().ok())
                .and_then(|n| n.parse().ok());
            found.push(((text_of("voterId"), text_of("entry")), line));
        }
        Ok(found)
    }

    /// Puts up to 25 entries, sending the unprocessed ones again.
    async fn write_batch(&self, table: &str, chunk: &[&RollEntry]) -> Result<(), PortError> {
        let requests = chunk
            .iter()
            .map(|entry| {
                let item = Item::Participation(ParticipationItem::from(*entry));
                super::batches::put(serde_dynamo::to_item(item).map_err(corrupt)?)
            })
            .collect::<Result<Vec<_>, PortError>>()?;
        super::batches::write_all(&self.client, table, requests).await
    }
}

/// A transaction's outcome: a failed condition on its `n`th item is `failed[n]`.
fn refused_by<T>(
    sent: Result<T, SdkError<TransactWriteItemsError, HttpResponse>>,
    failed: &[PortError],
) -> Result<(), PortError> {
    let err = match sent {
        Ok(_) => return Ok(()),
        Err(err) => err,
    };
    let reasons = cancellation(&err).unwrap_or_default();
    match reasons.iter().position(|r| *r == Cancelled::ConditionFailed) {
        Some(n) => Err(failed.get(n).cloned().unwrap_or(PortError::Conflict)),
        None => Err(classify(err)),
    }
}

fn is_condition_failure<R>(err: &SdkError<PutItemError, R>) -> bool {
    matches!(
        err.as_service_error(),
        Some(PutItemError::ConditionalCheckFailedException(_))
    )
}

impl RollStore for DynamoStore {
    #[tracing::instrument(skip_all, fields(election_id = %roll.election_id, roll_id = %roll.id))]
    async fn insert_roll(&self, roll: &Roll) -> Result<(), PortError> {
        let item = serde_dynamo::to_item(RollItem::from(roll)).map_err(corrupt)?;
        self.client
            .put_item()
            .table_name(self.table(Table::Rolls)?)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(rollId)")
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    #[tracing::instrument(skip(self))]
    async fn roll(&self, election: &ElectionId, id: &RollId) -> Result<Option<Roll>, PortError> {
        let output = self
            .client
            .get_item()
            .table_name(self.table(Table::Rolls)?)
            .key("electionId", text(election.to_string()))
            .key("rollId", text(id.as_str()))
            .consistent_read(true)
            .send()
            .await
            .map_err(classify_read)?;
        output
            .item
            .map(|raw| {
                serde_dynamo::from_item::<_, RollItem>(raw)
                    .map(Roll::from)
                    .map_err(corrupt)
            })
            .transpose()
    }

    /// Reads which of the entries are there (by batches of 100), then writes the others (by
    /// batches of 25): an import writes its own roll's entries only, and a run is the only
    /// one whose counts are saved (its checkpoint's condition), so an entry found from the
    /// same line is this import again, one from another line a duplicate, and two runs that
    /// write the same entry write the same item.
    #[tracing::instrument(skip_all, fields(entries = entries.len()))]
    async fn put_entries(&self, entries: &[RollEntry]) -> Result<Vec<EntryWrite>, PortError> {
        let table = self.table(Table::Participation)?;
        let key = |e: &RollEntry| (e.voter.as_str().to_owned(), roll_entry(&e.election_id, &e.roll));
        let reads: Vec<_> = entries
            .chunks(super::batches::GET_BATCH)
            .map(|chunk| self.lines_there(table, chunk))
            .collect();
        let there: HashMap<(String, String), Option<u64>> = stream::iter(reads)
            .buffered(CONCURRENT_BATCHES)
            .try_collect::<Vec<_>>()
            .await?
            .into_iter()
            .flatten()
            .collect();
        let mut outcomes = Vec::with_capacity(entries.len());
        let mut new = Vec::new();
        for entry in entries {
            outcomes.push(match (there.get(&key(entry)), entry.source) {
                (None, _) => {
                    new.push(entry);
                    EntryWrite::Written
                }
                (Some(Some(there)), EntrySource::Line(line)) if *there == line => EntryWrite::Written,
                (Some(of_line), _) => EntryWrite::Duplicate { of_line: *of_line },
            });
        }
        let writes: Vec<_> = new
            .chunks(super::batches::WRITE_BATCH)
            .map(|chunk| self.write_batch(table, chunk))
            .collect();
        stream::iter(writes)
            .buffered(CONCURRENT_BATCHES)
            .try_collect::<Vec<()>>()
            .await?;
        Ok(outcomes)
    }

    #[tracing::instrument(skip_all, fields(election_id = %roll.election_id, roll_id = %roll.id))]
    async fn save_progress(&self, roll: &Roll, expected_next_line: u64) -> Result<(), PortError> {
        let sent = self
            .client
            .transact_write_items()
            .transact_items(
                TransactWriteItem::builder()
                    .put(self.progress_put(roll, expected_next_line)?)
                    .build(),
            )
            .send()
            .await;
        refused_by(sent, &[PortError::Conflict])
    }

    #[tracing::instrument(skip_all, fields(election_id = %roll.election_id, roll_id = %roll.id))]
    async fn adopt_roll(&self, roll: &Roll, expected_next_line: u64) -> Result<(), PortError> {
        // The roll in force is the latest upload's: an older one that finishes later is not.
        let started = roll.started_at.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
        let adopt = Update::builder()
            .table_name(self.table(Table::Elections)?)
            .key("electionId", text(roll.election_id.to_string()))
            .update_expression("SET rollId = :roll, rollStartedAt = :started")
            .condition_expression(
                "attribute_exists(electionId) AND (attribute_not_exists(rollStartedAt) OR rollStartedAt < :started)",
            )
            .expression_attribute_values(":roll", text(roll.id.as_str()))
            .expression_attribute_values(":started", text(started))
            .build()
            .map_err(internal)?;
        let sent = self
            .client
            .transact_write_items()
            .transact_items(
                TransactWriteItem::builder()
                    .put(self.progress_put(roll, expected_next_line)?)
                    .build(),
            )
            .transact_items(TransactWriteItem::builder().update(adopt).build())
            .send()
            .await;
        refused_by(sent, &[PortError::Conflict, PortError::Precondition])
    }

    #[tracing::instrument(skip_all, fields(election_id = %entry.election_id))]
    async fn add_entry(&self, entry: &RollEntry) -> Result<(), PortError> {
        let count = self.count(&entry.election_id, &entry.roll, &entry.district, 1).await?;
        let item = serde_dynamo::to_item(Item::Participation(ParticipationItem::from(entry))).map_err(corrupt)?;
        let put = Put::builder()
            .table_name(self.table(Table::Participation)?)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(voterId)")
            .build()
            .map_err(internal)?;
        let sent = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(put).build())
            .transact_items(TransactWriteItem::builder().update(count).build())
            .transact_items(self.roll_in_force(&entry.election_id, &entry.roll)?)
            .send()
            .await;
        refused_by(
            sent,
            &[PortError::Conflict, PortError::Precondition, PortError::Precondition],
        )
    }

    #[tracing::instrument(skip_all, fields(election_id = %election))]
    async fn remove_entry(&self, election: &ElectionId, roll: &RollId, voter: &AccountId) -> Result<bool, PortError> {
        let table = self.table(Table::Participation)?;
        let read = self
            .client
            .get_item()
            .table_name(table)
            .key("voterId", text(voter.as_str()))
            .key("entry", text(roll_entry(election, roll)))
            .consistent_read(true)
            .send()
            .await
            .map_err(classify_read)?;
        let Some(entry) = read.item.map(entry_from).transpose()? else {
            return Ok(false);
        };
        if entry.voted_at.is_some() {
            return Err(PortError::Conflict);
        }
        let delete = Delete::builder()
            .table_name(table)
            .key("voterId", text(voter.as_str()))
            .key("entry", text(roll_entry(election, roll)))
            .condition_expression("attribute_not_exists(votedAt) AND district = :d")
            .expression_attribute_values(":d", text(entry.district.as_str()))
            .build()
            .map_err(internal)?;
        let count = self.count(election, roll, &entry.district, -1).await?;
        let sent = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().delete(delete).build())
            .transact_items(TransactWriteItem::builder().update(count).build())
            .transact_items(self.roll_in_force(election, roll)?)
            .send()
            .await;
        // The entry changed between the read and the delete (removed or voted meanwhile):
        // only a try again tells which.
        let changed = PortError::Unavailable("the entry changed while it was removed".into());
        refused_by(sent, &[changed, PortError::Precondition, PortError::Precondition])?;
        Ok(true)
    }
}
