//! The adapters and clock a function runs with: DynamoDB, EventBridge, KMS and the system
//! clock in Lambda and the local runner (each function only the parts it uses); in-memory
//! ones and a fixed clock in unit tests.

use crate::http::tokens::Tokens;
use adapters::dynamodb::DynamoStore;
use adapters::eventbridge::EventBridgeBus;
use adapters::kms::KmsKeys;
use adapters::s3::S3Files;
use election_core::bounds::Bounds;
use election_core::clock::{Clock, SystemClock};
use election_core::domain::certification::PartRecount;
use election_core::domain::ids::ElectionId;
use election_core::domain::roll::{IdentityKey, RollId};
use election_core::domain::text::AccountId;
use election_core::domain::vote::{Ballot, Choice, Sealed, SealedBallot};
use election_core::domain_events::DomainEvent;
use election_core::ports::{BallotSealer, ChoiceSealer, EventBus, RecordFiles, RollFiles, Store, VoterKeys};
use election_core::problem::PortError;
use std::time::Duration;

pub struct Services<S, B, C, K, F = Unused> {
    pub store: S,
    pub bus: B,
    pub clock: C,
    /// Derives voter ids, seals and opens voters' choices, and the mixer's copies.
    pub sealer: K,
    /// Where roll files are uploaded and read.
    pub files: F,
    /// The time bounds of the close.
    pub bounds: Bounds,
    /// The smallest batch the mixer writes to the box before the close (*k*).
    pub mix_batch: usize,
    /// The claim of a voter's token that is their key on the roll.
    pub voter_identity_claim: String,
    /// The issuers whose bearer tokens the function accepts.
    pub tokens: Tokens,
}

/// The claim that is a voter's key on the roll when the template names none: the pool's.
pub const DEFAULT_VOTER_IDENTITY_CLAIM: &str = "sub";

/// What a deployed function runs with: DynamoDB, and the bus, the keys and the roll files
/// only where its handler uses them, so that its bootstrap links no other SDK.
pub type Deployed<B = Unused, K = Unused, F = Unused> = Services<DynamoStore, B, SystemClock, K, F>;

/// What the local runner's in-process mode runs every handler with: all of it.
pub type LiveServices = Deployed<EventBridgeBus, KmsKeys, S3Files>;

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

impl VoterKeys for Unused {
    async fn voter_id(&self, _: &IdentityKey) -> Result<AccountId, PortError> {
        Err(unused())
    }

    async fn claim_tag(&self, _: &[&[u8]]) -> Result<String, PortError> {
        Err(unused())
    }
}

impl RecordFiles for Unused {
    async fn put_record_file(&self, _: &ElectionId, _: &str, _: Vec<u8>) -> Result<(), PortError> {
        Err(unused())
    }

    async fn record_file(&self, _: &ElectionId, _: &str) -> Result<Option<Vec<u8>>, PortError> {
        Err(unused())
    }
}

impl RollFiles for Unused {
    async fn upload_url(&self, _: &ElectionId, _: &RollId, _: Duration) -> Result<String, PortError> {
        Err(unused())
    }

    async fn read(&self, _: &ElectionId, _: &RollId, _: u64, _: u64) -> Result<Vec<u8>, PortError> {
        Err(unused())
    }

    async fn remove(&self, _: &ElectionId, _: &RollId) -> Result<(), PortError> {
        Err(unused())
    }
}

impl ChoiceSealer for Unused {
    async fn seal(&self, _: &AccountId, _: &ElectionId, _: &Choice) -> Result<Sealed, PortError> {
        Err(unused())
    }

    async fn open(&self, _: &AccountId, _: &ElectionId, _: &Sealed) -> Result<Choice, PortError> {
        Err(unused())
    }
}

impl BallotSealer for Unused {
    async fn seal_ballot(&self, _: &Ballot) -> Result<SealedBallot, PortError> {
        Err(unused())
    }

    async fn open_ballot(&self, _: &SealedBallot) -> Result<Ballot, PortError> {
        Err(unused())
    }
}

/// What a handler runs with, whatever the adapters behind it.
pub trait App: Send + Sync {
    type Store: Store;
    type Bus: EventBus;
    type Clock: Clock;
    type Sealer: ChoiceSealer + VoterKeys + BallotSealer;
    type Files: RollFiles + RecordFiles;
    fn store(&self) -> &Self::Store;
    fn bus(&self) -> &Self::Bus;
    fn clock(&self) -> &Self::Clock;
    fn sealer(&self) -> &Self::Sealer;
    fn files(&self) -> &Self::Files;
    fn bounds(&self) -> &Bounds;
    fn mix_batch(&self) -> usize;
    fn voter_identity_claim(&self) -> &str;
    fn tokens(&self) -> &Tokens;
}

impl<S: Store, B: EventBus, C: Clock, K: ChoiceSealer + VoterKeys + BallotSealer, F: RollFiles + RecordFiles> App
    for Services<S, B, C, K, F>
{
    type Store = S;
    type Bus = B;
    type Clock = C;
    type Sealer = K;
    type Files = F;

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

    fn files(&self) -> &F {
        &self.files
    }

    fn bounds(&self) -> &Bounds {
        &self.bounds
    }

    fn mix_batch(&self) -> usize {
        self.mix_batch
    }

    fn voter_identity_claim(&self) -> &str {
        &self.voter_identity_claim
    }

    fn tokens(&self) -> &Tokens {
        &self.tokens
    }
}
