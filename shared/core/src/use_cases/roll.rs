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
    MAX_DISTRICTS,
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
    /// The import has ended so (done: the roll is the election's).
    Ended(ImportState),
    /// Another run of the same import is ahead of this one, or finished it.
    Overtaken,
}

/// Imports a roll's file from where its last checkpoint left it, to the end, a chunk at a
/// time: each chunk's entries are written (each once, however often it is run), then its
/// counts and refused rows are saved with the next checkpoint. At the end, the roll
/// becomes the election's, unless no row was taken or a later upload got there first. A
/// run that dies is taken up again by the next from the last checkpoint; one that is
/// overtaken stops. The file goes once the import has ended.
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
        if roll.state.is_final() {
            // The file holds identity keys in the clear: once its import has ended, it goes.
            files.remove(election_id, roll_id).await?;
            return Ok(ImportRun::Ended(roll.state));
        }
        let expected = roll.next_line;
        roll.state = ImportState::Importing;
        roll.updated_at = clock.now();
        let ended = |state| {
            tracing::info!(%election_id, %roll_id, ?state, rows = roll.rows_done, refused = roll.rows_refused, "roll import ended");
            state
        };
        if roll.updated_at >= deadline {
            roll.state = ended(ImportState::TooLate);
            if save(store.save_progress(&roll, expected).await)? {
                continue;
            }
            return Ok(ImportRun::Overtaken);
        }
        let chunk = files.read(election_id, roll_id, roll.offset, CHUNK_BYTES).await?;
        if chunk.is_empty() {
            if roll.rows_done == 0 {
                roll.state = ended(ImportState::Empty);
                if save(store.save_progress(&roll, expected).await)? {
                    continue;
                }
                return Ok(ImportRun::Overtaken);
            }
            roll.state = ImportState::Done;
            match store.adopt_roll(&roll, expected).await {
                Ok(()) => roll.state = ended(ImportState::Done),
                // A later upload is the election's roll already.
                Err(PortError::Precondition) => {
                    roll.state = ended(ImportState::Superseded);
                    if !save(store.save_progress(&roll, expected).await)? {
                        return Ok(ImportRun::Overtaken);
                    }
                }
                Err(PortError::Conflict) => return Ok(ImportRun::Overtaken),
                Err(err) => return Err(err),
            }
            continue;
        }
        roll.offset += take_chunk(store, keys, &mut roll, &chunk).await?;
        if !save(store.save_progress(&roll, expected).await)? {
            return Ok(ImportRun::Overtaken);
        }
    }
}

/// Whether a save went through: `false` if another run saved first.
fn save(saved: Result<(), PortError>) -> Result<bool, PortError> {
    match saved {
        Ok(()) => Ok(true),
        Err(PortError::Conflict) => Ok(false),
        Err(err) => Err(err),
    }
}

/// Takes the whole lines of a chunk read at the roll's offset into the roll; returns how
/// many of its bytes were taken. At the end of the file (a chunk shorter than
/// [`CHUNK_BYTES`]) the rest is the last line. A row longer than a chunk is refused, and
/// its rest skipped, however many chunks it spans.
async fn take_chunk(
    store: &impl RollStore,
    keys: &impl VoterKeys,
    roll: &mut Roll,
    chunk: &[u8],
) -> Result<u64, PortError> {
    let full = chunk.len() as u64 >= CHUNK_BYTES;
    let mut start = 0;
    if roll.skipping {
        match chunk.iter().position(|b| *b == b'\n') {
            Some(end) => {
                start = end + 1;
                roll.skipping = false;
            }
            None => {
                roll.skipping = full;
                return Ok(chunk.len() as u64);
            }
        }
    }
    let rest = &chunk[start..];
    let taken = match rest.iter().rposition(|b| *b == b'\n') {
        _ if !full => rest.len(),
        Some(last) => last + 1,
        // A line that starts in this chunk after a skipped one: it is read from its start.
        None if start > 0 => 0,
        None => {
            let line = roll.next_line;
            roll.next_line += 1;
            roll.refuse(line, format!("the row is longer than {CHUNK_BYTES} bytes"));
            roll.skipping = true;
            return Ok(chunk.len() as u64);
        }
    };
    if taken > 0 {
        import_lines(store, keys, roll, &rest[..taken]).await?;
    }
    Ok((start + taken) as u64)
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
    let mut new_districts = std::collections::HashSet::new();
    for raw in lines.split(|b| *b == b'\n') {
        let line = roll.next_line;
        roll.next_line += 1;
        let row = match std::str::from_utf8(raw) {
            Ok(text) => parse_row(line, text),
            Err(_) => Err("the row is not UTF-8 text".to_owned()),
        };
        match row {
            Ok(None) => {}
            Err(reason) => roll.refuse(line, reason),
            Ok(Some((_, district)))
                if !roll.districts.contains_key(&district)
                    && roll.districts.len() + new_districts.len() >= MAX_DISTRICTS
                    && !new_districts.contains(&district) =>
            {
                roll.refuse(line, format!("a roll may have at most {MAX_DISTRICTS} districts"));
            }
            Ok(Some((identity, district))) => {
                if !roll.districts.contains_key(&district) {
                    new_districts.insert(district.clone());
                }
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

/// What became of each correction, in the order asked (removals are applied first).
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
    let replaced = || {
        AppError::conflict(
            Code::Conflict,
            "an upload replaced the roll in force meanwhile; read it again before correcting it",
        )
    };
    // Removals first, so that a voter moved to another district (removed, then added)
    // ends up on the roll.
    for identity in corrections.remove {
        still_open(&election, bounds, clock.now())?;
        let voter = keys.voter_id(&identity).await?;
        view.removed
            .push(match store.remove_entry(&election.id, &roll, &voter).await {
                Ok(true) => CorrectionOutcome::Removed,
                Ok(false) => CorrectionOutcome::NotOnRoll,
                // Only a voter who has voted cannot be removed: voting has opened.
                Err(PortError::Conflict) => return Err(roll_closed(&election, bounds)),
                Err(PortError::Precondition) => return Err(replaced()),
                Err(err) => return Err(err.into()),
            });
    }
    for addition in corrections.add {
        still_open(&election, bounds, clock.now())?;
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
            Err(PortError::Precondition) => return Err(replaced()),
            Err(err) => return Err(err.into()),
        });
    }
    tracing::info!(%election_id, corrections = count, "roll corrected");
    Ok(view)
}
