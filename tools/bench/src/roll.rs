//! The roll's import at size, by hand (scripts/bench-roll.sh, never the tests): uploads a
//! file of many voters through the API as the commission does, and times the import from
//! the upload to the roll in force.

use serde_json::json;
use std::time::{Duration, Instant};

#[derive(clap::Args)]
pub struct RollOptions {
    #[arg(long, default_value = "http://127.0.0.1:3000")]
    api: String,
    /// Rows in the file.
    #[arg(long, default_value_t = 1_000_000)]
    rows: usize,
    /// Districts the voters are spread over.
    #[arg(long, default_value_t = 250)]
    districts: usize,
}

pub async fn measure(options: RollOptions) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let http = reqwest::Client::new();
    let commission = local_runner::jwt::LocalIssuers::new(options.api.clone(), local_runner::jwt::secret_from_env())
        .official("bench-commission", &["commission".into()], Duration::from_secs(86_400));
    let opens = chrono::Utc::now() + chrono::TimeDelta::hours(6);
    let body = json!({"name": "Roll benchmark", "votingStartsAt": opens, "votingEndsAt": opens + chrono::TimeDelta::hours(12)});
    let election: serde_json::Value = http
        .post(format!("{}/elections", options.api))
        .bearer_auth(&commission)
        .json(&body)
        .send()
        .await?
        .json()
        .await?;
    let election = election["electionId"].as_str().ok_or("no election")?.to_owned();
    // Identity keys shaped as a national register's: a prefix and a 12-digit number.
    let voters: Vec<String> = (0..options.rows)
        .map(|n| format!("KR-{:012}", n * 7919 % 1_000_000_000_007))
        .collect();
    let districts: Vec<String> = (0..options.districts).map(|d| format!("District {d:03}")).collect();
    eprintln!("{} rows over {} districts; uploading", options.rows, options.districts);
    let started = Instant::now();
    let roll = local_runner::roll_upload::upload_roll(
        &http,
        &options.api,
        &commission,
        &election,
        &voters,
        &districts,
        Duration::from_secs(6 * 3600),
    )
    .await?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "roll import: {} rows ({} refused) in {seconds:.1} s: {:.0} rows/s",
        roll["rowsDone"],
        roll["rowsRefused"],
        options.rows as f64 / seconds
    );
    Ok(())
}
