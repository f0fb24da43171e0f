//! In-memory adapters behind the same ports, for unit tests. They keep the same rules as
//! the DynamoDB ones: conditional writes, ballot uniqueness, exactly-once projection and
//! order-proof pledge counting.

use crate::domain::candidate::{Candidate, CandidateStatus};
use crate::domain::election::Election;
use crate::domain::events::{DomainEvent, PledgeChanged, Voted};
use crate::domain::ids::{CandidateId, ElectionId, PledgeId};
use crate::domain::pledge::Pledge;
use crate::domain::results::{CandidateTally, MyVote, Results};
use crate::domain::vote::Vote;
use crate::error::StoreError;
use crate::ports::{CandidateStore, DashboardStore, ElectionStore, EventBus, PledgeCounter, PledgeStore, VoteStore};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};

/// Whether a pledge has been counted in or out (see the DynamoDB projection).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PledgeMark {
    Counted,
    Deleted,
}

/// Everything the in-memory store holds; compare two snapshots to prove nothing was written.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    pub elections: BTreeMap<ElectionId, Election>,
    pub candidates: BTreeMap<CandidateId, Candidate>,
    pub pledges: BTreeMap<(CandidateId, PledgeId), Pledge>,
    pub votes: BTreeMap<(ElectionId, String), Vote>,
    pub tallies: BTreeMap<(ElectionId, CandidateId), CandidateTally>,
    pub election_names: BTreeMap<ElectionId, String>,
    /// The my-votes view: `Voted` events by (voter, election).
    pub voted: BTreeMap<(String, ElectionId), Voted>,
    pub applied_events: HashSet<String>,
    /// Pledge marks of the results view, and of the candidates' counters.
    pub view_pledge_marks: HashMap<PledgeId, PledgeMark>,
    pub counter_pledge_marks: HashMap<PledgeId, PledgeMark>,
}

#[derive(Debug, Default)]
pub struct InMemoryStore {
    state: Mutex<Snapshot>,
}

impl InMemoryStore {
    fn state(&self) -> MutexGuard<'_, Snapshot> {
        // A panic while holding the lock leaves plain data behind; keep using it.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn snapshot(&self) -> Snapshot {
        self.state().clone()
    }
}

/// The candidate must be registered in the election (the DynamoDB adapter's condition check).
fn candidate_stands(state: &Snapshot, candidate: &CandidateId, election: &ElectionId) -> Result<(), StoreError> {
    match state.candidates.get(candidate) {
        Some(c) if c.status == CandidateStatus::Registered && &c.election_id == election => Ok(()),
        _ => Err(StoreError::Precondition),
    }
}

/// Counts a pledge in or out once, in any order: +1, -1 or 0.
fn count(marks: &mut HashMap<PledgeId, PledgeMark>, event: &DomainEvent) -> Option<(PledgeChanged, i64)> {
    match event {
        DomainEvent::PledgeAdded(e) => match marks.get(&e.pledge_id) {
            None => {
                marks.insert(e.pledge_id.clone(), PledgeMark::Counted);
                Some((e.clone(), 1))
            }
            Some(_) => Some((e.clone(), 0)),
        },
        DomainEvent::PledgeDeleted(e) => {
            let before = marks.insert(e.pledge_id.clone(), PledgeMark::Deleted);
            Some((e.clone(), if before == Some(PledgeMark::Counted) { -1 } else { 0 }))
        }
        _ => None,
    }
}

impl ElectionStore for InMemoryStore {
    async fn insert_election(&self, election: &Election) -> Result<(), StoreError> {
        let mut state = self.state();
        if state.elections.contains_key(&election.id) {
            return Err(StoreError::Conflict);
        }
        state.elections.insert(election.id.clone(), election.clone());
        Ok(())
    }

    async fn elections(&self) -> Result<Vec<Election>, StoreError> {
        let mut elections: Vec<Election> = self.state().elections.values().cloned().collect();
        elections.sort_by_key(|e| (e.window.starts_at(), e.id.clone()));
        Ok(elections)
    }

    async fn election(&self, id: &ElectionId) -> Result<Option<Election>, StoreError> {
        Ok(self.state().elections.get(id).cloned())
    }
}

impl CandidateStore for InMemoryStore {
    async fn insert_candidate(&self, candidate: &Candidate) -> Result<(), StoreError> {
        let mut state = self.state();
        let clash = state
            .candidates
            .values()
            .any(|c| c.election_id == candidate.election_id && c.ballot_number == candidate.ballot_number);
        if clash || state.candidates.contains_key(&candidate.id) {
            return Err(StoreError::Conflict);
        }
        state.candidates.insert(candidate.id.clone(), candidate.clone());
        Ok(())
    }

    async fn candidate(&self, id: &CandidateId) -> Result<Option<Candidate>, StoreError> {
        Ok(self.state().candidates.get(id).cloned())
    }

    async fn candidates_in(&self, election_id: &ElectionId) -> Result<Vec<Candidate>, StoreError> {
        let mut found: Vec<Candidate> = self
            .state()
            .candidates
            .values()
            .filter(|c| &c.election_id == election_id)
            .cloned()
            .collect();
        found.sort_by_key(|c| c.ballot_number);
        Ok(found)
    }

    async fn withdraw_candidate(&self, id: &CandidateId, _at: DateTime<Utc>) -> Result<(), StoreError> {
        match self.state().candidates.get_mut(id) {
            Some(c) if c.status == CandidateStatus::Registered => {
                c.status = CandidateStatus::Withdrawn;
                Ok(())
            }
            _ => Err(StoreError::Conflict),
        }
    }
}

impl PledgeStore for InMemoryStore {
    async fn insert_pledge(&self, pledge: &Pledge) -> Result<(), StoreError> {
        let key = (pledge.candidate_id.clone(), pledge.id.clone());
        let mut state = self.state();
        candidate_stands(&state, &pledge.candidate_id, &pledge.election_id)?;
        if state.pledges.contains_key(&key) {
            return Err(StoreError::Conflict);
        }
        state.pledges.insert(key, pledge.clone());
        Ok(())
    }

    async fn delete_pledge(&self, candidate_id: &CandidateId, pledge_id: &PledgeId) -> Result<(), StoreError> {
        let key = (candidate_id.clone(), pledge_id.clone());
        self.state()
            .pledges
            .remove(&key)
            .map(|_| ())
            .ok_or(StoreError::Conflict)
    }

    async fn pledges(&self, candidate_id: &CandidateId) -> Result<Vec<Pledge>, StoreError> {
        let mut found: Vec<Pledge> = self
            .state()
            .pledges
            .values()
            .filter(|p| &p.candidate_id == candidate_id)
            .cloned()
            .collect();
        found.sort_by_key(|p| p.added_at);
        Ok(found)
    }
}

impl PledgeCounter for InMemoryStore {
    async fn count_pledges(&self, events: &[DomainEvent]) -> Result<(), StoreError> {
        let mut state = self.state();
        for event in events {
            if let Some((e, delta)) = count(&mut state.counter_pledge_marks, event) {
                if let Some(c) = state.candidates.get_mut(&e.candidate_id) {
                    c.pledge_count = c.pledge_count.saturating_add_signed(delta);
                }
            }
        }
        Ok(())
    }
}

impl VoteStore for InMemoryStore {
    async fn insert_vote(&self, vote: &Vote) -> Result<(), StoreError> {
        let mut state = self.state();
        candidate_stands(&state, &vote.candidate_id, &vote.election_id)?;
        let key = (vote.election_id.clone(), vote.voter_id.as_str().to_owned());
        if state.votes.contains_key(&key) {
            return Err(StoreError::Conflict);
        }
        state.votes.insert(key, vote.clone());
        Ok(())
    }
}

fn tally<'a>(state: &'a mut Snapshot, election: &ElectionId, candidate: &CandidateId) -> &'a mut CandidateTally {
    state
        .tallies
        .entry((election.clone(), candidate.clone()))
        .or_insert_with(|| CandidateTally {
            candidate_id: candidate.clone(),
            ballot_number: None,
            party: None,
            name: None,
            pledge_count: 0,
            votes: 0,
            withdrawn: false,
        })
}

impl DashboardStore for InMemoryStore {
    async fn apply(&self, events: &[DomainEvent]) -> Result<(), StoreError> {
        let mut state = self.state();
        for event in events {
            if let Some((e, delta)) = count(&mut state.view_pledge_marks, event) {
                let row = tally(&mut state, &e.election_id, &e.candidate_id);
                row.pledge_count = row.pledge_count.saturating_add_signed(delta);
                continue;
            }
            if !state.applied_events.insert(event.event_id().to_owned()) {
                continue;
            }
            match event {
                DomainEvent::ElectionRegistered(e) => {
                    state.election_names.insert(e.election_id.clone(), e.name.clone());
                }
                DomainEvent::CandidateRegistered(e) => {
                    let row = tally(&mut state, &e.election_id, &e.candidate_id);
                    row.ballot_number = Some(e.ballot_number.get());
                    row.party = Some(e.party.clone());
                    row.name = Some(e.name.clone());
                }
                DomainEvent::CandidateWithdrawn(e) => {
                    tally(&mut state, &e.election_id, &e.candidate_id).withdrawn = true
                }
                DomainEvent::Voted(e) => {
                    tally(&mut state, &e.election_id, &e.candidate_id).votes += 1;
                    state
                        .voted
                        .insert((e.voter_id.clone(), e.election_id.clone()), e.clone());
                }
                DomainEvent::PledgeAdded(_) | DomainEvent::PledgeDeleted(_) => {}
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
        Ok(Results::from_tallies(election_id.clone(), rows, Some(Utc::now())))
    }

    async fn my_votes(&self, voter_id: &str) -> Result<Vec<MyVote>, StoreError> {
        let state = self.state();
        let mut mine: Vec<MyVote> = state
            .voted
            .values()
            .filter(|v| v.voter_id == voter_id)
            .map(|v| {
                let row = state.tallies.get(&(v.election_id.clone(), v.candidate_id.clone()));
                MyVote {
                    election_id: v.election_id.clone(),
                    election_name: state.election_names.get(&v.election_id).cloned(),
                    candidate_id: v.candidate_id.clone(),
                    candidate_name: row.and_then(|r| r.name.clone()),
                    ballot_number: row.and_then(|r| r.ballot_number),
                    candidate_withdrawn: row.is_some_and(|r| r.withdrawn),
                    cast_at: v.occurred_at,
                    receipt_id: v.receipt_id.clone(),
                }
            })
            .collect();
        mine.sort_by_key(|v| v.cast_at);
        Ok(mine)
    }
}

/// A bus that records what it is given.
#[derive(Debug, Default)]
pub struct RecordingBus {
    published: Mutex<Vec<DomainEvent>>,
}

impl RecordingBus {
    pub fn published(&self) -> Vec<DomainEvent> {
        self.published.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl EventBus for RecordingBus {
    async fn publish(&self, events: &[DomainEvent]) -> Result<usize, StoreError> {
        self.published
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(events);
        Ok(events.len())
    }
}
