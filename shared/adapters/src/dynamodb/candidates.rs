//! The candidates table: candidate items keyed by `id`, beside the ballot claims that keep
//! ballot numbers unique per election. Both are written in one transaction.

use super::errors::{classify, corrupt, failed_conditions};
use super::items::{BallotClaimItem, CandidateItem, Item};
use super::DynamoStore;
use super::Table;
use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Put, TransactWriteItem};
use chrono::{DateTime, Utc};
use election_core::domain::candidate::Candidate;
use election_core::domain::ids::{CandidateId, ElectionId};
use election_core::domain::text::AccountId;
use election_core::ports::CandidateStore;
use election_core::problem::PortError;
use std::collections::HashMap;

impl CandidateStore for DynamoStore {
    #[tracing::instrument(skip_all, fields(candidate_id = %candidate.id))]
    async fn insert_candidate(&self, candidate: &Candidate) -> Result<(), PortError> {
        let claim = BallotClaimItem {
            id: BallotClaimItem::key(&candidate.election_id, candidate.ballot_number),
            candidate_id: candidate.id.clone(),
        };
        let table = self.table(Table::Candidates)?;
        let item = |item| serde_dynamo::to_item(item).map_err(corrupt);
        let items = vec![
            NewItem {
                table,
                item: item(Item::Candidate(CandidateItem::from(candidate)))?,
                key: "id",
            },
            NewItem {
                table,
                item: item(Item::BallotClaim(claim))?,
                key: "id",
            },
        ];
        self.put_new(None, items, None).await
    }

    #[tracing::instrument(skip(self))]
    async fn withdraw_candidate(&self, id: &CandidateId, at: DateTime<Utc>, by: &AccountId) -> Result<(), PortError> {
        self.client
            .update_item()
            .table_name(self.table(Table::Candidates)?)
            .key("id", AttributeValue::S(id.to_string()))
            .update_expression("SET #status = :withdrawn, withdrawnAt = :at, withdrawnBy = :by")
            .condition_expression("#status = :registered")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":withdrawn", AttributeValue::S("withdrawn".into()))
            .expression_attribute_values(":registered", AttributeValue::S("registered".into()))
            .expression_attribute_values(":at", AttributeValue::S(at.to_rfc3339()))
            .expression_attribute_values(":by", AttributeValue::S(by.as_str().to_owned()))
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    #[tracing::instrument(skip(self))]
    async fn candidates_in(&self, election_id: &ElectionId) -> Result<Vec<Candidate>, PortError> {
        let query = self
            .client
            .query()
            .table_name(self.table(Table::Candidates)?)
            .index_name("byElection")
            .key_condition_expression("electionId = :e")
            .expression_attribute_values(":e", AttributeValue::S(election_id.to_string()));
        let items = self.query_all(query).await?;
        items
            .into_iter()
            .filter_map(|raw| match serde_dynamo::from_item(raw) {
                Ok(Item::Candidate(item)) => Some(Ok(Candidate::from(item))),
                Ok(_) => None,
                Err(err) => Some(Err(corrupt(err))),
            })
            .collect()
    }

    #[tracing::instrument(skip(self))]
    async fn candidate(&self, id: &CandidateId) -> Result<Option<Candidate>, PortError> {
        match self.get(self.table(Table::Candidates)?, "id", id.to_string()).await? {
            None => Ok(None),
            Some(raw) => match serde_dynamo::from_item(raw).map_err(corrupt)? {
                Item::Candidate(item) => Ok(Some(item.into())),
                _ => Ok(None),
            },
        }
    }
}

/// A new item to put in a table, only if its `key` attribute is absent.
pub(super) struct NewItem<'a> {
    pub table: &'a str,
    pub item: HashMap<String, AttributeValue>,
    pub key: &'static str,
}

impl NewItem<'_> {
    fn put(self) -> Result<TransactWriteItem, PortError> {
        let put = Put::builder()
            .table_name(self.table)
            .set_item(Some(self.item))
            .condition_expression("attribute_not_exists(#key)")
            .expression_attribute_names("#key", self.key)
            .build()
            .map_err(|e| PortError::Internal(e.to_string()))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }
}

impl DynamoStore {
    /// Puts new items in one transaction, after the checks `before` (if any): a failed
    /// check cancels it (`Precondition`), and so does an item already there (`Conflict`).
    /// With a `token`, DynamoDB applies the same transaction at most once in ten minutes.
    ///
    /// With a `token` (a vote), sent once, without the SDK's retries: after a retry, the error
    /// is the last attempt's, so a throttled second attempt would hide a first one that timed
    /// out after it wrote, and "nothing was recorded" would not be true. The vote's own
    /// resends (with the token) see every outcome.
    pub(super) async fn put_new(
        &self,
        before: Option<ConditionCheck>,
        items: Vec<NewItem<'_>>,
        token: Option<String>,
    ) -> Result<(), PortError> {
        let checks = usize::from(before.is_some());
        let token_given = token.is_some();
        let mut transaction = self.client.transact_write_items().set_client_request_token(token);
        if let Some(check) = before {
            transaction = transaction.transact_items(TransactWriteItem::builder().condition_check(check).build());
        }
        for item in items {
            transaction = transaction.transact_items(item.put()?);
        }
        let sent = if token_given {
            let once = aws_sdk_dynamodb::config::Builder::default().retry_config(RetryConfig::disabled());
            transaction.customize().config_override(once).send().await
        } else {
            transaction.send().await
        };
        match sent {
            Ok(_) => Ok(()),
            Err(err) => match failed_conditions(&err) {
                Some(failed) if failed[..checks.min(failed.len())].contains(&true) => Err(PortError::Precondition),
                Some(failed) if failed.contains(&true) => Err(PortError::Conflict),
                _ => Err(classify(err)),
            },
        }
    }

    /// Puts new items while the candidate is registered in the election: a withdrawal
    /// between a use case's read and this write cancels it (`Precondition`).
    pub(super) async fn put_while_candidate_stands(
        &self,
        candidate: &CandidateId,
        election: &ElectionId,
        items: Vec<NewItem<'_>>,
    ) -> Result<(), PortError> {
        let candidate_stands = ConditionCheck::builder()
            .table_name(self.table(Table::Candidates)?)
            .key("id", AttributeValue::S(candidate.to_string()))
            .condition_expression("#status = :registered AND electionId = :election")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":registered", AttributeValue::S("registered".into()))
            .expression_attribute_values(":election", AttributeValue::S(election.to_string()))
            .build()
            .map_err(|e| PortError::Internal(e.to_string()))?;
        self.put_new(Some(candidate_stands), items, None).await
    }
}
