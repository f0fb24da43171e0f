//! One module per command or query. Each takes the caller, a typed command and the ports
//! it needs, applies the rules, and answers a view or an [`AppError`]. Each says who may
//! call it (`MAY`), so that the edge can refuse a caller before it reads the request;
//! queries without a `MAY` are open to anyone signed in.

pub mod add_pledge;
pub mod ballot_page;
pub mod board;
pub mod cast_vote;
pub mod certify_results;
pub mod delete_pledge;
pub mod freeze;
pub mod get_results;
pub mod key_ceremony;
pub mod mix_ballots;
pub mod my_votes;
pub mod pledge_owner;
pub mod query_candidates;
pub mod query_elections;
pub mod query_pledges;
pub mod recount;
pub mod register_candidate;
pub mod register_election;
pub mod roll;
pub mod tally;
pub mod turnout;
pub mod views;
pub mod withdraw_candidate;

use crate::auth::{Caller, Role};
use crate::problem::AppError;

/// Who the caller is, as recorded beside what they do: their `sub`.
pub fn identity(caller: &Caller) -> Result<crate::domain::text::AccountId, AppError> {
    crate::domain::text::AccountId::parse(&caller.sub).map_err(|_| AppError::Unauthenticated)
}

/// The caller's key in the identity service that signed their token: what the roll
/// knows them by, once hashed.
pub fn identity_key(caller: &Caller) -> Result<crate::domain::roll::IdentityKey, AppError> {
    crate::domain::roll::IdentityKey::parse(&caller.sub).map_err(|_| AppError::Unauthenticated)
}

/// The caller must hold one of `roles`.
pub fn authorize(caller: &Caller, roles: &[Role]) -> Result<(), AppError> {
    if caller.has_any(roles) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "your account does not have a role that may do this",
        ))
    }
}
