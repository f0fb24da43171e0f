//! The votes table: one item per (`electionId`, `voterId`), written only if absent, and only
//! while the candidate voted for is registered in that election.

use super::errors::corrupt;
use super::items::{Item, VoteItem};
use super::DynamoStore;
use election_core::domain::vote::Vote;
use election_core::ports::VoteStore;
use election_core::problem::StoreError;

impl VoteStore for DynamoStore {
    #[tracing::instrument(skip_all, fields(election_id = %vote.election_id))]
    async fn insert_vote(&self, vote: &Vote) -> Result<(), StoreError> {
        let item = serde_dynamo::to_item(Item::Vote(VoteItem::from(vote))).map_err(corrupt)?;
        // The one-person-one-vote rule: a second cast by the same voter finds `voterId`.
        self.put_while_candidate_stands(
            &vote.candidate_id,
            &vote.election_id,
            &self.tables.votes,
            item,
            "voterId",
        )
        .await
    }
}
