//! The two tables a vote writes, in one transaction: the participation table (one item
//! per voter and election, written only if absent: the one-vote guard) and the ballot
//! box (one anonymous item per ballot, spread over many partitions per election). Both
//! only while the candidate voted for stands in that election.

use super::candidates::NewItem;
use super::errors::corrupt;
use super::items::{BallotItem, Item};
use super::DynamoStore;
use aws_sdk_dynamodb::types::AttributeValue;
use election_core::domain::text::Name;
use election_core::domain::vote::{Ballot, Participation};
use election_core::ports::VoteStore;
use election_core::problem::StoreError;

impl VoteStore for DynamoStore {
    #[tracing::instrument(skip_all, fields(election_id = %ballot.election_id))]
    async fn insert_vote(&self, participation: &Participation, ballot: &Ballot) -> Result<(), StoreError> {
        let participation = serde_dynamo::to_item(Item::Participation(participation.into())).map_err(corrupt)?;
        let ballot_item = serde_dynamo::to_item(Item::Ballot(BallotItem::from(ballot))).map_err(corrupt)?;
        let items = vec![
            // The one-person-one-vote rule: a second cast by the same voter finds `voterId`.
            NewItem {
                table: &self.tables.participation,
                item: participation,
                key: "voterId",
            },
            NewItem {
                table: &self.tables.ballot_box,
                item: ballot_item,
                key: "receiptId",
            },
        ];
        self.put_while_candidate_stands(&ballot.candidate_id, &ballot.election_id, items)
            .await
    }

    #[tracing::instrument(skip_all)]
    async fn participations(&self, voter: &Name) -> Result<Vec<Participation>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.tables.participation)
            .key_condition_expression("voterId = :v")
            .expression_attribute_values(":v", AttributeValue::S(voter.as_str().to_owned()))
            .consistent_read(true);
        self.query_all(query)
            .await?
            .into_iter()
            .map(|raw| match serde_dynamo::from_item(raw).map_err(corrupt)? {
                Item::Participation(item) => Ok(Participation::from(item)),
                _ => Err(StoreError::Internal("not a participation item".into())),
            })
            .collect()
    }
}
