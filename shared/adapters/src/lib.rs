//! `shared/adapters`, the ring around the core that every function links: what stores the
//! core's decisions. Each adapter implements the core's ports and only translates: the
//! DynamoDB adapter writes the items and the row changes the core computed, the EventBridge
//! adapter puts domain events on the bus, the KMS keys seal voters' choices and the mixer's
//! copies of ballots and derive voter ids, S3 keeps the roll files, and the
//! in-memory store (feature `test-support`, so in no Lambda) applies the same changes to
//! maps. Every retry loop waits as `retry` says.

pub mod aws;
pub mod dynamodb;
pub mod eventbridge;
pub mod kms;
#[cfg(feature = "test-support")]
pub mod memory;
pub mod mix_copy;
pub mod retry;
pub mod s3;
pub mod voter_id;
