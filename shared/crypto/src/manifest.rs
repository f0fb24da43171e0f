//! The manifest and the parameters (spec 3): what the election is about and how many
//! trustees hold the key, with the manifest's hash.

use serde::{Deserialize, Serialize};

use crate::error::{ensure, Error};
use crate::hash::{Digest, Framed};

pub const GROUP: &str = "ristretto255";
pub const HASH: &str = "SHA-512";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Candidate {
    pub id: String,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub election_id: String,
    pub candidates: Vec<Candidate>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parameters {
    pub group: String,
    pub hash: String,
    /// n
    pub trustees: u32,
    /// t
    pub threshold: u32,
}

impl Parameters {
    pub fn new(trustees: u32, threshold: u32) -> Self {
        Parameters {
            group: GROUP.into(),
            hash: HASH.into(),
            trustees,
            threshold,
        }
    }
}

impl Manifest {
    /// `H("ee1/manifest", election_id, u64(m), id_0, name_0, ...)`.
    pub fn hash(&self) -> Digest {
        self.candidates
            .iter()
            .fold(
                Framed::new("ee1/manifest")
                    .text(&self.election_id)
                    .u64(self.candidates.len() as u64),
                |h, c| h.text(&c.id).text(&c.name),
            )
            .digest()
    }
}

/// V1 (but the format name, which belongs to the record).
pub fn check(manifest: &Manifest, parameters: &Parameters) -> Result<(), Error> {
    ensure(parameters.group == GROUP, "V1", || {
        format!("group {:?}", parameters.group)
    })?;
    ensure(parameters.hash == HASH, "V1", || format!("hash {:?}", parameters.hash))?;
    ensure(
        1 <= parameters.threshold && parameters.threshold <= parameters.trustees,
        "V1",
        || format!("threshold {} of {} trustees", parameters.threshold, parameters.trustees),
    )?;
    ensure(!manifest.election_id.is_empty(), "V1", || "empty election id".into())?;
    ensure(manifest.candidates.len() >= 2, "V1", || {
        "fewer than 2 candidates".into()
    })?;
    let mut ids: Vec<&str> = manifest.candidates.iter().map(|c| c.id.as_str()).collect();
    ids.sort_unstable();
    ensure(
        ids.iter().all(|id| !id.is_empty()) && ids.windows(2).all(|w| w[0] != w[1]),
        "V1",
        || "candidate ids empty or repeated".into(),
    )
}
