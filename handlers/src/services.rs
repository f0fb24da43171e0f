//! The adapters and clock a function runs with: DynamoDB, EventBridge and the system clock
//! in Lambda and the local runner, the in-memory store and a fixed clock in unit tests.

use adapters::dynamodb::DynamoStore;
use adapters::eventbridge::EventBridgeBus;
use election_core::clock::SystemClock;

pub struct Services<S, B, C> {
    pub store: S,
    pub bus: B,
    pub clock: C,
}

/// What the deployed functions and the local runner run with.
pub type LiveServices = Services<DynamoStore, EventBridgeBus, SystemClock>;
