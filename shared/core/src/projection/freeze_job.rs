//! The rows of a verifiable election's tally freeze, in the dashboard view beside its
//! certification job: the freeze's own row (its attempt, who started it, a refusal), and per
//! attempt a row for each ballot-box part at each stage. Each is written once (its guard), so
//! a redelivered part's work changes nothing.

use super::{change, number, text, text_value, time, Effect, Guard, Row, RowKey, Value};
use crate::domain::freeze::{FreezeRefusal, FrozenPart};
use crate::domain::ids::ElectionId;
use chrono::{DateTime, Utc};

/// The freeze as its row keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FreezeJob {
    pub attempt: u32,
    pub started_at: DateTime<Utc>,
    pub started_by_request: String,
    /// This attempt's refusal, if it was refused.
    pub refusal: Option<FreezeRefusal>,
    /// When its second stage was sent out, if it was: workers may be writing the record's
    /// chunks since.
    pub layout_sent_at: Option<DateTime<Utc>>,
}

pub fn job_key(election: &ElectionId) -> RowKey {
    RowKey::FreezeJob(election.clone())
}

/// Starts attempt `attempt`: only one request can (the guard), and the row says which.
pub fn start(election: &ElectionId, attempt: u32, request: &str, now: DateTime<Utc>) -> Effect {
    Effect::new(
        Guard::Once(RowKey::Applied(format!("FreezeStarted-{election}-{attempt}"))),
        vec![(
            job_key(election),
            change(
                &[
                    ("attempt", Value::Number(attempt.into())),
                    ("startedAt", text_value(now.to_rfc3339())),
                    ("startedByRequest", text_value(request)),
                ],
                &[],
            ),
        )],
    )
}

/// Refuses attempt `attempt`, once: the refusal is kept with the attempt it ends.
pub fn refuse(election: &ElectionId, attempt: u32, refusal: &FreezeRefusal) -> Effect {
    let json = serde_json::to_string(refusal).unwrap_or_default();
    Effect::new(
        Guard::Once(RowKey::Applied(format!("FreezeRefused-{election}-{attempt}"))),
        vec![(
            job_key(election),
            change(
                &[
                    ("refusedAttempt", Value::Number(attempt.into())),
                    ("refusal", text_value(json)),
                ],
                &[],
            ),
        )],
    )
}

/// Attempt `attempt`'s second stage was sent out, once.
pub fn layout_sent(election: &ElectionId, attempt: u32, now: DateTime<Utc>) -> Effect {
    Effect::new(
        Guard::Once(RowKey::Applied(format!("FreezeLayoutSent-{election}-{attempt}"))),
        vec![(
            job_key(election),
            change(
                &[
                    ("layoutSent", Value::Number(attempt.into())),
                    ("layoutSentAt", text_value(now.to_rfc3339())),
                ],
                &[],
            ),
        )],
    )
}

pub fn job(row: &Row) -> Option<FreezeJob> {
    let attempt = u32::try_from(number(row, "attempt")?).ok()?;
    let refused = number(row, "refusedAttempt") == Some(attempt.into());
    let layout_sent_at = match number(row, "layoutSent") == Some(attempt.into()) {
        true => Some(time(row, "layoutSentAt")?),
        false => None,
    };
    Some(FreezeJob {
        attempt,
        started_at: time(row, "startedAt")?,
        started_by_request: text(row, "startedByRequest")?,
        refusal: if refused {
            serde_json::from_str(&text(row, "refusal")?).ok()
        } else {
            None
        },
        layout_sent_at,
    })
}

/// A part's size in an attempt (the first stage), once.
pub fn counted(election: &ElectionId, attempt: u32, part: u32, ballots: u64) -> Effect {
    Effect::new(
        Guard::Once(RowKey::Applied(format!("FreezeCounted-{election}-{attempt}-{part}"))),
        vec![(
            RowKey::FreezeCount(election.clone(), attempt, part),
            change(&[("ballots", Value::Number(ballots as i64))], &[]),
        )],
    )
}

/// A part checked, summed and laid out in an attempt (the second stage), once.
pub fn laid_out(election: &ElectionId, attempt: u32, part: u32, frozen: &FrozenPart) -> Effect {
    // Points, digests and numbers: it always serialises.
    let json = serde_json::to_string(frozen).unwrap_or_default();
    Effect::new(
        Guard::Once(RowKey::Applied(format!("FreezeLaidOut-{election}-{attempt}-{part}"))),
        vec![(
            RowKey::FrozenPart(election.clone(), attempt, part),
            change(&[("part", text_value(json))], &[]),
        )],
    )
}

/// A part of a refused attempt whose worker stopped (or never began): it writes no more of
/// the record. Once, and never over a part laid out (the same guard).
pub fn stopped(election: &ElectionId, attempt: u32, part: u32) -> Effect {
    Effect::new(
        Guard::Once(RowKey::Applied(format!("FreezeLaidOut-{election}-{attempt}-{part}"))),
        vec![(
            RowKey::FrozenPart(election.clone(), attempt, part),
            change(&[("stopped", Value::Flag(true))], &[]),
        )],
    )
}

pub fn count_keys(election: &ElectionId, attempt: u32, parts: u32) -> Vec<RowKey> {
    (0..parts)
        .map(|part| RowKey::FreezeCount(election.clone(), attempt, part))
        .collect()
}

pub fn part_keys(election: &ElectionId, attempt: u32, parts: u32) -> Vec<RowKey> {
    (0..parts)
        .map(|part| RowKey::FrozenPart(election.clone(), attempt, part))
        .collect()
}

/// Every part's size, by part, if every part is counted (`None` otherwise).
pub fn sizes(rows: &[(RowKey, Row)], parts: u32) -> Option<Vec<u64>> {
    (0..parts)
        .map(|part| {
            rows.iter().find_map(|(key, row)| match key {
                RowKey::FreezeCount(_, _, p) if *p == part => number(row, "ballots"),
                _ => None,
            })
        })
        .collect()
}

/// Every part as laid out, by part, if every part is (`None` otherwise: one is not yet,
/// stopped, or does not read).
pub fn frozen_parts(rows: &[(RowKey, Row)], parts: u32) -> Option<Vec<FrozenPart>> {
    (0..parts)
        .map(|part| {
            rows.iter().find_map(|(key, row)| match key {
                RowKey::FrozenPart(_, _, p) if *p == part => serde_json::from_str(&text(row, "part")?).ok(),
                _ => None,
            })
        })
        .collect()
}
