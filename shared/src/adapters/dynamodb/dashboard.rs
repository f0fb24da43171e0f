//! The dashboard table: the results and my-votes views, kept by the dashboard projector.
//!
//! Keys are `pk`/`sk`. Per election: a row `election` (name) and a row per candidate
//! `candidate#<id>` (ballot number, party, name, `pledgeCount`, `withdrawn`); its votes are
//! counted in shard rows under ten partition keys `votes#<election>#<n>`. Per voter: a row
//! per election voted in. Events are applied exactly once
//! through [`projection`](super::projection); votes in a batch add up to one counter
//! update per candidate.

use super::errors::classify;
use super::projection::{apply_exactly_once, s, Effect, Guard, RowChange, RowKey};
use super::DynamoStore;
use crate::domain::events::DomainEvent;
use crate::domain::ids::{CandidateId, ElectionId, ReceiptId};
use crate::domain::results::{CandidateTally, MyVote, Results};
use crate::error::StoreError;
use crate::ports::DashboardStore;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap};

fn election_row(id: &ElectionId) -> RowKey {
    vec![("pk", format!("election#{id}")), ("sk", "election".into())]
}

fn candidate_row(election: &ElectionId, candidate: &CandidateId) -> RowKey {
    vec![
        ("pk", format!("election#{election}")),
        ("sk", format!("candidate#{candidate}")),
    ]
}

/// Vote counters are split over this many partition keys per election, so that a
/// candidate's votes are spread over as many partitions' write capacity (1,000 writes/s each).
const VOTE_SHARDS: u32 = 10;

/// The counter row a vote adds to: chosen by its receipt id, a uniform random UUID.
fn vote_shard_row(election: &ElectionId, candidate: &CandidateId, receipt: &ReceiptId) -> RowKey {
    let shard = receipt
        .to_string()
        .bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(b.into()))
        % VOTE_SHARDS;
    vec![
        ("pk", vote_shard(election, shard)),
        ("sk", format!("candidate#{candidate}")),
    ]
}

fn vote_shard(election: &ElectionId, shard: u32) -> String {
    format!("votes#{election}#{shard}")
}

fn my_vote_row(voter: &str, election: &ElectionId) -> RowKey {
    vec![("pk", format!("voter#{voter}")), ("sk", format!("vote#{election}"))]
}

fn change(set: &[(&'static str, AttributeValue)], add: &[(&'static str, i64)]) -> RowChange {
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

/// What an event does to the views.
fn effect(event: &DomainEvent, now: DateTime<Utc>) -> Effect {
    let stamp = ("updatedAt", s(now.to_rfc3339()));
    let (guard, changes) = match event {
        DomainEvent::ElectionRegistered(e) => (
            once(event),
            vec![(
                election_row(&e.election_id),
                change(&[("name", s(&e.name)), stamp], &[]),
            )],
        ),
        DomainEvent::CandidateRegistered(e) => (
            once(event),
            vec![(
                candidate_row(&e.election_id, &e.candidate_id),
                change(
                    &[
                        ("candidateId", s(e.candidate_id.to_string())),
                        ("ballotNumber", AttributeValue::N(e.ballot_number.get().to_string())),
                        ("party", s(&e.party)),
                        ("name", s(&e.name)),
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
                        ("candidateId", s(e.candidate_id.to_string())),
                        ("withdrawn", AttributeValue::Bool(true)),
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
        DomainEvent::Voted(e) => (
            once(event),
            vec![
                (
                    vote_shard_row(&e.election_id, &e.candidate_id, &e.receipt_id),
                    change(
                        &[("candidateId", s(e.candidate_id.to_string())), stamp],
                        &[("votes", 1)],
                    ),
                ),
                (
                    my_vote_row(&e.voter_id, &e.election_id),
                    change(
                        &[
                            ("electionId", s(e.election_id.to_string())),
                            ("candidateId", s(e.candidate_id.to_string())),
                            ("castAt", s(e.occurred_at.to_rfc3339())),
                            ("receiptId", s(e.receipt_id.to_string())),
                        ],
                        &[],
                    ),
                ),
            ],
        ),
    };
    Effect { guard, changes }
}

use super::Row;

fn text(row: &Row, name: &str) -> Option<String> {
    row.get(name).and_then(|v| v.as_s().ok()).cloned()
}

fn number(row: &Row, name: &str) -> Option<u64> {
    row.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse::<i64>().ok())
        .map(|n| n.max(0) as u64)
}

fn time(row: &Row, name: &str) -> Option<DateTime<Utc>> {
    text(row, name)
        .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
        .map(|t| t.to_utc())
}

fn flag(row: &Row, name: &str) -> bool {
    row.get(name).and_then(|v| v.as_bool().ok()).copied().unwrap_or(false)
}

fn key(row: RowKey) -> Row {
    row.into_iter().map(|(k, v)| (k.to_owned(), s(v))).collect()
}

impl DynamoStore {
    async fn rows(&self, pk: String) -> Result<Vec<Row>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.tables.dashboard)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(pk))
            .consistent_read(true);
        self.query_all(query).await
    }

    /// Reads rows by key, in batches of 100 (BatchGetItem's limit), retrying unprocessed keys.
    async fn rows_by_key(&self, keys: Vec<Row>) -> Result<Vec<Row>, StoreError> {
        let mut found = Vec::new();
        for chunk in keys.chunks(100) {
            let mut request = Some(
                KeysAndAttributes::builder()
                    .set_keys(Some(chunk.to_vec()))
                    .consistent_read(true)
                    .build()
                    .map_err(|e| StoreError::Internal(e.to_string()))?,
            );
            while let Some(keys) = request.take() {
                let output = self
                    .client
                    .batch_get_item()
                    .request_items(&self.tables.dashboard, keys)
                    .send()
                    .await
                    .map_err(classify)?;
                found.extend(
                    output
                        .responses
                        .and_then(|mut r| r.remove(&self.tables.dashboard))
                        .unwrap_or_default(),
                );
                request = output
                    .unprocessed_keys
                    .and_then(|mut u| u.remove(&self.tables.dashboard))
                    .filter(|k| !k.keys().is_empty());
            }
        }
        Ok(found)
    }
}

impl DashboardStore for DynamoStore {
    #[tracing::instrument(skip_all, fields(events = events.len()))]
    async fn apply(&self, events: &[DomainEvent]) -> Result<(), StoreError> {
        let now = Utc::now();
        let mut seen = std::collections::HashSet::new();
        let effects = events
            .iter()
            .filter(|e| seen.insert(e.event_id().to_owned()))
            .map(|e| effect(e, now))
            .collect();
        apply_exactly_once(&self.client, &self.tables.dashboard, effects).await
    }

    #[tracing::instrument(skip(self))]
    async fn results(&self, election_id: &ElectionId) -> Result<Results, StoreError> {
        let mut tallies: BTreeMap<CandidateId, CandidateTally> = BTreeMap::new();
        let mut as_of: Option<DateTime<Utc>> = None;
        let mut rows = self.rows(format!("election#{election_id}")).await?;
        for shard in 0..VOTE_SHARDS {
            rows.extend(self.rows(vote_shard(election_id, shard)).await?);
        }
        for row in rows {
            as_of = as_of.max(time(&row, "updatedAt"));
            let Some(candidate_id) = text(&row, "candidateId").and_then(|id| CandidateId::parse(&id).ok()) else {
                continue;
            };
            let tally = tallies
                .entry(candidate_id.clone())
                .or_insert_with(|| CandidateTally::empty(candidate_id));
            // Vote shards carry only votes; the candidate row carries the rest.
            tally.votes += number(&row, "votes").unwrap_or(0);
            if text(&row, "pk").is_some_and(|pk| pk.starts_with("election#")) {
                tally.ballot_number = number(&row, "ballotNumber").and_then(|n| u32::try_from(n).ok());
                tally.party = text(&row, "party");
                tally.name = text(&row, "name");
                tally.pledge_count = number(&row, "pledgeCount").unwrap_or(0);
                tally.withdrawn = flag(&row, "withdrawn");
            }
        }
        Ok(Results::from_tallies(
            election_id.clone(),
            tallies.into_values().collect(),
            as_of,
        ))
    }

    #[tracing::instrument(skip_all)]
    async fn my_votes(&self, voter_id: &str) -> Result<Vec<MyVote>, StoreError> {
        let votes = self.rows(format!("voter#{voter_id}")).await?;
        // Names and the withdrawn flag come from the election and candidate rows, so that a
        // withdrawal is one write, not one per vote cast for the candidate.
        let mut keys = Vec::new();
        let mut parsed = Vec::new();
        for row in &votes {
            let ids = (
                text(row, "electionId").and_then(|id| ElectionId::parse(&id).ok()),
                text(row, "candidateId").and_then(|id| CandidateId::parse(&id).ok()),
                text(row, "receiptId").and_then(|id| ReceiptId::parse(&id).ok()),
                time(row, "castAt"),
            );
            let (Some(election), Some(candidate), Some(receipt), Some(cast_at)) = ids else {
                return Err(corrupt_row("my-votes row"));
            };
            keys.push(key(election_row(&election)));
            keys.push(key(candidate_row(&election, &candidate)));
            parsed.push((election, candidate, receipt, cast_at));
        }
        keys.sort_by_key(|k| (text(k, "pk"), text(k, "sk")));
        keys.dedup();
        let details: HashMap<(String, String), Row> = self
            .rows_by_key(keys)
            .await?
            .into_iter()
            .map(|row| {
                (
                    (
                        text(&row, "pk").unwrap_or_default(),
                        text(&row, "sk").unwrap_or_default(),
                    ),
                    row,
                )
            })
            .collect();
        let lookup = |row: RowKey| details.get(&(row[0].1.clone(), row[1].1.clone()));
        let mut mine: Vec<MyVote> = parsed
            .into_iter()
            .map(|(election, candidate, receipt_id, cast_at)| {
                let election_row = lookup(election_row(&election));
                let candidate_row = lookup(candidate_row(&election, &candidate));
                MyVote {
                    election_name: election_row.and_then(|r| text(r, "name")),
                    candidate_name: candidate_row.and_then(|r| text(r, "name")),
                    ballot_number: candidate_row
                        .and_then(|r| number(r, "ballotNumber"))
                        .and_then(|n| u32::try_from(n).ok()),
                    candidate_withdrawn: candidate_row.is_some_and(|r| flag(r, "withdrawn")),
                    election_id: election,
                    candidate_id: candidate,
                    cast_at,
                    receipt_id,
                }
            })
            .collect();
        mine.sort_by_key(|v| v.cast_at);
        Ok(mine)
    }
}

fn corrupt_row(what: &str) -> StoreError {
    StoreError::Internal(format!("{what} lacks an attribute"))
}
