//! The mixer's pools, in the ballot box table (whose point-in-time recovery is off): each
//! pool a partition of sealed copies with no voter, and one lease item, so that one flush
//! at a time takes a pool's ballots.

use super::batches;
use super::errors::{classify, classify_read, corrupt};
use super::items::{Item, PooledBallotItem};
use super::keys::{mix_pool, mix_pool_of, MIX_POOLS};
use super::DynamoStore;
use super::Table;
use crate::mix_copy::pooled_key;
use aws_sdk_dynamodb::types::{AttributeValue, DeleteRequest, PutRequest, WriteRequest};
use chrono::{DateTime, Utc};
use election_core::domain::ids::ElectionId;
use election_core::domain::vote::{Sealed, SealedBallot};
use election_core::ports::{MixPool, PoolId, Pooled};
use election_core::problem::PortError;
use std::collections::BTreeSet;

/// The lease's sort key: no pooled copy's key (hex) is this word.
const LEASE: &str = "lease";

fn text(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn internal(err: impl std::fmt::Display) -> PortError {
    PortError::Internal(err.to_string())
}

fn partition(pool: &PoolId) -> String {
    mix_pool(&pool.election_id, pool.number)
}

impl MixPool for DynamoStore {
    fn pools(&self, election: &ElectionId) -> Vec<PoolId> {
        (0..MIX_POOLS)
            .map(|number| PoolId {
                election_id: election.clone(),
                number,
            })
            .collect()
    }

    #[tracing::instrument(skip_all, fields(ballots = ballots.len()))]
    async fn pool(&self, ballots: &[SealedBallot]) -> Result<BTreeSet<PoolId>, PortError> {
        let mut pools = BTreeSet::new();
        let mut requests = Vec::with_capacity(ballots.len());
        for ballot in ballots {
            let key = pooled_key(&ballot.sealed);
            let pool = PoolId {
                election_id: ballot.election_id.clone(),
                number: mix_pool_of(&key),
            };
            let item = Item::PooledBallot(PooledBallotItem {
                pool: partition(&pool),
                key,
                election_id: ballot.election_id.clone(),
                sealed_key: Some(ballot.sealed.sealed_key.clone()),
                sealed_ballot: Some(ballot.sealed.ciphertext.clone()),
            });
            let put = PutRequest::builder()
                .set_item(Some(serde_dynamo::to_item(item).map_err(corrupt)?))
                .build()
                .map_err(internal)?;
            requests.push(WriteRequest::builder().put_request(put).build());
            pools.insert(pool);
        }
        batches::write_all(&self.client, self.table(Table::BallotBox)?, requests).await?;
        Ok(pools)
    }

    #[tracing::instrument(skip(self))]
    async fn pooled(&self, pool: &PoolId, max: usize) -> Result<Vec<Pooled>, PortError> {
        let query = self
            .client
            .query()
            .table_name(self.table(Table::BallotBox)?)
            .key_condition_expression("#box = :pool")
            .filter_expression("attribute_exists(sealedBallot)")
            .expression_attribute_names("#box", "box")
            .expression_attribute_values(":pool", text(partition(pool)))
            .consistent_read(true);
        let mut found = Vec::new();
        let mut pages = query.into_paginator().items().send();
        while let Some(raw) = pages.next().await {
            let raw = raw.map_err(classify_read)?;
            let Ok(Item::PooledBallot(item)) = serde_dynamo::from_item(raw) else {
                return Err(PortError::Internal(format!("an unreadable item in pool {}", partition(pool))));
            };
            let (Some(sealed_key), Some(ciphertext)) = (item.sealed_key, item.sealed_ballot) else {
                return Err(PortError::Internal(format!("a pooled copy without its seal in {}", item.pool)));
            };
            found.push(Pooled {
                key: item.key,
                ballot: SealedBallot {
                    election_id: item.election_id,
                    sealed: Sealed {
                        sealed_key,
                        ciphertext,
                    },
                },
            });
            if found.len() >= max {
                break;
            }
        }
        Ok(found)
    }

    #[tracing::instrument(skip(self, holder))]
    async fn lease(
        &self,
        pool: &PoolId,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, PortError> {
        let taken = self
            .client
            .put_item()
            .table_name(self.table(Table::BallotBox)?)
            .item("box", text(partition(pool)))
            .item("receiptId", text(LEASE))
            .item("holder", text(holder))
            .item("until", AttributeValue::N(until.timestamp_millis().to_string()))
            .condition_expression("attribute_not_exists(#until) OR #until < :now")
            .expression_attribute_names("#until", "until")
            .expression_attribute_values(":now", AttributeValue::N(now.timestamp_millis().to_string()))
            .send()
            .await;
        match taken {
            Ok(_) => Ok(true),
            Err(err) if err.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => Ok(false),
            Err(err) => Err(classify(err)),
        }
    }

    #[tracing::instrument(skip_all)]
    async fn release(&self, pool: &PoolId, holder: &str) -> Result<(), PortError> {
        let released = self
            .client
            .delete_item()
            .table_name(self.table(Table::BallotBox)?)
            .key("box", text(partition(pool)))
            .key("receiptId", text(LEASE))
            .condition_expression("holder = :holder")
            .expression_attribute_values(":holder", text(holder))
            .send()
            .await;
        match released {
            Ok(_) => Ok(()),
            // Another holds it (ours lapsed): theirs to give back.
            Err(err) if err.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => Ok(()),
            Err(err) => Err(classify(err)),
        }
    }

    #[tracing::instrument(skip(self, keys), fields(keys = keys.len()))]
    async fn unpool(&self, pool: &PoolId, keys: &[String]) -> Result<(), PortError> {
        let requests = keys
            .iter()
            .map(|key| {
                let delete = DeleteRequest::builder()
                    .key("box", text(partition(pool)))
                    .key("receiptId", text(key.clone()))
                    .build()
                    .map_err(internal)?;
                Ok(WriteRequest::builder().delete_request(delete).build())
            })
            .collect::<Result<Vec<_>, PortError>>()?;
        batches::write_all(&self.client, self.table(Table::BallotBox)?, requests).await
    }
}
