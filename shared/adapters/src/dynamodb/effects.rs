//! Applying the core's effects exactly once, with DynamoDB transactions.
//!
//! A batch becomes transactions of guards (conditional writes on marker items, as each
//! [`Guard`] requires) plus one merged update per row (counters added up). A guard whose
//! condition fails means "already done": that event is dropped and the rest applied
//! again. So a redelivered event, or a batch retried after a partial failure, changes
//! nothing the second time. Each round is one transaction, applied wholly or not at all;
//! a batch larger than a transaction takes several rounds, and a failure between them
//! leaves the first applied (their guards make the retry skip them).

use super::errors::{cancellation, classify, classify_read, Cancelled};
use super::keys::{counter_shard_other_than, physical_key, PhysicalKey};
use super::views::{attribute, raw_item, raw_key};
use crate::retry::Backoff;
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Put, TransactWriteItem, Update};
use aws_sdk_dynamodb::Client;
use election_core::problem::PortError;
use election_core::projection::{
    marker_row, marker_state, merge, Effect, Guard, MarkerState, RowChange, RowKey, Unless, View,
};
use std::collections::{HashMap, HashSet};
use std::time::Duration;

/// DynamoDB's most items in one transaction: a round holds as many events' guards, plus
/// the rows they update together (a pack of ballots: one guard each, and one counter row
/// per candidate).
const ITEMS_PER_TRANSACTION: usize = 100;

fn internal(err: impl std::fmt::Display) -> PortError {
    PortError::Internal(err.to_string())
}

fn s(text: &str) -> AttributeValue {
    AttributeValue::S(text.to_owned())
}

/// A marker item at `key` in `state`.
fn marker_item(key: &PhysicalKey, state: MarkerState) -> super::RawItem {
    let mut item = raw_key(key);
    item.extend(raw_item(&marker_row(state)));
    item
}

/// A view and its table.
#[derive(Clone, Copy)]
pub(super) struct ViewTable<'a> {
    pub view: View,
    pub table: &'a str,
}

impl ViewTable<'_> {
    /// Where a marker lives (markers are never spread).
    fn marker_key(&self, key: &RowKey) -> Result<PhysicalKey, PortError> {
        physical_key(self.view, key, None)
    }
}

/// The conditional write of a guard: a marker put only if absent, or moved on only from
/// the state the guard requires.
fn guard_item(at: ViewTable<'_>, guard: &Guard) -> Result<TransactWriteItem, PortError> {
    let (key, table) = (at.marker_key(guard.key())?, at.table);
    let Some(required) = guard.requires() else {
        let put = Put::builder()
            .table_name(table)
            .set_item(Some(marker_item(&key, guard.leaves())))
            .condition_expression("attribute_not_exists(#k)")
            .expression_attribute_names("#k", key[0].0)
            .build()
            .map_err(internal)?;
        return Ok(TransactWriteItem::builder().put(put).build());
    };
    let update = Update::builder()
        .table_name(table)
        .set_key(Some(raw_key(&key)))
        .update_expression("SET #state = :leaves")
        .condition_expression("#state = :requires")
        .expression_attribute_names("#state", "state")
        .expression_attribute_values(":leaves", s(guard.leaves().as_str()))
        .expression_attribute_values(":requires", s(required.as_str()))
        .build()
        .map_err(internal)?;
    Ok(TransactWriteItem::builder().update(update).build())
}

fn row_update(table: &str, key: &PhysicalKey, change: RowChange) -> Result<TransactWriteItem, PortError> {
    let mut names = HashMap::new();
    let mut values = HashMap::new();
    let mut sets = Vec::new();
    let mut adds = Vec::new();
    for (i, (attr, value)) in change.set.iter().enumerate() {
        names.insert(format!("#s{i}"), (*attr).to_owned());
        values.insert(format!(":s{i}"), attribute(value));
        sets.push(format!("#s{i} = :s{i}"));
    }
    for (i, (attr, n)) in change.add.iter().enumerate() {
        names.insert(format!("#a{i}"), (*attr).to_owned());
        values.insert(format!(":a{i}"), AttributeValue::N(n.to_string()));
        adds.push(format!("#a{i} :a{i}"));
    }
    let mut expression = Vec::new();
    if !sets.is_empty() {
        expression.push(format!("SET {}", sets.join(", ")));
    }
    if !adds.is_empty() {
        expression.push(format!("ADD {}", adds.join(", ")));
    }
    let update = Update::builder()
        .table_name(table)
        .set_key(Some(raw_key(key)))
        .update_expression(expression.join(" "))
        .set_expression_attribute_names(Some(names))
        .set_expression_attribute_values(Some(values))
        .build()
        .map_err(internal)?;
    Ok(TransactWriteItem::builder().update(update).build())
}

/// Applies `effects` to a view, each exactly once.
pub(super) async fn apply_exactly_once(
    client: &Client,
    at: ViewTable<'_>,
    effects: Vec<Effect>,
) -> Result<(), PortError> {
    let mut pending = effects;
    while !pending.is_empty() {
        // One transaction may touch an item only once: an effect whose guard item is
        // already in this round, or whose rows another effect checks (or the reverse),
        // waits for the next.
        let mut round = Vec::new();
        let (mut rows, mut checked) = (HashSet::new(), HashSet::new());
        let mut later = Vec::new();
        for effect in pending {
            let check = effect.unless.as_ref().map(|u| &u.row);
            let clash = round.iter().any(|e: &Effect| e.guard.key() == effect.guard.key())
                || check.is_some_and(|row| rows.contains(row))
                || effect.changes.iter().any(|(key, _)| checked.contains(key));
            let new_rows = effect.changes.iter().filter(|(key, _)| !rows.contains(key)).count()
                + usize::from(check.is_some_and(|row| !checked.contains(row)));
            let full = round.len() + 1 + rows.len() + checked.len() + new_rows > ITEMS_PER_TRANSACTION;
            if clash || (full && !round.is_empty()) {
                later.push(effect);
            } else {
                rows.extend(effect.changes.iter().map(|(key, _)| key.clone()));
                checked.extend(check.cloned());
                round.push(effect);
            }
        }
        apply_round(client, at, round).await?;
        pending = later;
    }
    Ok(())
}

/// Tries of a transaction that conflicts with another (two projectors writing one row), or
/// that is throttled.
const CONFLICT_TRIES: u32 = 4;
/// Waits between tries after a conflict: 50, 100, 200 ms at most (the retry goes to
/// another counter shard, so it need not wait for its rival to finish).
const CONFLICT_BACKOFF: Backoff = Backoff::new(Duration::from_millis(50), Duration::from_millis(200));
/// Waits between tries after a throttle: the partition needs time, not another shard.
const THROTTLE_BACKOFF: Backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(2));

/// The check that a row lacks an attribute, in the transaction of the effects that require it.
fn lacks_item(at: ViewTable<'_>, row: &RowKey, attribute: &str) -> Result<TransactWriteItem, PortError> {
    let check = ConditionCheck::builder()
        .table_name(at.table)
        .set_key(Some(raw_key(&physical_key(at.view, row, None)?)))
        .condition_expression("attribute_not_exists(#a)")
        .expression_attribute_names("#a", attribute)
        .build()
        .map_err(internal)?;
    Ok(TransactWriteItem::builder().condition_check(check).build())
}

/// Applies one round, in one transaction (again without the effects found applied).
///
/// The transaction holds each effect's guard, then a check per row that some effects
/// require to lack an attribute ([`election_core::projection::Unless`]), then the merged
/// row changes. Its cancellation reasons say what to do: a failed check turns those
/// effects into their `instead`; failed guards drop their effects; a conflict retries on
/// another counter shard, a throttle waits longer; an invalid item fails the batch (its
/// messages are retried, then set aside on the dead-letter queue).
async fn apply_round(client: &Client, at: ViewTable<'_>, mut round: Vec<Effect>) -> Result<(), PortError> {
    let (mut tries, mut shard) = (0, None);
    while !round.is_empty() {
        let mut items = round
            .iter()
            .map(|e| guard_item(at, &e.guard))
            .collect::<Result<Vec<_>, _>>()?;
        let mut checks: Vec<(RowKey, &'static str)> = Vec::new();
        for condition in round.iter().filter_map(|e| e.unless.as_ref().map(Unless::condition)) {
            if !checks.contains(&condition) {
                checks.push(condition);
            }
        }
        for (row, attribute) in &checks {
            items.push(lacks_item(at, row, attribute)?);
        }
        // Each candidate's votes of the round go to one counter shard, at random, so that
        // concurrent rounds spread over the shards; a retry takes another.
        let this_shard = counter_shard_other_than(shard);
        shard = Some(this_shard);
        for (key, change) in merge(&round) {
            items.push(row_update(
                at.table,
                &physical_key(at.view, &key, Some(this_shard))?,
                change,
            )?);
        }
        let err = match client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => return Ok(()),
            Err(err) => err,
        };
        let Some(reasons) = cancellation(&err) else {
            return Err(classify(err));
        };
        let (guards, rest) = reasons.split_at(round.len().min(reasons.len()));
        let turned: Vec<(RowKey, &str)> = checks
            .into_iter()
            .zip(rest)
            .filter(|(_, reason)| **reason == Cancelled::ConditionFailed)
            .map(|(check, _)| check)
            .collect();
        if !turned.is_empty() {
            round = round.into_iter().map(|effect| instead_where(effect, &turned)).collect();
            continue;
        }
        if reasons.contains(&Cancelled::Invalid) {
            return Err(PortError::Internal(format!(
                "the view's transaction has an invalid item: {}",
                aws_sdk_dynamodb::error::DisplayErrorContext(&err)
            )));
        }
        let mut done: Vec<bool> = guards.iter().map(|r| *r == Cancelled::ConditionFailed).collect();
        done.resize(round.len(), false);
        if !done.contains(&true) {
            tries += 1;
            if tries >= CONFLICT_TRIES {
                return Err(classify(err));
            }
            // Each rival waits for its own random time.
            if reasons.contains(&Cancelled::Throttled) {
                THROTTLE_BACKOFF.wait(tries).await;
            } else {
                CONFLICT_BACKOFF.wait(tries).await;
            }
            continue;
        }
        let mut flags = done.into_iter();
        let (already, mut rest): (Vec<Effect>, Vec<Effect>) =
            round.into_iter().partition(|_| flags.next().unwrap_or(false));
        tracing::info!(skipped = already.len(), "events already applied");
        for effect in already {
            if effect.guard.leaves_tombstone()
                && leave_tombstone(client, at.table, &at.marker_key(effect.guard.key())?).await?
                    == Some(MarkerState::Counted)
            {
                // Its addition was counted in the meantime: count it out after all.
                rest.push(effect);
            }
        }
        round = rest;
    }
    Ok(())
}

/// The effect, or what it does instead if its row was found to have its attribute (a
/// ballot that reached the count after its election's results were final).
fn instead_where(mut effect: Effect, found: &[(RowKey, &str)]) -> Effect {
    match effect.unless.take() {
        Some(unless) if found.contains(&unless.condition()) => {
            // The alarm counts these lines (LateBallotAlarm in the template).
            tracing::error!(row = ?unless.row, "late ballot set aside: the results are final");
            *unless.instead
        }
        unless => Effect { unless, ..effect },
    }
}

/// A guard found its marker not as it requires. Where the guard says so (a deletion that
/// found no counted pledge), leave the tombstone, so that an addition still to come is not
/// counted. Returns the marker's state if one was there already: `counted` means the
/// addition was applied concurrently, and the deletion must be retried.
async fn leave_tombstone(client: &Client, table: &str, key: &PhysicalKey) -> Result<Option<MarkerState>, PortError> {
    let result = client
        .put_item()
        .table_name(table)
        .set_item(Some(marker_item(key, MarkerState::Deleted)))
        .condition_expression("attribute_not_exists(#k)")
        .expression_attribute_names("#k", key[0].0)
        .send()
        .await;
    match result.map_err(classify) {
        Ok(_) => Ok(None),
        Err(PortError::Conflict) => {
            let existing = client
                .get_item()
                .table_name(table)
                .set_key(Some(raw_key(key)))
                .consistent_read(true)
                .send()
                .await
                .map_err(classify_read)?;
            Ok(existing.item.map(super::views::row).as_ref().and_then(marker_state))
        }
        Err(err) => Err(err),
    }
}
