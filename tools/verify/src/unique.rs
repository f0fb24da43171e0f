//! The uniqueness checks (V15, V17, V19) over every ballot of the record, kept lean: a record
//! of tens of millions of ballots must not hold each one's `α`s and tracking code in memory.
//!
//! Each `α` and tracking code is kept as its first 8 bytes (big-endian, so that sorting by
//! them sorts by the value) and the ordinal of its ballot in the record (cast chunks, then
//! spoiled ones): 12 bytes an entry. A ballot id, 16 bytes, is kept whole with its ballot's
//! ordinal: 20 bytes. After one sort, the entries whose prefixes are equal are the only
//! candidates for equal values: those ballots are read again from their chunk files and their
//! full values compared. The values are random (points from random nonces, SHA-512 digests),
//! so an honest record has next to no prefix collisions (about `n²/2^65` among `n` values); a
//! record forged to collide costs one more read of the ballots it names and their full values
//! in memory, never a missed duplicate.

use std::collections::HashMap;
use std::path::Path;

use crate::chunks::{Kind, Loc};
use crate::encoding;
use crate::record::{self, Ballot, Chunk, SpoiledBallot};
use crate::report::Report;

/// An `α` or a tracking code: its first 8 bytes, as two big-endian halves, and its ballot's
/// position in its chunk (`Keys`), then its ordinal in the record (once gathered).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Entry {
    hi: u32,
    lo: u32,
    at: u32,
}

impl Entry {
    fn new(bytes: &[u8], at: u32) -> Self {
        let half = |i: usize| u32::from_be_bytes(bytes[i..i + 4].try_into().expect("4 bytes"));
        Entry {
            hi: half(0),
            lo: half(4),
            at,
        }
    }

    fn prefix(&self) -> (u32, u32) {
        (self.hi, self.lo)
    }
}

/// A ballot id, whole, and its ballot's position, then ordinal.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct IdEntry {
    id: [u8; 16],
    at: u32,
}

// The sizes the memory per ballot is figured from: `12·m + 12 + 20` bytes for `m` candidates.
const _: () = assert!(std::mem::size_of::<Entry>() == 12 && std::mem::size_of::<IdEntry>() == 20);

/// What one chunk contributes: its ballots' keys by position in the chunk.
#[derive(Default)]
pub struct Keys {
    pub alphas: Vec<Entry>,
    pub ids: Vec<IdEntry>,
    pub codes: Vec<Entry>,
    /// The chunk's ballots, whether their keys are kept or not.
    pub ballots: u32,
}

impl Keys {
    pub fn id(&mut self, pos: u32, id: [u8; 16]) {
        self.ids.push(IdEntry { id, at: pos });
    }

    pub fn code(&mut self, pos: u32, code: &[u8; 64]) {
        self.codes.push(Entry::new(code, pos));
    }

    /// The `α`s of a well-formed ballot.
    pub fn alphas<'a>(&mut self, pos: u32, alphas: impl Iterator<Item = &'a [u8; 32]>) {
        self.alphas.extend(alphas.map(|a| Entry::new(a, pos)));
    }
}

/// Where the ballots are: each chunk's first ordinal, cast chunks first.
struct Places {
    starts: Vec<u32>,
    cast_chunks: usize,
}

impl Places {
    fn loc(&self, ordinal: u32) -> Loc {
        let i = self.starts.partition_point(|s| *s <= ordinal) - 1;
        let (kind, chunk) = if i < self.cast_chunks {
            (Kind::Cast, i)
        } else {
            (Kind::Spoiled, i - self.cast_chunks)
        };
        Loc {
            kind,
            chunk: chunk as u32,
            pos: ordinal - self.starts[i],
        }
    }

    fn spoiled(&self, ordinal: u32) -> bool {
        self.starts.get(self.cast_chunks).is_some_and(|first| ordinal >= *first)
    }
}

/// One vector of all the chunks' entries, positions made ordinals, each chunk's vector freed as
/// it is moved: the peak is the total and one chunk, not twice the total.
fn gather<T>(
    keys: &mut [Keys],
    starts: &[u32],
    part: impl Fn(&mut Keys) -> &mut Vec<T>,
    at: impl Fn(&mut T) -> &mut u32,
) -> Vec<T> {
    let total = keys.iter_mut().map(|k| part(k).len()).sum();
    let mut all = Vec::with_capacity(total);
    for (k, start) in keys.iter_mut().zip(starts) {
        let chunk = std::mem::take(part(k));
        all.extend(chunk.into_iter().map(|mut e| {
            *at(&mut e) += start;
            e
        }));
    }
    all
}

/// The runs of two or more entries with one prefix, in order.
fn collisions(sorted: &[Entry]) -> Vec<&[Entry]> {
    sorted
        .chunk_by(|a, b| a.prefix() == b.prefix())
        .filter(|run| run.len() > 1)
        .collect()
}

/// The full values of a ballot read again: its `α`s and tracking code.
struct Values {
    alphas: Vec<[u8; 32]>,
    code: Option<[u8; 64]>,
}

/// Reads again the ballots of these ordinals, each chunk file once. A ballot that no longer
/// reads (the file changed under the verifier) is left out: its entries match nothing.
fn reread(dir: &Path, places: &Places, mut wanted: Vec<u32>) -> HashMap<u32, Values> {
    wanted.sort_unstable();
    wanted.dedup();
    let mut found = HashMap::with_capacity(wanted.len());
    let chunk_of = |o: &u32| {
        let l = places.loc(*o);
        (l.kind == Kind::Spoiled, l.chunk)
    };
    for group in wanted.chunk_by(|a, b| chunk_of(a) == chunk_of(b)) {
        let at = places.loc(group[0]);
        let file = at.kind.file(at.chunk as usize);
        let Ok(bytes) = record::read_bytes(dir, &file) else {
            continue;
        };
        let values = |b: &Ballot| Values {
            alphas: b
                .ciphertexts
                .iter()
                .filter_map(|c| encoding::bytes::<32>(&c.alpha).ok())
                .collect(),
            code: encoding::digest(&b.tracking_code).ok(),
        };
        let mut take = |ballot: &dyn Fn(usize) -> Option<Values>| {
            for &o in group {
                if let Some(v) = ballot(places.loc(o).pos as usize) {
                    found.insert(o, v);
                }
            }
        };
        match at.kind {
            Kind::Cast => {
                if let Ok(c) = record::parse::<Chunk<Ballot>>(&bytes, &file) {
                    take(&|pos| c.ballots.get(pos).map(values));
                }
            }
            Kind::Spoiled => {
                if let Ok(c) = record::parse::<Chunk<SpoiledBallot>>(&bytes, &file) {
                    take(&|pos| c.ballots.get(pos).map(|s| values(&s.ballot)));
                }
            }
        }
    }
    found
}

/// V15, V17 and V19 over every chunk's keys, the `cast_chunks` cast chunks' first, then the
/// spoiled chunks': ballot ids, tracking codes and `α` distinct among the cast ballots (V15);
/// ids and codes distinct among the spoiled ballots (V17); no spoiled ballot's id or code among
/// the cast ones, and no cast `α` equal to a spoiled `α`, whose nonce is public (V19).
pub fn check(dir: &Path, cast_chunks: usize, keys: &mut [Keys], report: &mut Report) {
    let mut starts = Vec::with_capacity(keys.len());
    let mut next = 0u64;
    for k in keys.iter() {
        starts.push(next as u32);
        next += k.ballots as u64;
    }
    if next >= u32::MAX as u64 {
        for check in [15, 17, 19] {
            report.fail(
                check,
                format!("not checked: {next} ballots, beyond this verifier's 2^32 − 1"),
            );
        }
        return;
    }
    let mut alphas = gather(keys, &starts, |k| &mut k.alphas, |e| &mut e.at);
    alphas.sort_unstable();
    let mut codes = gather(keys, &starts, |k| &mut k.codes, |e| &mut e.at);
    codes.sort_unstable();
    let places = Places { starts, cast_chunks };
    let alpha_runs = collisions(&alphas);
    let code_runs = collisions(&codes);
    let wanted = alpha_runs
        .iter()
        .chain(&code_runs)
        .flat_map(|run| run.iter().map(|e| e.at))
        .collect();
    let values = reread(dir, &places, wanted);

    // α: within each run, the full values sorted (cast before spoiled under one value). A
    // ballot's entries in a run are side by side; each stands for its `α`s with that prefix.
    let mut cast_twice = Vec::new();
    let mut revealed_cast = Vec::new();
    for run in &alpha_runs {
        let mut full: Vec<([u8; 32], bool)> = Vec::with_capacity(run.len());
        for ballot in run.chunk_by(|a, b| a.at == b.at) {
            let Some(v) = values.get(&ballot[0].at) else {
                continue;
            };
            let spoiled = places.spoiled(ballot[0].at);
            let prefix = ballot[0].prefix();
            full.extend(
                v.alphas
                    .iter()
                    .filter(|a| Entry::new(&a[..], 0).prefix() == prefix)
                    .map(|a| (*a, spoiled)),
            );
        }
        full.sort_unstable();
        for same in full.chunk_by(|a, b| a.0 == b.0) {
            let cast = same.iter().filter(|(_, spoiled)| !spoiled).count();
            // A value cast k times is k − 1 pairs side by side.
            for _ in 1..cast {
                cast_twice.push(same[0].0);
            }
            if cast > 0 && cast < same.len() {
                revealed_cast.push(same[0].0);
            }
        }
    }
    for a in cast_twice {
        report.fail(15, format!("α {} appears twice among the cast ballots", hex::encode(a)));
    }
    for a in revealed_cast {
        report.fail(
            19,
            format!(
                "α {} of a spoiled ballot, whose nonce is public, appears in a cast ballot",
                hex::encode(a)
            ),
        );
    }
    drop(alphas);

    let mut ids = gather(keys, &places.starts, |k| &mut k.ids, |e| &mut e.at);
    ids.sort_unstable();
    for w in ids.windows(2).filter(|w| w[0].id == w[1].id) {
        pair("ballot id", &w[0].id, places.loc(w[0].at), places.loc(w[1].at), report);
    }
    drop(ids);

    for run in &code_runs {
        let mut full: Vec<([u8; 64], u32)> = run
            .iter()
            .filter_map(|e| Some((values.get(&e.at)?.code?, e.at)))
            .collect();
        full.sort_unstable();
        for w in full.windows(2).filter(|w| w[0].0 == w[1].0) {
            pair("tracking code", &w[0].0, places.loc(w[0].1), places.loc(w[1].1), report);
        }
    }
}

/// Equal keys at `first` and `second` (cast before spoiled): V15 between two cast ballots,
/// V17 between two spoiled ones, V19 between a cast and a spoiled one.
fn pair(what: &str, key: &[u8], first: Loc, second: Loc, report: &mut Report) {
    let check = match (first.kind, second.kind) {
        (Kind::Cast, Kind::Cast) => 15,
        (Kind::Spoiled, Kind::Spoiled) => 17,
        _ => 19,
    };
    report.fail(check, format!("{what} {} at {first} and at {second}", hex::encode(key)));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ballot(id: u8, code: &[u8; 64], alpha: &[u8; 32]) -> String {
        let z = "00".repeat(32);
        format!(
            r#"{{"ballot_id":"{}","tracking_code":"{}","ciphertexts":[{{"alpha":"{}","beta":"{z}","proof":{{"c0":"{z}","c1":"{z}","v0":"{z}","v1":"{z}"}}}}],"sum_proof":{{"c":"{z}","v":"{z}"}}}}"#,
            hex::encode([id; 16]),
            hex::encode(code),
            hex::encode(alpha)
        )
    }

    /// Values that share their 8-byte prefix but differ are not duplicates; equal ones are,
    /// under the check their lists call for.
    #[test]
    fn equal_prefixes_are_confirmed_on_the_full_values() {
        let dir = std::env::temp_dir().join(format!("verify-unique-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("ballots")).unwrap();
        let value = |last: u8| {
            let mut v = [7u8; 64];
            v[63] = last;
            v
        };
        let (c1, c2) = (value(1), value(2));
        let alpha = |last: u8| -> [u8; 32] { value(last)[32..].try_into().unwrap() };
        let (a1, a2) = (alpha(1), alpha(2));
        let files = [
            (
                "cast-000000",
                format!(
                    r#"{{"kind":"cast","chunk":0,"ballots":[{},{}]}}"#,
                    ballot(1, &c1, &a1),
                    ballot(2, &c2, &a2)
                ),
            ),
            (
                "cast-000001",
                format!(r#"{{"kind":"cast","chunk":1,"ballots":[{}]}}"#, ballot(3, &c1, &a1)),
            ),
            (
                "spoiled-000000",
                format!(
                    r#"{{"kind":"spoiled","chunk":0,"ballots":[{{"ballot":{},"reveal":{{"choices":[1],"nonces":["{}"]}}}}]}}"#,
                    ballot(4, &value(3), &a2),
                    "00".repeat(32)
                ),
            ),
        ];
        for (name, text) in files {
            std::fs::write(dir.join(format!("ballots/{name}.json")), text).unwrap();
        }
        let mut keys = vec![Keys::default(), Keys::default(), Keys::default()];
        for (k, pos, id, code, alpha) in [
            (0, 0, 1, c1, a1),
            (0, 1, 2, c2, a2),
            (1, 0, 3, c1, a1),
            (2, 0, 4, value(3), a2),
        ] {
            let keys = &mut keys[k];
            keys.ballots += 1;
            keys.id(pos, [id; 16]);
            keys.code(pos, &code);
            keys.alphas(pos, [&alpha].into_iter());
        }
        let mut report = Report::default();
        check(&dir, 2, &mut keys, &mut report);
        std::fs::remove_dir_all(&dir).unwrap();
        let out = report.render();
        let twice = format!("α {} appears twice among the cast ballots", hex::encode(a1));
        let code = format!(
            "tracking code {} at cast chunk 0 ballot 0 and at cast chunk 1 ballot 0",
            hex::encode(c1)
        );
        let revealed = format!("α {} of a spoiled ballot", hex::encode(a2));
        for line in [&twice, &code, &revealed] {
            assert!(out.contains(line.as_str()), "{line}\n{out}");
        }
        assert_eq!(out.matches("    ").count(), 3, "{out}");
        assert!(!report.failed(17), "{out}");
    }
}
