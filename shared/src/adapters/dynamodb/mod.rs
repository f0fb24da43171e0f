//! DynamoDB adapters: one module per table, plus the mapping of stream records to events.
//! Item structs are private to this module tree; the rest of the code sees domain types.

mod candidates;
mod dashboard;
mod elections;
mod errors;
mod items;
mod pledges;
mod projection;
pub mod stream;
mod votes;

use aws_sdk_dynamodb::Client;

/// Physical table names, as the template passes them in the environment.
#[derive(Clone, Debug)]
pub struct Tables {
    pub elections: String,
    pub candidates: String,
    pub votes: String,
    pub pledges: String,
    pub dashboard: String,
}

/// Every storage port over DynamoDB, sharing one client.
#[derive(Clone, Debug)]
pub struct DynamoStore {
    client: Client,
    tables: Tables,
}

impl DynamoStore {
    pub fn new(client: Client, tables: Tables) -> Self {
        Self { client, tables }
    }
}
