//! DynamoDB adapters: one module per command table, the views, and the mapping of stream
//! records to domain events. Item structs are private to this module tree; the rest of
//! the code sees domain types.

mod ballot_box;
mod batches;
mod board;
mod candidates;
mod ceremony;
mod claims;
mod effects;
mod elections;
mod errors;
mod items;
mod keys;
mod mix_pool;
pub use keys::{BALLOT_BOX_SHARDS, MIX_POOLS, VOTE_COUNTER_SHARDS};
mod pledges;
mod public_reads;
mod recent;
mod rolls;
pub mod stream;
mod views;
mod votes;

use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use election_core::problem::PortError;
pub(crate) use errors::classify_read;
use std::collections::HashMap;

/// An item as DynamoDB returns it.
type RawItem = HashMap<String, AttributeValue>;

/// The tables of the system.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Table {
    Elections,
    Candidates,
    Participation,
    BallotBox,
    Pledges,
    Dashboard,
    Rolls,
    Ceremony,
    Claims,
}

impl Table {
    pub const ALL: [Table; 9] = [
        Table::Elections,
        Table::Candidates,
        Table::Participation,
        Table::BallotBox,
        Table::Pledges,
        Table::Dashboard,
        Table::Rolls,
        Table::Ceremony,
        Table::Claims,
    ];
}

/// The physical names of the tables a function uses, as the template passes them in its
/// environment. A function is given only its own tables; reaching for another is a bug in
/// its wiring, answered as an internal error, never a guess.
#[derive(Clone, Debug, Default)]
pub struct Tables(std::collections::BTreeMap<Table, String>);

impl Tables {
    pub fn with(mut self, table: Table, name: impl Into<String>) -> Self {
        self.0.insert(table, name.into());
        self
    }

    fn name(&self, table: Table) -> Result<&str, PortError> {
        self.0
            .get(&table)
            .map(String::as_str)
            .ok_or_else(|| PortError::Internal(format!("{table:?} table not configured for this function")))
    }
}

/// Every storage port over DynamoDB, sharing one client.
#[derive(Clone, Debug)]
pub struct DynamoStore {
    client: Client,
    tables: Tables,
    /// Shared by the clones of a store, which is one per Lambda instance.
    recent: std::sync::Arc<recent::RecentLookups>,
}

impl DynamoStore {
    pub fn new(client: Client, tables: Tables) -> Self {
        Self {
            client,
            tables,
            recent: Default::default(),
        }
    }

    pub fn from_config(aws: &aws_config::SdkConfig, tables: Tables) -> Self {
        Self::new(Client::new(aws), tables)
    }
}

impl DynamoStore {
    /// The physical name of `table`.
    fn table(&self, table: Table) -> Result<&str, PortError> {
        self.tables.name(table)
    }

    /// One item by its single-attribute key, strongly consistent.
    async fn get(&self, table: &str, key: &str, value: String) -> Result<Option<RawItem>, PortError> {
        self.get_read(table, key, value, true).await
    }

    /// One item by its single-attribute key; `consistent`: strongly consistent, else
    /// eventually (a public read).
    async fn get_read(
        &self,
        table: &str,
        key: &str,
        value: String,
        consistent: bool,
    ) -> Result<Option<RawItem>, PortError> {
        let output = self
            .client
            .get_item()
            .table_name(table)
            .key(key, AttributeValue::S(value))
            .consistent_read(consistent)
            .send()
            .await
            .map_err(classify_read)?;
        Ok(output.item)
    }

    /// Every item a query returns, across pages.
    async fn query_all(&self, query: QueryFluentBuilder) -> Result<Vec<RawItem>, PortError> {
        query
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(classify_read)
    }
}
