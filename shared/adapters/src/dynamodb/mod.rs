//! DynamoDB adapters: one module per command table, the views, and the mapping of stream
//! records to domain events. Item structs are private to this module tree; the rest of
//! the code sees domain types.

mod ballot_box;
mod candidates;
mod effects;
mod elections;
mod errors;
mod items;
mod pledges;
mod recent;
pub mod stream;
mod views;
mod votes;

use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use election_core::problem::PortError;
pub(crate) use errors::classify;
use std::collections::HashMap;

/// An item as DynamoDB returns it.
type RawItem = HashMap<String, AttributeValue>;

/// Physical table names, as the template passes them in the environment.
#[derive(Clone, Debug)]
pub struct Tables {
    pub elections: String,
    pub candidates: String,
    pub participation: String,
    pub ballot_box: String,
    pub pledges: String,
    pub dashboard: String,
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
    /// One item by its single-attribute key, strongly consistent.
    async fn get(&self, table: &str, key: &str, value: String) -> Result<Option<RawItem>, PortError> {
        let output = self
            .client
            .get_item()
            .table_name(table)
            .key(key, AttributeValue::S(value))
            .consistent_read(true)
            .send()
            .await
            .map_err(classify)?;
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
            .map_err(classify)
    }
}
