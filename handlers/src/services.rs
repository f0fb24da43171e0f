//! The adapters and clock a function runs with: DynamoDB, EventBridge, KMS and the system
//! clock in Lambda and the local runner; in-memory ones and a fixed clock in unit tests.

use adapters::dynamodb::DynamoStore;
use adapters::eventbridge::EventBridgeBus;
use adapters::kms::KmsSealer;
use election_core::clock::SystemClock;

pub struct Services<S, B, C, K> {
    pub store: S,
    pub bus: B,
    pub clock: C,
    /// Seals and opens voters' choices.
    pub sealer: K,
}

/// What the deployed functions and the local runner run with.
pub type LiveServices = Services<DynamoStore, EventBridgeBus, SystemClock, KmsSealer>;
