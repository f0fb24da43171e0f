//! Where things live in the tables: the physical key of each of the core's view rows, and
//! how the keys every vote touches are spread over partitions. DynamoDB serves about 1,000
//! write units a second per partition key, and an item is never split, so no election's
//! votes may share one key.

use chrono::{DateTime, Utc};
use election_core::domain::ids::{CandidateId, ElectionId, ReceiptId};
use election_core::domain::roll::{District, RollId};
use election_core::problem::PortError;
use election_core::projection::{RowKey, View};

/// A key as attribute name → text value, partition key first.
pub(super) type PhysicalKey = Vec<(&'static str, String)>;

/// Ballot box partitions per election: at 10,000 votes/s, each takes about 300 writes/s.
pub const BALLOT_BOX_SHARDS: u32 = 32;

/// Each candidate's vote counter is spread over this many partitions of an election. A
/// projector batch adds its votes to one of them (one write per candidate per batch), and
/// concurrent batches pick at random, so they spread over the partitions' write capacity.
/// Twenty: more than the projector's 12 instances at the peak, so that they seldom meet on
/// one (a conflict is a retry); each then takes about 50 write units a second (100 full
/// transactions a second, 5 rows of 2 units each, over 20). Raising it is safe for counts
/// already kept: the reads take every shard, and the new ones start at 0.
pub const VOTE_COUNTER_SHARDS: u32 = 20;

/// The one way a key is spread: a uniformly random 128-bit value (a receipt's UUID, or a
/// fresh one) into one of `shards`.
pub(super) fn shard(random: u128, shards: u32) -> u32 {
    (random % u128::from(shards)) as u32
}

/// A vote counter shard for one projector transaction, at random.
pub(super) fn random_counter_shard() -> u32 {
    shard(uuid::Uuid::new_v4().as_u128(), VOTE_COUNTER_SHARDS)
}

/// A random counter shard other than `previous`: a transaction that conflicted on a shard
/// tries another, rather than queueing behind its rival on the same one.
pub(super) fn counter_shard_other_than(previous: Option<u32>) -> u32 {
    let offset = 1 + shard(uuid::Uuid::new_v4().as_u128(), VOTE_COUNTER_SHARDS - 1);
    match previous {
        Some(previous) => (previous + offset) % VOTE_COUNTER_SHARDS,
        None => random_counter_shard(),
    }
}

/// The ballot box partition of a ballot, by its random receipt.
pub(super) fn ballot_box(election: &ElectionId, receipt: &ReceiptId) -> String {
    ballot_box_shard(election, shard(receipt.as_u128(), BALLOT_BOX_SHARDS))
}

/// A voter's entry on a version of an election's roll: the sort key of their participation.
pub(super) fn roll_entry(election: &ElectionId, roll: &RollId) -> String {
    format!("{election}#{roll}")
}

/// Where an election's challenged ballots are kept: beside the box's parts, never one of them.
pub(super) fn challenged(election: &ElectionId) -> String {
    format!("{election}#challenged")
}

pub(super) fn ballot_box_shard(election: &ElectionId, shard: u32) -> String {
    format!("{election}#{shard}")
}

/// The mixer's pools per election, in the ballot box table. At 10,000 votes/s the stream
/// hands the mixer about 100 full calls a second (its 50 shards, 100 records a call), each
/// to one pool at random: about 78 copies a second a pool, each a put and a delete at the
/// copy's size. A verifiable ballot's copy is about 1.5 KB (sealed as CBOR: 2 write units
/// each way): about 310 units/s a pool; a default one is under 1 KB (about 160). A
/// partition takes 1,000.
pub const MIX_POOLS: u32 = 128;

/// The pools a call of fewer than *k* copies goes to: few, so that they fill sooner (at a
/// small election's pace, each of 128 pools waiting for *k* would hold most ballots until
/// the close).
const FILLING_POOLS: u32 = 8;

/// A mixer's pool: a partition of the ballot box table that no ballot shares.
pub(super) fn mix_pool(election: &ElectionId, number: u32) -> String {
    format!("{election}#pool#{number}")
}

/// The pool for one call's copies of an election: by the key of the first of them (a
/// digest of random bytes, so uniform), so that the same call sent again fills the same
/// pool; any of them if the copies fill a batch, else one of the first few.
pub(super) fn mix_pool_of(pooled_key: &str, fills_a_batch: bool) -> u32 {
    let pools = if fills_a_batch { MIX_POOLS } else { FILLING_POOLS };
    shard(u128::from_str_radix(pooled_key, 16).unwrap_or_default(), pools)
}

fn dashboard(pk: String, sk: impl Into<String>) -> PhysicalKey {
    vec![("pk", pk), ("sk", sk.into())]
}

pub(super) fn election_partition(election: &ElectionId) -> String {
    format!("election#{election}")
}

/// A certification job's partition: its row and its parts' counts, apart from the results
/// (which are read whole, and often).
fn certification_partition(election: &ElectionId) -> String {
    format!("certification#{election}")
}

fn counter_partition(election: &ElectionId, shard: u32) -> String {
    format!("votes#{election}#{shard}")
}

/// A shard of an election's turnout counters: spread as the vote counters are.
fn turnout_partition(election: &ElectionId, shard: u32) -> String {
    format!("turnout#{election}#{shard}")
}

/// The partitions of the dashboard that hold an election's turnout.
pub(super) fn turnout_partitions(election: &ElectionId) -> Vec<String> {
    (0..VOTE_COUNTER_SHARDS)
        .map(|shard| turnout_partition(election, shard))
        .collect()
}

/// A turnout row's sort key: the hour, then the district (which may hold `#`, and ends it).
fn turnout_sort_key(district: &District, hour: &DateTime<Utc>) -> String {
    format!("{}#{}", hour.to_rfc3339(), district.as_str())
}

/// The row key of a turnout item, from its `pk` and `sk`.
pub(super) fn turnout_row_key(pk: &str, sk: &str) -> Option<RowKey> {
    let (election, _shard) = pk.strip_prefix("turnout#")?.split_once('#')?;
    let (hour, district) = sk.split_once('#')?;
    Some(RowKey::Turnout(
        ElectionId::parse(election).ok()?,
        District::parse(district).ok()?,
        DateTime::parse_from_rfc3339(hour).ok()?.to_utc(),
    ))
}

/// The partitions of the dashboard that hold an election's results: its own, and its vote
/// counters'.
pub(super) fn election_partitions(election: &ElectionId) -> Vec<String> {
    let mut partitions = vec![election_partition(election)];
    partitions.extend((0..VOTE_COUNTER_SHARDS).map(|shard| counter_partition(election, shard)));
    partitions
}

/// The physical key of `key` in `view`'s table. A vote counter is spread: it has a key
/// only in a given shard (`None`: it cannot be read or written as one item).
pub(super) fn physical_key(view: View, key: &RowKey, counter_shard: Option<u32>) -> Result<PhysicalKey, PortError> {
    let unplaced = || PortError::Internal(format!("{key:?} has no key in the {view:?} view"));
    Ok(match (view, key) {
        (View::Dashboard, RowKey::Election(e)) => dashboard(election_partition(e), "election"),
        (View::Dashboard, RowKey::Certification(e)) => dashboard(election_partition(e), "certification"),
        (View::Dashboard, RowKey::Candidate(e, c)) => dashboard(election_partition(e), format!("candidate#{c}")),
        (View::Dashboard, RowKey::Votes(e, c)) => {
            let shard = counter_shard.ok_or_else(unplaced)?;
            dashboard(counter_partition(e, shard), format!("candidate#{c}"))
        }
        (View::Dashboard, RowKey::Turnout(e, district, hour)) => {
            let shard = counter_shard.ok_or_else(unplaced)?;
            dashboard(turnout_partition(e, shard), turnout_sort_key(district, hour))
        }
        (View::Dashboard, RowKey::Applied(event)) => dashboard(format!("event#{event}"), "event"),
        (View::Dashboard, RowKey::Pledge(p)) => dashboard(format!("pledge#{p}"), "pledge"),
        (View::Dashboard, RowKey::CertificationJob(e)) => dashboard(certification_partition(e), "job"),
        (View::Dashboard, RowKey::RecountPart(e, attempt, part)) => {
            dashboard(certification_partition(e), format!("attempt#{attempt}#part#{part}"))
        }
        (View::Dashboard, RowKey::FreezeJob(e)) => dashboard(certification_partition(e), "freeze"),
        (View::Dashboard, RowKey::FreezeCount(e, attempt, part)) => {
            dashboard(certification_partition(e), format!("freeze#{attempt}#count#{part}"))
        }
        (View::Dashboard, RowKey::FrozenPart(e, attempt, part)) => {
            dashboard(certification_partition(e), format!("freeze#{attempt}#part#{part}"))
        }
        (View::Candidates, RowKey::Pledge(p)) => vec![("id", format!("pledge-count#{p}"))],
        (View::Candidates, RowKey::CandidateRecord(c)) => vec![("id", c.to_string())],
        _ => return Err(unplaced()),
    })
}

/// The names of the key attributes of `view`'s table.
pub(super) fn key_names(view: View) -> &'static [&'static str] {
    match view {
        View::Dashboard => &["pk", "sk"],
        View::Candidates => &["id"],
    }
}

/// The row key of a dashboard item of an election's results, from its `pk` and `sk`.
pub(super) fn election_row_key(pk: &str, sk: &str) -> Option<RowKey> {
    let candidate = || sk.strip_prefix("candidate#").and_then(|c| CandidateId::parse(c).ok());
    if let Some(election) = pk.strip_prefix("election#") {
        let election = ElectionId::parse(election).ok()?;
        return match sk {
            "election" => Some(RowKey::Election(election)),
            "certification" => Some(RowKey::Certification(election)),
            _ => Some(RowKey::Candidate(election, candidate()?)),
        };
    }
    let (election, _shard) = pk.strip_prefix("votes#")?.split_once('#')?;
    Some(RowKey::Votes(ElectionId::parse(election).ok()?, candidate()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use election_core::domain::ids::PledgeId;

    #[test]
    fn results_rows_read_back_to_their_keys() {
        let (election, candidate) = (ElectionId::new(), CandidateId::new());
        for key in [
            RowKey::Election(election.clone()),
            RowKey::Certification(election.clone()),
            RowKey::Candidate(election.clone(), candidate.clone()),
            RowKey::Votes(election.clone(), candidate.clone()),
        ] {
            let physical = physical_key(View::Dashboard, &key, Some(random_counter_shard())).unwrap();
            assert!(election_partitions(&election).contains(&physical[0].1), "{physical:?}");
            assert_eq!(election_row_key(&physical[0].1, &physical[1].1), Some(key));
        }
    }

    #[test]
    fn turnout_rows_read_back_to_their_keys() {
        let hour = DateTime::parse_from_rfc3339("2027-03-01T09:00:00Z").unwrap().to_utc();
        let key = RowKey::Turnout(ElectionId::new(), District::parse("North #2").unwrap(), hour);
        let physical = physical_key(View::Dashboard, &key, Some(random_counter_shard())).unwrap();
        assert_eq!(turnout_row_key(&physical[0].1, &physical[1].1), Some(key));
    }

    #[test]
    fn a_vote_counter_has_a_key_only_in_a_shard() {
        let counter = RowKey::Votes(ElectionId::new(), CandidateId::new());
        assert!(physical_key(View::Dashboard, &counter, None).is_err());
        let pledge = RowKey::Pledge(PledgeId::new());
        assert_ne!(
            physical_key(View::Dashboard, &pledge, None).unwrap(),
            physical_key(View::Candidates, &pledge, None).unwrap()
        );
    }

    #[test]
    fn a_call_that_fills_a_batch_may_go_to_any_pool_and_a_smaller_one_to_the_first_few() {
        let keys: Vec<String> = (0..4_000)
            .map(|_| format!("{:032x}", uuid::Uuid::new_v4().as_u128()))
            .collect();
        let wide: std::collections::BTreeSet<u32> = keys.iter().map(|k| mix_pool_of(k, true)).collect();
        let narrow: std::collections::BTreeSet<u32> = keys.iter().map(|k| mix_pool_of(k, false)).collect();
        assert_eq!(wide, (0..MIX_POOLS).collect());
        assert_eq!(narrow, (0..FILLING_POOLS).collect());
        // The same call handed over again fills the same pool.
        assert!(keys.iter().all(|k| mix_pool_of(k, true) == mix_pool_of(k, true)));
    }

    #[test]
    fn shards_are_spread() {
        let shards: std::collections::BTreeSet<u32> = (0..200).map(|_| random_counter_shard()).collect();
        for previous in 0..VOTE_COUNTER_SHARDS {
            let next: std::collections::BTreeSet<u32> =
                (0..200).map(|_| counter_shard_other_than(Some(previous))).collect();
            assert!(
                !next.contains(&previous) && next.len() == VOTE_COUNTER_SHARDS as usize - 1,
                "{next:?}"
            );
        }
        assert_eq!(shards.len(), VOTE_COUNTER_SHARDS as usize);
    }
}
