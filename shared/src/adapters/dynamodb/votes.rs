//! The votes table: one item per (`electionId`, `voterId`), written only if absent.

use super::errors::{classify, corrupt};
use super::items::{Item, VoteItem};
use super::DynamoStore;
use crate::domain::vote::Vote;
use crate::error::StoreError;
use crate::ports::VoteStore;

impl VoteStore for DynamoStore {
    #[tracing::instrument(skip_all, fields(election_id = %vote.election_id))]
    async fn insert_vote(&self, vote: &Vote) -> Result<(), StoreError> {
        let item = serde_dynamo::to_item(Item::Vote(VoteItem::from(vote))).map_err(corrupt)?;
        self.client
            .put_item()
            .table_name(&self.tables.votes)
            .set_item(Some(item))
            // The one-person-one-vote rule: a second cast by the same voter fails here.
            .condition_expression("attribute_not_exists(voterId)")
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }
}
