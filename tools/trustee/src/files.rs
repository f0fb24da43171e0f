//! Reading and writing the spec's objects as JSON files (spec 2.3, 9), and the names of the
//! files in a trustee's directory.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use election_crypto::hash::Digest;
use election_crypto::manifest::{Manifest, Parameters};
use election_crypto::tally::{EncryptedTally, TallyEntry};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The members of `election.json` (spec 9.1) that exist before the ceremony. The members the
/// ceremony produces may be present; the ceremony steps do not read them (they compute them).
#[derive(Deserialize)]
pub struct Setup {
    pub format: String,
    pub manifest: Manifest,
    pub parameters: Parameters,
}

/// The encrypted part of a `tally.json` (spec 9.5) handed to a trustee: `decryption` and
/// `result` may be absent (nothing is decrypted yet) and are not read.
#[derive(Deserialize)]
pub struct HandedTally {
    pub cast_count: u64,
    pub cast_digest: Digest,
    pub encrypted_tally: Vec<TallyEntry>,
}

impl HandedTally {
    pub fn matches(&self, recomputed: &EncryptedTally) -> bool {
        self.cast_count == recomputed.cast_count
            && self.cast_digest == recomputed.cast_digest
            && self.encrypted_tally == recomputed.entries
    }
}

pub fn read<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let bytes = fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_slice(&bytes).with_context(|| format!("{}", path.display()))
}

pub fn read_all<T: DeserializeOwned>(paths: &[PathBuf]) -> Result<Vec<T>> {
    paths.iter().map(|p| read(p)).collect()
}

/// Writes a public object and says where.
pub fn write<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    println!("wrote {}", path.display());
    Ok(())
}

/// The files of a trustee's directory.
pub struct Layout<'a>(pub &'a Path);

impl Layout<'_> {
    pub fn secret(&self) -> PathBuf {
        self.0.join("secret.sealed")
    }

    pub fn keys(&self, i: u32) -> PathBuf {
        self.0.join(format!("trustee-{i}.json"))
    }

    pub fn commitments(&self, i: u32) -> PathBuf {
        self.0.join(format!("commitments-{i}.json"))
    }

    pub fn envelope(&self, from: u32, to: u32) -> PathBuf {
        self.0.join(format!("share-{from}-to-{to}.json"))
    }

    pub fn complaint(&self, by: u32, against: u32) -> PathBuf {
        self.0.join(format!("complaint-{by}-against-{against}.json"))
    }

    pub fn transcript_signature(&self, i: u32) -> PathBuf {
        self.0.join(format!("transcript-signature-{i}.json"))
    }

    pub fn partial_decryption(&self, i: u32) -> PathBuf {
        self.0.join(format!("partial-decryption-{i}.json"))
    }
}
