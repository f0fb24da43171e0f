//! At-least-once delivery, exactly-once effect: the same event delivered twice, or a batch
//! retried after a partial failure, leaves every count as it was. Runs on the real queue
//! and table of the local stack.

use crate::support::eventually;
use crate::support::{clients, queue_url, template, unique, Api};
use crate::walking_skeleton::{new_voters, open_election, register_candidate, results_within_30s, vote, votes_of};
use aws_lambda_events::sqs::SqsEvent;
use chrono::{TimeDelta, Utc};
use handlers::functions::QueueFunction;
use serde_json::{json, Value};
use std::time::Duration;

pub fn ballot_cast_envelope(election: &str, candidate: &str) -> Value {
    let receipt = uuid::Uuid::new_v4().to_string();
    json!({
        "version": "0", "id": uuid::Uuid::new_v4().to_string(), "detail-type": "BallotCast", "source": "omp.votes",
        "account": "000000000000", "time": Utc::now(), "region": "us-east-1", "resources": [],
        "detail": {
            "eventId": format!("BallotCast-{receipt}"), "occurredAt": Utc::now(), "electionId": election,
            "candidateId": candidate, "receiptId": receipt,
        }
    })
}

fn sqs_batch(bodies: &[String]) -> SqsEvent {
    let records: Vec<Value> = bodies
        .iter()
        .enumerate()
        .map(|(i, body)| json!({ "messageId": format!("m{i}"), "body": body }))
        .collect();
    serde_json::from_value(json!({ "Records": records })).unwrap()
}

#[tokio::test]
async fn the_same_event_sent_twice_through_the_queue_counts_once() {
    let api = Api::from_env();
    let commission = api.token(&unique("officer"), &["commission"]);
    let voters = new_voters(20);
    let election = open_election(&api, &commission, &voters, TimeDelta::hours(1)).await;
    let candidate = register_candidate(&api, &commission, &election, 1, "Ada Lovelace").await;
    let voter = api.token(&voters[0], &["voter"]);
    assert_eq!(vote(&api, &voter, &election, &candidate).await.status, 201);
    results_within_30s(&api, &commission, &election, |r| r["totalVotes"] == 1).await;

    // GIVEN a BallotCast event delivered twice to the projector's queue (as SQS may)
    let clients = clients().await;
    let queue_url = queue_url(&clients, "DashboardQueue").await;
    let duplicate = ballot_cast_envelope(&election, &candidate).to_string();
    for _ in 0..2 {
        clients
            .sqs
            .send_message()
            .queue_url(&queue_url)
            .message_body(&duplicate)
            .send()
            .await
            .unwrap();
    }
    // THEN it counts once
    let results = results_within_30s(&api, &commission, &election, |r| r["totalVotes"] == 2).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let settled = api
        .get(&format!("/elections/{election}/results/live"), &commission)
        .await
        .body;
    assert_eq!(results["totalVotes"], 2, "{results}");
    assert_eq!(settled["totalVotes"], 2, "{settled}");
    assert_eq!(votes_of(&settled, &candidate), 2);
}

#[tokio::test]
async fn a_batch_retried_after_a_partial_failure_changes_nothing_the_second_time() {
    let api = Api::from_env();
    let commission = api.token(&unique("officer"), &["commission"]);
    let voters = new_voters(20);
    let election = open_election(&api, &commission, &voters, TimeDelta::hours(1)).await;
    let ada = register_candidate(&api, &commission, &election, 1, "Ada Lovelace").await;
    let grace = register_candidate(&api, &commission, &election, 2, "Grace Hopper").await;
    results_within_30s(&api, &commission, &election, |r| {
        r["candidates"].as_array().is_some_and(|c| c.len() == 2)
    })
    .await;

    // The project-dashboard handler on the real dashboard table.
    let services = local_runner::local_services(&clients().await, &template()).unwrap();
    let batch = [
        ballot_cast_envelope(&election, &ada).to_string(),
        "not an event".to_owned(),
        ballot_cast_envelope(&election, &ada).to_string(),
        ballot_cast_envelope(&election, &grace).to_string(),
    ];
    // WHEN the batch partly fails (one poison message) and is then retried whole
    let first = services.queue(QueueFunction::ProjectDashboard, sqs_batch(&batch)).await;
    let failed: Vec<&str> = first
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(failed, ["m1"]);
    let after_first = results_within_30s(&api, &commission, &election, |r| r["totalVotes"] == 3).await;
    let retry = services.queue(QueueFunction::ProjectDashboard, sqs_batch(&batch)).await;
    assert_eq!(retry.batch_item_failures.len(), 1);
    // THEN the counts are those of the first delivery
    let after_retry = api
        .get(&format!("/elections/{election}/results/live"), &commission)
        .await
        .body;
    assert_eq!(votes_of(&after_first, &ada), 2, "{after_first}");
    assert_eq!(votes_of(&after_first, &grace), 1, "{after_first}");
    assert_eq!(after_retry["totalVotes"], 3, "{after_retry}");
    assert_eq!(votes_of(&after_retry, &ada), 2, "{after_retry}");
    assert_eq!(votes_of(&after_retry, &grace), 1, "{after_retry}");
}

fn envelope(detail_type: &str, source: &str, detail: Value) -> String {
    json!({
        "version": "0", "id": uuid::Uuid::new_v4().to_string(), "detail-type": detail_type, "source": source,
        "account": "000000000000", "time": Utc::now(), "region": "us-east-1", "resources": [], "detail": detail,
    })
    .to_string()
}

#[tokio::test]
async fn pledge_and_withdrawal_events_delivered_twice_change_nothing() {
    let api = Api::from_env();
    let commission = api.token(&unique("officer"), &["commission"]);
    let voters = new_voters(20);
    let election = open_election(&api, &commission, &voters, TimeDelta::hours(1)).await;
    let candidate = register_candidate(&api, &commission, &election, 1, "Ada Lovelace").await;
    let voter = api.token(&voters[0], &["voter"]);
    assert_eq!(vote(&api, &voter, &election, &candidate).await.status, 201);
    let pledge = json!({"theme": "T", "title": "Kept", "description": "D"});
    let added = api
        .post(&format!("/candidates/{candidate}/pledges"), &commission, &pledge)
        .await;
    assert_eq!(added.status, 201);
    let pledge_id = added.body["pledgeId"].as_str().unwrap().to_owned();
    let settled = |r: &Value| r["totalVotes"] == 1 && r["candidates"][0]["pledgeCount"] == 1;
    results_within_30s(&api, &commission, &election, settled).await;
    let candidate_path = format!("/candidates/{candidate}");
    eventually(&api, &candidate_path, &commission, |c| c["pledgeCount"] == 1).await;

    // GIVEN the PledgeAdded already applied, delivered twice more to both of its consumers
    let services = local_runner::local_services(&clients().await, &template()).unwrap();
    let pledge_added = envelope(
        "PledgeAdded",
        "omp.pledges",
        json!({"eventId": format!("PledgeAdded-{pledge_id}"), "occurredAt": Utc::now(), "electionId": election,
               "candidateId": candidate, "pledgeId": pledge_id}),
    );
    for _ in 0..2 {
        for consumer in [QueueFunction::CountPledges, QueueFunction::ProjectDashboard] {
            let response = services
                .queue(consumer, sqs_batch(std::slice::from_ref(&pledge_added)))
                .await;
            assert!(response.batch_item_failures.is_empty());
        }
    }
    // THEN both pledge counts stay at one
    let results = api
        .get(&format!("/elections/{election}/results/live"), &commission)
        .await
        .body;
    assert_eq!(results["candidates"][0]["pledgeCount"], 1, "{results}");
    assert_eq!(api.get(&candidate_path, &commission).await.body["pledgeCount"], 1);

    // GIVEN a withdrawal, applied, then delivered twice more to both of its consumers
    let withdraw = format!("/elections/{election}/candidates/{candidate}");
    assert_eq!(
        api.send(reqwest::Method::DELETE, &withdraw, Some(&commission), None)
            .await
            .status,
        204
    );
    let gone = |r: &Value| r["candidates"][0]["withdrawn"] == true && r["candidates"][0]["pledgeCount"] == 0;
    let before = results_within_30s(&api, &commission, &election, gone).await;
    eventually(&api, &candidate_path, &commission, |c| c["pledgeCount"] == 0).await;
    let withdrawn = envelope(
        "CandidateWithdrawn",
        "omp.candidates",
        json!({"eventId": format!("CandidateWithdrawn-{candidate}"), "occurredAt": Utc::now(),
               "electionId": election, "candidateId": candidate}),
    );
    for _ in 0..2 {
        for consumer in [QueueFunction::RemoveWithdrawnPledges, QueueFunction::ProjectDashboard] {
            let response = services
                .queue(consumer, sqs_batch(std::slice::from_ref(&withdrawn)))
                .await;
            assert!(response.batch_item_failures.is_empty());
        }
    }
    // THEN the vote is kept and nothing else moves
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = api
        .get(&format!("/elections/{election}/results/live"), &commission)
        .await
        .body;
    assert_eq!(after["candidates"], before["candidates"], "{after}");
    assert_eq!(after["totalVotes"], 1);
    assert_eq!(api.get(&candidate_path, &commission).await.body["pledgeCount"], 0);
}
