//! Applying events exactly once, with DynamoDB transactions.
//!
//! Each event has a guard, a conditional write on a marker item, and changes to rows. A
//! batch becomes transactions of guards plus one merged update per row (counters added
//! up). A guard whose condition fails means "already done": that event is dropped and the
//! rest applied again. So a redelivered event, or a batch retried after a partial failure,
//! changes nothing the second time, and a batch is applied wholly or not at all.
//!
//! Pledge counts use state markers instead of event markers: a pledge is counted in once
//! (`counted`), counted out once (`deleted`), and a deletion that arrives before its
//! addition leaves a tombstone, so the count is exact in any order and never negative.

use super::errors::{classify, failed_conditions};
use crate::error::StoreError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use aws_sdk_dynamodb::Client;
use chrono::Utc;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

/// Events per transaction: each needs a guard and at most three row updates, under
/// DynamoDB's 100 items per transaction.
const EFFECTS_PER_TRANSACTION: usize = 24;

/// An item's key: attribute name → string value.
pub(super) type RowKey = Vec<(&'static str, String)>;

/// What to do to one row: attributes to set and counters to add to.
#[derive(Default)]
pub(super) struct RowChange {
    pub set: BTreeMap<&'static str, AttributeValue>,
    pub add: BTreeMap<&'static str, i64>,
}

/// The condition under which an event takes effect.
pub(super) enum Guard {
    /// At most once: the marker must not exist yet.
    Once(RowKey),
    /// A pledge is counted in: its marker must not exist yet.
    CountIn(RowKey),
    /// A pledge is counted out: its marker must say `counted`.
    CountOut(RowKey),
}

/// One event's guard and row changes.
pub(super) struct Effect {
    pub guard: Guard,
    pub changes: Vec<(RowKey, RowChange)>,
}

pub(super) fn s(text: impl Into<String>) -> AttributeValue {
    AttributeValue::S(text.into())
}

fn key_map(key: &RowKey) -> HashMap<String, AttributeValue> {
    key.iter().map(|(name, value)| (name.to_string(), s(value))).collect()
}

fn internal(err: impl std::fmt::Display) -> StoreError {
    StoreError::Internal(err.to_string())
}

/// A marker item: it says that an event, or a pledge, has been seen in `state`.
fn marker(key: &RowKey, state: &str) -> HashMap<String, AttributeValue> {
    let mut item = key_map(key);
    item.insert("entity".into(), s("marker"));
    item.insert("state".into(), s(state));
    item
}

/// A marker item put only if absent.
fn put_marker(table: &str, key: &RowKey, state: &str) -> Result<TransactWriteItem, StoreError> {
    let item = marker(key, state);
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(#k)")
        .expression_attribute_names("#k", key[0].0)
        .build()
        .map_err(internal)?;
    Ok(TransactWriteItem::builder().put(put).build())
}

fn guard_item(table: &str, guard: &Guard) -> Result<TransactWriteItem, StoreError> {
    match guard {
        Guard::Once(key) => put_marker(table, key, "applied"),
        Guard::CountIn(key) => put_marker(table, key, "counted"),
        Guard::CountOut(key) => {
            let update = Update::builder()
                .table_name(table)
                .set_key(Some(key_map(key)))
                .update_expression("SET #state = :deleted")
                .condition_expression("#state = :counted")
                .expression_attribute_names("#state", "state")
                .expression_attribute_values(":deleted", s("deleted"))
                .expression_attribute_values(":counted", s("counted"))
                .build()
                .map_err(internal)?;
            Ok(TransactWriteItem::builder().update(update).build())
        }
    }
}

fn guard_key(guard: &Guard) -> &RowKey {
    match guard {
        Guard::Once(key) | Guard::CountIn(key) | Guard::CountOut(key) => key,
    }
}

fn row_update(table: &str, key: &RowKey, change: RowChange) -> Result<TransactWriteItem, StoreError> {
    let mut names = HashMap::new();
    let mut values = HashMap::new();
    let mut sets = Vec::new();
    let mut adds = Vec::new();
    for (i, (attr, value)) in change.set.into_iter().enumerate() {
        names.insert(format!("#s{i}"), attr.to_owned());
        values.insert(format!(":s{i}"), value);
        sets.push(format!("#s{i} = :s{i}"));
    }
    for (i, (attr, n)) in change.add.into_iter().enumerate() {
        names.insert(format!("#a{i}"), attr.to_owned());
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
        .set_key(Some(key_map(key)))
        .update_expression(expression.join(" "))
        .set_expression_attribute_names(Some(names))
        .set_expression_attribute_values(Some(values))
        .build()
        .map_err(internal)?;
    Ok(TransactWriteItem::builder().update(update).build())
}

/// Applies `effects` to `table`, each exactly once.
pub(super) async fn apply_exactly_once(client: &Client, table: &str, effects: Vec<Effect>) -> Result<(), StoreError> {
    let mut pending = effects;
    while !pending.is_empty() {
        // One transaction may touch an item only once: an effect whose guard item is
        // already in this round waits for the next.
        let mut round = Vec::new();
        let mut later = Vec::new();
        for effect in pending {
            let clash = round
                .iter()
                .any(|e: &Effect| guard_key(&e.guard) == guard_key(&effect.guard));
            if clash || round.len() == EFFECTS_PER_TRANSACTION {
                later.push(effect);
            } else {
                round.push(effect);
            }
        }
        let mut round = apply_round(client, table, round).await?;
        round.extend(later);
        pending = round;
    }
    Ok(())
}

/// Tries of a transaction that conflicts with another (two projectors writing one row).
const CONFLICT_TRIES: u32 = 4;

/// Applies one round; returns the effects still to apply (none on success).
async fn apply_round(client: &Client, table: &str, mut round: Vec<Effect>) -> Result<Vec<Effect>, StoreError> {
    let mut conflicts = 0;
    while !round.is_empty() {
        let mut items = round
            .iter()
            .map(|e| guard_item(table, &e.guard))
            .collect::<Result<Vec<_>, _>>()?;
        let mut rows: BTreeMap<RowKey, RowChange> = BTreeMap::new();
        for effect in &round {
            for (key, change) in &effect.changes {
                let row = rows.entry(key.clone()).or_default();
                row.set.extend(change.set.iter().map(|(k, v)| (*k, v.clone())));
                for (attr, n) in &change.add {
                    *row.add.entry(attr).or_default() += n;
                }
            }
        }
        for (key, change) in rows {
            items.push(row_update(table, &key, change)?);
        }
        let err = match client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => return Ok(Vec::new()),
            Err(err) => err,
        };
        let Some(mut done) = failed_conditions(&err) else {
            return Err(classify(err));
        };
        done.resize(round.len(), false);
        if !done.contains(&true) {
            conflicts += 1;
            if conflicts >= CONFLICT_TRIES {
                return Err(classify(err));
            }
            // Another projector holds a row: back off a little, differently each time.
            let jitter = u64::from(Utc::now().timestamp_subsec_millis() % 50);
            tokio::time::sleep(Duration::from_millis(50 * u64::from(conflicts) + jitter)).await;
            continue;
        }
        let mut flags = done.into_iter();
        let (already, mut rest): (Vec<Effect>, Vec<Effect>) =
            round.into_iter().partition(|_| flags.next().unwrap_or(false));
        tracing::info!(skipped = already.len(), "events already applied");
        for effect in already {
            if let Guard::CountOut(key) = &effect.guard {
                if leave_tombstone(client, table, key).await? == Marker::Counted {
                    // Its addition was counted in the meantime: count it out after all.
                    rest.push(effect);
                }
            }
        }
        round = rest;
    }
    Ok(Vec::new())
}

/// What a pledge's marker says after a deletion found it not counted.
#[derive(Debug, PartialEq, Eq)]
enum Marker {
    /// Deleted: by this tombstone, or by an earlier delivery of the deletion.
    Deleted,
    /// Counted: its addition was applied concurrently, so the deletion must be retried.
    Counted,
}

/// A deletion found no counted pledge: mark it deleted, so that its addition, if it is
/// still to come, is not counted.
async fn leave_tombstone(client: &Client, table: &str, key: &RowKey) -> Result<Marker, StoreError> {
    let result = client
        .put_item()
        .table_name(table)
        .set_item(Some(marker(key, "deleted")))
        .condition_expression("attribute_not_exists(#k)")
        .expression_attribute_names("#k", key[0].0)
        .send()
        .await;
    match result.map_err(classify) {
        Ok(_) => Ok(Marker::Deleted),
        Err(StoreError::Conflict) => {
            let existing = client
                .get_item()
                .table_name(table)
                .set_key(Some(key_map(key)))
                .consistent_read(true)
                .send()
                .await
                .map_err(classify)?;
            let state = existing
                .item
                .as_ref()
                .and_then(|i| i.get("state"))
                .and_then(|v| v.as_s().ok());
            Ok(if state.map(String::as_str) == Some("counted") {
                Marker::Counted
            } else {
                Marker::Deleted
            })
        }
        Err(err) => Err(err),
    }
}
