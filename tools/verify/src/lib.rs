//! An independent verifier of an election record in format `ee1` (docs/election-record.md),
//! written from the specification alone. `verify` runs every numbered check of section 11 and
//! returns what each found with the result as published.

pub mod ballots;
pub mod ceremony;
pub mod chunks;
pub mod encoding;
pub mod hash;
pub mod proofs;
pub mod record;
pub mod report;
pub mod tally;
mod unique;

use std::path::Path;

use record::{ElectionFile, Index, TallyFile};
use report::Report;

pub struct Outcome {
    pub report: Report,
    /// `(candidate id, name, count)` as published in `tally.json`, where it could be read.
    pub result: Vec<(String, String, u64)>,
    /// Cast and spoiled ballots read.
    pub ballots: u64,
    /// Late ballots listed in `tally.json` (spec 9.5): never counted.
    pub late: u64,
}

/// Checks the record in `dir` with `threads` workers for the ballot chunks.
pub fn verify(dir: &Path, threads: usize) -> Outcome {
    let mut out = Outcome {
        report: Report::default(),
        result: Vec::new(),
        ballots: 0,
        late: 0,
    };
    let report = &mut out.report;
    let election: ElectionFile = match record::read(dir, "election.json") {
        Ok(e) => e,
        Err(err) => {
            report.fail(1, err);
            not_checked(report, 2, "election.json is unreadable");
            return out;
        }
    };
    let Some(e) = ceremony::check(&election, report) else {
        not_checked(report, 12, "K or Q̄ does not decode (V8, V9)");
        return out;
    };
    let index: Index = match record::read(dir, "index.json") {
        Ok(i) => i,
        Err(err) => {
            report.fail(16, err);
            not_checked(report, 12, "index.json is unreadable");
            return out;
        }
    };
    let ctx = ballots::Context::new(e.joint_key.point, e.extended_base_hash, e.m());
    // Read before the chunks, whose checks look for its late ballots among theirs (V25).
    let tally: Result<TallyFile, String> = record::read(dir, "tally.json");
    let late = match &tally {
        Ok(t) => tally::late_codes(t, report),
        Err(_) => Default::default(),
    };
    out.late = late.len() as u64;
    let lists = chunks::check(dir, &index, &ctx, &late, threads, report);
    out.ballots = lists.cast.count + lists.spoiled.count;
    let tally = match tally {
        Ok(t) => t,
        Err(err) => {
            report.fail(20, err);
            not_checked(report, 21, "tally.json is unreadable");
            return out;
        }
    };
    tally::check(&tally, &e, &lists, report);
    let names = election
        .manifest
        .candidates
        .iter()
        .map(|c| c.name.clone())
        .chain(std::iter::repeat(String::new()));
    out.result = tally
        .result
        .iter()
        .zip(names)
        .map(|(r, name)| (r.candidate.clone(), name, r.count))
        .collect();
    out
}

/// Fails every check from `from` on that has found nothing yet: what they read is unusable.
fn not_checked(report: &mut Report, from: usize, why: &str) {
    for check in from..=report::CHECKS {
        if !report.failed(check) {
            report.fail(check, format!("not checked: {why}"));
        }
    }
}
