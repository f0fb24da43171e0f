//! `GET /me/votes` (voter): the caller's own votes in every election, from the my-votes
//! view. The caller is the token's `sub`; there is no way to name anyone else.

use super::views::Listing;
use crate::auth::Role;
use crate::domain::results::MyVote;
use crate::error::AppError;
use crate::http::request::caller_with_role;
use crate::ports::DashboardStore;
use lambda_http::Request;

pub async fn handle(store: &impl DashboardStore, req: &Request) -> Result<Listing<MyVote>, AppError> {
    let caller = caller_with_role(req, &[Role::Voter])?;
    Ok(Listing {
        items: store.my_votes(&caller.sub).await?,
    })
}
