//! One module per HTTP route: parse and authorize the request, apply the domain rule,
//! and say what to reply. Every expected failure is an [`AppError`](crate::error::AppError).

pub mod cast_vote;
pub mod get_results;
pub mod register_candidate;
pub mod register_election;
pub mod views;
