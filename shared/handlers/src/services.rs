//! The adapters and clock a function runs with: DynamoDB, EventBridge, KMS and the system
//! clock in Lambda and the local runner (each function only the parts it uses); in-memory
//! ones and a fixed clock in unit tests.

use adapters::dynamodb::DynamoStore;
use adapters::eventbridge::EventBridgeBus;
use adapters::kms::KmsSealer;
use election_core::bounds::Bounds;
use election_core::clock::{Clock, SystemClock};
use election_core::domain::certification::PartRecount;
use election_core::domain::ids::ElectionId;
use election_core::domain::text::AccountId;
use election_core::domain::vote::{Choice, SealedChoice};
use election_core::domain_events::DomainEvent;
use election_core::ports::{ChoiceSealer, EventBus, Store};
use election_core::problem::PortError;

pub struct Services<S, B, C, K> {
    pub store: S,
    pub bus: B,
    pub clock: C,
    /// Seals and opens voters' choices.
    pub sealer: K,
    /// The time bounds of the close.
    pub bounds: Bounds,
}

/// What a deployed function runs with: DynamoDB, and the bus and the sealer only where its
/// handler uses them, so that its bootstrap links no other SDK.
pub type Deployed<B = Unused, K = Unused> = Services<DynamoStore, B, SystemClock, K>;

/// What the local runner's in-process mode runs every handler with: all of it.
pub type LiveServices = Deployed<EventBridgeBus, KmsSealer>;

/// A part of [`Services`] that a function does not use: it reads no setting, builds no
/// client, and answers a call (which its handler never makes) with an internal error.
#[derive(Clone, Copy, Debug, Default)]
pub struct Unused;

fn unused() -> PortError {
    PortError::Internal("this function is not wired for that port".into())
}

impl EventBus for Unused {
    async fn publish(&self, _: &[DomainEvent]) -> Result<usize, PortError> {
        Err(unused())
    }

    async fn set_aside(&self, _: String) -> Result<(), PortError> {
        Err(unused())
    }

    async fn backlog(&self) -> Result<Vec<(String, u64)>, PortError> {
        Err(unused())
    }

    async fn request_recounts(&self, _: &[PartRecount]) -> Result<(), PortError> {
        Err(unused())
    }
}

impl ChoiceSealer for Unused {
    async fn seal(&self, _: &AccountId, _: &ElectionId, _: &Choice) -> Result<SealedChoice, PortError> {
        Err(unused())
    }

    async fn open(&self, _: &AccountId, _: &ElectionId, _: &SealedChoice) -> Result<Choice, PortError> {
        Err(unused())
    }
}

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
    fn bounds(&self) -> &Bounds;
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

    fn bounds(&self) -> &Bounds {
        &self.bounds
    }
}
