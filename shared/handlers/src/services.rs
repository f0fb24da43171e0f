//! The adapters and clock a function runs with: DynamoDB, EventBridge, KMS and the system
//! clock in Lambda and the local runner; in-memory ones and a fixed clock in unit tests.

use adapters::dynamodb::DynamoStore;
use adapters::eventbridge::EventBridgeBus;
use adapters::kms::KmsSealer;
use election_core::clock::{Clock, SystemClock};
use election_core::ports::{ChoiceSealer, EventBus, Store};

pub struct Services<S, B, C, K> {
    pub store: S,
    pub bus: B,
    pub clock: C,
    /// Seals and opens voters' choices.
    pub sealer: K,
}

/// What the deployed functions and the local runner run with.
pub type LiveServices = Services<DynamoStore, EventBridgeBus, SystemClock, KmsSealer>;

/// What a handler runs with, whatever the adapters behind it.
pub trait App: Send + Sync {
    type Store: Store;
    type Bus: EventBus;
    type Clock: Clock;
    type Sealer: ChoiceSealer;
    fn store(&self) -> &Self::Store;
    fn bus(&self) -> &Self::Bus;
    fn clock(&self) -> &Self::Clock;
    fn sealer(&self) -> &Self::Sealer;
}

impl<S: Store, B: EventBus, C: Clock, K: ChoiceSealer> App for Services<S, B, C, K> {
    type Store = S;
    type Bus = B;
    type Clock = C;
    type Sealer = K;

    fn store(&self) -> &S {
        &self.store
    }

    fn bus(&self) -> &B {
        &self.bus
    }

    fn clock(&self) -> &C {
        &self.clock
    }

    fn sealer(&self) -> &K {
        &self.sealer
    }
}
