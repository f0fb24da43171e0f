//! The record's JSON objects (spec 9) as read from its files. Values stay text here: a bad
//! value must fail the check that reads it (spec 11), not the file's parsing. Unknown members
//! are refused (spec 2.3).

use std::borrow::Cow;
use std::path::Path;

use serde::de::DeserializeOwned;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElectionFile {
    pub format: String,
    pub manifest: Manifest,
    pub parameters: Parameters,
    pub manifest_hash: String,
    pub base_hash: String,
    pub trustees: Vec<TrusteeKeys>,
    pub ceremony: Ceremony,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub election_id: String,
    pub candidates: Vec<Candidate>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Candidate {
    pub id: String,
    pub name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parameters {
    pub group: String,
    pub hash: String,
    pub trustees: u64,
    pub threshold: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrusteeKeys {
    pub index: u64,
    pub signing_key: String,
    pub receiving_key: String,
    pub fingerprint: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ceremony {
    pub commitments: Vec<Commitments>,
    pub joint_key: String,
    pub extended_base_hash: String,
    pub transcript_hash: String,
    pub transcript_signatures: Vec<TranscriptSignature>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Commitments {
    pub trustee: u64,
    pub coefficients: Vec<String>,
    pub proofs: Vec<CompactProof>,
    pub commitment_hash: String,
    pub signature: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TranscriptSignature {
    pub trustee: u64,
    pub signature: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompactProof {
    pub c: String,
    pub v: String,
}

// The chunk files' objects borrow their text from the file's bytes (`Cow` falls back to an
// owned string only where JSON escapes make that necessary): a chunk holds 10,000 ballots of
// about twenty values each, and owning every value cost an allocation and a copy.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RangeProof<'a> {
    #[serde(borrow)]
    pub c0: Cow<'a, str>,
    #[serde(borrow)]
    pub c1: Cow<'a, str>,
    #[serde(borrow)]
    pub v0: Cow<'a, str>,
    #[serde(borrow)]
    pub v1: Cow<'a, str>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ciphertext<'a> {
    #[serde(borrow)]
    pub alpha: Cow<'a, str>,
    #[serde(borrow)]
    pub beta: Cow<'a, str>,
    #[serde(borrow)]
    pub proof: RangeProof<'a>,
}

/// A ballot's sum proof: `CompactProof`, borrowed.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SumProof<'a> {
    #[serde(borrow)]
    pub c: Cow<'a, str>,
    #[serde(borrow)]
    pub v: Cow<'a, str>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ballot<'a> {
    #[serde(borrow)]
    pub ballot_id: Cow<'a, str>,
    #[serde(borrow)]
    pub tracking_code: Cow<'a, str>,
    #[serde(borrow)]
    pub ciphertexts: Vec<Ciphertext<'a>>,
    #[serde(borrow)]
    pub sum_proof: SumProof<'a>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpoiledBallot<'a> {
    #[serde(borrow)]
    pub ballot: Ballot<'a>,
    #[serde(borrow)]
    pub reveal: Reveal<'a>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reveal<'a> {
    pub choices: Vec<u64>,
    #[serde(borrow)]
    pub nonces: Vec<Cow<'a, str>>,
}

/// A chunk file (spec 9.3): `B` is a `Ballot` for cast chunks, a `SpoiledBallot` for spoiled.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Chunk<'a, B> {
    #[serde(borrow)]
    pub kind: Cow<'a, str>,
    pub chunk: u64,
    pub ballots: Vec<B>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Index {
    pub chunk_size: u64,
    pub cast: ListIndex,
    pub spoiled: ListIndex,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListIndex {
    pub count: u64,
    pub digest: String,
    pub chunks: Vec<ChunkRef>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChunkRef {
    pub file: String,
    pub count: u64,
    pub digest: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TallyFile {
    pub cast_count: u64,
    pub cast_digest: String,
    pub encrypted_tally: Vec<TallyEntry>,
    pub decryption: Decryption,
    pub result: Vec<ResultEntry>,
    /// Late ballots' tracking codes (spec 9.5); absent when there are none.
    #[serde(default)]
    pub late: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TallyEntry {
    pub a: String,
    pub b: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decryption {
    pub present: Vec<u64>,
    pub partials: Vec<Partial>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Partial {
    pub trustee: u64,
    pub public_share: String,
    pub shares: Vec<PartialShare>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartialShare {
    pub m: String,
    pub proof: CompactProof,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultEntry {
    pub candidate: String,
    pub count: u64,
}

/// Reads and parses one of the record's files; the error names the file.
pub fn read<T: DeserializeOwned>(dir: &Path, file: &str) -> Result<T, String> {
    let text = std::fs::read(dir.join(file)).map_err(|e| format!("{file}: {e}"))?;
    serde_json::from_slice(&text).map_err(|e| format!("{file}: {e}"))
}

/// The bytes of one of the record's files, for `parse` to borrow from; the error names the file.
pub fn read_bytes(dir: &Path, file: &str) -> Result<Vec<u8>, String> {
    std::fs::read(dir.join(file)).map_err(|e| format!("{file}: {e}"))
}

/// Parses `bytes` (read from `file`) into a value that borrows from them.
pub fn parse<'a, T: Deserialize<'a>>(bytes: &'a [u8], file: &str) -> Result<T, String> {
    serde_json::from_slice(bytes).map_err(|e| format!("{file}: {e}"))
}
