//! The freeze of a verifiable election's tally by fan-out: what each ballot-box part's
//! worker reports, and where a part's ballots fall among the record's chunks.

use election_crypto::hash::Digest;
use election_crypto::record::ChunkRef;
use election_crypto::tally::TallyEntry;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A run of ballots a worker read, by how many and the digest of their tracking codes: a
/// part's first ballots as its own worker read them, and as the worker of the chunk they
/// finish read them, must be the same run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Piece {
    pub count: u64,
    pub digest: Digest,
}

/// A part checked, summed and laid out by its worker (the freeze's second stage).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FrozenPart {
    /// Its ballots, each checked as `verify` checks it.
    pub count: u64,
    /// Their ciphertexts summed, slot by slot.
    pub sums: Vec<TallyEntry>,
    /// The record's cast chunks that begin in it, written.
    pub chunks: Vec<ChunkRef>,
    /// Its first ballots, which finish a chunk begun in an earlier part (all of them when
    /// no chunk begins in it).
    pub head: Piece,
    /// What it read of the parts after it to finish its last chunk, by part.
    pub taken: BTreeMap<u32, Piece>,
}

/// Why an attempt of the freeze was refused; `retry`: whether a new attempt may do better
/// (a ballot reached the box meanwhile) or not (a ballot on the board fails a check).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FreezeRefusal {
    pub reason: String,
    pub retry: bool,
}

/// Where a part's ballots fall in the record's list of cast ballots, cut every `chunk`
/// ballots, the parts laid out one after another in part order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartLayout {
    /// The place of the part's first ballot in the list.
    pub offset: u64,
    /// How many ballots the part holds.
    pub size: u64,
    /// Its first ballots that finish a chunk begun in an earlier part: all of them when no
    /// chunk begins in it.
    pub head: u64,
    /// The whole list's length.
    pub total: u64,
}

impl PartLayout {
    /// Part `part`'s layout, given every part's size.
    pub fn of(sizes: &[u64], part: usize, chunk: u64) -> Self {
        let offset: u64 = sizes[..part].iter().sum();
        let size = sizes[part];
        let first_start = offset.div_ceil(chunk) * chunk;
        PartLayout {
            offset,
            size,
            head: first_start.saturating_sub(offset).min(size),
            total: sizes.iter().sum(),
        }
    }

    /// The size of the chunk that begins at `start` in the list.
    pub fn chunk_len(&self, start: u64, chunk: u64) -> u64 {
        chunk.min(self.total - start)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_chunk_begins_in_one_part_and_each_head_finishes_the_chunk_before() {
        // Chunks of 10: parts of 3, 0, 14, 5, 9 (31 ballots: chunks at 0, 10, 20, 30).
        let sizes = [3, 0, 14, 5, 9];
        let layouts: Vec<PartLayout> = (0..sizes.len()).map(|p| PartLayout::of(&sizes, p, 10)).collect();
        let heads: Vec<u64> = layouts.iter().map(|l| l.head).collect();
        // Part 0 begins chunk 0; part 2 finishes it (7 ballots) and begins chunk 1 at 10;
        // part 3 (17..22) finishes chunk 1 with 3 and begins chunk 2 at 20; part 4 (22..31)
        // finishes chunk 2 with 8 and begins chunk 3 at 30, the last, of 1 ballot.
        assert_eq!(heads, vec![0, 0, 7, 3, 8]);
        assert_eq!(layouts[4].offset, 22);
        assert_eq!(layouts[4].chunk_len(30, 10), 1);
        // Every chunk start falls after exactly one part's head.
        let starts: Vec<u64> = layouts
            .iter()
            .filter(|l| l.head < l.size)
            .map(|l| l.offset + l.head)
            .collect();
        assert_eq!(starts, vec![0, 10, 20, 30]);
        // A part too small to reach the next chunk start is all head.
        let small = [4, 3, 2];
        assert_eq!(PartLayout::of(&small, 1, 10).head, 3);
        assert_eq!(PartLayout::of(&small, 0, 10).head, 0);
    }
}
