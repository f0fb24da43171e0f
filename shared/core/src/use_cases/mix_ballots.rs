//! The mixer: moves each vote's ballot into the ballot box apart from the vote, so that no
//! request, record or time links a voter to their ballot.
//!
//! A vote writes only the voter's participation, with the ballot sealed for the mixer. The
//! participation's stream hands the sealed copy over; the mixer puts it in one of its
//! election's pools (with no voter), then removes the copy from the participation. When a
//! pool holds at least *k* ballots, the mixer opens them, shuffles them with the operating
//! system's random source, and writes them to the box together; only then are they taken
//! out of the pool. After the close (once no vote can commit: [`Bounds::certifiable_from`])
//! the mixer's tick flushes every pool whatever it holds: that final batch may be smaller
//! than *k*.
//!
//! Exactly once: a ballot is keyed by its receipt, so one written twice (a record
//! redelivered, a flush cut short and done again) is the same ballot, counted once; and a
//! pooled ballot already in the box leaves the pool without being written again, so that
//! a batch never passes for larger than it is. Never lost: a ballot leaves its pool only
//! once it is in the box, and the recount checks that an election has as many ballots as
//! participations.

use crate::bounds::Bounds;
use crate::clock::Clock;
use crate::domain::election::Election;
use crate::domain::ids::ElectionId;
use crate::domain::roll::RollId;
use crate::domain::text::AccountId;
use crate::domain::vote::{Ballot, SealedBallot};
use crate::ports::{BallotBox, BallotSealer, ElectionStore, MixPool, PoolId, Pooled, VoteStore, Waiting};
use crate::problem::{AppError, PortError};
use chrono::{DateTime, TimeDelta, Utc};
use rand::seq::SliceRandom;
use serde::Serialize;

/// The smallest batch the mixer writes before the close unless told otherwise.
pub const DEFAULT_BATCH: usize = 50;

/// How long a flush may hold its pool: longer than the mixer may run (its timeout is 60 s),
/// so that a lease lapses only when its holder died, and soon after.
const LEASE: TimeDelta = TimeDelta::seconds(70);

/// The most ballots one flush reads at once; a pool that holds more is flushed again.
const MOST_AT_ONCE: usize = 1_000;

/// Participations whose copy is removed at once: a whole stream batch (100), so that one
/// slow reply holds up one round, not seven.
const FORGETS_AT_ONCE: usize = 100;

/// The mixer's copy of one vote, as the participation's stream hands it over: whose
/// participation holds it (to remove it there), and the sealed ballot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MixCopy {
    pub voter: AccountId,
    pub roll: RollId,
    pub ballot: SealedBallot,
}

/// What one run of the mixer did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Mixed {
    /// Sealed ballots put in pools.
    pub pooled: usize,
    /// Ballots written to the box.
    pub written: usize,
    /// The sizes of the batches written, in order.
    pub batches: Vec<usize>,
}

impl Mixed {
    fn add(&mut self, other: Mixed) {
        self.pooled += other.pooled;
        self.written += other.written;
        self.batches.extend(other.batches);
    }
}

/// The mixer's rule: the smallest batch written before the close, and the time bounds.
#[derive(Clone, Copy, Debug)]
pub struct Mixing {
    pub batch: usize,
    pub bounds: Bounds,
}

impl Mixing {
    /// Whether every pool of the election may be flushed whatever it holds: no vote can
    /// commit any more.
    fn is_final(&self, election: &Election, now: DateTime<Utc>) -> bool {
        now >= self.bounds.certifiable_from(election)
    }
}

/// Takes copies from the participation stream: pools them, removes them from their
/// participations, and flushes the pools they went to.
pub async fn take_copies(
    store: &(impl MixPool + VoteStore + BallotBox + ElectionStore),
    sealer: &impl BallotSealer,
    clock: &impl Clock,
    mixing: &Mixing,
    copies: &[MixCopy],
) -> Result<Mixed, AppError> {
    let ballots: Vec<SealedBallot> = copies.iter().map(|copy| copy.ballot.clone()).collect();
    let pools = store.pool(&ballots, mixing.batch).await?;
    // Pooled first: the copy leaves the participation only once the pool holds it.
    for chunk in copies.chunks(FORGETS_AT_ONCE) {
        let forgets = chunk
            .iter()
            .map(|copy| store.forget_mix_copy(&copy.voter, &copy.ballot.election_id, &copy.roll));
        futures::future::try_join_all(forgets).await?;
    }
    let mut mixed = Mixed {
        pooled: copies.len(),
        ..Mixed::default()
    };
    let mut elections = std::collections::BTreeMap::new();
    for pool in pools {
        if !elections.contains_key(&pool.election_id) {
            let election = store.election(&pool.election_id).await?;
            elections.insert(pool.election_id.clone(), election);
        }
        let last = match &elections[&pool.election_id] {
            Some(election) => mixing.is_final(election, clock.now()),
            None => false,
        };
        mixed.add(flush(store, sealer, clock, mixing, &pool, last).await?);
    }
    Ok(mixed)
}

/// The mixer's tick: flushes the marked pools of every election marked as waiting, so that
/// a pool reaches the box without another vote to wake the mixer (a flush that found the
/// pool leased), and writes the final batches once no vote can commit; then takes the mark
/// off if those pools are empty. Its reads follow the pools that got copies, not every pool
/// of every election.
pub async fn tick(
    store: &(impl MixPool + BallotBox + ElectionStore),
    sealer: &impl BallotSealer,
    clock: &impl Clock,
    mixing: &Mixing,
) -> Result<Mixed, AppError> {
    let mut mixed = Mixed::default();
    let mut first_error = None;
    for waiting in store.waiting().await? {
        // One election's failure does not hold the others back; the tick reports it after.
        match tick_election(store, sealer, clock, mixing, &waiting).await {
            Ok(done) => mixed.add(done),
            Err(err) => {
                tracing::warn!(error = %err, election_id = %waiting.election_id, "an election's pools not flushed this tick");
                first_error.get_or_insert(err);
            }
        }
    }
    match first_error {
        Some(err) => Err(err),
        None => Ok(mixed),
    }
}

async fn tick_election(
    store: &(impl MixPool + BallotBox + ElectionStore),
    sealer: &impl BallotSealer,
    clock: &impl Clock,
    mixing: &Mixing,
    waiting: &Waiting,
) -> Result<Mixed, AppError> {
    let mut mixed = Mixed::default();
    let Some(election) = store.election(&waiting.election_id).await? else {
        return Ok(mixed);
    };
    let last = mixing.is_final(&election, clock.now());
    let mut first_error = None;
    // A few pools at a time; a pool that fails is left for the next tick, and the others
    // are not held back.
    for pools in waiting.pools.chunks(16) {
        let flushes = pools.iter().map(|pool| flush(store, sealer, clock, mixing, pool, last));
        for flushed in futures::future::join_all(flushes).await {
            match flushed {
                Ok(done) => mixed.add(done),
                Err(err) => {
                    first_error.get_or_insert(err);
                }
            }
        }
    }
    if let Some(err) = first_error {
        return Err(err);
    }
    // Its pools empty (after the final flush, or during voting once a batch took them all):
    // the mark comes off, so that the ticks stop reading them; a copy pooled since puts it
    // back (the mark's version has changed).
    if !any_pooled(store, &waiting.pools).await? {
        store.done_waiting(&election.id, &waiting.version).await?;
    }
    Ok(mixed)
}

/// Whether any of these pools holds a ballot: read a few at a time.
async fn any_pooled(store: &impl MixPool, pools: &[PoolId]) -> Result<bool, PortError> {
    for pools in pools.chunks(16) {
        let reads = futures::future::try_join_all(pools.iter().map(|pool| store.pooled(pool, 1))).await?;
        if reads.iter().any(|pooled| !pooled.is_empty()) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Whether any of an election's ballots still waits in a pool: every pool of it is read
/// (this is asked before a freeze or a certification).
pub async fn mixing_pending(store: &impl MixPool, election: &ElectionId) -> Result<bool, PortError> {
    any_pooled(store, &store.pools(election)).await
}

/// Flushes a pool under its lease; a pool another flush holds is left to it.
async fn flush(
    store: &(impl MixPool + BallotBox),
    sealer: &impl BallotSealer,
    clock: &impl Clock,
    mixing: &Mixing,
    pool: &PoolId,
    last: bool,
) -> Result<Mixed, AppError> {
    // Most pools hold fewer than k: a read tells, without taking the lease.
    let least = if last { 1 } else { mixing.batch.max(1) };
    if store.pooled(pool, least).await?.len() < least {
        return Ok(Mixed::default());
    }
    let holder = uuid::Uuid::new_v4().to_string();
    let now = clock.now();
    if !store.lease(pool, &holder, now, now + LEASE).await? {
        return Ok(Mixed::default());
    }
    let flushed = flush_leased(store, sealer, pool, least).await;
    // Were the release lost, the lease would lapse by itself.
    if let Err(err) = store.release(pool, &holder).await {
        tracing::warn!(error = %err, "a pool's lease was not given back");
    }
    flushed
}

/// Writes the pool's ballots in batches of at least `least`.
async fn flush_leased(
    store: &(impl MixPool + BallotBox),
    sealer: &impl BallotSealer,
    pool: &PoolId,
    least: usize,
) -> Result<Mixed, AppError> {
    let mut mixed = Mixed::default();
    loop {
        let pooled = store.pooled(pool, MOST_AT_ONCE).await?;
        if pooled.len() < least {
            return Ok(mixed);
        }
        let mut opened = open_all(sealer, &pooled).await?;
        // Shuffled before anything is asked of the box: the pool lists its copies in the
        // order of their keys, which anyone with the votes' requests can work out, so a
        // request that listed receipts in that order would pair each with its voter.
        opened.shuffle(&mut rand::rngs::OsRng);
        let receipts: Vec<_> = opened.iter().map(|(_, ballot)| ballot.receipt_id.clone()).collect();
        let boxed = store.in_box(&pool.election_id, &receipts).await?;
        // In the box already (a flush cut short): not written again, and taken out of the
        // pool only with the next batch written. Taken out alone, they would show a reader of
        // the requests which copies of the cut batch were written and which were not.
        let (done, waiting): (Vec<_>, Vec<_>) = opened
            .into_iter()
            .partition(|(_, ballot)| boxed.contains(&ballot.receipt_id));
        if waiting.len() < least {
            // Every copy of the cut batch written: nothing left to tell apart.
            if waiting.is_empty() && !done.is_empty() {
                store.unpool(pool, &keys(&done)).await?;
            }
            return Ok(mixed);
        }
        let ballots = one_time(waiting.iter().map(|(_, ballot)| ballot.clone()).collect());
        store.put_ballots(&uuid::Uuid::new_v4().to_string(), &ballots).await?;
        store.unpool(pool, &keys(&[done, waiting].concat())).await?;
        tracing::info!(election_id = %pool.election_id, ballots = ballots.len(), "a mixed batch written to the box");
        mixed.written += ballots.len();
        mixed.batches.push(ballots.len());
        if pooled.len() < MOST_AT_ONCE {
            return Ok(mixed);
        }
    }
}

/// Opens every pooled ballot; one that does not open, or opens for another election, is
/// an error that leaves the pool as it is (for an operator: nothing is dropped in silence).
async fn open_all<'a>(sealer: &impl BallotSealer, pooled: &'a [Pooled]) -> Result<Vec<(&'a str, Ballot)>, AppError> {
    let mut opened = Vec::with_capacity(pooled.len());
    for item in pooled {
        let ballot = sealer.open_ballot(&item.ballot).await?;
        if ballot.election_id != item.ballot.election_id {
            return Err(PortError::Internal("a pooled ballot opened for another election".into()).into());
        }
        opened.push((item.key.as_str(), ballot));
    }
    Ok(opened)
}

/// A batch's ballots with one time, the hour of its latest vote: a batch that spans an hour
/// would otherwise split in two by the hour its ballots were cast in.
fn one_time(mut ballots: Vec<Ballot>) -> Vec<Ballot> {
    if let Some(hour) = ballots.iter().map(|b| b.cast_in_hour).max() {
        ballots.iter_mut().for_each(|b| b.cast_in_hour = hour);
    }
    ballots
}

/// The pool's keys of these ballots, sorted: in an order of their own, never the ballots'
/// (a request that listed them in the order the ballots were written would pair them).
fn keys(ballots: &[(&str, Ballot)]) -> Vec<String> {
    let mut keys: Vec<String> = ballots.iter().map(|(key, _)| (*key).to_owned()).collect();
    keys.sort_unstable();
    keys
}
