//! The dashboard table: the results view, kept by the dashboard projector.
//!
//! Keys are `pk`/`sk`: per election a row `election` and a row per candidate
//! (`candidate#<id>`, with its `votes` counter), and a marker per applied event
//! (`pk` = `event#<eventId>`). A batch of events becomes one transaction: every new marker,
//! and one aggregated update per row. A marker that already exists cancels the
//! transaction; those events are dropped and the rest applied again, so a redelivered
//! event never counts twice and a batch is applied wholly or not at all.

use super::errors::{classify, failed_conditions};
use super::DynamoStore;
use crate::domain::events::DomainEvent;
use crate::domain::ids::{CandidateId, ElectionId};
use crate::domain::results::{CandidateTally, Results};
use crate::error::StoreError;
use crate::ports::DashboardStore;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap};

/// Events per transaction: each needs a marker and at most two row updates, under
/// DynamoDB's 100 items per transaction.
const EVENTS_PER_TRANSACTION: usize = 30;

fn election_pk(id: &ElectionId) -> String {
    format!("election#{id}")
}

fn candidate_sk(id: &CandidateId) -> String {
    format!("candidate#{id}")
}

/// The change to one row that a batch of events adds up to.
#[derive(Default)]
struct RowChange {
    set: BTreeMap<&'static str, AttributeValue>,
    add_votes: i64,
}

fn s(text: impl Into<String>) -> AttributeValue {
    AttributeValue::S(text.into())
}

/// Folds events into one change per (pk, sk) row.
fn aggregate(events: &[DomainEvent], now: DateTime<Utc>) -> BTreeMap<(String, String), RowChange> {
    let mut rows: BTreeMap<(String, String), RowChange> = BTreeMap::new();
    let stamp = s(now.to_rfc3339());
    for event in events {
        match event {
            DomainEvent::ElectionRegistered(e) => {
                let row = rows
                    .entry((election_pk(&e.election_id), "election".into()))
                    .or_default();
                row.set.insert("name", s(&e.name));
                row.set
                    .insert("votingStartsAt", s(e.voting_starts_at.to_rfc3339()));
                row.set
                    .insert("votingEndsAt", s(e.voting_ends_at.to_rfc3339()));
                row.set.insert("updatedAt", stamp.clone());
            }
            DomainEvent::CandidateRegistered(e) => {
                let row = rows
                    .entry((election_pk(&e.election_id), candidate_sk(&e.candidate_id)))
                    .or_default();
                row.set.insert("candidateId", s(e.candidate_id.to_string()));
                row.set.insert(
                    "ballotNumber",
                    AttributeValue::N(e.ballot_number.get().to_string()),
                );
                row.set.insert("party", s(&e.party));
                row.set.insert("name", s(&e.name));
                row.set.insert("updatedAt", stamp.clone());
            }
            DomainEvent::Voted(e) => {
                let row = rows
                    .entry((election_pk(&e.election_id), candidate_sk(&e.candidate_id)))
                    .or_default();
                row.set.insert("candidateId", s(e.candidate_id.to_string()));
                row.set.insert("updatedAt", stamp.clone());
                row.add_votes += 1;
            }
        }
    }
    rows
}

impl DynamoStore {
    fn marker(
        &self,
        event: &DomainEvent,
        now: DateTime<Utc>,
    ) -> Result<TransactWriteItem, StoreError> {
        let put = Put::builder()
            .table_name(&self.tables.dashboard)
            .item("pk", s(format!("event#{}", event.event_id())))
            .item("sk", s("event"))
            .item("appliedAt", s(now.to_rfc3339()))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(|e| StoreError::Internal(e.to_string()))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    fn row_update(
        &self,
        (pk, sk): (String, String),
        change: RowChange,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut names = HashMap::new();
        let mut values = HashMap::new();
        let mut sets = Vec::new();
        for (i, (attr, value)) in change.set.into_iter().enumerate() {
            names.insert(format!("#a{i}"), attr.to_owned());
            values.insert(format!(":a{i}"), value);
            sets.push(format!("#a{i} = :a{i}"));
        }
        // Every row gets a votes counter, so a candidate without votes reads 0.
        values.insert(
            ":votes".to_owned(),
            AttributeValue::N(change.add_votes.to_string()),
        );
        let mut expression = "ADD votes :votes".to_owned();
        if !sets.is_empty() {
            expression = format!("SET {} {expression}", sets.join(", "));
        }
        let update = Update::builder()
            .table_name(&self.tables.dashboard)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .update_expression(expression)
            .set_expression_attribute_names((!names.is_empty()).then_some(names))
            .set_expression_attribute_values(Some(values))
            .build()
            .map_err(|e| StoreError::Internal(e.to_string()))?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// Applies one chunk of distinct events; skips those already applied.
    async fn apply_chunk(&self, mut pending: Vec<&DomainEvent>) -> Result<(), StoreError> {
        while !pending.is_empty() {
            let now = Utc::now();
            let owned: Vec<DomainEvent> = pending.iter().map(|e| (*e).clone()).collect();
            let mut items = Vec::with_capacity(pending.len() * 2);
            for event in &pending {
                items.push(self.marker(event, now)?);
            }
            for (key, change) in aggregate(&owned, now) {
                items.push(self.row_update(key, change)?);
            }
            let result = self
                .client
                .transact_write_items()
                .set_transact_items(Some(items))
                .send()
                .await;
            let err = match result {
                Ok(_) => return Ok(()),
                Err(err) => err,
            };
            // The first `pending.len()` items are the markers, in order.
            let Some(mut already_applied) = failed_conditions(&err) else {
                return Err(classify(err));
            };
            already_applied.resize(pending.len(), false);
            if !already_applied.contains(&true) {
                return Err(classify(err));
            }
            tracing::info!(
                skipped = already_applied.iter().filter(|a| **a).count(),
                "events already applied"
            );
            let mut flags = already_applied.into_iter();
            pending.retain(|_| !flags.next().unwrap_or(false));
        }
        Ok(())
    }
}

impl DashboardStore for DynamoStore {
    #[tracing::instrument(skip_all, fields(events = events.len()))]
    async fn apply(&self, events: &[DomainEvent]) -> Result<(), StoreError> {
        let mut seen = std::collections::HashSet::new();
        let distinct: Vec<&DomainEvent> = events
            .iter()
            .filter(|e| seen.insert(e.event_id().to_owned()))
            .collect();
        for chunk in distinct.chunks(EVENTS_PER_TRANSACTION) {
            self.apply_chunk(chunk.to_vec()).await?;
        }
        Ok(())
    }

    #[tracing::instrument(skip(self))]
    async fn results(&self, election_id: &ElectionId) -> Result<Results, StoreError> {
        let rows = self
            .client
            .query()
            .table_name(&self.tables.dashboard)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(election_pk(election_id)))
            .consistent_read(true)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(classify)?;
        let mut tallies = Vec::new();
        let mut as_of: Option<DateTime<Utc>> = None;
        for row in rows {
            let text = |name: &str| row.get(name).and_then(|v| v.as_s().ok()).cloned();
            let number = |name: &str| {
                row.get(name)
                    .and_then(|v| v.as_n().ok())
                    .and_then(|n| n.parse::<u64>().ok())
            };
            if let Some(updated) =
                text("updatedAt").and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
            {
                as_of = as_of.max(Some(updated.to_utc()));
            }
            let Some(candidate_id) =
                text("candidateId").and_then(|id| CandidateId::parse(&id).ok())
            else {
                continue;
            };
            tallies.push(CandidateTally {
                candidate_id,
                ballot_number: number("ballotNumber").and_then(|n| u32::try_from(n).ok()),
                party: text("party"),
                name: text("name"),
                votes: number("votes").unwrap_or(0),
                withdrawn: row
                    .get("withdrawn")
                    .and_then(|v| v.as_bool().ok())
                    .copied()
                    .unwrap_or(false),
            });
        }
        Ok(Results::from_tallies(election_id.clone(), tallies, as_of))
    }
}
