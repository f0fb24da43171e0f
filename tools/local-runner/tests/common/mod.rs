//! What the file-reading checks share (template_parity.rs, alarms.rs, capacity.rs).

use std::path::PathBuf;

/// A file of the repository, by its path from the root.
pub fn repo_file(name: &str) -> PathBuf {
    PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo test sets CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(name)
}
