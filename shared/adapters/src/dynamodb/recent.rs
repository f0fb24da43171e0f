//! The short cache behind [`VoteLookups`](election_core::ports::VoteLookups): what was read
//! less than [`LOOKUP_TTL`] ago, per Lambda instance. Misses included, so that a flood of
//! votes for an unknown id costs one read per interval too.

use election_core::domain::candidate::Candidate;
use election_core::domain::election::Election;
use election_core::domain::ids::{CandidateId, ElectionId};
use election_core::domain::vote::BallotChecks;
use election_core::ports::LOOKUP_TTL;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::Instant;

#[derive(Debug)]
pub(super) struct Recent<K, V> {
    entries: Mutex<HashMap<K, (Instant, Option<V>)>>,
}

impl<K, V> Default for Recent<K, V> {
    fn default() -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Eq + Hash, V: Clone> Recent<K, V> {
    /// The value read less than [`LOOKUP_TTL`] ago, if any (`Some(None)`: known absent).
    pub fn get(&self, key: &K) -> Option<Option<V>> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .get(key)
            .filter(|(read_at, _)| read_at.elapsed() < LOOKUP_TTL)
            .map(|(_, value)| value.clone())
    }

    pub fn put(&self, key: K, value: Option<V>) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.retain(|_, (read_at, _)| read_at.elapsed() < LOOKUP_TTL);
        entries.insert(key, (Instant::now(), value));
    }
}

/// The elections and candidates votes name, and the verifiable elections' ballot checks.
#[derive(Default)]
pub(super) struct RecentLookups {
    pub elections: Recent<ElectionId, Election>,
    pub candidates: Recent<CandidateId, Candidate>,
    /// Kept for the instance's life: a completed ceremony never changes.
    checks: Mutex<HashMap<ElectionId, Arc<BallotChecks>>>,
}

impl std::fmt::Debug for RecentLookups {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecentLookups")
            .field("elections", &self.elections)
            .field("candidates", &self.candidates)
            .finish_non_exhaustive()
    }
}

impl RecentLookups {
    pub fn checks(&self, election: &ElectionId) -> Option<Arc<BallotChecks>> {
        let checks = self.checks.lock().unwrap_or_else(|p| p.into_inner());
        checks.get(election).cloned()
    }

    /// Keeps the first built for the election (two instances' builds are the same).
    pub fn keep_checks(&self, election: &ElectionId, built: BallotChecks) -> Arc<BallotChecks> {
        let mut checks = self.checks.lock().unwrap_or_else(|p| p.into_inner());
        checks
            .entry(election.clone())
            .or_insert_with(|| Arc::new(built))
            .clone()
    }
}
