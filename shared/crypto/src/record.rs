//! The published election record (spec 9, 10): serde types matching the JSON, the layout in
//! chunk files of at most 10,000 ballots, writing and reading a record directory.

use std::fs;
use std::path::Path;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::ballot::{Ballot, Context, SpoiledBallot};
use crate::ceremony::{base_hash, Ceremony, TrusteePublic};
use crate::decryption::Decryption;
use crate::error::{fail, Error};
use crate::hash::Digest;
use crate::manifest::{Manifest, Parameters};
use crate::tally::{chunk_digest, digests, list_digest, EncryptedTally, List, TallyEntry, CHUNK_SIZE};

pub const FORMAT: &str = "ee1";

/// `election.json` (spec 9.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElectionFile {
    pub format: String,
    pub manifest: Manifest,
    pub parameters: Parameters,
    pub manifest_hash: Digest,
    pub base_hash: Digest,
    pub trustees: Vec<TrusteePublic>,
    pub ceremony: Ceremony,
}

impl ElectionFile {
    pub fn new(manifest: Manifest, parameters: Parameters, trustees: Vec<TrusteePublic>, ceremony: Ceremony) -> Self {
        ElectionFile {
            format: FORMAT.into(),
            manifest_hash: manifest.hash(),
            base_hash: base_hash(&manifest, &parameters, &trustees),
            manifest,
            parameters,
            trustees,
            ceremony,
        }
    }

    pub fn context(&self) -> Context {
        Context {
            joint_key: self.ceremony.joint_key,
            extended_base_hash: self.ceremony.extended_base_hash,
            candidates: self.manifest.candidates.len(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChunkRef {
    pub file: String,
    pub count: u64,
    pub digest: Digest,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListIndex {
    pub count: u64,
    pub digest: Digest,
    pub chunks: Vec<ChunkRef>,
}

/// `index.json` (spec 9.4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Index {
    pub chunk_size: u64,
    pub cast: ListIndex,
    pub spoiled: ListIndex,
}

/// `ballots/cast-NNNNNN.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CastChunk {
    pub kind: String,
    pub chunk: u64,
    pub ballots: Vec<Ballot>,
}

/// `ballots/spoiled-NNNNNN.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpoiledChunk {
    pub kind: String,
    pub chunk: u64,
    pub ballots: Vec<SpoiledBallot>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultEntry {
    pub candidate: String,
    pub count: u64,
}

/// `tally.json` (spec 9.5).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TallyFile {
    pub cast_count: u64,
    pub cast_digest: Digest,
    pub encrypted_tally: Vec<TallyEntry>,
    pub decryption: Decryption,
    pub result: Vec<ResultEntry>,
    /// Late ballots (spec 9.5): the tracking codes, ascending, of ballots that reached the
    /// ballot box after the tally froze. Not among the cast ballots, never counted; listed so
    /// that their voters find them and a verifier knows of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub late: Vec<Digest>,
}

impl TallyFile {
    pub fn new(tally: &EncryptedTally, decryption: Decryption, manifest: &Manifest, counts: &[u64]) -> Self {
        TallyFile {
            cast_count: tally.cast_count,
            cast_digest: tally.cast_digest,
            encrypted_tally: tally.entries.clone(),
            decryption,
            result: manifest
                .candidates
                .iter()
                .zip(counts)
                .map(|(c, n)| ResultEntry {
                    candidate: c.id.clone(),
                    count: *n,
                })
                .collect(),
            late: Vec::new(),
        }
    }

    /// The same, listing these late ballots' tracking codes (in ascending order).
    pub fn with_late(mut self, mut late: Vec<Digest>) -> Self {
        late.sort();
        late.dedup();
        self.late = late;
        self
    }

    /// The tally as a trustee sees it, read back from the record.
    pub fn encrypted(&self) -> EncryptedTally {
        EncryptedTally {
            entries: self.encrypted_tally.clone(),
            cast_count: self.cast_count,
            cast_digest: self.cast_digest,
        }
    }
}

/// The whole record in memory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub election: ElectionFile,
    pub index: Index,
    pub cast: Vec<CastChunk>,
    pub spoiled: Vec<SpoiledChunk>,
    pub tally: TallyFile,
}

/// `ballots/cast-000042.json`.
pub fn chunk_file(list: List, chunk: usize) -> String {
    let kind = match list {
        List::Cast => "cast",
        List::Spoiled => "spoiled",
    };
    format!("ballots/{kind}-{chunk:06}.json")
}

fn list_index<'a>(qbar: &Digest, list: List, ballots: impl ExactSizeIterator<Item = &'a Ballot>) -> ListIndex {
    let count = ballots.len() as u64;
    let (chunk_digests, digest) = digests(qbar, list, ballots);
    let chunks = chunk_digests
        .into_iter()
        .enumerate()
        .map(|(q, d)| ChunkRef {
            file: chunk_file(list, q),
            count: (count - (q * CHUNK_SIZE) as u64).min(CHUNK_SIZE as u64),
            digest: d,
        })
        .collect();
    ListIndex { count, digest, chunks }
}

/// One cast chunk of the record, as the worker that holds its ballots writes it: the chunk
/// `q` of the list (its ballots `CHUNK_SIZE·q ..`), its file and the index's entry for it.
/// A record laid out by many workers is these chunks in order ([`cast_list`]).
pub fn cast_chunk(qbar: &Digest, q: usize, ballots: Vec<Ballot>) -> Result<(ChunkRef, Vec<u8>), Error> {
    let codes: Vec<Digest> = ballots.iter().map(|b| b.tracking_code).collect();
    let entry = ChunkRef {
        file: chunk_file(List::Cast, q),
        count: codes.len() as u64,
        digest: chunk_digest(qbar, List::Cast, q, &codes),
    };
    let file = json(&cast_chunk_of(q, ballots))?;
    Ok((entry, file))
}

/// The index's list of the cast ballots, from its chunks' entries in chunk order: their
/// count, and `D` from their digests.
pub fn cast_list(qbar: &Digest, chunks: Vec<ChunkRef>) -> ListIndex {
    let count = chunks.iter().map(|c| c.count).sum();
    let digests: Vec<Digest> = chunks.iter().map(|c| c.digest).collect();
    ListIndex {
        count,
        digest: list_digest(qbar, List::Cast, count, &digests),
        chunks,
    }
}

/// Files of a record by their names in its directory, as JSON.
pub type Files = Vec<(String, Vec<u8>)>;

/// The spoiled ballots' list for the index, and their chunk files.
pub fn spoiled_files(qbar: &Digest, spoiled: &[SpoiledBallot]) -> Result<(ListIndex, Files), Error> {
    let index = list_index(qbar, List::Spoiled, spoiled.iter().map(|s| &s.ballot));
    let files = spoiled_chunks(spoiled)
        .iter()
        .zip(&index.chunks)
        .map(|(chunk, entry)| Ok((entry.file.clone(), json(chunk)?)))
        .collect::<Result<_, Error>>()?;
    Ok((index, files))
}

/// Cast chunk `q` of the record, holding these ballots.
fn cast_chunk_of(q: usize, ballots: Vec<Ballot>) -> CastChunk {
    CastChunk {
        kind: "cast".into(),
        chunk: q as u64,
        ballots,
    }
}

/// The spoiled ballots cut in chunks of `CHUNK_SIZE`.
fn spoiled_chunks(spoiled: &[SpoiledBallot]) -> Vec<SpoiledChunk> {
    spoiled
        .chunks(CHUNK_SIZE)
        .enumerate()
        .map(|(q, b)| SpoiledChunk {
            kind: "spoiled".into(),
            chunk: q as u64,
            ballots: b.to_vec(),
        })
        .collect()
}

impl Record {
    /// Lays the ballots out in chunks of `CHUNK_SIZE` and computes the index.
    pub fn build(election: ElectionFile, cast: Vec<Ballot>, spoiled: Vec<SpoiledBallot>, tally: TallyFile) -> Self {
        let qbar = election.ceremony.extended_base_hash;
        let index = Index {
            chunk_size: CHUNK_SIZE as u64,
            cast: list_index(&qbar, List::Cast, cast.iter()),
            spoiled: list_index(&qbar, List::Spoiled, spoiled.iter().map(|s| &s.ballot)),
        };
        let cast = cast
            .chunks(CHUNK_SIZE)
            .enumerate()
            .map(|(q, b)| cast_chunk_of(q, b.to_vec()))
            .collect();
        let spoiled = spoiled_chunks(&spoiled);
        Record {
            election,
            index,
            cast,
            spoiled,
            tally,
        }
    }

    pub fn cast_ballots(&self) -> impl Iterator<Item = &Ballot> {
        self.cast.iter().flat_map(|c| &c.ballots)
    }

    pub fn spoiled_ballots(&self) -> impl Iterator<Item = &SpoiledBallot> {
        self.spoiled.iter().flat_map(|c| &c.ballots)
    }

    /// Every file of the record, by its name in the record's directory, as JSON.
    pub fn files(&self) -> Result<Files, Error> {
        let mut files = vec![
            ("election.json".to_owned(), json(&self.election)?),
            ("index.json".to_owned(), json(&self.index)?),
        ];
        for (c, r) in self.cast.iter().zip(&self.index.cast.chunks) {
            files.push((r.file.clone(), json(c)?));
        }
        for (c, r) in self.spoiled.iter().zip(&self.index.spoiled.chunks) {
            files.push((r.file.clone(), json(c)?));
        }
        files.push(("tally.json".to_owned(), json(&self.tally)?));
        Ok(files)
    }

    pub fn write(&self, dir: &Path) -> Result<(), Error> {
        fs::create_dir_all(dir.join("ballots")).map_err(io)?;
        for (name, bytes) in self.files()? {
            fs::write(dir.join(name), bytes).map_err(io)?;
        }
        Ok(())
    }

    /// Reads a record directory; only the chunk file names the spec allows are opened (V16).
    /// A file that is missing or does not parse fails the check of spec 11 for its file:
    /// `election.json` V1, `index.json` and a cast chunk V16, a spoiled chunk V17,
    /// `tally.json` V20; so does a file in `ballots/` that the index does not list (V17 for a
    /// name beginning with `spoiled-`, V16 for any other).
    pub fn read(dir: &Path) -> Result<Self, Error> {
        let election = read_json(&dir.join("election.json"), "V1")?;
        let index: Index = read_json(&dir.join("index.json"), "V16")?;
        let cast = read_chunks(dir, List::Cast, &index.cast)?;
        let spoiled = read_chunks(dir, List::Spoiled, &index.spoiled)?;
        unlisted_files(dir, &index)?;
        Ok(Record {
            election,
            index,
            cast,
            spoiled,
            tally: read_json(&dir.join("tally.json"), "V20")?,
        })
    }
}

fn list_check(list: List) -> &'static str {
    match list {
        List::Cast => "V16",
        List::Spoiled => "V17",
    }
}

fn read_chunks<T: DeserializeOwned>(dir: &Path, list: List, index: &ListIndex) -> Result<Vec<T>, Error> {
    let check = list_check(list);
    index
        .chunks
        .iter()
        .enumerate()
        .map(|(q, r)| {
            if r.file != chunk_file(list, q) {
                return Err(fail(check, format!("chunk {q} is named {:?}", r.file)));
            }
            read_json(&dir.join(&r.file), check)
        })
        .collect()
}

/// Spec 9.4: `ballots/` holds exactly the chunk files the index lists.
fn unlisted_files(dir: &Path, index: &Index) -> Result<(), Error> {
    let listed: Vec<&str> = index
        .cast
        .chunks
        .iter()
        .chain(&index.spoiled.chunks)
        .map(|r| r.file.as_str())
        .collect();
    let entries = match fs::read_dir(dir.join("ballots")) {
        Ok(entries) => entries,
        // No directory at all is fine only when there are no chunks (the reads above failed
        // otherwise).
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io(e)),
    };
    for entry in entries {
        let name = format!("ballots/{}", entry.map_err(io)?.file_name().to_string_lossy());
        if !listed.contains(&name.as_str()) {
            let check = if name.starts_with("ballots/spoiled-") {
                "V17"
            } else {
                "V16"
            };
            return Err(fail(check, format!("{name} is not listed in index.json")));
        }
    }
    Ok(())
}

fn io(e: std::io::Error) -> Error {
    Error::Usage(e.to_string())
}

/// A file of the record as its JSON.
pub fn json<T: Serialize>(value: &T) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(value).map_err(|e| Error::Encoding(e.to_string()))
}

/// Reads one of the record's files; missing or unparsable, it fails `check` (spec 11).
fn read_json<T: DeserializeOwned>(path: &Path, check: &'static str) -> Result<T, Error> {
    let bytes = fs::read(path).map_err(|e| fail(check, format!("{}: {e}", path.display())))?;
    serde_json::from_slice(&bytes).map_err(|e| fail(check, format!("{}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::randomness::Seeded;
    use crate::simulation::{run, Plan};

    /// The files a fan-out writes chunk by chunk are the ones a record built whole has.
    #[test]
    fn chunks_written_one_by_one_make_the_index_of_the_whole_record() {
        let plan = Plan {
            election_id: "layout".into(),
            candidates: vec![("a".into(), "Ada".into()), ("b".into(), "Grace".into())],
            trustees: 1,
            threshold: 1,
            cast: vec![0, 1, 1],
            spoiled: vec![0],
            absent: vec![],
        };
        let record = run(&plan, &mut Seeded::new(b"layout")).unwrap();
        let qbar = record.election.ceremony.extended_base_hash;
        let (entry, bytes) = cast_chunk(&qbar, 0, record.cast[0].ballots.clone()).unwrap();
        assert_eq!(bytes, json(&record.cast[0]).unwrap());
        assert_eq!(cast_list(&qbar, vec![entry]), record.index.cast);
        let spoiled: Vec<SpoiledBallot> = record.spoiled_ballots().cloned().collect();
        let (index, files) = spoiled_files(&qbar, &spoiled).unwrap();
        assert_eq!(index, record.index.spoiled);
        assert_eq!(
            files,
            vec![(index.chunks[0].file.clone(), json(&record.spoiled[0]).unwrap())]
        );
    }
}
