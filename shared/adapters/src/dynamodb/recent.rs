//! The short cache behind [`VoteLookups`](election_core::ports::VoteLookups): what was read
//! less than [`LOOKUP_TTL`] ago, per Lambda instance. Misses included, so that a flood of
//! votes for an unknown id costs one read per interval too.

use election_core::domain::candidate::Candidate;
use election_core::domain::election::Election;
use election_core::domain::ids::{CandidateId, ElectionId};
use election_core::ports::LOOKUP_TTL;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
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

/// The elections and candidates votes name.
#[derive(Debug, Default)]
pub(super) struct RecentLookups {
    pub elections: Recent<ElectionId, Election>,
    pub candidates: Recent<CandidateId, Candidate>,
}
