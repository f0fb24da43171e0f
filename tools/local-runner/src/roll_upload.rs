//! Builds an election's roll as the commission's browser does: asks the API for an upload
//! address, puts a CSV file there, and follows the import until it is done. For the tools
//! that need a roll of many voters before an election opens (the benchmark, the chaos
//! suite).

use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// Uploads a roll of `voters` (identity keys), spread over `districts` in turn, to the election at the
/// API `base`, as the commission (`token`); returns the roll once its import is done, if
/// within `limit`.
pub async fn upload_roll(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    election: &str,
    voters: &[String],
    districts: &[String],
    limit: Duration,
) -> Result<Value, String> {
    let fail = |what: &str, err: &dyn std::fmt::Display| format!("roll upload, {what}: {err}");
    let started: Value = http
        .post(format!("{base}/elections/{election}/roll/imports"))
        .bearer_auth(token)
        .json(&json!({}))
        .send()
        .await
        .map_err(|e| fail("start", &e))?
        .json()
        .await
        .map_err(|e| fail("start", &e))?;
    let (Some(url), Some(roll)) = (started["uploadUrl"].as_str(), started["roll"]["rollId"].as_str()) else {
        return Err(format!("roll upload refused: {started}"));
    };
    let mut file = String::from("identityKey,district\n");
    for (voter, district) in voters.iter().zip(districts.iter().cycle()) {
        file.push_str(&format!("{voter},{district}\n"));
    }
    let put = http
        .put(url)
        .header("content-type", "text/csv")
        .body(file)
        .send()
        .await
        .map_err(|e| fail("upload", &e))?;
    if !put.status().is_success() {
        return Err(format!("roll upload: the file was refused ({})", put.status()));
    }
    let since = Instant::now();
    loop {
        let view: Value = http
            .get(format!("{base}/elections/{election}/roll/imports/{roll}"))
            .bearer_auth(token)
            .send()
            .await
            .map_err(|e| fail("progress", &e))?
            .json()
            .await
            .map_err(|e| fail("progress", &e))?;
        match view["state"].as_str() {
            Some("done") => return Ok(view),
            Some("too-late") => return Err(format!("the roll was not imported before voting opened: {view}")),
            _ if since.elapsed() > limit => return Err(format!("the roll import did not finish: {view}")),
            _ => tokio::time::sleep(Duration::from_millis(250)).await,
        }
    }
}
