//! Where the passphrase comes from: `--passphrase-file` (its first line), else the
//! `TRUSTEE_PASSPHRASE` environment variable. There is no prompt: the tool runs the same way
//! by hand and from a script.

use std::path::Path;

use anyhow::{bail, Context, Result};
use zeroize::Zeroizing;

pub const VAR: &str = "TRUSTEE_PASSPHRASE";

pub fn read(file: Option<&Path>) -> Result<Zeroizing<Vec<u8>>> {
    let text = match file {
        Some(path) => Zeroizing::new(
            std::fs::read_to_string(path).with_context(|| format!("reading the passphrase from {}", path.display()))?,
        ),
        // The environment's own copy cannot be wiped; ours is.
        None => Zeroizing::new(
            std::env::var(VAR).with_context(|| format!("no passphrase: set {VAR} or pass --passphrase-file"))?,
        ),
    };
    let line = text.split(['\r', '\n']).next().unwrap_or_default();
    if line.is_empty() {
        bail!("the passphrase is empty");
    }
    Ok(Zeroizing::new(line.as_bytes().to_vec()))
}
