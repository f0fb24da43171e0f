//! After the storm, with faults off, straight to DynamoDB Local and LocalStack: waits until
//! the pipeline has drained (redriving dead letters, as an operator would), recounts, checks
//! the ballot box against every reply the voters got, and finds the malformed record in the
//! queue it was set aside to.

use crate::voters::Voter;
use adapters::eventbridge::EventBridgeBus;
use aws_sdk_dynamodb::types::AttributeValue;
use election_core::domain::ids::ElectionId;
use election_core::domain::roll::IdentityKey;
use election_core::ports::EventBus;
use election_core::ports::VoterKeys;
use election_core::use_cases::mix_ballots::mixing_pending;
use handlers::functions::OperationFunction;
use handlers::services::LiveServices;
use local_runner::clients::Clients;
use local_runner::operations::{queue, redrive_with};
use local_runner::template::Template;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::time::{Duration, Instant};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

pub struct Stack<'a> {
    pub clients: &'a Clients,
    pub template: &'a Template,
    pub services: &'a LiveServices,
}

/// How the pipeline drained.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Drain {
    pub drained: bool,
    pub seconds: f64,
    /// Dead-lettered events moved back into the pipeline.
    pub redriven: i64,
}

/// The recount: ballots by candidate against the results view.
async fn recount(stack: &Stack<'_>, election: &str) -> Result<Value, BoxError> {
    let payload = json!({ "electionId": election, "repair": false });
    Ok(stack.services.operation(OperationFunction::Recount, payload).await?)
}

/// The sum of each candidate's difference between ballots and count, in absolute value.
pub fn difference(recount: &Value) -> i64 {
    let lines = recount["candidates"].as_array().into_iter().flatten();
    lines
        .map(|line| line["difference"].as_i64().unwrap_or(i64::MAX / 8).abs())
        .sum()
}

/// Waits until the consumers' queues and their dead-letter queues are empty, the mixer's
/// pools are (its final flush comes after the close) and the recount matches the view, twice
/// in a row; dead letters are redriven on the way.
pub async fn drain(stack: &Stack<'_>, election: &str, limit: Duration) -> Result<Drain, BoxError> {
    let mut urls = Vec::new();
    for served in stack.template.queues.iter().filter(|q| q.dead_letter_queue.is_some()) {
        urls.push(queue(&stack.clients.sqs, &served.logical_id).await?.0);
        if let Some(dead_letters) = &served.dead_letter_queue {
            urls.push(queue(&stack.clients.sqs, dead_letters).await?.0);
        }
    }
    let pipeline = EventBridgeBus::default().with_pipeline_queues(stack.clients.sqs.clone(), urls);
    let (started, mut report, mut quiet) = (Instant::now(), Drain::default(), 0);
    let id = ElectionId::parse(election)?;
    let mut next_word = started;
    while started.elapsed() < limit {
        // An emulator too busy to answer in time is asked again on the next round.
        let mixing = mixing_pending(&stack.services.store, &id);
        let (backlog, difference, mixing, mixed) =
            match (pipeline.backlog().await, recount(stack, election).await, mixing.await) {
                // Every participation's ballot in the box, or still on its way there.
                (Ok(backlog), Ok(recount), Ok(pooled)) => (
                    backlog,
                    difference(&recount),
                    format!(
                        "{} ballots for {} participations{}",
                        recount["ballots"],
                        recount["participations"],
                        if pooled { ", some pooled" } else { "" }
                    ),
                    !pooled && recount["ballots"] == recount["participations"],
                ),
                (backlog, recount, mixing) => {
                    eprintln!(
                        "draining: not answered in time ({:?} / {:?} / {:?})",
                        backlog.err(),
                        recount.err(),
                        mixing.err()
                    );
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    continue;
                }
            };
        if backlog.iter().any(|(name, _)| name.contains("DeadLetter")) {
            eprintln!("dead letters: {backlog:?}; redriving them");
            report.redriven += redrive_with(&stack.clients.sqs, stack.template).await?;
        }
        quiet = if backlog.is_empty() && difference == 0 && mixed {
            quiet + 1
        } else {
            0
        };
        if quiet == 2 {
            report.drained = true;
            break;
        }
        if Instant::now() >= next_word {
            eprintln!(
                "draining: {:.0} s, waiting in queues: {backlog:?}, recount difference {difference}, {mixing}",
                started.elapsed().as_secs_f64()
            );
            next_word += Duration::from_secs(30);
        }
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// Every item of one election in a table (a scan: an audit's read, not the functions').
pub(crate) async fn election_items(
    stack: &Stack<'_>,
    table: &str,
    election: &str,
) -> Result<Vec<std::collections::HashMap<String, AttributeValue>>, BoxError> {
    let scan = stack
        .clients
        .dynamodb
        .scan()
        .table_name(&stack.template.names[table])
        .consistent_read(true)
        .filter_expression("electionId = :e")
        .expression_attribute_values(":e", AttributeValue::S(election.to_owned()));
    Ok(scan
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await?)
}

/// The ballot box and the participations against the replies.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Audit {
    pub accepted: usize,
    pub ballots: usize,
    pub participations: usize,
    pub recount_difference: i64,
    /// Ballots the recount could not read (the malformed record).
    pub unreadable: Vec<String>,
    pub receipts_missing: usize,
    pub stored_for_4xx: usize,
    pub stored_for_5xx_or_no_reply: usize,
    /// Stored for a voter told `outcome-unknown` (and to look in My votes): allowed.
    pub stored_for_outcome_unknown: usize,
    pub voters_with_two_receipts: usize,
}

pub async fn audit(stack: &Stack<'_>, election: &str, voters: &[Voter]) -> Result<Audit, BoxError> {
    let ballots = election_items(stack, "BALLOT_BOX_TABLE", election).await?;
    let readable: HashSet<&str> = ballots
        .iter()
        .filter(|b| b.contains_key("candidateId"))
        .filter_map(|b| b.get("receiptId")?.as_s().ok().map(String::as_str))
        .collect();
    // The roll's entries that voted, by voter id (the keyed hash of the identity key).
    let participations = election_items(stack, "PARTICIPATION_TABLE", election).await?;
    let voted: HashSet<&str> = participations
        .iter()
        .filter(|p| p.contains_key("votedAt"))
        .filter_map(|p| p.get("voterId")?.as_s().ok().map(String::as_str))
        .collect();
    let recount = recount(stack, election).await?;
    let mut audit = Audit {
        ballots: readable.len(),
        participations: voted.len(),
        recount_difference: difference(&recount),
        unreadable: serde_json::from_value(recount["unreadable"].clone()).unwrap_or_default(),
        ..Audit::default()
    };
    for voter in voters {
        let receipts: Vec<&str> = voter
            .replies
            .iter()
            .filter(|r| r.status == 201)
            .filter_map(|r| r.receipt.as_deref())
            .collect();
        let identity = IdentityKey::parse(&voter.sub).map_err(|e| format!("voter {}: {e}", voter.sub))?;
        let voter_id = stack.services.sealer.voter_id(&identity).await?;
        let stored = voted.contains(voter_id.as_str());
        audit.accepted += usize::from(!receipts.is_empty());
        audit.voters_with_two_receipts += usize::from(receipts.len() > 1);
        audit.receipts_missing += receipts.iter().filter(|r| !readable.contains(*r)).count();
        if receipts.is_empty() && stored {
            let told_unknown = voter
                .replies
                .iter()
                .any(|r| r.code.as_deref() == Some("outcome-unknown"));
            let unanswered = voter.replies.iter().any(|r| r.status == 0 || r.status >= 500);
            if told_unknown {
                audit.stored_for_outcome_unknown += 1;
            } else if unanswered {
                audit.stored_for_5xx_or_no_reply += 1;
            } else {
                audit.stored_for_4xx += 1;
            }
        }
    }
    Ok(audit)
}

/// Puts a ballot without its candidate into the election's ballot box, as an operator's
/// script or a schema change could; returns its receipt id.
pub async fn put_malformed_ballot(stack: &Stack<'_>, election: &str) -> Result<String, BoxError> {
    let receipt = uuid::Uuid::new_v4().to_string();
    stack
        .clients
        .dynamodb
        .put_item()
        .table_name(&stack.template.names["BALLOT_BOX_TABLE"])
        .item("box", AttributeValue::S(format!("{election}#7")))
        .item("receiptId", AttributeValue::S(receipt.clone()))
        .item("entity", AttributeValue::S("ballot".into()))
        .item("electionId", AttributeValue::S(election.to_owned()))
        .send()
        .await?;
    Ok(receipt)
}

/// Empties the queue of set-aside records, as the operator does once they have inspected
/// them: certification waits for every pipeline queue to be empty.
pub async fn clear_set_aside(stack: &Stack<'_>) -> Result<(), BoxError> {
    let (url, _) = queue(&stack.clients.sqs, local_runner::UNREADABLE_RECORDS_QUEUE).await?;
    stack.clients.sqs.purge_queue().queue_url(&url).send().await?;
    Ok(())
}

/// Where the malformed record waits: the queue, its place among the messages there, the
/// message id and the reason it was set aside.
pub async fn find_set_aside(stack: &Stack<'_>, receipt: &str) -> Result<Option<String>, BoxError> {
    let name = local_runner::UNREADABLE_RECORDS_QUEUE;
    let (url, _) = queue(&stack.clients.sqs, name).await?;
    let mut seen = Vec::new();
    // Each message read is hidden for a while, so that the next read shows the others.
    for _ in 0..100 {
        let received = stack
            .clients
            .sqs
            .receive_message()
            .queue_url(&url)
            .max_number_of_messages(10)
            .visibility_timeout(30)
            .send()
            .await?;
        if received.messages().is_empty() {
            break;
        }
        seen.extend(received.messages().iter().cloned());
    }
    let total = seen.len();
    Ok(seen.iter().enumerate().find_map(|(place, message)| {
        let body: Value = serde_json::from_str(message.body()?).ok()?;
        let image = &body["record"]["dynamodb"]["NewImage"];
        (image["receiptId"]["S"] == receipt).then(|| {
            format!(
                "{name}, message {} of {total} (id {}): {}",
                place + 1,
                message.message_id().unwrap_or("?"),
                body["reason"].as_str().unwrap_or("?")
            )
        })
    }))
}
