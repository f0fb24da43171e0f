//! The claims table: what encrypted ballots have claimed (their ids, their ciphertexts' `α`),
//! one item per keyed tag, holding its owner's tag. The request names neither the voter nor
//! the ballot: only the key the tags are made under links them.

use super::batches::{get_all, WRITE_BATCH};
use super::errors::classify;
use super::{DynamoStore, RawItem, Table};
use crate::retry::Backoff;
use aws_sdk_dynamodb::types::{AttributeValue, BatchStatementErrorCodeEnum as Code, BatchStatementRequest};
use election_core::ports::{BallotClaims, Claim};
use election_core::problem::PortError;
use std::collections::{HashMap, HashSet};
use std::time::Duration;

/// How many times an insert that was throttled, or whose outcome is unknown, is sent: as
/// often as the SDK sends a request it may retry, within a vote's send window.
const SENDS: u32 = 3;
const BACKOFF: Backoff = Backoff::new(Duration::from_millis(50), Duration::from_millis(500));

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
    /// resend, which changes nothing). An insert throttled or unanswered is sent again: one
    /// that had landed then comes back held, and is read back as the owner's. Not one
    /// transaction: a ballot whose tag is taken may leave others held by its owner, which
    /// only a ballot with those very values could want (an id and `α`s drawn at random), and
    /// then one of that owner's. A cast and a challenge of the same ballot cannot both
    /// succeed: each needs every tag for its own owner. One request for the ballot's claims,
    /// not one for each, at the write units of plain puts (half a transaction's).
    #[tracing::instrument(skip_all, fields(tags = tags.len()))]
    async fn claim(&self, tags: &[String], owner: &str) -> Result<Claim, PortError> {
        let table = self.table(Table::Claims)?;
        // DynamoDB refuses a batch that names a key twice.
        let mut distinct = HashSet::new();
        let mut pending: Vec<&String> = tags.iter().filter(|tag| distinct.insert(*tag)).collect();
        // `fatal`: an insert refused for good; `unsettled`: the last send's throttled or
        // unanswered one, if any is still pending.
        let (mut held, mut fatal, mut unsettled) = (Vec::new(), None, None);
        for send in 0..SENDS {
            if pending.is_empty() {
                break;
            }
            if send > 0 {
                BACKOFF.wait(send).await;
            }
            unsettled = None;
            let mut again = Vec::new();
            for (tag, insert) in self.insert_all(table, &pending, owner).await {
                match insert {
                    Insert::Done => {}
                    Insert::Exists => held.push(tag),
                    Insert::Failed(err @ (PortError::Unavailable(_) | PortError::Unknown(_))) => {
                        again.push(tag);
                        unsettled = Some(err);
                    }
                    Insert::Failed(err) => fatal = Some(err),
                }
            }
            pending = again;
        }
        // A tag taken is final, whatever else failed; otherwise a failure is the outcome.
        if !held.is_empty() && !self.all_owned_by(table, &held, owner).await? {
            return Ok(Claim::Taken);
        }
        match fatal.or(unsettled) {
            Some(err) => Err(err),
            None => Ok(Claim::Held),
        }
    }
}

impl DynamoStore {
    /// Every tag's insert, in batches of [`WRITE_BATCH`] sent at once; a batch that failed
    /// whole fails each of its tags.
    async fn insert_all<'t>(&self, table: &str, tags: &[&'t String], owner: &str) -> Vec<(&'t String, Insert)> {
        let chunks: Vec<&[&String]> = tags.chunks(WRITE_BATCH).collect();
        let batches = futures::future::join_all(chunks.iter().map(|chunk| self.insert(table, chunk, owner))).await;
        chunks
            .into_iter()
            .zip(batches)
            .flat_map(|(chunk, batch)| {
                let inserts: Vec<Insert> = match batch {
                    Ok(inserts) => inserts,
                    Err(err) => chunk.iter().map(|_| Insert::Failed(err.clone())).collect(),
                };
                chunk.iter().copied().zip(inserts)
            })
            .collect()
    }

    /// One batch of inserts (at most [`WRITE_BATCH`]), each one's outcome in order.
    async fn insert(&self, table: &str, tags: &[&String], owner: &str) -> Result<Vec<Insert>, PortError> {
        let statement = format!("INSERT INTO \"{table}\" VALUE {{'tag': ?, 'owner': ?}}");
        let requests = tags
            .iter()
            .map(|tag| {
                BatchStatementRequest::builder()
                    .statement(&statement)
                    .parameters(AttributeValue::S((*tag).clone()))
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

    /// Whether `owner` holds every one of `tags`, read strongly consistent. Sound because a
    /// claim is never changed nor deleted once written: a held tag's owner is final.
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
        // A claim that said it was held and is not there: not another ballot's, so not a
        // refusal; try again.
        if items.len() != tags.len() {
            return Err(PortError::Unavailable(
                "a claim held was not found when read back".into(),
            ));
        }
        Ok(items
            .iter()
            .all(|item| item.get("owner").and_then(|o| o.as_s().ok()).map(String::as_str) == Some(owner)))
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
