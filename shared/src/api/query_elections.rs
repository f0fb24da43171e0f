//! `GET /elections` and `GET /elections/{electionId}` (anyone signed in), with the status
//! computed from now.

use super::views::{ElectionView, Listing, OneOrMany};
use crate::clock::Clock;
use crate::domain::ids::ElectionId;
use crate::error::AppError;
use crate::http::request::{caller, has_path_parameter, path_id};
use crate::ports::ElectionStore;
use lambda_http::Request;

pub async fn handle(
    store: &impl ElectionStore,
    clock: &impl Clock,
    req: &Request,
) -> Result<OneOrMany<ElectionView>, AppError> {
    caller(req)?;
    let now = clock.now();
    if has_path_parameter(req, "electionId") {
        let id: ElectionId = path_id(req, "electionId")?;
        let election = store
            .election(&id)
            .await?
            .ok_or(AppError::NotFound("no election has this id"))?;
        return Ok(OneOrMany::One(ElectionView::new(&election, now)));
    }
    let items = store
        .elections()
        .await?
        .iter()
        .map(|e| ElectionView::new(e, now))
        .collect();
    Ok(OneOrMany::Many(Listing { items }))
}
