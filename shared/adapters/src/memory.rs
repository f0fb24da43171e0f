//! The in-memory store, for unit tests: the same ports as the DynamoDB adapter, the same
//! conditional writes, and the views kept by applying the core's very effects to maps.

use crate::voter_id::VoterIdKey;
use chrono::{DateTime, Utc};
use election_core::domain::candidate::{Candidate, CandidateStatus};
use election_core::domain::ceremony::{Message, Step};
use election_core::domain::certification::PartRecount;
use election_core::domain::election::{Election, Verifiable};
use election_core::domain::ids::{CandidateId, ElectionId, PledgeId, ReceiptId};
use election_core::domain::pledge::Pledge;
use election_core::domain::roll::{EntrySource, EntryWrite, IdentityKey, ImportState, Roll, RollEntry, RollId};
use election_core::domain::text::AccountId;
use election_core::domain::vote::{coarse, Ballot, BallotChecks, Choice, Mark, Participation, Sealed, SealedBallot};
use election_core::domain_events::{DomainEvent, VoterTurnedOut};
use election_core::ports::{
    BallotBox, BallotClaims, BallotPage, BallotSealer, Board, CandidateStore, CeremonyStore, ChoiceSealer, Claim,
    ElectionStore, EventBus, MixPool, PledgeStore, PoolId, Pooled, PublicReads, RecordFiles, RollFiles, RollStore,
    ViewStore, VoteLookups, VoteStore, VoteWrite, VoterKeys, Waiting,
};
use election_core::problem::PortError;
use election_core::projection::{marker_row, marker_state, merge, number, Effect, Row, RowKey, View};
use election_core::use_cases::board::Boarded;
use election_core::use_cases::key_ceremony;
use election_core::use_cases::mix_ballots::MixCopy;
use election_crypto::ballot::SpoiledBallot;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

/// Everything the in-memory store holds; compare two snapshots to prove nothing was written.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    pub elections: BTreeMap<ElectionId, Election>,
    pub candidates: BTreeMap<CandidateId, Candidate>,
    pub pledges: BTreeMap<(CandidateId, PledgeId), Pledge>,
    /// Roll entries by (election, roll, voter): each with its participation once it voted.
    pub entries: BTreeMap<(ElectionId, RollId, String), (RollEntry, Option<Participation>)>,
    /// The versions of rolls, by (election, roll).
    pub rolls: BTreeMap<(ElectionId, RollId), Roll>,
    /// The mixer's copies still on participations, by entry (as `entries`).
    pub mix_copies: BTreeMap<(ElectionId, RollId, String), MixCopy>,
    /// The mixer's pools: sealed ballots by their key in the pool.
    pub pools: BTreeMap<PoolId, BTreeMap<String, SealedBallot>>,
    /// Pools' leases: holder and until when.
    pub leases: BTreeMap<PoolId, (String, DateTime<Utc>)>,
    /// The elections marked as having ballots in a pool, with the mark's version.
    pub waiting: BTreeMap<ElectionId, (String, BTreeSet<u32>)>,
    /// The ballot box, by receipt.
    pub ballots: BTreeMap<String, Ballot>,
    /// Encrypted ballots' claims: tag → owner.
    pub claims: BTreeMap<String, String>,
    /// Challenged ballots on the boards, by election and receipt.
    pub challenged: BTreeMap<(ElectionId, String), SpoiledBallot>,
    /// Receipt → the batch its ballot was mixed in.
    pub ballot_batches: BTreeMap<String, String>,
    /// The views' rows, markers included, by view and key.
    pub rows: BTreeMap<(View, RowKey), Row>,
    /// Key ceremonies' messages by (election, attempt, step, trustee).
    pub ceremony: BTreeMap<(ElectionId, u32, Step, u32), Message>,
}

#[derive(Debug, Default)]
pub struct InMemoryStore {
    state: Mutex<Snapshot>,
    /// What the mixer's requests listed, in order, as a data-event trail would show them
    /// (not what the store holds: no part of a snapshot).
    mixer_requests: Mutex<Vec<MixerRequest>>,
}

/// One request of the mixer's, as the in-memory store saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MixerRequest {
    InBox(Vec<String>),
    PutBallots(Vec<String>),
    Unpool(Vec<String>),
}

impl InMemoryStore {
    fn state(&self) -> MutexGuard<'_, Snapshot> {
        // A panic while holding the lock leaves plain data behind; keep using it.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn snapshot(&self) -> Snapshot {
        self.state().clone()
    }

    /// The receipts the mixer asked of the box and wrote to it, and the pool keys it took
    /// out, request by request.
    pub fn mixer_requests(&self) -> Vec<MixerRequest> {
        self.mixer_requests.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn saw(&self, request: MixerRequest) {
        self.mixer_requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(request);
    }
}

/// The candidate must be registered in the election (the DynamoDB adapter's condition check).
fn candidate_stands(state: &Snapshot, candidate: &CandidateId, election: &ElectionId) -> Result<(), PortError> {
    match state.candidates.get(candidate) {
        Some(c) if c.status == CandidateStatus::Registered && &c.election_id == election => Ok(()),
        _ => Err(PortError::Precondition),
    }
}

/// The candidate as read: its pledge count lives on its item, which the pledge counter
/// writes as a view row.
fn with_pledge_count(state: &Snapshot, candidate: &Candidate) -> Candidate {
    let key = RowKey::CandidateRecord(candidate.id.clone());
    let count = state
        .rows
        .get(&(View::Candidates, key))
        .and_then(|row| number(row, "pledgeCount"));
    Candidate {
        pledge_count: count.unwrap_or(candidate.pledge_count),
        ..candidate.clone()
    }
}

impl ElectionStore for InMemoryStore {
    async fn insert_election(&self, election: &Election) -> Result<(), PortError> {
        let mut state = self.state();
        if state.elections.contains_key(&election.id) {
            return Err(PortError::Conflict);
        }
        state.elections.insert(election.id.clone(), election.clone());
        Ok(())
    }

    async fn elections(&self) -> Result<Vec<Election>, PortError> {
        let mut elections: Vec<Election> = self.state().elections.values().cloned().collect();
        elections.sort_by_key(|e| (e.window.starts_at(), e.id.clone()));
        Ok(elections)
    }

    async fn election(&self, id: &ElectionId) -> Result<Option<Election>, PortError> {
        Ok(self.state().elections.get(id).cloned())
    }
}

/// A verifiable election's trustees and ceremony state, to change.
fn verifiable_of<'a>(state: &'a mut Snapshot, election: &ElectionId) -> Result<&'a mut Verifiable, PortError> {
    state
        .elections
        .get_mut(election)
        .and_then(|e| e.verifiable.as_mut())
        .ok_or(PortError::Precondition)
}

impl CeremonyStore for InMemoryStore {
    async fn ceremony_messages(&self, election: &ElectionId) -> Result<Vec<Message>, PortError> {
        let state = self.state();
        let of_election = state.ceremony.iter().filter(|((e, _, _, _), _)| e == election);
        Ok(of_election.map(|(_, m)| m.clone()).collect())
    }

    async fn post_ceremony_message(
        &self,
        election: &ElectionId,
        message: &Message,
    ) -> Result<Option<Message>, PortError> {
        let mut state = self.state();
        let key = (election.clone(), message.attempt, message.step, message.trustee);
        if let Some(earlier) = state.ceremony.get(&key) {
            return Ok(Some(earlier.clone()));
        }
        state.ceremony.insert(key, message.clone());
        Ok(None)
    }

    async fn restart_ceremony(
        &self,
        election: &ElectionId,
        from: u32,
        trustees: &[AccountId],
    ) -> Result<(), PortError> {
        let mut state = self.state();
        let verifiable = verifiable_of(&mut state, election)?;
        if verifiable.attempt != from {
            return Err(PortError::Conflict);
        }
        verifiable.attempt = from + 1;
        verifiable.trustees = trustees.to_vec();
        Ok(())
    }

    async fn complete_ceremony(&self, election: &ElectionId, at: DateTime<Utc>) -> Result<(), PortError> {
        let mut state = self.state();
        let verifiable = verifiable_of(&mut state, election)?;
        verifiable.ceremony_completed_at.get_or_insert(at);
        Ok(())
    }
}

impl CandidateStore for InMemoryStore {
    async fn insert_candidate(&self, candidate: &Candidate) -> Result<(), PortError> {
        let mut state = self.state();
        let clash = state
            .candidates
            .values()
            .any(|c| c.election_id == candidate.election_id && c.ballot_number == candidate.ballot_number);
        if clash || state.candidates.contains_key(&candidate.id) {
            return Err(PortError::Conflict);
        }
        state.candidates.insert(candidate.id.clone(), candidate.clone());
        Ok(())
    }

    async fn candidate(&self, id: &CandidateId) -> Result<Option<Candidate>, PortError> {
        let state = self.state();
        Ok(state.candidates.get(id).map(|c| with_pledge_count(&state, c)))
    }

    async fn candidates_in(&self, election_id: &ElectionId) -> Result<Vec<Candidate>, PortError> {
        let state = self.state();
        let mut found: Vec<Candidate> = state
            .candidates
            .values()
            .filter(|c| &c.election_id == election_id)
            .map(|c| with_pledge_count(&state, c))
            .collect();
        found.sort_by_key(|c| c.ballot_number);
        Ok(found)
    }

    async fn withdraw_candidate(&self, id: &CandidateId, _at: DateTime<Utc>, _by: &AccountId) -> Result<(), PortError> {
        match self.state().candidates.get_mut(id) {
            Some(c) if c.status == CandidateStatus::Registered => {
                c.status = CandidateStatus::Withdrawn;
                Ok(())
            }
            _ => Err(PortError::Conflict),
        }
    }
}

impl PledgeStore for InMemoryStore {
    async fn insert_pledge(&self, pledge: &Pledge) -> Result<(), PortError> {
        let key = (pledge.candidate_id.clone(), pledge.id.clone());
        let mut state = self.state();
        candidate_stands(&state, &pledge.candidate_id, &pledge.election_id)?;
        if state.pledges.contains_key(&key) {
            return Err(PortError::Conflict);
        }
        state.pledges.insert(key, pledge.clone());
        Ok(())
    }

    async fn delete_pledge(&self, candidate_id: &CandidateId, pledge_id: &PledgeId) -> Result<(), PortError> {
        let key = (candidate_id.clone(), pledge_id.clone());
        self.state().pledges.remove(&key).map(|_| ()).ok_or(PortError::Conflict)
    }

    async fn pledges(&self, candidate_id: &CandidateId) -> Result<Vec<Pledge>, PortError> {
        let mut found: Vec<Pledge> = self
            .state()
            .pledges
            .values()
            .filter(|p| &p.candidate_id == candidate_id)
            .cloned()
            .collect();
        found.sort_by_key(|p| p.added_at);
        Ok(found)
    }
}

/// Always fresh: the in-memory store is never behind.
impl PublicReads for InMemoryStore {
    async fn public_election(&self, id: &ElectionId) -> Result<Option<Election>, PortError> {
        self.election(id).await
    }

    async fn public_pledges(&self, candidate_id: &CandidateId) -> Result<Vec<Pledge>, PortError> {
        self.pledges(candidate_id).await
    }
}

/// Always fresh: the in-memory store has nothing to spare.
impl VoteLookups for InMemoryStore {
    async fn recent_election(&self, id: &ElectionId) -> Result<Option<Election>, PortError> {
        self.election(id).await
    }

    async fn recent_candidate(&self, id: &CandidateId) -> Result<Option<Candidate>, PortError> {
        self.candidate(id).await
    }

    async fn ballot_checks(&self, election: &Election) -> Result<Option<Arc<BallotChecks>>, PortError> {
        Ok(key_ceremony::ballot_checks(self, election).await?.map(Arc::new))
    }
}

impl Board for InMemoryStore {
    async fn put_challenged(
        &self,
        election: &ElectionId,
        receipt: &ReceiptId,
        spoiled: &SpoiledBallot,
    ) -> Result<(), PortError> {
        self.state()
            .challenged
            .insert((election.clone(), receipt.to_string()), spoiled.clone());
        Ok(())
    }

    /// All on one page.
    async fn challenged(
        &self,
        election: &ElectionId,
        _after: Option<String>,
    ) -> Result<(Vec<SpoiledBallot>, Option<String>), PortError> {
        let state = self.state();
        let ballots = state
            .challenged
            .iter()
            .filter(|((e, _), _)| e == election)
            .map(|(_, spoiled)| spoiled.clone())
            .collect();
        Ok((ballots, None))
    }

    async fn boarded(&self, election: &ElectionId, receipt: &ReceiptId) -> Result<Option<Boarded>, PortError> {
        let state = self.state();
        let key = receipt.to_string();
        if let Some(Mark::Encrypted(ballot)) = state
            .ballots
            .get(&key)
            .filter(|b| &b.election_id == election)
            .map(|b| &b.mark)
        {
            return Ok(Some(Boarded::Cast {
                ballot: (**ballot).clone(),
            }));
        }
        Ok(state
            .challenged
            .get(&(election.clone(), key))
            .map(|spoiled| Boarded::Challenged(spoiled.clone())))
    }
}

impl BallotClaims for InMemoryStore {
    async fn claim(&self, tags: &[String], owner: &str) -> Result<Claim, PortError> {
        let mut state = self.state();
        if tags
            .iter()
            .any(|tag| state.claims.get(tag).is_some_and(|holder| holder != owner))
        {
            return Ok(Claim::Taken);
        }
        for tag in tags {
            state.claims.insert(tag.clone(), owner.to_owned());
        }
        Ok(Claim::Held)
    }
}

impl InMemoryStore {
    /// The mixer's copies still on participations, as the participation stream hands them
    /// over.
    pub fn mix_copies(&self) -> Vec<MixCopy> {
        self.state().mix_copies.values().cloned().collect()
    }

    /// The batches the mixer wrote, by id: their ballots' receipts.
    pub fn ballot_batches(&self) -> BTreeMap<String, Vec<String>> {
        let mut batches: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (receipt, batch) in &self.state().ballot_batches {
            batches.entry(batch.clone()).or_default().push(receipt.clone());
        }
        batches
    }

    /// What the participation stream raises for the votes stored: one `VoterTurnedOut`
    /// each, named by its entry, so that raising them again changes nothing.
    pub fn turnout_events(&self) -> Vec<DomainEvent> {
        self.state()
            .entries
            .iter()
            .filter_map(|((election, roll, voter), (entry, voted))| {
                let voted = voted.as_ref()?;
                Some(DomainEvent::VoterTurnedOut(VoterTurnedOut {
                    event_id: format!("VoterTurnedOut-{election}-{roll}-{voter}"),
                    occurred_at: coarse(voted.voted_at),
                    election_id: election.clone(),
                    district: entry.district.clone(),
                }))
            })
            .collect()
    }

    /// The participations: the entries that have voted.
    pub fn participations_stored(&self) -> Vec<Participation> {
        self.state()
            .entries
            .values()
            .filter_map(|(_, voted)| voted.clone())
            .collect()
    }
}

fn entry_key(election: &ElectionId, roll: &RollId, voter: &AccountId) -> (ElectionId, RollId, String) {
    (election.clone(), roll.clone(), voter.as_str().to_owned())
}

impl VoteStore for InMemoryStore {
    async fn insert_vote(
        &self,
        participation: &Participation,
        mix_copy: &SealedBallot,
    ) -> Result<VoteWrite, PortError> {
        // Like DynamoDB, no check of the candidate's item: the use case checked its lookup.
        let mut state = self.state();
        let key = entry_key(&participation.election_id, &participation.roll, &participation.voter);
        let Some((_, voted)) = state.entries.get_mut(&key) else {
            return Ok(VoteWrite::NotOnRoll);
        };
        if let Some(earlier) = voted {
            return Ok(VoteWrite::Voted(earlier.clone()));
        }
        *voted = Some(participation.clone());
        let copy = MixCopy {
            voter: participation.voter.clone(),
            roll: participation.roll.clone(),
            ballot: mix_copy.clone(),
        };
        state.mix_copies.insert(key, copy);
        Ok(VoteWrite::Stored)
    }

    async fn forget_mix_copy(&self, voter: &AccountId, election: &ElectionId, roll: &RollId) -> Result<(), PortError> {
        self.state().mix_copies.remove(&entry_key(election, roll, voter));
        Ok(())
    }

    async fn participation(
        &self,
        voter: &AccountId,
        election: &ElectionId,
        roll: &RollId,
    ) -> Result<Option<Participation>, PortError> {
        let key = entry_key(election, roll, voter);
        Ok(self.state().entries.get(&key).and_then(|(_, voted)| voted.clone()))
    }

    async fn participations(&self, voter: &AccountId) -> Result<Vec<Participation>, PortError> {
        Ok(self
            .participations_stored()
            .into_iter()
            .filter(|p| &p.voter == voter)
            .collect())
    }
}

impl RollStore for InMemoryStore {
    async fn insert_roll(&self, roll: &Roll) -> Result<(), PortError> {
        let mut state = self.state();
        let key = (roll.election_id.clone(), roll.id.clone());
        if state.rolls.contains_key(&key) {
            return Err(PortError::Conflict);
        }
        state.rolls.insert(key, roll.clone());
        Ok(())
    }

    async fn roll(&self, election: &ElectionId, id: &RollId) -> Result<Option<Roll>, PortError> {
        Ok(self.state().rolls.get(&(election.clone(), id.clone())).cloned())
    }

    async fn put_entries(&self, entries: &[RollEntry]) -> Result<Vec<EntryWrite>, PortError> {
        let mut state = self.state();
        Ok(entries
            .iter()
            .map(|entry| {
                let key = entry_key(&entry.election_id, &entry.roll, &entry.voter);
                match state.entries.get(&key) {
                    Some((there, _)) if there.source == entry.source => EntryWrite::Written,
                    Some((there, _)) => EntryWrite::Duplicate {
                        of_line: match there.source {
                            EntrySource::Line(line) => Some(line),
                            EntrySource::Correction => None,
                        },
                    },
                    None => {
                        state.entries.insert(key, (entry.clone(), None));
                        EntryWrite::Written
                    }
                }
            })
            .collect())
    }

    async fn save_progress(&self, roll: &Roll, expected_next_line: u64) -> Result<(), PortError> {
        let mut state = self.state();
        let key = (roll.election_id.clone(), roll.id.clone());
        match state.rolls.get(&key) {
            Some(saved)
                if saved.next_line == expected_next_line
                    && matches!(saved.state, ImportState::AwaitingUpload | ImportState::Importing) =>
            {
                state.rolls.insert(key, roll.clone());
                Ok(())
            }
            _ => Err(PortError::Conflict),
        }
    }

    async fn adopt_roll(&self, roll: &Roll, expected_next_line: u64) -> Result<(), PortError> {
        {
            let state = self.state();
            let election = state.elections.get(&roll.election_id).ok_or(PortError::Conflict)?;
            let in_force = state.rolls.get(&(roll.election_id.clone(), election.roll.clone()));
            if election.roll != RollId::initial() && in_force.is_some_and(|r| r.started_at >= roll.started_at) {
                return Err(PortError::Precondition);
            }
        }
        self.save_progress(roll, expected_next_line).await?;
        let mut state = self.state();
        if let Some(election) = state.elections.get_mut(&roll.election_id) {
            election.roll = roll.id.clone();
        }
        Ok(())
    }

    async fn add_entry(&self, entry: &RollEntry) -> Result<(), PortError> {
        let mut state = self.state();
        in_force(&state, &entry.election_id, &entry.roll)?;
        let key = entry_key(&entry.election_id, &entry.roll, &entry.voter);
        if state.entries.contains_key(&key) {
            return Err(PortError::Conflict);
        }
        state.entries.insert(key, (entry.clone(), None));
        let roll = roll_to_count(&mut state, &entry.election_id, &entry.roll);
        *roll.districts.entry(entry.district.clone()).or_default() += 1;
        Ok(())
    }

    async fn remove_entry(&self, election: &ElectionId, roll: &RollId, voter: &AccountId) -> Result<bool, PortError> {
        let mut state = self.state();
        in_force(&state, election, roll)?;
        let key = entry_key(election, roll, voter);
        let district = match state.entries.get(&key) {
            None => return Ok(false),
            Some((_, Some(_))) => return Err(PortError::Conflict),
            Some((entry, None)) => entry.district.clone(),
        };
        state.entries.remove(&key);
        let roll = roll_to_count(&mut state, election, roll);
        if let Some(count) = roll.districts.get_mut(&district) {
            *count = count.saturating_sub(1);
        }
        Ok(true)
    }
}

/// `Precondition` unless `roll` is the election's roll in force (the initial roll is, as
/// DynamoDB's check finds it, while the election has adopted no other).
fn in_force(state: &Snapshot, election: &ElectionId, roll: &RollId) -> Result<(), PortError> {
    let in_force = state
        .elections
        .get(election)
        .map_or_else(RollId::initial, |e| e.roll.clone());
    match &in_force == roll {
        true => Ok(()),
        false => Err(PortError::Precondition),
    }
}

/// A roll's record, made if it has none (the initial roll has none until corrected).
fn roll_to_count<'a>(state: &'a mut Snapshot, election: &ElectionId, roll: &RollId) -> &'a mut Roll {
    let registered_by = state
        .elections
        .get(election)
        .map(|e| e.registered_by.clone())
        .unwrap_or_else(|| AccountId::parse("commission").unwrap_or_else(|_| unreachable!()));
    state.rolls.entry((election.clone(), roll.clone())).or_insert_with(|| {
        Roll::new(
            election.clone(),
            roll.clone(),
            ImportState::Done,
            registered_by,
            Utc::now(),
        )
    })
}

/// Roll files in memory, by (election, roll).
#[derive(Debug, Default)]
pub struct InMemoryFiles {
    files: Mutex<BTreeMap<(ElectionId, RollId), Vec<u8>>>,
    records: Mutex<BTreeMap<(ElectionId, String), Vec<u8>>>,
}

impl RecordFiles for InMemoryFiles {
    async fn put_record_file(&self, election: &ElectionId, name: &str, body: Vec<u8>) -> Result<(), PortError> {
        self.records
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert((election.clone(), name.to_owned()), body);
        Ok(())
    }

    async fn record_file(&self, election: &ElectionId, name: &str) -> Result<Option<Vec<u8>>, PortError> {
        Ok(self
            .records
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(&(election.clone(), name.to_owned()))
            .cloned())
    }
}

impl InMemoryFiles {
    /// Puts a roll's file where [`RollFiles::read`] finds it, as an upload would.
    pub fn upload(&self, election: &ElectionId, roll: &RollId, file: &[u8]) {
        self.files
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert((election.clone(), roll.clone()), file.to_vec());
    }
}

impl RollFiles for InMemoryFiles {
    async fn upload_url(
        &self,
        election: &ElectionId,
        roll: &RollId,
        _: std::time::Duration,
    ) -> Result<String, PortError> {
        Ok(format!("memory://rolls/{election}/{roll}.csv"))
    }

    async fn read(&self, election: &ElectionId, roll: &RollId, offset: u64, max: u64) -> Result<Vec<u8>, PortError> {
        let files = self.files.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let file = files
            .get(&(election.clone(), roll.clone()))
            .ok_or_else(|| PortError::Internal("no such roll file".into()))?;
        let start = usize::try_from(offset).unwrap_or(usize::MAX).min(file.len());
        let end = start
            .saturating_add(usize::try_from(max).unwrap_or(usize::MAX))
            .min(file.len());
        Ok(file[start..end].to_vec())
    }

    async fn remove(&self, election: &ElectionId, roll: &RollId) -> Result<(), PortError> {
        self.files
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(&(election.clone(), roll.clone()));
        Ok(())
    }
}

impl InMemoryFiles {
    /// Whether the roll's file is still there.
    pub fn holds(&self, election: &ElectionId, roll: &RollId) -> bool {
        self.files
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .contains_key(&(election.clone(), roll.clone()))
    }
}

/// Parts of the in-memory ballot box: a few, so that the tests read more than one.
const BALLOT_BOX_PARTS: u32 = 4;

impl BallotBox for InMemoryStore {
    fn parts(&self) -> u32 {
        BALLOT_BOX_PARTS
    }

    async fn ballots(&self, election: &ElectionId, part: u32, _after: Option<String>) -> Result<BallotPage, PortError> {
        Ok(BallotPage {
            ballots: self
                .state()
                .ballots
                .values()
                .filter(|b| &b.election_id == election)
                .filter(|b| (b.receipt_id.as_u128() % u128::from(BALLOT_BOX_PARTS)) as u32 == part)
                .cloned()
                .collect(),
            ..BallotPage::default()
        })
    }

    async fn ballot_count(&self, election: &ElectionId, part: u32) -> Result<u64, PortError> {
        Ok(self.ballots(election, part, None).await?.ballots.len() as u64)
    }

    async fn put_ballots(&self, batch: &str, ballots: &[Ballot]) -> Result<(), PortError> {
        self.saw(MixerRequest::PutBallots(
            ballots.iter().map(|b| b.receipt_id.to_string()).collect(),
        ));
        let mut state = self.state();
        for ballot in ballots {
            state.ballots.insert(ballot.receipt_id.to_string(), ballot.clone());
            state
                .ballot_batches
                .insert(ballot.receipt_id.to_string(), batch.to_owned());
        }
        Ok(())
    }

    async fn in_box(&self, election: &ElectionId, receipts: &[ReceiptId]) -> Result<HashSet<ReceiptId>, PortError> {
        self.saw(MixerRequest::InBox(receipts.iter().map(ToString::to_string).collect()));
        let state = self.state();
        Ok(receipts
            .iter()
            .filter(|r| {
                state
                    .ballots
                    .get(&r.to_string())
                    .is_some_and(|b| &b.election_id == election)
            })
            .cloned()
            .collect())
    }
}

/// Pools of an in-memory election: two, so that the tests see more than one.
const MIX_POOLS: u32 = 2;

impl MixPool for InMemoryStore {
    fn pools(&self, election: &ElectionId) -> Vec<PoolId> {
        PoolId::all(election, MIX_POOLS)
    }

    /// Two pools whatever the call's size: the rule of many pools is the DynamoDB store's.
    async fn pool(&self, ballots: &[SealedBallot], _batch: usize) -> Result<BTreeSet<PoolId>, PortError> {
        let mut state = self.state();
        let mut pools = BTreeSet::new();
        for ballot in ballots {
            let key = crate::mix_copy::pooled_key(&ballot.sealed);
            let pool = PoolId {
                election_id: ballot.election_id.clone(),
                number: u32::from(key.as_bytes()[0]) % MIX_POOLS,
            };
            state.pools.entry(pool.clone()).or_default().insert(key, ballot.clone());
            let mark = state.waiting.entry(ballot.election_id.clone()).or_default();
            mark.0 = uuid::Uuid::new_v4().to_string();
            mark.1.insert(pool.number);
            pools.insert(pool);
        }
        Ok(pools)
    }

    async fn waiting(&self) -> Result<Vec<Waiting>, PortError> {
        Ok(self
            .state()
            .waiting
            .iter()
            .map(|(election, (version, pools))| Waiting {
                election_id: election.clone(),
                pools: pools
                    .iter()
                    .map(|&number| PoolId {
                        election_id: election.clone(),
                        number,
                    })
                    .collect(),
                version: version.clone(),
            })
            .collect())
    }

    async fn done_waiting(&self, election: &ElectionId, version: &str) -> Result<(), PortError> {
        let mut state = self.state();
        if state.waiting.get(election).is_some_and(|(v, _)| v == version) {
            state.waiting.remove(election);
        }
        Ok(())
    }

    async fn pooled(&self, pool: &PoolId, max: usize) -> Result<Vec<Pooled>, PortError> {
        Ok(self
            .state()
            .pools
            .get(pool)
            .into_iter()
            .flatten()
            .take(max)
            .map(|(key, ballot)| Pooled {
                key: key.clone(),
                ballot: ballot.clone(),
            })
            .collect())
    }

    async fn lease(
        &self,
        pool: &PoolId,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, PortError> {
        let mut state = self.state();
        if state
            .leases
            .get(pool)
            .is_some_and(|(held_by, held_until)| *held_until > now && held_by != holder)
        {
            return Ok(false);
        }
        state.leases.insert(pool.clone(), (holder.to_owned(), until));
        Ok(true)
    }

    async fn release(&self, pool: &PoolId, holder: &str) -> Result<(), PortError> {
        let mut state = self.state();
        if state.leases.get(pool).is_some_and(|(held_by, _)| held_by == holder) {
            state.leases.remove(pool);
        }
        Ok(())
    }

    async fn unpool(&self, pool: &PoolId, keys: &[String]) -> Result<(), PortError> {
        self.saw(MixerRequest::Unpool(keys.to_vec()));
        let mut state = self.state();
        if let Some(pooled) = state.pools.get_mut(pool) {
            for key in keys {
                pooled.remove(key);
            }
        }
        Ok(())
    }
}

impl ViewStore for InMemoryStore {
    async fn apply(&self, view: View, effects: Vec<Effect>) -> Result<(), PortError> {
        let mut state = self.state();
        let mut applied = Vec::new();
        for mut effect in effects {
            if let Some(unless) = effect.unless.take() {
                let has = state
                    .rows
                    .get(&(view, unless.row.clone()))
                    .is_some_and(|row| row.contains_key(unless.attribute));
                if has {
                    effect = *unless.instead;
                }
            }
            let key = effect.guard.key().clone();
            let marker = state.rows.get(&(view, key.clone())).and_then(marker_state);
            let decision = effect.guard.decide(marker);
            if let Some(new_state) = decision.marker {
                state.rows.insert((view, key.clone()), marker_row(new_state));
            }
            if decision.apply {
                applied.push(effect);
            }
        }
        for (key, change) in merge(&applied) {
            let row = state.rows.entry((view, key)).or_default();
            change.apply_to(row);
        }
        Ok(())
    }

    async fn election_rows(&self, election: &ElectionId) -> Result<Vec<(RowKey, Row)>, PortError> {
        let state = self.state();
        Ok(state
            .rows
            .iter()
            .filter(|((view, key), _)| *view == View::Dashboard && key.election() == Some(election))
            .map(|((_, key), row)| (key.clone(), row.clone()))
            .collect())
    }

    async fn election_details(&self, election: &ElectionId) -> Result<Vec<(RowKey, Row)>, PortError> {
        Ok(self
            .election_rows(election)
            .await?
            .into_iter()
            .filter(|(key, _)| !matches!(key, RowKey::Votes(..)))
            .collect())
    }

    async fn turnout_rows(&self, election: &ElectionId) -> Result<Vec<(RowKey, Row)>, PortError> {
        let state = self.state();
        Ok(state
            .rows
            .iter()
            .filter(|((view, key), _)| {
                *view == View::Dashboard && matches!(key, RowKey::Turnout(e, ..) if e == election)
            })
            .map(|((_, key), row)| (key.clone(), row.clone()))
            .collect())
    }

    async fn rows(&self, view: View, keys: Vec<RowKey>) -> Result<Vec<(RowKey, Row)>, PortError> {
        let state = self.state();
        Ok(keys
            .into_iter()
            .filter_map(|key| Some((key.clone(), state.rows.get(&(view, key))?.clone())))
            .collect())
    }
}

/// A sealer for tests: the choice in the clear, bound to its voter and election, so that
/// it opens for them only, as KMS's encryption context makes it.
#[derive(Debug, Default)]
pub struct TestSealer;

fn binding(voter: &AccountId, election: &ElectionId) -> Vec<u8> {
    format!("{election}\n{}", voter.as_str()).into_bytes()
}

/// The key test voter ids are made under: fixed, so that tests can make them too.
pub const TEST_VOTER_ID_KEY: [u8; 32] = [42; 32];

impl VoterKeys for TestSealer {
    async fn voter_id(&self, identity: &IdentityKey) -> Result<AccountId, PortError> {
        Ok(VoterIdKey::new(&TEST_VOTER_ID_KEY)?.voter_id(identity))
    }

    async fn claim_tag(&self, parts: &[&[u8]]) -> Result<String, PortError> {
        Ok(VoterIdKey::new(&TEST_VOTER_ID_KEY)?.claim_tag(parts))
    }
}

impl ChoiceSealer for TestSealer {
    async fn seal(&self, voter: &AccountId, election: &ElectionId, choice: &Choice) -> Result<Sealed, PortError> {
        Ok(Sealed {
            sealed_key: binding(voter, election),
            ciphertext: serde_json::to_vec(choice).map_err(|e| PortError::Internal(e.to_string()))?,
        })
    }

    async fn open(&self, voter: &AccountId, election: &ElectionId, sealed: &Sealed) -> Result<Choice, PortError> {
        if sealed.sealed_key != binding(voter, election) {
            return Err(PortError::Internal("sealed for another voter or election".into()));
        }
        serde_json::from_slice(&sealed.ciphertext).map_err(|e| PortError::Internal(e.to_string()))
    }
}

/// The mixer's copy, bound to its election only: it opens under the mix key, for any voter.
fn mix_binding(election: &ElectionId) -> Vec<u8> {
    format!("mix\n{election}").into_bytes()
}

impl BallotSealer for TestSealer {
    async fn seal_ballot(&self, ballot: &Ballot) -> Result<SealedBallot, PortError> {
        // A random prefix, as a real seal's nonce: two copies never seal to the same bytes.
        let mut ciphertext = uuid::Uuid::new_v4().as_bytes().to_vec();
        ciphertext.extend(crate::mix_copy::to_bytes(ballot)?);
        Ok(SealedBallot {
            election_id: ballot.election_id.clone(),
            sealed: Sealed {
                sealed_key: mix_binding(&ballot.election_id),
                ciphertext,
            },
        })
    }

    async fn open_ballot(&self, sealed: &SealedBallot) -> Result<Ballot, PortError> {
        if sealed.sealed.sealed_key != mix_binding(&sealed.election_id) || sealed.sealed.ciphertext.len() < 16 {
            return Err(PortError::Internal("sealed for another election".into()));
        }
        crate::mix_copy::from_bytes(&sealed.election_id, &sealed.sealed.ciphertext[16..])
    }
}

/// A bus that records what it is given.
#[derive(Debug, Default)]
pub struct RecordingBus {
    published: Mutex<Vec<DomainEvent>>,
    set_aside: Mutex<Vec<String>>,
    recounts: Mutex<Vec<PartRecount>>,
    /// What `backlog` answers: messages said to wait in the pipeline.
    pub waiting: std::sync::atomic::AtomicU64,
    /// Whether the recount queue refuses parts (as an unreachable queue would).
    pub refuses_recounts: std::sync::atomic::AtomicBool,
}

impl RecordingBus {
    pub fn published(&self) -> Vec<DomainEvent> {
        self.published.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn set_aside(&self) -> Vec<String> {
        self.set_aside.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The recount parts requested, and not yet taken.
    pub fn take_recounts(&self) -> Vec<PartRecount> {
        std::mem::take(&mut *self.recounts.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

impl EventBus for RecordingBus {
    async fn publish(&self, events: &[DomainEvent]) -> Result<usize, PortError> {
        self.published
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(events);
        Ok(events.len())
    }

    async fn set_aside(&self, record: String) -> Result<(), PortError> {
        self.set_aside.lock().unwrap_or_else(|p| p.into_inner()).push(record);
        Ok(())
    }

    async fn backlog(&self) -> Result<Vec<(String, u64)>, PortError> {
        let waiting = self.waiting.load(std::sync::atomic::Ordering::Relaxed);
        Ok(if waiting > 0 {
            vec![("queue".into(), waiting)]
        } else {
            vec![]
        })
    }

    async fn request_recounts(&self, parts: &[PartRecount]) -> Result<(), PortError> {
        if self.refuses_recounts.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(PortError::Unavailable("the recount queue is unreachable".into()));
        }
        self.recounts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(parts);
        Ok(())
    }
}
