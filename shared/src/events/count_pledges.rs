//! `count-pledges`: `PledgeAdded`/`PledgeDeleted` into each candidate's live `pledgeCount`,
//! exact in any order and never below zero.

use super::queue::apply_whole;
use crate::ports::PledgeCounter;
use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};

pub async fn handle(store: &impl PledgeCounter, event: SqsEvent) -> SqsBatchResponse {
    apply_whole(event, |events| async move { store.count_pledges(&events).await }).await
}
