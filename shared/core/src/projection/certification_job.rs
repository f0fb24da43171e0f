//! The rows of a certification job, in the dashboard view: the job's own row (attempt,
//! state, progress) and one row per ballot-box part counted in an attempt. Each step is an
//! effect under a once-only guard, so a redelivered step changes nothing.

use super::{change, number, text, text_value, time, Effect, Guard, Row, RowKey, Value};
use crate::domain::certification::{CertificationJob, JobState, PartCount, PartRecount};
use crate::domain::ids::ElectionId;
use chrono::{DateTime, Utc};

const STATE: &str = "state";
const UPDATED_AT: &str = "updatedAt";

/// The job's own row.
pub fn job_key(election: &ElectionId) -> RowKey {
    RowKey::CertificationJob(election.clone())
}

fn number_value(n: u32) -> Value {
    Value::Number(n.into())
}

/// Starts an attempt: only one request can start a given attempt (the guard), and the row
/// records which one did.
pub fn start(job: &CertificationJob) -> Effect {
    let e = &job.election_id;
    Effect::new(
        Guard::Once(RowKey::Applied(format!("RecountStarted-{e}-{}", job.attempt))),
        vec![(
            job_key(e),
            change(
                &[
                    ("attempt", number_value(job.attempt)),
                    (STATE, text_value(JobState::Recounting.as_str())),
                    ("parts", number_value(job.parts)),
                    ("requestedBy", text_value(&job.requested_by)),
                    ("requestedAt", text_value(job.requested_at.to_rfc3339())),
                    (UPDATED_AT, text_value(job.updated_at.to_rfc3339())),
                    ("startedByRequest", text_value(&job.started_by_request)),
                    ("refusal", text_value("")),
                    (RESENDS, number_value(0)),
                    (DECRYPTED, text_value(decrypted_json(job))),
                ],
                &[],
            ),
        )],
    )
}

const DECRYPTED: &str = "decrypted";

/// A verifiable election's decrypted tally, as JSON (empty: none). Its points and counts
/// always serialise.
fn decrypted_json(job: &CertificationJob) -> String {
    job.decrypted
        .as_ref()
        .and_then(|tally| serde_json::to_string(tally).ok())
        .unwrap_or_default()
}

/// Keys of unreadable items kept on a part's row, at most: enough to find them, and a row
/// stays far below DynamoDB's 400 KB item limit whatever the part holds.
const UNREADABLE_KEPT: usize = 100;

/// A part's count, once for its attempt, on the part's own row (so that the parts' workers,
/// which finish together, never contend for one row): when its reads began, and when it
/// was counted.
pub fn part_counted(part: &PartRecount, mut count: PartCount, read_from: DateTime<Utc>, now: DateTime<Utc>) -> Effect {
    let e = &part.election_id;
    count.unreadable.truncate(UNREADABLE_KEPT);
    // A count is a map and a list of keys: it serialises whatever they hold.
    let json = serde_json::to_string(&count).unwrap_or_default();
    Effect::new(
        Guard::Once(RowKey::Applied(format!(
            "RecountPartCounted-{e}-{}-{}",
            part.attempt, part.part
        ))),
        vec![(
            RowKey::RecountPart(e.clone(), part.attempt, part.part),
            change(
                &[
                    ("count", text_value(json)),
                    (READ_FROM, text_value(read_from.to_rfc3339())),
                    (COUNTED_AT, text_value(now.to_rfc3339())),
                ],
                &[],
            ),
        )],
    )
}

const READ_FROM: &str = "readFrom";
const COUNTED_AT: &str = "countedAt";

/// The parts of a stalled attempt were sent again (the `resends`-th time), once.
pub fn resent(job: &CertificationJob, now: DateTime<Utc>) -> Effect {
    let e = &job.election_id;
    Effect::new(
        Guard::Once(RowKey::Applied(format!(
            "RecountResent-{e}-{}-{}",
            job.attempt,
            job.resends + 1
        ))),
        vec![(
            job_key(e),
            change(&[(UPDATED_AT, text_value(now.to_rfc3339()))], &[(RESENDS, 1)]),
        )],
    )
}

const RESENDS: &str = "resends";

/// What an attempt came to, once every part is counted: certified (with the certification
/// row's change) or refused, and why. One outcome per attempt (the guard), so two workers
/// that finish at once cannot write different ones.
pub fn finish(
    election: &ElectionId,
    attempt: u32,
    outcome: Result<(RowKey, super::RowChange), String>,
    now: DateTime<Utc>,
) -> Effect {
    let stamp = (UPDATED_AT, text_value(now.to_rfc3339()));
    let mut changes = Vec::new();
    let state = match outcome {
        Ok(certification) => {
            changes.push(certification);
            change(&[(STATE, text_value(JobState::Certified.as_str())), stamp], &[])
        }
        Err(refusal) => change(
            &[
                (STATE, text_value(JobState::Refused.as_str())),
                ("refusal", text_value(refusal)),
                stamp,
            ],
            &[],
        ),
    };
    changes.push((job_key(election), state));
    Effect::new(
        Guard::Once(RowKey::Applied(format!("RecountFinished-{election}-{attempt}"))),
        changes,
    )
}

/// The job as its row records it (`parts_done` is left 0, and `updated_at` does not yet
/// count the parts: both come from the parts' rows, [`CountedPart`]).
pub fn job(election: &ElectionId, row: &Row) -> Option<CertificationJob> {
    let count = |name| number(row, name).and_then(|n| u32::try_from(n).ok());
    Some(CertificationJob {
        election_id: election.clone(),
        attempt: count("attempt")?,
        state: text(row, STATE).and_then(|s| JobState::parse(&s))?,
        parts: count("parts")?,
        parts_done: 0,
        requested_by: text(row, "requestedBy")?,
        requested_at: time(row, "requestedAt")?,
        updated_at: time(row, UPDATED_AT)?,
        refusal: text(row, "refusal").filter(|r| !r.is_empty()),
        resends: count(RESENDS).unwrap_or(0),
        started_by_request: text(row, "startedByRequest")?,
        decrypted: match text(row, DECRYPTED).filter(|json| !json.is_empty()) {
            // A tally that does not read is no tally to certify against: no job.
            Some(json) => Some(serde_json::from_str(&json).ok()?),
            None => None,
        },
    })
}

/// The rows of every part of a job's attempt.
pub fn part_keys(job: &CertificationJob) -> Vec<RowKey> {
    (0..job.parts)
        .map(|part| RowKey::RecountPart(job.election_id.clone(), job.attempt, part))
        .collect()
}

/// A part as its row keeps it.
pub struct CountedPart {
    pub count: PartCount,
    pub read_from: DateTime<Utc>,
}

/// When a part's row says it was counted (its count is not read).
pub fn counted_at(row: &Row) -> Option<DateTime<Utc>> {
    time(row, COUNTED_AT)
}

pub fn counted_part(row: &Row) -> Option<CountedPart> {
    Some(CountedPart {
        count: serde_json::from_str(&text(row, "count")?).ok()?,
        read_from: time(row, READ_FROM)?,
    })
}

/// The parts of a job not counted yet, given the rows of those that are.
pub fn parts_left(job: &CertificationJob, counted: &[(RowKey, Row)]) -> Vec<u32> {
    (0..job.parts)
        .filter(|part| {
            !counted
                .iter()
                .any(|(key, _)| matches!(key, RowKey::RecountPart(_, _, p) if p == part))
        })
        .collect()
}
