//! What a vote writes: the voter's roll entry in the participation table, updated only if it
//! is there and has not voted (the roll and the one-vote guard), with the choice sealed for
//! the voter and the ballot sealed for the mixer. It reads and checks no item that other
//! votes touch, and writes nothing to the ballot box: the mixer does, apart.

use super::errors::{applied, classify, classify_read, corrupt};
use super::items::{Item, ParticipationItem};
use super::keys::roll_entry;
use super::DynamoStore;
use super::Table;
use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};
use aws_smithy_types::base64;
use election_core::domain::candidate::Candidate;
use election_core::domain::election::Election;
use election_core::domain::ids::CandidateId;
use election_core::domain::ids::ElectionId;
use election_core::domain::roll::RollId;
use election_core::domain::text::AccountId;
use election_core::domain::vote::BallotChecks;
use election_core::domain::vote::{Participation, SealedBallot};
use election_core::ports::{CandidateStore, ElectionStore, VoteLookups, VoteStore, VoteWrite};
use election_core::problem::PortError;
use election_core::use_cases::key_ceremony;
use std::sync::Arc;

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

    async fn ballot_checks(&self, election: &Election) -> Result<Option<Arc<BallotChecks>>, PortError> {
        if let Some(known) = self.recent.checks(&election.id) {
            return Ok(Some(known));
        }
        let Some(built) = key_ceremony::ballot_checks(self, election).await? else {
            return Ok(None);
        };
        Ok(Some(self.recent.keep_checks(&election.id, built)))
    }
}

impl VoteStore for DynamoStore {
    /// Sent once, without the SDK's retries: the vote's own resends see every outcome, and
    /// a resend that finds the entry voted reads back what it holds.
    #[tracing::instrument(skip_all, fields(election_id = %participation.election_id))]
    async fn insert_vote(
        &self,
        participation: &Participation,
        mix_copy: &SealedBallot,
    ) -> Result<VoteWrite, PortError> {
        let sealed = &participation.sealed_choice;
        let once = aws_sdk_dynamodb::config::Builder::default().retry_config(RetryConfig::disabled());
        // The roll and the one-person-one-vote rule in one condition: the entry is on the
        // election's roll in force (its key names it) and has not voted. One item: the
        // request names the voter, and nothing of the ballot but its sealed copy.
        let sent = self
            .client
            .update_item()
            .table_name(self.table(Table::Participation)?)
            .key("voterId", AttributeValue::S(participation.voter.as_str().to_owned()))
            .key(
                "entry",
                AttributeValue::S(roll_entry(&participation.election_id, &participation.roll)),
            )
            .update_expression(
                "SET votedAt = :at, sealedKey = :key, sealedChoice = :choice, mixKey = :mixKey, mixBallot = :mixBallot",
            )
            .condition_expression("attribute_exists(voterId) AND attribute_not_exists(votedAt)")
            .expression_attribute_values(":at", AttributeValue::S(participation.voted_at.to_rfc3339()))
            .expression_attribute_values(":key", AttributeValue::S(base64::encode(&sealed.sealed_key)))
            .expression_attribute_values(":choice", AttributeValue::S(base64::encode(&sealed.ciphertext)))
            .expression_attribute_values(
                ":mixKey",
                AttributeValue::S(base64::encode(&mix_copy.sealed.sealed_key)),
            )
            .expression_attribute_values(
                ":mixBallot",
                AttributeValue::S(base64::encode(&mix_copy.sealed.ciphertext)),
            )
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .customize()
            .config_override(once)
            .send()
            .await;
        match sent {
            Ok(_) => Ok(VoteWrite::Stored),
            Err(err) => match err.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(failed)) => match failed.item.clone() {
                    None => Ok(VoteWrite::NotOnRoll),
                    Some(item) => match entry_from(item)?.participation() {
                        Some(voted) => Ok(VoteWrite::Voted(voted)),
                        None => Err(PortError::Internal(
                            "the vote's condition failed on an entry that has not voted".into(),
                        )),
                    },
                },
                _ => Err(classify(err)),
            },
        }
    }

    /// Unconditional but for the entry being there (an update would otherwise make one), so
    /// sent again while unanswered.
    #[tracing::instrument(skip_all, fields(election_id = %election))]
    async fn forget_mix_copy(&self, voter: &AccountId, election: &ElectionId, roll: &RollId) -> Result<(), PortError> {
        let table = self.table(Table::Participation)?;
        super::batches::again(|| async {
            let sent = self
                .client
                .update_item()
                .table_name(table)
                .key("voterId", AttributeValue::S(voter.as_str().to_owned()))
                .key("entry", AttributeValue::S(roll_entry(election, roll)))
                .update_expression("REMOVE mixKey, mixBallot")
                .condition_expression("attribute_exists(voterId)")
                .send()
                .await;
            applied(sent).map(|_| ())
        })
        .await
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

pub(super) fn entry_from(raw: super::RawItem) -> Result<ParticipationItem, PortError> {
    match serde_dynamo::from_item(raw).map_err(corrupt)? {
        Item::Participation(item) => Ok(item),
        _ => Err(PortError::Internal("not a participation item".into())),
    }
}
