//! Ports: what the use cases need from storage and the bus, one concern per trait.
//! The DynamoDB/EventBridge adapters and the in-memory store implement them.

use crate::domain::candidate::Candidate;
use crate::domain::ceremony::Message;
use crate::domain::certification::PartRecount;
use crate::domain::election::Election;
use crate::domain::ids::{CandidateId, ElectionId, PledgeId, ReceiptId};
use crate::domain::pledge::Pledge;
use crate::domain::roll::{EntryWrite, IdentityKey, Roll, RollEntry, RollId};
use crate::domain::text::AccountId;
use crate::domain::vote::BallotChecks;
use crate::domain::vote::{Ballot, Choice, Participation, Sealed, SealedBallot};
use crate::domain_events::DomainEvent;
use crate::problem::PortError;
use crate::projection::{Effect, Row, RowKey, View};
use crate::use_cases::board::Boarded;
use chrono::{DateTime, Utc};
use election_crypto::ballot::SpoiledBallot;
use std::collections::{BTreeSet, HashSet};
use std::future::Future;
use std::sync::Arc;

pub trait ElectionStore: Send + Sync {
    /// Stores a new election.
    fn insert_election(&self, election: &Election) -> impl Future<Output = Result<(), PortError>> + Send;
    /// Every election, by opening time: the public list, eventually consistent.
    fn elections(&self) -> impl Future<Output = Result<Vec<Election>, PortError>> + Send;
    /// Reads an election, strongly consistent.
    fn election(&self, id: &ElectionId) -> impl Future<Output = Result<Option<Election>, PortError>> + Send;
}

pub trait CandidateStore: Send + Sync {
    /// Stores a new candidate; `Conflict` when its ballot number is taken in its election.
    fn insert_candidate(&self, candidate: &Candidate) -> impl Future<Output = Result<(), PortError>> + Send;
    /// Reads a candidate, strongly consistent.
    fn candidate(&self, id: &CandidateId) -> impl Future<Output = Result<Option<Candidate>, PortError>> + Send;
    /// The candidates of an election, by ballot number.
    fn candidates_in(&self, election_id: &ElectionId)
        -> impl Future<Output = Result<Vec<Candidate>, PortError>> + Send;
    /// Marks a registered candidate withdrawn, at `at` by `by`; `Conflict` if it is not
    /// registered.
    fn withdraw_candidate(
        &self,
        id: &CandidateId,
        at: DateTime<Utc>,
        by: &AccountId,
    ) -> impl Future<Output = Result<(), PortError>> + Send;
}

/// How old a [`VoteLookups`] answer may be: the bound within which a withdrawal stops
/// new votes for the candidate.
pub const LOOKUP_TTL: std::time::Duration = std::time::Duration::from_secs(2);

/// The reads a vote needs, answered from a short cache: at a national peak every vote of an
/// election reads the same few items, which no partition could serve fresh each time.
pub trait VoteLookups: Send + Sync {
    /// The election, as read at most [`LOOKUP_TTL`] ago.
    fn recent_election(&self, id: &ElectionId) -> impl Future<Output = Result<Option<Election>, PortError>> + Send;
    /// The candidate, as read at most [`LOOKUP_TTL`] ago.
    fn recent_candidate(&self, id: &CandidateId) -> impl Future<Output = Result<Option<Candidate>, PortError>> + Send;
    /// What checks a verifiable election's ballots, once its key ceremony is complete
    /// ([`crate::use_cases::key_ceremony::ballot_checks`]). It never changes after that,
    /// so it is built once per instance: its tables take longer than a ballot's check.
    fn ballot_checks(
        &self,
        election: &Election,
    ) -> impl Future<Output = Result<Option<Arc<BallotChecks>>, PortError>> + Send;
}

/// What an encrypted ballot claims once, among every ballot cast or challenged in its
/// election: its id and each ciphertext's `α` (a repeat would replay a ballot, or show a
/// buyer their ballot cast). Claims are keyed tags ([`VoterKeys::claim_tag`]): without the
/// key, a claim names neither the voter nor the ballot.
pub trait BallotClaims: Send + Sync {
    /// Claims every tag for `owner`: held if each is free or already `owner`'s (a resend),
    /// taken if another owner holds one.
    fn claim(&self, tags: &[String], owner: &str) -> impl Future<Output = Result<Claim, PortError>> + Send;
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Claim {
    Held,
    Taken,
}

pub trait PledgeStore: Send + Sync {
    /// Stores a new pledge.
    fn insert_pledge(&self, pledge: &Pledge) -> impl Future<Output = Result<(), PortError>> + Send;
    /// Deletes a pledge of this candidate; `Conflict` if the candidate has no such pledge.
    fn delete_pledge(
        &self,
        candidate_id: &CandidateId,
        pledge_id: &PledgeId,
    ) -> impl Future<Output = Result<(), PortError>> + Send;
    /// A candidate's pledges, oldest first.
    fn pledges(&self, candidate_id: &CandidateId) -> impl Future<Output = Result<Vec<Pledge>, PortError>> + Send;
}

/// The public ballot's reads: eventually consistent, a second or so behind at most (a cache
/// in front serves the document a few seconds old anyway), at half the cost of a strongly
/// consistent read, so that no read at the peak has to be strongly consistent.
pub trait PublicReads: Send + Sync {
    fn public_election(&self, id: &ElectionId) -> impl Future<Output = Result<Option<Election>, PortError>> + Send;
    /// A candidate's pledges, oldest first.
    fn public_pledges(&self, candidate_id: &CandidateId)
        -> impl Future<Output = Result<Vec<Pledge>, PortError>> + Send;
}

/// What became of a vote's write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VoteWrite {
    Stored,
    /// The voter is not on the election's roll in force: nothing was written.
    NotOnRoll,
    /// The voter's entry has voted already: this is what it holds (perhaps this very vote,
    /// sent before). Nothing was written.
    Voted(Participation),
}

pub trait VoteStore: Send + Sync {
    /// Records the vote on the voter's roll entry, with the mixer's sealed copy of their
    /// ballot, on condition that the entry is on the roll of `participation.roll` and has
    /// not voted. Which condition failed is told by the entry as it was found, with no
    /// second read. Sending the same vote again after an `Unknown` finds it stored. It
    /// writes nothing else: the ballot reaches the box through the mixer ([`MixPool`]), and
    /// whether the candidate stands was checked on [`VoteLookups`].
    fn insert_vote(
        &self,
        participation: &Participation,
        mix_copy: &SealedBallot,
    ) -> impl Future<Output = Result<VoteWrite, PortError>> + Send;
    /// Removes the mixer's copy from a voter's participation (the mixer holds it now).
    /// Removing it again, or from an entry that has none, changes nothing.
    fn forget_mix_copy(
        &self,
        voter: &AccountId,
        election: &ElectionId,
        roll: &RollId,
    ) -> impl Future<Output = Result<(), PortError>> + Send;
    /// A voter's participation in one election (its entry on `roll`, if it has voted),
    /// strongly consistent.
    fn participation(
        &self,
        voter: &AccountId,
        election: &ElectionId,
        roll: &RollId,
    ) -> impl Future<Output = Result<Option<Participation>, PortError>> + Send;
    /// A voter's participations (the entries that have voted), in every election.
    fn participations(&self, voter: &AccountId) -> impl Future<Output = Result<Vec<Participation>, PortError>> + Send;
}

pub trait ChoiceSealer: Send + Sync {
    /// Seals a voter's choice under a key bound to that voter and election.
    fn seal(
        &self,
        voter: &AccountId,
        election: &ElectionId,
        choice: &Choice,
    ) -> impl Future<Output = Result<Sealed, PortError>> + Send;
    /// Opens a sealed choice; it opens only for the voter and election it was sealed for.
    fn open(
        &self,
        voter: &AccountId,
        election: &ElectionId,
        sealed: &Sealed,
    ) -> impl Future<Output = Result<Choice, PortError>> + Send;
}

/// Seals a ballot for the mixer, and opens it there, under a key of its own (the mix key):
/// the seal names the election only, so the mixer opens ballots without learning whose
/// they are, and no other function can open them.
pub trait BallotSealer: Send + Sync {
    fn seal_ballot(&self, ballot: &Ballot) -> impl Future<Output = Result<SealedBallot, PortError>> + Send;
    fn open_ballot(&self, sealed: &SealedBallot) -> impl Future<Output = Result<Ballot, PortError>> + Send;
}

/// Turns a voter's identity key into their voter id: a keyed hash, the same in every
/// election, under a key that KMS holds. Rolls and participations keep only the id.
pub trait VoterKeys: Send + Sync {
    fn voter_id(&self, identity: &IdentityKey) -> impl Future<Output = Result<AccountId, PortError>> + Send;
    /// A keyed tag of these parts, under a key of its own derived from the voter-id key.
    fn claim_tag(&self, parts: &[&[u8]]) -> impl Future<Output = Result<String, PortError>> + Send;
}

/// An election's rolls: their entries, and each version's progress and counts.
pub trait RollStore: Send + Sync {
    /// Stores a new version of a roll; `Conflict` if it is there.
    fn insert_roll(&self, roll: &Roll) -> impl Future<Output = Result<(), PortError>> + Send;
    /// A version of a roll, strongly consistent.
    fn roll(&self, election: &ElectionId, id: &RollId) -> impl Future<Output = Result<Option<Roll>, PortError>> + Send;
    /// Writes entries of an import, each on condition that its voter is not on that roll:
    /// one there from the same line is this write again (an import restarted), one from
    /// another line a duplicate. In order, one outcome per entry.
    fn put_entries(&self, entries: &[RollEntry]) -> impl Future<Output = Result<Vec<EntryWrite>, PortError>> + Send;
    /// Saves an import's progress, on condition that no other run saved past
    /// `expected_next_line` (`Conflict`).
    fn save_progress(&self, roll: &Roll, expected_next_line: u64)
        -> impl Future<Output = Result<(), PortError>> + Send;
    /// Saves a finished import and makes it the election's roll, both or neither, on
    /// condition that no other run finished it (`Conflict`) and that no upload started
    /// after it is the election's roll already (`Precondition`).
    fn adopt_roll(&self, roll: &Roll, expected_next_line: u64) -> impl Future<Output = Result<(), PortError>> + Send;
    /// Adds a voter to a roll, and counts them in their district, both or neither, while
    /// that roll is the election's (`Precondition`); `Conflict` if they are on it.
    fn add_entry(&self, entry: &RollEntry) -> impl Future<Output = Result<(), PortError>> + Send;
    /// Removes a voter from a roll, and counts them out of their district, both or neither,
    /// while that roll is the election's (`Precondition`): `Ok(false)` if they are not on
    /// it; `Conflict` if they have voted.
    fn remove_entry(
        &self,
        election: &ElectionId,
        roll: &RollId,
        voter: &AccountId,
    ) -> impl Future<Output = Result<bool, PortError>> + Send;
}

/// Where a roll's file is uploaded to, and read back from.
/// A verifiable election's published record (docs/election-record.md, spec 10): its files,
/// written once the trustees' decryption is in, where anyone may download them.
pub trait RecordFiles: Send + Sync {
    /// Writes the file `name` (e.g. `ballots/cast-000000.json`) of the election's record;
    /// written again, it is the same file.
    fn put_record_file(
        &self,
        election: &ElectionId,
        name: &str,
        body: Vec<u8>,
    ) -> impl Future<Output = Result<(), PortError>> + Send;
    /// The file `name` of the election's record as written; `None` if it was never written.
    fn record_file(
        &self,
        election: &ElectionId,
        name: &str,
    ) -> impl Future<Output = Result<Option<Vec<u8>>, PortError>> + Send;
}

pub trait RollFiles: Send + Sync {
    /// An address the commission's browser may upload the file to, once, until `expires`.
    fn upload_url(
        &self,
        election: &ElectionId,
        roll: &RollId,
        expires: std::time::Duration,
    ) -> impl Future<Output = Result<String, PortError>> + Send;
    /// At most `max` bytes of the file from `offset` (fewer only at its end; none past it).
    fn read(
        &self,
        election: &ElectionId,
        roll: &RollId,
        offset: u64,
        max: u64,
    ) -> impl Future<Output = Result<Vec<u8>, PortError>> + Send;
    /// Deletes the file (it holds identity keys in the clear); deleting one that is gone
    /// is no error.
    fn remove(&self, election: &ElectionId, roll: &RollId) -> impl Future<Output = Result<(), PortError>> + Send;
}

/// One page of an election's ballots, and where the next page starts (`None`: the last).
#[derive(Clone, Debug, Default)]
pub struct BallotPage {
    pub ballots: Vec<Ballot>,
    /// The keys of items in the ballot box that do not read as ballots: never counted,
    /// never skipped in silence.
    pub unreadable: Vec<String>,
    pub next: Option<String>,
}

/// The ballot box is kept in parts that are read, and counted, apart: a recount reads
/// them all at once, and can spread them over workers.
pub trait BallotBox: Send + Sync {
    /// How many parts every election's ballots are kept in.
    fn parts(&self) -> u32;
    /// One part (below [`BallotBox::parts`]) of an election's ballots, a page at a time,
    /// strongly consistent: `after` is the previous page's `next`, `None` for the first.
    fn ballots(
        &self,
        election: &ElectionId,
        part: u32,
        after: Option<String>,
    ) -> impl Future<Output = Result<BallotPage, PortError>> + Send;
    /// How many items one part of an election's ballots holds, strongly consistent: counted
    /// where they are kept, none of them sent.
    fn ballot_count(&self, election: &ElectionId, part: u32) -> impl Future<Output = Result<u64, PortError>> + Send;
    /// Writes ballots in the order given (the mixer's), each marked with `batch`, the id of
    /// the batch it was mixed in (so that anyone can count each ballot's anonymity set).
    /// Each is keyed by its receipt, so a ballot written again is the same item: counted once.
    fn put_ballots(&self, batch: &str, ballots: &[Ballot]) -> impl Future<Output = Result<(), PortError>> + Send;
    /// Which of these receipts of an election have their ballot in the box.
    fn in_box(
        &self,
        election: &ElectionId,
        receipts: &[ReceiptId],
    ) -> impl Future<Output = Result<HashSet<ReceiptId>, PortError>> + Send;
}

/// What a verifiable election's board shows besides the box: its challenged ballots, kept
/// apart (never counted), and any ballot found by its receipt.
pub trait Board: Send + Sync {
    /// Puts a challenged ballot with its reveal on the board; put again, it is the same.
    fn put_challenged(
        &self,
        election: &ElectionId,
        receipt: &ReceiptId,
        spoiled: &SpoiledBallot,
    ) -> impl Future<Output = Result<(), PortError>> + Send;
    /// A page of the election's challenged ballots, and where the next starts.
    fn challenged(
        &self,
        election: &ElectionId,
        after: Option<String>,
    ) -> impl Future<Output = Result<(Vec<SpoiledBallot>, Option<String>), PortError>> + Send;
    /// The encrypted ballot in the box, or the challenged one, under this receipt.
    fn boarded(
        &self,
        election: &ElectionId,
        receipt: &ReceiptId,
    ) -> impl Future<Output = Result<Option<Boarded>, PortError>> + Send;
}

/// One of an election's mixing pools: where sealed ballots wait to be written to the box.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PoolId {
    pub election_id: ElectionId,
    pub number: u32,
}

impl PoolId {
    /// An election's pools, numbered from 0 below `count`.
    pub fn all(election: &ElectionId, count: u32) -> Vec<PoolId> {
        (0..count)
            .map(|number| PoolId {
                election_id: election.clone(),
                number,
            })
            .collect()
    }
}

/// An election marked as having ballots in a pool: the pools its copies went to since the
/// mark was last taken off, and the mark's version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Waiting {
    pub election_id: ElectionId,
    pub pools: Vec<PoolId>,
    pub version: String,
}

/// A sealed ballot waiting in a pool, and its key there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pooled {
    pub key: String,
    pub ballot: SealedBallot,
}

/// The mixer's pools: sealed ballots held apart from any voter until they are written to
/// the box in a batch.
pub trait MixPool: Send + Sync {
    /// Every pool an election's ballots may wait in.
    fn pools(&self, election: &ElectionId) -> Vec<PoolId>;
    /// Puts sealed ballots in pools (one of its election's, for all of a call's ballots: a
    /// ballot pooled again is the same item in the same pool), and marks their elections as
    /// waiting ([`MixPool::waiting`]); the pools they went to. `batch` is the smallest batch
    /// the mixer writes: an election's copies that are that many fill a pool by themselves,
    /// so they may go to any of its pools (at the peak, the writes spread over them all);
    /// fewer go to one of its first few pools, which then fill sooner.
    fn pool(
        &self,
        ballots: &[SealedBallot],
        batch: usize,
    ) -> impl Future<Output = Result<BTreeSet<PoolId>, PortError>> + Send;
    /// The elections marked as having ballots in a pool, with the pools marked.
    fn waiting(&self) -> impl Future<Output = Result<Vec<Waiting>, PortError>> + Send;
    /// Takes an election's mark off, unless a ballot was pooled since `version` was read.
    fn done_waiting(&self, election: &ElectionId, version: &str) -> impl Future<Output = Result<(), PortError>> + Send;
    /// Up to `max` of a pool's ballots, strongly consistent.
    fn pooled(&self, pool: &PoolId, max: usize) -> impl Future<Output = Result<Vec<Pooled>, PortError>> + Send;
    /// Takes the pool's lease for `holder` until `until`, unless another holds it at
    /// `now` (taking it again for the same holder succeeds): one flush of a pool at a time.
    /// Whether it was taken.
    fn lease(
        &self,
        pool: &PoolId,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool, PortError>> + Send;
    /// Gives the lease back, if `holder` still has it.
    fn release(&self, pool: &PoolId, holder: &str) -> impl Future<Output = Result<(), PortError>> + Send;
    /// Takes ballots out of a pool (their ballots are in the box).
    fn unpool(&self, pool: &PoolId, keys: &[String]) -> impl Future<Output = Result<(), PortError>> + Send;
}

pub trait ViewStore: Send + Sync {
    /// Applies the effects to a view, each exactly once: one whose guard is not met is
    /// skipped (its marker may be left as the guard says), and the rest are applied.
    fn apply(&self, view: View, effects: Vec<Effect>) -> impl Future<Output = Result<(), PortError>> + Send;
    /// Every dashboard row of an election's results (its own, its candidates', its vote
    /// counters, its certification), strongly consistent.
    fn election_rows(
        &self,
        election: &ElectionId,
    ) -> impl Future<Output = Result<Vec<(RowKey, Row)>, PortError>> + Send;
    /// An election's own dashboard rows (its own, its candidates', its certification),
    /// without its vote counters: one partition, strongly consistent.
    fn election_details(
        &self,
        election: &ElectionId,
    ) -> impl Future<Output = Result<Vec<(RowKey, Row)>, PortError>> + Send;
    /// Every turnout row of an election, strongly consistent.
    fn turnout_rows(&self, election: &ElectionId)
        -> impl Future<Output = Result<Vec<(RowKey, Row)>, PortError>> + Send;
    /// The rows with these keys; keys with no row are left out.
    fn rows(&self, view: View, keys: Vec<RowKey>)
        -> impl Future<Output = Result<Vec<(RowKey, Row)>, PortError>> + Send;
}

/// The event pipeline: the bus, its queues, and the recount's work queue.
pub trait EventBus: Send + Sync {
    /// Puts events on the bus in order. Returns how many of them, from the start, were
    /// accepted; fewer than all means the rest must be retried.
    fn publish(&self, events: &[DomainEvent]) -> impl Future<Output = Result<usize, PortError>> + Send;
    /// Keeps a record that cannot become an event (it does not read), whole, where an
    /// operator finds it and an alarm fires, so that the stream moves on without losing it.
    fn set_aside(&self, record: String) -> impl Future<Output = Result<(), PortError>> + Send;
    /// The queues of the pipeline (dead-letter queues included) where messages still wait,
    /// by name, with how many.
    fn backlog(&self) -> impl Future<Output = Result<Vec<(String, u64)>, PortError>> + Send;
    /// Hands each part of a certification's recount to a worker of its own, all or
    /// nothing known (an error: some may have been sent, and counting one twice is kept
    /// once).
    fn request_recounts(&self, parts: &[PartRecount]) -> impl Future<Output = Result<(), PortError>> + Send;
}

/// A verifiable election's key ceremony: its messages, each written once.
pub trait CeremonyStore: Send + Sync {
    /// Every message of the election's ceremony, strongly consistent.
    fn ceremony_messages(&self, election: &ElectionId) -> impl Future<Output = Result<Vec<Message>, PortError>> + Send;
    /// Stores a message unless its step and trustee have one: then answers that one.
    fn post_ceremony_message(
        &self,
        election: &ElectionId,
        message: &Message,
    ) -> impl Future<Output = Result<Option<Message>, PortError>> + Send;
    /// Starts the ceremony's next run with `trustees`, if it is still at run `from`
    /// (`Conflict` otherwise: another restart came first).
    fn restart_ceremony(
        &self,
        election: &ElectionId,
        from: u32,
        trustees: &[AccountId],
    ) -> impl Future<Output = Result<(), PortError>> + Send;
    /// Records on the election when its ceremony completed (the first time only).
    fn complete_ceremony(
        &self,
        election: &ElectionId,
        at: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), PortError>> + Send;
}

/// All the storage ports together, as one adapter provides them.
pub trait Store:
    ElectionStore
    + CandidateStore
    + PledgeStore
    + PublicReads
    + VoteStore
    + VoteLookups
    + BallotBox
    + MixPool
    + ViewStore
    + RollStore
    + CeremonyStore
    + BallotClaims
    + Board
{
}
impl<
        T: ElectionStore
            + CandidateStore
            + PledgeStore
            + PublicReads
            + VoteStore
            + VoteLookups
            + BallotBox
            + MixPool
            + ViewStore
            + RollStore
            + CeremonyStore
            + BallotClaims
            + Board,
    > Store for T
{
}
