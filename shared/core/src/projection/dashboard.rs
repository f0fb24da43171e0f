//! The dashboard view: the results of each election and each voter's own votes.
//!
//! Rows are keyed `pk`/`sk`. Per election: a row `election` (its name) and a row per
//! candidate `candidate#<id>` (ballot number, party, name, `pledgeCount`, `withdrawn`). A
//! candidate's votes are counted in shard rows under [`VOTE_SHARDS`] partition keys
//! `votes#<election>#<n>`, so that no one key takes every vote. Nothing here names a
//! voter: a voter's own votes are read from their participations.

use super::{flag, number, text, Effect, Guard, Row, RowChange, RowKey, Value};
use crate::domain::ids::{CandidateId, ElectionId, ReceiptId};
use crate::domain::results::{CandidateTally, Certification, MyVote, Results};
use crate::domain_events::DomainEvent;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// Vote counters are split over this many partition keys per election, so that a
/// candidate's votes are spread over as many partitions' write capacity (1,000 writes/s each).
pub const VOTE_SHARDS: u32 = 10;

pub fn election_row(id: &ElectionId) -> RowKey {
    vec![("pk", format!("election#{id}")), ("sk", "election".into())]
}

/// The row that certifies an election's results (in the election's own partition).
fn certification_row(id: &ElectionId) -> RowKey {
    vec![("pk", format!("election#{id}")), ("sk", "certification".into())]
}

/// Certifies the results, once: a second certification leaves the first as it was.
pub fn certification(election: &ElectionId, total_votes: u64, by: &str, at: DateTime<Utc>) -> Effect {
    Effect {
        guard: Guard::Once(vec![
            ("pk", format!("event#ResultsCertified-{election}")),
            ("sk", "event".into()),
        ]),
        changes: vec![(
            certification_row(election),
            change(
                &[
                    ("certifiedAt", text_value(at.to_rfc3339())),
                    ("certifiedBy", text_value(by)),
                    (
                        "totalVotes",
                        Value::Number(i64::try_from(total_votes).unwrap_or(i64::MAX)),
                    ),
                ],
                &[],
            ),
        )],
    }
}

pub fn candidate_row(election: &ElectionId, candidate: &CandidateId) -> RowKey {
    vec![
        ("pk", format!("election#{election}")),
        ("sk", format!("candidate#{candidate}")),
    ]
}

/// The shard a batch's votes are added to: chosen by the batch's first receipt id (a
/// uniform random UUID), so that a batch makes one counter write per candidate, not one
/// per vote, and concurrent batches spread over the shards.
fn batch_shard(events: &[DomainEvent]) -> u32 {
    events
        .iter()
        .find_map(|event| match event {
            DomainEvent::BallotCast(e) => Some(e.receipt_id.to_string()),
            _ => None,
        })
        .unwrap_or_default()
        .bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(b.into()))
        % VOTE_SHARDS
}

fn vote_shard_row(election: &ElectionId, candidate: &CandidateId, shard: u32) -> RowKey {
    vec![
        ("pk", vote_shard(election, shard)),
        ("sk", format!("candidate#{candidate}")),
    ]
}

fn vote_shard(election: &ElectionId, shard: u32) -> String {
    format!("votes#{election}#{shard}")
}

/// The partitions that hold an election's results: its own rows and its vote shards.
pub fn results_partitions(election: &ElectionId) -> Vec<String> {
    let mut partitions = vec![format!("election#{election}")];
    partitions.extend((0..VOTE_SHARDS).map(|shard| vote_shard(election, shard)));
    partitions
}

fn text_value(text: impl Into<String>) -> Value {
    Value::Text(text.into())
}

fn change(set: &[(&'static str, Value)], add: &[(&'static str, i64)]) -> RowChange {
    RowChange {
        set: set.iter().cloned().collect(),
        add: add.iter().cloned().collect(),
    }
}

fn once(event: &DomainEvent) -> Guard {
    Guard::Once(vec![
        ("pk", format!("event#{}", event.event_id())),
        ("sk", "event".into()),
    ])
}

fn pledge_marker(pledge: &impl std::fmt::Display) -> RowKey {
    vec![("pk", format!("pledge#{pledge}")), ("sk", "pledge".into())]
}

/// What an event does to the dashboard, stamped with the time it is applied; a vote is
/// counted in the given shard.
fn effect(event: &DomainEvent, now: DateTime<Utc>, shard: u32) -> Effect {
    let stamp = ("updatedAt", text_value(now.to_rfc3339()));
    let (guard, changes) = match event {
        DomainEvent::ElectionRegistered(e) => (
            once(event),
            vec![(
                election_row(&e.election_id),
                change(&[("name", text_value(&e.name)), stamp], &[]),
            )],
        ),
        DomainEvent::CandidateRegistered(e) => (
            once(event),
            vec![(
                candidate_row(&e.election_id, &e.candidate_id),
                change(
                    &[
                        ("candidateId", text_value(e.candidate_id.to_string())),
                        ("ballotNumber", Value::Number(e.ballot_number.get().into())),
                        ("party", text_value(&e.party)),
                        ("name", text_value(&e.name)),
                        stamp,
                    ],
                    &[("votes", 0), ("pledgeCount", 0)],
                ),
            )],
        ),
        DomainEvent::CandidateWithdrawn(e) => (
            once(event),
            vec![(
                candidate_row(&e.election_id, &e.candidate_id),
                change(
                    &[
                        ("candidateId", text_value(e.candidate_id.to_string())),
                        ("withdrawn", Value::Flag(true)),
                        stamp,
                    ],
                    &[],
                ),
            )],
        ),
        DomainEvent::PledgeAdded(e) => (
            Guard::CountIn(pledge_marker(&e.pledge_id)),
            vec![(
                candidate_row(&e.election_id, &e.candidate_id),
                change(&[stamp], &[("pledgeCount", 1)]),
            )],
        ),
        DomainEvent::PledgeDeleted(e) => (
            Guard::CountOut(pledge_marker(&e.pledge_id)),
            vec![(
                candidate_row(&e.election_id, &e.candidate_id),
                change(&[stamp], &[("pledgeCount", -1)]),
            )],
        ),
        DomainEvent::BallotCast(e) => (
            once(event),
            vec![(
                vote_shard_row(&e.election_id, &e.candidate_id, shard),
                change(
                    &[("candidateId", text_value(e.candidate_id.to_string())), stamp],
                    &[("votes", 1)],
                ),
            )],
        ),
    };
    Effect { guard, changes }
}

/// The effects of a batch: each event once, however often it appears in the batch, its
/// votes all in one shard.
pub fn effects(events: &[DomainEvent], now: DateTime<Utc>) -> Vec<Effect> {
    let shard = batch_shard(events);
    let mut seen = std::collections::HashSet::new();
    events
        .iter()
        .filter(|e| seen.insert(e.event_id().to_owned()))
        .map(|e| effect(e, now, shard))
        .collect()
}

fn time(row: &Row, name: &str) -> Option<DateTime<Utc>> {
    text(row, name)
        .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
        .map(|t| t.to_utc())
}

fn ballot_number(row: &Row) -> Option<u32> {
    number(row, "ballotNumber").and_then(|n| u32::try_from(n).ok())
}

/// The results of an election, from the rows of its [`results_partitions`]. `asOf` is
/// the last time an event changed any of them.
pub fn results(election_id: &ElectionId, rows: &[Row]) -> Results {
    let mut tallies: BTreeMap<CandidateId, CandidateTally> = BTreeMap::new();
    let mut as_of: Option<DateTime<Utc>> = None;
    let mut certification = None;
    for row in rows {
        if text(row, "sk").as_deref() == Some("certification") {
            certification = time(row, "certifiedAt").map(|at| Certification {
                at,
                by: text(row, "certifiedBy").unwrap_or_default(),
            });
            continue;
        }
        as_of = as_of.max(time(row, "updatedAt"));
        let Some(candidate_id) = text(row, "candidateId").and_then(|id| CandidateId::parse(&id).ok()) else {
            continue;
        };
        let tally = tallies
            .entry(candidate_id.clone())
            .or_insert_with(|| CandidateTally::empty(candidate_id));
        // Vote shards carry only votes; the candidate row carries the rest.
        tally.votes += number(row, "votes").unwrap_or(0);
        if text(row, "pk").is_some_and(|pk| pk.starts_with("election#")) {
            tally.ballot_number = ballot_number(row);
            tally.party = text(row, "party");
            tally.name = text(row, "name");
            tally.pledge_count = number(row, "pledgeCount").unwrap_or(0);
            tally.withdrawn = flag(row, "withdrawn");
        }
    }
    Results::from_tallies(
        election_id.clone(),
        tallies.into_values().collect(),
        as_of,
        certification,
    )
}

/// One of a voter's votes, opened: its names are still to be read from the dashboard.
#[derive(Clone, Debug)]
pub struct OpenedVote {
    pub election_id: ElectionId,
    pub candidate_id: CandidateId,
    pub receipt_id: ReceiptId,
    pub cast_at: DateTime<Utc>,
}

impl OpenedVote {
    /// The rows that name the election and the candidate. They are read, not copied into
    /// the voter's row, so that a withdrawal is one write, not one per vote cast.
    pub fn detail_keys(&self) -> [RowKey; 2] {
        [
            election_row(&self.election_id),
            candidate_row(&self.election_id, &self.candidate_id),
        ]
    }

    /// The vote as the voter sees it, with the election and candidate rows found by
    /// [`Self::detail_keys`].
    pub fn with_details(self, election: Option<&Row>, candidate: Option<&Row>) -> MyVote {
        MyVote {
            election_name: election.and_then(|r| text(r, "name")),
            candidate_name: candidate.and_then(|r| text(r, "name")),
            ballot_number: candidate.and_then(ballot_number),
            candidate_withdrawn: candidate.is_some_and(|r| flag(r, "withdrawn")),
            election_id: self.election_id,
            candidate_id: self.candidate_id,
            cast_at: self.cast_at,
            receipt_id: self.receipt_id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain_events::BallotCast;
    use crate::projection::merge;

    fn ballot(election: &ElectionId, candidate: &CandidateId) -> DomainEvent {
        let receipt_id = ReceiptId::new();
        DomainEvent::BallotCast(BallotCast {
            event_id: format!("BallotCast-{receipt_id}"),
            occurred_at: Utc::now(),
            election_id: election.clone(),
            candidate_id: candidate.clone(),
            receipt_id,
        })
    }

    #[test]
    fn a_batch_of_votes_makes_one_counter_write_per_candidate() {
        // GIVEN ten votes for two candidates in one batch
        let election = ElectionId::new();
        let (ann, bob) = (CandidateId::new(), CandidateId::new());
        let batch: Vec<_> = (0..10)
            .map(|i| ballot(&election, if i % 3 == 0 { &ann } else { &bob }))
            .collect();

        // WHEN the projector works out its effects
        let effects = effects(&batch, Utc::now());
        let rows = merge(&effects);

        // THEN each vote keeps its own once-only guard, and the counters are two rows of one
        // shard, adding up to the ten votes
        assert_eq!(effects.len(), 10);
        assert_eq!(rows.len(), 2, "{rows:?}");
        let shards: std::collections::BTreeSet<_> = rows.keys().map(|key| key[0].1.clone()).collect();
        assert_eq!(shards.len(), 1);
        assert_eq!(rows.values().map(|change| change.add["votes"]).sum::<i64>(), 10);
    }
}
