//! The ballot box: the mixer's batches written to it, and an election's ballots read back
//! for a recount, each shard a part, page by page.

use super::batches;
use super::errors::{classify_read, corrupt};
use super::items::Item;
use super::keys::{ballot_box, ballot_box_shard, BALLOT_BOX_SHARDS};
use super::Table;
use super::{DynamoStore, RawItem};
use aws_sdk_dynamodb::types::{AttributeValue, Select};
use election_core::domain::ids::{ElectionId, ReceiptId};
use election_core::domain::vote::Ballot;
use election_core::ports::{BallotBox, BallotPage};
use election_core::problem::PortError;
use std::collections::{HashMap, HashSet};

impl DynamoStore {
    /// One page of a partition of the ballot-box table, and the receipt the next starts
    /// after (`None`: the last page).
    pub(super) async fn box_page(
        &self,
        partition: &str,
        after: Option<String>,
        consistent: bool,
    ) -> Result<(Vec<RawItem>, Option<String>), PortError> {
        let start = after.map(|receipt| {
            HashMap::from([
                ("box".to_owned(), AttributeValue::S(partition.to_owned())),
                ("receiptId".to_owned(), AttributeValue::S(receipt)),
            ])
        });
        let output = self
            .client
            .query()
            .table_name(self.table(Table::BallotBox)?)
            .key_condition_expression("#box = :box")
            .expression_attribute_names("#box", "box")
            .expression_attribute_values(":box", AttributeValue::S(partition.to_owned()))
            .set_exclusive_start_key(start)
            .consistent_read(consistent)
            .send()
            .await
            .map_err(classify_read)?;
        let next = match output.last_evaluated_key.as_ref().and_then(|k| k.get("receiptId")) {
            Some(AttributeValue::S(receipt)) => Some(receipt.clone()),
            _ => None,
        };
        Ok((output.items.unwrap_or_default(), next))
    }
}

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
        let (items, next) = self.box_page(&ballot_box, after, true).await?;
        let mut page = BallotPage::default();
        for raw in items {
            let key = match raw.get("receiptId") {
                Some(AttributeValue::S(receipt)) => format!("{ballot_box}/{receipt}"),
                _ => format!("{ballot_box}/?"),
            };
            match serde_dynamo::from_item(raw) {
                Ok(Item::Ballot(ballot)) => page.ballots.push(ballot.into()),
                _ => page.unreadable.push(key),
            }
        }
        page.next = next;
        Ok(page)
    }

    #[tracing::instrument(skip(self))]
    async fn ballot_count(&self, election: &ElectionId, part: u32) -> Result<u64, PortError> {
        let partition = ballot_box_shard(election, part);
        let mut count = 0;
        let mut start = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(self.table(Table::BallotBox)?)
                .key_condition_expression("#box = :box")
                .expression_attribute_names("#box", "box")
                .expression_attribute_values(":box", AttributeValue::S(partition.clone()))
                .select(Select::Count)
                .set_exclusive_start_key(start)
                .consistent_read(true)
                .send()
                .await
                .map_err(classify_read)?;
            count += output.count.max(0) as u64;
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok(count);
            }
        }
    }

    /// Puts, 25 to a request, in the order given: a ballot put again is the same item.
    #[tracing::instrument(skip_all, fields(ballots = ballots.len()))]
    async fn put_ballots(&self, batch: &str, ballots: &[Ballot]) -> Result<(), PortError> {
        let requests = ballots
            .iter()
            .map(|ballot| {
                let mut item: HashMap<String, AttributeValue> =
                    serde_dynamo::to_item(Item::Ballot(ballot.into())).map_err(corrupt)?;
                item.insert("batch".to_owned(), AttributeValue::S(batch.to_owned()));
                batches::put(item)
            })
            .collect::<Result<Vec<_>, PortError>>()?;
        batches::write_all(&self.client, self.table(Table::BallotBox)?, requests).await
    }

    #[tracing::instrument(skip_all, fields(election_id = %election, receipts = receipts.len()))]
    async fn in_box(&self, election: &ElectionId, receipts: &[ReceiptId]) -> Result<HashSet<ReceiptId>, PortError> {
        let keys = receipts
            .iter()
            .map(|receipt| {
                HashMap::from([
                    ("box".to_owned(), AttributeValue::S(ballot_box(election, receipt))),
                    ("receiptId".to_owned(), AttributeValue::S(receipt.to_string())),
                ])
            })
            .collect();
        let found = batches::get_all(&self.client, self.table(Table::BallotBox)?, keys, |shape| {
            shape.projection_expression("receiptId")
        })
        .await?;
        Ok(found
            .iter()
            .filter_map(|item| match item.get("receiptId") {
                Some(AttributeValue::S(receipt)) => ReceiptId::parse(receipt).ok(),
                _ => None,
            })
            .collect())
    }
}
