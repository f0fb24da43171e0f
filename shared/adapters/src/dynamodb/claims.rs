//! The claims table: what encrypted ballots have claimed (their ids, their ciphertexts' `α`),
//! one item per keyed tag, holding its owner's tag. The request names neither the voter nor
//! the ballot: only the key the tags are made under links them.

use super::errors::{cancellation, classify, Cancelled};
use super::{DynamoStore, Table};
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use election_core::ports::{BallotClaims, Claim};
use election_core::problem::PortError;

/// The most items one transaction takes.
const MOST_PER_TRANSACTION: usize = 100;

impl BallotClaims for DynamoStore {
    /// All of a chunk's tags or none, each on condition that it is free or the owner's; sent
    /// again it changes nothing. A ballot of more than 99 candidates takes more than one
    /// transaction: a chunk held before another is taken stays held (the ballot is spent).
    #[tracing::instrument(skip_all, fields(tags = tags.len()))]
    async fn claim(&self, tags: &[String], owner: &str) -> Result<Claim, PortError> {
        let table = self.table(Table::Claims)?;
        for chunk in tags.chunks(MOST_PER_TRANSACTION) {
            let mut request = self.client.transact_write_items();
            for tag in chunk {
                let put = Put::builder()
                    .table_name(table)
                    .item("tag", AttributeValue::S(tag.clone()))
                    .item("owner", AttributeValue::S(owner.to_owned()))
                    .condition_expression("attribute_not_exists(tag) OR #owner = :owner")
                    .expression_attribute_names("#owner", "owner")
                    .expression_attribute_values(":owner", AttributeValue::S(owner.to_owned()))
                    .build()
                    .map_err(|e| PortError::Internal(e.to_string()))?;
                request = request.transact_items(TransactWriteItem::builder().put(put).build());
            }
            if let Err(err) = request.send().await {
                let reasons = cancellation(&err).unwrap_or_default();
                if reasons.contains(&Cancelled::ConditionFailed) {
                    return Ok(Claim::Taken);
                }
                return Err(classify(err));
            }
        }
        Ok(Claim::Held)
    }
}
