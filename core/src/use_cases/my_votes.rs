//! The caller's own votes in every election (voter). The caller is the token's `sub`;
//! there is no way to name anyone else.

use super::authorize;
use super::views::Listing;
use crate::auth::{Caller, Role};
use crate::domain::results::MyVote;
use crate::ports::ViewStore;
use crate::problem::AppError;
use crate::projection::dashboard::{my_votes_partition, MyVoteRow};
use crate::projection::{text, Row, View};
use std::collections::HashMap;

pub const MAY: &[Role] = &[Role::Voter];

pub async fn my_votes(store: &impl ViewStore, caller: &Caller) -> Result<Listing<MyVote>, AppError> {
    authorize(caller, MAY)?;
    let rows = store
        .partition(View::Dashboard, &my_votes_partition(&caller.sub))
        .await?;
    let votes = rows
        .iter()
        .map(MyVoteRow::read)
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| {
            tracing::error!("a my-votes row lacks an attribute");
            AppError::Internal
        })?;
    let mut keys: Vec<_> = votes.iter().flat_map(MyVoteRow::detail_keys).collect();
    keys.sort();
    keys.dedup();
    let details: HashMap<(String, String), Row> = store
        .rows(View::Dashboard, keys)
        .await?
        .into_iter()
        .map(|row| {
            (
                (
                    text(&row, "pk").unwrap_or_default(),
                    text(&row, "sk").unwrap_or_default(),
                ),
                row,
            )
        })
        .collect();
    let find = |key: &[(&str, String)]| details.get(&(key[0].1.clone(), key[1].1.clone()));
    let mut items: Vec<MyVote> = votes
        .into_iter()
        .map(|vote| {
            let [election, candidate] = vote.detail_keys();
            let (election, candidate) = (find(&election), find(&candidate));
            vote.with_details(election, candidate)
        })
        .collect();
    items.sort_by_key(|v| v.cast_at);
    Ok(Listing { items })
}
