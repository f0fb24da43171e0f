//! The mixer as an attacker with the data-event trail and the ballot box would see it. The
//! attacker can tell which batch a participation's ballot went into (its sealed copy's
//! pool, and when the pool was emptied), but not which ballot of the batch is its: the
//! chance of pairing them is 1/|batch|. So every batch written before the close must hold
//! at least *k*; within a batch the stored times must be one, and the order the ballots
//! were written in must say nothing of the order their votes came in.

use crate::audit::Stack;
use crate::voters::Voter;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use election_core::domain::ids::ElectionId;
use election_core::ports::ElectionStore;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What the attacker could learn of the pairing.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Mixing {
    /// The smallest batch the mixer may write before the close.
    pub k: usize,
    /// Ballots read from the box, and those without the batch they were mixed in.
    pub ballots: usize,
    pub unbatched: usize,
    /// Sizes of the batches whose last write came before the close, smallest first.
    pub before_close: Vec<usize>,
    /// Sizes of the batches written after it (the final flush, which may be smaller).
    pub final_flush: Vec<usize>,
    /// Batches whose ballots carry more than one stored time.
    pub batches_with_two_times: usize,
    /// The attacker's chance of pairing a participation with its ballot, before the close:
    /// the mean over those ballots of 1/|batch|.
    pub pairing_chance: f64,
    /// The rank correlation between the order a batch's ballots were written and the order
    /// their votes were cast, averaged over batches weighted by size less one (each one's
    /// precision): 0 when the order tells nothing.
    pub order_correlation: f64,
}

impl Mixing {
    /// Whether the anonymity set held: every ballot in a batch with one time, each batch of
    /// at least k before the close, and an order that tells nothing.
    pub fn holds(&self) -> bool {
        self.ballots > 0
            && self.unbatched == 0
            && self.batches_with_two_times == 0
            && self.before_close.iter().all(|&n| n >= self.k)
            && self.pairing_chance <= 1.0 / self.k as f64
            && self.order_correlation.abs() < 0.3
    }
}

/// Each receipt's last write as the trail recorded it: the second, and its place in the
/// trail (the order the ballots reached the box).
fn ballot_writes(trail: &str) -> HashMap<String, (DateTime<Utc>, usize)> {
    let mut writes = HashMap::new();
    let mut place = 0;
    for line in trail.lines() {
        let Ok(event) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        if event["eventName"] != "BatchWriteItem" {
            continue;
        }
        let Some(at) = event["eventTime"]
            .as_str()
            .and_then(|t| t.parse::<DateTime<Utc>>().ok())
        else {
            continue;
        };
        let tables = event["requestParameters"]["RequestItems"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        for request in tables.values().flat_map(|r| r.as_array().cloned().unwrap_or_default()) {
            let item = &request["PutRequest"]["Item"];
            if item["entity"]["S"] == "ballot" {
                if let Some(receipt) = item["receiptId"]["S"].as_str() {
                    writes.insert(receipt.to_owned(), (at, place));
                    place += 1;
                }
            }
        }
    }
    writes
}

/// Each value's rank among `values` (0 for the smallest).
fn ranks(values: impl Iterator<Item = usize>) -> Vec<usize> {
    let values: Vec<usize> = values.collect();
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by_key(|&i| values[i]);
    let mut ranks = vec![0; values.len()];
    for (rank, i) in order.into_iter().enumerate() {
        ranks[i] = rank;
    }
    ranks
}

/// Spearman's rank correlation between the two orders of the pairs (none for fewer than 3).
fn rank_correlation(pairs: &[(usize, usize)]) -> Option<f64> {
    let n = pairs.len();
    if n < 3 {
        return None;
    }
    let (first, second) = (ranks(pairs.iter().map(|p| p.0)), ranks(pairs.iter().map(|p| p.1)));
    let d2: f64 = first
        .iter()
        .zip(&second)
        .map(|(a, b)| (*a as f64 - *b as f64).powi(2))
        .sum();
    let n = n as f64;
    Some(1.0 - 6.0 * d2 / (n * (n * n - 1.0)))
}

/// Reads the election's ballots and the trail, and measures what the mixing hides.
pub async fn mixing(
    stack: &Stack<'_>,
    election: &str,
    voters: &[Voter],
    trail: &Path,
    k: usize,
) -> Result<Mixing, BoxError> {
    let id = ElectionId::parse(election)?;
    let closes = stack
        .services
        .store
        .election(&id)
        .await?
        .ok_or("the chaos election is gone")?
        .window
        .ends_at();
    let writes = ballot_writes(&std::fs::read_to_string(trail)?);
    // The order the votes were cast in: the voters vote in their order.
    let cast_order: HashMap<&str, usize> = voters
        .iter()
        .enumerate()
        .flat_map(|(n, v)| v.replies.iter().filter_map(move |r| Some((r.receipt.as_deref()?, n))))
        .collect();
    let mut mixing = Mixing { k, ..Mixing::default() };
    let mut batches: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for ballot in crate::audit::election_items(stack, "BALLOT_BOX_TABLE", election).await? {
        let text = |name: &str| match ballot.get(name) {
            Some(AttributeValue::S(value)) => Some(value.clone()),
            _ => None,
        };
        let (Some(receipt), Some(_)) = (text("receiptId"), text("candidateId")) else {
            continue; // the malformed record the run slipped in
        };
        mixing.ballots += 1;
        match text("batch") {
            Some(batch) => batches
                .entry(batch)
                .or_default()
                .push((receipt, text("castInHour").unwrap_or_default())),
            None => mixing.unbatched += 1,
        }
    }
    let (mut chances, mut correlations) = (Vec::new(), Vec::new());
    for ballots in batches.values() {
        let times: BTreeSet<&str> = ballots.iter().map(|(_, hour)| hour.as_str()).collect();
        mixing.batches_with_two_times += usize::from(times.len() > 1);
        let written = ballots
            .iter()
            .filter_map(|(receipt, _)| writes.get(receipt).map(|w| w.0))
            .max();
        if written.is_some_and(|at| at < closes) {
            mixing.before_close.push(ballots.len());
            chances.extend(std::iter::repeat_n(1.0 / ballots.len() as f64, ballots.len()));
        } else {
            mixing.final_flush.push(ballots.len());
        }
        let orders: Vec<(usize, usize)> = ballots
            .iter()
            .filter_map(|(receipt, _)| Some((writes.get(receipt)?.1, *cast_order.get(receipt.as_str())?)))
            .collect();
        if let Some(correlation) = rank_correlation(&orders) {
            correlations.push((correlation, orders.len() as f64 - 1.0));
        }
    }
    mixing.before_close.sort_unstable();
    mixing.final_flush.sort_unstable();
    mixing.pairing_chance = chances.iter().sum::<f64>() / chances.len().max(1) as f64;
    let weight: f64 = correlations.iter().map(|(_, w)| w).sum();
    mixing.order_correlation = correlations.iter().map(|(c, w)| c * w).sum::<f64>() / weight.max(1.0);
    Ok(mixing)
}

#[cfg(test)]
mod tests {
    use super::rank_correlation;

    #[test]
    fn the_rank_correlation_is_one_for_the_same_order_and_minus_one_reversed() {
        let same = rank_correlation(&[(0, 10), (1, 20), (2, 30), (3, 40)]).unwrap();
        let reversed = rank_correlation(&[(0, 40), (1, 30), (2, 20), (3, 10)]).unwrap();
        assert!((same - 1.0).abs() < 1e-9 && (reversed + 1.0).abs() < 1e-9);
        assert!(rank_correlation(&[(0, 1), (1, 0)]).is_none());
    }
}
