//! A verifiable election's tally, frozen by fan-out, so that no one function reads the whole
//! board: at a nation's size that is hours of proof checking and tens of gigabytes. The
//! first read of `GET …/tally` once voting has ended starts an attempt, and the ballot box's
//! parts go to the recount's workers (`recount-part`) in two stages:
//! 1. each part's size, counted where it is kept. The last part counted checks that the box
//!    holds a ballot for every voter who voted, and sends out the second stage;
//! 2. each part's ballots checked as `verify` checks them and summed, and the record's cast
//!    chunks that begin in the part written, its last one finished with the first ballots of
//!    the parts after it. The sizes give each part its place in the list, so no worker waits
//!    for another.
//!
//! The last part laid out merges them: the sums, `D` from the chunks' digests, the index and
//! the spoiled ballots; the tally is kept once. A ballot that reaches a part after it was
//! counted and before its worker reads it changes the part: the attempt is refused, its
//! workers stop, and the next read starts another (one that reaches it later is late: never
//! counted, listed in the record). A ballot id or ciphertext is refused in two ballots of one
//! part here, and across parts when it is cast (its claim): `verify` and each trustee check
//! the whole record again.

use super::board::{challenged_ballots, encrypted};
use super::key_ceremony::{load, rebuild};
use super::mix_ballots::mixing_pending;
use crate::bounds::{delta, Bounds};
use crate::clock::Clock;
use crate::domain::ceremony::Ceremony;
use crate::domain::certification::{PartRecount, PartWork};
use crate::domain::freeze::{FreezeRefusal, FrozenPart, PartLayout, Piece};
use crate::domain::ids::ElectionId;
use crate::ports::{BallotBox, Board, CeremonyStore, ElectionStore, EventBus, MixPool, RecordFiles, ViewStore};
use crate::problem::{AppError, Code, PortError};
use crate::projection::freeze_job::{self, FreezeJob};
use crate::projection::{turnout, RowKey, View};
use election_crypto::ballot::{short_code, Ballot as EncryptedBallot, SpoiledBallot, Verifier};
use election_crypto::hash::{Digest, Framed};
use election_crypto::record::{self, chunk_file, ElectionFile, Index, ListIndex};
use election_crypto::tally::{self, EncryptedTally, List, ListChecks, CHUNK_SIZE};
use std::collections::BTreeMap;

fn not_yet(detail: String) -> AppError {
    AppError::conflict(Code::NotCertifiable, detail)
}

async fn read_job(store: &impl ViewStore, election_id: &ElectionId) -> Result<Option<FreezeJob>, PortError> {
    let rows = store
        .rows(View::Dashboard, vec![freeze_job::job_key(election_id)])
        .await?;
    Ok(rows.first().and_then(|(_, row)| freeze_job::job(row)))
}

/// Called by a read of the tally that finds it not frozen, once voting has ended: starts an
/// attempt unless one is under way (once the mixer is drained), and answers how far it is
/// (always a refusal to wait: the tally is kept by the attempt's last worker).
pub async fn start_or_report(
    store: &(impl MixPool + ViewStore),
    bus: &impl EventBus,
    clock: &impl Clock,
    bounds: &Bounds,
    election_id: &ElectionId,
    parts: u32,
) -> AppError {
    match start(store, bus, clock, bounds, election_id, parts).await {
        Ok(detail) => not_yet(detail),
        Err(err) => err,
    }
}

async fn start(
    store: &(impl MixPool + ViewStore),
    bus: &impl EventBus,
    clock: &impl Clock,
    bounds: &Bounds,
    election_id: &ElectionId,
    parts: u32,
) -> Result<String, AppError> {
    let now = clock.now();
    let job = read_job(store, election_id).await?;
    if let Some(job) = &job {
        // A stage's workers run at most a worker's timeout, which the stall bound exceeds.
        let since = job.layout_sent_at.unwrap_or(job.started_at);
        match &job.refusal {
            None if now - since <= delta(bounds.recount_stall) => {
                return progress(store, election_id, job.attempt, parts).await
            }
            Some(refusal) if !refusal.retry => {
                tracing::error!(election_id = %election_id, reason = %refusal.reason, "the board fails verify: the tally is not frozen");
                return Err(AppError::Internal);
            }
            // Its workers may still be writing chunks: the next attempt's would be overwritten.
            Some(refusal) if job.layout_sent_at.is_some() && now - since <= delta(bounds.recount_stall) => {
                let stopped = store
                    .rows(View::Dashboard, freeze_job::part_keys(election_id, job.attempt, parts))
                    .await?
                    .len();
                if stopped < parts as usize {
                    return Ok(format!(
                        "an attempt of the freeze was refused ({}); {} of its {parts} workers have stopped: try again in a few seconds",
                        refusal.reason, stopped
                    ));
                }
            }
            _ => {}
        }
    }
    // Read only before an attempt starts: the polls of one under way need not read the pools.
    if mixing_pending(store, election_id).await? {
        return Err(not_yet(
            "the mixer is still writing ballots to the box: try again in a minute".to_owned(),
        ));
    }
    let attempt = job.map_or(1, |job| job.attempt + 1);
    let request = uuid::Uuid::new_v4().to_string();
    store
        .apply(
            View::Dashboard,
            vec![freeze_job::start(election_id, attempt, &request, now)],
        )
        .await?;
    // Of two reads at once, one started the attempt: the other reports it.
    let started = read_job(store, election_id).await?.ok_or(AppError::Internal)?;
    if started.started_by_request == request {
        tracing::info!(election_id = %election_id, attempt, "freezing the tally");
        send(store, bus, election_id, attempt, parts, PartWork::FreezeCount).await?;
    }
    progress(store, election_id, started.attempt, parts).await
}

/// Asks the workers for a stage of an attempt, every part; if they cannot be asked, the
/// attempt is refused, so that the next read starts another.
async fn send(
    store: &impl ViewStore,
    bus: &impl EventBus,
    election_id: &ElectionId,
    attempt: u32,
    parts: u32,
    work: PartWork,
) -> Result<(), AppError> {
    let requests: Vec<PartRecount> = (0..parts)
        .map(|part| PartRecount {
            election_id: election_id.clone(),
            attempt,
            part,
            work,
        })
        .collect();
    if let Err(err) = bus.request_recounts(&requests).await {
        let reason = format!("the freeze could not be sent to its workers ({err})");
        refuse(store, election_id, attempt, reason, true).await?;
        return Err(err.into());
    }
    Ok(())
}

async fn refuse(
    store: &impl ViewStore,
    election_id: &ElectionId,
    attempt: u32,
    reason: String,
    retry: bool,
) -> Result<(), PortError> {
    // A refusal from an attempt already replaced would hide the newer one's state.
    if !underway(store, election_id, attempt).await? {
        return Ok(());
    }
    tracing::warn!(election_id = %election_id, attempt, reason = %reason, retry, "freeze attempt refused");
    let refused = freeze_job::refuse(election_id, attempt, &refusal(reason, retry));
    store.apply(View::Dashboard, vec![refused]).await
}

async fn progress(
    store: &impl ViewStore,
    election_id: &ElectionId,
    attempt: u32,
    parts: u32,
) -> Result<String, AppError> {
    let counted = store
        .rows(View::Dashboard, freeze_job::count_keys(election_id, attempt, parts))
        .await?
        .len();
    let laid_out = store
        .rows(View::Dashboard, freeze_job::part_keys(election_id, attempt, parts))
        .await?
        .len();
    Ok(format!(
        "the tally is being frozen: of the ballot box's {parts} parts, {counted} counted and {laid_out} checked; try again in a few seconds"
    ))
}

/// A worker's share of a freeze: one part, at one stage. A request for an attempt that is
/// not under way (refused, or replaced by a newer one) is stale, and dropped.
pub async fn freeze_part(
    store: &(impl ElectionStore + CeremonyStore + BallotBox + Board + ViewStore),
    files: &impl RecordFiles,
    bus: &impl EventBus,
    clock: &impl Clock,
    request: &PartRecount,
) -> Result<(), AppError> {
    let (election_id, attempt, part) = (&request.election_id, request.attempt, request.part);
    let parts = store.parts();
    if part >= parts {
        tracing::error!(election_id = %election_id, attempt, part, "a freeze request for no part of the box");
        return Err(AppError::Internal);
    }
    if !underway(store, election_id, attempt).await? {
        tracing::info!(election_id = %election_id, attempt, part, "stale freeze request dropped");
        if request.work == PartWork::FreezeLayout {
            let stopped = freeze_job::stopped(election_id, attempt, part);
            store.apply(View::Dashboard, vec![stopped]).await?;
        }
        return Ok(());
    }
    match request.work {
        PartWork::FreezeCount => count_stage(store, bus, clock, election_id, attempt, part, parts).await,
        PartWork::FreezeLayout => layout_stage(store, files, election_id, attempt, part, parts).await,
        PartWork::Recount => Err(AppError::Internal),
    }
}

async fn sizes(
    store: &impl ViewStore,
    election_id: &ElectionId,
    attempt: u32,
    parts: u32,
) -> Result<Option<Vec<u64>>, PortError> {
    let rows = store
        .rows(View::Dashboard, freeze_job::count_keys(election_id, attempt, parts))
        .await?;
    Ok(freeze_job::sizes(&rows, parts))
}

/// The first stage: the part's size; the last part counted sends out the second.
async fn count_stage(
    store: &(impl BallotBox + ViewStore),
    bus: &impl EventBus,
    clock: &impl Clock,
    election_id: &ElectionId,
    attempt: u32,
    part: u32,
    parts: u32,
) -> Result<(), AppError> {
    let ballots = store.ballot_count(election_id, part).await?;
    store
        .apply(
            View::Dashboard,
            vec![freeze_job::counted(election_id, attempt, part, ballots)],
        )
        .await?;
    let Some(sizes) = sizes(store, election_id, attempt, parts).await? else {
        return Ok(());
    };
    // Every voter's ballot in the box: a vote committed before the close may still be on its
    // way through the mixer's stream when its pools look empty.
    let total: u64 = sizes.iter().sum();
    let voted = turnout::voted(&store.turnout_rows(election_id).await?);
    if total != voted {
        let reason = format!(
            "the box holds {total} ballots for {voted} voters who voted: the last ballots are still on their way to it"
        );
        return Ok(refuse(store, election_id, attempt, reason, true).await?);
    }
    // Sent once, unless two parts are counted last at once (each part is laid out once: its
    // guard) or a count is delivered again before the mark.
    if read_job(store, election_id)
        .await?
        .is_some_and(|job| job.layout_sent_at.is_some())
    {
        return Ok(());
    }
    let sent = freeze_job::layout_sent(election_id, attempt, clock.now());
    store.apply(View::Dashboard, vec![sent]).await?;
    send(store, bus, election_id, attempt, parts, PartWork::FreezeLayout).await
}

/// The election's ceremony: its published description is what every ballot is checked
/// against, and it keeps the tally.
async fn ceremony(
    store: &(impl ElectionStore + CeremonyStore),
    election_id: &ElectionId,
) -> Result<Ceremony, AppError> {
    let (_, verifiable, messages) = load(store, election_id).await?;
    Ok(rebuild(&verifiable, &messages)?)
}

/// The second stage: the part checked, summed and laid out; the last part laid out merges.
async fn layout_stage(
    store: &(impl ElectionStore + CeremonyStore + BallotBox + Board + ViewStore),
    files: &impl RecordFiles,
    election_id: &ElectionId,
    attempt: u32,
    part: u32,
    parts: u32,
) -> Result<(), AppError> {
    let done = store
        .rows(
            View::Dashboard,
            vec![RowKey::FrozenPart(election_id.clone(), attempt, part)],
        )
        .await?;
    if done.is_empty() {
        let sizes = sizes(store, election_id, attempt, parts)
            .await?
            .ok_or(AppError::Internal)?;
        let file = ceremony(store, election_id)
            .await?
            .election_file()
            .ok_or(AppError::Internal)?;
        let chunk = CHUNK_SIZE as u64;
        let layout = PartLayout::of(&sizes, part as usize, chunk);
        let spoiled = challenged_ballots(store, election_id).await?;
        let serving = Serving {
            store,
            election_id,
            attempt,
        };
        let outcome = match PartWorker::new(&file, &spoiled, layout, chunk, &serving) {
            Ok(mut worker) => outcome(worker.lay_out(store, files, election_id, part, parts).await)?,
            Err(reason) => Outcome::Refused(refusal(reason, false)),
        };
        let stopped = freeze_job::stopped(election_id, attempt, part);
        match outcome {
            Outcome::Laid(frozen) => {
                let laid_out = freeze_job::laid_out(election_id, attempt, part, &frozen);
                store.apply(View::Dashboard, vec![laid_out]).await?
            }
            Outcome::Refused(refusal) => {
                refuse(store, election_id, attempt, refusal.reason, refusal.retry).await?;
                return Ok(store.apply(View::Dashboard, vec![stopped]).await?);
            }
            Outcome::Stopped => return Ok(store.apply(View::Dashboard, vec![stopped]).await?),
        }
    }
    merge_if_laid_out(store, files, election_id, attempt, parts).await
}

fn piece(codes: &[Digest]) -> Piece {
    let body: Vec<u8> = codes.iter().flat_map(|c| c.0).collect();
    Piece {
        count: codes.len() as u64,
        digest: Framed::new("ee1/freeze-piece").bytes(&body).digest(),
    }
}

fn refusal(reason: String, retry: bool) -> FreezeRefusal {
    FreezeRefusal { reason, retry }
}

/// Whether the attempt a worker serves is still under way: asked before each page it reads
/// and each chunk it writes, so that a refused attempt's workers stop, and none writes a
/// chunk over the next attempt's.
trait Underway: Sync {
    fn underway(&self) -> impl std::future::Future<Output = Result<bool, PortError>> + Send;
}

/// The attempt as its job row says.
struct Serving<'a, S> {
    store: &'a S,
    election_id: &'a ElectionId,
    attempt: u32,
}

impl<S: ViewStore> Underway for Serving<'_, S> {
    async fn underway(&self) -> Result<bool, PortError> {
        underway(self.store, self.election_id, self.attempt).await
    }
}

/// Whether attempt `attempt` is the one under way, and not refused.
async fn underway(store: &impl ViewStore, election_id: &ElectionId, attempt: u32) -> Result<bool, PortError> {
    let job = read_job(store, election_id).await?;
    Ok(job.is_some_and(|job| job.attempt == attempt && job.refusal.is_none()))
}

/// What a part's worker came to.
enum Outcome {
    Laid(FrozenPart),
    Refused(FreezeRefusal),
    /// Its attempt was refused (by another part) or replaced while it worked.
    Stopped,
}

/// Why a worker stops before the end of its part.
enum Halt {
    Stopped,
    Failed(AppError),
}

/// What a worker came to, or the error that stopped it.
fn outcome(laid_out: Result<Outcome, Halt>) -> Result<Outcome, AppError> {
    match laid_out {
        Ok(outcome) => Ok(outcome),
        Err(Halt::Stopped) => Ok(Outcome::Stopped),
        Err(Halt::Failed(err)) => Err(err),
    }
}

impl<E: Into<AppError>> From<E> for Halt {
    fn from(err: E) -> Self {
        Halt::Failed(err.into())
    }
}

/// One part's worker, reading its ballots in order.
struct PartWorker<'a, U> {
    file: &'a ElectionFile,
    verifier: Verifier,
    layout: PartLayout,
    /// Ballots a chunk (the spec's [`CHUNK_SIZE`]; fewer in tests).
    chunk: u64,
    attempt: &'a U,
    list: ListChecks,
    sums: Vec<tally::TallyEntry>,
    /// The place in the list of the next ballot.
    position: u64,
    head: Vec<Digest>,
    chunks: Vec<record::ChunkRef>,
    /// The chunk being filled, and where it begins.
    filling: Vec<EncryptedBallot>,
    filling_from: u64,
}

impl<'a, U: Underway> PartWorker<'a, U> {
    /// A worker for the part at `layout`; refused if a challenged ballot fails its check (V17).
    fn new(
        file: &'a ElectionFile,
        spoiled: &[SpoiledBallot],
        layout: PartLayout,
        chunk: u64,
        attempt: &'a U,
    ) -> Result<Self, String> {
        let ctx = file.context();
        let verifier = Verifier::new(&ctx);
        let list =
            ListChecks::new(&verifier, spoiled).map_err(|e| format!("a challenged ballot fails its check: {e}"))?;
        Ok(PartWorker {
            file,
            verifier,
            layout,
            chunk,
            attempt,
            list,
            sums: tally::sum(ctx.candidates, []),
            position: layout.offset,
            head: Vec::new(),
            chunks: Vec::new(),
            filling: Vec::new(),
            filling_from: 0,
        })
    }

    /// Reads the part, then what it needs of the parts after it; refused if a ballot fails a
    /// check (not retried) or the box changed since it was counted (retried).
    async fn lay_out(
        &mut self,
        store: &impl BallotBox,
        files: &impl RecordFiles,
        election_id: &ElectionId,
        part: u32,
        parts: u32,
    ) -> Result<Outcome, Halt> {
        let mut after = None;
        loop {
            self.still_underway().await?;
            let page = store.ballots(election_id, part, after).await?;
            if let Some(key) = page.unreadable.first() {
                let reason = format!("{key} in the ballot box is not a ballot");
                return Ok(Outcome::Refused(refusal(reason, false)));
            }
            let ballots = match all_encrypted(page.ballots) {
                Ok(ballots) => ballots,
                Err(reason) => return Ok(Outcome::Refused(refusal(reason, false))),
            };
            if let Err(reason) = self.check(&ballots) {
                return Ok(Outcome::Refused(refusal(reason, false)));
            }
            self.sums = tally::add(&self.sums, &tally::sum(self.sums.len(), &ballots));
            for ballot in ballots {
                self.place(files, election_id, ballot).await?;
            }
            after = page.next;
            if after.is_none() {
                break;
            }
        }
        let read = self.position - self.layout.offset;
        if read != self.layout.size {
            let reason = format!(
                "part {part} holds {read} ballots, {} when counted: a ballot reached the box during the freeze",
                self.layout.size
            );
            return Ok(Outcome::Refused(refusal(reason, true)));
        }
        let mut taken = BTreeMap::new();
        let mut next = part + 1;
        while !self.filling.is_empty() && next < parts {
            let codes = self.take(store, files, election_id, next).await?;
            if !codes.is_empty() {
                taken.insert(next, piece(&codes));
            }
            next += 1;
        }
        if !self.filling.is_empty() {
            let reason = "the parts after it hold fewer ballots than when counted".to_owned();
            return Ok(Outcome::Refused(refusal(reason, true)));
        }
        Ok(Outcome::Laid(FrozenPart {
            count: self.layout.size,
            sums: self.sums.clone(),
            chunks: std::mem::take(&mut self.chunks),
            head: piece(&self.head),
            taken,
        }))
    }

    async fn still_underway(&self) -> Result<(), Halt> {
        match self.attempt.underway().await? {
            true => Ok(()),
            false => Err(Halt::Stopped),
        }
    }

    /// V12–V14 for each ballot, on every core; then V15 within the part, and V19 against
    /// the spoiled ballots.
    fn check(&mut self, ballots: &[EncryptedBallot]) -> Result<(), String> {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let share = ballots.len().div_ceil(cores).max(1);
        let verifier = &self.verifier;
        let failed = std::thread::scope(|scope| {
            let workers: Vec<_> = ballots
                .chunks(share)
                .map(|some| scope.spawn(move || some.iter().find_map(|b| verifier.verify(b).err().map(|e| (b, e)))))
                .collect();
            workers.into_iter().find_map(|w| w.join().ok().flatten())
        });
        if let Some((b, e)) = failed {
            return Err(format!("ballot {} fails its check: {e}", short_code(&b.tracking_code)));
        }
        for b in ballots {
            self.list
                .cast(b)
                .map_err(|e| format!("ballot {} fails its check: {e}", short_code(&b.tracking_code)))?;
        }
        Ok(())
    }

    /// Puts the part's next ballot in its place: the head, or the chunk it belongs to.
    async fn place(
        &mut self,
        files: &impl RecordFiles,
        election_id: &ElectionId,
        ballot: EncryptedBallot,
    ) -> Result<(), Halt> {
        if self.position < self.layout.offset + self.layout.head {
            self.head.push(ballot.tracking_code);
        } else {
            self.fill(files, election_id, ballot).await?;
        }
        self.position += 1;
        Ok(())
    }

    /// Adds a ballot to the chunk being filled, and writes the chunk once it is whole (if
    /// the attempt is still under way).
    async fn fill(
        &mut self,
        files: &impl RecordFiles,
        election_id: &ElectionId,
        ballot: EncryptedBallot,
    ) -> Result<(), Halt> {
        if self.filling.is_empty() {
            self.filling_from = self.position;
        }
        self.filling.push(ballot);
        let whole = self.layout.chunk_len(self.filling_from, self.chunk);
        if self.filling.len() as u64 == whole {
            let q = (self.filling_from / self.chunk) as usize;
            let ballots = std::mem::take(&mut self.filling);
            let (entry, bytes) = record::cast_chunk(&self.file.ceremony.extended_base_hash, q, ballots)
                .map_err(|e| PortError::Internal(e.to_string()))?;
            self.still_underway().await?;
            files.put_record_file(election_id, &entry.file, bytes).await?;
            self.chunks.push(entry);
        }
        Ok(())
    }

    /// Finishes the chunk being filled with the first ballots of part `next` (its own worker
    /// checks them): the tracking codes taken.
    async fn take(
        &mut self,
        store: &impl BallotBox,
        files: &impl RecordFiles,
        election_id: &ElectionId,
        next: u32,
    ) -> Result<Vec<Digest>, Halt> {
        let mut codes = Vec::new();
        let mut after = None;
        loop {
            let page = store.ballots(election_id, next, after).await?;
            for ballot in page.ballots.into_iter().filter_map(encrypted) {
                if self.filling.is_empty() {
                    return Ok(codes);
                }
                codes.push(ballot.tracking_code);
                self.position += 1;
                self.fill(files, election_id, ballot).await?;
            }
            after = page.next;
            if after.is_none() || self.filling.is_empty() {
                return Ok(codes);
            }
        }
    }
}

/// A page's ballots, each encrypted; otherwise which is not.
fn all_encrypted(ballots: Vec<crate::domain::vote::Ballot>) -> Result<Vec<EncryptedBallot>, String> {
    ballots
        .into_iter()
        .map(|b| {
            let receipt = b.receipt_id.clone();
            encrypted(b).ok_or_else(|| format!("the box holds a ballot in the clear ({receipt})"))
        })
        .collect()
}

/// Once every part is laid out: the parts checked against each other and merged, the rest
/// of the record's ballot files written, and the tally kept (once, however many workers get
/// here).
async fn merge_if_laid_out(
    store: &(impl ElectionStore + CeremonyStore + Board + ViewStore),
    files: &impl RecordFiles,
    election_id: &ElectionId,
    attempt: u32,
    parts: u32,
) -> Result<(), AppError> {
    let rows = store
        .rows(View::Dashboard, freeze_job::part_keys(election_id, attempt, parts))
        .await?;
    let Some(laid_out) = freeze_job::frozen_parts(&rows, parts) else {
        return Ok(());
    };
    if let Err(reason) = consistent(&laid_out) {
        return Ok(refuse(store, election_id, attempt, reason, true).await?);
    }
    // An attempt replaced meanwhile writes nothing more: the files are the newer one's.
    if !underway(store, election_id, attempt).await? {
        return Ok(());
    }
    let ceremony = ceremony(store, election_id).await?;
    let file = ceremony.election_file().ok_or(AppError::Internal)?;
    let qbar = file.ceremony.extended_base_hash;
    // Each part's worker checked them (V17).
    let spoiled = challenged_ballots(store, election_id).await?;
    let cast = record::cast_list(&qbar, laid_out.iter().flat_map(|p| p.chunks.clone()).collect());
    let tally = EncryptedTally {
        entries: laid_out
            .iter()
            .fold(tally::sum(file.context().candidates, []), |sums, p| {
                tally::add(&sums, &p.sums)
            }),
        cast_count: cast.count,
        cast_digest: cast.digest,
    };
    write_ballot_files(files, election_id, &file, cast, &spoiled).await?;
    match store
        .post_ceremony_message(election_id, &ceremony.freeze_tally(&tally))
        .await?
    {
        None => tracing::info!(election_id = %election_id, cast = tally.cast_count, "tally frozen"),
        Some(kept) if kept.body != ceremony.freeze_tally(&tally).body => {
            tracing::error!(election_id = %election_id, attempt, "another attempt's tally was kept: the record's index may be this one's");
        }
        Some(_) => {}
    }
    Ok(())
}

/// The parts fit together: the chunks numbered from 0 with none missing, as many ballots in
/// them as in the parts, and each part's first ballots finish exactly one earlier chunk.
fn consistent(parts: &[FrozenPart]) -> Result<(), String> {
    let chunks: Vec<&record::ChunkRef> = parts.iter().flat_map(|p| &p.chunks).collect();
    if chunks
        .iter()
        .enumerate()
        .any(|(q, c)| c.file != chunk_file(List::Cast, q))
    {
        return Err("the parts' chunks are not numbered in order".to_owned());
    }
    let (in_chunks, in_parts) = (
        chunks.iter().map(|c| c.count).sum::<u64>(),
        parts.iter().map(|p| p.count).sum::<u64>(),
    );
    if in_chunks != in_parts {
        return Err(format!("the chunks hold {in_chunks} ballots, the parts {in_parts}"));
    }
    for (r, p) in parts.iter().enumerate() {
        let takers: Vec<&Piece> = parts.iter().filter_map(|t| t.taken.get(&(r as u32))).collect();
        let expected: Vec<&Piece> = if p.head.count > 0 { vec![&p.head] } else { vec![] };
        if takers != expected {
            return Err(format!(
                "part {r}'s first ballots are not the ones that finish the chunk before"
            ));
        }
    }
    Ok(())
}

/// Every file of the record but `tally.json`, except the cast chunks the parts wrote: what
/// the trustees decrypt from (spec 8).
async fn write_ballot_files(
    files: &impl RecordFiles,
    election_id: &ElectionId,
    file: &ElectionFile,
    cast: ListIndex,
    spoiled: &[SpoiledBallot],
) -> Result<(), AppError> {
    let fail = |e: election_crypto::Error| PortError::Internal(e.to_string());
    let (spoiled_index, spoiled_files) =
        record::spoiled_files(&file.ceremony.extended_base_hash, spoiled).map_err(fail)?;
    let index = Index {
        chunk_size: CHUNK_SIZE as u64,
        cast,
        spoiled: spoiled_index,
    };
    let mut written = spoiled_files;
    written.push(("election.json".to_owned(), record::json(file).map_err(fail)?));
    // Last: a reader that finds the index finds every file it lists.
    written.push(("index.json".to_owned(), record::json(&index).map_err(fail)?));
    for (name, bytes) in written {
        files.put_record_file(election_id, &name, bytes).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::ReceiptId;
    use crate::domain::vote::Ballot;
    use crate::domain::vote::Mark;
    use crate::ports::BallotPage;
    use election_crypto::randomness::Seeded;
    use election_crypto::record::CastChunk;
    use election_crypto::simulation::{run, Plan};
    use std::collections::HashSet;
    use std::sync::Mutex;

    /// A ballot box in memory, each part read three ballots a page.
    struct Parts(Mutex<Vec<Vec<Ballot>>>);

    impl BallotBox for Parts {
        fn parts(&self) -> u32 {
            self.0.lock().unwrap().len() as u32
        }

        async fn ballots(&self, _: &ElectionId, part: u32, after: Option<String>) -> Result<BallotPage, PortError> {
            let all = self.0.lock().unwrap()[part as usize].clone();
            let from: usize = after.map_or(0, |a| a.parse().unwrap());
            let to = (from + 3).min(all.len());
            Ok(BallotPage {
                ballots: all[from..to].to_vec(),
                unreadable: Vec::new(),
                next: (to < all.len()).then(|| to.to_string()),
            })
        }

        async fn ballot_count(&self, _: &ElectionId, part: u32) -> Result<u64, PortError> {
            Ok(self.0.lock().unwrap()[part as usize].len() as u64)
        }

        async fn put_ballots(&self, _: &str, _: &[Ballot]) -> Result<(), PortError> {
            Err(PortError::Internal("the freeze never writes the box".into()))
        }

        async fn in_box(&self, _: &ElectionId, _: &[ReceiptId]) -> Result<HashSet<ReceiptId>, PortError> {
            Err(PortError::Internal("the freeze never looks receipts up".into()))
        }
    }

    #[derive(Default)]
    struct Files(Mutex<BTreeMap<String, Vec<u8>>>);

    impl RecordFiles for Files {
        async fn put_record_file(&self, _: &ElectionId, name: &str, body: Vec<u8>) -> Result<(), PortError> {
            self.0.lock().unwrap().insert(name.to_owned(), body);
            Ok(())
        }

        async fn record_file(&self, _: &ElectionId, name: &str) -> Result<Option<Vec<u8>>, PortError> {
            Ok(self.0.lock().unwrap().get(name).cloned())
        }
    }

    /// A small election's cast ballots, encrypted, and its description.
    fn election(ballots: usize) -> (ElectionFile, Vec<EncryptedBallot>, Vec<tally::TallyEntry>) {
        let plan = Plan {
            election_id: "freeze".into(),
            candidates: ["Ada", "Grace", "Edsger"]
                .iter()
                .map(|name| (name.to_lowercase(), name.to_string()))
                .collect(),
            trustees: 1,
            threshold: 1,
            cast: (0..ballots).map(|b| b % 3).collect(),
            spoiled: vec![],
            absent: vec![],
        };
        let record = run(&plan, &mut Seeded::new(b"freeze")).unwrap();
        let cast = record.cast_ballots().cloned().collect();
        (record.election, cast, record.tally.encrypted_tally)
    }

    fn boxed(ballots: &[EncryptedBallot], sizes: &[usize]) -> Parts {
        let election = ElectionId::new();
        let mut ballots = ballots.iter().map(|b| Ballot {
            election_id: election.clone(),
            mark: Mark::Encrypted(Box::new(b.clone())),
            receipt_id: ReceiptId::of_tracking_code(&b.tracking_code.0),
            cast_in_hour: chrono::Utc::now(),
        });
        Parts(Mutex::new(
            sizes.iter().map(|n| ballots.by_ref().take(*n).collect()).collect(),
        ))
    }

    /// An attempt under way for this many more questions, then refused.
    struct UnderwayFor(std::sync::atomic::AtomicI64);

    impl Underway for UnderwayFor {
        async fn underway(&self) -> Result<bool, PortError> {
            Ok(self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst) > 0)
        }
    }

    /// Every part laid out by its worker, given the sizes counted first.
    async fn lay_out(parts: &Parts, sizes: &[u64], files: &Files, file: &ElectionFile, chunk: u64) -> Vec<Outcome> {
        let (mut laid_out, election) = (Vec::new(), ElectionId::new());
        let attempt = UnderwayFor(i64::MAX.into());
        for part in 0..parts.parts() {
            let layout = PartLayout::of(sizes, part as usize, chunk);
            let mut worker = PartWorker::new(file, &[], layout, chunk, &attempt).unwrap();
            let outcome = worker.lay_out(parts, files, &election, part, parts.parts());
            laid_out.push(super::outcome(outcome.await).unwrap());
        }
        laid_out
    }

    fn laid(outcome: Outcome) -> FrozenPart {
        match outcome {
            Outcome::Laid(frozen) => frozen,
            _ => panic!("a part was not laid out"),
        }
    }

    fn refused(outcome: &Outcome) -> &FreezeRefusal {
        match outcome {
            Outcome::Refused(refusal) => refusal,
            _ => panic!("a part was not refused"),
        }
    }

    #[tokio::test]
    async fn parts_laid_out_apart_make_the_list_in_part_order_in_whole_chunks() {
        let (file, ballots, tally) = election(23);
        // Chunks of 5 over parts of 6, 0, 12 and 5 ballots: chunks at 0 and 5 begin in part 0
        // (the second finished with 4 of part 2's), at 10 and 15 in part 2 (finished with 2 of
        // part 3's), and the last, of 3, at 20 in part 3.
        let parts = boxed(&ballots, &[6, 0, 12, 5]);
        let files = Files::default();
        let laid_out: Vec<FrozenPart> = lay_out(&parts, &[6, 0, 12, 5], &files, &file, 5)
            .await
            .into_iter()
            .map(laid)
            .collect();
        assert_eq!(consistent(&laid_out), Ok(()));
        let begun: Vec<usize> = laid_out.iter().map(|p| p.chunks.len()).collect();
        assert_eq!(begun, vec![2, 0, 2, 1]);
        let mut listed = Vec::new();
        for entry in laid_out.iter().flat_map(|p| &p.chunks) {
            let chunk: CastChunk = serde_json::from_slice(&files.0.lock().unwrap()[&entry.file]).unwrap();
            assert_eq!(chunk.ballots.len() as u64, entry.count);
            listed.extend(chunk.ballots);
        }
        assert_eq!(listed, ballots, "the chunks hold the parts' ballots in part order");
        let sums = laid_out.iter().fold(tally::sum(3, []), |s, p| tally::add(&s, &p.sums));
        assert_eq!(sums, tally);
    }

    #[tokio::test]
    async fn a_part_that_changed_since_it_was_counted_is_retried_and_a_forged_ballot_is_not() {
        let (file, ballots, _) = election(7);
        // A ballot reached part 1 after the count: its worker finds 4 for 3, and the attempt is
        // to be tried again.
        let parts = boxed(&ballots, &[3, 4]);
        let laid_out = lay_out(&parts, &[3, 3], &Files::default(), &file, 5).await;
        let refusal = refused(&laid_out[1]);
        assert!(refusal.retry && refusal.reason.contains("holds 4 ballots, 3 when counted"));
        // A ballot whose tracking code is another's: it fails its check, for good.
        let mut forged = ballots.clone();
        forged[2].tracking_code = forged[1].tracking_code;
        let laid_out = lay_out(&boxed(&forged, &[7]), &[7], &Files::default(), &file, 5).await;
        let refusal = refused(&laid_out[0]);
        assert!(!refusal.retry && refusal.reason.contains("fails its check"));
    }

    #[tokio::test]
    async fn a_worker_whose_attempt_is_refused_stops_and_writes_no_more_chunks() {
        let (file, ballots, _) = election(12);
        // One part of 12, chunks of 5: refused after its first page (3 ballots), it writes
        // no chunk; under way for one chunk more, it writes just that one.
        let parts = boxed(&ballots, &[12]);
        for (questions, written) in [(1, 0), (3, 1)] {
            let files = Files::default();
            let attempt = UnderwayFor(questions.into());
            let mut worker = PartWorker::new(&file, &[], PartLayout::of(&[12], 0, 5), 5, &attempt).unwrap();
            let outcome = super::outcome(worker.lay_out(&parts, &files, &ElectionId::new(), 0, 1).await).unwrap();
            assert!(matches!(outcome, Outcome::Stopped));
            assert_eq!(files.0.lock().unwrap().len(), written);
        }
    }

    fn frozen(count: u64, chunks: &[(usize, u64)], head: u64, taken: &[(u32, u64)]) -> FrozenPart {
        let piece_of = |n: u64| Piece {
            count: n,
            digest: Digest([n as u8; 64]),
        };
        FrozenPart {
            count,
            sums: Vec::new(),
            chunks: chunks
                .iter()
                .map(|(q, n)| record::ChunkRef {
                    file: chunk_file(List::Cast, *q),
                    count: *n,
                    digest: Digest([0; 64]),
                })
                .collect(),
            head: piece_of(head),
            taken: taken.iter().map(|(r, n)| (*r, piece_of(*n))).collect(),
        }
    }

    #[test]
    fn parts_fit_only_if_each_head_is_taken_once_and_the_chunks_follow_on() {
        // Parts of 3 and 9 ballots, chunks of 10: part 0 begins chunk 0 and takes 7 of part 1,
        // which begins chunk 1 (2 ballots).
        let parts = vec![frozen(3, &[(0, 10)], 0, &[(1, 7)]), frozen(9, &[(1, 2)], 7, &[])];
        assert_eq!(consistent(&parts), Ok(()));
        // Part 1's head read otherwise by the worker of part 0 (a ballot came in meanwhile).
        let moved = vec![frozen(3, &[(0, 10)], 0, &[(1, 6)]), frozen(9, &[(1, 2)], 7, &[])];
        assert!(consistent(&moved).unwrap_err().contains("part 1's first ballots"));
        // A chunk missing.
        let gap = vec![frozen(3, &[(0, 10)], 0, &[(1, 7)]), frozen(9, &[(2, 2)], 7, &[])];
        assert!(consistent(&gap).unwrap_err().contains("numbered"));
        // A chunk short of the parts' ballots.
        let short = vec![frozen(3, &[(0, 10)], 0, &[(1, 7)]), frozen(9, &[(1, 1)], 7, &[])];
        assert!(consistent(&short)
            .unwrap_err()
            .contains("hold 11 ballots, the parts 12"));
    }
}
