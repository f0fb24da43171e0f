//! The published ballots of a record directory (spec 10), read through `index.json` with the
//! structure of V16 and V17 checked: chunk file names, numbers, kinds, sizes and digests, and
//! each list's digest. The ballots themselves are checked when the tally is recomputed.

use std::path::Path;

use anyhow::{ensure, Result};
use election_crypto::ballot::{Ballot, SpoiledBallot};
use election_crypto::hash::Digest;
use election_crypto::record::{chunk_file, CastChunk, ChunkRef, Index, ListIndex, SpoiledChunk};
use election_crypto::tally::{chunk_digest, list_digest, List, CHUNK_SIZE};

use crate::files;

pub struct Ballots {
    pub cast: Vec<Ballot>,
    pub spoiled: Vec<SpoiledBallot>,
}

pub fn read(dir: &Path, qbar: &Digest) -> Result<Ballots> {
    let index: Index = files::read(&dir.join("index.json"))?;
    ensure!(
        index.chunk_size == CHUNK_SIZE as u64,
        "V16: chunk size {}",
        index.chunk_size
    );
    let mut cast = Vec::new();
    let mut digests = Vec::new();
    for (q, r) in index.cast.chunks.iter().enumerate() {
        let chunk: CastChunk = read_chunk(dir, List::Cast, q, r)?;
        let codes: Vec<Digest> = chunk.ballots.iter().map(|b| b.tracking_code).collect();
        digests.push(check_chunk(
            qbar,
            List::Cast,
            (q, &index.cast),
            (&chunk.kind, chunk.chunk),
            &codes,
        )?);
        cast.extend(chunk.ballots);
    }
    check_list(qbar, List::Cast, &index.cast, &digests, cast.len())?;
    let mut spoiled = Vec::new();
    let mut digests = Vec::new();
    for (q, r) in index.spoiled.chunks.iter().enumerate() {
        let chunk: SpoiledChunk = read_chunk(dir, List::Spoiled, q, r)?;
        let codes: Vec<Digest> = chunk.ballots.iter().map(|b| b.ballot.tracking_code).collect();
        digests.push(check_chunk(
            qbar,
            List::Spoiled,
            (q, &index.spoiled),
            (&chunk.kind, chunk.chunk),
            &codes,
        )?);
        spoiled.extend(chunk.ballots);
    }
    check_list(qbar, List::Spoiled, &index.spoiled, &digests, spoiled.len())?;
    Ok(Ballots { cast, spoiled })
}

fn name(list: List) -> &'static str {
    match list {
        List::Cast => "cast",
        List::Spoiled => "spoiled",
    }
}

fn check(list: List) -> &'static str {
    match list {
        List::Cast => "V16",
        List::Spoiled => "V17",
    }
}

/// Only the file names the spec allows are opened.
fn read_chunk<T: serde::de::DeserializeOwned>(dir: &Path, list: List, q: usize, r: &ChunkRef) -> Result<T> {
    ensure!(
        r.file == chunk_file(list, q),
        "{}: {} chunk {q} is named {:?}",
        check(list),
        name(list),
        r.file
    );
    files::read(&dir.join(&r.file))
}

/// Kind, number and size of chunk `q`; returns its digest, checked against the index.
fn check_chunk(
    qbar: &Digest,
    list: List,
    (q, index): (usize, &ListIndex),
    (kind, number): (&str, u64),
    codes: &[Digest],
) -> Result<Digest> {
    let last = q + 1 == index.chunks.len();
    let r = &index.chunks[q];
    ensure!(
        kind == name(list)
            && number == q as u64
            && r.count == codes.len() as u64
            && !codes.is_empty()
            && codes.len() <= CHUNK_SIZE
            && (last || codes.len() == CHUNK_SIZE),
        "{}: {} chunk {q}: kind, number or size",
        check(list),
        name(list)
    );
    let digest = chunk_digest(qbar, list, q, codes);
    ensure!(digest == r.digest, "{}: {} chunk {q}: digest", check(list), name(list));
    Ok(digest)
}

fn check_list(qbar: &Digest, list: List, index: &ListIndex, digests: &[Digest], count: usize) -> Result<()> {
    ensure!(
        index.count == count as u64 && list_digest(qbar, list, index.count, digests) == index.digest,
        "{}: {} list: count or digest",
        check(list),
        name(list)
    );
    Ok(())
}
