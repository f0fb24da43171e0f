//! The dashboard view: the results of each election and each voter's own votes.
//!
//! Per election: its own row (its name), a row per candidate (ballot number, party, name,
//! `pledgeCount`, `withdrawn`), each candidate's vote counter, and the certification.
//! Nothing here names a voter: a voter's own votes are read from their participations.

use super::{change, flag, number, text, text_value, time, Effect, Guard, Row, RowChange, RowKey, Unless, Value};
use crate::domain::ids::{CandidateId, ElectionId};
use crate::domain::results::{CandidateTally, Certification, MyVote, Results};
use crate::domain::vote::Choice;
use crate::domain_events::DomainEvent;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// The certification row's change that makes the results final, with when and by whom.
/// The recount's figures are kept on it: they are the final results, whatever the counters
/// do after (see [`results`]). The certification job writes it, once (its guard).
///
/// `late`: ballots already set aside when it is certified (a verifiable election's record
/// lists those that reached the box after its tally froze); later ones are added as they come.
pub fn certification(
    election: &ElectionId,
    votes: &BTreeMap<CandidateId, u64>,
    late: u64,
    by: &str,
    at: DateTime<Utc>,
) -> (RowKey, RowChange) {
    let total: u64 = votes.values().sum();
    // As JSON (building the value cannot fail, as serialising could in general).
    let figures: serde_json::Map<String, serde_json::Value> =
        votes.iter().map(|(c, n)| (c.to_string(), (*n).into())).collect();
    (
        RowKey::Certification(election.clone()),
        change(
            &[
                (CERTIFIED_AT, text_value(at.to_rfc3339())),
                ("certifiedBy", text_value(by)),
                ("totalVotes", Value::Number(i64::try_from(total).unwrap_or(i64::MAX))),
                (
                    CERTIFIED_VOTES,
                    text_value(serde_json::Value::Object(figures).to_string()),
                ),
            ],
            &[(LATE_BALLOTS, i64::try_from(late).unwrap_or(i64::MAX))],
        ),
    )
}

/// The certified votes per candidate, as JSON (`{"<candidateId>": votes}`).
const CERTIFIED_VOTES: &str = "certifiedVotes";

/// The attribute of the certification row that makes an election's results final.
const CERTIFIED_AT: &str = "certifiedAt";

/// A ballot counts while its election's results are not final. One that reaches the
/// projector after is set aside: its marker is written (so it is set aside once), and the
/// certification row counts it among the late ballots, which the results show.
fn unless_final(event: &DomainEvent, election: &ElectionId) -> Unless {
    let certification = RowKey::Certification(election.clone());
    Unless {
        row: certification.clone(),
        attribute: CERTIFIED_AT,
        instead: Box::new(Effect::new(
            once(event),
            vec![(certification, change(&[], &[(LATE_BALLOTS, 1)]))],
        )),
    }
}

/// Ballots that reached the projector after the results were final.
const LATE_BALLOTS: &str = "lateBallots";

fn once(event: &DomainEvent) -> Guard {
    Guard::Once(RowKey::Applied(event.event_id().to_owned()))
}

fn candidate_row(election: &ElectionId, candidate: &CandidateId) -> RowKey {
    RowKey::Candidate(election.clone(), candidate.clone())
}

/// What an event does to the dashboard, stamped with the time it is applied.
fn effect(event: &DomainEvent, now: DateTime<Utc>) -> Effect {
    let stamp = ("updatedAt", text_value(now.to_rfc3339()));
    let (guard, changes) = match event {
        DomainEvent::ElectionRegistered(e) => (
            once(event),
            vec![(
                RowKey::Election(e.election_id.clone()),
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
            Guard::CountIn(RowKey::Pledge(e.pledge_id.clone())),
            vec![(
                candidate_row(&e.election_id, &e.candidate_id),
                change(&[stamp], &[("pledgeCount", 1)]),
            )],
        ),
        DomainEvent::PledgeDeleted(e) => (
            Guard::CountOut(RowKey::Pledge(e.pledge_id.clone())),
            vec![(
                candidate_row(&e.election_id, &e.candidate_id),
                change(&[stamp], &[("pledgeCount", -1)]),
            )],
        ),
        DomainEvent::BallotCast(e) => {
            // An encrypted ballot names no candidate: it counts in the tally the trustees
            // decrypt, never here.
            let changes = e
                .candidate_id
                .iter()
                .map(|candidate| {
                    (
                        RowKey::Votes(e.election_id.clone(), candidate.clone()),
                        change(
                            &[("candidateId", text_value(candidate.to_string())), stamp.clone()],
                            &[("votes", 1)],
                        ),
                    )
                })
                .collect();
            let counted = Effect::new(once(event), changes);
            return Effect {
                unless: Some(unless_final(event, &e.election_id)),
                ..counted
            };
        }
        DomainEvent::VoterTurnedOut(e) => (
            once(event),
            vec![(
                RowKey::Turnout(e.election_id.clone(), e.district.clone(), e.occurred_at),
                change(&[stamp], &[(super::turnout::VOTED, 1)]),
            )],
        ),
    };
    Effect::new(guard, changes)
}

/// The effects of a batch: each event once, however often it appears in the batch. Its
/// votes for one candidate merge into one change of that candidate's counter.
pub fn effects(events: &[DomainEvent], now: DateTime<Utc>) -> Vec<Effect> {
    let mut seen = std::collections::HashSet::new();
    events
        .iter()
        .filter(|e| seen.insert(e.event_id().to_owned()))
        .map(|e| effect(e, now))
        .collect()
}

fn tally<'a>(tallies: &'a mut BTreeMap<CandidateId, CandidateTally>, id: &CandidateId) -> &'a mut CandidateTally {
    tallies
        .entry(id.clone())
        .or_insert_with(|| CandidateTally::empty(id.clone()))
}

fn ballot_number(row: &Row) -> Option<u32> {
    number(row, "ballotNumber").and_then(|n| u32::try_from(n).ok())
}

/// The results of an election, from its rows (as [`ViewStore::election_rows`] reads
/// them; a vote counter may come as many rows, which add up). `asOf` is the last time an
/// event changed any of them.
///
/// [`ViewStore::election_rows`]: crate::ports::ViewStore::election_rows
pub fn results(election_id: &ElectionId, rows: &[(RowKey, Row)]) -> Results {
    let mut tallies: BTreeMap<CandidateId, CandidateTally> = BTreeMap::new();
    let mut as_of: Option<DateTime<Utc>> = None;
    let mut certification = None;
    let mut certified_votes = None;
    for (key, row) in rows {
        match key {
            RowKey::Certification(_) => {
                certification = time(row, CERTIFIED_AT).map(|at| Certification {
                    at,
                    by: text(row, "certifiedBy").unwrap_or_default(),
                    late_ballots: number(row, LATE_BALLOTS).unwrap_or(0),
                });
                certified_votes = text(row, CERTIFIED_VOTES)
                    .and_then(|json| serde_json::from_str::<BTreeMap<CandidateId, u64>>(&json).ok());
                continue;
            }
            RowKey::Votes(_, candidate) => tally(&mut tallies, candidate).votes += number(row, "votes").unwrap_or(0),
            RowKey::Candidate(_, candidate) => {
                let tally = tally(&mut tallies, candidate);
                tally.votes += number(row, "votes").unwrap_or(0);
                tally.ballot_number = ballot_number(row);
                tally.party = text(row, "party");
                tally.name = text(row, "name");
                tally.pledge_count = number(row, "pledgeCount").unwrap_or(0);
                tally.withdrawn = flag(row, "withdrawn");
            }
            _ => {}
        }
        as_of = as_of.max(time(row, "updatedAt"));
    }
    // Final results are the certified figures. A ballot the counters took after the recount
    // read its part (in the moment before the certification was written) is not in them:
    // it is shown as late, as one that arrives after is.
    if let (Some(certification), Some(certified)) = (certification.as_mut(), certified_votes) {
        let counted: u64 = tallies.values().map(|t| t.votes).sum();
        let certified_total: u64 = certified.values().sum();
        certification.late_ballots += counted.saturating_sub(certified_total);
        for tally in tallies.values_mut() {
            tally.votes = certified.get(&tally.candidate_id).copied().unwrap_or(0);
        }
    }
    Results::from_tallies(
        election_id.clone(),
        tallies.into_values().collect(),
        as_of,
        certification,
    )
}

/// When a vote counter of the election last changed (`None`: never), from its rows.
pub fn votes_counted_at(rows: &[(RowKey, Row)]) -> Option<DateTime<Utc>> {
    rows.iter()
        .filter(|(key, _)| matches!(key, RowKey::Votes(..)))
        .filter_map(|(_, row)| time(row, "updatedAt"))
        .max()
}

/// One of a voter's votes, opened: its names are still to be read from the dashboard.
#[derive(Clone, Debug)]
pub struct OpenedVote {
    pub election_id: ElectionId,
    pub choice: Choice,
    pub cast_at: DateTime<Utc>,
}

impl OpenedVote {
    /// The rows that name the election and the candidate (a plaintext vote's). They are
    /// read, not copied into the voter's row, so that a withdrawal is one write, not one
    /// per vote cast.
    pub fn detail_keys(&self) -> Vec<RowKey> {
        let mut keys = vec![RowKey::Election(self.election_id.clone())];
        if let Choice::For { candidate_id, .. } = &self.choice {
            keys.push(candidate_row(&self.election_id, candidate_id));
        }
        keys
    }

    /// The vote as the voter sees it, with the election and candidate rows found by
    /// [`Self::detail_keys`].
    pub fn with_details(self, election: Option<&Row>, candidate: Option<&Row>) -> MyVote {
        let (candidate_id, tracking_code) = match &self.choice {
            Choice::For { candidate_id, .. } => (Some(candidate_id.clone()), None),
            Choice::Tracked { tracking_code, .. } => (None, Some(*tracking_code)),
        };
        MyVote {
            election_name: election.and_then(|r| text(r, "name")),
            candidate_name: candidate.and_then(|r| text(r, "name")),
            ballot_number: candidate.and_then(ballot_number),
            candidate_withdrawn: candidate.is_some_and(|r| flag(r, "withdrawn")),
            election_id: self.election_id,
            candidate_id,
            tracking_code,
            cast_at: self.cast_at,
            receipt_id: self.choice.receipt_id().clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::ReceiptId;
    use crate::domain_events::BallotCast;
    use crate::projection::merge;

    fn ballot(election: &ElectionId, candidate: &CandidateId) -> DomainEvent {
        let receipt_id = ReceiptId::new();
        DomainEvent::BallotCast(BallotCast {
            event_id: format!("BallotCast-{receipt_id}"),
            occurred_at: Utc::now(),
            election_id: election.clone(),
            candidate_id: Some(candidate.clone()),
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

        // THEN each vote keeps its own once-only guard, and the counters are two changes,
        // one per candidate, adding up to the ten votes
        assert_eq!(effects.len(), 10);
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert_eq!(rows[&RowKey::Votes(election.clone(), ann)].add["votes"], 4);
        assert_eq!(rows.values().map(|change| change.add["votes"]).sum::<i64>(), 10);
    }

    #[test]
    fn final_results_are_the_certified_figures_and_a_ballot_counted_after_them_is_late() {
        let election = ElectionId::new();
        let (ann, bob) = (CandidateId::new(), CandidateId::new());
        let certified = BTreeMap::from([(ann.clone(), 2), (bob.clone(), 1)]);
        let mut rows: BTreeMap<RowKey, Row> = BTreeMap::new();
        // The counters as the recount read them, then the certification
        let counted: Vec<DomainEvent> = [&ann, &ann, &bob].into_iter().map(|c| ballot(&election, c)).collect();
        let at = Utc::now();
        let certified_row = certification(&election, &certified, 0, "officer", at);
        for (key, change) in effects(&counted, at)
            .into_iter()
            .flat_map(|effect| effect.changes)
            .chain([certified_row])
        {
            change.apply_to(rows.entry(key).or_default());
        }
        // and one more ballot counted in the moment before the certification was written
        let late = effects(&[ballot(&election, &bob)], at);
        for (key, change) in late.into_iter().flat_map(|e| e.changes) {
            change.apply_to(rows.entry(key).or_default());
        }

        let results = results(&election, &rows.into_iter().collect::<Vec<_>>());

        assert!(results.is_final);
        assert_eq!(results.total_votes, 3);
        assert_eq!(results.late_ballots, 1);
        let votes: BTreeMap<_, _> = results
            .candidates
            .iter()
            .map(|t| (t.candidate_id.clone(), t.votes))
            .collect();
        assert_eq!(votes, certified);
    }
}
