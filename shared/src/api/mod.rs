//! One module per HTTP route: parse and authorize the request, apply the domain rule,
//! and say what to reply. Every expected failure is an [`AppError`](crate::error::AppError).

pub mod add_pledge;
pub mod cast_vote;
pub mod delete_pledge;
pub mod get_results;
pub mod my_votes;
mod pledge_owner;
pub mod query_candidates;
pub mod query_elections;
pub mod query_pledges;
pub mod register_candidate;
pub mod register_election;
pub mod views;
pub mod withdraw_candidate;
