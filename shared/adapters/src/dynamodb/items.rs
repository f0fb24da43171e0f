//! Item shapes of the command tables, shared by the table adapters and the stream mapping.
//! Each item names its `entity`, so a stream record says what it is.

use super::keys;
use chrono::{DateTime, Utc};
use election_core::domain::candidate::{BallotNumber, Candidate, CandidateStatus};
use election_core::domain::election::{Election, Verifiable, VotingWindow};
use election_core::domain::ids::{CandidateId, ElectionId, PledgeId, ReceiptId};
use election_core::domain::pledge::Pledge;
use election_core::domain::roll::{District, EntrySource, ImportState, RefusedRow, Roll, RollEntry, RollId};
use election_core::domain::text::{AccountId, LongText, Name};
use election_core::domain::vote::{Ballot, Mark, Participation, Sealed};
use election_crypto::ballot::SpoiledBallot;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "entity")]
pub(crate) enum Item {
    #[serde(rename = "election")]
    Election(ElectionItem),
    #[serde(rename = "candidate")]
    Candidate(CandidateItem),
    #[serde(rename = "ballot-claim")]
    BallotClaim(BallotClaimItem),
    #[serde(rename = "participation")]
    Participation(ParticipationItem),
    #[serde(rename = "ballot")]
    Ballot(BallotItem),
    #[serde(rename = "pledge")]
    Pledge(PledgeItem),
    #[serde(rename = "pooled-ballot")]
    PooledBallot(PooledBallotItem),
    #[serde(rename = "challenged-ballot")]
    ChallengedBallot(ChallengedBallotItem),
}

/// Just the `entity` of an item, to tell ours from markers before reading the rest.
#[derive(Debug, Deserialize)]
pub(crate) struct EntityTag {
    pub entity: Option<String>,
}

pub(crate) const ENTITIES: &[&str] = &[
    "election",
    "candidate",
    "ballot-claim",
    "participation",
    "ballot",
    "pledge",
    "pooled-ballot",
    "challenged-ballot",
];

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ElectionItem {
    pub election_id: ElectionId,
    pub name: Name,
    pub voting_starts_at: DateTime<Utc>,
    pub voting_ends_at: DateTime<Utc>,
    pub registered_at: DateTime<Utc>,
    pub registered_by: AccountId,
    /// Absent on an election registered before rolls: its roll is the initial one.
    #[serde(default)]
    pub roll_id: RollId,
    /// When the upload of the roll in force started (none: the initial roll), so that an
    /// older upload that finishes later is not adopted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roll_started_at: Option<DateTime<Utc>>,
    /// A verifiable election's trustees, threshold and ceremony completion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verifiable: Option<Verifiable>,
}

/// Candidates are keyed by `id` = the candidate id; ballot claims share the table.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CandidateItem {
    pub id: CandidateId,
    pub election_id: ElectionId,
    pub ballot_number: BallotNumber,
    pub party: Name,
    pub name: Name,
    pub user_id: AccountId,
    pub status: CandidateStatus,
    pub registered_at: DateTime<Utc>,
    pub registered_by: AccountId,
    /// Signed, so that an item is always readable; never below zero in practice.
    #[serde(default)]
    pub pledge_count: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn_at: Option<DateTime<Utc>>,
    /// The commission member who withdrew the candidate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn_by: Option<Name>,
}

/// Holds a ballot number in an election, so that no two candidates share it.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BallotClaimItem {
    pub id: String,
    pub candidate_id: CandidateId,
}

impl BallotClaimItem {
    pub fn key(election_id: &ElectionId, ballot_number: BallotNumber) -> String {
        format!("ballot#{election_id}#{}", ballot_number.get())
    }
}

/// A voter's entry on a version of an election's roll, and their participation once they
/// vote, keyed by (`voterId`, `entry` = `<electionId>#<rollId>`, [`keys::roll_entry`]):
/// every voter is their own partition. The choice is there only sealed.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ParticipationItem {
    pub voter_id: AccountId,
    pub entry: String,
    pub election_id: ElectionId,
    pub roll_id: RollId,
    pub district: District,
    /// The roll file's line it came from (none: a correction).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voted_at: Option<DateTime<Utc>>,
    #[serde(default, with = "base64_bytes", skip_serializing_if = "Option::is_none")]
    pub sealed_key: Option<Vec<u8>>,
    #[serde(default, with = "base64_bytes", skip_serializing_if = "Option::is_none")]
    pub sealed_choice: Option<Vec<u8>>,
    /// The mixer's sealed copy of the ballot, from the vote until the mixer pools it.
    #[serde(default, with = "base64_bytes", skip_serializing_if = "Option::is_none")]
    pub mix_key: Option<Vec<u8>>,
    #[serde(default, with = "base64_bytes", skip_serializing_if = "Option::is_none")]
    pub mix_ballot: Option<Vec<u8>>,
}

/// A sealed ballot waiting in a mixer's pool, keyed by (`box` = the pool, `receiptId` =
/// its key in the pool, a digest of its sealed bytes: no receipt is in the clear here).
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PooledBallotItem {
    #[serde(rename = "box")]
    pub pool: String,
    #[serde(rename = "receiptId")]
    pub key: String,
    pub election_id: ElectionId,
    #[serde(default, with = "base64_bytes", skip_serializing_if = "Option::is_none")]
    pub sealed_key: Option<Vec<u8>>,
    #[serde(default, with = "base64_bytes", skip_serializing_if = "Option::is_none")]
    pub sealed_ballot: Option<Vec<u8>>,
}

/// A version of an election's roll and its import's progress, in the rolls table, keyed by
/// (`electionId`, `rollId`).
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RollItem {
    pub election_id: ElectionId,
    pub roll_id: RollId,
    pub state: ImportState,
    pub offset: u64,
    pub next_line: u64,
    #[serde(default)]
    pub skipping: bool,
    pub rows_done: u64,
    pub rows_refused: u64,
    #[serde(default)]
    pub refusals: Vec<RefusedRow>,
    #[serde(default)]
    pub districts: BTreeMap<District, u64>,
    pub started_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub by: AccountId,
}

impl From<&Roll> for RollItem {
    fn from(r: &Roll) -> Self {
        Self {
            election_id: r.election_id.clone(),
            roll_id: r.id.clone(),
            state: r.state,
            offset: r.offset,
            next_line: r.next_line,
            skipping: r.skipping,
            rows_done: r.rows_done,
            rows_refused: r.rows_refused,
            refusals: r.refusals.clone(),
            districts: r.districts.clone(),
            started_at: r.started_at,
            updated_at: r.updated_at,
            by: r.by.clone(),
        }
    }
}

impl From<RollItem> for Roll {
    fn from(item: RollItem) -> Self {
        Self {
            election_id: item.election_id,
            id: item.roll_id,
            state: item.state,
            offset: item.offset,
            next_line: item.next_line,
            skipping: item.skipping,
            rows_done: item.rows_done,
            rows_refused: item.rows_refused,
            refusals: item.refusals,
            districts: item.districts,
            started_at: item.started_at,
            updated_at: item.updated_at,
            by: item.by,
        }
    }
}

/// A challenged ballot with its reveal, on the board but outside the box's parts (never
/// counted): keyed by (`box` = [`keys::challenged`], `receiptId`).
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ChallengedBallotItem {
    #[serde(rename = "box")]
    pub ballot_box: String,
    pub receipt_id: ReceiptId,
    pub election_id: ElectionId,
    pub challenged: SpoiledBallot,
}

/// An anonymous ballot, keyed by (`box`, `receiptId`); `box` is one of the partitions of
/// its election ([`keys::ballot_box`]).
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BallotItem {
    #[serde(rename = "box")]
    pub ballot_box: String,
    pub receipt_id: ReceiptId,
    pub election_id: ElectionId,
    /// `candidateId`, or `encrypted`: the ballot as the voter's device made it.
    #[serde(flatten)]
    pub mark: Mark,
    pub cast_in_hour: DateTime<Utc>,
}

impl From<&Ballot> for BallotItem {
    fn from(b: &Ballot) -> Self {
        Self {
            ballot_box: keys::ballot_box(&b.election_id, &b.receipt_id),
            receipt_id: b.receipt_id.clone(),
            election_id: b.election_id.clone(),
            mark: b.mark.clone(),
            cast_in_hour: b.cast_in_hour,
        }
    }
}

impl From<BallotItem> for Ballot {
    fn from(item: BallotItem) -> Self {
        Self {
            election_id: item.election_id,
            mark: item.mark,
            receipt_id: item.receipt_id,
            cast_in_hour: item.cast_in_hour,
        }
    }
}

impl From<&RollEntry> for ParticipationItem {
    fn from(e: &RollEntry) -> Self {
        Self {
            voter_id: e.voter.clone(),
            entry: keys::roll_entry(&e.election_id, &e.roll),
            election_id: e.election_id.clone(),
            roll_id: e.roll.clone(),
            district: e.district.clone(),
            line: match e.source {
                EntrySource::Line(line) => Some(line),
                EntrySource::Correction => None,
            },
            voted_at: None,
            sealed_key: None,
            sealed_choice: None,
            mix_key: None,
            mix_ballot: None,
        }
    }
}

impl ParticipationItem {
    /// The participation, if the entry has voted.
    pub fn participation(self) -> Option<Participation> {
        Some(Participation {
            voted_at: self.voted_at?,
            sealed_choice: Sealed {
                sealed_key: self.sealed_key?,
                ciphertext: self.sealed_choice?,
            },
            election_id: self.election_id,
            voter: self.voter_id,
            roll: self.roll_id,
        })
    }
}

/// Binary attributes as base64 text, so that items stay readable as JSON.
pub(super) mod base64_bytes {
    use aws_smithy_types::base64;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &Option<Vec<u8>>, serializer: S) -> Result<S::Ok, S::Error> {
        match bytes {
            Some(bytes) => serializer.serialize_str(&base64::encode(bytes)),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Vec<u8>>, D::Error> {
        let text = String::deserialize(deserializer)?;
        base64::decode(text).map(Some).map_err(serde::de::Error::custom)
    }
}

impl From<&Election> for ElectionItem {
    fn from(e: &Election) -> Self {
        Self {
            election_id: e.id.clone(),
            name: e.name.clone(),
            voting_starts_at: e.window.starts_at(),
            voting_ends_at: e.window.ends_at(),
            registered_at: e.registered_at,
            registered_by: e.registered_by.clone(),
            roll_id: e.roll.clone(),
            roll_started_at: None,
            verifiable: e.verifiable.clone(),
        }
    }
}

impl TryFrom<ElectionItem> for Election {
    type Error = election_core::domain::election::EmptyWindow;
    fn try_from(item: ElectionItem) -> Result<Self, Self::Error> {
        Ok(Self {
            id: item.election_id,
            name: item.name,
            window: VotingWindow::new(item.voting_starts_at, item.voting_ends_at)?,
            registered_at: item.registered_at,
            registered_by: item.registered_by,
            roll: item.roll_id,
            verifiable: item.verifiable,
        })
    }
}

impl From<&Candidate> for CandidateItem {
    fn from(c: &Candidate) -> Self {
        Self {
            id: c.id.clone(),
            election_id: c.election_id.clone(),
            ballot_number: c.ballot_number,
            party: c.party.clone(),
            name: c.name.clone(),
            user_id: c.user_id.clone(),
            status: c.status,
            registered_at: c.registered_at,
            registered_by: c.registered_by.clone(),
            pledge_count: i64::try_from(c.pledge_count).unwrap_or(i64::MAX),
            withdrawn_at: None,
            withdrawn_by: None,
        }
    }
}

impl From<CandidateItem> for Candidate {
    fn from(item: CandidateItem) -> Self {
        Self {
            id: item.id,
            election_id: item.election_id,
            ballot_number: item.ballot_number,
            party: item.party,
            name: item.name,
            user_id: item.user_id,
            status: item.status,
            registered_at: item.registered_at,
            registered_by: item.registered_by,
            pledge_count: u64::try_from(item.pledge_count).unwrap_or(0),
        }
    }
}

/// Pledges are keyed by (`candidateId`, `pledgeId`).
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PledgeItem {
    pub candidate_id: CandidateId,
    pub pledge_id: PledgeId,
    pub election_id: ElectionId,
    pub theme: Name,
    pub title: Name,
    pub description: LongText,
    pub added_at: DateTime<Utc>,
}

impl From<&Pledge> for PledgeItem {
    fn from(p: &Pledge) -> Self {
        Self {
            candidate_id: p.candidate_id.clone(),
            pledge_id: p.id.clone(),
            election_id: p.election_id.clone(),
            theme: p.theme.clone(),
            title: p.title.clone(),
            description: p.description.clone(),
            added_at: p.added_at,
        }
    }
}

impl From<PledgeItem> for Pledge {
    fn from(item: PledgeItem) -> Self {
        Self {
            id: item.pledge_id,
            candidate_id: item.candidate_id,
            election_id: item.election_id,
            theme: item.theme,
            title: item.title,
            description: item.description,
            added_at: item.added_at,
        }
    }
}
