//! What the checks found, check by check (spec 11), and its printing.

use std::fmt::Write;

pub const CHECKS: usize = 25;

/// What each check covers, for the printed line.
const TITLES: [&str; CHECKS] = [
    "format, group, hash, threshold, manifest",
    "manifest hash",
    "trustee keys and fingerprints",
    "base hash Q",
    "commitments well formed",
    "coefficient proofs",
    "commitment hashes and their signatures",
    "joint key K",
    "extended base hash Q̄",
    "transcript hash T and its signatures",
    "public shares K_i not the identity",
    "cast ballots well formed",
    "cast ballots' 0/1 proofs",
    "cast ballots' sum proofs",
    "tracking codes; cast ids, codes and α unique",
    "cast chunks, index and digest D",
    "spoiled ballots, their uniqueness and digest D_s",
    "spoiled ballots' reveals",
    "no spoiled ballot, id, code or α among the cast",
    "encrypted tally and cast digest",
    "decryption: present trustees and public shares",
    "partial decryption proofs",
    "decrypted counts",
    "result",
    "late ballots: listed apart, none cast or spoiled",
];

/// Failures are kept for printing up to this many a check; the rest are counted.
const KEPT: usize = 10;

#[derive(Default)]
pub struct Report {
    failures: [Vec<String>; CHECKS],
    more: [u64; CHECKS],
}

impl Report {
    /// Records that check `check` (1-based, as in the spec) failed, and on what.
    pub fn fail(&mut self, check: usize, what: impl Into<String>) {
        let i = check - 1;
        if self.failures[i].len() < KEPT {
            self.failures[i].push(what.into());
        } else {
            self.more[i] += 1;
        }
    }

    /// Folds in a worker's report.
    pub fn merge(&mut self, other: Report) {
        for (i, failures) in other.failures.into_iter().enumerate() {
            for f in failures {
                self.fail(i + 1, f);
            }
            self.more[i] += other.more[i];
        }
    }

    pub fn failed(&self, check: usize) -> bool {
        !self.failures[check - 1].is_empty()
    }

    pub fn valid(&self) -> bool {
        self.failures.iter().all(Vec::is_empty)
    }

    /// One line per check, `V<n> pass <title>` or `V<n> FAIL <title>` followed by what failed.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (i, ((title, failures), more)) in TITLES.iter().zip(&self.failures).zip(self.more).enumerate() {
            let verdict = if failures.is_empty() { "pass" } else { "FAIL" };
            let _ = writeln!(out, "V{} {verdict} {title}", i + 1);
            for f in failures {
                let _ = writeln!(out, "    {f}");
            }
            if more > 0 {
                let _ = writeln!(out, "    ... and {more} more");
            }
        }
        out
    }
}
