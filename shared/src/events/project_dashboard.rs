//! `project-dashboard`: domain events into the results and my-votes views, a whole batch
//! in one go (one counter update per candidate).

use super::queue::apply_whole;
use crate::ports::DashboardStore;
use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};

pub async fn handle(store: &impl DashboardStore, event: SqsEvent) -> SqsBatchResponse {
    apply_whole(event, |events| async move { store.apply(&events).await }).await
}
