//! The rolls table (one item per version of an election's roll: its import's progress and
//! its counts by district, keyed by (`electionId`, `rollId`)), and the roll entries, which
//! live in the participation table: each is the voter's participation record to be.

use super::errors::{cancellation, classify, classify_read, corrupt, Cancelled};
use super::items::{Item, ParticipationItem, RollItem};
use super::keys::roll_entry;
use super::votes::entry_from;
use super::DynamoStore;
use super::Table;
use crate::retry::Backoff;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use chrono::Utc;
use election_core::domain::ids::ElectionId;
use election_core::domain::roll::{District, EntryWrite, ImportState, Roll, RollEntry, RollId};
use election_core::domain::text::AccountId;
use election_core::ports::RollStore;
use election_core::problem::PortError;
use futures::stream::{self, StreamExt, TryStreamExt};

/// How many entries of an import are written at once.
const CONCURRENT_PUTS: usize = 32;
/// How often an entry's put is sent while it is throttled or unanswered: it is idempotent
/// (by its line), so a resend is safe, and one entry's hiccup does not stop the import.
const PUT_TRIES: u32 = 6;
const PUT_BACKOFF: Backoff = Backoff::new(std::time::Duration::from_millis(100), std::time::Duration::from_secs(3));

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

    async fn put_entry_patiently(&self, entry: &RollEntry) -> Result<EntryWrite, PortError> {
        let mut tries = 1;
        loop {
            match self.put_entry(entry).await {
                Err(PortError::Unavailable(_) | PortError::Unknown(_)) if tries < PUT_TRIES => {
                    PUT_BACKOFF.wait(tries).await;
                    tries += 1;
                }
                outcome => return outcome,
            }
        }
    }

    async fn put_entry(&self, entry: &RollEntry) -> Result<EntryWrite, PortError> {
        let item = serde_dynamo::to_item(Item::Participation(ParticipationItem::from(entry))).map_err(corrupt)?;
        let sent = self
            .client
            .put_item()
            .table_name(self.table(Table::Participation)?)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(voterId)")
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        let err = match sent {
            Ok(_) => return Ok(EntryWrite::Written),
            Err(err) => err,
        };
        let Some(PutItemError::ConditionalCheckFailedException(failed)) = err.as_service_error() else {
            return Err(classify(err));
        };
        let there = failed.item().cloned().map(entry_from).transpose()?;
        let of_line = there.and_then(|there| there.line);
        Ok(match (of_line, entry.source) {
            (Some(there), election_core::domain::roll::EntrySource::Line(line)) if there == line => EntryWrite::Written,
            _ => EntryWrite::Duplicate { of_line },
        })
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
        Some(n) => Err(failed.get(n).map(copy).unwrap_or(PortError::Conflict)),
        None => Err(classify(err)),
    }
}

/// The same refusal again (`PortError` holds no resources).
fn copy(err: &PortError) -> PortError {
    match err {
        PortError::Conflict => PortError::Conflict,
        PortError::Precondition => PortError::Precondition,
        PortError::Unavailable(reason) => PortError::Unavailable(reason.clone()),
        PortError::Unknown(reason) => PortError::Unknown(reason.clone()),
        PortError::Internal(reason) => PortError::Internal(reason.clone()),
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

    #[tracing::instrument(skip_all, fields(entries = entries.len()))]
    async fn put_entries(&self, entries: &[RollEntry]) -> Result<Vec<EntryWrite>, PortError> {
        let puts: Vec<_> = entries.iter().map(|entry| self.put_entry_patiently(entry)).collect();
        stream::iter(puts).buffered(CONCURRENT_PUTS).try_collect().await
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
