//! Reads an election's ballot box back for a recount: each shard a part, page by page.

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

impl BallotBox for DynamoStore {
    /// The ballot box's partitions of an election.
    fn parts(&self) -> u32 {
        BALLOT_BOX_SHARDS
    }

    /// One shard, page by page: `after` is the last receipt read in it.
    #[tracing::instrument(skip(self, after))]
    async fn ballots(&self, election: &ElectionId, part: u32, after: Option<String>) -> Result<BallotPage, PortError> {
        if part >= BALLOT_BOX_SHARDS {
            return Err(PortError::Internal(format!("no ballot box part {part}")));
        }
        let ballot_box = ballot_box_shard(election, part);
        let start = after.map(|receipt| {
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
            Some(AttributeValue::S(receipt)) => Some(receipt.clone()),
            _ => None,
        };
        Ok(page)
    }
}

#[cfg(feature = "test-support")]
impl DynamoStore {
    /// Puts ballots straight into the ballot box, 25 to a request, as the vote path would
    /// lay them out but without participations: for measuring a recount of many ballots.
    pub async fn seed_ballots(&self, ballots: &[election_core::domain::vote::Ballot]) -> Result<(), PortError> {
        use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
        let table = self.table(Table::BallotBox)?;
        for chunk in ballots.chunks(25) {
            let mut requests = chunk
                .iter()
                .map(|ballot| {
                    let item = serde_dynamo::to_item(Item::Ballot(ballot.into())).map_err(super::errors::corrupt)?;
                    let put = PutRequest::builder()
                        .set_item(Some(item))
                        .build()
                        .map_err(|e| PortError::Internal(e.to_string()))?;
                    Ok(WriteRequest::builder().put_request(put).build())
                })
                .collect::<Result<Vec<_>, PortError>>()?;
            // What DynamoDB does not take at once, it hands back: send it again.
            while !requests.is_empty() {
                let output = self
                    .client
                    .batch_write_item()
                    .request_items(table, requests)
                    .send()
                    .await
                    .map_err(super::errors::classify)?;
                requests = output
                    .unprocessed_items
                    .and_then(|mut u| u.remove(table))
                    .unwrap_or_default();
            }
        }
        Ok(())
    }
}
