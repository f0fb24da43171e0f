//! A certification job: the recount that certification runs, one ballot-box part per
//! worker, and what came of it. A repeated request joins the job under way; after a refusal,
//! the next request starts a new attempt.

use super::ids::{CandidateId, ElectionId, ReceiptId};
use chrono::{DateTime, Utc};
use election_crypto::tally::TallyEntry;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum JobState {
    /// The parts are being counted.
    Recounting,
    /// The recount matched the results, which are now final.
    Certified,
    /// The recount did not match: `refusal` says how. Nothing was certified.
    Refused,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Recounting => "recounting",
            JobState::Certified => "certified",
            JobState::Refused => "refused",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Recounting, Self::Certified, Self::Refused]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificationJob {
    pub election_id: ElectionId,
    /// 1 for the first request, one more after each refusal.
    pub attempt: u32,
    pub state: JobState,
    /// The ballot-box parts to count, and how many are counted.
    pub parts: u32,
    pub parts_done: u32,
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
    /// When a part was last counted (or the job started, its parts were sent again, or it
    /// finished): a job that has not moved for longer than a worker may run has lost a
    /// part, and the next request sends it again.
    pub updated_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refusal: Option<String>,
    /// How many times the parts not counted were sent again after a stall.
    pub resends: u32,
    /// Which request started this attempt: of two at once, only the one that did sends
    /// the work out.
    #[serde(skip)]
    pub started_by_request: String,
    /// A verifiable election's decrypted tally, taken when the attempt starts: the recount
    /// must sum the box's ciphertexts to its encrypted tally, and certifies its counts.
    #[serde(skip)]
    pub decrypted: Option<DecryptedTally>,
}

/// A verifiable election's tally as its trustees decrypted it: the frozen encrypted tally,
/// and each candidate's count solved from `threshold` checked partial decryptions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DecryptedTally {
    pub entries: Vec<TallyEntry>,
    pub cast_count: u64,
    pub counts: BTreeMap<CandidateId, u64>,
    /// The receipts of the ballots that reached the box after the tally froze (the record
    /// lists them as late): in the box, never in the tally.
    #[serde(default)]
    pub late: BTreeSet<ReceiptId>,
}

/// One part of a job's recount, as a worker is asked for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PartRecount {
    pub election_id: ElectionId,
    pub attempt: u32,
    pub part: u32,
    /// What to do with the part (a request without it is a certification's recount).
    #[serde(default, skip_serializing_if = "PartWork::is_recount")]
    pub work: PartWork,
}

/// The work a ballot-box part's worker is asked for: the same workers count a
/// certification's recount and freeze a verifiable election's tally.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PartWork {
    /// A certification job's count of the part.
    #[default]
    Recount,
    /// A freeze's first stage: how many ballots the part holds.
    FreezeCount,
    /// A freeze's second stage: the part's ballots checked and summed, and the record's
    /// chunks that begin in it written.
    FreezeLayout,
}

impl PartWork {
    pub fn is_recount(&self) -> bool {
        *self == PartWork::Recount
    }
}

/// One part of an election's ballot box, counted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PartCount {
    pub ballots: BTreeMap<CandidateId, u64>,
    /// Encrypted ballots (a verifiable election): counted here as cast, never read.
    #[serde(default)]
    pub encrypted: u64,
    /// Of the encrypted ballots, those the decrypted tally lists as late: not in the sums.
    #[serde(default)]
    pub late: u64,
    /// The encrypted ballots' ciphertexts summed, slot by slot (none: no encrypted ballot).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sums: Vec<TallyEntry>,
    /// Items in the part that are not readable ballots, by key.
    pub unreadable: Vec<String>,
    /// Ballots replayed into the view (with `repair`).
    pub replayed: u64,
    /// Pages read: a part's pages are read one after another.
    pub pages: u64,
}
