//! In-memory adapters behind the same ports, for unit tests. They keep the same rules as
//! the DynamoDB ones: conditional inserts, ballot uniqueness, idempotent projection.

use crate::domain::candidate::Candidate;
use crate::domain::election::Election;
use crate::domain::events::DomainEvent;
use crate::domain::ids::{CandidateId, ElectionId};
use crate::domain::results::{CandidateTally, Results};
use crate::domain::vote::Vote;
use crate::error::StoreError;
use crate::ports::{CandidateStore, DashboardStore, ElectionStore, EventBus, VoteStore};
use chrono::Utc;
use std::collections::{BTreeMap, HashSet};
use std::sync::{Mutex, MutexGuard};

/// Everything the in-memory store holds; compare two snapshots to prove nothing was written.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    pub elections: BTreeMap<ElectionId, Election>,
    pub candidates: BTreeMap<CandidateId, Candidate>,
    pub votes: BTreeMap<(ElectionId, String), Vote>,
    pub tallies: BTreeMap<(ElectionId, CandidateId), CandidateTally>,
    pub applied_events: HashSet<String>,
}

#[derive(Debug, Default)]
pub struct InMemoryStore {
    state: Mutex<Snapshot>,
}

impl InMemoryStore {
    fn state(&self) -> MutexGuard<'_, Snapshot> {
        // A panic while holding the lock leaves plain data behind; keep using it.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn snapshot(&self) -> Snapshot {
        self.state().clone()
    }
}

impl ElectionStore for InMemoryStore {
    async fn insert_election(&self, election: &Election) -> Result<(), StoreError> {
        let mut state = self.state();
        if state.elections.contains_key(&election.id) {
            return Err(StoreError::Conflict);
        }
        state
            .elections
            .insert(election.id.clone(), election.clone());
        Ok(())
    }

    async fn election(&self, id: &ElectionId) -> Result<Option<Election>, StoreError> {
        Ok(self.state().elections.get(id).cloned())
    }
}

impl CandidateStore for InMemoryStore {
    async fn insert_candidate(&self, candidate: &Candidate) -> Result<(), StoreError> {
        let mut state = self.state();
        let clash = state.candidates.values().any(|c| {
            c.election_id == candidate.election_id && c.ballot_number == candidate.ballot_number
        });
        if clash || state.candidates.contains_key(&candidate.id) {
            return Err(StoreError::Conflict);
        }
        state
            .candidates
            .insert(candidate.id.clone(), candidate.clone());
        Ok(())
    }

    async fn candidate(&self, id: &CandidateId) -> Result<Option<Candidate>, StoreError> {
        Ok(self.state().candidates.get(id).cloned())
    }
}

impl VoteStore for InMemoryStore {
    async fn insert_vote(&self, vote: &Vote) -> Result<(), StoreError> {
        let mut state = self.state();
        let key = (vote.election_id.clone(), vote.voter_id.as_str().to_owned());
        if state.votes.contains_key(&key) {
            return Err(StoreError::Conflict);
        }
        state.votes.insert(key, vote.clone());
        Ok(())
    }
}

fn tally(candidate_id: &CandidateId) -> CandidateTally {
    CandidateTally {
        candidate_id: candidate_id.clone(),
        ballot_number: None,
        party: None,
        name: None,
        votes: 0,
        withdrawn: false,
    }
}

impl DashboardStore for InMemoryStore {
    async fn apply(&self, events: &[DomainEvent]) -> Result<(), StoreError> {
        let mut state = self.state();
        for event in events {
            if !state.applied_events.insert(event.event_id().to_owned()) {
                continue;
            }
            match event {
                DomainEvent::ElectionRegistered(_) => {}
                DomainEvent::CandidateRegistered(e) => {
                    let key = (e.election_id.clone(), e.candidate_id.clone());
                    let row = state
                        .tallies
                        .entry(key)
                        .or_insert_with(|| tally(&e.candidate_id));
                    row.ballot_number = Some(e.ballot_number.get());
                    row.party = Some(e.party.clone());
                    row.name = Some(e.name.clone());
                }
                DomainEvent::Voted(e) => {
                    let key = (e.election_id.clone(), e.candidate_id.clone());
                    state
                        .tallies
                        .entry(key)
                        .or_insert_with(|| tally(&e.candidate_id))
                        .votes += 1;
                }
            }
        }
        Ok(())
    }

    async fn results(&self, election_id: &ElectionId) -> Result<Results, StoreError> {
        let state = self.state();
        let rows = state
            .tallies
            .iter()
            .filter(|((e, _), _)| e == election_id)
            .map(|(_, t)| t.clone())
            .collect();
        Ok(Results::from_tallies(
            election_id.clone(),
            rows,
            Some(Utc::now()),
        ))
    }
}

/// A bus that records what it is given, and can be told to refuse entries from some index.
#[derive(Debug, Default)]
pub struct RecordingBus {
    published: Mutex<Vec<DomainEvent>>,
    /// Accept at most this many events per call, like a PutEvents with failed entries.
    pub accept_at_most: Option<usize>,
}

impl RecordingBus {
    pub fn published(&self) -> Vec<DomainEvent> {
        self.published
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

impl EventBus for RecordingBus {
    async fn publish(&self, events: &[DomainEvent]) -> Result<usize, StoreError> {
        let accepted = self
            .accept_at_most
            .map_or(events.len(), |n| n.min(events.len()));
        self.published
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(&events[..accepted]);
        Ok(accepted)
    }
}
