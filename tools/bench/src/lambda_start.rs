//! The function binaries themselves: the size of each release bootstrap, and how long one
//! takes from process start to its first Runtime API `next` call, against a stand-in
//! runtime endpoint on 127.0.0.1 that never hands it an event.

use local_runner::template::Template;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::AsyncReadExt;

/// Bytes of each function's release binary in `bin_dir`, by function name.
pub fn sizes(template: &Template, bin_dir: &Path) -> Vec<(String, Option<u64>)> {
    template
        .functions
        .iter()
        .map(|f| {
            (
                f.name.clone(),
                std::fs::metadata(bin_dir.join(&f.name)).ok().map(|m| m.len()),
            )
        })
        .collect()
}

/// Every variable some function is given: resource names as the runner resolves them, and
/// queue URLs (which need a running queue) as an address nothing answers. A binary only
/// reads its own.
fn environment(template: &Template) -> std::collections::BTreeMap<String, String> {
    template
        .functions
        .iter()
        .flat_map(|f| f.variables.keys())
        .map(|name| {
            let value = template.names.get(name).cloned();
            (name.clone(), value.unwrap_or_else(|| "http://127.0.0.1:9/queue".into()))
        })
        .collect()
}

/// From spawning `binary` to its first request to the runtime endpoint.
async fn start_to_next(binary: &Path, template: &Template) -> Option<Duration> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.ok()?;
    let endpoint = listener.local_addr().ok()?;
    let mut command = tokio::process::Command::new(binary);
    command
        .envs(environment(template))
        .env("AWS_LAMBDA_RUNTIME_API", endpoint.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", "bench")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        // Never reached: the binary stops at `next`.
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    let started = Instant::now();
    let mut child = command.spawn().ok()?;
    let waited = tokio::time::timeout(Duration::from_secs(5), async {
        let (mut socket, _) = listener.accept().await.ok()?;
        let mut first = [0u8; 64];
        let n = socket.read(&mut first).await.ok()?;
        let line = String::from_utf8_lossy(&first[..n]).into_owned();
        line.contains("/runtime/invocation/next").then(|| started.elapsed())
    })
    .await;
    let _ = child.kill().await;
    waited.ok().flatten()
}

/// The median of `runs` starts of `binary`.
pub async fn median_start(binary: &Path, template: &Template, runs: usize) -> Option<Duration> {
    let mut times = Vec::new();
    for _ in 0..runs {
        times.push(start_to_next(binary, template).await?);
    }
    times.sort();
    times.get(times.len() / 2).copied()
}
