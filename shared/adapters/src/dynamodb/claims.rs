//! The claims table: what encrypted ballots have claimed (their ids, their ciphertexts' `α`),
//! one item per keyed tag, holding its owner's tag. The request names neither the voter nor
//! the ballot: only the key the tags are made under links them.

use super::errors::applied;
use super::{DynamoStore, Table};
use aws_sdk_dynamodb::types::AttributeValue;
use election_core::ports::{BallotClaims, Claim};
use election_core::problem::PortError;

impl BallotClaims for DynamoStore {
    /// Each tag on condition that it is free or the owner's, every put at once; sent again it
    /// changes nothing. Not one transaction: a ballot whose tag is taken may leave others held
    /// by its owner, which only a ballot with those very values could want (an id and `α`s
    /// drawn at random), and then one of that owner's. A cast and a challenge of the same
    /// ballot cannot both succeed: each needs every tag for its own owner. Plain writes cost
    /// half a transaction's write units, and DynamoDB does not serialize them.
    #[tracing::instrument(skip_all, fields(tags = tags.len()))]
    async fn claim(&self, tags: &[String], owner: &str) -> Result<Claim, PortError> {
        let table = self.table(Table::Claims)?;
        let puts = tags.iter().map(|tag| {
            self.client
                .put_item()
                .table_name(table)
                .item("tag", AttributeValue::S(tag.clone()))
                .item("owner", AttributeValue::S(owner.to_owned()))
                .condition_expression("attribute_not_exists(tag) OR #owner = :owner")
                .expression_attribute_names("#owner", "owner")
                .expression_attribute_values(":owner", AttributeValue::S(owner.to_owned()))
                .send()
        });
        let outcomes: Vec<Result<bool, PortError>> =
            futures::future::join_all(puts).await.into_iter().map(applied).collect();
        // A tag taken is final, whatever else failed; otherwise a failure is the outcome.
        if outcomes.iter().any(|o| matches!(o, Ok(false))) {
            return Ok(Claim::Taken);
        }
        outcomes.into_iter().collect::<Result<Vec<_>, _>>()?;
        Ok(Claim::Held)
    }
}
