//! Operator commands against the running local stack, as the same Lambda handlers run them
//! on AWS (`aws lambda invoke`), printed for a person.

use crate::clients::{Clients, Ports};
use crate::template::Template;
use crate::{local_services, BoxError};
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
