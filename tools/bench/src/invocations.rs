//! Time per invocation through the local API, one request at a time, for comparing the
//! runner's modes (`up --lambdas in-process` and `--lambdas runtime`): a read
//! (`GET /elections`, query-elections) and a write (`POST /elections`, register-election).

use crate::report::percentile;
use chrono::{TimeDelta, Utc};
use serde_json::json;
use std::time::{Duration, Instant};

pub async fn measure(api: &str, requests: usize) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let http = reqwest::Client::new();
    let token = local_runner::jwt::LocalIssuers::new(api, local_runner::jwt::secret_from_env()).official(
        "bench-commission",
        &["commission".to_owned()],
        Duration::from_secs(3600),
    );
    let now = Utc::now();
    let body = json!({"name": "Invocation timing", "votingStartsAt": now + TimeDelta::days(1),
                      "votingEndsAt": now + TimeDelta::days(2)});
    let elections = format!("{api}/elections");
    for (label, write) in [
        ("GET /elections (query-elections)", false),
        ("POST /elections (register-election)", true),
    ] {
        let mut times = Vec::with_capacity(requests);
        // The first few warm the connection and the function instances.
        for i in 0..requests + 5 {
            let request = if write {
                http.post(&elections).json(&body)
            } else {
                http.get(&elections)
            };
            let started = Instant::now();
            let status = request.bearer_auth(&token).send().await?.status();
            if !status.is_success() {
                return Err(format!("{label}: {status}").into());
            }
            if i >= 5 {
                times.push(started.elapsed());
            }
        }
        let (median, p90) = (percentile(&mut times, 0.5), percentile(&mut times, 0.9));
        println!("{label:<40} median {median:7.1} ms   p90 {p90:7.1} ms   ({requests} requests)");
    }
    Ok(())
}
