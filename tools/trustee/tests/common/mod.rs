//! Runs the real `trustee` binary in a fresh directory under the target's temporary folder:
//! a ceremony of n trustees, each in its own directory, with the public files passed between
//! them as the commission's board would.

#![allow(dead_code)] // each test binary uses part of this module

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use election_crypto::ceremony::{base_hash, Ceremony, Commitments, TranscriptSignature, TrusteePublic};
use election_crypto::hash::Digest;
use election_crypto::manifest::{Candidate, Manifest, Parameters};
use election_crypto::record::ElectionFile;
use serde::de::DeserializeOwned;

pub const PASSPHRASE: &str = "correct horse battery staple";

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// `trustee ARGS` with the passphrase in the environment and weak Argon2 (tests only).
pub fn trustee<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: Into<OsString>,
{
    trustee_with(args, PASSPHRASE)
}

pub fn trustee_with<I, S>(args: I, passphrase: &str) -> Run
where
    I: IntoIterator<Item = S>,
    S: Into<OsString>,
{
    let out = Command::new(env!("CARGO_BIN_EXE_trustee"))
        .args(args.into_iter().map(Into::into))
        .env("TRUSTEE_PASSPHRASE", passphrase)
        .env("TRUSTEE_ARGON2_TEST_PARAMS", "1")
        .output()
        .expect("the trustee binary runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

impl Run {
    pub fn ok(self) -> Self {
        assert_eq!(self.code, 0, "stdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        self
    }
}

pub fn read<T: DeserializeOwned>(path: &Path) -> T {
    serde_json::from_slice(&fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn manifest() -> Manifest {
    Manifest {
        election_id: "presidential-test".into(),
        candidates: ["Ada", "Grace", "Edsger"]
            .iter()
            .enumerate()
            .map(|(j, name)| Candidate {
                id: format!("c{j}"),
                name: (*name).into(),
            })
            .collect(),
    }
}

/// Trustees `1..=n`, each in `root/trustee-<i>`, and the commission's `election.json` before
/// the ceremony (format, manifest, parameters).
pub struct Board {
    pub root: PathBuf,
    pub election: PathBuf,
    pub parameters: Parameters,
}

impl Board {
    pub fn new(name: &str, n: u32, t: u32) -> Self {
        let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(&root).unwrap();
        let parameters = Parameters::new(n, t);
        let election = root.join("election.json");
        let setup = serde_json::json!({ "format": "ee1", "manifest": manifest(), "parameters": parameters });
        fs::write(&election, setup.to_string()).unwrap();
        Board {
            root,
            election,
            parameters,
        }
    }

    pub fn n(&self) -> u32 {
        self.parameters.trustees
    }

    pub fn dir(&self, i: u32) -> PathBuf {
        self.root.join(format!("trustee-{i}"))
    }

    pub fn keys(&self) -> Vec<PathBuf> {
        (1..=self.n())
            .map(|i| self.dir(i).join(format!("trustee-{i}.json")))
            .collect()
    }

    pub fn commitments(&self) -> Vec<PathBuf> {
        (1..=self.n())
            .map(|i| self.dir(i).join(format!("commitments-{i}.json")))
            .collect()
    }

    pub fn envelopes_to(&self, j: u32) -> Vec<PathBuf> {
        (1..=self.n())
            .filter(|i| *i != j)
            .map(|i| self.dir(i).join(format!("share-{i}-to-{j}.json")))
            .collect()
    }

    /// `--dir <i> --election ... --keys ...` (and the commitments when asked).
    pub fn args(&self, step: &str, i: u32, with_commitments: bool) -> Vec<OsString> {
        let mut args: Vec<OsString> = vec![step.into(), "--dir".into(), self.dir(i).into()];
        args.extend(["--election".into(), self.election.clone().into(), "--keys".into()]);
        args.extend(self.keys().into_iter().map(OsString::from));
        if with_commitments {
            args.push("--commitments".into());
            args.extend(self.commitments().into_iter().map(OsString::from));
        }
        args
    }

    pub fn keygen(&self, i: u32) -> Run {
        trustee([
            OsString::from("keygen"),
            "--index".into(),
            i.to_string().into(),
            "--election".into(),
            self.election.clone().into(),
            "--out-dir".into(),
            self.dir(i).into(),
        ])
    }

    pub fn receive(&self, j: u32) -> Run {
        let mut args: Vec<OsString> = vec!["receive".into()];
        args.extend(self.envelopes_to(j).into_iter().map(OsString::from));
        args.extend(self.args("receive", j, true).into_iter().skip(1));
        trustee(args)
    }

    pub fn public_keys(&self) -> Vec<TrusteePublic> {
        self.keys().iter().map(|p| read(p)).collect()
    }

    pub fn base_hash(&self) -> Digest {
        base_hash(&manifest(), &self.parameters, &self.public_keys())
    }

    pub fn read_commitments(&self) -> Vec<Commitments> {
        self.commitments().iter().map(|p| read(p)).collect()
    }

    /// The finished `election.json`, as the commission assembles it from the trustees' files.
    pub fn election_file(&self) -> ElectionFile {
        let commitments = self.read_commitments();
        let joint_key = election_crypto::ceremony::joint_key(&commitments).unwrap();
        let qbar = election_crypto::ceremony::extended_base_hash(&self.base_hash(), &joint_key);
        let transcript = election_crypto::ceremony::transcript_hash(&qbar, &joint_key, &commitments);
        let signatures: Vec<TranscriptSignature> = (1..=self.n())
            .map(|i| read(&self.dir(i).join(format!("transcript-signature-{i}.json"))))
            .collect();
        ElectionFile::new(
            manifest(),
            self.parameters.clone(),
            self.public_keys(),
            Ceremony {
                commitments,
                joint_key,
                extended_base_hash: qbar,
                transcript_hash: transcript,
                transcript_signatures: signatures,
            },
        )
    }
}

/// A whole ceremony through the binary: keygen, commit, shares, receive, sign-transcript.
pub fn ceremony(name: &str, n: u32, t: u32) -> Board {
    let board = Board::new(name, n, t);
    for i in 1..=n {
        board.keygen(i).ok();
    }
    for i in 1..=n {
        trustee(board.args("commit", i, false)).ok();
    }
    for i in 1..=n {
        trustee(board.args("shares", i, false)).ok();
    }
    for j in 1..=n {
        board.receive(j).ok();
    }
    for i in 1..=n {
        trustee(board.args("sign-transcript", i, true)).ok();
    }
    board
}
