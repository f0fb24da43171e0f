//! Adapters behind the ports: DynamoDB and EventBridge for real, memory for unit tests.

pub mod dynamodb;
pub mod eventbridge;
pub mod memory;
