//! Operator commands against the running local stack, as the same Lambda handlers run them
//! on AWS (`aws lambda invoke`), printed for a person.

use crate::clients::{Clients, Ports};
use crate::template::Template;
use crate::{local_services, BoxError};
use aws_sdk_sqs::types::QueueAttributeName;
use handlers::functions::OperationFunction;
use serde_json::{json, Value};
use std::path::Path;

/// Prints the recount, one line per candidate; whether the counts match.
pub async fn recount(template: &Path, election_id: &str, repair: bool) -> Result<bool, BoxError> {
    let template = Template::load(template)?;
    let services = local_services(&Clients::local(Ports::from_env()).await, &template)?;
    let report = services
        .operation(
            OperationFunction::Recount,
            json!({ "electionId": election_id, "repair": repair }),
        )
        .await?;
    println!(
        "{:<38} {:>10} {:>10} {:>10}",
        "candidate", "ballots", "counted", "difference"
    );
    for line in report["candidates"].as_array().into_iter().flatten() {
        println!(
            "{:<38} {:>10} {:>10} {:>10}",
            line["candidateId"].as_str().unwrap_or("?"),
            line["ballots"],
            line["counted"],
            line["difference"]
        );
    }
    println!("{:<38} {:>10} {:>10}", "total", report["ballots"], report["counted"]);
    if repair {
        println!("replayed: {} ballots (each counted at most once)", report["replayed"]);
    }
    for key in report["unreadable"].as_array().into_iter().flatten() {
        println!("unreadable item in the ballot box: {key}");
    }
    let matches = report["matches"] == Value::Bool(true);
    println!("{}", if matches { "recount matches" } else { "RECOUNT DIFFERS" });
    Ok(matches)
}

/// A queue's URL and ARN, by its local name (the logical id).
pub async fn queue(sqs: &aws_sdk_sqs::Client, name: &str) -> Result<(String, String), BoxError> {
    let url = sqs
        .get_queue_url()
        .queue_name(name)
        .send()
        .await?
        .queue_url
        .unwrap_or_default();
    let attributes = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await?;
    let arn = attributes
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::QueueArn))
        .cloned()
        .unwrap_or_default();
    Ok((url, arn))
}

/// Moves every message of each dead-letter queue back to the queue it serves, with SQS's own
/// move task (on AWS: `aws sqs start-message-move-task --source-arn <dead-letter queue ARN>`),
/// and waits for each move to finish. The consumers are idempotent by `eventId`, so a
/// redriven event counts once. Returns how many messages were moved.
pub async fn redrive(template: &Path) -> Result<i64, BoxError> {
    let template = Template::load(template)?;
    redrive_with(&Clients::local(Ports::from_env()).await.sqs, &template).await
}

/// [`redrive`], with the clients and template the caller holds.
pub async fn redrive_with(sqs: &aws_sdk_sqs::Client, template: &Template) -> Result<i64, BoxError> {
    let mut moved = 0;
    for served in &template.queues {
        let Some(dead_letters) = &served.dead_letter_queue else {
            continue;
        };
        let (_, source) = queue(sqs, dead_letters).await?;
        let (_, destination) = queue(sqs, &served.logical_id).await?;
        let task = sqs
            .start_message_move_task()
            .source_arn(&source)
            .destination_arn(destination)
            .send()
            .await?;
        let handle = task.task_handle.unwrap_or_default();
        let count = loop {
            let tasks = sqs.list_message_move_tasks().source_arn(&source).send().await?;
            let Some(ours) = tasks
                .results()
                .iter()
                .find(|t| t.task_handle().is_none_or(|h| h == handle))
            else {
                break 0;
            };
            match ours.status() {
                Some("COMPLETED") => break ours.approximate_number_of_messages_moved(),
                Some("FAILED") | Some("CANCELLED") => {
                    return Err(
                        format!("moving {dead_letters} failed: {}", ours.failure_reason().unwrap_or("?")).into(),
                    )
                }
                _ => tokio::time::sleep(std::time::Duration::from_millis(200)).await,
            }
        };
        println!("{dead_letters}: {count} messages moved back to {}", served.logical_id);
        moved += count;
    }
    Ok(moved)
}

/// Loads the rows the sample events refer to, under the ids the files carry.
pub async fn seed_samples(template: &Path) -> Result<(), BoxError> {
    let template = Template::load(template)?;
    let clients = Clients::local(Ports::from_env()).await;
    let services = local_services(&clients, &template)?;
    let ids = crate::samples::SampleIds::as_in_files();
    crate::samples::seed(&services.store, &services.sealer, &ids).await?;
    crate::samples::upload_roll_file(&clients, &template, &ids).await?;
    println!(
        "election {}, candidate {}, pledge {}",
        ids.election, ids.candidate, ids.pledge
    );
    Ok(())
}

/// Prints a function's local environment as KEY=VALUE lines.
pub async fn print_function_env(template: &Path, function: &str) -> Result<(), BoxError> {
    let template = Template::load(template)?;
    let ports = Ports::from_env();
    let clients = Clients::local(ports).await;
    for (name, value) in crate::function_env::function_environment(&template, function, &clients, ports).await? {
        println!("{name}={value}");
    }
    Ok(())
}
