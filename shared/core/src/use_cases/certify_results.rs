//! Certifies an election's results (commission), as a job. A request is refused until
//! voting has ended and no vote sent before the close can still commit
//! ([`Bounds::certifiable_from`]), and while a message waits in the event pipeline (its queues or
//! dead-letter queues). Then it starts a job: each ballot-box part is counted by a worker of
//! its own ([`recount_part`]), and the worker that counts the last part adds the parts up,
//! compares them with the results and, if they match, makes the results final with when
//! and by whom. A request while a job is under way joins it; one after a certification
//! returns it; one after a refusal starts a new attempt. A verifiable election is certified
//! from its trustees' decryption, once it is in: the recount sums the box's ciphertexts part
//! by part and must find exactly the tally they decrypted.
//!
//! [`recount_part`]: super::recount::recount_part

use super::authorize;
use super::get_results::read_results;
use super::mix_ballots::mixing_pending;
use super::recount::finish_if_counted;
use super::tally::decrypted_tally;
use crate::auth::{Caller, Role};
use crate::bounds::{delta, Bounds};
use crate::clock::Clock;
use crate::domain::certification::{CertificationJob, JobState, PartRecount, PartWork};
use crate::domain::election::ElectionStatus;
use crate::domain::ids::ElectionId;
use crate::ports::{BallotBox, CeremonyStore, ElectionStore, EventBus, MixPool, ViewStore};
use crate::problem::{AppError, Code};
use crate::projection::{certification_job, View};
use chrono::{DateTime, SecondsFormat, Utc};

pub const MAY: &[Role] = &[Role::Commission];

/// Starts a certification job, or answers the one under way or done.
pub async fn certify_results(
    store: &(impl ElectionStore + CeremonyStore + BallotBox + MixPool + ViewStore),
    bus: &impl EventBus,
    clock: &impl Clock,
    bounds: &Bounds,
    caller: &Caller,
    election_id: &ElectionId,
) -> Result<CertificationJob, AppError> {
    authorize(caller, MAY)?;
    let election = store
        .election(election_id)
        .await?
        .ok_or(AppError::NotFound("no election has this id"))?;
    let now = clock.now();
    let previous = read_job(store, election_id).await?;
    match &previous {
        Some(job) if job.state == JobState::Certified => return Ok(with_progress(store, job.clone()).await?.0),
        Some(job) if job.state == JobState::Recounting => {
            return resume_if_stalled(store, bus, clock, bounds, job.clone()).await
        }
        _ => {}
    }
    // Final results are never certified again, however they were.
    if read_results(store, election_id).await?.is_final {
        return Err(AppError::conflict(
            Code::NotCertifiable,
            "these results are certified already",
        ));
    }
    if election.status_at(now) != ElectionStatus::Closed {
        return Err(AppError::conflict(
            Code::NotCertifiable,
            "voting in this election has not ended",
        ));
    }
    let from = bounds.certifiable_from(&election);
    if now < from {
        return Err(AppError::conflict(
            Code::NotCertifiable,
            format!(
                "votes sent before the close may still commit until {}; certify after that",
                from.to_rfc3339_opts(SecondsFormat::Secs, true)
            ),
        ));
    }
    if mixing_pending(store, election_id).await? {
        return Err(AppError::conflict(
            Code::NotCertifiable,
            "ballots still wait in the mixer's pools; the final batches are written within a minute of the close",
        ));
    }
    let backlog = bus.backlog().await?;
    if !backlog.is_empty() {
        let waiting: Vec<String> = backlog.iter().map(|(queue, n)| format!("{queue}: {n}")).collect();
        return Err(AppError::conflict(
            Code::NotCertifiable,
            format!("messages still wait in the event pipeline ({})", waiting.join(", ")),
        ));
    }
    // A verifiable election's votes are its trustees' decryption: certified only once it is
    // in, and only if the recount sums the box to the tally they decrypted.
    let decrypted = match election.verifiable {
        Some(_) => Some(decrypted_tally(store, election_id).await?),
        None => None,
    };
    let request = uuid::Uuid::new_v4().to_string();
    let job = CertificationJob {
        election_id: election_id.clone(),
        attempt: previous.map_or(1, |job| job.attempt + 1),
        state: JobState::Recounting,
        parts: store.parts(),
        parts_done: 0,
        requested_by: super::identity(caller)?.as_str().to_owned(),
        requested_at: now,
        updated_at: now,
        refusal: None,
        resends: 0,
        started_by_request: request.clone(),
        decrypted,
    };
    store
        .apply(View::Dashboard, vec![certification_job::start(&job)])
        .await?;
    // Of two requests at once, one started the attempt: the other joins it.
    let job = read_job(store, election_id).await?.ok_or(AppError::Internal)?;
    if job.started_by_request == request {
        send_parts(store, bus, &job, (0..job.parts).collect(), now).await?;
    }
    Ok(job)
}

/// Sends the parts out to the workers. If they cannot be sent, the attempt is refused (so
/// that the next request starts another, instead of joining one nobody works on).
async fn send_parts(
    store: &impl ViewStore,
    bus: &impl EventBus,
    job: &CertificationJob,
    parts: Vec<u32>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let requests: Vec<PartRecount> = parts
        .into_iter()
        .map(|part| PartRecount {
            election_id: job.election_id.clone(),
            attempt: job.attempt,
            part,
            work: PartWork::Recount,
        })
        .collect();
    if let Err(err) = bus.request_recounts(&requests).await {
        let refusal = format!("the recount could not be sent to its workers ({err}); certify again");
        let failed = certification_job::finish(&job.election_id, job.attempt, Err(refusal), now);
        store.apply(View::Dashboard, vec![failed]).await?;
        return Err(err.into());
    }
    Ok(())
}

/// Times the parts of a stalled attempt are sent again before it is given up.
pub const RESENDS: u32 = 3;

/// A job under way, as it stands. If it has not moved for [`Bounds::recount_stall`]:
/// counted whole but not finished (its last worker stopped), it is finished here; parts
/// lost, they are sent again (a part counted twice is kept once), up to [`RESENDS`] times,
/// after which the attempt is refused, so that the next request starts a new one.
async fn resume_if_stalled(
    store: &impl ViewStore,
    bus: &impl EventBus,
    clock: &impl Clock,
    bounds: &Bounds,
    job: CertificationJob,
) -> Result<CertificationJob, AppError> {
    let now = clock.now();
    let (job, left) = with_progress(store, job).await?;
    if now - job.updated_at <= delta(bounds.recount_stall) {
        return Ok(job);
    }
    tracing::warn!(election = %job.election_id, attempt = job.attempt, parts = left.len(), "certification stalled");
    if left.is_empty() {
        finish_if_counted(store, clock, &job).await?;
    } else if job.resends >= RESENDS {
        let refusal = format!(
            "parts {left:?} of the ballot box were not counted after {RESENDS} resends; certify again to start a new recount"
        );
        let given_up = certification_job::finish(&job.election_id, job.attempt, Err(refusal), now);
        store.apply(View::Dashboard, vec![given_up]).await?;
    } else {
        store
            .apply(View::Dashboard, vec![certification_job::resent(&job, now)])
            .await?;
        send_parts(store, bus, &job, left, now).await?;
    }
    let job = read_job(store, &job.election_id).await?.ok_or(AppError::Internal)?;
    Ok(with_progress(store, job).await?.0)
}

/// An election's certification job, if one was ever requested.
pub async fn read_job(store: &impl ViewStore, election_id: &ElectionId) -> Result<Option<CertificationJob>, AppError> {
    let key = certification_job::job_key(election_id);
    let rows = store.rows(View::Dashboard, vec![key]).await?;
    Ok(rows
        .first()
        .and_then(|(_, row)| certification_job::job(election_id, row)))
}

/// The job with its parts counted so far, and the parts left.
async fn with_progress(
    store: &impl ViewStore,
    mut job: CertificationJob,
) -> Result<(CertificationJob, Vec<u32>), AppError> {
    let counted = store.rows(View::Dashboard, certification_job::part_keys(&job)).await?;
    let left = certification_job::parts_left(&job, &counted);
    job.parts_done = job.parts - left.len() as u32;
    let last_counted = counted
        .iter()
        .filter_map(|(_, row)| certification_job::counted_at(row))
        .max();
    job.updated_at = job.updated_at.max(last_counted.unwrap_or(job.updated_at));
    Ok((job, left))
}

/// `GET …/certification` (commission): the job and its progress.
pub async fn certification_job(
    store: &impl ViewStore,
    caller: &Caller,
    election_id: &ElectionId,
) -> Result<CertificationJob, AppError> {
    authorize(caller, MAY)?;
    let job = read_job(store, election_id).await?.ok_or(AppError::NotFound(
        "no certification of this election has been requested",
    ))?;
    Ok(with_progress(store, job).await?.0)
}
