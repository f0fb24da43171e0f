//! The caller's own votes in every election (voter): their participations, each choice
//! opened for them alone, with the names from the dashboard; an encrypted ballot's tracking
//! code instead of a choice. Whether the board lists that code, the voter's device asks the
//! public board (a request with no identity): read here, beside the voter's own reads, the
//! ballot's key would link them in a log of the tables' reads. The caller is the identity key
//! in their token; there is no way to name anyone else. The names are found in each
//! election's own results partition read whole (its candidates' rows, not their vote
//! counters), never by the chosen candidate's own key: a log of the table's reads
//! (CloudTrail data events) would show that key.

use super::authorize;
use super::views::Listing;
use crate::auth::{Caller, Role};
use crate::domain::results::MyVote;
use crate::ports::{ChoiceSealer, ViewStore, VoteStore, VoterKeys};
use crate::problem::AppError;
use crate::projection::dashboard::OpenedVote;
use crate::projection::{Row, RowKey};
use std::collections::HashMap;

pub const MAY: &[Role] = &[Role::Voter];

pub async fn my_votes(
    store: &(impl VoteStore + ViewStore),
    sealer: &(impl ChoiceSealer + VoterKeys),
    caller: &Caller,
) -> Result<Listing<MyVote>, AppError> {
    authorize(caller, MAY)?;
    let voter = sealer.voter_id(&super::identity_key(caller)?).await?;
    let mut votes = Vec::new();
    for participation in store.participations(&voter).await? {
        let choice = sealer
            .open(&voter, &participation.election_id, &participation.sealed_choice)
            .await?;
        votes.push(OpenedVote {
            election_id: participation.election_id,
            choice,
            cast_at: participation.voted_at,
        });
    }
    let mut elections: Vec<_> = votes.iter().map(|vote| vote.election_id.clone()).collect();
    elections.sort();
    elections.dedup();
    let mut details: HashMap<RowKey, Row> = HashMap::new();
    for election in &elections {
        details.extend(store.election_details(election).await?);
    }
    let mut items: Vec<MyVote> = votes
        .into_iter()
        .map(|vote| {
            let keys = vote.detail_keys();
            let (election, candidate) = (details.get(&keys[0]), keys.get(1).and_then(|k| details.get(k)));
            vote.with_details(election, candidate)
        })
        .collect();
    items.sort_by_key(|v| v.cast_at);
    Ok(Listing { items })
}
