//! Certifies an election's results (commission): once voting has ended and no vote sent
//! before the close can still commit ([`certifiable_from`]), the event pipeline is drained (no message waits in any queue or dead-letter queue) and a recount of the
//! ballot box matches the results. Then the results say `final: true`, with when and by
//! whom; a second certification returns the first.

use super::authorize;
use super::get_results::read_results;
use super::recount::recount;
use crate::auth::{Caller, Role};
use crate::clock::Clock;
use crate::domain::election::{Election, ElectionStatus};
use crate::domain::ids::ElectionId;
use crate::domain::results::Results;
use crate::ports::{BallotBox, ElectionStore, EventBus, ViewStore, OPERATION_BOUND};
use crate::problem::{AppError, Code};
use crate::projection::{dashboard, View};
use chrono::{DateTime, SecondsFormat, Utc};
use std::time::Duration;

pub const MAY: &[Role] = &[Role::Commission];

/// How far the clocks of two functions may disagree. Lambda's clocks are kept by NTP to
/// well under a second; this is the margin certification adds on top of the commit bound.
pub const CLOCK_SKEW_MARGIN: Duration = Duration::from_secs(2);

/// The first moment an election's results may be certified: its close, plus the longest our
/// code waits for a vote sent before the close ([`OPERATION_BOUND`]: no send starts after
/// the close, and each is given up that long after it starts), plus [`CLOCK_SKEW_MARGIN`].
/// A write that DynamoDB applies later still is caught by the projector as a late ballot.
pub fn certifiable_from(election: &Election) -> DateTime<Utc> {
    election.window.ends_at() + OPERATION_BOUND + CLOCK_SKEW_MARGIN
}

pub async fn certify_results(
    store: &(impl ElectionStore + BallotBox + ViewStore),
    bus: &impl EventBus,
    clock: &impl Clock,
    caller: &Caller,
    election_id: &ElectionId,
) -> Result<Results, AppError> {
    authorize(caller, MAY)?;
    let election = store
        .election(election_id)
        .await?
        .ok_or(AppError::NotFound("no election has this id"))?;
    let certified = read_results(store, election_id).await?;
    if certified.is_final {
        return Ok(certified);
    }
    let now = clock.now();
    if election.window.status_at(now) != ElectionStatus::Closed {
        return Err(AppError::conflict(
            Code::NotCertifiable,
            "voting in this election has not ended",
        ));
    }
    let from = certifiable_from(&election);
    if now < from {
        return Err(AppError::conflict(
            Code::NotCertifiable,
            format!(
                "votes sent before the close may still commit until {}; certify after that",
                from.to_rfc3339_opts(SecondsFormat::Secs, true)
            ),
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
    let recounted = recount(store, clock, election_id, false).await?;
    if !recounted.matches {
        return Err(AppError::conflict(
            Code::NotCertifiable,
            format!(
                "the recount differs: {} ballots, {} counted; run the recount with repair",
                recounted.ballots, recounted.counted
            ),
        ));
    }
    let certification = dashboard::certification(
        election_id,
        &recounted.ballots_per_candidate(),
        super::identity(caller)?.as_str(),
        now,
    );
    store.apply(View::Dashboard, vec![certification]).await?;
    Ok(read_results(store, election_id).await?)
}
