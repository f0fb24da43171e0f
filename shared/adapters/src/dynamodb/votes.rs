//! The two tables a vote writes, in one transaction: the participation table (the voter's
//! roll entry, updated only if it is there and has not voted: the roll and the one-vote
//! guard) and the ballot box (one anonymous item per ballot, spread over many partitions
//! per election). Neither reads nor checks an item that other votes touch.

use super::errors::{cancellation, classify, classify_read, corrupt, Cancelled};
use super::items::{BallotItem, Item, ParticipationItem};
use super::keys::roll_entry;
use super::DynamoStore;
use super::Table;
use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update};
use aws_smithy_types::base64;
use election_core::domain::candidate::Candidate;
use election_core::domain::election::Election;
use election_core::domain::ids::CandidateId;
use election_core::domain::ids::ElectionId;
use election_core::domain::roll::RollId;
use election_core::domain::text::AccountId;
use election_core::domain::vote::{Ballot, Participation};
use election_core::ports::{CandidateStore, ElectionStore, VoteLookups, VoteStore, VoteWrite};
use election_core::problem::PortError;

impl VoteLookups for DynamoStore {
    async fn recent_election(&self, id: &ElectionId) -> Result<Option<Election>, PortError> {
        if let Some(known) = self.recent.elections.get(id) {
            return Ok(known);
        }
        let read = self.election(id).await?;
        self.recent.elections.put(id.clone(), read.clone());
        Ok(read)
    }

    async fn recent_candidate(&self, id: &CandidateId) -> Result<Option<Candidate>, PortError> {
        if let Some(known) = self.recent.candidates.get(id) {
            return Ok(known);
        }
        let read = self.candidate(id).await?;
        self.recent.candidates.put(id.clone(), read.clone());
        Ok(read)
    }
}

fn internal(err: impl std::fmt::Display) -> PortError {
    PortError::Internal(err.to_string())
}

impl VoteStore for DynamoStore {
    /// Sent once, without the SDK's retries (see `put_new`): the vote's own resends, with
    /// the receipt as the request token, see every outcome.
    #[tracing::instrument(skip_all, fields(election_id = %ballot.election_id))]
    async fn insert_vote(&self, participation: &Participation, ballot: &Ballot) -> Result<VoteWrite, PortError> {
        let ballot_item = serde_dynamo::to_item(Item::Ballot(BallotItem::from(ballot))).map_err(corrupt)?;
        let sealed = &participation.sealed_choice;
        // The roll and the one-person-one-vote rule in one condition: the entry is on the
        // election's roll in force (its key names it) and has not voted.
        let vote = Update::builder()
            .table_name(self.table(Table::Participation)?)
            .key("voterId", AttributeValue::S(participation.voter.as_str().to_owned()))
            .key(
                "entry",
                AttributeValue::S(roll_entry(&participation.election_id, &participation.roll)),
            )
            .update_expression("SET votedAt = :at, sealedKey = :key, sealedChoice = :choice")
            .condition_expression("attribute_exists(voterId) AND attribute_not_exists(votedAt)")
            .expression_attribute_values(":at", AttributeValue::S(participation.voted_at.to_rfc3339()))
            .expression_attribute_values(":key", AttributeValue::S(base64::encode(&sealed.sealed_key)))
            .expression_attribute_values(":choice", AttributeValue::S(base64::encode(&sealed.ciphertext)))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(internal)?;
        let put_ballot = Put::builder()
            .table_name(self.table(Table::BallotBox)?)
            .set_item(Some(ballot_item))
            .condition_expression("attribute_not_exists(receiptId)")
            .build()
            .map_err(internal)?;
        // No condition on the candidate's item: every vote for them would touch it. The
        // receipt is the request token, so a resend of this vote is applied at most once.
        let once = aws_sdk_dynamodb::config::Builder::default().retry_config(RetryConfig::disabled());
        let sent = self
            .client
            .transact_write_items()
            .client_request_token(ballot.receipt_id.to_string())
            .transact_items(TransactWriteItem::builder().update(vote).build())
            .transact_items(TransactWriteItem::builder().put(put_ballot).build())
            .customize()
            .config_override(once)
            .send()
            .await;
        match sent {
            Ok(_) => Ok(VoteWrite::Stored),
            Err(err) => match entry_refused(&err) {
                Some(Ok(None)) => Ok(VoteWrite::NotOnRoll),
                Some(Ok(Some(item))) => match item.participation() {
                    Some(voted) => Ok(VoteWrite::Voted(voted)),
                    // An entry that has not voted fails only if the ballot's receipt is
                    // taken: a random UUID, so never.
                    None => Err(PortError::Internal(
                        "the vote's condition failed on an entry that has not voted".into(),
                    )),
                },
                Some(Err(err)) => Err(err),
                None => Err(classify(err)),
            },
        }
    }

    #[tracing::instrument(skip_all, fields(election_id = %election))]
    async fn participation(
        &self,
        voter: &AccountId,
        election: &ElectionId,
        roll: &RollId,
    ) -> Result<Option<Participation>, PortError> {
        let output = self
            .client
            .get_item()
            .table_name(self.table(Table::Participation)?)
            .key("voterId", AttributeValue::S(voter.as_str().to_owned()))
            .key("entry", AttributeValue::S(roll_entry(election, roll)))
            .consistent_read(true)
            .send()
            .await
            .map_err(classify_read)?;
        Ok(output
            .item
            .map(entry_from)
            .transpose()?
            .and_then(ParticipationItem::participation))
    }

    #[tracing::instrument(skip_all)]
    async fn participations(&self, voter: &AccountId) -> Result<Vec<Participation>, PortError> {
        let query = self
            .client
            .query()
            .table_name(self.table(Table::Participation)?)
            .key_condition_expression("voterId = :v")
            .expression_attribute_values(":v", AttributeValue::S(voter.as_str().to_owned()))
            .consistent_read(true);
        let entries = self
            .query_all(query)
            .await?
            .into_iter()
            .map(entry_from)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(entries
            .into_iter()
            .filter_map(ParticipationItem::participation)
            .collect())
    }
}

/// For a vote whose transaction was cancelled because the entry's condition failed: the
/// entry as the condition found it (`None`: not on the roll). `None` for any other error.
fn entry_refused<R>(
    err: &aws_sdk_dynamodb::error::SdkError<TransactWriteItemsError, R>,
) -> Option<Result<Option<ParticipationItem>, PortError>> {
    let reasons = cancellation(err)?;
    if reasons.first() != Some(&Cancelled::ConditionFailed) {
        return None;
    }
    let TransactWriteItemsError::TransactionCanceledException(cancelled) = err.as_service_error()? else {
        return None;
    };
    let old = cancelled.cancellation_reasons().first()?.item().cloned();
    Some(old.map(entry_from).transpose())
}

pub(super) fn entry_from(raw: super::RawItem) -> Result<ParticipationItem, PortError> {
    match serde_dynamo::from_item(raw).map_err(corrupt)? {
        Item::Participation(item) => Ok(item),
        _ => Err(PortError::Internal("not a participation item".into())),
    }
}
