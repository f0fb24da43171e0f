//! An election's roll (commission): its upload, the import of its file, its progress and
//! refused rows, and its corrections. Every change ends when voting opens
//! ([`Bounds::roll_changes_until`]).

use super::authorize;
use crate::auth::{Caller, Role};
use crate::bounds::Bounds;
use crate::clock::Clock;
use crate::domain::election::Election;
use crate::domain::ids::ElectionId;
use crate::domain::roll::{
    parse_row, District, EntrySource, EntryWrite, IdentityKey, ImportState, RefusedRow, Roll, RollEntry, RollId,
};
use crate::domain::text::AccountId;
use crate::ports::{ElectionStore, RollFiles, RollStore, VoterKeys};
use crate::problem::{AppError, Code, PortError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::time::Duration;

pub const MAY: &[Role] = &[Role::Commission];

/// How long an upload address stays good.
pub const UPLOAD_EXPIRES: Duration = Duration::from_secs(15 * 60);
/// How much of a roll file an import reads and saves at a time: its checkpoint. A row longer
/// than this is refused.
pub const CHUNK_BYTES: u64 = 1 << 20;
/// How many corrections one request may carry.
pub const MAX_CORRECTIONS: usize = 100;

/// A version of a roll as the commission sees it: its import's progress and refused rows,
/// and its voters by district.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RollView {
    pub election_id: ElectionId,
    pub roll_id: RollId,
    pub state: ImportState,
    /// Whether it is the election's roll now.
    pub in_force: bool,
    pub rows_done: u64,
    pub rows_refused: u64,
    /// The first refused rows, by line.
    pub refused: Vec<RefusedRow>,
    pub voters: u64,
    pub districts: Vec<DistrictVoters>,
    pub started_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The last moment it may change.
    pub changes_until: DateTime<Utc>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DistrictVoters {
    pub district: District,
    pub voters: u64,
}

impl RollView {
    fn new(roll: &Roll, election: &Election, bounds: &Bounds) -> Self {
        Self {
            election_id: roll.election_id.clone(),
            roll_id: roll.id.clone(),
            state: roll.state,
            in_force: election.roll == roll.id,
            rows_done: roll.rows_done,
            rows_refused: roll.rows_refused,
            refused: roll.refusals.clone(),
            voters: roll.voters(),
            districts: roll
                .districts
                .iter()
                .map(|(district, voters)| DistrictVoters {
                    district: district.clone(),
                    voters: *voters,
                })
                .collect(),
            started_at: roll.started_at,
            updated_at: roll.updated_at,
            changes_until: bounds.roll_changes_until(election),
        }
    }
}

/// Where the commission uploads a new roll's file, and the roll it will become.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RollUpload {
    pub upload_url: String,
    pub upload_expires_at: DateTime<Utc>,
    pub roll: RollView,
}

async fn election(store: &impl ElectionStore, id: &ElectionId) -> Result<Election, AppError> {
    store
        .election(id)
        .await?
        .ok_or(AppError::NotFound("no election has this id"))
}

fn roll_closed(election: &Election, bounds: &Bounds) -> AppError {
    AppError::conflict(
        Code::RollClosed,
        format!(
            "the roll of this election could change until {}, shortly before voting opened; it is final now",
            bounds.roll_changes_until(election).to_rfc3339()
        ),
    )
}

/// Checks that the roll may still change at `now`.
fn still_open(election: &Election, bounds: &Bounds, now: DateTime<Utc>) -> Result<(), AppError> {
    if now < bounds.roll_changes_until(election) {
        Ok(())
    } else {
        Err(roll_closed(election, bounds))
    }
}

/// Starts a new version of the roll: it waits for its file at the address answered.
pub async fn start_upload(
    store: &(impl ElectionStore + RollStore),
    files: &impl RollFiles,
    clock: &impl Clock,
    bounds: &Bounds,
    caller: &Caller,
    election_id: &ElectionId,
) -> Result<RollUpload, AppError> {
    authorize(caller, MAY)?;
    let election = election(store, election_id).await?;
    let now = clock.now();
    still_open(&election, bounds, now)?;
    let roll = Roll::new(
        election.id.clone(),
        RollId::new(),
        ImportState::AwaitingUpload,
        super::identity(caller)?,
        now,
    );
    store.insert_roll(&roll).await?;
    let upload_url = files.upload_url(&election.id, &roll.id, UPLOAD_EXPIRES).await?;
    tracing::info!(election_id = %election.id, roll_id = %roll.id, "roll upload started");
    Ok(RollUpload {
        upload_url,
        upload_expires_at: now + crate::bounds::delta(UPLOAD_EXPIRES),
        roll: RollView::new(&roll, &election, bounds),
    })
}

/// A version of the roll (`None`: the one in force), with its import's progress.
pub async fn get_roll(
    store: &(impl ElectionStore + RollStore),
    bounds: &Bounds,
    caller: &Caller,
    election_id: &ElectionId,
    roll_id: Option<RollId>,
) -> Result<RollView, AppError> {
    authorize(caller, MAY)?;
    let election = election(store, election_id).await?;
    let id = roll_id.unwrap_or_else(|| election.roll.clone());
    let roll = match store.roll(election_id, &id).await? {
        Some(roll) => roll,
        // The roll an election starts with has no record until it is corrected.
        None if id == RollId::initial() => Roll::new(
            election.id.clone(),
            id,
            ImportState::Done,
            election.registered_by.clone(),
            election.registered_at,
        ),
        None => return Err(AppError::NotFound("this election has no roll with this id")),
    };
    Ok(RollView::new(&roll, &election, bounds))
}

/// How an import run ended.
#[derive(Debug, PartialEq, Eq)]
pub enum ImportRun {
    /// The roll is the election's.
    Done,
    /// Voting opened first: it never will be.
    TooLate,
    /// Another run of the same import is ahead of this one, or finished it.
    Overtaken,
}

/// The lines of a chunk that are whole: up to its last newline, or all of it at the end of
/// the file. A line longer than a chunk is taken whole, to be refused.
fn whole_lines(chunk: &[u8]) -> &[u8] {
    let at_end = (chunk.len() as u64) < CHUNK_BYTES;
    match chunk.iter().rposition(|b| *b == b'\n') {
        Some(last) if !at_end => &chunk[..=last],
        _ => chunk,
    }
}

/// Imports a roll's file from where its last checkpoint left it, to the end, a chunk at a
/// time: each chunk's entries are written (each once, however often it is run), then its
/// counts and refused rows are saved with the next checkpoint. At the end, the roll
/// becomes the election's. A run that dies is taken up again by the next from the last
/// checkpoint; one that is overtaken stops.
pub async fn import_roll(
    store: &(impl ElectionStore + RollStore),
    files: &impl RollFiles,
    keys: &impl VoterKeys,
    clock: &impl Clock,
    bounds: &Bounds,
    election_id: &ElectionId,
    roll_id: &RollId,
) -> Result<ImportRun, PortError> {
    let missing = || PortError::Internal(format!("no roll {roll_id} of election {election_id}"));
    let election = store.election(election_id).await?.ok_or_else(missing)?;
    let mut roll = store.roll(election_id, roll_id).await?.ok_or_else(missing)?;
    let deadline = bounds.roll_changes_until(&election);
    loop {
        match roll.state {
            ImportState::Done | ImportState::TooLate => {
                files.remove(election_id, roll_id).await?;
                return Ok(match roll.state {
                    ImportState::Done => ImportRun::Done,
                    _ => ImportRun::TooLate,
                });
            }
            ImportState::AwaitingUpload | ImportState::Importing => {}
        }
        let expected = roll.next_line;
        roll.state = ImportState::Importing;
        roll.updated_at = clock.now();
        if roll.updated_at >= deadline {
            roll.state = ImportState::TooLate;
            tracing::warn!(%election_id, %roll_id, "roll import stopped: voting opens");
            let stopped = finish(store.save_progress(&roll, expected).await, ImportRun::TooLate)?;
            files.remove(election_id, roll_id).await?;
            return Ok(stopped);
        }
        let chunk = files.read(election_id, roll_id, roll.offset, CHUNK_BYTES).await?;
        if chunk.is_empty() {
            roll.state = ImportState::Done;
            let adopted = finish(store.adopt_roll(&roll, expected, deadline).await, ImportRun::Done)?;
            tracing::info!(%election_id, %roll_id, rows = roll.rows_done, refused = roll.rows_refused, "roll adopted");
            // The file holds identity keys in the clear: once its roll is written, it goes.
            files.remove(election_id, roll_id).await?;
            return Ok(adopted);
        }
        let lines = whole_lines(&chunk);
        import_lines(store, keys, &mut roll, lines).await?;
        roll.offset += lines.len() as u64;
        if let Err(err) = store.save_progress(&roll, expected).await {
            return finish(Err(err), ImportRun::Done);
        }
    }
}

/// A run's end: overtaken when another run saved first.
fn finish(saved: Result<(), PortError>, outcome: ImportRun) -> Result<ImportRun, PortError> {
    match saved {
        Ok(()) => Ok(outcome),
        Err(PortError::Conflict) => Ok(ImportRun::Overtaken),
        Err(err) => Err(err),
    }
}

/// Reads whole lines into the roll: its entries written, its counts and refusals kept.
/// Within the lines, the first row of a voter is theirs and a later one is refused, so
/// that the same file always gives the same roll.
async fn import_lines(
    store: &impl RollStore,
    keys: &impl VoterKeys,
    roll: &mut Roll,
    lines: &[u8],
) -> Result<(), PortError> {
    let mut entries = Vec::new();
    let mut first_line: HashMap<AccountId, u64> = HashMap::new();
    for raw in lines.split(|b| *b == b'\n') {
        let line = roll.next_line;
        roll.next_line += 1;
        let row = match std::str::from_utf8(raw) {
            Ok(text) if raw.len() as u64 >= CHUNK_BYTES => {
                Err(format!("a row is longer than {CHUNK_BYTES} bytes: {}", text.len()))
            }
            Ok(text) => parse_row(line, text),
            Err(_) => Err("the row is not UTF-8 text".to_owned()),
        };
        match row {
            Ok(None) => {}
            Err(reason) => roll.refuse(line, reason),
            Ok(Some((identity, district))) => {
                let voter = keys.voter_id(&identity).await?;
                if let Some(first) = first_line.get(&voter) {
                    roll.refuse(line, duplicate(Some(*first)));
                    continue;
                }
                first_line.insert(voter.clone(), line);
                entries.push(RollEntry {
                    election_id: roll.election_id.clone(),
                    roll: roll.id.clone(),
                    voter,
                    district,
                    source: EntrySource::Line(line),
                });
            }
        }
    }
    // The split leaves an empty piece after a final newline: it was counted as a line.
    if lines.ends_with(b"\n") {
        roll.next_line -= 1;
    }
    let written = store.put_entries(&entries).await?;
    for (entry, outcome) in entries.into_iter().zip(written) {
        match (outcome, entry.source) {
            (EntryWrite::Written, _) => {
                roll.rows_done += 1;
                *roll.districts.entry(entry.district).or_default() += 1;
            }
            (EntryWrite::Duplicate { of_line }, EntrySource::Line(line)) => roll.refuse(line, duplicate(of_line)),
            (EntryWrite::Duplicate { .. }, EntrySource::Correction) => {}
        }
    }
    Ok(())
}

fn duplicate(of_line: Option<u64>) -> String {
    match of_line {
        Some(line) => format!("the same voter is on line {line}"),
        None => "the same voter is on the roll already".to_owned(),
    }
}

/// A voter to add to the roll in force.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Addition {
    pub identity_key: IdentityKey,
    pub district: District,
}

/// Corrections to the roll in force, each applied on its own.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Corrections {
    #[serde(default)]
    pub add: Vec<Addition>,
    #[serde(default)]
    pub remove: Vec<IdentityKey>,
}

/// What became of each correction, in the order asked: `add` first, then `remove`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CorrectionsView {
    pub roll_id: RollId,
    pub added: Vec<CorrectionOutcome>,
    pub removed: Vec<CorrectionOutcome>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CorrectionOutcome {
    Added,
    AlreadyOnRoll,
    Removed,
    NotOnRoll,
}

/// Adds voters to the roll in force and removes others, until voting opens.
pub async fn correct_roll(
    store: &(impl ElectionStore + RollStore),
    keys: &impl VoterKeys,
    clock: &impl Clock,
    bounds: &Bounds,
    caller: &Caller,
    election_id: &ElectionId,
    corrections: Corrections,
) -> Result<CorrectionsView, AppError> {
    authorize(caller, MAY)?;
    let count = corrections.add.len() + corrections.remove.len();
    if count == 0 || count > MAX_CORRECTIONS {
        return Err(AppError::bad_request(
            Code::MalformedBody,
            format!("send from 1 to {MAX_CORRECTIONS} corrections at a time"),
        ));
    }
    let election = election(store, election_id).await?;
    still_open(&election, bounds, clock.now())?;
    let roll = election.roll.clone();
    let mut view = CorrectionsView {
        roll_id: roll.clone(),
        added: Vec::new(),
        removed: Vec::new(),
    };
    for addition in corrections.add {
        let entry = RollEntry {
            election_id: election.id.clone(),
            roll: roll.clone(),
            voter: keys.voter_id(&addition.identity_key).await?,
            district: addition.district,
            source: EntrySource::Correction,
        };
        view.added.push(match store.add_entry(&entry).await {
            Ok(()) => CorrectionOutcome::Added,
            Err(PortError::Conflict) => CorrectionOutcome::AlreadyOnRoll,
            Err(err) => return Err(err.into()),
        });
    }
    for identity in corrections.remove {
        let voter = keys.voter_id(&identity).await?;
        view.removed
            .push(match store.remove_entry(&election.id, &roll, &voter).await {
                Ok(true) => CorrectionOutcome::Removed,
                Ok(false) => CorrectionOutcome::NotOnRoll,
                // Only a voter who has voted cannot be removed: voting has opened.
                Err(PortError::Conflict) => return Err(roll_closed(&election, bounds)),
                Err(err) => return Err(err.into()),
            });
    }
    tracing::info!(%election_id, corrections = count, "roll corrected");
    Ok(view)
}
