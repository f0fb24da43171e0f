//! A verifiable election's board in the ballot-box table: challenged ballots in a partition
//! of their own (outside the parts a recount reads), and any ballot found by its receipt.
//! Public reads: eventually consistent.

use super::errors::{classify, classify_read, corrupt};
use super::items::{ChallengedBallotItem, Item};
use super::keys::{ballot_box, challenged};
use super::{DynamoStore, RawItem, Table};
use aws_sdk_dynamodb::types::AttributeValue;
use election_core::domain::ids::{ElectionId, ReceiptId};
use election_core::domain::vote::{Ballot, Mark};
use election_core::ports::Board;
use election_core::problem::PortError;
use election_core::use_cases::board::Boarded;
use election_crypto::ballot::SpoiledBallot;
use std::collections::HashMap;

fn key(ballot_box: String, receipt: &ReceiptId) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("box".to_owned(), AttributeValue::S(ballot_box)),
        ("receiptId".to_owned(), AttributeValue::S(receipt.to_string())),
    ])
}

fn read(raw: RawItem) -> Result<Item, PortError> {
    serde_dynamo::from_item(raw).map_err(corrupt)
}

impl DynamoStore {
    async fn get_public(&self, key: HashMap<String, AttributeValue>) -> Result<Option<Item>, PortError> {
        let output = self
            .client
            .get_item()
            .table_name(self.table(Table::BallotBox)?)
            .set_key(Some(key))
            .send()
            .await
            .map_err(classify_read)?;
        output.item.map(read).transpose()
    }
}

impl Board for DynamoStore {
    #[tracing::instrument(skip_all, fields(election_id = %election))]
    async fn put_challenged(
        &self,
        election: &ElectionId,
        receipt: &ReceiptId,
        spoiled: &SpoiledBallot,
    ) -> Result<(), PortError> {
        let item = serde_dynamo::to_item(Item::ChallengedBallot(ChallengedBallotItem {
            ballot_box: challenged(election),
            receipt_id: receipt.clone(),
            election_id: election.clone(),
            challenged: spoiled.clone(),
        }))
        .map_err(corrupt)?;
        self.client
            .put_item()
            .table_name(self.table(Table::BallotBox)?)
            .set_item(Some(item))
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    #[tracing::instrument(skip(self, after))]
    async fn challenged(
        &self,
        election: &ElectionId,
        after: Option<String>,
    ) -> Result<(Vec<SpoiledBallot>, Option<String>), PortError> {
        let (items, next) = self.box_page(&challenged(election), after, false).await?;
        let mut ballots = Vec::new();
        for raw in items {
            match read(raw)? {
                Item::ChallengedBallot(item) => ballots.push(item.challenged),
                _ => {
                    return Err(PortError::Internal(
                        "an item among challenged ballots that is none".into(),
                    ))
                }
            }
        }
        Ok((ballots, next))
    }

    #[tracing::instrument(skip_all, fields(election_id = %election))]
    async fn boarded(&self, election: &ElectionId, receipt: &ReceiptId) -> Result<Option<Boarded>, PortError> {
        if let Some(Item::Ballot(item)) = self.get_public(key(ballot_box(election, receipt), receipt)).await? {
            if let Mark::Encrypted(ballot) = Ballot::from(item).mark {
                return Ok(Some(Boarded::Cast { ballot: *ballot }));
            }
        }
        match self.get_public(key(challenged(election), receipt)).await? {
            Some(Item::ChallengedBallot(item)) => Ok(Some(Boarded::Challenged(item.challenged))),
            _ => Ok(None),
        }
    }
}
