//! The mixer's pools, in the ballot box table (whose point-in-time recovery is off): each
//! pool a partition of sealed copies with no voter, and one lease item, so that one flush
//! at a time takes a pool's ballots; and the marks of the elections with ballots waiting.

use super::batches;
use super::errors::{applied, classify_read, corrupt};
use super::items::{Item, PooledBallotItem};
use super::keys::{mix_pool, mix_pool_of, MIX_POOLS};
use super::DynamoStore;
use super::Table;
use crate::mix_copy::pooled_key;
use aws_sdk_dynamodb::types::{AttributeValue, DeleteRequest, WriteRequest};
use chrono::{DateTime, Utc};
use election_core::domain::ids::ElectionId;
use election_core::domain::vote::{Sealed, SealedBallot};
use election_core::ports::{MixPool, PoolId, Pooled, Waiting};
use election_core::problem::PortError;
use std::collections::{BTreeMap, BTreeSet};

/// The lease's sort key: no pooled copy's key (hex) is this word.
const LEASE: &str = "lease";
/// The partition of the marks of elections with ballots in a pool, one item each, naming
/// the pools: the mixer's tick reads it, and those pools, not every election's every pool.
const WAITING: &str = "mix#waiting";

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
        PoolId::all(election, MIX_POOLS)
    }

    /// Each election's mark first (the pool added to it), then one request per 25 copies.
    /// All of an election's copies in a call go to one pool, chosen by the first: so a flush
    /// has one pool to look at, and a batch of records handed over again fills the same pool.
    #[tracing::instrument(skip_all, fields(ballots = ballots.len()))]
    async fn pool(&self, ballots: &[SealedBallot], batch: usize) -> Result<BTreeSet<PoolId>, PortError> {
        let mut copies: BTreeMap<&ElectionId, usize> = BTreeMap::new();
        for ballot in ballots {
            *copies.entry(&ballot.election_id).or_default() += 1;
        }
        let mut pools: BTreeMap<ElectionId, PoolId> = BTreeMap::new();
        let mut requests = Vec::with_capacity(ballots.len() + 1);
        for ballot in ballots {
            let key = pooled_key(&ballot.sealed);
            let pool = pools
                .entry(ballot.election_id.clone())
                .or_insert_with(|| PoolId {
                    election_id: ballot.election_id.clone(),
                    number: mix_pool_of(&key, copies[&ballot.election_id] >= batch),
                })
                .clone();
            let item = Item::PooledBallot(PooledBallotItem {
                pool: partition(&pool),
                key,
                election_id: ballot.election_id.clone(),
                sealed_key: Some(ballot.sealed.sealed_key.clone()),
                sealed_ballot: Some(ballot.sealed.ciphertext.clone()),
            });
            requests.push(batches::put(serde_dynamo::to_item(item).map_err(corrupt)?)?);
        }
        let table = self.table(Table::BallotBox)?;
        // Marked before the copies are written: a mark whose pool holds nothing yet is
        // only read in vain, where copies without a mark would wait for the close.
        for pool in pools.values() {
            batches::again(|| async {
                let marked = self
                    .client
                    .update_item()
                    .table_name(table)
                    .key("box", text(WAITING))
                    .key("receiptId", text(pool.election_id.to_string()))
                    .update_expression("ADD #pools :pool SET version = :version")
                    .expression_attribute_names("#pools", "pools")
                    .expression_attribute_values(":pool", AttributeValue::Ns(vec![pool.number.to_string()]))
                    .expression_attribute_values(":version", text(uuid::Uuid::new_v4().to_string()))
                    .send()
                    .await;
                applied(marked).map(|_| ())
            })
            .await?;
        }
        batches::write_all(&self.client, table, requests).await?;
        Ok(pools.into_values().collect())
    }

    /// A mark without its pools (written before marks named them) stands for every pool.
    #[tracing::instrument(skip_all)]
    async fn waiting(&self) -> Result<Vec<Waiting>, PortError> {
        let query = self
            .client
            .query()
            .table_name(self.table(Table::BallotBox)?)
            .key_condition_expression("#box = :waiting")
            .expression_attribute_names("#box", "box")
            .expression_attribute_values(":waiting", text(WAITING))
            .consistent_read(true);
        let items = batches::again(|| self.query_all(query.clone())).await?;
        Ok(items
            .iter()
            .filter_map(|item| {
                let election = ElectionId::parse(item.get("receiptId")?.as_s().ok()?).ok()?;
                let pools = match item.get("pools").and_then(|pools| pools.as_ns().ok()) {
                    Some(numbers) => numbers
                        .iter()
                        .filter_map(|n| n.parse().ok())
                        .map(|number| PoolId {
                            election_id: election.clone(),
                            number,
                        })
                        .collect(),
                    None => self.pools(&election),
                };
                Some(Waiting {
                    version: item.get("version")?.as_s().ok()?.clone(),
                    election_id: election,
                    pools,
                })
            })
            .collect())
    }

    #[tracing::instrument(skip(self, version))]
    async fn done_waiting(&self, election: &ElectionId, version: &str) -> Result<(), PortError> {
        let table = self.table(Table::BallotBox)?;
        batches::again(|| async {
            let removed = self
                .client
                .delete_item()
                .table_name(table)
                .key("box", text(WAITING))
                .key("receiptId", text(election.to_string()))
                .condition_expression("version = :version")
                .expression_attribute_values(":version", text(version))
                .send()
                .await;
            // Pooled again since: the mark stays for the next tick.
            applied(removed).map(|_| ())
        })
        .await
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
        let read = batches::again(|| async {
            let mut read = Vec::new();
            let mut pages = query.clone().into_paginator().items().send();
            while let Some(raw) = pages.next().await {
                read.push(raw.map_err(classify_read)?);
                if read.len() >= max {
                    break;
                }
            }
            Ok(read)
        })
        .await?;
        let mut found = Vec::new();
        for raw in read {
            let Ok(Item::PooledBallot(item)) = serde_dynamo::from_item(raw) else {
                return Err(PortError::Internal(format!(
                    "an unreadable item in pool {}",
                    partition(pool)
                )));
            };
            let (Some(sealed_key), Some(ciphertext)) = (item.sealed_key, item.sealed_ballot) else {
                return Err(PortError::Internal(format!(
                    "a pooled copy without its seal in {}",
                    item.pool
                )));
            };
            found.push(Pooled {
                key: item.key,
                ballot: SealedBallot {
                    election_id: item.election_id,
                    sealed: Sealed { sealed_key, ciphertext },
                },
            });
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
        let table = self.table(Table::BallotBox)?;
        batches::again(|| async {
            let taken = self
                .client
                .put_item()
                .table_name(table)
                .item("box", text(partition(pool)))
                .item("receiptId", text(LEASE))
                .item("holder", text(holder))
                .item("until", AttributeValue::N(until.timestamp_millis().to_string()))
                // Its own lease again: a retry of a put whose reply was lost.
                .condition_expression("attribute_not_exists(#until) OR #until < :now OR holder = :holder")
                .expression_attribute_names("#until", "until")
                .expression_attribute_values(":now", AttributeValue::N(now.timestamp_millis().to_string()))
                .expression_attribute_values(":holder", text(holder))
                .send()
                .await;
            applied(taken)
        })
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn release(&self, pool: &PoolId, holder: &str) -> Result<(), PortError> {
        let table = self.table(Table::BallotBox)?;
        batches::again(|| async {
            let released = self
                .client
                .delete_item()
                .table_name(table)
                .key("box", text(partition(pool)))
                .key("receiptId", text(LEASE))
                .condition_expression("holder = :holder")
                .expression_attribute_values(":holder", text(holder))
                .send()
                .await;
            // Another holds it (ours lapsed), or our earlier send gave it back.
            applied(released).map(|_| ())
        })
        .await
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
