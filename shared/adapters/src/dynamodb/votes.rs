//! The two tables a vote writes, in one transaction: the participation table (one item
//! per voter and election, written only if absent: the one-vote guard) and the ballot
//! box (one anonymous item per ballot, spread over many partitions per election). Neither
//! reads nor checks an item that other votes touch.

use super::candidates::NewItem;
use super::errors::{classify_read, corrupt};
use super::items::{BallotItem, Item};
use super::DynamoStore;
use super::Table;
use aws_sdk_dynamodb::types::AttributeValue;
use election_core::domain::candidate::Candidate;
use election_core::domain::election::Election;
use election_core::domain::ids::CandidateId;
use election_core::domain::ids::ElectionId;
use election_core::domain::text::AccountId;
use election_core::domain::vote::{Ballot, Participation};
use election_core::ports::{CandidateStore, ElectionStore, VoteLookups, VoteStore};
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

impl VoteStore for DynamoStore {
    #[tracing::instrument(skip_all, fields(election_id = %ballot.election_id))]
    async fn insert_vote(&self, participation: &Participation, ballot: &Ballot) -> Result<(), PortError> {
        let participation = serde_dynamo::to_item(Item::Participation(participation.into())).map_err(corrupt)?;
        let ballot_item = serde_dynamo::to_item(Item::Ballot(BallotItem::from(ballot))).map_err(corrupt)?;
        let items = vec![
            // The one-person-one-vote rule: a second cast by the same voter finds `voterId`.
            NewItem {
                table: self.table(Table::Participation)?,
                item: participation,
                key: "voterId",
            },
            NewItem {
                table: self.table(Table::BallotBox)?,
                item: ballot_item,
                key: "receiptId",
            },
        ];
        // No condition on the candidate's item: every vote for them would touch it. The
        // receipt is the request token, so a resend of this vote is applied at most once.
        self.put_new(None, items, Some(ballot.receipt_id.to_string())).await
    }

    #[tracing::instrument(skip_all, fields(election_id = %election))]
    async fn participation(
        &self,
        voter: &AccountId,
        election: &ElectionId,
    ) -> Result<Option<Participation>, PortError> {
        let output = self
            .client
            .get_item()
            .table_name(self.table(Table::Participation)?)
            .key("voterId", AttributeValue::S(voter.as_str().to_owned()))
            .key("electionId", AttributeValue::S(election.to_string()))
            .consistent_read(true)
            .send()
            .await
            .map_err(classify_read)?;
        output.item.map(participation_from).transpose()
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
        self.query_all(query)
            .await?
            .into_iter()
            .map(participation_from)
            .collect()
    }
}

fn participation_from(raw: super::RawItem) -> Result<Participation, PortError> {
    match serde_dynamo::from_item(raw).map_err(corrupt)? {
        Item::Participation(item) => Ok(Participation::from(item)),
        _ => Err(PortError::Internal("not a participation item".into())),
    }
}
