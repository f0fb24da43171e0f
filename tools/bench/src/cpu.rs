//! CPU time of the local stack's processes, read from `/proc`: the project's own (the
//! runner, with every function in it) apart from the emulators' and the meter's, so that a
//! figure per vote says what our code costs and what the stand-ins for AWS cost.

use std::collections::BTreeMap;

/// What a process is, by its command line; `None` for one the benchmark does not watch.
fn kind(command: &str) -> Option<&'static str> {
    if command.contains("local-runner") {
        Some("project: the runner and its functions")
    } else if command.contains("DynamoDBLocal") {
        Some("emulator: DynamoDB Local")
    } else if command.contains("localstack") {
        Some("emulator: LocalStack")
    } else if command.contains("bench meter") {
        Some("the benchmark's meter")
    } else {
        None
    }
}

/// The clock ticks a second that `/proc/<pid>/stat` counts in.
fn ticks_per_second() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok()?.trim().parse().ok())
        .unwrap_or(100.0)
}

/// A process's user and system time, in ticks, from its `stat` line (after the command's
/// parenthesis: the 12th and 13th fields).
fn ticks(stat: &str) -> Option<u64> {
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// CPU seconds used so far, by kind of process.
pub fn snapshot() -> BTreeMap<&'static str, f64> {
    let per_second = ticks_per_second();
    let mut used = BTreeMap::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let path = entry.path();
        let Ok(command) = std::fs::read(path.join("cmdline")) else {
            continue;
        };
        let Some(kind) = kind(&String::from_utf8_lossy(&command).replace('\0', " ")) else {
            continue;
        };
        if let Some(ticks) = std::fs::read_to_string(path.join("stat"))
            .ok()
            .as_deref()
            .and_then(ticks)
        {
            *used.entry(kind).or_default() += ticks as f64 / per_second;
        }
    }
    used
}

/// CPU seconds used between two snapshots, by kind.
pub fn since(before: &BTreeMap<&'static str, f64>) -> BTreeMap<&'static str, f64> {
    snapshot()
        .into_iter()
        .map(|(kind, now)| (kind, now - before.get(kind).copied().unwrap_or(0.0)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stat_line_gives_user_and_system_ticks() {
        let stat = "4242 (local-runner (x)) S 1 4242 4242 0 -1 4194560 9 0 0 0 150 25 0 0 20 0 9 0";
        assert_eq!(ticks(stat), Some(175));
        assert_eq!(
            kind("/root/.cache/target/release/local-runner up --template t"),
            Some("project: the runner and its functions")
        );
        assert_eq!(
            kind("java -jar DynamoDBLocal.jar -inMemory"),
            Some("emulator: DynamoDB Local")
        );
        assert_eq!(
            kind("target/release/bench meter --listen 8001"),
            Some("the benchmark's meter")
        );
        assert_eq!(kind("target/release/bench run --meter 8001"), None);
        assert_eq!(kind("bash"), None);
    }
}
