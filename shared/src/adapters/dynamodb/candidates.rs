//! The candidates table: candidate items keyed by `id`, beside the ballot claims that keep
//! ballot numbers unique per election. Both are written in one transaction.

use super::errors::{classify, corrupt, failed_conditions};
use super::items::{BallotClaimItem, CandidateItem, Item};
use super::DynamoStore;
use crate::domain::candidate::Candidate;
use crate::domain::ids::CandidateId;
use crate::error::StoreError;
use crate::ports::CandidateStore;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};

impl DynamoStore {
    fn put_new(&self, item: Item) -> Result<TransactWriteItem, StoreError> {
        let put = Put::builder()
            .table_name(&self.tables.candidates)
            .set_item(Some(serde_dynamo::to_item(item).map_err(corrupt)?))
            .condition_expression("attribute_not_exists(id)")
            .build()
            .map_err(|e| StoreError::Internal(e.to_string()))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }
}

impl CandidateStore for DynamoStore {
    #[tracing::instrument(skip_all, fields(candidate_id = %candidate.id))]
    async fn insert_candidate(&self, candidate: &Candidate) -> Result<(), StoreError> {
        let claim = BallotClaimItem {
            id: BallotClaimItem::key(&candidate.election_id, candidate.ballot_number),
            candidate_id: candidate.id.clone(),
        };
        let result = self
            .client
            .transact_write_items()
            .transact_items(self.put_new(Item::Candidate(CandidateItem::from(candidate)))?)
            .transact_items(self.put_new(Item::BallotClaim(claim))?)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err) => {
                if failed_conditions(&err).is_some_and(|failed| failed.contains(&true)) {
                    Err(StoreError::Conflict)
                } else {
                    Err(classify(err))
                }
            }
        }
    }

    #[tracing::instrument(skip(self))]
    async fn candidate(&self, id: &CandidateId) -> Result<Option<Candidate>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.tables.candidates)
            .key("id", AttributeValue::S(id.to_string()))
            .consistent_read(true)
            .send()
            .await
            .map_err(classify)?;
        match output.item {
            None => Ok(None),
            Some(raw) => match serde_dynamo::from_item(raw).map_err(corrupt)? {
                Item::Candidate(item) => Ok(Some(item.into())),
                _ => Ok(None),
            },
        }
    }
}
