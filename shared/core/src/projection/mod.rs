//! The projection rules, as pure functions: a domain event in, the row changes it makes
//! out, under a guard that makes it take effect exactly once.
//!
//! A view is a table of rows. Each event has a [`Guard`] (a marker row whose state says
//! whether the event, or the pledge it is about, has been seen) and [`RowChange`]s
//! (attributes to set, counters to add to). The DynamoDB adapter turns them into
//! conditional transactions; the in-memory store applies them to maps. Both therefore
//! follow the very same rules, and both read the views back through the same functions.

pub mod certification_job;
pub mod dashboard;
pub mod freeze_job;
pub mod pledge_count;
pub mod turnout;

use crate::domain::ids::{CandidateId, ElectionId, PledgeId};
use crate::domain::roll::District;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// An attribute of a row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Text(String),
    Number(i64),
    Flag(bool),
}

/// A row of a view, by what it holds. Where each lives in its table, and how the hot ones
/// are spread, is the storage adapter's business.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RowKey {
    /// An election's own row (its name).
    Election(ElectionId),
    /// The certification of an election's results.
    Certification(ElectionId),
    /// A candidate's row in an election's results: ballot number, party, name, pledge
    /// count, withdrawn.
    Candidate(ElectionId, CandidateId),
    /// A candidate's vote counter in an election. Every vote adds to it, so the adapter
    /// spreads it over many items, and reads it as the rows of [`ViewStore::election_rows`].
    ///
    /// [`ViewStore::election_rows`]: crate::ports::ViewStore::election_rows
    Votes(ElectionId, CandidateId),
    /// The marker that an event (by its `eventId`) has taken effect.
    Applied(String),
    /// The marker of a pledge: whether it has been counted in or out.
    Pledge(PledgeId),
    /// A candidate's own record (where the live pledge count is kept).
    CandidateRecord(CandidateId),
    /// An election's certification job: its attempt, state and progress.
    CertificationJob(ElectionId),
    /// One ballot-box part's count in an attempt of an election's certification job.
    RecountPart(ElectionId, u32, u32),
    /// The freeze of a verifiable election's tally: its attempt, and whether it was refused.
    FreezeJob(ElectionId),
    /// A ballot-box part's size, in an attempt of the freeze (its first stage).
    FreezeCount(ElectionId, u32, u32),
    /// A ballot-box part checked, summed and laid out, in an attempt of the freeze.
    FrozenPart(ElectionId, u32, u32),
    /// How many voters of a district voted in an hour. Every vote adds to one, so the
    /// adapter spreads it as it does [`RowKey::Votes`], and reads it as the rows of
    /// [`ViewStore::turnout_rows`].
    ///
    /// [`ViewStore::turnout_rows`]: crate::ports::ViewStore::turnout_rows
    Turnout(ElectionId, District, DateTime<Utc>),
}

impl RowKey {
    /// The election whose results the row is part of.
    pub fn election(&self) -> Option<&ElectionId> {
        match self {
            RowKey::Election(e) | RowKey::Certification(e) | RowKey::Candidate(e, _) | RowKey::Votes(e, _) => Some(e),
            _ => None,
        }
    }
}

/// A row's attributes (its key apart), by name.
pub type Row = BTreeMap<String, Value>;

/// Which table a projection writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum View {
    /// The results and my-votes views.
    Dashboard,
    /// Candidates' live pledge counts, on the candidate items themselves.
    Candidates,
}

/// What to do to one row: attributes to set and counters to add to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RowChange {
    pub set: BTreeMap<&'static str, Value>,
    pub add: BTreeMap<&'static str, i64>,
}

impl RowChange {
    /// Folds `other` into this change: later sets win, counters add up.
    pub fn merge(&mut self, other: &RowChange) {
        self.set.extend(other.set.iter().map(|(k, v)| (*k, v.clone())));
        for (attr, n) in &other.add {
            *self.add.entry(attr).or_default() += n;
        }
    }

    /// Applies the change to a stored row (a missing counter counts from zero).
    pub fn apply_to(&self, row: &mut Row) {
        for (attr, value) in &self.set {
            row.insert((*attr).to_owned(), value.clone());
        }
        for (attr, n) in &self.add {
            let entry = row.entry((*attr).to_owned()).or_insert(Value::Number(0));
            let before = match entry {
                Value::Number(before) => *before,
                _ => 0,
            };
            *entry = Value::Number(before + n);
        }
    }
}

/// The state a marker row records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarkerState {
    /// The event has been applied.
    Applied,
    /// The pledge has been counted in.
    Counted,
    /// The pledge has been counted out, or its deletion arrived first (a tombstone).
    Deleted,
}

impl MarkerState {
    pub fn as_str(self) -> &'static str {
        match self {
            MarkerState::Applied => "applied",
            MarkerState::Counted => "counted",
            MarkerState::Deleted => "deleted",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Applied, Self::Counted, Self::Deleted]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// The condition under which an event takes effect, on the marker row at its key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Guard {
    /// At most once: the marker must not exist yet; it is left `applied`.
    Once(RowKey),
    /// A pledge is counted in: the marker must not exist yet; it is left `counted`.
    CountIn(RowKey),
    /// A pledge is counted out: the marker must say `counted`; it is left `deleted`.
    /// Without a marker, the deletion came first: a `deleted` tombstone is left and
    /// nothing changes, so the late addition is not counted either.
    CountOut(RowKey),
}

/// What a guard decides, given the marker's current state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    /// Whether the event's row changes are made.
    pub apply: bool,
    /// The marker state to write, if any.
    pub marker: Option<MarkerState>,
}

impl Guard {
    pub fn key(&self) -> &RowKey {
        match self {
            Guard::Once(key) | Guard::CountIn(key) | Guard::CountOut(key) => key,
        }
    }

    /// The marker state the guard requires (`None`: no marker at all).
    pub fn requires(&self) -> Option<MarkerState> {
        match self {
            Guard::Once(_) | Guard::CountIn(_) => None,
            Guard::CountOut(_) => Some(MarkerState::Counted),
        }
    }

    /// The marker state the guard leaves when the event takes effect.
    pub fn leaves(&self) -> MarkerState {
        match self {
            Guard::Once(_) => MarkerState::Applied,
            Guard::CountIn(_) => MarkerState::Counted,
            Guard::CountOut(_) => MarkerState::Deleted,
        }
    }

    /// Whether the guard, finding no marker, leaves a tombstone instead of applying.
    pub fn leaves_tombstone(&self) -> bool {
        let decision = self.decide(None);
        !decision.apply && decision.marker.is_some()
    }

    /// Decides an event on the marker as it stands.
    pub fn decide(&self, marker: Option<MarkerState>) -> Decision {
        if marker == self.requires() {
            return Decision {
                apply: true,
                marker: Some(self.leaves()),
            };
        }
        let tombstone = matches!(self, Guard::CountOut(_)) && marker.is_none();
        Decision {
            apply: false,
            marker: tombstone.then_some(MarkerState::Deleted),
        }
    }
}

/// One event's guard and row changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Effect {
    pub guard: Guard,
    pub changes: Vec<(RowKey, RowChange)>,
    /// Where the changes may take effect only while a row lacks an attribute (a ballot,
    /// only while its election's results are not final), and what takes effect instead.
    pub unless: Option<Unless>,
}

impl Effect {
    pub fn new(guard: Guard, changes: Vec<(RowKey, RowChange)>) -> Self {
        Self {
            guard,
            changes,
            unless: None,
        }
    }
}

/// An effect's changes take effect unless `row` has `attribute`, checked in the same
/// atomic write; if it has, `instead` takes effect (under the same guard).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unless {
    pub row: RowKey,
    pub attribute: &'static str,
    pub instead: Box<Effect>,
}

impl Unless {
    /// What is checked: the row, and the attribute it must lack.
    pub fn condition(&self) -> (RowKey, &'static str) {
        (self.row.clone(), self.attribute)
    }
}

/// A marker row in `state`.
pub fn marker_row(state: MarkerState) -> Row {
    Row::from([
        ("entity".into(), Value::Text("marker".into())),
        ("state".into(), Value::Text(state.as_str().into())),
    ])
}

/// The state a marker row records, if it is one.
pub fn marker_state(row: &Row) -> Option<MarkerState> {
    text(row, "state").and_then(|s| MarkerState::parse(&s))
}

/// The changes of many effects, one merged change per row: counters in a batch add up.
pub fn merge<'a>(effects: impl IntoIterator<Item = &'a Effect>) -> BTreeMap<RowKey, RowChange> {
    let mut rows: BTreeMap<RowKey, RowChange> = BTreeMap::new();
    for effect in effects {
        for (key, change) in &effect.changes {
            rows.entry(key.clone()).or_default().merge(change);
        }
    }
    rows
}

/// A text value.
pub fn text_value(text: impl Into<String>) -> Value {
    Value::Text(text.into())
}

/// A change that sets `set` and adds `add`.
pub fn change(set: &[(&'static str, Value)], add: &[(&'static str, i64)]) -> RowChange {
    RowChange {
        set: set.iter().cloned().collect(),
        add: add.iter().cloned().collect(),
    }
}

/// A text attribute.
pub fn text(row: &Row, name: &str) -> Option<String> {
    match row.get(name) {
        Some(Value::Text(t)) => Some(t.clone()),
        _ => None,
    }
}

/// A time attribute (RFC 3339 text).
pub fn time(row: &Row, name: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    text(row, name)
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok())
        .map(|t| t.to_utc())
}

/// A counter or number attribute, never below zero.
pub fn number(row: &Row, name: &str) -> Option<u64> {
    match row.get(name) {
        Some(Value::Number(n)) => Some((*n).max(0) as u64),
        _ => None,
    }
}

/// A flag attribute; absent is false.
pub fn flag(row: &Row, name: &str) -> bool {
    matches!(row.get(name), Some(Value::Flag(true)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> RowKey {
        RowKey::Pledge(PledgeId::new())
    }

    #[test]
    fn a_guard_lets_an_event_through_once() {
        let once = Guard::Once(key());
        assert_eq!(
            once.decide(None),
            Decision {
                apply: true,
                marker: Some(MarkerState::Applied)
            }
        );
        assert!(!once.decide(Some(MarkerState::Applied)).apply);
    }

    #[test]
    fn a_pledge_deleted_before_it_was_counted_is_never_counted() {
        let out = Guard::CountOut(key()).decide(None);
        assert_eq!(
            out,
            Decision {
                apply: false,
                marker: Some(MarkerState::Deleted)
            }
        );
        assert!(!Guard::CountIn(key()).decide(out.marker).apply);
        assert!(Guard::CountOut(key()).decide(Some(MarkerState::Counted)).apply);
        assert!(!Guard::CountOut(key()).decide(Some(MarkerState::Deleted)).apply);
        assert!(Guard::CountOut(key()).leaves_tombstone());
        assert!(!Guard::CountIn(key()).leaves_tombstone() && !Guard::Once(key()).leaves_tombstone());
    }

    #[test]
    fn changes_to_one_row_merge_and_counters_add_up() {
        let vote = RowChange {
            add: [("votes", 1)].into(),
            ..Default::default()
        };
        let counter = RowKey::Votes(ElectionId::new(), CandidateId::new());
        let effect = Effect::new(Guard::Once(key()), vec![(counter.clone(), vote)]);
        let merged = merge([&effect, &effect, &effect]);
        let mut row = Row::new();
        merged[&counter].apply_to(&mut row);
        assert_eq!(number(&row, "votes"), Some(3));
    }
}
