//! The claims table: what encrypted ballots have claimed (their ids, their ciphertexts' `α`),
//! one item per keyed tag, holding its owner's tag. The request names neither the voter nor
//! the ballot: only the key the tags are made under links them.

use super::batches::{get_all, WRITE_BATCH};
use super::errors::classify;
use super::{DynamoStore, RawItem, Table};
use aws_sdk_dynamodb::types::{AttributeValue, BatchStatementErrorCodeEnum as Code, BatchStatementRequest};
use election_core::ports::{BallotClaims, Claim};
use election_core::problem::PortError;
use std::collections::HashMap;

/// What one tag's insert came to.
enum Insert {
    Done,
    /// The tag is held already: by its owner (a resend) or by another ballot.
    Exists,
    Failed(PortError),
}

impl BallotClaims for DynamoStore {
    /// Every tag inserted in one PartiQL batch (25 to a request): each insert is refused if
    /// the tag is held, and a tag held is read back to see whether it is the owner's (a
    /// resend, which changes nothing). Not one transaction: a ballot whose tag is taken may
    /// leave others held by its owner, which only a ballot with those very values could want
    /// (an id and `α`s drawn at random), and then one of that owner's. A cast and a
    /// challenge of the same ballot cannot both succeed: each needs every tag for its own
    /// owner. One request for the ballot's claims, not one for each, at the write units of
    /// plain puts (half a transaction's), and DynamoDB does not serialize them.
    #[tracing::instrument(skip_all, fields(tags = tags.len()))]
    async fn claim(&self, tags: &[String], owner: &str) -> Result<Claim, PortError> {
        let table = self.table(Table::Claims)?;
        let chunks = tags.chunks(WRITE_BATCH);
        let batches = futures::future::join_all(chunks.clone().map(|chunk| self.insert(table, chunk, owner))).await;
        let (mut held, mut failure) = (Vec::new(), None);
        for (chunk, batch) in chunks.zip(batches) {
            match batch {
                Ok(inserts) => {
                    for (tag, insert) in chunk.iter().zip(inserts) {
                        match insert {
                            Insert::Done => {}
                            Insert::Exists => held.push(tag),
                            Insert::Failed(err) => failure = failure.or(Some(err)),
                        }
                    }
                }
                Err(err) => failure = failure.or(Some(err)),
            }
        }
        // A tag taken is final, whatever else failed; otherwise a failure is the outcome.
        if !held.is_empty() && !self.all_owned_by(table, &held, owner).await? {
            return Ok(Claim::Taken);
        }
        if let Some(err) = failure {
            return Err(err);
        }
        Ok(Claim::Held)
    }
}

impl DynamoStore {
    /// One batch of inserts (at most [`WRITE_BATCH`]), each one's outcome in order.
    async fn insert(&self, table: &str, tags: &[String], owner: &str) -> Result<Vec<Insert>, PortError> {
        let statement = format!("INSERT INTO \"{table}\" VALUE {{'tag': ?, 'owner': ?}}");
        let requests = tags
            .iter()
            .map(|tag| {
                BatchStatementRequest::builder()
                    .statement(&statement)
                    .parameters(AttributeValue::S(tag.clone()))
                    .parameters(AttributeValue::S(owner.to_owned()))
                    .build()
                    .map_err(|e| PortError::Internal(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let sent = self
            .client
            .batch_execute_statement()
            .set_statements(Some(requests))
            .send()
            .await
            .map_err(classify)?;
        if sent.responses().len() != tags.len() {
            return Err(PortError::Internal(
                "a batch of claims came back with another number of answers".into(),
            ));
        }
        Ok(sent
            .responses()
            .iter()
            .map(|response| match response.error().and_then(|e| e.code()) {
                None => Insert::Done,
                Some(Code::DuplicateItem) => Insert::Exists,
                Some(code) => Insert::Failed(statement_failure(code)),
            })
            .collect())
    }

    /// Whether `owner` holds every one of `tags` (read strongly consistent).
    async fn all_owned_by(&self, table: &str, tags: &[&String], owner: &str) -> Result<bool, PortError> {
        let keys: Vec<RawItem> = tags
            .iter()
            .map(|tag| HashMap::from([("tag".to_owned(), AttributeValue::S((*tag).clone()))]))
            .collect();
        let items = get_all(&self.client, table, keys, |k| {
            k.projection_expression("#owner")
                .expression_attribute_names("#owner", "owner")
        })
        .await?;
        let owned = items
            .iter()
            .filter(|item| item.get("owner").and_then(|o| o.as_s().ok()).map(String::as_str) == Some(owner))
            .count();
        Ok(owned == tags.len())
    }
}

/// One statement's failure, as [`classify`] reads a whole request's.
fn statement_failure(code: &Code) -> PortError {
    match code {
        Code::ProvisionedThroughputExceeded
        | Code::RequestLimitExceeded
        | Code::ThrottlingError
        | Code::TransactionConflict => PortError::Unavailable(code.as_str().to_owned()),
        // DynamoDB does not say whether a statement that failed on its side was applied.
        Code::InternalServerError => PortError::Unknown(code.as_str().to_owned()),
        other => PortError::Internal(format!("a claim was refused: {}", other.as_str())),
    }
}
