//! Records on disk and the verifier binary run on them.

#![allow(dead_code)] // each test file uses its own part of this module

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// A fresh directory under the target's temporary folder.
pub fn fresh_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("ballots")).unwrap();
    dir
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    /// The check numbers printed as `V<n> FAIL`.
    pub failed: BTreeSet<usize>,
}

/// Runs the release-or-debug `verify` binary built for these tests on `dir`.
pub fn verify(dir: &Path) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_verify"))
        .arg(dir)
        .args(["--threads", "2"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let failed = stdout
        .lines()
        .filter_map(|l| l.strip_prefix('V'))
        .filter_map(|l| l.split_once(" FAIL"))
        .map(|(n, _)| n.parse().unwrap())
        .collect();
    Run {
        code: out.status.code().unwrap(),
        stdout,
        failed,
    }
}

pub fn read_json(dir: &Path, file: &str) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join(file)).unwrap()).unwrap()
}

pub fn write_json(dir: &Path, file: &str, value: &Value) {
    std::fs::write(dir.join(file), serde_json::to_vec_pretty(value).unwrap()).unwrap();
}

/// Edits one file of a record in place.
pub fn edit(dir: &Path, file: &str, change: impl FnOnce(&mut Value)) {
    let mut v = read_json(dir, file);
    change(&mut v);
    write_json(dir, file, &v);
}

/// Copies a record directory (flat: its files and `ballots/`).
pub fn copy_record(from: &Path, name: &str) -> PathBuf {
    let to = fresh_dir(name);
    for sub in ["", "ballots"] {
        for entry in std::fs::read_dir(from.join(sub)).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_file() {
                std::fs::copy(entry.path(), to.join(sub).join(entry.file_name())).unwrap();
            }
        }
    }
    to
}
