//! The pledges table: pledges keyed by (`candidateId`, `pledgeId`), so that a pledge can
//! only ever be reached through its own candidate.

use super::candidates::NewItem;
use super::errors::{classify, corrupt};
use super::items::{Item, PledgeItem};
use super::DynamoStore;
use super::Table;
use aws_sdk_dynamodb::types::AttributeValue;
use election_core::domain::ids::{CandidateId, PledgeId};
use election_core::domain::pledge::Pledge;
use election_core::ports::PledgeStore;
use election_core::problem::PortError;

impl PledgeStore for DynamoStore {
    #[tracing::instrument(skip_all, fields(pledge_id = %pledge.id))]
    async fn insert_pledge(&self, pledge: &Pledge) -> Result<(), PortError> {
        let item = serde_dynamo::to_item(Item::Pledge(PledgeItem::from(pledge))).map_err(corrupt)?;
        // A withdrawn candidate gets no new pledge, even one racing the withdrawal.
        let (candidate, election) = (&pledge.candidate_id, &pledge.election_id);
        let pledge = NewItem {
            table: self.table(Table::Pledges)?,
            item,
            key: "pledgeId",
        };
        self.put_while_candidate_stands(candidate, election, vec![pledge]).await
    }

    #[tracing::instrument(skip(self))]
    async fn delete_pledge(&self, candidate_id: &CandidateId, pledge_id: &PledgeId) -> Result<(), PortError> {
        self.client
            .delete_item()
            .table_name(self.table(Table::Pledges)?)
            .key("candidateId", AttributeValue::S(candidate_id.to_string()))
            .key("pledgeId", AttributeValue::S(pledge_id.to_string()))
            .condition_expression("attribute_exists(pledgeId)")
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    #[tracing::instrument(skip(self))]
    async fn pledges(&self, candidate_id: &CandidateId) -> Result<Vec<Pledge>, PortError> {
        self.read_pledges(candidate_id, true).await
    }
}

impl DynamoStore {
    /// A candidate's pledges, oldest first; `consistent`: strongly consistent, else eventually.
    pub(super) async fn read_pledges(
        &self,
        candidate_id: &CandidateId,
        consistent: bool,
    ) -> Result<Vec<Pledge>, PortError> {
        let query = self
            .client
            .query()
            .table_name(self.table(Table::Pledges)?)
            .key_condition_expression("candidateId = :c")
            .expression_attribute_values(":c", AttributeValue::S(candidate_id.to_string()))
            .consistent_read(consistent);
        let items = self.query_all(query).await?;
        let mut pledges = items
            .into_iter()
            .map(|raw| match serde_dynamo::from_item(raw).map_err(corrupt)? {
                Item::Pledge(item) => Ok(Pledge::from(item)),
                _ => Err(PortError::Internal("not a pledge item".into())),
            })
            .collect::<Result<Vec<_>, _>>()?;
        pledges.sort_by_key(|p| p.added_at);
        Ok(pledges)
    }
}
