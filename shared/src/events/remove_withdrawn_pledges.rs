//! `remove-withdrawn-pledges`: on `CandidateWithdrawn`, deletes that candidate's pledges.
//! Deleting is idempotent (a pledge already gone is skipped), and each deletion raises
//! `PledgeDeleted`, which brings the pledge counts down. Votes are never touched.

use super::queue::{failures, read};
use crate::domain::events::DomainEvent;
use crate::error::StoreError;
use crate::ports::PledgeStore;
use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};

pub async fn handle(store: &impl PledgeStore, event: SqsEvent) -> SqsBatchResponse {
    let batch = read(event);
    let mut failed = batch.failed;
    for (id, event) in batch.events {
        let DomainEvent::CandidateWithdrawn(withdrawn) = event else {
            continue;
        };
        if let Err(err) = remove_pledges(store, &withdrawn.candidate_id).await {
            tracing::warn!(error = %err, candidate_id = %withdrawn.candidate_id, "pledges not all removed; will retry");
            failed.push(id);
        }
    }
    failures(failed)
}

async fn remove_pledges(
    store: &impl PledgeStore,
    candidate: &crate::domain::ids::CandidateId,
) -> Result<(), StoreError> {
    for pledge in store.pledges(candidate).await? {
        match store.delete_pledge(candidate, &pledge.id).await {
            Ok(()) | Err(StoreError::Conflict) => {}
            Err(err) => return Err(err),
        }
    }
    Ok(())
}
