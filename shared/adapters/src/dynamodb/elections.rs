//! The elections table: one item per election, keyed by `electionId`.

use super::errors::{classify, corrupt};
use super::items::{ElectionItem, Item};
use super::DynamoStore;
use super::Table;
use aws_sdk_dynamodb::types::AttributeValue;
use election_core::domain::election::Election;
use election_core::domain::ids::ElectionId;
use election_core::ports::ElectionStore;
use election_core::problem::PortError;
use std::collections::HashMap;

impl ElectionStore for DynamoStore {
    #[tracing::instrument(skip_all, fields(election_id = %election.id))]
    async fn insert_election(&self, election: &Election) -> Result<(), PortError> {
        let item = serde_dynamo::to_item(Item::Election(ElectionItem::from(election))).map_err(corrupt)?;
        self.client
            .put_item()
            .table_name(self.table(Table::Elections)?)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(electionId)")
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    #[tracing::instrument(skip(self))]
    async fn elections(&self) -> Result<Vec<Election>, PortError> {
        // Every item here is tagged `entity = election`: the index lists them, eventually
        // consistent (the public list, served from the edge).
        let query = self
            .client
            .query()
            .table_name(self.table(Table::Elections)?)
            .index_name("byEntity")
            .key_condition_expression("entity = :e")
            .expression_attribute_values(":e", AttributeValue::S("election".into()));
        let items = self.query_all(query).await?;
        let mut elections = items.into_iter().map(election_from).collect::<Result<Vec<_>, _>>()?;
        elections.sort_by_key(|e| (e.window.starts_at(), e.id.clone()));
        Ok(elections)
    }

    #[tracing::instrument(skip(self))]
    async fn election(&self, id: &ElectionId) -> Result<Option<Election>, PortError> {
        self.read_election(id, true).await
    }
}

impl DynamoStore {
    /// An election; `consistent`: strongly consistent, else eventually.
    pub(super) async fn read_election(&self, id: &ElectionId, consistent: bool) -> Result<Option<Election>, PortError> {
        let item = self
            .get_read(self.table(Table::Elections)?, "electionId", id.to_string(), consistent)
            .await?;
        item.map(election_from).transpose()
    }
}

fn election_from(raw: HashMap<String, AttributeValue>) -> Result<Election, PortError> {
    match serde_dynamo::from_item(raw).map_err(corrupt)? {
        Item::Election(item) => Election::try_from(item).map_err(|e| PortError::Internal(e.to_string())),
        _ => Err(PortError::Internal("not an election item".into())),
    }
}
