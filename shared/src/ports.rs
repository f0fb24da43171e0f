//! Ports: what the handlers need from storage and the bus, one concern per trait.
//! DynamoDB/EventBridge adapters and in-memory adapters implement them.

use crate::domain::candidate::Candidate;
use crate::domain::election::Election;
use crate::domain::events::DomainEvent;
use crate::domain::ids::{CandidateId, ElectionId};
use crate::domain::results::Results;
use crate::domain::vote::Vote;
use crate::error::StoreError;
use std::future::Future;

pub trait ElectionStore: Send + Sync {
    /// Stores a new election.
    fn insert_election(
        &self,
        election: &Election,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Reads an election, strongly consistent.
    fn election(
        &self,
        id: &ElectionId,
    ) -> impl Future<Output = Result<Option<Election>, StoreError>> + Send;
}

pub trait CandidateStore: Send + Sync {
    /// Stores a new candidate; `Conflict` when its ballot number is taken in its election.
    fn insert_candidate(
        &self,
        candidate: &Candidate,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Reads a candidate, strongly consistent.
    fn candidate(
        &self,
        id: &CandidateId,
    ) -> impl Future<Output = Result<Option<Candidate>, StoreError>> + Send;
}

pub trait VoteStore: Send + Sync {
    /// Stores a vote unless the voter already voted in that election (`Conflict`).
    fn insert_vote(&self, vote: &Vote) -> impl Future<Output = Result<(), StoreError>> + Send;
}

pub trait DashboardStore: Send + Sync {
    /// Applies events to the results view exactly once each: events already applied are
    /// skipped, and the rest are applied all together or not at all.
    fn apply(&self, events: &[DomainEvent]) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Reads the results view of an election.
    fn results(
        &self,
        election_id: &ElectionId,
    ) -> impl Future<Output = Result<Results, StoreError>> + Send;
}

pub trait EventBus: Send + Sync {
    /// Puts events on the bus in order. Returns how many of them, from the start, were
    /// accepted; fewer than all means the rest must be retried.
    fn publish(
        &self,
        events: &[DomainEvent],
    ) -> impl Future<Output = Result<usize, StoreError>> + Send;
}

/// All the storage ports together, as one adapter provides them.
pub trait Store: ElectionStore + CandidateStore + VoteStore + DashboardStore {}
impl<T: ElectionStore + CandidateStore + VoteStore + DashboardStore> Store for T {}
