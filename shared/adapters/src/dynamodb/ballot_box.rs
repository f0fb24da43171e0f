//! Reads an election's ballot box back, page by page over its shards, for a recount.

use super::errors::classify_read;
use super::items::Item;
use super::keys::{ballot_box_shard, BALLOT_BOX_SHARDS};
use super::DynamoStore;
use super::Table;
use aws_sdk_dynamodb::types::AttributeValue;
use election_core::domain::ids::ElectionId;
use election_core::ports::{BallotBox, BallotPage};
use election_core::problem::PortError;
use std::collections::HashMap;

/// Where a page starts: a shard, and the last receipt read in it (`<shard>/<receiptId>`).
fn cursor(after: Option<String>) -> Result<(u32, Option<String>), PortError> {
    let Some(after) = after else {
        return Ok((0, None));
    };
    let bad = || PortError::Internal(format!("not a ballot box cursor: {after}"));
    let (shard, receipt) = after.split_once('/').ok_or_else(bad)?;
    let shard = shard.parse().map_err(|_| bad())?;
    Ok((shard, Some(receipt.to_owned()).filter(|r| !r.is_empty())))
}

impl BallotBox for DynamoStore {
    #[tracing::instrument(skip(self, after))]
    async fn ballots(&self, election: &ElectionId, after: Option<String>) -> Result<BallotPage, PortError> {
        let (shard, start) = cursor(after)?;
        let ballot_box = ballot_box_shard(election, shard);
        let start = start.map(|receipt| {
            HashMap::from([
                ("box".to_owned(), AttributeValue::S(ballot_box.clone())),
                ("receiptId".to_owned(), AttributeValue::S(receipt)),
            ])
        });
        let output = self
            .client
            .query()
            .table_name(self.table(Table::BallotBox)?)
            .key_condition_expression("#box = :box")
            .expression_attribute_names("#box", "box")
            .expression_attribute_values(":box", AttributeValue::S(ballot_box.clone()))
            .set_exclusive_start_key(start)
            .consistent_read(true)
            .send()
            .await
            .map_err(classify_read)?;
        let mut page = BallotPage::default();
        for raw in output.items.unwrap_or_default() {
            let key = match raw.get("receiptId") {
                Some(AttributeValue::S(receipt)) => format!("{ballot_box}/{receipt}"),
                _ => format!("{ballot_box}/?"),
            };
            match serde_dynamo::from_item(raw) {
                Ok(Item::Ballot(ballot)) => page.ballots.push(ballot.into()),
                _ => page.unreadable.push(key),
            }
        }
        page.next = match output.last_evaluated_key.as_ref().and_then(|k| k.get("receiptId")) {
            Some(AttributeValue::S(receipt)) => Some(format!("{shard}/{receipt}")),
            _ if shard + 1 < BALLOT_BOX_SHARDS => Some(format!("{}/", shard + 1)),
            _ => None,
        };
        Ok(page)
    }
}
