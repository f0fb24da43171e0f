//! The ballot page's data in one public document: the election, its candidates in ballot
//! order, and each one's pledges. One request a voter, cacheable for a few seconds, every
//! read eventually consistent (a cache in front serves it as old anyway).

use super::views::{CandidateView, ElectionView, PledgeView};
use crate::clock::Clock;
use crate::domain::ids::ElectionId;
use crate::ports::{CandidateStore, PublicReads};
use crate::problem::AppError;
use futures::future::try_join_all;
use serde::Serialize;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BallotDocument {
    pub election: ElectionView,
    pub candidates: Vec<BallotCandidate>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BallotCandidate {
    #[serde(flatten)]
    pub candidate: CandidateView,
    pub pledges: Vec<PledgeView>,
}

/// `GET /elections/{electionId}/ballot`: public.
pub async fn ballot_document(
    store: &(impl PublicReads + CandidateStore),
    clock: &impl Clock,
    election_id: &ElectionId,
) -> Result<BallotDocument, AppError> {
    let election = store
        .public_election(election_id)
        .await?
        .ok_or(AppError::NotFound("no election has this id"))?;
    let candidates = store.candidates_in(election_id).await?;
    let candidates = try_join_all(candidates.iter().map(|candidate| async move {
        let pledges = store.public_pledges(&candidate.id).await?;
        Ok::<_, AppError>(BallotCandidate {
            candidate: CandidateView::from(candidate),
            pledges: pledges.iter().map(PledgeView::from).collect(),
        })
    }))
    .await?;
    Ok(BallotDocument {
        election: ElectionView::new(&election, clock.now()),
        candidates,
    })
}
