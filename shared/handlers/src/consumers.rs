//! The queue consumers: each reads a batch of EventBridge envelopes (one event each, or a
//! pack of ballots), hands the domain events to its core policy, and reports the messages
//! that failed, so that only they are retried (and, in the end, set aside in the
//! dead-letter queue).

use crate::config::Setting;
use crate::config::{Bound, Wiring};
use crate::services::{App, Deployed, Unused};
use adapters::dynamodb::Table;
use adapters::eventbridge::events_in;
use adapters::eventbridge::EventBridgeBus;
use adapters::kms::KmsKeys;
use adapters::retry::Backoff;
use adapters::s3::{parse_object_key, S3Files};
use aws_lambda_events::s3::S3Event;
use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use election_core::domain::certification::{PartRecount, PartWork};
use election_core::domain_events::DomainEvent;
use election_core::policies;
use election_core::problem::PortError;
use election_core::use_cases::roll;
use election_core::use_cases::{freeze, recount};
use std::future::Future;
use std::time::{Duration, Instant};

/// A function fed by an SQS queue.
pub trait Consumer {
    /// What its function reads from its environment (and the template gives it).
    const SETTINGS: &'static [Setting];
    /// What its function runs with in Lambda: the adapters it uses, and no others.
    type Live: App + Wiring;
    fn consume(app: &impl App, event: SqsEvent) -> impl Future<Output = SqsBatchResponse> + Send;
}

/// `project-dashboard`: the results and my-votes views.
pub struct ProjectDashboard;

impl Consumer for ProjectDashboard {
    type Live = Deployed;
    const SETTINGS: &'static [Setting] = &[Setting::Table(Table::Dashboard)];

    async fn consume(app: &impl App, event: SqsEvent) -> SqsBatchResponse {
        let (store, clock) = (app.store(), app.clock());
        apply_whole(event, |events| async move {
            policies::project_dashboard(store, clock, &events).await
        })
        .await
    }
}

/// `count-pledges`: candidates' live pledge counts.
pub struct CountPledges;

impl Consumer for CountPledges {
    type Live = Deployed;
    const SETTINGS: &'static [Setting] = &[Setting::Table(Table::Candidates)];

    async fn consume(app: &impl App, event: SqsEvent) -> SqsBatchResponse {
        let store = app.store();
        apply_whole(
            event,
            |events| async move { policies::count_pledges(store, &events).await },
        )
        .await
    }
}

/// `remove-withdrawn-pledges`: a withdrawn candidate's pledges, one event at a time.
pub struct RemoveWithdrawnPledges;

impl Consumer for RemoveWithdrawnPledges {
    type Live = Deployed;
    const SETTINGS: &'static [Setting] = &[Setting::Table(Table::Pledges)];

    async fn consume(app: &impl App, event: SqsEvent) -> SqsBatchResponse {
        let Some(Batch { events, mut failed }) = read(event) else {
            return whole_batch_failed();
        };
        for (id, events) in events {
            for event in events {
                if let Err(err) = policies::remove_withdrawn_pledges(app.store(), &event).await {
                    tracing::warn!(error = %err, message_id = %id, "pledges not all removed; will retry");
                    failed.push(id);
                    break;
                }
            }
        }
        failures(failed)
    }
}

/// `recount-part`: one ballot-box part per message (a part request, not a domain event), of
/// a certification's recount or of a verifiable election's tally freeze.
pub struct RecountPart;

impl Consumer for RecountPart {
    type Live = Deployed<EventBridgeBus, Unused, S3Files>;
    const SETTINGS: &'static [Setting] = &[
        Setting::Table(Table::BallotBox),
        Setting::Table(Table::Dashboard),
        // The freeze: the election's ceremony (what each ballot is checked against, and where
        // the tally is kept), the record's ballot files, and its second stage's requests.
        Setting::Table(Table::Elections),
        Setting::Table(Table::Ceremony),
        Setting::RecordsBucket,
        Setting::RecountQueueUrl,
    ];

    async fn consume(app: &impl App, event: SqsEvent) -> SqsBatchResponse {
        let mut failed = Vec::new();
        for message in event.records {
            let Some(id) = message.message_id else {
                tracing::error!("a message has no id; the whole batch is reported failed");
                return whole_batch_failed();
            };
            let request = message.body.as_deref().map(serde_json::from_str::<PartRecount>);
            let Some(Ok(request)) = request else {
                tracing::error!(message_id = %id, "message is not a recount part");
                failed.push(id);
                continue;
            };
            let done = match request.work {
                PartWork::Recount => recount::recount_part(app.store(), app.clock(), &request).await,
                _ => freeze::freeze_part(app.store(), app.files(), app.bus(), app.clock(), &request).await,
            };
            if let Err(err) = done {
                tracing::warn!(error = %err, message_id = %id, "part not counted; it will be retried");
                failed.push(id);
            }
        }
        failures(failed)
    }
}

/// `import-roll`: imports a roll's file when it is uploaded (S3 tells the queue), from its
/// last checkpoint. A run that fails is retried by the queue, and resumes.
pub struct ImportRoll;

/// How long after its start an import run still resumes by itself after a transient error
/// (throttling, a time-out): well inside import-roll's 900 s timeout, so that the chunk in
/// hand (1 MiB, seconds) ends before it.
const RESUME_WITHIN: Duration = Duration::from_secs(600);
/// The pauses before resuming: up to 1 s, doubling to 30 s.
const RESUME_BACKOFF: Backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(30));

impl Consumer for ImportRoll {
    type Live = Deployed<Unused, KmsKeys, S3Files>;
    const SETTINGS: &'static [Setting] = &[
        Setting::Table(Table::Elections),
        Setting::Table(Table::Rolls),
        Setting::Table(Table::Participation),
        Setting::VoterIdentityKey,
        Setting::RollFilesBucket,
        Setting::Bound(Bound::ClockSkewMargin),
    ];

    async fn consume(app: &impl App, event: SqsEvent) -> SqsBatchResponse {
        let mut failed = Vec::new();
        for message in event.records {
            let Some(id) = message.message_id else {
                tracing::error!("a message has no id; the whole batch is reported failed");
                return whole_batch_failed();
            };
            let body = message.body.as_deref().unwrap_or_default();
            // S3's test notice, sent when the notification is set up, is no upload.
            let test_notice =
                serde_json::from_str::<serde_json::Value>(body).is_ok_and(|notice| notice["Event"] == "s3:TestEvent");
            if test_notice {
                continue;
            }
            let Ok(notice) = serde_json::from_str::<S3Event>(body) else {
                tracing::error!(message_id = %id, "message is not an S3 notice");
                failed.push(id);
                continue;
            };
            // A roll file's key needs no decoding: ids, '/', '.csv'.
            for object in notice.records.iter().filter_map(|r| r.s3.object.key.as_deref()) {
                let Some((election_id, roll_id)) = parse_object_key(object) else {
                    tracing::warn!(message_id = %id, "an object that is no roll file; ignored");
                    continue;
                };
                let (store, files, keys, clock, bounds) =
                    (app.store(), app.files(), app.sealer(), app.clock(), app.bounds());
                let started = Instant::now();
                let mut resumed = 0;
                loop {
                    match roll::import_roll(store, files, keys, clock, bounds, &election_id, &roll_id).await {
                        Ok(run) => tracing::info!(%election_id, %roll_id, ?run, "roll import run ended"),
                        // Resumed here, from its last checkpoint: the message would come back
                        // only after the queue's visibility timeout (16 minutes).
                        Err(err) if started.elapsed() + RESUME_BACKOFF.ceiling(resumed + 1) < RESUME_WITHIN => {
                            resumed += 1;
                            tracing::warn!(error = %err, %election_id, %roll_id, resumed, "roll import stopped; resuming");
                            RESUME_BACKOFF.wait(resumed).await;
                            continue;
                        }
                        Err(err) => {
                            tracing::warn!(error = %err, %election_id, %roll_id, "roll import stopped; it resumes when its message comes back");
                            failed.push(id.clone());
                        }
                    }
                    break;
                }
            }
        }
        failures(failed)
    }
}

/// A batch, read: each message's id and events, and the ids of messages that are not
/// events (reported failed).
struct Batch {
    events: Vec<(String, Vec<DomainEvent>)>,
    failed: Vec<String>,
}

/// Reads every message; one that is not a domain event is reported failed, so that it ends
/// in the dead-letter queue instead of vanishing. `None` if a message has no id: it could
/// not be named as failed, so the whole batch must be.
fn read(event: SqsEvent) -> Option<Batch> {
    let mut batch = Batch {
        events: Vec::new(),
        failed: Vec::new(),
    };
    for message in event.records {
        let Some(id) = message.message_id else {
            tracing::error!("a message has no id; the whole batch is reported failed");
            return None;
        };
        match message.body.as_deref().map(events_in) {
            Some(Ok(events)) => batch.events.push((id, events)),
            _ => {
                tracing::error!(message_id = %id, "message is not a domain event");
                batch.failed.push(id);
            }
        }
    }
    Some(batch)
}

/// The reply that fails every message of the batch: Lambda reads an empty identifier as
/// "the whole batch failed", and retries it all.
fn whole_batch_failed() -> SqsBatchResponse {
    failures([String::new()])
}

/// The reply naming the failed messages.
fn failures(ids: impl IntoIterator<Item = String>) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = ids
        .into_iter()
        .map(|id| {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            failure
        })
        .collect();
    response
}

/// Applies a whole batch in one go with `apply`. If that fails, each message's events are
/// applied on their own, so that only the messages that still fail are retried (and, in the
/// end, set aside in the dead-letter queue); the others are not held back by them.
async fn apply_whole<F, Fut>(event: SqsEvent, apply: F) -> SqsBatchResponse
where
    F: Fn(Vec<DomainEvent>) -> Fut,
    Fut: Future<Output = Result<(), PortError>>,
{
    let Some(Batch { events, mut failed }) = read(event) else {
        return whole_batch_failed();
    };
    let all: Vec<DomainEvent> = events.iter().flat_map(|(_, e)| e.iter().cloned()).collect();
    if let Err(err) = apply(all).await {
        tracing::warn!(error = %err, "batch not applied whole; applying it message by message");
        for (id, events) in events {
            if let Err(err) = apply(events).await {
                tracing::warn!(error = %err, message_id = %id, "event not applied; it will be retried");
                failed.push(id);
            }
        }
    }
    failures(failed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lambda_events::sqs::SqsMessage;

    #[test]
    fn a_message_without_an_id_fails_the_whole_batch() {
        let mut named = SqsMessage::default();
        named.message_id = Some("m-1".into());
        named.body = Some("not an event".into());
        let mut event = SqsEvent::default();
        event.records = vec![named.clone()];
        assert_eq!(read(event.clone()).map(|b| b.failed), Some(vec!["m-1".to_owned()]));

        event.records.push(SqsMessage::default());
        assert!(read(event).is_none());
        let reply = whole_batch_failed();
        assert_eq!(reply.batch_item_failures.len(), 1);
        assert_eq!(reply.batch_item_failures[0].item_identifier, "");
    }
}
